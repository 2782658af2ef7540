#!/usr/bin/env bash
# Runs JS test files in one process each under valgrind's memcheck (invalid reads and
# writes, use after free, bad frees in the addon or anything it calls; V8's own
# uninitialised-value reports and leak checking are off: they are noise for a JIT).
#   scripts/memcheck.sh [TEST_FILE...]   (default: the client's tests)
# Prints each file's error summary; exits 1 when any file had an error. The tests
# themselves run slower under valgrind, so timing-sensitive ones may fail there: the
# verdict here is memcheck's, not the tests'. A test that fails that way can leave a client
# connected (as a program would), so the runner is told to exit once its tests are done
# (--test-force-exit), and each file is bounded in time (MEMCHECK_FILE_TIMEOUT seconds,
# default 1200): a file cut there still gets its verdict from the errors logged so far.
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
  timeout --signal=TERM --kill-after=30 "${MEMCHECK_FILE_TIMEOUT:-1200}" \
    valgrind --tool=memcheck --undef-value-errors=no --leak-check=no --error-exitcode=99 \
    node --test-force-exit "$f" >"$log" 2>&1 && rc=0 || rc=$?
  summary=$(grep -E "ERROR SUMMARY" "$log" | tail -1 | sed 's/^==[0-9]*== //' || true)
  tests=$(grep -E "^# (pass|fail) " "$log" | tr '\n' ' ' || true)
  cut=""
  if [[ $rc -eq 124 || $rc -eq 137 ]]; then cut=", cut after ${MEMCHECK_FILE_TIMEOUT:-1200} s"; fi
  echo "memcheck: $f: ${summary:-no summary} (tests under valgrind: ${tests:-none reported}$cut; log $log)"
  # Memcheck's own reports (each error's first line names its kind).
  errors=$(grep -cE "^==[0-9]+== (Invalid (read|write|free)|Mismatched free|Source and destination overlap|Syscall param|Conditional jump|Use of uninitialised|Process terminating with default action of signal (11|6|7|4))" "$log" || true)
  if [[ $rc -eq 99 || $errors -gt 0 ]]; then bad=1; fi
done
exit $bad
