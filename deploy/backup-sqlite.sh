#!/bin/sh
# Backs up Herald's embedded SQLite database while Herald runs (docs/deploy.md, "Backups").
# VACUUM INTO writes a consistent, compacted copy inside one read transaction: Herald keeps
# writing meanwhile (WAL). The copy is checked (PRAGMA integrity_check) before it takes its final
# name, and copies older than DAYS are removed. Needs the sqlite3 shell (Debian: sqlite3).
# Run it as the user Herald runs as, so that SQLite never leaves a -wal or -shm file that Herald
# cannot open:  sudo -u herald sh backup-sqlite.sh /var/lib/herald/herald.db /var/lib/herald/backups
# Usage: backup-sqlite.sh DATABASE DIRECTORY [DAYS=14]   (prints the new backup's path)
set -eu
db=${1:?usage: backup-sqlite.sh DATABASE DIRECTORY [DAYS]}
dir=${2:?usage: backup-sqlite.sh DATABASE DIRECTORY [DAYS]}
days=${3:-14}
[ -f "$db" ] || { echo "backup-sqlite: no database at $db" >&2; exit 2; }
mkdir -p "$dir"
final="$dir/herald-$(date -u +%Y%m%dT%H%M%SZ).db"
partial="$dir/.partial-$$.db"
trap 'rm -f "$partial"' EXIT
# SQL quotes a path by doubling its single quotes.
quoted=$(printf '%s' "$partial" | sed "s/'/''/g")
sqlite3 -cmd '.timeout 30000' "$db" "VACUUM INTO '$quoted'"
check=$(sqlite3 "$partial" 'PRAGMA integrity_check')
[ "$check" = ok ] || { echo "backup-sqlite: the copy failed its integrity check: $check" >&2; exit 1; }
mv "$partial" "$final"
find "$dir" -maxdepth 1 -name 'herald-*.db' -mtime +"$days" -delete
echo "$final"
