#!/bin/bash
# Rewrites the part of README.md between the results markers from the files
# in bench/results/ and models/ (written by `make bench` and `make model`).
set -euo pipefail
cd "$(dirname "$0")/.."
begin='<!-- results:begin (written by make bench; do not edit by hand) -->'
end='<!-- results:end -->'
section=$(mktemp)
{
	echo "$begin"
	for f in machine decode train extension datagen tokenizer; do
		[ -f "bench/results/$f.md" ] || continue
		echo
		# demote the file's title by two levels so it nests under "Results"
		sed -e 's/^# /### /' "bench/results/$f.md"
	done
	if [ -f models/sqlpilot_default.eval.json ]; then
		echo
		/usr/bin/python3 tools/eval_table.py models/sqlpilot_default.eval.json | sed -e 's/^# /### /'
	fi
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
