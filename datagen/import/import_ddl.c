/*
 * import_ddl.c — an LLM-written schema's CREATE TABLE texts turned into the
 * generator's tables (SqlpilotTable), so that the one renderer of core/schema.c
 * writes both the pg_dump DDL PostgreSQL loads and the CockroachDB text the
 * model reads.
 *
 * The texts mix PostgreSQL, CockroachDB and MySQL: types are brought to their
 * format_type() spelling (INT8 -> bigint, STRING -> text, DATETIME ->
 * timestamp without time zone, ...), SERIAL / AUTO_INCREMENT / identity /
 * unique_rowid() become a serial column, ENUM becomes text with a CHECK,
 * INDEX / UNIQUE INDEX inside CREATE TABLE and separate CREATE INDEX become
 * indexes, and what has no PostgreSQL meaning (FAMILY, STORING, COMMENT,
 * ON UPDATE, ENGINE=...) is dropped.  Keys, indexes and foreign keys that name
 * a missing column or table, or could not be built in PostgreSQL (a foreign
 * key to columns that are no key, or of another type), are dropped too.
 * Every such form is counted (DatagenImportForm).  Names keep the case they
 * were written in (fold_case): PostgreSQL folds them, as it did for the
 * statements written against them.  What PostgreSQL itself must judge
 * (unknown types, bad default expressions) is left to the validator.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../../client/crdb.h"
#include "../import.h"
#include "schema.h"
#include "sql_lex.h"

const char *const datagen_import_form_names[IMPORT_N_FORMS] = {
	"CockroachDB type (INT8, STRING, BYTES, ...)",
	"MySQL type (DATETIME, TINYINT, BLOB, INT(11), UNSIGNED, ...)",
	"SERIAL / BIGSERIAL",
	"AUTO_INCREMENT -> serial",
	"GENERATED AS IDENTITY -> serial",
	"DEFAULT unique_rowid() -> serial",
	"ENUM -> text + CHECK",
	"array type",
	"CockroachDB ::: cast in a default (dropped)",
	"ON UPDATE of a column (dropped)",
	"COMMENT / COLLATE / CHARACTER SET (dropped)",
	"table options after CREATE TABLE (dropped)",
	"INDEX / KEY / UNIQUE INDEX inside CREATE TABLE",
	"separate CREATE INDEX",
	"FAMILY (dropped)",
	"INVERTED / FULLTEXT / SPATIAL or expression index (dropped)",
	"STORING / USING of an index (dropped)",
	"ASC / DESC in a key",
	"key or index name (left to the renderer)",
	"MySQL `backquoted` name",
	"\"quoted\" name",
	"IF NOT EXISTS",
	"several statements in one table_schema entry",
	"other statement (CREATE DATABASE, USE, DROP, SHOW, ...): ignored",
	"entry without CREATE TABLE: ignored",
	"table defined twice: first kept",
	"foreign key to a table not in the schema (dropped)",
	"foreign key to no key, or of another type (dropped)",
	"key or index on a missing column (dropped)",
	"several PRIMARY KEYs: one composite key",
	"computed column expression (dropped)",
	"second foreign key on the same columns (dropped)",
	"table constraint after a column without its comma",
	"literal \\n for a line break",
	"CHECK not starting with a column name (dropped)",
};

/* One token of a DDL text. */
typedef struct Tok
{
	SqlpilotLexKind kind;
	int			start;
	int			end;
	char		word[64];		/* identifiers: lower case (unquoted) or the quoted value */
} Tok;

/* One statement of an entry: tokens [a, b) of its entry. */
typedef struct Stmt
{
	int			entry;
	int			a;
	int			b;
} Stmt;

/* An ENUM type from CREATE TYPE ... AS ENUM: its name and label tokens. */
typedef struct EnumType
{
	char		name[64];
	int			entry;
	int			a;				/* the '(' of the label list */
} EnumType;

/* The conversion of one schema. */
typedef struct Conv
{
	int			n_entries;
	char	  **text;			/* per entry: the text after backquotes were made double quotes */
	Tok		  **tok;
	int		   *n_tok;
	DatagenSchema *s;
	DatagenImportForms *forms;
	EnumType	enums[16];
	int			n_enums;
	char	   *err;
	size_t		errlen;
	bool		oom;			/* an array could not grow: the conversion fails */
} Conv;

/* Counts one form. */
static void
note(Conv *c, DatagenImportForm f)
{
	if (c->forms)
		c->forms->n[f]++;
}

/*
 * realloc(p, n) that notes a failure in c->oom (the conversion then fails
 * with "out of memory"); NULL with p left as it was.
 */
static void *
grow(Conv *c, void *p, size_t n)
{
	void	   *q = realloc(p, n);

	if (!q)
		c->oom = true;
	return q;
}

/* calloc(n, size) that notes a failure in c->oom; NULL then. */
static void *
zalloc(Conv *c, size_t n, size_t size)
{
	void	   *q = calloc(n, size);

	if (!q)
		c->oom = true;
	return q;
}

/* strndup(s, n) that notes a failure in c->oom; NULL then. */
static char *
copy_n(Conv *c, const char *s, size_t n)
{
	char	   *q = strndup(s, n);

	if (!q)
		c->oom = true;
	return q;
}

/* strdup(s) that notes a failure in c->oom; NULL then. */
static char *
copy(Conv *c, const char *s)
{
	return copy_n(c, s, strlen(s));
}

/* The text of buf (taken over), or NULL noted in c->oom when it could not grow. */
static char *
finish(Conv *c, SqlpilotBuf *buf)
{
	char	   *q = sqlpilot_buf_finish(buf, NULL);

	if (!q)
		c->oom = true;
	return q;
}

/* ---- tokens ---- */

/* True when token k of entry e is the unquoted word w. */
static bool
is_kw(const Conv *c, int e, int k, int b, const char *w)
{
	return k < b && c->tok[e][k].kind == SQLPILOT_TOK_IDENT && strcmp(c->tok[e][k].word, w) == 0;
}

/* True when token k of entry e is the one-character punctuation or operator ch. */
static bool
is_ch(const Conv *c, int e, int k, int b, char ch)
{
	const Tok  *t = &c->tok[e][k];

	return k < b && (t->kind == SQLPILOT_TOK_PUNCT || t->kind == SQLPILOT_TOK_OP) &&
		t->end - t->start == 1 && c->text[e][t->start] == ch;
}

/* True when token k can be a name: an identifier, quoted or not. */
static bool
is_name(const Conv *c, int e, int k, int b)
{
	return k < b && (c->tok[e][k].kind == SQLPILOT_TOK_IDENT || c->tok[e][k].kind == SQLPILOT_TOK_QIDENT);
}

/* The name token k means, as written (unquoted: its own case; quoted: its value), malloc'd; NULL out of memory. */
static char *
name_of(Conv *c, int e, int k)
{
	const Tok  *t = &c->tok[e][k];

	if (t->kind == SQLPILOT_TOK_QIDENT)
	{
		note(c, IMPORT_FORM_QUOTED_NAME);
		return copy(c, t->word);
	}
	return copy_n(c, c->text[e] + t->start, (size_t) (t->end - t->start));
}

/* Index just after the ')' matching the '(' at k, or -1 when the text ends first. */
static int
skip_parens(const Conv *c, int e, int k, int b)
{
	int			depth = 0;

	for (; k < b; k++)
	{
		if (is_ch(c, e, k, b, '('))
			depth++;
		else if (is_ch(c, e, k, b, ')') && --depth == 0)
			return k + 1;
	}
	return -1;
}

/* The source text of tokens [a, b) of entry e, malloc'd; NULL out of memory. */
static char *
span_text(Conv *c, int e, int a, int b)
{
	if (a >= b)
		return copy(c, "");
	return copy_n(c, c->text[e] + c->tok[e][a].start,
				  (size_t) (c->tok[e][b - 1].end - c->tok[e][a].start));
}

