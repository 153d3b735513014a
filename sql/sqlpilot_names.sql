-- Names that need quotes: index keys are quoted once, and the prefix's names
-- are read with PostgreSQL's rules ("" inside quotes, unquoted folded to lower
-- case) when choosing tables.
LOAD '$libdir/sqlpilot';
CREATE SCHEMA names;
SET search_path = names, public;
CREATE TABLE "Users" ("UserId" int PRIMARY KEY, "Email Address" text, "select" int);
CREATE UNIQUE INDEX users_email ON "Users" ("Email Address" DESC, "select");
CREATE INDEX users_lower ON "Users" (lower("Email Address"));
SELECT sqlpilot_prompt('SELECT ');
DROP TABLE "Users";

-- a budget sweep over three tables of the same size, in catalog order
-- "Accounts", "we""ird", "zEbra": wherever "Accounts" is in the prompt, a
-- table named in the prefix is too (named tables come first); a table not
-- named is left out at the budgets where only "Accounts" fits
CREATE TABLE "Accounts" (a1 int, a2 int, a3 int, a4 int, a5 int, a6 int, a7 int, a8 text);
CREATE TABLE "we""ird" (a1 int, a2 int, a3 int, a4 int, a5 int, a6 int, a7 int, a8 text);
CREATE TABLE "zEbra" (a1 int, a2 int, a3 int, a4 int, a5 int, a6 int, a7 int, a8 text);
CREATE FUNCTION sweep(prefix text, wanted text)
RETURNS TABLE (n_tables int, has_accounts bool, has_wanted bool)
LANGUAGE plpgsql AS $$
DECLARE
	p text;
BEGIN
	FOR b IN 16..600 BY 8 LOOP
		PERFORM set_config('sqlpilot.max_prompt_tokens', b::text, true);
		BEGIN
			p := sqlpilot_prompt(prefix);
		EXCEPTION WHEN program_limit_exceeded THEN
			CONTINUE;
		END;
		n_tables := (sqlpilot_stats()->>'last_tables')::int;
		has_accounts := position('CREATE TABLE names."Accounts"' IN p) > 0;
		has_wanted := position(wanted IN p) > 0;
		RETURN NEXT;
	END LOOP;
END $$;
SET sqlpilot.max_tokens = 8;
BEGIN;
SELECT bool_and(NOT has_accounts OR has_wanted) AS quoted_with_doubled_quote,
       bool_or(n_tables = 1) AS some_single, bool_or(n_tables = 3) AS some_all
FROM sweep('SELECT * FROM "we""ird" w JOIN ', 'CREATE TABLE names."we""ird"');
SELECT bool_and(NOT has_accounts OR has_wanted) AS quoted_schema_and_table
FROM sweep('SELECT * FROM "names" . "we""ird" JOIN ', 'CREATE TABLE names."we""ird"');
SELECT bool_and(NOT has_accounts OR has_wanted) AS quoted_exact_case
FROM sweep('SELECT * FROM "zEbra" JOIN ', 'CREATE TABLE names."zEbra"');
-- unquoted zEbra folds to zebra, which names no table
SELECT bool_and(NOT has_accounts OR has_wanted) AS unquoted_named
FROM sweep('SELECT * FROM zEbra JOIN ', 'CREATE TABLE names."zEbra"');
-- a name inside a string literal or a comment names nothing
SELECT bool_and(NOT has_accounts OR has_wanted) AS literal_named
FROM sweep(E'SELECT \'"we""ird"\', 1 -- "we""ird"\n FROM ', 'CREATE TABLE names."we""ird"');
COMMIT;
RESET sqlpilot.max_tokens;
DROP FUNCTION sweep;
RESET search_path;
DROP SCHEMA names CASCADE;
