#!/usr/bin/env python3
"""Side-by-side benchmark of rat_memcached and memcached on this machine.

Both servers get the same threads (-t), memory (-m) and connection limit, are pinned to
the same CPU, and face the same load from bench's rmc_load pinned to another CPU. Runs
alternate A/B/B/A... so that drifting machine noise hits both; medians and ratios are
reported (ratio > 1 means rat_memcached is better for throughput, < 1 for latency/RSS).

  python3 bench/side_by_side.py [--rounds 3] [--duration 10] [--quick] [--out FILE]

Workloads (issue #2):
  get90_depth1   90% get / 10% set, 100-byte values, 100k keys, 50 connections, depth 1
  get90_depth16  the same at pipeline depth 16
  zipf_depth16   the same with Zipf(0.99) keys
  fixed_rate     open loop at a fixed rate (default 50k ops/s): latency from intended send time
  rss_per_item   RSS growth for 1M items (20-byte keys, 100-byte values)
  idle_conns     RSS growth for 10,000 idle connections
"""

import argparse
import json
import os
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.environ.get("RMC_BUILD", os.path.join(ROOT, "build"))
RAT = os.path.join(BUILD, "rat_memcached")
LOAD = os.path.join(BUILD, "bench", "rmc_load")
MEMCACHED = shutil.which("memcached") or "/usr/bin/memcached"
SERVER_CPU = "1"
CLIENT_CPU = "0"
RAT_EXTRA = []  # extra rat_memcached flags (--no-l2 with --ram-only)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, kind, threads, memory_mb, conns):
        self.kind = kind
        self.port = free_port()
        self.data_dir = None
        common = ["-p", str(self.port), "-l", "127.0.0.1", "-t", str(threads), "-m", str(memory_mb),
                  "-c", str(conns)]
        if kind == "memcached":
            argv = [MEMCACHED, "-u", "root", "-U", "0"] + common
        else:
            # The persistent tier is on, as by default, in a fresh folder per run.
            self.data_dir = tempfile.mkdtemp(prefix="rmc_bench_l2_")
            argv = [RAT, "--data-dir", self.data_dir] + common + RAT_EXTRA
        self.process = subprocess.Popen(["taskset", "-c", SERVER_CPU] + argv,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.02)
        time.sleep(0.3)

    def rss_kib(self):
        with open(f"/proc/{self.process.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0

    def cpu_seconds(self):
        with open(f"/proc/{self.process.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self):
        self.process.kill()
        self.process.wait()
        if self.data_dir:
            shutil.rmtree(self.data_dir, ignore_errors=True)


def load(server, *args):
    argv = ["taskset", "-c", CLIENT_CPU, LOAD, "--server", f"127.0.0.1:{server.port}"] + [str(a) for a in args]
    out = subprocess.run(argv, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def throughput_run(kind, args, cfg, extra):
    server = Server(kind, cfg.threads, cfg.memory, 12000)
    try:
        load(server, "--populate-only", "--keys", 100000, "--value-size", 100)
        cpu_before = server.cpu_seconds()
        result = load(server, "--keys", 100000, "--value-size", 100, "--duration", cfg.duration, *extra)
        result["server_cpu_us_per_op"] = (server.cpu_seconds() - cpu_before) * 1e6 / max(result["ops"], 1)
        result["rss_mib"] = server.rss_kib() / 1024
        return result
    finally:
        server.stop()


def rss_per_item_run(kind, cfg):
    items = cfg.items
    server = Server(kind, cfg.threads, 1024, 1024)
    try:
        before = server.rss_kib()
        load(server, "--populate-only", "--keys", items, "--key-size", 20, "--value-size", 100)
        time.sleep(0.5)
        after = server.rss_kib()
        return {"bytes_per_item": (after - before) * 1024 / items, "rss_mib": after / 1024}
    finally:
        server.stop()


def idle_conns_run(kind, cfg):
    count = cfg.conns
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < count + 100:
        resource.setrlimit(resource.RLIMIT_NOFILE, (max(hard, count + 100), max(hard, count + 100)))
    server = Server(kind, cfg.threads, 64, count + 100)
    sockets = []
    try:
        before = server.rss_kib()
        for _ in range(count):
            sockets.append(socket.create_connection(("127.0.0.1", server.port)))
        # Every connection is served: one round trip each.
        for s in sockets:
            s.sendall(b"version\r\n")
        served = sum(1 for s in sockets if s.recv(100).startswith(b"VERSION"))
        time.sleep(0.5)
        after = server.rss_kib()
        return {"bytes_per_conn": (after - before) * 1024 / count, "served": served}
    finally:
        for s in sockets:
            s.close()
        server.stop()


def median_of(results, key):
    return statistics.median(r[key] for r in results)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=float, default=10)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--memory", type=int, default=1024)
    parser.add_argument("--rate", type=int, default=50000)
    parser.add_argument("--items", type=int, default=1000000)
    parser.add_argument("--conns", type=int, default=10000)
    parser.add_argument("--quick", action="store_true", help="1 round of 3 s, 200k items, 2k conns")
    parser.add_argument("--only", default="", help="comma-separated workload names")
    parser.add_argument("--out", default="")
    parser.add_argument("--ram-only", action="store_true", help="run rat_memcached with --no-l2")
    cfg = parser.parse_args()
    if cfg.ram_only:
        RAT_EXTRA.append("--no-l2")
    if cfg.quick:
        cfg.rounds, cfg.duration, cfg.items, cfg.conns = 1, 3, 200000, 2000
    for path in (RAT, LOAD, MEMCACHED):
        if not os.path.exists(path):
            sys.exit(f"missing {path}: build first (make build)")

    workloads = {
        "get90_depth1": ("throughput", ["--connections", 50, "--depth", 1, "--get-ratio", 0.9]),
        "get90_depth16": ("throughput", ["--connections", 50, "--depth", 16, "--get-ratio", 0.9]),
        "zipf_depth16": ("throughput", ["--connections", 50, "--depth", 16, "--get-ratio", 0.9, "--zipf", 0.99]),
        "fixed_rate": ("throughput", ["--connections", 50, "--rate", cfg.rate, "--get-ratio", 0.9]),
        "rss_per_item": ("rss", None),
        "idle_conns": ("conns", None),
    }
    selected = [w for w in workloads if not cfg.only or w in cfg.only.split(",")]
    lines = [f"# rat_memcached vs memcached {subprocess.run([MEMCACHED, '-V'], capture_output=True, text=True).stdout.strip()}",
             "",
             f"{time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} CPUs; server pinned to CPU {SERVER_CPU} "
             f"(-t {cfg.threads}), load generator to CPU {CLIENT_CPU}; {cfg.rounds} alternating rounds of "
             f"{cfg.duration:g} s; medians. rat_memcached "
             f"{'RAM only (--no-l2)' if cfg.ram_only else 'with its persistent tier on (the default)'}.", "",
             "| workload | metric | memcached | rat_memcached | ratio (rat/mc) |", "|---|---|---|---|---|"]
    for name in selected:
        kind, extra = workloads[name]
        results = {"memcached": [], "rat_memcached": []}
        for round_index in range(cfg.rounds):
            order = ["memcached", "rat_memcached"] if round_index % 2 == 0 else ["rat_memcached", "memcached"]
            for server in order:
                if kind == "throughput":
                    r = throughput_run(server, None, cfg, extra)
                elif kind == "rss":
                    r = rss_per_item_run(server, cfg)
                else:
                    r = idle_conns_run(server, cfg)
                results[server].append(r)
                print(name, server, json.dumps(r), file=sys.stderr)
        metrics = {"throughput": ["ops_per_sec", "p50_us", "p99_us", "p999_us", "server_cpu_us_per_op"],
                   "rss": ["bytes_per_item"], "conns": ["bytes_per_conn", "served"]}[kind]
        for metric in metrics:
            mc = median_of(results["memcached"], metric)
            rat = median_of(results["rat_memcached"], metric)
            ratio = rat / mc if mc else float("nan")
            lines.append(f"| {name} | {metric} | {mc:,.1f} | {rat:,.1f} | {ratio:.2f} |")
    report = "\n".join(lines) + "\n"
    print(report)
    if cfg.out:
        with open(cfg.out, "w") as f:
            f.write(report)


if __name__ == "__main__":
    main()
