#!/bin/bash
# Rewrites the part of README.md between the results markers: a short table
# (tools/results_summary.py) from the files in bench/results/ and models/
# (written by `make bench` and `make model`), and links to those files.
set -euo pipefail
cd "$(dirname "$0")/.."
begin='<!-- results:begin (written by make bench; do not edit by hand) -->'
end='<!-- results:end -->'
section=$(mktemp)
{
	echo "$begin"
	echo
	/usr/bin/python3 tools/results_summary.py
	echo
	printf 'Details: '
	sep=''
	for f in machine decode train gemm prefill extension catalog_scale datagen datagen_stats tokenizer; do
		[ -f "bench/results/$f.md" ] || continue
		printf '%s[%s](bench/results/%s.md)' "$sep" "$f" "$f"
		sep=', '
	done
	echo "; the default model: [models/MODEL.md](models/MODEL.md)."
	echo
	echo "$end"
} >"$section"
if grep -qF "$begin" README.md; then
	awk -v b="$begin" -v e="$end" -v f="$section" '
		$0 == b { while ((getline line < f) > 0) print line; skip = 1; next }
		$0 == e { skip = 0; next }
		!skip { print }' README.md >README.md.tmp
else
	{ cat README.md; echo; echo "## Results"; echo; cat "$section"; } >README.md.tmp
fi
mv README.md.tmp README.md
rm -f "$section"
echo "README.md: results section rewritten"
