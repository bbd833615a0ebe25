"""memcached's binary protocol: the same requests go to the real memcached 1.6.18 and to
rat_memcached, and the responses must match packet for packet (CAS values, which
depend on each server's history, are compared by the order in which they appear)."""

import struct
import time

import pytest

from binary_protocol import (HEADER, OP, RES, exptime_extras, incr_extras, parse, request,
                             set_extras)
from conftest import read_until_idle, start_memcached, start_rat

SENTINEL = request("noop", opaque=0xFEEDFACE)
SENTINEL_REPLY = HEADER.pack(RES, OP["noop"], 0, 0, 0, 0, 0, 0xFEEDFACE, 0)
MISSING = 0xFFFFFFFF  # incr/decr expiry: do not create


def cas_of(packets, index):
    """The CAS of the index-th packet received so far (for requests that reuse it)."""
    return packets[index].cas


# Each case: a list of steps, each bytes or a function of the packets received so far.
# "K" in keys is replaced by a per-case prefix.
CASES = {
    "miss": [request("get", "K"), request("getk", "K", opaque=7), request("getq", "K"),
             request("getkq", "K"), request("gat", "K", exptime_extras(10)),
             request("gatk", "K", exptime_extras(10)), request("touch", "K", exptime_extras(10)),
             request("gatq", "K", exptime_extras(10)), request("gatkq", "K", exptime_extras(10))],
    "set_get": [request("set", "K", set_extras(0xDEADBEEF), b"value", opaque=1),
                request("get", "K", opaque=2), request("getk", "K", opaque=3),
                request("getq", "K", opaque=4), request("getkq", "K", opaque=5),
                request("setq", "K", set_extras(5), b""), request("get", "K"),
                request("set", "K", set_extras(1), b"x" * 5000), request("getk", "K")],
    "add_replace": [request("add", "K", set_extras(1), b"a"), request("add", "K", set_extras(2), b"b"),
                    request("addq", "K", set_extras(2), b"b"), request("replace", "K2", set_extras(), b"r"),
                    request("replaceq", "K2", set_extras(), b"r"), request("replace", "K", set_extras(3), b"c"),
                    request("replaceq", "K", set_extras(3), b"d"), request("addq", "K3", set_extras(), b"e"),
                    request("get", "K"), request("get", "K3")],
    "cas": [request("set", "K", set_extras(), b"one"),
            request("set", "K", set_extras(), b"two", cas=12345678),
            request("set", "K2", set_extras(), b"two", cas=12345678),
            lambda p: request("set", "K", set_extras(9), b"three", cas=cas_of(p, 0)),
            request("get", "K"),
            lambda p: request("add", "K", set_extras(), b"four", cas=cas_of(p, 3)),
            lambda p: request("replaceq", "K", set_extras(), b"five", cas=cas_of(p, 4)),
            request("get", "K"),
            lambda p: request("append", "K", value=b"+", cas=cas_of(p, 5) + 1000),
            lambda p: request("appendq", "K", value=b"+", cas=cas_of(p, 6)),
            request("get", "K")],
    "delete": [request("delete", "K"), request("deleteq", "K"),
               request("set", "K", set_extras(), b"v"), request("delete", "K", cas=99999999),
               request("delete", "K"), request("set", "K", set_extras(), b"v"),
               request("deleteq", "K"), request("get", "K"),
               request("set", "K", set_extras(), b"v"),
               lambda p: request("delete", "K", cas=p[-1].cas)],
    "arithmetic": [request("incr", "K", incr_extras(1, 0, MISSING)),
                   request("incrq", "K", incr_extras(1, 0, MISSING)),
                   request("incr", "K", incr_extras(1, 10, 0)), request("incr", "K", incr_extras(5)),
                   request("decr", "K", incr_extras(100)), request("incrq", "K", incr_extras(7)),
                   request("get", "K"), request("decrq", "K2", incr_extras(1, 42, 0)),
                   request("get", "K2"),
                   request("set", "K3", set_extras(), b"abc"), request("incr", "K3", incr_extras(1)),
                   request("set", "K4", set_extras(), b"18446744073709551615"),
                   request("incr", "K4", incr_extras(2)), request("incr", "K4", incr_extras(1), cas=77777777),
                   lambda p: request("incr", "K4", incr_extras(1), cas=p[-1].cas)],
    "append_prepend": [request("append", "K", value=b"x"), request("prepend", "K", value=b"x"),
                       request("appendq", "K", value=b"x"),
                       request("set", "K", set_extras(77, 0), b"b"),
                       request("append", "K", value=b"c"), request("prepend", "K", value=b"a"),
                       request("appendq", "K", value=b"d"), request("prependq", "K", value=b""),
                       request("getk", "K")],
    "touch_gat": [request("set", "K", set_extras(3), b"val"),
                  request("touch", "K", exptime_extras(100)), request("gat", "K", exptime_extras(100)),
                  request("gatk", "K", exptime_extras(0)), request("gatq", "K", exptime_extras(50)),
                  request("gatkq", "K", exptime_extras(50)), request("gatkq", "K9", exptime_extras(50)),
                  request("touch", "K", exptime_extras(0xFFFFFFFF)), request("get", "K")],
    "expired": [request("set", "K", set_extras(), b"v", opaque=1),
                request("touch", "K", exptime_extras(0x7FFFFFFF)),
                request("set", "K2", set_extras(0, 1), b"v"),
                request("gat", "K2", exptime_extras(1))],
    "version_noop": [request("version", opaque=0x01020304), request("noop", opaque=9)],
    # memcached skips body_length bytes after the extras and key it already read: the
    # pad bytes after these requests go too.
    "unknown_opcodes": [request("verbosity", extras=exptime_extras(1)) + b"PAD!", request(0x40),
                        request(0x7F, opaque=3),
                        request(0x41, "abc", value=b"xyz") + b"PAD"],
    "stats_subcommands": [request("stat", "bogus"), request("stat", "detail x"),
                          request("stat", "detail on"), request("stat", "detail off"),
                          request("stat", "reset"), request("stat", "conns"),
                          request("stat", "sizes")],
    "binary_keys": [request("set", b"K\x00\r\n \xff", set_extras(), b"bin"),
                    request("getk", b"K\x00\r\n \xff"), request("set", "K" + "k" * 230, set_extras(), b"v"),
                    request("getk", "K" + "k" * 230)],
    "large_value": [request("set", "K", set_extras(1), bytes(range(256)) * 1000),
                    request("get", "K")],
    "too_large": [request("set", "K", set_extras(), b"old"),
                  request("set", "K", set_extras(), b"y" * (2 << 20)),
                  request("get", "K"), request("appendq", "K2", value=b"y" * (2 << 20))],
}


