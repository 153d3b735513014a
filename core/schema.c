/*
 * schema.c — the one renderer of schema text.
 *
 * A table (SqlpilotTable, types in format_type() spelling) becomes CREATE
 * TABLE text in one of three styles:
 *   CRDB         CockroachDB SHOW CREATE TABLE: INT8, STRING, VARCHAR(n),
 *                constraints and indexes inside the table body, no ';'.
 *   PGDUMP       pg_dump: PostgreSQL types, CHECK in the body, keys added by
 *                ALTER TABLE ONLY, indexes by CREATE INDEX; loads into
 *                PostgreSQL 15 (serial columns become serial/bigserial so no
 *                sequence is needed; foreign keys of a multi-table render come
 *                last, so table order does not matter).
 *   HANDWRITTEN  how people type DDL: INT/VARCHAR/SERIAL, inline PRIMARY KEY,
 *                REFERENCES and UNIQUE, keyword case and indentation varied by
 *                the caller's rng; also valid PostgreSQL.
 * Identifiers are quoted exactly when PostgreSQL needs it.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schema.h"
#include "sql_words.h"
#include "util.h"

/* One base type: format_type() spelling, CockroachDB spelling, hand-written spelling. */
typedef struct SchemaTypeName
{
	const char *pg;
	const char *crdb;
	const char *plain;
} SchemaTypeName;

static const SchemaTypeName type_names[] = {
	{"bigint", "INT8", "BIGINT"},
	{"integer", "INT4", "INT"},
	{"smallint", "INT2", "SMALLINT"},
	{"text", "STRING", "TEXT"},
	{"character varying", "VARCHAR", "VARCHAR"},
	{"character", "CHAR", "CHAR"},
	{"numeric", "DECIMAL", "DECIMAL"},
	{"double precision", "FLOAT8", "FLOAT"},
	{"real", "FLOAT4", "REAL"},
	{"boolean", "BOOL", "BOOLEAN"},
	{"timestamp without time zone", "TIMESTAMP", "TIMESTAMP"},
	{"timestamp with time zone", "TIMESTAMPTZ", "TIMESTAMPTZ"},
	{"date", "DATE", "DATE"},
	{"time without time zone", "TIME", "TIME"},
	{"time with time zone", "TIMETZ", "TIMETZ"},
	{"interval", "INTERVAL", "INTERVAL"},
	{"uuid", "UUID", "UUID"},
	{"jsonb", "JSONB", "JSONB"},
	{"json", "JSONB", "JSON"},
	{"bytea", "BYTES", "BYTEA"},
	{"inet", "INET", "INET"},
	{"bit varying", "VARBIT", "VARBIT"},
	{"bit", "BIT", "BIT"},
	{"tsvector", "TSVECTOR", "TSVECTOR"},
	{"oid", "OID", "OID"}
};

/* Multi-word type names a '::' cast may carry, longest first. */
static const char *const cast_type_words[] = {
	"timestamp without time zone", "timestamp with time zone",
	"time without time zone", "time with time zone", "character varying",
	"double precision", "bit varying"
};

/* Appends s in lower case when lower, as is otherwise (keywords of the hand-written style). */
static void
schema_buf_kw(SqlpilotBuf *b, const char *s, bool lower)
{
	char		tmp[64];
	size_t		n = strlen(s);

	if (!lower || n >= sizeof(tmp))
	{
		sqlpilot_buf_append(b, s, n);
		return;
	}
	for (size_t i = 0; i < n; i++)
		tmp[i] = (char) tolower((unsigned char) s[i]);
	sqlpilot_buf_append(b, tmp, n);
}

/* Appends an identifier, double-quoted when PostgreSQL needs it. */
static void
schema_buf_ident(SqlpilotBuf *b, const char *name, bool fold_case)
{
	if (!sqlpilot_schema_needs_quotes(name, fold_case))
	{
		sqlpilot_buf_puts(b, name);
		return;
	}
	sqlpilot_buf_append(b, "\"", 1);
	for (const char *p = name; *p; p++)
	{
		if (*p == '"')
			sqlpilot_buf_append(b, "\"", 1);
		sqlpilot_buf_append(b, p, 1);
	}
	sqlpilot_buf_append(b, "\"", 1);
}

