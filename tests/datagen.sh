#!/bin/bash
# datagen.sh — the datagen pipeline end to end on a few schemas: every stage's
# files and formats, determinism, --shard slices, resume, a killed run, bad
# output directories, an unreachable or dying PostgreSQL, the PREPARE re-check
# of the final data, stats and the progress line.
set -u
cd "$(dirname "$0")/.."
BUILD=${SQLPILOT_BUILD:-$PWD/build}
SQLPILOT=$BUILD/sqlpilot
PY=/usr/bin/python3
n=0

ok() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fi; }

T=$(mktemp -d /tmp/sqlpilot_datagen.XXXXXX)
chmod 755 "$T"
. tests/pg_instance.sh
cleanup() {
	pg_instance_stop "$T/pg"
	mountpoint -q "$T/full" 2>/dev/null && umount "$T/full"
	rm -rf "$T"
}
trap cleanup EXIT

# The first three stages alone (no server needed).
schemas_only() {
	local d=$1
	shift
	for stage in topics details schemas; do
		"$SQLPILOT" datagen $stage --out "$d" "$@" 2>/dev/null || return 1
	done
}

# Small runs: 12 schemas in shards of 4, 8 statements each; schema 5 and 11 go to eval/.
ARGS=(--seed 7 --schemas 12 --shard-size 4 --per-schema 8 --eval-every 6 --no-progress)

# 1. A tiny run of every stage with its own throwaway server.
"$SQLPILOT" datagen all --out "$T/a" "${ARGS[@]}" >"$T/a.out" 2>"$T/a.err"
ok $? "datagen all runs with a throwaway server"
srvdir=$(sed -n 's/^started a throwaway PostgreSQL server in \([^ ]*\) .*/\1/p' "$T/a.err")
[ -n "$srvdir" ] && grep -q "rejections by kind" "$T/a.err"
ok $? "it starts its own server ($srvdir) and prints the rejection rate by kind"
[ -n "$srvdir" ] && [ ! -e "$srvdir" ]
ok $? "the throwaway server's directory is gone afterwards"

$PY - "$T/a" <<'EOF'
import json, os, sys
d = sys.argv[1]
def fail(msg):
    print("# " + msg)
    sys.exit(1)
topics = json.load(open(f"{d}/topics.json"))
details = json.load(open(f"{d}/topic_detail.json"))
if not topics or not all("topic" in t and "topic_id" in t for t in topics):
    fail("topics.json")
if len(details) != len(topics) or not all(d2["use_cases"] for d2 in details):
    fail("topic_detail.json")
for sub in ("tons_of_tables", "diverse_statements", "raw", "eval"):
    names = sorted(os.listdir(f"{d}/{sub}"))
    if names != ["shard-00000.jsonl", "shard-00001.jsonl", "shard-00002.jsonl"]:
        fail(f"{sub}: {names}")
schemas = [json.loads(l) for k in range(3) for l in open(f"{d}/tons_of_tables/shard-{k:05d}.jsonl")]
stmts = [json.loads(l) for k in range(3) for l in open(f"{d}/diverse_statements/shard-{k:05d}.jsonl")]
if len(schemas) != 12 or len(stmts) != 12:
    fail("12 schemas and 12 statement lines expected")
if len({s["schema_id"] for s in schemas}) != 12:
    fail("schema ids not unique")
for s, t in zip(schemas, stmts):
    if s["schema_id"] != t["schema_id"] or not s["schema"]["tables"] or "CREATE TABLE" not in s["ddl"]:
        fail("schema/statement lines out of step")
    if len(t["statements"]) + len(t["rejected"]) != 8:
        fail("8 statements per schema expected")
keys = ["schema_id", "topic", "use_case", "kind", "complex", "style", "schema", "statement", "text"]
kinds = {"select", "insert", "update", "delete", "truncate", "upsert"}
held = {schemas[5]["schema_id"], schemas[11]["schema_id"]}
raw = [json.loads(l) for k in range(3) for l in open(f"{d}/raw/shard-{k:05d}.jsonl")]
ev = [json.loads(l) for l in open(f"{d}/eval.jsonl")]
for r in raw + ev:
    if sorted(r) != sorted(keys) or r["kind"] not in kinds or r["complex"] not in (0, 1):
        fail(f"bad record keys/values: {sorted(r)}")
    if r["style"] not in ("crdb", "pgdump", "handwritten"):
        fail("bad style")
    if r["text"] != "### TABLEDATA\n\n" + r["schema"] + "\n\n### STATEMENT\n\n" + r["statement"]:
        fail("text is not the prompt of schema and statement")