def normalize(packets):
    """Replaces CAS values by their order of appearance (0 stays 0)."""
    seen = {}
    out = []
    for p in packets:
        if p == "closed":
            out.append(p)
            continue
        cas = 0 if p.cas == 0 else seen.setdefault(p.cas, len(seen) + 1)
        out.append(p._replace(cas=cas))
    return out


def rename(data, name):
    """Replaces the key placeholder K in a request, fixing the lengths."""
    pos = 0
    out = b""
    while pos + 24 <= len(data) and data[pos] == 0x80:
        magic, opcode, keylen, extlen, dtype, vb, bodylen, opaque, cas = HEADER.unpack_from(data, pos)
        extras = data[pos + 24:pos + 24 + extlen]
        key = data[pos + 24 + extlen:pos + 24 + extlen + keylen]
        value = data[pos + 24 + extlen + keylen:pos + 24 + bodylen]
        if key.startswith(b"K"):
            key = b"bin_" + name.encode() + key
        out += HEADER.pack(magic, opcode, len(key), extlen, dtype, vb, len(extras) + len(key) + len(value),
                           opaque, cas) + extras + key + value
        pos += 24 + bodylen
    return out + data[pos:]


def run_case(server, name, steps):
    received = []
    with server.connect(timeout=10) as s:
        for step in steps:
            data = step(received) if callable(step) else step
            s.sendall(rename(data, name) + SENTINEL)
            reply, closed = read_until_idle(s, idle=1.0, timeout=10, until=SENTINEL_REPLY)
            packets, rest = parse(reply)
            assert not rest, f"{server.name}: trailing bytes {rest!r}"
            if closed and not (packets and packets[-1].opaque == 0xFEEDFACE):
                received += packets + ["closed"]
                break
            assert packets and packets[-1].opaque == 0xFEEDFACE, f"{server.name}: no sentinel after {data!r}"
            received += packets[:-1]
    return received


