"""Meta commands (mg, ms, md, ma, mn): the same bytes go to the real memcached 1.6.18 and
to rat_memcached and the replies must be byte-identical. One server of each for the
module; every case works on keys of its own (K is replaced by a per-case prefix)."""

import socket
import time

import pytest

from conftest import read_until_idle, start_memcached, start_rat

# Ends every exchange; not "mn", which the cases use themselves (and memcached flushes
# its replies at every mn, so a reader waiting for "MN" could stop early).
SENTINEL = b"version\r\n"
SENTINEL_REPLY = b"VERSION 1.6.18\r\n"
LONG_OPAQUE = b"O" + b"1" * 32

CASES = {
    "noop": b"mn\r\nmn extra words\r\n",
    "too_few_tokens": b"mg\r\nms\r\nmd\r\nma\r\nmz K\r\n",
    "miss": b"mg K\r\nmg K v\r\nmg K k O123\r\nmg K v k O1 q\r\n",
    "set_get_flags": b"ms K 3 T0 F5 c k O9\r\nbar\r\nmg K s v f t k O1 c\r\nmg K\r\n",
    "ttl": b"ms K 3 T100\r\nbar\r\nmg K t v\r\nmg K T0 t\r\nmg K t\r\nmg K T-1\r\nmg K\r\n",
    "value_line_formats": b"ms K\r\nms K abc\r\nbar\r\nms K -1\r\nms K 2147483646\r\n",
    "modes": b"ms K 3 ME\r\nbar\r\nms K 3 ME\r\nbaz\r\nmg K v\r\nms K2 3 MR\r\nbar\r\n"
    b"ms K 1 MA\r\nX\r\nms K 1 MP\r\nY\r\nmg K v\r\nms K 1 MS\r\nZ\r\nmg K v\r\n",
    "bad_modes_swallow_data": b"ms K 3 MZ\r\nbar\r\nms K 3 Mxx\r\nbar\r\nms K 3 Ms\r\nbar\r\n",
    "cas": b"ms K 3 c\r\nbar\r\nms K 3 C1 c\r\nbaz\r\nms K2 3 C1 c\r\nbaz\r\nms K 1 ME c C5\r\nx\r\n",
    "quiet_set": b"ms K 3 q\r\nbar\r\nms K 3 q ME\r\nbaz\r\nms K2 3 q MR k\r\nbaz\r\n",
    "bad_data_chunk": b"ms K 3\r\nbarX\r\nmg K v\r\n",
    "flag_errors": b"ms K 3 x\r\nbar\r\nms K 3 k k\r\nbar\r\nmg K z\r\nmg K v v\r\nmg K Tabc\r\n"
    b"mg K T\r\nmg K Mxx\r\nmg K Fabc\r\nmg K Jabc\r\nmg K Dabc\r\nmg K Cabc\r\nmg K \x80\r\n",
    "long_opaque": b"ms K 3 " + LONG_OPAQUE + b"\r\nbar\r\nmg K " + LONG_OPAQUE + b"\r\nmd K " + LONG_OPAQUE + b"\r\n",
    "too_many_flags": b"mg K b c d e f g h i j k l m n o p q r s t u\r\n"
    b"ms K 1 a b c d e f g h i j k l m n o p q r\r\n1\r\nmd K a b c d e f g h i j k l m n o p q r s\r\n",
    "delete": b"md K\r\nms K 3\r\nbar\r\nmd K q k O5\r\nmd K k O5\r\nmd K q\r\nmd K z\r\nmg K v\r\n",
    "arithmetic": b"ma K\r\nma K N0 J10\r\nma K v\r\nma K MD D3 v\r\nma K M- D100 v k O7\r\n"
    b"ma K MI D5 q\r\nma K M+ v\r\nma K Mx\r\nma K Dabc\r\nma K N0 J5 v q\r\n",
    "arithmetic_non_numeric": b"ms K 3\r\nabc\r\nma K\r\nma K v\r\n",
    "arithmetic_wraps": b"ms K 20\r\n18446744073709551615\r\nma K v\r\nma K MD D5 v\r\n",
    "base64_keys": b"ms Zm9v 3 b k\r\nbar\r\nmg Zm9v b v k\r\nmg foo v\r\nmg Zm9 b\r\nmd Zm9v b k\r\nmg foo v\r\n",
    "arithmetic_ttl_and_cas": b"ms K 1\r\n5\r\nma K t v T100 t\r\nma K C1 v\r\nma K2 N100 J7 t v\r\n"
    b"ma K2 t v\r\nma K3 t N50 J7 v\r\nma K4 N0 J1 T30 t v\r\n",
    "delete_cas_mismatch": b"ms K 1\r\nx\r\nmd K C1 k O1\r\nmd K C1 q\r\nmd K q\r\nmd K\r\n",
    "ignored_invalidate": b"ms K 1 I\r\nx\r\nmg K v\r\nma K I\r\n",
    "vivify": b"mg K N30 v c t s k\r\nmg K N30 v t\r\nmg K v\r\nmg K2 N30 q\r\nmg K2 v\r\n"
    b"mg K3 N30 T60 t\r\nmg K3 t\r\n",
    "recache": b"ms K 1 T10\r\nx\r\nmg K R30 v\r\nmg K R30 v\r\nmg K R5 v\r\nms K2 1 T0\r\nx\r\nmg K2 R30 v\r\n",
    "invalidate": b"ms K 1\r\nx\r\nmd K I\r\nmg K v\r\nmg K v\r\nms K 1\r\ny\r\nmg K v\r\n"
    b"ms K2 1\r\nx\r\nmd K2 I T30 q\r\nmg K2 t v\r\nmd K2 I C1\r\n",
    "hit_and_last_access": b"ms K 1\r\nx\r\nmg K h\r\nmg K h l\r\nmg K h u\r\nmg K u h\r\n"
    b"ms K2 1\r\nx\r\nmg K2 u\r\nmg K2 h\r\n",
    "debug": b"me K\r\nme\r\nms K 1 T100 F3\r\nx\r\nme K\r\nmg K v\r\nme K\r\n"
    + b"".join(b"ms K%d %d\r\n%s\r\nme K%d\r\n" % (n, n, b"y" * n, n) for n in (10, 200, 1000, 5000, 30000)),
    "stale_store": b"ms K 1 T100\r\nx\r\nms K 1 C1 I c\r\ny\r\nmg K v t\r\nmg K v\r\n"
    b"ms K2 1\r\nx\r\nmg K2 N30 v\r\nmd K2 I\r\nmg K2 v\r\nms K2 1 C1 I\r\nn\r\nmg K2 v\r\n"
    b"ms K3 1\r\nx\r\nms K3 1 C1 I q\r\ny\r\nmg K3 v\r\nms K4 1 C1 I\r\nx\r\n",
    "quiet_vivify_and_cas_zero": b"ma K N50 q\r\nma K q\r\nms K2 1\r\nx\r\nmd K2 C0\r\nmd K2 C0 I\r\n"
    b"md K3 C0\r\nmg K2 v\r\nms K4 3\r\nabc\r\nma K4 C99\r\nma K4 C0 v\r\n",
    "large_value": b"ms K 20000 T0\r\n" + b"x" * 20000 + b"\r\nmg K v s\r\n",
}


