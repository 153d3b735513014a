/*
 * test_generate_wide_pg.c — the generator's wide share against a real
 * PostgreSQL 15: every construct it adds (joins over three or more tables,
 * aliases with and without AS, GROUP BY / HAVING, NULLS LAST, OFFSET,
 * subqueries, CTEs, window functions, CASE / COALESCE / NULLIF / casts, date
 * and string functions, ILIKE, UNION, INSERT ... SELECT, UPDATE ... FROM,
 * DELETE ... USING, RETURNING, ON CONFLICT, lower-case and multi-line
 * statements) and every schema feature (non-public schemas, quoted
 * mixed-case names, up to 25 tables, jsonb, text[], timestamptz, uuid,
 * defaults, CHECK, enumerations as CHECK ... IN, UNIQUE, composite keys) shows up at a nonzero rate, and
 * PostgreSQL accepts all of it, as generated and after name randomization.
 * Deterministic for its seeds; skips when no server can be started.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../datagen/generate.h"
#include "tap.h"
#include "tap_pg.h"

#define N_SCHEMAS 300
#define PER_SCHEMA 30

/* A statement construct: its name and the test on a statement's normalized text. */
typedef struct Construct
{
	const char *name;
	const char *needle;			/* in the lower-cased text with runs of white space as one space */
	int			(*test) (const char *norm, const DatagenStatement *st);
} Construct;

/* Validates the statements over s into ok[]; returns 1 when the DDL was refused, -1 when the server failed. */
static int
Validate(DatagenValidator *v, DatagenSchema *s, DatagenStatement *st, int n, bool *ok, int *shown)
{
	char	   *msgs[PER_SCHEMA];
	char		err[512];
	int			rc = datagen_validate_statements(v, s, st, n, ok, msgs, err, sizeof(err));

	if (rc != 0 && (*shown)++ < 3)
		tap_diag("%s: %s", rc == 1 ? "DDL rejected" : "server failed", err);
	if (rc != 0)
		return rc;
	for (int i = 0; i < n; i++)
	{
		if (!ok[i] && (*shown)++ < 8)
			tap_diag("rejected: %s\n  %s", st[i].pg_sql ? st[i].pg_sql : st[i].sql,
					 msgs[i] ? msgs[i] : "");
		free(msgs[i]);
	}
	return 0;
}

/* The text lower-cased with every run of white space as one space (malloc'd). */
static char *
Normalize(const char *sql)
{
	char	   *out = malloc(strlen(sql) + 1);
	size_t		k = 0;

	for (const char *p = sql; *p; p++)
	{
		if (isspace((unsigned char) *p))
		{
			if (k > 0 && out[k - 1] != ' ')
				out[k++] = ' ';
			continue;
		}
		out[k++] = (char) tolower((unsigned char) *p);
	}
	out[k] = '\0';
	return out;
}

/* Two or more JOINs: three or more tables. */
static int
ThreeTables(const char *norm, const DatagenStatement *st)
{
	const char *p = strstr(norm, " join ");

	(void) st;
	return p && strstr(p + 1, " join ") != NULL;
}

/* An IN list of literals (not a subquery). */
static int
InList(const char *norm, const DatagenStatement *st)
{
	(void) st;
	for (const char *p = norm; (p = strstr(p, " in (")) != NULL; p++)
		if (strncmp(p + 5, "select", 6) != 0)
			return 1;
	return 0;
}

/* A table alias written with AS: an alias span right after " AS ". */
static int
AliasWithAs(const char *norm, const DatagenStatement *st)
{
	(void) norm;
	for (int i = 0; i < st->n_idents; i++)
		if (st->idents[i].what == DATAGEN_IDENT_ALIAS && st->idents[i].off >= 4 &&
			strncasecmp(st->sql + st->idents[i].off - 4, " AS ", 4) == 0 && i > 0 &&
			st->idents[i - 1].what == DATAGEN_IDENT_TABLE &&
			st->idents[i - 1].off + st->idents[i - 1].len + 4 == st->idents[i].off)
			return 1;
	return 0;
}

/* A table alias without AS: an alias span one space after its table's name. */
static int
AliasWithoutAs(const char *norm, const DatagenStatement *st)
{
	(void) norm;
	for (int i = 1; i < st->n_idents; i++)
		if (st->idents[i].what == DATAGEN_IDENT_ALIAS && st->idents[i - 1].what == DATAGEN_IDENT_TABLE &&
			st->idents[i - 1].off + st->idents[i - 1].len + 1 == st->idents[i].off)
			return 1;
	return 0;
}

