/*
 * sql_lex.c — the incremental SQL lexer of sql_lex.h: a state machine that
 * takes one byte at a time, so text may arrive in pieces of any size.  Where
 * PostgreSQL needs look-ahead (a doubled quote, 1e-3 against 1e-x, $tag$
 * against $1 or $x) the state remembers what it saw and decides on the next
 * byte, as PostgreSQL's scanner does when it backs up.
 */
#include "sql_lex.h"

#include <stdlib.h>
#include <string.h>

enum
{
	S_NONE,
	S_IDENT,
	S_QIDENT,
	S_QIDENT_Q,					/* a '"' that ends the name unless another follows */
	S_STRING,
	S_STRING_Q,
	S_ESTRING,
	S_ESTRING_ESC,
	S_ESTRING_Q,
	S_DOLLAR_START,				/* a '$' */
	S_DOLLAR_TAG,				/* '$' and a tag not yet closed by '$' */
	S_DOLLAR_BODY,
	S_PARAM,
	S_NUM_INT,
	S_NUM_FRAC,
	S_NUM_EXP_MARK,				/* digits then 'e' */
	S_NUM_EXP_SIGN,				/* digits then 'e' and '+' or '-' */
	S_NUM_EXP,
	S_DOT,
	S_COLON,
	S_OP,
	S_LINE_COMMENT,
	S_BLOCK_COMMENT
};

/* See sql_lex.h. */
bool
sqlpilot_lex_ident_start(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c >= 0x80;
}

/* See sql_lex.h. */
bool
sqlpilot_lex_ident_cont(unsigned char c)
{
	return sqlpilot_lex_ident_start(c) || (c >= '0' && c <= '9') || c == '$';
}

/* Whether c is white space to PostgreSQL's scanner. */
static bool
is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* Whether c is a decimal digit. */
static bool
is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

/* Whether c may be part of an operator (PostgreSQL's op_chars). */
static bool
is_op_char(unsigned char c)
{
	return c != '\0' && strchr("~!@#^&|`?+-*/%<>=", c) != NULL;
}

/* Reports one token. */
static void
emit(SqlpilotLex *lx, SqlpilotLexKind kind, size_t start, size_t end, bool closed)
{
	SqlpilotLexToken t;

	if (lx->emit == NULL)
		return;
	t.kind = kind;
	t.start = start;
	t.end = end;
	t.closed = closed;
	lx->emit(lx->arg, &t);
}

/*
 * Reports the first n bytes of the pending operator.  As PostgreSQL: a
 * trailing '+' or '-' is cut off a longer operator unless it holds one of
 * ~ ! @ # ^ & | ` ? %, and each byte cut off is an operator of its own.
 */
static void
op_end(SqlpilotLex *lx, int n)
{
	int			k = n;

	if (n <= 0)
		return;
	if (n > 1 && (lx->op[n - 1] == '+' || lx->op[n - 1] == '-'))
	{
		bool		special = false;

		for (int i = 0; i < n - 1; i++)
			if (strchr("~!@#^&|`?%", lx->op[i]) != NULL)
				special = true;
		if (!special)
			while (k > 1 && (lx->op[k - 1] == '+' || lx->op[k - 1] == '-'))
				k--;
	}
	emit(lx, SQLPILOT_TOK_OP, lx->start, lx->start + k, true);
	for (int i = k; i < n; i++)
		emit(lx, SQLPILOT_TOK_OP, lx->start + i, lx->start + i + 1, true);
}

/* Starts an unquoted identifier at start whose first byte is c. */
static void
ident_begin(SqlpilotLex *lx, size_t start, unsigned char c)
{
	lx->state = S_IDENT;
	lx->start = start;
	lx->first_e = c == 'e' || c == 'E';
	lx->first_bxn = c == 'b' || c == 'B' || c == 'x' || c == 'X' || c == 'n' || c == 'N';
}

/* Starts an operator at start whose first byte is c. */
static void
op_begin(SqlpilotLex *lx, size_t start, unsigned char c)
{
	lx->state = S_OP;
	lx->start = start;
	lx->op[0] = (char) c;
	lx->op_len = 1;
}

