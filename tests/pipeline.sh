#!/bin/bash
# make pipeline at a tiny scale: every stage runs and leaves what the next one
# (and the user) needs: data, tokenizer, token shards, checkpoints, model file,
# loss curve, eval JSON; with IMPORT (an imported corpus, faked here by the
# generator, then the real `datagen import` of the corpus fixture) it trains on
# both and evaluates on the corpus' held-out schemas too.
cd "$(dirname "$0")/.."
B=${SQLPILOT_BUILD:-$PWD/build}
T=$(mktemp -d /tmp/sqlpilot-pipeline.XXXXXX)
trap 'rm -rf "$T"' EXIT
n=0
ok() { n=$((n + 1)); if eval "$2"; then echo "ok $n - $1"; else echo "not ok $n - $1"; fi; }

SQLPILOT=$B/sqlpilot WORK=$T/w SCHEMAS=60 PER_SCHEMA=5 STEPS=6 BATCH=2 EVAL_LIMIT=5 \
	MODEL_ARGS="--dim 32 --hidden-dim 64 --layers 1 --heads 2 --kv-heads 1" \
	EVAL_EVERY=3 CKPT_EVERY=3 INSTALL=0 tools/pipeline.sh >"$T/log" 2>&1
rc=$?
ok "pipeline exits 0" "[ $rc -eq 0 ]"
[ $rc -eq 0 ] || sed 's/^/# /' "$T/log" | tail -20
ok "every stage printed its progress header" "[ \$(grep -c '^== \[' '$T/log') -eq 7 ]"
ok "datagen wrote raw shards and a held-out eval file" "ls '$T'/w/data/raw/*.jsonl >/dev/null 2>&1 && [ -s '$T/w/data/eval.jsonl' ]"
ok "tokenizer file written" "[ -s '$T/w/data/tokenizer.txt' ]"
ok "train and validation token shards written" "[ -s '$T/w/data/tokens/train.bin' ] && [ -s '$T/w/data/tokens/val.bin' ]"
ok "checkpoints listed" "'$B/sqlpilot' list --run '$T/w/run' | grep -q '^6 '"
ok "the exported model loads and reports its size" "'$B/sqlpilot' info '$T/w/model.sqlpilot' 2>&1 | grep -qi param"
ok "loss curve and metrics CSV beside the model" "[ -s '$T/w/model.loss.svg' ] && [ -s '$T/w/model.metrics.csv' ]"
ok "eval JSON has model and baseline metrics" "/usr/bin/python3 -c \"import json,sys; d=json.load(open('$T/w/model.eval.json')); sys.exit(0 if 'rest_em' in d['metrics']['model'] and 'rest_em' in d['metrics']['baseline'] else 1)\""
ok "the model completes a prefix" "'$B/sqlpilot' complete --model '$T/w/model.sqlpilot' --schema <(echo 'CREATE TABLE t (a INT8)') --prefix 'SELECT ' >/dev/null 2>&1"

# IMPORT: a fake `datagen import` output (the same raw/ and eval.jsonl layout) made by the generator
"$B/sqlpilot" datagen all --out "$T/imp" --seed 7 --schemas 20 --per-schema 5 --eval-every 5 \
	--no-progress >"$T/implog" 2>&1
ok "the fake import has raw shards and a held-out eval file" "ls '$T'/imp/raw/*.jsonl >/dev/null 2>&1 && [ -s '$T/imp/eval.jsonl' ]"
SQLPILOT=$B/sqlpilot WORK=$T/wi SCHEMAS=60 PER_SCHEMA=5 STEPS=6 BATCH=2 EVAL_LIMIT=5 IMPORT=$T/imp \
	MODEL_ARGS="--dim 32 --hidden-dim 64 --layers 1 --heads 2 --kv-heads 1" \
	EVAL_EVERY=3 CKPT_EVERY=3 INSTALL=0 tools/pipeline.sh >"$T/ilog" 2>&1
