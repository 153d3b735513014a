-- The SQL interface on a small random model (sqlpilot.model_path is set by
-- the test's configuration).  Random weights make completions gibberish, so
-- only their properties are shown.

-- settings (loading the library defines them)
LOAD '$libdir/sqlpilot';
SHOW sqlpilot.max_tokens;
SHOW sqlpilot.max_prompt_tokens;
SHOW sqlpilot.schemas;
SELECT current_setting('sqlpilot.model_path') <> '' AS model_path_set;
SET sqlpilot.max_tokens = 0;
SET sqlpilot.max_prompt_tokens = 1;
SET sqlpilot.no_such_setting = 1;
SET sqlpilot.schemas = 'public, "bad';

-- the model
SELECT info->>'dtype' AS dtype, info->>'parameters' AS parameters,
       info->'config' AS config, info->'tokenizer'->>'vocab_size' AS vocab,
       info->>'extension_version' AS version,
       length(info->>'checksum') AS checksum_len, (info->>'file_size')::int > 1000000 AS big
FROM sqlpilot_model_info() info;

CREATE TABLE users (
	id bigserial PRIMARY KEY,
	email varchar(200) NOT NULL UNIQUE,
	created_at timestamptz DEFAULT now()
);
CREATE TABLE orders (
	id bigserial PRIMARY KEY,
	user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	total numeric(10,2) CHECK (total >= 0),
	note text
);
CREATE INDEX orders_user_idx ON orders (user_id, id DESC);

-- the exact prompt the model sees
SELECT sqlpilot_prompt('SELECT * FROM ');

-- NULL in, NULL out
SELECT sqlpilot_complete(NULL) IS NULL AS null_out;
SELECT count(*) FROM sqlpilot_completions(NULL);

-- a completion is text to append, within the token budget
SET sqlpilot.max_tokens = 8;
SELECT c IS NOT NULL AS completed, octet_length(c) <= 8 * 64 AS within_budget
FROM sqlpilot_complete('SELECT * FROM ') c;
SELECT (s->>'last_computed_tokens')::int <= (s->>'last_prompt_tokens')::int + 8 AS budget_kept
FROM sqlpilot_stats() s;

-- a longer prefix reuses the cached schema and KV cache: only new tokens run
SELECT sqlpilot_complete('SELECT * FROM users WHERE ') IS NOT NULL AS completed;
SELECT (s->>'last_reused_tokens')::int > 100 AS reused_schema,
       (s->>'last_computed_tokens')::int < (s->>'last_prompt_tokens')::int AS only_new_tokens
FROM sqlpilot_stats() s;

-- alternatives of n beams: at most 2n + 1 rows, one whole statement, last;
-- each kind best first
SELECT count(*) <= 7 AS at_most_2n_plus_1, bool_and(completion IS NOT NULL) AS all_text,
       count(*) FILTER (WHERE kind = 'statement') <= 1 AS one_statement_at_most
FROM sqlpilot_completions('SELECT id FROM orders WHERE ', 3);
SELECT count(*) BETWEEN 1 AND 11 AS n_default_5 FROM sqlpilot_completions('SELECT ');
-- each kind's first row comes from the best (greedy, whole) completion; the
-- short alternatives after it are ranked by their own scores
SELECT bool_and(score <= prev) AS ranked, bool_and(kind >= prev_kind) AS kinds_in_order
FROM (SELECT score,
             CASE WHEN row_number() OVER (PARTITION BY kind ORDER BY ord) <= 2 THEN 'infinity'
                  ELSE lag(score, 1) OVER (PARTITION BY kind ORDER BY ord) END AS prev,
             CASE kind WHEN 'word' THEN 1 WHEN 'clause' THEN 2 ELSE 3 END AS kind,
             CASE lag(kind, 1, 'word') OVER (ORDER BY ord) WHEN 'word' THEN 1 WHEN 'clause' THEN 2 ELSE 3 END AS prev_kind
      FROM sqlpilot_completions('INSERT INTO users ', 4) WITH ORDINALITY AS t(completion, score, valid, kind, ord)) s;
SELECT * FROM sqlpilot_completions('SELECT ', 0);
SELECT * FROM sqlpilot_completions('SELECT ', 100);

-- odd prefixes: each gives a result within the budget, and the backend survives
SELECT octet_length(sqlpilot_complete('')) <= 8 * 64 AS empty_ok;
SELECT octet_length(sqlpilot_complete(E'   \n\t  ')) <= 8 * 64 AS whitespace_ok;
SELECT octet_length(sqlpilot_complete('SELECT * FROM "Bücher" WHERE titel = ''naïve 日本語 ')) <= 8 * 64 AS non_ascii_ok;
SELECT octet_length(sqlpilot_complete('Lorem ipsum dolor sit amet, consectetur adipiscing')) <= 8 * 64 AS not_sql_ok;
SELECT sqlpilot_complete('SELECT ' || repeat('x, ', 350000));
\set VERBOSITY terse
SELECT sqlpilot_complete(repeat('ab', 1500));
\set VERBOSITY default
SELECT 1 AS still_alive;

-- sqlpilot_prompt shows the prefix verbatim, non-ASCII included
SELECT right(sqlpilot_prompt('SELECT ''日本語'' FROM '), 20);

-- the prompt budget must leave room for generation
SET sqlpilot.max_tokens = 1020;
SELECT sqlpilot_complete('SELECT ');
RESET sqlpilot.max_tokens;
DROP TABLE orders, users;
