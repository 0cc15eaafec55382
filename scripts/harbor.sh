#!/usr/bin/env bash
# Harbor (the agent-evaluation framework whose ATIF trajectories `sekft rollout` also writes), for tests and checks.
#   scripts/harbor.sh install   a venv with harbor==0.25.0 from pyenv's Python 3.12, cached; a failed install fails
#   scripts/harbor.sh python    prints the venv's python (fails when it is not installed)
# Idempotent: a second install only checks that the pinned version imports. Cache: ${XDG_CACHE_HOME:-$HOME/.cache}/sekft/harbor.
set -euo pipefail

PIN="harbor==0.25.0"
PYTHON_VERSION="3.12"
HOME_DIR="${XDG_CACHE_HOME:-$HOME/.cache}/sekft/harbor"
VENV="$HOME_DIR/venv"
die() { printf 'harbor: %s\n' "$*" >&2; exit 1; }
step() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
usage() { die "usage: scripts/harbor.sh install|python"; }

installed() {
  [[ -x "$VENV/bin/python" && -f "$VENV/.sekft-pin" && "$(cat "$VENV/.sekft-pin")" == "$PIN" ]] &&
    "$VENV/bin/python" -c 'import importlib.metadata as m, sys; sys.exit(m.version("harbor") != sys.argv[1])' "${PIN#harbor==}" 2>/dev/null &&
    "$VENV/bin/python" -c 'import harbor.utils.trajectory_validator' 2>/dev/null
}

# pyenv's newest installed 3.12.x (Harbor needs Python >= 3.12); a python3.12 on PATH otherwise.
base_python() {
  local root version
  if command -v pyenv >/dev/null; then
    root="$(pyenv root)"
    version="$(ls "$root/versions" 2>/dev/null | grep -E "^${PYTHON_VERSION//./\\.}\.[0-9]+$" | sort -t. -k3 -n | tail -1 || true)"
    if [[ -n "$version" && -x "$root/versions/$version/bin/python3" ]]; then
      echo "$root/versions/$version/bin/python3"
      return
    fi
  fi
  command -v "python$PYTHON_VERSION" >/dev/null && { command -v "python$PYTHON_VERSION"; return; }
  die "Python $PYTHON_VERSION is required (pyenv install $PYTHON_VERSION)"
}

install() {
  if installed; then return; fi
  local py
  py="$(base_python)"
  step "installing $PIN into $VENV (from $py)"
  rm -rf "$VENV"
  mkdir -p "$HOME_DIR"
  "$py" -m venv "$VENV" || die "$py -m venv failed"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "$PIN" || { rm -rf "$VENV"; die "pip install $PIN failed"; }
  echo "$PIN" >"$VENV/.sekft-pin"
  installed || { rm -rf "$VENV"; die "$PIN does not import in $VENV"; }
}

case "${1:-}" in
  install) [[ $# -eq 1 ]] || usage; install ;;
  python) [[ $# -eq 1 ]] || usage; installed || die "not installed: run scripts/harbor.sh install"; echo "$VENV/bin/python" ;;
  *) usage ;;
esac