/* A '$' and a tag that turned out not to open a dollar quote: '$', then an identifier. */
static void
dollar_fail(SqlpilotLex *lx)
{
	emit(lx, SQLPILOT_TOK_PUNCT, lx->start, lx->start + 1, true);
	ident_begin(lx, lx->start + 1, (unsigned char) lx->tag[1]);
	if (lx->tag_len > 2)
		lx->first_e = lx->first_bxn = false;
}

/* A byte between tokens: starts the token it opens. */
static void
step_none(SqlpilotLex *lx, unsigned char c)
{
	size_t		p = lx->pos;

	lx->start = p;
	if (is_space(c))
		return;
	if (sqlpilot_lex_ident_start(c))
		ident_begin(lx, p, c);
	else if (is_digit(c))
		lx->state = S_NUM_INT;
	else if (c == '"')
		lx->state = S_QIDENT;
	else if (c == '\'')
		lx->state = S_STRING;
	else if (c == '$')
		lx->state = S_DOLLAR_START;
	else if (c == '.')
		lx->state = S_DOT;
	else if (c == ':')
		lx->state = S_COLON;
	else if (is_op_char(c))
		op_begin(lx, p, c);
	else
		emit(lx, SQLPILOT_TOK_PUNCT, p, p + 1, true);
}

/*
 * One byte in the current state.  Returns true when the byte ended the
 * pending token without belonging to it, so it must be looked at again from
 * the state now set.
 */
