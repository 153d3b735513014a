/*
 * crdb.c — CockroachDB's SHOW CREATE TABLE text read back into SqlpilotTable.
 *
 * The text is lexed once with the core's SQL lexer (core/sql_lex.c: quoted
 * names, strings, comments), cut into statements at ';', and each statement
 * walked over its tokens.  A CREATE TABLE body is a list of elements split
 * at commas outside parentheses: a column (name, type, qualifiers) or a
 * table constraint or index.  The format followed is the one CockroachDB's
 * documentation shows for SHOW CREATE (v20.2 to v26.3 pages: columns with
 * NULL / NOT NULL, DEFAULT with ':::TYPE' annotations, CONSTRAINT name
 * PRIMARY KEY (a ASC), INDEX / UNIQUE INDEX / INVERTED INDEX, FAMILY, CHECK
 * ... NOT VALID, and for ALL TABLES the foreign keys as separate ALTER TABLE
 * rows); see client/CRDB.md and tests/fixtures/crdb/.
 *
 * Names are folded like PostgreSQL's (unquoted to lower case), the table
 * gets fold_case false (exact names), and expressions lose CockroachDB's
 * ':::TYPE' annotations so they read like the PostgreSQL text the model was
 * trained on.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "crdb.h"
#include "sql_lex.h"
#include "util.h"

const char	sqlpilot_crdb_version_query[] = "SELECT pg_catalog.version()";

/*
 * CockroachDB has no user-defined operators, so '=' and '||' mean the
 * built-in ones; functions are named with pg_catalog.  information_schema
 * shows only objects the role holds some privilege on; the schema's USAGE
 * and has_table_privilege narrow that to the extension's rule.
 */
const char	sqlpilot_crdb_tables_query[] =
"SELECT t.table_schema, t.table_name"
" FROM information_schema.tables AS t"
" WHERE t.table_type = 'BASE TABLE'"
"   AND t.table_schema NOT IN ('pg_catalog', 'information_schema', 'crdb_internal', 'pg_extension')"
"   AND pg_catalog.has_schema_privilege(t.table_schema, 'USAGE')"
"   AND (pg_catalog.has_table_privilege(pg_catalog.quote_ident(t.table_schema) || '.' ||"
"                                       pg_catalog.quote_ident(t.table_name), 'SELECT')"
"        OR pg_catalog.has_table_privilege(pg_catalog.quote_ident(t.table_schema) || '.' ||"
"                                          pg_catalog.quote_ident(t.table_name), 'INSERT')"
"        OR pg_catalog.has_table_privilege(pg_catalog.quote_ident(t.table_schema) || '.' ||"
"                                          pg_catalog.quote_ident(t.table_name), 'UPDATE')"
"        OR pg_catalog.has_table_privilege(pg_catalog.quote_ident(t.table_schema) || '.' ||"
"                                          pg_catalog.quote_ident(t.table_name), 'DELETE'))"
" ORDER BY t.table_schema, t.table_name";

/* SHOW as a data source ([...]): one column whatever the version adds beside it. */
const char	sqlpilot_crdb_show_all_query[] = "SELECT create_statement FROM [SHOW CREATE ALL TABLES]";

/* One CockroachDB type name and its format_type() spelling. */
typedef struct CrdbTypeName
{
	const char *crdb;			/* upper case, single spaces */
	const char *pg;
} CrdbTypeName;

static const CrdbTypeName crdb_types[] = {
	{"INT8", "bigint"}, {"INT", "bigint"}, {"BIGINT", "bigint"},
	{"INT4", "integer"}, {"INTEGER", "integer"}, {"INT2", "smallint"}, {"SMALLINT", "smallint"},
	{"FLOAT8", "double precision"}, {"FLOAT", "double precision"},
	{"DOUBLE PRECISION", "double precision"}, {"FLOAT4", "real"}, {"REAL", "real"},
	{"DECIMAL", "numeric"}, {"NUMERIC", "numeric"}, {"DEC", "numeric"},
	{"STRING", "text"}, {"TEXT", "text"},
	{"VARCHAR", "character varying"}, {"CHARACTER VARYING", "character varying"},
	{"CHAR", "character"}, {"CHARACTER", "character"},
	{"BOOL", "boolean"}, {"BOOLEAN", "boolean"}, {"DATE", "date"},
	{"TIMESTAMP", "timestamp without time zone"},
	{"TIMESTAMP WITHOUT TIME ZONE", "timestamp without time zone"},
	{"TIMESTAMPTZ", "timestamp with time zone"},
	{"TIMESTAMP WITH TIME ZONE", "timestamp with time zone"},
	{"TIME", "time without time zone"}, {"TIME WITHOUT TIME ZONE", "time without time zone"},
	{"TIMETZ", "time with time zone"}, {"TIME WITH TIME ZONE", "time with time zone"},
	{"INTERVAL", "interval"}, {"UUID", "uuid"}, {"JSONB", "jsonb"}, {"JSON", "jsonb"},
	{"BYTES", "bytea"}, {"BYTEA", "bytea"}, {"BLOB", "bytea"}, {"INET", "inet"},
	{"VARBIT", "bit varying"}, {"BIT VARYING", "bit varying"}, {"BIT", "bit"},
	{"TSVECTOR", "tsvector"}, {"OID", "oid"}
};

/* Words that end a column's type (and a DEFAULT expression after its first token). */
static const char *const column_stop_words[] = {
	"NOT", "NULL", "DEFAULT", "AS", "CONSTRAINT", "PRIMARY", "UNIQUE", "REFERENCES",
	"CHECK", "COLLATE", "FAMILY", "CREATE", "ON", "GENERATED"
};

/* The tokens of one text and where the statement being read lies in them. */
typedef struct CrdbParser
{
	const char *text;
	SqlpilotLexToken *tok;
	size_t		n_tok;
	size_t		end;			/* one past the current statement's last token */
	bool		oom;
	char		err[256];
} CrdbParser;

/* A foreign key read from ALTER TABLE ... ADD CONSTRAINT, with the table it belongs to. */
typedef struct CrdbAlterFk
{
	char	   *schema;
	char	   *name;
	SqlpilotForeignKey fk;
} CrdbAlterFk;

