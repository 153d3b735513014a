#!/bin/bash
# make pipeline: datagen -> tokenizer -> tokenize -> train -> eval -> export ->
# install, at a small default scale (about 15 minutes here).  Every knob is an
# environment variable; `make model` runs this with the default model's recipe.
# IMPORT=DIR (the --out of `sqlpilot datagen import`) adds its raw/ shards to
# the generated ones for the tokenizer and training, and its held-out
# eval.jsonl to the eval stage; without it only generated data is used.
set -euo pipefail
IMPORT=${IMPORT:+$(realpath -m -- "$IMPORT")}   # before the cd: a path relative to the caller
cd "$(dirname "$0")/.."
S=${SQLPILOT:-build/sqlpilot}
W=${WORK:-build/pipeline}            # data and run directory
SEED=${SEED:-1}
SCHEMAS=${SCHEMAS:-1000}
PER_SCHEMA=${PER_SCHEMA:-30}
PRESET=${PRESET:-260K}
MODEL_ARGS=${MODEL_ARGS:---preset $PRESET}   # or a custom size: --dim 128 --layers 6 ...
RUN=${RUN:-$W/run}
STEPS=${STEPS:-600}
BATCH=${BATCH:-16}
LR=${LR:-2e-3}
DTYPE=${DTYPE:-f16}
EVAL_LIMIT=${EVAL_LIMIT:-100}
OUT=${OUT:-$W/model.sqlpilot}
INSTALL=${INSTALL:-1}                # 1: install the model beside the extension's default
SEQ_LEN=${SEQ_LEN:-512}              # training context: tokenize fits examples to it, train uses it

stage() { printf '\n== [%s] %s\n' "$(date +%H:%M:%S)" "$*"; }
[ -x "$S" ] || { echo "pipeline: $S not built (run make)" >&2; exit 2; }
if [ -n "$IMPORT" ] && { [[ $IMPORT == *:* ]] || ! compgen -G "$IMPORT/raw/*.jsonl" >/dev/null; }; then
	echo "pipeline: IMPORT=$IMPORT must be a directory with raw/*.jsonl (the --out of \`sqlpilot datagen import\`) and no ':' in its path" >&2
	exit 2
fi
RAW="$W/data/raw${IMPORT:+:$IMPORT/raw}"   # the tokenizer and tokenize read both
mkdir -p "$W" "$(dirname "$OUT")"
stage "1/7 datagen: $SCHEMAS schemas x $PER_SCHEMA statements, seed $SEED"
"$S" datagen all --out "$W/data" --seed "$SEED" --schemas "$SCHEMAS" --per-schema "$PER_SCHEMA"
stage "2/7 tokenizer${IMPORT:+ (generated + imported $IMPORT)}"
"$S" tokenizer --data "$RAW" --out "$W/data/tokenizer.txt"
stage "3/7 tokenize (validation split by schema; big schemas get the extension's choice of tables)"
"$S" tokenize --data "$RAW" --tokenizer "$W/data/tokenizer.txt" --out "$W/data/tokens" \
	--seq-len "$SEQ_LEN"
stage "4/7 train: $MODEL_ARGS, $STEPS steps of $BATCH sequences, lr $LR"
# shellcheck disable=SC2086
"$S" train --run "$RUN" --data "$W/data/tokens" --tokenizer "$W/data/tokenizer.txt" \
	$MODEL_ARGS --seq-len "$SEQ_LEN" --steps "$STEPS" --batch "$BATCH" --lr "$LR" --seed "$SEED" \
	--eval-every "${EVAL_EVERY:-250}" --ckpt-every "${CKPT_EVERY:-250}"
stage "5/7 export ($DTYPE) -> $OUT"
"$S" export --run "$RUN" --out "$OUT" --dtype "$DTYPE"
cp "$RUN/loss.svg" "${OUT%.*}.loss.svg"
cp "$RUN/metrics.csv" "${OUT%.*}.metrics.csv"
stage "6/7 eval on $EVAL_LIMIT held-out examples (schemas never trained on)"
"$S" eval --model "$OUT" --limit "$EVAL_LIMIT" --json "${OUT%.*}.eval.json" "$W/data/eval.jsonl"
if [ -n "$IMPORT" ] && [ -s "$IMPORT/eval.jsonl" ]; then
	echo "-- the imported corpus' held-out schemas ($IMPORT/eval.jsonl):"
	"$S" eval --model "$OUT" --limit "$EVAL_LIMIT" --json "${OUT%.*}.import.eval.json" \
		"$IMPORT/eval.jsonl"
fi
stage "7/7 install"
if [ "$INSTALL" = 1 ]; then
	dest="$(pg_config --sharedir)/extension/sqlpilot_pipeline.model"
	if cp "$OUT" "$dest" 2>/dev/null; then
		echo "installed $dest; use it with:"
		echo "  SET sqlpilot.model_path = '\$sharedir/extension/sqlpilot_pipeline.model';"
	else
		echo "cannot write $dest (not root?); use the model with:"
		echo "  SET sqlpilot.model_path = '$(readlink -f "$OUT")';"
	fi
else
	echo "skipped (INSTALL=$INSTALL); model: $OUT"
fi
