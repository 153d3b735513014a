/*
 * gen_statements.c — SQL statements over a generated schema.
 *
 * The mix and shapes follow docs/data-targets.md: a third SELECT, a
 * third INSERT, then UPDATE, DELETE and TRUNCATE; each statement is either
 * "simple" or "complex" (joins along links, GROUP BY/HAVING, subqueries, CTEs,
 * CASE, date and string functions, upserts, INSERT ... SELECT, RETURNING).
 * Every statement is valid PostgreSQL 15 against the schema (CockroachDB
 * UPSERT carries a PostgreSQL rewrite in pg_sql); literals are drawn from the
 * column's content kind and fit its type (VARCHAR length, NUMERIC precision).
 * Identifiers are written through gen_text_ident, which records where each
 * table, column and alias sits, so renaming works on the structure.
 *
 * This file holds the text builder, the small helpers every statement uses,
 * the analysis of the schema's columns and the driver; the statements
 * themselves are in gen_select.c, gen_insert.c and gen_update.c, literals
 * and predicates in gen_literals.c (gen_stmt.h joins them).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gen_stmt.h"
#include "util.h"

/* ---- the text builder ---- */

/* Empties a text for reuse. */
void
gen_text_reset(GenText *t)
{
	sqlpilot_buf_reset(&t->buf);
	t->n_ids = 0;
	t->lower_kw = false;
	t->multiline = false;
	t->indent = 0;
	t->nest = 0;
}

/* Frees a text's buffers. */
void
gen_text_free(GenText *t)
{
	sqlpilot_buf_free(&t->buf);
	free(t->ids);
	memset(t, 0, sizeof(*t));
}

/* Appends n bytes (allocation failure leaves the text short, never corrupt). */
void
gen_text_put(GenText *t, const char *s, size_t n)
{
	sqlpilot_buf_append(&t->buf, s, n);
}

/* Appends a NUL-terminated string. */
void
gen_text_str(GenText *t, const char *s)
{
	gen_text_put(t, s, strlen(s));
}

/* Appends an identifier (quoted when needed) and records its span. */
void
gen_text_ident(GenText *t, const char *name, int what, int table, int column)
{
	char		buf[160];
	size_t		n = sqlpilot_schema_quote_ident(name, !t->exact_case, buf, sizeof(buf));

	if (n >= sizeof(buf))
		n = sizeof(buf) - 1;
	if (t->n_ids == t->cap_ids)
	{
		int			cap = t->cap_ids ? t->cap_ids * 2 : 32;
		DatagenIdent *p = realloc(t->ids, (size_t) cap * sizeof(DatagenIdent));

		if (!p)
			return;
		t->ids = p;
		t->cap_ids = cap;
	}
	t->ids[t->n_ids].off = (uint32_t) t->buf.len;
	t->ids[t->n_ids].len = (uint16_t) n;
	t->ids[t->n_ids].what = (uint8_t) what;
	t->ids[t->n_ids].table = (uint8_t) table;
	t->ids[t->n_ids].column = (uint16_t) column;
	t->n_ids++;
	gen_text_put(t, buf, n);
}

/* ---- small helpers ---- */

/* True with probability pct percent (fractions allowed). */
bool
gen_chance(GenCtx *c, double pct)
{
	return sqlpilot_rng_float(&c->rng) * 100.0f < pct;
}

/* Uniform integer in [lo, hi]. */
int
gen_rand_int(GenCtx *c, int lo, int hi)
{
	return lo + (int) sqlpilot_rng_below(&c->rng, (uint64_t) (hi - lo + 1));
}

/* Picks an index from integer weights. */
int
gen_pick_weight(GenCtx *c, const int *w, int n)
{
	int			total = 0;
	int			r;

	for (int i = 0; i < n; i++)
		total += w[i];
	r = gen_rand_int(c, 0, total - 1);
	for (int i = 0; i < n; i++)
	{
		if (r < w[i])
			return i;
		r -= w[i];
	}
	return n - 1;
}

