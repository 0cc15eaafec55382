#!/usr/bin/env bash
# The test command: set-up (idempotent), type-check, then every test (unit and e2e, real witness and Docker).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash scripts/setup.sh
node_modules/.bin/tsc --noEmit
exec node_modules/.bin/bun test --timeout 600000 "$@"
