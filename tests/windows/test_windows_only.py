"""What only the Windows build has or lacks, checked under Wine (tests/windows/run.sh):
the feature list, options needing RocksDB or LZ4 refused by name, and -d (a detached
copy of the process) with its pid file and log file, stopped by the shutdown command."""

import os
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
from conftest import RMC_BINARY, free_port, read_until_idle  # noqa: E402


def run_binary(*args, timeout=60):
    return subprocess.run([RMC_BINARY, *map(str, args)], capture_output=True, text=True, timeout=timeout)


def test_version_lists_the_windows_features():
    result = run_binary("-V", "-v")
    assert result.returncode == 0
    assert "features: persistent tier (RocksDB) no, LZ4 in RAM no, TLS no, platform windows" in result.stdout


def test_parts_this_build_lacks_are_refused_by_name(tmp_path):
    config = tmp_path / "l2.toml"
    config.write_text("[l2]\nenable_l2_cache = true\n")
    result = run_binary("--config", config, "-p", free_port())
    assert result.returncode != 0
    assert "l2.enable_l2_cache: this build has no persistent tier" in result.stderr
    config.write_text("[compression]\nenable_lz4 = true\n")
    result = run_binary("--config", config, "-p", free_port())
    assert result.returncode != 0
    assert "compression.enable_lz4: this build has no LZ4" in result.stderr
    result = run_binary("-Z", "-o", "ssl_chain_cert=c.pem,ssl_key=k.pem", "-p", free_port())
    assert result.returncode != 0
    assert "-Z/--enable-ssl: this build has no TLS" in result.stderr


def test_daemon_mode_detaches_and_stops_on_shutdown(tmp_path):
    port = free_port()
    pid_file = tmp_path / "rat.pid"
    log_file = tmp_path / "rat.log"
    # Under Wine the detached copy's process inherits the Unix descriptors of the first
    # one (on Windows it holds NUL and none of ours), so the output goes to files here:
    # pipes would stay open as long as the server runs.
    with open(tmp_path / "stderr", "w") as stderr:
        started = subprocess.run([RMC_BINARY, "-d", "-A", "-P", str(pid_file), "--log-file", str(log_file),
                                  "-p", str(port), "-l", "127.0.0.1"],
                                 stdout=subprocess.DEVNULL, stderr=stderr, timeout=60)
    assert started.returncode == 0, (tmp_path / "stderr").read_text()
    deadline = time.time() + 30
    while not pid_file.exists() and time.time() < deadline:
        time.sleep(0.1)
    assert pid_file.read_text().strip().isdigit()
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(b"set k 0 0 1\r\nv\r\nget k\r\n")
        assert read_until_idle(s, idle=5, timeout=10, until=b"END\r\n")[0] == \
            b"STORED\r\nVALUE k 0 1\r\nv\r\nEND\r\n"
        s.sendall(b"shutdown\r\n")
        read_until_idle(s, idle=2, timeout=10)
    deadline = time.time() + 30
    while pid_file.exists() and time.time() < deadline:
        time.sleep(0.1)
    assert not pid_file.exists(), "the detached server removes its pid file when it stops"
    log = log_file.read_text()
    assert "listening on 127.0.0.1:%d" % port in log and "stopped" in log
