/*
 * ground.c — the names of a schema text, the scope of the statement being
 * written and the token mask built on them (see ground.h for the design).
 *
 * Everything runs on core/sql_lex.c: the schema text is lexed whole, the
 * statement byte by byte.  A statement's state is a cursor (lexer, the last
 * bytes, the expectation, the paren stack) and a scope (table references,
 * CTEs, extra names).  Only feeding text (sqlpilot_ground_feed) writes the
 * scope; judging a candidate token runs the same code on a copy of the
 * cursor with the scope read-only (a token holds at most one word, so the
 * scope a token would add is never needed by that same token).
 */
#include "ground.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "schema.h"
#include "sql_words.h"

/* ---- the names of a schema text ---- */

typedef struct GroundTable
{
	const char *schema;			/* "" when unqualified */
	const char *name;
	const char *spelling;		/* the name as the schema text writes it (unquoted: its case) */
	const char *schema_spelling;
	int			col0;
	int			n_cols;
	bool		unknown_cols;	/* a view whose columns could not be read */
} GroundTable;

struct SqlpilotGroundSchema
{
	char	   *pool;			/* every name, NUL-terminated */
	size_t		pool_len;
	size_t		pool_cap;
	GroundTable *tables;
	int			n_tables;
	int			cap_tables;
	const char **cols;			/* (all columns of all tables, table by table) */
	int			n_cols;
	int			cap_cols;
	const char **col_spellings; /* the columns as the schema text writes them (like cols) */
	const char **sorted;		/* distinct column names, sorted */
	int			n_sorted;
};

/* A parse in progress: names are pool offsets until the pool stops moving. */
typedef struct SchemaParse
{
	SqlpilotGroundSchema *s;
	const char *text;
	const SqlpilotLexToken *t;
	size_t		n;
	size_t	   *table_name;		/* (cap_tables) pool offsets of schema, name */
	size_t	   *table_schema;
	size_t	   *col_name;		/* (cap_cols) */
	size_t	   *table_spelling; /* (cap_tables) pool offsets of the names as written */
	size_t	   *schema_spelling;	/* (cap_tables) */
	size_t	   *col_spelling;	/* (cap_cols) */
	bool		oom;
} SchemaParse;

/* Appends the value of identifier token t to the pool; returns its offset. */
static size_t
pool_add(SchemaParse *p, const SqlpilotLexToken *t)
{
	SqlpilotGroundSchema *s = p->s;
	size_t		need = sqlpilot_lex_ident_value(p->text, t, NULL, 0) + 1;
	size_t		off = s->pool_len;

	if (s->pool_len + need > s->pool_cap)
	{
		size_t		cap = (s->pool_cap + need) * 2;
		char	   *np = realloc(s->pool, cap);

		if (!np)
		{
			p->oom = true;
			return 0;
		}
		s->pool = np;
		s->pool_cap = cap;
	}
	sqlpilot_lex_ident_value(p->text, t, s->pool + off, need);
	s->pool_len += need;
	return off;
}

/*
 * Appends identifier token t as the text writes it (an unquoted name keeps
 * its case; a quoted one is its value); returns its offset.
 */
static size_t
pool_add_spelling(SchemaParse *p, const SqlpilotLexToken *t)
{
	SqlpilotGroundSchema *s = p->s;
	size_t		n = t->end - t->start;
	size_t		off = s->pool_len;
	bool		upper = false;

	if (t->kind != SQLPILOT_TOK_IDENT)
		return pool_add(p, t);
	for (size_t k = 0; k < n; k++)
		upper |= p->text[t->start + k] >= 'A' && p->text[t->start + k] <= 'Z';
	if (!upper)
		return pool_add(p, t);
	if (s->pool_len + n + 1 > s->pool_cap)
	{
		size_t		cap = (s->pool_cap + n + 1) * 2;
		char	   *np = realloc(s->pool, cap);

		if (!np)
		{
			p->oom = true;
			return 0;
		}
		s->pool = np;
		s->pool_cap = cap;
	}
	memcpy(s->pool + off, p->text + t->start, n);
	s->pool[off + n] = '\0';
	s->pool_len += n + 1;
	return off;
}

/* Whether token i is the unquoted word w (lower case). */
static bool
tok_is(const SchemaParse *p, size_t i, const char *w)
{
	const SqlpilotLexToken *t;
	size_t		len = strlen(w);

	if (i >= p->n)
		return false;
	t = &p->t[i];
	if (t->kind != SQLPILOT_TOK_IDENT || t->end - t->start != len)
		return false;
	for (size_t k = 0; k < len; k++)
	{
		char		c = p->text[t->start + k];

		if (c >= 'A' && c <= 'Z')
			c = (char) (c - 'A' + 'a');
		if (c != w[k])
			return false;
	}
	return true;
}

/* Whether token i is the punctuation byte ch. */
static bool
tok_punct(const SchemaParse *p, size_t i, char ch)
{
	return i < p->n && p->t[i].kind == SQLPILOT_TOK_PUNCT &&
		p->t[i].end - p->t[i].start == 1 && p->text[p->t[i].start] == ch;
}

/* Whether token i is a name (quoted or not). */
static bool
tok_name(const SchemaParse *p, size_t i)
{
	return i < p->n && (p->t[i].kind == SQLPILOT_TOK_IDENT || p->t[i].kind == SQLPILOT_TOK_QIDENT);
}

/* Starts a table named by tokens [i] or [i] . [i+2]; returns the token after the name. */
static size_t
add_table(SchemaParse *p, size_t i)
{
	SqlpilotGroundSchema *s = p->s;
	GroundTable *gt;

	if (s->n_tables == s->cap_tables)
	{
		int			cap = s->cap_tables ? s->cap_tables * 2 : 16;
		GroundTable *nt = realloc(s->tables, sizeof(GroundTable) * (size_t) cap);
		size_t	   *nn = realloc(p->table_name, sizeof(size_t) * (size_t) cap);
		size_t	   *ns;
		size_t	   *nsp;
		size_t	   *nss;

		if (nt)
			s->tables = nt;
		if (nn)
			p->table_name = nn;
		ns = realloc(p->table_schema, sizeof(size_t) * (size_t) cap);
		if (ns)
			p->table_schema = ns;
		nsp = realloc(p->table_spelling, sizeof(size_t) * (size_t) cap);
		if (nsp)
			p->table_spelling = nsp;
		nss = realloc(p->schema_spelling, sizeof(size_t) * (size_t) cap);
		if (nss)
			p->schema_spelling = nss;
		if (!nt || !nn || !ns || !nsp || !nss)
		{
			p->oom = true;
			return p->n;
		}
		s->cap_tables = cap;
	}
	gt = &s->tables[s->n_tables];
	memset(gt, 0, sizeof(*gt));
	gt->col0 = s->n_cols;
	p->table_schema[s->n_tables] = (size_t) -1;
	if (tok_punct(p, i + 1, '.') && tok_name(p, i + 2))
	{
		p->table_schema[s->n_tables] = pool_add(p, &p->t[i]);
		p->schema_spelling[s->n_tables] = pool_add_spelling(p, &p->t[i]);
		i += 2;
	}
	p->table_name[s->n_tables] = pool_add(p, &p->t[i]);
	p->table_spelling[s->n_tables] = pool_add_spelling(p, &p->t[i]);
	s->n_tables++;
	return i + 1;
}

/* Adds a column (token i) to the last table. */
static void
add_column(SchemaParse *p, size_t i)
{
	SqlpilotGroundSchema *s = p->s;

	if (s->n_cols == s->cap_cols)
	{
		int			cap = s->cap_cols ? s->cap_cols * 2 : 64;
		size_t	   *nc = realloc(p->col_name, sizeof(size_t) * (size_t) cap);
		size_t	   *ncs;

		if (nc)
			p->col_name = nc;
		ncs = realloc(p->col_spelling, sizeof(size_t) * (size_t) cap);
		if (ncs)
			p->col_spelling = ncs;
		if (!nc || !ncs)
		{
			p->oom = true;
			return;
		}
		s->cap_cols = cap;
	}
	p->col_spelling[s->n_cols] = pool_add_spelling(p, &p->t[i]);
	p->col_name[s->n_cols++] = pool_add(p, &p->t[i]);
	s->tables[s->n_tables - 1].n_cols++;
}

/*
 * Whether the element of a CREATE TABLE list starting at token i is a
 * constraint or an index (CONSTRAINT, PRIMARY KEY, UNIQUE, CHECK, FOREIGN
 * KEY, EXCLUDE, LIKE, and CockroachDB's [UNIQUE|INVERTED] INDEX name (...)
 * and FAMILY name (...)) rather than a column.
 */
static bool
element_is_constraint(const SchemaParse *p, size_t i)
{
	static const char *const always[] = {
		"constraint", "primary", "unique", "check", "foreign", "exclude", "like"
	};

	for (size_t k = 0; k < sizeof(always) / sizeof(always[0]); k++)
		if (tok_is(p, i, always[k]))
			return true;
	if (tok_is(p, i, "index") || tok_is(p, i, "family") || tok_is(p, i, "inverted"))
		return tok_punct(p, i + 1, '(') || tok_is(p, i + 1, "index") ||
			(tok_name(p, i + 1) && tok_punct(p, i + 2, '('));
	return false;
}

/* Reads the column list of CREATE TABLE from the '(' at token i; returns the token after ')'. */
static size_t
parse_columns(SchemaParse *p, size_t i)
{
	int			depth = 0;
	bool		element_start = true;

	for (; i < p->n && !p->oom; i++)
	{
		if (tok_punct(p, i, '('))
		{
			depth++;
			if (depth == 1)
			{
				element_start = true;
				continue;
			}
		}
		else if (tok_punct(p, i, ')'))
		{
			if (--depth == 0)
				return i + 1;
		}
		else if (tok_punct(p, i, ';'))
			return i;
		else if (depth == 1 && tok_punct(p, i, ','))
		{
			element_start = true;
			continue;
		}
		if (element_start && depth == 1 && tok_name(p, i) && !element_is_constraint(p, i))
			add_column(p, i);
		element_start = false;
	}
	return i;
}

/*
 * Reads the select list of CREATE VIEW ... AS SELECT from token i: each
 * item's name is its last word (its alias or column); an item that does not
 * end in a name (*, an expression) leaves the view's columns unknown.
 */
static size_t
parse_view_select(SchemaParse *p, size_t i)
{
	int			depth = 0;
	size_t		last = (size_t) -1;
	bool		last_is_name = false;

	while (i < p->n && (tok_is(p, i, "select") || tok_is(p, i, "distinct") || tok_is(p, i, "all")))
		i++;
	for (; i < p->n && !p->oom; i++)
	{
		bool		end = depth == 0 && (tok_punct(p, i, ',') || tok_is(p, i, "from") ||
										 tok_punct(p, i, ';') || tok_punct(p, i, ')'));

		if (end || i + 1 == p->n)
		{
			if (!end)
			{
				last = i;
				last_is_name = tok_name(p, i);
			}
			if (last_is_name)
				add_column(p, last);
			else
				p->s->tables[p->s->n_tables - 1].unknown_cols = true;
			if (!tok_punct(p, i, ','))
				return i;
			last_is_name = false;
			continue;
		}
		if (tok_punct(p, i, '('))
			depth++;
		else if (tok_punct(p, i, ')'))
			depth--;
		last = i;
		last_is_name = depth == 0 && tok_name(p, i);
	}
	return i;
}

