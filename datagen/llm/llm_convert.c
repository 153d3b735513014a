/*
 * llm_convert.c — turns LLM answers into the offline generator's types.
 *
 * A "schemas" answer becomes a DatagenSchema: names folded to lower case and
 * checked (plain identifiers, no keyword that would need quotes, no
 * duplicates), types brought to format_type() spelling (serial becomes an
 * integer with a nextval default, as the generator writes it), keys and
 * foreign keys checked against the columns, and single-column foreign keys
 * recorded as join links.  A statement text becomes a DatagenStatement: its
 * kind from the leading keyword, and its identifier positions (tables and
 * columns) found with a small SQL lexer, so name randomization can rename
 * LLM statements like generated ones.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cJSON.h"
#include "../llm.h"
#include "schema.h"
#include "sql_lex.h"

#define MAX_TOKENS 4096
#define MAX_ALIASES 32

/* ---- schemas ---- */

/* Lower-cases a name into a malloc'd copy; NULL unless it is a plain identifier needing no quotes. */
static char *
plain_name(const char *s)
{
	size_t		n = strlen(s);
	char	   *out;

	if (n == 0 || n > 63 || !(isalpha((unsigned char) s[0]) || s[0] == '_'))
		return NULL;
	out = malloc(n + 1);
	for (size_t i = 0; i <= n; i++)
		out[i] = (char) tolower((unsigned char) s[i]);
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char) out[i]) && out[i] != '_')
		{
			free(out);
			return NULL;
		}
	if (sqlpilot_schema_needs_quotes(out, true))
	{
		free(out);
		return NULL;
	}
	return out;
}

/* Common type spellings and their format_type() form. */
static const char *const type_map[][2] = {
	{"int", "integer"}, {"int4", "integer"}, {"integer", "integer"},
	{"int8", "bigint"}, {"bigint", "bigint"}, {"int2", "smallint"}, {"smallint", "smallint"},
	{"bool", "boolean"}, {"boolean", "boolean"}, {"text", "text"},
	{"float8", "double precision"}, {"double", "double precision"},
	{"double precision", "double precision"}, {"float", "double precision"},
	{"float4", "real"}, {"real", "real"},
	{"varchar", "character varying"}, {"character varying", "character varying"},
	{"char", "character"}, {"character", "character"},
	{"decimal", "numeric"}, {"numeric", "numeric"},
	{"timestamp", "timestamp without time zone"},
	{"timestamp without time zone", "timestamp without time zone"},
	{"timestamptz", "timestamp with time zone"},
	{"timestamp with time zone", "timestamp with time zone"},
	{"time", "time without time zone"}, {"time without time zone", "time without time zone"},
	{"timetz", "time with time zone"}, {"time with time zone", "time with time zone"},
	{"date", "date"}, {"uuid", "uuid"}, {"json", "json"}, {"jsonb", "jsonb"},
	{"bytea", "bytea"}, {"interval", "interval"}, {"inet", "inet"}, {"money", "money"},
};

/*
 * Writes the format_type() spelling of an LLM's type into out: lower case,
 * single spaces, aliases mapped, a "(n)" or "(p,s)" modifier kept; *serial
 * set for serial types.  Unknown types pass through for PostgreSQL to judge.
 */
static void
normalize_type(const char *in, char *out, size_t cap, bool *serial)
{
	char		base[128];
	const char *mod;
	size_t		n = 0;
	char		modbuf[64] = "";

	*serial = false;
	mod = strchr(in, '(');
	for (const char *p = in; *p && p != mod && n < sizeof(base) - 1; p++)
	{
		char		c = (char) tolower((unsigned char) *p);

		if (isspace((unsigned char) c))
		{
			if (n > 0 && base[n - 1] != ' ')
				base[n++] = ' ';
		}
		else
			base[n++] = c;
	}
	while (n > 0 && base[n - 1] == ' ')
		n--;
	base[n] = '\0';
	if (mod)
	{
		size_t		m = 0;

		for (const char *p = mod; *p && m < sizeof(modbuf) - 1; p++)
			if (!isspace((unsigned char) *p))
				modbuf[m++] = *p;
		modbuf[m] = '\0';
	}
	if (strcmp(base, "serial") == 0 || strcmp(base, "serial4") == 0)
	{
		*serial = true;
		snprintf(out, cap, "integer");
		return;
	}
	if (strcmp(base, "bigserial") == 0 || strcmp(base, "serial8") == 0)
	{
		*serial = true;
		snprintf(out, cap, "bigint");
		return;
	}
	if (strcmp(base, "smallserial") == 0 || strcmp(base, "serial2") == 0)
	{
		*serial = true;
		snprintf(out, cap, "smallint");
		return;
	}
	for (size_t i = 0; i < sizeof(type_map) / sizeof(type_map[0]); i++)
		if (strcmp(base, type_map[i][0]) == 0)
		{
			snprintf(out, cap, "%s%s", type_map[i][1], modbuf);
			return;
		}
	snprintf(out, cap, "%s%s", base, modbuf);
}

