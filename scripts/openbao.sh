#!/usr/bin/env bash
# Local OpenBao (a Vault-API compatible server) for the token vault (issue 3).
# Builds `bao` from the Go module proxy into .tools/bin (cached), starts a
# dev-mode server on loopback with a fixed root token, enables the transit
# engine and creates the keys the app uses. Idempotent; logs/pid in .data/.
#   scripts/openbao.sh install   build the binary only
#   scripts/openbao.sh up        install, start, configure (default)
#   scripts/openbao.sh down      stop the server this script started
#   scripts/openbao.sh env       print the environment the app should use
# Dev mode keeps everything in memory: a restart loses the transit keys, so
# tokens encrypted before it can no longer be decrypted. Fine for dev/tests
# (each test file uses its own database); never a production setup.
set -euo pipefail
LOG_TAG=openbao
# shellcheck source=scripts/dev-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/dev-lib.sh"
TOOLS="$ROOT/.tools"
BAO_PORT="${DEV_BAO_PORT:-8210}"
BAO_TOKEN="${DEV_BAO_TOKEN:-dev-root-token}"
TRANSIT_MOUNT="${DEV_BAO_TRANSIT_MOUNT:-transit}"
# Key-encryption keys (transit): one for user OAuth tokens, one for app credentials
# (consumer secrets, API-key HMAC secrets). Names match the KMS_KEY_* defaults.
TRANSIT_KEYS="${DEV_BAO_TRANSIT_KEYS:-fgw-user-tokens fgw-app-credentials}"
# OpenBao tags its releases v2.x without a /v2 module path, so the proxy only
# serves the root module by pseudo-version. This commit is the v2.4.0 release.
OPENBAO_VERSION="${OPENBAO_VERSION:-v0.0.0-20250828202315-f9407a27fbee}"
OPENBAO_API_VERSION="v2.4.0"   # what that commit's go.mod requires
OPENBAO_SDK_VERSION="v2.4.0"

install() {
  local bin="$TOOLS/bin/bao" stamp="$TOOLS/bin/.bao-$OPENBAO_VERSION"
  [ -x "$bin" ] && [ -f "$stamp" ] && return 0
  command -v go >/dev/null 2>&1 || { log "go is required to build OpenBao"; exit 1; }
  mkdir -p "$TOOLS/bin"
  log "building OpenBao $OPENBAO_VERSION from the Go module proxy (first run only, several minutes)"
  local dir
  dir="$(cd "$TOOLS" && GOFLAGS=-mod=mod go mod download -json "github.com/openbao/openbao@$OPENBAO_VERSION" |
    sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
  [ -d "$dir" ] || { log "could not download OpenBao $OPENBAO_VERSION"; exit 1; }
  local src="$TOOLS/openbao-src"
  rm -rf "$src" && cp -r "$dir" "$src" && chmod -R u+w "$src"
  # The repo builds against its in-tree api/ and sdk/ submodules (replace
  # directives), but those are separate modules and not in the root module's
  # zip. Point the build at the same released versions on the proxy instead.
  # approle/userpass are only imported by tests and their pinned versions are
  # not on the proxy, so drop them from the requirements.
  (cd "$src" &&
    go mod edit \
      -dropreplace=github.com/openbao/openbao/api/v2 \
      -dropreplace=github.com/openbao/openbao/api/auth/approle/v2 \
      -dropreplace=github.com/openbao/openbao/api/auth/kubernetes/v2 \
      -dropreplace=github.com/openbao/openbao/api/auth/userpass/v2 \
      -dropreplace=github.com/openbao/openbao/sdk/v2 \
      -droprequire=github.com/openbao/openbao/api/auth/approle/v2 \
      -droprequire=github.com/openbao/openbao/api/auth/userpass/v2 \
      -require="github.com/openbao/openbao/api/v2@$OPENBAO_API_VERSION" \
      -require="github.com/openbao/openbao/sdk/v2@$OPENBAO_SDK_VERSION" &&
    # go.sum has no lines for the submodules (they were replaced); the sum
    # database is not reachable here, so trust the proxy for these two only.
    GOFLAGS=-mod=mod GONOSUMDB=github.com/openbao/openbao GONOSUMCHECK=1 \
      go build -trimpath -o "$bin" .)
  rm -rf "$src"
  touch "$stamp"
}

bao() { VAULT_ADDR="http://127.0.0.1:$BAO_PORT" BAO_ADDR="http://127.0.0.1:$BAO_PORT" BAO_TOKEN="$BAO_TOKEN" "$TOOLS/bin/bao" "$@"; }

wait_ready() {
  for _ in $(seq 1 150); do
    bao status >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  log "OpenBao did not become ready on 127.0.0.1:$BAO_PORT; see $DATA/openbao.log"
  tail -20 "$DATA/openbao.log" >&2 || true
  exit 1
}

configure() {
  # Captured first: with pipefail, `grep -q` closing the pipe early would fail the whole test.
  local mounts
  mounts="$(bao secrets list -format=json)"
  if ! grep -q "\"$TRANSIT_MOUNT/\"" <<<"$mounts"; then
    bao secrets enable -path="$TRANSIT_MOUNT" transit >/dev/null
  fi
  local k
  for k in $TRANSIT_KEYS; do
    # Creating an existing key is a no-op in transit, so this is idempotent.
    bao write -f "$TRANSIT_MOUNT/keys/$k" type=aes256-gcm96 >/dev/null
  done
}

up() {
  install
  mkdir -p "$DATA"
  if port_open "$BAO_PORT"; then log "OpenBao already on 127.0.0.1:$BAO_PORT"; else
    nohup "$TOOLS/bin/bao" server -dev -dev-root-token-id="$BAO_TOKEN" \
      -dev-listen-address="127.0.0.1:$BAO_PORT" -dev-no-store-token \
      >"$DATA/openbao.log" 2>&1 &
    echo $! >"$DATA/openbao.pid"
  fi
  wait_ready
  configure
  log "OpenBao on 127.0.0.1:$BAO_PORT (transit at /$TRANSIT_MOUNT, keys: $TRANSIT_KEYS)"
}

down() {
  if [ -f "$DATA/openbao.pid" ]; then
    kill "$(cat "$DATA/openbao.pid")" 2>/dev/null || true
    rm -f "$DATA/openbao.pid"
    log "stopped openbao"
  fi
}

env_out() {
  echo "KMS_PROVIDER=vault"
  echo "VAULT_ADDR=http://127.0.0.1:$BAO_PORT"
  echo "VAULT_TOKEN=$BAO_TOKEN"
  echo "KMS_VAULT_TRANSIT_MOUNT=$TRANSIT_MOUNT"

}

case "${1:-up}" in
  install) install ;;
  up) up ;;
  down) down ;;
  env) env_out ;;
  *) echo "usage: $0 install|up|down|env" >&2; exit 2 ;;
esac
