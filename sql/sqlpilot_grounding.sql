-- sqlpilot.grounding: with constrained decoding off, the default model names
-- columns the table does not have (the demo's shop database, as in issue
-- 15); with it on, every column it names exists.  The check compares the
-- names in the completion's column list with pg_attribute.
SELECT current_database() AS regress_db \gset
CREATE DATABASE sqlpilot_grounding_db;
\c sqlpilot_grounding_db
CREATE EXTENSION sqlpilot;
SET sqlpilot.model_path = '$sharedir/extension/sqlpilot_default.model';
-- the completion of the greedy decoder alone, not a beam chosen by the check
SET sqlpilot.validate = off;
\getenv abs_srcdir PG_ABS_SRCDIR
\set shop :abs_srcdir '/tools/demo_shop.sql'
\i :shop
-- The names of the column list a completion of 'INSERT INTO products (' writes
-- (up to its first ')'), each looked up among the columns of products
-- (as PostgreSQL reads them: a quoted name exactly, an unquoted one folded to
-- lower case).
CREATE FUNCTION pg_temp.column_names(completion text)
	RETURNS TABLE (name text, is_column boolean) LANGUAGE sql AS $$
	SELECT n, EXISTS (SELECT 1 FROM pg_catalog.pg_attribute a
	                  WHERE a.attrelid = 'products'::regclass AND a.attnum > 0
	                    AND NOT a.attisdropped
	                    AND a.attname = CASE WHEN n ~ '^"([^"]|"")+"$'
	                                         THEN replace(substr(n, 2, length(n) - 2), '""', '"')
	                                         ELSE lower(n) END)
	FROM regexp_split_to_table(split_part(completion, ')', 1), ',') w, btrim(w) n
	WHERE n <> ''
$$;
SET sqlpilot.grounding = off;
SELECT count(*) > 0 AS names_written, bool_and(is_column) AS all_columns_exist
FROM pg_temp.column_names(sqlpilot_complete('INSERT INTO products ('));
SET sqlpilot.grounding = on;
SELECT count(*) > 0 AS names_written, bool_and(is_column) AS all_columns_exist
FROM pg_temp.column_names(sqlpilot_complete('INSERT INTO products ('));
-- the default is on
RESET sqlpilot.grounding;
SHOW sqlpilot.grounding;
\c :regress_db
DROP DATABASE sqlpilot_grounding_db;
