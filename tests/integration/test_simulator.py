"""bench's rmc_sim drives the real RAM tier: a generated workload and a CSV trace give
miss ratios in the expected places, and a bad trace is refused with its line number."""

import os
import subprocess

import pytest

from conftest import HERE

SIM = os.path.join(os.path.dirname(os.environ.get("RMC_BINARY", os.path.join(HERE, "..", "..", "build", "x"))),
                   "bench", "rmc_sim")


def run(*args):
    return subprocess.run([SIM] + list(args), capture_output=True, text=True, timeout=300)


def test_zipf_table_has_every_policy_and_sane_ratios():
    result = run("--workload", "zipf:1.0", "--keys", "20000", "--requests", "200000",
                 "--cache-sizes", "200,2000")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().split("\n")
    assert lines[0].split()[-7:] == ["lru", "lfu", "fifo", "hybrid", "ttl", "s3fifo", "sieve"]
    small = [float(x) for x in lines[1].split()[-7:]]
    large = [float(x) for x in lines[2].split()[-7:]]
    assert all(0 < r < 1 for r in small + large)
    assert all(l < s for s, l in zip(small, large))  # a bigger cache misses less
    lru, fifo, s3fifo, sieve = large[0], large[2], large[5], large[6]
    assert s3fifo < lru and sieve < fifo  # the FIFO-family ideas at work on a skewed load


def test_batch_workload_reads_back_what_it_wrote():
    # New keys written, then read back later, on top of Zipf traffic: a table row per
    # cache size with sane ratios, lower for the larger cache.
    result = run("--workload", "batch", "--keys", "20000", "--requests", "300000",
                 "--cache-sizes", "500,10000", "--policies", "lru,s3fifo,sieve")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().split("\n")
    assert lines[1].split()[:3] == ["zipf", "1.0", "+"] and "batches" in lines[1]
    small = [float(x) for x in lines[1].split()[-3:]]
    large = [float(x) for x in lines[2].split()[-3:]]
    assert all(0 < r < 1 for r in small + large)
    assert all(l < s for s, l in zip(small, large))


def test_csv_trace(tmp_path):
    trace = tmp_path / "trace.csv"
    # a b a b ... then c: with room for 2 objects, only the first two gets and c miss.
    lines = ["time,key,size,op"] + [f"{t},{'ab'[t % 2]},100,get" for t in range(10)] + \
            ["10,c,100,get", "11,c,100,delete", "12,c,100"]
    trace.write_text("\n".join(lines) + "\n")
    result = run("--workload", f"csv:{trace}", "--cache-sizes", "100000", "--policies", "lru,sieve",
                 "--stripes", "1")
    assert result.returncode == 0, result.stderr
    ratios = result.stdout.strip().split("\n")[1].split()[-2:]
    assert ratios == ["0.3333", "0.3333"]  # 4 misses (a, b, c, c after delete) in 12 gets


def test_bad_trace_and_flags_are_refused(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("1,a,100\n2,b,x\n")
    result = run("--workload", f"csv:{bad}")
    assert result.returncode == 1
    assert "line 2: size 'x' is not a number" in result.stderr
    assert run("--policies", "clock").returncode == 2
    assert run("--frobnicate").returncode == 2
