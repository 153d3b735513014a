/*
 * test_generate.c — the datagen content: vocabulary breadth, schema
 * structure, statement kinds and shapes against the reference statistics,
 * literals that fit their column types, determinism, and name randomization
 * that keeps schema and statements consistent without touching keywords.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../datagen/generate.h"
#include "schema.h"
#include "tap.h"
#include "util.h"

#define N_SCHEMAS 120
#define PER_SCHEMA 40
#define N_OF_RULES 14

/* The schema of sample i: topics and use cases spread over the vocabulary. */
static void
SampleSchema(DatagenSchema *s, int i)
{
	int			topic = (i * 37) % datagen_n_topics();
	int			uc = (i * 53 + 7) % datagen_n_use_cases(topic);

	datagen_schema_generate(s, topic, uc, (uint64_t) i + 1000);
}

/* Index of a column by name in table t, or -1. */
static int
FindCol(const SqlpilotTable *t, const char *name)
{
	for (int c = 0; c < t->n_columns; c++)
		if (strcmp(t->columns[c].name, name) == 0)
			return c;
	return -1;
}

/* Index of a table by name, or -1. */
static int
FindTable(const DatagenSchema *s, const char *name)
{
	for (int t = 0; t < s->n_tables; t++)
		if (strcmp(s->tables[t].name, name) == 0)
			return t;
	return -1;
}

/* Checks the structure of a schema; returns a description of the first problem or NULL. */
static const char *
SchemaProblem(const DatagenSchema *s)
{
	if (s->n_tables < 1 || s->n_tables > (s->wide ? DATAGEN_MAX_TABLES : 5))
		return "table count";
	if (!s->col_kinds)
		return "no column kinds";
	for (int t = 0; t < s->n_tables; t++)
	{
		const SqlpilotTable *tb = &s->tables[t];

		if (tb->n_columns < 1)
			return "empty table";
		for (int o = 0; o < t; o++)
			if (strcasecmp(s->tables[o].name, tb->name) == 0)
				return "duplicate table name";
		for (int c = 0; c < tb->n_columns; c++)
		{
			for (int d = 0; d < c; d++)
				if (strcasecmp(tb->columns[d].name, tb->columns[c].name) == 0)
					return "duplicate column name";
		}
		for (int i = 0; i < tb->n_indexes; i++)
			for (int k = 0; k < tb->indexes[i].n_cols; k++)
				if (FindCol(tb, tb->indexes[i].cols[k]) < 0)
					return "index column missing";
		for (int i = 0; i < tb->n_fkeys; i++)
		{
			const SqlpilotForeignKey *fk = &tb->fkeys[i];
			int			rt = FindTable(s, fk->ref_table);

			if (rt < 0)
				return "foreign key to a missing table";
			if (FindCol(tb, fk->cols[0]) < 0 || FindCol(&s->tables[rt], fk->ref_cols[0]) < 0)
				return "foreign key column missing";
			if (s->tables[rt].n_indexes == 0 || !s->tables[rt].indexes[0].primary ||
				strcmp(s->tables[rt].indexes[0].cols[0], fk->ref_cols[0]) != 0)
				return "foreign key not to a primary key";
		}
		for (int i = 0; i < tb->n_checks; i++)
		{
			char		col[80];

			const char *e = tb->checks[i].expr;
			int			k = (int) strcspn(e, " ");

			/* the first word is the column, double-quoted in the quoted schemas */
			if (e[0] == '"' && k >= 2)
				snprintf(col, sizeof(col), "%.*s", k - 2, e + 1);
			else
				snprintf(col, sizeof(col), "%.*s", k, e);
			if (FindCol(tb, col) < 0)
				return "check on a missing column";
		}
	}
	for (int l = 0; l < s->n_links; l++)
	{
		const DatagenLink *k = &s->links[l];

		if (k->child < 0 || k->child >= s->n_tables || k->parent < 0 || k->parent >= s->n_tables ||
			k->child_col >= s->tables[k->child].n_columns ||
			k->parent_col >= s->tables[k->parent].n_columns)
			return "bad link";
		if (strcmp(s->tables[k->child].columns[k->child_col].type,
				   s->tables[k->parent].columns[k->parent_col].type) != 0 &&
			strcmp(s->tables[k->child].columns[k->child_col].type, "integer") != 0)
			return "link types differ";
	}
	return NULL;
}

/* True when every identifier span of a text shows the name it refers to. */
static bool
SpansMatch(const DatagenSchema *s, const char *sql, const DatagenIdent *ids, int n)
{
	for (int i = 0; i < n; i++)
	{
		char		want[200];
		const char *name;

		if (ids[i].table >= s->n_tables)
			return false;
		if (ids[i].what == DATAGEN_IDENT_TABLE)
			name = s->tables[ids[i].table].name;
		else if (ids[i].what == DATAGEN_IDENT_COLUMN)
		{
			if (ids[i].column >= s->tables[ids[i].table].n_columns)
				return false;
			name = s->tables[ids[i].table].columns[ids[i].column].name;
		}
		else
			continue;
		sqlpilot_schema_quote_ident(name, s->tables[0].fold_case, want, sizeof(want));
		if (strlen(want) != ids[i].len || strncmp(sql + ids[i].off, want, ids[i].len) != 0)
			return false;
	}
	return true;
}

