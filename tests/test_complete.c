/*
 * test_complete.c — sqlpilot_complete (and sqlpilot_complete_ids) on two
 * kinds of model:
 *  - a rigged one whose logits are the same fixed preference at every step
 *    (all attention/MLP outputs zero, every embedding e0, untied head
 *    wcls[:,0] = preference), so the right answer is known exactly: it shows
 *    the back-off to a token boundary, the constraint to the typed partial
 *    word, ';' / EOS / budget stops, UTF-8 handling, beams and sampling;
 *  - random 260K weights, for cache reuse (equal to no reuse), for the
 *    prompt handed over as token ids (equal to its text), and for
 *    robustness on odd prefixes (valid UTF-8 out, no crash, no leak), and
 *    for lockstep decode giving what one row at a time gives.
 * SQLPILOT_TEST_QUICK=1 (the valgrind suite) generates fewer tokens there.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "candidates.h"
#include "complete.h"
#include "prompt.h"
#include "tap.h"
#include "util.h"

static const char *schema = "CREATE TABLE users (id INT PRIMARY KEY, name TEXT);";

/* Merges "us", "use", "user", "users" (tokens 259..262) and "ab" (263). */
static void
make_tokenizer(SqlpilotTokenizer *tok)
{
	int32_t		merges[] = {
		SQLPILOT_TOKEN_BYTE0 + 'u', SQLPILOT_TOKEN_BYTE0 + 's',
		259, SQLPILOT_TOKEN_BYTE0 + 'e',
		260, SQLPILOT_TOKEN_BYTE0 + 'r',
		261, SQLPILOT_TOKEN_BYTE0 + 's',
		SQLPILOT_TOKEN_BYTE0 + 'a', SQLPILOT_TOKEN_BYTE0 + 'b',
	};
	char		err[256];

	if (sqlpilot_tokenizer_from_merges(tok, merges, 5, 512, err, sizeof(err)) != 0)
		tap_diag("tokenizer: %s", err);
}

/* The token of one byte. */
static int
byte_token(unsigned char b)
{
	return SQLPILOT_TOKEN_BYTE0 + b;
}

/* Whether s[0..n) is valid UTF-8 (no overlongs, surrogates or bytes past U+10FFFF). */
static int
valid_utf8(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *) s;
	size_t		i = 0;

	while (i < n)
	{
		unsigned int cp;
		int			k;

		if (p[i] < 0x80)
		{
			i++;
			continue;
		}
		if ((p[i] & 0xE0) == 0xC0)
			k = 1, cp = p[i] & 0x1F;
		else if ((p[i] & 0xF0) == 0xE0)
			k = 2, cp = p[i] & 0x0F;
		else if ((p[i] & 0xF8) == 0xF0)
			k = 3, cp = p[i] & 0x07;
		else
			return 0;
		if (i + k >= n)
			return 0;
		for (int j = 1; j <= k; j++)
		{
			if ((p[i + j] & 0xC0) != 0x80)
				return 0;
			cp = (cp << 6) | (p[i + j] & 0x3F);
		}
		if ((k == 1 && cp < 0x80) || (k == 2 && cp < 0x800) || (k == 3 && cp < 0x10000) ||
			cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
			return 0;
		i += k + 1;
	}
	return 1;
}

/*
 * Whether a completion is valid UTF-8 as appended: prefix + text when the
 * prefix is valid (it may end inside a character), else the text alone.
 */
static int
text_ok(const char *prefix, const char *text)
{
	size_t		pl = strlen(prefix),
				tl = strlen(text);
	char	   *all;
	int			ok;

	if (!valid_utf8(prefix, pl) && !valid_utf8(prefix, pl - (pl > 0)) &&
		!valid_utf8(prefix, pl - (pl > 1) * 2) && !valid_utf8(prefix, pl - (pl > 2) * 3))
		return valid_utf8(text, tl);
	all = malloc(pl + tl + 1);
	memcpy(all, prefix, pl);
	memcpy(all + pl, text, tl);
	ok = valid_utf8(all, pl + tl);
	free(all);
	return ok;
}

/* The rigged model: logits = sqrt(dim) * pref at every position. */
typedef struct Rig
{
	SqlpilotConfig c;
	SqlpilotWeights w;
	float	   *params;
} Rig;

