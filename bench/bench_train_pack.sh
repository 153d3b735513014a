#!/bin/bash
# bench_train_pack.sh — what schema packing buys: statement tokens trained per
# second (wall and CPU) by `sqlpilot train` with --no-pack (one schema per
# statement, the trainer before packing) and with packing (the default), same
# preset, batch, steps and data, runs alternated REPS times.  CPU time
# (user + sys of the process) is the fairer number on a shared machine.
# Writes the table to bench/results/train_pack.md.
#   bench/bench_train_pack.sh [TOKENS_DIR]    (a `sqlpilot tokenize` output with
#   tokenizer.txt beside it; default: generates SCHEMAS x PER_SCHEMA examples)
# Environment: PRESET (260K), STEPS (20), BATCH (16), MICRO (4), REPS (2),
# SCHEMAS (200), PER_SCHEMA (30), SQLPILOT (build/sqlpilot), OUT (the results file).
set -euo pipefail
cd "$(dirname "$0")/.."
S=${SQLPILOT:-build/sqlpilot}
PRESET=${PRESET:-260K}
STEPS=${STEPS:-20}
BATCH=${BATCH:-16}
MICRO=${MICRO:-4}
REPS=${REPS:-2}
W=$(mktemp -d /tmp/sqlpilot_bench_pack.XXXXXX)
trap 'rm -rf "$W"' EXIT
if [[ -n ${1:-} ]]; then
	TOK=$1
	TOKENIZER=$(dirname "$1")/tokenizer.txt
	DATA="data: $TOK"
else
	DATA="data: \`sqlpilot datagen all --seed 1 --schemas ${SCHEMAS:-200} --per-schema ${PER_SCHEMA:-30}\`, tokenized"
	"$S" datagen all --out "$W/data" --seed 1 --schemas "${SCHEMAS:-200}" \
		--per-schema "${PER_SCHEMA:-30}" >/dev/null
	TOKENIZER=$W/data/tokenizer.txt
	TOK=$W/data/tokens
	"$S" tokenizer --data "$W/data/raw" --out "$TOKENIZER" >/dev/null
	"$S" tokenize --data "$W/data/raw" --tokenizer "$TOKENIZER" --out "$TOK" >/dev/null
fi
# training data only: the validation pass is not what is measured
mkdir -p "$W/train_only"
ln -s "$(readlink -f "$TOK/train.bin")" "$W/train_only/train.bin"

declare -A stmt wall cpu loss
for rep in $(seq 1 "$REPS"); do
	for mode in no-pack pack; do
		flag=()
		[[ $mode == no-pack ]] && flag=(--no-pack)
		rm -rf "$W/run"
		/usr/bin/time -f "%e %U %S" -o "$W/time" "$S" train --run "$W/run" --data "$W/train_only" \
			--tokenizer "$TOKENIZER" --preset "$PRESET" --steps "$STEPS" --batch "$BATCH" \
			--micro-batch "$MICRO" --ckpt-every 1000000 --eval-every 0 --log-every 1000000 \
			--seed 1 "${flag[@]}" 2>"$W/log"
		read -r e u s <"$W/time"
		n=$(sed -n 's/.* \([0-9]*\) statement tokens in this run.*/\1/p' "$W/log")
		stmt[$mode]=$(( ${stmt[$mode]:-0} + n ))
		wall[$mode]=$(awk -v a="${wall[$mode]:-0}" -v b="$e" 'BEGIN { print a + b }')
		cpu[$mode]=$(awk -v a="${cpu[$mode]:-0}" -v b="$u" -v c="$s" 'BEGIN { print a + b + c }')
		loss[$mode]=$(tail -1 "$W/run/metrics.csv" | cut -d, -f2)
		echo "rep $rep $mode: $n statement tokens, ${e}s wall, ${u}s user, ${s}s sys" >&2
	done
done
fit=$(sed -n "s/.* \([0-9]* of [0-9]* examples fit in [0-9]* tokens\).*/\1/p" "$W/log")
groups=$(sed -n 's/.*schema packing: \(.*\)$/\1/p' "$W/log")
out=${OUT:-bench/results/train_pack.md}
{
	echo "# Schema packing: statement tokens per second of training"
	echo
	echo "$(date -u '+%Y-%m-%d %H:%M UTC'), load average $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) CPUs;"
	echo "\`sqlpilot train --preset $PRESET --batch $BATCH --micro-batch $MICRO --steps $STEPS\`,"
	echo "$DATA; $REPS runs per mode alternated, totals; $fit; packing: $groups."
	echo
	echo "| mode | statement tokens | wall s | CPU s | statement tok/s (wall) | statement tok/s (CPU) | last loss |"
	echo "|---|---:|---:|---:|---:|---:|---:|"
	for mode in no-pack pack; do
		awk -v m="$mode" -v n="${stmt[$mode]}" -v w="${wall[$mode]}" -v c="${cpu[$mode]}" -v l="${loss[$mode]}" \
			'BEGIN { printf "| %s | %d | %.1f | %.1f | %.0f | %.0f | %s |\n", m, n, w, c, n / w, n / c, l }'
	done
	echo
	awk -v a="${stmt[pack]}" -v b="${cpu[pack]}" -v c="${stmt[no-pack]}" -v d="${cpu[no-pack]}" \
		'BEGIN { printf "Packing: %.2fx statement tokens per CPU second.\n", (a / b) / (c / d) }'
} >"$out"
cat "$out"