/* Appends schema.name (just name when schema is NULL). */
static void
schema_buf_qualified(SqlpilotBuf *b, const char *schema, const char *name, bool fold_case)
{
	if (schema && schema[0])
	{
		schema_buf_ident(b, schema, fold_case);
		sqlpilot_buf_append(b, ".", 1);
	}
	schema_buf_ident(b, name, fold_case);
}

/*
 * Appends key k of an index: a column name as an identifier, expression text
 * as is.  Without expr flags, text with a parenthesis or a space is taken for
 * an expression.
 */
static void
schema_buf_index_col(SqlpilotBuf *b, const SqlpilotIndex *ix, int k, bool fold_case)
{
	const char *col = ix->cols[k];

	if (ix->expr ? ix->expr[k] : strpbrk(col, "( ") != NULL)
		sqlpilot_buf_puts(b, col);
	else
		schema_buf_ident(b, col, fold_case);
}

/* Appends "a, b, c" (identifiers). */
static void
schema_buf_ident_list(SqlpilotBuf *b, char **names, int n, bool fold_case)
{
	for (int i = 0; i < n; i++)
	{
		if (i > 0)
			sqlpilot_buf_append(b, ", ", 2);
		schema_buf_ident(b, names[i], fold_case);
	}
}

/* See schema.h. */
bool
sqlpilot_schema_needs_quotes(const char *name, bool fold_case)
{
	char		lower[64];
	size_t		n = strlen(name);
	char		category;

	if (n == 0 || n >= sizeof(lower) || isdigit((unsigned char) name[0]) || name[0] == '$')
		return true;
	for (size_t i = 0; i < n; i++)
	{
		unsigned char c = (unsigned char) name[i];

		if (c >= 'A' && c <= 'Z')
		{
			if (!fold_case)
				return true;
			lower[i] = (char) (c - 'A' + 'a');
		}
		else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '$')
			lower[i] = (char) c;
		else
			return true;
	}
	category = sqlpilot_sql_keyword_category(lower, n);
	return category != 0 && category != 'U';
}

/* See schema.h. */
size_t
sqlpilot_schema_quote_ident(const char *name, bool fold_case, char *out, size_t cap)
{
	SqlpilotBuf	b = {0};
	size_t		n;

	schema_buf_ident(&b, name, fold_case);
	n = b.len;
	if (cap > 0)
	{
		size_t		k = n < cap - 1 ? n : cap - 1;

		if (b.data)
			memcpy(out, b.data, k);
		out[k] = '\0';
	}
	sqlpilot_buf_free(&b);
	return n;
}

/*
 * Splits a format_type() spelling into base name, type modifier "(...)" and
 * array suffix; returns the matching type_names entry or NULL.
 */
static const SchemaTypeName *
split_type(const char *pg_type, char *base, size_t basecap, char *mod, size_t modcap,
		   int *ndims)
{
	size_t		n = strlen(pg_type);
	size_t		bl = 0;
	size_t		ml = 0;
	bool		in_mod = false;

	*ndims = 0;
	while (n >= 2 && pg_type[n - 2] == '[' && pg_type[n - 1] == ']')
	{
		n -= 2;
		(*ndims)++;
	}
	for (size_t i = 0; i < n; i++)
	{
		char		c = pg_type[i];

		if (c == '(')
			in_mod = true;
		if (in_mod)
		{
			if (ml + 1 < modcap)
				mod[ml++] = c;
			if (c == ')')
				in_mod = false;
		}
		else if (bl + 1 < basecap)
			base[bl++] = c;
	}
	/* "timestamp(3) without time zone" leaves a double space behind */
	base[bl] = '\0';
	mod[ml] = '\0';
	for (char *p = base; (p = strstr(p, "  ")) != NULL;)
		memmove(p, p + 1, strlen(p));
	for (size_t i = 0; i < sizeof(type_names) / sizeof(type_names[0]); i++)
		if (strcmp(base, type_names[i].pg) == 0)
			return &type_names[i];
	return NULL;
}