if {r["schema_id"] for r in ev} != held or held & {r["schema_id"] for r in raw}:
    fail("eval.jsonl must hold exactly the held-out schemas, raw/ none of them")
accepted = sum(len(t["statements"]) for t in stmts)
if len(raw) + len(ev) != accepted:
    fail(f"{len(raw) + len(ev)} examples for {accepted} accepted statements")
EOF
ok $? "every stage's files: topics, details, 3 shards per stage, raw/eval records with all keys, text = prompt"

# 2. A server of our own for the rest (one initdb instead of one per run).
if ! pg_instance_start "$T/pg"; then
	echo "not ok $((n + 1)) - cannot start a PostgreSQL instance for the remaining checks"
	echo "1..$((n + 1))"
	exit 1
fi

# 3. Determinism: the same seed gives identical files.
"$SQLPILOT" datagen all --out "$T/b" "${ARGS[@]}" --pg "$CONN" >/dev/null 2>"$T/b.err"
diff -r "$T/a" "$T/b" >/dev/null
ok $? "same seed, same files (byte for byte)"
schemas_only "$T/s2" --seed 8 --schemas 12 --shard-size 4 --no-progress
! cmp -s "$T/a/tons_of_tables/shard-00000.jsonl" "$T/s2/tons_of_tables/shard-00000.jsonl"
ok $? "another seed, other schemas"

# 4. Slices: disjoint, and together the unsharded run.
for i in 0 1; do
	"$SQLPILOT" datagen all --out "$T/c$i" "${ARGS[@]}" --pg "$CONN" --shard $i/2 >/dev/null 2>"$T/c$i.err"
done
$PY - "$T" <<'EOF'
import os, sys
t = sys.argv[1]
for sub in ("tons_of_tables", "diverse_statements", "raw", "eval"):
    s0 = set(os.listdir(f"{t}/c0/{sub}"))
    s1 = set(os.listdir(f"{t}/c1/{sub}"))
    if s0 & s1 or s0 | s1 != set(os.listdir(f"{t}/a/{sub}")) or not s0 or not s1:
        sys.exit(1)
sys.exit(0)
EOF
ok $? "--shard 0/2 and 1/2 make disjoint shard sets that cover the data set"
mkdir "$T/u"
cp -r "$T/c0/." "$T/u/" && cp -rn "$T/c1/." "$T/u/"
"$SQLPILOT" datagen raw --out "$T/u" --no-progress 2>/dev/null
diff -r "$T/a" "$T/u" >/dev/null
ok $? "the two slices together equal the unsharded run (eval.jsonl combined once all shards exist)"

# 5. Resume: a finished run is skipped whole, without a server.
touch -d '2001-01-01' "$T/a/raw/shard-00001.jsonl"
"$SQLPILOT" datagen all --out "$T/a" "${ARGS[@]}" >/dev/null 2>"$T/resume.err"
rc=$?
[ $rc = 0 ] && ! grep -q "throwaway" "$T/resume.err" && grep -q "already done" "$T/resume.err" &&
	[ "$(stat -c %Y "$T/a/raw/shard-00001.jsonl")" = "$(date -d 2001-01-01 +%s)" ]
ok $? "re-running a finished run skips every shard (no server started, files untouched)"
rm "$T/a/raw/shard-00001.jsonl"
"$SQLPILOT" datagen raw --out "$T/a" --no-progress 2>/dev/null && diff -r "$T/a" "$T/b" >/dev/null
ok $? "a missing shard is redone, identical to before"
"$SQLPILOT" datagen all --out "$T/a" --seed 9 --no-progress 2>"$T/seed.err"
[ $? != 0 ] && grep -q "seed 7" "$T/seed.err"
ok $? "resuming with another seed is refused: $(head -c 150 "$T/seed.err")"

# 6. A killed run leaves only whole shards, and a re-run finishes the job.
KARGS=(--seed 3 --schemas 240 --shard-size 8 --per-schema 8 --no-progress --jobs 1)
schemas_only "$T/k" "${KARGS[@]}"
"$SQLPILOT" datagen statements --out "$T/k" "${KARGS[@]}" --pg "$CONN" 2>/dev/null &
pid=$!
disown $pid
for _ in $(seq 1 200); do
	[ "$(ls "$T/k/diverse_statements" 2>/dev/null | grep -c 'jsonl$')" -ge 2 ] && break
	sleep 0.05