/* Records the first error of a statement. */
static void
crdb_fail(CrdbParser *p, const char *fmt, const char *arg)
{
	if (p->err[0] == '\0')
		snprintf(p->err, sizeof(p->err), fmt, arg);
}

/* strdup that notes a failure in p. */
static char *
crdb_strndup(CrdbParser *p, const char *s, size_t n)
{
	char	   *out = malloc(n + 1);

	if (!out)
	{
		p->oom = true;
		return NULL;
	}
	memcpy(out, s, n);
	out[n] = '\0';
	return out;
}

/* Grows *arr by one element of size bytes (zeroed); returns it, or NULL (oom noted). */
static void *
crdb_push(CrdbParser *p, void *arr_ptr, int *n, size_t size)
{
	void	  **arr = (void **) arr_ptr;
	char	   *grown = realloc(*arr, (size_t) (*n + 1) * size);

	if (!grown)
	{
		p->oom = true;
		return NULL;
	}
	*arr = grown;
	memset(grown + (size_t) *n * size, 0, size);
	return grown + (size_t) (*n)++ * size;
}

/* True when token i (of the current statement) is the unquoted word kw, any case. */
static bool
is_kw(const CrdbParser *p, size_t i, const char *kw)
{
	size_t		n;

	if (i >= p->end || p->tok[i].kind != SQLPILOT_TOK_IDENT)
		return false;
	n = p->tok[i].end - p->tok[i].start;
	return n == strlen(kw) && strncasecmp(p->text + p->tok[i].start, kw, n) == 0;
}

/* True when token i is the punctuation s. */
static bool
is_punct(const CrdbParser *p, size_t i, const char *s)
{
	size_t		n;

	if (i >= p->end || p->tok[i].kind != SQLPILOT_TOK_PUNCT)
		return false;
	n = p->tok[i].end - p->tok[i].start;
	return n == strlen(s) && memcmp(p->text + p->tok[i].start, s, n) == 0;
}

/* True when token i is a name (unquoted or quoted identifier). */
static bool
is_name(const CrdbParser *p, size_t i)
{
	return i < p->end && (p->tok[i].kind == SQLPILOT_TOK_IDENT ||
						  p->tok[i].kind == SQLPILOT_TOK_QIDENT);
}

/* The name token i means (unquoted folded to lower case), malloc'd. */
static char *
name_at(CrdbParser *p, size_t i)
{
	size_t		n = sqlpilot_lex_ident_value(p->text, &p->tok[i], NULL, 0);
	char	   *out = malloc(n + 1);

	if (!out)
	{
		p->oom = true;
		return NULL;
	}
	sqlpilot_lex_ident_value(p->text, &p->tok[i], out, n + 1);
	return out;
}

/* The index just past the bracket group opened at token i ('(' or '['). */
static size_t
skip_group(const CrdbParser *p, size_t i)
{
	int			depth = 0;

	for (; i < p->end; i++)
	{
		if (is_punct(p, i, "(") || is_punct(p, i, "["))
			depth++;
		else if (is_punct(p, i, ")") || is_punct(p, i, "]"))
		{
			if (--depth == 0)
				return i + 1;
		}
	}
	return p->end;
}

/* The first token from i at bracket depth 0 that is ',' or an unmatched ')' (or the end). */
static size_t
element_end(const CrdbParser *p, size_t i)
{
	int			depth = 0;

	for (; i < p->end; i++)
	{
		if (is_punct(p, i, "(") || is_punct(p, i, "["))
			depth++;
		else if (is_punct(p, i, ")") || is_punct(p, i, "]"))
		{
			if (depth == 0)
				return i;
			depth--;
		}
		else if (depth == 0 && is_punct(p, i, ","))
			return i;
	}
	return p->end;
}

/*
 * Reads a name of one to three parts at *i ([database.]schema.name); sets
 * *schema (NULL for one part) and *name, malloc'd, and *n_parts when not
 * NULL.  False when there is no name.
 */
static bool
parse_qualified(CrdbParser *p, size_t *i, char **schema, char **name, int *n_parts)
{
	size_t		parts[3];
	int			n = 0;
	size_t		k = *i;

	*schema = NULL;
	*name = NULL;
	while (n < 3 && is_name(p, k))
	{
		parts[n++] = k++;
		if (!is_punct(p, k, ".") || !is_name(p, k + 1))
			break;
		k++;
	}
	if (n == 0)
		return false;
	if (n > 1)
		*schema = name_at(p, parts[n - 2]);
	*name = name_at(p, parts[n - 1]);
	*i = k;
	if (n_parts)
		*n_parts = n;
	return true;
}

/* True when tokens k, k+1, k+2 (all before to) are the call "fn()", any case. */
static bool
is_call0(const CrdbParser *p, size_t k, size_t to, const char *fn)
{
	return k + 2 < to && is_kw(p, k, fn) && is_punct(p, k + 1, "(") && is_punct(p, k + 2, ")");
}

/*
 * The text of tokens [from, to) as written, without CockroachDB's ':::TYPE'
 * annotations, and current_timestamp() / current_date() spelled as the
 * SQL keywords PostgreSQL prints; malloc'd (NULL when nothing is left,
 * or out of memory, which p notes).
 */
