#!/bin/bash
# Latency of sqlpilot_complete() inside PostgreSQL: p50/p95 for the 260K and
# 15M presets (random weights stored as f16, as the shipped model is;
# byte-level BPE trained on a small corpus),
# cold (first call of a new backend) and warm (schema and its KV cache
# reused), on a schema of about 400 prompt tokens.  Starts its own temporary
# server on the staged install ($SQLPILOT_BUILD/install from `make check`, or
# `make install DESTDIR=$SQLPILOT_BUILD/install`) and writes the table to
# bench/results/extension.md.
#   bench/bench_extension.sh [N]        (N calls per mode, default 40)
#   [ROUNDS=R] bench/bench_extension.sh completions [N]
#     warm latency of sqlpilot_completions(prefix, 5) (the best completion
#     and four short alternatives made into words, clauses and a statement)
#     against sqlpilot_complete(prefix): the default model (validate on, the
#     default, and off) and a 15M-preset model (random weights, validate off,
#     16 tokens) on the demo's shop database, per prefix, written to
#     bench/results/extension_completions.md; with ROUNDS (default 1) the
#     pair is measured that many times in turn and each figure is the
#     median of the rounds' (steadier under other load).  With
#     TRAINED_15M=FILE, also that model (a 15M-preset model trained on the
#     default's data: a stand-in whose statements and words have realistic
#     lengths, which random weights do not), validate on and off, the
#     product's token budget.
#   bench/bench_extension.sh validate [N]
#     warm latency with sqlpilot.validate off and on: the default model on the
#     demo's shop database (tools/demo_shop.sql), per prefix, written to
#     bench/results/extension_validate.md (random weights never end a
#     statement, so nothing would be checked).
#   bench/bench_extension.sh cold-ab OTHER_INSTALL [ROUNDS [N]]
#     cold latency of the 15M preset with nothing cached (prompt cache off,
#     no preload, 16 tokens), this build's staged install against another
#     (OTHER_INSTALL: the DESTDIR of `make install` of, say, main), one
#     server restarted with extension_destdir pointing at each in turn:
#     other, this, other, this ... ROUNDS times (default 3), N cold calls
#     each (default 20); prints one line per run (not written to results/).
# Random weights never stop early, so every call generates exactly
# sqlpilot.max_tokens tokens: 16 (a typical completion length), and 1 to show
# what a call costs besides decoding.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${SQLPILOT_BUILD:-$ROOT/build}
MODE=latency
if [[ ${1:-} == validate || ${1:-} == completions ]]; then
	MODE=$1
	shift
fi
if [[ ${1:-} == cold-ab ]]; then
	MODE=cold-ab
	OTHER=$(cd "${2:?usage: bench_extension.sh cold-ab OTHER_INSTALL [ROUNDS [N]]}" && pwd)
	ROUNDS=${3:-3}
	shift 3 || shift $#
	N=${1:-20}
	[[ -f $OTHER$(pg_config --pkglibdir)/sqlpilot.so ]] || {
		echo "no sqlpilot.so staged under $OTHER" >&2
		exit 1
	}
fi
[[ $MODE == cold-ab ]] || N=${1:-40}
ROUNDS=${ROUNDS:-1}
PGBIN=$(pg_config --bindir)
BENCH=$BUILD/bench/bench_extension
[[ -x $BENCH && -x $BUILD/sqlpilot && -d $BUILD/install ]] || {
	echo "needs $BENCH, $BUILD/sqlpilot and $BUILD/install (make tools; make install DESTDIR=$BUILD/install)" >&2
	exit 1
}

. "$ROOT/bench/instance.sh" ext

