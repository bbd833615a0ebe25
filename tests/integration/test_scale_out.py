"""Scale-out with existing engines (issue #6): three rat_memcached instances behind
twemproxy (Debian's nutcracker, ketama distribution, auto_eject_hosts), and the same
three used directly by a ketama client (pylibmc). Keys must land where the ketama ring
says; the ring is computed here independently (libketama's algorithm, as twemproxy and
libmemcached's weighted ketama implement it)."""

import bisect
import hashlib
import shutil
import signal
import socket
import subprocess
import time

import pylibmc
import pytest

from conftest import Server, free_port, read_until_idle, start_rat

NUTCRACKER = shutil.which("nutcracker") or "/usr/sbin/nutcracker"
# How long twemproxy keeps an ejected instance out before trying it again: long enough
# for the checks made while it is out, short enough to wait for its return.
RETRY_MS = 4000


class KetamaRing:
    """libketama: 40 md5 digests of "host:port-i" per server (equal weights), 4 points of
    32 bits from each; a key goes to the first point at or after md5(key)'s first 4 bytes
    (little-endian), wrapping round."""

    def __init__(self, servers):
        self.points = []
        for server in servers:
            for i in range(40):
                digest = hashlib.md5(f"{server}-{i}".encode()).digest()
                for x in range(4):
                    value = int.from_bytes(digest[x * 4:x * 4 + 4], "little")
                    self.points.append((value, server))
        self.points.sort()
        self.values = [value for value, _ in self.points]

    def server_for(self, key):
        h = int.from_bytes(hashlib.md5(key.encode()).digest()[:4], "little")
        i = bisect.bisect_left(self.values, h)
        return self.points[i % len(self.points)][1]


def talk(port, data, until, timeout=10.0):
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(data)
        reply, _ = read_until_idle(s, idle=timeout, timeout=timeout, until=until)
        return reply


def parse_values(reply):
    """{key: value} from a get reply."""
    values = {}
    rest = reply
    while rest.startswith(b"VALUE "):
        header, rest = rest.split(b"\r\n", 1)
        _, key, _flags, length = header.split(b" ")[:4]
        values[key.decode()] = rest[:int(length)]
        rest = rest[int(length) + 2:]
    assert rest == b"END\r\n", rest[:200]
    return values


def value_of(key, generation=0):
    return (f"{key}:{generation}:" * 8).encode()


def instance_keys(instance, keys):
    """The subset of `keys` that `instance` holds (asked directly)."""
    reply = talk(instance.port, b"get " + " ".join(keys).encode() + b"\r\n", b"END\r\n")
    return set(parse_values(reply))


