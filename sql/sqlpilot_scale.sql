-- A schema far larger than the prompt: 3,000 tables.  The prompt holds the
-- table named in the prefix and its foreign-key neighbour, and only a few
-- tables' definitions are read.
LOAD '$libdir/sqlpilot';
CREATE SCHEMA scale;
SET search_path = scale, public;
DO $$
BEGIN
	FOR i IN 1..3000 LOOP
		EXECUTE format('CREATE TABLE scale.t%s (id int PRIMARY KEY, v%s text%s)', i, i,
					   CASE WHEN i % 100 = 0 THEN format(', up int REFERENCES scale.t%s (id)', i - 1) ELSE '' END);
		IF i % 500 = 0 THEN
			COMMIT;
		END IF;
	END LOOP;
END $$;
SET sqlpilot.max_prompt_tokens = 300;
-- tables_total: the first 300 / 4 + 1 = 76 in catalog order are listed, plus the two named
SELECT position('CREATE TABLE scale.t2500 ' IN p) > 0 AS named_shown,
       position('CREATE TABLE scale.t2499 ' IN p) > 0 AS neighbour_shown,
       (sqlpilot_stats()->>'last_tables_total')::int AS tables_total,
       (sqlpilot_stats()->>'last_tables')::int BETWEEN 2 AND 20 AS a_few_shown,
       (sqlpilot_stats()->>'last_prompt_tokens')::int <= 300 AS within_budget
FROM sqlpilot_prompt('SELECT * FROM t2500 JOIN ') p;
-- the neighbour the other way, and a table without neighbours
SELECT position('CREATE TABLE scale.t2499 ' IN p) > 0 AS named_shown,
       position('CREATE TABLE scale.t2500 ' IN p) > 0 AS neighbour_shown
FROM sqlpilot_prompt('SELECT * FROM t2499 JOIN ') p;
SELECT position('CREATE TABLE scale.t1234 ' IN p) > 0 AS named_shown
FROM sqlpilot_prompt('UPDATE t1234 SET ') p;
-- rest of the budget: tables in catalog order (t1, t10, t100, ...)
SELECT position('CREATE TABLE scale.t1 ' IN p) > 0 AS first_in_order_shown
FROM sqlpilot_prompt('SELECT ') p;
RESET sqlpilot.max_prompt_tokens;
RESET search_path;
DO $$
BEGIN
	FOR i IN REVERSE 3000..1 LOOP
		EXECUTE format('DROP TABLE scale.t%s', i);
		IF i % 500 = 0 THEN
			COMMIT;
		END IF;
	END LOOP;
END $$;
DROP SCHEMA scale;
