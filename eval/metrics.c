/*
 * metrics.c — the definitions of docs/metrics.md as functions over
 * text (see eval.h): words, cuts, rest_em normalization, identifiers and
 * hallucinations, the copy baseline, choosing tables and the typing
 * simulation.  No I/O and no model here.
 */
#include "eval.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "candidates.h"
#include "prompt.h"
#include "sql_lex.h"
#include "sql_words.h"
#include "table_choice.h"
#include "tables_split.h"
#include "util.h"

/* Whitespace: space \t \n \v \f \r. */
bool
eval_is_space(unsigned char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}

typedef struct FirstToken
{
	bool		found;
	SqlpilotLexToken tok;
} FirstToken;

/* Keeps the first token the lexer reports. */
static void
first_token(void *arg, const SqlpilotLexToken *t)
{
	FirstToken *ft = arg;

	if (!ft->found)
	{
		ft->found = true;
		ft->tok = *t;
	}
}

/*
 * The token of core/sql_lex.c that starts at pos (pos is not whitespace and
 * is a token boundary): fed byte by byte until the lexer reports it.
 */
static SqlpilotLexToken
word_token(const char *s, size_t len, size_t pos)
{
	FirstToken	ft = {false, {SQLPILOT_TOK_PUNCT, pos, pos + 1, true}};
	SqlpilotLex lx;

	sqlpilot_lex_init(&lx, pos, first_token, &ft);
	for (size_t p = pos; p < len && !ft.found; p++)
		sqlpilot_lex_feed(&lx, s + p, 1);
	if (!ft.found)
		sqlpilot_lex_finish(&lx);
	return ft.tok;
}

/* The end of the word at pos: the SQL token that starts there (docs/metrics.md). */
size_t
eval_word_end(const char *s, size_t len, size_t pos)
{
	return word_token(s, len, pos).end;
}

/* The first word whose end lies after c (it holds c, or starts after it). */
bool
eval_word_at(const char *s, size_t len, size_t c, EvalSpan *w)
{
	size_t		p = 0;

	while (p < len)
	{
		size_t		e;

		if (eval_is_space((unsigned char) s[p]))
		{
			p++;
			continue;
		}
		e = eval_word_end(s, len, p);
		if (e > c)
		{
			w->start = p;
			w->end = e;
			return true;
		}
		p = e;
	}
	return false;
}

/* A cut is mid-word when the word at c started before c. */
bool
eval_is_boundary_cut(const char *s, size_t len, size_t c)
{
	EvalSpan	w;

	return !(eval_word_at(s, len, c, &w) && w.start < c);
}

/* Compares the words at c of both texts by their bytes. */
bool
eval_next_word_match(const char *text, size_t text_len, const char *gold, size_t gold_len,
					 size_t c)
{
	EvalSpan	a,
				b;
	bool		ha = eval_word_at(text, text_len, c, &a);
	bool		hb = eval_word_at(gold, gold_len, c, &b);

	if (!ha || !hb)
		return ha == hb;
	return a.end - a.start == b.end - b.start &&
		memcmp(text + a.start, gold + b.start, a.end - a.start) == 0;
}

/*
 * Whether a short candidate's text, which ends inside the gold's word at c,
 * stops there at the end of an SQL token: "id" for the gold word "id,", not
 * "na" for "name".
 */
static bool
short_word_match(const char *text, size_t text_len, const char *gold, size_t gold_len, size_t c)
{
	EvalSpan	a,
				b;

	if (!eval_word_at(text, text_len, c, &a) || !eval_word_at(gold, gold_len, c, &b) ||
		a.end != text_len || a.start != b.start || a.end >= b.end ||
		memcmp(text + a.start, gold + b.start, a.end - a.start) != 0)
		return false;
	return !(sqlpilot_lex_ident_cont((unsigned char) gold[a.end]) &&
			 sqlpilot_lex_ident_cont((unsigned char) text[a.end - 1]));
}

/* See eval.h: the rank of the first candidate with the gold's next word. */
int
eval_next_word_rank(const char *gold, size_t gold_len, size_t c, const char *const *cands, int n)
{
	for (int i = 0; i < n; i++)
	{
		size_t		cl = strlen(cands[i]);
		char	   *text = malloc(c + cl + 1);
		bool		match;

		if (!text)
			return 0;
		memcpy(text, gold, c);
		memcpy(text + c, cands[i], cl);
		text[c + cl] = '\0';
		match = eval_next_word_match(text, c + cl, gold, gold_len, c) ||
			short_word_match(text, c + cl, gold, gold_len, c);
		free(text);
		if (match)
			return i + 1;
	}
	return 0;
}