/* Appends text. */
void
gen_put(GenCtx *c, const char *s)
{
	gen_text_str(c->t, s);
}

/*
 * The indentation of a line that kw (after its leading space) starts in a
 * multi-line statement: 0 for a clause, t->indent for JOIN and AND lines,
 * -1 when kw stays on the current line.
 */
static int
line_indent(const GenText *t, const char *kw)
{
	static const char *const clauses[] = {
		"FROM ", "WHERE ", "GROUP BY ", "ORDER BY ", "HAVING ", "LIMIT ", "SET ", "VALUES ",
		"RETURNING ", "ON CONFLICT ", "UNION", "USING ", "SELECT "
	};
	static const char *const joins[] = {"JOIN ", "INNER JOIN ", "LEFT JOIN ", "AND "};

	for (int i = 0; i < N_OF(clauses); i++)
		if (strncmp(kw, clauses[i], strlen(clauses[i])) == 0)
			return 0;
	for (int i = 0; i < N_OF(joins); i++)
		if (strncmp(kw, joins[i], strlen(joins[i])) == 0)
			return t->indent;
	return -1;
}

/* Appends a keyword (lower case in the lower-case statements); breaks the line before a clause in multi-line ones. */
void
gen_kw(GenCtx *c, const char *kw)
{
	char		buf[64];
	size_t		n;

	if (kw[0] == ' ' && c->t->multiline && c->t->nest == 0 && c->t->buf.len > 0)
	{
		int			ind = line_indent(c->t, kw + 1);

		if (ind >= 0)
		{
			gen_text_put(c->t, "\n", 1);
			for (int i = 0; i < ind; i++)
				gen_text_put(c->t, " ", 1);
			kw++;
		}
	}
	n = strlen(kw);

	if (!c->t->lower_kw || n >= sizeof(buf))
	{
		gen_text_put(c->t, kw, n);
		return;
	}
	for (size_t i = 0; i < n; i++)
		buf[i] = (char) tolower((unsigned char) kw[i]);
	gen_text_put(c->t, buf, n);
}

/* Appends a table name. */
void
gen_tbl(GenCtx *c, int ti)
{
	gen_text_ident(c->t, c->s->tables[ti].name, DATAGEN_IDENT_TABLE, ti, 0);
}

/* Appends a bare column name. */
void
gen_col(GenCtx *c, int ti, int ci)
{
	gen_text_ident(c->t, c->s->tables[ti].columns[ci].name, DATAGEN_IDENT_COLUMN, ti, ci);
}

/* Appends a column qualified by its FROM item (alias or table name), or bare when f is NULL. */
void
gen_qcol(GenCtx *c, const GenFrom *f, int ci)
{
	if (f)
	{
		if (f->alias_slot >= 0)
			gen_text_ident(c->t, f->alias, DATAGEN_IDENT_ALIAS, f->table, f->alias_slot);
		else
			gen_tbl(c, f->table);
		gen_put(c, ".");
		gen_col(c, f->table, ci);
	}
}

/* Appends a column, qualified when f is given. */
void
gen_fcol(GenCtx *c, const GenFrom *f, int ti, int ci)
{
	if (f)
		gen_qcol(c, f, ci);
	else
		gen_col(c, ti, ci);
}

/* Appends an SQL string literal, doubling quotes, cut to max characters (0 = no limit). */
void
gen_str_lit(GenCtx *c, const char *s, int max)
{
	char		buf[300];
	size_t		n = 0;
	size_t		limit = max > 0 ? (size_t) max : 250;

	buf[n++] = '\'';
	for (size_t i = 0; s[i] && i < limit && n < sizeof(buf) - 3; i++)
	{
		if (s[i] == '\'')
			buf[n++] = '\'';
		buf[n++] = s[i];
	}
	/* a cut must not leave a trailing space */
	while (n > 1 && buf[n - 1] == ' ')
		n--;
	buf[n++] = '\'';
	gen_text_put(c->t, buf, n);
}

