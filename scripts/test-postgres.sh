#!/usr/bin/env bash
# Run the test suite again on a throwaway PostgreSQL (Debian's postgresql package), then stop it.
set -euo pipefail
cd "$(dirname "$0")/.."
PORT=${PG_TEST_PORT:-55432}
URL=$(bash scripts/pg-throwaway.sh start "$PORT")
trap 'bash scripts/pg-throwaway.sh stop' EXIT
echo "PostgreSQL test server: $URL"
THROUGHLINE_TEST_DATABASE_URL="$URL" .venv/bin/python -m pytest -q --ignore=tests/e2e "$@"