/* Index of column name in t, or -1. */
static int
find_column(const SqlpilotTable *t, const char *name)
{
	for (int i = 0; i < t->n_columns; i++)
		if (strcmp(t->columns[i].name, name) == 0)
			return i;
	return -1;
}

/* Index of table name in s, or -1. */
static int
find_table(const DatagenSchema *s, int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (strcmp(s->tables[i].name, name) == 0)
			return i;
	return -1;
}

/*
 * Reads a JSON array of column names of table t into a malloc'd array
 * (*n entries).  -1 with err when one is not a column of t.
 */
static int
column_list(const cJSON *arr, const SqlpilotTable *t, char ***cols, int *n, char *err, size_t errlen)
{
	const cJSON *c;
	int			i = 0;

	*n = cJSON_GetArraySize(arr);
	*cols = calloc(*n ? *n : 1, sizeof(char *));
	cJSON_ArrayForEach(c, arr)
	{
		char	   *name = cJSON_IsString(c) ? plain_name(c->valuestring) : NULL;

		if (!name || find_column(t, name) < 0)
		{
			snprintf(err, errlen, "table %s has no column \"%.60s\"", t->name,
					 cJSON_IsString(c) ? c->valuestring : "?");
			free(name);
			return -1;
		}
		(*cols)[i++] = name;
	}
	return 0;
}

/* Adds an index or key of table t from a JSON column list. */
static int
add_index(SqlpilotTable *t, const cJSON *cols, bool primary, bool unique, bool constraint,
		  char *err, size_t errlen)
{
	SqlpilotIndex *x = &t->indexes[t->n_indexes++];

	x->primary = primary;
	x->unique = unique;
	x->is_constraint = constraint;
	if (column_list(cols, t, &x->cols, &x->n_cols, err, errlen) != 0)
		return -1;
	x->desc = calloc(x->n_cols ? x->n_cols : 1, sizeof(bool));
	if (x->n_cols == 0)
	{
		snprintf(err, errlen, "table %s has an index without columns", t->name);
		return -1;
	}
	return 0;
}

/* Fills table t's name and columns from its JSON object. */
static int
table_columns(const cJSON *jt, SqlpilotTable *t, char *err, size_t errlen)
{
	const cJSON *name = cJSON_GetObjectItemCaseSensitive(jt, "name");
	const cJSON *cols = cJSON_GetObjectItemCaseSensitive(jt, "columns");
	const cJSON *c;

	t->schema = strdup("public");
	t->fold_case = true;
	t->name = cJSON_IsString(name) ? plain_name(name->valuestring) : NULL;
	if (!t->name)
	{
		snprintf(err, errlen, "table name \"%.60s\" is not a plain identifier",
				 cJSON_IsString(name) ? name->valuestring : "?");
		return -1;
	}
	t->columns = calloc(cJSON_GetArraySize(cols) + 1, sizeof(SqlpilotColumn));
	cJSON_ArrayForEach(c, cols)
	{
		const cJSON *cn = cJSON_GetObjectItemCaseSensitive(c, "name");
		const cJSON *ct = cJSON_GetObjectItemCaseSensitive(c, "type");
		const cJSON *nn = cJSON_GetObjectItemCaseSensitive(c, "not_null");
		const cJSON *df = cJSON_GetObjectItemCaseSensitive(c, "default");
		SqlpilotColumn *col = &t->columns[t->n_columns];
		char		type[160];
		bool		serial;

		col->name = cJSON_IsString(cn) ? plain_name(cn->valuestring) : NULL;
		if (!col->name || find_column(t, col->name) >= 0 || !cJSON_IsString(ct))
		{
			snprintf(err, errlen, "table %s: column \"%.60s\" is not a plain, new identifier with a type",
					 t->name, cJSON_IsString(cn) ? cn->valuestring : "?");
			free(col->name);
			col->name = NULL;
			return -1;
		}
		t->n_columns++;
		normalize_type(ct->valuestring, type, sizeof(type), &serial);
		col->type = strdup(type);
		col->not_null = cJSON_IsTrue(nn) || serial;
		if (serial)
		{
			char		seq[200];

			snprintf(seq, sizeof(seq), "nextval('%s_%s_seq'::regclass)", t->name, col->name);
			col->default_expr = strdup(seq);
		}
		else if (cJSON_IsString(df) && *df->valuestring)
			col->default_expr = strdup(df->valuestring);
	}
	return 0;
}

