/*
 * stats_features.c — what `sqlpilot datagen stats` sees in one statement:
 * the lexer, then the features of section 2 of docs/data-targets.md found
 * token by token (each group of keywords in its own helper: clauses, SELECT
 * and joins, predicates, aliases and DML clauses, value words, functions,
 * date/time) and the kind-specific shapes of section 3 (select list, INSERT
 * columns and rows, SET assignments, UPDATE/DELETE WHERE, TRUNCATE tables).
 * As heuristic as the reference's own method: no grammar.
 */
#include "stats_features.h"

#include "sql_lex.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#define MAX_TOKENS 1024

static const char *const clause_words[] = {
	"WHERE", "GROUP", "ORDER", "LIMIT", "OFFSET", "HAVING", "JOIN", "INNER", "LEFT", "RIGHT",
	"FULL", "CROSS", "NATURAL", "ON", "USING", "SET", "VALUES", "RETURNING", "UNION", "EXCEPT",
	"INTERSECT", "FETCH", "WINDOW", "FOR", "AS", "SELECT", "FROM", "WHEN", "THEN", "ELSE", "END",
	"AND", "OR", "NOT", "IN", "IS", "LIKE", "BETWEEN", "ONLY", "CASCADE", "RESTRICT", "RESTART",
	"CONTINUE", "DEFAULT", "OUTER", NULL
};

/*
 * Whether lexer token i is the one-byte operator or punctuation c followed,
 * with nothing between, by an identifier (or, for '?', also a number): the
 * parameters of other dialects, :name @name %s ?1.
 */
static bool
dialect_param(const char *s, const SqlpilotLexToken *lt, size_t n, size_t i, char c)
{
	const SqlpilotLexToken *a = &lt[i];

	if (a->end - a->start != 1 || s[a->start] != c || a->kind == SQLPILOT_TOK_COMMENT)
		return false;
	if (i + 1 < n && lt[i + 1].start == a->end &&
		(lt[i + 1].kind == SQLPILOT_TOK_IDENT || (c == '?' && lt[i + 1].kind == SQLPILOT_TOK_NUMBER)))
		return c != '%' || s[lt[i + 1].start] == 's';
	return false;
}

/*
 * Lexes a text into toks (at most cap) with core/sql_lex.c; see
 * stats_features.h.  On top of PostgreSQL's tokens, for the other dialects
 * the reference corpus holds: `backquoted` names, and ? :name @name %s
 * parameters.
 */
int
stats_lex(const char *s, Tok *toks, int cap)
{
	SqlpilotLexToken *lt;
	size_t		nl = sqlpilot_lex_all(s, strlen(s), false, &lt);
	int			n = 0,
				depth = 0;

	if (nl == (size_t) -1)
		return 0;
	for (size_t i = 0; i < nl && n < cap; i++)
	{
		Tok		   *t = &toks[n++];
		size_t		start = lt[i].start,
					end = lt[i].end;

		t->depth = depth;
		switch (lt[i].kind)
		{
			case SQLPILOT_TOK_IDENT:
				t->type = T_WORD;
				break;
			case SQLPILOT_TOK_QIDENT:
				t->type = T_QIDENT;
				break;
			case SQLPILOT_TOK_STRING:
			case SQLPILOT_TOK_DOLLAR:
				t->type = T_STRING;
				/* E'...', B'...' and the like: the prefix letter is not the literal's text */
				while (lt[i].kind == SQLPILOT_TOK_STRING && s[start] != '\'')
					start++;
				break;
			case SQLPILOT_TOK_NUMBER:
				t->type = T_NUMBER;
				break;
			case SQLPILOT_TOK_PARAM:
				t->type = T_PARAM;
				break;
			default:
				t->type = T_OP;
				if (s[start] == '`')
				{
					/* a MySQL name: up to the next backquote, whatever the lexer saw inside */
					const char *q = strchr(s + start + 1, '`');

					end = q ? (size_t) (q - s) + 1 : strlen(s);
					while (i + 1 < nl && lt[i + 1].start < end)
						i++;
					t->type = T_QIDENT;
				}
				else if (dialect_param(s, lt, nl, i, '?') || dialect_param(s, lt, nl, i, ':') ||
						 dialect_param(s, lt, nl, i, '@') || dialect_param(s, lt, nl, i, '%'))
				{
					end = lt[++i].end;
					t->type = T_PARAM;
				}
				else if (end - start == 1 && s[start] == '?')
					t->type = T_PARAM;
				else if (end - start == 1 && s[start] == '(')
					depth++;
				else if (end - start == 1 && s[start] == ')' && depth > 0)
					depth--;
				break;
		}
		t->s = s + start;
		t->len = (int) (end - start);
	}
	free(lt);
	return n;
}