/* Copies the text outside identifier spans (with a separator per span) into a malloc'd string. */
static char *
OutsideSpans(const char *sql, const DatagenIdent *ids, int n)
{
	size_t		len = strlen(sql);
	char	   *out = malloc(len + (size_t) n + 1);
	size_t		pos = 0;
	size_t		k = 0;

	for (int i = 0; i < n; i++)
	{
		memcpy(out + k, sql + pos, ids[i].off - pos);
		k += ids[i].off - pos;
		out[k++] = '\x01';
		pos = ids[i].off + ids[i].len;
	}
	strcpy(out + k, sql + pos);
	return out;
}

/* Splits the first parenthesised list after p into top-level items (quotes respected). */
static int
SplitTuple(const char *p, char items[][200], int max)
{
	int			n = 0;
	int			depth = 0;
	bool		quote = false;
	size_t		k = 0;

	p = strchr(p, '(');
	if (!p)
		return 0;
	for (p++; *p && n < max; p++)
	{
		if (*p == '\'' )
			quote = !quote;
		if (!quote && *p == '(')
			depth++;
		if (!quote && *p == ')' && depth-- == 0)
		{
			items[n][k] = '\0';
			return n + 1;
		}
		if (!quote && depth == 0 && *p == ',')
		{
			items[n++][k] = '\0';
			k = 0;
			if (p[1] == ' ')
				p++;
			continue;
		}
		if (k < 199)
			items[n][k++] = *p;
	}
	return -1;
}

/* Unescaped length of a quoted SQL string literal, or -1 if v is not one. */
static int
StringLength(const char *v)
{
	size_t		n = strlen(v);
	int			len = 0;

	if (n < 2 || v[0] != '\'' || v[n - 1] != '\'')
		return -1;
	for (size_t i = 1; i + 1 < n; i++)
	{
		if (v[i] == '\'' && v[i + 1] == '\'')
			i++;
		len++;
	}
	return len;
}

/* True when all of s[0..n) are digits. */
static bool
Digits(const char *s, int n)
{
	for (int i = 0; i < n; i++)
		if (!isdigit((unsigned char) s[i]))
			return false;
	return n > 0;
}

/* True when literal v fits a column of PostgreSQL type type (format_type spelling). */
static bool
LiteralFits(const char *v, const char *type)
{
	int			p = 0;
	int			sc = 0;

	if (strcmp(v, "NULL") == 0 || strcmp(v, "DEFAULT") == 0)
		return true;
	if (strncmp(type, "character varying(", 18) == 0 || strncmp(type, "character(", 10) == 0)
	{
		int			n = StringLength(v);

		return n >= 0 && n <= atoi(strchr(type, '(') + 1);
	}
	if (strcmp(type, "text") == 0 || strncmp(type, "json", 4) == 0 || strcmp(type, "interval") == 0)
		return StringLength(v) >= 0;
	if (strcmp(type, "integer") == 0 || strcmp(type, "bigint") == 0 || strcmp(type, "smallint") == 0)
	{
		long		x = strtol(v, NULL, 10);

		return Digits(v[0] == '-' ? v + 1 : v, (int) strlen(v) - (v[0] == '-')) &&
			(strcmp(type, "smallint") != 0 || (x >= -32768 && x <= 32767)) &&
			(strcmp(type, "integer") != 0 || (x >= -2147483648L && x <= 2147483647L));
	}
	if (strncmp(type, "numeric", 7) == 0 || strcmp(type, "double precision") == 0 || strcmp(type, "real") == 0)
	{
		const char *dot = strchr(v, '.');
		const char *digits = v[0] == '-' ? v + 1 : v;
		int			ip = dot ? (int) (dot - digits) : (int) strlen(digits);
		int			fp = dot ? (int) strlen(dot + 1) : 0;

		if (!Digits(digits, ip) || (dot && !Digits(dot + 1, fp)))
			return false;
		if (sscanf(type, "numeric(%d,%d)", &p, &sc) == 2)
			return ip <= p - sc && fp <= sc;
		return true;
	}
	if (strcmp(type, "boolean") == 0)
		return strcmp(v, "TRUE") == 0 || strcmp(v, "FALSE") == 0;
	if (strcmp(type, "date") == 0)
		return strlen(v) == 12 && v[0] == '\'' && Digits(v + 1, 4) && v[5] == '-' &&
			atoi(v + 6) >= 1 && atoi(v + 6) <= 12 && atoi(v + 9) >= 1 && atoi(v + 9) <= 28;
	if (strncmp(type, "timestamp", 9) == 0)
		return strcmp(v, "NOW()") == 0 || strcmp(v, "CURRENT_TIMESTAMP") == 0 ||
			(v[0] == '\'' && Digits(v + 1, 4) && v[5] == '-' && (strlen(v) == 12 || strlen(v) == 21));
	if (strncmp(type, "time", 4) == 0)
		return strlen(v) == 10 && v[0] == '\'' && v[3] == ':' && v[6] == ':';
	if (strcmp(type, "uuid") == 0)
		return strlen(v) == 38 && v[9] == '-' && v[14] == '-' && v[19] == '-' && v[24] == '-';
	if (strcmp(type, "bytea") == 0)
		return strncmp(v, "'\\x", 3) == 0;
	return false;
}

/*
 * Checks the literals of an INSERT (column list + first VALUES row) or of
 * an UPDATE's SET list against the column types; counts values checked.
 */
