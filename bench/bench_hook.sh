#!/bin/bash
# Latency of TAB in sqlpilot-psql's client mode (the model runs in psql):
# the first TAB of a new psql (model load, schema read over the connection,
# prompt, completion) and later TABs, p50/p95, for the default model and a
# 15M-preset model (random weights stored as f16, byte-level BPE trained on
# the rendered schema and a few statements, as bench_extension.sh makes it),
# on bench_extension.sh's schema (about 400 prompt tokens).  Starts its own
# temporary server (no extension) and writes bench/results/hook.md.
#   bench/bench_hook.sh [N]        (N samples per measure, default 20)
# Random weights never stop early: the best completion generates 16 tokens (the
# short alternatives finish their next word, then stop where their clause is
# decided, within 3/4 of that; all of them decode in lockstep).
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${SQLPILOT_BUILD:-$ROOT/build}
N=${1:-20}
PGBIN=$(pg_config --bindir)
BENCH=$BUILD/bench/bench_hook
[[ -x $BENCH && -x $BUILD/sqlpilot ]] || {
	echo "needs $BENCH and $BUILD/sqlpilot (make tools)" >&2
	exit 1
}

. "$ROOT/bench/instance.sh" hook

cat >"$T/schema.sql" <<'SQL'
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
SQL
cat >"$T/corpus.sql" <<'SQL'
SELECT * FROM customers WHERE email = 'a@example.com';
SELECT o.id, c.email FROM orders o JOIN customers c ON c.id = o.customer_id WHERE o.status = 'new';
SELECT p.title, sum(i.qty) FROM order_items i JOIN products p ON p.id = i.product_id GROUP BY p.title;
DELETE FROM order_items WHERE order_id = 9;
UPDATE products SET stock = stock - 1 WHERE id = 3;
SQL
"${as_pg[@]}" "$PGBIN/initdb" -D "$T/data" -A trust -E UTF8 --no-locale >/dev/null
cat >>"$T/data/postgresql.conf" <<CONF
listen_addresses = ''
unix_socket_directories = '$T'
port = 5434
CONF
"${as_pg[@]}" "$PGBIN/pg_ctl" -D "$T/data" -l "$T/log" start -w >/dev/null
CONN="host=$T port=5434 dbname=postgres user=postgres"
"$PGBIN/psql" "$CONN" -X -q -v ON_ERROR_STOP=1 -f "$T/schema.sql"

# the 15M model's BPE is trained on the schema as the client renders it
"$BUILD/sqlpilot" init --preset 260K --seq-len 4096 --out "$T/bytes.model" >/dev/null
"$BUILD/sqlpilot" complete --dsn "$CONN" --model "$T/bytes.model" --show-schema "" >>"$T/corpus.sql"
"$BUILD/sqlpilot" init --preset 15M --seed 1 --corpus "$T/corpus.sql" --dtype f16 --out "$T/15M.model" >/dev/null
# bytes of the schema text each model gets (a context too short for every table gets a choice)
bytes_default=$("$BUILD/sqlpilot" complete --dsn "$CONN" --model "$ROOT/models/sqlpilot_default.model" \
	--show-schema "" | wc -c)
bytes_15m=$("$BUILD/sqlpilot" complete --dsn "$CONN" --model "$T/15M.model" --show-schema "" | wc -c)

out=$ROOT/bench/results/hook.md
mkdir -p "$(dirname "$out")"
{
	echo "# TAB latency of sqlpilot-psql in client mode"
	echo
	echo "$(date -u '+%Y-%m-%d %H:%M UTC'); $(nproc) vCPUs; load average before: $(cut -d' ' -f1-3 /proc/loadavg)."
	echo "Schema: bench_extension.sh's 4 tables, rendered $bytes_15m bytes for the 15M model (all of them),"
	echo "$bytes_default for the default model (its 512-token context takes a choice of them);"
	echo "5 completions (the hook's default, SQLPILOT_PSQL_N), 3 or 1, of up to 16 tokens per TAB; $N samples per row; ms (wall, and CPU time of the client process)."
	echo "At the prompt (before any TAB, psql idle): a new client on an open connection (psql's): model file loaded and checked,"
	echo "\`version()\` and the catalog queries, the schema part of the prompt run through the model (sqlpilot_client_warm). First TAB: the typed text run, completion."
	echo "Later TAB: the same client after 1 to 49 more characters typed: the schema's KV cache reused."
	echo
	echo "| model | completions (beam) | measure | p50 | p95 | CPU p50 | CPU p95 |"
	echo "|---|---|---|---|---|---|---|"
	for k in 5 3 1; do
		"$BENCH" "$CONN" "$ROOT/models/sqlpilot_default.model" "default (trained)" "$N" $k
		"$BENCH" "$CONN" "$T/15M.model" "15M preset, random f16" "$N" $k
	done
	echo
	echo "Targets: later TABs <= 15 ms p95 (15M), first TAB <= 100 ms."
} >"$out"
cat "$out"
