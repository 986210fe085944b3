#!/usr/bin/env bash
# Installs the local tools the project needs (FerretDB, Redis) into a git-ignored
# folder, reusing what is already there. Idempotent; safe to run on every start.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="$ROOT/.tools"
mkdir -p "$TOOLS/bin"
FERRETDB_VERSION="${FERRETDB_VERSION:-v1.24.2}"

log() { printf '[tools] %s\n' "$*" >&2; }

ensure_apt() { # ensure_apt <binary> <package>
  command -v "$1" >/dev/null 2>&1 && return 0
  log "installing $2 from Debian's packages"
  local SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  if [ ! -f "$TOOLS/.apt-updated" ]; then
    $SUDO apt-get update -qq >/dev/null && touch "$TOOLS/.apt-updated"
  fi
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$2" >/dev/null
  # Debian starts the packaged service; we run our own instances on other ports.
  if command -v systemctl >/dev/null 2>&1; then $SUDO systemctl disable --now "$2" >/dev/null 2>&1 || true; fi
}

ensure_ferretdb() {
  local bin="$TOOLS/bin/ferretdb" stamp="$TOOLS/bin/.ferretdb-$FERRETDB_VERSION"
  [ -x "$bin" ] && [ -f "$stamp" ] && return 0
  command -v go >/dev/null 2>&1 || { log "go is required to build FerretDB"; exit 1; }
  log "building FerretDB $FERRETDB_VERSION from the Go module proxy (first run only, a few minutes)"
  # 'go install pkg@version' also asks the proxy for the module's version list
  # (a deprecation check) that the proxy refuses for FerretDB, and FerretDB's
  # version package panics unless build/version/version.txt is filled in (the
  # module zip ships it empty). So: fetch the pinned module, copy its source,
  # write version.txt, and build from the copy.
  local dir
  dir="$(cd "$TOOLS" && GOFLAGS=-mod=mod go mod download -json "github.com/FerretDB/FerretDB@$FERRETDB_VERSION" |
    sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
  [ -d "$dir" ] || { log "could not download FerretDB $FERRETDB_VERSION"; exit 1; }
  local src="$TOOLS/ferretdb-src"
  rm -rf "$src" && cp -r "$dir" "$src" && chmod -R u+w "$src"
  echo "$FERRETDB_VERSION" >"$src/build/version/version.txt"
  (cd "$src" && GOFLAGS=-mod=mod go build -o "$bin" ./cmd/ferretdb)
  rm -rf "$src"
  touch "$stamp"
}

ensure_apt redis-server redis-server
ensure_ferretdb
log "tools ready"
