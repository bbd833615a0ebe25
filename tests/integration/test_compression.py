"""LZ4 compression of values in RAM through the real binary ([compression] in TOML):
clients get the original bytes back, RAM holds fewer, and L2 keeps the originals."""

import os
import shutil
import tempfile

from pymemcache.client.base import Client

from conftest import read_until_idle, start_rat


def stats(server):
    with server.connect() as s:
        s.sendall(b"stats\r\n")
        text = read_until_idle(s, until=b"END\r\n")[0].decode()
    return {parts[1]: parts[2] for parts in (line.split() for line in text.splitlines())
            if len(parts) == 3 and parts[0] == "STAT"}


def config(text):
    handle = tempfile.NamedTemporaryFile("w", suffix=".toml", delete=False)
    handle.write(text)
    handle.close()
    return handle.name


def test_compressed_values_round_trip_and_survive_a_restart():
    path = config("[compression]\nenable_lz4 = true\ncompression_threshold = 1024\n")
    data_dir = tempfile.mkdtemp(prefix="rmc_lz4_")
    values = {f"k{i}": (b"row %d of a compressible table; " % i) * (40 + i % 50) for i in range(500)}
    server = start_rat("--config", path, data_dir=data_dir)
    try:
        c = Client(("127.0.0.1", server.port))
        for key, value in values.items():
            assert c.set(key, value, flags=3, noreply=False)
        assert c.get_many(list(values)) == values
        s = stats(server)
        assert int(s["compressed_stores"]) == 500
        assert int(s["compression_saved_bytes"]) > sum(map(len, values.values())) // 2
        assert c.append("k1", b"!", noreply=False)
        assert c.get("k1") == values["k1"] + b"!"
        values["k1"] += b"!"
        c.close()
        assert server.stop() == 0
        server = start_rat(data_dir=data_dir)  # no compression now: L2 held the originals
        c = Client(("127.0.0.1", server.port))
        assert c.get_many(list(values)) == values
        c.close()
    finally:
        server.stop()
        os.unlink(path)
        shutil.rmtree(data_dir, ignore_errors=True)