static bool
step(SqlpilotLex *lx, unsigned char c)
{
	size_t		p = lx->pos;

	switch (lx->state)
	{
		case S_NONE:
			step_none(lx, c);
			return false;
		case S_IDENT:
			if (sqlpilot_lex_ident_cont(c))
			{
				lx->first_e = lx->first_bxn = false;
				return false;
			}
			if (c == '\'' && (lx->first_e || lx->first_bxn))
			{
				lx->state = lx->first_e ? S_ESTRING : S_STRING;
				return false;
			}
			emit(lx, SQLPILOT_TOK_IDENT, lx->start, p, true);
			break;
		case S_QIDENT:
			if (c == '"')
				lx->state = S_QIDENT_Q;
			return false;
		case S_QIDENT_Q:
			if (c == '"')
			{
				lx->state = S_QIDENT;
				return false;
			}
			emit(lx, SQLPILOT_TOK_QIDENT, lx->start, p, true);
			break;
		case S_STRING:
			if (c == '\'')
				lx->state = S_STRING_Q;
			return false;
		case S_STRING_Q:
		case S_ESTRING_Q:
			if (c == '\'')
			{
				lx->state = lx->state == S_STRING_Q ? S_STRING : S_ESTRING;
				return false;
			}
			emit(lx, SQLPILOT_TOK_STRING, lx->start, p, true);
			break;
		case S_ESTRING:
			if (c == '\\')
				lx->state = S_ESTRING_ESC;
			else if (c == '\'')
				lx->state = S_ESTRING_Q;
			return false;
		case S_ESTRING_ESC:
			lx->state = S_ESTRING;
			return false;
		case S_DOLLAR_START:
			if (is_digit(c))
				lx->state = S_PARAM;
			else if (c == '$')
			{
				lx->tag[0] = lx->tag[1] = '$';
				lx->tag_len = 2;
				lx->tag_match = 0;
				lx->state = S_DOLLAR_BODY;
			}
			else if (sqlpilot_lex_ident_start(c))
			{
				lx->tag[0] = '$';
				lx->tag[1] = (char) c;
				lx->tag_len = 2;
				lx->state = S_DOLLAR_TAG;
			}
			else
			{
				emit(lx, SQLPILOT_TOK_PUNCT, lx->start, p, true);
				break;
			}
			return false;
		case S_DOLLAR_TAG:
			if (lx->tag_len < SQLPILOT_LEX_TAG_MAX - 1 && sqlpilot_lex_ident_cont(c))
			{
				lx->tag[lx->tag_len++] = (char) c;
				if (c == '$')
				{
					lx->tag_match = 0;
					lx->state = S_DOLLAR_BODY;
				}
				return false;
			}
			dollar_fail(lx);
			return true;
		case S_DOLLAR_BODY:
			if (c == (unsigned char) lx->tag[lx->tag_match])
			{
				if (++lx->tag_match == lx->tag_len)
				{
					emit(lx, SQLPILOT_TOK_DOLLAR, lx->start, p + 1, true);
					lx->state = S_NONE;
				}
			}
			else
				lx->tag_match = c == '$' ? 1 : 0;
			return false;
		case S_PARAM:
			if (is_digit(c))
				return false;
			emit(lx, SQLPILOT_TOK_PARAM, lx->start, p, true);
			break;
		case S_NUM_INT:
		case S_NUM_FRAC:
			if (is_digit(c))
				return false;
			if (c == '.' && lx->state == S_NUM_INT)
			{
				lx->state = S_NUM_FRAC;
				return false;
			}
			if (c == 'e' || c == 'E')
			{
				lx->mark = p;
				lx->state = S_NUM_EXP_MARK;
				return false;
			}
			emit(lx, SQLPILOT_TOK_NUMBER, lx->start, p, true);
			break;
		case S_NUM_EXP_MARK:
			if (is_digit(c) || c == '+' || c == '-')
			{
				lx->state = is_digit(c) ? S_NUM_EXP : S_NUM_EXP_SIGN;
				return false;
			}
			/* "1e" then not an exponent: the number, and 'e' starts an identifier */
			emit(lx, SQLPILOT_TOK_NUMBER, lx->start, lx->mark, true);
			ident_begin(lx, lx->mark, 'e');
			return true;
		case S_NUM_EXP_SIGN:
			if (is_digit(c))
			{
				lx->state = S_NUM_EXP;
				return false;
			}
			emit(lx, SQLPILOT_TOK_NUMBER, lx->start, lx->mark, true);
			emit(lx, SQLPILOT_TOK_IDENT, lx->mark, lx->mark + 1, true);
			op_begin(lx, lx->mark + 1, (unsigned char) lx->op[0]);
			return true;
		case S_NUM_EXP:
			if (is_digit(c))
				return false;
			emit(lx, SQLPILOT_TOK_NUMBER, lx->start, p, true);
			break;
		case S_DOT:
			if (is_digit(c))
			{
				lx->state = S_NUM_FRAC;
				return false;
			}
			emit(lx, SQLPILOT_TOK_PUNCT, lx->start, p, true);
			break;
		case S_COLON:
			if (c == ':' || c == '=')
			{
				emit(lx, SQLPILOT_TOK_PUNCT, lx->start, p + 1, true);
				lx->state = S_NONE;
				return false;
			}
			emit(lx, SQLPILOT_TOK_PUNCT, lx->start, p, true);
			break;
		case S_OP:
			if (!is_op_char(c))
			{
				op_end(lx, lx->op_len);
				break;
			}
			if ((c == '-' && lx->op[lx->op_len - 1] == '-') ||
				(c == '*' && lx->op[lx->op_len - 1] == '/'))
			{
				/* a comment starts inside the run: the operator ends before it */
				op_end(lx, lx->op_len - 1);
				lx->start = p - 1;
				lx->state = c == '-' ? S_LINE_COMMENT : S_BLOCK_COMMENT;
				lx->depth = 1;
				lx->star = lx->slash = false;
				return false;
			}
			if (lx->op_len == SQLPILOT_LEX_OP_MAX)
			{
				op_end(lx, lx->op_len);
				op_begin(lx, p, c);
				return false;
			}
			lx->op[lx->op_len++] = (char) c;
			return false;
		case S_LINE_COMMENT:
			if (c == '\n' || c == '\r')
			{
				emit(lx, SQLPILOT_TOK_COMMENT, lx->start, p, true);
				lx->state = S_NONE;
			}
			return false;
		case S_BLOCK_COMMENT:
			if (c == '*' && lx->slash)
			{
				lx->depth++;
				lx->slash = lx->star = false;
			}
			else if (c == '/' && lx->star)
			{
				lx->slash = lx->star = false;
				if (--lx->depth == 0)
				{
					emit(lx, SQLPILOT_TOK_COMMENT, lx->start, p + 1, true);
					lx->state = S_NONE;
				}
			}
			else
			{
				lx->star = c == '*';
				lx->slash = c == '/';
			}
			return false;
	}
	lx->state = S_NONE;
	return true;
}

