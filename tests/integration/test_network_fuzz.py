"""Network-level fuzzing: many connections send mutated and random requests (valid
commands with corrupted lengths, flags and keys, truncated data blocks, meta commands
with random flags, random binary frames, random bytes, abrupt resets) for a bounded time,
while a checker client keeps storing and reading its own keys. The server must keep
answering, the checker's keys must stay exactly right, and no sanitizer may complain.
RMC_NETFUZZ_SECONDS sets the duration (default 15); the seed is printed on failure."""

import os
import random
import socket
import struct
import threading
import time

from conftest import read_until_idle, start_rat, stats_of

SECONDS = float(os.environ.get("RMC_NETFUZZ_SECONDS", "15"))
ABUSERS = 12

WORDS = [b"get", b"gets", b"gat", b"gats", b"set", b"add", b"replace", b"append", b"prepend", b"cas",
         b"incr", b"decr", b"delete", b"touch", b"mg", b"ms", b"md", b"ma", b"mn", b"me", b"stats",
         b"version", b"verbosity", b"set_begin", b"set_data", b"set_end", b"streaming_get", b"sget",
         b"noreply", b"quit", b"slabs", b"lru_crawler", b"watch", b"refresh_certs"]
META_FLAGS = [b"v", b"f", b"t", b"c", b"s", b"k", b"h", b"l", b"q", b"u", b"b", b"O1", b"T10", b"N5",
              b"R3", b"I", b"C99", b"MA", b"MP", b"MS", b"D7", b"J3", b"F5", b"S3", b"E123", b"T-1", b"Mz"]
# Binary opcodes without flush (0x08, 0x18): it would legitimately empty the checker's keys.
OPCODES = [op for op in range(0x00, 0x30) if op not in (0x08, 0x18)] + [0x50, 0xFF]


def random_number(rng):
    return rng.choice([b"0", b"1", b"-1", b"4294967295", b"4294967296", b"18446744073709551616",
                       b"99999999999999999999", b"abc", b"", b"1e3", b"0x10", str(rng.randint(0, 5000)).encode()])


def random_key(rng):
    return rng.choice([b"f%d" % rng.randint(0, 50), b"k" * rng.choice([1, 250, 251, 300]),
                       bytes(rng.randint(0, 255) for _ in range(rng.randint(1, 8))), b""])


def text_request(rng):
    kind = rng.random()
    if kind < 0.35:  # storage with a data block whose length may lie
        size = rng.randint(0, 3000)
        declared = rng.choice([size, size + 1, max(0, size - 1), rng.randint(0, 10 ** 6)])
        line = b"%s %s %s %s %d" % (rng.choice([b"set", b"add", b"append", b"prepend", b"replace"]),
                                    random_key(rng), random_number(rng), random_number(rng), declared)
        if rng.random() < 0.2:
            line += b" noreply"
        return line + b"\r\n" + os.urandom(size)[:size] + rng.choice([b"\r\n", b"\n", b"", b"xx"])
    if kind < 0.55:
        flags = b" ".join(rng.choice(META_FLAGS) for _ in range(rng.randint(0, 8)))
        line = b"%s %s %s" % (rng.choice([b"mg", b"ms", b"md", b"ma", b"mn", b"me"]), random_key(rng), flags)
        if line.startswith(b"ms"):
            size = rng.randint(0, 500)
            line = b"ms %s %d %s\r\n%s" % (random_key(rng), size, flags, b"v" * size)
        return line + b"\r\n"
    if kind < 0.8:
        words = [rng.choice(WORDS)] + [rng.choice([random_key(rng), random_number(rng)])
                                       for _ in range(rng.randint(0, 6))]
        return b" ".join(words) + rng.choice([b"\r\n", b"\n", b"\r", b""])
    if kind < 0.9:
        return b"set_begin f1 0 0 %s %s\r\nset_data f1 %s %s\r\n%s\r\n" % (
            random_number(rng), random_number(rng), random_number(rng), random_number(rng), os.urandom(rng.randint(0, 64)))
    return os.urandom(rng.randint(1, 2000))


