#!/bin/bash
# datagen_import.sh — `sqlpilot datagen import` on the hand-written corpus of
# tests/fixtures/corpus (the public SQLPilot data/ layout): the converted
# schemas, which statements are kept and why the others are dropped, the
# generator's raw/ shards with randomized names that still PREPARE, the
# held-out eval.jsonl that `sqlpilot eval` reads, determinism, resume, and
# refused options.
set -u
cd "$(dirname "$0")/.."
BUILD=${SQLPILOT_BUILD:-$PWD/build}
SQLPILOT=$BUILD/sqlpilot
PY=/usr/bin/python3
FIX=$PWD/tests/fixtures/corpus
n=0

ok() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fi; }

T=$(mktemp -d /tmp/sqlpilot_import.XXXXXX)
chmod 755 "$T"
. tests/pg_instance.sh
cleanup() {
	pg_instance_stop "$T/pg"
	rm -rf "$T"
}
trap cleanup EXIT

# Five schemas to train on in shards of 2; use case 0_shop/8 held out.
ARGS=(--holdout-mod 10 --holdout-rem 8 --shard-size 2 --no-progress)

# 1. With its own throwaway server, from the folder holding data/.
"$SQLPILOT" datagen import --from "$FIX" --out "$T/a" "${ARGS[@]}" >"$T/a.out" 2>"$T/a.err"
ok $? "import runs with a throwaway server"
srvdir=$(sed -n 's/^started a throwaway PostgreSQL server in \([^ ]*\) .*/\1/p' "$T/a.err")
[ -n "$srvdir" ] && [ ! -e "$srvdir" ] &&
	grep -q "^scan  *4 use cases, 9 schemas .*5 to train on, 1 held out, 3 not converted" "$T/a.err" &&
	grep -q "52 statements read: 23 kept for training, 5 held out, 24 dropped" "$T/a.err"
ok $? "summary lines on stderr; the server's directory is gone"

$PY - "$T/a" <<'EOF'
import json, os, sys
d = sys.argv[1]
def fail(msg):
    print("# " + msg)
    sys.exit(1)
for p in ("manifest.json", "import.json", "eval.jsonl", "import_report.json", "import_report.md",
          "holdout/manifest.json"):
    if not os.path.isfile(f"{d}/{p}"):
        fail("missing " + p)
for sub in ("tons_of_tables", "diverse_statements", "raw", "eval"):
    names = sorted(x for x in os.listdir(f"{d}/{sub}") if x.endswith(".jsonl"))
    if names != ["shard-00000.jsonl", "shard-00001.jsonl", "shard-00002.jsonl"]:
        fail(f"{sub}: {names}")
m = json.load(open(f"{d}/manifest.json"))
if m["schemas"] != 5 or m["eval_every"] != 0 or m["shard_size"] != 2:
    fail(f"manifest {m}")
if any(os.path.getsize(f"{d}/eval/{x}") for x in os.listdir(f"{d}/eval")):
    fail("the raw stage's own eval/ shards should be empty: the held-out set is by use case")
EOF
ok $? "the generator's layout: manifest (5 schemas, eval_every 0), 3 shards per stage, holdout/, reports"

# 2. What the DDL became.
$PY - "$T/a" <<'EOF'
import json, sys
d = sys.argv[1]
def fail(msg):
    print("# " + msg)
    sys.exit(1)
schemas = {}
for k in range(3):
    for line in open(f"{d}/tons_of_tables/shard-{k:05d}.jsonl"):
        x = json.loads(line)
        schemas[x["schema_id"]] = x
if sorted(schemas) != ["c0-0-0", "c0-0-1", "c0-0-2", "c0-1-0", "c1-0-0"]:
    fail(f"schema ids {sorted(schemas)}")
def table(sid, name):
    for t in schemas[sid]["schema"]["tables"]:
        if t["name"] == name:
            return t
    fail(f"{sid} has no table {name}")
def col(t, name):
    for c in t["columns"]:
        if c["name"] == name:
            return c
    fail(f"{t['name']} has no column {name}")
cu = table("c0-0-0", "customers")
if [col(cu, c)["type"] for c in ("id", "name", "email", "created_at", "token")] != \
        ["bigint", "text", "character varying(100)", "timestamp with time zone", "uuid"]:
    fail("CockroachDB types")
if not col(cu, "id")["default"].startswith("nextval(") or col(cu, "created_at")["default"] != "now()":
    fail("unique_rowid() / ::: defaults")