/* See sql_lex.h. */
void
sqlpilot_lex_init(SqlpilotLex *lx, size_t base, SqlpilotLexEmit emit_fn, void *arg)
{
	memset(lx, 0, sizeof(*lx));
	lx->state = S_NONE;
	lx->pos = base;
	lx->start = base;
	lx->emit = emit_fn;
	lx->arg = arg;
}

/* See sql_lex.h. */
void
sqlpilot_lex_feed(SqlpilotLex *lx, const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
	{
		unsigned char c = (unsigned char) s[i];

		/* the sign of an exponent is kept for the case it turns out an operator */
		if (lx->state == S_NUM_EXP_MARK && (c == '+' || c == '-'))
			lx->op[0] = (char) c;
		while (step(lx, c))
			;
		lx->pos++;
	}
}

/* See sql_lex.h. */
SqlpilotLexIn
sqlpilot_lex_in(const SqlpilotLex *lx)
{
	switch (lx->state)
	{
		case S_IDENT:
			return SQLPILOT_IN_IDENT;
		case S_QIDENT:
			return SQLPILOT_IN_QIDENT;
		case S_STRING:
		case S_ESTRING:
		case S_ESTRING_ESC:
			return SQLPILOT_IN_STRING;
		case S_DOLLAR_BODY:
			return SQLPILOT_IN_DOLLAR;
		case S_PARAM:
			return SQLPILOT_IN_PARAM;
		case S_NUM_INT:
		case S_NUM_FRAC:
		case S_NUM_EXP_MARK:
		case S_NUM_EXP_SIGN:
		case S_NUM_EXP:
			return SQLPILOT_IN_NUMBER;
		case S_DOLLAR_START:
		case S_DOLLAR_TAG:
		case S_DOT:
		case S_COLON:
			return SQLPILOT_IN_PUNCT;
		case S_OP:
			return SQLPILOT_IN_OP;
		case S_LINE_COMMENT:
			return SQLPILOT_IN_LINE_COMMENT;
		case S_BLOCK_COMMENT:
			return SQLPILOT_IN_BLOCK_COMMENT;
		default:
			return SQLPILOT_IN_NOTHING;
	}
}

/* See sql_lex.h. */
size_t
sqlpilot_lex_pending_start(const SqlpilotLex *lx)
{
	return lx->start;
}