/* Fails the conversion with a reason. */
static int
fail(Conv *c, const char *fmt, const char *arg)
{
	snprintf(c->err, c->errlen, fmt, arg);
	return -1;
}

/*
 * Copies text with MySQL backquotes made double quotes and literal "\n"
 * made spaces (outside string literals and quoted names), so the lexer reads
 * `a b` as one name and the line breaks as breaks.  NULL out of memory.
 */
static char *
unbackquote(Conv *c, const char *in)
{
	char	   *out = copy(c, in);
	char		quote = 0;
	bool		seen = false,
				newline = false;

	for (char *p = out; p && *p; p++)
	{
		if (quote)
		{
			if (*p == quote)
				quote = 0;
		}
		else if (*p == '\'' || *p == '"')
			quote = *p;
		else if (*p == '`')
		{
			*p = '"';
			seen = true;
		}
		else if (p[0] == '\\' && p[1] == 'n')
		{
			p[0] = p[1] = ' ';
			newline = true;
		}
	}
	if (seen)
		note(c, IMPORT_FORM_BACKQUOTE);
	if (newline)
		note(c, IMPORT_FORM_LITERAL_NEWLINE);
	return out;
}

/* Lexes entry e (comments dropped) into c->tok[e]; -1 when out of memory. */
static int
lex_entry(Conv *c, int e)
{
	SqlpilotLexToken *lt;
	size_t		n = sqlpilot_lex_all(c->text[e], strlen(c->text[e]), false, &lt);

	if (n == (size_t) -1)
	{
		c->oom = true;
		return -1;
	}
	c->tok[e] = zalloc(c, n + 1, sizeof(Tok));
	if (!c->tok[e])
	{
		free(lt);
		return -1;
	}
	c->n_tok[e] = (int) n;
	for (size_t i = 0; i < n; i++)
	{
		Tok		   *t = &c->tok[e][i];

		t->kind = lt[i].kind;
		t->start = (int) lt[i].start;
		t->end = (int) lt[i].end;
		if (t->kind == SQLPILOT_TOK_IDENT || t->kind == SQLPILOT_TOK_QIDENT)
			sqlpilot_lex_ident_value(c->text[e], &lt[i], t->word, sizeof(t->word));
	}
	free(lt);
	return 0;
}

/* ---- tables ---- */

/* Index of the column named name (case-insensitive: PostgreSQL folds both), or -1. */
static int
find_col(const SqlpilotTable *t, const char *name)
{
	for (int i = 0; i < t->n_columns; i++)
		if (strcasecmp(t->columns[i].name, name) == 0)
			return i;
	return -1;
}

/* Index of the table named name (case-insensitive), or -1. */
static int
find_table(const DatagenSchema *s, const char *name)
{
	for (int i = 0; i < s->n_tables; i++)
		if (strcasecmp(s->tables[i].name, name) == 0)
			return i;
	return -1;
}

/* Appends an index (or key) to t and returns it, zeroed; NULL out of memory. */
static SqlpilotIndex *
add_index(Conv *c, SqlpilotTable *t)
{
	SqlpilotIndex *ix = grow(c, t->indexes, sizeof(SqlpilotIndex) * (t->n_indexes + 1));

	if (!ix)
		return NULL;
	t->indexes = ix;
	memset(&t->indexes[t->n_indexes], 0, sizeof(SqlpilotIndex));
	return &t->indexes[t->n_indexes++];
}

/*
 * Appends a CHECK of t (name and expr are t's then; freed out of memory,
 * which a NULL expr means).
 */
static void
add_check(Conv *c, SqlpilotTable *t, char *name, char *expr)
{
	SqlpilotCheck *ck = expr ? grow(c, t->checks, sizeof(SqlpilotCheck) * (t->n_checks + 1)) : NULL;

	if (!ck)
	{
		free(name);
		free(expr);
		return;
	}
	t->checks = ck;
	t->checks[t->n_checks].name = name;
	t->checks[t->n_checks].expr = expr;
	t->n_checks++;
}

/* Appends column name (taken over) to ix's key; false (name freed) out of memory, which a NULL name means. */
static bool
add_key_col(Conv *c, SqlpilotIndex *ix, char *name, bool desc)
{
	char	  **cols = name ? grow(c, ix->cols, sizeof(char *) * (ix->n_cols + 1)) : NULL;
	bool	   *descs;

	if (cols)
		ix->cols = cols;
	descs = cols ? grow(c, ix->desc, sizeof(bool) * (ix->n_cols + 1)) : NULL;
	if (!descs)
	{
		free(name);
		return false;
	}
	ix->desc = descs;
	ix->cols[ix->n_cols] = name;
	ix->desc[ix->n_cols++] = desc;
	return true;
}

/*
 * Reads a key column list "(a [ASC|DESC], b(10), ...)" at k into ix (names
 * as written).  Returns the index after ')', or -1 when an entry is not a
 * plain column (an expression: the caller drops the index).
 */
static int
read_key_cols(Conv *c, int e, int k, int b, SqlpilotIndex *ix)
{
	int			end = skip_parens(c, e, k, b);

	if (end < 0)
		return -1;
	k++;
	while (k < end - 1)
	{
		if (!is_name(c, e, k, end) || !add_key_col(c, ix, name_of(c, e, k), false))
			return -1;
		k++;
		if (is_ch(c, e, k, end, '('))	/* MySQL prefix length */
			k = skip_parens(c, e, k, end);
		if (is_kw(c, e, k, end, "asc") || is_kw(c, e, k, end, "desc"))
		{
			ix->desc[ix->n_cols - 1] = is_kw(c, e, k, end, "desc");
			note(c, IMPORT_FORM_KEY_ORDER);
			k++;
		}
		if (is_kw(c, e, k, end, "nulls"))
			k += 2;
		if (is_ch(c, e, k, end, ','))
			k++;
		else if (k < end - 1)
			return -1;
	}
	return ix->n_cols > 0 ? end : -1;
}

/* The action words of ON DELETE / ON UPDATE at k (CASCADE, SET NULL, NO ACTION, ...), malloc'd upper case. */
static char *
read_action(Conv *c, int e, int *k, int b)
{
	char		buf[140] = "";

	if (is_kw(c, e, *k, b, "set") || is_kw(c, e, *k, b, "no"))
	{
		snprintf(buf, sizeof(buf), "%s %s", c->tok[e][*k].word, *k + 1 < b ? c->tok[e][*k + 1].word : "");
		*k += 2;
	}
	else if (*k < b)
		snprintf(buf, sizeof(buf), "%s", c->tok[e][(*k)++].word);
	for (char *p = buf; *p; p++)
		*p = (char) toupper((unsigned char) *p);
	return copy(c, buf);
}

/*
 * Reads "REFERENCES t [(cols)] [ON DELETE a] [ON UPDATE a] [MATCH x]" at k
 * (just after REFERENCES) into fk (names as written; resolved later;
 * without a column list fk->ref_cols holds NULLs until then).  Returns the
 * index after it, or -1.
 */
