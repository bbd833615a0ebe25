"""Process behaviour: flags and configuration (errors name the key and exit 2),
graceful stop on SIGTERM/SIGINT and on "shutdown" (-A), the connection limit (-c),
pid file, daemon mode, expiry sweeps and eviction under -m."""

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import pytest

from conftest import RMC_BINARY, free_port, read_until_idle, start_rat


def run_binary(*args, timeout=10):
    return subprocess.run([RMC_BINARY, *map(str, args)], capture_output=True, text=True, timeout=timeout)


def write_config(text):
    handle = tempfile.NamedTemporaryFile("w", suffix=".toml", delete=False)
    handle.write(text)
    handle.close()
    return handle.name


def stats(server):
    with server.connect() as c:
        c.sendall(b"stats\r\n")
        reply, _ = read_until_idle(c, until=b"END\r\n")
    result = {}
    for line in reply.decode().splitlines():
        if line.startswith("STAT "):
            _, name, value = line.split(" ", 2)
            result[name] = value
    return result


def test_help_and_version():
    assert run_binary("--help").returncode == 0
    assert "--max-item-size" in run_binary("-h").stdout
    version = run_binary("-V")
    assert version.returncode == 0 and version.stdout.startswith("rat_memcached ")


@pytest.mark.parametrize("args, fragment", [
    (["-t", "0"], "-t/--threads"),
    (["-m", "abc"], "-m/--memory-limit"),
    (["-I", "2x"], "-I/--max-item-size"),
    (["-I", "512"], "max_item_size"),
    (["-m", "1", "--no-l2"], "max_item_size"),
    (["-U", "11211"], "UDP"),
    (["-p", "70000"], "-p/--port"),
    (["--bogus"], "--bogus"),
    (["--config", "/nonexistent/file.toml"], "/nonexistent/file.toml"),
])
def test_bad_flags_exit_2_naming_the_flag(args, fragment):
    result = run_binary(*args)
    assert result.returncode == 2, result.stderr
    assert fragment in result.stderr


@pytest.mark.parametrize("text, fragment", [
    ("[l1]\nmax_memroy = 10\n", "[l1] max_memroy: unknown key"),
    ("[l1]\nmax_memory = -5\n", "[l1] max_memory"),
    ("[l1]\neviction_strategy = \"Random\"\n", "unknown strategy 'Random' (valid: lru, lfu, fifo, hybrid (LruLfu), ttl (TtlBased), s3fifo, sieve)"),
    ("[ttl]\ncleanup_interval = \"often\"\n", "[ttl] cleanup_interval: must be an integer"),
    ("[nosuch]\nx = 1\n", "[nosuch]: unknown section"),
    ("[logging]\nlevel = \"loud\"\n", "[logging] level: unknown level 'loud'"),
    ("[l1]\nmax_memory = \"1m\"\n[performance]\nlarge_value_threshold = \"1m\"\n",
     "performance.large_value_threshold must be at most half of l1.max_memory"),
    ("[l2]\nl2_write_strategy = \"always\"\n", "[l2] l2_write_strategy: every change reaches L2"),
    ("[l2]\ncompression = \"brotli\"\n", "l2.compression"),
    ("[l1\n", ".toml:1:4: Error while parsing table header"),
])
def test_bad_config_exit_2_naming_the_key(text, fragment):
    path = write_config(text)
    try:
        result = run_binary("--config", path)
    finally:
        os.unlink(path)
    assert result.returncode == 2, result.stderr
    assert fragment in result.stderr, result.stderr


def test_config_file_applies_and_flags_override():
    port = free_port()
    path = write_config(f"""
[server]
bind = "127.0.0.1:{port}"
max_connections = 77
[l1]
max_memory = "32m"
eviction_strategy = "LRU"
[ttl]
cleanup_interval = 1
[performance]
worker_threads = 2
[logging]
level = "warn"
enable_colors = false
""")
    server = start_rat("--config", path, "-m", "48", port=port)
    try:
        s = stats(server)
        assert s["limit_maxbytes"] == str(48 << 20)  # the flag beats the file
        assert s["max_connections"] == "77"
        assert s["threads"] == "2"
    finally:
        assert server.stop() == 0
        os.unlink(path)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_graceful_stop_on_signals(sig):
    server = start_rat()
    with server.connect() as c:
        c.sendall(b"set k 0 0 1\r\nv\r\n")
        assert read_until_idle(c, until=b"\r\n")[0] == b"STORED\r\n"
        started = time.time()
        assert server.stop(sig=sig) == 0
        assert time.time() - started < 5
        _, closed = read_until_idle(c, idle=1.0)
        assert closed