/* See eval.h: folds each candidate in the prefix's context and compares them all. */
bool
eval_has_folded_duplicates(const char *prefix, size_t prefix_len, const char *const *cands, int n)
{
	char	  **f = calloc((size_t) (n > 0 ? n : 1), sizeof(char *));
	bool		dup = false;

	if (!f)
		return false;
	for (int i = 0; i < n && !dup; i++)
	{
		size_t		cl = strlen(cands[i]);
		char	   *text = malloc(prefix_len + cl + 1);

		if (!text)
			break;
		memcpy(text, prefix, prefix_len);
		memcpy(text + prefix_len, cands[i], cl);
		f[i] = sqlpilot_fold_literals(text, prefix_len + cl, prefix_len);
		free(text);
		for (int j = 0; j < i && f[i] && !dup; j++)
			dup = f[j] && strcmp(f[i], f[j]) == 0;
	}
	for (int i = 0; i < n; i++)
		free(f[i]);
	free(f);
	return dup;
}

/* Steps back over UTF-8 continuation bytes. */
size_t
eval_utf8_start(const char *s, size_t len, size_t c)
{
	if (c > len)
		c = len;
	while (c > 0 && c < len && ((unsigned char) s[c] & 0xC0) == 0x80)
		c--;
	return c;
}

/* SplitMix64 from seed * golden + i; each draw modulo len, moved to a character start. */
void
eval_draw_cuts(uint64_t seed, uint64_t i, const char *s, size_t len, int k, size_t *cuts)
{
	uint64_t	state = seed * 0x9E3779B97F4A7C15ULL + i;

	for (int j = 0; j < k; j++)
		cuts[j] = eval_utf8_start(s, len, (size_t) (sqlpilot_rng_next(&state) % len));
}

/* Counts the bytes that are not UTF-8 continuation bytes. */
size_t
eval_utf8_count(const char *s, size_t len)
{
	size_t		n = 0;

	for (size_t i = 0; i < len; i++)
		if (((unsigned char) s[i] & 0xC0) != 0x80)
			n++;
	return n;
}

