#!/usr/bin/env bash
# Publishes packed tarballs (scripts/release/pack.sh) to the npm registry, the platform
# packages first so the main package's optional dependencies exist when it appears.
# With provenance when run in GitHub Actions (it needs the id-token permission).
#   scripts/release/publish.sh DIR [--dry-run]
set -euo pipefail
DIR="${1:?usage: publish.sh DIR [--dry-run]}"
shift
ARGS=(--access public "$@")
if [[ "${GITHUB_ACTIONS:-}" == "true" ]]; then ARGS+=(--provenance); fi
MAIN=()
for tgz in "$DIR"/*.tgz; do
  case "$(basename "$tgz")" in
    mqtt-napi-[0-9]*) MAIN+=("$tgz") ;;
    *) npm publish "${ARGS[@]}" "$tgz" ;;
  esac
done
if [[ ${#MAIN[@]} -ne 1 ]]; then
  echo "publish.sh: expected one main package tarball in $DIR, found ${#MAIN[@]}" >&2
  exit 1
fi
npm publish "${ARGS[@]}" "${MAIN[0]}"
