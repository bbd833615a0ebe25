"""Real client libraries against rat_memcached: pymemcache, python-memcache (memcache),
pylibmc (libmemcached), and libmemcached-tools' memccapable."""

import subprocess

import memcache
import pylibmc
import pytest
from pymemcache.client.base import Client as PymemcacheClient

from conftest import start_rat


@pytest.fixture(scope="module")
def server():
    s = start_rat()
    yield s
    s.stop()


@pytest.mark.parametrize("protocol", ["-a", "-b"])
def test_memccapable_all_pass(server, protocol):
    result = subprocess.run(["memccapable", "-h", "127.0.0.1", "-p", str(server.port), protocol],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "All tests passed" in result.stdout
    assert "[FAIL]" not in result.stdout + result.stderr


def test_pymemcache_round_trips(server):
    client = PymemcacheClient(("127.0.0.1", server.port), default_noreply=False)
    assert client.set("greeting", b"hello", expire=0)
    assert client.get("greeting") == b"hello"
    assert client.add("greeting", b"other") is False
    assert client.replace("greeting", b"hi")
    assert client.append("greeting", b"!")
    assert client.prepend("greeting", b">")
    assert client.get("greeting") == b">hi!"
    value, cas = client.gets("greeting")
    assert client.cas("greeting", b"new", cas)
    assert not client.cas("greeting", b"newer", cas)
    assert client.get_many(["greeting", "missing"]) == {"greeting": b"new"}
    client.set("counter", b"10")
    assert client.incr("counter", 5) == 15
    assert client.decr("counter", 20) == 0
    assert client.touch("counter", 100)
    assert client.delete("counter")
    assert client.get("counter") is None
    binary = bytes(range(256)) * 40
    client.set("binary", binary)
    assert client.get("binary") == binary
    assert client.version() == b"1.6.18"
    stats = client.stats()
    assert stats[b"curr_items"] >= 1
    client.flush_all()
    assert client.get("binary") is None
    client.close()


def test_python_memcache_round_trips(server):
    client = memcache.Client([server.address])
    assert client.set("key", "value")
    assert client.get("key") == "value"
    assert client.set_multi({"a": 1, "b": "two", "c": [3]}) == []
    assert client.get_multi(["a", "b", "c", "d"]) == {"a": 1, "b": "two", "c": [3]}
    assert client.incr("a", 41) == 42
    assert client.delete("key")
    assert client.get("key") is None
    big = "x" * 500_000
    assert client.set("big", big)
    assert client.get("big") == big
    client.disconnect_all()


def test_pylibmc_round_trips(server):
    client = pylibmc.Client([server.address], binary=False, behaviors={"cas": True})
    client["k"] = "v"
    assert client["k"] == "v"
    client.set_multi({"x": 1, "y": 2})
    assert client.get_multi(["x", "y", "z"]) == {"x": 1, "y": 2}
    assert client.incr("x", 9) == 10
    assert client.add("x", 5) is False
    client.delete("x")
    assert client.get("x") is None
    value, cas = client.gets("y")
    assert client.cas("y", 3, cas)
    assert client.get("y") == 3
    client.disconnect_all()


def test_many_clients_share_data(server):
    writers = [PymemcacheClient(("127.0.0.1", server.port), default_noreply=False) for _ in range(20)]
    for i, client in enumerate(writers):
        client.set(f"shared{i}", str(i).encode())
    reader = PymemcacheClient(("127.0.0.1", server.port))
    got = reader.get_many([f"shared{i}" for i in range(20)])
    assert got == {f"shared{i}": str(i).encode() for i in range(20)}
    for client in writers + [reader]:
        client.close()


def test_pylibmc_binary_protocol(server):
    client = pylibmc.Client([server.address], binary=True, behaviors={"cas": True})
    client.set("bin_a", "hello")
    assert client.get("bin_a") == "hello"
    client.set_multi({"bin_x": 1, "bin_y": "two", "bin_z": b"\x00bin"})
    assert client.get_multi(["bin_x", "bin_y", "bin_z", "bin_nope"]) == {"bin_x": 1, "bin_y": "two",
                                                                        "bin_z": b"\x00bin"}
    assert (client.incr("bin_x", 5), client.decr("bin_x", 2)) == (6, 4)
    assert client.add("bin_a", "no") is False
    assert client.replace("bin_a", "yes") is True
    assert client.append("bin_a", "!") and client.prepend("bin_a", ">")
    value, cas = client.gets("bin_a")
    assert value == ">yes!"
    assert client.cas("bin_a", "new", cas) is True
    assert client.cas("bin_a", "newer", cas) is False
    assert client.get("bin_a") == "new"
    assert client.delete("bin_a") is True and client.delete("bin_a") is False
    assert client.touch("bin_y", 100) is True
    client.set("bin_big", "x" * 500000)
    assert len(client.get("bin_big")) == 500000
    stats = client.get_stats()[0][1]
    assert int(stats["cmd_set"]) >= 6
