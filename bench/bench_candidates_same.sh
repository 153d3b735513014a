#!/bin/bash
# Whether this tree's core gives the same candidate lists as another build's
# (OTHER_BUILD/libsqlpilot.a, e.g. main's): bench_candidates.c's "list" mode
# (1, 3 and 5 short candidates, 5 full beams, lockstep and one row at a
# time; text, score to 9 digits, tokens) on bench_candidates.sh's prefixes
# and schema, for the default model and a 15M-preset model (random f16),
# linked against each core; prints the diff and exits 1 when they differ.
#   bench/bench_candidates_same.sh OTHER_BUILD [MAX_TOKENS]   (default 16)
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${SQLPILOT_BUILD:-$ROOT/build}
OTHER=${1:?usage: bench_candidates_same.sh OTHER_BUILD [MAX_TOKENS]}
MAXT=${2:-16}
T=$(mktemp -d /tmp/sqlpilot-bench-candidates-same.XXXXXX)
trap 'rm -rf "$T"' EXIT
. "$ROOT/bench/ab_builds.sh"
ab_link "$BUILD/bench/bench_candidates.o" "$OTHER"
ab_hook_fixture
cat "$T/schema.sql" >>"$T/corpus.sql"
"$BUILD/sqlpilot" init --preset 15M --seed 1 --corpus "$T/corpus.sql" --dtype f16 --out "$T/15M.model" >/dev/null
for side in before after; do
	for model in "$ROOT/models/sqlpilot_default.model" "$T/15M.model"; do
		echo "# $(basename "$model")"
		"$T/$side" "$model" "$T/schema.sql" x 1 "$MAXT" list
	done >"$T/$side.txt"
done
if diff "$T/before.txt" "$T/after.txt"; then
	echo "same candidate lists ($(wc -l <"$T/after.txt") lines: 6 prefixes x 2 models x 5 kinds x 2 runs)"
else
	echo "candidate lists differ" >&2
	exit 1
fi
