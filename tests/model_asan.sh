#!/bin/bash
# model_asan.sh — the model, inference and completion tests (and so the
# loader fuzz run) rebuilt with AddressSanitizer + UndefinedBehaviorSanitizer
# from the sources, then run: any out-of-bounds read, leak or UB fails.
# (valgrind cannot run the -march=native build: it lacks AVX-512.)  TAP.
cd "$(dirname "$0")/.."
T=$(mktemp -d /tmp/sqlpilot_model_asan.XXXXXX)
trap 'rm -rf "$T"' EXIT
CFLAGS="-std=gnu11 -O1 -g -march=native -fsanitize=address,undefined -fno-sanitize-recover=all
	-fno-omit-frame-pointer -Icore -I/usr/include/cjson -D_GNU_SOURCE"
BLAS_DIR=/usr/lib/x86_64-linux-gnu/openblas-serial
# Every core source: a hand-written list broke each time core gained a file.
SRC=$(ls core/*.c)
n=0
fails=0

for f in $SRC; do
	gcc $CFLAGS -c "$f" -o "$T/$(basename "$f" .c).o" 2>>"$T/build.log" || fails=1
done
n=$((n + 1))
if [[ $fails -ne 0 ]]; then
	echo "not ok $n - build core with ASan/UBSan"
	sed 's/^/# /' "$T/build.log"
	echo "1..$n"
	exit 1
fi
echo "ok $n - build core with ASan/UBSan"
ar rcs "$T/libcore.a" "$T"/*.o

for t in test_model test_infer test_complete; do
	n=$((n + 1))
	if ! gcc $CFLAGS "tests/$t.c" "$T/libcore.a" "$BLAS_DIR/libopenblas.so.0" \
		-Wl,-rpath,"$BLAS_DIR" -lm -o "$T/$t" 2>"$T/$t.build"; then
		echo "not ok $n - $t builds with ASan/UBSan"
		sed 's/^/# /' "$T/$t.build"
		fails=$((fails + 1))
		continue
	fi
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1 \
		"$T/$t" >"$T/$t.out" 2>&1
	rc=$?
	failed=$(grep -c '^not ok' "$T/$t.out")
	if [[ $rc -eq 0 && $failed -eq 0 ]]; then
		echo "ok $n - $t is clean under ASan/UBSan ($(grep -c '^ok' "$T/$t.out") checks)"
	else
		echo "not ok $n - $t under ASan/UBSan (exit $rc, $failed failed checks)"
		grep -v '^ok' "$T/$t.out" | head -40 | sed 's/^/# /'
		fails=$((fails + 1))
	fi
done
echo "1..$n"
[[ $fails -eq 0 ]]