static int
read_references(Conv *c, int e, int k, int b, SqlpilotForeignKey *fk)
{
	free(fk->ref_cols);
	fk->ref_cols = zalloc(c, fk->n_cols + 1, sizeof(char *));	/* the primary key's, once known */
	if (!fk->ref_cols || !is_name(c, e, k, b))
		return -1;
	if (is_ch(c, e, k + 1, b, '.'))
		k += 2;					/* public.t: the schema is ours anyway */
	fk->ref_table = name_of(c, e, k);
	if (!fk->ref_table)
		return -1;
	k++;
	if (is_ch(c, e, k, b, '('))
	{
		SqlpilotIndex tmp = {0};

		k = read_key_cols(c, e, k, b, &tmp);
		free(tmp.desc);
		if (k < 0 || tmp.n_cols != fk->n_cols)
		{
			for (int i = 0; i < tmp.n_cols; i++)
				free(tmp.cols[i]);
			free(tmp.cols);
			return -1;
		}
		free(fk->ref_cols);
		fk->ref_cols = tmp.cols;
	}
	while (k < b)
	{
		if (is_kw(c, e, k, b, "on") && is_kw(c, e, k + 1, b, "delete"))
		{
			k += 2;
			free(fk->on_delete);
			fk->on_delete = read_action(c, e, &k, b);
		}
		else if (is_kw(c, e, k, b, "on") && is_kw(c, e, k + 1, b, "update"))
		{
			k += 2;
			free(fk->on_update);
			fk->on_update = read_action(c, e, &k, b);
		}
		else if (is_kw(c, e, k, b, "match") || is_kw(c, e, k, b, "deferrable") ||
				 is_kw(c, e, k, b, "initially"))
			k += is_kw(c, e, k, b, "deferrable") ? 1 : 2;
		else
			break;
	}
	return k;
}

/* Appends a pending foreign key to t (resolved once every table is known); NULL out of memory. */
static SqlpilotForeignKey *
add_fkey(Conv *c, SqlpilotTable *t)
{
	SqlpilotForeignKey *fk = grow(c, t->fkeys, sizeof(SqlpilotForeignKey) * (t->n_fkeys + 1));

	if (!fk)
		return NULL;
	t->fkeys = fk;
	memset(&t->fkeys[t->n_fkeys], 0, sizeof(SqlpilotForeignKey));
	return &t->fkeys[t->n_fkeys++];
}

/* One base type spelling and its format_type() form. */
typedef struct TypeMap
{
	const char *spelling;
	const char *pg;
	int			form;			/* IMPORT_FORM_CRDB_TYPE, IMPORT_FORM_MYSQL_TYPE or -1 */
	bool		keep_mod;		/* keep "(n)" / "(p,s)" */
	int			serial;			/* 1: a serial type */
} TypeMap;

static const TypeMap type_map[] = {
	{"int", "integer", -1, false, 0}, {"integer", "integer", -1, false, 0},
	{"int4", "integer", IMPORT_FORM_CRDB_TYPE, false, 0},
	{"mediumint", "integer", IMPORT_FORM_MYSQL_TYPE, false, 0},
	{"year", "integer", IMPORT_FORM_MYSQL_TYPE, false, 0},
	{"bigint", "bigint", -1, false, 0}, {"int8", "bigint", IMPORT_FORM_CRDB_TYPE, false, 0},
	{"int64", "bigint", IMPORT_FORM_CRDB_TYPE, false, 0},
	{"smallint", "smallint", -1, false, 0}, {"int2", "smallint", IMPORT_FORM_CRDB_TYPE, false, 0},
	{"tinyint", "smallint", IMPORT_FORM_MYSQL_TYPE, false, 0},
	{"serial", "integer", -1, false, 1}, {"serial4", "integer", -1, false, 1},
	{"bigserial", "bigint", -1, false, 1}, {"serial8", "bigint", -1, false, 1},
	{"smallserial", "smallint", -1, false, 1}, {"serial2", "smallint", -1, false, 1},
	{"text", "text", -1, false, 0}, {"string", "text", IMPORT_FORM_CRDB_TYPE, false, 0},
	{"tinytext", "text", IMPORT_FORM_MYSQL_TYPE, false, 0},
	{"mediumtext", "text", IMPORT_FORM_MYSQL_TYPE, false, 0},
	{"longtext", "text", IMPORT_FORM_MYSQL_TYPE, false, 0},
	{"varchar", "character varying", -1, true, 0},
	{"character varying", "character varying", -1, true, 0},
	{"nvarchar", "character varying", IMPORT_FORM_MYSQL_TYPE, true, 0},
	{"char", "character", -1, true, 0}, {"character", "character", -1, true, 0},
	{"nchar", "character", IMPORT_FORM_MYSQL_TYPE, true, 0},
	{"decimal", "numeric", -1, true, 0}, {"numeric", "numeric", -1, true, 0},
	{"dec", "numeric", -1, true, 0},
	{"float", "double precision", -1, false, 0}, {"double", "double precision", IMPORT_FORM_MYSQL_TYPE, false, 0},
	{"double precision", "double precision", -1, false, 0},
	{"float8", "double precision", IMPORT_FORM_CRDB_TYPE, false, 0},
	{"real", "real", -1, false, 0}, {"float4", "real", IMPORT_FORM_CRDB_TYPE, false, 0},
	{"bool", "boolean", -1, false, 0}, {"boolean", "boolean", -1, false, 0},
	{"timestamp", "timestamp without time zone", -1, true, 0},
	{"timestamp without time zone", "timestamp without time zone", -1, true, 0},
	{"datetime", "timestamp without time zone", IMPORT_FORM_MYSQL_TYPE, true, 0},
	{"timestamptz", "timestamp with time zone", -1, true, 0},
	{"timestamp with time zone", "timestamp with time zone", -1, true, 0},
	{"time", "time without time zone", -1, true, 0},
	{"time without time zone", "time without time zone", -1, true, 0},
	{"timetz", "time with time zone", -1, true, 0},
	{"time with time zone", "time with time zone", -1, true, 0},
	{"bytea", "bytea", -1, false, 0}, {"bytes", "bytea", IMPORT_FORM_CRDB_TYPE, false, 0},
	{"blob", "bytea", IMPORT_FORM_MYSQL_TYPE, false, 0},
	{"tinyblob", "bytea", IMPORT_FORM_MYSQL_TYPE, false, 0},
	{"mediumblob", "bytea", IMPORT_FORM_MYSQL_TYPE, false, 0},
	{"longblob", "bytea", IMPORT_FORM_MYSQL_TYPE, false, 0},
	{"binary", "bytea", IMPORT_FORM_MYSQL_TYPE, false, 0},
	{"varbinary", "bytea", IMPORT_FORM_MYSQL_TYPE, false, 0},
	{"bit varying", "bit varying", -1, true, 0}, {"varbit", "bit varying", IMPORT_FORM_CRDB_TYPE, true, 0},
	{"json", "json", -1, false, 0}, {"jsonb", "jsonb", -1, false, 0},
};

/* Words that may continue a type name: DOUBLE PRECISION, CHARACTER VARYING, ... WITH TIME ZONE. */
static bool
type_word(const char *w)
{
	static const char *const words[] = {"precision", "varying", "with", "without", "time", "zone"};

	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strcmp(w, words[i]) == 0)
			return true;
	return false;
}

/* A column's type as read: format_type() spelling, and what else it implies. */
typedef struct ColType
{
	char		pg[160];
	bool		serial;
	int			enum_entry;		/* ENUM('a', ...): entry and '(' token of its labels, or -1 */
	int			enum_a;
} ColType;

/*
 * Reads a column type at k: base words, "(mod)", MySQL UNSIGNED / ZEROFILL,
 * array forms.  Returns the index after it, or -1 when there is no type.
 */
