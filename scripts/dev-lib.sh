# Shared by the local-service scripts (dev-services.sh, postgres.sh, openbao.sh): sourced, never run.
# Set LOG_TAG before sourcing; defines ROOT (the repository), DATA (DEV_DATA_DIR, default .data/),
# log (to stderr, tagged) and port_open (whether something listens on 127.0.0.1:<port>).
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DATA="${DEV_DATA_DIR:-$ROOT/.data}"

log() { printf '[%s] %s\n' "$LOG_TAG" "$*" >&2; }
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