/* Builds the rigged model with all preferences 0. */
static void
rig_init(Rig *r)
{
	size_t		n;

	memset(&r->c, 0, sizeof(r->c));
	r->c.dim = 8;
	r->c.hidden_dim = 8;
	r->c.n_layers = 1;
	r->c.n_heads = 2;
	r->c.n_kv_heads = 1;
	r->c.vocab_size = 512;
	r->c.seq_len = 256;
	r->c.tied = 0;
	r->c.rope_theta = 10000.0f;
	r->c.norm_eps = 1e-5f;
	n = sqlpilot_param_count(&r->c);
	r->params = calloc(n, sizeof(float));
	sqlpilot_weights_map(&r->w, &r->c, r->params);
	for (int t = 0; t < 512; t++)
		r->w.token_embedding[t * 8] = 1.0f;
	for (int i = 0; i < 8; i++)
		r->w.rms_att[i] = r->w.rms_ffn[i] = r->w.rms_final[i] = 1.0f;
}

/* Sets the preference of token t. */
static void
rig_pref(Rig *r, int t, float v)
{
	r->w.wcls[t * 8] = v;
}

/* Resets every preference to 0. */
static void
rig_clear(Rig *r)
{
	for (int t = 0; t < 512; t++)
		r->w.wcls[t * 8] = 0.0f;
}

/* Completes prefix with options o; returns the count and the first text in *text. */
static int
run(SqlpilotRunState *s, const SqlpilotTokenizer *tok, const char *prefix, size_t plen,
	const SqlpilotCompleteOptions *o, SqlpilotCompletion *out, int max_out, char *err)
{
	return sqlpilot_complete(s, tok, schema, strlen(schema), prefix, plen, o, out, max_out,
							 err, 256);
}

/* Completes and compares the single best text with want. */
static void
expect_text(SqlpilotRunState *s, const SqlpilotTokenizer *tok, const char *prefix,
			const SqlpilotCompleteOptions *o, const char *want, const char *what)
{
	SqlpilotCompletion out[1];
	char		err[256] = "";
	int			n = run(s, tok, prefix, strlen(prefix), o, out, 1, err);

	tap_ok(n == 1 && strcmp(out[0].text, want) == 0, "%s: \"%s\" -> \"%s\" (got \"%s\"%s%s)",
		   what, prefix, want, n == 1 ? out[0].text : "", n < 0 ? ", error: " : "", n < 0 ? err : "");
	if (n > 0)
		sqlpilot_completion_free(out, n);
}

/* Stops after the first call. */
static bool
stop_now(void *arg)
{
	(*(int *) arg)++;
	return true;
}

/* The prefixes the short-alternative tests run (one completes a table name, one is empty). */
static const char *const alt_prefixes[] = {
	"SELECT name FROM users WHERE ", "SELECT * FROM us", "UPDATE users SET ",
	"INSERT INTO users (", "",
};

/* Random 260K weights (seed 11) mapped into w; returns the malloc'd parameters. */
static float *
random_260k(SqlpilotConfig *c, SqlpilotWeights *w)
{
	float	   *params;

	sqlpilot_config_preset("260K", c);
	params = malloc(sqlpilot_param_count(c) * sizeof(float));
	sqlpilot_model_init_random(c, params, 11);
	sqlpilot_weights_map(w, c, params);
	return params;
}