/* Writes a mapped type (which: 0 CockroachDB, 1 plain) into out. */
static void
map_type(const char *pg_type, int which, bool serial, char *out, size_t cap)
{
	char		base[128];
	char		mod[64];
	int			ndims;
	const SchemaTypeName *tn = split_type(pg_type, base, sizeof(base), mod, sizeof(mod), &ndims);
	const char *name = base;
	size_t		len;

	if (tn)
		name = which == 0 ? tn->crdb : tn->plain;
	if (tn && which == 1 && serial)
	{
		if (strcmp(tn->pg, "integer") == 0)
			name = "SERIAL";
		else if (strcmp(tn->pg, "bigint") == 0)
			name = "BIGSERIAL";
		else if (strcmp(tn->pg, "smallint") == 0)
			name = "SMALLSERIAL";
	}
	len = (size_t) snprintf(out, cap, "%s%s", name, mod);
	for (int d = 0; d < ndims && len + 2 < cap; d++)
	{
		memcpy(out + len, "[]", 3);
		len += 2;
	}
}

/* See schema.h. */
void
sqlpilot_schema_crdb_type(const char *pg_type, char *out, size_t cap)
{
	map_type(pg_type, 0, false, out, cap);
}

/* See schema.h. */
void
sqlpilot_schema_plain_type(const char *pg_type, bool serial, char *out, size_t cap)
{
	map_type(pg_type, 1, serial, out, cap);
}

/* True when a default expression is a sequence (serial column). */
static bool
is_serial_default(const char *expr)
{
	return expr && strncmp(expr, "nextval(", 8) == 0;
}

/* Appends a default expression with its '::type' casts removed. */
static void
schema_buf_default_no_casts(SqlpilotBuf *b, const char *expr)
{
	const char *p = expr;
	bool		in_str = false;

	while (*p)
	{
		if (*p == '\'')
			in_str = !in_str;
		if (!in_str && p[0] == ':' && p[1] == ':')
		{
			bool		word = false;

			p += 2;
			for (size_t i = 0; i < sizeof(cast_type_words) / sizeof(cast_type_words[0]); i++)
			{
				size_t		n = strlen(cast_type_words[i]);

				if (strncmp(p, cast_type_words[i], n) == 0)
				{
					p += n;
					word = true;
					break;
				}
			}
			if (!word)
				while (isalnum((unsigned char) *p) || *p == '_' || *p == '.' || *p == '"')
					p++;
			if (*p == '(')
				while (*p && *p++ != ')')
					;
			while (p[0] == '[' && p[1] == ']')
				p += 2;
			continue;
		}
		sqlpilot_buf_append(b, p, 1);
		p++;
	}
}

/* Writes a derived constraint/index name "<table>_<cols>_<suffix>" into out. */
static void
derived_name(const char *table, char **cols, int n_cols, const char *suffix,
			 char *out, size_t cap)
{
	size_t		len = (size_t) snprintf(out, cap, "%s", table);

	for (int i = 0; i < n_cols && len < cap; i++)
		len += (size_t) snprintf(out + len, cap - len, "_%s", cols[i]);
	if (len < cap)
		snprintf(out + len, cap - len, "_%s", suffix);
}

/* The name of an index, derived when the struct has none. */
static const char *
index_name(const SqlpilotTable *t, const SqlpilotIndex *ix, char *buf, size_t cap)
{
	if (ix->name)
		return ix->name;
	if (ix->primary)
		snprintf(buf, cap, "%s_pkey", t->name);
	else
		derived_name(t->name, ix->cols, ix->n_cols, ix->unique ? "key" : "idx", buf, cap);
	return buf;
}

