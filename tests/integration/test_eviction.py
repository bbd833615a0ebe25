"""Eviction policies (--eviction / [l1] eviction_strategy) on the real server at a tiny
-m: every policy evicts, keeps serving, reports itself in stats settings, keeps a small
set of hot keys when a stream of one-time keys flows through, and does not grow while
the stream goes on (no leak per eviction)."""

import subprocess

import pytest

from conftest import RMC_BINARY, SANITIZED, free_port, read_until_idle, start_rat

POLICIES = ["lru", "lfu", "fifo", "hybrid", "ttl", "s3fifo", "sieve"]


def command(sock, data, until):
    sock.sendall(data)
    reply, _ = read_until_idle(sock, idle=2.0, timeout=30, until=until)
    return reply


def stats(sock, sub=b""):
    reply = command(sock, b"stats" + (b" " + sub if sub else b"") + b"\r\n", b"END\r\n")
    out = {}
    for line in reply.split(b"\r\n"):
        parts = line.split(b" ")
        if len(parts) == 3 and parts[0] == b"STAT":
            out[parts[1].decode()] = parts[2].decode()
    return out


@pytest.mark.parametrize("policy", POLICIES + ["S3FIFO", "Sieve", "LruLfu", "TtlBased"])
def test_policy_evicts_and_keeps_serving(policy):
    rat = start_rat("--no-l2", "-m", "2", "--eviction", policy)
    try:
        with rat.connect(timeout=30) as s:
            canonical = {"lrulfu": "hybrid", "ttlbased": "ttl"}.get(policy.lower(), policy.lower())
            assert stats(s, b"settings")["eviction_strategy"] == canonical
            value = b"v" * 1000
            hot = [b"hot%d" % i for i in range(20)]
            for key in hot:
                assert command(s, b"set %s 0 0 %d\r\n%s\r\n" % (key, len(value), value), b"\r\n") == b"STORED\r\n"

            def churn(first_round):  # 50 x 200 one-time keys of 1 KB through 2 MB
                for round_ in range(first_round, first_round + 50):
                    batch = b"".join(b"set once%d_%d 0 0 %d noreply\r\n%s\r\n" % (round_, i, len(value), value)
                                     for i in range(200))
                    s.sendall(batch)
                    # the hot keys are read between the one-time writes
                    reply = command(s, b"get " + b" ".join(hot) + b"\r\n", b"END\r\n")
                return reply

            churn(0)
            # A second churn as large as the first must not grow the process: what the
            # policy keeps per evicted item (S3-FIFO's ghost) is bounded and charged to -m.
            rss_before = rat.rss_kib()
            reply = churn(50)
            grown_kib = rat.rss_kib() - rss_before
            if not SANITIZED:  # ASan's quarantine holds freed memory on purpose
                assert grown_kib < 1024, f"{policy}: RSS grew {grown_kib} KiB over a second churn"
            figures = stats(s)
            assert int(figures["evictions"]) > 10000
            assert int(figures["curr_items"]) < 3000
            hits = reply.count(b"VALUE ")
            if policy.lower() != "fifo":  # FIFO ignores hits by design
                assert hits == len(hot), f"{policy} kept {hits} of {len(hot)} hot keys"
        assert rat.alive()
    finally:
        assert rat.stop() == 0


def test_unknown_policy_is_refused_with_the_valid_names():
    result = subprocess.run([RMC_BINARY, "--eviction", "clock", "-p", str(free_port())],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode != 0
    assert "--eviction: 'clock' is not an eviction policy (valid: lru, lfu, fifo, hybrid (LruLfu), ttl (TtlBased), s3fifo, sieve)" in result.stderr