/* Fills table ti's keys, indexes and foreign keys (every table already has its name and columns). */
static int
table_keys(const cJSON *jt, DatagenSchema *s, int ti, int n_tables, char *err, size_t errlen)
{
	SqlpilotTable *t = &s->tables[ti];
	const cJSON *pk = cJSON_GetObjectItemCaseSensitive(jt, "primary_key");
	const cJSON *uq = cJSON_GetObjectItemCaseSensitive(jt, "unique");
	const cJSON *ix = cJSON_GetObjectItemCaseSensitive(jt, "indexes");
	const cJSON *fks = cJSON_GetObjectItemCaseSensitive(jt, "foreign_keys");
	const cJSON *it;

	t->indexes = calloc(1 + cJSON_GetArraySize(uq) + cJSON_GetArraySize(ix), sizeof(SqlpilotIndex));
	if (cJSON_GetArraySize(pk) > 0 && add_index(t, pk, true, true, true, err, errlen) != 0)
		return -1;
	cJSON_ArrayForEach(it, uq)
		if (add_index(t, it, false, true, true, err, errlen) != 0)
		return -1;
	cJSON_ArrayForEach(it, ix)
		if (add_index(t, cJSON_GetObjectItemCaseSensitive(it, "columns"), false,
					  cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(it, "unique")), false,
					  err, errlen) != 0)
		return -1;
	t->fkeys = calloc(cJSON_GetArraySize(fks) + 1, sizeof(SqlpilotForeignKey));
	t->checks = calloc(1, sizeof(SqlpilotCheck));
	cJSON_ArrayForEach(it, fks)
	{
		SqlpilotForeignKey *f = &t->fkeys[t->n_fkeys++];
		const cJSON *rt = cJSON_GetObjectItemCaseSensitive(it, "ref_table");
		const cJSON *od = cJSON_GetObjectItemCaseSensitive(it, "on_delete");
		int			pi,
					nref;

		f->ref_table = cJSON_IsString(rt) ? plain_name(rt->valuestring) : NULL;
		pi = f->ref_table ? find_table(s, n_tables, f->ref_table) : -1;
		if (pi < 0)
		{
			snprintf(err, errlen, "table %s references \"%.60s\", which is not in the schema",
					 t->name, cJSON_IsString(rt) ? rt->valuestring : "?");
			return -1;
		}
		if (column_list(cJSON_GetObjectItemCaseSensitive(it, "columns"), t, &f->cols, &f->n_cols,
						err, errlen) != 0 ||
			column_list(cJSON_GetObjectItemCaseSensitive(it, "ref_columns"), &s->tables[pi],
						&f->ref_cols, &nref, err, errlen) != 0)
			return -1;
		if (nref != f->n_cols || nref == 0)
		{
			snprintf(err, errlen, "table %s: a foreign key's column lists differ in length", t->name);
			return -1;
		}
		if (cJSON_IsString(od))
			f->on_delete = strdup(od->valuestring);
		if (f->n_cols == 1)
		{
			DatagenLink *links = realloc(s->links, sizeof(DatagenLink) * (s->n_links + 1));

			if (!links)
			{
				snprintf(err, errlen, "out of memory");
				return -1;
			}
			s->links = links;
			s->links[s->n_links].child = ti;
			s->links[s->n_links].child_col = find_column(t, f->cols[0]);
			s->links[s->n_links].parent = pi;
			s->links[s->n_links].parent_col = find_column(&s->tables[pi], f->ref_cols[0]);
			s->n_links++;
		}
	}
	return 0;
}

