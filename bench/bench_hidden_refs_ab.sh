#!/bin/bash
# The first sqlpilot_prompt() of a new backend (the schema cache built cold:
# listing, catalog read of the chosen tables, rendering) before and after a
# change of the extension, on two temporary servers that differ only in
# their staged install, called alternately so both see the same machine
# load.  The schema is the worst case of the check of regclass constants
# (extension/catalog.c, RelationNameHidden): 80 tables of two serial
# columns, a default on a shared sequence and a regclass CHECK each, read by
# a role with SELECT on the tables, USAGE on the shared sequence (so both
# sides print the same text) and no right on the serials' sequences (each
# one's owner is looked up in pg_depend).  The model is loaded before
# the timed call (a random model of a long context, so the prompt holds
# dozens of tables).  Prints the median backend CPU time of each and the
# ratio after/before.  Then the client reader (client/catalog.c, through
# `sqlpilot complete --dsn --show-schema`) of each tree against one database
# of 2,000 such tables (20 columns each), as that role: the median wall time
# of the whole command, alternated.
#   bench/bench_hidden_refs_ab.sh BEFORE_BUILD [N]
#   (BEFORE_BUILD: the build directory of the other tree, with its CLI
#    `sqlpilot` and its staged install `install/` (make install
#    DESTDIR=$PWD/build/install); N rounds, default 30)
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${SQLPILOT_BUILD:-$ROOT/build}
OTHER=${1:?usage: $0 BEFORE_BUILD [N]}
BEFORE=$OTHER/install
N=${2:-30}
PGBIN=$(pg_config --bindir)
[[ -x $BUILD/sqlpilot && -d $BUILD/install && -x $OTHER/sqlpilot && -d $BEFORE ]] || {
	echo "needs $BUILD/sqlpilot, $BUILD/install, $OTHER/sqlpilot and $BEFORE" >&2
	exit 1
}

. "$ROOT/bench/instance.sh" refs_ab

"$BUILD/sqlpilot" init --preset 260K --seq-len 16384 --seed 1 --out "$T/bench.model" >/dev/null
chmod 644 "$T/bench.model"

for side in before after; do
	"${as_pg[@]}" "$PGBIN/initdb" -D "$T/$side" -A trust -E UTF8 --no-locale >/dev/null
	port=$([[ $side == before ]] && echo 5441 || echo 5442)
	dest=$([[ $side == before ]] && echo "$BEFORE" || echo "$BUILD/install")
	cat >>"$T/$side/postgresql.conf" <<EOF
listen_addresses = ''
unix_socket_directories = '$T'
port = $port
extension_destdir = '$dest'
sqlpilot.model_path = '$T/bench.model'
fsync = off
EOF
	"${as_pg[@]}" "$PGBIN/pg_ctl" -D "$T/$side" -l "$T/$side.log" start -w >/dev/null
	"$PGBIN/psql" "host=$T port=$port user=postgres dbname=postgres" -X -q -v ON_ERROR_STOP=1 <<'SQL'
CREATE EXTENSION sqlpilot;
CREATE SEQUENCE shared_seq;
CREATE ROLE r_read;
DO $$
BEGIN
	FOR i IN 1..80 LOOP
		EXECUTE format('CREATE TABLE t%s (id serial PRIMARY KEY, ref bigserial,
			n bigint DEFAULT nextval(''shared_seq''), k regclass CHECK (k <> ''pg_class''::regclass),
			note text, at timestamptz DEFAULT now())', lpad(i::text, 3, '0'));
	END LOOP;
END $$;
GRANT SELECT ON ALL TABLES IN SCHEMA public TO r_read;
GRANT USAGE ON SEQUENCE shared_seq TO r_read;
VACUUM ANALYZE;
SQL
done