def wait_persisted(instance, timeout=30.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        reply = talk(instance.port, b"stats\r\n", b"END\r\n")
        if b"STAT l2_write_behind_items 0\r\n" in reply:
            return
        time.sleep(0.05)
    raise AssertionError("write-behind queue did not drain")


class Twemproxy:
    def __init__(self, tmp_path, backends):
        self.port = free_port()
        self.stats_port = free_port()
        config = tmp_path / "nutcracker.yml"
        config.write_text(
            "pool:\n"
            f"  listen: 127.0.0.1:{self.port}\n"
            "  hash: md5\n"
            "  distribution: ketama\n"
            "  timeout: 2000\n"
            "  auto_eject_hosts: true\n"
            f"  server_retry_timeout: {RETRY_MS}\n"
            "  server_failure_limit: 1\n"
            "  servers:\n" + "".join(f"   - 127.0.0.1:{b.port}:1\n" for b in backends))
        self.server = Server([NUTCRACKER, "-c", str(config), "-s", str(self.stats_port),
                              "-a", "127.0.0.1", "-o", str(tmp_path / "nutcracker.log")],
                             self.port, "nutcracker").start()

    def stop(self):
        self.server.stop()


@pytest.fixture
def pool(tmp_path):
    instances = []
    for i in range(3):
        data_dir = tmp_path / f"l2-{i}"
        data_dir.mkdir()
        instances.append(start_rat("-t", "1", "-m", "16", data_dir=str(data_dir)))
    proxy = Twemproxy(tmp_path, instances)
    yield instances, proxy
    proxy.stop()
    for instance in instances:
        instance.stop()


def test_twemproxy_spreads_keys_by_ketama_and_merges_multi_gets(pool):
    instances, proxy = pool
    keys = [f"user:{i}" for i in range(600)]
    ring = KetamaRing([f"127.0.0.1:{i.port}" for i in instances])
    for start in range(0, len(keys), 100):
        batch = b"".join(b"set %s 5 0 %d\r\n%s\r\n" % (k.encode(), len(value_of(k)), value_of(k))
                         for k in keys[start:start + 100])
        assert talk(proxy.port, batch, b"STORED\r\n" * 100) == b"STORED\r\n" * 100
    # One multi-get through the proxy: split over the three, merged into one reply.
    reply = talk(proxy.port, b"get " + " ".join(keys).encode() + b"\r\n", b"END\r\n")
    assert parse_values(reply) == {k: value_of(k) for k in keys}
    assert reply.count(b"END\r\n") == 1
    # Each instance holds exactly the keys the ring gives it, and each holds some.
    for instance in instances:
        expected = {k for k in keys if ring.server_for(k) == f"127.0.0.1:{instance.port}"}
        assert len(expected) > 100
        assert instance_keys(instance, keys) == expected


def test_an_ejected_instance_rejoins_with_its_persisted_keys(pool, tmp_path):
    instances, proxy = pool
    keys = [f"item:{i}" for i in range(300)]
    for k in keys:
        assert talk(proxy.port, b"set %s 0 0 %d\r\n%s\r\n" % (k.encode(), len(value_of(k)), value_of(k)),
                    b"\r\n") == b"STORED\r\n"
    victim = instances[2]
    victim_keys = instance_keys(victim, keys)
    assert victim_keys
    wait_persisted(victim)
    victim.stop(signal.SIGKILL)  # killed; its data folder stays (not owned by the server)

    # The pool keeps serving: the proxy ejects the dead instance (on its closed connection
    # or on the first request that fails: SERVER_ERROR), and from then on its keys go to
    # the survivors, whose keys are served throughout.
    probe = sorted(victim_keys)[0].encode()
    survivors = [k for k in keys if k not in victim_keys]
    deadline = time.time() + 3
    while True:
        reply = talk(proxy.port, b"set %s 0 0 1\r\nx\r\n" % probe, b"\r\n")
        if reply == b"STORED\r\n":
            break
        assert reply.startswith(b"SERVER_ERROR") and time.time() < deadline, reply
        time.sleep(0.05)
    ejected_writes = [f"during:{i}" for i in range(100)]
    for k in ejected_writes:
        assert talk(proxy.port, b"set %s 0 0 %d\r\n%s\r\n" % (k.encode(), len(value_of(k)), value_of(k)),
                    b"\r\n") == b"STORED\r\n"
    reply = talk(proxy.port, b"get " + " ".join(survivors + ejected_writes).encode() + b"\r\n", b"END\r\n")
    assert parse_values(reply) == {k: value_of(k) for k in survivors + ejected_writes}

    # Restarted on its port with its data folder, it rejoins once the retry timeout has
    # passed, and its keys are served again with the values stored before the kill.
    restarted = start_rat("-t", "1", "-m", "16", port=victim.port, data_dir=victim.data_dir)
    instances[2] = restarted
    rejoin = sorted(victim_keys)[1:]  # not the probe, rewritten while the instance was out
    deadline = time.time() + 15
    while True:
        reply = talk(proxy.port, b"get " + " ".join(rejoin).encode() + b"\r\n", b"END\r\n")
        if reply.startswith(b"VALUE") and parse_values(reply) == {k: value_of(k) for k in rejoin}:
            break
        assert time.time() < deadline, f"rejoined instance not serving its keys: {reply[:200]}"
        time.sleep(0.2)


def test_pylibmc_ketama_places_keys_where_the_ring_says(pool):
    instances, _ = pool
    servers = [f"127.0.0.1:{i.port}" for i in instances]
    ring = KetamaRing(servers)
    client = pylibmc.Client(servers, behaviors={"ketama_weighted": True})
    keys = [f"session:{i}" for i in range(500)]
    for k in keys:
        assert client.set(k, value_of(k))
    assert client.get_multi(keys) == {k: value_of(k) for k in keys}
    for instance in instances:
        expected = {k for k in keys if ring.server_for(k) == f"127.0.0.1:{instance.port}"}
        assert len(expected) > 50
        assert instance_keys(instance, keys) == expected
