#!/bin/bash
# CPU time of 5 candidates against 1 completion in the core (bench_candidates.c):
# the default model and a 15M-preset model (random weights stored as f16,
# byte-level BPE trained on the schema and a few statements, as
# bench_hook.sh makes it), on bench_hook.sh's schema, warm; writes
# bench/results/candidates.md.  No server needed.
#   bench/bench_candidates.sh [N]        (N turns per prefix, default 20)
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${SQLPILOT_BUILD:-$ROOT/build}
N=${1:-20}
BENCH=$BUILD/bench/bench_candidates
[[ -x $BENCH && -x $BUILD/sqlpilot ]] || {
	echo "needs $BENCH and $BUILD/sqlpilot (make tools)" >&2
	exit 1
}
T=$(mktemp -d /tmp/sqlpilot-bench-candidates.XXXXXX)
trap 'rm -rf "$T"' EXIT
# the schema text and statements of bench_hook.sh
sed -n '/^cat >"$T\/schema.sql" <<.SQL.$/,/^SQL$/p' "$ROOT/bench/bench_hook.sh" | sed '1d;$d' >"$T/schema.sql"
sed -n '/^cat >"$T\/corpus.sql" <<.SQL.$/,/^SQL$/p' "$ROOT/bench/bench_hook.sh" | sed '1d;$d' >"$T/corpus.sql"
cat "$T/schema.sql" >>"$T/corpus.sql"
[[ -s $T/schema.sql && -s $T/corpus.sql ]] || { echo "cannot read bench_hook.sh's schema" >&2; exit 1; }
"$BUILD/sqlpilot" init --preset 15M --seed 1 --corpus "$T/corpus.sql" --dtype f16 --out "$T/15M.model" >/dev/null

out=$ROOT/bench/results/candidates.md
mkdir -p "$(dirname "$out")"
{
	echo "# 5 candidates against 1 completion (core/complete.c), CPU time"
	echo
	echo "$(date -u '+%Y-%m-%d %H:%M UTC'); $(nproc) vCPUs; load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "(other work shares the machine: wall times would partly measure waiting, so CPU time of the"
	echo "process, getrusage, is given).  Warm: the schema's prompt in the KV cache, every call runs the"
	echo "last prompt token and its completion; up to 16 tokens (the hook's length); $N turns per prefix,"
	echo "the three calls of a turn back to back.  ms CPU p50 / p95."
	echo
	echo "- 1: one completion (greedy), what \`sqlpilot_complete()\` and the hook's best statement run."
	echo "- 5 short: 5 candidates as \`sqlpilot_completions(prefix, 5)\`, the hook and eval ask for them now"
	echo "  (\`short_alternatives\`, the default): the greedy completion to the end, then 4 other next words"
	echo "  (branching until each word is finished), each continued greedily until its next clause is decided,"
	echo "  past their words together at most 3/4 of the decode steps of the greedy one; the beams of a step"
	echo "  decode in lockstep (one multi-row step, \`sqlpilot_infer_step_rows\`), the alternatives beside the"
	echo "  greedy completion's steps (the same results as the two searches one after the other)."
	echo "- 5 short, one row at a time: the same search and results, each beam's token its own decode step,"
	echo "  the alternatives after the greedy completion (\`one_row_steps\`, how every search decoded before lockstep)."
	echo "- 5 full: 5 distinct full beams (in lockstep)."
	echo "- rows: token rows run through the model by the call (run state and spare beam states): 1 / 5 short / 5 full."
	echo
	echo "The 15M model has random weights: its greedy completion never ends before 16 tokens, and where an"
	echo "alternative's clause ends depends on the random tokens it picks (latency depends on trained"
	echo "weights only through such stopping points)."
	echo
	echo "Reproduce: \`make tools && bench/bench_candidates.sh $N\`."
	echo
	echo "| model | prefix | 1 | 5 short | 5 short, one row at a time | 5 full | p95 ratio 5 short / 1 | one row at a time / 1 | 5 full / 1 | rows |"
	echo "|---|---|---|---|---|---|---|---|---|---|"
	"$BENCH" "$ROOT/models/sqlpilot_default.model" "$T/schema.sql" "default (trained)" "$N" 16
	"$BENCH" "$T/15M.model" "$T/schema.sql" "15M preset, random f16" "$N" 16
	echo
	echo "Target (#18): 5 candidates p95 <= 2x one completion."
} >"$out"
cat "$out"