# One cold call on port $1: CPU milliseconds of the backend (/proc/self/schedstat,
# wall time swings with the other jobs of the machine) for the first
# sqlpilot_prompt() of a new backend.
cold_ms() {
	"$PGBIN/psql" "host=$T port=$1 user=postgres dbname=postgres" -X -q -At 2>&1 <<'SQL' | tr '\n' ' ' | awk '{printf "%.3f\n", ($2 - $1) / 1e6}'
SELECT sqlpilot_model_info() IS NOT NULL \g /dev/null
SELECT split_part(pg_read_file('/proc/self/schedstat'), ' ', 1);
SET ROLE r_read;
SET sqlpilot.max_prompt_tokens = 16000;
SELECT length(sqlpilot_prompt('SELECT * FROM t040 JOIN ')) \g /dev/null
RESET ROLE;
SELECT split_part(pg_read_file('/proc/self/schedstat'), ' ', 1);
SQL
}

# what the timed call reads: the tables the prompt holds, on each side
for port in 5441 5442; do
	"$PGBIN/psql" "host=$T port=$port user=postgres dbname=postgres" -X -q -At -c "SET ROLE r_read" \
		-c "SET sqlpilot.max_prompt_tokens = 16000" -c "SELECT sqlpilot_prompt('SELECT * FROM t040 JOIN ')" >"$T/p$port"
	echo "port $port: $(grep -c '^CREATE TABLE' "$T/p$port") tables, $(grep -c 'DEFAULT unique_rowid' "$T/p$port") serial defaults, $(grep -c 'CHECK' "$T/p$port") checks in the prompt"
done

: >"$T/before.ms"
: >"$T/after.ms"
for ((i = 0; i < N; i++)); do
	cold_ms 5441 >>"$T/before.ms"
	cold_ms 5442 >>"$T/after.ms"
done
median() { sort -n "$1" | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }
b=$(median "$T/before.ms")
a=$(median "$T/after.ms")
echo "cold sqlpilot_prompt, backend CPU, median of $N alternated calls: before $b ms, after $a ms, after/before $(awk -v a="$a" -v b="$b" 'BEGIN {printf "%.3f", a / b}')"

# ---- the client reader on 2,000 tables ----
"$PGBIN/psql" "host=$T port=5442 user=postgres dbname=postgres" -X -q -v ON_ERROR_STOP=1 <<'SQL'
CREATE DATABASE big;
\c big
CREATE SEQUENCE shared_seq;
CREATE ROLE r_client LOGIN;
DO $$
BEGIN
	FOR i IN 1..2000 LOOP
		EXECUTE format('CREATE TABLE t%s (id serial PRIMARY KEY, ref bigserial,
			n bigint DEFAULT nextval(''shared_seq''), k regclass CHECK (k <> ''pg_class''::regclass),
			note text, at timestamptz DEFAULT now(), c1 int, c2 text, c3 text, c4 date,
			c5 numeric(10,2), c6 int, c7 bigint, c8 text, c9 boolean, c10 int, c11 text, c12 int[],
			c13 text, c14 int)', lpad(i::text, 4, '0'));
		IF i % 250 = 0 THEN
			COMMIT;
		END IF;
	END LOOP;
END $$;
GRANT SELECT ON ALL TABLES IN SCHEMA public TO r_client;
GRANT USAGE ON SEQUENCE shared_seq TO r_client;
VACUUM ANALYZE;
SQL
# One client read with CLI $1: wall milliseconds of the whole command.
client_ms() {
	local t0 t1
	t0=$(date +%s%N)
	SQLPILOT_MODEL=$T/bench.model "$1" complete --dsn "host=$T port=5442 user=r_client dbname=big" \
		--timeout-ms 60000 --show-schema "SELECT * FROM t0040 JOIN " >"$T/client.out" 2>&1 || cat "$T/client.out" >&2
	t1=$(date +%s%N)
	echo "$(((t1 - t0) / 1000000))"
}
: >"$T/cbefore.ms"
: >"$T/cafter.ms"
for ((i = 0; i < N / 3 + 1; i++)); do
	client_ms "$OTHER/sqlpilot" >>"$T/cbefore.ms"
	client_ms "$BUILD/sqlpilot" >>"$T/cafter.ms"
done
b=$(median "$T/cbefore.ms")
a=$(median "$T/cafter.ms")
echo "client read of 2,000 tables, wall, median of $((N / 3 + 1)) alternated calls: before $b ms, after $a ms, after/before $(awk -v a="$a" -v b="$b" 'BEGIN {printf "%.3f", a / b}')"
