#!/usr/bin/env bash
# Cross-compiles sekft for every supported platform into dist/release/, with a SHA256SUMS file.
# Bun fetches each target's runtime from the npm registry the first time (then from its cache).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
die() { printf 'release failed: %s\n' "$*" >&2; exit 1; }
[[ -x node_modules/.bin/bun ]] || die "run scripts/setup.sh first (no node_modules/.bin/bun)"
VERSION="$(node -p 'require("./package.json").version')"
OUT=dist/release
TARGETS=(linux-x64 linux-arm64 darwin-arm64 darwin-x64)
rm -rf "$OUT.partial" && mkdir -p "$OUT.partial"
for target in "${TARGETS[@]}"; do
  printf '\033[1m==> sekft %s for %s\033[0m\n' "$VERSION" "$target" >&2
  # Same flags as setup.sh's build, except --bytecode (bytecode is tied to the host's build of Bun).
  node_modules/.bin/bun build src/cli.ts src/view/index-worker.ts --compile --minify --sourcemap --splitting --format=esm \
    --no-compile-autoload-bunfig --no-compile-autoload-dotenv \
    --target="bun-$target" --outfile "$OUT.partial/sekft-$VERSION-$target" >/dev/null || die "bun build for $target failed"
done
rm -f "$OUT.partial"/*.map
(cd "$OUT.partial" && sha256sum sekft-* > SHA256SUMS)
rm -rf "$OUT" && mv "$OUT.partial" "$OUT"
cat "$OUT/SHA256SUMS"
