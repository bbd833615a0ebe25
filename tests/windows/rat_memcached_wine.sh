#!/usr/bin/env bash
# Runs the Windows build ($RMC_WINDOWS_EXE) under Wine with the arguments given, for the
# integration tests (RMC_BINARY). SIGTERM and SIGINT are passed on as SIGINT, which Wine
# delivers to the program as a console Ctrl+C (its graceful stop); SIGTERM itself would
# make Wine end the process at once.
set -u
wine "$RMC_WINDOWS_EXE" "$@" &
child=$!
trap 'kill -INT "$child" 2>/dev/null' TERM INT
while kill -0 "$child" 2>/dev/null; do
  wait "$child"
done
wait "$child"
