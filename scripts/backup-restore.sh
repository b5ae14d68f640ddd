#!/usr/bin/env bash
# Back up the PostgreSQL database of DATABASE_URL with pg_dump, restore the dump into a fresh
# database, and compare the row count of every table. Exits 1 when a count differs or a step
# fails, 2 when it cannot begin (no postgres:// URL, a tool missing, a role that may not create
# databases), 0 when the restored database holds exactly what was dumped. The original is
# counted in the very snapshot pg_dump reads, so the check holds on a live database that keeps
# changing.
# The restored database is dropped at the end unless --keep is given.
#
#   scripts/backup-restore.sh [--dump FILE] [--keep]
#   scripts/backup-restore.sh --compare URL_A URL_B    # only compare the counts of two databases
#
# --dump FILE keeps the dump (pg_dump's custom format; restore it with pg_restore); without it
# the dump goes to a temporary file. Needs pg_dump, pg_restore and psql of the server's major
# version (or newer), and a role that may create databases.
set -euo pipefail

usage() { sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
say() { echo "backup-restore: $*"; }
die() { echo "backup-restore: $1" >&2; exit "${2:-1}"; }

# SQL giving "table count" for every table of the public schema, sorted by table.
count_sql() {
  local url=$1 tables t sql=""
  tables=$(psql "$url" -XAtq -v ON_ERROR_STOP=1 -c \
    "SELECT quote_ident(tablename) FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")
  for t in $tables; do
    sql+="${sql:+ UNION ALL }SELECT '$t', count(*) FROM $t"
  done
  echo "${sql:-SELECT '(no tables)', 0} ORDER BY 1;"
}

counts() { psql "$1" -XAtq -v ON_ERROR_STOP=1 -F ' ' -c "$(count_sql "$1")"; }

# Compare two "table count" listings; print the difference and fail when they differ.
same_counts() {
  local original=$1 restored=$2
  if [ "$original" != "$restored" ]; then
    echo "backup-restore: FAILED: the row counts differ (< original, > restored):" >&2
    diff <(printf '%s\n' "$original") <(printf '%s\n' "$restored") >&2 || true
    return 1
  fi
  say "$(printf '%s\n' "$original" | wc -l) tables, $(printf '%s\n' "$original" | awk '{s += $2} END {print s}') rows: the same in both"
}

# postgres://user@host:5432/name?options → the same URL naming database $2.
with_database() {
  local url=$1 name=$2 query=""
  if [[ $url == *\?* ]]; then query="?${url#*\?}"; url=${url%%\?*}; fi
  printf '%s/%s%s' "${url%/*}" "$name" "$query"
}

if [ "${1:-}" = "--compare" ]; then
  [ $# -eq 3 ] || usage
  a=$(counts "$2") || die "cannot count the rows of $2"
  b=$(counts "$3") || die "cannot count the rows of $3"
  same_counts "$a" "$b"
  exit
fi

dump="" keep=0
while [ $# -gt 0 ]; do
  case $1 in
    --dump) [ $# -ge 2 ] || usage; dump=$2; shift 2 ;;
    --keep) keep=1; shift ;;
    *) usage ;;
  esac
done

url=${DATABASE_URL:-${DJANGO_DATABASE_URL:-}}
case $url in
  postgres://*|postgresql://*) ;;
  *) die "DATABASE_URL must be a postgres:// URL (it is '${url:-unset}')" 2 ;;
esac
for tool in pg_dump pg_restore psql; do
  command -v "$tool" >/dev/null || die "$tool not found (apt-get install postgresql-client)" 2
done

# Say so before dumping (which can take long) rather than fail at CREATE DATABASE afterwards.
may_create=$(psql "$url" -XAtq -v ON_ERROR_STOP=1 -c \
  "SELECT rolcreatedb OR rolsuper FROM pg_roles WHERE rolname = current_user") \
  || die "cannot connect to the database of DATABASE_URL" 2
[ "$may_create" = t ] \
  || die "the role of DATABASE_URL may not create databases: give it the right (ALTER ROLE name CREATEDB)" 2

workdir=$(mktemp -d)
restored="restore_check_$(date +%Y%m%d%H%M%S)_$$"
restored_url=$(with_database "$url" "$restored")
admin_url=$(with_database "$url" postgres)
session_pid=""
cleanup() {
  [ -n "$session_pid" ] && kill "$session_pid" 2>/dev/null
  if [ "$keep" = 0 ]; then
    psql "$admin_url" -XAtq -c "DROP DATABASE IF EXISTS \"$restored\"" >/dev/null 2>&1 || true
  fi
  rm -rf "$workdir"
}
trap cleanup EXIT
[ -n "$dump" ] || dump="$workdir/backup.dump"

# A session holds a snapshot open: pg_dump dumps it and the original's rows are counted in it.
sql=$(count_sql "$url")
coproc SESSION { psql "$url" -XAtq -v ON_ERROR_STOP=1 -F ' ' 2>&1; }
session_pid=$SESSION_PID
echo "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SELECT pg_export_snapshot();" >&"${SESSION[1]}"
read -r snapshot <&"${SESSION[0]}" || die "could not open a snapshot of the database"
[[ $snapshot =~ ^[0-9A-F-]+$ ]] || die "could not open a snapshot: $snapshot"
echo "$sql SELECT '--end--';" >&"${SESSION[1]}"
original=""
while read -r line <&"${SESSION[0]}"; do
  [ "$line" = "--end--" ] && break
  original+="${original:+$'\n'}$line"
done

say "dumping to $dump"
pg_dump --format=custom --no-owner --no-privileges --snapshot="$snapshot" --file="$dump" "$url"
echo "COMMIT;" >&"${SESSION[1]}"

say "restoring into the new database $restored"
psql "$admin_url" -XAtq -v ON_ERROR_STOP=1 -c "CREATE DATABASE \"$restored\"" >/dev/null
pg_restore --no-owner --no-privileges --exit-on-error --dbname="$restored_url" "$dump"

restored_counts=$(counts "$restored_url") || die "cannot count the rows of the restored database"
same_counts "$original" "$restored_counts"
if [ "$keep" = 1 ]; then say "kept the restored database: $restored_url"; fi
