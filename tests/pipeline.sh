#!/bin/bash
# make pipeline at a tiny scale: every stage runs and leaves what the next one
# (and the user) needs: data, tokenizer, token shards, checkpoints, model file,
# loss curve, eval JSON.
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