/* The text of a string literal between its quotes (or a dollar quote's tags). */
static const char *
literal_text(const Tok *t, int *n)
{
	int			tag = 1;

	if (t->s[0] == '$')
	{
		while (tag < t->len && t->s[tag] != '$')
			tag++;
		tag++;
	}
	*n = t->len >= 2 * tag ? t->len - 2 * tag : 0;
	return t->s + tag;
}

/* Sets f[] for a string literal's text (quotes included). */
static void
string_kinds(const Tok *t, bool *f)
{
	char		v[128];
	int			n;
	const char *s = literal_text(t, &n);
	bool		digits;
	int			d = 0;

	digits = n > 0;
	f[F_STRING] = true;
	if (n == 0)
	{
		f[F_S_EMPTY] = true;
		return;
	}
	if (n >= (int) sizeof(v))
		n = sizeof(v) - 1;
	memcpy(v, s, n);
	v[n] = '\0';
	for (int i = 0; i < n; i++)
		if (!(isdigit((unsigned char) v[i]) || (v[i] == '.' && i > 0) || (v[i] == '-' && i == 0)))
			digits = false;
	for (int i = 0; i < n; i++)
		d += isdigit((unsigned char) v[i]) != 0;
	if (n == 10 && d == 8 && v[4] == '-' && v[7] == '-')
		f[F_S_DATE] = true;
	else if (n >= 16 && isdigit((unsigned char) v[0]) && v[4] == '-' && v[7] == '-' &&
			 (v[10] == ' ' || v[10] == 'T') && v[13] == ':')
		f[F_S_TIMESTAMP] = true;
	else if ((n == 5 || n == 8) && v[2] == ':' && d >= 4)
		f[F_S_TIME] = true;
	else if (n == 36 && v[8] == '-' && v[13] == '-' && v[18] == '-' && v[23] == '-')
		f[F_S_UUID] = true;
	else if (digits)
		f[F_S_NUMERIC] = true;
	else if (strchr(v, '@') && strchr(strchr(v, '@'), '.') && !strchr(v, ' '))
		f[F_S_EMAIL] = true;
	else if (v[0] == '{' || v[0] == '[')
		f[F_S_JSON] = true;
	else if (strchr(v, '%'))
		f[F_S_LIKE] = true;
	else
		f[F_S_OTHER] = true;
}

/* True when token i is a table name position's follower that reads as an alias. */
static bool
alias_word(const Tok *t, int n, int i)
{
	return i < n && (t[i].type == T_WORD || t[i].type == T_QIDENT) && !is_any(t, n, i, clause_words);
}

/* Sets f[] for a token that is not a word: literals, parameters, operators. */
static void
token_features(const Tok *t, int n, int i, bool *f)
{
	if (t[i].type == T_STRING)
	{
		string_kinds(&t[i], f);
		if (is_any(t, n, i - 1, (const char *const[]) {"DATE", "INTERVAL", "TIMESTAMP", "TIME", NULL}))
			f[F_TYPED_LITERAL] = true;
	}
	else if (t[i].type == T_NUMBER)
	{
		bool		dec = memchr(t[i].s, '.', t[i].len) != NULL;

		f[dec ? F_DECIMAL : F_INTEGER] = true;
		if (is_op(t, n, i - 1, "-") && (i < 2 || t[i - 2].type == T_OP || t[i - 2].type == T_WORD) &&
			!(i >= 2 && (t[i - 2].type == T_NUMBER || is_op(t, n, i - 2, ")"))) &&
			!(i >= 2 && t[i - 2].type == T_WORD && !is_any(t, n, i - 2, clause_words)))
			f[F_NEGATIVE] = true;
	}
	else if (t[i].type == T_PARAM)
		f[t[i].s[0] == '$' ? F_PARAM_DOLLAR : t[i].s[0] == '?' ? F_PARAM_QMARK : F_PARAM_OTHER] = true;
	else if (t[i].type == T_OP)
	{
		if (is_op(t, n, i, "::"))
			f[F_CAST] = true;
		if (is_op(t, n, i, "||"))
			f[F_CONCAT] = true;
		if (is_op(t, n, i, "*") && is_op(t, n, i - 1, ".") && i >= 2)
			f[F_T_STAR] = true;
		if (is_op(t, n, i, ".") && i > 0 && (t[i - 1].type == T_WORD || t[i - 1].type == T_QIDENT) &&
			i + 1 < n && (t[i + 1].type == T_WORD || t[i + 1].type == T_QIDENT))
			f[F_QUALIFIED] = true;
	}
}

