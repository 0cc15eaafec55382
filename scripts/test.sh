#!/usr/bin/env bash
# The test command: set-up (idempotent), the real models (cached), format + lint (Biome), type-check, then every test
# (unit and e2e, real witness, Docker and model).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# The module mirror beside the checkout, for the witness build (see scripts/build-witness.sh).
if [[ -z "${SEKFT_GOPROXY_DIR:-}" && -d "$ROOT/../shared/goproxy" ]]; then export SEKFT_GOPROXY_DIR="$(cd "$ROOT/../shared/goproxy" && pwd)"; fi
bash scripts/setup.sh
# The e2e tests against a real model need both; a failed install fails the test command here, it never skips them.
bash scripts/model.sh install smollm2 || { echo "test: bash scripts/model.sh install smollm2 failed" >&2; exit 1; }
bash scripts/model.sh install qwen || { echo "test: bash scripts/model.sh install qwen failed" >&2; exit 1; }
# Harbor (tests/e2e/harbor.test.ts): a venv with harbor and a Compose plugin, cached; a failed install fails the command.
bash scripts/harbor.sh install || { echo "test: bash scripts/harbor.sh install failed" >&2; exit 1; }
# The real trainer (mlx-lm on CPU) of tests/e2e/trainers.test.ts; a failed install fails the test command.
bash scripts/trainers.sh install || { echo "test: bash scripts/trainers.sh install failed" >&2; exit 1; }
node_modules/.bin/biome check . --error-on-warnings
node_modules/.bin/tsc --noEmit
exec node_modules/.bin/bun test --timeout 600000 "$@"
