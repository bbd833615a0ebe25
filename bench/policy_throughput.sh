#!/bin/bash
# Throughput per eviction policy through the real server (RAM only, -t 2 on CPU 1; the
# load generator on CPU 0: 50 connections, depth 16, 90% gets, Zipf 0.99, 100-byte
# values), ROUNDS rounds (default 3) alternating the policies. Prints: round policy ops/s hits misses.
#   MEM=1024 KEYS=100000 bench/policy_throughput.sh   # everything fits: the hit path
#   MEM=8 KEYS=300000 bench/policy_throughput.sh      # evicting all the time
#   POLICIES="lru sieve" ROUNDS=7 ...                 # some policies, more rounds
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${RMC_BUILD:-$ROOT/build}
L=$BUILD/bench/rmc_load
for round in $(seq 1 ${ROUNDS:-3}); do
  for p in ${POLICIES:-lru lfu fifo hybrid ttl s3fifo sieve}; do
    port=$((24000 + RANDOM % 1000))
    taskset -c 1 $BUILD/rat_memcached --no-l2 -p $port -t 2 -m $MEM --eviction $p 2>/dev/null & S=$!
    sleep 0.4
    taskset -c 0 $L --server 127.0.0.1:$port --populate-only --keys $KEYS --value-size 100 >/dev/null 2>&1
    r=$(taskset -c 0 $L --server 127.0.0.1:$port --connections 50 --depth 16 --get-ratio 0.9 --keys $KEYS --value-size 100 --zipf 0.99 --duration 4 2>/dev/null | tail -1)
    echo "$round $p $(echo $r | python3 -c 'import sys,json; d=json.load(sys.stdin); print(d["ops_per_sec"], d["hits"], d["misses"])')"
    kill $S; wait $S 2>/dev/null
  done
done
