#!/usr/bin/env python3
"""RatMemCache streaming extension demo: uploads a large value in chunks
(set_begin / set_data / set_end), streams it back (streaming_get), shows progress for
both, checks the bytes, and compares with a plain set/get of the same value.

    python3 demo/streaming_demo.py                     # 100 MB against 127.0.0.1:11211
    python3 demo/streaming_demo.py --size 20m --chunk 1m --port 22122

Only the Python standard library is needed. The protocol is described in
docs/protocol.md."""

import argparse
import hashlib
import os
import socket
import sys
import time


def parse_size(text):
    units = {"k": 1 << 10, "m": 1 << 20, "g": 1 << 30}
    text = text.strip().lower()
    if text and text[-1] in units:
        return int(text[:-1]) * units[text[-1]]
    return int(text)


class Connection:
    """A text-protocol connection with buffered line and block reads."""

    def __init__(self, sock):
        self.sock = sock
        self.buffer = bytearray()

    @classmethod
    def open(cls, host, port, timeout):
        return cls(socket.create_connection((host, port), timeout=timeout))

    def send(self, data):
        self.sock.sendall(data)

    def _fill(self):
        chunk = self.sock.recv(4 << 20)
        if not chunk:
            raise ConnectionError("server closed the connection")
        self.buffer += chunk

    def line(self):
        while True:
            end = self.buffer.find(b"\r\n")
            if end >= 0:
                line = bytes(self.buffer[:end])
                del self.buffer[:end + 2]
                return line
            self._fill()

    def block(self, length):
        """`length` bytes followed by \\r\\n."""
        while len(self.buffer) < length + 2:
            self._fill()
        data = bytes(self.buffer[:length])
        if self.buffer[length:length + 2] != b"\r\n":
            raise ValueError("data block not terminated by \\r\\n")
        del self.buffer[:length + 2]
        return data


class Progress:
    """A one-line progress display on stderr."""

    def __init__(self, label, total, quiet):
        self.label, self.total, self.quiet = label, total, quiet
        self.done = 0
        self.start = time.monotonic()
        self.last_draw = 0.0

    def advance(self, n):
        self.done += n
        now = time.monotonic()
        if not self.quiet and (now - self.last_draw > 0.1 or self.done >= self.total):
            self.last_draw = now
            fraction = self.done / self.total if self.total else 1.0
            bar = "#" * int(fraction * 30)
            rate = self.done / max(now - self.start, 1e-9) / (1 << 20)
            sys.stderr.write(f"\r{self.label:<10} [{bar:<30}] {fraction * 100:5.1f}%  "
                             f"{self.done >> 20}/{self.total >> 20} MiB  {rate:7.1f} MiB/s")
            sys.stderr.flush()

    def finish(self):
        if not self.quiet:
            sys.stderr.write("\n")
        return time.monotonic() - self.start


def upload(conn, key, value, chunk, quiet):
    count = max(1, (len(value) + chunk - 1) // chunk)
    conn.send(b"set_begin %s %d %d 0 0\r\n" % (key, len(value), count))
    reply = conn.line()
    if reply != b"OK":
        raise RuntimeError(f"set_begin: {reply.decode()}")
    progress = Progress("upload", len(value), quiet)
    view = memoryview(value)
    for number in range(count):
        piece = view[number * chunk:(number + 1) * chunk]
        conn.send(b"set_data %s %d %d\r\n" % (key, number, len(piece)))
        conn.send(piece)
        conn.send(b"\r\n")
        reply = conn.line()
        if reply != b"OK":
            raise RuntimeError(f"set_data {number}: {reply.decode()}")
        progress.advance(len(piece))
    conn.send(b"set_end %s\r\n" % key)
    reply = conn.line()
    if reply != b"STORED":
        raise RuntimeError(f"set_end: {reply.decode()}")
    return progress.finish()


def stream_get(conn, key, chunk, quiet):
    conn.send(b"streaming_get %s %d\r\n" % (key, chunk))
    header = conn.line().split()
    if header[0] != b"STREAM_BEGIN":
        raise RuntimeError(b" ".join(header).decode())
    total, count = int(header[2]), int(header[3])
    progress = Progress("download", total, quiet)
    digest = hashlib.sha256()
    for expected in range(count):
        line = conn.line().split()
        if line[0] != b"STREAM_DATA" or int(line[2]) != expected:
            raise RuntimeError(f"unexpected line {b' '.join(line)!r}")
        data = conn.block(int(line[3]))
        digest.update(data)
        progress.advance(len(data))
    end = conn.line()
    if end != b"STREAM_END " + key:
        raise RuntimeError(f"unexpected end {end!r}")
    return progress.finish(), total, digest.hexdigest()


def plain_set_get(conn, key, value):
    start = time.monotonic()
    conn.send(b"set %s 0 0 %d\r\n" % (key, len(value)))
    conn.send(value)
    conn.send(b"\r\n")
    if conn.line() != b"STORED":
        raise RuntimeError("plain set failed")
    set_seconds = time.monotonic() - start
    start = time.monotonic()
    conn.send(b"get %s\r\n" % key)
    header = conn.line().split()
    data = conn.block(int(header[3]))
    if conn.line() != b"END":
        raise RuntimeError("plain get: no END")
    return set_seconds, time.monotonic() - start, hashlib.sha256(data).hexdigest()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=11211)
    parser.add_argument("--size", default="100m", help="value size, k/m/g suffixes (default 100m)")
    parser.add_argument("--chunk", default="1m", help="chunk size (default 1m)")
    parser.add_argument("--key", default="streaming_demo")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    args = parser.parse_args(argv)

    size, chunk = parse_size(args.size), parse_size(args.chunk)
    key = args.key.encode()
    value = os.urandom(size)
    expected = hashlib.sha256(value).hexdigest()
    conn = Connection.open(args.host, args.port, timeout=120)

    upload_seconds = upload(conn, key, value, chunk, args.quiet)
    download_seconds, total, digest = stream_get(conn, key, chunk, args.quiet)
    if total != size or digest != expected:
        print(f"MISMATCH: got {total} bytes, sha256 {digest}, expected {size} bytes, {expected}")
        return 1
    set_seconds, get_seconds, plain_digest = plain_set_get(conn, key + b"_plain", value)
    if plain_digest != expected:
        print("MISMATCH in plain get")
        return 1
    mib = size / (1 << 20)
    print(f"value: {mib:.1f} MiB, sha256 {expected[:16]}..., chunk {chunk} bytes")
    print(f"chunked upload   {upload_seconds:7.3f} s  {mib / upload_seconds:8.1f} MiB/s")
    print(f"streaming_get    {download_seconds:7.3f} s  {mib / download_seconds:8.1f} MiB/s")
    print(f"plain set        {set_seconds:7.3f} s  {mib / set_seconds:8.1f} MiB/s")
    print(f"plain get        {get_seconds:7.3f} s  {mib / get_seconds:8.1f} MiB/s")
    print("OK: streamed bytes match")
    return 0


if __name__ == "__main__":
    sys.exit(main())
