#!/usr/bin/env bash
# Builds the addon for one release target into its platform package:
#   scripts/release/build.sh TARGET   ->  npm/<platform>/mqtt-napi.<platform>.node
# TARGET is one of package.json's napi.targets. Linux targets build with cargo-zigbuild (the
# glibc ones against glibc 2.17, so the binary loads on old distributions); macOS and Windows
# targets build with cargo on a runner of that OS. MQTT_NAPI_BUILD_PROFILE picks the cargo
# profile (default release; CI's install test uses `fast` to save the LTO time).
set -euo pipefail
cd "$(dirname "$0")/../.."
TARGET="${1:?usage: build.sh TARGET}"
PROFILE="${MQTT_NAPI_BUILD_PROFILE:-release}"
CARGO_TARGET="$TARGET"
TOOL=cargo
case "$TARGET" in
  x86_64-unknown-linux-gnu) DIR=linux-x64-gnu; TOOL=zig; CARGO_TARGET="$TARGET.2.17" ;;
  aarch64-unknown-linux-gnu) DIR=linux-arm64-gnu; TOOL=zig; CARGO_TARGET="$TARGET.2.17" ;;
  x86_64-unknown-linux-musl) DIR=linux-x64-musl; TOOL=zig ;;
  aarch64-unknown-linux-musl) DIR=linux-arm64-musl; TOOL=zig ;;
  x86_64-apple-darwin) DIR=darwin-x64 ;;
  aarch64-apple-darwin) DIR=darwin-arm64 ;;
  x86_64-pc-windows-msvc) DIR=win32-x64-msvc ;;
  *) echo "build.sh: unknown target $TARGET" >&2; exit 2 ;;
esac
case "$TARGET" in
  *-musl) export RUSTFLAGS="${RUSTFLAGS:-} -C target-feature=-crt-static" ;; # a cdylib needs the dynamic C runtime
esac

echo "build.sh: $TARGET ($PROFILE) -> npm/$DIR" >&2
if [[ "$TOOL" == zig ]]; then
  PATH="$(bash scripts/release/zig-tools.sh):$PATH"
  cargo zigbuild --lib --locked --profile "$PROFILE" --target "$CARGO_TARGET"
else
  cargo build --lib --locked --profile "$PROFILE" --target "$CARGO_TARGET"
fi

OUT="target/$TARGET/$PROFILE"
case "$TARGET" in
  *-windows-*) LIB="$OUT/mqtt_napi.dll" ;;
  *-apple-*) LIB="$OUT/libmqtt_napi.dylib" ;;
  *) LIB="$OUT/libmqtt_napi.so" ;;
esac
cp "$LIB" "npm/$DIR/mqtt-napi.$DIR.node"
echo "npm/$DIR/mqtt-napi.$DIR.node"
