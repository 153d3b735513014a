#!/bin/bash
# eval_pg.sh — `sqlpilot eval --pg`: valid_sql_rate against a throwaway
# PostgreSQL 15 instance, with the copy baseline as the only system (its
# text at a cut past the end is the statement itself, so the expected rate is
# known).  Checks: only texts that end the statement are checked, PREPARE
# accepts and rejects, TRUNCATE is executed
# and rolled back, a second statement is never run, a schema PostgreSQL
# cannot load is reported apart, nothing is left behind; every table of a
# CockroachDB schema is loaded (gold_valid_rate); with a model, the checked
# completer (core/checked.h, "model_checked") sits beside the greedy one,
# whose numbers stay those of a run without --pg.
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
{"schema": "CREATE TABLE public.b (\n\tid INT8 NOT NULL,\n\ta_id INT8 NULL,\n\tCONSTRAINT b_pkey PRIMARY KEY (id ASC),\n\tCONSTRAINT b_a_id_fkey FOREIGN KEY (a_id) REFERENCES public.a(id)\n)\n\nCREATE TABLE public.a (\n\tid INT8 NOT NULL,\n\tlabel STRING NULL,\n\tCONSTRAINT a_pkey PRIMARY KEY (id ASC)\n)", "statement": "SELECT a.label FROM b JOIN a ON a.id = b.a_id;", "cuts": [46]}
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
check 'r["schema_load_failed"] == 1 and r["examples"] == 8'
ok $? "the CockroachDB schemas load after conversion; the broken one is reported as not loadable"
check 'b["valid_sql_checked"] == 7'
ok $? "only whole statements are checked: the cut in the middle of a statement is not"
check 'abs(b["valid_sql_rate"] - 5 / 7) < 1e-12'
ok $? "valid_sql_rate: SELECT, TRUNCATE, UPDATE, SELECT on the CockroachDB tables accepted; two statements, bad column refused"
check 'abs(r["gold_valid_rate"] - 5 / 7) < 1e-12'
ok $? "gold_valid_rate: every table of a CockroachDB schema loads (a join of its second table and the first, whose foreign key names the second)"
grep -q "^valid_sql_checked  *7$" "$T/stdout"
ok $? "the table shows how many were checked"

left=$(psql "$CONN" -Atc "SELECT count(*) FROM pg_namespace WHERE nspname = 'sqlpilot_eval_scratch'")
leak=$(psql "$CONN" -Atc "SELECT count(*) FROM pg_class WHERE relname IN ('leak', 'users')")
[ "$left" = 0 ] && [ "$leak" = 0 ]
ok $? "nothing is left behind (scratch schema $left, tables $leak)"

# The default model: greedy ("model") and what a user is shown ("model_checked").
MODEL=models/sqlpilot_default.model
"$SQLPILOT" eval --model "$MODEL" --grounding on --pg "$CONN" --ks-limit 1 --json "$T/pg.json" \
	"$T/in.jsonl" >"$T/stdout3" 2>"$T/stderr3"
ok $? "eval --model --pg runs"
"$SQLPILOT" eval --model "$MODEL" --grounding on --ks-limit 1 --json "$T/nopg.json" \
	"$T/in.jsonl" >/dev/null 2>&1
$PY - "$T/pg.json" "$T/nopg.json" <<'EOF'
import json, sys
r, q = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
assert list(r["metrics"]) == ["model", "model_checked", "baseline"], list(r["metrics"])
assert list(q["metrics"]) == ["model", "baseline"]
m, c, g = r["metrics"]["model"], r["metrics"]["model_checked"], q["metrics"]["model"]
for k in ("next_word_em", "rest_em", "keystrokes_saved", "hallucinated_ident_rate", "stmt_nll",
          "next_word_recall@1"):
    assert m[k] == g[k], k
print("# greedy", m["valid_sql_rate"], m["valid_sql_checked"], "shown", c["valid_sql_rate"], c["valid_sql_checked"])
# per cut the shown completion is valid whenever the greedy one is, and only whole ones count
assert m["valid_sql_checked"] > 0 and c["valid_sql_checked"] > 0
assert c["valid_sql_rate"] >= m["valid_sql_rate"], (c["valid_sql_rate"], m["valid_sql_rate"])
assert c["latency_ms_p50_warm"] is None and c["stmt_nll"] is None
EOF
ok $? "--pg adds model_checked (valid_sql_rate at least the greedy one's); the greedy model's numbers are those of a run without --pg"
grep -q "^metric  *model  *model_checked  *baseline$" "$T/stdout3"
ok $? "the table has a model_checked column"

"$SQLPILOT" eval --pg "host=$T port=1 user=postgres" --ks-limit 0 "$T/in.jsonl" >/dev/null 2>"$T/stderr2"
[ $? = 1 ] && grep -q "cannot connect" "$T/stderr2"
ok $? "an unreachable server is an error"
echo "1..$n"