static bool
StatementLiteralsFit(const DatagenSchema *s, const DatagenStatement *st, int *checked, char *why, size_t whylen)
{
	const char *sql = st->sql;

	/* this check splits at commas and spaces: ARRAY[...] values and line breaks are left out */
	if (strstr(sql, "ARRAY[") || strchr(sql, '\n'))
		return true;
	if (strncmp(sql, "INSERT INTO ", 12) == 0 || strncmp(sql, "UPSERT INTO ", 12) == 0)
	{
		const char *values = strstr(sql, " VALUES (");
		static char items[64][200];
		int			n;
		int			k = 0;

		if (!values)
			return true;		/* INSERT ... SELECT */
		n = SplitTuple(values, items, 64);
		if (st->n_idents == 1)
		{
			/* no column list: the values follow the table's columns */
			const SqlpilotTable *t = &s->tables[st->idents[0].table];

			for (k = 0; k < t->n_columns && k < n; k++)
				if (!LiteralFits(items[k], t->columns[k].type))
				{
					snprintf(why, whylen, "%.300s: value %d '%.100s' for %s", sql, k, items[k], t->columns[k].type);
					return false;
				}
			*checked += k;
			return k == t->n_columns && k == n;
		}
		for (int i = 1; i < st->n_idents && st->idents[i].off < (uint32_t) (values - sql); i++)
		{
			const DatagenIdent *id = &st->idents[i];
			const char *type = s->tables[id->table].columns[id->column].type;

			if (k >= n || !LiteralFits(items[k], type))
			{
				snprintf(why, whylen, "%.300s: value %d '%.100s' for %s", sql, k, k < n ? items[k] : "?", type);
				return false;
			}
			k++;
			(*checked)++;
		}
		if (k != n)
		{
			snprintf(why, whylen, "%s: %d columns, %d values", sql, k, n);
			return false;
		}
		return true;
	}
	if (strncmp(sql, "UPDATE ", 7) == 0)
	{
		const char *where = strstr(sql, " WHERE ");

		/* the SET list: spans before the WHERE */
		for (int i = 1; i < st->n_idents && (!where || st->idents[i].off < (uint32_t) (where - sql)); i++)
		{
			const DatagenIdent *id = &st->idents[i];
			const char *after = sql + id->off + id->len;
			char		v[200];
			size_t		n;

			if (id->what != DATAGEN_IDENT_COLUMN || strncmp(after, " = ", 3) != 0)
				continue;
			after += 3;
			/* a literal runs to ", ", " WHERE" or the end; skip expressions (and quoted names) */
			if (after[0] == '"')
				continue;
			if (isalpha((unsigned char) after[0]) && strncmp(after, "TRUE", 4) != 0 &&
				strncmp(after, "FALSE", 5) != 0 && strncmp(after, "NULL", 4) != 0 &&
				strncmp(after, "NOW()", 5) != 0 && strncmp(after, "CURRENT_TIMESTAMP", 17) != 0)
				continue;
			if (after[0] == '\'')
			{
				const char *q = after + 1;

				while (*q && !(*q == '\'' && q[1] != '\''))
					q += *q == '\'' ? 2 : 1;
				n = (size_t) (q - after + 1);
			}
			else
				n = strcspn(after, ", ;");
			if (n >= sizeof(v))
				return false;
			memcpy(v, after, n);
			v[n] = '\0';
			if (!LiteralFits(v, s->tables[id->table].columns[id->column].type))
			{
				snprintf(why, whylen, "%s: '%s' for %s", sql, v, s->tables[id->table].columns[id->column].type);
				return false;
			}
			(*checked)++;
		}
	}
	return true;
}

/* Checks the vocabulary: breadth and distinct names. */
static void
TestVocabulary(void)
{
	int			n = datagen_n_topics();
	int			min_uc = 1 << 30;
	bool		distinct = true;

	tap_ok(n >= 75, "at least 75 topics (%d)", n);
	for (int t = 0; t < n; t++)
	{
		int			u = datagen_n_use_cases(t);

		if (u < min_uc)
			min_uc = u;
		for (int o = 0; o < t; o++)
			if (strcmp(datagen_topic_name(o), datagen_topic_name(t)) == 0)
				distinct = false;
		for (int a = 0; a < u; a++)
			for (int b = a + 1; b < u; b++)
				if (strcmp(datagen_use_case_name(t, a), datagen_use_case_name(t, b)) == 0)
					distinct = false;
	}
	tap_ok(min_uc >= 100, "at least 100 use cases per topic (min %d)", min_uc);
	tap_ok(distinct, "topic names and use-case names are distinct");
	tap_ok(datagen_topic_name(n) == NULL && datagen_use_case_name(0, 100000) == NULL,
		   "out-of-range topic and use case give NULL");
	tap_diag("e.g. %s / %s", datagen_topic_name(2), datagen_use_case_name(2, 12));
}

