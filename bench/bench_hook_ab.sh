#!/bin/bash
# Before/after of bench_hook.sh's later TAB on a shared machine: the same
# bench (this tree's bench_hook.o) linked against another build's core
# (OTHER_BUILD/libsqlpilot.a, e.g. main's) and against this one, run in
# alternating rounds against one temporary server so both see the same
# load; per model and number of completions the later TAB's wall and CPU
# ms p50/p95 over all rounds.  Writes bench/results/hook_ab.md.
#   bench/bench_hook_ab.sh OTHER_BUILD [ROUNDS [N]]   (N samples per round, default 6 x 20)
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${SQLPILOT_BUILD:-$ROOT/build}
OTHER=${1:?usage: bench_hook_ab.sh OTHER_BUILD [ROUNDS [N]]}
ROUNDS=${2:-6}
N=${3:-20}
PGBIN=$(pg_config --bindir)

. "$ROOT/bench/instance.sh" hook-ab
. "$ROOT/bench/ab_builds.sh"
ab_link "$BUILD/bench/bench_hook.o" "$OTHER"
# bench_hook.sh's schema, corpus, server and 15M model
ab_hook_fixture
"${as_pg[@]}" "$PGBIN/initdb" -D "$T/data" -A trust -E UTF8 --no-locale >/dev/null
cat >>"$T/data/postgresql.conf" <<CONF
listen_addresses = ''
unix_socket_directories = '$T'
port = 5434
CONF
"${as_pg[@]}" "$PGBIN/pg_ctl" -D "$T/data" -l "$T/log" start -w >/dev/null
CONN="host=$T port=5434 dbname=postgres user=postgres"
"$PGBIN/psql" "$CONN" -X -q -v ON_ERROR_STOP=1 -f "$T/schema.sql"
"$BUILD/sqlpilot" init --preset 260K --seq-len 4096 --out "$T/bytes.model" >/dev/null
"$BUILD/sqlpilot" complete --dsn "$CONN" --model "$T/bytes.model" --show-schema "" >>"$T/corpus.sql"
"$BUILD/sqlpilot" init --preset 15M --seed 1 --corpus "$T/corpus.sql" --dtype f16 --out "$T/15M.model" >/dev/null

load=$(cut -d' ' -f1-3 /proc/loadavg)
for r in $(seq "$ROUNDS"); do
	for side in before after; do
		for k in 5 1; do
			"$T/$side" "$CONN" "$T/15M.model" x "$N" "$k" raw | sed "s/^/$side 15M $k /" >>"$T/raw"
			"$T/$side" "$CONN" "$ROOT/models/sqlpilot_default.model" x "$N" "$k" raw |
				sed "s/^/$side default $k /" >>"$T/raw"
		done
	done
done
out=$ROOT/bench/results/hook_ab.md
{
	echo "# Later TAB in the psql hook (client mode), before/after alternated (bench_hook_ab.sh)"
	echo
	echo "$(date -u '+%Y-%m-%d %H:%M UTC'); $(nproc) vCPUs; load average before: $load."
	echo "before: the core of $OTHER; after: this tree's; bench_hook.sh's server, schema and models,"
	echo "$ROUNDS alternating rounds of $N samples; later TAB (the same client after 1 to 49 more characters"
	echo "typed), up to 16 tokens per completion; ms p50 / p95, wall and CPU of the client process."
	echo
	echo "| model | completions | wall before | wall after | CPU before | CPU after | p95 wall after / before |"
	echo "|---|---|---|---|---|---|---|"
	/usr/bin/python3 - "$T/raw" <<'PY'
import sys
d = {}
for line in open(sys.argv[1]):
    side, model, k, what, wall, cpu = line.split()
    if what == "later":
        d.setdefault((model, k, side), []).append((float(wall), float(cpu)))
def q(v, f):
    v = sorted(v)
    return v[max(0, min(len(v) - 1, int(f * len(v) + 0.999999) - 1))]
for model in ["15M", "default"]:
    for k in ["5", "1"]:
        cell = {}
        for side in ["before", "after"]:
            for i, name in enumerate(["wall", "cpu"]):
                v = [s[i] for s in d[(model, k, side)]]
                cell[(name, side)] = (q(v, 0.5), q(v, 0.95))
        f = lambda c: "%.2f / %.2f" % c
        print("| %s | %s | %s | %s | %s | %s | %.2f |" % (
            model, k, f(cell[("wall", "before")]), f(cell[("wall", "after")]),
            f(cell[("cpu", "before")]), f(cell[("cpu", "after")]),
            cell[("wall", "after")][1] / cell[("wall", "before")][1]))
PY
} >"$out"
cat "$out"
