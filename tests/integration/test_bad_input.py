"""Bad input of every kind: the server answers as memcached does or closes the
connection, and never crashes, hangs, leaks or damages another client's data."""

import os
import random
import socket
import threading
import time

import pytest

from conftest import SANITIZED, read_until_idle, start_rat

CANARY = b"canary-value-" + bytes(range(32, 127))


@pytest.fixture(scope="module")
def server():
    s = start_rat("-m", "64", "-t", "2")
    with s.connect() as c:
        c.sendall(b"set canary 7 0 %d\r\n%s\r\n" % (len(CANARY), CANARY))
        assert read_until_idle(c, until=b"\r\n")[0] == b"STORED\r\n"
    yield s
    s.stop()


def assert_healthy(server):
    """The process lives, answers a fresh client, and the canary is intact."""
    assert server.alive()
    with server.connect() as c:
        c.sendall(b"get canary\r\n")
        reply, _ = read_until_idle(c, until=b"END\r\n")
    assert reply == b"VALUE canary 7 %d\r\n%s\r\nEND\r\n" % (len(CANARY), CANARY)


def send_and_close(server, data, read=True):
    with server.connect() as c:
        try:
            c.sendall(data)
            if read:
                read_until_idle(c, idle=0.2)
        except OSError:
            pass


def test_random_garbage_on_many_connections(server):
    rng = random.Random(42)
    for _ in range(200):
        data = bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 4000)))
        send_and_close(server, data, read=False)
    assert_healthy(server)


def test_binary_magic_byte_then_junk(server):
    send_and_close(server, b"\x80\x00\x00\x05" + os.urandom(100))
    assert_healthy(server)


def test_huge_line_without_newline_is_closed(server):
    with server.connect() as c:
        try:
            c.sendall(b"x" * (4 << 20))
        except OSError:
            pass
        _, closed = read_until_idle(c, idle=1.0)
        assert closed
    assert_healthy(server)


def test_huge_get_line_is_served(server):
    keys = [b"%0250d" % i for i in range(10000)]
    with server.connect(timeout=20) as c:
        c.sendall(b"set %s 0 0 2\r\nhi\r\n" % keys[1234])
        assert read_until_idle(c, until=b"\r\n")[0] == b"STORED\r\n"
        c.sendall(b"get " + b" ".join(keys) + b"\r\n")
        reply, _ = read_until_idle(c, timeout=20, until=b"END\r\n")
    assert reply == b"VALUE %s 0 2\r\nhi\r\nEND\r\n" % keys[1234]
    assert_healthy(server)


@pytest.mark.parametrize("line", [
    b"set k 0 0 -5\r\n", b"set k 0 0 99999999999\r\n", b"set k 0 0 2147483646\r\n",
    b"set k 4294967296999 0 1\r\nx\r\n", b"get " + b"k" * 5000 + b"\r\n", b"incr k 99999999999999999999999\r\n",
    b"\x00\x01\x02\r\n", b"set \xff\xfe 0 0 1\r\n1\r\n", b"delete \r\n", b"gets \r\n\r\n\r\n",
])
def test_absurd_commands(server, line):
    send_and_close(server, line)
    assert_healthy(server)


def test_half_written_value_then_disconnect_stores_nothing(server):
    with server.connect() as c:
        c.sendall(b"set half 0 0 100000\r\n" + b"x" * 50000)
    with server.connect() as c:
        c.sendall(b"get half\r\n")
        assert read_until_idle(c, until=b"END\r\n")[0] == b"END\r\n"
    assert_healthy(server)


def test_disconnect_while_receiving_large_replies(server):
    value = b"v" * 500000
    with server.connect() as c:
        c.sendall(b"set big 0 0 %d\r\n%s\r\n" % (len(value), value))
        assert read_until_idle(c, until=b"\r\n")[0] == b"STORED\r\n"
    for _ in range(20):
        c = server.connect()
        c.sendall(b"get big big big big\r\n" * 10)
        c.recv(1000)
        c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        c.close()  # reset while the server is still sending
    assert_healthy(server)


def test_client_that_never_reads_cannot_grow_server_memory(server):
    value = b"w" * 1000000
    with server.connect() as c:
        c.sendall(b"set huge 0 0 %d\r\n%s\r\n" % (len(value), value))
        assert read_until_idle(c, until=b"\r\n")[0] == b"STORED\r\n"
    before = server.rss_kib()
    hog = server.connect()
    hog.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    request = b"get huge\r\n" * 1000  # asks for 1 GB of replies
    stop = threading.Event()

    def flood():
        try:
            while not stop.is_set():
                hog.sendall(request)
        except OSError:
            pass

    thread = threading.Thread(target=flood, daemon=True)
    thread.start()
    time.sleep(2.0)
    # Another client is still served promptly while the hog is stalled.
    started = time.time()
    assert_healthy(server)
    assert time.time() - started < 2.0
    grown_mib = (server.rss_kib() - before) / 1024
    stop.set()
    hog.close()
    thread.join(timeout=5)
    assert grown_mib < 64, f"RSS grew by {grown_mib:.1f} MiB for a client that never reads"
    assert_healthy(server)


def test_repeated_abuse_does_not_leak(server):
    rng = random.Random(7)
    abuse = [b"set a 0 0 10\r\nshort", b"x" * 3000, b"get " + b"k " * 3000, b"set b 0 0 3\r\nabcdef\r\n",
             b"\x80" * 100, b"incr\r\n" * 100, b"set c 0 0 2000000\r\n" + b"z" * 100000]

    def round_of_abuse(n):
        for _ in range(n):
            send_and_close(server, rng.choice(abuse), read=False)

    # A leak grows with every round; what the allocator keeps for reuse does not. So the
    # growth is measured over a second round, after a first that fills those caches.
    round_of_abuse(1500)
    time.sleep(0.5)
    before = server.rss_kib()
    round_of_abuse(1500)
    time.sleep(0.5)
    grown_mib = (server.rss_kib() - before) / 1024
    # Sanitized builds: ThreadSanitizer's allocator and shadow (and ASan's quarantine)
    # grow on their own (10.7 MiB here once under TSan); there LeakSanitizer (test-asan,
    # detect_leaks=1) is the leak check, at the server's exit.
    if not SANITIZED:
        assert grown_mib < 8, f"RSS grew by {grown_mib:.1f} MiB over 1500 more abusive connections"
    assert_healthy(server)