/* Exact answers on the rigged model (see the top of this file). */
static void
test_rigged(const SqlpilotTokenizer *tok)
{
	Rig			r;
	SqlpilotRunState s;
	SqlpilotCompleteOptions o;
	SqlpilotCompletion out[4];
	char		err[256];
	int			n;

	rig_init(&r);
	sqlpilot_runstate_init(&s, &r.c, &r.w, err, sizeof(err));
	sqlpilot_complete_defaults(&o);
	o.max_tokens = 3;
	o.grounding = false;		/* the mechanics alone; grounding is checked at the end */

	/* 'x' is best everywhere; "users" is the best token that agrees with "us". */
	rig_pref(&r, byte_token('x'), 5.0f);
	rig_pref(&r, 262, 4.0f);
	rig_pref(&r, SQLPILOT_TOKEN_EOS, -5.0f);
	expect_text(&s, tok, "SELECT * FROM us", &o, "ersxx",
				"partial word: backs off \"us\", continues with the token \"users\"");
	expect_text(&s, tok, "SELECT * FROM use", &o, "rsxx", "partial word \"use\"");
	expect_text(&s, tok, "SELECT * FROM users", &o, "xxx", "a complete word is kept");
	expect_text(&s, tok, "SELECT * FROM ", &o, "xxx", "after a space");
	expect_text(&s, tok, "", &o, "xxx", "empty prefix");
	expect_text(&s, tok, "   ", &o, "xxx", "whitespace-only prefix");
	o.max_tokens = 1;
	expect_text(&s, tok, "SELECT * FROM us", &o, "ers", "budget of 1 token");
	o.max_tokens = 0;
	expect_text(&s, tok, "SELECT * FROM us", &o, "", "budget of 0 tokens");

	/* Typed bytes are reproduced even when the model dislikes them. */
	o.max_tokens = 3;
	rig_pref(&r, byte_token('z'), -20.0f);
	expect_text(&s, tok, "SELECT zz", &o, "xxx", "typed bytes the model dislikes");

	/* Stops: ';' past the typed text, EOS. */
	rig_pref(&r, byte_token(';'), 6.0f);
	o.max_tokens = 10;
	expect_text(&s, tok, "SELECT * FROM us", &o, "ers;", "stops after ';'");
	expect_text(&s, tok, "SELECT 1;", &o, ";", "a typed ';' is reproduced, then stop");
	o.stop_at_semicolon = false;
	o.max_tokens = 3;
	expect_text(&s, tok, "SELECT * FROM us", &o, "ers;;", "no ';' stop when disabled");
	o.stop_at_semicolon = true;
	rig_pref(&r, byte_token(';'), 0.0f);
	rig_pref(&r, SQLPILOT_TOKEN_EOS, 7.0f);
	o.max_tokens = 10;
	expect_text(&s, tok, "SELECT * FROM us", &o, "ers", "stops at EOS once the word is typed");
	rig_pref(&r, SQLPILOT_TOKEN_EOS, -5.0f);

	/* UTF-8: a lone continuation byte is never emitted; an unfinished character is cut. */
	rig_clear(&r);
	rig_pref(&r, 262, 4.0f);
	rig_pref(&r, byte_token(0x80), 7.0f);
	rig_pref(&r, byte_token(0xC3), 6.0f);
	o.max_tokens = 5;
	expect_text(&s, tok, "SELECT * FROM us", &o, "ers\xC3\x80\xC3\x80",
				"UTF-8: continuation bytes only inside a character");
	o.max_tokens = 3;
	expect_text(&s, tok, "SELECT * FROM us", &o, "ers\xC3\x80",
				"UTF-8: an unfinished last character is dropped");
	rig_clear(&r);
	rig_pref(&r, byte_token('x'), 5.0f);
	rig_pref(&r, byte_token(0x80), 7.0f);
	o.max_tokens = 2;
	expect_text(&s, tok, "SELECT 'caf\xC3\xA9", &o, "xx", "non-ASCII partial word");
	expect_text(&s, tok, "SELECT 'caf\xC3", &o, "\x80x",
				"a prefix ending inside a character gets its continuation byte");
	rig_pref(&r, byte_token(0x80), 0.0f);
	expect_text(&s, tok, "SELECT \xFF", &o, "xx", "a prefix ending in an invalid byte");

	/*
	 * Distinct candidates: digits are preferred, so the plain beams are
	 * variants of one number; with distinct on no two results fold to the
	 * same text (literals folded) and the width goes to other next words.
	 */
	rig_clear(&r);
	rig_pref(&r, byte_token('1'), 5.0f);
	rig_pref(&r, byte_token('2'), 4.9f);
	rig_pref(&r, byte_token('x'), 3.0f);
	rig_pref(&r, byte_token(' '), 2.0f);
	rig_pref(&r, SQLPILOT_TOKEN_EOS, -5.0f);
	o.max_tokens = 3;
	o.beam_width = 3;
	o.short_alternatives = false;	/* full beams here; short ones: test_short_alternatives */
	for (int distinct = 0; distinct <= 1; distinct++)
	{
		int			same = 0;
		char	   *f[4] = {NULL, NULL, NULL, NULL};

		o.distinct = distinct;
		n = run(&s, tok, "SELECT ", 7, &o, out, 3, err);
		for (int i = 0; i < n; i++)
		{
			char		full[64];

			snprintf(full, sizeof(full), "SELECT %s", out[i].text);
			f[i] = sqlpilot_fold_literals(full, strlen(full), 7);
			for (int j = 0; j < i; j++)
				same += f[i] && f[j] && strcmp(f[i], f[j]) == 0;
			tap_diag("distinct %d: \"%s\" %.3f", distinct, out[i].text, out[i].score);
		}
		if (distinct)
			tap_ok(n >= 2 && same == 0 && strcmp(out[0].text, "111") == 0,
				   "distinct: %d results, none equal after folding literals, the best first", n);
		else
			tap_ok(n == 3 && same > 0, "plain beams: literal variants (%d equal after folding)", same);
		for (int i = 0; i < n; i++)
			free(f[i]);
		if (n > 0)
			sqlpilot_completion_free(out, n);
	}

	/* Beams: distinct texts best first, the best equals greedy here. */
	rig_clear(&r);
	rig_pref(&r, byte_token('x'), 5.0f);
	rig_pref(&r, byte_token('y'), 4.5f);
	rig_pref(&r, 262, 4.0f);
	rig_pref(&r, SQLPILOT_TOKEN_EOS, -5.0f);
	o.max_tokens = 3;
	o.beam_width = 4;
	n = run(&s, tok, "SELECT * FROM us", 16, &o, out, 4, err);
	{
		int			ok = n == 4 && strcmp(out[0].text, "ersxx") == 0;

		for (int i = 1; ok && i < n; i++)
			ok = out[i].score <= out[i - 1].score && strcmp(out[i].text, out[i - 1].text) != 0 &&
				strncmp(out[i].text, "ers", 3) == 0;
		tap_ok(ok, "beam 4: 4 distinct completions, best first, best \"%s\", next \"%s\"",
			   n > 0 ? out[0].text : "", n > 1 ? out[1].text : "");
		if (n > 0)
			sqlpilot_completion_free(out, n);
	}

	/* Seeded top-k sampling: reproducible; top_k 1 is greedy. */
	o.short_alternatives = true;
	o.beam_width = 1;
	o.top_k = 3;
	o.seed = 17;
	o.max_tokens = 12;
	{
		SqlpilotCompletion a[1],
					b[1];
		int			na = run(&s, tok, "SELECT * FROM us", 16, &o, a, 1, err);
		int			nb = run(&s, tok, "SELECT * FROM us", 16, &o, b, 1, err);

		tap_ok(na == 1 && nb == 1 && strcmp(a[0].text, b[0].text) == 0 &&
			   strncmp(a[0].text, "ers", 3) == 0,
			   "top-k sampling with a seed is reproducible (\"%s\")", na == 1 ? a[0].text : "");
		sqlpilot_completion_free(a, na > 0 ? na : 0);
		sqlpilot_completion_free(b, nb > 0 ? nb : 0);
	}
	o.top_k = 1;
	o.max_tokens = 3;
	expect_text(&s, tok, "SELECT * FROM us", &o, "ersxx", "top-k 1 is greedy");
	o.top_k = 0;

	/*
	 * Grounding (core/ground.h) on the same preferences: "usersx" names no
	 * table, so the next best token (a space) ends the name; "x" is then a
	 * free alias.  In a column list of users, 'x' starts no column at all.
	 */
	rig_clear(&r);
	rig_pref(&r, byte_token('x'), 5.0f);
	rig_pref(&r, 262, 4.0f);
	rig_pref(&r, byte_token(' '), 3.0f);
	rig_pref(&r, SQLPILOT_TOKEN_EOS, -5.0f);
	o.grounding = true;
	expect_text(&s, tok, "SELECT * FROM us", &o, "ers x", "grounded: the table name is not extended");
	expect_text(&s, tok, "INSERT INTO users (", &o, "   ", "grounded: no column starts with x");
	rig_pref(&r, byte_token('n'), 4.5f);
	rig_pref(&r, byte_token('a'), 4.4f);
	rig_pref(&r, byte_token('m'), 4.4f);
	rig_pref(&r, byte_token('e'), 4.4f);
	o.max_tokens = 5;
	expect_text(&s, tok, "INSERT INTO users (", &o, "name ", "grounded: n, a, m, e spell the column name, then only its end");
	o.grounding = false;
	expect_text(&s, tok, "INSERT INTO users (", &o, "xxxxx", "not grounded: x everywhere");
	o.max_tokens = 3;

	/* should_stop, a prompt too long for the context. */
	{
		int			calls = 0;
		char	   *big = malloc(400);

		o.should_stop = stop_now;
		o.should_stop_arg = &calls;
		n = run(&s, tok, "SELECT", 6, &o, out, 1, err);
		tap_ok(n == -2 && calls == 1, "should_stop ends the completion with -2");
		o.should_stop = NULL;
		memset(big, 'q', 399);
		big[399] = '\0';
		n = run(&s, tok, big, 399, &o, out, 1, err);
		tap_ok(n == -1 && strstr(err, "does not fit") != NULL,
			   "a prompt longer than the context is an error (%s)", err);
		free(big);
	}
	sqlpilot_runstate_free(&s);
	free(r.params);
}

