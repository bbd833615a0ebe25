#!/usr/bin/env bash
# Plots rmc_sim's CSV (workload,cache_size,policy,miss_ratio) as one SVG: a panel per
# workload, miss ratio against cache size (log scale), a line per policy.
#   bench/plot_miss_ratios.sh bench/results/FILE.csv docs/eviction-miss-ratios.svg
# Needs gnuplot (Debian gnuplot-nox, installed by scripts/bootstrap).
set -euo pipefail
csv=$1
svg=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

mapfile -t workloads < <(tail -n +2 "$csv" | cut -d, -f1 | awk '!seen[$0]++')
mapfile -t policies < <(tail -n +2 "$csv" | cut -d, -f3 | awk '!seen[$0]++')

script="$work/plot.gp"
{
  echo "set terminal svg size 1200,$(( (${#workloads[@]} + 1) / 2 * 320 )) font 'sans,10'"
  echo "set output '$svg'"
  echo "set datafile separator ','"
  echo "set logscale x"
  echo "set xlabel 'cache size (objects; bytes for mixed sizes)'"
  echo "set ylabel 'miss ratio'"
  echo "set key outside right top"
  echo "set multiplot layout $(( (${#workloads[@]} + 1) / 2 )),2"
  for w in "${workloads[@]}"; do
    echo "set title '$w'"
    plot="plot"
    sep=""
    for p in "${policies[@]}"; do
      file="$work/$(echo "$w-$p" | tr -c 'a-zA-Z0-9' '_').dat"
      awk -F, -v w="$w" -v p="$p" '$1 == w && $3 == p { print $2 "," $4 }' "$csv" > "$file"
      plot+="$sep '$file' using 1:2 with linespoints title '$p'"
      sep=","
    done
    echo "$plot"
  done
  echo "unset multiplot"
} > "$script"
gnuplot "$script"
echo "wrote $svg"