/* ---- schema analysis ---- */

/* Parses a format_type spelling into base, length, precision and scale. */
static void
parse_type(const char *type, GenCol *col)
{
	const char *paren = strchr(type, '(');

	col->len = 0;
	col->prec = 0;
	col->scale = 0;
	if (strchr(type, '['))
		col->base = strcmp(type, "text[]") == 0 ? B_ARRAY : B_OTHER;
	else if (strcmp(type, "integer") == 0)
		col->base = B_INT;
	else if (strcmp(type, "bigint") == 0)
		col->base = B_BIGINT;
	else if (strcmp(type, "smallint") == 0)
		col->base = B_SMALLINT;
	else if (strncmp(type, "numeric", 7) == 0)
	{
		col->base = B_NUMERIC;
		if (paren)
			sscanf(paren, "(%d,%d)", &col->prec, &col->scale);
	}
	else if (strcmp(type, "double precision") == 0 || strcmp(type, "real") == 0)
		col->base = B_FLOAT;
	else if (strncmp(type, "character varying", 17) == 0)
	{
		col->base = B_VARCHAR;
		if (paren)
			col->len = atoi(paren + 1);
	}
	else if (strncmp(type, "character", 9) == 0)
	{
		col->base = B_CHAR;
		col->len = paren ? atoi(paren + 1) : 1;
	}
	else if (strcmp(type, "text") == 0)
		col->base = B_TEXT;
	else if (strcmp(type, "boolean") == 0)
		col->base = B_BOOL;
	else if (strcmp(type, "date") == 0)
		col->base = B_DATE;
	else if (strncmp(type, "timestamp", 9) == 0)
		col->base = strstr(type, "with time zone") && !strstr(type, "without") ? B_TSTZ : B_TS;
	else if (strncmp(type, "time", 4) == 0)
		col->base = B_TIME;
	else if (strcmp(type, "uuid") == 0)
		col->base = B_UUID;
	else if (strncmp(type, "json", 4) == 0)
		col->base = B_JSON;
	else if (strncmp(type, "interval", 8) == 0)
		col->base = B_INTERVAL;
	else if (strcmp(type, "bytea") == 0)
		col->base = B_BYTEA;
	else
		col->base = B_OTHER;
}

/* Guesses a content kind from the type (schemas given without kinds). */
static int
guess_kind(const GenCol *col, const char *name)
{
	switch (col->base)
	{
		case B_INT:
		case B_BIGINT:
		case B_SMALLINT:
			return strstr(name, "id") ? DATAGEN_COL_ID : DATAGEN_COL_COUNT;
		case B_NUMERIC:
		case B_FLOAT:
			return DATAGEN_COL_MONEY;
		case B_BOOL:
			return DATAGEN_COL_BOOL;
		case B_DATE:
			return DATAGEN_COL_DATE;
		case B_TS:
		case B_TSTZ:
			return DATAGEN_COL_TIMESTAMP;
		case B_TIME:
			return DATAGEN_COL_TIME;
		case B_UUID:
			return DATAGEN_COL_UUID;
		case B_JSON:
			return DATAGEN_COL_JSON;
		case B_INTERVAL:
			return DATAGEN_COL_DURATION;
		case B_BYTEA:
			return DATAGEN_COL_BYTES;
		default:
			return strstr(name, "email") ? DATAGEN_COL_EMAIL : DATAGEN_COL_TITLE;
	}
}