if [(i["name"], i["primary"], i["unique"]) for i in cu["indexes"]] != \
        [(None, True, True), ("customers_email_key", False, True), ("customers_name_idx", False, False)]:
    fail(f"customers indexes {cu['indexes']}")
od = table("c0-0-0", "orders")
if [(f["ref_table"], f["cols"], f["ref_cols"]) for f in od["fkeys"]] != [("customers", ["customer_id"], ["id"])]:
    fail("orders foreign key")
pr = table("c0-0-1", "Products")
if col(pr, "Status")["type"] != "text" or pr["checks"][0]["expr"] != "Status IN ('new','sold')" or \
        col(pr, "Updated")["type"] != "timestamp without time zone" or col(pr, "Price")["type"] != "double precision":
    fail("MySQL forms")
vi = table("c0-0-2", "visits")
if [f["ref_table"] for f in vi["fkeys"]] != ["Patients"] or \
        [i["name"] for i in vi["indexes"]] != [None, "visits_patient"]:
    fail("visits: the foreign key to a missing table dropped, the separate CREATE INDEX kept")
ro = table("c1-0-0", "rooms")
if col(ro, "state")["type"] != "text" or ro["checks"][0]["expr"] != "state IN ('calm', 'busy')" or \
        col(ro, "floor")["type"] != "smallint":
    fail("CREATE TYPE AS ENUM")
if schemas["c0-0-0"]["topic"] != "Shop" or schemas["c0-0-0"]["use_case"] != "A shop keeps its customers and orders.":
    fail("topic and use case from topics.json and topic_detail.json")
EOF
ok $? "DDL converted: CockroachDB types and defaults, MySQL ENUM/DATETIME/DOUBLE, bad foreign keys dropped, CREATE INDEX, CREATE TYPE enum"

# 3. What was kept and why the rest was dropped.
$PY - "$T/a" <<'EOF'
import json, sys
d = sys.argv[1]
def fail(msg):
    print("# " + msg)
    sys.exit(1)
r = json.load(open(f"{d}/import_report.json"))
if r["schemas"] != {"read": 9, "held_out": 1, "not_converted": 3, "rejected_by_postgresql": 1,
                    "loaded": 5, "loaded_train": 4, "loaded_held_out": 1}:
    fail(f"schemas {r['schemas']}")
if r["statements"] != {"read": 52, "kept": 28, "kept_train": 23, "kept_held_out": 5, "dropped": 24}:
    fail(f"statements {r['statements']}")
nc = {x["reason"]: x["count"] for x in r["schemas_not_converted"]}
if nc != {"ALTER TABLE": 1, "no CREATE TABLE": 1, "CREATE TABLE cut off": 1}:
    fail(f"not converted {nc}")
pg = {x["reason"]: x["count"] for x in r["schemas_rejected_by_postgresql"]}
if pg != {'type "geography" does not exist': 1}:
    fail(f"refused {pg}")
want = {"its schema did not convert to PostgreSQL": 9, "its schema did not load into PostgreSQL": 3,
        'column "…" does not exist': 3, 'relation "…" does not exist': 1,
        "cannot truncate a table referenced in a foreign key constraint": 1,
        "duplicate of an earlier statement of its schema": 1, "empty": 1,
        "function date_format(…) does not exist": 1, 'invalid input syntax for type bigint: "…"': 1,
        "more than one statement": 1, "not a SELECT, INSERT, UPDATE, DELETE or TRUNCATE statement": 1,
        "syntax error at end of input": 1}
got = {x["reason"]: x["count"] for x in r["statements_dropped"]}
if got != want:
    fail(f"dropped {got}")
if r["kept_by_kind"]["upsert"] != 1 or sum(r["kept_by_kind"].values()) != 28:
    fail(f"kept by kind {r['kept_by_kind']}")
if r["forms"]["ENUM -> text + CHECK"] != 2 or r["forms"]["separate CREATE INDEX"] != 1:
    fail("forms")
md = open(f"{d}/import_report.md").read()
for s in ("## Why statements were dropped", "| function date_format(…) does not exist | 1 |",
          "| schemas read | 9 |", "| ALTER TABLE | 1 |"):
    if s not in md:
        fail("report.md lacks " + s)
kept, rejected, idents = set(), {}, {}
for k in range(3):
    for line in open(f"{d}/diverse_statements/shard-{k:05d}.jsonl"):
        x = json.loads(line)
        kept |= {s["sql"] for s in x["statements"]}
        idents.update({s["sql"]: s["idents"] for s in x["statements"]})
        rejected.update({s["sql"]: s["error"] for s in x["rejected"]})