/* Random 260K weights: cache reuse equals no reuse; odd prefixes stay valid. */
static void
test_random(const SqlpilotTokenizer *tok)
{
	SqlpilotConfig c;
	SqlpilotWeights w;
	SqlpilotRunState s,
				fresh;
	SqlpilotCompleteOptions o;
	float	   *params;
	char		err[256];
	const char *prefixes[] = {
		"SELECT name FROM users WHERE id = 1", "SELECT * FROM us", "", "  \t\n",
		"INSERT INTO users VALUES (1, 'Zoë", "SELECT '\xE2\x82", "SELECT \xFF\xFE bad bytes",
		"UPDATE users SET name = 'x';", "SELECT \xF0\x9F\x98\x80 AS emoji, na",
	};
	int			bad = 0,
				mismatch = 0,
				ids_mismatch = 0,
				runs = 0;
	size_t		needed;
	int			ids[512];
	long		before;

	params = random_260k(&c, &w);
	sqlpilot_runstate_init(&s, &c, &w, err, sizeof(err));
	sqlpilot_runstate_init(&fresh, &c, &w, err, sizeof(err));
	sqlpilot_complete_defaults(&o);
	o.max_tokens = getenv("SQLPILOT_TEST_QUICK") ? 6 : 24;

	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
	{
		for (int beam = 1; beam <= 3; beam += 2)
		{
			SqlpilotCompletion a[3],
						b[3],
						d[3];
			int			na,
						nb,
						nd;

			o.beam_width = beam;
			na = run(&s, tok, prefixes[i], strlen(prefixes[i]), &o, a, 3, err);
			sqlpilot_infer_truncate(&fresh, 0);
			nb = run(&fresh, tok, prefixes[i], strlen(prefixes[i]), &o, b, 3, err);
			runs++;
			if (na < 1 || na != nb)
				mismatch++;

			/* the same prompt handed over as token ids */
			sqlpilot_infer_truncate(&fresh, 0);
			needed = sqlpilot_prompt_encode(tok, schema, strlen(schema), prefixes[i],
											strlen(prefixes[i]), false, ids, 512, NULL, NULL);
			nd = sqlpilot_complete_ids(&fresh, tok, schema, strlen(schema), prefixes[i],
									   strlen(prefixes[i]), ids, needed, &o, d, 3, err,
									   sizeof(err));
			if (nd != nb)
				ids_mismatch++;
			for (int k = 0; k < nd && k < nb; k++)
				if (strcmp(d[k].text, b[k].text) != 0 || d[k].score != b[k].score ||
					d[k].n_tokens != b[k].n_tokens)
					ids_mismatch++;
			sqlpilot_completion_free(d, nd > 0 ? nd : 0);
			for (int k = 0; k < na && k < nb; k++)
			{
				char	   *semi = strchr(a[k].text, ';');

				if (strcmp(a[k].text, b[k].text) != 0)
					mismatch++;
				if (!text_ok(prefixes[i], a[k].text) || (semi && semi[1] != '\0') ||
					a[k].n_tokens > o.max_tokens + (int) strlen(prefixes[i]) + 40)
				{
					tap_diag("bad: prefix %zu beam %d: \"%s\" (%d tokens)", i, beam, a[k].text,
							 a[k].n_tokens);
					bad++;
				}
			}
			sqlpilot_completion_free(a, na > 0 ? na : 0);
			sqlpilot_completion_free(b, nb > 0 ? nb : 0);
		}
	}
	tap_ok(mismatch == 0, "%d completions with a warm cache equal those of a fresh run state (%d differ)",
		   runs, mismatch);
	tap_ok(ids_mismatch == 0,
		   "%d completions from the prompt's token ids equal those from its text (%d differ)",
		   runs, ids_mismatch);
	tap_ok(bad == 0, "odd prefixes: every text is valid UTF-8 and ends at its first ';' (%d bad)", bad);

	/* The schema part of the prompt is not recomputed by a second completion. */
	o.beam_width = 1;
	{
		SqlpilotCompletion a[1];
		size_t		schema_end = 0;
		int			na;

		needed = sqlpilot_prompt_encode(tok, schema, strlen(schema), "SELECT id", 9, false,
										ids, 512, NULL, &schema_end);
		na = run(&s, tok, "SELECT name FROM users", 22, &o, a, 1, err);
		sqlpilot_completion_free(a, na > 0 ? na : 0);
		before = s.n_computed;
		na = run(&s, tok, "SELECT id", 9, &o, a, 1, err);
		sqlpilot_completion_free(a, na > 0 ? na : 0);
		tap_ok(na == 1 && schema_end > 20 &&
			   s.n_computed - before <= (long) (needed - schema_end) + o.max_tokens,
			   "second completion with the same schema computes %ld rows, prompt has %zu tokens of which %zu schema",
			   s.n_computed - before, needed, schema_end);
	}
	sqlpilot_runstate_free(&s);
	sqlpilot_runstate_free(&fresh);
	free(params);
}

