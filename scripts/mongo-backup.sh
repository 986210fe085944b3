#!/usr/bin/env bash
# MongoDB logical backup and restore with the real MongoDB tools (docs/runbooks/backup-restore.md).
#   scripts/mongo-backup.sh dump    <mongodb-uri> <database> <archive.gz>   mongodump of one database, one gzipped archive
# (the URI names no database or the same one: the tools refuse a different one)
#   scripts/mongo-backup.sh restore <mongodb-uri> <database> <archive.gz>   mongorestore of that database (--drop: replaces it)
# MONGO_RESTORE_INDEXES=false restores documents only (no index specs, no collection options); the app
# rebuilds its indexes at start (Mongoose autoIndex). Needed for FerretDB, which refuses the "ns" option that
# mongorestore adds to every index spec ("Index option "ns" is unknown"); real MongoDB restores indexes as dumped.
# The tools come from scripts/ops-tools.sh (built from the Go module proxy, cached in .tools/bin) unless
# mongodump/mongorestore are already on PATH. The URI is never printed (it may hold credentials).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

tool() {
  if command -v "$1" >/dev/null 2>&1; then command -v "$1"; else bash "$ROOT/scripts/ops-tools.sh" path "$1"; fi
}

[ $# -eq 4 ] || { echo "usage: $0 dump|restore <mongodb-uri> <database> <archive.gz>" >&2; exit 2; }
cmd="$1" uri="$2" db="$3" archive="$4"
case "$cmd" in
  dump)
    "$(tool mongodump)" --uri="$uri" --db="$db" --gzip --archive="$archive"
    echo "[mongo-backup] dumped $db to $archive ($(stat -c %s "$archive") bytes)" >&2 ;;
  restore)
    # --drop: each restored collection replaces the one in place, so a restore is repeatable.
    extra=()
    [ "${MONGO_RESTORE_INDEXES:-true}" = false ] && extra=(--noIndexRestore --noOptionsRestore)
    "$(tool mongorestore)" --uri="$uri" --nsInclude="$db.*" --drop "${extra[@]}" --gzip --archive="$archive"
    echo "[mongo-backup] restored $db from $archive" >&2 ;;
  *) echo "usage: $0 dump|restore <mongodb-uri> <database> <archive.gz>" >&2; exit 2 ;;
esac
