#!/usr/bin/env bash
# Installs (if needed) and starts a throwaway PostgreSQL server on 127.0.0.1, as the postgres user.
# Writes .ci/pg.env with QUIZAPP_TEST_PG_URL for the tests.
set -euo pipefail
cd "$(dirname "$0")"
PORT=${QUIZAPP_PG_PORT:-54329}
DATA=/tmp/quizapp-pg-data

if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq postgresql >/dev/null
fi
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)

if ! su postgres -s /bin/sh -c "$PGBIN/pg_isready -h 127.0.0.1 -p $PORT" >/dev/null 2>&1; then
  rm -rf "$DATA"
  mkdir -p "$DATA"
  chown postgres:postgres "$DATA"
  su postgres -s /bin/sh -c "$PGBIN/initdb -D $DATA -A trust -U postgres" >/dev/null
  su postgres -s /bin/sh -c "$PGBIN/pg_ctl -D $DATA -o '-h 127.0.0.1 -p $PORT -k /tmp' -l $DATA/log -w start" >/dev/null
fi
echo "QUIZAPP_TEST_PG_URL=postgresql+psycopg://postgres@127.0.0.1:$PORT/postgres" > pg.env
echo "ci: PostgreSQL ready on 127.0.0.1:$PORT"