for s in ("SELECT productid, status FROM products WHERE Status = 'new';",
          "INSERT INTO orders (customer_id, total) VALUES (1, 19.90) ON CONFLICT (id) DO NOTHING;",
          "TRUNCATE TABLE customers CASCADE;",
          "UPDATE orders SET total = total * 1.1 WHERE customer_id = 1"):
    if s not in kept:
        fail("not kept: " + s)
# TRUNCATE names tables only, though Patients has a column named visits
if idents.get("TRUNCATE TABLE Patients, visits;") != [15, 8, 0, 0, 0, 25, 6, 0, 1, 0]:
    fail(f"TRUNCATE identifiers {idents.get('TRUNCATE TABLE Patients, visits;')}")
if not rejected.get("TRUNCATE TABLE customers;", "").startswith("cannot truncate") or \
        "SELECT ProductName FROM Products;" not in rejected:
    fail("rejections")
EOF
ok $? "report: schemas and statements by reason (conversion, PostgreSQL, duplicates, cut off, MySQL functions)"

# 4. raw/: the generator's training examples, names randomized on about half.
$PY - "$T/a" <<'EOF'
import json, sys
d = sys.argv[1]
def fail(msg):
    print("# " + msg)
    sys.exit(1)
keys = {"schema_id", "topic", "use_case", "kind", "complex", "style", "schema", "statement", "text"}
ex = [json.loads(l) for k in range(3) for l in open(f"{d}/raw/shard-{k:05d}.jsonl")]
if len(ex) != 23 or any(set(e) != keys for e in ex):
    fail(f"{len(ex)} examples")
if any(e["schema_id"].startswith("c0-8-") for e in ex):
    fail("a held-out schema in raw/")
if any(e["text"] != "### TABLEDATA\n\n" + e["schema"] + "\n\n### STATEMENT\n\n" + e["statement"] for e in ex):
    fail("text is not the prompt")
renamed = [e for e in ex if e["schema_id"] == "c0-0-0" and "customers" not in e["schema"]]
if not renamed:
    fail("no example of c0-0-0 with randomized names")
EOF
ok $? "raw/: 23 examples, none held out, text = prompt, some with randomized names"
"$SQLPILOT" datagen check --out "$T/a" --sample 0 >"$T/check.out" 2>"$T/check.err"
[ $? = 0 ] && grep -q "checked 23 statements with PostgreSQL: 0 rejected" "$T/check.out"
ok $? "datagen check: every raw example (randomized or not) PREPAREs against its own schema"

# 5. eval.jsonl: the held-out use case, real names, the prompt's CockroachDB text.
$PY - "$T/a" <<'EOF'
import json, sys
d = sys.argv[1]
def fail(msg):
    print("# " + msg)
    sys.exit(1)
ev = [json.loads(l) for l in open(f"{d}/eval.jsonl")]
if len(ev) != 5 or {e["schema_id"] for e in ev} != {"c0-8-0"}:
    fail(f"{len(ev)} lines")
want = ("CREATE TABLE public.items (\n\tid INT4 NOT NULL,\n\tlabel VARCHAR(40) NOT NULL,\n"
        "\tqty INT4 NULL DEFAULT 0,\n\tCONSTRAINT items_pkey PRIMARY KEY (id ASC)\n)")
if any(e["schema"] != want or e["style"] != "crdb" for e in ev):
    fail("schema text: " + ev[0]["schema"])
if "SELECT lable FROM items;" in {e["statement"] for e in ev}:
    fail("a rejected statement in eval.jsonl")
EOF
ok $? "eval.jsonl: the held-out use case's accepted statements, CockroachDB text, real names"
"$SQLPILOT" eval --json "$T/eval.json" "$T/a/eval.jsonl" >/dev/null 2>"$T/eval.err" &&
	$PY -c "import json,sys; sys.exit(json.load(open('$T/eval.json'))['examples'] != 5)"
ok $? "sqlpilot eval reads it (5 examples)"

# 6. A server of our own for the rest.
if ! pg_instance_start "$T/pg"; then
	echo "not ok $((n + 1)) - cannot start a PostgreSQL instance for the remaining checks"
	echo "1..$((n + 1))"
	exit 1
fi

# 7. Determinism (other jobs, pointing at data/ itself), resume, refusals.
"$SQLPILOT" datagen import --from "$FIX/data" --out "$T/b" "${ARGS[@]}" --jobs 1 --pg "$CONN" \
	--progress 2>"$T/b.err" >/dev/null
