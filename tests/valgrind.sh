#!/bin/bash
# Runs the core test programs under valgrind: any invalid read/write, use of
# uninitialised memory or definite leak fails the suite (one TAP line per program).
cd "$(dirname "$0")/.."
BUILD=${SQLPILOT_BUILD:-build}
command -v valgrind >/dev/null || { echo "not ok - valgrind is not installed"; exit 1; }
export SQLPILOT_TEST_QUICK=1
n=0
for name in test_tokenizer test_prompt test_schema test_model test_infer test_complete; do
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
