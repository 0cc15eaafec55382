#!/usr/bin/env bash
# Builds the pinned witness into TOOLS/witness-v0.11.0/witness from its Go module (called by setup.sh).
#
#   SEKFT_TOOLS_DIR     where the build goes (default ~/.cache/sekft/tools)
#   SEKFT_GOPROXY_DIR   a Go module mirror in the GOPROXY file layout (for example ../shared/goproxy, or one an
#                       air-gapped site filled with `go mod download`); it goes first in GOPROXY, ahead of the
#                       normal proxy. Every zip in it that scripts/goproxy-pins.txt names must match its pinned
#                       sha256, or the build stops naming the file.
#
# Skipped when a working build is already at the cache path. An interrupted build leaves nothing half-made.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WITNESS_VERSION="v0.11.0"
WITNESS_MODULE="github.com/in-toto/witness"
TOOLS="${SEKFT_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/sekft/tools}"
WITNESS_DIR="$TOOLS/witness-$WITNESS_VERSION"
PINS="$ROOT/scripts/goproxy-pins.txt"
die() { printf 'setup failed: %s\n' "$*" >&2; exit 1; }

if [[ -x "$WITNESS_DIR/witness" ]] && "$WITNESS_DIR/witness" version >/dev/null 2>&1; then exit 0; fi
command -v go >/dev/null 2>&1 || die "go is required to build witness (install Go >= 1.26.1)"

goproxy="$(go env GOPROXY)"
gonosumdb="$(go env GONOSUMDB)"
if [[ -n "${SEKFT_GOPROXY_DIR:-}" ]]; then
  [[ -d "$SEKFT_GOPROXY_DIR" ]] || die "SEKFT_GOPROXY_DIR=$SEKFT_GOPROXY_DIR is not a directory"
  mirror="$(cd "$SEKFT_GOPROXY_DIR" && pwd)"
  # Check the pinned zips before Go reads anything from the mirror.
  while read -r sum file; do
    [[ -z "$sum" || "$sum" == \#* ]] && continue
    path="$mirror/$file"
    [[ -f "$path" ]] || continue
    got="$(sha256sum "$path" | cut -d' ' -f1)"
    [[ "$got" == "$sum" ]] || die "module mirror file $path has sha256 $got, but scripts/goproxy-pins.txt pins $sum: refusing to build from it"
  done <"$PINS"
  [[ -f "$mirror/$WITNESS_MODULE/@v/$WITNESS_VERSION.zip" ]] \
    || printf 'note: %s has no %s@%s; Go will ask the next proxy for it\n' "$mirror" "$WITNESS_MODULE" "$WITNESS_VERSION" >&2
  goproxy="file://$mirror,$goproxy"
  # witness has no entry in a checksum database reachable here; its zip is checked against the pin above.
  gonosumdb="$WITNESS_MODULE"
fi

printf '\033[1m==> building witness %s from its Go module (a few minutes the first time)\033[0m\n' "$WITNESS_VERSION" >&2
mkdir -p "$TOOLS"
tmp="$(mktemp -d "$TOOLS/.witness-build.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
if ! GOBIN="$tmp" GOPROXY="$goproxy" GONOSUMDB="$gonosumdb" CGO_ENABLED=0 GOFLAGS="${GOFLAGS:+$GOFLAGS }-mod=mod" \
  go install -trimpath -ldflags "-X $WITNESS_MODULE/cmd.Version=$WITNESS_VERSION" "$WITNESS_MODULE@$WITNESS_VERSION" 2>"$tmp/build.log"; then
  tail -5 "$tmp/build.log" >&2
  die "could not build $WITNESS_MODULE@$WITNESS_VERSION (see the lines above). Where the Go module proxy refuses
       witness, give a module mirror: SEKFT_GOPROXY_DIR=/path/to/goproxy (see the README), or put a witness
       $WITNESS_VERSION binary at $WITNESS_DIR/witness (or point SEKFT_WITNESS at it), then re-run."
fi
"$tmp/witness" version >/dev/null 2>&1 || die "the witness build in $tmp does not run"
mkdir -p "$WITNESS_DIR"
mv -f "$tmp/witness" "$WITNESS_DIR/witness.partial"
mv -f "$WITNESS_DIR/witness.partial" "$WITNESS_DIR/witness"
printf 'witness %s at %s\n' "$WITNESS_VERSION" "$WITNESS_DIR/witness" >&2
