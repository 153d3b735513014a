#!/bin/bash
# make demo: installs what is missing, builds, starts a throwaway PostgreSQL
# instance with the extension and the embedded default model, creates a small
# shop database and completes a few statements, printing latency.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
D=$ROOT/build/demo
PGBIN=/usr/lib/postgresql/15/bin
PORT=${SQLPILOT_DEMO_PORT:-5499}

step() { printf '\n== %s\n' "$*"; }
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

step "installing missing Debian packages (make deps)"
tools/deps.sh
step "building"
make -s all >/dev/null
step "staging the extension, the default model and sqlpilot-psql in $D/install"
if [ -f "$D/pgdata/postmaster.pid" ]; then as_pg "$PGBIN/pg_ctl" -D "$D/pgdata" -m fast stop >/dev/null || true; fi
rm -rf "$D"
mkdir -p "$D"
make -s install DESTDIR="$D/install" >/dev/null
[ "$(id -u)" -eq 0 ] && chown postgres: "$D"

step "starting a throwaway PostgreSQL 15 on socket $D, port $PORT"
as_pg "$PGBIN/initdb" -D "$D/pgdata" -U postgres -A trust --no-sync -E UTF8 --locale=C >/dev/null
cat >>"$D/pgdata/postgresql.conf" <<CONF
listen_addresses = ''
unix_socket_directories = '$D'
port = $PORT
extension_destdir = '$D/install'
CONF
as_pg "$PGBIN/pg_ctl" -D "$D/pgdata" -l "$D/server.log" -w start >/dev/null
PSQL=(psql -X -q -h "$D" -p "$PORT" -U postgres -v ON_ERROR_STOP=1)

step "creating database shop (customers, products, orders, order_items)"
"${PSQL[@]}" -d postgres -c "CREATE DATABASE shop"
"${PSQL[@]}" -d shop -f tools/demo_shop.sql -f tools/demo_shop_rows.sql

step "completing statements with sqlpilot_complete() (first call loads the model: cold)"
"${PSQL[@]}" -d shop -P pager=off -f tools/demo_complete.sql

cat <<MSG

== try it yourself
  $D/install$(pg_config --bindir)/sqlpilot-psql -h $D -p $PORT -U postgres shop
     (TAB completes as usual, plus the model's candidates)
  psql -h $D -p $PORT -U postgres shop -c "SELECT sqlpilot_complete('SELECT * FROM ')"
== stop the instance
  $( [ "$(id -u)" -eq 0 ] && echo "runuser -u postgres -- " )$PGBIN/pg_ctl -D $D/pgdata stop
MSG