static int
read_type(Conv *c, int e, int k, int b, ColType *ct)
{
	char		base[96] = "";
	char		mod[64] = "";
	int			dims = 0;
	const TypeMap *tm = NULL;

	ct->serial = false;
	ct->enum_entry = -1;
	if (!is_name(c, e, k, b) || c->tok[e][k].kind != SQLPILOT_TOK_IDENT)
		return -1;
	snprintf(base, sizeof(base), "%s", c->tok[e][k++].word);
	for (;;)
	{
		if (is_ch(c, e, k, b, '(') && !mod[0])
		{
			int			end = skip_parens(c, e, k, b);
			size_t		m = 0;

			if (end < 0)
				return -1;
			if (strcmp(base, "enum") == 0)
			{
				ct->enum_entry = e;
				ct->enum_a = k;
			}
			else
				for (int i = c->tok[e][k].start; i < c->tok[e][end - 1].end && m + 1 < sizeof(mod); i++)
					if (!isspace((unsigned char) c->text[e][i]))
						mod[m++] = c->text[e][i];
			mod[m] = '\0';
			k = end;
		}
		else if (k < b && c->tok[e][k].kind == SQLPILOT_TOK_IDENT && type_word(c->tok[e][k].word) &&
				 strlen(base) + strlen(c->tok[e][k].word) + 2 < sizeof(base) &&
				 !(strcmp(c->tok[e][k].word, "time") == 0 && strstr(base, "with") == NULL))
		{
			strcat(base, " ");
			strcat(base, c->tok[e][k++].word);
		}
		else if (is_kw(c, e, k, b, "unsigned") || is_kw(c, e, k, b, "signed") ||
				 is_kw(c, e, k, b, "zerofill"))
		{
			note(c, IMPORT_FORM_MYSQL_TYPE);
			k++;
		}
		else if (is_ch(c, e, k, b, '['))
		{
			while (k < b && !is_ch(c, e, k, b, ']'))
				k++;
			k++;
			dims++;
		}
		else if (is_kw(c, e, k, b, "array"))
		{
			k++;
			dims++;
		}
		else
			break;
	}
	if (strcmp(base, "array") == 0 && is_ch(c, e, k, b, '<') && is_name(c, e, k + 1, b) &&
		is_ch(c, e, k + 2, b, '>'))
	{
		/* ARRAY<STRING> */
		snprintf(base, sizeof(base), "%s", c->tok[e][k + 1].word);
		k += 3;
		dims++;
	}
	if (strcmp(base, "enum") == 0)
	{
		if (ct->enum_entry < 0)
			return -1;
		snprintf(ct->pg, sizeof(ct->pg), "text");
		return k;
	}
	for (int i = 0; i < c->n_enums; i++)
		if (strcasecmp(c->enums[i].name, base) == 0)
		{
			ct->enum_entry = c->enums[i].entry;
			ct->enum_a = c->enums[i].a;
			snprintf(ct->pg, sizeof(ct->pg), "text");
			return k;
		}
	for (size_t i = 0; i < sizeof(type_map) / sizeof(type_map[0]) && !tm; i++)
		if (strcmp(base, type_map[i].spelling) == 0)
			tm = &type_map[i];
	if (dims > 0)
		note(c, IMPORT_FORM_ARRAY);
	if (!tm)
	{
		/* unknown to us: PostgreSQL judges it */
		snprintf(ct->pg, sizeof(ct->pg), "%s%s", base, mod);
	}
	else
	{
		const char *m = tm->keep_mod ? mod : "";

		if (tm->form >= 0)
			note(c, tm->form);
		if (mod[0] && !tm->keep_mod && tm->form != IMPORT_FORM_CRDB_TYPE)
			note(c, IMPORT_FORM_MYSQL_TYPE);
		if (tm->serial)
		{
			note(c, IMPORT_FORM_SERIAL);
			ct->serial = true;
		}
		if (strcmp(base, "string") == 0 && mod[0])
			snprintf(ct->pg, sizeof(ct->pg), "character varying%s", mod);
		else if (strcmp(tm->pg, "character") == 0 && !mod[0])
			snprintf(ct->pg, sizeof(ct->pg), "character(1)");
		else if (m[0] && strncmp(tm->pg, "time", 4) == 0)
		{
			/* "timestamp(3) without time zone" */
			const char *sp = strchr(tm->pg, ' ');

			snprintf(ct->pg, sizeof(ct->pg), "%.*s%s%s", (int) (sp - tm->pg), tm->pg, m, sp);
		}
		else
			snprintf(ct->pg, sizeof(ct->pg), "%s%s", tm->pg, m);
	}
	for (int d = 0; d < dims && strlen(ct->pg) + 3 < sizeof(ct->pg); d++)
		strcat(ct->pg, "[]");
	return k;
}

/* True when a word starts a column clause (where a DEFAULT expression ends). */
static bool
clause_word(const char *w)
{
	static const char *const words[] = {"not", "null", "primary", "unique", "references", "check",
		"constraint", "on", "comment", "auto_increment", "autoincrement", "collate", "generated",
	"family", "default", "key", "unsigned", "zerofill"};

	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strcmp(w, words[i]) == 0)
			return true;
	return false;
}

/* Index of the end of an expression starting at k: the next clause word at depth 0, or b. */
static int
expr_end(const Conv *c, int e, int k, int b)
{
	int			depth = 0;

	for (; k < b; k++)
	{
		if (is_ch(c, e, k, b, '('))
			depth++;
		else if (is_ch(c, e, k, b, ')'))
			depth--;
		else if (depth == 0 && c->tok[e][k].kind == SQLPILOT_TOK_IDENT && clause_word(c->tok[e][k].word))
			return k;
	}
	return b;
}

/*
 * The text of an expression, tokens [a, z) of entry e, with CockroachDB
 * ':::type' casts dropped; malloc'd, NULL out of memory.
 */
static char *
expr_text(Conv *c, int e, int a, int z)
{
	SqlpilotBuf	buf = {0};

	for (int k = a; k < z; k++)
	{
		const Tok  *t = &c->tok[e][k];

		/* ':::' lexes as "::" then ":" */
		if (t->kind == SQLPILOT_TOK_PUNCT && t->end - t->start == 2 && is_ch(c, e, k + 1, z, ':'))
		{
			note(c, IMPORT_FORM_CRDB_CAST);
			k += 2;
			while (k + 1 < z && is_kw(c, e, k + 1, z, "precision"))
				k++;
			continue;
		}
		if (k > a && c->tok[e][k - 1].end < t->start)
			sqlpilot_buf_append(&buf, " ", 1);
		sqlpilot_buf_append(&buf, c->text[e] + t->start, (size_t) (t->end - t->start));
	}
	return finish(c, &buf);
}

/* A default expression from tokens [a, z); NULL for DEFAULT NULL and unique_rowid() (*rowid set). */
static char *
default_expr(Conv *c, int e, int a, int z, bool *rowid)
{
	*rowid = false;
	if (z == a + 1 && is_kw(c, e, a, z, "null"))
		return NULL;
	if (is_kw(c, e, a, z, "unique_rowid"))
	{
		*rowid = true;
		return NULL;
	}
	return expr_text(c, e, a, z);
}

/* Makes column ci of t a serial column (integer types only): a nextval default, NOT NULL. */
static void
make_serial(Conv *c, SqlpilotTable *t, int ci)
{
	SqlpilotColumn *col = &t->columns[ci];
	char		seq[300];

	if (strcmp(col->type, "integer") != 0 && strcmp(col->type, "bigint") != 0 &&
		strcmp(col->type, "smallint") != 0)
		return;
	snprintf(seq, sizeof(seq), "nextval('%s_%s_seq'::regclass)", t->name, col->name);
	free(col->default_expr);
	col->default_expr = copy(c, seq);
	col->not_null = true;
}

/* Adds "col IN ('a', 'b')" for an ENUM column, from the label list at the '(' token ea of entry ee. */
static void
enum_check(Conv *c, SqlpilotTable *t, int ci, int ee, int ea)
{
	int			end = skip_parens(c, ee, ea, c->n_tok[ee]);
	char		q[160];
	SqlpilotBuf	buf = {0};
	char	   *labels;

	note(c, IMPORT_FORM_ENUM);
	if (end < 0)
		return;
	labels = span_text(c, ee, ea, end);
	if (!labels)
		return;
	/* a quoted name is never empty: 0 is the renderer out of memory */
	if (sqlpilot_schema_quote_ident(t->columns[ci].name, true, q, sizeof(q)) == 0)
	{
		c->oom = true;
		free(labels);
		return;
	}
	sqlpilot_buf_printf(&buf, "%s IN %s", q, labels);
	free(labels);
	add_check(c, t, NULL, finish(c, &buf));
}

static int	read_table_element(Conv *c, int e, int k, int b, SqlpilotTable *t, SqlpilotIndex *pk);

