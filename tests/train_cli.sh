#!/bin/bash
# train_cli.sh — the trainer's commands end to end on a small synthetic data
# set: tokenizer, tokenize (two data directories, a short --seq-len), train with checkpoints; a run killed with SIGKILL
# and resumed reproduces the uninterrupted run exactly; list, export, and the
# exported file loads as a model.
cd "$(dirname "$0")/.."
BUILD=${SQLPILOT_BUILD:-$PWD/build}
BIN=${SQLPILOT_BIN:-$BUILD/sqlpilot}
T=$(mktemp -d /tmp/sqlpilot_train_cli.XXXXXX)
trap 'rm -rf "$T"' EXIT
n=0
ok() {
	n=$((n + 1))
	if [[ $1 == 0 ]]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fi
}

/usr/bin/python3 tests/torch/synth_jsonl.py "$T/raw" 40 8
"$BIN" tokenizer --data "$T/raw" --out "$T/tok.txt" >"$T/log" 2>&1
ok $? "tokenizer learns a BPE from jsonl"
"$BIN" tokenize --data "$T/raw" --tokenizer "$T/tok.txt" --out "$T/tokens" --val-fraction 0.1 >>"$T/log" 2>&1
ok $? "tokenize writes shards"
grep -q "40 schemas (4 validation)" "$T/log"
ok $? "tokenize holds out 10% of the schemas"
mkdir -p "$T/raw2"
sed 's/"schema_id": "s/"schema_id": "t/' "$T/raw/shard-00000.jsonl" >"$T/raw2/shard-00000.jsonl"
"$BIN" tokenize --data "$T/raw:$T/raw2" --tokenizer "$T/tok.txt" --out "$T/tokens2" \
	--val-fraction 0.1 >"$T/log2" 2>&1 && grep -q "^tokenize: 80 schemas (8 validation)" "$T/log2"
ok $? "tokenize --data A:B reads both directories (generated + imported)"
"$BIN" tokenize --data "$T/raw" --tokenizer "$T/tok.txt" --out "$T/tokens3" --seq-len 24 \
	>"$T/log3" 2>&1 && grep -Eq "^tokenize: [1-9][0-9]* examples longer than 25 tokens kept a choice of tables .*; [0-9]+ skipped" "$T/log3"
ok $? "tokenize --seq-len: long examples keep a choice of tables, the summary counts them and the skipped"

ARGS=(--data "$T/tokens" --tokenizer "$T/tok.txt" --dim 48 --hidden-dim 96 --layers 2
	--heads 4 --kv-heads 2 --seq-len 128 --batch 16 --micro-batch 4 --steps 60 --warmup 5
	--ckpt-every 10 --keep 3 --eval-every 30 --quiet --seed 5)
"$BIN" train --run "$T/a" "${ARGS[@]}" >>"$T/log" 2>&1
ok $? "uninterrupted run finishes"

"$BIN" train --run "$T/b" "${ARGS[@]}" >>"$T/log" 2>&1 &
pid=$!
for _ in $(seq 1 600); do
	[[ -e $T/b/ckpt-00000020.bin ]] && break
	sleep 0.02
done
kill -9 $pid 2>/dev/null
wait $pid 2>/dev/null
[[ ! -e $T/b/ckpt-00000060.bin && -e $T/b/ckpt-00000020.bin ]]
ok $? "second run killed with SIGKILL mid-run (after step 20, before the end)"
"$BIN" train --run "$T/b" "${ARGS[@]}" >>"$T/log" 2>&1
ok $? "killed run resumes from its latest checkpoint and finishes"
cut -d, -f1-5 "$T/a/metrics.csv" >"$T/a.cut"
cut -d, -f1-5 "$T/b/metrics.csv" >"$T/b.cut"
cmp -s "$T/a.cut" "$T/b.cut" && [[ $(wc -l <"$T/a.cut") == 61 ]]
ok $? "resumed run logs exactly the uninterrupted run's 60 losses, learning rates, norms"
cmp -s "$T/a/ckpt-00000060.bin" "$T/b/ckpt-00000060.bin"
ok $? "final checkpoints (weights, AdamW state, data position) are byte-identical"
first=$(sed -n 2p "$T/a/metrics.csv" | cut -d, -f2)
last=$(tail -1 "$T/a/metrics.csv" | cut -d, -f2)
awk -v a="$first" -v b="$last" 'BEGIN { exit !(b < a - 0.5) }'
ok $? "loss falls during training ($first -> $last)"
tail -1 "$T/a/metrics.csv" | awk -F, '{ exit !($8 > 0 && $9 > 0) }'
ok $? "final step has validation loss and accuracy"

[[ $(ls "$T/a"/ckpt-*.bin | wc -l) == 3 ]]
ok $? "only the last 3 checkpoints are kept"
"$BIN" list --run "$T/a" >"$T/list" 2>&1 && grep -q "^60 " "$T/list" && grep -q "^40 " "$T/list" &&
	! grep -q "^30 " "$T/list"
ok $? "list shows the kept checkpoints"
grep -q "<polyline" "$T/a/loss.svg" && grep -q "</svg>" "$T/a/loss.svg"
ok $? "loss.svg is written"

"$BIN" export --run "$T/a" --out "$T/model.bin" >>"$T/log" 2>&1
ok $? "export writes a model file"
"$BIN" export --run "$T/a" --step 50 --out "$T/model50.bin" --dtype f16 >>"$T/log" 2>&1
ok $? "export of an older checkpoint as f16"
"$BIN" info "$T/model.bin" >"$T/info" 2>&1 && grep -q "n_layers: *2" "$T/info"
ok $? "the exported model loads (sqlpilot info)"
"$BIN" train --run "$T/a" "${ARGS[@]}" --dim 64 >>"$T/log" 2>&1
[[ $? != 0 ]] && grep -q "another model config" "$T/log"
ok $? "resuming with another config is refused"
echo "1..$n"