done
kill -9 $pid 2>/dev/null
while kill -0 $pid 2>/dev/null; do sleep 0.05; done
done_before=$(ls "$T/k/diverse_statements" | grep -c '^shard-.....\.jsonl$')
$PY - "$T/k/diverse_statements" 8 <<'EOF'
import json, os, sys
d, size = sys.argv[1], int(sys.argv[2])
for name in os.listdir(d):
    if not name.endswith(".jsonl"):
        continue
    lines = open(os.path.join(d, name)).read().split("\n")
    if lines[-1] != "" or len(lines) - 1 != size or not all(json.loads(l)["schema_id"] for l in lines[:-1]):
        sys.exit(1)
EOF
rc=$?
[ $rc = 0 ] && [ "$done_before" -ge 1 ] && [ "$done_before" -lt 30 ]
ok $? "killed mid-run: $done_before of 30 shards written, each one whole"
"$SQLPILOT" datagen statements --out "$T/k" "${KARGS[@]}" --pg "$CONN" 2>/dev/null
[ $? = 0 ] && [ "$(ls "$T/k/diverse_statements" | grep -c '^shard-.....\.jsonl$')" = 30 ] &&
	[ "$(ls "$T/k/diverse_statements" | grep -c tmp)" = 0 ]
ok $? "the re-run does the rest and no temp file is left"

# 7. Bad output directories.
touch "$T/afile"
"$SQLPILOT" datagen all --out "$T/afile/data" "${ARGS[@]}" --pg "$CONN" 2>"$T/bad.err"
[ $? = 1 ] && grep -q "cannot create directory" "$T/bad.err"
ok $? "output below a file: $(head -c 150 "$T/bad.err")"
if [ "$(id -u)" != 0 ]; then
	mkdir "$T/ro" && chmod 555 "$T/ro"
	"$SQLPILOT" datagen all --out "$T/ro" "${ARGS[@]}" --pg "$CONN" 2>"$T/ro.err"
	[ $? = 1 ] && grep -q "not writable\|cannot" "$T/ro.err"
	ok $? "read-only output directory: $(head -c 150 "$T/ro.err")"
else
	"$SQLPILOT" datagen all --out /proc/sqlpilot-data "${ARGS[@]}" --pg "$CONN" 2>"$T/ro.err"
	[ $? = 1 ] && grep -q "cannot create directory" "$T/ro.err"
	ok $? "unwritable output directory: $(head -c 150 "$T/ro.err")"
fi

# Disk full (a 300 kB tmpfs, when we may mount one): a clear error, no shard, no temp file.
mkdir "$T/full"
if [ "$(id -u)" = 0 ] && mount -t tmpfs -o size=300k tmpfs "$T/full" 2>/dev/null; then
	"$SQLPILOT" datagen all --out "$T/full/d" --seed 1 --schemas 60 --shard-size 10 --no-progress --pg "$CONN" 2>"$T/full.err"
	rc=$?
	left=$(find "$T/full/d" -name '*.tmp.*' | wc -l)
	whole=$(cat "$T"/full/d/tons_of_tables/shard-*.jsonl 2>/dev/null | $PY -c 'import json,sys; [json.loads(l) for l in sys.stdin]' 2>&1 && echo yes)
	umount "$T/full"
	[ $rc = 1 ] && grep -q "No space left on device" "$T/full.err" && [ "$left" = 0 ] && [ "$whole" = yes ]
	ok $? "disk full: $(tail -n 1 "$T/full.err" | head -c 150)"
else
	echo "ok $((n += 1)) # SKIP cannot mount a small tmpfs to fill"
fi

# 8. PostgreSQL unreachable, or dying mid-run: a clear error, no shard written.
schemas_only "$T/d" "${ARGS[@]}"
"$SQLPILOT" datagen statements --out "$T/d" "${ARGS[@]}" --pg "host=$T/nowhere port=5 user=x dbname=x" 2>"$T/dead.err"
[ $? = 1 ] && grep -q "cannot connect to PostgreSQL" "$T/dead.err" && [ -z "$(ls "$T/d/diverse_statements")" ]
ok $? "unreachable --pg: $(head -c 160 "$T/dead.err")"

