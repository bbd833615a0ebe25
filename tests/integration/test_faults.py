"""Faults of the persistent tier: a full disk (a small tmpfs mounted by the test, grown
again to give the space back), a data directory used by another server, damaged or
foreign data directories. The server keeps serving from RAM, reports the fault in stats
and the log, recovers by itself, and never damages what it had persisted."""

import glob
import os
import random
import shutil
import signal
import subprocess
import tempfile
import time

import pytest

from conftest import RMC_BINARY, free_port, read_until_idle, start_rat, stats_of


def ask(sock, data, until=b"\r\n"):
    sock.sendall(data)
    return read_until_idle(sock, until=until, timeout=30)[0]


def run_binary(*args):
    return subprocess.run([RMC_BINARY, "-p", str(free_port()), "-l", "127.0.0.1", *map(str, args)],
                          capture_output=True, text=True, timeout=30)


def value_of(key, size=4000):
    """Incompressible bytes, the same for the same key: compression must not make room."""
    return random.Random(key).randbytes(size)


def wait_until(predicate, timeout=30.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return predicate()


@pytest.fixture
def small_disk():
    """A 12 MiB tmpfs: room for a few thousand 4 KB values, then ENOSPC."""
    mount_point = tempfile.mkdtemp(prefix="rmc_small_disk_")
    result = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=12m", "tmpfs", mount_point],
                            capture_output=True, text=True)
    assert result.returncode == 0, f"this test mounts a tmpfs (needs root): {result.stderr}"
    yield mount_point
    subprocess.run(["umount", "-l", mount_point], check=False)
    os.rmdir(mount_point)


def test_full_disk_keeps_serving_from_ram_and_recovers(small_disk):
    data_dir = os.path.join(small_disk, "l2")
    rat = start_rat("-m", "4", data_dir=data_dir)
    try:
        with rat.connect(timeout=30) as s:
            # Persisted before the disk fills: must come back whole after everything.
            for i in range(200):
                key = f"early{i}"
                assert ask(s, b"set %s 7 0 4000\r\n%s\r\n" % (key.encode(), value_of(key))) == b"STORED\r\n"
            assert wait_until(lambda: stats_of(rat, b"tiers")["l2_write_behind_items"] == "0")
            # Far more than the disk holds: every store is answered, the server stays up.
            for i in range(6000):
                key = f"late{i}"
                assert ask(s, b"set %s 0 0 4000\r\n%s\r\n" % (key.encode(), value_of(key))) == b"STORED\r\n"
            tiers = stats_of(rat, b"tiers")
            assert tiers["l2_write_failing"] == "1"
            assert int(tiers["l2_errors"]) > 0
            # Reads keep working: recent keys from RAM, early ones from the disk.
            for key in ("late5999", "early0", "early199"):
                reply = ask(s, b"get %s\r\n" % key.encode(), until=b"END\r\n")
                assert reply.startswith(b"VALUE %s " % key.encode()), key
                assert value_of(key) in reply

            # Space comes back: writing resumes by itself and the queue drains.
            subprocess.run(["mount", "-o", "remount,size=256m", small_disk], check=True)
            assert wait_until(lambda: stats_of(rat, b"tiers")["l2_write_failing"] == "0", timeout=60)
            assert wait_until(lambda: stats_of(rat, b"tiers")["l2_write_behind_items"] == "0", timeout=60)
        assert rat.stop() == 0
        assert "No space left on device" in rat.stderr_text
        assert "writes succeed again" in rat.stderr_text

        again = start_rat("-m", "4", data_dir=data_dir)
        try:
            with again.connect(timeout=30) as s:
                for i in range(200):
                    key = f"early{i}"
                    reply = ask(s, b"get %s\r\n" % key.encode(), until=b"END\r\n")
                    assert reply == b"VALUE %s 7 4000\r\n%s\r\nEND\r\n" % (key.encode(), value_of(key)), key
                # Whatever else is served is whole: a late key is there entire or not at all.
                for i in range(0, 6000, 97):
                    key = f"late{i}"
                    reply = ask(s, b"get %s\r\n" % key.encode(), until=b"END\r\n")
                    assert reply in (b"END\r\n", b"VALUE %s 0 4000\r\n%s\r\nEND\r\n" % (key.encode(), value_of(key)))
        finally:
            again.stop()
    finally:
        if rat.alive():
            rat.stop()


