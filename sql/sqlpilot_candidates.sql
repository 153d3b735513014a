-- Distinct candidates (issue #18): sqlpilot_completions() lists the next
-- words, the next clauses and the best whole statement, never two that
-- differ only inside literals.  With the default model 'UPDATE t_users SET '
-- gave three beams that differed in one digit of a literal; now each word
-- row is a different next word.
SELECT current_database() AS regress_db \gset
CREATE DATABASE sqlpilot_candidates_db;
\c sqlpilot_candidates_db
CREATE EXTENSION sqlpilot;
SET sqlpilot.model_path = '$sharedir/extension/sqlpilot_default.model';
CREATE TABLE t_users (
	id bigserial PRIMARY KEY,
	email varchar(255) NOT NULL,
	phone varchar(20),
	full_name varchar(100),
	created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE t_orders (
	id bigserial PRIMARY KEY,
	user_id bigint NOT NULL REFERENCES t_users (id),
	total numeric(10,2) NOT NULL,
	status varchar(20) NOT NULL DEFAULT 'pending'
);
-- literals folded the same way the extension folds them: strings to '', numbers to 0
CREATE FUNCTION fold(t text) RETURNS text LANGUAGE sql IMMUTABLE
	AS $$ SELECT regexp_replace(regexp_replace(t, '''([^'']|'''')*''?', '''''', 'g'),
	                            '\m[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?', '0', 'g') $$;
CREATE TABLE seen AS
	SELECT p.prefix, c.*
	FROM (VALUES ('UPDATE t_users SET '), ('SELECT * FROM t_users u JOIN '),
	             ('SELECT id, email FROM t_users WHERE '), ('INSERT INTO t_orders (')) p(prefix),
	     sqlpilot_completions(p.prefix, 3) WITH ORDINALITY c(completion, score, valid, kind, ord);
-- the kinds come in order: words, then clauses, then one statement last
SELECT prefix,
       count(*) FILTER (WHERE kind = 'statement') AS statements,
       bool_and(kind IN ('word', 'clause', 'statement')) AS known_kinds,
       bool_and(kind = 'statement') FILTER (WHERE ord = (SELECT max(ord) FROM seen s WHERE s.prefix = seen.prefix)) AS statement_last,
       count(*) <= 2 * 3 + 1 AS within_2n_plus_1
FROM seen GROUP BY prefix ORDER BY prefix;
-- each word row is a different next word; no two rows equal after folding literals
SELECT prefix,
       count(*) FILTER (WHERE kind = 'word') = count(DISTINCT lower(btrim(completion))) FILTER (WHERE kind = 'word') AS distinct_words,
       count(*) = count(DISTINCT fold(completion)) AS distinct_after_folding
FROM seen GROUP BY prefix ORDER BY prefix;
-- the old beam's three rows for this prefix were one statement with different literals
SELECT count(*) FILTER (WHERE kind = 'word') >= 2 AS several_next_words
FROM seen WHERE prefix = 'UPDATE t_users SET ';
-- words and clauses are what the statement starts with; clauses stop before a literal
SELECT bool_and(starts_with(st.completion, c.completion)) AS short_ones_are_prefixes
FROM seen c JOIN seen st ON st.prefix = c.prefix AND st.kind = 'statement'
WHERE c.kind <> 'statement' AND c.ord = 1;
SELECT bool_and(completion !~ '''' AND completion !~ '[0-9]\s*$') AS clauses_stop_before_literals
FROM seen WHERE kind = 'clause';
-- valid only for the statement
SELECT bool_and(valid IS NULL) AS short_ones_unchecked FROM seen WHERE kind <> 'statement';
-- the same prefix and catalog give the same list (two calls in a row)
CREATE TABLE again AS SELECT * FROM sqlpilot_completions('SELECT * FROM t_users u JOIN ', 3) WITH ORDINALITY c(completion, score, valid, kind, ord);
SELECT count(*) = 0 AS stable
FROM ((SELECT completion, kind, ord FROM sqlpilot_completions('SELECT * FROM t_users u JOIN ', 3) WITH ORDINALITY c(completion, score, valid, kind, ord)
       EXCEPT SELECT completion, kind, ord FROM again)
      UNION ALL
      (SELECT completion, kind, ord FROM again
       EXCEPT SELECT completion, kind, ord FROM sqlpilot_completions('SELECT * FROM t_users u JOIN ', 3) WITH ORDINALITY c(completion, score, valid, kind, ord))) d;
-- n = 1: one statement, its word, clause and statement
SELECT count(*) BETWEEN 1 AND 3 AS one_beam FROM sqlpilot_completions('UPDATE t_users SET ', 1);
-- whatever n, the statement row is the statement sqlpilot_complete() shows
-- (unchecked: with sqlpilot.validate on, sqlpilot_complete() may show another beam)
SET sqlpilot.validate = off;
SELECT p.prefix, n,
       c.completion = sqlpilot_complete(p.prefix) AS statement_as_complete
FROM (VALUES ('UPDATE t_users SET '), ('SELECT * FROM t_users u JOIN '),
             ('SELECT id, email FROM t_users WHERE '), ('INSERT INTO t_orders ('),
             ('DELETE FROM t_orders WHERE ')) p(prefix),
     (VALUES (1), (3)) k(n),
     sqlpilot_completions(p.prefix, k.n) c
WHERE c.kind = 'statement' ORDER BY 1, 2;
RESET sqlpilot.validate;
\c :regress_db
DROP DATABASE sqlpilot_candidates_db;