@pytest.fixture(scope="module")
def servers():
    mc = start_memcached()
    rat = start_rat("-I", "1m")  # memcached's item size limit (rat's default is larger)
    yield mc, rat
    mc.stop()
    rat.stop()


@pytest.mark.parametrize("name", sorted(CASES))
def test_same_responses_as_memcached(servers, name):
    mc, rat = servers
    expected = normalize(run_case(mc, name, CASES[name]))
    got = normalize(run_case(rat, name, CASES[name]))
    assert got == expected


def raw_exchange(server, data):
    with server.connect(timeout=10) as s:
        s.sendall(data)
        return read_until_idle(s, idle=1.0, timeout=10)


# Requests after which memcached closes the connection (with or without an error).
CLOSING = {
    "bad_magic_first": b"\x80" + b"\x00" * 23 + b"\x81" + b"\x00" * 23,
    "bad_magic_later": request("noop", opaque=1) + b"\x00" * 24 + request("noop", opaque=2),
    "key_beyond_body": request("get", "key", body=2) + SENTINEL,
    "extras_beyond_body": request("set", "key", set_extras(), body=9) + SENTINEL,
    "get_with_extras": request("get", "key", extras=b"x") + SENTINEL,
    "set_without_extras": request("set", "key", value=b"v") + SENTINEL,
    "key_too_long": request("get", "k" * 251) + SENTINEL,
    "unknown_with_long_key": request(0x55, "k" * 300) + SENTINEL,
    "noop_with_body": request("noop", value=b"x") + SENTINEL,
    "flush_with_key": request("flush", "k") + SENTINEL,
    "incr_short_extras": request("incr", "k", extras=b"\x00" * 8) + SENTINEL,
    "quit": request("setq", "qk", set_extras(), b"v") + request("quit", opaque=5) + SENTINEL,
    "quitq": request("quitq", opaque=5) + SENTINEL,
    "sasl_list_when_off": request("sasl_list") + SENTINEL,
    "sasl_auth_when_off": request("sasl_auth", "PLAIN", value=b"\x00u\x00p") + SENTINEL,
}


@pytest.mark.parametrize("name", sorted(CLOSING))
def test_errors_and_closes_as_memcached(servers, name):
    mc, rat = servers
    expected = raw_exchange(mc, CLOSING[name])
    got = raw_exchange(rat, CLOSING[name])
    assert got == expected


def test_requests_split_at_every_byte(servers):
    _, rat = servers
    data = (request("set", "bin_split", set_extras(4, 0), b"hello", opaque=1) +
            request("getk", "bin_split", opaque=2) + request("incr", "bin_split_n", incr_extras(2, 5, 0)) +
            SENTINEL)
    with rat.connect(timeout=10) as s:
        for i in range(len(data)):
            s.sendall(data[i:i + 1])
            time.sleep(0.001)
        reply, _ = read_until_idle(s, idle=1.0, timeout=10, until=SENTINEL_REPLY)
    packets, rest = parse(reply)
    assert not rest
    assert [p.opaque for p in packets] == [1, 2, 0, 0xFEEDFACE]
    assert packets[1].value == b"hello" and packets[1].key == b"bin_split"
    assert struct.unpack(">I", packets[1].extras) == (4,)
    assert struct.unpack(">Q", packets[2].value) == (5,)


def stats_names(server, key=b""):
    with server.connect(timeout=10) as s:
        s.sendall(request("stat", key, opaque=0xABCD))
        reply, _ = read_until_idle(s, idle=1.0, timeout=10)
    packets, rest = parse(reply)
    assert not rest
    assert all(p.opaque == 0xABCD and p.opcode == OP["stat"] and p.status == 0 for p in packets)
    assert packets[-1].keylen == 0 and packets[-1].bodylen == 0  # the terminator
    return {p.key.decode(): p.value.decode() for p in packets[:-1]}


