#!/bin/bash
# crdb_asan.sh — tests/test_crdb.c (the CockroachDB SHOW CREATE parser with
# its garbage, truncation and mutation runs) rebuilt with AddressSanitizer +
# UndefinedBehaviorSanitizer from the sources it needs (core, the schema
# generator, client/crdb.c), then run: any out-of-bounds access, leak or UB
# fails.  TAP.
cd "$(dirname "$0")/.."
T=$(mktemp -d /tmp/sqlpilot_crdb_asan.XXXXXX)
trap 'rm -rf "$T"' EXIT
CFLAGS="-std=gnu11 -O1 -g -march=native -fsanitize=address,undefined -fno-sanitize-recover=all
	-fno-omit-frame-pointer -Icore -I/usr/include/cjson -D_GNU_SOURCE"
BLAS_DIR=/usr/lib/x86_64-linux-gnu/openblas-serial

for f in core/*.c datagen/generator/*.c client/crdb.c; do
	if ! gcc $CFLAGS -c "$f" -o "$T/$(echo "$f" | tr / _).o" 2>>"$T/build.log"; then
		echo "not ok 1 - build the parser and its test with ASan/UBSan"
		sed 's/^/# /' "$T/build.log"
		echo "1..1"
		exit 1
	fi
done
if ! gcc $CFLAGS tests/test_crdb.c "$T"/*.o "$BLAS_DIR/libopenblas.so.0" -Wl,-rpath,"$BLAS_DIR" \
	-lm -o "$T/test_crdb" 2>>"$T/build.log"; then
	echo "not ok 1 - build the parser and its test with ASan/UBSan"
	sed 's/^/# /' "$T/build.log"
	echo "1..1"
	exit 1
fi
echo "ok 1 - build the parser and its test with ASan/UBSan"
SQLPILOT_ROOT=$PWD ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1 \
	"$T/test_crdb" >"$T/out" 2>&1
rc=$?
failed=$(grep -c '^not ok' "$T/out")
if [[ $rc -eq 0 && $failed -eq 0 ]]; then
	echo "ok 2 - test_crdb is clean under ASan/UBSan ($(grep -c '^ok' "$T/out") checks)"
else
	echo "not ok 2 - test_crdb under ASan/UBSan (exit $rc, $failed failed checks)"
	grep -v '^ok' "$T/out" | head -40 | sed 's/^/# /'
fi
echo "1..2"
[[ $rc -eq 0 && $failed -eq 0 ]]