/* Parses CREATE [OR REPLACE] [TEMP...] TABLE|VIEW at token i (after CREATE). */
static size_t
parse_create(SchemaParse *p, size_t i)
{
	static const char *const skip[] = {
		"or", "replace", "temp", "temporary", "unlogged", "global", "local",
		"materialized", "recursive"
	};
	bool		view;
	bool		again = true;

	while (again)
	{
		again = false;
		for (size_t k = 0; k < sizeof(skip) / sizeof(skip[0]); k++)
			if (tok_is(p, i, skip[k]))
			{
				i++;
				again = true;
			}
	}
	view = tok_is(p, i, "view");
	if (!view && !tok_is(p, i, "table"))
		return i;
	i++;
	if (tok_is(p, i, "if") && tok_is(p, i + 1, "not") && tok_is(p, i + 2, "exists"))
		i += 3;
	if (!tok_name(p, i))
		return i;
	i = add_table(p, i);
	if (p->oom)
		return p->n;
	if (!view)
		return tok_punct(p, i, '(') ? parse_columns(p, i) : i;
	if (tok_punct(p, i, '('))
	{
		i = parse_columns(p, i);
		return i;
	}
	if (tok_is(p, i, "as"))
		return parse_view_select(p, i + 1);
	p->s->tables[p->s->n_tables - 1].unknown_cols = true;
	return i;
}

/* Orders name pointers by strcmp, for qsort. */
static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(const char *const *) a, *(const char *const *) b);
}

/* See ground.h. */
SqlpilotGroundSchema *
sqlpilot_ground_schema_parse(const char *text, size_t len)
{
	SqlpilotGroundSchema *s = calloc(1, sizeof(SqlpilotGroundSchema));
	SqlpilotLexToken *toks = NULL;
	SchemaParse p;
	size_t		n;

	if (!s)
		return NULL;
	n = len ? sqlpilot_lex_all(text, len, false, &toks) : 0;
	if (n == (size_t) -1)
	{
		free(s);
		return NULL;
	}
	memset(&p, 0, sizeof(p));
	p.s = s;
	p.text = text;
	p.t = toks;
	p.n = n;
	for (size_t i = 0; i < n && !p.oom;)
	{
		if (tok_is(&p, i, "create") && (i == 0 || tok_punct(&p, i - 1, ';') ||
										p.t[i - 1].kind != SQLPILOT_TOK_IDENT))
			i = parse_create(&p, i + 1);
		else
			i++;
	}
	free(toks);
	if (!p.oom && s->n_cols > 0)
	{
		s->cols = malloc(sizeof(char *) * (size_t) s->n_cols);
		s->sorted = malloc(sizeof(char *) * (size_t) s->n_cols);
		s->col_spellings = malloc(sizeof(char *) * (size_t) s->n_cols);
		p.oom = !s->cols || !s->sorted || !s->col_spellings;
	}
	if (!p.oom)
	{
		for (int i = 0; i < s->n_tables; i++)
		{
			s->tables[i].name = s->pool + p.table_name[i];
			s->tables[i].spelling = s->pool + p.table_spelling[i];
			s->tables[i].schema = p.table_schema[i] == (size_t) -1 ? "" :
				s->pool + p.table_schema[i];
			s->tables[i].schema_spelling = p.table_schema[i] == (size_t) -1 ? "" :
				s->pool + p.schema_spelling[i];
		}
		for (int i = 0; i < s->n_cols; i++)
			s->col_spellings[i] = s->pool + p.col_spelling[i];
		for (int i = 0; i < s->n_cols; i++)
			s->cols[i] = s->sorted[i] = s->pool + p.col_name[i];
		if (s->n_cols > 0)
			qsort(s->sorted, (size_t) s->n_cols, sizeof(char *), cmp_names);
		for (int i = 0; i < s->n_cols; i++)
			if (s->n_sorted == 0 || strcmp(s->sorted[s->n_sorted - 1], s->sorted[i]) != 0)
				s->sorted[s->n_sorted++] = s->sorted[i];
	}
	free(p.table_name);
	free(p.table_schema);
	free(p.col_name);
	free(p.table_spelling);
	free(p.schema_spelling);
	free(p.col_spelling);
	if (p.oom)
	{
		sqlpilot_ground_schema_free(s);
		return NULL;
	}
	return s;
}

/* See ground.h. */
void
sqlpilot_ground_schema_free(SqlpilotGroundSchema *s)
{
	if (!s)
		return;
	free(s->pool);
	free(s->tables);
	free(s->cols);
	free(s->sorted);
	free(s->col_spellings);
	free(s);
}

/* See ground.h. */
int
sqlpilot_ground_schema_n_tables(const SqlpilotGroundSchema *s)
{
	return s ? s->n_tables : 0;
}

/* See ground.h. */
const char *
sqlpilot_ground_schema_table(const SqlpilotGroundSchema *s, int i, const char **schema_name,
							 int *n_columns)
{
	if (!s || i < 0 || i >= s->n_tables)
		return NULL;
	if (schema_name)
		*schema_name = s->tables[i].schema;
	if (n_columns)
		*n_columns = s->tables[i].n_cols;
	return s->tables[i].name;
}

/* See ground.h. */
const char *
sqlpilot_ground_schema_column(const SqlpilotGroundSchema *s, int i, int j)
{
	if (!s || i < 0 || i >= s->n_tables || j < 0 || j >= s->tables[i].n_cols)
		return NULL;
	return s->cols[s->tables[i].col0 + j];
}

/* ---- the statement's state ---- */

/* What the next identifier is expected to be. */
enum
{
	E_STMT,						/* a statement's first keyword */
	E_EXPR,						/* a column, alias, keyword or function */
	E_TABLE,
	E_TABLE_IN_SCHEMA,			/* after "schema." at a table position */
	E_ALIAS,					/* right after a table reference */
	E_AFTER_ALIAS,				/* keywords only */
	E_QUAL,						/* a column of qual, after "qual." */
	E_INSERT_COLS,
	E_SET_COLS,					/* an assignment target of SET: a column of set_table */
	E_NEW_NAME,					/* a new name: free */
	E_TYPE,						/* a type after '::': free */
	E_AFTER_CTE,				/* after a CTE's name: AS, MATERIALIZED, '(' */
	E_INTO,						/* after INSERT, MERGE: INTO only */
	E_FROM_KW					/* after DELETE: FROM only */
};

/* Clauses at one paren depth. */
enum
{
	C_NONE, C_SELECT, C_FROM, C_EXPR, C_WITH, C_SET
};

/* Why a paren was opened. */
enum
{
	P_EXPR, P_SUBQ_FROM, P_FUNC_FROM, P_INSERT_COLS, P_CTE_COLS, P_CTE_BODY, P_NAMES
};

/* The keyword that opened the current table list. */
enum
{
	I_NONE, I_FROM, I_JOIN, I_UPDATE, I_INTO, I_INSERT, I_USING, I_TRUNCATE, I_DELETE
};

/* Kinds of table references. */
enum
{
	EK_TABLE, EK_CTE, EK_SUBQ, EK_UNKNOWN
};

/* Reasons to give up until the statement ends. */
enum
{
	L_NONE, L_NOT_QUERY, L_NOT_SQL, L_DEEP, L_FULL
};

/* What a keyword does to the state. */
enum
{
	A_NONE, A_PLAIN, A_SELECT, A_FROM, A_JOIN, A_JOINTYPE, A_UPDATE, A_INTO, A_INSERT,
	A_DELETE, A_MERGE, A_USING, A_TABLE, A_WITH, A_RECURSIVE, A_AS, A_LATERAL, A_ONLY,
	A_VALUES, A_DISTINCT, A_CLAUSE, A_SETOP, A_EXPLAIN, A_MATERIALIZED, A_NOT,
	A_NOCOND,					/* CROSS, NATURAL: a join without ON/USING */
	A_COND,						/* WHERE, ON, HAVING, SET: a clause of operands */
	A_LOGIC,					/* AND, OR, WHEN, THEN, ELSE: an operand follows */
	A_SET,
	A_TRUNCATE
};

typedef struct KeywordAction
{
	const char *word;
	uint8_t		action;
} KeywordAction;

/* The keywords that move the state, sorted. */
static const KeywordAction keyword_actions[] = {
	{"analyze", A_EXPLAIN}, {"and", A_LOGIC}, {"as", A_AS}, {"conflict", A_CLAUSE},
	{"cross", A_NOCOND}, {"delete", A_DELETE}, {"distinct", A_DISTINCT}, {"do", A_CLAUSE},
	{"else", A_LOGIC}, {"except", A_SETOP}, {"explain", A_EXPLAIN}, {"from", A_FROM},
	{"full", A_JOINTYPE}, {"group", A_CLAUSE}, {"having", A_COND}, {"inner", A_JOINTYPE},
	{"insert", A_INSERT}, {"intersect", A_SETOP}, {"into", A_INTO}, {"join", A_JOIN},
	{"lateral", A_LATERAL}, {"left", A_JOINTYPE}, {"limit", A_CLAUSE},
	{"materialized", A_MATERIALIZED}, {"merge", A_MERGE}, {"natural", A_NOCOND},
	{"not", A_NOT}, {"offset", A_CLAUSE}, {"on", A_COND}, {"only", A_ONLY},
	{"or", A_LOGIC}, {"order", A_CLAUSE}, {"outer", A_JOINTYPE},
	{"recursive", A_RECURSIVE}, {"returning", A_CLAUSE}, {"right", A_JOINTYPE},
	{"select", A_SELECT}, {"set", A_SET}, {"table", A_TABLE}, {"then", A_LOGIC},
	{"truncate", A_TRUNCATE}, {"union", A_SETOP}, {"update", A_UPDATE}, {"using", A_USING}, {"values", A_VALUES},
	{"verbose", A_EXPLAIN}, {"when", A_LOGIC}, {"where", A_COND}, {"window", A_CLAUSE},
	{"with", A_WITH}
};

/* Keywords a table position takes besides names: FROM (SELECT ...), FROM LATERAL, ... */
static const char *const table_keywords[] = {
	"lateral", "only", "rows", "select", "values", "with"
};

/* Keywords that may follow a table reference or its alias (AS only before the alias). */
static const char *const follow_keywords[] = {
	"as", "cross", "default", "except", "fetch", "for", "full", "group", "having", "inner",
	"intersect", "join", "left", "limit", "natural", "offset", "on", "order", "overriding",
	"returning", "right", "select", "set", "tablesample", "union", "using", "values", "when",
	"where", "window", "with"
};

/* Keywords that may follow the table of INSERT INTO t (sorted). */
static const char *const insert_keywords[] = {
	"as", "default", "overriding", "select", "values", "with"
};

/* Keywords that may follow the table of UPDATE t. */
static const char *const update_keywords[] = {"as", "set"};

/* Keywords that may follow the table of DELETE FROM t (sorted). */
static const char *const delete_keywords[] = {"as", "returning", "using", "where"};

/* Keywords that may follow a table of TRUNCATE (RESTART IDENTITY, CASCADE, ...). */
static const char *const truncate_keywords[] = {
	"cascade", "continue", "identity", "restart", "restrict"
};