diff -r -x 'import_report.*' "$T/a" "$T/b" >/dev/null && grep -q "stmts/s" "$T/b.err"
ok $? "same corpus, same files byte for byte (--jobs 1, --from DIR/data); progress line with the rate"
touch -d 2001-01-01 "$T/a/raw/shard-00001.jsonl"
"$SQLPILOT" datagen import --from "$FIX" --out "$T/a" "${ARGS[@]}" --pg "$CONN" 2>"$T/resume.err" >/dev/null
[ $? = 0 ] && grep -q "already done" "$T/resume.err" &&
	[ "$(stat -c %Y "$T/a/raw/shard-00001.jsonl")" = "$(date -d 2001-01-01 +%s)" ]
ok $? "re-running a finished import skips every shard"
rm "$T/a/diverse_statements/shard-00001.jsonl" "$T/a/raw/shard-00001.jsonl" "$T/a/eval.jsonl"
"$SQLPILOT" datagen import --from "$FIX" --out "$T/a" "${ARGS[@]}" --pg "$CONN" 2>/dev/null >/dev/null &&
	diff -r -x 'import_report.*' "$T/a" "$T/b" >/dev/null
ok $? "missing shards and eval.jsonl are redone, identical to before"
"$SQLPILOT" datagen import --from "$FIX" --out "$T/a" --holdout-mod 10 --holdout-rem 7 --pg "$CONN" 2>"$T/rem.err"
[ $? != 0 ] && grep -q "imported with other options" "$T/rem.err"
ok $? "resuming with another held-out set is refused: $(tail -1 "$T/rem.err" | head -c 120)"
"$SQLPILOT" datagen import --from "$T/nowhere" --out "$T/c" --pg "$CONN" 2>"$T/from.err"
[ $? != 0 ] && grep -q "holds no tons_of_tables" "$T/from.err" && [ ! -e "$T/c/manifest.json" ]
ok $? "a --from without the layout: $(tail -1 "$T/from.err" | head -c 120)"
"$SQLPILOT" datagen import --out "$T/c" --pg "$CONN" 2>"$T/nofrom.err"
[ $? != 0 ] && grep -q "needs --from" "$T/nofrom.err"
ok $? "no --from: $(head -c 80 "$T/nofrom.err")"
"$SQLPILOT" datagen import --from "$FIX" --out "$T/c" --eval-every 5 --pg "$CONN" 2>"$T/ee.err"
rc1=$?
"$SQLPILOT" datagen import --from "$FIX" --out "$T/c" --holdout-mod 4 --holdout-rem 4 --pg "$CONN" 2>"$T/hr.err"
rc2=$?
[ $rc1 != 0 ] && [ $rc2 != 0 ] && grep -q "not --schemas, --per-schema or --eval-every" "$T/ee.err" && grep -q "holdout-rem" "$T/hr.err"
ok $? "--eval-every and --holdout-rem >= --holdout-mod are refused"
"$SQLPILOT" datagen import --from "$FIX" --out "$T/d" --limit 1 --shard-size 2 --no-progress --pg "$CONN" 2>"$T/lim.err" >/dev/null
[ $? = 0 ] && grep -q "^scan  *1 use cases, 5 schemas" "$T/lim.err" && [ ! -e "$T/d/holdout" ] &&
	[ "$(wc -l <"$T/d/eval.jsonl")" = 0 ]
ok $? "--limit 1: one use case, no held-out set (empty eval.jsonl)"
"$SQLPILOT" datagen import --from "$FIX" --out "$T/e" "${ARGS[@]}" --pg "host=$T/nowhere port=5 user=x dbname=x" 2>"$T/dead.err"
[ $? != 0 ] && grep -q "cannot connect to PostgreSQL" "$T/dead.err"
ok $? "an unreachable --pg: $(tail -1 "$T/dead.err" | head -c 120)"
# Memory runs out while the DDL converter's arrays grow (every growing realloc fails): an error, no crash.
cc -shared -fPIC -o "$T/fail_realloc.so" tests/fail_realloc.c &&
	LD_PRELOAD="$T/fail_realloc.so" "$SQLPILOT" datagen import --from "$FIX" --out "$T/oom" "${ARGS[@]}" \
		--pg "host=$T/nowhere port=5 user=x dbname=x" >/dev/null 2>"$T/oom.err"
rc=$?
[ $rc = 1 ] && grep -q "out of memory" "$T/oom.err"
ok $? "import when realloc cannot grow an array: exit $rc, $(head -c 120 "$T/oom.err")"

echo "1..$n"