def binary_request(rng):
    key = random_key(rng)[:250]
    extras = os.urandom(rng.choice([0, 4, 8, 20, 21]))
    value = os.urandom(rng.randint(0, 2000))
    body = len(key) + len(extras) + len(value)
    body = rng.choice([body, body, body + rng.randint(1, 100), max(0, body - rng.randint(1, 10)), 0xFFFFFFFF])
    header = struct.pack(">BBHBBHIIQ", 0x80, rng.choice(OPCODES), rng.choice([len(key), 0, 0xFFFF]),
                         len(extras), rng.choice([0, 1]), 0, body, rng.randint(0, 2 ** 32 - 1), rng.randint(0, 5))
    return header + extras + key + value


def abuse(port, rng, deadline, errors):
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
                binary = rng.random() < 0.3
                for _ in range(rng.randint(1, 20)):
                    data = binary_request(rng) if binary else text_request(rng)
                    if rng.random() < 0.1:
                        data = data[:rng.randint(0, len(data))]  # truncated
                    s.sendall(data)
                s.settimeout(0.05)
                try:
                    while s.recv(65536):
                        pass
                except (socket.timeout, ConnectionError):
                    pass
                if rng.random() < 0.3:  # abrupt reset instead of a clean close
                    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except (ConnectionError, socket.timeout, BrokenPipeError):
            pass
        except OSError as error:
            errors.append(repr(error))
            return


def checker(server, deadline, problems):
    expected = {}
    version = 0
    with server.connect(timeout=10) as s:
        while time.time() < deadline:
            version += 1
            key = b"chk%d" % (version % 200)
            value = b"%d:" % version + b"x" * (version % 3000)
            s.sendall(b"set %s %d 0 %d\r\n%s\r\n" % (key, version % 65536, len(value), value))
            reply, _ = read_until_idle(s, until=b"\r\n", timeout=10)
            if reply != b"STORED\r\n":
                problems.append((key, reply[:100]))
                return
            expected[key] = (version % 65536, value)
            probe = b"chk%d" % random.randint(0, 199)
            if probe in expected:
                s.sendall(b"get %s\r\n" % probe)
                reply, _ = read_until_idle(s, until=b"END\r\n", timeout=10)
                flags, value = expected[probe]
                if reply != b"VALUE %s %d %d\r\n%s\r\nEND\r\n" % (probe, flags, len(value), value):
                    problems.append((probe, reply[:100]))
                    return
        for key, (flags, value) in expected.items():
            s.sendall(b"get %s\r\n" % key)
            reply, _ = read_until_idle(s, until=b"END\r\n", timeout=10)
            if reply != b"VALUE %s %d %d\r\n%s\r\nEND\r\n" % (key, flags, len(value), value):
                problems.append((key, reply[:100]))


def test_mutated_and_random_traffic_never_hurts_other_clients():
    seed = int(os.environ.get("RMC_NETFUZZ_SEED", str(int(time.time()))))
    rat = start_rat("-m", "64", "-c", "4096")
    deadline = time.time() + SECONDS
    errors, problems = [], []
    abusers = [threading.Thread(target=abuse, args=(rat.port, random.Random(seed + i), deadline, errors))
               for i in range(ABUSERS)]
    check = threading.Thread(target=checker, args=(rat, deadline, problems))
    try:
        for thread in abusers + [check]:
            thread.start()
        for thread in abusers + [check]:
            thread.join(timeout=SECONDS + 120)
        assert not problems, f"seed {seed}: checker saw {problems}"
        assert not errors, f"seed {seed}: {errors}"
        assert rat.alive(), f"seed {seed}: the server died"
        figures = stats_of(rat)
        assert int(figures["total_connections"]) > ABUSERS
        with rat.connect() as s:
            s.sendall(b"version\r\n")
            assert read_until_idle(s, until=b"\r\n")[0].startswith(b"VERSION ")
    finally:
        assert rat.stop() == 0, f"seed {seed}: exit status"
