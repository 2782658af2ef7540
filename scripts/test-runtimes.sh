#!/usr/bin/env bash
# Runs the JS test suite on Bun and Deno: scripts/test-runtimes.sh bun deno
# Each runtime comes from the npm registry (bun: package `bun`, bin/bun.exe; deno: package
# `@deno/linux-x64-glibc`), installed once under ~/.cache/mqtt-napi/. Every test file runs,
# one process per file (`bun test`, `deno test`, both run node:test files); tests that need
# Node itself skip with the reason (helpers/impl.js `nodeOnly`, `runtime`). The addon is the
# one built for Node: Node-API is the same on all three.
set -euo pipefail
cd "$(dirname "$0")/.."
[[ $# -gt 0 ]] || { echo "usage: scripts/test-runtimes.sh bun|deno..." >&2; exit 2; }
bash scripts/ensure.sh --broker
CACHE="${MQTT_NAPI_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/mqtt-napi}"

install() { # dir package
  if [[ ! -d "$1/node_modules/$2" ]]; then
    echo "test-runtimes: installing $2 into $1" >&2
    mkdir -p "$1"
    npm install --prefix "$1" --no-audit --no-fund --no-save --loglevel=error "$2" >&2
  fi
}

failed=()
for rt in "$@"; do
  case "$rt" in
    bun)
      install "$CACHE/bun" bun
      BUN="$CACHE/bun/node_modules/bun/bin/bun.exe"
      echo "== bun test on Bun $("$BUN" --version)" >&2
      run() { "$BUN" test --timeout 120000 "$1"; } ;;
    deno)
      install "$CACHE/deno" @deno/linux-x64-glibc
      DENO="$CACHE/deno/node_modules/@deno/linux-x64-glibc/deno"
      echo "== deno test on $("$DENO" --version | head -1)" >&2
      # --no-check: these are JS files, but Deno would type-check the package's .d.ts.
      run() { NO_COLOR=1 "$DENO" test -A --no-check --node-modules-dir=manual "$1"; } ;;
    *) echo "test-runtimes: unknown runtime $rt" >&2; exit 2 ;;
  esac
  for f in __test__/*.test.js __test__/*.test.mjs; do
    log="$(mktemp)"
    if run "$f" >"$log" 2>&1; then
      echo "$rt $f: $(grep -aE '^ *[0-9]+ (pass|skip|fail)$|^ok \|' "$log" | tr -s ' \n' ' ')" >&2
    else
      cat "$log" >&2
      echo "$rt $f: FAILED" >&2
      failed+=("$rt $f")
    fi
    rm -f "$log"
  done
done
if [[ ${#failed[@]} -gt 0 ]]; then
  printf 'test-runtimes: failed: %s\n' "${failed[@]}" >&2
  exit 1
fi
