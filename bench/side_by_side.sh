#!/usr/bin/env bash
# Runs the side-by-side benchmark (see side_by_side.py) and keeps the report.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p bench/results
exec python3 bench/side_by_side.py --out "bench/results/$(date +%Y-%m-%d-%H%M).md" "$@"
