"""Limits that hold under abuse: memcached's -o idle_timeout (compared with the real
memcached), -o parsing, 10,000 concurrent clients (the open-file limit raised at start),
and the warning when the limit cannot be raised."""

import os
import resource
import socket
import subprocess
import time

import pytest

from conftest import RMC_BINARY, free_port, read_until_idle, start_memcached, start_rat, stats_of


def ask(sock, data, until=b"\r\n"):
    sock.sendall(data)
    return read_until_idle(sock, until=until)[0]


def test_idle_timeout_closes_idle_connections_as_memcached_does():
    servers = [start_rat("--no-l2", "-o", "idle_timeout=2"), start_memcached("-o", "idle_timeout=2")]
    try:
        idle_replies = []
        for server in servers:
            idle = server.connect(timeout=10)
            ask(idle, b"version\r\n")
            partial = server.connect(timeout=10)
            partial.sendall(b"get fo")  # half a command line
            active = server.connect(timeout=10)
            deadline = time.time() + 5
            while time.time() < deadline:
                assert ask(active, b"version\r\n").startswith(b"VERSION ")
                time.sleep(0.5)
            for sock in (idle, partial):
                reply, closed = read_until_idle(sock, idle=2.0, timeout=3.0)
                idle_replies.append((reply, closed))
                sock.close()
            figures = stats_of(server)
            assert figures["idle_kicks"] == "2", server.name
            assert stats_of(server, b"settings")["idle_timeout"] == "2"
            active.close()
        # Closed with nothing said, by both servers.
        assert idle_replies == [(b"", True)] * 4
    finally:
        for server in servers:
            server.stop()


def test_no_idle_timeout_by_default():
    rat = start_rat("--no-l2")
    try:
        assert "idle_kicks" not in stats_of(rat)
        assert stats_of(rat, b"settings")["idle_timeout"] == "0"
    finally:
        rat.stop()


def test_a_client_that_stops_reading_is_closed_by_the_idle_timeout():
    rat = start_rat("--no-l2", "-o", "idle_timeout=1")
    try:
        with rat.connect() as c:
            assert ask(c, b"set big 0 0 500000\r\n" + b"x" * 500000 + b"\r\n") == b"STORED\r\n"
        stuck = rat.connect()
        stuck.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        stuck.sendall(b"get big\r\n" * 50)  # 25 MB of replies it never reads
        time.sleep(4)
        assert int(stats_of(rat)["idle_kicks"]) == 1
        stuck.close()
    finally:
        rat.stop()


@pytest.mark.parametrize("option, fragment", [
    ("bogus=5", 'Illegal suboption "bogus=5"'),
    ("idle_timeout=abc", "idle_timeout"),
    ("ext_path=/tmp/x:64m", "--data-dir"),
])
def test_bad_extended_options_exit_2_naming_them(option, fragment):
    result = subprocess.run([RMC_BINARY, "--no-l2", "-p", str(free_port()), "-o", option],
                            capture_output=True, text=True, timeout=10)
    assert result.returncode == 2
    assert fragment in result.stderr


def test_memcached_tuning_options_are_accepted_and_logged():
    rat = start_rat("--no-l2", "-o", "modern,slab_reassign,slab_automove=1,hashpower=20,lru_crawler")
    try:
        with rat.connect() as c:
            assert ask(c, b"version\r\n").startswith(b"VERSION ")
    finally:
        rat.stop()
    assert "-o slab_reassign: memcached's tuning option, accepted" in rat.stderr_text


def test_ten_thousand_concurrent_clients_are_served():
    clients_wanted = 10000
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < clients_wanted + 200:
        resource.setrlimit(resource.RLIMIT_NOFILE, (max(hard, clients_wanted + 200), max(hard, clients_wanted + 200)))
    rat = start_rat("--no-l2", "-c", str(clients_wanted + 100), "-t", "2")
    clients = []
    try:
        with rat.connect() as c:
            assert ask(c, b"set shared 0 0 2\r\nok\r\n") == b"STORED\r\n"
        for i in range(clients_wanted):
            clients.append(socket.create_connection(("127.0.0.1", rat.port), timeout=30))
        for c in clients:
            c.sendall(b"get shared\r\n")
        expected = b"VALUE shared 0 2\r\nok\r\nEND\r\n"
        for c in clients:
            data = b""
            while len(data) < len(expected):
                chunk = c.recv(100)
                assert chunk, "closed"
                data += chunk
            assert data == expected
        assert int(stats_of(rat)["curr_connections"]) >= clients_wanted
        assert stats_of(rat)["rejected_connections"] == "0"
    finally:
        for c in clients:
            c.close()
        rat.stop()


def test_an_open_file_limit_that_cannot_be_raised_is_logged():
    port = free_port()
    # An unprivileged server whose hard limit is 256 cannot take -c 5000.
    argv = ["prlimit", "--nofile=256:256", "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
            RMC_BINARY, "--no-l2", "-l", "127.0.0.1", "-p", str(port), "-c", "5000"]
    # The unprivileged server may not be able to read a sanitizer's suppressions file in
    # the build tree; it uses no persistent tier, whose libraries are what they cover.
    env = dict(os.environ)
    for name in ("TSAN_OPTIONS", "ASAN_OPTIONS"):
        if name in env:
            env[name] = ":".join(o for o in env[name].split(":") if not o.startswith("suppressions="))
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    try:
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.05)
    finally:
        process.terminate()
        _, err = process.communicate(timeout=10)
    assert "open file limit is 256 (wanted 5064): fewer than -c 5000 connections may fit" in err.decode()


def flood_sets(port, seconds, seed, blob):
    """Pipelined sets of random keys with heavy-tailed sizes (most small, some up to
    500 KB) on one connection for `seconds`."""
    import random
    rng = random.Random(seed)
    stop = time.time() + seconds
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        while time.time() < stop:
            batch = []
            for _ in range(20):
                size = int(rng.paretovariate(1.2) * 200) % 500000
                batch.append(b"set r%d 0 0 %d noreply\r\n%s\r\n" % (rng.randint(0, 10 ** 6), size, blob[:size]))
            s.sendall(b"".join(batch))
        assert ask(s, b"version\r\n").startswith(b"VERSION ")


def test_rss_stays_within_m_plus_fixed_overhead_under_a_set_flood():
    import os
    import threading
    from conftest import SANITIZED
    if SANITIZED:
        pytest.skip("sanitizers keep freed memory in quarantine: RSS says nothing here")
    limit_mib = 32
    rat = start_rat("--no-l2", "-m", str(limit_mib))
    try:
        start_kib = rat.rss_kib()
        blob = os.urandom(500000)
        peaks = []
        for phase in range(2):
            threads = [threading.Thread(target=flood_sets, args=(rat.port, 5, phase * 100 + i, blob)) for i in range(8)]
            for t in threads:
                t.start()
            peak = 0
            while any(t.is_alive() for t in threads):
                peak = max(peak, rat.rss_kib())
                time.sleep(0.05)
            peaks.append(peak)
        figures = stats_of(rat)
        assert int(figures["evictions"]) > 10000
        assert int(figures["bytes"]) <= limit_mib << 20
        # The documented bound (docs/security.md): start + -m + 64 MiB for connection
        # buffers and allocator slack; and a second flood as large as the first does not
        # grow the process further.
        assert peaks[1] <= start_kib + (limit_mib + 64) * 1024, (start_kib, peaks)
        assert peaks[1] <= peaks[0] * 1.15 + 8 * 1024, peaks
    finally:
        rat.stop()