/* Token rows s and its first spares run through the model so far. */
static long
rows_run(SqlpilotRunState *s, int spares)
{
	char		err[64];
	long		rows = s->n_computed;

	for (int i = 0; i < spares; i++)
		rows += sqlpilot_runstate_spare(s, i, err, sizeof(err))->n_computed;
	return rows;
}

/*
 * From a warm prompt (one call of 5 first): the greedy completion into g
 * and 5 short candidates into a, with the rows each ran (s and 4 spares).
 */
static void
greedy_and_short(SqlpilotRunState *s, const SqlpilotTokenizer *tok, const char *p,
				 SqlpilotCompleteOptions *o, SqlpilotCompletion *g, int *ng, long *rg,
				 SqlpilotCompletion *a, int *na, long *ra, char *err)
{
	long		r0;

	o->beam_width = 5;
	*na = run(s, tok, p, strlen(p), o, a, 5, err);
	sqlpilot_completion_free(a, *na > 0 ? *na : 0);
	o->beam_width = 1;
	r0 = rows_run(s, 4);
	*ng = run(s, tok, p, strlen(p), o, g, 1, err);
	*rg = rows_run(s, 4) - r0;
	o->beam_width = 5;
	r0 = rows_run(s, 4);
	*na = run(s, tok, p, strlen(p), o, a, 5, err);
	*ra = rows_run(s, 4) - r0;
}

