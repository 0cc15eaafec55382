#!/usr/bin/env bash
# TRL (SFTTrainer, DPOTrainer, KTOTrainer) on sekft's outputs, unchanged, a few CPU steps each; run by hand:
#   bash bench/trl.sh DATA_DIR [STEPS]      e.g. DIR/rollout after `rollout --operator reference` then `perturb`
# Not part of the test command: torch from PyPI is a 540 MB wheel plus its CUDA libraries (gigabytes), too big for
# CI. The venv (cached beside the trainers') pins trl, torch and datasets; the model is the tiny random one
# scripts/tiny-model.py builds from DATA_DIR's own lines (through scripts/trainers.sh, mlx-lm's venv).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="${SEKFT_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/sekft/tools}"
VENV="$TOOLS/trl-venv-1.16.0"
die() { printf 'trl: %s\n' "$*" >&2; exit 1; }
data="${1:?usage: bench/trl.sh DATA_DIR [STEPS]}"
steps="${2:-3}"
[[ -f "$data/manifest.json" ]] || die "$data: no manifest.json (not a finished sekft directory)"
[[ -f "$data/train.jsonl" ]] || die "$data: no train.jsonl"
if ! [[ -x "$VENV/bin/python" ]] || ! "$VENV/bin/python" -c 'import trl, torch, datasets' 2>/dev/null; then
  rm -rf "$VENV"
  python3 -m venv "$VENV" || die "python3 -m venv failed"
  "$VENV/bin/pip" install --quiet --only-binary :all: trl==1.16.0 torch==2.15.0 datasets tokenizers || { rm -rf "$VENV"; die "pip install failed"; }
fi
bash "$ROOT/scripts/trainers.sh" install
model="$(mktemp -d)/tiny"
trap 'rm -rf "$(dirname "$model")"' EXIT
sources=("$data/train.jsonl")
for f in dpo.jsonl kto.jsonl; do [[ -f "$data/$f" ]] && sources+=("$data/$f"); done
bash "$ROOT/scripts/trainers.sh" python "$ROOT/scripts/tiny-model.py" "$model" "${sources[@]}" >/dev/null
"$VENV/bin/python" "$ROOT/bench/trl.py" "$model" "$data" "$steps"