/* Checks schema structure over every topic, and determinism. */
static void
TestSchemas(void)
{
	int			bad = 0;
	int			ntab[6] = {0};
	int			first_pk = 0;
	int			tables = 0;
	int			fk_schemas = 0;
	int			quoted = 0;
	int			total = 0;
	const char *problem = NULL;

	for (int t = 0; t < datagen_n_topics(); t++)
		for (int u = 0; u < datagen_n_use_cases(t); u += 9)
		{
			DatagenSchema s;
			const char *p;

			datagen_schema_generate(&s, t, u, (uint64_t) (t * 1000 + u));
			total++;
			p = SchemaProblem(&s);
			if (p)
			{
				bad++;
				problem = p;
			}
			if (s.n_tables >= 1 && s.n_tables <= 5)
				ntab[s.n_tables]++;
			for (int k = 0; k < s.n_tables; k++)
			{
				const SqlpilotTable *tb = &s.tables[k];

				tables++;
				if (tb->n_indexes > 0 && tb->indexes[0].primary &&
					strcmp(tb->indexes[0].cols[0], tb->columns[0].name) == 0)
					first_pk++;
				/* the wide share's quoted schemas are ORM names, not the vocabulary's */
				if (!tb->fold_case)
					continue;
				quoted += sqlpilot_schema_needs_quotes(tb->name, true);
				for (int c = 0; c < tb->n_columns; c++)
					quoted += sqlpilot_schema_needs_quotes(tb->columns[c].name, true);
			}
			for (int k = 0; k < s.n_tables; k++)
				if (s.tables[k].n_fkeys > 0)
				{
					fk_schemas++;
					break;
				}
			datagen_schema_free(&s);
		}
	tap_ok(bad == 0, "%d schemas well formed (%s)", total, problem ? problem : "no problem");
	tap_ok(quoted == 0, "vocabulary names never need quoting (%d do)", quoted);
	tap_ok(ntab[1] > total / 10 && ntab[3] > total / 10 && ntab[5] > total / 10,
		   "1-5 tables per schema (1:%d 2:%d 3:%d 4:%d 5:%d)", ntab[1], ntab[2], ntab[3], ntab[4], ntab[5]);
	tap_ok(first_pk * 100 > tables * 80, "first column is the primary key in most tables (%d/%d)", first_pk, tables);
	tap_ok(fk_schemas * 100 > total * 15 && fk_schemas * 100 < total * 50,
		   "foreign keys in a share of schemas like the reference's 28%% (%d/%d)", fk_schemas, total);

	/* determinism */
	{
		DatagenSchema a;
		DatagenSchema b;
		char	   *ta;
		char	   *tb;

		datagen_schema_generate(&a, 5, 33, 77);
		datagen_schema_generate(&b, 5, 33, 77);
		ta = sqlpilot_schema_render(a.tables, a.n_tables, SQLPILOT_DDL_PGDUMP, NULL, NULL);
		tb = sqlpilot_schema_render(b.tables, b.n_tables, SQLPILOT_DDL_PGDUMP, NULL, NULL);
		tap_ok(strcmp(ta, tb) == 0, "schema deterministic for a seed");
		free(tb);
		datagen_schema_free(&b);
		datagen_schema_generate(&b, 5, 33, 78);
		tb = sqlpilot_schema_render(b.tables, b.n_tables, SQLPILOT_DDL_PGDUMP, NULL, NULL);
		tap_ok(strcmp(ta, tb) != 0, "another seed gives another schema");
		free(ta);
		free(tb);
		datagen_schema_free(&a);
		datagen_schema_free(&b);
	}
}

/* Share of the reference-shaped statements of kind k containing pat, in percent. */
static double
Share(DatagenStatement *st, int n, int kind, const char *pat)
{
	int			of = 0;
	int			hit = 0;

	for (int i = 0; i < n; i++)
		if (!st[i].wide && (kind < 0 || (int) st[i].kind == kind))
		{
			of++;
			hit += pat == NULL || strstr(st[i].sql, pat) != NULL;
		}
	return of ? 100.0 * hit / of : 0;
}

