#!/bin/bash
# client_dsn.sh — `sqlpilot complete --dsn`: the client path the psql hook
# uses (client/catalog.c, client/session.c) against a temporary PostgreSQL
# instance with log_statement = all: the schema it reads (the extension's
# privilege rule: table and column privileges, schema USAGE), JSON output,
# --no-grounding, that the prefix never reaches the server, a locked catalog
# ended by the read's own statement timeout, bad arguments.  Prints TAP.
set -u
ROOT=${SQLPILOT_ROOT:-$(cd "$(dirname "$0")/.." && pwd)}
BUILD=${SQLPILOT_BUILD:-$ROOT/build}
BIN=$BUILD/sqlpilot
MODEL=$ROOT/models/sqlpilot_default.model
PGBIN=/usr/lib/postgresql/15/bin

n=0
failed=0
# ok COND-STATUS NAME: one TAP line.
ok() {
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		failed=$((failed + 1))
	fi
}
diag() { echo "# $*"; }

if [ ! -x "$BIN" ]; then
	echo "not ok 1 - $BIN is built"
	exit 1
fi

T=$(mktemp -d /tmp/sqlpilot_dsn.XXXXXX)
chmod 755 "$T"
as_pg() {
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}
cleanup() {
	as_pg "$PGBIN/pg_ctl" -D "$T/data" -m immediate stop >/dev/null 2>&1
	rm -rf "$T"
}
trap cleanup EXIT
[ "$(id -u)" -eq 0 ] && chown postgres "$T"

as_pg "$PGBIN/initdb" -D "$T/data" -A trust -U postgres -E UTF8 --locale=C --no-sync >"$T/initdb.log" 2>&1
ok $? "initdb" || { cat "$T/initdb.log"; exit 1; }
cat >>"$T/data/postgresql.conf" <<EOF
listen_addresses = ''
unix_socket_directories = '$T'
fsync = off
log_statement = 'all'
EOF
as_pg "$PGBIN/pg_ctl" -D "$T/data" -l "$T/server.log" -w start >/dev/null
ok $? "server started" || exit 1
PSQL="$PGBIN/psql -X -q -v ON_ERROR_STOP=1 -h $T -U postgres -d postgres"
$PSQL >/dev/null <<'SQL'
CREATE TABLE customers (id bigint PRIMARY KEY, name text NOT NULL, email varchar(100) UNIQUE);
CREATE TABLE orders (id bigserial PRIMARY KEY, customer_id bigint REFERENCES customers (id) ON DELETE CASCADE,
	total numeric(10,2) CHECK (total >= 0), created_at timestamptz DEFAULT now());
CREATE INDEX orders_created_idx ON orders (created_at DESC);
CREATE TABLE payroll (id int PRIMARY KEY, salary numeric(12,2));
CREATE VIEW big_orders AS SELECT id, total FROM orders WHERE total > 100;
CREATE SCHEMA locked;
CREATE TABLE locked.vault (id int, gold int);
CREATE SCHEMA elsewhere;
CREATE TABLE elsewhere.offpath (id int);
CREATE ROLE clerk LOGIN;
GRANT SELECT ON customers TO clerk;
GRANT SELECT (id, total) ON orders TO clerk;
GRANT SELECT ON locked.vault TO clerk;
ALTER ROLE clerk SET search_path = public, locked;
CREATE ROLE deleter LOGIN;
GRANT DELETE ON payroll TO deleter;
SQL
ok $? "tables, a view, schemas and roles"

# schema_as ROLE: the schema text the client path builds for a prefix, as ROLE.
schema_as() {
	SQLPILOT_MODEL=$MODEL "$BIN" complete --dsn "host=$T user=$1 dbname=postgres" --show-schema "SELECT " 2>&1
}
schema_as postgres >"$T/s_pg"
ok $? "--show-schema as the owner"
grep -q "^CREATE TABLE public.customers (" "$T/s_pg" && grep -q "^CREATE TABLE public.orders (" "$T/s_pg" &&
	grep -q "^CREATE TABLE public.payroll (" "$T/s_pg"
ok $? "the owner sees every table of the search_path in CockroachDB's format"
grep -q "FOREIGN KEY (customer_id) REFERENCES public.customers(id) ON DELETE CASCADE" "$T/s_pg" &&
	grep -q "INDEX orders_created_idx (created_at DESC)" "$T/s_pg" && grep -q "CHECK (total >= " "$T/s_pg" &&
	grep -q "UNIQUE INDEX customers_email_key (email ASC)" "$T/s_pg"
ok $? "keys, indexes and checks are rendered" || sed 's/^/#   /' "$T/s_pg"
grep -q "big_orders" "$T/s_pg"
ok $? "views are listed"
! grep -q "offpath" "$T/s_pg"
ok $? "a schema off the search_path is left out"