cat >"$T/schema.sql" <<'EOF'
CREATE TABLE customers (id bigserial PRIMARY KEY, email varchar(200) NOT NULL UNIQUE,
	name text NOT NULL, created_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE products (id serial PRIMARY KEY, sku varchar(32) NOT NULL UNIQUE, title text NOT NULL,
	price numeric(10,2) NOT NULL CHECK (price >= 0), stock int NOT NULL DEFAULT 0);
CREATE TABLE orders (id bigserial PRIMARY KEY, customer_id bigint NOT NULL REFERENCES customers (id),
	status varchar(16) NOT NULL DEFAULT 'new', placed_at timestamptz NOT NULL DEFAULT now());
CREATE INDEX orders_customer_idx ON orders (customer_id, placed_at DESC);
CREATE TABLE order_items (order_id bigint NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
	product_id int NOT NULL REFERENCES products (id), qty int NOT NULL CHECK (qty > 0),
	PRIMARY KEY (order_id, product_id));
EOF
cat >"$T/corpus.sql" <<'EOF'
SELECT * FROM customers WHERE email = 'a@example.com';
SELECT o.id, c.email FROM orders o JOIN customers c ON c.id = o.customer_id WHERE o.status = 'new';
SELECT p.title, sum(i.qty) FROM order_items i JOIN products p ON p.id = i.product_id GROUP BY p.title;
DELETE FROM order_items WHERE order_id = 9;
UPDATE products SET stock = stock - 1 WHERE id = 3;
EOF
"${as_pg[@]}" "$PGBIN/initdb" -D "$T/data" -A trust -E UTF8 --no-locale >/dev/null
cat >>"$T/data/postgresql.conf" <<EOF
listen_addresses = ''
unix_socket_directories = '$T'
port = 5433
extension_destdir = '$BUILD/install'
include_if_exists = 'bench.conf'
EOF
CONN="host=$T port=5433 dbname=postgres user=postgres"
psql() { "$PGBIN/psql" "$CONN" -X -q -v ON_ERROR_STOP=1 "$@"; }
# (Re)starts the server with the given extra settings.
restart() {
	printf '%s\n' "$@" >"$T/data/bench.conf"
	"${as_pg[@]}" "$PGBIN/pg_ctl" -D "$T/data" stop -m fast >/dev/null 2>&1 || true
	"${as_pg[@]}" "$PGBIN/pg_ctl" -D "$T/data" -l "$T/log" start -w >/dev/null
}
restart

# validate mode: per prefix, warm p50/p95 with the check off, on (greedy,
# then sqlpilot.candidates beams when the check refuses it) and on with 8
# candidates; the prefixes' greedy completions pass or fail the check, so
# both paths are timed.
bench_validate() {
	local model=$BUILD/install$(pg_config --sharedir)/extension/sqlpilot_default.model
	local prefixes=("SELECT * FROM orders WHERE " "UPDATE products SET "
		"INSERT INTO customers (" "SELECT o.order_id, c.email FROM orders o JOIN customers c ON ")
	local out=$ROOT/bench/results/extension_validate.md
	[[ -f $model ]] || { echo "needs the default model staged in $BUILD/install" >&2; exit 1; }
	psql -c 'CREATE EXTENSION sqlpilot' -f "$ROOT/tools/demo_shop.sql" >/dev/null
	{
		echo "# sqlpilot_complete() with and without the check (sqlpilot.validate)"
		echo
		echo "$(date -u +%F), $(nproc) vCPUs, load average $(cut -d' ' -f1-3 /proc/loadavg) at the start;"
		echo "the default model, the demo's shop database, sqlpilot.grounding = ${GROUNDING:-on},"
		echo "warm calls (one backend, the schema's KV cache reused), $N calls per cell, wall ms"
		echo "(backend CPU p95 in parentheses).  Greedy: what the check says of the greedy completion"
		echo "(t: one check; f: the check refused it, so the beams run and are checked)."
		echo
		echo "Reproduce: \`make tools && make install DESTDIR=\$PWD/build/install && bench/bench_extension.sh validate $N\`."
		echo
		echo "| prefix | greedy | off p50 / p95 | on p50 / p95 | on, 8 candidates p50 / p95 |"
		echo "|---|---|---|---|---|"
	} >"$T/table.md"
	for prefix in "${prefixes[@]}"; do
		local cells=() greedy
		greedy=$(psql -At -c "SET sqlpilot.grounding = ${GROUNDING:-on}" -c "SET sqlpilot.validate = off" \
			-c "SELECT sqlpilot_check('$prefix' || sqlpilot_complete('$prefix'))")
		for setting in "off 4" "on 4" "on 8"; do
			read -r validate candidates <<<"$setting"
			res=$("$BENCH" --warm "$CONN" "$N" "SET sqlpilot.grounding = ${GROUNDING:-on}; SET sqlpilot.validate = $validate; SET sqlpilot.candidates = $candidates" "$prefix")
			echo "$prefix / $setting:" $res >&2
			cells+=("$(echo "$res" | awk '$1 == "warm" {print $3 " / " $5}') ($(echo "$res" | awk '$1 == "warm_cpu" {print $5}'))")
		done
		echo "| \`$prefix\` | ${greedy:-null} | ${cells[0]} | ${cells[1]} | ${cells[2]} |" >>"$T/table.md"
	done
	cp "$T/table.md" "$out"
	cat "$out"
}
if [[ $MODE == validate ]]; then
	bench_validate
	exit 0
fi

# completions mode: per prefix, warm p50/p95 of sqlpilot_complete() and of
# sqlpilot_completions(prefix, 5), and the ratio of their p95s (wall and CPU).
bench_completions() {
	local model=$BUILD/install$(pg_config --sharedir)/extension/sqlpilot_default.model
	local prefixes=("UPDATE customers SET " "SELECT * FROM orders o JOIN "
		"SELECT * FROM orders WHERE " "INSERT INTO customers (" "DELETE FROM order_items WHERE ")
	local out=$ROOT/bench/results/extension_completions.md
	[[ -f $model ]] || { echo "needs the default model staged in $BUILD/install" >&2; exit 1; }
	psql -c 'CREATE EXTENSION sqlpilot' -f "$ROOT/tools/demo_shop.sql" >/dev/null
	cat "$ROOT/tools/demo_shop.sql" >>"$T/corpus.sql"
	"$BUILD/sqlpilot" init --preset 15M --seed 1 --corpus "$T/corpus.sql" --dtype f16 --out "$T/15M.model" >/dev/null
	chmod 644 "$T/15M.model"
	if [[ -n ${TRAINED_15M:-} ]]; then
		cp "$TRAINED_15M" "$T/15M_trained.model"
		chmod 644 "$T/15M_trained.model"
	fi
	{
		echo "# sqlpilot_completions(prefix, 5) against sqlpilot_complete(prefix)"
		echo
		echo "$(date -u +%F), $(nproc) vCPUs, load average $(cut -d' ' -f1-3 /proc/loadavg) at the start;"
		echo "the demo's shop database, grounding on, warm calls (one backend, the schema's KV cache reused),"
		echo "$N calls per cell and round, the two functions measured back to back per prefix, $ROUNDS round(s)"
		echo "(each figure the median of the rounds' figures); wall ms (backend CPU p95 in"
		echo "parentheses; on a shared machine the CPU ratio is the one to read)."
		echo "Target: completions p95 <= 2x complete p95.  sqlpilot_complete() decodes its statement as"
		echo "sqlpilot.statement_beams says (0, the default: 2 beams for models of 1M to 2M parameters, so the"
		echo "default model, greedy above); the \"greedy\" rows set it to 1, the single completion as it was."
		echo "With validate on, sqlpilot_complete() runs 4 full beams after a greedy completion the check"
		echo "refuses, and sqlpilot_completions() checks its statement.  The 15M model has random weights"
		echo "(seed 1, f16, BPE trained on the schema and statements), validate off (its random statements"
		echo "always fail the check) and 16 tokens (it never ends a statement before its budget)."
		[[ -z ${TRAINED_15M:-} ]] || echo "\"15M trained\": $(basename "$TRAINED_15M") (TRAINED_15M), greedy, the product's 64 tokens."
		echo
		echo "Reproduce: \`make tools && make install DESTDIR=\$PWD/build/install && ${TRAINED_15M:+TRAINED_15M=$TRAINED_15M }ROUNDS=$ROUNDS bench/bench_extension.sh completions $N\`."
		echo
		echo "| model | prefix | complete p50 / p95 (CPU p95) | completions(5) p50 / p95 (CPU p95) | p95 ratio wall (CPU) |"
		echo "|---|---|---|---|---|"
	} >"$T/table.md"
	local runs=("default, validate on|SELECT 1"
		"default, validate off|SET sqlpilot.validate = off"
		"default, validate off, greedy|SET sqlpilot.validate = off; SET sqlpilot.statement_beams = 1"
		"15M random, validate off|SET sqlpilot.model_path = '$T/15M.model'; SET sqlpilot.validate = off; SET sqlpilot.max_tokens = 16")
	[[ -z ${TRAINED_15M:-} ]] || runs+=("15M trained, validate on|SET sqlpilot.model_path = '$T/15M_trained.model'"
		"15M trained, validate off|SET sqlpilot.model_path = '$T/15M_trained.model'; SET sqlpilot.validate = off")
	for run in "${runs[@]}"; do
		local label=${run%%|*} setup=${run#*|}
		for prefix in "${prefixes[@]}"; do
			local one five r
			: >"$T/rounds"
			for r in $(seq "$ROUNDS"); do
				one=$("$BENCH" --warm "$CONN" "$N" "$setup" "$prefix")
				five=$("$BENCH" --warm --query 'SELECT count(*) FROM sqlpilot_completions($1, 5)' "$CONN" "$N" "$setup" "$prefix")
				echo "$label / $prefix: complete" $one "/ completions" $five >&2
				printf '%s\n' "$one" | sed 's/^/1 /' >>"$T/rounds"
				printf '%s\n' "$five" | sed 's/^/5 /' >>"$T/rounds"
			done
			# each figure the median over the rounds (one round: the figure itself)
			/usr/bin/python3 - "$T/rounds" "$label" "$prefix" >>"$T/table.md" <<'PY'
import statistics, sys
d = {}
for line in open(sys.argv[1]):
    f = line.split()
    d.setdefault((f[0], f[1]), []).append((float(f[3]), float(f[5])))
m = lambda k, i: statistics.median(x[i] for x in d[k])
print("| %s | `%s` | %.2f / %.2f (%.2f) | %.2f / %.2f (%.2f) | %.2f (%.2f) |" % (
    sys.argv[2], sys.argv[3], m(("1", "warm"), 0), m(("1", "warm"), 1), m(("1", "warm_cpu"), 1),
    m(("5", "warm"), 0), m(("5", "warm"), 1), m(("5", "warm_cpu"), 1),
    m(("5", "warm"), 1) / m(("1", "warm"), 1), m(("5", "warm_cpu"), 1) / m(("1", "warm_cpu"), 1)))
PY
		done
	done
	cp "$T/table.md" "$out"
	cat "$out"
}
if [[ $MODE == completions ]]; then
	bench_completions
	exit 0
fi

psql -c 'CREATE EXTENSION sqlpilot' -f "$T/schema.sql"

# The models' BPE is trained, like the real one, on rendered schemas: the
# prompt as a byte-level model sees it, plus a few statements.
"$BUILD/sqlpilot" init --preset 260K --seq-len 4096 --out "$T/bytes.model" >/dev/null
chmod 644 "$T/bytes.model"
psql -At -c "SET sqlpilot.model_path = '$T/bytes.model'" -c "SELECT sqlpilot_prompt('')" >>"$T/corpus.sql"
for preset in 260K 15M; do
	"$BUILD/sqlpilot" init --preset $preset --seed 1 --corpus "$T/corpus.sql" --dtype f16 --out "$T/$preset.model" >/dev/null
done
chmod 644 "$T"/*.model

PREFIXES=("SELECT * FROM orders WHERE " "SELECT c.email FROM customers c JOIN "
	"UPDATE products SET " "DELETE FROM order_items WHERE ")

# cold-ab mode: alternated cold runs of the two builds (see the top).
if [[ $MODE == cold-ab ]]; then
	setup="SET sqlpilot.model_path = '$T/15M.model'; SET sqlpilot.max_tokens = 16; SET sqlpilot.prompt_cache_files = 0"
	echo "# cold 15M, nothing cached, $N calls per run; $(date -u +%FT%TZ), load average $(cut -d' ' -f1-3 /proc/loadavg)"
	for round in $(seq "$ROUNDS"); do
		for build in "$OTHER" "$BUILD/install"; do
			restart "extension_destdir = '$build'"
			# untimed: the model's snapshot in pg_stat_tmp is made once per server
			psql -At -c "$setup" -c "SELECT sqlpilot_complete('${PREFIXES[0]}') IS NOT NULL" >/dev/null
			res=$("$BENCH" --cold "$CONN" "$N" "$setup" "${PREFIXES[@]}")
			echo "round $round $([[ $build == "$OTHER" ]] && echo other || echo this):" \
				$(echo "$res" | awk '{printf "%s p50 %s p95 %s; ", $1, $3, $5}') \
				"load $(cut -d' ' -f1 /proc/loadavg)"
		done
	done
	exit 0
fi
out=$ROOT/bench/results/extension.md
mkdir -p "$(dirname "$out")"
{
	echo "# sqlpilot_complete() latency inside PostgreSQL 15"
	echo
	echo "$(date -u +%F), $(nproc) vCPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')),"
	echo "load average $(cut -d' ' -f1-3 /proc/loadavg) at the start (other work on the machine"
	echo "inflates wall times; the backend's on-CPU time, from /proc/PID/schedstat, does not count"
	echo "waiting), matrix kernels of core/gemm.c (path ${SQLPILOT_GEMM:-auto}; no BLAS in the backend), $N calls per mode,"
	echo "random weights (seed 1); random weights never stop early, so every call generates exactly"
	echo "sqlpilot.max_tokens tokens; prefixes cycling over ${#PREFIXES[@]} statements."
	echo
	echo "- Cold: the first call in a new backend (connection set-up not counted): library loaded,"
	echo "  model mapped, catalog read, the whole prompt run."
	echo "- Warm: the same backend again: schema text and its KV cache reused; only the prefix"
	echo "  and the generated tokens run."
	echo "- Prompt cache: on (the default, \`sqlpilot.prompt_cache_files\`), a cold backend starts from"
	echo "  the schema prompt's KV cache that an earlier session left in pg_stat_tmp/sqlpilot (written"
	echo "  here by the untimed call before each row); off, it runs the whole prompt through the model."
	echo "- Preload: \`shared_preload_libraries = '\$libdir/sqlpilot'\`: the postmaster loads the"
	echo "  library and maps the model (its verified snapshot) named by sqlpilot.model_path in"
	echo "  postgresql.conf; backends inherit both."
	echo
	echo "Reproduce: \`make tools && make install DESTDIR=\$PWD/build/install && bench/bench_extension.sh $N\`."
	echo
	echo "| model | prompt tokens | max_tokens | preload | prompt cache | cold p50 / p95 ms (CPU p95) | warm p50 / p95 ms (CPU p95) | target p95 |"
	echo "|---|---|---|---|---|---|---|---|"
} >"$T/table.md"
for run in "260K 16 no on" "260K 16 no off" "260K 16 yes on" "260K 1 no on" \
	"15M 16 no on" "15M 16 no off" "15M 16 yes on" "15M 16 yes off" "15M 1 no on"; do
	read -r preset max_tokens preload cache <<<"$run"
	target="warm <= 3"
	[[ $preset == 15M ]] && target="warm <= 15, cold <= 80"
	setup="SET sqlpilot.max_tokens = $max_tokens"
	[[ $cache == off ]] && setup="$setup; SET sqlpilot.prompt_cache_files = 0"
	if [[ $preload == yes ]]; then
		restart "shared_preload_libraries = '\$libdir/sqlpilot'" "sqlpilot.model_path = '$T/$preset.model'"
	else
		restart
		setup="SET sqlpilot.model_path = '$T/$preset.model'; $setup"
	fi
	tokens=$(psql -At -c "$setup" -c "SELECT sqlpilot_complete('${PREFIXES[0]}') IS NOT NULL" \
		-c "SELECT format('%s (%s/%s tables)', s->>'last_prompt_tokens', s->>'last_tables',
			s->>'last_tables_total') FROM sqlpilot_stats() s" | tail -1)
	res=$("$BENCH" "$CONN" "$N" "$setup" "${PREFIXES[@]}")
	echo "$run:" $res >&2
	field() { echo "$res" | awk -v m="$1" -v f="$2" '$1 == m {print $f}'; }
	echo "| $preset | $tokens | $max_tokens | $preload | $cache | $(field cold 3) / $(field cold 5) ($(field cold_cpu 5)) |" \
		"$(field warm 3) / $(field warm 5) ($(field warm_cpu 5)) | $target |" >>"$T/table.md"
done
cp "$T/table.md" "$out"
cat "$out"
