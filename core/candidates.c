/*
 * candidates.c — the next word, the next clause and the whole statement of
 * each completion, distinct after folding literals (see candidates.h).
 *
 * A clause runs from the next word to the next keyword that starts a clause
 * (WHERE, GROUP BY, JOIN, SET, VALUES, RETURNING, ...) at its parenthesis
 * depth, a ')' that closes an enclosing one, or a ';'.  It also stops before
 * a literal: the value is the user's to choose ("id = 24" offers "id = "),
 * while the whole statement keeps it (a complete statement to run or show).
 * One rule (clause_stops) serves the list and the search, which ends a
 * beam that only has to offer its clause once the clause is decided.
 */
#include "candidates.h"
#include "sql_lex.h"

#include <stdlib.h>
#include <string.h>

/* Keywords that start a clause (a clause candidate ends before them). */
static const char *const clause_keywords[] = {
	"select", "from", "where", "group", "having", "window", "order", "limit",
	"offset", "fetch", "for", "union", "intersect", "except", "join", "inner",
	"left", "right", "full", "cross", "natural", "set", "values", "returning",
	"into"
};

/* Whether a token is a literal: a string, a dollar-quoted string or a number. */
static bool
is_literal(const SqlpilotLexToken *t)
{
	return t->kind == SQLPILOT_TOK_STRING || t->kind == SQLPILOT_TOK_DOLLAR ||
		t->kind == SQLPILOT_TOK_NUMBER;
}

/* The placeholder a literal token folds to. */
static const char *
literal_placeholder(const SqlpilotLexToken *t)
{
	return t->kind == SQLPILOT_TOK_NUMBER ? "0" : "''";
}

/* Whether token t of s is the unquoted word w (lower case), in any case. */
static bool
token_is_word(const char *s, const SqlpilotLexToken *t, const char *w)
{
	size_t		n = strlen(w);

	if (t->kind != SQLPILOT_TOK_IDENT || t->end - t->start != n)
		return false;
	for (size_t i = 0; i < n; i++)
	{
		char		c = s[t->start + i];

		if (c >= 'A' && c <= 'Z')
			c = (char) (c - 'A' + 'a');
		if (c != w[i])
			return false;
	}
	return true;
}

/* Whether token t of s is a keyword that starts a clause. */
static bool
is_clause_keyword(const char *s, const SqlpilotLexToken *t)
{
	for (size_t i = 0; i < sizeof(clause_keywords) / sizeof(clause_keywords[0]); i++)
		if (token_is_word(s, t, clause_keywords[i]))
			return true;
	return false;
}

/* Whether token t of s is the one-byte punctuation c. */
static bool
is_punct(const char *s, const SqlpilotLexToken *t, char c)
{
	return t->kind == SQLPILOT_TOK_PUNCT && t->end - t->start == 1 && s[t->start] == c;
}

/* See candidates.h. */
char *
sqlpilot_fold_literals(const char *s, size_t len, size_t ctx_len)
{
	SqlpilotLexToken *toks;
	size_t		ntok = sqlpilot_lex_all(s, len, true, &toks);
	char	   *out;
	size_t		pos = ctx_len,
				o = 0;

	if (ntok == (size_t) -1)
		return NULL;
	/* a placeholder is at most 2 bytes and replaces at least 1 */
	out = malloc(2 * (len - ctx_len) + 1);
	if (!out)
	{
		free(toks);
		return NULL;
	}
	for (size_t i = 0; i < ntok; i++)
	{
		const SqlpilotLexToken *t = &toks[i];
		size_t		from = t->start > ctx_len ? t->start : ctx_len;
		const char *ph;

		if (t->end <= ctx_len || !is_literal(t))
			continue;
		memcpy(out + o, s + pos, from - pos);
		o += from - pos;
		ph = literal_placeholder(t);
		memcpy(out + o, ph, strlen(ph));
		o += strlen(ph);
		pos = t->end;
	}
	memcpy(out + o, s + pos, len - pos);
	o += len - pos;
	out[o] = '\0';
	free(toks);
	return out;
}