/* Starts with its first keyword in lower case. */
static int
LowerKeywords(const char *norm, const DatagenStatement *st)
{
	(void) norm;
	return islower((unsigned char) st->sql[0]);
}

/* Spans lines. */
static int
MultiLine(const char *norm, const DatagenStatement *st)
{
	(void) norm;
	return strchr(st->sql, '\n') != NULL;
}

/* Indented lines (JOIN or AND under their clause). */
static int
Indented(const char *norm, const DatagenStatement *st)
{
	(void) norm;
	return strstr(st->sql, "\n  ") != NULL;
}

/* INSERT ... SELECT. */
static int
InsertSelect(const char *norm, const DatagenStatement *st)
{
	(void) st;
	return strncmp(norm, "insert", 6) == 0 && strstr(norm, " select ") != NULL;
}

/* UPDATE ... FROM. */
static int
UpdateFrom(const char *norm, const DatagenStatement *st)
{
	(void) st;
	return strncmp(norm, "update", 6) == 0 && strstr(norm, " from ") != NULL;
}

/* DELETE ... USING. */
static int
DeleteUsing(const char *norm, const DatagenStatement *st)
{
	(void) st;
	return strncmp(norm, "delete", 6) == 0 && strstr(norm, " using ") != NULL;
}

/* A running total: SUM(...) OVER. */
static int
RunningSum(const char *norm, const DatagenStatement *st)
{
	const char *p = strstr(norm, "sum(");

	(void) st;
	return p && strstr(p, ") over (") != NULL;
}

static const Construct constructs[] = {
	{"join over 3+ tables", NULL, ThreeTables},
	{"LEFT JOIN", " left join ", NULL},
	{"table alias with AS", NULL, AliasWithAs},
	{"table alias without AS", NULL, AliasWithoutAs},
	{"GROUP BY", " group by ", NULL},
	{"HAVING", " having ", NULL},
	{"ORDER BY ... NULLS LAST", " nulls last", NULL},
	{"LIMIT", " limit ", NULL},
	{"OFFSET", " offset ", NULL},
	{"DISTINCT", "select distinct ", NULL},
	{"IN (subquery)", " in (select ", NULL},
	{"EXISTS", "exists (select ", NULL},
	{"NOT EXISTS", "not exists (select ", NULL},
	{"scalar subquery", "(select count(*) from ", NULL},
	{"CTE", "with ", NULL},
	{"ROW_NUMBER", "row_number() over (", NULL},
	{"RANK", " rank() over (", NULL},
	{"LAG", "lag(", NULL},
	{"PARTITION BY", "partition by ", NULL},
	{"SUM ... OVER", NULL, RunningSum},
	{"CASE", "case when ", NULL},
	{"COALESCE", "coalesce(", NULL},
	{"NULLIF", "nullif(", NULL},
	{"cast ::", "::", NULL},
	{"date_trunc", "date_trunc(", NULL},
	{"extract", "extract(", NULL},
	{"now() - interval", "now() - interval '", NULL},
	{"to_char", "to_char(", NULL},
	{"LOWER / UPPER", "lower(", NULL},
	{"string concatenation ||", " || ", NULL},
	{"ILIKE", " ilike ", NULL},
	{"IS NULL", " is null", NULL},
	{"IS NOT NULL", " is not null", NULL},
	{"BETWEEN", " between ", NULL},
	{"IN list", NULL, InList},
	{"UNION", " union ", NULL},
	{"UNION ALL", " union all ", NULL},
	{"= ANY(array)", " = any(", NULL},
	{"json ->>", " ->> '", NULL},
	{"INSERT ... SELECT", NULL, InsertSelect},
	{"UPDATE ... FROM", NULL, UpdateFrom},
	{"DELETE ... USING", NULL, DeleteUsing},
	{"RETURNING", " returning ", NULL},
	{"ON CONFLICT", " on conflict ", NULL},
	{"lower-case keywords", NULL, LowerKeywords},
	{"multi-line", NULL, MultiLine},
	{"indented lines", NULL, Indented},
};

