#!/usr/bin/env bash
# Starts flickr-gateway on its local defaults: installs what is missing, starts
# FerretDB, Redis and OpenBao on loopback, builds, then runs the worker in the
# background and the API in the foreground. Ctrl-C stops both.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash scripts/node-deps.sh
export PATH="$ROOT/node_modules/.bin:$PATH"
bash scripts/dev-services.sh up
# Local services' addresses, unless the caller (or .env) already chose others.
while IFS='=' read -r k v; do
  if [ -n "$k" ] && [ -z "${!k:-}" ] && ! grep -qs "^$k=" .env; then export "$k=$v"; fi
done < <(bash scripts/dev-services.sh env)
nest build
port="${PORT:-3000}"
echo "[start] API on http://localhost:$port — Swagger UI: http://localhost:$port/docs"
node dist/worker.js &
worker=$!
trap 'kill -TERM "$worker" 2>/dev/null || true; wait "$worker" 2>/dev/null || true' EXIT
node dist/main.js