static char *
expr_text(CrdbParser *p, size_t from, size_t to)
{
	SqlpilotBuf b = {0};
	size_t		copy_from;
	char	   *out;

	if (from >= to)
		return NULL;
	copy_from = p->tok[from].start;
	for (size_t k = from; k < to; k++)
	{
		const char *word = NULL;
		size_t		next = k;

		if (is_punct(p, k, "::") && is_punct(p, k + 1, ":") &&
			p->tok[k + 1].start == p->tok[k].end && k + 2 < to && is_name(p, k + 2))
		{
			size_t		j = k + 3;

			while (j + 1 < to && is_punct(p, j, ".") && is_name(p, j + 1))
				j += 2;
			if (j < to && is_punct(p, j, "("))
				j = skip_group(p, j);
			while (j + 1 < to && is_punct(p, j, "[") && is_punct(p, j + 1, "]"))
				j += 2;
			next = j - 1;
			word = "";
		}
		else if (is_call0(p, k, to, "current_timestamp"))
		{
			next = k + 2;
			word = "CURRENT_TIMESTAMP";
		}
		else if (is_call0(p, k, to, "current_date"))
		{
			next = k + 2;
			word = "CURRENT_DATE";
		}
		if (!word)
			continue;
		sqlpilot_buf_append(&b, p->text + copy_from, p->tok[k].start - copy_from);
		sqlpilot_buf_puts(&b, word);
		copy_from = p->tok[next < to ? next : to - 1].end;
		k = next;
	}
	if (copy_from < p->tok[to - 1].end)
		sqlpilot_buf_append(&b, p->text + copy_from, p->tok[to - 1].end - copy_from);
	if (b.len == 0 && !b.oom)
	{
		sqlpilot_buf_free(&b);
		return NULL;			/* nothing but an annotation */
	}
	out = sqlpilot_buf_finish(&b, NULL);
	if (!out)
		p->oom = true;
	return out;
}

/* Writes the buffer's text into out (cap bytes, NUL-terminated, truncated); returns its length. */
static size_t
buf_copy_out(SqlpilotBuf *b, char *out, size_t cap)
{
	size_t		len = b->len;

	if (cap > 0)
	{
		size_t		k = len < cap - 1 ? len : cap - 1;

		if (b->data)
			memcpy(out, b->data, k);
		out[k] = '\0';
	}
	sqlpilot_buf_free(b);
	return len;
}

/* See crdb.h. */
size_t
sqlpilot_crdb_pg_type(const char *crdb_type, char *out, size_t cap)
{
	char		base[128];
	char		mod[64] = "";
	size_t		n = strlen(crdb_type);
	size_t		bl = 0;
	int			ndims = 0;
	const char *pg = NULL;
	const char *paren;
	const char *close = NULL;
	SqlpilotBuf b = {0};

	while (n >= 2 && crdb_type[n - 2] == '[' && crdb_type[n - 1] == ']')
	{
		n -= 2;
		ndims++;
	}
	paren = memchr(crdb_type, '(', n);
	if (paren)
		close = memchr(paren, ')', (size_t) (crdb_type + n - paren));
	/* the words before and after the modifier, upper case, single spaces */
	for (size_t i = 0; i < n && bl + 1 < sizeof(base); i++)
	{
		const char *c = crdb_type + i;

		if (paren && c >= paren && c <= close)
			continue;
		if (isspace((unsigned char) *c))
		{
			if (bl > 0 && base[bl - 1] != ' ')
				base[bl++] = ' ';
			continue;
		}
		base[bl++] = (char) toupper((unsigned char) *c);
	}
	while (bl > 0 && base[bl - 1] == ' ')
		bl--;
	base[bl] = '\0';
	if (paren && close && (size_t) (close - paren) + 1 < sizeof(mod))
	{
		memcpy(mod, paren, (size_t) (close - paren) + 1);
		mod[close - paren + 1] = '\0';
	}
	for (size_t i = 0; i < sizeof(crdb_types) / sizeof(crdb_types[0]); i++)
		if (strcmp(base, crdb_types[i].crdb) == 0)
			pg = crdb_types[i].pg;
	if (pg && strcmp(pg, "text") == 0 && mod[0])
		pg = "character varying";	/* STRING(n) is VARCHAR(n) */
	if (!pg || (paren && !mod[0]))
	{
		/* enums, GEOGRAPHY(POINT,4326), ...: as written */
		sqlpilot_buf_puts(&b, crdb_type);
		return buf_copy_out(&b, out, cap);
	}
	if (strstr(pg, " with") && mod[0])
	{
		/* the modifier goes after the first word: timestamp(3) without time zone */
		const char *zone = strstr(pg, " with");

		sqlpilot_buf_append(&b, pg, (size_t) (zone - pg));
		sqlpilot_buf_puts(&b, mod);
		sqlpilot_buf_puts(&b, zone);
	}
	else
	{
		sqlpilot_buf_puts(&b, pg);
		sqlpilot_buf_puts(&b, mod);
	}
	for (int d = 0; d < ndims; d++)
		sqlpilot_buf_puts(&b, "[]");
	return buf_copy_out(&b, out, cap);
}

/* True when token k is a word that ends a column's type or DEFAULT expression. */
static bool
is_column_stop(const CrdbParser *p, size_t k)
{
	for (size_t i = 0; i < sizeof(column_stop_words) / sizeof(column_stop_words[0]); i++)
		if (is_kw(p, k, column_stop_words[i]))
			return true;
	return false;
}

/*
 * The end of an expression starting at token from: a stop word at depth 0
 * after its first token, not inside CASE ... END and not the NULL / NOT of
 * "IS [NOT] NULL".
 */
static size_t
column_expr_end(const CrdbParser *p, size_t from, size_t e)
{
	size_t		k = from;
	int			cases = 0;

	while (k < e)
	{
		if (k > from && cases == 0 && is_column_stop(p, k) &&
			!((is_kw(p, k, "NULL") || is_kw(p, k, "NOT")) && is_kw(p, k - 1, "IS")) &&
			!(is_kw(p, k, "NULL") && is_kw(p, k - 1, "NOT") && is_kw(p, k - 2, "IS")))
			break;
		if (is_kw(p, k, "CASE"))
			cases++;
		else if (is_kw(p, k, "END") && cases > 0)
			cases--;
		if (is_punct(p, k, "(") || is_punct(p, k, "["))
			k = skip_group(p, k);
		else
			k++;
	}
	return k < e ? k : e;
}

/* See crdb.h. */
void
sqlpilot_crdb_index_free(SqlpilotIndex *ix)
{
	for (int k = 0; k < ix->n_cols; k++)
		free(ix->cols[k]);
	free(ix->cols);
	free(ix->desc);
	free(ix->expr);
	free(ix->name);
	memset(ix, 0, sizeof(*ix));
}

