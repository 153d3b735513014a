#!/bin/bash
# train_threads.sh — `sqlpilot train --threads 2` against --threads 1 end to
# end on a small synthetic data set and a model with heads of 16 (the default
# model's head size: small-head attention, split by (sequence, kv head)
# pairs; SwiGLU, the loss and AdamW in fixed halves), schema-packed (the
# products of a micro-batch over all its up to 768 rows at once) and with
# --no-pack (whole sequences: every split reaches the helper): the same
# losses, learning rates and norms at every step and byte-identical
# checkpoints.
cd "$(dirname "$0")/.."
BUILD=${SQLPILOT_BUILD:-$PWD/build}
BIN=${SQLPILOT_BIN:-$BUILD/sqlpilot}
T=$(mktemp -d /tmp/sqlpilot_train_threads.XXXXXX)
trap 'rm -rf "$T"' EXIT
n=0
ok() {
	n=$((n + 1))
	if [[ $1 == 0 ]]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fi
}

/usr/bin/python3 tests/torch/synth_jsonl.py "$T/raw" 40 8
"$BIN" tokenizer --data "$T/raw" --out "$T/tok.txt" >"$T/log" 2>&1 &&
	"$BIN" tokenize --data "$T/raw" --tokenizer "$T/tok.txt" --out "$T/tokens" \
		--val-fraction 0.1 >>"$T/log" 2>&1
ok $? "tokenizer and tokenize"

ARGS=(--data "$T/tokens" --tokenizer "$T/tok.txt" --dim 64 --hidden-dim 176 --layers 2
	--heads 4 --kv-heads 2 --batch 12 --micro-batch 3 --steps 20 --warmup 5
	--ckpt-every 10 --keep 2 --eval-every 10 --quiet --seed 3)
for mode in packed no-pack; do
	extra=(--seq-len 256)
	[[ $mode == no-pack ]] && extra+=(--no-pack)
	"$BIN" train --run "$T/$mode-1" "${ARGS[@]}" "${extra[@]}" --threads 1 >>"$T/log" 2>&1
	ok $? "$mode: run with --threads 1 finishes"
	"$BIN" train --run "$T/$mode-2" "${ARGS[@]}" "${extra[@]}" --threads 2 >>"$T/log" 2>&1
	ok $? "$mode: run with --threads 2 finishes"
	cut -d, -f1-5 "$T/$mode-1/metrics.csv" >"$T/one.cut"
	cut -d, -f1-5 "$T/$mode-2/metrics.csv" >"$T/two.cut"
	cmp -s "$T/one.cut" "$T/two.cut" && [[ $(wc -l <"$T/one.cut") == 21 ]]
	ok $? "$mode: both log the same 20 losses, learning rates and norms"
	cut -d, -f8,9 "$T/$mode-1/metrics.csv" >"$T/one.val"
	cut -d, -f8,9 "$T/$mode-2/metrics.csv" >"$T/two.val"
	cmp -s "$T/one.val" "$T/two.val" && tail -1 "$T/one.val" | awk -F, '{ exit !($1 > 0) }'
	ok $? "$mode: both log the same validation loss and accuracy"
	cmp -s "$T/$mode-1/ckpt-00000010.bin" "$T/$mode-2/ckpt-00000010.bin" &&
		cmp -s "$T/$mode-1/ckpt-00000020.bin" "$T/$mode-2/ckpt-00000020.bin"
	ok $? "$mode: checkpoints of steps 10 and 20 (weights, AdamW state, data position) are byte-identical"
done
echo "1..$n"