/* The value hint a column name suggests. */
static int
name_hint(const char *name)
{
	static const struct
	{
		const char *part;
		int			hint;
	}			hints[] = {
		{"priority", H_PRIORITY}, {"severity", H_PRIORITY}, {"risk", H_PRIORITY},
		{"likelihood", H_PRIORITY}, {"impact", H_PRIORITY}, {"method", H_METHOD},
		{"payment_type", H_METHOD}, {"gender", H_GENDER}, {"currency", H_CURRENCY},
		{"color", H_COLOR}, {"size", H_SIZE}, {"language", H_LANGUAGE}, {"unit", H_UNIT},
		{"day", H_DAY}, {"tier", H_TIER}, {"level", H_TIER}, {"grade", H_GRADE},
		{"rating", H_RATING}, {"stars", H_RATING}, {"score", H_RATING},
		{"percent", H_PERCENT}, {"rate", H_PERCENT}
	};

	size_t		n = strlen(name);

	if (strncmp(name, "age_", 4) == 0 || (n >= 4 && strcmp(name + n - 4, "_age") == 0) ||
		strcmp(name, "age") == 0)
		return H_AGE;
	for (int i = 0; i < N_OF(hints); i++)
		if (strstr(name, hints[i].part))
			return hints[i].hint;
	return H_NONE;
}

/* Computes the clause roles of a column. */
static int
column_roles(const GenCol *col, bool is_pk, bool not_null)
{
	int			r = 0;
	bool		number = col->base == B_INT || col->base == B_BIGINT || col->base == B_SMALLINT ||
		col->base == B_NUMERIC || col->base == B_FLOAT;
	bool		text = col->base == B_VARCHAR || col->base == B_TEXT || col->base == B_CHAR;

	if (col->base == B_JSON || col->base == B_BYTEA || col->base == B_ARRAY || col->base == B_OTHER)
		return is_pk ? C_PK : 0;
	if (is_pk)
		r |= C_PK | C_EQ;
	if (col->kind != DATAGEN_COL_ID)
		r |= C_ATTR | C_SET;
	if (!not_null && !is_pk)
		r |= C_NULL;
	switch (col->kind)
	{
		case DATAGEN_COL_ID:
			r |= C_EQ | C_IN;
			if (!is_pk)
				r |= C_GROUP;
			break;
		case DATAGEN_COL_STATUS:
		case DATAGEN_COL_CATEGORY:
		case DATAGEN_COL_CITY:
		case DATAGEN_COL_COUNTRY:
			r |= C_EQ | C_IN | C_GROUP | C_STR;
			break;
		case DATAGEN_COL_BOOL:
			r |= C_EQ | C_GROUP;
			break;
		case DATAGEN_COL_FIRST_NAME:
		case DATAGEN_COL_LAST_NAME:
		case DATAGEN_COL_PERSON:
		case DATAGEN_COL_TITLE:
		case DATAGEN_COL_EMAIL:
		case DATAGEN_COL_CODE:
			r |= C_EQ | C_STR | C_SORT;
			break;
		case DATAGEN_COL_TEXT:
		case DATAGEN_COL_ADDRESS:
		case DATAGEN_COL_URL:
			r |= C_STR;
			break;
		case DATAGEN_COL_PHONE:
			r |= C_EQ;
			break;
		case DATAGEN_COL_YEAR:
			r |= C_EQ | C_ORD | C_GROUP | C_SORT;
			break;
		default:
			break;
	}
	if (number && col->kind != DATAGEN_COL_ID && col->kind != DATAGEN_COL_YEAR)
		r |= C_ORD | C_NUM | C_SORT | C_EQ;
	if (col->base == B_DATE)
		r |= C_ORD | C_DATE | C_SORT | C_EQ;
	if (col->base == B_TS || col->base == B_TSTZ)
		r |= C_ORD | C_DATE | C_SORT;
	if (col->base == B_TIME)
		r |= C_ORD | C_SORT;
	if (!text)
		r &= ~C_STR;
	return r;
}

/*
 * Reads a CHECK of the form col IN ('a', 'b', ...) (col possibly quoted)
 * into the allowed values of that column of g.
 */