def text_stats(server, sub=b""):
    with server.connect(timeout=10) as s:
        s.sendall(b"stats" + (b" " + sub if sub else b"") + b"\r\n")
        reply, _ = read_until_idle(s, idle=1.0, timeout=10, until=b"END\r\n")
    return {line.split(b" ")[1].decode() for line in reply.split(b"\r\n") if line.startswith(b"STAT ")}


@pytest.mark.parametrize("sub", [b"", b"settings", b"items", b"slabs"])
def test_binary_stats_hold_the_text_stats(servers, sub):
    mc, rat = servers
    # Each server's binary stats carry the same names as its text stats.
    assert set(stats_names(rat, sub)) == text_stats(rat, sub)
    assert set(stats_names(mc, sub)) == text_stats(mc, sub)


def test_binary_stats_count_binary_commands(servers):
    _, rat = servers
    before = stats_names(rat)
    with rat.connect(timeout=10) as s:
        s.sendall(request("set", "bin_counted", set_extras(), b"v") + request("get", "bin_counted") +
                  request("get", "bin_counted_miss") + request("touch", "bin_counted", exptime_extras(9)) +
                  request("incr", "bin_counted", incr_extras(1)) + SENTINEL)
        read_until_idle(s, idle=1.0, timeout=10, until=SENTINEL_REPLY)
    after = stats_names(rat)
    delta = {k: int(after[k]) - int(before[k]) for k in
             ("cmd_set", "get_hits", "get_misses", "cmd_touch", "touch_hits", "incr_misses")}
    assert delta == {"cmd_set": 1, "get_hits": 1, "get_misses": 1, "cmd_touch": 1, "touch_hits": 1,
                     "incr_misses": 0}
    assert after["binding_protocol" if "binding_protocol" in after else "pid"]  # general stats


def test_stats_detail_dump_in_binary(servers):
    mc, rat = servers
    results = []
    for server in (mc, rat):
        with server.connect(timeout=10) as s:
            s.sendall(request("stat", "detail on") + request("set", "pfx:a", set_extras(), b"v") +
                      request("get", "pfx:a") + request("get", "pfx:b") + request("stat", "detail dump") +
                      request("stat", "detail off") + SENTINEL)
            reply, _ = read_until_idle(s, idle=1.0, timeout=10, until=SENTINEL_REPLY)
        results.append(normalize(parse(reply)[0]))
    assert results[1] == results[0]


def test_flush_in_binary(servers):
    mc, rat = servers
    steps = [request("set", "Kf", set_extras(), b"v"), request("flushq"), request("get", "Kf"),
             request("set", "Kf", set_extras(), b"v"), request("flush", extras=exptime_extras(2)),
             request("get", "Kf")]
    # Flushing touches every key: run on fresh servers of its own.
    mc2 = start_memcached()
    rat2 = start_rat()
    try:
        expected = normalize(run_case(mc2, "flush", steps))
        got = normalize(run_case(rat2, "flush", steps))
        assert got == expected
        time.sleep(3.2)
        assert normalize(run_case(rat2, "flush", [request("get", "Kf")])) == \
            normalize(run_case(mc2, "flush", [request("get", "Kf")]))
    finally:
        mc2.stop()
        rat2.stop()


def test_binary_protocol_flag_and_disabled_flush():
    mc = start_memcached("-B", "binary", "-F")
    rat = start_rat("-B", "binary", "-F")
    try:
        for data in (request("flush") + SENTINEL, b"version\r\n"):
            assert raw_exchange(rat, data) == raw_exchange(mc, data)
    finally:
        mc.stop()
        rat.stop()
    mc = start_memcached("-B", "ascii")
    rat = start_rat("-B", "ascii")
    try:
        data = request("version")
        assert raw_exchange(rat, data) == raw_exchange(mc, data)
    finally:
        mc.stop()
        rat.stop()