schema_as clerk >"$T/s_clerk"
grep -q "public.customers" "$T/s_clerk"
ok $? "a role sees a table it may SELECT"
! grep -q "payroll" "$T/s_clerk"
ok $? "a role without privileges on a table never sees it"
awk '/^CREATE TABLE public.orders/,/^\)/' "$T/s_clerk" >"$T/s_orders"
grep -q "	id INT8" "$T/s_orders" && grep -q "	total DECIMAL(10,2)" "$T/s_orders" &&
	! grep -q "customer_id\|created_at\|FOREIGN KEY\|CHECK" "$T/s_orders"
ok $? "column privileges: only those columns, no key or check naming a hidden one" || sed 's/^/#   /' "$T/s_orders"
! grep -q "vault" "$T/s_clerk"
ok $? "no table of a schema without USAGE"
schema_as deleter >"$T/s_del"
grep -q "CREATE TABLE public.payroll (" "$T/s_del" && ! grep -q "salary" "$T/s_del"
ok $? "DELETE alone shows the table without its columns" || sed 's/^/#   /' "$T/s_del"

# completions: JSON, deterministic, the prefix stays here
out=$(SQLPILOT_MODEL=$MODEL "$BIN" complete --dsn "host=$T user=postgres dbname=postgres" --n 3 --json \
	"SELECT name FROM customers WHERE zzPrefixMark " 2>"$T/err")
