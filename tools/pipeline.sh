#!/bin/bash
# make pipeline: datagen -> tokenizer -> tokenize -> train -> eval -> export ->
# install, at a small default scale (about 15 minutes here).  Every knob is an
# environment variable; `make model` runs this with the default model's recipe.
set -euo pipefail
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

stage() { printf '\n== [%s] %s\n' "$(date +%H:%M:%S)" "$*"; }
[ -x "$S" ] || { echo "pipeline: $S not built (run make)" >&2; exit 2; }
mkdir -p "$W" "$(dirname "$OUT")"
stage "1/7 datagen: $SCHEMAS schemas x $PER_SCHEMA statements, seed $SEED"
"$S" datagen all --out "$W/data" --seed "$SEED" --schemas "$SCHEMAS" --per-schema "$PER_SCHEMA"
stage "2/7 tokenizer"
"$S" tokenizer --data "$W/data/raw" --out "$W/data/tokenizer.txt"
stage "3/7 tokenize (validation split by schema)"
"$S" tokenize --data "$W/data/raw" --tokenizer "$W/data/tokenizer.txt" --out "$W/data/tokens"
stage "4/7 train: $MODEL_ARGS, $STEPS steps of $BATCH sequences, lr $LR"
# shellcheck disable=SC2086
"$S" train --run "$RUN" --data "$W/data/tokens" --tokenizer "$W/data/tokenizer.txt" \
	$MODEL_ARGS --steps "$STEPS" --batch "$BATCH" --lr "$LR" --seed "$SEED" \
	--eval-every "${EVAL_EVERY:-250}" --ckpt-every "${CKPT_EVERY:-250}"
stage "5/7 export ($DTYPE) -> $OUT"
"$S" export --run "$RUN" --out "$OUT" --dtype "$DTYPE"
cp "$RUN/loss.svg" "${OUT%.*}.loss.svg"
cp "$RUN/metrics.csv" "${OUT%.*}.metrics.csv"
stage "6/7 eval on $EVAL_LIMIT held-out examples (schemas never trained on)"
"$S" eval --model "$OUT" --limit "$EVAL_LIMIT" --json "${OUT%.*}.eval.json" "$W/data/eval.jsonl"
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