/*
 * Reads a column definition (tokens [k, b) of entry e) into table t:
 * name, type, then clauses.  Column keys become table keys (pk_cols
 * collects PRIMARY KEY columns).  -1 with err on what cannot be read.
 */
static int
read_column(Conv *c, int e, int k, int b, SqlpilotTable *t, SqlpilotIndex *pk_cols)
{
	SqlpilotColumn *col;
	ColType		ct;
	int			ci = t->n_columns;
	bool		serial = false;

	col = grow(c, t->columns, sizeof(SqlpilotColumn) * (t->n_columns + 1));
	if (!col)
		return -1;
	t->columns = col;
	col = &t->columns[t->n_columns++];
	memset(col, 0, sizeof(*col));
	col->name = name_of(c, e, k);
	if (!col->name)
		return -1;
	k = read_type(c, e, k + 1, b, &ct);
	if (k < 0)
		return fail(c, "%s", "a column without a type we can read");
	col->type = copy(c, ct.pg);
	if (!col->type)
		return -1;
	serial = ct.serial;
	if (ct.enum_entry >= 0)
		enum_check(c, t, ci, ct.enum_entry, ct.enum_a);
	while (k < b)
	{
		const char *w = c->tok[e][k].word;

		if (c->tok[e][k].kind != SQLPILOT_TOK_IDENT)
			return fail(c, "%s", "a column definition we cannot read");
		if ((strcmp(w, "foreign") == 0 && is_kw(c, e, k + 1, b, "key")) ||
			(strcmp(w, "primary") == 0 && is_kw(c, e, k + 1, b, "key") && is_ch(c, e, k + 2, b, '(')) ||
			(strcmp(w, "constraint") == 0 && is_name(c, e, k + 1, b) &&
			 (is_kw(c, e, k + 2, b, "foreign") ||
			  (is_kw(c, e, k + 2, b, "primary") && is_ch(c, e, k + 4, b, '(')))))
		{
			/* the comma before a table constraint is missing */
			note(c, IMPORT_FORM_MISSING_COMMA);
			if (serial)
				make_serial(c, t, ci);
			return read_table_element(c, e, k, b, t, pk_cols) < 0 ? -1 : 0;
		}
		if (strcmp(w, "not") == 0 && is_kw(c, e, k + 1, b, "null"))
		{
			t->columns[ci].not_null = true;
			k += 2;
		}
		else if (strcmp(w, "null") == 0)
			k++;
		else if (strcmp(w, "primary") == 0 && is_kw(c, e, k + 1, b, "key"))
		{
			if (pk_cols->n_cols > 0)
				note(c, IMPORT_FORM_MULTI_PRIMARY);
			if (!add_key_col(c, pk_cols, copy(c, t->columns[ci].name), is_kw(c, e, k + 2, b, "desc")))
				return -1;
			k += 2;
			if (is_kw(c, e, k, b, "asc") || is_kw(c, e, k, b, "desc"))
			{
				note(c, IMPORT_FORM_KEY_ORDER);
				k++;
			}
		}
		else if (strcmp(w, "unique") == 0)
		{
			SqlpilotIndex *ix = add_index(c, t);

			if (!ix || !add_key_col(c, ix, copy(c, t->columns[ci].name), false))
				return -1;
			ix->unique = ix->is_constraint = true;
			k += is_kw(c, e, k + 1, b, "key") ? 2 : 1;
		}
		else if (strcmp(w, "default") == 0 && is_kw(c, e, k + 1, b, "null"))
			k += 2;
		else if (strcmp(w, "default") == 0)
		{
			int			z = expr_end(c, e, k + 1, b);
			bool		rowid;

			if (z == k + 1)
				return fail(c, "%s", "DEFAULT without an expression");
			free(t->columns[ci].default_expr);
			t->columns[ci].default_expr = default_expr(c, e, k + 1, z, &rowid);
			if (rowid)
			{
				note(c, IMPORT_FORM_UNIQUE_ROWID);
				serial = true;
			}
			k = z;
		}
		else if (strcmp(w, "references") == 0)
		{
			SqlpilotForeignKey *fk = add_fkey(c, t);

			if (!fk)
				return -1;
			fk->cols = zalloc(c, 1, sizeof(char *));
			if (!fk->cols || !(fk->cols[0] = copy(c, t->columns[ci].name)))
				return -1;
			fk->n_cols = 1;
			k = read_references(c, e, k + 1, b, fk);
			if (k < 0)
				return fail(c, "%s", "a REFERENCES clause we cannot read");
		}
		else if (strcmp(w, "check") == 0 && is_ch(c, e, k + 1, b, '('))
		{
			int			z = skip_parens(c, e, k + 1, b);

			if (z < 0)
				return fail(c, "%s", "an unclosed CHECK");
			add_check(c, t, NULL, expr_text(c, e, k + 2, z - 1));
			k = z;
		}
		else if (strcmp(w, "constraint") == 0 && is_name(c, e, k + 1, b))
			k += 2;
		else if (strcmp(w, "auto_increment") == 0 || strcmp(w, "autoincrement") == 0)
		{
			note(c, IMPORT_FORM_AUTO_INCREMENT);
			serial = true;
			k++;
		}
		else if (strcmp(w, "generated") == 0 || strcmp(w, "as") == 0)
		{
			int			z = k;

			while (z < b && !is_kw(c, e, z, b, "identity") && !is_ch(c, e, z, b, '('))
				z++;
			if (is_kw(c, e, z, b, "identity"))
			{
				note(c, IMPORT_FORM_IDENTITY);
				serial = true;
				k = z + 1;
				if (is_ch(c, e, k, b, '('))
					k = skip_parens(c, e, k, b);
			}
			else
			{
				note(c, IMPORT_FORM_GENERATED);
				k = z < b ? skip_parens(c, e, z, b) : -1;
				if (is_kw(c, e, k, b, "stored") || is_kw(c, e, k, b, "virtual"))
					k++;
			}
			if (k < 0)
				return fail(c, "%s", "a computed column we cannot read");
		}
		else if (strcmp(w, "on") == 0 && is_kw(c, e, k + 1, b, "update"))
		{
			note(c, IMPORT_FORM_ON_UPDATE);
			k = expr_end(c, e, k + 2, b);
		}
		else if (strcmp(w, "comment") == 0 || strcmp(w, "collate") == 0 || strcmp(w, "charset") == 0 ||
				 (strcmp(w, "character") == 0 && is_kw(c, e, k + 1, b, "set")))
		{
			note(c, IMPORT_FORM_COMMENT);
			k += strcmp(w, "character") == 0 ? 3 : 2;
		}
		else if (strcmp(w, "family") == 0)
		{
			note(c, IMPORT_FORM_FAMILY);
			k += 2;
		}
		else
			return fail(c, "unknown column clause %s", w);
	}
	if (serial)
		make_serial(c, t, ci);
	return 0;
}

/*
 * Makes key columns cols the spelling of t's columns; false when one names a
 * missing column (the caller drops the key) or out of memory.
 */
static bool
resolve_key_cols(Conv *c, const SqlpilotTable *t, char **cols, int n)
{
	for (int k = 0; k < n; k++)
	{
		int			ci = find_col(t, cols[k]);

		if (ci < 0)
		{
			note(c, IMPORT_FORM_KEY_NO_COLUMN);
			return false;
		}
		free(cols[k]);
		cols[k] = copy(c, t->columns[ci].name);
		if (!cols[k])
			return false;
	}
	return true;
}

/* True when word is a type we know (a column "key INT" is no index "KEY name (cols)"). */
static bool
known_type(const Conv *c, const char *word)
{
	for (size_t i = 0; i < sizeof(type_map) / sizeof(type_map[0]); i++)
		if (strcmp(word, type_map[i].spelling) == 0)
			return true;
	for (int i = 0; i < c->n_enums; i++)
		if (strcasecmp(word, c->enums[i].name) == 0)
			return true;
	return strcmp(word, "enum") == 0;
}