/* See llm.h: names and columns of every table first, then keys (foreign keys may point forward). */
int
datagen_llm_schema_from_answer(const cJSON *answer, int topic_id, int use_case_id,
							   DatagenSchema *s, char *err, size_t errlen)
{
	const cJSON *tables = cJSON_GetObjectItemCaseSensitive(answer, "tables");
	const cJSON *jt;
	int			n = cJSON_GetArraySize(tables);
	int			i = 0;

	memset(s, 0, sizeof(*s));
	s->topic = topic_id;
	s->use_case = use_case_id;
	if (n < 1)
	{
		snprintf(err, errlen, "the answer has no tables");
		return -1;
	}
	s->tables = calloc(n, sizeof(SqlpilotTable));
	cJSON_ArrayForEach(jt, tables)
	{
		s->n_tables = i + 1;
		if (table_columns(jt, &s->tables[i], err, errlen) != 0)
			break;
		if (find_table(s, i, s->tables[i].name) >= 0)
		{
			snprintf(err, errlen, "table %s appears twice", s->tables[i].name);
			break;
		}
		if (s->tables[i].n_columns == 0)
		{
			snprintf(err, errlen, "table %s has no columns", s->tables[i].name);
			break;
		}
		i++;
	}
	if (i == n)
	{
		i = 0;
		cJSON_ArrayForEach(jt, tables)
		{
			if (table_keys(jt, s, i, n, err, errlen) != 0)
				break;
			i++;
		}
	}
	if (i < n)
	{
		for (int k = 0; k < s->n_tables; k++)
		{
			SqlpilotTable *t = &s->tables[k];

			/* the free routine walks the arrays: make sure each exists */
			if (!t->indexes)
				t->indexes = calloc(1, sizeof(SqlpilotIndex));
			if (!t->fkeys)
				t->fkeys = calloc(1, sizeof(SqlpilotForeignKey));
			if (!t->checks)
				t->checks = calloc(1, sizeof(SqlpilotCheck));
		}
		datagen_schema_free(s);
		return -1;
	}
	return 0;
}

/* ---- statements ---- */

typedef enum TokType
{
	TOK_IDENT,					/* unquoted identifier or keyword */
	TOK_QIDENT,					/* "quoted" identifier */
	TOK_PUNCT,					/* one character, or "::" */
	TOK_OTHER					/* literal, number, parameter */
} TokType;

typedef struct Token
{
	TokType		type;
	int			off;
	int			len;
	char		name[64];		/* identifiers: the name it means (folded unless quoted) */
	char		punct;			/* TOK_PUNCT: the character (':' for "::", 0 for a longer operator) */
} Token;

/*
 * Splits sql into tokens with core/sql_lex.c (comments and whitespace
 * dropped, at most max); returns the count, or -1 when out of memory.
 */
static int
lex(const char *s, Token *tok, int max)
{
	SqlpilotLexToken *lt;
	size_t		nl = sqlpilot_lex_all(s, strlen(s), false, &lt);
	int			n = 0;

	if (nl == (size_t) -1)
		return -1;
	for (size_t i = 0; i < nl && n < max; i++, n++)
	{
		Token	   *t = &tok[n];
		const SqlpilotLexToken *l = &lt[i];

		memset(t, 0, sizeof(*t));
		t->off = (int) l->start;
		t->len = (int) (l->end - l->start);
		switch (l->kind)
		{
			case SQLPILOT_TOK_IDENT:
			case SQLPILOT_TOK_QIDENT:
				t->type = l->kind == SQLPILOT_TOK_IDENT ? TOK_IDENT : TOK_QIDENT;
				sqlpilot_lex_ident_value(s, l, t->name, sizeof(t->name));
				break;
			case SQLPILOT_TOK_PUNCT:
			case SQLPILOT_TOK_OP:
				/* "::" and ":=" are ':'; a longer operator matches no character */
				t->type = TOK_PUNCT;
				t->punct = l->kind == SQLPILOT_TOK_PUNCT || t->len == 1 ? s[l->start] : '\0';
				break;
			default:
				t->type = TOK_OTHER;
				break;
		}
	}
	free(lt);
	return n;
}

