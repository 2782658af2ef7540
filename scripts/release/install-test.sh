#!/usr/bin/env bash
# Installs the package as a user would and runs a round trip through require('mqtt') against
# Mosquitto, twice:
#  1. prebuilt: the main package and the linux-x64-gnu platform package, packed into tarballs,
#     installed into a fresh app as `mqtt` with no cargo on PATH and npm's strictest script
#     policy (--strict-allow-scripts: the package has no install script), no warning about
#     scripts; the binary is the release build's (cargo-zigbuild against glibc 2.17), checked
#     for its glibc symbol versions;
#  2. from source: the main tarball alone, optional packages omitted, cargo present: require
#     fails with ERR_MQTT_NAPI_NO_BINARY, then `npx mqtt-napi-build` builds, its progress
#     lines show, and the round trip passes.
# MQTT_NAPI_BUILD_PROFILE (default fast here) is the cargo profile of both builds.
# MQTT_NAPI_RELEASE_BINARIES=1 (the release workflow): test the binaries already in npm/*/
# instead of building linux-x64-gnu, and leave them there.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT="$PWD"
export MQTT_NAPI_BUILD_PROFILE="${MQTT_NAPI_BUILD_PROFILE:-fast}"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/mqtt-napi-install-test.XXXXXX")"
BROKER_PID=""
cleanup() {
  [[ -n "$BROKER_PID" ]] && kill "$BROKER_PID" 2>/dev/null || true
  [[ "${MQTT_NAPI_RELEASE_BINARIES:-}" == 1 ]] || rm -f "$ROOT/npm/linux-x64-gnu/mqtt-napi.linux-x64-gnu.node"
  rm -rf "$WORK"
}
trap cleanup EXIT

if [[ "${MQTT_NAPI_RELEASE_BINARIES:-}" == 1 ]]; then
  NODE_FILE=npm/linux-x64-gnu/mqtt-napi.linux-x64-gnu.node
else
  echo "== install test: release build of linux-x64-gnu" >&2
  NODE_FILE="$(bash scripts/release/build.sh x86_64-unknown-linux-gnu | tail -1)"
fi
bash scripts/release/check-glibc.sh "$NODE_FILE" 2.17
mapfile -t TARBALLS < <(bash scripts/release/pack.sh "$WORK/packs")
MAIN_TGZ="${TARBALLS[-1]}"
PLATFORM_TGZ="$WORK/packs/mqtt-napi-linux-x64-gnu-$(node -p "require('./package.json').version").tgz"
[[ -f "$PLATFORM_TGZ" ]] || { echo "install test: $PLATFORM_TGZ was not packed" >&2; exit 1; }

# Mosquitto on a free loopback port.
PORT="$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")"
printf 'listener %s 127.0.0.1\nallow_anonymous true\n' "$PORT" >"$WORK/mosquitto.conf"
MOSQUITTO="$(command -v mosquitto || echo /usr/sbin/mosquitto)"
"$MOSQUITTO" -c "$WORK/mosquitto.conf" >"$WORK/mosquitto.log" 2>&1 &
BROKER_PID=$!
for _ in $(seq 50); do
  if node -e "require('net').connect($PORT,'127.0.0.1').on('connect',()=>process.exit(0)).on('error',()=>process.exit(1))"; then break; fi
  sleep 0.1
done

new_app() {
  mkdir -p "$1"
  printf '{ "name": "app", "version": "1.0.0", "private": true }\n' >"$1/package.json"
  cp scripts/release/roundtrip.js scripts/release/runtimes.js "$1/"
}

echo "== install test: prebuilt binary, no cargo on PATH" >&2
# PATH without any directory that holds cargo or rustc.
NOCARGO_PATH=""
IFS=: read -ra DIRS <<<"$PATH"
for d in "${DIRS[@]}"; do
  [[ -x "$d/cargo" || -x "$d/rustc" ]] && continue
  NOCARGO_PATH="${NOCARGO_PATH:+$NOCARGO_PATH:}$d"
done
APP="$WORK/app-prebuilt"
new_app "$APP"
(
  cd "$APP"
  export PATH="$NOCARGO_PATH"
  if command -v cargo >/dev/null; then echo "install test: cargo still on PATH" >&2; exit 1; fi
  npm install --no-audit --no-fund --strict-allow-scripts "mqtt@file:$MAIN_TGZ" "$PLATFORM_TGZ" 2>&1 | tee "$WORK/prebuilt-install.out"
  if grep -iE "allowScripts|install script|install-scripts" "$WORK/prebuilt-install.out"; then
    echo "install test: npm spoke of install scripts" >&2; exit 1
  fi
  [[ -f node_modules/mqtt-napi-linux-x64-gnu/mqtt-napi.linux-x64-gnu.node ]]
  if ls node_modules/mqtt/*.node 2>/dev/null; then echo "install test: the install built a binary" >&2; exit 1; fi
  node roundtrip.js "$PORT" | tee "$WORK/prebuilt.out"
  node runtimes.js "$PORT"
)
grep -q "node_modules/mqtt-napi-linux-x64-gnu/mqtt-napi.linux-x64-gnu.node" "$WORK/prebuilt.out"

echo "== install test: source build from the tarball" >&2
APP="$WORK/app-source"
new_app "$APP"
(
  cd "$APP"
  npm install --no-audit --no-fund --strict-allow-scripts --omit=optional "mqtt@file:$MAIN_TGZ"
  node -e "try { require('mqtt'); process.exit(1) } catch (e) { if (e.code !== 'ERR_MQTT_NAPI_NO_BINARY' || !e.message.includes('npx mqtt-napi-build')) throw e; console.error(e.message) }"
  npx --no-install mqtt-napi-build 2>&1 | tee "$WORK/source.out"
  node roundtrip.js "$PORT" | tee "$WORK/source-roundtrip.out"
)
grep -q "mqtt-napi: compiled [0-9]* crates" "$WORK/source.out"
grep -q "mqtt-napi: built the native addon" "$WORK/source.out"
grep -q "node_modules/mqtt/mqtt-napi.linux-x64-gnu.node" "$WORK/source-roundtrip.out"
if ls "$APP"/node_modules/mqtt/target 2>/dev/null; then echo "install test: the build left its target directory" >&2; exit 1; fi
echo "install test: passed" >&2
