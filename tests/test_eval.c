/*
 * test_eval.c — the docs/metrics.md definitions on hand-made cases (words, cuts,
 * normalization, identifiers, the copy baseline, table dropping, typing),
 * then the driver with an oracle and the copy baseline on a file full of
 * broken lines, and the `sqlpilot eval` command without a model.
 */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../eval/eval.h"
#include "tables_split.h"
#include "tap.h"
#include "util.h"

/* True when the word at c of s is exactly want (NULL: no word). */
static int
word_is(const char *s, size_t c, const char *want)
{
	EvalSpan	w;
	bool		has = eval_word_at(s, strlen(s), c, &w);

	if (!want)
		return !has;
	return has && w.end - w.start == strlen(want) && memcmp(s + w.start, want, w.end - w.start) == 0;
}

/* Splits s into words joined by '|' for comparison. */
static int
words_are(const char *s, const char *want)
{
	char		buf[512];
	size_t		n = 0,
				p = 0,
				len = strlen(s);

	while (p < len)
	{
		size_t		e;

		if (eval_is_space((unsigned char) s[p]))
		{
			p++;
			continue;
		}
		e = eval_word_end(s, len, p);
		if (n)
			buf[n++] = '|';
		memcpy(buf + n, s + p, e - p);
		n += e - p;
		p = e;
	}
	buf[n] = '\0';
	if (strcmp(buf, want) != 0)
		tap_diag("words of \"%s\": %s", s, buf);
	return strcmp(buf, want) == 0;
}

/* The copy baseline's completion compared with want. */
static int
copy_is(const char *schema, const char *gold, size_t cut, const char *want)
{
	char	   *c = eval_copy_complete(schema, strlen(schema), gold, strlen(gold), cut);
	int			ok = c && strcmp(c, want) == 0;

	if (!ok)
		tap_diag("copy(\"%.*s\") = \"%s\", want \"%s\"", (int) cut, gold, c ? c : "(null)", want);
	free(c);
	return ok;
}

/* A completer for the typing simulation: the rest of the statement (an oracle). */
static char *
oracle_fn(void *arg, const char *prefix, size_t prefix_len)
{
	const char *gold = arg;

	return strdup(gold + prefix_len);
}

/* A completer that never helps. */
static char *
empty_fn(void *arg, const char *prefix, size_t prefix_len)
{
	return strdup("");
}

/* A completer that offers only the next word of the statement plus a wrong one. */
static char *
one_word_fn(void *arg, const char *prefix, size_t prefix_len)
{
	const char *gold = arg;
	size_t		len = strlen(gold),
				p = prefix_len;
	char	   *out;

	while (p < len && eval_is_space((unsigned char) gold[p]))
		p++;
	if (p < len)
		p = eval_word_end(gold, len, p);
	out = malloc(p - prefix_len + 8);
	memcpy(out, gold + prefix_len, p - prefix_len);
	strcpy(out + (p - prefix_len), " WRONG");
	return out;
}

/* EvalCompleter oracle for the driver: the rest of the gold statement. */
static char *
oracle_complete(void *arg, const char *schema, size_t schema_len, const char *gold,
				size_t gold_len, size_t cut, double *ms_cold, double *ms_warm, bool *ends)
{
	if (ms_cold)
		*ms_cold = *ms_warm = 1.0;
	if (ends)
		*ends = true;
	return strdup(gold + cut);
}

/*
 * Candidate list of the oracle: a wrong word first, then the rest of the
 * gold statement twice, the second time with its literals changed (a
 * duplicate after folding when it has one).
 */
static int
oracle_candidates(void *arg, const char *schema, size_t schema_len, const char *gold,
				  size_t cut, char **out, int max)
{
	char	   *twin = strdup(gold + cut);

	for (char *p = twin; p && *p; p++)
		if (*p >= '0' && *p <= '8')
			(*p)++;
	out[0] = strdup(" zzz_not_a_word");
	out[1] = strdup(gold + cut);
	out[2] = twin;
	return max >= 3 ? 3 : max;
}

/* A scripted model for the checked completer: its greedy text and beams ("~" first: cut). */
typedef struct Scripted
{
	const char *greedy;
	const char *beams[3];
	int			beam_calls;
} Scripted;

/* EvalCompleter.complete of the script: its greedy text. */
static char *
scripted_complete(void *arg, const char *schema, size_t schema_len, const char *gold,
				  size_t gold_len, size_t cut, double *ms_cold, double *ms_warm, bool *ends)
{
	Scripted   *sc = arg;

	if (ends)
		*ends = sc->greedy[0] != '~';
	return strdup(sc->greedy + (sc->greedy[0] == '~'));
}

