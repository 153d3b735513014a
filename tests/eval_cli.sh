#!/bin/bash
# eval_cli.sh — `sqlpilot eval` as a user runs it: a random model from
# `sqlpilot init`, a JSONL file, the table on the terminal and the JSON
# report as the last line of standard output with every docs/metrics.md metric
# for the model (grounded and ungrounded, --grounding) and the copy baseline.
set -u
cd "$(dirname "$0")/.."
BUILD=${SQLPILOT_BUILD:-$PWD/build}
SQLPILOT=$BUILD/sqlpilot
PY=/usr/bin/python3
n=0

ok() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fi; }

T=$(mktemp -d /tmp/sqlpilot_evalcli.XXXXXX)
trap 'rm -rf "$T"' EXIT

for i in $(seq 1 40); do
	echo "CREATE TABLE users (id bigint PRIMARY KEY, name text NOT NULL, email text);"
	echo "SELECT name, email FROM users WHERE id = $i;"
	echo "INSERT INTO users (id, name) VALUES ($i, 'n$i');"
done >"$T/corpus.txt"
"$SQLPILOT" init --preset 260K --seq-len 256 --corpus "$T/corpus.txt" --seed 2 --out "$T/m.bin" >/dev/null
ok $? "sqlpilot init makes a random model"

cat >"$T/in.jsonl" <<'EOF'
{"schema": "CREATE TABLE users (id bigint PRIMARY KEY, name text NOT NULL, email text);", "statement": "SELECT name, email FROM users WHERE id = 3;"}
{"schema": "CREATE TABLE users (id bigint PRIMARY KEY, name text NOT NULL, email text);", "statement": "INSERT INTO users (id, name) VALUES (4, 'Ann');", "cuts": [0, 12, 30, 47]}
{"schema": "CREATE TABLE users (id bigint PRIMARY KEY, name text NOT NULL, email text);", "statement": "DELETE FROM users WHERE email IS NULL"}
this line is not JSON
EOF

"$SQLPILOT" eval --model "$T/m.bin" --cuts 2 --ks-limit 1 --seed 4 "$T/in.jsonl" >"$T/out" 2>"$T/err"
ok $? "sqlpilot eval exits 0"
grep -q "^metric  *model  *model_ungrounded  *baseline$" "$T/out" && grep -q "^rest_em " "$T/out" &&
	grep -q "grounding both" "$T/out"
ok $? "a table with model, model_ungrounded and baseline columns (--grounding both by default)"

tail -1 "$T/out" >"$T/report.json"
$PY - "$T/report.json" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
need = ["stmt_nll", "next_token_acc", "next_word_em", "next_word_em_boundary", "next_word_em_mid",
        "rest_em", "rest_em_ci", "keystrokes_saved", "hallucinated_ident_rate", "valid_sql_rate",
        "latency_ms_p50_cold", "latency_ms_p95_cold", "latency_ms_p50_warm", "latency_ms_p95_warm"]
m, u, b = r["metrics"]["model"], r["metrics"]["model_ungrounded"], r["metrics"]["baseline"]
assert list(r["metrics"]) == ["model", "model_ungrounded", "baseline"]
assert all(k in m and k in u and k in b for k in need), "missing metric"
assert r["grounding"] == "both"
assert u["stmt_nll"] == m["stmt_nll"], "teacher forcing does not depend on grounding"
assert r["model"] == "m.bin" and len(r["model_checksum"]) == 16
assert r["input"].endswith("in.jsonl") and r["seed"] == 4
assert r["examples"] == 3 and r["cuts"] == 2 + 4 + 2 and r["truncated"] == 0
assert r["skipped"]["invalid json"] == 1
assert m["stmt_nll"] > 0 and 0 <= m["next_token_acc"] <= 1 and m["valid_sql_rate"] is None
assert m["latency_ms_p50_cold"] > 0 and m["latency_ms_p50_warm"] > 0
EOF
ok $? "the last line is the JSON report with every metric"

"$SQLPILOT" eval --model "$T/m.bin" --cuts 2 --ks-limit 1 --seed 4 "$T/in.jsonl" | tail -1 >"$T/again.json"
$PY - "$T/report.json" "$T/again.json" <<'EOF'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
for sysname in ("model", "model_ungrounded", "baseline"):
    for k, v in a["metrics"][sysname].items():
        if not k.startswith("latency"):
            assert b["metrics"][sysname][k] == v, (sysname, k)
EOF
ok $? "a second run gives the same numbers (latency aside)"

for g in on off; do
	"$SQLPILOT" eval --model "$T/m.bin" --grounding $g --cuts 2 --ks-limit 1 --seed 4 "$T/in.jsonl" | tail -1 >"$T/$g.json"
done
$PY - "$T/report.json" "$T/on.json" "$T/off.json" <<'EOF'
import json, sys
both, on, off = (json.load(open(p)) for p in sys.argv[1:4])
assert list(on["metrics"]) == ["model", "baseline"] and on["grounding"] == "on"
assert list(off["metrics"]) == ["model_ungrounded", "baseline"] and off["grounding"] == "off"
assert on["cuts"] == off["cuts"] == both["cuts"]
for k in ("next_word_em", "rest_em", "hallucinated_ident_rate", "keystrokes_saved"):
    assert on["metrics"]["model"][k] == both["metrics"]["model"][k], k
    assert off["metrics"]["model_ungrounded"][k] == both["metrics"]["model_ungrounded"][k], k
EOF
ok $? "--grounding on / off: one model column each, the same numbers as in both, same cuts"

"$SQLPILOT" eval --model "$T/m.bin" --grounding maybe "$T/in.jsonl" >/dev/null 2>"$T/err"
[ $? = 2 ] && grep -q "grounding" "$T/err"
ok $? "--grounding takes on, off or both"

