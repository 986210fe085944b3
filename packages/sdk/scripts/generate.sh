#!/usr/bin/env bash
# Regenerates src/generated/openapi.ts from the gateway's OpenAPI document, built offline from the
# sources (scripts/openapi-dump.ts: no server, no database). Run from anywhere; commit the result.
# test/sdk/openapi-drift.spec.ts fails when the committed file differs from what this produces.
set -euo pipefail
SDK="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ROOT="$(cd "$SDK/../.." && pwd)"
export PATH="$ROOT/node_modules/.bin:$PATH"
doc="$(mktemp --suffix=.json)"
trap 'rm -f "$doc"' EXIT
(cd "$ROOT" && node -r ts-node/register/transpile-only scripts/openapi-dump.ts --out "$doc")
openapi-typescript "$doc" --default-non-nullable false --output "$SDK/src/generated/openapi.ts"
