#!/usr/bin/env bash
# The whole test suite: installs what is missing (node modules with Node 24,
# FerretDB, Redis, OpenBao), starts the local services, type-checks, then runs
# unit, integration and e2e tests. Exit status is non-zero when any test fails.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash scripts/node-deps.sh
# Debian's chromium for the connect page's real-browser test (no-op when present).
bash scripts/chromium.sh
export PATH="$ROOT/node_modules/.bin:$PATH"
bash scripts/dev-services.sh up
export FGW_TEST_SERVICES_READY=1
while IFS='=' read -r k v; do [ -n "$k" ] && export "FGW_TEST_$k=$v"; done < <(bash scripts/dev-services.sh env)

echo "[test] typecheck"
tsc -p tsconfig.json --noEmit

mkdir -p .data
results=.data/jest-results.json
rm -f "$results"
status=0
NODE_OPTIONS='--experimental-vm-modules --no-warnings=ExperimentalWarning' \
  jest --ci --json --outputFile="$results" "$@" || status=$?
if [ -f "$results" ]; then
  node -e '
    const r = require(process.argv[1]);
    console.log(`jest: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests} skipped`);
    if (r.numTotalTests === 0) { console.error("no test ran"); process.exit(1); }
  ' "$ROOT/$results" || status=1
fi
exit "$status"