# the target command's flags: --limit N --cuts K --seed S
"$SQLPILOT" eval --model "$T/m.bin" --limit 2 --cuts 3 --seed 0 --ks-limit 0 "$T/in.jsonl" | tail -1 >"$T/limit.json"
$PY - "$T/limit.json" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
assert r["examples"] == 2 and r["cuts"] == 3 + 4 and r["seed"] == 0, r
EOF
ok $? "--limit 2 --cuts 3 --seed 0: two examples, three drawn cuts where the file has none"

# progress on stderr: with --progress (each line "eval: done/total examples, elapsed, ETA"), never
# in the report; by default only when stderr is a terminal (script(1) gives it one)
for i in $(seq 1 30); do sed -n 1p "$T/in.jsonl"; done >"$T/many.jsonl"
"$SQLPILOT" eval --model "$T/m.bin" --cuts 2 --ks-limit 1 --progress "$T/many.jsonl" >"$T/p.out" 2>"$T/p.err"
rc=$?
lines=$(grep -c '^eval: ' "$T/p.err")
[ $rc = 0 ] && tail -1 "$T/p.err" | grep -Eq '^eval: 30/30 examples, [0-9hms]+ elapsed, ETA 0s$' &&
	[ "$lines" -ge 1 ] && [ "$lines" -lt 30 ] && ! grep -q 'eval: ' "$T/p.out" &&
	tail -1 "$T/p.out" | $PY -c 'import json, sys; assert json.load(sys.stdin)["examples"] == 30'
ok $? "--progress: $lines progress line(s) on stderr for 30 examples, the last one 30/30; stdout's JSON untouched"
"$SQLPILOT" eval --model "$T/m.bin" --cuts 2 --ks-limit 1 "$T/in.jsonl" >/dev/null 2>"$T/np.err"
! grep -q 'examples, ' "$T/np.err"
ok $? "no progress when stderr is not a terminal and --progress is not given"
script -qec "'$SQLPILOT' eval --model '$T/m.bin' --cuts 2 --ks-limit 1 --json '$T/tty.json' '$T/in.jsonl'" /dev/null \
	>"$T/tty.out" 2>&1
grep -q $'\reval: 3/3 examples, .* elapsed, ETA 0s' "$T/tty.out" && ! grep -q 'eval: ' "$T/tty.json" &&
	$PY -c 'import json, sys; assert json.load(open(sys.argv[1]))["examples"] == 3' "$T/tty.json"
ok $? "on a terminal the progress line is shown by default (redrawn in place), the JSON file has none"

"$SQLPILOT" eval --model "$T/m.bin" --cuts nope "$T/in.jsonl" >/dev/null 2>&1
[ $? = 2 ]
ok $? "a bad option exits 2"

# --breakdown / --breakdown-cuts: why rest_em fails, without changing a metric
"$SQLPILOT" eval --model "$T/m.bin" --cuts 2 --ks-limit 1 --seed 4 --breakdown "$T/why.md" \
	--breakdown-cuts "$T/cuts.jsonl" "$T/in.jsonl" | tail -1 >"$T/bd.json"
grep -q "^## model$" "$T/why.md" && grep -q "^## model_ungrounded$" "$T/why.md" &&
	grep -q "^## baseline$" "$T/why.md" && grep -q "^| words of the gold rest" "$T/why.md" &&
	grep -q "^Typing simulation (keystrokes_saved)" "$T/why.md" &&
	$PY - "$T/report.json" "$T/bd.json" "$T/cuts.jsonl" <<'EOF'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
lines = [json.loads(l) for l in open(sys.argv[3])]
assert len(lines) == 3 * a["cuts"], len(lines)
for s in ("model", "model_ungrounded", "baseline"):
    for k, v in a["metrics"][s].items():
        if not k.startswith("latency"):
            assert b["metrics"][s][k] == v, (s, k)
    mine = [l for l in lines if l["system"] == s]
    assert abs(sum(l["rest_em"] for l in mine) / len(mine) - a["metrics"][s]["rest_em"]) < 1e-12, s
EOF
ok $? "--breakdown writes the report and one JSON line per system and cut; every metric unchanged"

# --beam-width W / --length-norm A: decoding options for measuring
"$SQLPILOT" eval --model "$T/m.bin" --grounding on --cuts 2 --ks-limit 0 --beam-width 2 --length-norm 0.5 \
	"$T/in.jsonl" | tail -1 >"$T/beam.json"
$PY - "$T/beam.json" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
assert r["beam_width"] == 2 and r["length_norm"] == 0.5 and 0 <= r["metrics"]["model"]["rest_em"] <= 1, r
EOF
ok $? "--beam-width 2 --length-norm 0.5: reported beside the metrics"
"$SQLPILOT" eval --model "$T/m.bin" --beam-width 9 "$T/in.jsonl" >/dev/null 2>&1
r1=$?
"$SQLPILOT" eval --model "$T/m.bin" --beam-width 0 "$T/in.jsonl" >/dev/null 2>&1
r2=$?
"$SQLPILOT" eval --model "$T/m.bin" --length-norm -1 "$T/in.jsonl" >/dev/null 2>&1
r3=$?
[ $r1 = 2 ] && [ $r2 = 2 ] && [ $r3 = 2 ]
ok $? "--beam-width outside 1..8 and a negative --length-norm exit 2"
"$SQLPILOT" eval --cuts 2 --breakdown /nonexistent/dir/why.md "$T/in.jsonl" >/dev/null 2>"$T/bderr"
[ $? = 1 ] && grep -q "why.md" "$T/bderr"
ok $? "a --breakdown file that cannot be written: exit 1 with its name"
echo "1..$n"
