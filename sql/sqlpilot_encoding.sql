-- In a SQL_ASCII database names may hold any bytes; the model's text is
-- UTF-8.  A table whose definition is not valid UTF-8 is left out with a
-- NOTICE naming it (bytes escaped); the other tables still reach the prompt.
SELECT current_database() AS regress_db \gset
CREATE DATABASE sqlpilot_ascii ENCODING SQL_ASCII TEMPLATE template0 LC_COLLATE 'C' LC_CTYPE 'C';
\c sqlpilot_ascii
CREATE EXTENSION sqlpilot;
CREATE TABLE plain (id int PRIMARY KEY);
DO $$
BEGIN
	-- "caf\xe9" and a column "na\xefve": Latin-1 bytes, invalid as UTF-8
	EXECUTE format('CREATE TABLE %I (id int)', convert_from('\x636166e9', 'SQL_ASCII'));
	EXECUTE format('CREATE TABLE words (%I text)', convert_from('\x6e61ef7665', 'SQL_ASCII'));
	-- valid UTF-8 bytes are fine: "caf\xc3\xa9"
	EXECUTE format('CREATE TABLE %I (id int)', convert_from('\x636166c3a9', 'SQL_ASCII'));
END $$;
SELECT convert_to(sqlpilot_prompt('SELECT * FROM '), 'SQL_ASCII') LIKE '%CREATE TABLE public.plain%'::bytea AS plain_shown;
SELECT position('\x636166c3a9'::bytea IN convert_to(sqlpilot_prompt('SELECT * FROM '), 'SQL_ASCII')) > 0 AS utf8_name_shown;
SELECT sqlpilot_complete('SELECT * FROM ') IS NOT NULL AS completes;
-- a completion with a prefix that names the table
SELECT sqlpilot_complete('SELECT * FROM plain WHERE ') IS NOT NULL AS completes_named;
-- the same when the tables do not all fit and are chosen one by one
CREATE TABLE filler (a int, b int, c text, d text, e date, f date, g int, h int);
SET sqlpilot.max_prompt_tokens = 120;
SET sqlpilot.max_tokens = 8;
SELECT sqlpilot_complete('SELECT * FROM words JOIN ') IS NOT NULL AS completes_in_budget,
       (sqlpilot_stats()->>'last_tables')::int < 4 AS some_left_out;
\c :regress_db
DROP DATABASE sqlpilot_ascii;
