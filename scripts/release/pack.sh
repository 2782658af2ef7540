#!/usr/bin/env bash
# Packs what a release publishes into OUTDIR: one tarball per platform package whose binary
# was built (scripts/release/build.sh), then the main package. Prints the tarballs' paths.
#   scripts/release/pack.sh OUTDIR
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT="$(mkdir -p "${1:?usage: pack.sh OUTDIR}" && cd "$1" && pwd)"
for dir in npm/*/; do
  dir="${dir%/}"
  name="${dir#npm/}"
  if [[ -f "$dir/mqtt-napi.$name.node" ]]; then
    (cd "$dir" && npm pack --silent --pack-destination "$OUT" >/dev/null)
    echo "$OUT/mqtt-napi-$name-$(node -p "require('./$dir/package.json').version").tgz"
  fi
done
npm pack --silent --ignore-scripts --pack-destination "$OUT" >/dev/null
echo "$OUT/mqtt-napi-$(node -p "require('./package.json').version").tgz"