/* Checks statements: kinds, features, distribution, spans, literals, determinism. */
static void
TestStatements(void)
{
	int			total = N_SCHEMAS * PER_SCHEMA;
	DatagenStatement *st = calloc((size_t) total, sizeof(DatagenStatement));
	DatagenSchema *schemas = calloc(N_SCHEMAS, sizeof(DatagenSchema));
	int			kinds[DATAGEN_N_KINDS] = {0};
	int			ref_kinds[DATAGEN_N_KINDS] = {0};	/* the reference-shaped share */
	int			ref_total = 0;
	int			complex = 0;
	int			semi = 0;
	int			spans_bad = 0;
	int			lit_bad = 0;
	int			lit_checked = 0;
	int			crdb_upsert = 0;
	int			no_list = 0;
	char		why[600] = "";
	static const char *const features[] = {
		" JOIN ", " INNER JOIN ", " LEFT JOIN ", " GROUP BY ", " HAVING ", " IN (SELECT ",
		"WITH ", "CASE WHEN", " RETURNING ", "), (", " SELECT ", " CASCADE", " LIMIT ",
		" OFFSET ", "DISTINCT", " BETWEEN ", " LIKE ", " IS NULL", " IS NOT NULL", "COUNT(*)",
		"SUM(", "AVG(", "MAX(", " ON CONFLICT ", "UPSERT INTO ", " ORDER BY ", " DESC",
		"NOW()", "INTERVAL '", "TRUNCATE TABLE "
	};
	bool		seen[sizeof(features) / sizeof(features[0])] = {false};
	int			missing = 0;

	for (int i = 0; i < N_SCHEMAS; i++)
	{
		int			n;

		SampleSchema(&schemas[i], i);
		n = datagen_statements_generate(&schemas[i], (uint64_t) i, st + i * PER_SCHEMA, PER_SCHEMA);
		if (n != PER_SCHEMA)
			tap_diag("schema %d gave %d statements", i, n);
	}
	for (int i = 0; i < total; i++)
	{
		const DatagenSchema *s = &schemas[i / PER_SCHEMA];
		const char *sql = st[i].sql;
		size_t		len = strlen(sql);

		kinds[st[i].kind]++;
		ref_kinds[st[i].kind] += !st[i].wide;
		ref_total += !st[i].wide;
		complex += !st[i].wide && st[i].complex;
		semi += !st[i].wide && len > 0 && sql[len - 1] == ';';
		if (!SpansMatch(s, sql, st[i].idents, st[i].n_idents) ||
			(st[i].pg_sql && !SpansMatch(s, st[i].pg_sql, st[i].pg_idents, st[i].n_pg_idents)))
			spans_bad++;
		if (!StatementLiteralsFit(s, &st[i], &lit_checked, why, sizeof(why)))
			lit_bad++;
		if (st[i].kind == DATAGEN_INSERT && st[i].n_idents == 1)
			no_list++;
		if (strncmp(sql, "UPSERT", 6) == 0 && st[i].pg_sql && strstr(st[i].pg_sql, "ON CONFLICT") &&
			strncmp(st[i].pg_sql, "INSERT INTO", 11) == 0)
			crdb_upsert++;
		for (size_t f = 0; f < sizeof(features) / sizeof(features[0]); f++)
			if (strstr(sql, features[f]))
				seen[f] = true;
	}
	for (int k = 0; k < DATAGEN_N_KINDS; k++)
		tap_ok(kinds[k] > 0, "kind %s generated (%d)", datagen_kind_names[k], kinds[k]);
	tap_ok(no_list > 0 && no_list * 100 < kinds[DATAGEN_INSERT] * 6,
		   "a few INSERTs without a column list (%d)", no_list);
	tap_ok(crdb_upsert > 0, "CockroachDB UPSERT carries an INSERT ... ON CONFLICT rewrite (%d)", crdb_upsert);
	for (size_t f = 0; f < sizeof(features) / sizeof(features[0]); f++)
		if (!seen[f])
		{
			tap_diag("feature never seen: '%s'", features[f]);
			missing++;
		}
	tap_ok(missing == 0, "every statement feature appears in %d statements", total);
	tap_ok(spans_bad == 0, "identifier spans point at the names they stand for (%d bad)", spans_bad);
	if (!tap_ok(lit_bad == 0 && lit_checked > 5000, "literals fit their column types (%d checked, %d bad)",
				lit_checked, lit_bad))
		tap_diag("%s", why);

	/* the reference-shaped share's distribution against docs/data-targets.md */
	tap_ok(ref_total * 100 > total * 60 && ref_total * 100 < total * 70,
		   "reference-shaped share %.1f%% (the rest is the wide share)", 100.0 * ref_total / total);
	{
		double		sel = 100.0 * ref_kinds[DATAGEN_SELECT] / ref_total;
		double		ins = 100.0 * (ref_kinds[DATAGEN_INSERT] + ref_kinds[DATAGEN_UPSERT]) / ref_total;
		double		upd = 100.0 * ref_kinds[DATAGEN_UPDATE] / ref_total;
		double		del = 100.0 * ref_kinds[DATAGEN_DELETE] / ref_total;
		double		tru = 100.0 * ref_kinds[DATAGEN_TRUNCATE] / ref_total;
		double		where = Share(st, total, DATAGEN_SELECT, " WHERE ");
		double		order = Share(st, total, DATAGEN_SELECT, " ORDER BY ");
		double		star = Share(st, total, DATAGEN_SELECT, "SELECT *");
		double		join = Share(st, total, DATAGEN_SELECT, " JOIN ");
		double		group = Share(st, total, DATAGEN_SELECT, " GROUP BY ");

		tap_ok(sel > 29.4 && sel < 35.4, "SELECT share %.1f%% (reference 32.4)", sel);
		tap_ok(ins > 29.4 && ins < 35.4, "INSERT share %.1f%% (reference 32.4)", ins);
		tap_ok(upd > 10.6 && upd < 15.6, "UPDATE share %.1f%% (reference 13.1)", upd);
		tap_ok(del > 10.1 && del < 15.1, "DELETE share %.1f%% (reference 12.6)", del);
		tap_ok(tru > 7.0 && tru < 12.0, "TRUNCATE share %.1f%% (reference 9.5)", tru);
		tap_ok(complex * 100 > ref_total * 46 && complex * 100 < ref_total * 54, "complex half %.1f%%",
			   100.0 * complex / ref_total);
		tap_ok(semi * 100 > ref_total * 81 && semi * 100 < ref_total * 89, "';' endings %.1f%% (reference 85.3)",
			   100.0 * semi / ref_total);
		tap_ok(where > 56 && where < 68, "SELECT with WHERE %.1f%% (reference 62.2)", where);
		tap_ok(order > 30 && order < 42, "SELECT with ORDER BY %.1f%% (reference 35.8)", order);
		tap_ok(star > 22 && star < 34, "SELECT * %.1f%% (reference 28.1)", star);
		tap_ok(join > 6 && join < 15, "SELECT with JOIN %.1f%% (reference 10.3)", join);
		tap_ok(group > 3 && group < 8, "SELECT with GROUP BY %.1f%% (reference 5.4)", group);
		tap_ok(Share(st, total, DATAGEN_UPDATE, " WHERE ") > 97 && Share(st, total, DATAGEN_DELETE, " WHERE ") > 97,
			   "UPDATE and DELETE almost always have WHERE");
		tap_ok(Share(st, total, DATAGEN_TRUNCATE, "TRUNCATE TABLE ") > 88, "TRUNCATE TABLE keyword %.1f%% (reference 93.6)",
			   Share(st, total, DATAGEN_TRUNCATE, "TRUNCATE TABLE "));
	}

	/* determinism */
	{
		DatagenStatement again[PER_SCHEMA];
		int			same = 1;

		datagen_statements_generate(&schemas[3], 3, again, PER_SCHEMA);
		for (int i = 0; i < PER_SCHEMA; i++)
		{
			same &= strcmp(again[i].sql, st[3 * PER_SCHEMA + i].sql) == 0;
			datagen_statement_free(&again[i]);
		}
		tap_ok(same, "statements deterministic for a seed");
		datagen_statements_generate(&schemas[3], 4, again, PER_SCHEMA);
		same = 1;
		for (int i = 0; i < PER_SCHEMA; i++)
		{
			same &= strcmp(again[i].sql, st[3 * PER_SCHEMA + i].sql) == 0;
			datagen_statement_free(&again[i]);
		}
		tap_ok(!same, "another seed gives other statements");
	}
	for (int i = 0; i < total; i++)
		datagen_statement_free(&st[i]);
	for (int i = 0; i < N_SCHEMAS; i++)
		datagen_schema_free(&schemas[i]);
	free(st);
	free(schemas);
}