def test_in_flight_replies_are_finished_before_exit():
    server = start_rat()
    value = b"x" * 1000000
    with server.connect() as c:
        c.sendall(b"set big 0 0 %d\r\n%s\r\n" % (len(value), value))
        assert read_until_idle(c, until=b"\r\n")[0] == b"STORED\r\n"
        c.sendall(b"get big\r\n" * 5)
        time.sleep(0.3)  # the replies are queued; we have read none of them
        server.process.send_signal(signal.SIGTERM)
        reply, _ = read_until_idle(c, idle=2.0, timeout=10)
        assert reply == (b"VALUE big 0 1000000\r\n" + value + b"\r\nEND\r\n") * 5
    assert server.process.wait(timeout=10) == 0
    server.stop()


def test_shutdown_command_needs_A():
    server = start_rat("-A")
    with server.connect() as c:
        c.sendall(b"shutdown\r\n")
        reply, closed = read_until_idle(c, idle=1.0)
    assert reply == b"" and closed
    assert server.process.wait(timeout=10) == 0
    server.stop()


def test_connection_limit():
    server = start_rat("-c", "3")
    # The readiness probe's connection counts until the server has seen it close.
    time.sleep(0.3)
    try:
        clients = [server.connect() for _ in range(3)]
        for c in clients:
            c.sendall(b"version\r\n")
            assert read_until_idle(c, until=b"\r\n")[0] == b"VERSION 1.6.18\r\n"
        extra = server.connect()
        reply, closed = read_until_idle(extra, idle=1.0)
        assert reply == b"ERROR Too many open connections\r\n" and closed
        extra.close()
        assert stats_via(clients[0])["rejected_connections"] == "1"
        clients.pop().close()
        time.sleep(0.3)
        again = server.connect()
        again.sendall(b"version\r\n")
        assert read_until_idle(again, until=b"\r\n")[0] == b"VERSION 1.6.18\r\n"
        again.close()
        for c in clients:
            c.close()
    finally:
        server.stop()


def stats_via(c):
    c.sendall(b"stats\r\n")
    reply, _ = read_until_idle(c, until=b"END\r\n")
    return dict(line.split(" ", 2)[1:] for line in reply.decode().splitlines() if line.startswith("STAT "))


def test_pid_file_and_daemon():
    port = free_port()
    pid_file = tempfile.mktemp(suffix=".pid")
    data_dir = tempfile.mkdtemp(prefix="rmc_daemon_")  # not the default ./rat_memcache_data
    result = run_binary("-d", "-P", pid_file, "-p", port, "-l", "127.0.0.1", "--data-dir", data_dir)
    assert result.returncode == 0
    deadline = time.time() + 5
    while not os.path.exists(pid_file) and time.time() < deadline:
        time.sleep(0.05)
    pid = int(open(pid_file).read())
    with socket.create_connection(("127.0.0.1", port)) as c:
        c.sendall(b"version\r\n")
        assert read_until_idle(c, until=b"\r\n")[0] == b"VERSION 1.6.18\r\n"
    os.kill(pid, signal.SIGTERM)
    deadline = time.time() + 5
    while os.path.exists(pid_file) and time.time() < deadline:
        time.sleep(0.05)
    assert not os.path.exists(pid_file), "the pid file is removed at exit"
    shutil.rmtree(data_dir, ignore_errors=True)


def test_pid_file_of_a_running_process_or_not_a_pid_file_is_refused(tmp_path):
    pid_file = tmp_path / "rat.pid"
    # Another live process owns it: refused, the file untouched.
    sleeper = subprocess.Popen(["sleep", "30"])
    try:
        pid_file.write_text(f"{sleeper.pid}\n")
        result = run_binary("-P", pid_file, "-p", free_port(), "--no-l2")
        assert result.returncode == 2
        assert f"belongs to process {sleeper.pid}, which is running" in result.stderr
        assert pid_file.read_text() == f"{sleeper.pid}\n"
    finally:
        sleeper.kill()
        sleeper.wait()
    # Something that is not a pid file: never overwritten.
    pid_file.write_text("important notes\n")
    result = run_binary("-P", pid_file, "-p", free_port(), "--no-l2")
    assert result.returncode == 2 and "does not hold a process id" in result.stderr
    assert pid_file.read_text() == "important notes\n"


def test_stale_pid_file_is_replaced_and_removed_at_exit(tmp_path):
    pid_file = tmp_path / "rat.pid"
    gone = subprocess.Popen(["true"])
    gone.wait()
    pid_file.write_text(f"{gone.pid}\n")
    rat = start_rat("-P", pid_file, "--no-l2")
    deadline = time.time() + 5
    while pid_file.read_text().strip() != str(rat.process.pid) and time.time() < deadline:
        time.sleep(0.05)
    assert pid_file.read_text().strip() == str(rat.process.pid)
    assert rat.stop() == 0
    assert f"replacing the stale pid file {pid_file} (process {gone.pid} is gone)" in rat.stderr_text
    assert not pid_file.exists()


