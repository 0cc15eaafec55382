#!/usr/bin/env bash
# A real trainer for tests and trials: mlx-lm on mlx's CPU backend (Linux x86_64), in a venv of its own.
#   scripts/trainers.sh install         the venv with every wheel pinned (scripts/trainers-pins.txt), cached
#   scripts/trainers.sh python ARGS...  runs the venv's python (e.g. `-m mlx_lm lora ...`, scripts/tiny-model.py)
# Idempotent: a second install only re-checks the stamp and the imports; a failed install fails (exit 1).
# Cache: ${SEKFT_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/sekft/tools}/trainers-venv-<sha of the pins>.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PINS="$ROOT/scripts/trainers-pins.txt"
TOOLS="${SEKFT_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/sekft/tools}"
die() { printf 'trainers: %s\n' "$*" >&2; exit 1; }
step() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

[[ -f "$PINS" ]] || die "no pins file $PINS"
PIN_SHA="$(sha256sum "$PINS" | cut -c1-12)"
VENV="$TOOLS/trainers-venv-$PIN_SHA"
IMPORTS='import mlx.core, mlx_lm, tokenizers, transformers'

# The Python the pinned wheels are built for (CPython 3.11, manylinux x86_64): python3 if it is one, else pyenv's.
pick_python() {
  local p
  for p in python3 python3.11 "$HOME"/.pyenv/versions/3.11*/bin/python3; do
    command -v "$p" >/dev/null 2>&1 || [[ -x "$p" ]] || continue
    if "$p" -c 'import sys, venv; sys.exit(0 if sys.version_info[:2] == (3, 11) else 1)' 2>/dev/null; then
      echo "$p"
      return
    fi
  done
  die "no CPython 3.11 with venv found (the pinned wheels are cp311)"
}

installed() { [[ -x "$VENV/bin/python" && -f "$VENV/.sekft-pins" ]] && cmp -s "$VENV/.sekft-pins" "$PINS" && "$VENV/bin/python" -c "$IMPORTS" 2>/dev/null; }

install() {
  installed && return
  local py
  py="$(pick_python)"
  step "installing mlx (CPU) + mlx-lm into $VENV"
  rm -rf "$VENV"
  "$py" -m venv "$VENV" || die "$py -m venv failed"
  "$VENV/bin/pip" install --quiet --no-deps --require-hashes --only-binary :all: -r "$PINS" || { rm -rf "$VENV"; die "pip install of $PINS failed"; }
  "$VENV/bin/python" -c "$IMPORTS" || { rm -rf "$VENV"; die "the trainers do not import in $VENV"; }
  cp "$PINS" "$VENV/.sekft-pins"
}

cmd="${1:-}"
[[ -n "$cmd" ]] || die "usage: scripts/trainers.sh install|python ARGS..."
shift
case "$cmd" in
  install)
    [[ $# -eq 0 ]] || die "usage: scripts/trainers.sh install"
    mkdir -p "$TOOLS"
    # One install at a time; a concurrent one waits, then finds the venv ready.
    exec 8>"$TOOLS/trainers.lock"
    flock 8
    install
    step "ready: $VENV"
    ;;
  python)
    installed || die "the trainers are not installed: run 'bash scripts/trainers.sh install'"
    exec "$VENV/bin/python" "$@"
    ;;
  *) die "usage: scripts/trainers.sh install|python ARGS..." ;;
esac