/* The name of a foreign key, derived when the struct has none. */
static const char *
fkey_name(const SqlpilotTable *t, const SqlpilotForeignKey *fk, char *buf, size_t cap)
{
	if (fk->name)
		return fk->name;
	derived_name(t->name, fk->cols, fk->n_cols, "fkey", buf, cap);
	return buf;
}

/* Appends " REFERENCES schema.table(cols)" plus ON DELETE/UPDATE actions. */
static void
schema_buf_references(SqlpilotBuf *b, const SqlpilotTable *t, const SqlpilotForeignKey *fk,
					  bool qualify, bool lower)
{
	schema_buf_kw(b, " REFERENCES ", lower);
	schema_buf_qualified(b, qualify ? (fk->ref_schema ? fk->ref_schema : t->schema) : NULL,
						 fk->ref_table, t->fold_case);
	sqlpilot_buf_append(b, "(", 1);
	schema_buf_ident_list(b, fk->ref_cols, fk->n_cols, t->fold_case);
	sqlpilot_buf_append(b, ")", 1);
	if (fk->on_delete)
	{
		schema_buf_kw(b, " ON DELETE ", lower);
		schema_buf_kw(b, fk->on_delete, lower);
	}
	if (fk->on_update)
	{
		schema_buf_kw(b, " ON UPDATE ", lower);
		schema_buf_kw(b, fk->on_update, lower);
	}
}

/* CockroachDB SHOW CREATE TABLE. */
static void
render_crdb(SqlpilotBuf *b, const SqlpilotTable *t)
{
	char		tmp[256];
	bool		first = true;

	sqlpilot_buf_puts(b, "CREATE TABLE ");
	schema_buf_qualified(b, t->schema, t->name, t->fold_case);
	sqlpilot_buf_puts(b, " (");
	for (int i = 0; i < t->n_columns; i++)
	{
		const SqlpilotColumn *c = &t->columns[i];

		sqlpilot_buf_puts(b, first ? "\n\t" : ",\n\t");
		first = false;
		schema_buf_ident(b, c->name, t->fold_case);
		sqlpilot_schema_crdb_type(c->type, tmp, sizeof(tmp));
		sqlpilot_buf_append(b, " ", 1);
		sqlpilot_buf_puts(b, tmp);
		sqlpilot_buf_puts(b, c->not_null ? " NOT NULL" : " NULL");
		if (c->default_expr)
		{
			sqlpilot_buf_puts(b, " DEFAULT ");
			if (is_serial_default(c->default_expr))
				sqlpilot_buf_puts(b, "unique_rowid()");
			else
				schema_buf_default_no_casts(b, c->default_expr);
		}
	}
	for (int i = 0; i < t->n_indexes; i++)
	{
		const SqlpilotIndex *ix = &t->indexes[i];

		if (!ix->primary)
			continue;
		sqlpilot_buf_puts(b, first ? "\n\t" : ",\n\t");
		first = false;
		sqlpilot_buf_puts(b, "CONSTRAINT ");
		schema_buf_ident(b, index_name(t, ix, tmp, sizeof(tmp)), t->fold_case);
		sqlpilot_buf_puts(b, " PRIMARY KEY (");
		for (int k = 0; k < ix->n_cols; k++)
		{
			if (k > 0)
				sqlpilot_buf_puts(b, ", ");
			schema_buf_index_col(b, ix, k, t->fold_case);
			sqlpilot_buf_puts(b, ix->desc && ix->desc[k] ? " DESC" : " ASC");
		}
		sqlpilot_buf_puts(b, ")");
	}
	for (int i = 0; i < t->n_fkeys; i++)
	{
		const SqlpilotForeignKey *fk = &t->fkeys[i];

		sqlpilot_buf_puts(b, first ? "\n\t" : ",\n\t");
		first = false;
		sqlpilot_buf_puts(b, "CONSTRAINT ");
		schema_buf_ident(b, fkey_name(t, fk, tmp, sizeof(tmp)), t->fold_case);
		sqlpilot_buf_puts(b, " FOREIGN KEY (");
		schema_buf_ident_list(b, fk->cols, fk->n_cols, t->fold_case);
		sqlpilot_buf_puts(b, ")");
		schema_buf_references(b, t, fk, true, false);
	}
	for (int i = 0; i < t->n_indexes; i++)
	{
		const SqlpilotIndex *ix = &t->indexes[i];

		if (ix->primary)
			continue;
		sqlpilot_buf_puts(b, first ? "\n\t" : ",\n\t");
		first = false;
		sqlpilot_buf_puts(b, ix->unique ? "UNIQUE INDEX " : "INDEX ");
		schema_buf_ident(b, index_name(t, ix, tmp, sizeof(tmp)), t->fold_case);
		sqlpilot_buf_puts(b, " (");
		for (int k = 0; k < ix->n_cols; k++)
		{
			if (k > 0)
				sqlpilot_buf_puts(b, ", ");
			schema_buf_index_col(b, ix, k, t->fold_case);
			sqlpilot_buf_puts(b, ix->desc && ix->desc[k] ? " DESC" : " ASC");
		}
		sqlpilot_buf_puts(b, ")");
	}
	for (int i = 0; i < t->n_checks; i++)
	{
		sqlpilot_buf_puts(b, first ? "\n\t" : ",\n\t");
		first = false;
		if (t->checks[i].name)
		{
			sqlpilot_buf_puts(b, "CONSTRAINT ");
			schema_buf_ident(b, t->checks[i].name, t->fold_case);
			sqlpilot_buf_puts(b, " ");
		}
		sqlpilot_buf_puts(b, "CHECK (");
		sqlpilot_buf_puts(b, t->checks[i].expr);
		sqlpilot_buf_puts(b, ")");
	}
	sqlpilot_buf_puts(b, "\n)");
}

