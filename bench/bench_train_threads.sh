#!/bin/bash
# bench_train_threads.sh — what `sqlpilot train --threads 2` buys on the
# default model's shape in real (schema-packed) training: wall seconds and
# statement tokens per second of `sqlpilot train` with --threads 1 and 2,
# runs alternated REPS times, and the final loss of each (must be equal).
# With BEFORE (another build's sqlpilot, e.g. main's) each thread count runs
# BEFORE then SQLPILOT, so old and new code alternate in one run too.
# Prints a markdown table (paste it into bench/results/threads.md).  Only
# meaningful with both CPUs free: check the load first.
#   bench/bench_train_threads.sh [TOKENS_DIR]   (a `sqlpilot tokenize` output with
#   tokenizer.txt beside it; default: generates SCHEMAS x PER_SCHEMA examples)
# Environment: STEPS (6), BATCH (16), MICRO (4), REPS (2), THREADS ("1 2"),
# SCHEMAS (80), PER_SCHEMA (30), PACK (1; 0 adds --no-pack), SQLPILOT
# (build/sqlpilot), BEFORE (none).
set -euo pipefail
cd "$(dirname "$0")/.."
S=${SQLPILOT:-build/sqlpilot}
STEPS=${STEPS:-6}
BATCH=${BATCH:-16}
MICRO=${MICRO:-4}
REPS=${REPS:-2}
W=$(mktemp -d /tmp/sqlpilot_bench_threads.XXXXXX)
trap 'rm -rf "$W"' EXIT
if [[ -n ${1:-} ]]; then
	TOK=$1
	TOKENIZER=$(dirname "$1")/tokenizer.txt
else
	"$S" datagen all --out "$W/data" --seed 1 --schemas "${SCHEMAS:-80}" \
		--per-schema "${PER_SCHEMA:-30}" >/dev/null
	TOKENIZER=$W/data/tokenizer.txt
	TOK=$W/data/tokens
	"$S" tokenizer --data "$W/data/raw" --out "$TOKENIZER" >/dev/null
	"$S" tokenize --data "$W/data/raw" --tokenizer "$TOKENIZER" --out "$TOK" >/dev/null
fi
mkdir -p "$W/train_only"
ln -s "$(readlink -f "$TOK/train.bin")" "$W/train_only/train.bin"
flag=()
[[ ${PACK:-1} == 0 ]] && flag=(--no-pack)

echo "$(date -u '+%Y-%m-%d %H:%M UTC'), load average before $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) CPUs;"
echo "\`sqlpilot train --dim 128 --hidden-dim 352 --layers 6 --heads 8 --kv-heads 4 --seq-len 512"
echo "--batch $BATCH --micro-batch $MICRO --steps $STEPS ${flag[*]}\`, alternated:"
echo
builds=("$S")
[[ -n ${BEFORE:-} ]] && builds=("$BEFORE" "$S")
[[ -n ${BEFORE:-} ]] && echo "before: $BEFORE; after: $S" && echo
echo "| run | build | threads | wall s | CPU s | statement tok/s (wall) | final loss |"
echo "|---|---|---:|---:|---:|---:|---|"
for rep in $(seq 1 "$REPS"); do
	for t in ${THREADS:-1 2}; do
		for bin in "${builds[@]}"; do
			name=after
			[[ $bin != "$S" ]] && name=before
			rm -rf "$W/run"
			/usr/bin/time -f "%e %U %S" -o "$W/time" "$bin" train --run "$W/run" --data "$W/train_only" \
				--tokenizer "$TOKENIZER" --dim 128 --hidden-dim 352 --layers 6 --heads 8 --kv-heads 4 \
				--seq-len 512 --steps "$STEPS" --batch "$BATCH" --micro-batch "$MICRO" \
				--ckpt-every 1000000 --eval-every 0 --log-every 1000000 --seed 1 --threads "$t" \
				"${flag[@]}" 2>"$W/log"
			read -r e u s <"$W/time"
			n=$(sed -n 's/.* \([0-9]*\) statement tokens in this run.*/\1/p' "$W/log")
			awk -v r="$rep" -v b="$name" -v t="$t" -v e="$e" \
				-v c="$(awk -v u="$u" -v s="$s" 'BEGIN { print u + s }')" \
				-v n="$n" -v l="$(tail -1 "$W/run/metrics.csv" | cut -d, -f2)" \
				'BEGIN { printf "| %d | %s | %d | %.1f | %.1f | %.0f | %s |\n", r, b, t, e, c, n / e, l }'
		done
	done
done
echo
echo "load average after $(cut -d' ' -f1-3 /proc/loadavg)"