/*
 * Short alternatives (the default for 5 distinct beams): the first result
 * is the greedy completion, text and score; the others each take another
 * next word, and each finishes it before the shared budget can cut it (so
 * every prefix gets alternatives); all of them together run at most the
 * greedy one's rows twice plus 5 per alternative (its word), where 5 full
 * beams run many more.
 */
static void
test_short_alternatives(const SqlpilotTokenizer *tok)
{
	SqlpilotConfig c;
	SqlpilotWeights w;
	SqlpilotRunState s;
	SqlpilotCompleteOptions o;
	float	   *params;
	char		err[256];
	int			same_best = 0,
				distinct_words = 0,
				several = 0,
				within = 0,
				n_prefixes = (int) (sizeof(alt_prefixes) / sizeof(alt_prefixes[0]));
	long		rows_short = 0,
				rows_full = 0;

	params = random_260k(&c, &w);
	sqlpilot_runstate_init(&s, &c, &w, err, sizeof(err));
	sqlpilot_complete_defaults(&o);
	o.max_tokens = getenv("SQLPILOT_TEST_QUICK") ? 8 : 16;
	for (int i = 0; i < n_prefixes; i++)
	{
		const char *p = alt_prefixes[i];
		SqlpilotCompletion g[1],
					a[5],
					f[5];
		int			ng,
					na,
					nf;
		long		r0,
					rg,
					ra;
		char		keys[5][SQLPILOT_WORD_KEY_MAX];
		bool		dup = false;

		greedy_and_short(&s, tok, p, &o, g, &ng, &rg, a, &na, &ra, err);
		rows_short += ra;
		o.short_alternatives = false;
		r0 = rows_run(&s, 4);
		nf = run(&s, tok, p, strlen(p), &o, f, 5, err);
		rows_full += rows_run(&s, 4) - r0;
		o.short_alternatives = true;

		same_best += ng == 1 && na >= 1 && strcmp(g[0].text, a[0].text) == 0 &&
			g[0].score == a[0].score;
		for (int k = 0; k < na; k++)
		{
			char		full[512];
			size_t		ws,
						we;

			snprintf(full, sizeof(full), "%s%s", p, a[k].text);
			if (!sqlpilot_next_word(full, strlen(full), strlen(p), true, &ws, &we, keys[k]))
				snprintf(keys[k], sizeof(keys[k]), "(none %d)", k);
			for (int j = 0; j < k; j++)
				dup = dup || strcmp(keys[j], keys[k]) == 0;
			tap_diag("short %d \"%s\" %s [%s]", i, p, k == 0 ? "best" : "alternative", a[k].text);
		}
		distinct_words += !dup;
		several += na >= 2;
		/* the greedy one's rows again at most, plus its word per alternative */
		within += ra <= 2 * rg + 4 * 5;
		tap_diag("rows: greedy %ld, 5 short %ld", rg, ra);
		sqlpilot_completion_free(g, ng > 0 ? ng : 0);
		sqlpilot_completion_free(a, na > 0 ? na : 0);
		sqlpilot_completion_free(f, nf > 0 ? nf : 0);
	}
	tap_ok(same_best == n_prefixes, "short alternatives: the best is the greedy completion (%d of %d)",
		   same_best, n_prefixes);
	tap_ok(distinct_words == n_prefixes, "short alternatives: every next word differs (%d of %d)",
		   distinct_words, n_prefixes);
	tap_ok(several == n_prefixes, "short alternatives: alternatives offered for %d of %d prefixes",
		   several, n_prefixes);
	tap_ok(within == n_prefixes, "short alternatives: at most 2x the greedy rows + 20 (%d of %d)",
		   within, n_prefixes);
	tap_ok(rows_short * 3 < rows_full * 2, "short alternatives: %ld rows, 5 full beams %ld",
		   rows_short, rows_full);
	sqlpilot_runstate_free(&s);
	free(params);
}

/*
 * A short statement bounds what the alternatives decode: with a 4-token
 * budget the greedy completion takes a few rows, and the four alternatives
 * together at most as many (the 260K preset's statement is greedy) plus
 * one each, their words included, in lockstep and one row at a time (not
 * when the greedy one has no text: then there is no statement to measure by).
 */