/* See crdb.h. */
void
sqlpilot_crdb_fkey_free(SqlpilotForeignKey *fk)
{
	for (int k = 0; k < fk->n_cols; k++)
	{
		free(fk->cols[k]);
		if (fk->ref_cols)
			free(fk->ref_cols[k]);
	}
	free(fk->cols);
	free(fk->ref_cols);
	free(fk->name);
	free(fk->ref_schema);
	free(fk->ref_table);
	free(fk->on_delete);
	free(fk->on_update);
	memset(fk, 0, sizeof(*fk));
}

/* See crdb.h. */
void
sqlpilot_crdb_table_free(SqlpilotTable *t)
{
	if (!t)
		return;
	free(t->schema);
	free(t->name);
	for (int i = 0; i < t->n_columns; i++)
	{
		free(t->columns[i].name);
		free(t->columns[i].type);
		free(t->columns[i].default_expr);
	}
	free(t->columns);
	for (int i = 0; i < t->n_indexes; i++)
		sqlpilot_crdb_index_free(&t->indexes[i]);
	free(t->indexes);
	for (int i = 0; i < t->n_fkeys; i++)
		sqlpilot_crdb_fkey_free(&t->fkeys[i]);
	free(t->fkeys);
	for (int i = 0; i < t->n_checks; i++)
	{
		free(t->checks[i].name);
		free(t->checks[i].expr);
	}
	free(t->checks);
	memset(t, 0, sizeof(*t));
}

/* Appends key col (taken over) to ix; false when out of memory (col freed). */
static bool
add_key(CrdbParser *p, SqlpilotIndex *ix, char *col, bool desc, bool is_expr)
{
	int			n = ix->n_cols;
	char	  **cols = realloc(ix->cols, (size_t) (n + 1) * sizeof(char *));
	bool	   *descs = NULL;
	bool	   *exprs = NULL;

	if (cols)
	{
		ix->cols = cols;
		descs = realloc(ix->desc, (size_t) (n + 1) * sizeof(bool));
	}
	if (descs)
	{
		ix->desc = descs;
		exprs = realloc(ix->expr, (size_t) (n + 1) * sizeof(bool));
	}
	if (!exprs)
	{
		free(col);
		p->oom = true;
		return false;
	}
	ix->expr = exprs;
	ix->cols[n] = col;
	ix->desc[n] = desc;
	ix->expr[n] = is_expr;
	ix->n_cols = n + 1;
	return true;
}

/*
 * Reads an index key list "(a ASC, lower(b) DESC, c gin_trgm_ops)" at *i
 * into ix; false when there is no list (or no memory).
 */
static bool
parse_key_list(CrdbParser *p, size_t *i, SqlpilotIndex *ix)
{
	size_t		close;

	if (!is_punct(p, *i, "("))
		return false;
	close = skip_group(p, *i) - 1;
	if (close >= p->end || !is_punct(p, close, ")"))
		return false;
	for (size_t k = *i + 1; k < close;)
	{
		size_t		e = element_end(p, k);
		size_t		last;
		bool		desc = false;

		if (e > close)
			e = close;
		last = e;
		if (last > k + 2 && is_kw(p, last - 2, "NULLS") &&
			(is_kw(p, last - 1, "FIRST") || is_kw(p, last - 1, "LAST")))
			last -= 2;
		if (last > k + 1 && (is_kw(p, last - 1, "ASC") || is_kw(p, last - 1, "DESC")))
		{
			desc = is_kw(p, last - 1, "DESC");
			last--;
		}
		if (last > k)
		{
			/* a column, a column with an operator class, or an expression */
			bool		is_col = is_name(p, k) && (last == k + 1 ||
												   (last == k + 2 && is_name(p, k + 1)));
			char	   *col = is_col ? name_at(p, k) : expr_text(p, k, last);

			if (p->oom || (col && !add_key(p, ix, col, desc, !is_col)))
				return false;
		}
		k = e + 1;
	}
	*i = close + 1;
	return true;
}

/* Reads "(a, b)" at *i into a malloc'd array of names; false when there is none. */
static bool
parse_name_list(CrdbParser *p, size_t *i, char ***names, int *n)
{
	size_t		k = *i;

	*names = NULL;
	*n = 0;
	if (!is_punct(p, k, "("))
		return false;
	for (k++; is_name(p, k); k += 2)
	{
		char	  **grown = realloc(*names, (size_t) (*n + 1) * sizeof(char *));
		char	   *name = grown ? name_at(p, k) : NULL;

		if (grown)
			*names = grown;
		if (!name)
		{
			p->oom = true;
			break;
		}
		(*names)[(*n)++] = name;
		if (!is_punct(p, k + 1, ","))
		{
			k++;
			break;
		}
	}
	if (p->oom || !is_punct(p, k, ")") || *n == 0)
	{
		for (int j = 0; j < *n; j++)
			free((*names)[j]);
		free(*names);
		*names = NULL;
		*n = 0;
		return false;
	}
	*i = k + 1;
	return true;
}

/* Reads a referential action (CASCADE, SET NULL, NO ACTION, ...) at *i, upper case. */
static char *
parse_action(CrdbParser *p, size_t *i)
{
	static const char *const actions[][2] = {
		{"CASCADE", NULL}, {"RESTRICT", NULL}, {"SET", "NULL"}, {"SET", "DEFAULT"},
		{"NO", "ACTION"}
	};

	for (size_t a = 0; a < sizeof(actions) / sizeof(actions[0]); a++)
	{
		char		text[32];

		if (!is_kw(p, *i, actions[a][0]) || (actions[a][1] && !is_kw(p, *i + 1, actions[a][1])))
			continue;
		*i += actions[a][1] ? 2 : 1;
		snprintf(text, sizeof(text), "%s%s%s", actions[a][0], actions[a][1] ? " " : "",
				 actions[a][1] ? actions[a][1] : "");
		return crdb_strndup(p, text, strlen(text));
	}
	return NULL;
}

/*
 * Reads "FOREIGN KEY (cols) REFERENCES t(cols) [MATCH ...] [ON DELETE a]
 * [ON UPDATE a] [NOT VALID]" at i into fk; false (fk empty) when it is not
 * one or references another database.
 */
