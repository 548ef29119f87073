#!/usr/bin/env bash
# The whole suite in three parts. The SQLite pass and the PostgreSQL pass run side by side, one core each: both are
# single-threaded, and running them one after the other left a core idle for most of an hour. The browser flows run
# last and alone, so the latency bounds they assert are measured on a machine the other passes are not loading.
set -uo pipefail
cd "$(dirname "$0")/.."
pg_log=$(mktemp)
trap 'rm -f "$pg_log"' EXIT
started=$SECONDS
bash scripts/test-postgres.sh >"$pg_log" 2>&1 &
pg_pid=$!
echo "== SQLite pass (the PostgreSQL pass runs beside it; its output follows) =="
.venv/bin/python -m pytest -q --ignore=tests/e2e
sqlite_rc=$?
wait "$pg_pid"
pg_rc=$?
echo "== PostgreSQL pass =="
cat "$pg_log"
echo "== Browser flows (headless Chromium, SQLite) =="
.venv/bin/python -m pytest -q tests/e2e
e2e_rc=$?
echo "== SQLite rc $sqlite_rc, PostgreSQL rc $pg_rc, browser rc $e2e_rc, $((SECONDS - started)) s in all =="
[ "$sqlite_rc" -eq 0 ] && [ "$pg_rc" -eq 0 ] && [ "$e2e_rc" -eq 0 ]