/*
 * Clauses: WHERE (*where_at: the first top-level one), GROUP BY, HAVING, ORDER BY,
 * ASC/DESC, LIMIT, OFFSET, TOP/FETCH, DISTINCT; false when word i is none of them.
 */
static bool
clause_features(const Tok *t, int n, int i, bool *f, int *where_at)
{
	if (is(t, n, i, "WHERE"))
	{
		f[F_WHERE] = true;
		if (t[i].depth == 0 && *where_at < 0)
			*where_at = i;
	}
	else if (is(t, n, i, "GROUP") && is(t, n, i + 1, "BY"))
		f[F_GROUP_BY] = true;
	else if (is(t, n, i, "HAVING"))
		f[F_HAVING] = true;
	else if (is(t, n, i, "ORDER") && is(t, n, i + 1, "BY"))
		f[F_ORDER_BY] = true;
	else if (is(t, n, i, "ASC"))
		f[F_ASC] = true;
	else if (is(t, n, i, "DESC"))
		f[F_DESC] = true;
	else if (is(t, n, i, "LIMIT"))
		f[F_LIMIT] = true;
	else if (is(t, n, i, "OFFSET"))
		f[F_OFFSET] = true;
	else if ((is(t, n, i, "TOP") && i + 1 < n && t[i + 1].type == T_NUMBER) ||
			 (is(t, n, i, "FETCH") && (is(t, n, i + 1, "FIRST") || is(t, n, i + 1, "NEXT"))))
		f[F_TOP_FETCH] = true;
	else if (is(t, n, i, "DISTINCT"))
	{
		f[F_DISTINCT] = true;
		if (is_op(t, n, i - 1, "(") && is(t, n, i - 2, "COUNT"))
			f[F_COUNT_DISTINCT] = true;
	}
	else
		return false;
	return true;
}

/*
 * SELECT (star, nested, derived, IN subquery, INSERT ... SELECT), joins and
 * their aliases, ON, USING; false when word i is none of them.
 */
static bool
select_join_features(const Tok *t, int n, int i, int kind, bool *f)
{
	if (is(t, n, i, "SELECT"))
	{
		if (is_op(t, n, i + 1, "*"))
			f[F_SELECT_STAR] = true;
		if (i > 0 && !is(t, n, i - 1, "UNION") && !is(t, n, i - 1, "ALL"))
		{
			f[F_NESTED_SELECT] = true;
			if (is_op(t, n, i - 1, "(") && (is(t, n, i - 2, "FROM") || is(t, n, i - 2, "JOIN")))
				f[F_DERIVED] = true;
			if (is_op(t, n, i - 1, "(") && is(t, n, i - 2, "IN"))
				f[F_IN_SUBQUERY] = true;
			if (kind == 1 && t[i].depth == 0)
				f[F_INS_SELECT] = true;
		}
	}
	else if (is(t, n, i, "JOIN"))
	{
		f[F_JOIN] = true;
		if (is(t, n, i - 1, "INNER"))
			f[F_INNER_JOIN] = true;
		else if (is(t, n, i - 1, "LEFT") || (is(t, n, i - 1, "OUTER") && is(t, n, i - 2, "LEFT")))
			f[F_LEFT_JOIN] = true;
		else if (is(t, n, i - 1, "RIGHT") || (is(t, n, i - 1, "OUTER") && is(t, n, i - 2, "RIGHT")))
			f[F_RIGHT_JOIN] = true;
		else if (is(t, n, i - 1, "FULL") || (is(t, n, i - 1, "OUTER") && is(t, n, i - 2, "FULL")))
			f[F_FULL_JOIN] = true;
		else if (is(t, n, i - 1, "CROSS"))
			f[F_CROSS_JOIN] = true;
		else if (is(t, n, i - 1, "NATURAL"))
			f[F_NATURAL_JOIN] = true;
		else
			f[F_BARE_JOIN] = true;
		/* JOIN table [AS] alias */
		if (is(t, n, i + 2, "AS") && alias_word(t, n, i + 3))
			f[F_TABLE_ALIAS] = f[F_TABLE_ALIAS_AS] = true;
		else if (alias_word(t, n, i + 2) && !is_op(t, n, i + 2, "."))
			f[F_TABLE_ALIAS] = true;
	}
	else if (is(t, n, i, "ON"))
	{
		if (is(t, n, i + 1, "CONFLICT"))
			f[F_ON_CONFLICT] = true;
		else if (is(t, n, i + 1, "DUPLICATE"))
			f[F_ON_DUPLICATE] = true;
		else
			f[F_ON] = true;
	}
	else if (is(t, n, i, "USING"))
	{
		if (kind == 3)
			f[F_UPD_FROM] = true;
		else
			f[F_USING] = true;
	}
	else
		return false;
	return true;
}

