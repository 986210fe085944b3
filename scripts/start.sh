#!/usr/bin/env bash
# Starts flickr-gateway on its local defaults: installs what is missing, starts
# FerretDB, Redis and OpenBao on loopback, builds, then runs the worker in the
# background and the API in the foreground. Ctrl-C stops everything.
#
# Sandbox mode: without Flickr credentials (FLICKR_CONSUMER_KEY in the
# environment or .env) it also runs the local sandbox Flickr
# (tools/sandbox-flickr: Flickr's OAuth, REST and upload, checking real OAuth
# signatures, with sandbox users to approve as) and points the gateway at it;
# NODE_ENV=production refuses that. See docs/quickstart-client.md.
# On a fresh database it creates the first admin key once, into
# $DEV_LOCAL_DIR/admin-key.json (mode 0600, git-ignored); only the path is printed.
# Outside production the logs are human-readable (LOG_FORMAT=pretty).
#
# Settings: PORT (3000), WORKER_PORT (3001), SANDBOX_FLICKR_PORT (3010),
# DEV_LOCAL_DIR (.local), DEV_BUILD_DIR (dist; inside the repository, so
# node_modules resolves), and every variable of .env.example (environment
# first, then .env).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
LOG_TAG=start
# shellcheck source=scripts/dev-lib.sh
source scripts/dev-lib.sh

# setting <name>: its value from the environment, else from .env (as the app reads them), else empty.
setting() {
  if [ -n "${!1:-}" ]; then printf '%s' "${!1}"; return; fi
  [ -f .env ] && sed -n "s/^$1=//p" .env | tail -1 | sed -e 's/^"\(.*\)"$/\1/' -e "s/^'\(.*\)'\$/\1/"
  return 0
}

node_env="$(setting NODE_ENV)"
sandbox=false
[ -z "$(setting FLICKR_CONSUMER_KEY)" ] && sandbox=true
if [ "$sandbox" = true ] && [ "$node_env" = production ]; then
  log "NODE_ENV=production refuses the sandbox Flickr: set FLICKR_CONSUMER_KEY and FLICKR_CONSUMER_SECRET of a real Flickr app"
  exit 1
fi
port="${PORT:-$(setting PORT)}"; port="${port:-3000}"
sandbox_port="${SANDBOX_FLICKR_PORT:-3010}"
local_dir="${DEV_LOCAL_DIR:-$ROOT/.local}"
build_dir="${DEV_BUILD_DIR:-dist}"
if [ "$sandbox" = true ] && port_open "$sandbox_port"; then
  log "port $sandbox_port (the sandbox Flickr's) is in use: is another start.sh running? Stop it, or set SANDBOX_FLICKR_PORT"
  exit 1
fi

bash scripts/node-deps.sh
export PATH="$ROOT/node_modules/.bin:$PATH"
bash scripts/dev-services.sh up
# Local services' addresses, unless the caller (or .env) already chose others.
while IFS='=' read -r k v; do
  if [ -n "$k" ] && [ -z "${!k:-}" ] && ! grep -qs "^$k=" .env; then export "$k=$v"; fi
done < <(bash scripts/dev-services.sh env)
# Human-readable logs in a terminal; JSON stays the format everywhere else (and the only one in production).
if [ "$node_env" != production ] && [ -z "$(setting LOG_FORMAT)" ]; then export LOG_FORMAT=pretty; fi
# What `nest build` does here (tsc with tsconfig.build.json, output emptied first), into DEV_BUILD_DIR.
rm -rf "$build_dir"
tsc -p tsconfig.build.json --outDir "$build_dir"

children=()
stop_children() {
  for pid in "${children[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${children[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap stop_children EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if [ "$sandbox" = true ]; then
  node -r ts-node/register/transpile-only tools/sandbox-flickr/main.ts &
  children+=($!)
  for _ in $(seq 1 100); do port_open "$sandbox_port" && break; kill -0 "${children[-1]}" 2>/dev/null || exit 1; sleep 0.1; done
  port_open "$sandbox_port" || { log "the sandbox Flickr did not open port $sandbox_port"; exit 1; }
  flickr="http://127.0.0.1:$sandbox_port/services"
  # The sandbox's one app (tools/sandbox-flickr/main.ts); FLICKR_SANDBOX marks the logs and is refused in production.
  export FLICKR_SANDBOX=true FLICKR_CONSUMER_KEY=sandbox-consumer-key FLICKR_CONSUMER_SECRET=sandbox-consumer-secret
  export FLICKR_API_URL="$flickr/rest" FLICKR_UPLOAD_URL="$flickr/upload" FLICKR_OAUTH_URL="$flickr/oauth"
  # Callback mode works out of the box against the sandbox (the browser comes back to this API).
  if [ -z "$(setting OAUTH_CALLBACK_ENABLED)" ]; then
    export OAUTH_CALLBACK_ENABLED=true OAUTH_CALLBACK_URL="http://localhost:$port/v1/oauth/callback"
  fi
fi

# The first admin key, once per database: the CLI refuses when one exists, and a kept file is never replaced.
key_file="$local_dir/admin-key.json"
if [ -f "$key_file" ]; then
  log "admin key: $key_file (created by an earlier start)"
else
  mkdir -p "$local_dir" && chmod 700 "$local_dir"
  if err="$(node "$build_dir/cli/create-admin-key.js" --client-id operator --name "first admin key (scripts/start.sh)" --out "$key_file" 2>&1 >/dev/null)"; then
    log "first admin key created and written to $key_file (mode 0600, git-ignored; it is never printed or logged)"
  elif grep -q 'already exists' <<<"$err"; then
    log "the database already has an admin key, so none was created ($key_file is not there): use yours, or see docs/authentication.md"
  else
    log "could not create the first admin key: $err"; exit 1
  fi
fi

node "$build_dir/worker.js" &
children+=($!)
log "API on http://localhost:$port — Swagger UI: http://localhost:$port/docs"
if [ "$sandbox" = true ]; then
  log "SANDBOX MODE: Flickr is the local sandbox Flickr on http://127.0.0.1:$sandbox_port (no Flickr credentials configured)"
  log "connect a sandbox user: create a client key, POST /v1/connect-sessions, open its connect_url and approve as alice, bob or carol — docs/quickstart-client.md"
fi
node "$build_dir/main.js" &
children+=($!)
wait -n "${children[@]}"
