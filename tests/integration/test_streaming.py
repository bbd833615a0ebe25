"""The seed's streaming extension (docs/protocol.md) on the real server with its
persistent tier: streaming_get of values kept in L2, chunked uploads that are invisible
until set_end, limits, abandoned uploads, a slow reader that must not hold up anyone
else, and the demo client of demo/."""

import hashlib
import os
import subprocess
import sys
import time

import pytest

from conftest import HERE, read_until_idle, start_rat

DEMO = os.path.join(HERE, "..", "..", "demo", "streaming_demo.py")
sys.path.insert(0, os.path.dirname(DEMO))
from streaming_demo import Connection as Reader  # noqa: E402  (buffered line/block reads)


def stream_get(sock, key, chunk=None):
    """(total announced, chunk sizes, the bytes) of a streaming_get."""
    reader = Reader(sock)
    sock.sendall(b"sget %s%s\r\n" % (key, b" %d" % chunk if chunk else b""))
    begin = reader.line().split()
    assert begin[:2] == [b"STREAM_BEGIN", key], begin
    total, count = int(begin[2]), int(begin[3])
    sizes, data = [], bytearray()
    for number in range(count):
        header = reader.line().split()
        assert header[:3] == [b"STREAM_DATA", key, b"%d" % number], header
        piece = reader.block(int(header[3]))
        sizes.append(len(piece))
        data += piece
    assert reader.line() == b"STREAM_END " + key
    return total, sizes, bytes(data)


def command(sock, data, until=b"\r\n"):
    sock.sendall(data)
    reply, _ = read_until_idle(sock, idle=2.0, timeout=30, until=until)
    return reply


def stat(server, name):
    with server.connect() as s:
        reply = command(s, b"stats\r\n", until=b"END\r\n")
    for line in reply.split(b"\r\n"):
        parts = line.split(b" ")
        if len(parts) == 3 and parts[1] == name.encode():
            return int(parts[2])
    raise KeyError(name)


@pytest.fixture(scope="module")
def server():
    s = start_rat("-t", "1")  # one worker: every connection shares its event loop
    yield s
    s.stop()


def test_streaming_get_of_a_large_value_kept_in_l2(server):
    value = os.urandom(20 << 20)
    with server.connect(timeout=30) as s:
        assert command(s, b"set big20 5 0 %d\r\n" % len(value) + value + b"\r\n") == b"STORED\r\n"
        total, sizes, data = stream_get(s, b"big20", 1 << 20)
    assert total == len(value) and data == value
    assert sizes == [1 << 20] * 20
    assert stat(server, "l2_direct_stores") >= 1  # it went straight to the persistent tier


def test_chunked_upload_is_invisible_until_set_end(server):
    value = os.urandom(30 << 20)
    chunk = 1 << 20
    with server.connect(timeout=30) as s, server.connect(timeout=30) as other:
        assert command(other, b"set up30 0 0 3\r\nold\r\n") == b"STORED\r\n"
        assert command(s, b"set_begin up30 %d 30 42 0\r\n" % len(value)) == b"OK\r\n"
        for number in range(30):
            piece = value[number * chunk:(number + 1) * chunk]
            assert command(s, b"set_data up30 %d %d\r\n" % (number, len(piece)) + piece + b"\r\n") == b"OK\r\n"
            if number == 15:  # halfway: readers still see the old value
                assert command(other, b"get up30\r\n", until=b"END\r\n") == b"VALUE up30 0 3\r\nold\r\nEND\r\n"
        assert command(s, b"set_end up30\r\n") == b"STORED\r\n"
        other.sendall(b"get up30\r\n")
        reader = Reader(other)
        assert reader.line() == b"VALUE up30 42 %d" % len(value)
        assert reader.block(len(value)) == value
        assert reader.line() == b"END"
    assert stat(server, "stream_upload_bytes") == 0


