#!/usr/bin/env bash
# Starts the local stack on loopback without Docker: FerretDB (MongoDB wire
# protocol) on PostgreSQL (scripts/postgres.sh), Redis and OpenBao. Idempotent;
# data lives in .data/ (git-ignored).
#   scripts/dev-services.sh up      install what is missing, start, wait until ready
#   scripts/dev-services.sh down    stop
#   scripts/dev-services.sh env     print the environment the app should use
#   scripts/dev-services.sh status  show what runs
# DEV_FERRETDB_BACKEND=sqlite selects FerretDB's SQLite backend instead (no
# PostgreSQL; slower: it filters, sorts and limits in FerretDB, see
# docs/performance.md). Ports: DEV_MONGO_PORT, DEV_REDIS_PORT, DEV_PG_PORT,
# DEV_BAO_PORT, DEV_FERRET_DEBUG_PORT; DEV_DATA_DIR moves the data.
set -euo pipefail
LOG_TAG=dev-services
# shellcheck source=scripts/dev-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/dev-lib.sh"
MONGO_PORT="${DEV_MONGO_PORT:-27018}"
REDIS_PORT="${DEV_REDIS_PORT:-6380}"
FERRET_DEBUG_PORT="${DEV_FERRET_DEBUG_PORT:-8089}"
BACKEND="${DEV_FERRETDB_BACKEND:-postgresql}"

wait_port() { # wait_port <port> <name>
  for _ in $(seq 1 100); do port_open "$1" && return 0; sleep 0.1; done
  log "$2 did not open port $1; see $DATA/$2.log"; tail -20 "$DATA/$2.log" >&2 || true; exit 1
}

up() {
  bash "$ROOT/scripts/tools.sh"
  mkdir -p "$DATA/ferretdb" "$DATA/redis"
  if port_open "$MONGO_PORT"; then log "FerretDB already on 127.0.0.1:$MONGO_PORT"; else
    local backend=()
    case "$BACKEND" in
      postgresql)
        # Without a usable PostgreSQL (no apt, a clone its user cannot reach) the stack still starts, on SQLite.
        if bash "$ROOT/scripts/postgres.sh" up; then
          backend=(--handler=postgresql --postgresql-url="$(bash "$ROOT/scripts/postgres.sh" url)")
        else
          log "PostgreSQL unavailable: falling back to FerretDB's SQLite backend"; BACKEND=sqlite
        fi ;;
      sqlite) ;;
      *) log "DEV_FERRETDB_BACKEND must be postgresql or sqlite, not '$BACKEND'"; exit 2 ;;
    esac
    [ "$BACKEND" = sqlite ] && backend=(--handler=sqlite --sqlite-url="file:$DATA/ferretdb/")
    nohup "$ROOT/.tools/bin/ferretdb" "${backend[@]}" \
      --state-dir="$DATA/ferretdb" --listen-addr="127.0.0.1:$MONGO_PORT" \
      --debug-addr="127.0.0.1:$FERRET_DEBUG_PORT" --telemetry=disable --log-level=warn \
      >"$DATA/ferretdb.log" 2>&1 &
    echo $! >"$DATA/ferretdb.pid"
    wait_port "$MONGO_PORT" ferretdb
    log "FerretDB ($BACKEND backend) on 127.0.0.1:$MONGO_PORT"
  fi
  if port_open "$REDIS_PORT"; then log "Redis already on 127.0.0.1:$REDIS_PORT"; else
    redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --dir "$DATA/redis" --appendonly yes \
      --save "" --daemonize yes --pidfile "$DATA/redis.pid" --logfile "$DATA/redis.log"
    wait_port "$REDIS_PORT" redis
    log "Redis on 127.0.0.1:$REDIS_PORT"
  fi
  bash "$ROOT/scripts/openbao.sh" up
}

down() {
  for svc in ferretdb redis; do
    if [ -f "$DATA/$svc.pid" ]; then
      kill "$(cat "$DATA/$svc.pid")" 2>/dev/null || true
      rm -f "$DATA/$svc.pid"
      log "stopped $svc"
    fi
  done
  # Whichever backend ran: stops PostgreSQL only if this data directory has a running cluster.
  bash "$ROOT/scripts/postgres.sh" down
}

env_out() {
  echo "MONGODB_URI=mongodb://127.0.0.1:$MONGO_PORT/flickr_gateway"
  echo "REDIS_URL=redis://127.0.0.1:$REDIS_PORT"
  bash "$ROOT/scripts/openbao.sh" env
}

status() {
  local handler=""
  [ -f "$DATA/ferretdb.pid" ] && handler="$(ps -o args= -p "$(cat "$DATA/ferretdb.pid")" 2>/dev/null | grep -o -- '--handler=[a-z]*' | cut -d= -f2 || true)"
  port_open "$MONGO_PORT" && echo "ferretdb: up (127.0.0.1:$MONGO_PORT${handler:+, $handler backend})" || echo "ferretdb: down"
  port_open "${DEV_PG_PORT:-5433}" && echo "postgresql: up (127.0.0.1:${DEV_PG_PORT:-5433})" || echo "postgresql: down"
  port_open "$REDIS_PORT" && echo "redis: up (127.0.0.1:$REDIS_PORT)" || echo "redis: down"
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  env) env_out ;;
  status) status ;;
  *) echo "usage: $0 up|down|env|status" >&2; exit 2 ;;
esac
