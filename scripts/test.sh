#!/usr/bin/env bash
# The test command (npm test): builds what the tests need, then runs the Rust tests and the
# JS tests. MQTT_IMPL=mqtt runs the JS suite against upstream MQTT.js / mqtt-packet.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure.sh --broker
echo "== cargo test" >&2
cargo test --quiet
echo "== node --test" >&2
node --test --test-timeout 120000 __test__/