/* What sqlpilot_next_word's lexer callback looks for and finds. */
typedef struct NextWord
{
	size_t		from;
	bool		found;
	SqlpilotLexToken tok;
} NextWord;

/* Keeps the first token past nw->from (comments left out). */
static void
next_word_emit(void *arg, const SqlpilotLexToken *t)
{
	NextWord   *nw = arg;

	if (nw->found || t->kind == SQLPILOT_TOK_COMMENT || t->end <= nw->from)
		return;
	nw->found = true;
	nw->tok = *t;
}

/* See candidates.h. */
bool
sqlpilot_next_word(const char *s, size_t len, size_t from, bool final,
				   size_t *start, size_t *end, char *key)
{
	SqlpilotLex lx;
	NextWord	nw = {from, false, {0}};
	size_t		n;

	sqlpilot_lex_init(&lx, 0, next_word_emit, &nw);
	sqlpilot_lex_feed(&lx, s, len);
	if (!nw.found && final)
		sqlpilot_lex_finish(&lx);
	if (!nw.found)
	{
		SqlpilotLexIn in = sqlpilot_lex_in(&lx);

		/*
		 * a literal under way already has its key, whatever its end, once it
		 * is past from (one that reaches just to from may end there: "(1,")
		 */
		if ((in != SQLPILOT_IN_NUMBER && in != SQLPILOT_IN_STRING && in != SQLPILOT_IN_DOLLAR) ||
			len <= from)
			return false;
		*start = sqlpilot_lex_pending_start(&lx);
		*end = len;
		strcpy(key, in == SQLPILOT_IN_NUMBER ? "0" : "''");
		return true;
	}
	*start = nw.tok.start;
	*end = nw.tok.end;
	if (is_literal(&nw.tok))
	{
		strcpy(key, literal_placeholder(&nw.tok));
		return true;
	}
	n = nw.tok.end - nw.tok.start;
	if (n > SQLPILOT_WORD_KEY_MAX - 1)
		n = SQLPILOT_WORD_KEY_MAX - 1;
	for (size_t i = 0; i < n; i++)
	{
		char		c = s[nw.tok.start + i];

		if (nw.tok.kind == SQLPILOT_TOK_IDENT && c >= 'A' && c <= 'Z')
			c = (char) (c - 'A' + 'a');
		key[i] = c;
	}
	key[n] = '\0';
	return true;
}

/* Where a clause stands while its tokens are read (clause_stops). */
typedef struct ClauseState
{
	bool		lead;			/* still in the clause keywords it starts with */
	int			depth;			/* parentheses opened inside it */
} ClauseState;

/* The state of a clause that starts with word token w of s. */
static ClauseState
clause_start(const char *s, const SqlpilotLexToken *w)
{
	ClauseState cs = {is_clause_keyword(s, w), 0};

	return cs;
}

/*
 * Whether token t (after the clause's first word) ends the clause before it:
 * a literal, a ')' closing an enclosing parenthesis, a ';', or a clause
 * keyword past the ones the clause starts with.  The one rule that both the
 * candidate list (clause_end) and the search (sqlpilot_clause_decided) use.
 */
static bool
clause_stops(ClauseState *cs, const char *s, const SqlpilotLexToken *t)
{
	if (is_literal(t))
		return true;
	if (is_punct(s, t, '('))
	{
		cs->depth++;
		return false;
	}
	if (is_punct(s, t, ')') && cs->depth-- == 0)
		return true;
	if (is_punct(s, t, ';') && cs->depth == 0)
		return true;
	if (cs->lead && (is_clause_keyword(s, t) || token_is_word(s, t, "by") ||
					 token_is_word(s, t, "outer")))
		return false;
	if (cs->depth == 0 && is_clause_keyword(s, t))
		return true;
	cs->lead = false;
	return false;
}

