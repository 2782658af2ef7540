#!/usr/bin/env bash
# Makes a checkout ready to run: npm packages, the native addon (quick optimized profile),
# and, with --broker, Mosquitto (Debian's package) for the tests. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

# With --broker: Mosquitto, and openssl (the TLS tests make their certificates with it).
MISSING=()
if [[ "${1:-}" == "--broker" ]]; then
  if ! command -v mosquitto >/dev/null 2>&1 && [[ ! -x /usr/sbin/mosquitto ]]; then MISSING+=(mosquitto); fi
  if ! command -v openssl >/dev/null 2>&1; then MISSING+=(openssl); fi
fi
if [[ ${#MISSING[@]} -gt 0 ]]; then
  echo "ensure: installing ${MISSING[*]} (Debian packages)" >&2
  SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${MISSING[@]}" >/dev/null
fi

if [[ ! -d node_modules/@napi-rs/cli ]]; then
  echo "ensure: installing npm packages" >&2
  # Not `npm ci`: see .ci/run for why.
  MQTT_NAPI_SKIP_BUILD=1 npm install --no-audit --no-fund
fi

# ENSURE_SKIP_ADDON=1: the caller builds the addon itself (npm run bench builds a release).
if [[ "${ENSURE_SKIP_ADDON:-}" != "1" ]]; then
  echo "ensure: building the native addon" >&2
  npx napi build --platform --profile fast --js binding.js --dts binding.d.ts >&2
fi