rc=$?
count=$(printf '%s' "$out" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(len(d["completions"]) if all(isinstance(c["text"], str) and isinstance(c["score"], float) for c in d["completions"]) else -1)' 2>/dev/null)
[ "$rc" -eq 0 ] && [ "${count:-0}" -ge 1 ]
ok $? "--json prints the completions ($count) with text and score" || diag "$out $(cat "$T/err")"
out2=$(SQLPILOT_MODEL=$MODEL "$BIN" complete --dsn "host=$T user=postgres dbname=postgres" --n 3 --json \
	"SELECT name FROM customers WHERE zzPrefixMark " 2>/dev/null)
[ "$out" = "$out2" ]
ok $? "the same call gives the same completions"
$PSQL -c "SELECT 'flush'" >/dev/null
! grep -q "zzPrefixMark" "$T/server.log"
ok $? "the prefix never reaches the server (log_statement = all)"
grep -q "SET LOCAL statement_timeout" "$T/server.log"
ok $? "the catalog was read (the log shows it)"
SQLPILOT_MODEL=$MODEL "$BIN" complete --dsn "host=$T user=postgres dbname=postgres" --no-grounding \
	"SELECT * FROM cust" >"$T/ng" 2>"$T/err"
ok $? "--no-grounding completes" || cat "$T/err"
SQLPILOT_MODEL=$MODEL "$BIN" complete --dsn "host=$T user=postgres dbname=postgres" \
	"SELECT * FROM cust" >"$T/plain" 2>"$T/err" && [ -s "$T/plain" ]
ok $? "plain output prints one completion"
# and it is the statement the model's beams give for the same prompt: what
# sqlpilot complete prints for the schema text --show-schema shows
same=0
for p in "SELECT * FROM cust" "DELETE FROM orders WHERE " "UPDATE customers SET " "INSERT INTO orders ("; do
	SQLPILOT_MODEL=$MODEL "$BIN" complete --dsn "host=$T user=postgres dbname=postgres" "$p" >"$T/p_dsn" 2>"$T/err"
	SQLPILOT_MODEL=$MODEL "$BIN" complete --dsn "host=$T user=postgres dbname=postgres" --show-schema "$p" |
		head -c -1 >"$T/p_schema"
	"$BIN" complete --model "$MODEL" --schema "$T/p_schema" --prefix "$p" >"$T/p_file" 2>"$T/err"
	if cmp -s "$T/p_dsn" "$T/p_file"; then
		same=$((same + 1))
	else
		echo "# '$p': --dsn '$(cat "$T/p_dsn")', --schema '$(cat "$T/p_file")'"
	fi
done
[ "$same" -eq 4 ]
ok $? "--dsn's plain completion is the model's statement, as with --schema ($same of 4 prefixes)"

# a search_path that puts an attacker's functions first changes nothing the reader runs
$PSQL >/dev/null <<'SQL'
CREATE SCHEMA trap;
CREATE TABLE trap.ran (what text);
CREATE FUNCTION trap.format_type(oid, int) RETURNS text LANGUAGE sql AS $$ INSERT INTO trap.ran VALUES ('format_type') RETURNING 'x' $$;
CREATE FUNCTION trap.has_table_privilege(oid, text) RETURNS bool LANGUAGE sql AS $$ INSERT INTO trap.ran VALUES ('has_table_privilege') RETURNING true $$;
CREATE FUNCTION trap.eq(oid, oid) RETURNS bool LANGUAGE sql AS $$ INSERT INTO trap.ran VALUES ('=') RETURNING true $$;
CREATE OPERATOR trap.= (LEFTARG = oid, RIGHTARG = oid, FUNCTION = trap.eq);
ALTER ROLE postgres SET search_path = trap, pg_catalog, public;
SQL
SQLPILOT_MODEL=$MODEL "$BIN" complete --dsn "host=$T user=postgres dbname=postgres" --show-schema "" >"$T/s_trap" 2>&1
rc=$?
$PSQL -c "ALTER ROLE postgres RESET search_path" >/dev/null
[ "$rc" -eq 0 ] && [ -z "$($PSQL -Atc "SELECT string_agg(what, ',') FROM trap.ran")" ]
ok $? "functions and operators first on the search_path never run in the catalog read" || cat "$T/s_trap"

# a locked catalog: the read's own statement timeout ends it, no hang
$PGBIN/psql -X -q -h "$T" -U postgres -d postgres \
	-c "BEGIN; LOCK TABLE pg_catalog.pg_attrdef IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(5); COMMIT" >/dev/null 2>&1 &
locker=$!
sleep 0.5
SQLPILOT_MODEL=$MODEL timeout 20 "$BIN" complete --dsn "host=$T user=postgres dbname=postgres" --timeout-ms 300 \
	"SELECT * FROM cust" >/dev/null 2>"$T/err"
rc=$?
wait $locker
[ "$rc" -eq 1 ] && grep -q "canceling statement\|did not answer" "$T/err"
ok $? "a locked catalog fails the read with a clear message ($(tr '\n' ' ' <"$T/err"))"

# a schema over the prompt budget: the table choice of the extension (core/table_choice.h)
# keeps the table the prefix names and its foreign-key neighbour
$PSQL >/dev/null <<'SQL'
CREATE DATABASE big;
SQL
$PGBIN/psql -X -q -v ON_ERROR_STOP=1 -h "$T" -U postgres -d big >/dev/null <<'SQL'
DO $$
BEGIN
	FOR i IN 1..90 LOOP
		EXECUTE format('CREATE TABLE t%s (id bigint PRIMARY KEY, name text, note text)',
			lpad(i::text, 3, '0'));
	END LOOP;
END $$;
CREATE TABLE zz_target (id bigint PRIMARY KEY, parent_id bigint REFERENCES t045 (id), zz_marker_col int);
SQL
ok $? "a database of 91 tables"
SQLPILOT_MODEL=$MODEL "$BIN" complete --dsn "host=$T user=postgres dbname=big" --show-schema \
	"SELECT zz_marker_col FROM zz_target WHERE " >"$T/s_big" 2>"$T/err"
rc=$?
tables=$(grep -c "^CREATE TABLE" "$T/s_big")
[ "$rc" -eq 0 ] && [ "$tables" -ge 2 ] && [ "$tables" -lt 91 ] &&
	grep -q "^CREATE TABLE public.zz_target (" "$T/s_big" && grep -q "^CREATE TABLE public.t045 (" "$T/s_big"
st=$?
ok $st "over the budget: $tables of 91 tables, with the one the prefix names and its neighbour"
[ $st -eq 0 ] || diag "$(cat "$T/err") $(grep '^CREATE TABLE' "$T/s_big" | tr '\n' ' ')"
SQLPILOT_MODEL=$MODEL "$BIN" complete --dsn "host=$T user=postgres dbname=big" --show-schema \
	"SELECT * FROM t001 WHERE " >"$T/s_big2" 2>&1
! grep -q "zz_target" "$T/s_big2" && grep -q "^CREATE TABLE public.t001 (" "$T/s_big2"
st=$?
ok $st "a prefix naming another table gets another choice"
[ $st -eq 0 ] || diag "$(grep '^CREATE TABLE' "$T/s_big2" | tr '\n' ' ')"
SQLPILOT_MODEL=$MODEL "$BIN" complete --dsn "host=$T user=postgres dbname=big" --n 2 \
	"SELECT zz_marker_col FROM zz_target WHERE " >"$T/c_big" 2>"$T/err"
ok $? "completion over the budget works" || cat "$T/err"

# bad arguments: clear errors, no crash
SQLPILOT_MODEL=$MODEL "$BIN" complete --dsn "host=$T/nonexistent user=postgres" "SELECT " >/dev/null 2>"$T/err"
[ $? -eq 1 ] && grep -q "could not connect" "$T/err"
ok $? "an unreachable server: exit 1 and why"
"$BIN" complete --dsn "host=$T user=postgres dbname=postgres" --model "$T/missing.model" "SELECT " >/dev/null 2>"$T/err"
[ $? -eq 1 ] && grep -q "missing.model" "$T/err"
ok $? "a missing model file: exit 1 and why"
env -u SQLPILOT_MODEL "$BIN" complete --dsn "host=$T" "SELECT " >/dev/null 2>"$T/err"
[ $? -eq 2 ] && grep -q "required" "$T/err"
ok $? "no model given: usage error"
"$BIN" complete --dsn "host=$T" --schema /dev/null --model "$MODEL" "SELECT " >/dev/null 2>"$T/err"
[ $? -eq 2 ]
ok $? "--dsn with --schema is refused"

echo "1..$n"
[ "$failed" -eq 0 ]
