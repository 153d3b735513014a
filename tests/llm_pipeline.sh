#!/bin/bash
# llm_pipeline.sh — `sqlpilot datagen all` with the LLM backend against the
# fake server (tests/llm_server.py) on loopback: a --mix 0.5 run under faults
# finishes with every LLM item answered once, nothing lost or twice, the
# output checked by `datagen check`; then a run killed halfway restarts and
# asks each item at most once more.  Skips until datagen has --llm-url.
cd "$(dirname "$0")/.."
BUILD=${SQLPILOT_BUILD:-$PWD/build}
SP=$BUILD/sqlpilot
PY=/usr/bin/python3
export no_proxy=127.0.0.1,localhost
n=0
fails=0

ok() {
	n=$((n + 1))
	if [[ $1 -eq 0 ]]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fails=$((fails + 1)); fi
}

if [[ ! -x $SP ]] || ! "$SP" datagen --help 2>&1 | grep -q -- --llm-url; then
	echo "ok 1 # SKIP sqlpilot datagen has no --llm-url yet"
	echo "1..1"
	exit 0
fi

T=$(mktemp -d /tmp/sqlpilot_llm_pipeline_XXXXXX)
SERVER=
cleanup() {
	[[ -n $SERVER ]] && kill "$SERVER" 2>/dev/null && wait "$SERVER" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

# Starts the fake server with extra arguments; sets URL and SERVER.
start_server() {
	rm -f "$T/port"
	$PY tests/llm_server.py --port-file "$T/port" --log "$T/requests.jsonl" --lifetime 300 "$@" &
	SERVER=$!
	for _ in $(seq 100); do [[ -s $T/port ]] && break; sleep 0.05; done
	URL="http://127.0.0.1:$(cat "$T/port")/v1"
}

stop_server() {
	kill "$SERVER" 2>/dev/null
	wait "$SERVER" 2>/dev/null
	SERVER=
}

# Prints "max_requests_per_item items_asked_twice distinct_items" from the log.
log_counts() {
	$PY - "$T/requests.jsonl" <<'EOF'
import collections, json, sys
c = collections.Counter(json.loads(l)["item"] for l in open(sys.argv[1]) if l.strip())
print(max(c.values()), sum(1 for v in c.values() if v == 2), len(c))
EOF
}

# Checks that tons_of_tables holds each schema id once, and counts LLM schemas.
# Prints "duplicates llm_lines".
shard_counts() {
	$PY - "$1" <<'EOF'
import glob, json, sys
ids, llm = [], 0
for f in sorted(glob.glob(sys.argv[1] + "/tons_of_tables/*.jsonl")):
    for line in open(f):
        j = json.loads(line)
        ids.append(j["schema_id"])
        llm += j.get("source") == "llm"
print(len(ids) - len(set(ids)), llm, len(ids))
EOF
}

COMMON=(--schemas 40 --shard-size 10 --per-schema 8 --eval-every 10 --no-progress
	--model fake --mix 0.5 --llm-timeout 2 --llm-concurrency 4)

# 1. Faults: every item's first request fails one way or another.
start_server --faults '{"*": ["500"], "topics/topics": ["429"], "schemas/s1-0000000": ["drop", "malformed"],
	"schemas/s1-0000001": ["truncate"], "statements/s1-0000008": ["slow", "offschema"]}' --slow 3
"$SP" datagen all --out "$T/a" --llm-url "$URL" "${COMMON[@]}" >"$T/a.log" 2>&1
ok $? "a --mix 0.5 run under faults finishes"
read -r dups llm total < <(shard_counts "$T/a")
answers=$(ls "$T/a/llm/schemas"/*.json 2>/dev/null | wc -l)
ok $((dups != 0 || total != 40 || llm == 0 || llm != answers)) \
	"40 schemas, none twice, the $llm from the LLM match its $answers answers"
stmts=$(ls "$T/a/llm/statements"/*.json 2>/dev/null | wc -l)
ok $((stmts != llm)) "one statements answer per LLM schema ($stmts)"
read -r max twice items < <(log_counts)
reqs=$(wc -l <"$T/requests.jsonl")
# each item: its fault list plus one good answer (no item needs more than 3)
ok $((max > 3 || reqs > 2 * items + 4)) "faults retried, not more ($reqs requests for $items items)"
"$SP" datagen check --out "$T/a" --sample 0 >"$T/check.log" 2>&1
ok $? "datagen check re-validates every example with PostgreSQL"
"$SP" datagen stats --out "$T/a" >"$T/stats.log" 2>&1
ok $? "datagen stats reads the mixed output"
stop_server
rm -f "$T/requests.jsonl"

# 2. Kill halfway, restart: each item asked at most once more.
start_server --delay 0.15
setsid "$SP" datagen all --out "$T/b" --llm-url "$URL" "${COMMON[@]}" --mix 1 >"$T/b1.log" 2>&1 &
RUN=$!
for _ in $(seq 300); do
	got=$(ls "$T/b/llm/schemas"/*.json 2>/dev/null | wc -l)
	[[ $got -ge 8 ]] && break
	sleep 0.05
done
kill -KILL -- -"$RUN" 2>/dev/null
wait "$RUN" 2>/dev/null
got=$(ls "$T/b/llm/schemas"/*.json 2>/dev/null | wc -l)
ok $((got < 8 || got >= 40)) "the first run was killed halfway ($got schema answers saved)"
"$SP" datagen all --out "$T/b" --llm-url "$URL" "${COMMON[@]}" --mix 1 >"$T/b2.log" 2>&1
ok $? "the restarted run finishes"
read -r dups llm total < <(shard_counts "$T/b")
ok $((dups != 0 || total != 40 || llm != 40)) "all 40 schemas from the LLM, none twice ($llm)"
read -r max twice items < <(log_counts)
# Only requests in flight when the run was killed are asked again: at most
# 3 worker processes x --llm-concurrency 4 of them.
ok $((max > 2 || twice > 12)) "each item asked at most once more ($twice asked twice)"
stop_server

echo "1..$n"
[[ $fails -eq 0 ]]
