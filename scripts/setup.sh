#!/usr/bin/env bash
# Idempotent set-up for a fresh Debian machine with Node.js, npm and Go (as root):
# npm dependencies from the lockfile, witness v0.11.0 (cached outside the checkout), dash/openssl/git/jq/busybox,
# Docker's engine (started when none answers), and dist/sekft. Safe to re-run, and after an interrupted run.
# `setup.sh npm` does the npm dependencies only (what `scripts/test.sh unit` needs).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
WITNESS_VERSION="v0.11.0"
TOOLS="${SEKFT_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/sekft/tools}"
WITNESS_DIR="$TOOLS/witness-$WITNESS_VERSION"
step() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf 'setup failed: %s\n' "$*" >&2; exit 1; }

need() { command -v "$1" >/dev/null 2>&1 || die "$1 is required but not installed ($2)"; }

# One set-up at a time: children inherit the lock, so a straggler from an interrupted run is waited for.
mkdir -p "$TOOLS"
exec 9>"$TOOLS/setup.lock"
flock 9
need node "install Node.js 20+"
need npm "install npm"
ONLY="${1:-}"
[[ -z "$ONLY" || "$ONLY" == npm ]] || die "unknown argument '$ONLY' (setup.sh [npm])"
[[ "$ONLY" == npm ]] || need go "install Go >= 1.26.1 (witness $WITNESS_VERSION needs it)"

# --- Debian packages (not for `setup.sh npm`) ------------------------------------------------
missing=()
[[ "$ONLY" == npm ]] || for pkg in dash openssl git jq busybox-static bash-static docker.io ca-certificates chromium; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  step "installing Debian packages: ${missing[*]}"
  if [[ $(id -u) -ne 0 ]]; then die "not root: run 'sudo apt-get install -y ${missing[*]}' and re-run"; fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq || die "apt-get update failed"
  apt-get install -y -qq "${missing[@]}" >/dev/null || die "apt-get install ${missing[*]} failed"
fi

# --- npm dependencies, from the lockfile -----------------------------------------------------
stamp="node_modules/.sekft-lock-sha256"
want="$(sha256sum package-lock.json | cut -d' ' -f1)"
if [[ ! -x node_modules/.bin/bun || ! -f "$stamp" || "$(cat "$stamp")" != "$want" ]]; then
  step "installing npm dependencies (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error || die "npm ci failed"
  node_modules/.bin/bun --version >/dev/null || die "the bun package installed no working binary"
  echo "$want" > "$stamp"
fi
if [[ "$ONLY" == npm ]]; then exit 0; fi

# --- witness, built from its Go module into a cache outside the checkout ---------------------
# A module mirror beside the checkout (../shared/goproxy) is used when SEKFT_GOPROXY_DIR names none.
if [[ -z "${SEKFT_GOPROXY_DIR:-}" && -d "$ROOT/../shared/goproxy" ]]; then export SEKFT_GOPROXY_DIR="$ROOT/../shared/goproxy"; fi
SEKFT_TOOLS_DIR="$TOOLS" bash "$ROOT/scripts/build-witness.sh"

# --- Docker engine ---------------------------------------------------------------------------
if ! docker info >/dev/null 2>&1; then
  if [[ -n "${DOCKER_HOST:-}" ]]; then die "DOCKER_HOST=$DOCKER_HOST does not answer; start that engine or unset DOCKER_HOST"; fi
  step "starting dockerd in the background (log: $TOOLS/dockerd.log)"
  mkdir -p "$TOOLS"
  # fd 9 is the set-up lock: the daemon must not inherit it, or every later set-up waits for ever.
  nohup dockerd >"$TOOLS/dockerd.log" 2>&1 9>&- &
  for _ in $(seq 1 120); do
    docker info >/dev/null 2>&1 && break
    kill -0 $! 2>/dev/null || { tail -5 "$TOOLS/dockerd.log" >&2; die "dockerd exited (see $TOOLS/dockerd.log)"; }
    sleep 0.5
  done
  docker info >/dev/null 2>&1 || die "dockerd did not answer within 60s (see $TOOLS/dockerd.log)"
fi

# --- the binary ------------------------------------------------------------------------------
step "building dist/sekft"
# Split into chunks, so that a command loads only its own code (start-up); the chunks' source maps stay behind.
rm -rf dist/.build && mkdir -p dist/.build
node_modules/.bin/bun build src/cli.ts src/view/index-worker.ts --compile --minify --sourcemap --bytecode --splitting --format=esm \
  --no-compile-autoload-bunfig --no-compile-autoload-dotenv --outfile dist/.build/sekft >/dev/null \
  || die "bun build failed"
mv -f dist/.build/sekft dist/sekft
if [[ -f dist/.build/sekft.map ]]; then mv -f dist/.build/sekft.map dist/sekft.map; fi
rm -rf dist/.build dist/*.js.map
step "ready: dist/sekft $(dist/sekft --version), witness at $WITNESS_DIR/witness"