/* EvalCompleter.beams of the script. */
static int
scripted_beams(void *arg, const char *schema, size_t schema_len, const char *gold, size_t cut,
			   int width, EvalBeam *out)
{
	Scripted   *sc = arg;
	int			n = 0;

	sc->beam_calls++;
	for (; n < 3 && n < width && sc->beams[n]; n++)
	{
		out[n].text = strdup(sc->beams[n] + (sc->beams[n][0] == '~'));
		out[n].score = -1.0 - n;
		out[n].ends = sc->beams[n][0] != '~';
	}
	return n;
}

/* EvalCheck.accepts of the tests: statements that end with "1;". */
static bool
accepts_ones(void *arg, const char *text, size_t len)
{
	return len >= 2 && strcmp(text + len - 2, "1;") == 0;
}

/* What the checked completer over a script shows at gold[:cut], and whether it ends. */
static char *
checked_shows(Scripted *sc, bool with_check, const char *gold, size_t cut, bool *ends,
			  long *replaced)
{
	EvalCompleter base = {"scripted", scripted_complete, NULL, sc, NULL, NULL, scripted_beams};
	EvalChecked ch = {&base, {with_check ? accepts_ones : NULL, NULL}, 0};
	EvalCompleter c;
	const char *schema = "CREATE TABLE t (a int, b int);";
	double		cold,
				warm;
	char	   *out;

	eval_checked_completer("checked", &ch, &c);
	out = c.complete(c.arg, schema, strlen(schema), gold, strlen(gold), cut, &cold, &warm, ends);
	*replaced = ch.replaced;
	return cold < 0 && warm < 0 ? out : NULL;
}

/* EvalCompleter that always fails. */
static char *
failing_complete(void *arg, const char *schema, size_t schema_len, const char *gold,
				 size_t gold_len, size_t cut, double *ms_cold, double *ms_warm, bool *ends)
{
	return NULL;
}

/* The copy baseline as an EvalCompleter. */
static char *
copy_complete(void *arg, const char *schema, size_t schema_len, const char *gold,
			  size_t gold_len, size_t cut, double *ms_cold, double *ms_warm, bool *ends)
{
	if (ms_cold)
		*ms_cold = *ms_warm = -1;
	if (ends)
		*ends = false;
	return eval_copy_complete(schema, schema_len, gold, gold_len, cut);
}

/* A number from the report (metrics of one system when sys is given); NAN if absent/null. */
static double
num(const cJSON *r, const char *sys, const char *name)
{
	const cJSON *v;

	if (sys)
		r = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(r, "metrics"), sys);
	v = cJSON_GetObjectItemCaseSensitive(r, name);
	return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

/* Writes text to a fresh temp file; returns its path (static buffer per call site). */
static void
write_temp(char *path, const char *text)
{
	int			fd = mkstemp(path);
	FILE	   *f = fdopen(fd, "w");

	fputs(text, f);
	fclose(f);
}

