#!/usr/bin/env python3
"""RSS per item under each eviction policy: rat_memcached (RAM only, -m 1024) gets
N items (20-byte keys, 100-byte values) from rmc_load --populate-only; the RSS growth
divided by N is printed per policy, with memcached's for reference.

  python3 bench/policy_bytes_per_item.py [--items 1000000]"""

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import side_by_side  # noqa: E402  (its Server, load generator and pinning)

POLICIES = ["lru", "lfu", "fifo", "hybrid", "ttl", "s3fifo", "sieve"]


def bytes_per_item(kind, items):
    server = side_by_side.Server(kind, threads=4, memory_mb=1024, conns=1024)
    try:
        before = server.rss_kib()
        side_by_side.load(server, "--populate-only", "--keys", items, "--key-size", 20, "--value-size", 100)
        time.sleep(0.5)
        return (server.rss_kib() - before) * 1024 / items
    finally:
        server.stop()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=1000000)
    args = parser.parse_args()
    print(f"{'memcached':>10} {bytes_per_item('memcached', args.items):8.1f} bytes/item")
    for policy in POLICIES:
        side_by_side.RAT_EXTRA = ["--no-l2", "--eviction", policy]
        print(f"{policy:>10} {bytes_per_item('rat_memcached', args.items):8.1f} bytes/item")


if __name__ == "__main__":
    main()
