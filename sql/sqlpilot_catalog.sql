-- The prompt from the live catalog: scope, privileges, invalidation and the
-- choice of tables when they do not all fit.
LOAD '$libdir/sqlpilot';
CREATE SCHEMA shop;
CREATE SCHEMA hr;
CREATE TABLE shop.customers (id int PRIMARY KEY, name text NOT NULL);
CREATE TABLE shop.orders (
	id int PRIMARY KEY,
	customer_id int REFERENCES shop.customers (id),
	placed date NOT NULL DEFAULT current_date
);
CREATE TABLE shop.items (order_id int REFERENCES shop.orders (id), sku text, qty int CHECK (qty > 0),
	UNIQUE (order_id, sku));
CREATE TABLE hr.salaries (employee text PRIMARY KEY, amount numeric(12,2));
CREATE TABLE shop.refunds (id int PRIMARY KEY, salary_ref text REFERENCES hr.salaries (employee));
CREATE TABLE shop.profiles (id int PRIMARY KEY, public_name text, secret text);
CREATE INDEX profiles_lower_idx ON shop.profiles (lower(public_name));

-- the schemas in scope follow search_path ...
SET search_path = hr, public;
SELECT sqlpilot_prompt('SELECT ');
-- ... or sqlpilot.schemas; unknown schemas are ignored
SET sqlpilot.schemas = 'no_such_schema, hr';
SELECT sqlpilot_prompt('SELECT ');
RESET sqlpilot.schemas;
SET search_path = shop, hr, public;
SELECT sqlpilot_prompt('SELECT ') LIKE '%CREATE TABLE shop.customers%CREATE TABLE hr.salaries%' AS both_schemas;

-- a column added (here, or in another session) shows in the very next prompt
ALTER TABLE shop.customers ADD COLUMN vip boolean;
SELECT position('vip BOOL' IN sqlpilot_prompt('SELECT ')) > 0 AS vip_shown;
-- COMMENT fires no invalidation, and needs none: comments are not shown
COMMENT ON TABLE shop.customers IS 'people who buy';
SELECT position('people' IN sqlpilot_prompt('SELECT ')) = 0 AS comment_not_shown;

-- privileges: a role sees only what it may use
CREATE ROLE sqlpilot_clerk;
GRANT USAGE ON SCHEMA shop TO sqlpilot_clerk;
GRANT SELECT ON shop.customers, shop.orders, shop.refunds TO sqlpilot_clerk;
GRANT SELECT (id, public_name) ON shop.profiles TO sqlpilot_clerk;
SET ROLE sqlpilot_clerk;
SELECT sqlpilot_prompt('SELECT ');
-- the same call in a role without any privilege shows no table
RESET ROLE;
CREATE ROLE sqlpilot_nobody;
SET ROLE sqlpilot_nobody;
SELECT sqlpilot_prompt('SELECT ');
RESET ROLE;
-- a GRANT reaches the next call of the role
GRANT INSERT ON shop.items TO sqlpilot_clerk;
SET ROLE sqlpilot_clerk;
SELECT position('shop.items' IN sqlpilot_prompt('SELECT ')) > 0 AS items_after_grant;
RESET ROLE;
REVOKE USAGE ON SCHEMA shop FROM sqlpilot_clerk;
SET ROLE sqlpilot_clerk;
SELECT sqlpilot_prompt('SELECT ') NOT LIKE '%shop.%' AS nothing_without_usage;
RESET ROLE;

-- when the tables do not all fit: named tables first, then their
-- foreign-key neighbours, then the rest; never half a table.  A sweep over
-- budgets checks the rules whatever the exact token counts are: zitems
-- (named) is the smallest table, orders (its neighbour) the next smallest,
-- and both come last in catalog order.
CREATE SCHEMA b;
CREATE TABLE b.orders (id int PRIMARY KEY, placed date, total numeric(10,2), note text,
	status text, shipped date);
CREATE TABLE b.zitems (order_id int REFERENCES b.orders (id));
CREATE TABLE b.accounts (a1 int, a2 int, a3 int, a4 int, a5 int, a6 int, a7 int, a8 text, a9 text,
	a10 date, a11 date, a12 date, a13 date, a14 date);
CREATE TABLE b.ledger (c1 text, c2 text, c3 text, c4 text, c5 text, c6 int, c7 int, c8 int, c9 int,
	c10 date, c11 date, c12 date, c13 date, c14 date);
CREATE FUNCTION sweep(prefix text)
RETURNS TABLE (budget int, tokens int, has_items bool, has_orders bool, has_wide bool,
			   n_tables int, whole bool)
LANGUAGE plpgsql AS $$
DECLARE
	p text;
	s jsonb;
BEGIN
	FOR b IN 16..1000 BY 8 LOOP
		budget := b;
		PERFORM set_config('sqlpilot.max_prompt_tokens', b::text, true);
		BEGIN
			p := sqlpilot_prompt(prefix);
		EXCEPTION WHEN program_limit_exceeded THEN
			CONTINUE;
		END;
		s := sqlpilot_stats();
		tokens := (s->>'last_prompt_tokens')::int;
		n_tables := (s->>'last_tables')::int;
		has_items := p LIKE '%CREATE TABLE b.zitems%';
		has_orders := p LIKE '%CREATE TABLE b.orders%';
		has_wide := p LIKE '%CREATE TABLE b.accounts%' OR p LIKE '%CREATE TABLE b.ledger%';
		whole := n_tables = 0 OR p LIKE E'%)\n\n### STATEMENT\n\n%';
		RETURN NEXT;
	END LOOP;
END $$;
SET sqlpilot.schemas = 'b';
SET sqlpilot.max_tokens = 8;
BEGIN;
SELECT bool_and(tokens <= budget) AS within_budget,
       bool_and(whole) AS whole_tables,
       bool_and(n_tables = 0 OR has_items) AS named_first,
       bool_and(NOT has_wide OR has_orders) AS neighbours_next,
       bool_or(n_tables = 0) AS some_none, bool_or(n_tables = 4) AS some_all,
       bool_or(n_tables = 1) AS some_only_named
FROM sweep('SELECT * FROM zitems JOIN ');
-- quoted names match exactly, unquoted ones case-folded; without a name,
-- catalog order puts zitems last
SELECT bool_and(n_tables = 0 OR has_items) AS unnamed_items_first FROM sweep('SELECT * FROM ');
SELECT bool_and(n_tables = 0 OR has_items) AS quoted_named_first FROM sweep('SELECT * FROM "zitems" JOIN ');
SELECT bool_and(n_tables = 0 OR has_items) AS folded_named_first FROM sweep('SELECT * FROM ZItems JOIN ');
COMMIT;
RESET sqlpilot.schemas;
RESET sqlpilot.max_tokens;
DROP FUNCTION sweep;
DROP SCHEMA b CASCADE;
RESET search_path;
DROP SCHEMA shop, hr CASCADE;
DROP ROLE sqlpilot_clerk, sqlpilot_nobody;