int
main(void)
{
	/* ---- words ---- */
	tap_ok(words_are("SELECT a->>'x' FROM t;", "SELECT|a|->>|'x'|FROM|t|;"), "words: operator ->> and a literal");
	tap_ok(words_are("x::int<=y<>z!=w||v->u#>t#>>s@>r<@q&&p!~o~*n", "x|::|int|<=|y|<>|z|!=|w||||v|->|u|#>|t|#>>|s|@>|r|<@|q|&&|p|!~|o|~*|n"),
		   "words: every listed operator");
	tap_ok(words_are("'it''s' \"a b\" $1 _x9", "'it''s'|\"a b\"|$1|_x9"), "words: escaped quote, double quotes, $ and _ runs");
	tap_ok(words_are("WHERE a = 'open", "WHERE|a|=|'open"), "words: an unterminated literal runs to the end");
	tap_ok(words_are("(\xc3\xa9)", "(|\xc3\xa9|)"), "words: a non-ASCII character is a word (an identifier)");
	tap_ok(words_are("caf\xc3\xa9 x$y $f$ a $ b $f$ E'it\\'s' \"a\"\"b\" 1.5e-3 .5 -- c\nx /* a /* b */ */ =-1",
					 "caf\xc3\xa9|x$y|$f$ a $ b $f$|E'it\\'s'|\"a\"\"b\"|1.5e-3|.5|-- c|x|/* a /* b */ */|=|-|1"),
		   "words are SQL tokens: non-ASCII and $ in names, dollar quotes, E'', \"\", numbers, comments");
	tap_ok(words_are(" \t\n\v\f\r", ""), "words: whitespace is not a word");

	tap_ok(word_is("SELECT name FROM t", 7, "name") && eval_is_boundary_cut("SELECT name FROM t", 18, 7),
		   "cut at a word start: that word, boundary");
	tap_ok(word_is("SELECT name FROM t", 9, "name") && !eval_is_boundary_cut("SELECT name FROM t", 18, 9),
		   "cut inside a word: that word, mid-word");
	tap_ok(word_is("SELECT name FROM t", 6, "name") && eval_is_boundary_cut("SELECT name FROM t", 18, 6),
		   "cut in whitespace: the next word, boundary");
	tap_ok(word_is("SELECT 1  ", 9, NULL) && word_is("SELECT 1", 8, NULL) &&
		   eval_is_boundary_cut("SELECT 1", 8, 8), "cut at the end or in trailing space: no word");
	tap_ok(word_is("x = 'a b'", 6, "'a b'") && !eval_is_boundary_cut("x = 'a b'", 9, 7),
		   "cut inside a quoted literal is mid-word");
	tap_ok(word_is("a->>b", 2, "->>") && !eval_is_boundary_cut("a->>b", 5, 2), "cut inside an operator is mid-word");

	tap_ok(!eval_next_word_match("SELECT nam", 10, "SELECT name", 11, 7), "next word: prefix of the word does not match");
	tap_ok(eval_next_word_match("SELECT name, x", 14, "SELECT name FROM", 16, 9), "next word: same word matches");
	tap_ok(eval_next_word_match("SELECT 1 ", 9, "SELECT 1", 8, 8), "next word: no word in either text matches");
	tap_ok(!eval_next_word_match("SELECT 1 x", 10, "SELECT 1", 8, 8), "next word: a word against none does not match");

	{
		const char *c3[] = {" email", " name = 'x'", " email = 1"};
		const char *c2[] = {" a = 'x'", " a = 'y'"};

		tap_ok(eval_next_word_rank("UPDATE t SET name = 1", 21, 13, c3, 3) == 2 &&
			   eval_next_word_rank("UPDATE t SET name = 1", 21, 13, c3, 1) == 0,
			   "next word rank: the second candidate has it; not among the first one");
		{
			const char *w1[] = {" id"};
			const char *w2[] = {" na"};

			tap_ok(eval_next_word_rank("SELECT id, name", 15, 6, w1, 1) == 1 &&
				   eval_next_word_rank("SELECT name, id", 15, 6, w2, 1) == 0,
				   "next word rank: a word candidate ending where a token ends matches; mid-token does not");
		}
		tap_ok(eval_has_folded_duplicates("SET", 3, c2, 2) && !eval_has_folded_duplicates("SET", 3, c3, 3),
			   "duplicates after folding literals: found, and not where only words differ");
	}

	/* ---- normalization ---- */
	tap_ok(eval_rest_match("SELECT  1 ;", 11, "SELECT 1;", 9, false), "rest_em: spaces and a spaced trailing ';'");
	tap_ok(eval_rest_match("\n SELECT\t1", 10, "SELECT 1;  ", 11, false), "rest_em: ends stripped, one ';' dropped");
	tap_ok(!eval_rest_match("SELECT 1;;", 10, "SELECT 1;", 9, false), "rest_em: only one ';' is dropped");
	tap_ok(!eval_rest_match("select 1", 8, "SELECT 1", 8, false) && eval_rest_match("select 1", 8, "SELECT 1", 8, true),
		   "rest_em_ci folds ASCII case, rest_em does not");
	tap_ok(!eval_rest_match("SELECT 'A'", 10, "SELECT 'a'", 10, false), "rest_em: literal case matters");

	/* ---- cuts ---- */
	{
		const char *s = "SELECT * FROM users WHERE id = 1";
		size_t		cuts[5],
					len = strlen(s);
		uint64_t	state = 3 * 0x9E3779B97F4A7C15ULL + 5;
		int			ok = 1;

		eval_draw_cuts(3, 5, s, len, 5, cuts);
		for (int k = 0; k < 5; k++)
		{
			uint64_t	z;

			state += 0x9E3779B97F4A7C15ULL;
			z = state;
			z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
			z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
			z ^= z >> 31;
			ok = ok && cuts[k] == z % len;
		}
		tap_ok(ok, "drawn cuts follow the SplitMix64 recipe");
		ok = 1;
		for (uint64_t i = 0; i < 50; i++)
		{
			const char *u = "\xc3\xa9\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80x";

			eval_draw_cuts(1, i, u, strlen(u), 5, cuts);
			for (int k = 0; k < 5; k++)
				ok = ok && (cuts[k] == 0 || cuts[k] == 2 || cuts[k] == 4 || cuts[k] == 7 || cuts[k] == 11);
		}
		tap_ok(ok, "drawn cuts land on UTF-8 character starts");
		tap_ok(eval_utf8_count("a\xc3\xa9\xe2\x82\xac", 6) == 3, "characters are counted as code points");
	}

	/* ---- identifiers and hallucinations ---- */
	{
		const char *s = "SELECT a1, 'abc def', \"Q x\" FROM s.t2 WHERE 1e5x > $2 AND _z$ = 9";
		EvalSpan	id[32];
		size_t		n = eval_identifiers(s, strlen(s), id, 32);
		char		buf[256] = "";

		for (size_t i = 0; i < n && i < 32; i++)
		{
			strncat(buf, s + id[i].start, id[i].end - id[i].start);
			strcat(buf, "|");
		}
		tap_ok(strcmp(buf, "SELECT|a1|FROM|s|t2|WHERE|x|AND|_z$|") == 0,
			   "identifiers skip literals and quoted names, start at a letter or _ (%s)", buf);
	}
	{
		const char *schema = "CREATE TABLE users (id int, name text, \"Email\" text)";
		const char *gold = "SELECT name FROM users";
		const char *text = "SELECT nme FROM users u WHERE u.id = count(x) AND email IS NULL AS q";
		EvalNameSet names = {0};
		long		idents = 0,
					bad = 0;

		eval_names_add_text(&names, schema, strlen(schema));
		eval_names_add_text(&names, gold, strlen(gold));
		eval_hallucinations(&names, text, strlen(text), 7, &idents, &bad);
		tap_ok(idents == 15 && bad == 2, "hallucinations: nme and x are unknown (%ld of %ld)", bad, idents);
		idents = bad = 0;
		eval_hallucinations(&names, "SELECT na", 9, 9, &idents, &bad);
		tap_ok(idents == 0, "an identifier ending at the prefix's end is not the completion's");
		idents = bad = 0;
		eval_hallucinations(&names, "SELECT namex", 12, 9, &idents, &bad);
		tap_ok(idents == 1 && bad == 1, "an identifier the completion finishes is counted");
		tap_ok(eval_is_sql_word("SELECT", 6) && eval_is_sql_word("varchar", 7) &&
			   eval_is_sql_word("COALESCE", 8) && !eval_is_sql_word("sel", 3) &&
			   !eval_is_sql_word("selects", 7), "SQL word list lookups");
		tap_ok(eval_is_sql_word("LATERAL", 7) && eval_is_sql_word("tablesample", 11) &&
			   eval_is_sql_word("xmlelement", 10) && !eval_is_sql_word("name", 4) &&
			   !eval_is_sql_word("data", 4), "PostgreSQL's reserved, column-name and function-name keywords are SQL words; unreserved ones like name and data are names");
		{
			const char *cte = "WITH recent AS (SELECT id FROM users), totals (uid, n) AS (SELECT id, 1 FROM users) "
				"SELECT r.id, t.n, t.uid FROM recent r JOIN totals t ON t.uid = r.id JOIN ghosts g ON g.k = r.id";

			idents = bad = 0;
			eval_hallucinations(&names, cte, strlen(cte), 0, &idents, &bad);
			tap_ok(bad == 2, "CTE names and their column lists are known; the table ghosts and its column k are not (%ld bad of %ld)", bad, idents);
		}
		eval_names_free(&names);
	}

	/* ---- the copy baseline ---- */
	{
		const char *schema = "CREATE TABLE users (user_id int, username text, Email text, 'usx' text)";

		tap_ok(copy_is(schema, "SELECT username FROM users", 9, "ers"), "copy: first identifier in order (users before username)");
		tap_ok(copy_is(schema, "SELECT username FROM users", 12, "ame"), "copy: longer typed part");
		tap_ok(copy_is(schema, "SELECT email FROM users", 9, "ail"), "copy: case-insensitive fallback");
		tap_ok(copy_is("CREATE TABLE t (emx int, Email int)", "SELECT Ema FROM t", 9, "ail") &&
			   copy_is("CREATE TABLE t (emx int, Email int)", "SELECT EMa FROM t", 9, "x"), "copy: case-sensitive first, then case-insensitive");
		tap_ok(copy_is(schema, "SELECT username FROM users", 7, ""), "copy: boundary cut gives nothing");
		tap_ok(copy_is(schema, "SELECT qq FROM users", 8, ""), "copy: no identifier starts with the typed part");
		tap_ok(copy_is(schema, "SELECT 'usx' FROM users", 9, ""), "copy: inside a literal gives nothing");
		tap_ok(copy_is(schema, "SELECT 12 FROM users", 8, ""), "copy: inside a number gives nothing");
		tap_ok(copy_is(schema, "SELECT users", 12, ""), "copy: end of statement gives nothing");
	}

	/* ---- tables and fitting ---- */
	{
		const char *schema = "-- header\nCREATE TABLE a (x int);\n\ncreate table IF NOT EXISTS public.\"Bb\" (y int);\n"
			"CREATE INDEX i ON \"Bb\" (y);\n\n  CREATE TABLE c (z int);\n";
		SqlpilotSchemaTable *t;
		int			n = sqlpilot_tables_split(schema, strlen(schema), &t);
		SqlpilotTokenizer bytes;
		char		err[128];
		size_t		len,
					full;
		bool		trunc;
		char	   *out;

		tap_ok(n == 3 && strcmp(t[0].name, "a") == 0 && strcmp(t[1].name, "Bb") == 0 &&
			   strcmp(t[2].name, "c") == 0 &&
			   strcmp(t[0].text.data, "-- header\n\nCREATE TABLE a (x int);") == 0 &&
			   strcmp(t[1].text.data, "create table IF NOT EXISTS public.\"Bb\" (y int);\n\n"
					  "CREATE INDEX i ON \"Bb\" (y);") == 0 &&
			   strcmp(t[2].text.data, "  CREATE TABLE c (z int);") == 0,
			   "split (core/tables_split.h): tables start at CREATE TABLE lines, indented too; "
			   "an index goes with its table; names folded unless quoted");
		sqlpilot_tables_split_free(t, n);

		sqlpilot_tokenizer_from_merges(&bytes, NULL, 0, 512, err, sizeof(err));
		/* With byte tokens, BOS + 32 format bytes + schema + statement + EOS. */
		full = 2 + 32 + strlen(schema) + strlen("SELECT * FROM \"Bb\"");
		out = eval_fit_schema(&bytes, (int) full, schema, strlen(schema), "SELECT * FROM \"Bb\"", 18, &len, &trunc);
		tap_ok(out && !trunc && len == strlen(schema) && strcmp(out, schema) == 0, "fit: a schema that fits is kept as is");
		free(out);
		out = eval_fit_schema(&bytes, (int) full - 2, schema, strlen(schema), "SELECT * FROM \"Bb\"", 18, &len, &trunc);
		tap_ok(out && trunc && strcmp(out, "create table IF NOT EXISTS public.\"Bb\" (y int);\n\n"
									  "CREATE INDEX i ON \"Bb\" (y);\n\n  CREATE TABLE c (z int);") == 0,
			   "fit: two bytes short, the table nobody names is left out; each table's statements joined by one blank line");
		free(out);
		/* 160 tokens: the named table (75 bytes) beside the quarter reserve, nothing more */
		out = eval_fit_schema(&bytes, 160, schema, strlen(schema), "SELECT * FROM \"Bb\"", 18, &len, &trunc);
		tap_ok(out && trunc && strcmp(out, "create table IF NOT EXISTS public.\"Bb\" (y int);\n\nCREATE INDEX i ON \"Bb\" (y);") == 0,
			   "fit: the named table is chosen whole, the others left out (%s)", out ? out : "");
		free(out);
		out = eval_fit_schema(&bytes, 185, schema, strlen(schema), "SELECT * FROM \"Bb\"", 18, &len, &trunc);
		tap_ok(out && trunc && strncmp(out, "create table IF", 15) == 0 && strstr(out, "(y);\n\n  CREATE TABLE c (z int);"),
			   "fit: chosen tables in schema order, joined by one blank line (%s)", out ? out : "");
		free(out);
		out = eval_fit_schema(&bytes, 160, schema, strlen(schema), "SELECT 1 FROM dual", 18, &len, &trunc);
		tap_ok(out && strcmp(out, "-- header\n\nCREATE TABLE a (x int);\n\n  CREATE TABLE c (z int);") == 0,
			   "fit: naming no table takes tables in order, skipping one that does not fit (%s)", out ? out : "");
		free(out);
		out = eval_fit_schema(&bytes, 20, schema, strlen(schema), "SELECT * FROM c", 15, &len, &trunc);
		tap_ok(out == NULL, "fit: cannot fit at all gives NULL");
		out = eval_fit_schema(NULL, 0, schema, strlen(schema), "SELECT 1", 8, &len, &trunc);
		tap_ok(out && !trunc && strcmp(out, schema) == 0, "fit: no tokenizer means unlimited context");
		free(out);
		sqlpilot_tokenizer_free(&bytes);
	}

	/* ---- typing simulation ---- */
	{
		const char *s = "SELECT a, b FROM t;";
		long		keys = 0,
					chars = 0;

		eval_simulate_typing(s, strlen(s), oracle_fn, (void *) s, &keys, &chars, NULL);
		tap_ok(keys == 1 && chars == 19, "typing: an oracle needs one TAB (%ld keys, %ld chars)", keys, chars);
		keys = chars = 0;
		eval_simulate_typing(s, strlen(s), empty_fn, NULL, &keys, &chars, NULL);
		tap_ok(keys == 19 && chars == 19, "typing: no help means one key per character");
		keys = chars = 0;
		eval_simulate_typing("\xc3\xa9\xc3\xa9", 4, empty_fn, NULL, &keys, &chars, NULL);
		tap_ok(keys == 2 && chars == 2, "typing: characters are code points");
		keys = chars = 0;
		/* Words: SELECT a , b FROM t ; -> one TAB each (spaces are taken with the next word). */
		eval_simulate_typing(s, strlen(s), one_word_fn, (void *) s, &keys, &chars, NULL);
		tap_ok(keys == 7, "typing: a TAB per correct word, the wrong tail refused (%ld keys)", keys);
	}

	/* ---- percentiles ---- */
	{
		double		v[5] = {5, 1, 3, 2, 4};

		tap_ok(eval_percentile(v, 5, 0.5) == 3 && eval_percentile(v, 5, 0.95) == 5 &&
			   eval_percentile(v, 1, 0.95) == 1 && isnan(eval_percentile(v, 0, 0.5)),
			   "nearest-rank percentiles");
	}

	/* ---- the driver on a file with broken lines ---- */
	{
		char		path[] = "/tmp/sqlpilot_eval_XXXXXX";
		char		err[256];
		EvalOptions o;
		EvalCompleter sys[3] = {
			{"oracle", oracle_complete, NULL, NULL, oracle_candidates, NULL, NULL},
			{"copy", copy_complete, NULL, NULL, NULL, NULL, NULL},
			{"failing", failing_complete, NULL, NULL, NULL, NULL, NULL},
		};
		cJSON	   *r;
		const cJSON *sk;

		write_temp(path,
				   "{\"schema\": \"CREATE TABLE users (id int, name text)\", \"statement\": \"SELECT name FROM users WHERE id = 1;\"}\n"
				   "{\"schema\": \"CREATE TABLE t (a int)\", \"statement\": \"SELECT a FROM t\", \"cuts\": [0, 8, 9, 15]}\n"
				   "\n"
				   "garbage {\n"
				   "{\"schema\": \"CREATE TABLE t (a int)\", \"statement\": \"SELECT a FROM t\", \"cuts\": [-1]}\n"
				   "{\"schema\": \"CREATE TABLE t (a int)\", \"statement\": \"SELECT a FROM t\", \"cuts\": [16]}\n"
				   "{\"schema\": \"CREATE TABLE t (a int)\", \"statement\": \"SELECT a FROM t\", \"cuts\": \"3\"}\n"
				   "{\"schema\": \"CREATE TABLE t (a int)\", \"statement\": \"SELECT a FROM t\", \"cuts\": [1e300]}\n"
				   "{\"schema\": \"CREATE TABLE t (a int, \\u00e9 int)\", \"statement\": \"SELECT \\u00e9 FROM t\", \"cuts\": [8, 15]}\n"
				   "{\"schema\": 1, \"statement\": \"x\"}\n"
				   "{\"schema\": \"x\"}\n"
				   "{\"schema\": \"x\", \"statement\": \"\"}\n"
				   "[\"schema\"]\n"
				   "\"just a string\"\n"
				   "{\"schema\": \"x\", \"statement\": \"y\", \"cuts\": [[1]], \"extra\": {\"deep\": [1,2,{}]}}\n"
				   "{\"schema\": \"CREATE TABLE z (q int)\", \"statement\": \"DELETE FROM z\", \"other\": null}\n"
				   "{\"schema\": \"tail without newline\", \"statement\": \"SELECT 2\", \"cuts\": []}");
		memset(&o, 0, sizeof(o));
		o.input = path;
		o.limit = -1;
		o.seed = 11;
		o.cuts = 3;
		o.ks_limit = 100;
		r = eval_run(&o, sys, 3, err, sizeof(err));
		tap_ok(r != NULL, "driver runs on a file with broken lines (%s)", r ? "ok" : err);
		if (r)
		{
			sk = cJSON_GetObjectItemCaseSensitive(r, "skipped");
			tap_ok(num(r, NULL, "examples") == 5 && num(r, NULL, "cuts") == 3 + 4 + 2 + 3 + 0,
				   "5 usable examples, 12 cuts (%g, %g)", num(r, NULL, "examples"), num(r, NULL, "cuts"));
			tap_ok(num(sk, NULL, "invalid json") == 2 && num(sk, NULL, "not an object") == 2 &&
				   num(sk, NULL, "no schema") == 1 && num(sk, NULL, "no statement") == 2 &&
				   num(sk, NULL, "invalid cuts") == 5 && num(sk, NULL, "too long") == 0,
				   "skip reasons counted");
			tap_ok(num(r, "oracle", "rest_em") == 1 && num(r, "oracle", "next_word_em") == 1 &&
				   num(r, "oracle", "rest_em_ci") == 1 && num(r, "oracle", "hallucinated_ident_rate") == 0,
				   "oracle: rest_em, next_word_em 1, no hallucination");
			tap_ok(fabs(num(r, "oracle", "keystrokes_saved") - (1.0 - 5.0 / (36 + 15 + 15 + 13 + 8))) < 1e-12,
				   "oracle: one TAB per statement (%g)", num(r, "oracle", "keystrokes_saved"));
			tap_ok(num(r, "oracle", "latency_ms_p50_cold") == 1 && isnan(num(r, "oracle", "stmt_nll")) &&
				   isnan(num(r, "oracle", "valid_sql_rate")), "oracle: latencies recorded, no nll without a model, no pg");
			tap_ok(num(r, "oracle", "next_word_recall@1") < 1 && num(r, "oracle", "next_word_recall@3") == 1 &&
				   num(r, "oracle", "next_word_recall@5") == 1,
				   "oracle: the gold word second in its list: recall@1 %g, @3 %g",
				   num(r, "oracle", "next_word_recall@1"), num(r, "oracle", "next_word_recall@3"));
			tap_ok(num(r, "oracle", "candidate_dup_rate") > 0 && isnan(num(r, "copy", "next_word_recall@1")),
				   "oracle: lists with literal twins counted (%g); no list, no recall",
				   num(r, "oracle", "candidate_dup_rate"));
			tap_ok(num(r, "copy", "next_word_em_mid") >= 0 && num(r, "copy", "next_word_em_boundary") >= 0 &&
				   num(r, "copy", "rest_em") < 1, "copy baseline reported on the same cuts");
			tap_ok(num(r, "failing", "errors") > 0 && isnan(num(r, "failing", "keystrokes_saved")),
				   "a failing completer is counted as errors, not a crash");
			cJSON_Delete(r);
		}

		/* --limit counts usable lines; invalid cuts keep their index. */
		o.limit = 3;
		r = eval_run(&o, sys, 1, err, sizeof(err));
		tap_ok(r && num(r, NULL, "examples") == 2 &&
			   num(cJSON_GetObjectItemCaseSensitive(r, "skipped"), NULL, "invalid cuts") == 1,
			   "--limit 3 takes the first 3 usable lines (one has invalid cuts)");
		cJSON_Delete(r);

		/* Fitting with a byte tokenizer: the long example is skipped as too long. */
		{
			SqlpilotTokenizer bytes;

			sqlpilot_tokenizer_from_merges(&bytes, NULL, 0, 512, err, sizeof(err));
			o.limit = -1;
			o.tok = &bytes;
			/* a cut's budget is half of this small context, 60 tokens: BOS, 32 format bytes and 27 */
			o.seq_len = 120;
			r = eval_run(&o, sys, 1, err, sizeof(err));
			tap_ok(r && num(cJSON_GetObjectItemCaseSensitive(r, "skipped"), NULL, "too long") == 1 &&
				   num(r, NULL, "examples") == 4,
				   "a statement that does not fit a cut's budget without tables is skipped as too long");
			tap_ok(r && num(r, NULL, "truncated") >= 3, "the others, whose table does not fit beside the reserve, count as truncated (%g)", r ? num(r, NULL, "truncated") : -1);
			cJSON_Delete(r);
			sqlpilot_tokenizer_free(&bytes);
			o.tok = NULL;
		}

		/* Same seed, same cuts: the report is reproducible. */
		{
			cJSON	   *a = eval_run(&o, sys + 1, 1, err, sizeof(err));
			cJSON	   *b = eval_run(&o, sys + 1, 1, err, sizeof(err));

			o.seed = 12;
			cJSON	   *c = eval_run(&o, sys + 1, 1, err, sizeof(err));

			tap_ok(a && b && c && num(a, "copy", "next_word_em") == num(b, "copy", "next_word_em") &&
				   num(a, NULL, "cuts_mid") == num(b, NULL, "cuts_mid"), "same seed gives the same report");
			cJSON_Delete(a);
			cJSON_Delete(b);
			cJSON_Delete(c);
		}
		o.input = "/nonexistent/file.jsonl";
		r = eval_run(&o, sys, 1, err, sizeof(err));
		tap_ok(r == NULL && strstr(err, "cannot open"), "missing input is an error: %s", err);

		/* ---- the command without a model ---- */
		{
			char		jpath[] = "/tmp/sqlpilot_eval_json_XXXXXX";
			int			fd = mkstemp(jpath);
			char	   *argv[] = {"eval", "--seed", "5", "--cuts", "2", "--json", jpath, path, NULL};
			char	   *bad1[] = {"eval", "--cuts", "x", path, NULL};
			char	   *bad2[] = {"eval", NULL};
			size_t		len;
			char	   *json;
			int			rc;

			close(fd);
			fflush(stdout);
			{
				FILE	   *saved = stdout;

				/* The table goes to stdout; keep TAP output clean by sending it to /dev/null. */
				stdout = fopen("/dev/null", "w");
				rc = sqlpilot_eval_main(8, argv);
				fclose(stdout);
				stdout = saved;
			}
			json = sqlpilot_read_file(jpath, &len, err, sizeof(err));
			r = json ? cJSON_Parse(json) : NULL;
			tap_ok(rc == 0 && r && num(r, NULL, "seed") == 5 && num(r, NULL, "examples") == 5 &&
				   cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(r, "model")) &&
				   !isnan(num(r, "baseline", "next_word_em")), "sqlpilot eval --json writes the report");
			cJSON_Delete(r);
			free(json);
			unlink(jpath);
			tap_ok(sqlpilot_eval_main(4, bad1) == 2 && sqlpilot_eval_main(1, bad2) == 2, "bad usage exits 2");
		}
		unlink(path);
	}

	/* ---- random garbage never crashes the reader ---- */
	{
		char		path[] = "/tmp/sqlpilot_eval_fuzz_XXXXXX";
		char		err[256];
		uint64_t	rng = 99;
		const char *pieces[] = {"{", "}", "[", "]", "\"schema\"", "\"statement\"", "\"cuts\"", ":", ",",
			"\"SELECT a FROM t\"", "\"CREATE TABLE t (a int)\"", "1", "-3", "1e9", "null", "\"\\u0000\"",
		"\"\\ud800\"", "\n", "\xff", "\"'", "  "};
		size_t		cap = 200000,
					n = 0;
		char	   *buf = malloc(cap);
		EvalOptions o;
		EvalCompleter sys = {"copy", copy_complete, NULL, NULL, NULL, NULL, NULL};
		cJSON	   *r;
		int			fd;

		while (n + 64 < cap)
		{
			const char *p = pieces[sqlpilot_rng_below(&rng, sizeof(pieces) / sizeof(pieces[0]))];

			memcpy(buf + n, p, strlen(p));
			n += strlen(p);
		}
		fd = mkstemp(path);
		if (write(fd, buf, n) != (ssize_t) n)
			tap_diag("short write");
		close(fd);
		memset(&o, 0, sizeof(o));
		o.input = path;
		o.limit = -1;
		o.cuts = 2;
		o.ks_limit = 5;
		r = eval_run(&o, &sys, 1, err, sizeof(err));
		tap_ok(r != NULL, "200 KB of JSON-ish garbage is read without a crash (%g examples)",
			   r ? num(r, NULL, "examples") : -1.0);
		cJSON_Delete(r);
		unlink(path);
		free(buf);
	}
	/* ---- the checked completer (core/checked.h): what a user is shown ---- */
	{
		Scripted	valid = {"a = 1;", {"b = 2;"}, 0};
		Scripted	refused = {"a = 2;", {"a = 2;", "b = 3;", "b = 1;"}, 0};
		Scripted	all_refused = {"a = 2;", {"b = 3;"}, 0};
		Scripted	cut_bad_name = {"~zz = 2 AND", {"~a = 2 AND", "a = 1;"}, 0};
		Scripted	cut_fine = {"~a = 2 AND b", {"a = 1;"}, 0};
		const char *gold = "SELECT * FROM t WHERE a = 1;";
		bool		ends;
		long		replaced;
		char	   *out;

		out = checked_shows(&valid, true, gold, 22, &ends, &replaced);
		tap_ok(out && strcmp(out, "a = 1;") == 0 && ends && valid.beam_calls == 0 && replaced == 0,
			   "checked: a greedy completion the check accepts is shown; no beams; latency not measured");
		free(out);
		out = checked_shows(&refused, true, gold, 22, &ends, &replaced);
		tap_ok(out && strcmp(out, "b = 1;") == 0 && ends && replaced == 1,
			   "checked: a refused greedy completion gives way to the best beam the check accepts");
		free(out);
		out = checked_shows(&all_refused, true, gold, 22, &ends, &replaced);
		tap_ok(out && strcmp(out, "a = 2;") == 0 && ends && replaced == 0,
			   "checked: every beam refused: the greedy completion is shown");
		free(out);
		out = checked_shows(&cut_bad_name, true, gold, 22, &ends, &replaced);
		tap_ok(out && strcmp(out, "a = 2 AND") == 0 && !ends && replaced == 1,
			   "checked: a cut greedy completion naming a column t does not have is refused by name; "
			   "the best beam, cut with known names, is not refused");
		free(out);
		out = checked_shows(&cut_fine, true, gold, 22, &ends, &replaced);
		tap_ok(out && strcmp(out, "a = 2 AND b") == 0 && !ends && cut_fine.beam_calls == 0,
			   "checked: a cut greedy completion with known names is shown as is");
		free(out);
		all_refused.beam_calls = 0;
		out = checked_shows(&all_refused, false, gold, 22, &ends, &replaced);
		tap_ok(out && strcmp(out, "a = 2;") == 0 && all_refused.beam_calls == 0,
			   "checked: without a check (no --pg, or the schema did not load) the greedy completion");
		free(out);
	}

	return tap_done();
}