/*
 * Where the clause of full (the prefix and a completion, tokens toks[0..ntok))
 * that starts with token w ends: before the first token clause_stops at (the
 * spaces before it left out), or right before a literal (spaces kept, a sign
 * right before a number taken with it).  The end of the text when nothing
 * stops it.
 */
static size_t
clause_end(const char *full, size_t len, const SqlpilotLexToken *toks, size_t ntok, size_t w)
{
	ClauseState cs = clause_start(full, &toks[w]);
	size_t		stop = len;
	bool		trim = true;

	for (size_t j = w + 1; j < ntok; j++)
	{
		const SqlpilotLexToken *t = &toks[j];

		if (!clause_stops(&cs, full, t))
			continue;
		stop = t->start;
		if (is_literal(t))
		{
			/* a sign right before a number belongs to it */
			if (j > w + 1 && toks[j - 1].kind == SQLPILOT_TOK_OP && toks[j - 1].end == t->start &&
				toks[j - 1].end - toks[j - 1].start == 1 &&
				(full[toks[j - 1].start] == '-' || full[toks[j - 1].start] == '+'))
				stop = toks[j - 1].start;
			trim = false;
		}
		break;
	}
	while (trim && stop > toks[w].end && (full[stop - 1] == ' ' || full[stop - 1] == '\t' ||
										  full[stop - 1] == '\n' || full[stop - 1] == '\r'))
		stop--;
	return stop;
}

/* What sqlpilot_clause_decided's lexer callback has seen past the typed text. */
typedef struct ClauseScan
{
	const char *s;
	size_t		from;
	bool		have_word;		/* the completion's first word was read */
	bool		decided;
	ClauseState cs;
} ClauseScan;

/* Reads the tokens past scan->from: the first word, then the clause until it stops. */
static void
clause_scan_emit(void *arg, const SqlpilotLexToken *t)
{
	ClauseScan *cl = arg;

	if (cl->decided || t->kind == SQLPILOT_TOK_COMMENT || t->end <= cl->from)
		return;
	if (!cl->have_word)
	{
		cl->have_word = true;
		cl->cs = clause_start(cl->s, t);
		/* a literal or ';' as the first word has no clause */
		cl->decided = is_literal(t) || is_punct(cl->s, t, ';');
		return;
	}
	cl->decided = clause_stops(&cl->cs, cl->s, t);
}

/* See candidates.h. */
bool
sqlpilot_clause_decided(const char *s, size_t len, size_t from)
{
	ClauseScan	cl = {s, from, false, false, {false, 0}};
	SqlpilotLex lx;
	SqlpilotLexIn in;

	sqlpilot_lex_init(&lx, 0, clause_scan_emit, &cl);
	sqlpilot_lex_feed(&lx, s, len);
	if (cl.decided)
		return true;
	/* a literal under way stops the clause (or is the word) whatever follows */
	in = sqlpilot_lex_in(&lx);
	return in == SQLPILOT_IN_STRING || in == SQLPILOT_IN_DOLLAR || in == SQLPILOT_IN_NUMBER;
}

/* One completion as the list sees it: the prefix and it, and where its word and clause end. */
typedef struct Parts
{
	char	   *full;
	size_t		len;
	size_t		word_end;		/* offsets into the completion; 0: none */
	size_t		clause_end;
} Parts;

/* Splits completion text (after prefix) into its word and clause; false when out of memory. */
static bool
parts_make(Parts *p, const char *text, const char *prefix, size_t prefix_len)
{
	size_t		tlen = strlen(text);
	SqlpilotLexToken *toks;
	size_t		ntok;
	size_t		w;

	p->word_end = p->clause_end = 0;
	p->len = prefix_len + tlen;
	p->full = malloc(p->len + 1);
	if (!p->full)
		return false;
	memcpy(p->full, prefix, prefix_len);
	memcpy(p->full + prefix_len, text, tlen);
	p->full[p->len] = '\0';
	ntok = sqlpilot_lex_all(p->full, p->len, false, &toks);
	if (ntok == (size_t) -1)
		return false;
	for (w = 0; w < ntok && toks[w].end <= prefix_len; w++)
		;
	if (w < ntok && !is_punct(p->full, &toks[w], ';'))
	{
		p->word_end = toks[w].end - prefix_len;
		if (!is_literal(&toks[w]))
		{
			size_t		e = clause_end(p->full, p->len, toks, ntok, w);

			if (e > toks[w].end)
				p->clause_end = e - prefix_len;
		}
	}
	free(toks);
	return true;
}

