#!/usr/bin/env bash
# Fails when a Linux .node file needs a glibc newer than MAX (default 2.17): the highest
# GLIBC_ symbol version it imports is what the oldest distribution it loads on must have.
#   scripts/release/check-glibc.sh FILE [MAX]
set -euo pipefail
FILE="${1:?usage: check-glibc.sh FILE [MAX]}"
MAX="${2:-2.17}"
NEEDED=$(objdump -T "$FILE" | grep -oE 'GLIBC_[0-9]+(\.[0-9]+)+' | sed 's/GLIBC_//' | sort -uV | tail -1)
if [[ -z "$NEEDED" ]]; then
  echo "check-glibc: $FILE imports no versioned glibc symbols" >&2
  exit 1
fi
if [[ "$(printf '%s\n%s\n' "$NEEDED" "$MAX" | sort -V | tail -1)" != "$MAX" ]]; then
  echo "check-glibc: $FILE needs GLIBC_$NEEDED, newer than GLIBC_$MAX" >&2
  objdump -T "$FILE" | grep -E "GLIBC_$NEEDED\b" >&2 || true
  exit 1
fi
echo "check-glibc: $FILE needs at most GLIBC_$NEEDED (limit $MAX)" >&2