#define N_CONSTRUCTS ((int) (sizeof(constructs) / sizeof(constructs[0])))

/* Schema features of the wide share, counted over its schemas. */
typedef struct SchemaCounts
{
	int			wide;
	int			non_public;
	int			quoted;
	int			over5;
	int			over10;
	int			max_tables;
	int			jsonb;
	int			array;
	int			tstz;
	int			uuid;
	int			defaults;
	int			checks;
	int			enums;			/* CHECK (col IN ('a', 'b', ...)) */
	int			uniques;
	int			composite;
} SchemaCounts;

/* Adds schema s's features to the counts. */
static void
CountSchema(const DatagenSchema *s, SchemaCounts *sc)
{
	if (!s->wide)
		return;
	sc->wide++;
	sc->non_public += strcmp(s->tables[0].schema, "public") != 0;
	sc->quoted += !s->tables[0].fold_case;
	sc->over5 += s->n_tables > 5;
	sc->over10 += s->n_tables > 10;
	if (s->n_tables > sc->max_tables)
		sc->max_tables = s->n_tables;
	for (int t = 0; t < s->n_tables; t++)
	{
		const SqlpilotTable *tb = &s->tables[t];

		for (int c = 0; c < tb->n_columns; c++)
		{
			sc->jsonb += strcmp(tb->columns[c].type, "jsonb") == 0;
			sc->array += strchr(tb->columns[c].type, '[') != NULL;
			sc->tstz += strcmp(tb->columns[c].type, "timestamp with time zone") == 0;
			sc->uuid += strcmp(tb->columns[c].type, "uuid") == 0;
			sc->defaults += tb->columns[c].default_expr != NULL;
		}
		sc->checks += tb->n_checks;
		for (int i = 0; i < tb->n_checks; i++)
			sc->enums += strstr(tb->checks[i].expr, " IN ('") != NULL;
		for (int i = 0; i < tb->n_indexes; i++)
		{
			sc->uniques += tb->indexes[i].unique && !tb->indexes[i].primary;
			sc->composite += tb->indexes[i].primary && tb->indexes[i].n_cols > 1;
		}
	}
}

/* True when two generations from the same seeds give the same statements. */
static bool
Deterministic(void)
{
	bool		same = true;

	for (int i = 0; i < 20 && same; i++)
	{
		DatagenSchema a;
		DatagenSchema b;
		DatagenStatement sa[PER_SCHEMA];
		DatagenStatement sb[PER_SCHEMA];
		int			na;
		int			nb;

		datagen_schema_generate(&a, (i * 29) % datagen_n_topics(), 5, (uint64_t) i + 900);
		datagen_schema_generate(&b, (i * 29) % datagen_n_topics(), 5, (uint64_t) i + 900);
		na = datagen_statements_generate(&a, (uint64_t) i, sa, PER_SCHEMA);
		nb = datagen_statements_generate(&b, (uint64_t) i, sb, PER_SCHEMA);
		same = na == nb && a.n_tables == b.n_tables && a.wide == b.wide;
		for (int k = 0; k < na && same; k++)
			same = strcmp(sa[k].sql, sb[k].sql) == 0 && sa[k].wide == sb[k].wide;
		for (int k = 0; k < na; k++)
			datagen_statement_free(&sa[k]);
		for (int k = 0; k < nb; k++)
			datagen_statement_free(&sb[k]);
		datagen_schema_free(&a);
		datagen_schema_free(&b);
	}
	return same;
}