/* Whether name equals v[0..len), or with prefix starts with it. */
static bool
name_match(const char *name, const char *v, size_t len, bool prefix)
{
	return strncmp(name, v, len) == 0 && (prefix || name[len] == '\0');
}

/* Keywords that never start an operand: they only follow one (sorted). */
static const char *const operand_never[] = {
	"and", "asc", "desc", "else", "end", "except", "fetch", "from", "group", "having",
	"intersect", "into", "join", "limit", "nulls", "of", "offset", "on", "or", "order",
	"returning", "then", "union", "using", "when", "where", "window"
};

/*
 * Whether a word of a sorted list (n entries) equals v, or with prefix
 * starts with it: a binary search for the first word not below v.
 */
static bool
in_list(const char *const *list, size_t n, const char *v, size_t len, bool prefix)
{
	size_t		lo = 0,
				hi = n;

	while (lo < hi)
	{
		size_t		mid = (lo + hi) / 2;

		if (strncmp(list[mid], v, len) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && name_match(list[lo], v, len, prefix);
}

/* The number of entries of a static array. */
#define lengthof(array) (sizeof(array) / sizeof((array)[0]))

/*
 * Whether keyword v may follow a table reference (or its alias): after
 * JOIN t only AS, ON or USING (CROSS and NATURAL joins take none); the
 * target of INSERT, UPDATE, DELETE and TRUNCATE takes only its statement's.
 */
static bool
follows_ref(const SqlpilotGroundCursor *c, const char *v, size_t len, bool prefix)
{
	if (c->intro == I_TRUNCATE)
		return in_list(truncate_keywords, lengthof(truncate_keywords), v, len, prefix);
	if (c->intro == I_INSERT)
		return in_list(insert_keywords, lengthof(insert_keywords), v, len, prefix);
	if (c->intro == I_UPDATE)
		return in_list(update_keywords, lengthof(update_keywords), v, len, prefix);
	if (c->intro == I_DELETE)
		return in_list(delete_keywords, lengthof(delete_keywords), v, len, prefix);
	if (c->join_cond)
		return name_match("as", v, len, prefix) || name_match("on", v, len, prefix) ||
			name_match("using", v, len, prefix);
	return in_list(follow_keywords, lengthof(follow_keywords), v, len, prefix);
}

/* Whether unquoted v is a keyword (or with prefix the start of one). */
static bool
is_keyword(const char *v, size_t len, bool prefix)
{
	return prefix ? sqlpilot_sql_keyword_prefix(v, len, NULL, NULL, 0) :
		sqlpilot_sql_keyword_category(v, len) != 0;
}

/*
 * Whether unquoted v is an SQL word an expression may hold (or the start of
 * one): sqlpilot_sql_word, the definition the hallucination metric shares;
 * at the start of an operand (opstart: after an operator, WHERE, ON, AND,
 * ...) not a keyword that only follows an operand ("ON offset", "= FROM",
 * "WHERE end").  A function name may stand without its '(': requiring it
 * ("WHERE max = 1") sent the model into sum(sum(sum(... on the corpus.
 */
static bool
expr_word(const char *v, size_t len, bool prefix, bool opstart)
{
	return sqlpilot_sql_word(v, len, prefix, true, opstart ? operand_never : NULL,
							 opstart ? lengthof(operand_never) : 0);
}

/* Owner of a name that a select list used as a qualifier before any FROM defined it. */
#define OWNER_FORWARD (-2)
/* Owners of the columns an INSERT column list and a SET clause have named so far. */
#define OWNER_INSERT_COL (-3)
#define OWNER_SET_COL (-4)
/* Owner of an unqualified column of the schema a top-level select list names before FROM. */
#define OWNER_SELECT_COL (-5)

/* Whether s[0..n) has both upper- and lower-case ASCII letters. */
static bool
mixed_case(const char *s, size_t n)
{
	bool		upper = false,
				lower = false;

	for (size_t i = 0; i < n; i++)
	{
		upper |= s[i] >= 'A' && s[i] <= 'Z';
		lower |= s[i] >= 'a' && s[i] <= 'z';
	}
	return upper && lower;
}

/* One feeding or judging pass: the state it reads, and the scope it may write. */
typedef struct Ctx
{
	const SqlpilotGround *g;
	SqlpilotGround *w;			/* NULL while judging a candidate */
	SqlpilotGroundCursor *c;
} Ctx;

/* The action of an unquoted word v (folded), A_PLAIN for other keywords, A_NONE for names. */
static int
keyword_action(const char *v, size_t len)
{
	int			lo = 0,
				hi = (int) lengthof(keyword_actions) - 1;

	while (lo <= hi)
	{
		int			mid = (lo + hi) / 2;
		int			c = strncmp(keyword_actions[mid].word, v, len);

		if (c == 0 && keyword_actions[mid].word[len] != '\0')
			c = 1;
		if (c == 0)
			return keyword_actions[mid].action;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return sqlpilot_sql_keyword_category(v, len) ? A_PLAIN : A_NONE;
}

/*
 * A generated unquoted word with upper case in what was generated: it must
 * keep the schema's spelling of the name it writes (raw: the word as
 * written, len bytes like its value; typed_n: bytes the user typed, whose
 * case is theirs).  "produCT_id" is not product_id, "SolarPanels" is the
 * table CREATE TABLE SolarPanels made; all lower case is what PostgreSQL
 * folds a name to, and matches as folded.
 */
typedef struct Spell
{
	const char *raw;
	size_t		typed_n;
} Spell;

/*
 * Whether the schema's name (folded; spelling: as written) is v (or with
 * prefix starts with it), and with sp spelled as written.
 */
static bool
schema_match(const char *name, const char *spelling, const char *v, size_t len, bool prefix,
			 const Spell *sp)
{
	if (!name_match(name, v, len, prefix))
		return false;
	return !sp || (strncasecmp(spelling, sp->raw, sp->typed_n) == 0 &&
				   name_match(spelling + sp->typed_n, sp->raw + sp->typed_n, len - sp->typed_n,
							  prefix));
}

/* Index of the schema table named v, or -1. */
static int
table_lookup(const SqlpilotGroundSchema *s, const char *v, size_t len)
{
	for (int i = 0; i < s->n_tables; i++)
		if (name_match(s->tables[i].name, v, len, false))
			return i;
	return -1;
}

/* Whether some table of the schema is v (or with prefix starts with it), spelled as sp says. */
static bool
any_table(const SqlpilotGroundSchema *s, const char *v, size_t len, bool prefix, const Spell *sp)
{
	for (int i = 0; i < s->n_tables; i++)
		if (schema_match(s->tables[i].name, s->tables[i].spelling, v, len, prefix, sp))
			return true;
	return false;
}

/* Index of the CTE named v, or -1. */
static int
cte_lookup(const SqlpilotGround *g, const char *v, size_t len)
{
	for (int i = 0; i < g->n_ctes; i++)
		if (name_match(g->ctes[i].name, v, len, false))
			return i;
	return -1;
}

/* Whether table ti has a column v (or one starting with v), spelled as sp says. */
static bool
table_has_column(const SqlpilotGroundSchema *s, int ti, const char *v, size_t len, bool prefix,
				 const Spell *sp)
{
	const GroundTable *t = &s->tables[ti];

	if (t->unknown_cols)
		return true;
	for (int j = 0; j < t->n_cols; j++)
		if (schema_match(s->cols[t->col0 + j], s->col_spellings[t->col0 + j], v, len, prefix, sp))
			return true;
	return false;
}

/*
 * Whether some column of the schema is v (or starts with it): a binary
 * search of the folded names, or with sp a look at every spelling.
 */
static bool
any_column(const SqlpilotGroundSchema *s, const char *v, size_t len, bool prefix, const Spell *sp)
{
	int			lo = 0,
				hi = s->n_sorted;

	if (sp)
	{
		for (int i = 0; i < s->n_cols; i++)
			if (schema_match(s->cols[i], s->col_spellings[i], v, len, prefix, sp))
				return true;
		return false;
	}

	while (lo < hi)
	{
		int			mid = (lo + hi) / 2;

		if (strncmp(s->sorted[mid], v, len) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < s->n_sorted && name_match(s->sorted[lo], v, len, prefix);
}

/* Whether a CTE has column v: its names, or anything when unknown. */
static bool
cte_has_column(const SqlpilotGround *g, int ci, const char *v, size_t len, bool prefix)
{
	if (g->ctes[ci].unknown)
		return true;
	for (int i = 0; i < g->n_names; i++)
		if (g->names[i].owner == ci && name_match(g->names[i].name, v, len, prefix))
			return true;
	return false;
}

/*
 * Whether the current SELECT has no FROM yet (or nothing is in scope): any
 * column goes.  Its select list may be some parens out ("SELECT max(").
 */
static bool
before_from(const SqlpilotGround *g, const SqlpilotGroundCursor *c)
{
	if (g->n_entries == 0)
		return true;
	for (int d = c->depth; d >= 0; d--)
	{
		if (c->clause[d] == C_SELECT)
			return !(c->selfrom[d] & 2);
		if (c->clause[d] != C_NONE || c->paren[d] != P_EXPR)
			break;
	}
	return false;
}

/* Whether v names an unqualified column here: in-scope tables, CTE columns, aliases. */
static bool
column_in_scope(const SqlpilotGround *g, const SqlpilotGroundCursor *c, const char *v,
				size_t len, bool prefix, const Spell *sp)
{
	const SqlpilotGroundSchema *s = g->schema;

	if (before_from(g, c) && any_column(s, v, len, prefix, sp))
		return true;
	for (int i = 0; i < g->n_entries; i++)
	{
		const SqlpilotGroundEntry *e = &g->entries[i];

		if (e->kind == EK_UNKNOWN && any_column(s, v, len, prefix, sp))
			return true;			/* a table the prompt leaves out: a name of the schema */
		if (e->kind == EK_TABLE && table_has_column(s, e->table, v, len, prefix, sp))
			return true;
		if (e->kind == EK_CTE && g->ctes[e->cte].unknown)
			return true;
	}
	for (int i = 0; i < g->n_names; i++)
		if (g->names[i].owner >= -1 && name_match(g->names[i].name, v, len, prefix))
			return true;
	return false;
}

/* Whether a table reference in scope is visible as v. */
static bool
entry_named(const SqlpilotGround *g, const char *v, size_t len)
{
	for (int i = 0; i < g->n_entries; i++)
		if (name_match(g->entries[i].name, v, len, false))
			return true;
	return false;
}

/*
 * Whether a new alias v is acceptable: when the select list used qualifiers
 * no reference defines yet ("SELECT o.total FROM customers c JOIN "), the
 * alias must be one of them; otherwise any.
 */
static bool
alias_fits_forward(const SqlpilotGround *g, const char *v, size_t len, bool prefix)
{
	bool		pending = false;

	for (int i = 0; i < g->n_names; i++)
	{
		const char *f = g->names[i].name;

		if (g->names[i].owner != OWNER_FORWARD || entry_named(g, f, strlen(f)))
			continue;
		if (name_match(f, v, len, prefix))
			return true;
		pending = true;
	}
	return !pending;
}

/*
 * Whether v (folded) may be an alias of table t, as aliases are made: the
 * start of one of its words ("ord", "items" of order_items) or the initials
 * of consecutive words ("oi", "pm" of pest_predictive_models), then digits
 * ("t1" of transactions).  Words split at '_', digits and a lower-case
 * letter followed by an upper-case one in the name as written ("SoilType").
 * The set is closed under prefixes, so the same test serves a word being
 * written.
 */
static bool
alias_of_table(const GroundTable *t, const char *v, size_t len)
{
	const char *w = t->spelling;
	size_t		starts[32];
	size_t		n_starts = 0;
	size_t		wl = strlen(w);
	size_t		k = len;

	while (k > 0 && v[k - 1] >= '0' && v[k - 1] <= '9')
		k--;
	if (k == 0)
		return false;
	for (size_t i = 0; i < k; i++)
		if (v[i] < 'a' || v[i] > 'z')
			return false;
	for (size_t i = 0; i < wl && n_starts < lengthof(starts); i++)
	{
		bool		letter = (w[i] >= 'a' && w[i] <= 'z') || (w[i] >= 'A' && w[i] <= 'Z');
		bool		start = i == 0 ? letter :
			letter && (!((w[i - 1] >= 'a' && w[i - 1] <= 'z') || (w[i - 1] >= 'A' && w[i - 1] <= 'Z')) ||
					   (w[i] >= 'A' && w[i] <= 'Z' && w[i - 1] >= 'a' && w[i - 1] <= 'z'));

		if (start)
			starts[n_starts++] = i;
	}
	for (size_t i = 0; i < n_starts; i++)
	{
		bool		word = true;	/* v is the start of word i */
		bool		initials = i + k <= n_starts;	/* v is the initials of words i.. */

		for (size_t j = 0; j < k && (word || initials); j++)
		{
			size_t		p = starts[i] + j;
			char		wc = p < wl ? w[p] : '\0';
			char		ic = initials ? w[starts[i + j]] : '\0';

			if (wc >= 'A' && wc <= 'Z')
				wc = (char) (wc - 'A' + 'a');
			if (ic >= 'A' && ic <= 'Z')
				ic = (char) (ic - 'A' + 'a');
			word = word && wc == v[j];
			initials = initials && ic == v[j];
		}
		if (word || initials)
			return true;
	}
	return false;
}

/* Whether v may be an alias of some table of the schema (alias_of_table). */
static bool
alias_of_any_table(const SqlpilotGroundSchema *s, const char *v, size_t len)
{
	for (int i = 0; i < s->n_tables; i++)
		if (alias_of_table(&s->tables[i], v, len))
			return true;
	return false;
}

/*
 * Whether v may qualify a column here ("v."): a reference in scope, a CTE,
 * EXCLUDED in INSERT; before FROM also a table of the schema or a name made
 * like an alias of one (alias_of_table: the alias the FROM clause has yet
 * to define), so that a made-up name cannot pass as one.
 */
static bool
qualifier_ok(const SqlpilotGround *g, const SqlpilotGroundCursor *c, const char *v,
			 size_t len, bool prefix, const Spell *sp)
{
	if (before_from(g, c) &&
		(any_table(g->schema, v, len, prefix, sp) || (!sp && alias_of_any_table(g->schema, v, len))))
		return true;
	for (int i = 0; i < g->n_entries; i++)
	{
		const SqlpilotGroundEntry *e = &g->entries[i];

		/* an alias in any case; a table by its name keeps the schema's spelling */
		if (e->kind == EK_TABLE && !e->aliased ?
			schema_match(e->name, g->schema->tables[e->table].spelling, v, len, prefix, sp) :
			name_match(e->name, v, len, prefix))
			return true;
	}
	for (int i = 0; i < g->n_ctes; i++)
		if (name_match(g->ctes[i].name, v, len, prefix))
			return true;
	return c->target >= 0 && name_match("excluded", v, len, prefix);
}

/* Whether v is a column of the qualifier of "x." (free when x is unknown). */
static bool
qualified_column(const SqlpilotGround *g, const SqlpilotGroundCursor *c, const char *v,
				 size_t len, bool prefix, const Spell *sp)
{
	const SqlpilotGroundSchema *s = g->schema;
	int			matches = 0;
	int			ti;

	for (int i = 0; i < g->n_entries; i++)
	{
		const SqlpilotGroundEntry *e = &g->entries[i];

		if (strcmp(e->name, c->qual) != 0)
			continue;
		matches++;
		if (e->kind == EK_SUBQ)
			return true;
		if (e->kind == EK_UNKNOWN && any_column(s, v, len, prefix, sp))
			return true;
		if (e->kind == EK_TABLE && table_has_column(s, e->table, v, len, prefix, sp))
			return true;
		if (e->kind == EK_CTE && cte_has_column(g, e->cte, v, len, prefix))
			return true;
	}
	if (matches > 0)
		return false;
	for (int i = 0; i < g->n_ctes; i++)
		if (strcmp(g->ctes[i].name, c->qual) == 0)
			return cte_has_column(g, i, v, len, prefix);
	if (c->target >= 0 && strcmp(c->qual, "excluded") == 0)
		return table_has_column(s, c->target, v, len, prefix, sp);
	ti = table_lookup(s, c->qual, strlen(c->qual));
	if (ti >= 0)
		return table_has_column(s, ti, v, len, prefix, sp);
	/* an alias FROM has yet to define: a column of a table it may stand for */
	for (int i = 0; i < s->n_tables; i++)
		if (alias_of_table(&s->tables[i], c->qual, strlen(c->qual)))
		{
			matches++;
			if (table_has_column(s, i, v, len, prefix, sp))
				return true;
		}
	return matches == 0 && any_column(s, v, len, prefix, sp);
}

/*
 * Whether table ti (-1: not in the schema, anything goes) has a column v (or
 * one starting with v) that the list of owner has not named yet: an INSERT
 * column list or a SET clause names each column once.
 */
static bool
unlisted_column(const SqlpilotGround *g, int ti, int owner, const char *v, size_t len,
				bool prefix, const Spell *sp)
{
	const SqlpilotGroundSchema *s = g->schema;
	const GroundTable *t;

	if (ti < 0)
		return any_column(s, v, len, prefix, sp);	/* a table the prompt leaves out */
	if (s->tables[ti].unknown_cols)
		return true;
	t = &s->tables[ti];
	for (int j = 0; j < t->n_cols; j++)
	{
		const char *col = s->cols[t->col0 + j];
		bool		listed = false;

		if (!schema_match(col, s->col_spellings[t->col0 + j], v, len, prefix, sp))
			continue;
		for (int i = 0; i < g->n_names && !listed; i++)
			listed = g->names[i].owner == owner && strcmp(g->names[i].name, col) == 0;
		if (!listed)
			return true;
	}
	return false;
}

/* How many of the select list's columns before FROM (OWNER_SELECT_COL) table ti has. */
static int
select_cols_in(const SqlpilotGround *g, int ti)
{
	int			n = 0;

	for (int i = 0; i < g->n_names; i++)
		if (g->names[i].owner == OWNER_SELECT_COL &&
			table_has_column(g->schema, ti, g->names[i].name, strlen(g->names[i].name), false, NULL))
			n++;
	return n;
}

/*
 * For the first table of a top-level FROM that follows a select list naming
 * unqualified columns ("SELECT name, shift_date FROM "): the most of them
 * one table of the schema has (0: no restriction), the number named in *want.
 */
static int
from_coverage(const SqlpilotGround *g, const SqlpilotGroundCursor *c, int *want)
{
	int			best = 0;

	*want = 0;
	if (c->intro != I_FROM || c->prevkw != A_FROM || c->depth != 0)
		return 0;
	for (int i = 0; i < g->n_names; i++)
		*want += g->names[i].owner == OWNER_SELECT_COL;
	for (int t = 0; *want > 0 && t < g->schema->n_tables && best < *want; t++)
	{
		int			k = select_cols_in(g, t);

		if (k > best)
			best = k;
	}
	return best;
}

/*
 * Whether table ti may be that first table: one that has as many of the
 * select list's columns as any table has (all of them when one has them
 * all; a join may bring the rest).
 */
static bool
from_table_fits(const SqlpilotGround *g, const SqlpilotGroundCursor *c, int ti)
{
	int			want;
	int			best = from_coverage(g, c, &want);

	return best == 0 || select_cols_in(g, ti) >= best;
}

/* Whether some table of the schema is v (or starts with it), spelled as sp says, and fits FROM. */
static bool
any_from_table(const SqlpilotGround *g, const SqlpilotGroundCursor *c, const char *v, size_t len,
			   bool prefix, const Spell *sp)
{
	const SqlpilotGroundSchema *s = g->schema;

	for (int i = 0; i < s->n_tables; i++)
		if (schema_match(s->tables[i].name, s->tables[i].spelling, v, len, prefix, sp) &&
			from_table_fits(g, c, i))
			return true;
	return false;
}

/* Whether an alias already taken in this statement is v. */
static bool
alias_taken(const SqlpilotGround *g, const char *v, size_t len)
{
	for (int i = 0; i < g->n_entries; i++)
		if (g->entries[i].aliased && name_match(g->entries[i].name, v, len, false))
			return true;
	return false;
}

/*
 * Whether identifier v (len bytes, its value: folded unless quoted) is
 * allowed at the cursor, or with prefix may still grow into an allowed one.
 * dot: 0 followed by something else, 1 by '.', 2 not known yet, 3 by '('.
 * mixed: written in mixed case, which a generated keyword or function name
 * is not ("cROss", "to_chaR"): such a word can only be a name.  raw: the
 * word as written, its first typed_n bytes typed (see Spell); NULL for
 * quoted words.
 */
static bool
word_allowed(const SqlpilotGround *g, const SqlpilotGroundCursor *c, const char *v,
			 size_t len, bool quoted, bool mixed, bool prefix, int dot, const char *raw,
			 size_t typed_n)
{
	const SqlpilotGroundSchema *s = g->schema;
	bool		words = !quoted && !mixed;	/* may be a keyword or function */
	Spell		spell = {raw, typed_n};
	const Spell *sp = NULL;		/* names must keep the schema's spelling */

	/* a new alias is written in one case and fits a name ("GROUPUPSERTport" is none) */
	bool		alias_ok = !mixed && len < SQLPILOT_GROUND_NAME_MAX;

	if (len >= SQLPILOT_GROUND_NAME_MAX)
	{
		/* longer than any name: only a free position takes it */
		v = "\x01";
		len = 1;
		raw = NULL;
	}
	for (size_t i = typed_n; raw && i < len && !sp; i++)
		if (raw[i] >= 'A' && raw[i] <= 'Z')
			sp = &spell;
	switch (c->expect)
	{
		case E_STMT:
			return dot != 1 && words && is_keyword(v, len, prefix);
		case E_AFTER_CTE:
			return dot != 1 && words && (name_match("as", v, len, prefix) ||
										   name_match("materialized", v, len, prefix) ||
										   name_match("not", v, len, prefix));
		case E_AFTER_ALIAS:
			/* not AS, nor its start: "t x a" has nowhere to go ("a" is only in AS) */
			return dot != 1 && words && !name_match("as", v, len, prefix) &&
				follows_ref(c, v, len, prefix);
		case E_INTO:
		case E_FROM_KW:
			return dot != 1 && words &&
				name_match(c->expect == E_INTO ? "into" : "from", v, len, prefix);
		case E_TABLE:
			if (dot == 1 || dot == 2)
			{
				for (int i = 0; i < s->n_tables; i++)
					if (s->tables[i].schema[0] &&
						schema_match(s->tables[i].schema, s->tables[i].schema_spelling, v, len,
									 prefix, sp))
						return true;
			}
			if (dot == 1)
				return false;
			if (any_from_table(g, c, v, len, prefix, sp))
				return true;
			for (int i = 0; i < g->n_ctes && c->intro != I_TRUNCATE; i++)
				if (name_match(g->ctes[i].name, v, len, prefix))
					return true;
			if (c->intro == I_TRUNCATE)
				return words && ((c->prevkw == A_TRUNCATE && name_match("table", v, len, prefix)) ||
								 ((c->prevkw == A_TRUNCATE || c->prevkw == A_TABLE) &&
								  name_match("only", v, len, prefix)));
			if (c->intro == I_INSERT || c->intro == I_INTO || c->intro == I_UPDATE ||
				c->intro == I_DELETE)
			{
				/* the target of INSERT, UPDATE, DELETE: a table (UPDATE ONLY t) */
				return words && c->intro != I_INSERT && c->intro != I_INTO &&
					name_match("only", v, len, prefix);
			}
			/*
			 * FROM f(...): a function only where its '(' follows; when the
			 * select list wants a table's columns, a table ("FROM rows WHERE",
			 * "FROM only version(" were generated)
			 */
			{
				int			want;

				return words && from_coverage(g, c, &want) == 0 &&
					(in_list(table_keywords, lengthof(table_keywords), v, len, prefix) ||
					 ((dot == 2 || dot == 3) && sqlpilot_sql_function_name(v, len, prefix)));
			}
		case E_TABLE_IN_SCHEMA:
			return dot != 1 && any_from_table(g, c, v, len, prefix, sp);
		case E_ALIAS:
			{
				/*
				 * A keyword that may follow, or a new name: not a keyword, an
				 * alias taken, a table.  An alias is due when the table is
				 * named twice, or a JOIN's table while the select list owes
				 * qualifiers.
				 */
				bool		due = c->ref_dup ||
					(c->intro == I_JOIN && !alias_fits_forward(g, "\x01", 1, false));

				/* INSERT INTO t AS a: its alias only after AS */
				bool		named = alias_ok && (c->intro != I_INSERT || c->prevkw == A_AS);

				if (prefix)
					return (words && c->prevkw != A_AS && follows_ref(c, v, len, true) &&
							(!due || name_match("as", v, len, true))) ||
						(named && alias_fits_forward(g, v, len, true));
				if (dot == 1)
					return false;
				if (!quoted && is_keyword(v, len, false))
					return words && c->prevkw != A_AS && follows_ref(c, v, len, false) &&
						(!due || name_match("as", v, len, false));
				return named && !alias_taken(g, v, len) && table_lookup(s, v, len) < 0 &&
					alias_fits_forward(g, v, len, false);
			}
		case E_QUAL:
			return dot != 1 && qualified_column(g, c, v, len, prefix, sp);
		case E_INSERT_COLS:
			return dot != 1 &&
				unlisted_column(g, c->target, OWNER_INSERT_COL, v, len, prefix, sp);
		case E_SET_COLS:
			return dot != 1 &&
				unlisted_column(g, c->set_table, OWNER_SET_COL, v, len, prefix, sp);
		case E_EXPR:
			if (dot != 1 && (column_in_scope(g, c, v, len, prefix, sp) ||
							 (words && expr_word(v, len, prefix, c->opstart))))
				return true;
			return (dot == 1 || dot == 2) && qualifier_ok(g, c, v, len, prefix, sp);
		default:
			return true;
	}
}

/* Clears the statement: a new one starts (after ';'). */
static void
reset_statement(Ctx *x)
{
	SqlpilotGroundCursor *c = x->c;

	c->expect = E_STMT;
	c->lost = L_NONE;
	c->depth = 0;
	c->intro = I_NONE;
	c->prevkw = A_NONE;
	c->stmt = 0;
	c->at_start = true;
	c->operand = false;
	c->join_cond = false;
	c->capture = -1;
	c->target = -1;
	c->set_table = -1;
	c->last_ref = -1;
	c->cte_cur = -1;
	c->clause[0] = C_NONE;
	c->paren[0] = P_EXPR;
	c->selfrom[0] = 0;
	if (x->w)
	{
		x->w->n_entries = 0;
		x->w->n_ctes = 0;
		x->w->n_names = 0;
	}
}

/* Copies v into a fixed name buffer (truncating). */
static void
set_name(char *dst, const char *v, size_t len)
{
	if (len >= SQLPILOT_GROUND_NAME_MAX)
		len = SQLPILOT_GROUND_NAME_MAX - 1;
	memcpy(dst, v, len);
	dst[len] = '\0';
}

/* Adds a CTE column or select-list alias (owner -1) to the scope. */
static void
add_name(Ctx *x, const char *v, size_t len, int owner)
{
	SqlpilotGround *w = x->w;

	if (!w)
		return;
	if (w->n_names == SQLPILOT_GROUND_NAMES)
	{
		x->c->lost = L_FULL;
		return;
	}
	set_name(w->names[w->n_names].name, v, len);
	w->names[w->n_names].owner = (int8_t) owner;
	w->n_names++;
}

/* Ends one select-list item of a CTE body being read: its name, or unknown columns. */
static void
capture_item(Ctx *x)
{
	SqlpilotGroundCursor *c = x->c;

	if (c->capture < 0 || !x->w)
		return;
	if (c->cand_ok)
		add_name(x, c->cand, strlen(c->cand), c->capture);
	else
		x->w->ctes[c->capture].unknown = true;
	c->cand_ok = false;
}

/* Stops reading a CTE body's select list (FROM, WHERE, or the body's end). */
static void
capture_end(Ctx *x)
{
	if (x->c->capture >= 0)
	{
		capture_item(x);
		x->c->capture = -1;
	}
}

/* A token other than a name at the capture depth: the item is not a plain name. */
static void
capture_spoil(SqlpilotGroundCursor *c)
{
	if (c->capture >= 0 && c->depth == c->capture_depth)
		c->cand_ok = false;
}

/* A table reference named v: a scope entry, the INSERT target; an alias may follow. */
static void
table_ref(Ctx *x, const char *v, size_t len)
{
	SqlpilotGroundCursor *c = x->c;
	const SqlpilotGround *g = x->g;
	int			ci = cte_lookup(g, v, len);
	int			ti = ci >= 0 ? -1 : table_lookup(g->schema, v, len);

	c->expect = E_ALIAS;
	c->prevkw = A_NONE;
	c->ref_dup = entry_named(g, v, len);
	if (c->intro == I_INSERT)
		c->target = (int16_t) ti;
	if (c->intro == I_UPDATE)
		c->set_table = (int16_t) ti;
	c->last_ref = -1;
	if (c->intro == I_TRUNCATE)
	{
		c->expect = E_AFTER_ALIAS;	/* TRUNCATE takes no alias */
		return;
	}
	if (!x->w)
		return;
	if (x->w->n_entries == SQLPILOT_GROUND_ENTRIES)
	{
		c->lost = L_FULL;
		return;
	}
	{
		SqlpilotGroundEntry *e = &x->w->entries[x->w->n_entries];

		set_name(e->name, v, len);
		e->table = (int16_t) ti;
		e->cte = (int8_t) ci;
		e->aliased = false;
		if (ci >= 0)
			e->kind = EK_CTE;
		else if (ti >= 0)
			e->kind = g->schema->tables[ti].unknown_cols ? EK_SUBQ : EK_TABLE;
		else
			e->kind = EK_UNKNOWN;
		c->last_ref = (int8_t) x->w->n_entries++;
	}
}

/* A keyword with action a (A_PLAIN for the others). */
static void
on_keyword(Ctx *x, int a)
{
	SqlpilotGroundCursor *c = x->c;
	int			d = c->depth;
	bool		start = c->at_start;
	int			prev = c->prevkw;

	c->at_start = false;
	c->operand = false;
	c->prevkw = (uint8_t) a;
	if (c->expect == E_STMT && start &&
		a != A_SELECT && a != A_VALUES && a != A_WITH && a != A_INSERT && a != A_UPDATE &&
		a != A_DELETE && a != A_MERGE && a != A_TABLE && a != A_EXPLAIN && a != A_TRUNCATE)
	{
		c->lost = L_NOT_QUERY;
		return;
	}
	if (c->intro == I_TRUNCATE && a != A_TABLE && a != A_ONLY)
	{
		/* TRUNCATE t RESTART IDENTITY CASCADE: only its own keywords */
		c->expect = E_AFTER_ALIAS;
		return;
	}
	switch (a)
	{
		case A_EXPLAIN:
			c->at_start = start;
			return;
		case A_SELECT:
			if (d == 0 && x->w)
			{
				/* a new top-level select list: the previous one's columns are done */
				int			k = 0;

				for (int i = 0; i < x->w->n_names; i++)
					if (x->w->names[i].owner != OWNER_SELECT_COL)
						x->w->names[k++] = x->w->names[i];
				x->w->n_names = k;
			}
			c->selfrom[d] = 1;
			c->clause[d] = C_SELECT;
			c->expect = E_EXPR;
			if (x->w && c->paren[d] == P_CTE_BODY && c->cte_cur >= 0 && c->capture < 0 &&
				!x->w->ctes[c->cte_cur].explicit_cols && !x->w->ctes[c->cte_cur].unknown)
			{
				c->capture = c->cte_cur;
				c->capture_depth = (uint8_t) d;
				c->cand_ok = false;
			}
			return;
		case A_VALUES:
			if (x->w && c->paren[d] == P_CTE_BODY && c->cte_cur >= 0 &&
				!x->w->ctes[c->cte_cur].explicit_cols)
				x->w->ctes[c->cte_cur].unknown = true;
			c->expect = E_EXPR;
			return;
		case A_WITH:
			if (start || c->expect == E_TABLE)
			{
				c->clause[d] = C_WITH;
				c->expect = E_NEW_NAME;
			}
			else
				c->expect = E_EXPR;
			return;
		case A_RECURSIVE:
			c->expect = prev == A_WITH ? E_NEW_NAME : E_EXPR;
			return;
		case A_UPDATE:
			if (start)
			{
				c->intro = I_UPDATE;
				c->expect = E_TABLE;
			}
			else
				c->expect = E_EXPR;
			return;
		case A_INSERT:
		case A_DELETE:
		case A_MERGE:
			if (!start)
				c->prevkw = A_PLAIN;
			c->expect = !start ? E_EXPR : a == A_DELETE ? E_FROM_KW : E_INTO;
			return;
		case A_TABLE:
			c->expect = start || prev == A_TRUNCATE ? E_TABLE : E_EXPR;
			return;
		case A_TRUNCATE:
			if (start)
			{
				c->intro = I_TRUNCATE;
				c->clause[d] = C_FROM;
				c->expect = E_TABLE;
			}
			else
				c->expect = E_EXPR;
			return;
		case A_INTO:
			c->intro = prev == A_INSERT ? I_INSERT : I_INTO;
			c->expect = E_TABLE;
			return;
		case A_FROM:
			if ((c->paren[d] == P_EXPR && d > 0 && !(c->selfrom[d] & 1) && prev != A_DELETE) ||
				prev == A_DISTINCT)
			{
				c->expect = E_EXPR;
				return;
			}
			if (d == c->capture_depth)
				capture_end(x);
			c->clause[d] = C_FROM;
			c->selfrom[d] |= 2;
			c->intro = prev == A_DELETE ? I_DELETE : I_FROM;
			c->expect = E_TABLE;
			return;
		case A_JOIN:
			c->join_cond = prev != A_NOCOND;
			c->clause[d] = C_FROM;
			c->intro = I_JOIN;
			c->expect = E_TABLE;
			return;
		case A_USING:
			c->join_cond = false;
			if (c->intro == I_JOIN)
			{
				c->clause[d] = C_EXPR;
				c->expect = E_EXPR;
			}
			else
			{
				c->clause[d] = C_FROM;
				c->intro = I_USING;
				c->expect = E_TABLE;
			}
			return;
		case A_AS:
			if (c->expect != E_ALIAS && c->expect != E_AFTER_CTE)
				c->expect = E_NEW_NAME;
			return;
		case A_LATERAL:
		case A_ONLY:
			if (c->expect != E_TABLE)
				c->expect = E_EXPR;
			return;
		case A_MATERIALIZED:
		case A_NOT:
			if (c->expect != E_AFTER_CTE)
			{
				c->expect = E_EXPR;
				c->opstart = true;
			}
			return;
		case A_SET:
			if (c->intro == I_UPDATE || prev == A_UPDATE)
			{
				/* UPDATE t SET, ON CONFLICT DO UPDATE SET: columns of the table, once each */
				if (prev == A_UPDATE)
					c->set_table = c->target;
				c->join_cond = false;
				c->clause[d] = C_SET;
				c->expect = E_SET_COLS;
				return;
			}
			/* FALLTHROUGH */
		case A_COND:
		case A_LOGIC:
			c->opstart = true;
			if (a == A_LOGIC)
			{
				c->expect = E_EXPR;
				return;
			}
			/* FALLTHROUGH */
		case A_CLAUSE:
			c->join_cond = false;
			if (d == c->capture_depth)
				capture_end(x);
			c->clause[d] = C_EXPR;
			c->expect = E_EXPR;
			return;
		case A_SETOP:
			if (d == c->capture_depth)
				capture_end(x);
			c->clause[d] = C_NONE;
			c->expect = E_EXPR;
			return;
		default:
			c->expect = E_EXPR;
			return;
	}
}

/*
 * An identifier token with value v, written as raw (NULL when not known);
 * mixed: written in mixed case (see word_allowed); dot_after: a '.' follows
 * it at once; call: a '(' does.
 */
static void
on_ident(Ctx *x, const SqlpilotLexToken *t, const char *v, size_t len, const char *raw,
		 bool mixed, bool dot_after, bool call)
{
	SqlpilotGroundCursor *c = x->c;
	bool		quoted = t->kind == SQLPILOT_TOK_QIDENT;
	int			a = quoted ? A_NONE : keyword_action(v, len);
	int			d = c->depth;
	int			dot = dot_after ? 1 : call ? 3 : 0;

	if (c->checking && t->end > c->typed_end &&
		!word_allowed(x->g, c, v, len, quoted, mixed, false, dot, quoted ? NULL : raw,
					  t->start < c->typed_end ? c->typed_end - t->start : 0))
	{
		c->bad = true;
		return;
	}

	/*
	 * The typed word ends where the typed text does and a generated byte ends
	 * it: when it is not allowed as it stands but may grow into an allowed
	 * word, it was the start of that word ("FROM ord" becomes orders, not
	 * "ord WHERE"); a word that fits nothing ("FROM LOCATION") may end.
	 */
	if (c->checking && t->end == c->typed_end && c->fed > c->typed_end &&
		!word_allowed(x->g, c, v, len, quoted, mixed, false, dot, NULL, 0) &&
		word_allowed(x->g, c, v, len, quoted, mixed, true, 2, NULL, 0))
	{
		c->bad = true;
		return;
	}
	c->opstart = false;
	switch (c->expect)
	{
		case E_TABLE:
		case E_TABLE_IN_SCHEMA:
			if (a != A_NONE && a != A_PLAIN && cte_lookup(x->g, v, len) < 0 &&
				table_lookup(x->g->schema, v, len) < 0)
				break;
			c->at_start = false;
			if (dot_after && c->expect == E_TABLE)
				c->expect = E_TABLE_IN_SCHEMA;
			else
				table_ref(x, v, len);
			return;
		case E_ALIAS:
			if (a != A_NONE && (a != A_PLAIN || sqlpilot_sql_keyword_category(v, len) == 'R'))
				break;
			if (x->w && c->last_ref >= 0)
			{
				set_name(x->w->entries[c->last_ref].name, v, len);
				x->w->entries[c->last_ref].aliased = true;
			}
			c->expect = E_AFTER_ALIAS;
			c->prevkw = A_NONE;
			return;
		case E_QUAL:
			c->expect = E_EXPR;
			c->operand = true;
			c->prevkw = A_NONE;
			if (c->capture >= 0 && d == c->capture_depth)
			{
				set_name(c->cand, v, len);
				c->cand_ok = true;
			}
			return;
		case E_INSERT_COLS:
			add_name(x, v, len, OWNER_INSERT_COL);
			c->operand = true;
			return;
		case E_SET_COLS:
			add_name(x, v, len, OWNER_SET_COL);
			c->expect = E_EXPR;
			c->operand = true;
			c->prevkw = A_NONE;
			return;
		case E_TYPE:
			c->expect = E_EXPR;
			c->operand = true;
			return;
		case E_NEW_NAME:
			if (a == A_RECURSIVE && c->prevkw == A_WITH)
				break;
			c->prevkw = A_NONE;
			if (c->clause[d] == C_WITH)
			{
				c->expect = E_AFTER_CTE;
				c->cte_cur = -1;
				if (x->w)
				{
					if (x->w->n_ctes == SQLPILOT_GROUND_CTES)
					{
						c->lost = L_FULL;
						return;
					}
					memset(&x->w->ctes[x->w->n_ctes], 0, sizeof(SqlpilotGroundCte));
					set_name(x->w->ctes[x->w->n_ctes].name, v, len);
					c->cte_cur = (int8_t) x->w->n_ctes++;
				}
				return;
			}
			c->expect = E_EXPR;
			c->operand = true;
			if (c->paren[d] == P_CTE_COLS)
				add_name(x, v, len, c->cte_cur);
			else if (c->paren[d] == P_NAMES)
				add_name(x, v, len, -1);
			else if (c->clause[d] == C_SELECT)
			{
				add_name(x, v, len, -1);
				if (c->capture >= 0 && d == c->capture_depth)
				{
					set_name(c->cand, v, len);
					c->cand_ok = true;
				}
			}
			return;
		default:
			break;
	}
	if (a != A_NONE)
	{
		on_keyword(x, a);
		return;
	}
	if (c->expect == E_STMT)
	{
		c->lost = L_NOT_SQL;
		return;
	}
	c->at_start = false;
	c->prevkw = A_NONE;
	if (dot_after)
	{
		set_name(c->qual, v, len);
		c->expect = E_QUAL;
		if (x->w && before_from(x->g, c) && !entry_named(x->g, v, len) &&
			cte_lookup(x->g, v, len) < 0 && table_lookup(x->g->schema, v, len) < 0)
		{
			bool		known = false;

			for (int i = 0; i < x->w->n_names && !known; i++)
				known = x->w->names[i].owner == OWNER_FORWARD &&
					name_match(x->w->names[i].name, v, len, false);
			if (!known)
				add_name(x, v, len, OWNER_FORWARD);
		}
		return;
	}
	if (c->expect == E_EXPR && c->operand && c->clause[d] == C_SELECT)
		add_name(x, v, len, -1);	/* an alias without AS (typed; never generated) */
	else if (x->w && c->expect == E_EXPR && !call && d == 0 && c->clause[0] == C_SELECT &&
			 !(c->selfrom[0] & 2) && x->w->n_names < SQLPILOT_GROUND_NAMES &&
			 any_column(x->g->schema, v, len, false, NULL))
		add_name(x, v, len, OWNER_SELECT_COL);	/* the FROM that follows must have it */
	if (c->capture >= 0 && d == c->capture_depth)
	{
		set_name(c->cand, v, len);
		c->cand_ok = true;
	}
	c->expect = E_EXPR;
	c->operand = true;
}

/* '(' : a new paren level whose meaning depends on what came before. */
static void
on_open(Ctx *x)
{
	SqlpilotGroundCursor *c = x->c;
	int			kind = P_EXPR;
	int			inner = E_EXPR;
	bool		start = false;
	int			nd;

	switch (c->expect)
	{
		case E_TABLE:
			if (c->intro == I_INSERT || c->intro == I_INTO || c->intro == I_UPDATE ||
				c->intro == I_TRUNCATE || c->intro == I_DELETE)
			{
				/* "INSERT INTO (" is no SQL: a table still comes, not a subquery */
				inner = E_TABLE;
				break;
			}
			kind = P_SUBQ_FROM;
			inner = E_TABLE;
			start = true;
			break;
		case E_ALIAS:
			if (c->prevkw == A_AS)
				break;
			if (c->intro == I_INSERT)
			{
				kind = P_INSERT_COLS;
				inner = E_INSERT_COLS;
			}
			else
			{
				kind = P_FUNC_FROM;
				if (x->w && c->last_ref >= 0)
					x->w->entries[c->last_ref].kind = EK_SUBQ;
			}
			break;
		case E_AFTER_ALIAS:
			if (c->intro == I_TRUNCATE)
			{
				inner = E_AFTER_ALIAS;	/* "TRUNCATE t (" is no SQL: no names in it */
				break;
			}
			if (c->intro == I_INSERT)
			{
				/* INSERT INTO t AS a (columns) */
				kind = P_INSERT_COLS;
				inner = E_INSERT_COLS;
				break;
			}
			kind = P_NAMES;
			inner = E_NEW_NAME;
			break;
		case E_AFTER_CTE:
			if (c->prevkw == A_AS || c->prevkw == A_MATERIALIZED)
			{
				kind = P_CTE_BODY;
				inner = E_STMT;
				start = true;
			}
			else
			{
				kind = P_CTE_COLS;
				inner = E_NEW_NAME;
				if (x->w && c->cte_cur >= 0)
					x->w->ctes[c->cte_cur].explicit_cols = true;
			}
			break;
		case E_STMT:
			inner = E_STMT;
			start = true;
			break;
		default:
			break;
	}
	capture_spoil(c);
	if (c->depth + 1 >= SQLPILOT_GROUND_DEPTH)
	{
		c->lost = L_DEEP;
		return;
	}
	nd = ++c->depth;
	c->clause[nd] = C_NONE;
	c->paren[nd] = (uint8_t) kind;
	c->selfrom[nd] = 0;
	c->scope0[nd] = (uint8_t) x->g->n_entries;
	c->expect = (uint8_t) inner;
	c->at_start = start;
	c->operand = false;
	c->prevkw = A_NONE;
}

/*
 * ')' : back to the outer level; a subquery's tables leave the scope, a
 * subquery or function in FROM takes an alias.
 */
static void
on_close(Ctx *x)
{
	SqlpilotGroundCursor *c = x->c;
	int			kind;

	c->prevkw = A_NONE;
	c->at_start = false;
	if (c->depth == 0)
	{
		c->expect = E_EXPR;
		c->operand = true;
		return;
	}
	kind = c->paren[c->depth];
	if (c->capture >= 0 && c->capture_depth >= c->depth)
		capture_end(x);
	/*
	 * A subquery's tables are not visible outside it (a parenthesized join's
	 * are).  In FROM its columns are not known: its tables' columns stand for
	 * them, but their names no longer qualify (nor take an alias).
	 */
	if (x->w && kind == P_SUBQ_FROM && (c->selfrom[c->depth] & 1))
	{
		for (int i = c->scope0[c->depth]; i < x->w->n_entries; i++)
		{
			x->w->entries[i].name[0] = '\0';
			x->w->entries[i].aliased = false;
		}
	}
	else if (x->w && (kind == P_CTE_BODY || (c->selfrom[c->depth] & 1)) &&
			 x->w->n_entries > c->scope0[c->depth])
	{
		x->w->n_entries = c->scope0[c->depth];
		if (c->last_ref >= x->w->n_entries)
			c->last_ref = -1;
	}
	c->depth--;
	c->operand = false;
	switch (kind)
	{
		case P_SUBQ_FROM:
			c->expect = E_ALIAS;
			c->last_ref = -1;
			if (x->w)
			{
				SqlpilotGroundEntry *e;

				if (x->w->n_entries == SQLPILOT_GROUND_ENTRIES)
				{
					c->lost = L_FULL;
					return;
				}
				e = &x->w->entries[x->w->n_entries];
				memset(e, 0, sizeof(*e));
				e->table = -1;
				e->cte = -1;
				e->kind = EK_SUBQ;
				c->last_ref = (int8_t) x->w->n_entries++;
			}
			return;
		case P_FUNC_FROM:
			c->expect = E_ALIAS;
			return;
		case P_INSERT_COLS:
			c->expect = E_EXPR;
			return;
		case P_CTE_COLS:
			c->expect = E_AFTER_CTE;
			return;
		case P_CTE_BODY:
			c->expect = E_STMT;
			c->at_start = true;
			c->cte_cur = -1;
			return;
		case P_NAMES:
			c->expect = E_AFTER_ALIAS;
			return;
		default:
			c->expect = E_EXPR;
			c->operand = true;
			return;
	}
}

/* ',' : the next item of whatever list the current level is in. */
static void
on_comma(Ctx *x)
{
	SqlpilotGroundCursor *c = x->c;
	int			d = c->depth;

	if (c->capture >= 0 && d == c->capture_depth)
		capture_item(x);
	c->operand = false;
	c->prevkw = A_NONE;
	if (c->paren[d] == P_CTE_COLS || c->paren[d] == P_NAMES)
		c->expect = E_NEW_NAME;
	else if (c->paren[d] == P_INSERT_COLS)
		c->expect = E_INSERT_COLS;
	else if (c->clause[d] == C_WITH)
		c->expect = E_NEW_NAME;
	else if (c->clause[d] == C_SET)
		c->expect = E_SET_COLS;
	else if (c->clause[d] == C_FROM)
		c->expect = E_TABLE;
	else
		c->expect = E_EXPR;
}

/* Whether the target table of INSERT, UPDATE, DELETE or TRUNCATE is due (no '(' goes there). */
static bool
target_due(const SqlpilotGroundCursor *c)
{
	return c->expect == E_TABLE &&
		(c->intro == I_INSERT || c->intro == I_INTO || c->intro == I_UPDATE ||
		 c->intro == I_DELETE || c->intro == I_TRUNCATE);
}

/*
 * The lexer's callback: one token of the statement.  Identifiers are read
 * back from the ring of last bytes (a name longer than the ring cannot be a
 * name of the schema; it is judged as too long).
 */
static void
on_token(void *arg, const SqlpilotLexToken *t)
{
	Ctx		   *x = arg;
	SqlpilotGroundCursor *c = x->c;
	unsigned char ch = c->ring[t->start % SQLPILOT_GROUND_RING];
	size_t		n = t->end - t->start;

	if (t->kind == SQLPILOT_TOK_COMMENT || c->bad)
		return;
	if (t->kind != SQLPILOT_TOK_IDENT && t->kind != SQLPILOT_TOK_QIDENT)
		c->opstart = false;		/* an identifier clears it once judged */
	if (t->kind == SQLPILOT_TOK_PUNCT && n == 1 && ch == ';')
	{
		reset_statement(x);
		return;
	}
	if (c->lost)
		return;
	if (c->checking && t->end > c->typed_end && t->kind == SQLPILOT_TOK_PUNCT && n == 1 &&
		(ch == '{' || ch == '}'))
	{
		c->bad = true;			/* PostgreSQL has no '{' or '}' token: "(a, {"col"" */
		return;
	}
	if (c->checking && t->end > c->typed_end && c->expect == E_INSERT_COLS &&
		t->kind != SQLPILOT_TOK_IDENT && t->kind != SQLPILOT_TOK_QIDENT &&
		(t->kind != SQLPILOT_TOK_PUNCT ||
		 (n == 1 && ch == '(') ||
		 (n == 1 && (ch == ')' || ch == ',' || ch == '.') && !c->operand)))
	{
		c->bad = true;			/* "INSERT INTO t (a, *": only names in the column list */
		return;
	}
	if (c->checking && t->end > c->typed_end && c->expect == E_SET_COLS &&
		t->kind != SQLPILOT_TOK_IDENT && t->kind != SQLPILOT_TOK_QIDENT &&
		!(t->kind == SQLPILOT_TOK_PUNCT && n == 1 && ch == '('))
	{
		c->bad = true;			/* "UPDATE t SET * =": an assignment starts with its column(s) */
		return;
	}
	if (c->checking && t->end > c->typed_end &&
		(((c->expect == E_ALIAS || c->expect == E_AFTER_ALIAS) &&
		  (t->kind == SQLPILOT_TOK_OP || t->kind == SQLPILOT_TOK_NUMBER ||
		   t->kind == SQLPILOT_TOK_STRING || t->kind == SQLPILOT_TOK_DOLLAR ||
		   t->kind == SQLPILOT_TOK_PARAM)) ||
		 (t->kind == SQLPILOT_TOK_PUNCT && n == 1 && ch == '(' && target_due(c))))
	{
		c->bad = true;			/* "JOIN report_data > 5", "INSERT INTO (": no SQL */
		return;
	}
	switch (t->kind)
	{
		case SQLPILOT_TOK_IDENT:
		case SQLPILOT_TOK_QIDENT:
			{
				char		raw[SQLPILOT_GROUND_RING] = "";
				char		v[SQLPILOT_GROUND_NAME_MAX];
				SqlpilotLexToken rt = *t;
				size_t		len = SQLPILOT_GROUND_NAME_MAX;
				bool		dot = t->end < c->fed &&
					c->ring[t->end % SQLPILOT_GROUND_RING] == '.';
				bool		call = t->end < c->fed &&
					c->ring[t->end % SQLPILOT_GROUND_RING] == '(';
				bool		mixed = false;

				if (n < SQLPILOT_GROUND_RING && c->fed - t->start <= SQLPILOT_GROUND_RING)
				{
					for (size_t i = 0; i < n; i++)
						raw[i] = (char) c->ring[(t->start + i) % SQLPILOT_GROUND_RING];
					rt.start = 0;
					rt.end = n;
					len = sqlpilot_lex_ident_value(raw, &rt, v, sizeof(v));
					mixed = t->kind == SQLPILOT_TOK_IDENT && mixed_case(raw, n);
				}
				if (len >= SQLPILOT_GROUND_NAME_MAX)
				{
					v[0] = '\0';
					len = SQLPILOT_GROUND_NAME_MAX;
				}
				on_ident(x, t, v, len, raw[0] ? raw : NULL, mixed, dot, call);
				return;
			}
		case SQLPILOT_TOK_PUNCT:
			if (n == 1 && ch == '(')
				on_open(x);
			else if (n == 1 && ch == ')')
				on_close(x);
			else if (n == 1 && ch == ',')
				on_comma(x);
			else if (n == 1 && ch == '.')
			{
				/* "t .x" after a table reference: no column, no schema there */
				if (c->checking && t->end > c->typed_end &&
					(c->expect == E_ALIAS || c->expect == E_AFTER_ALIAS))
					c->bad = true;
				return;
			}
			else
			{
				capture_spoil(c);
				c->expect = n == 2 && ch == ':' ? E_TYPE : E_EXPR;
				c->operand = false;
			}
			c->prevkw = A_NONE;
			c->at_start = false;
			return;
		case SQLPILOT_TOK_OP:
			if (c->capture >= 0 && c->depth == c->capture_depth && n == 1 && ch == '*' &&
				!c->operand && x->w)
				x->w->ctes[c->capture].unknown = true;
			capture_spoil(c);
			c->expect = E_EXPR;
			/* '*' where an operand starts is the star of SELECT * / t.*, not a product */
			c->operand = n == 1 && ch == '*' && !c->operand;
			c->opstart = !c->operand;
			c->prevkw = A_NONE;
			c->at_start = false;
			return;
		default:
			capture_spoil(c);
			c->expect = E_EXPR;
			c->operand = true;
			c->prevkw = A_NONE;
			c->at_start = false;
			return;
	}
}

/* Points a cursor's lexer at this pass (the lexer keeps its callback argument in its state). */
static void
lex_bind(Ctx *x)
{
	x->c->lx.emit = on_token;
	x->c->lx.arg = x;
}

/* Feeds one byte: into the ring, then the lexer. */
static void
feed_byte(Ctx *x, unsigned char b)
{
	SqlpilotGroundCursor *c = x->c;
	SqlpilotLexIn before = sqlpilot_lex_in(&c->lx);
	size_t		start = sqlpilot_lex_pending_start(&c->lx);

	c->ring[c->fed % SQLPILOT_GROUND_RING] = b;
	c->fed++;
	sqlpilot_lex_feed(&c->lx, (const char *) &b, 1);
	c->qclosed = b == '"' && before == SQLPILOT_IN_QIDENT &&
		sqlpilot_lex_in(&c->lx) == SQLPILOT_IN_NOTHING;
	if (c->qclosed)
		c->qclose_start = start;
}

/* See ground.h. */
void
sqlpilot_ground_init(SqlpilotGround *g, const SqlpilotGroundSchema *schema, size_t typed_len)
{
	Ctx			x;

	memset(g, 0, sizeof(*g));
	g->schema = schema;
	x.g = g;
	x.w = g;
	x.c = &g->c;
	sqlpilot_lex_init(&g->c.lx, 0, on_token, NULL);
	g->c.typed_end = typed_len;
	reset_statement(&x);
}

/* See ground.h. */
void
sqlpilot_ground_feed(SqlpilotGround *g, const char *s, size_t len)
{
	Ctx			x;

	x.g = g;
	x.w = g;
	x.c = &g->c;
	lex_bind(&x);
	g->c.checking = false;
	for (size_t i = 0; i < len; i++)
		feed_byte(&x, (unsigned char) s[i]);
}

/* See ground.h. */
bool
sqlpilot_ground_active(const SqlpilotGround *g)
{
	return g->schema && g->schema->n_tables > 0 && g->c.lost == L_NONE;
}

/*
 * Whether the identifier still open at the end of the scratch cursor c may
 * grow into an allowed word (typed bytes are not judged).
 */
static bool
open_word_ok(const SqlpilotGround *g, const SqlpilotGroundCursor *c)
{
	SqlpilotLexIn in = sqlpilot_lex_in(&c->lx);
	SqlpilotLexToken t;
	char		raw[SQLPILOT_GROUND_RING];
	char		v[SQLPILOT_GROUND_NAME_MAX];
	size_t		n,
				len,
				start;
	bool		typed;

	if (c->lost || c->fed <= c->typed_end)
		return true;
	if (c->expect == E_INSERT_COLS && (in == SQLPILOT_IN_OP || in == SQLPILOT_IN_NUMBER ||
									   in == SQLPILOT_IN_STRING || in == SQLPILOT_IN_PARAM))
		return false;			/* only names in an INSERT column list */
	if ((c->expect == E_ALIAS || c->expect == E_AFTER_ALIAS) &&
		(in == SQLPILOT_IN_NUMBER || in == SQLPILOT_IN_STRING || in == SQLPILOT_IN_PARAM ||
		 in == SQLPILOT_IN_DOLLAR || (in == SQLPILOT_IN_OP && c->ring[(c->fed - 1) % SQLPILOT_GROUND_RING] != '-' &&
		  c->ring[(c->fed - 1) % SQLPILOT_GROUND_RING] != '/')))
		return false;			/* no operator or literal after a table reference (a comment may start) */
	if (in == SQLPILOT_IN_PUNCT && c->ring[(c->fed - 1) % SQLPILOT_GROUND_RING] == '.' &&
		c->fed - 1 >= c->typed_end &&
		((c->expect == E_INSERT_COLS && !c->operand) || c->expect == E_ALIAS ||
		 c->expect == E_AFTER_ALIAS))
		return false;			/* a '.' where no name stands before it: "(a, .b", "t .x" */
	if (in == SQLPILOT_IN_IDENT || in == SQLPILOT_IN_QIDENT)
	{
		t.kind = in == SQLPILOT_IN_IDENT ? SQLPILOT_TOK_IDENT : SQLPILOT_TOK_QIDENT;
		t.start = sqlpilot_lex_pending_start(&c->lx);
		t.closed = false;
	}
	else if (c->qclosed)
	{
		t.kind = SQLPILOT_TOK_QIDENT;
		t.start = c->qclose_start;
		t.closed = true;
	}
	else
		return true;
	n = c->fed - t.start;
	start = t.start;
	typed = t.start < c->typed_end;
	if (n >= SQLPILOT_GROUND_RING)
		return word_allowed(g, c, "", SQLPILOT_GROUND_NAME_MAX, t.kind == SQLPILOT_TOK_QIDENT,
							false, true, 2, NULL, 0);
	for (size_t i = 0; i < n; i++)
		raw[i] = (char) c->ring[(t.start + i) % SQLPILOT_GROUND_RING];
	t.start = 0;
	t.end = n;
	len = sqlpilot_lex_ident_value(raw, &t, v, sizeof(v));
	if (t.closed)
	{
		/* a closed quoted name is whole, or grows only by "" (a quote in its value) */
		if (word_allowed(g, c, v, len, true, false, false, 2, NULL, 0))
			return true;
		if (len + 1 >= sizeof(v))
			return false;
		v[len++] = '"';
	}
	return word_allowed(g, c, v, len, t.kind == SQLPILOT_TOK_QIDENT,
						t.kind == SQLPILOT_TOK_IDENT && mixed_case(raw, n), true, 2,
						t.kind == SQLPILOT_TOK_IDENT ? raw : NULL, typed ? c->typed_end - start : 0);
}

/* See ground.h. */
bool
sqlpilot_ground_allows(const SqlpilotGround *g, const uint8_t *s, size_t len)
{
	SqlpilotGroundCursor sc;
	Ctx			x;

	if (!sqlpilot_ground_active(g))
		return true;
	sc = g->c;
	x.g = g;
	x.w = NULL;
	x.c = &sc;
	lex_bind(&x);
	sc.checking = true;
	sc.bad = false;
	for (size_t i = 0; i < len && !sc.bad; i++)
		feed_byte(&x, s[i]);
	return !sc.bad && open_word_ok(g, &sc);
}

/* See ground.h. */
bool
sqlpilot_ground_allows_end(const SqlpilotGround *g)
{
	SqlpilotGroundCursor sc;
	Ctx			x;

	if (!sqlpilot_ground_active(g))
		return true;
	sc = g->c;
	x.g = g;
	x.w = NULL;
	x.c = &sc;
	lex_bind(&x);
	sc.checking = true;
	sc.bad = false;
	sqlpilot_lex_finish(&sc.lx);
	return !sc.bad;
}

/* Appends formatted text to buf at *n (cap bytes); *n counts what was needed. */
static void put(char *buf, size_t cap, size_t *n, const char *fmt,...)
			__attribute__((format(printf, 4, 5)));

static void
put(char *buf, size_t cap, size_t *n, const char *fmt,...)
{
	va_list		ap;
	int			k;

	va_start(ap, fmt);
	k = vsnprintf(*n < cap ? buf + *n : NULL, *n < cap ? cap - *n : 0, fmt, ap);
	va_end(ap);
	if (k > 0)
		*n += (size_t) k;
}

/* Writes the names of the references in scope ("orders o, customers c"). */
static void
put_scope(const SqlpilotGround *g, char *buf, size_t cap, size_t *n)
{
	for (int i = 0; i < g->n_entries; i++)
	{
		const SqlpilotGroundEntry *e = &g->entries[i];
		const char *tn = e->kind == EK_TABLE ? g->schema->tables[e->table].name :
			e->kind == EK_CTE ? "CTE" : e->kind == EK_SUBQ ? "subquery" : "not in the schema";

		if (i > 0)
			put(buf, cap, n, ", ");
		if (e->name[0] == '\0' && e->kind == EK_TABLE)
			put(buf, cap, n, "(%s inside a subquery)", tn);
		else if (e->aliased || e->kind != EK_TABLE)
			put(buf, cap, n, "%s (%s)", e->name, tn);
		else
			put(buf, cap, n, "%s", e->name);
	}
}

/* See ground.h. */
size_t
sqlpilot_ground_describe(const SqlpilotGround *g, char *buf, size_t cap)
{
	const SqlpilotGroundCursor *c = &g->c;
	size_t		n = 0;

	if (cap > 0)
		buf[0] = '\0';
	if (!g->schema || g->schema->n_tables == 0)
	{
		put(buf, cap, &n, "free: the schema text has no CREATE TABLE");
		return n;
	}
	switch (c->lost)
	{
		case L_NOT_QUERY:
			put(buf, cap, &n, "fallback: the statement is not a query (DDL or utility)");
			return n;
		case L_NOT_SQL:
			put(buf, cap, &n, "fallback: the text does not start like SQL");
			return n;
		case L_DEEP:
			put(buf, cap, &n, "fallback: parens nested too deep");
			return n;
		case L_FULL:
			put(buf, cap, &n, "fallback: more tables, CTEs or aliases than tracked");
			return n;
		default:
			break;
	}
	switch (sqlpilot_lex_in(&c->lx))
	{
		case SQLPILOT_IN_STRING:
			put(buf, cap, &n, "free text: inside a string literal");
			return n;
		case SQLPILOT_IN_DOLLAR:
			put(buf, cap, &n, "free text: inside a dollar-quoted string");
			return n;
		case SQLPILOT_IN_LINE_COMMENT:
		case SQLPILOT_IN_BLOCK_COMMENT:
			put(buf, cap, &n, "free text: inside a comment");
			return n;
		case SQLPILOT_IN_NUMBER:
		case SQLPILOT_IN_PARAM:
			put(buf, cap, &n, "free text: inside a number");
			return n;
		default:
			break;
	}
	switch (c->expect)
	{
		case E_STMT:
			put(buf, cap, &n, "expects a statement keyword");
			break;
		case E_TABLE:
		case E_TABLE_IN_SCHEMA:
			put(buf, cap, &n, "expects a table, view or CTE of the schema");
			for (int i = 0; i < g->n_names; i++)
				if (g->names[i].owner == OWNER_SELECT_COL && c->intro == I_FROM &&
					c->prevkw == A_FROM && c->depth == 0)
				{
					put(buf, cap, &n, " that has the select list's columns");
					break;
				}
			break;
		case E_ALIAS:
			put(buf, cap, &n, "expects a new alias or a keyword");
			break;
		case E_AFTER_ALIAS:
		case E_AFTER_CTE:
			put(buf, cap, &n, "expects a keyword");
			break;
		case E_INTO:
			put(buf, cap, &n, "expects INTO");
			break;
		case E_FROM_KW:
			put(buf, cap, &n, "expects FROM");
			break;
		case E_QUAL:
			{
				const char *what = NULL;	/* what x names, when its columns are known */
				bool		found = false;
				int			ci = cte_lookup(g, c->qual, strlen(c->qual));
				int			ti = table_lookup(g->schema, c->qual, strlen(c->qual));

				for (int i = 0; i < g->n_entries && !found; i++)
				{
					const SqlpilotGroundEntry *e = &g->entries[i];

					if (strcmp(e->name, c->qual) != 0)
						continue;
					found = true;
					if (e->kind == EK_UNKNOWN)
						what = "not in the schema: any of its columns";
					else if (e->kind == EK_TABLE)
						what = g->schema->tables[e->table].name;
					else if (e->kind == EK_CTE && !g->ctes[e->cte].unknown)
						what = "CTE";
				}
				if (!found && ci >= 0 && !g->ctes[ci].unknown)
					what = "CTE";
				else if (!found && ci < 0 && c->target >= 0 && strcmp(c->qual, "excluded") == 0)
					what = g->schema->tables[c->target].name;
				else if (!found && ci < 0 && ti >= 0)
					what = g->schema->tables[ti].name;
				if (what)
					put(buf, cap, &n, "expects a column of %s (%s)", c->qual, what);
				else if (found || ci >= 0)
					put(buf, cap, &n, "free: the columns of %s are not known", c->qual);
				else
					put(buf, cap, &n, "expects a column of a table %s may be an alias of, "
						"else of any table: %s is not a table or alias in scope", c->qual, c->qual);
				break;
			}
		case E_INSERT_COLS:
			if (c->target >= 0)
				put(buf, cap, &n, "expects a column of %s (INSERT target) not yet listed",
					g->schema->tables[c->target].name);
			else
				put(buf, cap, &n, "free: the INSERT target is not in the schema");
			break;
		case E_SET_COLS:
			if (c->set_table >= 0)
				put(buf, cap, &n, "expects a column of %s (SET target) not yet assigned",
					g->schema->tables[c->set_table].name);
			else
				put(buf, cap, &n, "free: the SET target is not in the schema");
			break;
		case E_NEW_NAME:
			put(buf, cap, &n, "free: a new name");
			break;
		case E_TYPE:
			put(buf, cap, &n, "free: a type name");
			break;
		default:
			if (before_from(g, c))
				put(buf, cap, &n, "expects a column of any table (no FROM yet), a keyword or a function");
			else
			{
				put(buf, cap, &n, "expects a column of ");
				put_scope(g, buf, cap, &n);
				put(buf, cap, &n, ", an alias, a keyword or a function");
			}
			break;
	}
	return n;
}