static bool
parse_foreign_key(CrdbParser *p, size_t i, size_t e, SqlpilotForeignKey *fk)
{
	char	  **ref_cols = NULL;
	int			n_ref = 0;
	int			parts = 0;

	if (!is_kw(p, i, "FOREIGN") || !is_kw(p, i + 1, "KEY"))
		return false;
	i += 2;
	if (!parse_name_list(p, &i, &fk->cols, &fk->n_cols) || !is_kw(p, i, "REFERENCES"))
		goto bad;
	i++;
	/* a table of another database (db.schema.t) is out of the role's sight here */
	if (!parse_qualified(p, &i, &fk->ref_schema, &fk->ref_table, &parts) || parts > 2 ||
		!parse_name_list(p, &i, &ref_cols, &n_ref) || n_ref != fk->n_cols)
		goto bad;
	fk->ref_cols = ref_cols;
	ref_cols = NULL;
	while (i < e)
	{
		if (is_kw(p, i, "ON") && is_kw(p, i + 1, "DELETE"))
		{
			i += 2;
			free(fk->on_delete);
			fk->on_delete = parse_action(p, &i);
		}
		else if (is_kw(p, i, "ON") && is_kw(p, i + 1, "UPDATE"))
		{
			i += 2;
			free(fk->on_update);
			fk->on_update = parse_action(p, &i);
		}
		else
			i++;				/* MATCH FULL/SIMPLE, NOT VALID */
	}
	return true;
bad:
	for (int j = 0; j < n_ref; j++)
		free(ref_cols[j]);
	free(ref_cols);
	sqlpilot_crdb_fkey_free(fk);
	return false;
}

/* Reads one column definition [i, e) into t; hidden columns are noted in *hidden. */
static bool
parse_column(CrdbParser *p, SqlpilotTable *t, size_t i, size_t e, char ***hidden, int *n_hidden)
{
	SqlpilotColumn col = {0};
	size_t		k = i + 1;
	size_t		type_end;
	bool		is_hidden = false;
	char	   *crdb_type;
	size_t		need;

	type_end = k;
	while (type_end < e && !is_column_stop(p, type_end))
		type_end = is_punct(p, type_end, "(") || is_punct(p, type_end, "[") ?
			skip_group(p, type_end) : type_end + 1;
	if (type_end > e)
		type_end = e;
	if (type_end == k)
	{
		char		name[80];

		sqlpilot_lex_ident_value(p->text, &p->tok[i], name, sizeof(name));
		crdb_fail(p, "column %s has no type", name);
		return false;
	}
	col.name = name_at(p, i);
	crdb_type = crdb_strndup(p, p->text + p->tok[k].start, p->tok[type_end - 1].end - p->tok[k].start);
	if (crdb_type)
	{
		need = sqlpilot_crdb_pg_type(crdb_type, NULL, 0);
		col.type = malloc(need + 1);
		if (col.type)
			sqlpilot_crdb_pg_type(crdb_type, col.type, need + 1);
		else
			p->oom = true;
		free(crdb_type);
	}
	for (k = type_end; k < e;)
	{
		if (is_kw(p, k, "NOT") && is_kw(p, k + 1, "NULL"))
		{
			col.not_null = true;
			k += 2;
		}
		else if (is_kw(p, k, "NOT") && is_kw(p, k + 1, "VISIBLE"))
		{
			is_hidden = true;
			k += 2;
		}
		else if (is_kw(p, k, "NULL"))
			k++;
		else if (is_kw(p, k, "DEFAULT") || (is_kw(p, k, "ON") && is_kw(p, k + 1, "UPDATE")))
		{
			bool		is_default = is_kw(p, k, "DEFAULT");
			size_t		from = k + (is_default ? 1 : 2);
			size_t		to = column_expr_end(p, from, e);

			if (is_default && to > from)
			{
				free(col.default_expr);
				col.default_expr = expr_text(p, from, to);
			}
			k = to > from ? to : from;
		}
		else if (is_kw(p, k, "AS") && is_punct(p, k + 1, "("))
		{
			/* a computed column: the struct has no place for its expression */
			k = skip_group(p, k + 1);
			if (is_kw(p, k, "STORED") || is_kw(p, k, "VIRTUAL"))
				k++;
		}
		else if ((is_kw(p, k, "FAMILY") || is_kw(p, k, "COLLATE")) && is_name(p, k + 1))
			k += 2;
		else
			k = e;				/* CREATE FAMILY, GENERATED ..., inline constraints */
	}
	if (!p->oom && col.name && col.type && is_hidden)
	{
		char	  **slot = crdb_push(p, hidden, n_hidden, sizeof(char *));

		if (slot)
		{
			*slot = col.name;
			col.name = NULL;
		}
	}
	else if (!p->oom && col.name && col.type)
	{
		SqlpilotColumn *slot = crdb_push(p, &t->columns, &t->n_columns, sizeof(SqlpilotColumn));

		if (slot)
		{
			*slot = col;
			return true;
		}
	}
	free(col.name);
	free(col.type);
	free(col.default_expr);
	return !p->oom;
}

/* Adds an index or key to t (the primary key goes first); takes ix over. */
static void
add_index(CrdbParser *p, SqlpilotTable *t, SqlpilotIndex *ix)
{
	SqlpilotIndex *slot = crdb_push(p, &t->indexes, &t->n_indexes, sizeof(SqlpilotIndex));

	if (!slot)
	{
		sqlpilot_crdb_index_free(ix);
		return;
	}
	if (ix->primary && t->n_indexes > 1)
	{
		memmove(&t->indexes[1], &t->indexes[0], (size_t) (t->n_indexes - 1) * sizeof(SqlpilotIndex));
		slot = &t->indexes[0];
	}
	*slot = *ix;
}

/*
 * True when the group "(...)" at token k is followed the way a column type's
 * modifier is (NULL, NOT NULL, DEFAULT, [] ...) rather than an index's keys
 * or a family's columns: tells "index VARCHAR(40) NULL" from "INDEX i (a)".
 */
static bool
group_ends_type(const CrdbParser *p, size_t k, size_t e)
{
	size_t		j = skip_group(p, k);

	if (j >= e)
		return false;
	if (is_kw(p, j, "NOT") && is_kw(p, j + 1, "VISIBLE"))
		return false;
	return is_punct(p, j, "[") || is_column_stop(p, j);
}

