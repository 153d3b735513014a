-- complain if script is sourced in psql, rather than via CREATE EXTENSION
\echo Use "CREATE EXTENSION sqlpilot" to load this file. \quit

-- The text to append to prefix, written for the tables of the schemas in
-- scope that the current role may use: greedy, or with sqlpilot.validate on
-- the best of sqlpilot.candidates beams that PostgreSQL's parser and parse
-- analysis do not refuse.
CREATE FUNCTION sqlpilot_complete(prefix text) RETURNS text
	AS 'MODULE_PATHNAME', 'sqlpilot_sql_complete'
	LANGUAGE C STABLE STRICT PARALLEL RESTRICTED;

-- What n beams offer, each the text to append to prefix, distinct after
-- folding literals (at most 2n + 1 rows): kind 'word' (the next word, best
-- first), then 'clause' (up to the next clause keyword or ')', stopping
-- before a literal the user chooses), then the best 'statement' (the whole
-- completion, literals kept).  score: the log-probability of the beam it
-- comes from.  valid (statements only): whether prefix || completion
-- PREPAREs and names only relations the role may use; for a completion cut
-- by the token budget, false when it names what the prompt's schema does not
-- have there, else NULL (never true); NULL when not checked
-- (sqlpilot.validate off, a utility statement) and for words and clauses.
CREATE FUNCTION sqlpilot_completions(prefix text, n int DEFAULT 5)
	RETURNS TABLE (completion text, score float8, valid bool, kind text)
	AS 'MODULE_PATHNAME', 'sqlpilot_sql_completions'
	LANGUAGE C STABLE STRICT PARALLEL RESTRICTED ROWS 11;

-- The check behind the valid column, on any statement: true when it is one
-- statement that PREPARE accepts (parsed and analyzed, nothing executed) and
-- that names only relations the role may see and use; false when not; NULL
-- when it cannot be checked (a utility statement, a function that is not
-- built in would have to run, a lock wait timed out or ended in a deadlock).
CREATE FUNCTION sqlpilot_check(statement text) RETURNS boolean
	AS 'MODULE_PATHNAME', 'sqlpilot_sql_check'
	LANGUAGE C STABLE STRICT PARALLEL RESTRICTED;

-- The exact prompt text the model sees for prefix (the BOS token is not shown).
CREATE FUNCTION sqlpilot_prompt(prefix text) RETURNS text
	AS 'MODULE_PATHNAME', 'sqlpilot_sql_prompt'
	LANGUAGE C STABLE STRICT PARALLEL RESTRICTED;

-- The model in use: file, size, config, parameter count, tokenizer, checksum.
CREATE FUNCTION sqlpilot_model_info() RETURNS jsonb
	AS 'MODULE_PATHNAME', 'sqlpilot_sql_model_info'
	LANGUAGE C STABLE PARALLEL RESTRICTED;

-- This backend's counters: model loads, schema cache builds and hits, and the
-- prompt and KV-cache reuse of the last completion.
CREATE FUNCTION sqlpilot_stats() RETURNS jsonb
	AS 'MODULE_PATHNAME', 'sqlpilot_sql_stats'
	LANGUAGE C VOLATILE PARALLEL RESTRICTED;