/* pg_dump: the CREATE TABLE statement with columns and CHECK constraints. */
static void
render_pgdump_table(SqlpilotBuf *b, const SqlpilotTable *t)
{
	char		tmp[256];

	sqlpilot_buf_puts(b, "CREATE TABLE ");
	schema_buf_qualified(b, t->schema, t->name, t->fold_case);
	sqlpilot_buf_puts(b, " (");
	for (int i = 0; i < t->n_columns; i++)
	{
		const SqlpilotColumn *c = &t->columns[i];
		bool		serial = is_serial_default(c->default_expr);

		sqlpilot_buf_puts(b, i > 0 ? ",\n    " : "\n    ");
		schema_buf_ident(b, c->name, t->fold_case);
		sqlpilot_buf_append(b, " ", 1);
		if (serial)
		{
			sqlpilot_schema_plain_type(c->type, true, tmp, sizeof(tmp));
			for (char *p = tmp; *p; p++)
				*p = (char) tolower((unsigned char) *p);
			sqlpilot_buf_puts(b, tmp);
		}
		else
			sqlpilot_buf_puts(b, c->type);
		if (c->default_expr && !serial)
		{
			sqlpilot_buf_puts(b, " DEFAULT ");
			sqlpilot_buf_puts(b, c->default_expr);
		}
		if (c->not_null)
			sqlpilot_buf_puts(b, " NOT NULL");
	}
	for (int i = 0; i < t->n_checks; i++)
	{
		sqlpilot_buf_puts(b, t->n_columns + i > 0 ? ",\n    " : "\n    ");
		if (t->checks[i].name)
		{
			sqlpilot_buf_puts(b, "CONSTRAINT ");
			schema_buf_ident(b, t->checks[i].name, t->fold_case);
			sqlpilot_buf_puts(b, " ");
		}
		sqlpilot_buf_puts(b, "CHECK ((");
		sqlpilot_buf_puts(b, t->checks[i].expr);
		sqlpilot_buf_puts(b, "))");
	}
	sqlpilot_buf_puts(b, "\n);");
}

