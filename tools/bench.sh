#!/bin/bash
# make bench: runs every benchmark (each writes its table to bench/results/),
# then rewrites the README's results section from those files.
#   BENCH_QUICK=1 tools/bench.sh   fewer repetitions
set -euo pipefail
cd "$(dirname "$0")/.."
B=${SQLPILOT_BUILD:-$PWD/build}
R=bench/results
mkdir -p "$R"
q=${BENCH_QUICK:-0}
step() { printf '\n== [%s] %s\n' "$(date +%H:%M:%S)" "$*"; }

step "machine"
{
	echo "# Machine of the last \`make bench\`"
	echo
	echo "$(date -u '+%Y-%m-%d %H:%M UTC'); $(nproc) vCPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')); load average before: $(cut -d' ' -f1-3 /proc/loadavg); OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-unset}"
} >"$R/machine.md"
cat "$R/machine.md"

step "tokenizer encode/decode speed (build/bench/bench_tokenizer)"
{
	echo "# Tokenizer speed"
	echo
	echo "Command: \`build/bench/bench_tokenizer\` (one thread, SQL-like text it generates)."
	echo
	echo '```'
	"$B/bench/bench_tokenizer"
	echo '```'
} >"$R/tokenizer.md"
cat "$R/tokenizer.md"

step "decode speed (build/bench/bench_decode)"
"$B/bench/bench_decode" --out "$R/decode.md"

step "matrix kernels vs OpenBLAS Haswell/SkylakeX (bench/bench_gemm.py)"
/usr/bin/python3 bench/bench_gemm.py --build "$B"

step "first call on 10,000 tables vs a small schema (bench/bench_catalog_scale.sh)"
rm -rf "$B/install"
make -s install DESTDIR="$B/install" >/dev/null
SQLPILOT_BUILD=$B bench/bench_catalog_scale.sh "$([ "$q" = 1 ] && echo 5 || echo 15)"

step "training speed vs PyTorch (bench/bench_train.py)"
if [ "$q" = 1 ]; then /usr/bin/python3 bench/bench_train.py --build "$B" --quick; else /usr/bin/python3 bench/bench_train.py --build "$B"; fi

step "extension latency (bench/bench_extension.sh)"
rm -rf "$B/install"
make -s install DESTDIR="$B/install" >/dev/null
SQLPILOT_BUILD=$B bench/bench_extension.sh "$([ "$q" = 1 ] && echo 15 || echo 40)"

step "datagen throughput (bench/bench_datagen.sh)"
SQLPILOT_BUILD=$B bench/bench_datagen.sh "$([ "$q" = 1 ] && echo 500 || echo 2000)"

step "README results section"
tools/readme_results.sh