static void
read_enum_check(const SqlpilotTable *t, GenTab *g, const char *expr)
{
	const char *p = expr;
	size_t		n;
	int			ci = -1;
	GenCol	   *col;

	if (*p == '"')
		p++;
	n = strcspn(p, "\" ");
	for (int k = 0; k < t->n_columns; k++)
		if (strlen(t->columns[k].name) == n && strncmp(t->columns[k].name, p, n) == 0)
			ci = k;
	p = strstr(p, " IN (");
	if (ci < 0 || !p)
		return;
	col = &g->cols[ci];
	for (p += 5; *p == '\'' && col->n_allowed < GEN_MAX_ALLOWED;)
	{
		const char *end = strchr(p + 1, '\'');

		if (!end || end - p - 1 >= (long) sizeof(col->allowed[0]))
			break;
		snprintf(col->allowed[col->n_allowed++], sizeof(col->allowed[0]), "%.*s", (int) (end - p - 1), p + 1);
		p = end + 1;
		while (*p == ',' || *p == ' ')
			p++;
	}
}

/* Builds the per-table column descriptions. */
static void
analyze_schema(GenCtx *c)
{
	const DatagenSchema *s = c->s;

	c->tabs = calloc((size_t) s->n_tables, sizeof(GenTab));
	for (int ti = 0; ti < s->n_tables; ti++)
	{
		const SqlpilotTable *t = &s->tables[ti];
		GenTab	   *g = &c->tabs[ti];

		g->n_cols = t->n_columns;
		g->cols = calloc((size_t) t->n_columns, sizeof(GenCol));
		g->pk = -1;
		for (int i = 0; i < t->n_indexes; i++)
			if (t->indexes[i].primary && t->indexes[i].n_cols == 1)
				for (int k = 0; k < t->n_columns; k++)
					if (strcmp(t->columns[k].name, t->indexes[i].cols[0]) == 0)
						g->pk = k;
		for (int k = 0; k < t->n_columns; k++)
		{
			GenCol	   *col = &g->cols[k];
			const SqlpilotColumn *sc = &t->columns[k];

			col->name = sc->name;
			parse_type(sc->type, col);
			col->kind = s->col_kinds ? s->col_kinds[ti][k] : guess_kind(col, sc->name);
			col->hint = name_hint(sc->name);
			col->has_default = sc->default_expr != NULL;
			col->auto_value = k == g->pk && sc->default_expr != NULL;
			col->roles = column_roles(col, k == g->pk, sc->not_null);
		}
		for (int k = 0; k < t->n_checks; k++)
			read_enum_check(t, g, t->checks[k].expr);
		for (int k = 0; k < t->n_fkeys; k++)
			for (int o = 0; o < s->n_tables; o++)
				if (strcmp(t->fkeys[k].ref_table, s->tables[o].name) == 0)
					c->tabs[o].referenced = true;
	}
}

/* A random column of table ti having all role bits in need; -1 when none. */
int
gen_pick_col(GenCtx *c, int ti, int need)
{
	const GenTab *g = &c->tabs[ti];
	int			n = 0;
	int			pick;

	for (int k = 0; k < g->n_cols; k++)
		if ((g->cols[k].roles & need) == need)
			n++;
	if (n == 0)
		return -1;
	pick = gen_rand_int(c, 0, n - 1);
	for (int k = 0; k < g->n_cols; k++)
		if ((g->cols[k].roles & need) == need && pick-- == 0)
			return k;
	return -1;
}

/* ---- driver ---- */

/* Copies a text's identifier spans into a malloc'd array. */
static DatagenIdent *
copy_ids(const GenText *t)
{
	DatagenIdent *ids;

	if (t->n_ids == 0)
		return NULL;
	ids = malloc((size_t) t->n_ids * sizeof(DatagenIdent));
	if (ids)
		memcpy(ids, t->ids, (size_t) t->n_ids * sizeof(DatagenIdent));
	return ids;
}

/* Frees the analysis. */
static void
free_tabs(GenCtx *c)
{
	for (int i = 0; i < c->s->n_tables; i++)
		free(c->tabs[i].cols);
	free(c->tabs);
}