/* Collapses whitespace runs, strips, drops one trailing ';', strips again. */
char *
eval_normalize(const char *s, size_t len, bool fold, size_t *out_len)
{
	char	   *out = malloc(len + 1);
	size_t		n = 0;
	bool		space = false;

	if (!out)
		return NULL;
	for (size_t i = 0; i < len; i++)
	{
		unsigned char c = (unsigned char) s[i];

		if (eval_is_space(c))
		{
			space = true;
			continue;
		}
		if (space && n > 0)
			out[n++] = ' ';
		space = false;
		out[n++] = (char) (fold && c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
	}
	if (n > 0 && out[n - 1] == ';')
		n--;
	while (n > 0 && out[n - 1] == ' ')
		n--;
	out[n] = '\0';
	*out_len = n;
	return out;
}

/* Compares the normalized texts. */
bool
eval_rest_match(const char *text, size_t text_len, const char *gold, size_t gold_len, bool fold)
{
	size_t		la,
				lb;
	char	   *a = eval_normalize(text, text_len, fold, &la);
	char	   *b = eval_normalize(gold, gold_len, fold, &lb);
	bool		eq = a && b && la == lb && memcmp(a, b, la) == 0;

	free(a);
	free(b);
	return eq;
}

/* ---- why rest_em fails ---- */

/* The kind of word t of text (EVAL_WORD_NONE for a NULL t). */
static EvalWordKind
word_kind(const char *text, const SqlpilotLexToken *t)
{
	if (!t)
		return EVAL_WORD_NONE;
	switch (t->kind)
	{
		case SQLPILOT_TOK_IDENT:
			return eval_is_sql_word(text + t->start, t->end - t->start) ?
				EVAL_WORD_KEYWORD : EVAL_WORD_IDENT;
		case SQLPILOT_TOK_QIDENT:
			return EVAL_WORD_QIDENT;
		case SQLPILOT_TOK_STRING:
		case SQLPILOT_TOK_DOLLAR:
			return EVAL_WORD_STRING;
		case SQLPILOT_TOK_NUMBER:
			return EVAL_WORD_NUMBER;
		case SQLPILOT_TOK_OP:
		case SQLPILOT_TOK_PUNCT:
			return EVAL_WORD_PUNCT;
		default:
			return EVAL_WORD_OTHER;
	}
}

/* See eval.h. */
const char *
eval_word_kind_name(EvalWordKind k)
{
	static const char *const names[EVAL_N_WORD_KINDS] = {
		"ended", "keyword", "identifier", "quoted name", "string literal", "number",
		"operator/punctuation", "comment/parameter"
	};

	return k >= 0 && k < EVAL_N_WORD_KINDS ? names[k] : "?";
}

/* See eval.h. */
const char *
eval_near_miss_name(EvalNearMiss n)
{
	static const char *const names[EVAL_N_NEAR] = {
		"a real difference", "whitespace only", "final ';' only", "letter case only",
		"quoting only"
	};

	return n >= 0 && n < EVAL_N_NEAR ? names[n] : "?";
}

/* One side of a comparison of words: a text and its words from the first after the cut. */
typedef struct WordSeq
{
	const char *s;
	const SqlpilotLexToken *w;
	int			n;
} WordSeq;

/*
 * Whether word a of x equals word b of y at a level: 0 byte for byte, 1
 * ignoring ASCII case, 2 also with names compared by what they name once
 * unquoted (case ignored: "Users" and users are the same quoting miss).
 */
static bool
words_equal(const WordSeq *x, int a, const WordSeq *y, int b, int level)
{
	const SqlpilotLexToken *p = &x->w[a],
			   *q = &y->w[b];
	size_t		lp = p->end - p->start,
				lq = q->end - q->start;
	bool		np = p->kind == SQLPILOT_TOK_IDENT || p->kind == SQLPILOT_TOK_QIDENT;
	bool		nq = q->kind == SQLPILOT_TOK_IDENT || q->kind == SQLPILOT_TOK_QIDENT;

	if (level == 2 && np && nq)
	{
		char		vp[128],
					vq[128];
		size_t		mp = sqlpilot_lex_ident_value(x->s, p, vp, sizeof(vp));
		size_t		mq = sqlpilot_lex_ident_value(y->s, q, vq, sizeof(vq));

		return mp == mq && mp < sizeof(vp) && strcasecmp(vp, vq) == 0;
	}
	if (lp != lq)
		return false;
	return level == 0 ? memcmp(x->s + p->start, y->s + q->start, lp) == 0 :
		strncasecmp(x->s + p->start, y->s + q->start, lp) == 0;
}

/* Words of seq without its final ';' words. */
static int
without_final_semicolons(const WordSeq *seq)
{
	int			n = seq->n;

	while (n > 0 && seq->w[n - 1].end - seq->w[n - 1].start == 1 &&
		   seq->s[seq->w[n - 1].start] == ';')
		n--;
	return n;
}

/* Whether the words of x and y are equal at a level (of their first nx and ny). */
static bool
seq_equal(const WordSeq *x, int nx, const WordSeq *y, int ny, int level)
{
	if (nx != ny)
		return false;
	for (int i = 0; i < nx; i++)
		if (!words_equal(x, i, y, i, level))
			return false;
	return true;
}

/* Whether the literal word t of gold was there to copy: before it, or in the schema. */
static bool
literal_seen(const char *gold, const SqlpilotLexToken *t, const char *schema, size_t schema_len)
{
	size_t		l = t->end - t->start;

	return memmem(gold, t->start, gold + t->start, l) != NULL ||
		memmem(schema, schema_len, gold + t->start, l) != NULL;
}

/*
 * Whether the texts are equal as for rest_em once every literal that reaches
 * past c is folded to one placeholder (the prefix gold[:c] kept as it is).
 */
static bool
folded_match(const char *text, size_t text_len, const char *gold, size_t gold_len, size_t c)
{
	char	   *a = sqlpilot_fold_literals(text, text_len, c);
	char	   *b = sqlpilot_fold_literals(gold, gold_len, c);
	size_t		la = a ? strlen(a) : 0,
				lb = b ? strlen(b) : 0;
	char	   *x = a && b ? malloc(c + la + 1) : NULL;
	char	   *y = x ? malloc(c + lb + 1) : NULL;
	bool		eq = false;

	if (y)
	{
		memcpy(x, gold, c);
		memcpy(x + c, a, la + 1);
		memcpy(y, gold, c);
		memcpy(y + c, b, lb + 1);
		eq = eval_rest_match(x, c + la, y, c + lb, false);
	}
	free(a);
	free(b);
	free(x);
	free(y);
	return eq;
}

/* See eval.h: lexes both texts and walks their words after the cut side by side. */
bool
eval_rest_diagnose(const char *text, size_t text_len, const char *gold, size_t gold_len,
				   size_t c, const char *schema, size_t schema_len, EvalRestDiag *d)
{
	SqlpilotLexToken *tw,
			   *gw;
	size_t		nt = sqlpilot_lex_all(text, text_len, true, &tw);
	size_t		ng = sqlpilot_lex_all(gold, gold_len, true, &gw);
	WordSeq		x,
				y;
	int			k = 0;

	memset(d, 0, sizeof(*d));
	if (nt == (size_t) -1 || ng == (size_t) -1)
	{
		free(nt == (size_t) -1 ? NULL : tw);
		free(ng == (size_t) -1 ? NULL : gw);
		return false;
	}
	d->match = eval_rest_match(text, text_len, gold, gold_len, false);
	d->match_folded = d->match || folded_match(text, text_len, gold, gold_len, c);
	x.s = text;
	x.w = tw;
	x.n = (int) nt;
	while (x.n > 0 && x.w->end <= c)
	{
		x.w++;
		x.n--;
	}
	y.s = gold;
	y.w = gw;
	y.n = (int) ng;
	while (y.n > 0 && y.w->end <= c)
	{
		y.w++;
		y.n--;
	}
	d->text_words = x.n;
	d->gold_words = y.n;
	for (int i = 0; i < y.n; i++)
		if (y.w[i].kind == SQLPILOT_TOK_STRING || y.w[i].kind == SQLPILOT_TOK_DOLLAR ||
			y.w[i].kind == SQLPILOT_TOK_NUMBER)
		{
			bool		seen = literal_seen(gold, &y.w[i], schema, schema_len);

			d->gold_literal = true;
			d->gold_new_literal = d->gold_new_literal || !seen;
			d->gold_new_literal_after = d->gold_new_literal_after || (!seen && y.w[i].start >= c);
		}
	for (int i = 0; i + 1 < x.n; i++)
		if (x.w[i].end - x.w[i].start == 1 && text[x.w[i].start] == ';' &&
			x.w[i].start >= c && x.w[i + 1].kind != SQLPILOT_TOK_COMMENT)
			d->past_semicolon = true;
	while (k < x.n && k < y.n && words_equal(&x, k, &y, k, 0))
		k++;
	if (k == x.n && k == y.n)
		d->diverge_at = -1;
	else
	{
		d->diverge_at = k;
		d->gold_kind = word_kind(gold, k < y.n ? &y.w[k] : NULL);
		d->text_kind = word_kind(text, k < x.n ? &x.w[k] : NULL);
		d->diverge_pos = k < y.n ? y.w[k].start : gold_len;
	}
	if (!d->match)
	{
		if (d->diverge_at < 0)
			d->near = EVAL_NEAR_SPACE;
		else if (seq_equal(&x, without_final_semicolons(&x), &y, without_final_semicolons(&y), 0))
			d->near = EVAL_NEAR_SEMICOLON;
		else if (seq_equal(&x, x.n, &y, y.n, 1))
			d->near = EVAL_NEAR_CASE;
		else if (seq_equal(&x, x.n, &y, y.n, 2))
			d->near = EVAL_NEAR_QUOTING;
	}
	free(tw);
	free(gw);
	return true;
}

/* Walks the words; the unquoted identifiers among them are the identifiers. */
size_t
eval_identifiers(const char *s, size_t len, EvalSpan *out, size_t cap)
{
	size_t		p = 0,
				n = 0;

	while (p < len)
	{
		SqlpilotLexToken t;

		if (eval_is_space((unsigned char) s[p]))
		{
			p++;
			continue;
		}
		t = word_token(s, len, p);
		if (t.kind == SQLPILOT_TOK_IDENT)
		{
			if (n < cap)
			{
				out[n].start = t.start;
				out[n].end = t.end;
			}
			n++;
		}
		p = t.end;
	}
	return n;
}

/* Orders two names for qsort and bsearch. */
static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

/* Adds one lower-cased name. */
void
eval_names_add(EvalNameSet *set, const char *s, size_t len)
{
	char	   *name;

	if (set->n == set->cap)
	{
		size_t		cap = set->cap * 2 + 64;
		char	  **nn = realloc(set->names, sizeof(char *) * cap);

		if (!nn)
			return;
		set->names = nn;
		set->cap = cap;
	}
	name = malloc(len + 1);
	if (!name)
		return;
	for (size_t i = 0; i < len; i++)
		name[i] = (char) tolower((unsigned char) s[i]);
	name[len] = '\0';
	set->names[set->n++] = name;
	set->sorted = false;
}

/* Adds identifiers and "quoted" names (their values, "" unescaped) of a text. */
void
eval_names_add_text(EvalNameSet *set, const char *s, size_t len)
{
	size_t		p = 0;

	while (p < len)
	{
		SqlpilotLexToken t;

		if (eval_is_space((unsigned char) s[p]))
		{
			p++;
			continue;
		}
		t = word_token(s, len, p);
		if (t.kind == SQLPILOT_TOK_IDENT)
			eval_names_add(set, s + t.start, t.end - t.start);
		else if (t.kind == SQLPILOT_TOK_QIDENT)
		{
			char	   *v = malloc(t.end - t.start + 1);

			if (v)
				eval_names_add(set, v, sqlpilot_lex_ident_value(s, &t, v, t.end - t.start + 1));
			free(v);
		}
		p = t.end;
	}
}

/* Case-insensitive membership (sorts the set on first use after additions). */
bool
eval_names_has(EvalNameSet *set, const char *s, size_t len)
{
	char		buf[128];
	char	   *key = buf;

	if (set->n == 0 || len >= sizeof(buf))
		return false;
	if (!set->sorted)
	{
		qsort(set->names, set->n, sizeof(char *), name_cmp);
		set->sorted = true;
	}
	for (size_t i = 0; i < len; i++)
		buf[i] = (char) tolower((unsigned char) s[i]);
	buf[len] = '\0';
	return bsearch(&key, set->names, set->n, sizeof(char *), name_cmp) != NULL;
}

/* Frees the names. */
void
eval_names_free(EvalNameSet *set)
{
	for (size_t i = 0; i < set->n; i++)
		free(set->names[i]);
	free(set->names);
	memset(set, 0, sizeof(*set));
}

/*
 * An SQL word: sqlpilot_sql_word (core/sql_words.h), the one definition
 * grounding shares: reserved, column-name and type/function-name keywords,
 * the unreserved keywords statements use, built-in functions and type
 * names; case-insensitive.  Other unreserved keywords (name, data, value...)
 * used as names count as names.
 */
bool
eval_is_sql_word(const char *s, size_t len)
{
	return sqlpilot_sql_word(s, len, false, true, NULL, 0);
}

/* Skips whitespace from p. */
static size_t
skip_space(const char *s, size_t len, size_t p)
{
	while (p < len && eval_is_space((unsigned char) s[p]))
		p++;
	return p;
}

/* Case-insensitive comparison of an identifier span with a keyword. */
static bool
span_is(const char *s, EvalSpan sp, const char *word)
{
	size_t		n = strlen(word);

	return sp.end - sp.start == n && strncasecmp(s + sp.start, word, n) == 0;
}

/*
 * When id[i] is the AS of a common table expression ("name AS (" or
 * "name (a, b) AS ("), adds the name and its column names to set.
 */
static void
add_cte_names(EvalNameSet *set, const char *text, size_t len, const EvalSpan *id, size_t n,
			  size_t i)
{
	size_t		p = skip_space(text, len, id[i].end);
	size_t		q = id[i].start;
	size_t		open;
	int			depth = 0;

	if (p >= len || text[p] != '(' || i == 0)
		return;
	while (q > 0 && eval_is_space((unsigned char) text[q - 1]))
		q--;
	if (q == 0 || text[q - 1] != ')')
	{
		/* "name AS (": the identifier just before AS */
		if (id[i - 1].end == q)
			eval_names_add(set, text + id[i - 1].start, id[i - 1].end - id[i - 1].start);
		return;
	}
	/* "name (a, b) AS (": the column list back to its "(", then the name before it */
	for (open = q - 1;; open--)
	{
		depth += text[open] == ')';
		depth -= text[open] == '(';
		if (depth == 0 || open == 0)
			break;
	}
	if (depth != 0)
		return;
	for (size_t j = i; j-- > 0;)
	{
		if (id[j].start > open)
			eval_names_add(set, text + id[j].start, id[j].end - id[j].start);
		else
		{
			size_t		e = open;

			while (e > 0 && eval_is_space((unsigned char) text[e - 1]))
				e--;
			if (id[j].end == e)
				eval_names_add(set, text + id[j].start, id[j].end - id[j].start);
			break;
		}
	}
}

/*
 * Counts identifiers ending after prefix_len and the unknown ones.  Aliases:
 * the identifier after AS, and the one right after a table name that follows
 * FROM, JOIN or UPDATE (a dotted name counts as one).
 */
void
eval_hallucinations(EvalNameSet *names, const char *text, size_t text_len,
					size_t prefix_len, long *n_idents, long *n_bad)
{
	size_t		n = eval_identifiers(text, text_len, NULL, 0);
	EvalSpan   *id = malloc(sizeof(EvalSpan) * (n ? n : 1));
	EvalNameSet aliases = {0};

	if (!id)
		return;
	eval_identifiers(text, text_len, id, n);
	for (size_t i = 0; i + 1 < n; i++)
	{
		if (span_is(text, id[i], "as"))
			eval_names_add(&aliases, text + id[i + 1].start, id[i + 1].end - id[i + 1].start);
		if (span_is(text, id[i], "as"))
			add_cte_names(&aliases, text, text_len, id, n, i);
		else if (span_is(text, id[i], "from") || span_is(text, id[i], "join") ||
				 span_is(text, id[i], "update"))
		{
			size_t		j = i + 1;

			/* Skip "schema." parts: identifiers joined by a single dot. */
			while (j + 1 < n && id[j].end < text_len && text[id[j].end] == '.' &&
				   id[j + 1].start == id[j].end + 1)
				j++;
			if (j + 1 < n && !eval_is_sql_word(text + id[j + 1].start, id[j + 1].end - id[j + 1].start))
			{
				bool		adjacent = true;

				/* Only whitespace between the table name and the alias. */
				for (size_t k = id[j].end; k < id[j + 1].start; k++)
					adjacent = adjacent && eval_is_space((unsigned char) text[k]);
				if (adjacent)
					eval_names_add(&aliases, text + id[j + 1].start, id[j + 1].end - id[j + 1].start);
			}
		}
	}
	for (size_t i = 0; i < n; i++)
	{
		const char *w = text + id[i].start;
		size_t		l = id[i].end - id[i].start;

		if (id[i].end <= prefix_len)
			continue;
		(*n_idents)++;
		if (!eval_names_has(names, w, l) && !eval_names_has(&aliases, w, l) &&
			!eval_is_sql_word(w, l))
			(*n_bad)++;
	}
	eval_names_free(&aliases);
	free(id);
}

/* Finds the first schema identifier starting with typed (case-sensitive or not). */
static const EvalSpan *
find_ident(const char *schema, const EvalSpan *id, size_t n, const char *typed, size_t tl,
		   bool nocase)
{
	for (size_t i = 0; i < n; i++)
	{
		if (id[i].end - id[i].start < tl)
			continue;
		if (nocase ? strncasecmp(schema + id[i].start, typed, tl) == 0 :
			memcmp(schema + id[i].start, typed, tl) == 0)
			return &id[i];
	}
	return NULL;
}

/* The copy baseline (see eval.h). */
char *
eval_copy_complete(const char *schema, size_t schema_len, const char *gold, size_t gold_len,
				   size_t cut)
{
	EvalSpan	w;
	char	   *out = NULL;

	if (eval_word_at(gold, gold_len, cut, &w) && w.start < cut &&
		sqlpilot_lex_ident_start((unsigned char) gold[w.start]))
	{
		size_t		n = eval_identifiers(schema, schema_len, NULL, 0);
		EvalSpan   *id = malloc(sizeof(EvalSpan) * (n ? n : 1));
		const EvalSpan *hit = NULL;

		if (id)
		{
			eval_identifiers(schema, schema_len, id, n);
			hit = find_ident(schema, id, n, gold + w.start, cut - w.start, false);
			if (!hit)
				hit = find_ident(schema, id, n, gold + w.start, cut - w.start, true);
		}
		if (hit)
		{
			size_t		l = hit->end - hit->start - (cut - w.start);

			out = malloc(l + 1);
			if (out)
			{
				memcpy(out, schema + hit->start + (cut - w.start), l);
				out[l] = '\0';
			}
		}
		free(id);
		if (out)
			return out;
	}
	out = malloc(1);
	if (out)
		out[0] = '\0';
	return out;
}

/* Token count of BOS + prompt (schema, then typed). */
static size_t
prompt_tokens(const SqlpilotTokenizer *tok, const char *schema, size_t schema_len,
			  const char *typed, size_t typed_len)
{
	return sqlpilot_prompt_encode(tok, schema, schema_len, typed, typed_len, false, NULL, 0,
								  NULL, NULL);
}

/*
 * The context less EVAL_MAX_NEW_TOKENS, as the extension leaves
 * sqlpilot.max_tokens; half the context when that would leave less.
 */
int
eval_cut_budget(int seq_len)
{
	return seq_len - EVAL_MAX_NEW_TOKENS >= seq_len / 2 ? seq_len - EVAL_MAX_NEW_TOKENS : seq_len / 2;
}

/*
 * Chooses tables for typed with core/table_choice.h (see eval.h): the
 * tables' texts (trailing whitespace trimmed) go to the one choice the
 * extension makes, and the chosen ones are joined by one blank line.
 */
char *
eval_fit_schema(const SqlpilotTokenizer *tok, int budget, const char *schema,
				size_t schema_len, const char *typed, size_t typed_len,
				size_t *out_len, bool *truncated)
{
	SqlpilotSchemaTable *t;
	int			n,
				k;
	const char **texts;
	const char **names;
	size_t	   *lens;
	int		   *chosen;
	char	   *out = NULL;

	*truncated = false;
	if (!tok || prompt_tokens(tok, schema, schema_len, typed, typed_len) <= (size_t) budget)
	{
		out = malloc(schema_len + 1);
		if (out)
		{
			memcpy(out, schema, schema_len);
			out[schema_len] = '\0';
			*out_len = schema_len;
		}
		return out;
	}
	n = sqlpilot_tables_split(schema, schema_len, &t);
	if (n < 0)
		return NULL;
	texts = malloc(sizeof(char *) * (n + 1));
	names = malloc(sizeof(char *) * (n + 1));
	lens = malloc(sizeof(size_t) * (n + 1));
	chosen = malloc(sizeof(int) * (n + 1));
	if (texts && names && lens && chosen)
	{
		size_t		total = 1;

		for (int i = 0; i < n; i++)
		{
			texts[i] = t[i].text.data;
			lens[i] = t[i].text.len;
			names[i] = t[i].name;
			total += lens[i] + 2;
		}
		/* a schema without CREATE TABLE that does not fit: no table */
		k = n > 0 ? sqlpilot_tables_choose_texts(tok, texts, lens, names, n, typed, typed_len,
												 budget, chosen) : 0;
		if (k >= 0 && (out = malloc(total)) != NULL)
		{
			size_t		len = 0;

			for (int j = 0; j < k; j++)
			{
				if (j > 0)
				{
					memcpy(out + len, "\n\n", 2);
					len += 2;
				}
				memcpy(out + len, texts[chosen[j]], lens[chosen[j]]);
				len += lens[chosen[j]];
			}
			out[len] = '\0';
			*out_len = len;
			*truncated = k < n || n == 0;
		}
	}
	free(texts);
	free(names);
	free(lens);
	free(chosen);
	sqlpilot_tables_split_free(t, n);
	return out;
}

/*
 * The accepted length of a completion at pos: the longest end of a word of
 * stmt[:pos] + completion, inside the completion, up to which the completion
 * equals the statement's continuation; 0 when none.
 */
static size_t
accepted_length(const char *stmt, size_t len, size_t pos, const char *comp, size_t clen)
{
	size_t		agree = 0,
				best = 0,
				tl = pos + clen,
				p = 0;
	char	   *text = malloc(tl + 1);

	if (!text)
		return 0;
	while (agree < clen && pos + agree < len && comp[agree] == stmt[pos + agree])
		agree++;
	memcpy(text, stmt, pos);
	memcpy(text + pos, comp, clen);
	while (p < tl)
	{
		size_t		e;

		if (eval_is_space((unsigned char) text[p]))
		{
			p++;
			continue;
		}
		e = eval_word_end(text, tl, p);
		if (e > pos && e - pos <= agree)
			best = e - pos;
		p = e;
	}
	free(text);
	return best;
}

/* The typing simulation of keystrokes_saved (see eval.h). */
int
eval_simulate_typing(const char *stmt, size_t len, EvalCompleteFn fn, void *arg,
					 long *keys, long *chars, EvalTypingTrace *trace)
{
	size_t		pos = 0;
	long		n = 0;
	EvalTypingTrace tr;
	SqlpilotLexToken *w = NULL;
	size_t		nw = 0,
				wi = 0;

	memset(&tr, 0, sizeof(tr));
	if (trace && (nw = sqlpilot_lex_all(stmt, len, true, &w)) == (size_t) -1)
	{
		w = NULL;
		nw = 0;
	}
	while (pos < len)
	{
		char	   *comp = fn(arg, stmt, pos);
		size_t		k;

		if (!comp)
		{
			free(w);
			return -1;
		}
		k = accepted_length(stmt, len, pos, comp, strlen(comp));
		free(comp);
		n++;
		if (k > 0)
		{
			tr.tabs++;
			tr.tab_chars += (long) eval_utf8_count(stmt + pos, k);
			pos += k;
			continue;
		}
		/* one character, counted under the word it belongs to (none: whitespace) */
		while (wi < nw && w[wi].end <= pos)
			wi++;
		tr.typed[wi < nw && w[wi].start <= pos ? word_kind(stmt, &w[wi]) : EVAL_WORD_NONE]++;
		pos++;
		while (pos < len && ((unsigned char) stmt[pos] & 0xC0) == 0x80)
			pos++;
	}
	free(w);
	*keys += n;
	*chars += (long) eval_utf8_count(stmt, len);
	if (trace)
	{
		trace->tabs += tr.tabs;
		trace->tab_chars += tr.tab_chars;
		for (int i = 0; i < EVAL_N_WORD_KINDS; i++)
			trace->typed[i] += tr.typed[i];
	}
	return 0;
}

/* Whether text t of tl bytes is what stmt holds at pos. */
static bool
agrees_at(const char *stmt, size_t len, size_t pos, const char *t, size_t tl)
{
	return tl <= len - pos && memcmp(stmt + pos, t, tl) == 0;
}

/* See eval.h. */
int
eval_simulate_typing_psql(const char *stmt, size_t len, EvalListFn fn, void *arg,
						  long *keys, long *chars)
{
	size_t		pos = 0;
	long		n = 0;

	while (pos < len)
	{
		char	   *c[EVAL_TYPING_LIST_MAX];
		int			nc = fn(arg, stmt, pos, c, EVAL_TYPING_LIST_MAX);
		size_t		k = 0,
					lcp;

		if (nc < 0)
			return -1;
		if (nc > 0)
		{
			/* the whole statement (the last candidate), or the list's common prefix */
			if (agrees_at(stmt, len, pos, c[nc - 1], strlen(c[nc - 1])))
				k = strlen(c[nc - 1]);
			lcp = strlen(c[0]);
			for (int i = 1; i < nc; i++)
			{
				size_t		j = 0;

				while (j < lcp && c[i][j] == c[0][j])
					j++;
				lcp = j;
			}
			if (lcp > k && agrees_at(stmt, len, pos, c[0], lcp))
				k = lcp;
		}
		for (int i = 0; i < nc; i++)
			free(c[i]);
		n++;
		if (k > 0)
		{
			pos += k;
			continue;
		}
		pos++;
		while (pos < len && ((unsigned char) stmt[pos] & 0xC0) == 0x80)
			pos++;
	}
	*keys += n;
	*chars += (long) eval_utf8_count(stmt, len);
	return 0;
}

/* Orders doubles ascending for qsort. */
static int
double_cmp(const void *a, const void *b)
{
	double		x = *(const double *) a,
				y = *(const double *) b;

	return x < y ? -1 : x > y;
}

/* Nearest rank: the value at position ceil(p * n) in sorted order; sorts v. */
double
eval_percentile(double *v, size_t n, double p)
{
	size_t		k;

	if (n == 0)
		return NAN;
	qsort(v, n, sizeof(double), double_cmp);
	k = (size_t) ceil(p * n);
	if (k < 1)
		k = 1;
	if (k > n)
		k = n;
	return v[k - 1];
}
