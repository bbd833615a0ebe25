"""The persistent tier through the real binary and a real RocksDB in a temporary folder:
restarts keep everything, a working set far larger than RAM stays readable, nothing
deleted, expired or flushed comes back, and kill -9 never yields a torn or invented value."""

import hashlib
import os
import random
import shutil
import signal
import socket
import tempfile
import threading
import time

import pytest
from pymemcache.client.base import Client

from conftest import read_until_idle, start_rat


def value_for(key, version, size):
    """A self-checking value: a header naming key and version, then bytes derived from them."""
    header = f"{key}:{version}:{size}:".encode()
    seed = hashlib.sha256(header).digest()
    body = (seed * (size // len(seed) + 1))[: max(0, size - len(header))]
    return header + body


def check_value(key, value):
    """Returns the version if `value` is a whole value written for `key`, else raises."""
    parts = value.split(b":", 3)
    assert parts[0].decode() == key, f"value of another key under {key}"
    version, size = int(parts[1]), int(parts[2])
    assert value == value_for(key, version, size), f"torn or damaged value under {key}"
    return version


@pytest.fixture
def data_dir():
    path = tempfile.mkdtemp(prefix="rmc_persist_")
    yield path
    shutil.rmtree(path, ignore_errors=True)


def client(server):
    return Client(("127.0.0.1", server.port), default_noreply=False, timeout=30)


def stats(server):
    c = client(server)
    result = {k.decode(): v for k, v in c.stats().items()}
    c.close()
    return result


def test_restart_keeps_every_item_with_flags_and_ttl(data_dir):
    rng = random.Random(1)
    sizes = [rng.choice([10, 100, 1000, 10000, 100000]) for _ in range(20000)]
    sizes[:5] = [2_000_000, 1_500_000, 1_048_576, 700_000, 3]
    server = start_rat("-m", "64", "-I", "4m", data_dir=data_dir)
    c = client(server)
    for i, size in enumerate(sizes):
        assert c.set(f"k{i}", value_for(f"k{i}", 1, size), expire=3600 if i % 2 else 0, noreply=False)
    c.close()
    assert server.stop() == 0  # SIGTERM: graceful
    server = start_rat("-m", "64", "-I", "4m", data_dir=data_dir)
    c = client(server)
    for start in range(0, len(sizes), 200):
        keys = [f"k{i}" for i in range(start, min(start + 200, len(sizes)))]
        got = c.get_many(keys)
        assert len(got) == len(keys)
        for key in keys:
            assert got[key] == value_for(key, 1, sizes[int(key[1:])])
    c.close()
    # Flags survive a restart too.
    with server.connect() as s:
        s.sendall(b"set flagged 4242 0 1\r\nv\r\n")
        assert read_until_idle(s, until=b"\r\n")[0] == b"STORED\r\n"
    assert server.stop() == 0
    server = start_rat("-m", "64", "-I", "4m", data_dir=data_dir)
    with server.connect() as s:
        s.sendall(b"gets flagged\r\n")
        assert read_until_idle(s, until=b"END\r\n")[0].startswith(b"VALUE flagged 4242 1 ")
    server.stop()


def test_working_set_ten_times_ram(data_dir):
    server = start_rat("-m", "16", "-I", "1m", data_dir=data_dir)
    c = client(server)
    count, size = 42000, 4096  # about 172 MB of values through 16 MB of RAM
    for i in range(count):
        c.set(f"w{i}", value_for(f"w{i}", 1, size), noreply=True)
    c.version()  # a round trip: every set before it has been handled
    wrong = 0
    for start in range(0, count, 500):
        keys = [f"w{i}" for i in range(start, start + 500)]
        got = c.get_many(keys)
        for key in keys:
            if got.get(key) != value_for(key, 1, size):
                wrong += 1
    c.close()
    s = stats(server)
    server.stop()
    assert wrong == 0
    assert int(s["evictions"]) > 0 and int(s["l2_demotions"]) > 0
    assert int(s["l2_get_hits"]) > 0 and int(s["l2_promotions"]) > 0
    assert int(s["bytes"]) + int(s["hash_bytes"]) <= 16 << 20


def test_nothing_deleted_expired_or_flushed_comes_back(data_dir):
    server = start_rat(data_dir=data_dir)
    c = client(server)
    for i in range(300):
        c.set(f"d{i}", b"v", noreply=False)
    c.set("short", b"v", expire=1, noreply=False)
    c.close()
    assert server.stop() == 0
    server = start_rat(data_dir=data_dir)
    c = client(server)
    for i in range(0, 300, 2):
        assert c.delete(f"d{i}", noreply=False)  # items only on disk after the restart
    c.close()
    assert server.stop() == 0
    time.sleep(1.1)
    server = start_rat(data_dir=data_dir)
    c = client(server)
    got = c.get_many([f"d{i}" for i in range(300)] + ["short"])
    assert set(got) == {f"d{i}" for i in range(1, 300, 2)}
    c.flush_all(noreply=False)
    c.set("after_flush", b"v", noreply=False)
    c.close()
    assert server.stop() == 0
    server = start_rat(data_dir=data_dir)
    c = client(server)
    assert c.get_many([f"d{i}" for i in range(300)] + ["after_flush"]) == {"after_flush": b"v"}
    c.close()
    server.stop()


def test_kill_9_never_serves_a_torn_or_invented_value(data_dir):
    server = start_rat("-m", "8", data_dir=data_dir)
    stop = threading.Event()
    written = {}

    def writer(worker):
        c = client(server)
        rng = random.Random(worker)
        version = 0
        try:
            while not stop.is_set():
                version += 1
                key = f"c{worker}_{rng.randrange(500)}"
                c.set(key, value_for(key, version, rng.choice([50, 5000, 50000])), noreply=False)
                written[key] = max(written.get(key, 0), version)
        except Exception:
            pass  # the server was killed under us

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(3)]
    for t in threads:
        t.start()
    time.sleep(2.0)
    server.process.send_signal(signal.SIGKILL)
    server.process.wait()
    stop.set()
    for t in threads:
        t.join()
    server.stop()
    server = start_rat("-m", "8", data_dir=data_dir)
    c = client(server)
    keys = [f"c{w}_{i}" for w in range(3) for i in range(500)]
    served = 0
    for start in range(0, len(keys), 100):
        for key, value in c.get_many(keys[start:start + 100]).items():
            version = check_value(key, value)
            assert version <= written.get(key, 0), "a value that was never written"
            served += 1
    c.close()
    server.stop()
    assert served > 0


def test_stats_and_settings_show_the_tier(data_dir):
    server = start_rat(data_dir=data_dir)
    c = client(server)
    c.set("k", b"v", noreply=False)
    settings = {k.decode(): v for k, v in c.stats("settings").items()}
    c.close()
    s = stats(server)
    server.stop()
    assert settings["l2_enabled"] == b"yes" and settings["l2_data_dir"] == data_dir.encode()
    for name in ("l2_items", "l2_bytes", "l2_get_hits", "l2_get_misses", "l2_writes",
                 "l2_promotions", "l2_demotions", "l2_write_behind_items", "l2_errors"):
        assert name in s


def test_no_l2_is_ram_only(data_dir):
    server = start_rat("--no-l2", data_dir=data_dir)
    c = client(server)
    c.set("k", b"v", noreply=False)
    c.close()
    assert server.stop() == 0
    assert os.listdir(data_dir) == []
    server = start_rat("--no-l2", data_dir=data_dir)
    c = client(server)
    assert c.get("k") is None
    c.close()
    server.stop()


def test_unusable_data_dir_is_a_clear_error(data_dir):
    blocker = os.path.join(data_dir, "file")
    open(blocker, "w").write("x")
    from conftest import RMC_BINARY, free_port
    import subprocess
    result = subprocess.run([RMC_BINARY, "-p", str(free_port()), "--data-dir", blocker],
                            capture_output=True, text=True, timeout=20)
    assert result.returncode == 71
    assert blocker in result.stderr