static void
test_alternative_rows(const SqlpilotTokenizer *tok)
{
	SqlpilotConfig c;
	SqlpilotWeights w;
	SqlpilotRunState s;
	SqlpilotCompleteOptions o;
	float	   *params;
	char		err[256];
	int			n_prefixes = (int) (sizeof(alt_prefixes) / sizeof(alt_prefixes[0]));

	params = random_260k(&c, &w);
	sqlpilot_runstate_init(&s, &c, &w, err, sizeof(err));
	sqlpilot_complete_defaults(&o);
	o.max_tokens = 4;
	for (int one_row = 0; one_row < 2; one_row++)
	{
		int			within = 0,
					measured = 0,
					several = 0;

		o.one_row_steps = one_row;
		for (int i = 0; i < n_prefixes; i++)
		{
			const char *p = alt_prefixes[i];
			SqlpilotCompletion g[1],
						a[5];
			int			ng,
						na;
			long		rg,
						ra;

			greedy_and_short(&s, tok, p, &o, g, &ng, &rg, a, &na, &ra, err);
			/* rg: the greedy one's rows and the re-fed backed-off token */
			if (ng == 1 && g[0].text[0] != '\0')
			{
				measured++;
				within += ra - rg <= rg + 4;
			}
			several += na >= 2;
			tap_diag("%s \"%s\": greedy %ld rows, alternatives %ld rows, %d results",
					 one_row ? "one row" : "lockstep", p, rg, ra - rg, na);
			sqlpilot_completion_free(g, ng > 0 ? ng : 0);
			sqlpilot_completion_free(a, na > 0 ? na : 0);
		}
		tap_ok(measured >= 3 && within == measured,
			   "%s: alternatives within the greedy rows + 4 (%d of %d with a greedy text)",
			   one_row ? "one row at a time" : "lockstep", within, measured);
		tap_ok(several > 0, "%s: a 4-token budget still leaves alternatives (%d of %d prefixes)",
			   one_row ? "one row at a time" : "lockstep", several, n_prefixes);
	}
	sqlpilot_runstate_free(&s);
	free(params);
}

/*
 * Lockstep decode (the default) against one row at a time
 * (one_row_steps): the same candidates, texts and token counts, and scores
 * equal to 1e-5 relative, with short alternatives and with 5 full beams, on
 * a random 260K model stored as f16 (the half-weight kernels batched decode
 * runs) and as floats.  Not bit for bit: lockstep reads the prompt's k/v of
 * all beams from one beam's copy, and the spare states' copies of a prompt
 * can come from an earlier call that computed the same tokens in other
 * chunks.  Two run states, each warmed by the same calls.
 */
static void
test_lockstep(const SqlpilotTokenizer *tok)
{
	SqlpilotConfig c;
	SqlpilotWeights w;
	SqlpilotModel m;
	SqlpilotCompleteOptions o;
	float	   *params;
	char		err[256];
	char		path[] = "/tmp/sqlpilot-test-complete-XXXXXX";
	int			fd = mkstemp(path);
	int			n_prefixes = (int) (sizeof(alt_prefixes) / sizeof(alt_prefixes[0]));

	params = random_260k(&c, &w);
	if (fd >= 0)
		close(fd);
	if (!tap_ok(fd >= 0 && sqlpilot_model_save(path, &c, params, NULL, SQLPILOT_DTYPE_F16,
											   err, sizeof(err)) == 0 &&
				sqlpilot_model_load(&m, path, err, sizeof(err)) == 0 && m.weights.half.wq,
				"lockstep: a random 260K model saved and loaded as f16"))
	{
		unlink(path);
		free(params);
		return;
	}
	sqlpilot_complete_defaults(&o);
	o.max_tokens = getenv("SQLPILOT_TEST_QUICK") ? 8 : 16;
	for (int f16 = 1; f16 >= 0; f16--)
	{
		SqlpilotRunState batched,
					rowwise;
		const SqlpilotWeights *mw = f16 ? &m.weights : &w;
		int			calls = 0,
					same = 0,
					lists = 0;
		double		worst = 0.0;

		sqlpilot_runstate_init(&batched, &c, mw, err, sizeof(err));
		sqlpilot_runstate_init(&rowwise, &c, mw, err, sizeof(err));
		for (int i = 0; i < n_prefixes; i++)
			for (int shortalt = 1; shortalt >= 0; shortalt--)
			{
				SqlpilotCompletion a[5],
							b[5];
				int			na,
							nb;
				bool		eq;

				o.beam_width = 5;
				o.short_alternatives = shortalt;
				o.one_row_steps = false;
				na = run(&batched, tok, alt_prefixes[i], strlen(alt_prefixes[i]), &o, a, 5, err);
				o.one_row_steps = true;
				nb = run(&rowwise, tok, alt_prefixes[i], strlen(alt_prefixes[i]), &o, b, 5, err);
				eq = na == nb && na > 0;
				for (int k = 0; eq && k < na; k++)
				{
					worst = fmax(worst, fabs(a[k].score - b[k].score) / fmax(1.0, fabs(b[k].score)));
					eq = strcmp(a[k].text, b[k].text) == 0 && a[k].n_tokens == b[k].n_tokens &&
						fabs(a[k].score - b[k].score) <= 1e-5 * fmax(1.0, fabs(b[k].score));
				}
				calls++;
				same += eq;
				lists += na;
				sqlpilot_completion_free(a, na > 0 ? na : 0);
				sqlpilot_completion_free(b, nb > 0 ? nb : 0);
			}
		tap_ok(same == calls && batched.n_computed <= rowwise.n_computed,
			   "lockstep (%s weights): %d of %d calls (%d candidates) equal one row at a time "
			   "in text and tokens, scores to 1e-5 (worst %.2g); rows %ld vs %ld",
			   f16 ? "f16" : "float", same, calls, lists, worst, batched.n_computed,
			   rowwise.n_computed);
		sqlpilot_runstate_free(&batched);
		sqlpilot_runstate_free(&rowwise);
	}
	o.one_row_steps = false;
	sqlpilot_model_free(&m);
	unlink(path);
	free(params);
}