def test_a_slow_reader_holds_up_no_one(server):
    value = os.urandom(64 << 20)
    with server.connect(timeout=60) as s:
        assert command(s, b"set slow 0 0 %d\r\n" % len(value) + value + b"\r\n") == b"STORED\r\n"
    sget_reader = server.connect(timeout=60)
    get_reader = server.connect(timeout=60)
    binary_reader = server.connect(timeout=60)
    try:
        # Three clients ask for 64 MiB and read nothing: their replies wait in the server.
        sget_reader.sendall(b"sget slow 65536\r\n")
        get_reader.sendall(b"get slow\r\n")
        key = b"slow"
        binary_reader.sendall(bytes([0x80, 0x00, 0, len(key), 0, 0, 0, 0, 0, 0, 0, len(key)]) +
                              b"\x00" * 12 + key)
        time.sleep(0.5)
        # Meanwhile another client on the same (single) worker is served.
        for i in range(20):
            with server.connect(timeout=10) as s:
                assert command(s, b"set live%d 0 0 2\r\nok\r\nget live%d\r\n" % (i, i),
                               until=b"END\r\n") == b"STORED\r\nVALUE live%d 0 2\r\nok\r\nEND\r\n" % i
        # And the slow readers still get every byte once they read.
        total, _, data = stream_rest(sget_reader, b"slow")
        assert total == len(value) and hashlib.sha256(data).digest() == hashlib.sha256(value).digest()
        reader = Reader(get_reader)
        assert reader.line() == b"VALUE slow 0 %d" % len(value)
        assert reader.block(len(value)) == value
    finally:
        sget_reader.close()
        get_reader.close()
        binary_reader.close()


def stream_rest(sock, key):
    """Reads a streaming_get reply already asked for."""
    reader = Reader(sock)
    begin = reader.line().split()
    total, count = int(begin[2]), int(begin[3])
    data = bytearray()
    for _ in range(count):
        header = reader.line().split()
        data += reader.block(int(header[3]))
    assert reader.line() == b"STREAM_END " + key
    return total, count, bytes(data)


def test_abandoned_uploads_give_their_memory_back(server):
    s = server.connect(timeout=30)
    assert command(s, b"set_begin gone 10000000 2 0\r\n") == b"OK\r\n"
    s.sendall(b"set_data gone 0 5000000\r\n" + b"x" * 1000000)
    time.sleep(0.2)
    assert stat(server, "stream_upload_bytes") == 10000000
    s.close()
    deadline = time.time() + 10
    while stat(server, "stream_upload_bytes") != 0 and time.time() < deadline:
        time.sleep(0.05)
    assert stat(server, "stream_upload_bytes") == 0
    with server.connect() as other:
        assert command(other, b"get gone\r\n", until=b"END\r\n") == b"END\r\n"


def test_limits_and_errors(server):
    with server.connect(timeout=30) as s:
        assert command(s, b"sget nothing_here\r\n") == b"STREAM_ERROR nothing_here not found\r\n"
        assert command(s, b"sget k 0\r\n") == b"CLIENT_ERROR chunk_size must be between 1 and 67108864\r\n"
        assert command(s, b"streaming_get k 999999999\r\n").startswith(b"CLIENT_ERROR chunk_size")
        assert command(s, b"set_begin toolarge %d 1 0\r\n" % (1 << 30)) == \
            b"SERVER_ERROR object too large for cache\r\n"
        for i in range(4):
            assert command(s, b"set_begin many%d 100 1 0\r\n" % i) == b"OK\r\n"
        assert command(s, b"set_begin many4 100 1 0\r\n") == \
            b"SERVER_ERROR too many uploads in progress on this connection\r\n"
        assert command(s, b"set_end nope\r\n") == b"CLIENT_ERROR no upload in progress for this key\r\n"
        assert command(s, b"set_end many0\r\n").startswith(b"CLIENT_ERROR incomplete upload: 0 of 100")
        # The connection still works normally.
        assert command(s, b"set fine 0 0 1\r\nx\r\nget fine\r\n", until=b"END\r\n") == \
            b"STORED\r\nVALUE fine 0 1\r\nx\r\nEND\r\n"


def test_upload_then_restart_keeps_the_value(tmp_path):
    value = os.urandom(3 << 20)
    rat = start_rat(data_dir=str(tmp_path))
    try:
        with rat.connect(timeout=30) as s:
            assert command(s, b"set_begin kept %d 3 9 0\r\n" % len(value)) == b"OK\r\n"
            for n in range(3):
                piece = value[n << 20:(n + 1) << 20]
                assert command(s, b"set_data kept %d %d\r\n" % (n, len(piece)) + piece + b"\r\n") == b"OK\r\n"
            assert command(s, b"set_end kept\r\n") == b"STORED\r\n"
    finally:
        assert rat.stop() == 0
    rat = start_rat(data_dir=str(tmp_path))
    try:
        with rat.connect(timeout=30) as s:
            total, _, data = stream_get(s, b"kept", 1 << 19)
            assert data == value
    finally:
        rat.stop()


def test_demo_client_streams_100_mib(server):
    result = subprocess.run([sys.executable, DEMO, "--port", str(server.port), "--size", "100m"],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "OK: streamed bytes match" in result.stdout
    assert "100.0%" in result.stderr  # the progress display reached the end