/* pg_dump: primary key, unique constraints and indexes of a table. */
static void
render_pgdump_keys(SqlpilotBuf *b, const SqlpilotTable *t)
{
	char		tmp[256];

	for (int i = 0; i < t->n_indexes; i++)
	{
		const SqlpilotIndex *ix = &t->indexes[i];

		if (ix->primary || ix->is_constraint)
		{
			sqlpilot_buf_puts(b, "\n\nALTER TABLE ONLY ");
			schema_buf_qualified(b, t->schema, t->name, t->fold_case);
			sqlpilot_buf_puts(b, "\n    ADD CONSTRAINT ");
			schema_buf_ident(b, index_name(t, ix, tmp, sizeof(tmp)), t->fold_case);
			sqlpilot_buf_puts(b, ix->primary ? " PRIMARY KEY (" : " UNIQUE (");
			for (int k = 0; k < ix->n_cols; k++)
			{
				if (k > 0)
					sqlpilot_buf_puts(b, ", ");
				schema_buf_index_col(b, ix, k, t->fold_case);
			}
			sqlpilot_buf_puts(b, ");");
			continue;
		}
		sqlpilot_buf_puts(b, ix->unique ? "\n\nCREATE UNIQUE INDEX " : "\n\nCREATE INDEX ");
		schema_buf_ident(b, index_name(t, ix, tmp, sizeof(tmp)), t->fold_case);
		sqlpilot_buf_puts(b, " ON ");
		schema_buf_qualified(b, t->schema, t->name, t->fold_case);
		sqlpilot_buf_puts(b, " USING btree (");
		for (int k = 0; k < ix->n_cols; k++)
		{
			if (k > 0)
				sqlpilot_buf_puts(b, ", ");
			schema_buf_index_col(b, ix, k, t->fold_case);
			if (ix->desc && ix->desc[k])
				sqlpilot_buf_puts(b, " DESC");
		}
		sqlpilot_buf_puts(b, ");");
	}
}

/* pg_dump: the foreign keys of a table (after every table exists). */
static void
render_pgdump_fkeys(SqlpilotBuf *b, const SqlpilotTable *t)
{
	char		tmp[256];

	for (int i = 0; i < t->n_fkeys; i++)
	{
		const SqlpilotForeignKey *fk = &t->fkeys[i];

		sqlpilot_buf_puts(b, "\n\nALTER TABLE ONLY ");
		schema_buf_qualified(b, t->schema, t->name, t->fold_case);
		sqlpilot_buf_puts(b, "\n    ADD CONSTRAINT ");
		schema_buf_ident(b, fkey_name(t, fk, tmp, sizeof(tmp)), t->fold_case);
		sqlpilot_buf_puts(b, " FOREIGN KEY (");
		schema_buf_ident_list(b, fk->cols, fk->n_cols, t->fold_case);
		sqlpilot_buf_puts(b, ")");
		schema_buf_references(b, t, fk, true, false);
		sqlpilot_buf_puts(b, ";");
	}
}

/* The single-column key (primary or unique) on column name, or NULL. */
static const SqlpilotIndex *
single_column_key(const SqlpilotTable *t, const char *col, bool primary)
{
	for (int i = 0; i < t->n_indexes; i++)
	{
		const SqlpilotIndex *ix = &t->indexes[i];

		if (ix->n_cols == 1 && ix->primary == primary && (primary || ix->unique) &&
			strcmp(ix->cols[0], col) == 0)
			return ix;
	}
	return NULL;
}

/* The single-column foreign key on column name, or NULL. */
static const SqlpilotForeignKey *
single_column_fkey(const SqlpilotTable *t, const char *col)
{
	for (int i = 0; i < t->n_fkeys; i++)
		if (t->fkeys[i].n_cols == 1 && strcmp(t->fkeys[i].cols[0], col) == 0)
			return &t->fkeys[i];
	return NULL;
}

/*
 * Hand-written DDL: rng picks keyword case, indentation, type alignment,
 * inline or table-level foreign keys and where the closing parenthesis goes.
 */