def test_second_server_on_the_same_data_dir_is_refused(tmp_path):
    data_dir = str(tmp_path / "shared")
    first = start_rat(data_dir=data_dir)
    try:
        result = run_binary("--data-dir", data_dir)
        assert result.returncode == 2
        assert "in use by another running server" in result.stderr
        with first.connect() as s:
            assert ask(s, b"set k 0 0 1\r\n1\r\n") == b"STORED\r\n"
    finally:
        first.stop()


def make_persisted_dir(tmp_path):
    data_dir = str(tmp_path / "l2")
    rat = start_rat(data_dir=data_dir)
    with rat.connect() as s:
        for i in range(500):
            assert ask(s, b"set k%d 0 0 100\r\n%s\r\n" % (i, b"v" * 100)) == b"STORED\r\n"
    assert rat.stop() == 0
    return data_dir


def damage_files(data_dir, pattern):
    files = glob.glob(os.path.join(data_dir, pattern))
    assert files, pattern
    for path in files:
        with open(path, "r+b") as f:
            f.seek(16)
            f.write(os.urandom(256))


@pytest.mark.parametrize("damage", ["CURRENT", "MANIFEST"])
def test_damaged_data_dir_is_a_clear_error_not_a_crash(tmp_path, damage):
    data_dir = make_persisted_dir(tmp_path)
    if damage == "CURRENT":
        with open(os.path.join(data_dir, "CURRENT"), "w") as f:
            f.write("garbage\n")
    else:
        damage_files(data_dir, "MANIFEST-*")
    result = run_binary("--data-dir", data_dir)
    assert result.returncode == 2, result.stderr  # exits cleanly: no signal, no core
    assert "the persistent tier is damaged" in result.stderr
    assert data_dir in result.stderr


def test_damaged_table_files_are_never_served_as_values(tmp_path):
    """Damage inside a table file shows only when a block is read: RocksDB's block
    checksums catch it, the key reads as a miss, and the error is counted and logged."""
    data_dir = make_persisted_dir(tmp_path)
    damage_files(data_dir, "*.sst")
    rat = start_rat(data_dir=data_dir)
    try:
        with rat.connect() as s:
            for i in range(500):
                reply = ask(s, b"get k%d\r\n" % i, until=b"END\r\n")
                assert reply in (b"END\r\n", b"VALUE k%d 0 100\r\n%s\r\nEND\r\n" % (i, b"v" * 100))
            assert int(stats_of(rat, b"tiers")["l2_errors"]) > 0
            assert ask(s, b"set fresh 0 0 1\r\n1\r\n") == b"STORED\r\n"
    finally:
        rat.stop()
    assert "Corruption" in rat.stderr_text


def test_foreign_directory_is_refused_and_left_alone(tmp_path):
    data_dir = tmp_path / "photos"
    data_dir.mkdir()
    (data_dir / "holiday.jpg").write_bytes(b"\xff\xd8not really")
    result = run_binary("--data-dir", str(data_dir))
    assert result.returncode == 2
    assert "holds files that are not a persistent tier ('holiday.jpg')" in result.stderr
    assert sorted(os.listdir(data_dir)) == ["holiday.jpg"]
    # Not even with clear_on_startup: nobody's files are deleted.
    config = tmp_path / "clear.toml"
    config.write_text("[l2]\nclear_on_startup = true\n")
    result = run_binary("--data-dir", str(data_dir), "--config", str(config))
    assert result.returncode == 2
    assert sorted(os.listdir(data_dir)) == ["holiday.jpg"]