/*
 * Reads one table element [i, e): a column, a constraint or an index.
 * Elements it does not know are skipped.  False on a malformed column.
 */
static bool
parse_element(CrdbParser *p, SqlpilotTable *t, size_t i, size_t e, char ***hidden, int *n_hidden)
{
	char	   *cname = NULL;
	size_t		k = i;
	SqlpilotIndex ix = {0};
	SqlpilotForeignKey fk = {0};

	if (is_kw(p, k, "CONSTRAINT") && is_name(p, k + 1))
	{
		cname = name_at(p, k + 1);
		k += 2;
	}
	if (is_kw(p, k, "PRIMARY") && is_kw(p, k + 1, "KEY"))
	{
		k += 2;
		ix.primary = true;
		ix.unique = true;
		ix.name = cname;
		if (!parse_key_list(p, &k, &ix))
			sqlpilot_crdb_index_free(&ix);
		else
			add_index(p, t, &ix);
		return !p->oom;
	}
	if (is_kw(p, k, "FOREIGN"))
	{
		if (parse_foreign_key(p, k, e, &fk))
		{
			SqlpilotForeignKey *slot = crdb_push(p, &t->fkeys, &t->n_fkeys, sizeof(fk));

			fk.name = cname;
			cname = NULL;
			if (slot)
				*slot = fk;
			else
				sqlpilot_crdb_fkey_free(&fk);
		}
		free(cname);
		return !p->oom;
	}
	if (is_kw(p, k, "CHECK") && is_punct(p, k + 1, "("))
	{
		size_t		close = skip_group(p, k + 1) - 1;
		SqlpilotCheck *slot;
		char	   *expr = close > k + 2 ? expr_text(p, k + 2, close) : NULL;

		slot = expr ? crdb_push(p, &t->checks, &t->n_checks, sizeof(SqlpilotCheck)) : NULL;
		if (slot)
		{
			slot->name = cname;
			slot->expr = expr;
			return true;
		}
		free(expr);
		free(cname);
		return !p->oom;
	}
	if (is_kw(p, k, "UNIQUE") && !is_kw(p, k + 1, "INDEX"))
	{
		/* UNIQUE (a, b) or UNIQUE WITHOUT INDEX (a, b) */
		k++;
		if (is_kw(p, k, "WITHOUT") && is_kw(p, k + 1, "INDEX"))
			k += 2;
		ix.unique = true;
		ix.is_constraint = true;
		ix.name = cname;
		if (!parse_key_list(p, &k, &ix))
			sqlpilot_crdb_index_free(&ix);
		else
			add_index(p, t, &ix);
		return !p->oom;
	}
	if (cname)
	{
		free(cname);			/* CONSTRAINT name <something unknown> */
		return true;
	}
	/* [UNIQUE | INVERTED | VECTOR] INDEX name (keys) ...; else a column named so */
	if ((is_kw(p, k, "UNIQUE") || is_kw(p, k, "INVERTED") || is_kw(p, k, "VECTOR")) &&
		is_kw(p, k + 1, "INDEX"))
	{
		ix.unique = is_kw(p, k, "UNIQUE");
		k++;
	}
	if (is_kw(p, k, "INDEX") && is_name(p, k + 1) && is_punct(p, k + 2, "(") &&
		!group_ends_type(p, k + 2, e))
	{
		k++;
		ix.name = name_at(p, k++);
		if (!parse_key_list(p, &k, &ix))
			sqlpilot_crdb_index_free(&ix);
		else
			add_index(p, t, &ix);	/* STORING, WHERE, USING HASH, ... are left out */
		return !p->oom;
	}
	if (is_kw(p, i, "FAMILY") && (is_punct(p, i + 1, "(") ||
								  (is_name(p, i + 1) && is_punct(p, i + 2, "(") &&
								   !group_ends_type(p, i + 2, e))))
		return true;
	/* LIKE t, SPATIAL INDEX ..., FULLTEXT KEY ...: not columns */
	if (is_kw(p, i, "LIKE") || !is_name(p, i) || is_kw(p, i + 1, "INDEX") || is_kw(p, i + 1, "KEY"))
		return true;
	return parse_column(p, t, i, e, hidden, n_hidden);
}

/* True when name is in the list. */
static bool
in_list(char **list, int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (strcmp(list[i], name) == 0)
			return true;
	return false;
}

/* Drops hidden columns from the keys of t, and keys left with none. */
static void
drop_hidden_keys(SqlpilotTable *t, char **hidden, int n_hidden)
{
	int			kept = 0;

	for (int i = 0; i < t->n_indexes; i++)
	{
		SqlpilotIndex *ix = &t->indexes[i];
		int			m = 0;

		for (int k = 0; k < ix->n_cols; k++)
		{
			if (!ix->expr[k] && in_list(hidden, n_hidden, ix->cols[k]))
			{
				free(ix->cols[k]);
				continue;
			}
			ix->cols[m] = ix->cols[k];
			ix->desc[m] = ix->desc[k];
			ix->expr[m] = ix->expr[k];
			m++;
		}
		ix->n_cols = m;
		if (m == 0)
		{
			sqlpilot_crdb_index_free(ix);
			continue;
		}
		t->indexes[kept++] = *ix;
	}
	t->n_indexes = kept;
}

/*
 * Reads the CREATE TABLE statement whose tokens start at i into t; false
 * (t freed) when it is not one or is malformed, with the reason in p->err.
 */
