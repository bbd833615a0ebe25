"""The stats family and admin flags, differentially against the real memcached 1.6.18:
stats detail (per-prefix counters, dumped in memcached's order), stats sizes, -F (no
flush_all) and -X (no stats cachedump)."""

import time

import pytest

from conftest import read_until_idle, start_memcached, start_rat

SENTINEL = b"version\r\n"
SENTINEL_REPLY = b"VERSION 1.6.18\r\n"


def exchange(server, data):
    with server.connect() as s:
        s.sendall(data + SENTINEL)
        reply, _ = read_until_idle(s, idle=0.5, timeout=10, until=SENTINEL_REPLY)
    return reply


def both(data, *flags):
    replies = []
    for start in (start_memcached, start_rat):
        server = start(*flags)
        try:
            replies.append(exchange(server, data))
        finally:
            server.stop()
    return replies


DETAIL = (b"stats detail\r\nstats detail x\r\nstats detail dump\r\nstats detail on\r\n"
          b"set a:b 0 0 1\r\n1\r\nget a:b\r\nget a:c x:y nodelim\r\ngets user:1 user:2 session:9\r\n"
          b"gat 0 a:b\r\ndelete a:b\r\ndelete nodelim\r\nset user:1 0 0 1\r\n1\r\n"
          + b"".join(b"get p%d:k\r\n" % i for i in range(40))
          + b"stats detail dump\r\nstats detail off\r\nget a:b\r\nstats detail dump\r\n"
          b"stats reset\r\nstats detail dump\r\nstats detail on extra\r\nget z:1\r\nstats detail dump\r\n")


def test_stats_detail_matches_memcached():
    expected, actual = both(DETAIL)
    assert actual == expected
    assert b"PREFIX a get 3 hit 2 set 1 del 1" in expected


def test_stats_sizes_and_cachedump():
    expected, actual = both(b"stats sizes\r\n")
    assert actual == expected == b"STAT sizes_status disabled\r\nEND\r\n" + SENTINEL_REPLY


def test_disable_flush_all():
    data = b"set a 0 0 1\r\n1\r\nflush_all\r\nflush_all noreply\r\nflush_all 10\r\nget a\r\n"
    expected, actual = both(data, "-F")
    assert actual == expected
    assert expected.count(b"CLIENT_ERROR flush_all not allowed") == 2
    mc, rat = start_memcached("-F"), start_rat("-F")
    try:
        for server in (mc, rat):
            exchange(server, data)
        stats = [exchange(server, b"stats\r\n") for server in (mc, rat)]
        flushes = [next(l for l in s.split(b"\r\n") if l.startswith(b"STAT cmd_flush ")) for s in stats]
        assert flushes[0] == flushes[1] == b"STAT cmd_flush 3", "refused flushes still count"
        settings = [exchange(server, b"stats settings\r\n") for server in (mc, rat)]
        for s in settings:
            assert b"STAT flush_enabled no\r\n" in s
    finally:
        mc.stop()
        rat.stop()


def test_disable_dumping():
    expected, actual = both(b"stats cachedump 1 1\r\n", "-X")
    assert actual == expected == b"CLIENT_ERROR stats cachedump not allowed\r\n" + SENTINEL_REPLY
    rat = start_rat("-X")
    try:
        assert b"STAT dump_enabled no\r\n" in exchange(rat, b"stats settings\r\n")
    finally:
        rat.stop()


def stat_lines(reply, suffixes):
    return sorted(l for l in reply.split(b"\r\n") if l.startswith(b"STAT ") and l.split(b" ")[1].endswith(suffixes))


def test_stats_items_and_slabs_group_items_as_memcached():
    """Items land in the slab class memcached would use: class ids, item counts,
    memcached's mem_requested and chunk sizes agree; fields that describe memcached's
    allocator or LRU segments are left out (docs/compatibility.md)."""
    sizes = [1, 10, 50, 100, 300, 1000, 2000, 5000, 9000, 100000, 400000]
    data = b"".join(b"set key%d 0 0 %d\r\n%s\r\n" % (i, n, b"v" * n) for i, n in enumerate(sizes * 3))
    data += b"set flagged 7 0 40\r\n" + b"f" * 40 + b"\r\n"
    replies = []
    for start in (start_memcached, start_rat):
        # RAM only: with L2 on, values above large_value_threshold are kept outside RAM and
        # counted with the persistent tier instead.
        server = start("-m", "64") if start is start_memcached else start("-m", "64", "--no-l2")
        try:
            exchange(server, data)
            replies.append((exchange(server, b"stats items\r\n"), exchange(server, b"stats slabs\r\n")))
        finally:
            server.stop()
    (mc_items, mc_slabs), (rat_items, rat_slabs) = replies
    fields = (b":number", b":mem_requested", b":evicted", b":reclaimed", b":evicted_unfetched",
              b":expired_unfetched", b":evicted_nonzero")
    assert stat_lines(rat_items, fields) == stat_lines(mc_items, fields)
    assert stat_lines(rat_slabs, (b":chunk_size", b":used_chunks")) == \
        stat_lines(mc_slabs, (b":chunk_size", b":used_chunks"))
    assert b"STAT active_slabs 10\r\n" in rat_slabs


def parse_stats(reply):
    return {parts[1]: parts[2] for parts in (l.split(b" ") for l in reply.split(b"\r\n"))
            if len(parts) == 3 and parts[0] == b"STAT"}


