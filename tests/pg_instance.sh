# tests/pg_instance.sh — sourced (not run: it is not executable) by the
# scripted suites that start a PostgreSQL 15 of their own: as_pg runs a
# command as postgres when we are root (initdb refuses root), pg_instance_start
# DIR starts a server in DIR/data with its unix socket in DIR (no TCP) and sets
# CONN, pg_instance_stop DIR stops it.
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}

as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

# Starts the server; non-zero (log in DIR/initdb.log or DIR/server.log) when it cannot.
pg_instance_start() {
	local dir=$1
	local port=$((20000 + $$ % 20000))
	mkdir -p "$dir/data"
	[ "$(id -u)" = 0 ] && chown postgres "$dir" "$dir/data"
	as_pg "$PGBIN/initdb" -D "$dir/data" -A trust -U postgres --no-sync >"$dir/initdb.log" 2>&1 &&
		as_pg "$PGBIN/pg_ctl" -D "$dir/data" -o "-k $dir -c listen_addresses='' -p $port -c fsync=off" \
			-l "$dir/server.log" -w start >/dev/null 2>&1 &&
		CONN="host=$dir port=$port user=postgres dbname=postgres"
}

# Stops the server at once (nothing to keep).
pg_instance_stop() {
	as_pg "$PGBIN/pg_ctl" -D "$1/data" -m immediate stop >/dev/null 2>&1
}
