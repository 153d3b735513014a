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
[[ -f $BUILD/bench/bench_candidates.o && -f $BUILD/libsqlpilot.a && -f $OTHER/libsqlpilot.a ]] || {
	echo "needs $BUILD/bench/bench_candidates.o, $BUILD/libsqlpilot.a (make tools) and $OTHER/libsqlpilot.a" >&2
	exit 1
}
T=$(mktemp -d /tmp/sqlpilot-bench-candidates-same.XXXXXX)
trap 'rm -rf "$T"' EXIT
LIBS=$(make -C "$ROOT" -s --no-print-directory --eval 'print-cli-libs: ; @echo $(CLI_LIBS)' print-cli-libs)
# shellcheck disable=SC2086
cc -o "$T/before" "$BUILD/bench/bench_candidates.o" "$OTHER/libsqlpilot.a" $LIBS
# shellcheck disable=SC2086
cc -o "$T/after" "$BUILD/bench/bench_candidates.o" "$BUILD/libsqlpilot.a" $LIBS
sed -n '/^cat >"$T\/schema.sql" <<.SQL.$/,/^SQL$/p' "$ROOT/bench/bench_hook.sh" | sed '1d;$d' >"$T/schema.sql"
sed -n '/^cat >"$T\/corpus.sql" <<.SQL.$/,/^SQL$/p' "$ROOT/bench/bench_hook.sh" | sed '1d;$d' >"$T/corpus.sql"
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