static bool
parse_create(CrdbParser *p, size_t i, SqlpilotTable *t)
{
	char	  **hidden = NULL;
	int			n_hidden = 0;
	bool		ok = true;

	memset(t, 0, sizeof(*t));
	if (!is_kw(p, i, "CREATE"))
	{
		crdb_fail(p, "%s", "not a CREATE TABLE statement");
		return false;
	}
	i++;
	while (is_kw(p, i, "TEMP") || is_kw(p, i, "TEMPORARY") || is_kw(p, i, "UNLOGGED") ||
		   is_kw(p, i, "LOCAL") || is_kw(p, i, "GLOBAL"))
		i++;
	if (!is_kw(p, i, "TABLE"))
	{
		char		word[40] = "";

		if (i < p->end)
			snprintf(word, sizeof(word), "%.*s", (int) (p->tok[i].end - p->tok[i].start),
					 p->text + p->tok[i].start);
		crdb_fail(p, "not a CREATE TABLE statement (CREATE %s)", word);
		return false;
	}
	i++;
	if (is_kw(p, i, "IF") && is_kw(p, i + 1, "NOT") && is_kw(p, i + 2, "EXISTS"))
		i += 3;
	if (!parse_qualified(p, &i, &t->schema, &t->name, NULL) || p->oom)
	{
		crdb_fail(p, "%s", "CREATE TABLE without a table name");
		sqlpilot_crdb_table_free(t);
		return false;
	}
	if (!is_punct(p, i, "("))
	{
		crdb_fail(p, "CREATE TABLE %s has no column list", t->name ? t->name : "?");
		sqlpilot_crdb_table_free(t);
		return false;
	}
	for (i++; ok && !p->oom && i < p->end;)
	{
		size_t		e = element_end(p, i);

		if (e > i)
			ok = parse_element(p, t, i, e, &hidden, &n_hidden);
		if (e >= p->end)
		{
			crdb_fail(p, "CREATE TABLE %s: the column list is not closed", t->name);
			ok = false;
		}
		else if (is_punct(p, e, ")"))
			break;
		i = e + 1;
	}
	if (i >= p->end && ok)
	{
		crdb_fail(p, "CREATE TABLE %s: the column list is not closed", t->name);
		ok = false;
	}
	if (ok && !p->oom)
		drop_hidden_keys(t, hidden, n_hidden);
	for (int h = 0; h < n_hidden; h++)
		free(hidden[h]);
	free(hidden);
	if (!ok || p->oom)
	{
		sqlpilot_crdb_table_free(t);
		return false;
	}
	return true;
}

/*
 * Reads "ALTER TABLE t ADD CONSTRAINT name FOREIGN KEY ..." at i into a;
 * false when the statement is something else.
 */
static bool
parse_alter_fk(CrdbParser *p, size_t i, CrdbAlterFk *a)
{
	memset(a, 0, sizeof(*a));
	if (!is_kw(p, i, "ALTER") || !is_kw(p, i + 1, "TABLE"))
		return false;
	i += 2;
	if (is_kw(p, i, "IF") && is_kw(p, i + 1, "EXISTS"))
		i += 2;
	if (is_kw(p, i, "ONLY"))
		i++;
	if (!parse_qualified(p, &i, &a->schema, &a->name, NULL) || !is_kw(p, i, "ADD") ||
		!is_kw(p, i + 1, "CONSTRAINT") || !is_name(p, i + 2) || !is_kw(p, i + 3, "FOREIGN") ||
		!parse_foreign_key(p, i + 3, p->end, &a->fk))
	{
		free(a->schema);
		free(a->name);
		memset(a, 0, sizeof(*a));
		return false;
	}
	a->fk.name = name_at(p, i + 2);
	if (p->oom)
	{
		sqlpilot_crdb_fkey_free(&a->fk);
		free(a->schema);
		free(a->name);
		memset(a, 0, sizeof(*a));
		return false;
	}
	return true;
}

/* True when two optional schema names agree (NULL matches anything). */
static bool
same_schema(const char *a, const char *b)
{
	return !a || !b || strcmp(a, b) == 0;
}

/* Attaches a's foreign key to its table in tables (takes it over), or frees it. */
static void
attach_fk(CrdbParser *p, SqlpilotTable *tables, int n, CrdbAlterFk *a)
{
	for (int i = 0; i < n; i++)
	{
		SqlpilotTable *t = &tables[i];
		SqlpilotForeignKey *slot;

		if (strcmp(t->name, a->name) != 0 || !same_schema(t->schema, a->schema))
			continue;
		slot = crdb_push(p, &t->fkeys, &t->n_fkeys, sizeof(SqlpilotForeignKey));
		if (slot)
		{
			*slot = a->fk;
			memset(&a->fk, 0, sizeof(a->fk));
		}
		break;
	}
	sqlpilot_crdb_fkey_free(&a->fk);
	free(a->schema);
	free(a->name);
}

/* Lexes text into p; false with err on an unterminated quote or comment, or no memory. */
static bool
crdb_lex(CrdbParser *p, const char *text, size_t len)
{
	size_t		n;

	size_t		kept = 0;

	memset(p, 0, sizeof(*p));
	p->text = text;
	n = sqlpilot_lex_all(text, len, true, &p->tok);
	if (n == (size_t) -1)
	{
		p->tok = NULL;
		p->oom = true;
		snprintf(p->err, sizeof(p->err), "out of memory");
		return false;
	}
	for (size_t i = 0; i < n; i++)
	{
		if (!p->tok[i].closed)
		{
			snprintf(p->err, sizeof(p->err),
					 "the text ends inside a quoted name, string or comment (from byte %zu)",
					 p->tok[i].start);
			return false;
		}
		if (p->tok[i].kind != SQLPILOT_TOK_COMMENT)
			p->tok[kept++] = p->tok[i];
	}
	p->n_tok = kept;
	return true;
}

/* The next statement from *start: sets p->end and returns its first token. */
static size_t
next_statement(CrdbParser *p, size_t *start)
{
	size_t		first = *start;
	size_t		k = first;

	p->end = p->n_tok;
	while (k < p->n_tok && !(p->tok[k].kind == SQLPILOT_TOK_PUNCT &&
							 p->tok[k].end - p->tok[k].start == 1 && p->text[p->tok[k].start] == ';'))
		k++;
	p->end = k;
	*start = k + 1;
	return first;
}

/* Copies p's message into err. */
static void
crdb_error_out(const CrdbParser *p, char *err, size_t errlen)
{
	if (err && errlen > 0)
		snprintf(err, errlen, "%s", p->err[0] ? p->err : "malformed CREATE TABLE");
}

