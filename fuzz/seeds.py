#!/usr/bin/env python3
"""Writes the fuzz targets' seed corpora into OUT/<target>/: request sequences of every
command family the tests use (text, meta, streaming, binary frames made with the tests'
binary codec) and the configuration files we ship. Usage: seeds.py OUT"""

import hashlib
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))
from binary_protocol import exptime_extras, incr_extras, request, set_extras  # noqa: E402

TEXT = [
    b"set a 5 0 3\r\nabc\r\nget a\r\n",
    b"add a 0 0 1\r\nx\r\nappend a 0 0 2\r\nde\r\nprepend a 0 0 1\r\nz\r\ngets a b c\r\n",
    b"cas a 0 0 1 1\r\nq\r\nreplace a 0 100 1\r\nr\r\ntouch a 10\r\ngat 0 a\r\ngats 5 a\r\n",
    b"incr n 1\r\nset n 0 0 1\r\n7\r\nincr n 5\r\ndecr n 100\r\ndelete n\r\ndelete n noreply\r\n",
    b"flush_all\r\nflush_all 10\r\nflush_all noreply\r\nversion\r\nverbosity 1\r\n",
    b"stats\r\nstats settings\r\nstats items\r\nstats slabs\r\nstats sizes\r\nstats conns\r\nstats detail dump\r\n",
    b"stats cachedump 1 10\r\nstats reset\r\nstats tiers\r\ncache_memlimit 10\r\nquit\r\n",
    b"set k 0 0 -1\r\nset k 0 0 10\r\nshort\r\nget " + b"k" * 251 + b"\r\n",
    b"mn\r\nms m 2 T0 F5\r\nhi\r\nmg m v f t c s k h l O123 q\r\nma m D5 N0 J10\r\nmd m q I\r\nme m\r\n",
    b"ms b64 3 b\r\nabc\r\nmg YWJj b v\r\nms x S3 MA\r\nabc\r\nms x 2 MP C99\r\nzz\r\nmg x v R30 N30\r\n",
    b"set_begin up 0 0 10 2\r\nset_data up 0 5\r\nhello\r\nset_data up 1 5\r\nworld\r\nset_end up\r\n",
    b"streaming_get up 3\r\nsget up\r\nset_begin x 0 0 0 1\r\nset_end x\r\n",
    b"shutdown\r\nshutdown graceful\r\nrefresh_certs\r\nslabs reassign 1 2\r\nlru_crawler metadump all\r\n",
    b"\x00\x01\x02\r\nset \xff\xfe 0 0 1\r\n1\r\ndelete \r\n\r\n",
]

BINARY = [
    request("set", "k", set_extras(5, 0), b"value") + request("get", "k") + request("getk", "k"),
    request("add", "a", set_extras(), b"1") + request("incr", "n", incr_extras(5, 10)) +
    request("decrq", "n", incr_extras(1)) + request("noop"),
    request("append", "a", value=b"xy") + request("prependq", "a", value=b"0") + request("getq", "a") +
    request("noop"),
    request("touch", "a", exptime_extras(10)) + request("gat", "a", exptime_extras(0)) +
    request("gatkq", "a", exptime_extras(0)) + request("delete", "a") + request("flush") +
    request("version") + request("stat") + request("stat", "settings") + request("quit"),
    request("sasl_list") + request("sasl_auth", "PLAIN", value=b"\x00user\x00pass") + request("verbosity"),
    request("set", "k", set_extras(), b"v", body=3) + request(0x50, "k", b"e" * 40),
    request("replace", "k", set_extras(), b"v", cas=12345) + request("setq", "q" * 250, set_extras(), b"v"),
]

TOML = [
    open(os.path.join(HERE, "..", "packaging", "rat_memcached.toml"), "rb").read(),
    b'preset = "production"\n[server]\nbind = "127.0.0.1:11211"\nidle_timeout = 30\n'
    b'[l1]\nmax_memory = "64m"\neviction_strategy = "s3fifo"\n[tls]\nenabled = false\n',
    b'[l2]\nenable_l2_cache = true\ndata_dir = "x"\nmax_disk_size = 1073741824\n[compression]\n'
    b'enable_lz4 = true\ncompression_threshold = 1024\n[logging]\nlevel = "info"\n',
    b'[performance]\nworker_threads = 2\nlarge_value_threshold = "10k"\n[ttl]\ndefault_ttl = 0\n',
]


def meta_seeds():
    """The meta target takes a command selector byte, then the line after "m?"."""
    selectors = {b"g": 0, b"s": 1, b"d": 2, b"a": 3, b"n": 4, b"e": 5}
    seeds = []
    for sequence in TEXT:
        for line in sequence.split(b"\r\n"):
            if len(line) > 3 and line[:1] == b"m" and line[1:2] in selectors and line[2:3] == b" ":
                seeds.append(bytes([selectors[line[1:2]]]) + line[3:] + b"\r\n")
    return seeds


def session_seeds():
    """Protocol selector (0 negotiate, 1 ascii, 2 binary), piece size, then the bytes."""
    seeds = []
    for piece in (0, 6, 63):
        seeds += [bytes([0, piece]) + t for t in TEXT] + [bytes([1, piece]) + t for t in TEXT[:4]]
        seeds += [bytes([2, piece]) + b for b in BINARY] + [bytes([0, piece]) + b for b in BINARY]
    return seeds


def write(out, target, seeds):
    folder = os.path.join(out, target)
    os.makedirs(folder, exist_ok=True)
    for seed in seeds:
        name = hashlib.sha1(seed).hexdigest()
        with open(os.path.join(folder, name), "wb") as f:
            f.write(seed)


def main():
    out = sys.argv[1]
    write(out, "text_parser", TEXT + [b"".join(TEXT)])
    write(out, "meta_parser", meta_seeds())
    write(out, "binary_parser", BINARY + [b"".join(BINARY)])
    write(out, "session", session_seeds())
    write(out, "toml_config", TOML)


if __name__ == "__main__":
    main()
