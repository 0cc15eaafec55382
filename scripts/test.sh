#!/usr/bin/env bash
# The test command: bash scripts/test.sh [unit|all|GROUP...]
#   unit    the files with no needs line: no witness, Docker, browser or model; Biome and tsc too (the loop while coding)
#   GROUP   witness docker browser model harbor mlx: the e2e files of that group, after the set-up they need
#   all     (no argument; what CI runs) unit, then every group, up to $SEKFT_TEST_JOBS bun processes at once (2)
#   list    prints "GROUP FILE" per test file and runs nothing
# A file's first line (`// needs: witness docker ...`, tests/helpers/needs.ts) is the only classifier: each file runs in
# the group of the first of model harbor mlx browser docker witness that it needs. Each group is one `bun test`;
# its output is printed whole when it ends, then one summary with the summed "N pass" and "N fail" lines last.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
GROUPS_BY_WEIGHT=(model harbor mlx browser docker witness)
# Longest first, so the last group to start is a short one.
E2E_ORDER=(docker witness model browser harbor mlx)
usage() {
  echo "usage: bash scripts/test.sh [unit|all|list|GROUP...]  (GROUP: ${E2E_ORDER[*]})" >&2
  exit 2
}

# --- which groups --------------------------------------------------------------------------------------------------
want=()
if (($# == 0)); then set -- all; fi
for arg in "$@"; do
  case "$arg" in
    all) want+=(unit "${E2E_ORDER[@]}") ;;
    list) want+=(list) ;;
    unit | witness | docker | browser | model | harbor | mlx) want+=("$arg") ;;
    *)
      echo "test: unknown group '$arg'; to run one file: node_modules/.bin/bun test ./tests/PATH.test.ts" >&2
      usage
      ;;
  esac
done

jobs_max="${SEKFT_TEST_JOBS:-2}"
[[ "$jobs_max" =~ ^[1-9][0-9]*$ ]] || { echo "test: SEKFT_TEST_JOBS must be a positive integer, not '$jobs_max'" >&2; exit 2; }

# The group of one file, from its first line.
group_of() {
  local first needs g
  IFS= read -r first <"$1" || true
  [[ "$first" == "// needs: "* ]] || {
    echo unit
    return
  }
  needs=" ${first#// needs: } "
  for g in "${GROUPS_BY_WEIGHT[@]}"; do
    if [[ "$needs" == *" $g "* ]]; then
      echo "$g"
      return
    fi
  done
  echo unit
}
declare -A FILES=()
while IFS= read -r f; do
  g="$(group_of "$f")"
  FILES[$g]+="./$f "
  if [[ "${want[*]}" == list ]]; then echo "$g $f"; fi
done < <(find tests -name '*.test.ts' -type f | LC_ALL=C sort)
if [[ "${want[*]}" == list ]]; then exit 0; fi

has() {
  local g
  for g in "${want[@]}"; do [[ "$g" == "$1" ]] && return 0; done
  return 1
}
e2e=()
for g in "${E2E_ORDER[@]}"; do
  if has "$g"; then
    if [[ -n "${FILES[$g]:-}" ]]; then e2e+=("$g"); else echo "test: group $g has no test files" >&2; fi
  fi
done

# Whether any file of the chosen groups names NEED in its needs line (a file runs in one group but may need more).
needs_any() {
  local g f first
  for g in "${want[@]}"; do
    for f in ${FILES[$g]:-}; do
      IFS= read -r first <"$f" || true
      [[ "$first" == "// needs: "* && " ${first#// needs: } " == *" $1 "* ]] && return 0
    done
  done
  return 1
}

