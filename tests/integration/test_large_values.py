"""Large values through the real binary: with L2 on (the default) values above
performance.large_value_threshold go straight to RocksDB, values far above memcached's
1 MiB work out of the box, and a client that reads a large value slowly does not stall
the others."""

import hashlib
import shutil
import socket
import tempfile
import threading

from pymemcache.client.base import Client

from conftest import read_until_idle, start_rat

MB = 1 << 20


def big_value(size, seed):
    block = hashlib.sha256(seed.encode()).digest() * 2048  # 64 KiB
    return (block * (size // len(block) + 1))[:size]


def stats(server, command=b"stats"):
    with server.connect() as s:
        s.sendall(command + b"\r\n")
        text = read_until_idle(s, until=b"END\r\n")[0].decode()
    return {parts[1]: parts[2] for parts in (line.split() for line in text.splitlines())
            if len(parts) == 3 and parts[0] == "STAT"}


def test_64_mb_value_round_trip_and_restart():
    data_dir = tempfile.mkdtemp(prefix="rmc_large_")
    server = start_rat(data_dir=data_dir)
    try:
        value = big_value(64 * MB, "sixty-four")
        c = Client(("127.0.0.1", server.port), timeout=60)
        assert c.set("big", value, noreply=False)
        assert c.get("big") == value
        s = stats(server)
        assert int(s["l2_direct_stores"]) == 1
        assert int(s["curr_items"]) == 0  # it never occupied RAM
        assert int(stats(server, b"stats settings")["item_size_max"]) == 128 * MB  # the default when L2 takes large values
        c.close()
        assert server.stop() == 0  # graceful: a restart serves it again
        server = start_rat(data_dir=data_dir)
        c = Client(("127.0.0.1", server.port), timeout=60)
        assert c.get("big") == value
        c.close()
    finally:
        server.stop()
        shutil.rmtree(data_dir, ignore_errors=True)


def test_large_values_keep_memcached_semantics():
    server = start_rat("-m", "16")
    try:
        c = Client(("127.0.0.1", server.port), timeout=30)
        value = big_value(3 * MB, "semantics")
        assert c.set("k", value, flags=5, noreply=False)
        assert not c.add("k", b"x", noreply=False)
        assert c.append("k", b"tail", noreply=False)
        result, cas = c.gets("k")
        assert result == value + b"tail"
        assert not c.cas("k", b"other", int(cas) + 1, noreply=False)
        assert c.cas("k", value, cas, noreply=False)
        assert c.touch("k", 3600, noreply=False)
        assert c.get("k") == value
        assert c.delete("k", noreply=False)
        assert c.get("k") is None
        c.close()
    finally:
        server.stop()


def test_no_l2_keeps_memcacheds_limit():
    server = start_rat("--no-l2")
    try:
        with server.connect() as s:
            s.sendall(b"set k 0 0 2000000\r\n" + b"x" * 2000000 + b"\r\n")
            assert read_until_idle(s, until=b"\r\n")[0] == b"SERVER_ERROR object too large for cache\r\n"
    finally:
        server.stop()


def test_slow_reader_of_a_large_value_does_not_stall_others():
    # One worker thread: the slow reader and the busy client share its event loop.
    server = start_rat("-t", "1")
    try:
        value = big_value(32 * MB, "slow")
        c = Client(("127.0.0.1", server.port), timeout=60)
        assert c.set("big", value, noreply=False)
        slow = server.connect(timeout=60)
        slow.sendall(b"get big\r\n" * 4)  # 128 MB of replies that nobody reads yet
        done = threading.Event()
        errors = []

        def busy():
            try:
                other = Client(("127.0.0.1", server.port), timeout=30)
                for i in range(2000):
                    assert other.set(f"k{i}", b"v%d" % i, noreply=False)
                    assert other.get(f"k{i}") == b"v%d" % i
                other.close()
            except Exception as error:  # reported below
                errors.append(error)
            finally:
                done.set()

        thread = threading.Thread(target=busy)
        thread.start()
        # Not a timing test: 30 s only tells a stall (which would never finish) from a pass.
        assert done.wait(30), "other clients stalled behind a slow reader"
        thread.join()
        assert not errors, errors
        # The slow reader still gets every byte, in order.
        expected = (b"VALUE big 0 %d\r\n" % len(value) + value + b"\r\nEND\r\n") * 4
        received = bytearray()
        while len(received) < len(expected):
            chunk = slow.recv(1 << 20)
            assert chunk, "connection closed early"
            received += chunk
        assert bytes(received) == expected
        slow.close()
        c.close()
    finally:
        server.stop()