/* The column types of a table, sorted and joined (order-independent fingerprint). */
static void
TypeFingerprint(const SqlpilotTable *t, char *out, size_t cap)
{
	const char *types[64];
	int			n = t->n_columns < 64 ? t->n_columns : 64;
	size_t		k = 0;

	for (int i = 0; i < n; i++)
		types[i] = t->columns[i].type;
	for (int i = 1; i < n; i++)
		for (int j = i; j > 0 && strcmp(types[j - 1], types[j]) > 0; j--)
		{
			const char *tmp = types[j];

			types[j] = types[j - 1];
			types[j - 1] = tmp;
		}
	out[0] = '\0';
	for (int i = 0; i < n && k < cap; i++)
		k += (size_t) snprintf(out + k, cap - k, "%s|", types[i]);
}

/* Checks name randomization: consistency, keywords untouched, variety, determinism. */
static void
TestRandomize(void)
{
	int			n_schemas = 200;
	int			inconsistent = 0;
	int			touched = 0;
	int			bad_schema = 0;
	int			types_changed = 0;
	int			renamed_tables = 0;
	int			pascal = 0;
	int			abbreviated = 0;
	int			shuffled = 0;
	int			tables = 0;
	const char *problem = NULL;
	char		fa[2048];
	char		fb[2048];

	for (int i = 0; i < n_schemas; i++)
	{
		DatagenSchema s;
		DatagenStatement st[PER_SCHEMA];
		char	   *outside[PER_SCHEMA];
		char	   *old_names[DATAGEN_MAX_TABLES];
		char	   *old_first[DATAGEN_MAX_TABLES][16];
		char		fp[DATAGEN_MAX_TABLES][2048];
		int			n;

		SampleSchema(&s, i);
		n = datagen_statements_generate(&s, (uint64_t) i, st, PER_SCHEMA);
		for (int k = 0; k < n; k++)
			outside[k] = OutsideSpans(st[k].sql, st[k].idents, st[k].n_idents);
		for (int t = 0; t < s.n_tables; t++)
		{
			old_names[t] = strdup(s.tables[t].name);
			TypeFingerprint(&s.tables[t], fp[t], sizeof(fp[t]));
			for (int c = 0; c < s.tables[t].n_columns && c < 16; c++)
				old_first[t][c] = strdup(s.tables[t].columns[c].name);
		}
		datagen_randomize(&s, st, n, (uint64_t) i * 31 + 5);
		if (SchemaProblem(&s))
		{
			bad_schema++;
			problem = SchemaProblem(&s);
		}
		for (int k = 0; k < n; k++)
		{
			char	   *now = OutsideSpans(st[k].sql, st[k].idents, st[k].n_idents);

			if (strcmp(now, outside[k]) != 0)
			{
				if (touched == 0)
					tap_diag("changed outside names:\n  %s\n  %s", outside[k], now);
				touched++;
			}
			if (!SpansMatch(&s, st[k].sql, st[k].idents, st[k].n_idents) ||
				(st[k].pg_sql && !SpansMatch(&s, st[k].pg_sql, st[k].pg_idents, st[k].n_pg_idents)))
				inconsistent++;
			free(now);
			free(outside[k]);
			datagen_statement_free(&st[k]);
		}
		for (int t = 0; t < s.n_tables; t++)
		{
			const SqlpilotTable *tb = &s.tables[t];
			bool		moved = false;
			bool		upper = false;

			tables++;
			TypeFingerprint(tb, fa, sizeof(fa));
			types_changed += strcmp(fa, fp[t]) != 0;
			renamed_tables += strcmp(tb->name, old_names[t]) != 0;
			for (const char *p = tb->name; *p; p++)
				upper |= isupper((unsigned char) *p) != 0;
			pascal += upper;
			for (int c = 0; c < tb->n_columns && c < 16; c++)
			{
				/* a column whose name got shorter than it was, keeping its first letter */
				if (strlen(tb->columns[c].name) < strlen(old_first[t][c]) &&
					tolower((unsigned char) tb->columns[c].name[0]) == old_first[t][c][0])
					abbreviated++;
				free(old_first[t][c]);
			}
			for (int c = 1; c < tb->n_columns; c++)
				if (s.col_kinds[t][c] < s.col_kinds[t][c - 1] && c > 1)
					moved = true;
			shuffled += moved;
			free(old_names[t]);
		}
		datagen_schema_free(&s);
	}
	tap_ok(bad_schema == 0, "randomized schemas stay well formed (%s)", problem ? problem : "no problem");
	tap_ok(types_changed == 0, "column types unchanged by renaming (%d tables differ)", types_changed);
	tap_ok(inconsistent == 0, "statements name the renamed tables and columns (%d inconsistent)", inconsistent);
	tap_ok(touched == 0, "text outside identifiers unchanged: keywords, literals, types (%d changed)", touched);
	tap_ok(renamed_tables * 100 > tables * 15 && renamed_tables * 100 < tables * 70,
		   "a share of tables renamed (%d/%d)", renamed_tables, tables);
	tap_ok(pascal * 100 > tables * 10 && pascal * 100 < tables * 45,
		   "upper-case naming styles present (%d/%d tables)", pascal, tables);
	tap_ok(abbreviated > 0, "abbreviated column names present (%d)", abbreviated);
	tap_ok(shuffled > 0, "column order shuffled in some tables (%d)", shuffled);

	/* determinism */
	{
		DatagenSchema a;
		DatagenSchema b;
		char	   *ta;
		char	   *tb;

		for (int seed = 0; seed < 30; seed++)
		{
			SampleSchema(&a, 7);
			SampleSchema(&b, 7);
			datagen_randomize(&a, NULL, 0, (uint64_t) seed);
			datagen_randomize(&b, NULL, 0, (uint64_t) seed);
			ta = sqlpilot_schema_render(a.tables, a.n_tables, SQLPILOT_DDL_CRDB, NULL, NULL);
			tb = sqlpilot_schema_render(b.tables, b.n_tables, SQLPILOT_DDL_CRDB, NULL, NULL);
			snprintf(fa, sizeof(fa), "%s", ta);
			snprintf(fb, sizeof(fb), "%s", tb);
			free(ta);
			free(tb);
			datagen_schema_free(&a);
			datagen_schema_free(&b);
			if (strcmp(fa, fb) != 0)
				break;
		}
		tap_ok(strcmp(fa, fb) == 0, "randomization deterministic for a seed");
	}
}

