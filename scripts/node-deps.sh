#!/usr/bin/env bash
# Installs node_modules from package-lock.json when missing or stale. The lock
# pins the `node` package, which brings the Node 24 binary into node_modules/.bin.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
stamp="node_modules/.fgw-lock-stamp"
if [ ! -f "$stamp" ] || ! cmp -s package-lock.json "$stamp"; then
  # `npm install` honours the lock; `npm ci` is avoided because npm 11 rejects its own lock
  # files here ("Missing: @msgpackr-extract/...-darwin-arm64 from lock file") for optional
  # platform packages it deliberately leaves out.
  echo "[node-deps] npm install (from package-lock.json)" >&2
  npm install --no-audit --no-fund --loglevel=error >&2
  cp package-lock.json "$stamp"
fi
"$ROOT/node_modules/.bin/node" -e 'const [maj]=process.versions.node.split(".");if(maj!=="24"){console.error("expected Node 24, got "+process.version);process.exit(1)}'