/* See sql_lex.h. */
SqlpilotLexIn
sqlpilot_lex_finish(SqlpilotLex *lx)
{
	SqlpilotLexIn in = sqlpilot_lex_in(lx);
	size_t		p = lx->pos;

	switch (lx->state)
	{
		case S_IDENT:
			emit(lx, SQLPILOT_TOK_IDENT, lx->start, p, true);
			break;
		case S_QIDENT:
		case S_QIDENT_Q:
			emit(lx, SQLPILOT_TOK_QIDENT, lx->start, p, lx->state == S_QIDENT_Q);
			break;
		case S_STRING:
		case S_ESTRING:
		case S_ESTRING_ESC:
		case S_STRING_Q:
		case S_ESTRING_Q:
			emit(lx, SQLPILOT_TOK_STRING, lx->start, p,
				 lx->state == S_STRING_Q || lx->state == S_ESTRING_Q);
			break;
		case S_DOLLAR_START:
		case S_DOT:
		case S_COLON:
			emit(lx, SQLPILOT_TOK_PUNCT, lx->start, p, true);
			break;
		case S_DOLLAR_TAG:
			dollar_fail(lx);
			emit(lx, SQLPILOT_TOK_IDENT, lx->start, p, true);
			break;
		case S_DOLLAR_BODY:
			emit(lx, SQLPILOT_TOK_DOLLAR, lx->start, p, false);
			break;
		case S_PARAM:
			emit(lx, SQLPILOT_TOK_PARAM, lx->start, p, true);
			break;
		case S_NUM_INT:
		case S_NUM_FRAC:
		case S_NUM_EXP:
			emit(lx, SQLPILOT_TOK_NUMBER, lx->start, p, true);
			break;
		case S_NUM_EXP_MARK:
			emit(lx, SQLPILOT_TOK_NUMBER, lx->start, lx->mark, true);
			emit(lx, SQLPILOT_TOK_IDENT, lx->mark, p, true);
			break;
		case S_NUM_EXP_SIGN:
			emit(lx, SQLPILOT_TOK_NUMBER, lx->start, lx->mark, true);
			emit(lx, SQLPILOT_TOK_IDENT, lx->mark, lx->mark + 1, true);
			emit(lx, SQLPILOT_TOK_OP, lx->mark + 1, p, true);
			break;
		case S_OP:
			op_end(lx, lx->op_len);
			break;
		case S_LINE_COMMENT:
			emit(lx, SQLPILOT_TOK_COMMENT, lx->start, p, true);
			break;
		case S_BLOCK_COMMENT:
			emit(lx, SQLPILOT_TOK_COMMENT, lx->start, p, false);
			break;
	}
	lx->state = S_NONE;
	lx->start = p;
	return in;
}

typedef struct TokArray
{
	SqlpilotLexToken *v;
	size_t		n;
	size_t		cap;
	bool		comments;
	bool		failed;
} TokArray;

/* Appends a token to a TokArray (the callback of sqlpilot_lex_all). */
static void
tok_array_add(void *arg, const SqlpilotLexToken *t)
{
	TokArray   *a = arg;

	if (a->failed || (t->kind == SQLPILOT_TOK_COMMENT && !a->comments))
		return;
	if (a->n == a->cap)
	{
		size_t		cap = a->cap * 2 + 64;
		SqlpilotLexToken *v = realloc(a->v, sizeof(*v) * cap);

		if (v == NULL)
		{
			a->failed = true;
			return;
		}
		a->v = v;
		a->cap = cap;
	}
	a->v[a->n++] = *t;
}

/* See sql_lex.h. */
size_t
sqlpilot_lex_all(const char *s, size_t len, bool comments, SqlpilotLexToken **out)
{
	SqlpilotLex lx;
	TokArray	a = {NULL, 0, 0, comments, false};

	sqlpilot_lex_init(&lx, 0, tok_array_add, &a);
	sqlpilot_lex_feed(&lx, s, len);
	sqlpilot_lex_finish(&lx);
	if (a.failed)
	{
		free(a.v);
		*out = NULL;
		return (size_t) -1;
	}
	*out = a.v;
	return a.n;
}

/* See sql_lex.h. */
size_t
sqlpilot_lex_ident_value(const char *text, const SqlpilotLexToken *t, char *out, size_t cap)
{
	size_t		n = 0;
	size_t		p = t->start;
	size_t		e = t->end;

	if (t->kind == SQLPILOT_TOK_QIDENT)
	{
		p++;
		if (t->closed && e > p)
			e--;
	}
	for (; p < e; p++)
	{
		char		c = text[p];

		if (t->kind == SQLPILOT_TOK_QIDENT && c == '"' && p + 1 < e)
			p++;
		else if (t->kind != SQLPILOT_TOK_QIDENT && c >= 'A' && c <= 'Z')
			c = (char) (c - 'A' + 'a');
		if (n + 1 < cap)
			out[n] = c;
		n++;
	}
	if (cap > 0)
		out[n < cap ? n : cap - 1] = '\0';
	return n;
}