/*
 * Predicates and expressions: IN, NOT IN, EXISTS, WITH, set operations,
 * BETWEEN, LIKE, IS [NOT] NULL, CASE, OVER, CAST; false when word i is none.
 */
static bool
predicate_features(const Tok *t, int n, int i, bool fn, bool *f)
{
	if (is(t, n, i, "IN") && is_op(t, n, i + 1, "(") && !is(t, n, i + 2, "SELECT"))
	{
		f[F_IN_LIST] = true;
		if (is(t, n, i - 1, "NOT"))
			f[F_NOT_IN] = true;
	}
	else if (is(t, n, i, "IN") && is(t, n, i - 1, "NOT"))
		f[F_NOT_IN] = true;
	else if (is(t, n, i, "EXISTS"))
		f[F_EXISTS] = true;
	else if (is(t, n, i, "WITH") && i == 0)
		f[F_CTE] = true;
	else if (is(t, n, i, "UNION"))
		f[is(t, n, i + 1, "ALL") ? F_UNION_ALL : F_UNION] = true;
	else if (is(t, n, i, "INTERSECT"))
		f[F_INTERSECT] = true;
	else if (is(t, n, i, "EXCEPT"))
		f[F_EXCEPT] = true;
	else if (is(t, n, i, "BETWEEN"))
		f[F_BETWEEN] = true;
	else if (is(t, n, i, "LIKE"))
		f[F_LIKE] = true;
	else if (is(t, n, i, "ILIKE"))
		f[F_ILIKE] = true;
	else if (is(t, n, i, "IS") && is(t, n, i + 1, "NULL"))
		f[F_IS_NULL] = true;
	else if (is(t, n, i, "IS") && is(t, n, i + 1, "NOT") && is(t, n, i + 2, "NULL"))
		f[F_IS_NOT_NULL] = true;
	else if (is(t, n, i, "CASE"))
		f[F_CASE] = true;
	else if (is(t, n, i, "OVER") && is_op(t, n, i + 1, "("))
		f[F_OVER] = true;
	else if (is(t, n, i, "CAST") && fn)
		f[F_CAST] = true;
	else
		return false;
	return true;
}

/*
 * Aliases and DML clauses: AS, FROM (aliases, comma joins), UPDATE alias,
 * SET (*set_at), VALUES, RETURNING; false when word i is none of them.
 */
static bool
alias_dml_features(const Tok *t, int n, int i, int kind, bool *f, int *set_at)
{
	if (is(t, n, i, "AS"))
	{
		/* FROM table AS alias vs. select-list AS alias. */
		if (i >= 2 && is_any(t, n, i - 2, (const char *const[]) {"FROM", "JOIN", "UPDATE", "INTO", NULL}))
			f[F_TABLE_ALIAS] = f[F_TABLE_ALIAS_AS] = true;
		else if (!is_op(t, n, i + 1, "("))
			f[F_COLUMN_ALIAS] = true;
	}
	else if (is(t, n, i, "FROM"))
	{
		int			j = i + 1;

		if (kind == 2)
			f[F_UPD_FROM] = true;
		/* FROM table alias, and a comma before the next clause word means a comma join. */
		if (j + 1 < n && (t[j].type == T_WORD || t[j].type == T_QIDENT) &&
			!is_op(t, n, j + 1, ".") && alias_word(t, n, j + 1))
			f[F_TABLE_ALIAS] = true;
		for (; j < n && !(t[j].depth == t[i].depth && t[j].type == T_WORD &&
						  is_any(t, n, j, clause_words)); j++)
			if (is_op(t, n, j, ",") && t[j].depth == t[i].depth && kind == 0)
				f[F_COMMA_JOIN] = true;
	}
	else if (is(t, n, i, "UPDATE") && i == 0 && alias_word(t, n, 2) && !is(t, n, 2, "SET"))
		f[F_TABLE_ALIAS] = true;
	else if (is(t, n, i, "SET") && *set_at < 0)
		*set_at = i;
	else if (is(t, n, i, "VALUES"))
	{
		f[F_INS_VALUES] = kind == 1;
		if (is(t, n, i - 1, "DEFAULT"))
			f[F_INS_DEFAULT_VALUES] = true;
	}
	else if (is(t, n, i, "RETURNING"))
		f[F_RETURNING] = true;
	else
		return false;
	return true;
}

