#!/usr/bin/env bash
# Installs zig and cargo-zigbuild (both from PyPI) into a virtualenv outside the checkout, once,
# and prints the directory to put on PATH. Linux release builds link with them against an old
# glibc (2.17) and build the musl and arm64 targets without a system cross toolchain.
set -euo pipefail
ZIGLANG_VERSION=0.17.1
ZIGBUILD_VERSION=0.24.1
VENV="${MQTT_NAPI_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/mqtt-napi}/zig-$ZIGLANG_VERSION-$ZIGBUILD_VERSION"
if [[ ! -x "$VENV/bin/cargo-zigbuild" ]]; then
  echo "zig-tools: installing ziglang $ZIGLANG_VERSION and cargo-zigbuild $ZIGBUILD_VERSION into $VENV" >&2
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "ziglang==$ZIGLANG_VERSION" "cargo-zigbuild==$ZIGBUILD_VERSION" >&2
fi
echo "$VENV/bin"
