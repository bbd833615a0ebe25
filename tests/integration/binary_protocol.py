"""A small client-side codec for memcached's binary protocol, for the tests: requests as
bytes, responses parsed into packets."""

import struct
from collections import namedtuple

REQ = 0x80
RES = 0x81
HEADER = struct.Struct(">BBHBBHIIQ")

OP = dict(
    get=0x00, set=0x01, add=0x02, replace=0x03, delete=0x04, incr=0x05, decr=0x06, quit=0x07,
    flush=0x08, getq=0x09, noop=0x0A, version=0x0B, getk=0x0C, getkq=0x0D, append=0x0E,
    prepend=0x0F, stat=0x10, setq=0x11, addq=0x12, replaceq=0x13, deleteq=0x14, incrq=0x15,
    decrq=0x16, quitq=0x17, flushq=0x18, appendq=0x19, prependq=0x1A, verbosity=0x1B,
    touch=0x1C, gat=0x1D, gatq=0x1E, sasl_list=0x20, sasl_auth=0x21, sasl_step=0x22,
    gatk=0x23, gatkq=0x24,
)

Packet = namedtuple("Packet", "magic opcode keylen extlen datatype status bodylen opaque cas extras key value")


def request(op, key=b"", extras=b"", value=b"", cas=0, opaque=0, body=None):
    """One request; `op` is a name of OP or a number; `body` overrides the body length."""
    opcode = OP[op] if isinstance(op, str) else op
    if isinstance(key, str):
        key = key.encode()
    length = len(extras) + len(key) + len(value) if body is None else body
    return HEADER.pack(REQ, opcode, len(key), len(extras), 0, 0, length, opaque, cas) + extras + key + value


def set_extras(flags=0, exptime=0):
    return struct.pack(">II", flags, exptime)


def incr_extras(delta, initial=0, exptime=0):
    return struct.pack(">QQI", delta, initial, exptime)


def exptime_extras(exptime):
    return struct.pack(">I", exptime)


def parse(data):
    """(packets, leftover bytes)."""
    packets = []
    pos = 0
    while len(data) - pos >= 24:
        magic, opcode, keylen, extlen, datatype, status, bodylen, opaque, cas = HEADER.unpack_from(data, pos)
        if len(data) - pos - 24 < bodylen:
            break
        body = data[pos + 24:pos + 24 + bodylen]
        packets.append(Packet(magic, opcode, keylen, extlen, datatype, status, bodylen, opaque, cas,
                              body[:extlen], body[extlen:extlen + keylen], body[extlen + keylen:]))
        pos += 24 + bodylen
    return packets, data[pos:]