/* True when token k is the unquoted word w. */
static bool
is_word(const Token *tok, int n, int k, const char *w)
{
	return k >= 0 && k < n && tok[k].type == TOK_IDENT && strcmp(tok[k].name, w) == 0;
}

/* True when token k is the punctuation c. */
static bool
is_punct(const Token *tok, int n, int k, char c)
{
	return k >= 0 && k < n && tok[k].type == TOK_PUNCT && tok[k].punct == c;
}

/* True when token k can name something: a quoted identifier, or an unquoted non-keyword. */
static bool
is_name(const Token *tok, int n, int k)
{
	if (k < 0 || k >= n)
		return false;
	if (tok[k].type == TOK_QIDENT)
		return true;
	return tok[k].type == TOK_IDENT && !sqlpilot_schema_needs_quotes(tok[k].name, true) &&
		strcmp(tok[k].name, "set") != 0 && strcmp(tok[k].name, "overriding") != 0;
}

/* The schema table token k names, or -1. */
static int
token_table(const DatagenSchema *s, const Token *t)
{
	return find_table(s, s->n_tables, t->name);
}

/* The statement kind from its leading keyword (and ON CONFLICT for upserts); -1 if unknown. */
static int
statement_kind(const Token *tok, int n)
{
	if (is_word(tok, n, 0, "select") || is_word(tok, n, 0, "with") || is_word(tok, n, 0, "values"))
		return DATAGEN_SELECT;
	if (is_word(tok, n, 0, "insert"))
	{
		for (int k = 1; k + 1 < n; k++)
			if (is_word(tok, n, k, "on") && is_word(tok, n, k + 1, "conflict"))
				return DATAGEN_UPSERT;
		return DATAGEN_INSERT;
	}
	if (is_word(tok, n, 0, "update"))
		return DATAGEN_UPDATE;
	if (is_word(tok, n, 0, "delete"))
		return DATAGEN_DELETE;
	if (is_word(tok, n, 0, "truncate"))
		return DATAGEN_TRUNCATE;
	return -1;
}

/* Appends an identifier position; false when out of memory. */
static bool
add_ident(DatagenStatement *st, const Token *t, int what, int table, int column)
{
	DatagenIdent *id = realloc(st->idents, sizeof(DatagenIdent) * (st->n_idents + 1));

	if (!id)
		return false;
	st->idents = id;
	id = &st->idents[st->n_idents++];
	id->off = (uint32_t) t->off;
	id->len = (uint16_t) t->len;
	id->what = (uint8_t) what;
	id->table = (uint8_t) table;
	id->column = (uint16_t) column;
	return true;
}

/*
 * Finds the tables (and their aliases) a statement names, then the columns:
 * qualified ones through their qualifier, bare ones in the first named table
 * that has them.  Words after "::" (types), after AS (new names) and before
 * "(" (functions, unless after INTO) are left alone.  False when out of
 * memory.
 */
