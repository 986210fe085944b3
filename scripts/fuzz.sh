#!/usr/bin/env bash
# Fuzzes the API from its own OpenAPI document with schemathesis (PyPI): no 5xx,
# and every answer must match the documented status, content type and schema.
#
#   bash scripts/fuzz.sh --url http://127.0.0.1:3000 --client-key fgw_... --admin-key fgw_... [--max-examples N]
#
# /v1 operations are run with the client key, /admin with the admin key. The
# target should run with rate limits off (RATE_LIMIT_ENABLED=false), or most
# answers are 429s. schemathesis is installed once into .tools/schemathesis.
# Exit status: non-zero when schemathesis found a failure.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.tools/schemathesis"
VERSION="${SCHEMATHESIS_VERSION:-4.32.5}"
URL="" CLIENT_KEY="" ADMIN_KEY="" MAX_EXAMPLES=10 SEED="${FUZZ_SEED:-}"
while [ $# -gt 0 ]; do
  case "$1" in
    --url) URL="$2"; shift 2 ;;
    --client-key) CLIENT_KEY="$2"; shift 2 ;;
    --admin-key) ADMIN_KEY="$2"; shift 2 ;;
    --max-examples) MAX_EXAMPLES="$2"; shift 2 ;;
    --seed) SEED="$2"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
[ -n "$URL" ] && [ -n "$CLIENT_KEY" ] && [ -n "$ADMIN_KEY" ] || { echo "usage: $0 --url URL --client-key KEY --admin-key KEY [--max-examples N]" >&2; exit 2; }

if [ ! -x "$VENV/bin/st" ] || ! "$VENV/bin/st" --version 2>/dev/null | grep -q "$VERSION"; then
  exec 9>"$ROOT/.tools/.schemathesis.lock"; flock 9
  if [ ! -x "$VENV/bin/st" ] || ! "$VENV/bin/st" --version 2>/dev/null | grep -q "$VERSION"; then
    echo "[fuzz] installing schemathesis $VERSION from PyPI into .tools/schemathesis" >&2
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q "schemathesis==$VERSION" >&2
  fi
fi

CHECKS=not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance
run() { # run <path regex> <examples> <key>
  echo "[fuzz] $1 with $2 examples per operation" >&2
  "$VENV/bin/st" run "$URL/docs-json" \
    --checks "$CHECKS" \
    --include-path-regex "$1" \
    -H "X-API-Key: $3" \
    --max-examples "$MAX_EXAMPLES" \
    ${SEED:+--seed "$SEED"} \
    --phases examples,coverage,fuzzing \
    --workers 1 \
    --request-timeout 20 \
    --suppress-health-check all \
    --no-shrink \
    --output-truncate true
}
status=0
run '^/v1/' "$MAX_EXAMPLES" "$CLIENT_KEY" || status=1
run '^/admin/' "$MAX_EXAMPLES" "$ADMIN_KEY" || status=1
exit "$status"
