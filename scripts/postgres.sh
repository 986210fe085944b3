#!/usr/bin/env bash
# Local PostgreSQL for FerretDB's PostgreSQL backend (the default of
# scripts/dev-services.sh). Uses Debian's `postgresql` package (installed if
# missing), runs its own cluster on loopback with data in .data/postgres
# (git-ignored; /var/tmp/fgw-postgres-* when the server's user cannot reach it),
# never the packaged cluster. Idempotent and quick when running.
#   scripts/postgres.sh up      install if missing, init the cluster once, start, create the database
#   scripts/postgres.sh down    stop the cluster this script started
#   scripts/postgres.sh url     print the URL FerretDB connects to
#   scripts/postgres.sh check   exit 0 when PostgreSQL can be used here (binaries, user, data dir)
# PostgreSQL refuses to run as root: as root the server runs as the `postgres`
# system user the Debian package creates (or a `fgw-postgres` user created
# here if there is none); as any other user it runs as that user.
# Local stand-in only: trust authentication on 127.0.0.1 and a Unix socket in
# the data directory, synchronous_commit=off (a crash can lose the last few
# commits but never corrupts data) - never a production setup.
set -euo pipefail
LOG_TAG=postgres
# shellcheck source=scripts/dev-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/dev-lib.sh"
PG_PORT="${DEV_PG_PORT:-5433}"
PG_DB="${DEV_PG_DATABASE:-ferretdb}"
PGDATA_DIR="$DATA/postgres"
# A clone the server's user cannot reach (e.g. under root's 0700 home) keeps its cluster in /var/tmp instead,
# one per data directory; `down` finds it the same way.
ALT_PGDATA_DIR="/var/tmp/fgw-postgres-$(printf '%s' "$DATA" | cksum | cut -d' ' -f1)"

# The newest installed server's bin directory (Debian keeps initdb/pg_ctl out of PATH).
pg_bindir() {
  local d
  d="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)"
  if [ -n "$d" ] && [ -x "$d/pg_ctl" ]; then echo "$d"; return 0; fi
  command -v pg_ctl >/dev/null 2>&1 && { dirname "$(readlink -f "$(command -v pg_ctl)")"; return 0; }
  return 1
}

install() {
  pg_bindir >/dev/null && return 0
  log "installing postgresql from Debian's packages"
  local SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq >/dev/null
  # The package would start its own cluster on 5432; we only want the binaries.
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq postgresql >/dev/null
  if command -v systemctl >/dev/null 2>&1; then $SUDO systemctl disable --now postgresql >/dev/null 2>&1 || true; fi
  pg_bindir >/dev/null || { log "postgresql installed but pg_ctl not found"; exit 1; }
}

# The OS user the server runs as.
run_user() {
  if [ "$(id -u)" != 0 ]; then id -un; return; fi
  if id postgres >/dev/null 2>&1; then echo postgres; return; fi
  id fgw-postgres >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin fgw-postgres
  echo fgw-postgres
}

# as_pg <command...>: runs a command as the server's user.
as_pg() {
  local u; u="$(run_user)"
  if [ "$(id -u)" = 0 ]; then runuser -u "$u" -- "$@"; else "$@"; fi
}

# usable <dir>: creates the directory for the server's user; true when that user can write it.
usable() {
  mkdir -p "$1"
  if [ "$(id -u)" = 0 ]; then chown "$(run_user)" "$1"; fi
  as_pg test -w "$1"
}

check() {
  pg_bindir >/dev/null || return 1
  if [ -f "$ALT_PGDATA_DIR/PG_VERSION" ] && [ ! -f "$PGDATA_DIR/PG_VERSION" ]; then PGDATA_DIR="$ALT_PGDATA_DIR"; return 0; fi
  usable "$PGDATA_DIR" && return 0
  log "user $(run_user) cannot write $PGDATA_DIR; using $ALT_PGDATA_DIR"
  PGDATA_DIR="$ALT_PGDATA_DIR"
  usable "$PGDATA_DIR"
}

up() {
  install
  local bin; bin="$(pg_bindir)"
  check || { log "user $(run_user) cannot write $PGDATA_DIR"; exit 1; }
  chmod 700 "$PGDATA_DIR"
  if [ ! -f "$PGDATA_DIR/PG_VERSION" ]; then
    log "initialising a cluster in $PGDATA_DIR (first run only)"
    as_pg "$bin/initdb" -D "$PGDATA_DIR" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
    cat >>"$PGDATA_DIR/postgresql.conf" <<EOF
# scripts/postgres.sh: a local stand-in on loopback
listen_addresses = '127.0.0.1'
unix_socket_directories = '$PGDATA_DIR'
synchronous_commit = off
max_connections = 200
EOF
  fi
  if port_open "$PG_PORT"; then log "PostgreSQL already on 127.0.0.1:$PG_PORT"; else
    as_pg "$bin/pg_ctl" -D "$PGDATA_DIR" -l "$PGDATA_DIR/server.log" -o "-p $PG_PORT" -w -t 30 start >/dev/null ||
      { log "PostgreSQL did not start; see $PGDATA_DIR/server.log"; tail -20 "$PGDATA_DIR/server.log" >&2 || true; exit 1; }
    log "PostgreSQL on 127.0.0.1:$PG_PORT"
  fi
  local psql=(as_pg "$bin/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -qtAX)
  if [ "$("${psql[@]}" -c "SELECT 1 FROM pg_database WHERE datname = '$PG_DB'")" != 1 ]; then
    "${psql[@]}" -c "CREATE DATABASE \"$PG_DB\"" >/dev/null
    log "created database $PG_DB"
  fi
}

down() {
  local bin
  bin="$(pg_bindir)" || return 0
  [ -f "$PGDATA_DIR/postmaster.pid" ] || PGDATA_DIR="$ALT_PGDATA_DIR"
  [ -f "$PGDATA_DIR/postmaster.pid" ] || return 0
  as_pg "$bin/pg_ctl" -D "$PGDATA_DIR" -m fast -w stop >/dev/null 2>&1 && log "stopped PostgreSQL" || true
}

url() { echo "postgres://postgres@127.0.0.1:$PG_PORT/$PG_DB"; }

case "${1:-up}" in
  up) up ;;
  down) down ;;
  url) url ;;
  check) check ;;
  *) echo "usage: $0 up|down|url|check" >&2; exit 2 ;;
esac