static void
render_handwritten(SqlpilotBuf *b, const SqlpilotTable *t, uint64_t *rng)
{
	static const char *const indents[] = {"  ", "    ", "\t", "   ", " ", "    ", "  "};
	uint64_t	local = 0x5eed;
	uint64_t   *r = rng ? rng : &local;
	bool		lower = sqlpilot_rng_below(r, 100) < 55;
	const char *ind = indents[sqlpilot_rng_below(r, 7)];
	bool		align = sqlpilot_rng_below(r, 100) < 20;
	bool		inline_fk = sqlpilot_rng_below(r, 100) < 45;
	bool		inline_unique = sqlpilot_rng_below(r, 100) < 70;
	bool		close_same_line = sqlpilot_rng_below(r, 100) < 15;
	bool		if_not_exists = sqlpilot_rng_below(r, 100) < 8;
	bool		first = true;
	size_t		width = 0;
	char		tmp[256];

	for (int i = 0; align && i < t->n_columns; i++)
	{
		size_t		n = strlen(t->columns[i].name);

		if (n > width)
			width = n;
	}
	schema_buf_kw(b, if_not_exists ? "CREATE TABLE IF NOT EXISTS " : "CREATE TABLE ", lower);
	schema_buf_ident(b, t->name, t->fold_case);
	sqlpilot_buf_puts(b, " (");
	for (int i = 0; i < t->n_columns; i++)
	{
		const SqlpilotColumn *c = &t->columns[i];
		bool		serial = is_serial_default(c->default_expr);
		const SqlpilotIndex *pk = single_column_key(t, c->name, true);
		const SqlpilotForeignKey *fk = inline_fk ? single_column_fkey(t, c->name) : NULL;
		const SqlpilotIndex *uq = inline_unique ? single_column_key(t, c->name, false) : NULL;

		sqlpilot_buf_puts(b, first ? "\n" : ",\n");
		first = false;
		sqlpilot_buf_puts(b, ind);
		schema_buf_ident(b, c->name, t->fold_case);
		sqlpilot_buf_append(b, " ", 1);
		for (size_t k = strlen(c->name); align && k < width; k++)
			sqlpilot_buf_append(b, " ", 1);
		sqlpilot_schema_plain_type(c->type, serial, tmp, sizeof(tmp));
		schema_buf_kw(b, tmp, lower);
		if (pk)
			schema_buf_kw(b, " PRIMARY KEY", lower);
		else if (c->not_null)
			schema_buf_kw(b, " NOT NULL", lower);
		if (uq)
			schema_buf_kw(b, " UNIQUE", lower);
		if (c->default_expr && !serial)
		{
			schema_buf_kw(b, " DEFAULT ", lower);
			schema_buf_default_no_casts(b, c->default_expr);
		}
		if (fk)
			schema_buf_references(b, t, fk, false, lower);
	}
	for (int i = 0; i < t->n_indexes; i++)
	{
		const SqlpilotIndex *ix = &t->indexes[i];

		if (!ix->primary || ix->n_cols == 1)
			continue;
		sqlpilot_buf_puts(b, first ? "\n" : ",\n");
		first = false;
		sqlpilot_buf_puts(b, ind);
		schema_buf_kw(b, "PRIMARY KEY (", lower);
		schema_buf_ident_list(b, ix->cols, ix->n_cols, t->fold_case);
		sqlpilot_buf_puts(b, ")");
	}
	for (int i = 0; i < t->n_fkeys; i++)
	{
		const SqlpilotForeignKey *fk = &t->fkeys[i];

		if (inline_fk && fk->n_cols == 1)
			continue;
		sqlpilot_buf_puts(b, first ? "\n" : ",\n");
		first = false;
		sqlpilot_buf_puts(b, ind);
		schema_buf_kw(b, "FOREIGN KEY (", lower);
		schema_buf_ident_list(b, fk->cols, fk->n_cols, t->fold_case);
		sqlpilot_buf_puts(b, ")");
		schema_buf_references(b, t, fk, false, lower);
	}
	for (int i = 0; i < t->n_indexes; i++)
	{
		const SqlpilotIndex *ix = &t->indexes[i];

		if (ix->primary || !ix->is_constraint || (inline_unique && ix->n_cols == 1))
			continue;
		sqlpilot_buf_puts(b, first ? "\n" : ",\n");
		first = false;
		sqlpilot_buf_puts(b, ind);
		schema_buf_kw(b, "UNIQUE (", lower);
		schema_buf_ident_list(b, ix->cols, ix->n_cols, t->fold_case);
		sqlpilot_buf_puts(b, ")");
	}
	for (int i = 0; i < t->n_checks; i++)
	{
		sqlpilot_buf_puts(b, first ? "\n" : ",\n");
		first = false;
		sqlpilot_buf_puts(b, ind);
		schema_buf_kw(b, "CHECK (", lower);
		sqlpilot_buf_puts(b, t->checks[i].expr);
		sqlpilot_buf_puts(b, ")");
	}
	sqlpilot_buf_puts(b, close_same_line ? ");" : "\n);");
	for (int i = 0; i < t->n_indexes; i++)
	{
		const SqlpilotIndex *ix = &t->indexes[i];

		/* keys and inline UNIQUE columns are already in the body */
		if (ix->primary || ix->is_constraint || (ix->unique && inline_unique && ix->n_cols == 1))
			continue;
		sqlpilot_buf_puts(b, "\n");
		schema_buf_kw(b, ix->unique ? "CREATE UNIQUE INDEX " : "CREATE INDEX ", lower);
		schema_buf_ident(b, index_name(t, ix, tmp, sizeof(tmp)), t->fold_case);
		schema_buf_kw(b, " ON ", lower);
		schema_buf_ident(b, t->name, t->fold_case);
		sqlpilot_buf_puts(b, " (");
		for (int k = 0; k < ix->n_cols; k++)
		{
			if (k > 0)
				sqlpilot_buf_puts(b, ", ");
			schema_buf_index_col(b, ix, k, t->fold_case);
			if (ix->desc && ix->desc[k])
				schema_buf_kw(b, " DESC", lower);
		}
		sqlpilot_buf_puts(b, ");");
	}
}