def test_stats_tiers():
    rat = start_rat("-m", "64")
    try:
        exchange(rat, b"set small 0 0 5\r\nhello\r\nset big 0 0 20000\r\n" + b"b" * 20000 + b"\r\n"
                      b"get small\r\nget nope\r\n")
        tiers = parse_stats(exchange(rat, b"stats tiers\r\n"))
        assert tiers[b"l1_items"] == b"1" and tiers[b"l2_enabled"] == b"yes"
        assert tiers[b"l2_direct_stores"] == b"1", "the 20 KB value went straight to L2"
        assert tiers[b"l1_get_hits"] == b"1"
        for name in (b"l2_items", b"l2_bytes", b"l2_get_hits", b"l2_get_misses", b"l2_promotions",
                     b"l2_demotions", b"l2_write_behind_items", b"l2_limit_maxbytes"):
            assert name in tiers
    finally:
        rat.stop()
    rat = start_rat("--no-l2")
    try:
        tiers = parse_stats(exchange(rat, b"stats tiers\r\n"))
        assert tiers[b"l2_enabled"] == b"no" and b"l2_items" not in tiers
    finally:
        rat.stop()


@pytest.mark.parametrize("line", [b"slabs automove 1", b"lru_crawler metadump all", b"lru mode flat",
                                  b"watch", b"extstore free_memchunks 0 0"])
def test_allocator_and_crawler_commands_are_refused_by_name(line):
    rat = start_rat()
    try:
        reply = exchange(rat, line + b"\r\n")
        assert reply.startswith(b"CLIENT_ERROR ") and b"not supported" in reply, reply
        assert reply.endswith(SENTINEL_REPLY), "the connection goes on"
    finally:
        rat.stop()


def test_stats_cachedump_lists_items_as_memcached():
    data = b"".join(b"set dump%d 0 0 %d\r\n%s\r\n" % (i, i, b"d" * i) for i in range(1, 30))
    data += b"set expiring 0 1000 3\r\nabc\r\n"
    commands = b"stats cachedump 1 0\r\nstats cachedump 1 3\r\nstats cachedump 1\r\n" \
               b"stats cachedump x 1\r\nstats cachedump 99 1\r\nstats cachedump 63 0\r\n"
    replies = []
    for start in (start_memcached, start_rat):
        server = start()
        try:
            exchange(server, data)
            replies.append(exchange(server, commands))
        finally:
            server.stop()
    mc, rat = (r.split(b"END\r\n") for r in replies)
    assert rat[3:] == mc[3:], "errors and an empty class are answered the same"
    # memcached dumps only its COLD LRU segment: items its LRU maintainer moved there by
    # then, so a subset; every line it prints must be ours too, and ours lists them all.
    never = [set(l for l in part.split(b"\r\n") if l and b"expiring" not in l) for part in (mc[0], rat[0])]
    assert never[0] <= never[1]
    assert never[1] == {b"ITEM dump%d [%d b; 0 s]" % (i, i) for i in range(1, 30)
                        if 48 + 8 + len(b"dump%d" % i) + 1 + i + 2 <= 96}
    expiry = int(next(l for l in rat[0].split(b"\r\n") if b"expiring" in l).split(b"; ")[1][:-3])
    assert abs(expiry - (time.time() + 1000)) <= 3, expiry
    assert rat[1].count(b"ITEM ") == 3, "the limit holds"


def test_memcdump_lists_every_key():
    """libmemcached's memcdump walks stats items and stats cachedump."""
    import shutil
    import subprocess
    if shutil.which("memcdump") is None:
        pytest.skip("memcdump (libmemcached-tools) is not installed")
    rat = start_rat("--no-l2")
    try:
        keys = {b"tool:%d" % i for i in range(200)}
        exchange(rat, b"".join(b"set %s 0 0 1\r\nx\r\n" % k for k in keys))
        out = subprocess.run(["memcdump", f"--servers=127.0.0.1:{rat.port}"], capture_output=True,
                             timeout=30).stdout
        assert set(out.split()) == keys
    finally:
        rat.stop()


def conns_report(server):
    """stats conns as seen from a second connection while a first one sits idle, with
    file descriptors, ports and seconds replaced by placeholders."""
    import re
    with server.connect() as idle, server.connect() as asking:
        idle.sendall(b"get x\r\n")
        read_until_idle(idle, idle=0.3, timeout=5, until=b"END\r\n")
        time.sleep(0.3)  # the server has gone back to waiting on `idle` (conn_read)
        asking.sendall(b"stats conns\r\n")
        reply, _ = read_until_idle(asking, idle=0.5, timeout=5, until=b"END\r\n")
        local_port = asking.getsockname()[1]
    lines = reply.decode().split("\r\n")
    fds = {}
    shapes = []
    for line in lines:
        match = re.match(r"STAT (\d+):(\w+) (.*)", line)
        if not match:
            shapes.append(line)
            continue
        fd, name, value = match.groups()
        fd = fds.setdefault(fd, f"fd{len(fds)}")
        if name == "addr" and value.endswith(f":{local_port}"):
            value = "ME"
        value = re.sub(r":\d+$", ":PORT", value) if name in ("addr", "listen_addr") and value != "ME" else value
        if name == "secs_since_last_cmd":
            value = "N"
        shapes.append(f"{fd}:{name} {value}")
    return shapes


def test_stats_conns_as_memcached():
    mc = start_memcached()
    rat = start_rat()
    try:
        expected = conns_report(mc)
        got = conns_report(rat)
    finally:
        mc.stop()
        rat.stop()
    assert got == expected
    assert "fd2:state conn_parse_cmd" in got and "fd0:state conn_listening" in got
