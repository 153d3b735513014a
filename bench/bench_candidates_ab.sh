#!/bin/bash
# Before/after of bench_candidates.sh on a shared machine: the same bench
# (this tree's bench_candidates.o) linked against another build's core
# (OTHER_BUILD/libsqlpilot.a, e.g. main's) and against this one, run in
# alternating rounds so both see the same load; CPU time per call of 1
# completion (greedy), of the one statement as sqlpilot_complete() decodes it
# (the model's statement beams: 2 on the default model, greedy on 15M) and of
# 5 short candidates, p50/p95 over all rounds, per model and prefix, and the
# p95 ratios 5 / 1 and 5 / statement (#18's target: the latter <= 2).
# Writes bench/results/candidates_ab.md.
#   bench/bench_candidates_ab.sh OTHER_BUILD [ROUNDS [N]]   (N turns per round, default 6 x 5)
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${SQLPILOT_BUILD:-$ROOT/build}
OTHER=${1:?usage: bench_candidates_ab.sh OTHER_BUILD [ROUNDS [N]]}
ROUNDS=${2:-6}
N=${3:-5}
T=$(mktemp -d /tmp/sqlpilot-bench-candidates-ab.XXXXXX)
trap 'rm -rf "$T"' EXIT
. "$ROOT/bench/ab_builds.sh"
ab_link "$BUILD/bench/bench_candidates.o" "$OTHER"
# bench_candidates.sh's schema and 15M model
ab_hook_fixture
cat "$T/schema.sql" >>"$T/corpus.sql"
"$BUILD/sqlpilot" init --preset 15M --seed 1 --corpus "$T/corpus.sql" --dtype f16 --out "$T/15M.model" >/dev/null
load=$(cut -d' ' -f1-3 /proc/loadavg)
for r in $(seq "$ROUNDS"); do
	for side in before after; do
		"$T/$side" "$ROOT/models/sqlpilot_default.model" "$T/schema.sql" x "$N" 16 raw |
			sed "s/^/$side default /" >>"$T/raw"
		"$T/$side" "$T/15M.model" "$T/schema.sql" x "$N" 16 raw | sed "s/^/$side 15M /" >>"$T/raw"
	done
done
out=$ROOT/bench/results/candidates_ab.md
{
	echo "# 5 candidates against 1 completion, before/after alternated (bench_candidates_ab.sh)"
	echo
	echo "$(date -u '+%Y-%m-%d %H:%M UTC'); $(nproc) vCPUs; load average before: $load."
	echo "before: the core of $OTHER; after: this tree's; the same bench, $ROUNDS alternating rounds of $N turns"
	echo "per prefix (each turn: 1 greedy completion, 5 short candidates, then the statement as sqlpilot_complete()"
	echo "decodes it), warm, up to 16 tokens; ms CPU p50 / p95; stmt: the statement (2 beams on the default model)."
	echo
	echo "| model | prefix | 1 before | 1 after | stmt before | stmt after | 5 before | 5 after | p95 5 / 1 before | after | p95 5 / stmt before | after |"
	echo "|---|---|---|---|---|---|---|---|---|---|---|---|"
	/usr/bin/python3 - "$T/raw" <<'PY'
import sys
prefixes = ["UPDATE customers SET ", "SELECT * FROM orders o JOIN ", "SELECT * FROM orders WHERE ",
            "INSERT INTO customers (", "DELETE FROM order_items WHERE ",
            "SELECT o.id, c.email FROM orders o JOIN customers c ON c.id = o.customer_id WHERE "]
d = {}
for line in open(sys.argv[1]):
    side, model, p, calls, ms = line.split()
    d.setdefault((model, int(p), calls, side), []).append(float(ms))
def q(v, f):
    v = sorted(v)
    return v[max(0, min(len(v) - 1, int(f * len(v) + 0.999999) - 1))]
for model in ["default", "15M"]:
    for p, text in enumerate(prefixes):
        c = {(n, s): d[(model, p, n, s)] for n in ["1", "S", "5"] for s in ["before", "after"]}
        cell = lambda k: "%.2f / %.2f" % (q(c[k], 0.5), q(c[k], 0.95))
        r = lambda s, n: q(c[("5", s)], 0.95) / q(c[(n, s)], 0.95)
        print("| %s | `%s` | %s | %s | %s | %s | %s | %s | %.2f | %.2f | %.2f | **%.2f** |" % (
            model, text, cell(("1", "before")), cell(("1", "after")), cell(("S", "before")),
            cell(("S", "after")), cell(("5", "before")), cell(("5", "after")),
            r("before", "1"), r("after", "1"), r("before", "S"), r("after", "S")))
PY
} >"$out"
cat "$out"