/* Renders one table into b. */
static void
render_one(SqlpilotBuf *b, const SqlpilotTable *t, SqlpilotDdlStyle style, uint64_t *rng,
		   bool with_fkeys)
{
	switch (style)
	{
		case SQLPILOT_DDL_PGDUMP:
			render_pgdump_table(b, t);
			render_pgdump_keys(b, t);
			if (with_fkeys)
				render_pgdump_fkeys(b, t);
			break;
		case SQLPILOT_DDL_HANDWRITTEN:
			render_handwritten(b, t, rng);
			break;
		case SQLPILOT_DDL_CRDB:
		default:
			render_crdb(b, t);
			break;
	}
}

/* See schema.h. */
char *
sqlpilot_schema_render_table(const SqlpilotTable *t, SqlpilotDdlStyle style,
							 uint64_t *rng, size_t *len)
{
	SqlpilotBuf	b = {0};

	render_one(&b, t, style, rng, true);
	return sqlpilot_buf_finish(&b, len);
}

/* See schema.h. */
char *
sqlpilot_schema_render(const SqlpilotTable *tables, int n_tables,
					   SqlpilotDdlStyle style, uint64_t *rng, size_t *len)
{
	SqlpilotBuf	b = {0};

	for (int i = 0; i < n_tables; i++)
	{
		if (i > 0)
			sqlpilot_buf_puts(&b, "\n\n");
		render_one(&b, &tables[i], style, rng, false);
	}
	for (int i = 0; style == SQLPILOT_DDL_PGDUMP && i < n_tables; i++)
		render_pgdump_fkeys(&b, &tables[i]);
	return sqlpilot_buf_finish(&b, len);
}