/* Value words (TRUE/FALSE, NULL, DEFAULT) and TRUNCATE options; false when word i is none. */
static bool
value_word_features(const Tok *t, int n, int i, int kind, bool *f)
{
	if (is(t, n, i, "TRUE") || is(t, n, i, "FALSE"))
		f[F_BOOLEAN] = true;
	else if (is(t, n, i, "NULL") && !is(t, n, i - 1, "IS") && !is(t, n, i - 1, "NOT"))
		f[F_NULL_VALUE] = true;
	else if (is(t, n, i, "DEFAULT") && !is(t, n, i + 1, "VALUES"))
		f[F_DEFAULT_VALUE] = true;
	else if (is(t, n, i, "CASCADE"))
		f[F_TRUNC_CASCADE] = kind == 4;
	else if (is(t, n, i, "RESTART") && is(t, n, i + 1, "IDENTITY"))
		f[F_TRUNC_RESTART] = kind == 4;
	else if (kind == 4 && (is(t, n, i, "ONLY") || is(t, n, i, "RESTRICT") || is(t, n, i, "CONTINUE")))
		f[F_TRUNC_ONLY] = true;
	else
		return false;
	return true;
}

/* Function calls: aggregates, string, math and COALESCE-like functions. */
static void
function_features(const Tok *t, int n, int i, bool fn, bool *f)
{
	static const char *const aggs[] = {"COUNT", "SUM", "AVG", "MIN", "MAX", NULL};
	static const char *const strfn[] = {"LOWER", "UPPER", "CONCAT", "SUBSTRING", "SUBSTR", "LENGTH",
		"TRIM", "LTRIM", "RTRIM", "REPLACE", "POSITION", "SPLIT_PART", "INITCAP", "LPAD", "RPAD",
	"STRPOS", "REVERSE", "CHAR_LENGTH", "LEFT", "RIGHT", NULL};
	static const char *const mathfn[] = {"ROUND", "ABS", "CEIL", "CEILING", "FLOOR", "POWER", "SQRT",
	"MOD", "TRUNC", "SIGN", "EXP", "LN", "LOG", NULL};

	if (fn && is_any(t, n, i, aggs))
	{
		f[F_AGGREGATE] = true;
		if (is(t, n, i, "COUNT"))
		{
			f[F_COUNT] = true;
			if (is_op(t, n, i + 2, "*"))
				f[F_COUNT_STAR] = true;
		}
		else
			f[is(t, n, i, "SUM") ? F_SUM : is(t, n, i, "AVG") ? F_AVG : is(t, n, i, "MIN") ? F_MIN : F_MAX] = true;
	}
	else if (fn && is_any(t, n, i, strfn))
	{
		f[F_STRING_FN] = true;
		if (is(t, n, i, "LOWER") || is(t, n, i, "UPPER"))
			f[F_LOWER_UPPER] = true;
		if (is(t, n, i, "CONCAT"))
			f[F_CONCAT] = true;
	}
	else if (fn && is_any(t, n, i, mathfn))
		f[F_MATH_FN] = true;
	else if (fn && (is(t, n, i, "COALESCE") || is(t, n, i, "NULLIF") || is(t, n, i, "IFNULL")))
		f[F_COALESCE] = true;
}