/*
 * Short alternatives and grounding: an alternative whose window (its W +
 * 32 best tokens) grounding refuses entirely takes the one best token
 * grounding allows, not W of them.  On the rigged model, with columns qa
 * and qb: 'i', 'q', 'd' and ' ' are preferred, so an alternative at "q"
 * finds no preferred letter that goes on to a name; of the tokens grounding
 * allows there ('a' and 'b', every other preference equal) it takes the
 * best ('a', the lower id) alone: qa is offered, qb is not.  (Before the
 * rule, the walk for W tokens spent the beam on other words: "div".)  12
 * tokens: the greedy "id id id id " leaves the alternatives' row cap room.
 */
static void
test_refused_window(const SqlpilotTokenizer *tok)
{
	const char *sch = "CREATE TABLE t (qa INT, qb INT, id INT);";
	const char *p = "SELECT * FROM t WHERE ";
	Rig			r;
	SqlpilotRunState s;
	SqlpilotCompleteOptions o;
	SqlpilotCompletion out[5];
	char		err[256];
	int			n;
	bool		qa = false,
				qb = false;

	rig_init(&r);
	sqlpilot_runstate_init(&s, &r.c, &r.w, err, sizeof(err));
	sqlpilot_complete_defaults(&o);
	rig_pref(&r, byte_token('i'), 5.0f);
	rig_pref(&r, byte_token('q'), 4.5f);
	rig_pref(&r, byte_token('d'), 4.0f);
	rig_pref(&r, byte_token(' '), 3.0f);
	rig_pref(&r, SQLPILOT_TOKEN_EOS, -5.0f);
	o.max_tokens = 12;
	o.beam_width = 5;
	n = sqlpilot_complete(&s, tok, sch, strlen(sch), p, strlen(p), &o, out, 5, err, sizeof(err));
	for (int i = 0; i < n; i++)
	{
		const char *w = out[i].text + strspn(out[i].text, " ");

		tap_diag("refused window: %d [%s] %.3f %d", i, out[i].text, out[i].score, out[i].n_tokens);
		qa = qa || strncmp(w, "qa", 2) == 0;
		qb = qb || strncmp(w, "qb", 2) == 0;
	}
	tap_ok(n >= 2 && strncmp(out[0].text, "id", 2) == 0 && qa && !qb,
		   "short alternatives: a spelling whose window grounding refuses takes its one best allowed token (qa, not qb; %d results)",
		   n);
	sqlpilot_completion_free(out, n > 0 ? n : 0);
	sqlpilot_runstate_free(&s);
	free(r.params);
}

int
main(void)
{
	SqlpilotTokenizer tok;
	SqlpilotCompleteOptions o;

	make_tokenizer(&tok);
	sqlpilot_complete_defaults(&o);
	tap_ok(o.beam_width == 1 && o.max_tokens == 64 && o.stop_at_semicolon && o.top_k == 0,
		   "defaults: greedy, 64 tokens, stop at ';'");
	test_rigged(&tok);
	test_random(&tok);
	test_short_alternatives(&tok);
	test_alternative_rows(&tok);
	test_refused_window(&tok);
	test_lockstep(&tok);
	sqlpilot_tokenizer_free(&tok);
	return tap_done();
}