def localize(data, name):
    return data.replace(b"K", b"meta_" + name.encode())


@pytest.fixture(scope="module")
def servers():
    mc = start_memcached()
    rat = start_rat()
    yield mc, rat
    mc.stop()
    rat.stop()


def exchange(server, data):
    with server.connect() as s:
        s.sendall(data + SENTINEL)
        reply, _ = read_until_idle(s, idle=0.5, timeout=10, until=SENTINEL_REPLY)
    return reply


@pytest.mark.parametrize("name", sorted(CASES))
def test_same_replies_as_memcached(servers, name):
    mc, rat = servers
    data = localize(CASES[name], name)
    expected = exchange(mc, data)
    assert exchange(rat, data) == expected


def test_byte_by_byte_input(servers):
    """A client that sends one byte per packet gets the same replies."""
    mc, rat = servers
    data = localize(CASES["set_get_flags"] + CASES["arithmetic"] + CASES["delete"], "bytewise")
    expected = exchange(mc, data)
    with rat.connect() as s:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for i in range(len(data)):
            s.sendall(data[i:i + 1])
            time.sleep(0.0005)
        s.sendall(SENTINEL)
        reply, _ = read_until_idle(s, idle=0.5, timeout=20, until=SENTINEL_REPLY)
    assert reply == expected


def test_quiet_gets_with_noop_barrier(servers):
    """The pipelining pattern meta clients use: quiet gets, then mn."""
    mc, rat = servers
    data = b"ms qa 1\r\na\r\nms qc 1\r\nc\r\nmg qa v q k\r\nmg qb v q k\r\nmg qc v q k\r\n"
    assert exchange(rat, data) == exchange(mc, data)
    assert exchange(rat, data + b"mn\r\n").endswith(b"VA 1 kqc\r\nc\r\nMN\r\n" + SENTINEL_REPLY)


def test_cas_guarded_delete_and_arithmetic_on_fresh_servers():
    """CAS uniques agree on freshly started servers, so matching CAS values are exercised
    too: md and ma with C succeed on the current CAS and answer EX on another."""
    data = (b"ms d 1\r\nx\r\nmg d c\r\nmd d C1 k\r\nmd d C2 k\r\nmg d c\r\n"
            b"ms s 1\r\nx\r\nmd s I C9\r\nmd s I C2\r\nmg s c v\r\n"
            b"ms a 1\r\nx\r\nms a 1 MA C4 c\r\ny\r\nms a 1 MA C4 c\r\nz\r\nms a 1 MP C5 c\r\nw\r\nmg a v\r\n"
            b"ms n 1\r\n5\r\nmg n c\r\nma n C7 c v\r\nma n C7 c v\r\nma n C8 c v\r\nmg n v c\r\n"
            b"ms t 1 T100\r\nx\r\nms t 1 C1 I c\r\ny\r\nms t 1 C99 I\r\nz\r\nmg t v c t\r\n")
    replies = []
    for start in (start_memcached, start_rat):
        server = start()
        try:
            replies.append(exchange(server, data))
        finally:
            server.stop()
    assert replies[1] == replies[0]
    for expected in (b"HD kd", b"VA 1 c3 X W", b"HD c5", b"EX c0", b"HD c6", b"VA 3\r\nwxy",
                     b"VA 1 c8\r\n6", b"EX\r\nVA 1 c9", b"HD c11", b"VA 1 c11 t100 X W\r\ny"):
        assert expected in replies[0], (expected, replies[0])