/* True when the word at k (INDEX, KEY, FAMILY) is followed by "(cols)" or "name (cols)", not a type. */
static bool
index_like(const Conv *c, int e, int k, int b)
{
	if (is_ch(c, e, k + 1, b, '('))
		return true;
	return is_name(c, e, k + 1, b) && !known_type(c, c->tok[e][k + 1].word) &&
		(is_ch(c, e, k + 2, b, '(') || is_kw(c, e, k + 2, b, "using"));
}

/*
 * Reads a table constraint or index element at k (tokens [k, b)):
 * [CONSTRAINT name] PRIMARY KEY / UNIQUE / FOREIGN KEY / CHECK, INDEX, KEY,
 * FAMILY, INVERTED / FULLTEXT / SPATIAL INDEX.  Returns 1 when it was one
 * (read or dropped), 0 when the element is a column, -1 with err.
 */
static int
read_table_element(Conv *c, int e, int k, int b, SqlpilotTable *t, SqlpilotIndex *pk)
{
	char	   *cname = NULL;
	int			r = 1;

	if (is_kw(c, e, k, b, "constraint") && is_name(c, e, k + 1, b))
	{
		cname = name_of(c, e, k + 1);
		k += 2;
	}
	if (is_kw(c, e, k, b, "primary") && is_kw(c, e, k + 1, b, "key"))
	{
		SqlpilotIndex tmp = {0};

		if (cname)
			note(c, IMPORT_FORM_PRIMARY_NAME);
		if (read_key_cols(c, e, k + 2, b, &tmp) < 0)
		{
			sqlpilot_crdb_index_free(&tmp);
			free(cname);
			return fail(c, "%s", "a PRIMARY KEY we cannot read");
		}
		if (pk->n_cols > 0)
		{
			note(c, IMPORT_FORM_MULTI_PRIMARY);
			sqlpilot_crdb_index_free(pk);
		}
		*pk = tmp;
	}
	else if (is_kw(c, e, k, b, "unique") ||
			 ((is_kw(c, e, k, b, "index") || is_kw(c, e, k, b, "key")) && index_like(c, e, k, b)))
	{
		bool		unique = is_kw(c, e, k, b, "unique");
		bool		word = false;
		SqlpilotIndex *ix;
		int			z;

		if (unique)
			k++;
		if (is_kw(c, e, k, b, "index") || is_kw(c, e, k, b, "key"))
		{
			word = true;
			k++;
		}
		if (word)
			note(c, IMPORT_FORM_INLINE_INDEX);
		if (!is_ch(c, e, k, b, '(') && is_name(c, e, k, b))
		{
			free(cname);
			cname = name_of(c, e, k++);
		}
		ix = add_index(c, t);
		if (!ix)
		{
			free(cname);
			return -1;
		}
		ix->unique = unique;
		ix->is_constraint = unique && !word;
		ix->name = cname;
		cname = NULL;
		if (is_kw(c, e, k, b, "using"))
			k += 2;
		z = read_key_cols(c, e, k, b, ix);
		if (z < 0)
		{
			note(c, IMPORT_FORM_INDEX_DROPPED);
			sqlpilot_crdb_index_free(ix);
			t->n_indexes--;
		}
		else if (z < b)
			note(c, IMPORT_FORM_STORING);
	}
	else if (is_kw(c, e, k, b, "foreign") && is_kw(c, e, k + 1, b, "key"))
	{
		SqlpilotForeignKey *fk = add_fkey(c, t);
		SqlpilotIndex tmp = {0};
		int			z;

		if (!fk)
		{
			free(cname);
			return -1;
		}
		z = read_key_cols(c, e, k + 2, b, &tmp);
		fk->cols = tmp.cols;
		fk->n_cols = tmp.n_cols;
		free(tmp.desc);
		fk->name = cname;
		cname = NULL;
		if (z < 0 || !is_kw(c, e, z, b, "references") || read_references(c, e, z + 1, b, fk) < 0)
			return fail(c, "%s", "a FOREIGN KEY we cannot read");
	}
	else if (is_kw(c, e, k, b, "check") && is_ch(c, e, k + 1, b, '('))
	{
		int			z = skip_parens(c, e, k + 1, b);

		if (z < 0)
		{
			free(cname);
			return fail(c, "%s", "an unclosed CHECK");
		}
		add_check(c, t, cname, expr_text(c, e, k + 2, z - 1));
		cname = NULL;
	}
	else if (is_kw(c, e, k, b, "family") && index_like(c, e, k, b))
		note(c, IMPORT_FORM_FAMILY);
	else if ((is_kw(c, e, k, b, "inverted") || is_kw(c, e, k, b, "fulltext") ||
			  is_kw(c, e, k, b, "spatial")) && (is_kw(c, e, k + 1, b, "index") || is_kw(c, e, k + 1, b, "key")))
		note(c, IMPORT_FORM_INDEX_DROPPED);
	else if (cname)
	{
		free(cname);
		return fail(c, "%s", "a CONSTRAINT we cannot read");
	}
	else
		r = 0;
	free(cname);
	return r;
}

/* Reads CREATE TABLE (tokens [a, b) of entry e) into a new table of s. */
static int
read_create_table(Conv *c, int e, int a, int b)
{
	DatagenSchema *s = c->s;
	SqlpilotTable *t;
	SqlpilotIndex pk = {0};
	int			k = a + 2;
	int			close;
	char	   *name;

	if (is_kw(c, e, k, b, "if") && is_kw(c, e, k + 1, b, "not") && is_kw(c, e, k + 2, b, "exists"))
	{
		note(c, IMPORT_FORM_IF_NOT_EXISTS);
		k += 3;
	}
	if (!is_name(c, e, k, b))
		return fail(c, "%s", "CREATE TABLE without a name");
	if (is_ch(c, e, k + 1, b, '.'))
		return fail(c, "%s", "schema-qualified table name");
	if (!is_ch(c, e, k + 1, b, '('))
		return fail(c, "%s", "CREATE TABLE without a column list");
	close = skip_parens(c, e, k + 1, b);
	if (close < 0)
		return fail(c, "%s", "CREATE TABLE cut off");
	name = name_of(c, e, k);
	if (!name)
		return -1;
	if (find_table(s, name) >= 0)
	{
		note(c, IMPORT_FORM_DUPLICATE_TABLE);
		free(name);
		return 0;
	}
	if (s->n_tables >= DATAGEN_IMPORT_MAX_TABLES)
	{
		free(name);
		return fail(c, "%s", "more than 64 tables");
	}
	if (close < b)
		note(c, IMPORT_FORM_TABLE_OPTIONS);
	t = grow(c, s->tables, sizeof(SqlpilotTable) * (s->n_tables + 1));
	if (!t)
	{
		free(name);
		return -1;
	}
	s->tables = t;
	t = &s->tables[s->n_tables++];
	memset(t, 0, sizeof(*t));
	t->schema = copy(c, "public");
	t->name = name;
	if (!t->schema)
		return -1;
	t->fold_case = true;
	/* the elements, split at commas of depth 1 */
	k += 2;
	while (k < close - 1)
	{
		int			z = k,
					depth = 0,
					r;

		while (z < close - 1 && !(depth == 0 && is_ch(c, e, z, close, ',')))
		{
			if (is_ch(c, e, z, close, '('))
				depth++;
			else if (is_ch(c, e, z, close, ')'))
				depth--;
			z++;
		}
		if (z > k)
		{
			r = read_table_element(c, e, k, z, t, &pk);
			if (r == 0 && !is_name(c, e, k, z))
				r = fail(c, "%s", "a column definition without a name");
			else if (r == 0)
			{
				if (find_col(t, c->tok[e][k].word) >= 0)
					r = fail(c, "%s", "duplicate column");
				else
					r = read_column(c, e, k, z, t, &pk);
			}
			if (r < 0 || c->oom)
			{
				sqlpilot_crdb_index_free(&pk);
				return -1;
			}
		}
		k = z + 1;
	}
	if (t->n_columns == 0)
	{
		sqlpilot_crdb_index_free(&pk);
		return fail(c, "%s", "a table without columns");
	}
	/* keys: the primary key first, names left to the renderer unless unique in the schema */
	if (pk.n_cols > 0 && resolve_key_cols(c, t, pk.cols, pk.n_cols))
	{
		if (!add_index(c, t))
		{
			sqlpilot_crdb_index_free(&pk);
			return -1;
		}
		memmove(t->indexes + 1, t->indexes, sizeof(SqlpilotIndex) * (t->n_indexes - 1));
		pk.primary = pk.unique = pk.is_constraint = true;
		t->indexes[0] = pk;
		for (int i = 0; i < pk.n_cols; i++)
			t->columns[find_col(t, pk.cols[i])].not_null = true;
	}
	else
		sqlpilot_crdb_index_free(&pk);
	/*
	 * Name randomization (datagen_randomize) renames a CHECK through the
	 * column name its text starts with; others would keep stale names.
	 */
	for (int i = t->n_checks - 1; i >= 0; i--)
	{
		const char *x = t->checks[i].expr;
		size_t		w = strcspn(x, " ");
		bool		starts_with_col = false;

		for (int ci = 0; ci < t->n_columns && !starts_with_col; ci++)
			starts_with_col = strlen(t->columns[ci].name) == w &&
				strncmp(t->columns[ci].name, x, w) == 0 &&
				!sqlpilot_schema_needs_quotes(t->columns[ci].name, true);
		if (starts_with_col)
			continue;
		note(c, IMPORT_FORM_CHECK_DROPPED);
		free(t->checks[i].name);
		free(t->checks[i].expr);
		memmove(&t->checks[i], &t->checks[i + 1], sizeof(SqlpilotCheck) * (t->n_checks - i - 1));
		t->n_checks--;
	}
	for (int i = t->n_indexes - 1; i >= 0; i--)
		if (!t->indexes[i].primary && !resolve_key_cols(c, t, t->indexes[i].cols, t->indexes[i].n_cols))
		{
			sqlpilot_crdb_index_free(&t->indexes[i]);
			memmove(&t->indexes[i], &t->indexes[i + 1], sizeof(SqlpilotIndex) * (t->n_indexes - i - 1));
			t->n_indexes--;
		}
	return 0;
}