/* See crdb.h. */
int
sqlpilot_crdb_parse_create_table(const char *text, size_t len, SqlpilotTable *out,
								 char *err, size_t errlen)
{
	CrdbParser	p;
	size_t		next = 0;
	size_t		first;

	memset(out, 0, sizeof(*out));
	memset(&p, 0, sizeof(p));
	if (err && errlen > 0)
		err[0] = '\0';
	if (!text)
		snprintf(p.err, sizeof(p.err), "no text");
	if (!text || !crdb_lex(&p, text, len))
	{
		crdb_error_out(&p, err, errlen);
		free(p.tok);
		return -1;
	}
	/* the first statement that is not empty */
	do
		first = next_statement(&p, &next);
	while (first >= p.end && next < p.n_tok);
	if (first >= p.end)
	{
		crdb_fail(&p, "%s", "empty text: no CREATE TABLE statement");
		crdb_error_out(&p, err, errlen);
		free(p.tok);
		return -1;
	}
	if (!parse_create(&p, first, out))
	{
		if (p.oom)
			snprintf(p.err, sizeof(p.err), "out of memory");
		crdb_error_out(&p, err, errlen);
		free(p.tok);
		return -1;
	}
	/* COMMENT ON ... is skipped; foreign keys added to this table are kept */
	while (next < p.n_tok && !p.oom)
	{
		CrdbAlterFk a;

		first = next_statement(&p, &next);
		if (parse_alter_fk(&p, first, &a))
			attach_fk(&p, out, 1, &a);
	}
	free(p.tok);
	if (p.oom)
	{
		sqlpilot_crdb_table_free(out);
		if (err && errlen > 0)
			snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

/* See crdb.h. */
void
sqlpilot_crdb_schema_free(SqlpilotCrdbSchema *s)
{
	if (!s)
		return;
	for (int i = 0; i < s->n_tables; i++)
		sqlpilot_crdb_table_free(&s->tables[i]);
	free(s->tables);
	memset(s, 0, sizeof(*s));
}

/* See crdb.h. */
int
sqlpilot_crdb_parse_all(const char *const *rows, const size_t *lens, int n_rows,
						SqlpilotCrdbSchema *out, char *err, size_t errlen)
{
	bool		oom = false;

	memset(out, 0, sizeof(*out));
	if (err && errlen > 0)
		err[0] = '\0';
	for (int r = 0; r < n_rows && !oom; r++)
	{
		CrdbParser	p;
		size_t		next = 0;

		if (!rows[r])
			continue;
		if (!crdb_lex(&p, rows[r], lens ? lens[r] : strlen(rows[r])))
		{
			oom = p.oom;
			if (!oom && err && errlen > 0 && err[0] == '\0')
				snprintf(err, errlen, "row %d: %s", r + 1, p.err);
			if (!oom)
				out->n_failed++;
			free(p.tok);
			continue;
		}
		while (next < p.n_tok && !p.oom)
		{
			size_t		first = next_statement(&p, &next);
			CrdbAlterFk a;
			SqlpilotTable t;

			p.err[0] = '\0';
			if (first >= p.end)
				continue;
			if (is_kw(&p, first, "CREATE") &&
				(is_kw(&p, first + 1, "TABLE") || is_kw(&p, first + 2, "TABLE")))
			{
				SqlpilotTable *slot;

				if (!parse_create(&p, first, &t))
				{
					if (!p.oom)
					{
						out->n_failed++;
						if (err && errlen > 0 && err[0] == '\0')
							snprintf(err, errlen, "row %d: %s", r + 1, p.err);
					}
					continue;
				}
				slot = crdb_push(&p, &out->tables, &out->n_tables, sizeof(SqlpilotTable));
				if (slot)
					*slot = t;
				else
					sqlpilot_crdb_table_free(&t);
			}
			else if (parse_alter_fk(&p, first, &a))
				attach_fk(&p, out->tables, out->n_tables, &a);
		}
		oom = p.oom;
		free(p.tok);
	}
	if (oom)
	{
		sqlpilot_crdb_schema_free(out);
		if (err && errlen > 0)
			snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

/* See crdb.h. */
void
sqlpilot_crdb_schema_filter(SqlpilotCrdbSchema *s,
							bool (*visible) (const char *schema, const char *name, void *arg),
							void *arg)
{
	int			kept = 0;

	for (int i = 0; i < s->n_tables; i++)
	{
		SqlpilotTable *t = &s->tables[i];
		int			m = 0;

		if (!visible(t->schema, t->name, arg))
		{
			sqlpilot_crdb_table_free(t);
			continue;
		}
		for (int f = 0; f < t->n_fkeys; f++)
		{
			SqlpilotForeignKey *fk = &t->fkeys[f];

			if (!visible(fk->ref_schema ? fk->ref_schema : t->schema, fk->ref_table, arg))
			{
				sqlpilot_crdb_fkey_free(fk);
				continue;
			}
			t->fkeys[m++] = *fk;
		}
		t->n_fkeys = m;
		s->tables[kept++] = *t;
	}
	s->n_tables = kept;
}

/* See crdb.h. */
bool
sqlpilot_crdb_is_cockroach(const char *version)
{
	return version && strncmp(version, "CockroachDB", 11) == 0;
}

/* Appends name double-quoted, with "" for a quote. */
static void
buf_quoted(SqlpilotBuf *b, const char *name)
{
	sqlpilot_buf_append(b, "\"", 1);
	for (const char *c = name; *c; c++)
	{
		if (*c == '"')
			sqlpilot_buf_append(b, "\"", 1);
		sqlpilot_buf_append(b, c, 1);
	}
	sqlpilot_buf_append(b, "\"", 1);
}

/* See crdb.h. */
size_t
sqlpilot_crdb_show_create_query(const char *schema, const char *name, char *out, size_t cap)
{
	SqlpilotBuf b = {0};

	sqlpilot_buf_puts(&b, "SHOW CREATE TABLE ");
	if (schema)
	{
		buf_quoted(&b, schema);
		sqlpilot_buf_append(&b, ".", 1);
	}
	buf_quoted(&b, name);
	return buf_copy_out(&b, out, cap);
}
