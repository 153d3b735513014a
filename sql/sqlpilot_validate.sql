-- Whole-statement completions checked by PostgreSQL's parser and parse
-- analysis (what PREPARE does, nothing executed) in a subtransaction that is
-- always rolled back: the valid column, what the check leaves behind
-- (nothing), tables the role may not see, functions that are not built in.
-- The demo's shop database and the default model; grounding off, so the
-- completions do not depend on constrained decoding.
SELECT current_database() AS regress_db \gset
CREATE DATABASE sqlpilot_validate_db;
\c sqlpilot_validate_db
CREATE EXTENSION sqlpilot;
SET sqlpilot.model_path = '$sharedir/extension/sqlpilot_default.model';
SET sqlpilot.grounding = off;
-- greedy completions: the examples below are the check's, not the decoder's
SET sqlpilot.statement_beams = 1;
\getenv abs_srcdir PG_ABS_SRCDIR
\set shop :abs_srcdir '/tools/demo_shop.sql'
\i :shop

-- the valid column: true or false for whole statements; for the ones the
-- token budget cut, false when a name is not in the prompt's schema, else
-- NULL; each agrees with sqlpilot_check on prefix || completion where set
-- (this test's own tables live in a schema the prompt does not show)
CREATE SCHEMA regress;
CREATE TABLE regress.prefixes (prefix text);
INSERT INTO regress.prefixes VALUES ('SELECT * FROM '), ('UPDATE orders SET '), ('DELETE FROM '),
	('SELECT c.full_name, o.total FROM customers c JOIN '), ('INSERT INTO products (');
CREATE TABLE regress.seen AS
	SELECT p.prefix, c.* FROM regress.prefixes p, sqlpilot_completions(p.prefix, 4) c;
SELECT prefix, count(*) AS n, count(*) FILTER (WHERE valid) AS valid,
       count(*) FILTER (WHERE NOT valid) AS invalid, count(*) FILTER (WHERE valid IS NULL) AS unchecked
FROM regress.seen GROUP BY prefix ORDER BY prefix;
SELECT bool_and(valid IS NULL OR valid = sqlpilot_check(prefix || completion)) AS agrees_with_check,
       bool_and(valid IS NOT NULL OR completion !~ ';$') AS null_only_when_not_ended,
       bool_and(valid IS NOT TRUE OR completion ~ ';$') AS true_only_when_ended
FROM regress.seen;
-- a budget of 3 tokens cuts every completion that has not ended: none is
-- known valid; their names are checked (here all exist: NULL)
SET sqlpilot.max_tokens = 3;
SELECT count(*) AS n, count(*) FILTER (WHERE completion !~ ';$') AS cut,
       count(*) FILTER (WHERE completion !~ ';$' AND valid) AS cut_valid,
       count(*) FILTER (WHERE completion !~ ';$' AND NOT valid) AS cut_refused
FROM sqlpilot_completions('UPDATE orders SET ', 4);
-- cut by a budget of 24 tokens, the statement names city, a column of
-- customers, in the column list of products: refused by name
SET sqlpilot.max_tokens = 24;
SELECT completion, valid FROM sqlpilot_completions('INSERT INTO products (', 4)
WHERE kind = 'statement';
-- and a cut greedy completion whose names are refused (total assigned
-- twice) gives way to a beam the check does not refuse (cut too, so not
-- known valid)
SET sqlpilot.validate = off;
SELECT sqlpilot_complete('UPDATE orders SET ') AS greedy \gset
SET sqlpilot.validate = on;
SELECT sqlpilot_complete('UPDATE orders SET ') AS chosen \gset
SELECT :'greedy' AS greedy, :'greedy' !~ ';$' AS greedy_cut, :'chosen' AS chosen,
       :'chosen' <> :'greedy' AS replaced;
RESET sqlpilot.max_tokens;
-- sqlpilot_complete: the greedy completion is kept when the check accepts it
-- and gives way to the best beam the check does not refuse when it is refused
-- (the cut UPDATE above is one refused by name; grounding on, the default) ...
SET sqlpilot.grounding = on;
SET sqlpilot.validate = off;
SELECT sqlpilot_complete('INSERT INTO orders (') AS greedy \gset
SELECT sqlpilot_check('INSERT INTO orders (' || :'greedy') AS greedy_valid \gset
SET sqlpilot.validate = on;
SELECT sqlpilot_complete('INSERT INTO orders (') AS chosen \gset
SELECT (:'chosen' <> :'greedy') = NOT :'greedy_valid'::boolean AS replaced_only_if_refused,
       sqlpilot_check('INSERT INTO orders (' || :'chosen') AS chosen_valid;
-- ... one candidate keeps it ...
SET sqlpilot.candidates = 1;
SELECT sqlpilot_complete('INSERT INTO orders (') = :'greedy' AS one_candidate_keeps_greedy;
RESET sqlpilot.candidates;
SET sqlpilot.grounding = off;
-- ... and so does a refusal of every beam (there is no table customer:
-- whatever the model writes after this prefix, the check refuses it)
SELECT count(*) FILTER (WHERE kind = 'statement') AS statements, count(*) FILTER (WHERE NOT valid) AS refused
FROM sqlpilot_completions('SELECT * FROM customer WHERE ', 4);
SELECT sqlpilot_complete('SELECT * FROM customer WHERE ') AS chosen \gset
SET sqlpilot.validate = off;
SELECT sqlpilot_complete('SELECT * FROM customer WHERE ') = :'chosen' AS all_refused_keeps_greedy,
       sqlpilot_check('SELECT * FROM customer WHERE ' || :'chosen') AS greedy_valid;
SET sqlpilot.validate = on;
-- the setting off: nothing checked
SET sqlpilot.validate = off;
SELECT count(*) AS n, count(valid) AS checked FROM sqlpilot_completions('SELECT * FROM ', 3);
SET sqlpilot.validate = on;

-- sqlpilot_check on statements of every kind
SELECT sqlpilot_check('SELECT * FROM customers WHERE city = ''Lisbon''') AS select_ok,
       sqlpilot_check('SELECT * FROM customer') AS no_table,
       sqlpilot_check('SELECT nope FROM customers') AS no_column,
       sqlpilot_check('SELECT * FROM customers WHERE customer_id = ''abc''') AS bad_literal,
       sqlpilot_check('SELEC 1') AS syntax,
       sqlpilot_check('SELECT 1; SELECT 2') AS two_statements,
       sqlpilot_check('') AS empty,
       sqlpilot_check('INSERT INTO products (sku, name, price) VALUES ($1, $2, 1.5);') AS params_ok,
       sqlpilot_check('SELECT $1 = $2') AS untyped_params,
       sqlpilot_check('MERGE INTO products p USING order_items i ON p.product_id = i.product_id WHEN MATCHED THEN DELETE') AS merge_ok,
       sqlpilot_check('CREATE TABLE t (a int)') AS utility_unchecked,
       sqlpilot_check('DROP TABLE customers') AS drop_unchecked;
SELECT count(*) AS still_there FROM customers;

-- nothing is left behind: no lock on the tables, no transaction id, no
-- subtransaction (the savepoint before is still the innermost one), no
-- error, and the transaction goes on
BEGIN;
INSERT INTO customers (email, full_name) VALUES ('ana@example.com', 'Ana Silva');
SELECT pg_current_xact_id() AS xid \gset
SAVEPOINT before_check;
SELECT count(*) FILTER (WHERE c.valid) > 0 AS some_valid, count(*) FILTER (WHERE NOT c.valid) > 0 AS some_invalid
FROM regress.prefixes p, sqlpilot_completions(p.prefix, 2) c;
SELECT sqlpilot_check('SELECT * FROM orders o JOIN order_items i USING (order_id) JOIN products p USING (product_id)') AS join_ok;
SELECT sqlpilot_check('SELECT * FROM orders WHERE total = ''x''') AS join_bad;
SELECT count(*) AS locks_of_checked_tables FROM pg_locks
WHERE pid = pg_backend_pid() AND locktype = 'relation'
  AND relation IN (SELECT oid FROM pg_class
                   WHERE relnamespace = 'public'::regnamespace AND relname !~ '^customers');
SELECT pg_current_xact_id() = :'xid'::xid8 AS same_xid;
INSERT INTO customers (email, full_name) VALUES ('li@example.com', 'Li Wei');
ROLLBACK TO SAVEPOINT before_check;
SELECT count(*) AS rows_after_rollback_to FROM customers;
COMMIT;
SELECT email FROM customers ORDER BY email;
-- a transaction that only completes gets no transaction id
BEGIN;
SELECT count(*) FILTER (WHERE c.valid) > 0 AS some_valid FROM sqlpilot_completions('DELETE FROM ', 2) c;
SELECT pg_current_xact_id_if_assigned() IS NULL AS no_xid;
COMMIT;
-- a lock the transaction holds itself is kept: the check only drops its own
BEGIN;
LOCK orders IN SHARE MODE;
SELECT sqlpilot_check('SELECT * FROM orders') AS orders_ok;
SELECT array_agg(mode ORDER BY mode) AS orders_locks FROM pg_locks
WHERE pid = pg_backend_pid() AND locktype = 'relation' AND relation = 'orders'::regclass;
COMMIT;
-- outside a transaction block
SELECT sqlpilot_check('SELECT 1') AS ok_again;
-- inside PL/pgSQL: in a loop over a query, and in a block with its own exception handler
DO $$
DECLARE
	r record;
	n int := 0;
BEGIN
	FOR r IN SELECT completion FROM sqlpilot_completions('DELETE FROM ', 2) LOOP
		BEGIN
			n := n + sqlpilot_check('DELETE FROM ' || r.completion)::int;
			PERFORM 1 / 0;
		EXCEPTION WHEN division_by_zero THEN
			n := n + 10;
		END;
	END LOOP;
	RAISE NOTICE 'checked in a loop: %', n;
END $$;

-- a table the role may not see is refused exactly like a missing one
CREATE TABLE payroll (customer_id bigint, salary numeric);
CREATE ROLE sqlpilot_clerk;
GRANT SELECT ON customers TO sqlpilot_clerk;
GRANT SELECT (customer_id, status) ON orders TO sqlpilot_clerk;
GRANT INSERT ON products TO sqlpilot_clerk;
SET ROLE sqlpilot_clerk;
SELECT sqlpilot_check('SELECT * FROM payroll') AS hidden,
       sqlpilot_check('SELECT * FROM payrolls') AS missing,
       sqlpilot_check('SELECT 1 FROM customers c WHERE EXISTS (SELECT 1 FROM payroll p WHERE p.customer_id = c.customer_id)') AS hidden_in_sublink,
       sqlpilot_check('WITH p AS (SELECT * FROM payroll) SELECT count(*) FROM p') AS hidden_in_cte,
       sqlpilot_check('SELECT * FROM (SELECT salary FROM payroll) s') AS hidden_in_subquery,
       sqlpilot_check('SELECT * FROM customers') AS visible,
       sqlpilot_check('SELECT customer_id, status FROM orders') AS granted_columns,
       sqlpilot_check('SELECT total FROM orders') AS other_column,
       sqlpilot_check('DELETE FROM customers') AS no_delete_right,
       sqlpilot_check('INSERT INTO products (sku, name, price) VALUES (''a'', ''b'', 1)') AS insert_right;
-- completions for a prefix naming the hidden table are never valid ...
CREATE TEMP TABLE clerk_seen AS SELECT * FROM sqlpilot_completions('SELECT * FROM payroll WHERE customer_id = ', 4);
SELECT count(*) > 0 AS some, bool_or(valid) IS NOT TRUE AS none_valid FROM clerk_seen;
RESET ROLE;
-- ... while the owner's check passes some of the same texts and the bare statement
SELECT bool_or(sqlpilot_check('SELECT * FROM payroll WHERE customer_id = ' || completion)) AS owner_some_valid,
       sqlpilot_check('SELECT * FROM payroll') AS owner_sees
FROM clerk_seen;
DROP TABLE clerk_seen;

-- functions that are not built in never run during a check: this type's
-- input function takes a session advisory lock (which no rollback releases)
CREATE TYPE evil;
CREATE FUNCTION evil_in(cstring) RETURNS evil LANGUAGE internal IMMUTABLE STRICT AS 'pg_advisory_lock_int8';
CREATE FUNCTION evil_out(evil) RETURNS cstring LANGUAGE internal IMMUTABLE STRICT AS 'int8out';
CREATE TYPE evil (INPUT = evil_in, OUTPUT = evil_out, INTERNALLENGTH = 8, PASSEDBYVALUE, ALIGNMENT = double);
SELECT 'x'::evil IS NOT NULL AS input_ran;
SELECT count(*) AS advisory_locks FROM pg_locks WHERE pid = pg_backend_pid() AND locktype = 'advisory';
SELECT pg_advisory_unlock_all();
SELECT sqlpilot_check('SELECT ''x''::evil') IS NULL AS not_checked,
       sqlpilot_check('SELECT ''{x,y}''::evil[]') IS NULL AS array_not_checked,
       sqlpilot_check('SELECT ''x''::text') AS builtin_ok;
SELECT count(*) AS advisory_locks FROM pg_locks WHERE pid = pg_backend_pid() AND locktype = 'advisory';
-- the hooks are gone after the check: the type works as before
SELECT 'y'::evil IS NOT NULL AS input_runs_again;
SELECT pg_advisory_unlock_all();

RESET ROLE;
\c :regress_db
DROP DATABASE sqlpilot_validate_db;
DROP ROLE sqlpilot_clerk;