def test_log_file_is_reopened_on_sighup(tmp_path):
    log = tmp_path / "rat.log"
    rat = start_rat("--log-file", log, "--no-l2", "-vv")
    try:
        with rat.connect() as c:
            c.sendall(b"version\r\n")
            read_until_idle(c, until=b"\r\n")
        # The server accepts before it logs "listening on" (after switching user and
        # writing its pid file): under a sanitizer the client can be faster than that.
        deadline = time.time() + 10
        while "listening on" not in log.read_text() and time.time() < deadline:
            time.sleep(0.05)
        assert "listening on" in log.read_text()
        # logrotate: move the file away, then SIGHUP; new lines go to a new file.
        rotated = tmp_path / "rat.log.1"
        log.rename(rotated)
        rat.process.send_signal(signal.SIGHUP)
        deadline = time.time() + 5
        while not log.exists() and time.time() < deadline:
            time.sleep(0.05)
        with rat.connect() as c:
            c.sendall(b"get after_rotation\r\n")
            read_until_idle(c, until=b"END\r\n")
        deadline = time.time() + 5
        while "after_rotation" not in (log.read_text() if log.exists() else "") and time.time() < deadline:
            time.sleep(0.05)
        assert "after_rotation" in log.read_text()
        assert "after_rotation" not in rotated.read_text()
    finally:
        assert rat.stop() == 0
    assert "stopped" in log.read_text()
    # A log file that cannot be opened is a clear start-up error.
    result = run_binary("--log-file", tmp_path / "no" / "such" / "dir.log", "-p", free_port(), "--no-l2")
    assert result.returncode == 2 and "cannot open the log file" in result.stderr


def test_port_in_use_is_a_clear_error():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_binary("-p", port, "-l", "127.0.0.1", "--no-l2")
    assert result.returncode == 71
    assert f"127.0.0.1:{port}" in result.stderr


def test_expiry_lazy_and_swept():
    path = write_config("[ttl]\ncleanup_interval = 1\n")
    server = start_rat("--config", path)
    try:
        with server.connect() as c:
            for i in range(200):
                c.sendall(b"set e%d 0 1 1\r\nx\r\n" % i)
            c.sendall(b"set forever 0 0 1\r\nx\r\nversion\r\n")
            read_until_idle(c, until=b"VERSION 1.6.18\r\n")
        time.sleep(2.5)
        s = stats(server)
        assert s["curr_items"] == "1", "the sweep reclaimed expired items nobody asked for"
        assert int(s["reclaimed"]) == 200
        with server.connect() as c:
            c.sendall(b"get e1 forever\r\n")
            assert read_until_idle(c, until=b"END\r\n")[0] == b"VALUE forever 0 1\r\nx\r\nEND\r\n"
    finally:
        server.stop()
        os.unlink(path)


def test_eviction_keeps_memory_within_m():
    server = start_rat("-m", "8", "-I", "1m", "--no-l2")
    try:
        value = b"v" * 1000
        with server.connect() as c:
            for i in range(30000):
                c.sendall(b"set key%d 0 0 %d noreply\r\n%s\r\n" % (i, len(value), value))
            c.sendall(b"version\r\n")
            read_until_idle(c, timeout=30, until=b"VERSION 1.6.18\r\n")
            s = stats(server)
            assert int(s["evictions"]) > 0
            assert int(s["bytes"]) + int(s["hash_bytes"]) <= 8 << 20
            c.sendall(b"get key29999\r\n")
            assert read_until_idle(c, until=b"END\r\n")[0].startswith(b"VALUE key29999 0 1000\r\n")
            c.sendall(b"get key0\r\n")
            assert read_until_idle(c, until=b"END\r\n")[0] == b"END\r\n"
    finally:
        server.stop()


def test_verbose_logs_commands_but_default_does_not():
    quiet = start_rat()
    loud = start_rat("-vv")
    try:
        for server in (quiet, loud):
            with server.connect() as c:
                c.sendall(b"get some_key\r\n")
                read_until_idle(c, until=b"END\r\n")
        # The verbosity command turns it on at run time.
        with quiet.connect() as c:
            c.sendall(b"verbosity 2\r\nget later_key\r\nverbosity 0\r\nget silent_key\r\n")
            read_until_idle(c, until=b"END\r\nOK\r\nEND\r\n")
    finally:
        quiet.stop()
        loud.stop()
    assert "get some_key" not in quiet.stderr_text
    assert "get some_key" in loud.stderr_text
    assert "get later_key" in quiet.stderr_text
    assert "get silent_key" not in quiet.stderr_text
