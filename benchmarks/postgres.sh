#!/usr/bin/env bash
# Start the machine's PostgreSQL (as .ci/run does) and make sure the role the benchmarks use
# exists (onboarding/onboarding, CREATEDB: they create and drop their own databases).
# Skipped when BENCH_POSTGRES_URL points elsewhere; a failure only means « SQLite only ».
set -euo pipefail
[ -n "${BENCH_POSTGRES_URL:-}" ] && exit 0
command -v pg_ctlcluster >/dev/null 2>&1 || { echo "PostgreSQL is not installed (apt-get install postgresql): SQLite only"; exit 1; }
pg_ctlcluster --skip-systemctl-redirect 15 main start 2>/dev/null || pg_ctlcluster 15 main status >/dev/null
for _ in $(seq 1 30); do
  runuser -u postgres -- pg_isready -q && break
  sleep 1
done
runuser -u postgres -- psql -v ON_ERROR_STOP=1 -q <<'SQL'
DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'onboarding') THEN
    CREATE ROLE onboarding LOGIN CREATEDB PASSWORD 'onboarding';
  END IF;
END $$;
SQL
