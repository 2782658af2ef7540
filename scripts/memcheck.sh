#!/usr/bin/env bash
# Runs JS test files in one process each under valgrind's memcheck (invalid reads and
# writes, use after free, bad frees in the addon or anything it calls; V8's own
# uninitialised-value reports and leak checking are off: they are noise for a JIT).
#   scripts/memcheck.sh [TEST_FILE...]   (default: the client's tests)
# Prints each file's error summary; exits 1 when any file had an error. The tests
# themselves run slower under valgrind, so timing-sensitive ones may fail there: the
# verdict here is memcheck's, not the tests'.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v valgrind >/dev/null || { echo "memcheck: valgrind is not installed (apt-get install valgrind)" >&2; exit 2; }
bash scripts/ensure.sh --broker
FILES=("$@")
[[ ${#FILES[@]} -gt 0 ]] || FILES=(__test__/client.test.js __test__/native-calls.test.js __test__/packet-codec.test.js __test__/read-thread.test.js __test__/custom-stream.test.js __test__/event-order.test.js)
OUT="${TMPDIR:-/tmp}/mqtt-napi-memcheck"
mkdir -p "$OUT"
bad=0
for f in "${FILES[@]}"; do
  log="$OUT/$(basename "$f").log"
  valgrind --tool=memcheck --undef-value-errors=no --leak-check=no --error-exitcode=99 \
    node "$f" >"$log" 2>&1 && rc=0 || rc=$?
  summary=$(grep -E "ERROR SUMMARY" "$log" | tail -1 | sed 's/^==[0-9]*== //')
  tests=$(grep -E "^# (pass|fail) " "$log" | tr '\n' ' ')
  echo "memcheck: $f: ${summary:-no summary} (tests under valgrind: ${tests:-none reported}; log $log)"
  if [[ $rc -eq 99 ]]; then bad=1; fi
done
exit $bad