/*
 * The wide share: statements that go beyond the reference corpus, as people
 * type them (docs/data-targets.md section 6).  The rest keeps the reference
 * corpus' shape.
 */
#define GEN_WIDE_PCT 35.0

/* See generate.h. */
int
datagen_statements_generate(const DatagenSchema *s, uint64_t seed,
							DatagenStatement *out, int n)
{
	/* statement kinds: select, insert, update, delete, truncate, upsert (per mille) */
	static const int kind_w[] = {3240, 3200, 1310, 1260, 950, 40};
	/* in the wide share, what people type at a prompt: mostly queries */
	static const int wide_kind_w[] = {5200, 1700, 1400, 1200, 300, 200};
	static const double semicolon[] = {84.8, 81.4, 86.9, 91.1, 90.4, 81.4};
	GenCtx		c = {0};
	GenText		text = {0};
	GenText		pg = {0};
	int			made = 0;

	if (!s || s->n_tables <= 0)
		return 0;
	c.s = s;
	c.rng = seed ^ 0xD1B54A32D192ED03ULL;
	sqlpilot_rng_next(&c.rng);
	c.t = &text;
	analyze_schema(&c);
	for (int i = 0; i < n; i++)
	{
		DatagenStatement *st = &out[i];
		bool		wide = gen_chance(&c, GEN_WIDE_PCT);
		int			kind = gen_pick_weight(&c, wide ? wide_kind_w : kind_w, 6);
		bool		complex = wide || gen_chance(&c, 50);

		gen_text_reset(&text);
		gen_text_reset(&pg);
		text.exact_case = pg.exact_case = !s->tables[0].fold_case;
		if (wide)
		{
			/* styles: keyword case, line breaks and indentation */
			text.lower_kw = gen_chance(&c, 25);
			text.multiline = gen_chance(&c, 30);
			text.indent = gen_chance(&c, 50) ? 0 : gen_chance(&c, 70) ? 2 : 4;
		}
		else
			text.lower_kw = gen_chance(&c, 0.3);
		switch (kind)
		{
			case DATAGEN_SELECT:
				if (wide)
					gen_select_wide(&c);
				else
					gen_select(&c, complex);
				break;
			case DATAGEN_INSERT:
				if (wide)
					gen_insert_wide(&c);
				else
					gen_insert(&c, complex);
				break;
			case DATAGEN_UPDATE:
				if (wide)
					gen_update_wide(&c);
				else
					gen_update(&c, complex);
				break;
			case DATAGEN_DELETE:
				if (wide)
					gen_delete_wide(&c);
				else
					gen_delete(&c, complex);
				break;
			case DATAGEN_TRUNCATE:
				gen_truncate(&c, complex);
				break;
			default:
				complex = true;
				gen_upsert(&c, &pg);
				break;
		}
		if (gen_chance(&c, semicolon[kind]))
		{
			gen_text_put(&text, ";", 1);
			if (pg.buf.len > 0)
				gen_text_put(&pg, ";", 1);
		}
		memset(st, 0, sizeof(*st));
		st->kind = (DatagenKind) kind;
		st->complex = complex;
		st->wide = wide;
		st->sql = strndup(text.buf.data ? text.buf.data : "", text.buf.len);
		st->n_idents = text.n_ids;
		st->idents = copy_ids(&text);
		if (pg.buf.len > 0)
		{
			st->pg_sql = strndup(pg.buf.data, pg.buf.len);
			st->n_pg_idents = pg.n_ids;
			st->pg_idents = copy_ids(&pg);
		}
		made++;
	}
	free_tabs(&c);
	gen_text_free(&text);
	gen_text_free(&pg);
	return made;
}

/* See generate.h. */
void
datagen_statement_free(DatagenStatement *st)
{
	free(st->sql);
	free(st->pg_sql);
	free(st->idents);
	free(st->pg_idents);
	memset(st, 0, sizeof(*st));
}