static bool
find_idents(const DatagenSchema *s, const Token *tok, int n, DatagenStatement *st)
{
	int		   *role = calloc(n + 1, sizeof(int));	/* 0 free, 1 table, 2 alias, 3 other */
	int		   *table_of = calloc(n + 1, sizeof(int));
	int			named[64];
	int			n_named = 0;
	char		alias[MAX_ALIASES][64];
	int			alias_table[MAX_ALIASES];
	int			n_alias = 0;
	bool		ok = role && table_of;

	for (int k = 0; ok && k < n; k++)
	{
		int			ti;
		static const char *const before_table[] = {"from", "join", "into", "update", "table", "only",
		"truncate", "using"};
		bool		after_kw = false;

		if ((tok[k].type != TOK_IDENT && tok[k].type != TOK_QIDENT) || is_punct(tok, n, k - 1, '.'))
			continue;
		ti = token_table(s, &tok[k]);
		if (ti < 0)
			continue;
		for (size_t w = 0; w < sizeof(before_table) / sizeof(before_table[0]); w++)
			after_kw |= is_word(tok, n, k - 1, before_table[w]);
		if (!after_kw && !is_punct(tok, n, k + 1, '.') && !is_punct(tok, n, k - 1, ','))
			continue;
		if (is_punct(tok, n, k - 1, ',') && !is_punct(tok, n, k + 1, '.'))
		{
			bool		is_col = false;

			for (int t = 0; t < s->n_tables; t++)
				is_col |= find_column(&s->tables[t], tok[k].name) >= 0;
			if (is_col)
				continue;
		}
		role[k] = 1;
		table_of[k] = ti;
		if (n_named < 64)
			named[n_named++] = ti;
		if (!is_punct(tok, n, k + 1, '.'))
		{
			int			a = is_word(tok, n, k + 1, "as") ? k + 2 : k + 1;

			if (is_name(tok, n, a) && token_table(s, &tok[a]) < 0 && n_alias < MAX_ALIASES &&
				!is_punct(tok, n, a + 1, '.'))
			{
				role[a] = 2;
				snprintf(alias[n_alias], sizeof(alias[0]), "%s", tok[a].name);
				alias_table[n_alias++] = ti;
			}
		}
	}
	for (int k = 0; ok && k < n; k++)
	{
		int			ti = -1,
					ci = -1;

		if (role[k] == 1)
		{
			ok = add_ident(st, &tok[k], DATAGEN_IDENT_TABLE, table_of[k], 0);
			continue;
		}
		if (role[k] != 0 || (tok[k].type != TOK_IDENT && tok[k].type != TOK_QIDENT) ||
			is_punct(tok, n, k - 1, ':') || is_word(tok, n, k - 1, "as") ||
			is_punct(tok, n, k + 1, '.') ||
			(is_punct(tok, n, k + 1, '(') && !is_word(tok, n, k - 1, "into")))
			continue;
		if (is_punct(tok, n, k - 1, '.') && k >= 2)
		{
			const Token *q = &tok[k - 2];

			for (int a = 0; a < n_alias && ti < 0; a++)
				if (strcmp(alias[a], q->name) == 0)
					ti = alias_table[a];
			if (ti < 0)
				ti = token_table(s, q);
			ci = ti >= 0 ? find_column(&s->tables[ti], tok[k].name) : -1;
		}
		else
		{
			for (int j = 0; j < n_named && ci < 0; j++)
			{
				ti = named[j];
				ci = find_column(&s->tables[ti], tok[k].name);
			}
			for (int t = 0; t < s->n_tables && ci < 0; t++)
			{
				ti = t;
				ci = find_column(&s->tables[t], tok[k].name);
			}
		}
		if (ti >= 0 && ci >= 0)
			ok = add_ident(st, &tok[k], DATAGEN_IDENT_COLUMN, ti, ci);
	}
	free(role);
	free(table_of);
	return ok;
}

/* See llm.h. */
int
datagen_llm_statement_from_sql(const char *sql, bool complex, const DatagenSchema *s,
							   DatagenStatement *st, char *err, size_t errlen)
{
	Token	   *tok = malloc(sizeof(Token) * MAX_TOKENS);
	const char *b = sql;
	size_t		len;
	int			n,
				kind;

	memset(st, 0, sizeof(*st));
	while (isspace((unsigned char) *b))
		b++;
	len = strlen(b);
	while (len > 0 && isspace((unsigned char) b[len - 1]))
		len--;
	st->sql = strndup(b, len);
	n = lex(st->sql, tok, MAX_TOKENS);
	kind = n < 0 ? -2 : statement_kind(tok, n);
	if (n < 0)
		snprintf(err, errlen, "out of memory");
	for (int k = 0; k + 1 < n && kind >= 0; k++)
		if (is_punct(tok, n, k, ';'))
		{
			snprintf(err, errlen, "more than one statement");
			kind = -2;
		}
	if (kind == -1)
		snprintf(err, errlen, "not a SELECT, INSERT, UPDATE, DELETE or TRUNCATE statement");
	if (n == MAX_TOKENS || len > 60000)
	{
		snprintf(err, errlen, "statement too long");
		kind = -2;
	}
	if (kind < 0)
	{
		free(tok);
		free(st->sql);
		st->sql = NULL;
		return -1;
	}
	st->kind = (DatagenKind) kind;
	st->complex = complex ? 1 : 0;
	if (!find_idents(s, tok, n, st))
	{
		snprintf(err, errlen, "out of memory");
		free(tok);
		datagen_statement_free(st);
		return -1;
	}
	free(tok);
	return 0;
}