/* Date/time functions and keywords (counted whether or not a call follows). */
static void
datetime_features(const Tok *t, int n, int i, bool *f)
{
	static const char *const datefn[] = {"NOW", "CURRENT_DATE", "CURRENT_TIMESTAMP", "CURRENT_TIME",
		"LOCALTIMESTAMP", "LOCALTIME", "DATE_TRUNC", "EXTRACT", "DATE_PART", "AGE", "INTERVAL",
	"TO_CHAR", "TO_DATE", "TO_TIMESTAMP", NULL};

	if (is_any(t, n, i, datefn))
	{
		f[F_DATETIME] = true;
		if (is(t, n, i, "NOW"))
			f[F_NOW] = true;
		else if (is(t, n, i, "CURRENT_DATE"))
			f[F_CURRENT_DATE] = true;
		else if (is(t, n, i, "CURRENT_TIMESTAMP"))
			f[F_CURRENT_TIMESTAMP] = true;
		else if (is(t, n, i, "DATE_TRUNC"))
			f[F_DATE_TRUNC] = true;
		else if (is(t, n, i, "EXTRACT"))
			f[F_EXTRACT] = true;
		else if (is(t, n, i, "INTERVAL"))
			f[F_INTERVAL] = true;
	}
}

/*
 * Constructs the reference's table does not list: NULLS FIRST/LAST, window
 * partitions and ranking, LAG/LEAD, TO_CHAR, = ANY(array).
 */
static void
wide_features(const Tok *t, int n, int i, bool fn, bool *f)
{
	if (is(t, n, i, "NULLS") && (is(t, n, i + 1, "FIRST") || is(t, n, i + 1, "LAST")))
		f[F_NULLS_ORDER] = true;
	else if (is(t, n, i, "PARTITION") && is(t, n, i + 1, "BY"))
		f[F_PARTITION_BY] = true;
	else if (fn && (is(t, n, i, "ROW_NUMBER") || is(t, n, i, "RANK") || is(t, n, i, "DENSE_RANK")))
		f[F_RANK_FN] = true;
	else if (fn && (is(t, n, i, "LAG") || is(t, n, i, "LEAD")))
		f[F_LAG_LEAD] = true;
	else if (fn && is(t, n, i, "TO_CHAR"))
		f[F_TO_CHAR] = true;
	else if (fn && (is(t, n, i, "ANY") || is(t, n, i, "ALL")) && is_op(t, n, i - 1, "="))
		f[F_ANY_ARRAY] = true;
}

/* SELECT: the top-level select-list items ("*" counts 1). */
static void
select_shape(const Tok *t, int n, Shape *sh)
{
	int			sel = 0;

	while (sel < n && !is(t, n, sel, "SELECT"))
		sel++;
	if (is(t, n, sel + 1, "DISTINCT"))
		sel++;
	sh->select_items = sel < n ? 1 : 0;
	for (int i = sel + 1; i < n && sh->select_items; i++)
	{
		if (t[i].depth == t[sel].depth && is(t, n, i, "FROM"))
			break;
		sh->select_items += is_op(t, n, i, ",") && t[i].depth == t[sel].depth;
	}
}

/* INSERT: column list and its length, multi-row VALUES. */
static void
insert_shape(const Tok *t, int n, bool *f, Shape *sh)
{
	int			into = -1,
				values = -1,
				rows = 0;

	for (int i = 0; i < n; i++)
	{
		if (into < 0 && is(t, n, i, "INTO"))
			into = i;
		if (values < 0 && is(t, n, i, "VALUES"))
			values = i;
	}
	if (into >= 0 && is_op(t, n, into + 2, "("))
		f[F_INS_COLLIST] = true;
	if (into >= 0 && is_op(t, n, into + 2, ".") && is_op(t, n, into + 4, "("))
		f[F_INS_COLLIST] = true;
	if (f[F_INS_COLLIST])
	{
		int			open = is_op(t, n, into + 2, "(") ? into + 2 : into + 4;

		sh->insert_cols = 1;
		for (int i = open + 1; i < n && !(is_op(t, n, i, ")") && t[i].depth == t[open].depth + 1); i++)
			sh->insert_cols += is_op(t, n, i, ",") && t[i].depth == t[open].depth + 1;
	}
	for (int i = values + 1; values >= 0 && i < n; i++)
		if (is_op(t, n, i, "(") && t[i].depth == 0)
			rows++;
		else if (t[i].type == T_WORD && t[i].depth == 0 && !is_op(t, n, i, ","))
			break;
	if (rows > 1)
		f[F_INS_MULTIROW] = true;
}

