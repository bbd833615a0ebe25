"""Fixtures that start real servers on free loopback ports: rat_memcached (the binary
under test, RMC_BINARY) and the reference memcached from Debian."""

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_BINARY = os.path.join(HERE, "..", "..", "build", "rat_memcached")
RMC_BINARY = os.environ.get("RMC_BINARY", DEFAULT_BINARY)
MEMCACHED = shutil.which("memcached") or "/usr/bin/memcached"
# The sanitizers the binary was built with ("" = none): their shadow memory and
# quarantine make RSS figures meaningless, so memory-growth checks are skipped.
SANITIZED = os.environ.get("RMC_SANITIZE", "")


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A server process on 127.0.0.1:port."""

    def __init__(self, argv, port, name):
        self.argv = argv
        self.port = port
        self.name = name
        self.process = None
        self.stderr_text = ""
        self.data_dir = None
        self.owns_data_dir = False

    def start(self, wait=True):
        # stderr goes to a file, not a pipe: a server logging every command (a client may
        # send "verbosity 2") would block on a full pipe that nobody reads until stop().
        self.stderr_file = tempfile.TemporaryFile()
        self.process = subprocess.Popen(self.argv, stdout=subprocess.DEVNULL, stderr=self.stderr_file)
        if wait:
            self.wait_ready()
        return self

    def wait_ready(self, timeout=10.0):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}: {self.read_stderr()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.02)
        raise RuntimeError(f"{self.name} did not start listening on {self.port}")

    def read_stderr(self):
        self.stderr_file.seek(0)
        return self.stderr_file.read().decode(errors="replace")

    def connect(self, timeout=5.0):
        return socket.create_connection(("127.0.0.1", self.port), timeout=timeout)

    @property
    def address(self):
        return f"127.0.0.1:{self.port}"

    def rss_kib(self):
        """Resident memory the process owns (RssAnon + RssShmem). File pages are left out:
        the L2 reads table and blob files through memory maps, and those pages are the
        OS page cache, not the server's memory."""
        fields = {}
        with open(f"/proc/{self.process.pid}/status") as status:
            for line in status:
                name, _, value = line.partition(":")
                if name in ("VmRSS", "RssAnon", "RssShmem"):
                    fields[name] = int(value.split()[0])
        if "RssAnon" not in fields:  # kernels before 4.5
            return fields.get("VmRSS", 0)
        return fields["RssAnon"] + fields.get("RssShmem", 0)

    def alive(self):
        return self.process is not None and self.process.poll() is None

    def stop(self, sig=signal.SIGTERM, timeout=10.0):
        """Stops the server (if still running) with `sig`, keeps its stderr in
        stderr_text, removes its own data folder, and returns its exit status."""
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if not self.stderr_file.closed:
            self.stderr_text = self.read_stderr()
            self.stderr_file.close()
        if self.owns_data_dir and self.data_dir:
            shutil.rmtree(self.data_dir, ignore_errors=True)
        # A sanitized build (make test-asan / test-tsan) reports to stderr: any report,
        # leaks at exit included, fails the test that ran the server.
        assert "Sanitizer" not in self.stderr_text, f"{self.name}: {self.stderr_text[-6000:]}"
        return self.process.returncode


def start_rat(*args, port=None, wait=True, data_dir=None):
    """Starts rat_memcached; its persistent tier lives in `data_dir` (a fresh temporary
    folder, removed with the server, unless given)."""
    port = port or free_port()
    owned = data_dir is None
    data_dir = data_dir or tempfile.mkdtemp(prefix="rmc_test_l2_")
    argv = [RMC_BINARY, "-p", str(port), "-l", "127.0.0.1", "--data-dir", data_dir] + [str(a) for a in args]
    server = Server(argv, port, "rat_memcached")
    server.data_dir = data_dir
    server.owns_data_dir = owned
    return server.start(wait=wait)


def start_memcached(*args, port=None):
    port = port or free_port()
    argv = [MEMCACHED, "-u", "root", "-p", str(port), "-l", "127.0.0.1", "-U", "0"] + [str(a) for a in args]
    return Server(argv, port, "memcached").start()


@pytest.fixture
def rat():
    server = start_rat()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def rat_module():
    server = start_rat()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def memcached_module():
    server = start_memcached()
    yield server
    server.stop()


def converse(server, data, expect_close=False, idle=0.25, timeout=5.0):
    """Sends `data` on a new connection and returns (reply bytes, closed by server)."""
    with server.connect(timeout=timeout) as s:
        s.sendall(data)
        return read_until_idle(s, idle=idle, timeout=timeout)


def read_until_idle(s, idle=0.25, timeout=5.0, until=None):
    """Reads until `until` ends the data, the peer closes, or nothing came for `idle` s."""
    chunks = []
    deadline = time.time() + timeout
    s.settimeout(idle)
    closed = False
    while time.time() < deadline:
        try:
            chunk = s.recv(1 << 20)
        except socket.timeout:
            if until is None:
                break
            continue
        except ConnectionResetError:
            closed = True
            break
        if not chunk:
            closed = True
            break
        chunks.append(chunk)
        if until is not None and b"".join(chunks).endswith(until):
            break
    return b"".join(chunks), closed


def stats_of(server, sub=b"", connect=None):
    """The server's "stats [sub]" as a dict of name -> value text; `connect` (default
    server.connect) opens the connection to ask on."""
    with (connect or server.connect)() as c:
        c.sendall(b"stats " + sub + b"\r\n" if sub else b"stats\r\n")
        reply, _ = read_until_idle(c, until=b"END\r\n")
    result = {}
    for line in reply.decode(errors="replace").splitlines():
        if line.startswith("STAT "):
            _, name, value = (line.split(" ", 2) + [""])[:3]
            result[name] = value
    return result