int
main(void)
{
	DatagenServer srv = {0};
	DatagenValidator v = {0};
	SchemaCounts sc = {0};
	int			wide = 0;
	int			total = 0;
	int			rejected = 0;
	int			ddl_bad = 0;
	int			quoted_ok = 0;
	int			non_public_ok = 0;
	int			shown = 0;
	int			failed = 0;
	int			seen[N_CONSTRUCTS] = {0};	/* accepted wide statements with each construct */

	tap_ok(Deterministic(), "schemas and statements are deterministic for a seed");
	if (!tap_pg_open(&srv, &v))
		return tap_done();
	for (int i = 0; i < N_SCHEMAS && !failed; i++)
	{
		int			topic = (i * 31) % datagen_n_topics();
		int			uc = (i * 43 + 11) % datagen_n_use_cases(topic);
		DatagenSchema s;
		DatagenStatement st[PER_SCHEMA];
		bool		ok[PER_SCHEMA];
		bool		ok_after[PER_SCHEMA];
		char	   *norm[PER_SCHEMA];
		int			n;
		int			rc;

		datagen_schema_generate(&s, topic, uc, (uint64_t) i + 7000);
		CountSchema(&s, &sc);
		n = datagen_statements_generate(&s, (uint64_t) i * 5 + 3, st, PER_SCHEMA);
		for (int k = 0; k < n; k++)
			norm[k] = Normalize(st[k].sql);
		rc = Validate(&v, &s, st, n, ok, &shown);
		if (rc == 0)
		{
			datagen_randomize(&s, st, n, (uint64_t) i + 31);
			rc = Validate(&v, &s, st, n, ok_after, &shown);
		}
		if (rc < 0)
			failed = 1;
		ddl_bad += rc == 1;
		for (int k = 0; k < n && rc == 0; k++)
		{
			bool		good = ok[k] && ok_after[k];

			total++;
			rejected += !good;
			quoted_ok += good && !s.tables[0].fold_case;
			non_public_ok += good && strcmp(s.tables[0].schema, "public") != 0;
			if (!st[k].wide || !good)
				continue;
			wide++;
			for (int c = 0; c < N_CONSTRUCTS; c++)
			{
				const Construct *x = &constructs[c];

				if (x->needle ? strstr(norm[k], x->needle) != NULL : x->test(norm[k], &st[k]))
					seen[c]++;
			}
		}
		for (int k = 0; k < n; k++)
		{
			free(norm[k]);
			datagen_statement_free(&st[k]);
		}
		datagen_schema_free(&s);
	}
	tap_ok(!failed, "the server answered throughout");
	tap_ok(ddl_bad == 0, "the DDL of %d schemas loads, as generated and randomized (%d refused)", N_SCHEMAS, ddl_bad);
	tap_ok(total == N_SCHEMAS * PER_SCHEMA && rejected == 0,
		   "%d statements accepted as generated and as randomized (%d rejected)", total, rejected);
	tap_ok(wide * 100 > total * 28 && wide * 100 < total * 42, "wide share %.1f%% of the statements",
		   total ? 100.0 * wide / total : 0.0);
	for (int c = 0; c < N_CONSTRUCTS; c++)
		tap_ok(seen[c] > 0, "%s: in %d accepted statements (%.2f%% of the wide share)",
			   constructs[c].name, seen[c], wide ? 100.0 * seen[c] / wide : 0.0);
	tap_ok(sc.wide * 100 > N_SCHEMAS * 15 && sc.wide * 100 < N_SCHEMAS * 35, "wide schemas: %d of %d",
		   sc.wide, N_SCHEMAS);
	tap_ok(sc.non_public > 0 && non_public_ok > 0,
		   "non-public schemas: %d, %d statements over them accepted", sc.non_public, non_public_ok);
	tap_ok(sc.quoted > 0 && quoted_ok > 0,
		   "quoted mixed-case names: %d schemas, %d statements over them accepted", sc.quoted, quoted_ok);
	tap_ok(sc.over5 > 0 && sc.over10 > 0 && sc.max_tables <= DATAGEN_MAX_TABLES,
		   "more than 5 tables in %d schemas, more than 10 in %d, at most %d (max %d)", sc.over5, sc.over10,
		   DATAGEN_MAX_TABLES, sc.max_tables);
	tap_ok(sc.jsonb > 0, "jsonb columns: %d", sc.jsonb);
	tap_ok(sc.array > 0, "text[] columns: %d", sc.array);
	tap_ok(sc.tstz > 0, "timestamptz columns: %d", sc.tstz);
	tap_ok(sc.uuid > 0, "uuid columns: %d", sc.uuid);
	tap_ok(sc.defaults > 0, "columns with a DEFAULT: %d", sc.defaults);
	tap_ok(sc.checks > 0, "CHECK constraints: %d", sc.checks);
	tap_ok(sc.enums > 0, "enumerations as CHECK (col IN (...)): %d", sc.enums);
	tap_ok(sc.uniques > 0, "UNIQUE keys: %d", sc.uniques);
	tap_ok(sc.composite > 0, "composite primary keys: %d", sc.composite);
	tap_pg_close(&srv, &v);
	return tap_done();
}