# --- set-up: only what the chosen groups need ------------------------------------------------------------------------
# The module mirror beside the checkout, for the witness build (see scripts/build-witness.sh).
if [[ -z "${SEKFT_GOPROXY_DIR:-}" && -d "$ROOT/../shared/goproxy" ]]; then export SEKFT_GOPROXY_DIR="$(cd "$ROOT/../shared/goproxy" && pwd)"; fi
if ((${#e2e[@]})); then bash scripts/setup.sh; else bash scripts/setup.sh npm; fi
if has model && [[ -n "${FILES[model]:-}" ]]; then
  # The e2e tests against a real model need both; a failed install fails the test command here, it never skips them.
  bash scripts/model.sh install smollm2 || { echo "test: bash scripts/model.sh install smollm2 failed" >&2; exit 1; }
  bash scripts/model.sh install qwen || { echo "test: bash scripts/model.sh install qwen failed" >&2; exit 1; }
fi
# Harbor (its ATIF validator and the exported tasks' runs) and the real trainer (mlx-lm on CPU): installed when a
# chosen file needs them, cached; a failed install fails the test command here, it never skips them.
if needs_any harbor; then bash scripts/harbor.sh install || { echo "test: bash scripts/harbor.sh install failed" >&2; exit 1; }; fi
if needs_any mlx; then bash scripts/trainers.sh install || { echo "test: bash scripts/trainers.sh install failed" >&2; exit 1; }; fi
node_modules/.bin/biome check . --error-on-warnings
LOGS="$(mktemp -d "${TMPDIR:-/tmp}/sekft-test-XXXXXX")"
trap 'rm -rf "$LOGS"' EXIT
# The type-check runs beside the unit tests (each mostly one core); it must pass before any e2e group starts.
node_modules/.bin/tsc --noEmit >"$LOGS/tsc.log" 2>&1 &
tsc_pid=$!
tsc_done() {
  if ! wait "$tsc_pid"; then
    cat "$LOGS/tsc.log" >&2
    echo "test: tsc --noEmit failed" >&2
    exit 1
  fi
}

# --- the runs --------------------------------------------------------------------------------------------------------
declare -A STARTED=()
total_pass=0
total_fail=0
summary=()
status=0

# Prints a finished group's output whole, and adds its counts to the totals.
report() {
  local g="$1" rc pass fail secs
  rc="$(cat "$LOGS/$g.rc" 2>/dev/null || echo 1)"
  secs=$(($(date +%s) - STARTED[$g]))
  echo "=== group $g ($(wc -w <<<"${FILES[$g]}") files, ${secs}s, exit $rc) ==="
  cat "$LOGS/$g.log"
  pass=$(grep -E '^ *[0-9]+ pass$' "$LOGS/$g.log" | tail -1 | grep -oE '[0-9]+' || echo 0)
  fail=$(grep -E '^ *[0-9]+ fail$' "$LOGS/$g.log" | tail -1 | grep -oE '[0-9]+' || echo 0)
  if [[ "$rc" != 0 && "$fail" == 0 ]]; then fail=1; fi
  total_pass=$((total_pass + pass))
  total_fail=$((total_fail + fail))
  [[ "$rc" == 0 ]] || status=1
  summary+=("$(printf '%-8s %5s passed %4s failed %6ss' "$g" "$pass" "$fail" "$secs")")
}

# One bun process per group. A unit run hides witness and Docker, so a unit file that reaches them fails here.
start() {
  local g="$1" timeout=600000 envs=()
  # shellcheck disable=SC2206 # the file list is space-separated paths without spaces
  local files=(${FILES[$g]})
  if [[ "$g" == unit ]]; then
    timeout=60000
    envs=(SEKFT_WITNESS=/nonexistent/witness DOCKER_HOST=unix:///nonexistent/docker.sock)
  fi
  STARTED[$g]=$(date +%s)
  (
    set +e
    env "${envs[@]}" node_modules/.bin/bun test --timeout "$timeout" "${files[@]}" >"$LOGS/$g.log" 2>&1
    echo $? >"$LOGS/$g.rc"
  ) &
  echo "$!" >"$LOGS/$g.pid"
}

if has unit && [[ -n "${FILES[unit]:-}" ]]; then
  start unit
  wait "$(cat "$LOGS/unit.pid")" || true
  report unit
fi
tsc_done

running=()
next=0
while ((next < ${#e2e[@]} || ${#running[@]} > 0)); do
  while ((next < ${#e2e[@]} && ${#running[@]} < jobs_max)); do
    echo "test: starting group ${e2e[next]}" >&2
    start "${e2e[next]}"
    running+=("${e2e[next]}")
    next=$((next + 1))
  done
  wait -n || true
  still=()
  for g in "${running[@]}"; do
    if [[ -f "$LOGS/$g.rc" ]]; then report "$g"; else still+=("$g"); fi
  done
  running=("${still[@]}")
done

echo "=== summary ==="
printf '%s\n' "${summary[@]}"
echo " $total_pass pass"
echo " $total_fail fail"
((total_fail == 0 && status == 0))
