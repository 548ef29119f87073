#!/usr/bin/env bash
# Start (or stop) a throwaway PostgreSQL on 127.0.0.1 for the tests, from Debian's postgresql package.
#   scripts/pg-throwaway.sh start PORT   → prints the DATABASE_URL;   scripts/pg-throwaway.sh stop
set -euo pipefail
STATE=${PG_THROWAWAY_DIR:-/tmp/throughline-pg}
cmd=${1:-start}; port=${2:-55432}
if ! ls -d /usr/lib/postgresql/*/bin >/dev/null 2>&1; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq postgresql >/dev/null
fi
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n1)
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
case "$cmd" in
  start)
    rm -rf "$STATE"; mkdir -p "$STATE"; [ "$(id -u)" -eq 0 ] && chown postgres "$STATE"
    as_pg "$PGBIN/initdb" -D "$STATE" -U postgres -A trust -E UTF8 --no-sync >/dev/null
    as_pg "$PGBIN/pg_ctl" -D "$STATE" -w -l "$STATE/log" -o "-c listen_addresses=127.0.0.1 -p $port -k $STATE -c fsync=off" start >/dev/null
    echo "postgresql+psycopg://postgres@127.0.0.1:$port/postgres" ;;
  stop)
    as_pg "$PGBIN/pg_ctl" -D "$STATE" -m fast stop >/dev/null 2>&1 || true; rm -rf "$STATE" ;;
esac