/* Checks the style pick and that every style renders every table name. */
static void
TestStyles(void)
{
	int			count[3] = {0};
	uint64_t	rng = 1;
	int			missing = 0;

	for (int i = 0; i < 1000; i++)
		count[datagen_pick_style(&rng)]++;
	tap_ok(count[SQLPILOT_DDL_CRDB] > 700 && count[SQLPILOT_DDL_PGDUMP] > 30 &&
		   count[SQLPILOT_DDL_HANDWRITTEN] > 30,
		   "styles: mostly CockroachDB, some pg_dump and hand-written (%d/%d/%d)",
		   count[0], count[1], count[2]);
	for (int i = 0; i < 60; i++)
	{
		DatagenSchema s;

		SampleSchema(&s, i);
		datagen_randomize(&s, NULL, 0, (uint64_t) i);
		for (int style = 0; style < 3; style++)
		{
			char	   *txt = sqlpilot_schema_render(s.tables, s.n_tables, (SqlpilotDdlStyle) style, &rng, NULL);

			for (int t = 0; t < s.n_tables; t++)
				missing += strstr(txt, s.tables[t].name) == NULL;
			free(txt);
		}
		datagen_schema_free(&s);
	}
	tap_ok(missing == 0, "every style renders every table name (%d missing)", missing);
}

/* Measures generation speed (reported, never asserted). */
static void
ReportSpeed(void)
{
	DatagenStatement st[PER_SCHEMA];
	double		t0 = sqlpilot_now();
	long		n = 0;

	for (int i = 0; i < 300; i++)
	{
		DatagenSchema s;
		int			m;

		SampleSchema(&s, i);
		m = datagen_statements_generate(&s, (uint64_t) i, st, PER_SCHEMA);
		datagen_randomize(&s, st, m, (uint64_t) i);
		for (int k = 0; k < m; k++)
			datagen_statement_free(&st[k]);
		datagen_schema_free(&s);
		n += m;
	}
	tap_diag("speed: %.0f statements/s (schema + statements + randomization, one thread)",
			 n / (sqlpilot_now() - t0));
}

/* What a function's argument (or an operator's operand) must be: 0 number, 1 date/time, 2 text, 3 array. */
typedef struct TypeRule
{
	const char *fn;				/* lower case, as it appears before the column */
	int			want;
	bool		before;			/* the column comes before fn (an operator) */
} TypeRule;

/* True when a column of PostgreSQL type type (and content kind) fits rule want. */
static bool
TypeFits(const char *type, int kind, int want)
{
	switch (want)
	{
		case 0:
			return kind != DATAGEN_COL_ID &&
				(strcmp(type, "integer") == 0 || strcmp(type, "bigint") == 0 || strcmp(type, "smallint") == 0 ||
				 strncmp(type, "numeric", 7) == 0 || strcmp(type, "double precision") == 0 || strcmp(type, "real") == 0);
		case 1:
			return strcmp(type, "date") == 0 || strncmp(type, "timestamp", 9) == 0;
		case 2:
			return strcmp(type, "text") == 0 || strncmp(type, "character", 9) == 0;
		default:
			return strchr(type, '[') != NULL;
	}
}

/*
 * Checks that functions get arguments of a fitting type: SUM / AVG / ROUND
 * numbers that are not keys, DATE_TRUNC / EXTRACT / TO_CHAR dates and
 * timestamps, string functions and ILIKE text, ARRAY_LENGTH arrays.
 */
