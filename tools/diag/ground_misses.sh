#!/bin/sh
# Builds tools/diag/ground_misses.c against build/libsqlpilot.a and prints the
# identifiers eval counts as hallucinated in grounded completions (a
# diagnostic for docs/grounding.md, not part of the test suite).
# usage: tools/diag/ground_misses.sh [EVAL.jsonl] [LIMIT] [CUTS]
set -e
cd "$(dirname "$0")/../.."
make -s all tools
cc -O2 -Icore -Ieval -I/usr/include/cjson -D_GNU_SOURCE -o build/ground_misses \
	tools/diag/ground_misses.c build/libsqlpilot.a /usr/lib/x86_64-linux-gnu/openblas-serial/libopenblas.so.0 -Wl,-rpath,/usr/lib/x86_64-linux-gnu/openblas-serial \
	-lpq -lcjson -lcurl -lm -lpthread
build/ground_misses models/sqlpilot_default.model "${1:-/tmp/import_out/eval.jsonl}" "${2:-100}" "${3:-4}"
