-- A table the prefix names with its schema reaches the prompt when the role
-- may use it, even when that schema is not in scope; and with no table at all
-- in the prompt, completions hold SQL keywords only, never invented names.
LOAD '$libdir/sqlpilot';
CREATE SCHEMA sales;
CREATE SCHEMA vault;
CREATE TABLE public.notes (id int PRIMARY KEY, body text);
CREATE TABLE sales.orders (id int PRIMARY KEY, total numeric(10,2));
CREATE TABLE sales.customers (id int PRIMARY KEY, name text);
CREATE TABLE sales."Big Deals" (id int);
CREATE TABLE vault.secret (code text);
CREATE ROLE sqlpilot_analyst;
GRANT USAGE ON SCHEMA sales TO sqlpilot_analyst;
GRANT SELECT ON public.notes, sales.orders, sales."Big Deals" TO sqlpilot_analyst;
GRANT SELECT ON vault.secret TO sqlpilot_analyst;	-- but no USAGE on vault
SET search_path = public;
SET ROLE sqlpilot_analyst;
-- sales is not on search_path: sales.orders comes in because it is named
SELECT sqlpilot_prompt('SELECT * FROM sales.orders o JOIN sales.');
-- quoted names, and spaces around the dot
SELECT position('CREATE TABLE sales."Big Deals"' IN sqlpilot_prompt('SELECT * FROM "sales" . "Big Deals" ')) > 0 AS quoted_shown;
-- privileges as for any table: no privilege on sales.customers, no USAGE on vault
SELECT position('customers' IN split_part(sqlpilot_prompt('SELECT * FROM sales.customers'), '### STATEMENT', 1)) = 0 AS no_privilege_not_shown;
SELECT position('secret' IN split_part(sqlpilot_prompt('SELECT * FROM vault.secret'), '### STATEMENT', 1)) = 0 AS no_usage_not_shown;
-- named without its schema, a table outside the scope stays out
SELECT position('sales.orders' IN sqlpilot_prompt('SELECT * FROM orders')) = 0 AS unqualified_not_shown;
RESET ROLE;
-- a GRANT reaches the next call
GRANT SELECT ON sales.customers TO sqlpilot_analyst;
SET ROLE sqlpilot_analyst;
SELECT position('CREATE TABLE sales.customers' IN sqlpilot_prompt('SELECT * FROM sales.customers')) > 0 AS shown_after_grant;
RESET ROLE;
-- when the tables do not all fit, a named table outside the scope comes
-- first: over a sweep of budgets, whenever public.notes is in, so is it
CREATE FUNCTION sweep(prefix text)
RETURNS TABLE (n_tables int, has_notes bool, has_orders bool)
LANGUAGE plpgsql AS $$
DECLARE
	p text;
BEGIN
	FOR b IN 16..400 BY 4 LOOP
		PERFORM set_config('sqlpilot.max_prompt_tokens', b::text, true);
		BEGIN
			p := sqlpilot_prompt(prefix);
		EXCEPTION WHEN program_limit_exceeded THEN
			CONTINUE;
		END;
		n_tables := (sqlpilot_stats()->>'last_tables')::int;
		has_notes := position('CREATE TABLE public.notes' IN p) > 0;
		has_orders := position('CREATE TABLE sales.orders' IN p) > 0;
		RETURN NEXT;
	END LOOP;
END $$;
SET sqlpilot.max_tokens = 8;
BEGIN;
SELECT bool_and(NOT has_notes OR has_orders) AS named_first,
       bool_or(has_orders AND NOT has_notes) AS some_only_named,
       bool_or(n_tables = 2) AS some_both
FROM sweep('SELECT * FROM sales.orders o WHERE ');
COMMIT;
RESET sqlpilot.max_tokens;
DROP FUNCTION sweep;

-- no table in the prompt: keep completions to keywords
CREATE ROLE sqlpilot_stranger;
CREATE FUNCTION pg_temp.names_in(prefix text, completion text) RETURNS text[]
LANGUAGE sql AS $$
	SELECT coalesce(array_agg(w), '{}') FROM regexp_matches(
		regexp_replace(prefix || completion, '''[^'']*''', ' ', 'g'),
		'"[^"]*"?|[A-Za-z_\x80-\xff][A-Za-z0-9_$\x80-\xff]*', 'g') m(a), unnest(a) w
	WHERE (w LIKE '"%' OR lower(w) NOT IN (SELECT word FROM pg_get_keywords()))
	  AND position(w IN prefix) = 0
$$;
SET ROLE sqlpilot_stranger;
SELECT sqlpilot_prompt('SELECT ');
SET sqlpilot.max_tokens = 48;
SELECT p, pg_temp.names_in(p, sqlpilot_complete(p)) AS names
FROM unnest(ARRAY['SELECT ', 'SELECT * FROM ', 'INSERT INTO ', 'UPDATE ', 'SELECT count(*) FROM t WHERE ',
				  'DELETE FROM ', 'SELECT id, ']) p;
SELECT bool_and(cardinality(pg_temp.names_in('SELECT * FROM ', completion)) = 0) IS NOT FALSE AS beam_keywords_only
FROM sqlpilot_completions('SELECT * FROM ', 8);
RESET sqlpilot.max_tokens;
RESET ROLE;
RESET search_path;
DROP SCHEMA sales, vault CASCADE;
DROP TABLE public.notes;
DROP ROLE sqlpilot_analyst, sqlpilot_stranger;