static void
TestTypeSense(void)
{
	static const TypeRule rules[] = {
		{"sum(", 0, false}, {"avg(", 0, false}, {"round(", 0, false}, {"date_trunc(", 1, false},
		{"extract(", 1, false}, {"to_char(", 1, false}, {"lower(", 2, false}, {"upper(", 2, false},
		{"trim(", 2, false}, {"length(", 2, false}, {"left(", 2, false}, {"substring(", 2, false},
		{" ilike ", 2, true}, {"array_length(", 3, false}
	};
	int			checked[N_OF_RULES] = {0};
	int			bad = 0;
	char		why[400] = "";

	for (int i = 0; i < 400; i++)
	{
		DatagenSchema s;
		DatagenStatement st[PER_SCHEMA];
		int			n;

		SampleSchema(&s, i + 500);
		n = datagen_statements_generate(&s, (uint64_t) i + 77, st, PER_SCHEMA);
		for (int k = 0; k < n; k++)
		{
			char	   *low = strdup(st[k].sql);

			for (char *p = low; *p; p++)
				*p = (char) tolower((unsigned char) *p);
			for (int r = 0; r < N_OF_RULES; r++)
				for (const char *p = low; (p = strstr(p, rules[r].fn)) != NULL; p++)
				{
					uint32_t	at = (uint32_t) (p - low);
					uint32_t	close = at;
					const DatagenIdent *col = NULL;

					/* a name inside a longer one (length in array_length) is not it */
					if (!rules[r].before && p > low && (isalnum((unsigned char) p[-1]) || p[-1] == '_'))
						continue;

					/* a call's arguments end at its closing parenthesis (quotes skipped) */
					for (int depth = 0, q = 0; !rules[r].before && low[close]; close++)
					{
						if (low[close] == '\'')
							q = !q;
						else if (!q && low[close] == '(')
							depth++;
						else if (!q && low[close] == ')' && --depth == 0)
							break;
					}
					/* the first column span inside the call (or, for an operator, the one before it) */
					for (int d = 0; d < st[k].n_idents; d++)
					{
						const DatagenIdent *id = &st[k].idents[d];

						if (id->what != DATAGEN_IDENT_COLUMN)
							continue;
						if (!rules[r].before && id->off > at && id->off < close && !col)
							col = id;
						if (rules[r].before && id->off < at)
							col = id;
					}
					if (!col)
						continue;
					checked[r]++;
					if (!TypeFits(s.tables[col->table].columns[col->column].type,
								  s.col_kinds ? s.col_kinds[col->table][col->column] : -1, rules[r].want))
					{
						bad++;
						snprintf(why, sizeof(why), "%s: %s on %s", st[k].sql, rules[r].fn,
								 s.tables[col->table].columns[col->column].type);
					}
				}
			free(low);
			datagen_statement_free(&st[k]);
		}
		datagen_schema_free(&s);
	}
	for (int r = 0; r < N_OF_RULES; r++)
		if (checked[r] == 0)
			bad++;
	if (!tap_ok(bad == 0, "functions get sensible types: SUM %d, AVG %d, DATE_TRUNC %d, TO_CHAR %d, LOWER %d, ILIKE %d, ... checked",
				checked[0], checked[1], checked[3], checked[5], checked[6], checked[12]))
		tap_diag("%s", why);
}

/* The CHECK (col IN (...)) of column name in table t, or NULL. */
static const char *
EnumCheck(const SqlpilotTable *t, const char *name)
{
	size_t		n = strlen(name);

	for (int i = 0; i < t->n_checks; i++)
	{
		const char *e = t->checks[i].expr;

		if (e[0] == '"')
			e++;
		if (strncmp(e, name, n) == 0 && strstr(e + n, " IN ('"))
			return t->checks[i].expr;
	}
	return NULL;
}

/*
 * Checks that statements compare and assign an enumerated column (CHECK
 * (col IN (...))) only the values its list allows: col = 'value'.
 */
static void
TestEnumValues(void)
{
	int			checked = 0;
	int			bad = 0;
	char		why[400] = "";

	for (int i = 0; i < 1500; i++)
	{
		DatagenSchema s;
		DatagenStatement st[PER_SCHEMA];
		int			n;
		bool		any = false;

		SampleSchema(&s, i + 2000);
		for (int t = 0; t < s.n_tables; t++)
			for (int c = 0; c < s.tables[t].n_columns; c++)
				any |= EnumCheck(&s.tables[t], s.tables[t].columns[c].name) != NULL;
		n = any ? datagen_statements_generate(&s, (uint64_t) i, st, PER_SCHEMA) : 0;
		for (int k = 0; k < n; k++)
		{
			for (int d = 0; d < st[k].n_idents; d++)
			{
				const DatagenIdent *id = &st[k].idents[d];
				const SqlpilotTable *tb = &s.tables[id->table];
				const char *after = st[k].sql + id->off + id->len;
				const char *e;
				char		lit[64];
				size_t		len;

				if (id->what != DATAGEN_IDENT_COLUMN ||
					!(e = EnumCheck(tb, tb->columns[id->column].name)) || strncmp(after, " = '", 4) != 0)
					continue;
				len = strcspn(after + 3 + 1, "'") + 2;
				if (len >= sizeof(lit))
					continue;
				snprintf(lit, sizeof(lit), "%.*s", (int) len, after + 3);
				checked++;
				if (!strstr(e, lit))
				{
					bad++;
					snprintf(why, sizeof(why), "%s: %s not in %s", st[k].sql, lit, e);
				}
			}
			datagen_statement_free(&st[k]);
		}
		datagen_schema_free(&s);
	}
	if (!tap_ok(checked > 0 && bad == 0, "enumerated columns get only their listed values (%d checked, %d not)",
				checked, bad))
		tap_diag("%s", why);
}

int
main(void)
{
	TestVocabulary();
	TestSchemas();
	TestStatements();
	TestTypeSense();
	TestEnumValues();
	TestRandomize();
	TestStyles();
	ReportSpeed();
	return tap_done();
}