/*
 * Appends the first len bytes of parts p's completion as a candidate unless
 * one of out[0..*n) folds to the same text.  Returns false when out of memory.
 */
static bool
add_candidate(SqlpilotCandidate *out, char **folded, int *n, const Parts *p, size_t prefix_len,
			  size_t len, SqlpilotCandidateKind kind, double score, int source)
{
	char	   *f = sqlpilot_fold_literals(p->full, prefix_len + len, prefix_len);

	if (!f)
		return false;
	for (int i = 0; i < *n; i++)
	{
		if (strcmp(folded[i], f) == 0)
		{
			free(f);
			return true;
		}
	}
	out[*n].text = malloc(len + 1);
	if (!out[*n].text)
	{
		free(f);
		return false;
	}
	memcpy(out[*n].text, p->full + prefix_len, len);
	out[*n].text[len] = '\0';
	out[*n].score = score;
	out[*n].kind = kind;
	out[*n].source = source;
	folded[*n] = f;
	(*n)++;
	return true;
}

/* See candidates.h. */
int
sqlpilot_candidates_build(const char *const *texts, const double *scores, int n,
						  const char *prefix, size_t prefix_len,
						  SqlpilotCandidate *out, int max_out)
{
	Parts	   *parts;
	char	  **folded;
	int			count = 0;
	int			short_cap;
	bool		ok = true;

	if (n <= 0 || max_out <= 0)
		return 0;
	parts = calloc((size_t) n, sizeof(Parts));
	folded = calloc((size_t) max_out, sizeof(char *));
	if (!parts || !folded)
	{
		free(parts);
		free(folded);
		return -1;
	}
	for (int i = 0; i < n && ok; i++)
		ok = parts_make(&parts[i], texts[i], prefix, prefix_len);
	short_cap = texts[0][0] != '\0' && max_out > 1 ? max_out - 1 : max_out;
	for (int i = 0; i < n && ok && count < short_cap; i++)
		if (parts[i].word_end > 0)
			ok = add_candidate(out, folded, &count, &parts[i], prefix_len, parts[i].word_end,
							   SQLPILOT_CAND_WORD, scores[i], i);
	for (int i = 0; i < n && ok && count < short_cap; i++)
		if (parts[i].clause_end > 0)
			ok = add_candidate(out, folded, &count, &parts[i], prefix_len, parts[i].clause_end,
							   SQLPILOT_CAND_CLAUSE, scores[i], i);
	if (ok && count < max_out && texts[0][0] != '\0')
		ok = add_candidate(out, folded, &count, &parts[0], prefix_len, parts[0].len - prefix_len,
						   SQLPILOT_CAND_STATEMENT, scores[0], 0);
	for (int i = 0; i < n; i++)
		free(parts[i].full);
	for (int i = 0; i < count; i++)
		free(folded[i]);
	free(parts);
	free(folded);
	if (!ok)
	{
		sqlpilot_candidates_free(out, count);
		return -1;
	}
	return count;
}

/* See candidates.h. */
const char *
sqlpilot_candidate_kind_name(SqlpilotCandidateKind kind)
{
	switch (kind)
	{
		case SQLPILOT_CAND_WORD:
			return "word";
		case SQLPILOT_CAND_CLAUSE:
			return "clause";
		case SQLPILOT_CAND_STATEMENT:
			return "statement";
	}
	return "statement";
}

/* See candidates.h. */
void
sqlpilot_candidates_free(SqlpilotCandidate *c, int n)
{
	for (int i = 0; i < n; i++)
	{
		free(c[i].text);
		c[i].text = NULL;
	}
}
