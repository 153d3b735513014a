#!/bin/bash
# eval_pg.sh — `sqlpilot eval --pg`: valid_sql_rate against a throwaway
# PostgreSQL 15 instance, with the copy baseline as the only system (its
# text at a cut past the end is the statement itself, so the expected rate is
# known).  Checks: only texts that end the statement are checked, PREPARE
# accepts and rejects, TRUNCATE is executed
# and rolled back, a second statement is never run, a schema PostgreSQL
# cannot load is reported apart, nothing is left behind.
set -u
cd "$(dirname "$0")/.."
BUILD=${SQLPILOT_BUILD:-$PWD/build}
SQLPILOT=$BUILD/sqlpilot
PGBIN=/usr/lib/postgresql/15/bin
PY=/usr/bin/python3
n=0

ok() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fi; }

T=$(mktemp -d /tmp/sqlpilot_evalpg.XXXXXX)
chmod 755 "$T"
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
cleanup() { as_pg "$PGBIN/pg_ctl" -D "$T/data" -m immediate stop >/dev/null 2>&1; rm -rf "$T"; }
trap cleanup EXIT

mkdir "$T/data"
[ "$(id -u)" = 0 ] && chown postgres "$T" "$T/data"
PORT=$((20000 + $$ % 20000))
if ! as_pg "$PGBIN/initdb" -D "$T/data" -A trust -U postgres >"$T/initdb.log" 2>&1 ||
	! as_pg "$PGBIN/pg_ctl" -D "$T/data" -o "-k $T -c listen_addresses='' -p $PORT" \
		-l "$T/server.log" -w start >/dev/null 2>&1; then
	echo "ok 1 # SKIP cannot start a PostgreSQL instance"
	echo "1..1"
	exit 0
fi
CONN="host=$T port=$PORT user=postgres dbname=postgres"

# Statements and cuts (a cut at the length: the baseline's text is the statement).
cat >"$T/in.jsonl" <<'EOF'
{"schema": "CREATE TABLE users (id bigint PRIMARY KEY, name text NOT NULL);", "statement": "SELECT name FROM users WHERE id = 1;", "cuts": [36, 17]}
{"schema": "CREATE TABLE users (id bigint PRIMARY KEY, name text NOT NULL);", "statement": "TRUNCATE users;", "cuts": [15]}
{"schema": "CREATE TABLE users (id bigint PRIMARY KEY, name text NOT NULL);", "statement": "SELECT 1; CREATE TABLE public.leak (x int);", "cuts": [43]}
{"schema": "CREATE TABLE t (id INT8 NOT NULL DEFAULT unique_rowid(), s STRING NULL, FAMILY \"primary\" (id, s))", "statement": "SELECT s FROM t", "cuts": [15]}
{"schema": "CREATE TABLE users (id bigint PRIMARY KEY, name text NOT NULL);", "statement": "SELECT nope FROM users", "cuts": [22]}
{"schema": "CREATE TABLE broken (id bigint,", "statement": "SELECT 1", "cuts": [8]}
{"schema": "CREATE TABLE users (id bigint PRIMARY KEY, name text NOT NULL);\n\nCREATE INDEX users_name ON users (name);", "statement": "UPDATE users SET name = 'x' WHERE id = 2", "cuts": [40]}
EOF

"$SQLPILOT" eval --pg "$CONN" --ks-limit 0 --json "$T/out.json" "$T/in.jsonl" >"$T/stdout" 2>"$T/stderr"
ok $? "eval --pg runs"
check() {
	$PY - "$T/out.json" "$1" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
b = r["metrics"]["baseline"]
sys.exit(0 if eval(sys.argv[2]) else 1)
EOF
}
check 'r["schema_load_failed"] == 1 and r["examples"] == 7'
ok $? "the CockroachDB schema loads after conversion; the broken one is reported as not loadable"
check 'b["valid_sql_checked"] == 6'
ok $? "only whole statements are checked: the cut in the middle of a statement is not"
check 'abs(b["valid_sql_rate"] - 4 / 6) < 1e-12'
ok $? "valid_sql_rate: SELECT, TRUNCATE, UPDATE, SELECT on the CockroachDB table accepted; two statements, bad column refused"
grep -q "^valid_sql_checked  *6$" "$T/stdout"
ok $? "the table shows how many were checked"

left=$(psql "$CONN" -Atc "SELECT count(*) FROM pg_namespace WHERE nspname = 'sqlpilot_eval_scratch'")
leak=$(psql "$CONN" -Atc "SELECT count(*) FROM pg_class WHERE relname IN ('leak', 'users')")
[ "$left" = 0 ] && [ "$leak" = 0 ]
ok $? "nothing is left behind (scratch schema $left, tables $leak)"

"$SQLPILOT" eval --pg "host=$T port=1 user=postgres" --ks-limit 0 "$T/in.jsonl" >/dev/null 2>"$T/stderr2"
[ $? = 1 ] && grep -q "cannot connect" "$T/stderr2"
ok $? "an unreachable server is an error"
echo "1..$n"
