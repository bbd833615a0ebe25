#!/usr/bin/env bash
# The native Windows build under Wine (issue #6): starts build-windows/rat_memcached.exe
# under Wine on loopback ports and runs the protocol integration tests against it from
# Linux clients (python3, the same tests as for the Linux build).
# Usage: tests/windows/run.sh <rat_memcached.exe> [pytest args...]
set -euo pipefail
exe=$(realpath "$1"); shift
here=$(cd "$(dirname "$0")" && pwd)
[ -f "$exe" ] || { echo "no $exe: build it with 'make windows'" >&2; exit 1; }
command -v wine >/dev/null || { echo "wine is not installed: run scripts/bootstrap" >&2; exit 1; }

export WINEDEBUG=-all
export WINEPREFIX=${RMC_WINEPREFIX:-$(dirname "$exe")/wineprefix}
export RMC_WINDOWS_EXE=$exe
export RMC_BINARY=$here/rat_memcached_wine.sh
# The first run creates the Wine prefix (seconds); do it before any test measures time.
version=$(mktemp)
"$RMC_BINARY" -V -v >"$version" 2>&1 || { cat "$version" >&2; exit 1; }
grep -v '^wine:' "$version" || true
rm -f "$version"
# Then one Wine server for the whole run, started here with its output going nowhere: a
# server that Wine starts on demand inherits the output pipes of the program that needed
# it (a test's server, or ctest's), and whoever reads them then waits for the Wine server
# to exit. It leaves 30 s after the last program.
wineserver -w  # the one the first run started has gone
wineserver -f -p30 </dev/null >/dev/null 2>&1 &
sleep 1
# The library: the seed's quick start (a RAM-only cache through CacheBuilder) must run.
example=$(dirname "$exe")/example_basic.exe
[ -f "$example" ] || { echo "no $example: build it with 'make windows'" >&2; exit 1; }
wine "$example" >"$WINEPREFIX/example.out" 2>&1 || { cat "$WINEPREFIX/example.out" >&2; exit 1; }
grep -q "value: my_value" "$WINEPREFIX/example.out" || { cat "$WINEPREFIX/example.out" >&2; exit 1; }
echo "example_basic.exe: ok"
cd "$here/../integration"
exec /usr/bin/python3 -m pytest -q -p no:cacheprovider \
  test_differential.py test_meta.py test_binary.py test_clients.py \
  "$here/test_windows_only.py" "$@"