/* Reads CREATE [UNIQUE] INDEX [IF NOT EXISTS] [name] ON t [USING m] (cols) into t's indexes. */
static int
read_create_index(Conv *c, int e, int a, int b)
{
	int			k = a + 1;
	bool		unique = is_kw(c, e, k, b, "unique");
	char	   *name = NULL;
	int			ti;
	SqlpilotTable *t;
	SqlpilotIndex *ix;

	note(c, IMPORT_FORM_CREATE_INDEX);
	k += unique ? 2 : 1;
	if (is_kw(c, e, k, b, "concurrently"))
		k++;
	if (is_kw(c, e, k, b, "if"))
		k += 3;
	if (!is_kw(c, e, k, b, "on") && is_name(c, e, k, b))
		name = name_of(c, e, k++);
	if (!is_kw(c, e, k, b, "on") || !is_name(c, e, k + 1, b))
	{
		free(name);
		note(c, IMPORT_FORM_INDEX_DROPPED);
		return 0;
	}
	ti = find_table(c->s, c->tok[e][k + 1].word);
	k += 2;
	if (is_kw(c, e, k, b, "using"))
		k += 2;
	if (ti < 0)
	{
		free(name);
		note(c, IMPORT_FORM_INDEX_DROPPED);
		return 0;
	}
	t = &c->s->tables[ti];
	ix = add_index(c, t);
	if (!ix)
	{
		free(name);
		return -1;
	}
	ix->unique = unique;
	ix->name = name;
	if (read_key_cols(c, e, k, b, ix) < 0 || !resolve_key_cols(c, t, ix->cols, ix->n_cols))
	{
		note(c, IMPORT_FORM_INDEX_DROPPED);
		sqlpilot_crdb_index_free(ix);
		t->n_indexes--;
	}
	return 0;
}

/* The kind of comparison a type takes part in: types of two kinds cannot make a foreign key. */
static int
type_family(const char *type)
{
	static const char *const numbers[] = {"integer", "bigint", "smallint", "numeric", "real",
	"double precision"};
	static const char *const strings[] = {"text", "character varying", "character"};

	if (strchr(type, '['))
		return 3;
	for (size_t i = 0; i < sizeof(numbers) / sizeof(numbers[0]); i++)
		if (strncmp(type, numbers[i], strlen(numbers[i])) == 0)
			return 1;
	for (size_t i = 0; i < sizeof(strings) / sizeof(strings[0]); i++)
		if (strncmp(type, strings[i], strlen(strings[i])) == 0)
			return 2;
	return 4 + (int) (type[0]);
}

/* True when cols (n of them) are exactly the columns of a primary key or unique index of t. */
static bool
is_key_of(const SqlpilotTable *t, char **cols, int n)
{
	for (int i = 0; i < t->n_indexes; i++)
	{
		const SqlpilotIndex *ix = &t->indexes[i];
		int			hit = 0;

		if (!ix->unique || ix->n_cols != n)
			continue;
		for (int k = 0; k < n; k++)
			for (int j = 0; j < n; j++)
				hit += strcasecmp(ix->cols[j], cols[k]) == 0;
		if (hit == n)
			return true;
	}
	return false;
}

/*
 * Resolves table ti's foreign keys against the schema: names made those of
 * the columns, referenced columns defaulted to the primary key; keys
 * PostgreSQL would refuse are dropped.  Single-column ones become links.
 */
static void
resolve_fkeys(Conv *c, int ti)
{
	DatagenSchema *s = c->s;
	SqlpilotTable *t = &s->tables[ti];
	DatagenLink *links;

	for (int i = t->n_fkeys - 1; i >= 0; i--)
	{
		SqlpilotForeignKey *fk = &t->fkeys[i];
		int			pi = find_table(s, fk->ref_table);
		SqlpilotTable *p = pi >= 0 ? &s->tables[pi] : NULL;
		bool		keep = p != NULL;

		if (!p)
			note(c, IMPORT_FORM_FKEY_NO_TABLE);
		if (keep && !fk->ref_cols[0])
		{
			if (p->n_indexes > 0 && p->indexes[0].primary && p->indexes[0].n_cols == fk->n_cols)
			{
				for (int k = 0; k < fk->n_cols && keep; k++)
					keep = (fk->ref_cols[k] = copy(c, p->indexes[0].cols[k])) != NULL;
			}
			else
			{
				note(c, IMPORT_FORM_FKEY_NOT_KEY);
				keep = false;
			}
		}
		if (keep)
			keep = resolve_key_cols(c, t, fk->cols, fk->n_cols) &&
				resolve_key_cols(c, p, fk->ref_cols, fk->n_cols);
		if (keep && !is_key_of(p, fk->ref_cols, fk->n_cols))
		{
			note(c, IMPORT_FORM_FKEY_NOT_KEY);
			keep = false;
		}
		for (int k = 0; keep && k < fk->n_cols; k++)
			if (type_family(t->columns[find_col(t, fk->cols[k])].type) !=
				type_family(p->columns[find_col(p, fk->ref_cols[k])].type))
			{
				note(c, IMPORT_FORM_FKEY_NOT_KEY);
				keep = false;
			}
		for (int j = 0; keep && j < i; j++)
		{
			bool		same = t->fkeys[j].n_cols == fk->n_cols;

			for (int k = 0; same && k < fk->n_cols; k++)
				same = strcasecmp(t->fkeys[j].cols[k], fk->cols[k]) == 0;
			if (same)
			{
				note(c, IMPORT_FORM_FKEY_TWICE);
				keep = false;
			}
		}
		if (!keep)
		{
			sqlpilot_crdb_fkey_free(fk);
			memmove(fk, fk + 1, sizeof(SqlpilotForeignKey) * (t->n_fkeys - i - 1));
			t->n_fkeys--;
			continue;
		}
		free(fk->ref_table);
		fk->ref_table = copy(c, p->name);
		if (fk->n_cols == 1 && (links = grow(c, s->links, sizeof(DatagenLink) * (s->n_links + 1))))
		{
			s->links = links;
			s->links[s->n_links++] = (DatagenLink) {ti, find_col(t, fk->cols[0]), pi,
			find_col(p, fk->ref_cols[0])};
		}
	}
}

