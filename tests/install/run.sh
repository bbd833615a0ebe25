#!/usr/bin/env bash
# Proves that `cmake --install` yields a usable package: installs the build tree given as
# $1 into a temporary prefix, configures and builds this folder's project (which knows only
# find_package(ratmemcache)) against that prefix, and runs it.
# Usage: tests/install/run.sh <build-dir>
# Environment (set by ctest; all optional): CMAKE (the cmake that configured the build
# tree), RMC_CXX (its C++ compiler), RMC_GENERATOR (its generator).
set -euo pipefail

if [ $# -ne 1 ] || [ ! -f "$1/CMakeCache.txt" ]; then
  echo "usage: $0 <configured and built RatMemCache build dir>" >&2
  exit 2
fi
build=$(cd "$1" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
cmake=${CMAKE:-cmake}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/rmc-install-test.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
prefix=$tmp/prefix

step() { echo "== $*"; }
run_logged() {  # run_logged <log> <command...>: quiet unless it fails
  local log=$1; shift
  if ! "$@" >"$log" 2>&1; then
    cat "$log" >&2
    echo "FAILED: $*" >&2
    exit 1
  fi
}

step "cmake --install $build --prefix $prefix"
run_logged "$tmp/install.log" "$cmake" --install "$build" --prefix "$prefix"
for f in include/ratmemcache/cache.h include/ratmemcache/item.h include/ratmemcache/options.h \
         include/ratmemcache/status.h bin/rat_memcached; do
  [ -e "$prefix/$f" ] || { echo "not installed: $f" >&2; exit 1; }
done
config=$(find "$prefix" -name ratmemcacheConfig.cmake -print -quit)
[ -n "$config" ] || { echo "not installed: ratmemcacheConfig.cmake" >&2; exit 1; }
[ -e "$(dirname "$config")/ratmemcacheConfigVersion.cmake" ] ||
  { echo "not installed: ratmemcacheConfigVersion.cmake" >&2; exit 1; }
"$prefix/bin/rat_memcached" -V

step "the systemd unit runs the installed binary with the installed configuration"
unit=$(find "$prefix" -path '*/systemd/system/rat_memcached.service' -print -quit)
[ -n "$unit" ] || { echo "not installed: rat_memcached.service" >&2; exit 1; }
exec_start=$(sed -n 's/^ExecStart=//p' "$unit")
expected="$prefix/bin/rat_memcached --config $prefix/etc/ratmemcache/rat_memcached.toml"
[ "$exec_start" = "$expected" ] || { echo "ExecStart is '$exec_start', not '$expected'" >&2; exit 1; }
grep -q '^ExecReload=/bin/kill -HUP \$MAINPID$' "$unit" || { echo "no ExecReload in the unit" >&2; exit 1; }
# The command line the unit runs must be accepted as it stands.
$exec_start --print-config > "$tmp/unit-config.toml" ||
  { echo "the unit's command line is refused" >&2; exit 1; }
grep -q "data_dir = '/var/lib/ratmemcache'" "$tmp/unit-config.toml" ||
  { echo "the unit's configuration does not use its StateDirectory" >&2; exit 1; }
if command -v systemd-analyze >/dev/null 2>&1; then
  systemd-analyze verify "$unit" >/dev/null 2>"$tmp/verify.log" || { cat "$tmp/verify.log" >&2; exit 1; }
fi

step "configure the consumer against $prefix"
configure=(-S "$here" -B "$tmp/consumer" -DCMAKE_BUILD_TYPE=Release
           -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF)
[ -n "${RMC_GENERATOR:-}" ] && configure+=(-G "$RMC_GENERATOR")
[ -n "${RMC_CXX:-}" ] && configure+=(-DCMAKE_CXX_COMPILER="$RMC_CXX")
run_logged "$tmp/configure.log" "$cmake" "${configure[@]}"
# The package must come from the prefix, not from the source or build tree.
found=$(sed -n 's/^ratmemcache_DIR:PATH=//p' "$tmp/consumer/CMakeCache.txt")
if [ "$found" != "$(dirname "$config")" ]; then
  echo "ratmemcache was found in '$found', not in $(dirname "$config")" >&2
  exit 1
fi

step "build the consumer"
run_logged "$tmp/build.log" "$cmake" --build "$tmp/consumer"

step "run the consumer"
"$tmp/consumer/consumer" "$tmp/data"
