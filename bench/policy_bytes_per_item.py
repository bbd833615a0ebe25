#!/usr/bin/env python3
"""RSS per item under each eviction policy: rat_memcached (RAM only, -m 1024) gets
N items (20-byte keys, 100-byte values) from rmc_load --populate-only; the RSS growth
divided by N is printed per policy, with memcached's for reference.

  python3 bench/policy_bytes_per_item.py [--items 1000000]"""

import argparse
import os
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from side_by_side import LOAD, MEMCACHED, RAT, free_port  # noqa: E402

POLICIES = ["lru", "lfu", "fifo", "hybrid", "ttl", "s3fifo", "sieve"]


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def wait_listening(port):
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("server did not start")


def measure(argv, port, items):
    server = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_listening(port)
        before = rss_kib(server.pid)
        subprocess.run([LOAD, "--server", f"127.0.0.1:{port}", "--populate-only", "--keys", str(items),
                        "--key-size", "20", "--value-size", "100"], check=True, capture_output=True)
        time.sleep(0.5)
        return (rss_kib(server.pid) - before) * 1024 / items
    finally:
        server.kill()
        server.wait()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=1000000)
    args = parser.parse_args()
    port = free_port()
    mc = measure([MEMCACHED, "-u", "root", "-U", "0", "-p", str(port), "-l", "127.0.0.1", "-m", "1024"],
                 port, args.items)
    print(f"{'memcached':>10} {mc:8.1f} bytes/item")
    for policy in POLICIES:
        port = free_port()
        rat = measure([RAT, "--no-l2", "-p", str(port), "-l", "127.0.0.1", "-m", "1024", "--eviction", policy],
                      port, args.items)
        print(f"{policy:>10} {rat:8.1f} bytes/item")


if __name__ == "__main__":
    main()