/*
 * Index and key names become relation names in PostgreSQL, one namespace
 * per schema: a name that clashes with a table or an earlier index, and
 * every primary key name (CockroachDB's "primary"), is left to the renderer.
 */
static void
dedupe_index_names(Conv *c)
{
	DatagenSchema *s = c->s;
	char	  **seen = NULL;
	char	  **grown;
	int			n_seen = 0;

	for (int ti = 0; ti < s->n_tables; ti++)
		for (int i = 0; i < s->tables[ti].n_indexes; i++)
		{
			SqlpilotIndex *ix = &s->tables[ti].indexes[i];
			bool		clash = ix->primary || find_table(s, ix->name ? ix->name : "") >= 0;

			if (!ix->name)
				continue;
			for (int j = 0; j < n_seen && !clash; j++)
				clash = strcasecmp(seen[j], ix->name) == 0;
			if (clash)
			{
				note(c, IMPORT_FORM_PRIMARY_NAME);
				free(ix->name);
				ix->name = NULL;
				continue;
			}
			grown = grow(c, seen, sizeof(char *) * (n_seen + 1));
			if (!grown)
				break;
			seen = grown;
			seen[n_seen++] = ix->name;
		}
	free(seen);
}

/* The leading words of statement st, lower case: "create table", "create unique index", ... */
static bool
starts(const Conv *c, const Stmt *st, const char *w1, const char *w2)
{
	return is_kw(c, st->entry, st->a, st->b, w1) && (!w2 || is_kw(c, st->entry, st->a + 1, st->b, w2));
}

/* Splits every entry into statements at ';', and before a CREATE right after a ')' (a missing ';'). */
static Stmt *
split(Conv *c, int *n_out)
{
	Stmt	   *st = NULL;
	int			n = 0;

	for (int e = 0; e < c->n_entries; e++)
	{
		int			a = 0,
					depth = 0,
					creates = 0;

		for (int k = 0; k <= c->n_tok[e]; k++)
		{
			if (k < c->n_tok[e] && is_ch(c, e, k, c->n_tok[e], '('))
				depth++;
			else if (k < c->n_tok[e] && is_ch(c, e, k, c->n_tok[e], ')'))
				depth--;
			if (k < c->n_tok[e] && !(depth <= 0 && is_ch(c, e, k, c->n_tok[e], ';')) &&
				!(depth <= 0 && k > a && is_kw(c, e, k, c->n_tok[e], "create") &&
				  is_ch(c, e, k - 1, c->n_tok[e], ')')))
				continue;
			if (k > a)
			{
				Stmt	   *grown = grow(c, st, sizeof(Stmt) * (n + 1));

				if (!grown)
					break;
				st = grown;
				st[n++] = (Stmt) {e, a, k};
				creates += is_kw(c, e, a, k, "create");
			}
			a = k < c->n_tok[e] && is_ch(c, e, k, c->n_tok[e], ';') ? k + 1 : k;
			depth = 0;
		}
		if (creates > 1)
			note(c, IMPORT_FORM_MULTI_CREATE);
	}
	*n_out = n;
	return st;
}

/* True when entry e has a CREATE TABLE somewhere. */
static bool
has_create_table(const Conv *c, int e)
{
	for (int k = 0; k + 1 < c->n_tok[e]; k++)
		if (is_kw(c, e, k, c->n_tok[e], "create") && is_kw(c, e, k + 1, c->n_tok[e], "table"))
			return true;
	return false;
}

/* The statements: CREATE TYPE first, then CREATE TABLE, then CREATE INDEX; the rest ignored or refused. */
static int
convert(Conv *c)
{
	int			n;
	Stmt	   *st = split(c, &n);
	int			rc = 0;

	for (int e = 0; e < c->n_entries; e++)
		if (!has_create_table(c, e))
			note(c, IMPORT_FORM_NO_CREATE);
	for (int i = 0; i < n; i++)
		if (starts(c, &st[i], "create", "type") && is_kw(c, st[i].entry, st[i].a + 3, st[i].b, "as") &&
			is_kw(c, st[i].entry, st[i].a + 4, st[i].b, "enum") && c->n_enums < 16 &&
			is_name(c, st[i].entry, st[i].a + 2, st[i].b))
		{
			EnumType   *et = &c->enums[c->n_enums++];

			snprintf(et->name, sizeof(et->name), "%s", c->tok[st[i].entry][st[i].a + 2].word);
			et->entry = st[i].entry;
			et->a = st[i].a + 5;
		}
	if (c->oom)
		rc = -1;
	for (int i = 0; i < n && rc == 0 && !c->oom; i++)
	{
		if (starts(c, &st[i], "create", "table"))
			rc = read_create_table(c, st[i].entry, st[i].a, st[i].b);
		else if (starts(c, &st[i], "alter", "table"))
			rc = fail(c, "%s", "ALTER TABLE");
		else if (!starts(c, &st[i], "create", "index") && !starts(c, &st[i], "create", "unique") &&
				 !starts(c, &st[i], "create", "type") && has_create_table(c, st[i].entry))
			note(c, IMPORT_FORM_OTHER_STATEMENT);
	}
	for (int i = 0; i < n && rc == 0 && !c->oom; i++)
		if (starts(c, &st[i], "create", "index") ||
			(starts(c, &st[i], "create", "unique") && is_kw(c, st[i].entry, st[i].a + 2, st[i].b, "index")))
			rc = read_create_index(c, st[i].entry, st[i].a, st[i].b);
	free(st);
	if (c->oom)
		rc = -1;
	if (rc == 0 && c->s->n_tables == 0)
		rc = fail(c, "%s", "no CREATE TABLE");
	for (int ti = 0; ti < c->s->n_tables && rc == 0 && !c->oom; ti++)
		resolve_fkeys(c, ti);
	if (rc == 0)
		dedupe_index_names(c);
	return rc;
}

/* See import.h. */
int
datagen_import_schema(const char *const *texts, int n, DatagenSchema *s,
					  DatagenImportForms *forms, char *err, size_t errlen)
{
	Conv		c = {0};
	int			rc = 0;

	memset(s, 0, sizeof(*s));
	c.n_entries = n;
	c.text = zalloc(&c, n + 1, sizeof(char *));
	c.tok = zalloc(&c, n + 1, sizeof(Tok *));
	c.n_tok = zalloc(&c, n + 1, sizeof(int));
	c.s = s;
	c.forms = forms;
	c.err = err;
	c.errlen = errlen;
	for (int e = 0; e < n && !c.oom && rc == 0; e++)
	{
		c.text[e] = unbackquote(&c, texts[e] ? texts[e] : "");
		rc = c.text[e] ? lex_entry(&c, e) : -1;
	}
	if (rc == 0 && !c.oom)
		rc = convert(&c);
	for (int e = 0; e < n && c.text && c.tok; e++)
	{
		free(c.text[e]);
		free(c.tok[e]);
	}
	free(c.text);
	free(c.tok);
	free(c.n_tok);
	if (c.oom)
	{
		snprintf(err, errlen, "out of memory");
		rc = -2;
	}
	if (rc != 0)
		datagen_schema_free(s);
	return rc;
}