# 9. The final data re-checked with PREPARE: zero rejects (names randomized or not).
"$SQLPILOT" datagen check --out "$T/a" --sample 0 --pg "$CONN" >"$T/check.out" 2>"$T/check.err"
[ $? = 0 ] && grep -q " 0 rejected" "$T/check.out"
ok $? "datagen check: every raw/eval statement accepted by PREPARE: $(cat "$T/check.out")"
sed -i '1s/"statement":"/"statement":"XX/' "$T/b/raw/shard-00000.jsonl"
"$SQLPILOT" datagen check --out "$T/b" --sample 1 --pg "$CONN" >/dev/null 2>"$T/check2.err"
[ $? = 1 ] && grep -q "differs" "$T/check2.err"
ok $? "datagen check notices an edited raw shard"

# 10. stats and the progress line.
"$SQLPILOT" datagen stats --out "$T/a" >"$T/stats.md" 2>"$T/stats.err"
[ $? = 0 ] && grep -q "^## 1. Statement mix" "$T/stats.md" && grep -q "^## 2. Feature usage" "$T/stats.md" &&
	grep -q "^| WHERE | .* (62.2) |" "$T/stats.md" && grep -q "^## 3. Distributions" "$T/stats.md" &&
	grep -q "^## 4. Schemas" "$T/stats.md" && grep -q "^| columns | .* (77.0) |" "$T/stats.md"
ok $? "datagen stats prints sections 1-4 with the reference beside"
"$SQLPILOT" datagen stats --out "$T/a/eval.jsonl" >"$T/stats2.md" 2>/dev/null && grep -q "^| all | 100.0 (100.0)" "$T/stats2.md"
ok $? "datagen stats reads one JSONL file too"
# More shards than the shard list's first allocation (64): the list grows and keeps every file.
mkdir -p "$T/many/raw"
one=$(ls "$T/a/raw" | head -n 1)
for i in $(seq -w 0 129); do cp "$T/a/raw/$one" "$T/many/raw/shard-00$i.jsonl"; done
per=$("$SQLPILOT" datagen stats --out "$T/a/raw/$one" 2>/dev/null | sed -n 's/^\([0-9]*\) statements from .*/\1/p')
all=$("$SQLPILOT" datagen stats --out "$T/many" 2>/dev/null | sed -n 's/^\([0-9]*\) statements from .*/\1/p')
[ -n "$per" ] && [ "$per" -gt 0 ] && [ "$all" = $((130 * per)) ]
ok $? "datagen stats reads all of 130 shards ($all statements = 130 x $per)"
# Memory runs out while that list grows (every realloc fails): an error, no crash.
cc -shared -fPIC -o "$T/fail_realloc.so" tests/fail_realloc.c &&
	LD_PRELOAD="$T/fail_realloc.so" "$SQLPILOT" datagen stats --out "$T/many" >/dev/null 2>"$T/oom.err"
rc=$?
[ $rc = 1 ] && grep -q "out of memory" "$T/oom.err"
ok $? "datagen stats when realloc fails: exit $rc, $(head -c 120 "$T/oom.err")"
schemas_only "$T/p" --seed 5 --schemas 40 --shard-size 4 --no-progress
rm -r "$T/p/tons_of_tables"
"$SQLPILOT" datagen schemas --out "$T/p" --progress 2>"$T/progress.err"
grep -q $'\r' "$T/progress.err" && grep -q "schemas/s" "$T/progress.err"
ok $? "--progress draws one updating line with a rate"

# 11. The server dies while statements are being validated.
schemas_only "$T/z" "${KARGS[@]}"
"$SQLPILOT" datagen statements --out "$T/z" "${KARGS[@]}" --pg "$CONN" 2>"$T/die.err" &
pid=$!
for _ in $(seq 1 200); do
	[ "$(ls "$T/z/diverse_statements" 2>/dev/null | grep -c 'jsonl$')" -ge 1 ] && break
	sleep 0.05
done
pg_instance_stop "$T/pg"
wait $pid
rc=$?
[ $rc = 1 ] && grep -q "PostgreSQL connection failed\|cannot connect" "$T/die.err" &&
	[ "$(ls "$T/z/diverse_statements" | grep -c tmp)" = 0 ]
ok $? "PostgreSQL dies mid-run: $(tail -n 1 "$T/die.err" | head -c 160)"

echo "1..$n"