rc=$?
ok "pipeline with IMPORT exits 0" "[ $rc -eq 0 ]"
[ $rc -eq 0 ] || sed 's/^/# /' "$T/ilog" | tail -20
# schemas seen by tokenize: the generated ones (60, less datagen's held-out) alone, then with the import's 16 more
gen=$(sed -n 's/^tokenize: \([0-9]*\) schemas.*/\1/p' "$T/log")
both=$(sed -n 's/^tokenize: \([0-9]*\) schemas.*/\1/p' "$T/ilog")
imp=$(cat "$T"/imp/raw/*.jsonl | /usr/bin/python3 -c "import json,sys; print(len({json.loads(l)['schema_id'] for l in sys.stdin}))")
ok "tokenize reads generated + imported schemas ($gen + $imp = ${both:-?})" "[ -n '$gen' ] && [ '$both' = \$(($gen + $imp)) ]"
ok "the tokenizer learned from generated + imported texts" "grep -q 'learned from' '$T/ilog' && [ \$(sed -n 's/.* from \([0-9]*\) texts.*/\1/p' '$T/ilog') -gt \$(sed -n 's/.* from \([0-9]*\) texts.*/\1/p' '$T/log') ]"
ok "the tokenize summary counts examples kept with a choice of tables and skipped" "grep -q 'kept a choice of tables.*skipped' '$T/ilog'"
ok "eval on the import's held-out schemas writes its own JSON" "/usr/bin/python3 -c \"import json,sys; d=json.load(open('$T/wi/model.import.eval.json')); sys.exit(0 if 'rest_em' in d['metrics']['model'] else 1)\""
ok "still 7 stage headers" "[ \$(grep -c '^== \[' '$T/ilog') -eq 7 ]"
SQLPILOT=$B/sqlpilot WORK=$T/wb IMPORT=$T/nothing INSTALL=0 tools/pipeline.sh >"$T/blog" 2>&1
rc=$?
ok "an IMPORT without raw shards is refused before any work (exit $rc)" "[ $rc -eq 2 ] && grep -q 'raw/\*.jsonl' '$T/blog' && [ ! -e '$T/wb' ]"

# IMPORT from the real `datagen import` on the project's own corpus fixture (no held-out statements)
"$B/sqlpilot" datagen import --from tests/fixtures/corpus --out "$T/rimp" --holdout-mod 2 \
	--holdout-rem 1 --no-progress >"$T/rimplog" 2>&1
rimp=$(cat "$T"/rimp/raw/*.jsonl 2>/dev/null | /usr/bin/python3 -c "import json,sys; print(len({json.loads(l)['schema_id'] for l in sys.stdin}))")
ok "datagen import wrote raw shards from the corpus fixture ($rimp schemas)" "[ '${rimp:-0}' -gt 0 ]"
SQLPILOT=$B/sqlpilot WORK=$T/wr SCHEMAS=60 PER_SCHEMA=5 STEPS=2 BATCH=2 EVAL_LIMIT=5 IMPORT=$T/rimp \
	MODEL_ARGS="--dim 32 --hidden-dim 64 --layers 1 --heads 2 --kv-heads 1" \
	EVAL_EVERY=2 CKPT_EVERY=2 INSTALL=0 tools/pipeline.sh >"$T/rlog" 2>&1
rc=$?
[ $rc -eq 0 ] || sed 's/^/# /' "$T/rlog" | tail -20
real=$(sed -n 's/^tokenize: \([0-9]*\) schemas.*/\1/p' "$T/rlog")
ok "pipeline with a real import trains on generated + imported schemas ($gen + $rimp = ${real:-?})" "[ $rc -eq 0 ] && [ '$real' = \$(($gen + ${rimp:-0})) ]"
ok "an import without held-out statements gets no eval of its own" "[ -s '$T/wr/model.eval.json' ] && [ ! -e '$T/wr/model.import.eval.json' ]"