/* UPDATE: the SET assignments after set_at. */
static void
update_set_shape(const Tok *t, int n, int set_at, bool *f, Shape *sh)
{
	int			eq = 0;

	for (int i = set_at + 1; i < n; i++)
	{
		if (t[i].depth == 0 && t[i].type == T_WORD &&
			(is(t, n, i, "WHERE") || is(t, n, i, "FROM") || is(t, n, i, "RETURNING")))
			break;
		if (t[i].depth == 0 && is_op(t, n, i, "="))
			eq++;
	}
	if (eq > 1)
		f[F_UPD_MULTISET] = true;
	sh->set_assignments = eq;
}

/* UPDATE/DELETE: no WHERE, a subquery, a WHERE that is one `col = literal`. */
static void
update_delete_where(const Tok *t, int n, int where_at, bool *f)
{
	if (where_at < 0)
		f[F_NO_WHERE] = true;
	if (f[F_NESTED_SELECT])
		f[F_UD_SUBQUERY] = true;
	/* WHERE col = literal [;] and nothing else */
	if (where_at >= 0)
	{
		int			j = where_at + 1;

		if (j + 2 < n && t[j + 1].type == T_OP && is_op(t, n, j + 1, ".") )
			j += 2;
		if (j + 2 < n && (t[j].type == T_WORD || t[j].type == T_QIDENT) && is_op(t, n, j + 1, "=") &&
			(t[j + 2].type == T_STRING || t[j + 2].type == T_NUMBER || is(t, n, j + 2, "TRUE") ||
			 is(t, n, j + 2, "FALSE")) &&
			(j + 3 == n || (j + 4 == n && is_op(t, n, j + 3, ";"))))
			f[F_ONE_EQ_LITERAL] = true;
	}
}

/* TRUNCATE: TABLE keyword, more than one table. */
static void
truncate_shape(const Tok *t, int n, bool *f, Shape *sh)
{
	int			commas = 0;

	if (is(t, n, 1, "TABLE"))
		f[F_TRUNC_TABLE] = true;
	for (int i = 0; i < n; i++)
		commas += is_op(t, n, i, ",");
	if (commas > 0)
		f[F_TRUNC_MULTI] = true;
	sh->trunc_tables = commas + 1;
}

/* See stats_features.h: token-level features, then the kind-specific shapes. */
void
stats_features(const char *sql, int kind, bool *f, Shape *sh)
{
	static Tok	t[MAX_TOKENS];
	int			n = stats_lex(sql, t, MAX_TOKENS);
	int			where_at = -1,
				set_at = -1,
				joins = 0;

	memset(f, 0, sizeof(bool) * N_FEATURES);
	memset(sh, 0, sizeof(*sh));
	sh->limit_value = -1;
	for (int i = 0; i < n; i++)
	{
		bool		fn = is_op(t, n, i + 1, "(");

		sh->literals += t[i].type == T_STRING || t[i].type == T_NUMBER ||
			is(t, n, i, "TRUE") || is(t, n, i, "FALSE");
		if (is(t, n, i, "LIMIT") && i + 1 < n && t[i + 1].type == T_NUMBER)
			sh->limit_value = atoi(t[i + 1].s);
		if (t[i].type != T_WORD)
		{
			token_features(t, n, i, f);
			continue;
		}
		/* the first group that knows word i sets its features, as one else-if chain */
		if (!clause_features(t, n, i, f, &where_at) &&
			!select_join_features(t, n, i, kind, f) &&
			!predicate_features(t, n, i, fn, f) &&
			!alias_dml_features(t, n, i, kind, f, &set_at) &&
			!value_word_features(t, n, i, kind, f))
			function_features(t, n, i, fn, f);
		datetime_features(t, n, i, f);
		wide_features(t, n, i, fn, f);
		joins += is(t, n, i, "JOIN");
	}
	f[F_JOIN_2PLUS] = joins >= 2;
	/* keywords written in lower case: the statement's first word decides */
	f[F_LOWER_KW] = n > 0 && t[0].type == T_WORD && t[0].s[0] >= 'a' && t[0].s[0] <= 'z';

	if (kind == 0)
		select_shape(t, n, sh);
	if (kind == 1)
		insert_shape(t, n, f, sh);
	if (kind == 2 && set_at >= 0)
		update_set_shape(t, n, set_at, f, sh);
	if (kind == 2 || kind == 3)
		update_delete_where(t, n, where_at, f);
	if (kind == 4)
		truncate_shape(t, n, f, sh);
}
