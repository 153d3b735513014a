#!/bin/bash
# Runs the core and trainer-data test programs under valgrind: any invalid read/write, use of
# uninitialised memory or definite leak fails the suite (one TAP line per program).
# valgrind 3.19 cannot run AVX-512, so these programs get their own build
# without -march=native (AVX2/FMA only) in build/valgrind.  (Run on the native
# build, valgrind stops with SIGILL at the first AVX-512 instruction and
# reports whatever was allocated then as lost: e.g. the 1 MB read buffer of
# trainer_shard_read in test_train_data's test_shard, which is not a leak.)
cd "$(dirname "$0")/.."
command -v valgrind >/dev/null || { echo "not ok - valgrind is not installed"; exit 1; }
BUILD=build/valgrind
NAMES="test_tokenizer test_prompt test_schema test_generate test_model test_infer test_complete test_matvec
	test_train_data test_train_choice"
targets=""
for name in $NAMES; do
	[[ -f tests/$name.c ]] && targets="$targets $BUILD/tests/$name"
done
if ! make -s BUILD=$BUILD OPTFLAGS=-march=haswell $targets >$BUILD.log 2>&1; then
	echo "not ok - building the valgrind test programs (see $BUILD.log)"
	exit 1
fi
export SQLPILOT_TEST_QUICK=1
n=0
for name in $NAMES; do
	bin=$BUILD/tests/$name
	[[ -x $bin ]] || continue
	n=$((n + 1))
	log=$BUILD/test-logs/valgrind-$name.log
	mkdir -p "$(dirname "$log")"
	if timeout 600 valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
		"$bin" >"$log" 2>&1; then
		echo "ok $n - $name is valgrind clean"
	else
		echo "not ok $n - $name under valgrind (see $log)"
		grep -m5 -E '^==[0-9]+==' "$log" | sed 's/^/# /'
	fi
done
[[ $n -gt 0 ]] || echo "# no core test programs built yet"
