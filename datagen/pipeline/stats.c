/*
 * stats.c — `sqlpilot datagen stats`: generated data next to the reference.
 *
 * The statements of raw/ (or of one JSONL file) go through the small lexer
 * and token-level feature tests of stats_features.c, as heuristic as the
 * reference's own method; schema shape
 * and constraints come from the structured schemas of tons_of_tables/,
 * types and naming from the schema texts of raw/.  Every number is
 * printed as "ours (reference)".  The reference numbers are those of
 * docs/data-targets.md, copied into the tables below as data.
 * UPSERT statements are counted with INSERT (the reference corpus labels
 * every INSERT ... ON CONFLICT an insert); the header says how many.
 */
#include "../stats.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cJSON.h"
#include "../generate.h"
#include "stats_features.h"
#include "util.h"

/* Reference columns: select insert update delete truncate all. */
#define N_COLS 6
#define COL_ALL 5

static const char *const col_names[N_COLS] = {"select", "insert", "update", "delete", "truncate", "all"};

/* Section 1 of the reference: share, chars and words p10/p50/p90/p99, ';', multi-line, starts with kind, distinct. */
static const char *const ref_shape[N_COLS][8] = {
	{"32.4", "45/85/146/248", "6/10/16/26", "84.8", "<0.1", ">99.9", "89.1"},
	{"32.4", "92/134/198/275", "10/14/18/24", "81.4", "<0.1", "99.8", "98.0"},
	{"13.1", "66/94/135/183", "8/13/16/21", "86.9", "0.3", "99.9", "95.7"},
	{"12.6", "42/57/87/118", "7/7/11/15", "91.1", "0.1", ">99.9", "79.1"},
	{"9.5", "23/30/44/83", "3/3/4/7", "90.4", "<0.1", "100.0", "43.0"},
	{"100.0", "36/93/165/252", "4/11/17/24", "85.3", "0.1", "99.9", "87.2"},
};

/* One row of section 2: label, our feature (-1: a heading or not measured), reference numbers. */
typedef struct FeatureRow
{
	const char *label;
	int			feature;
	const char *ref[N_COLS];
} FeatureRow;

#define HEAD -2
#define NOT_MEASURED -1

static const FeatureRow feature_rows[] = {
	{"Clauses", HEAD, {NULL}},
	{"WHERE", F_WHERE, {"62.2", "<0.1", "99.7", ">99.9", "1.4", "46.0"}},
	{"GROUP BY", F_GROUP_BY, {"5.4", "0", "0", "0", "0", "1.7"}},
	{"HAVING", F_HAVING, {"2.5", "0", "0", "0", "0", "0.8"}},
	{"ORDER BY", F_ORDER_BY, {"35.8", "<0.1", "<0.1", "<0.1", "<0.1", "11.6"}},
	{"… explicit ASC", F_ASC, {"11.4", "<0.1", "0", "<0.1", "<0.1", "3.7"}},
	{"… explicit DESC", F_DESC, {"25.4", "<0.1", "<0.1", "<0.1", "<0.1", "8.2"}},
	{"LIMIT", F_LIMIT, {"4.3", "<0.1", "<0.1", "<0.1", "0", "1.4"}},
	{"OFFSET", F_OFFSET, {"<0.1", "0", "0", "0", "0", "<0.1"}},
	{"TOP n / FETCH FIRST", F_TOP_FETCH, {"<0.1", "0", "0", "0", "0", "<0.1"}},
	{"DISTINCT (any)", F_DISTINCT, {"1.3", "<0.1", "<0.1", "0", "0", "0.4"}},
	{"SELECT *", F_SELECT_STAR, {"28.1", "0", "0", "0", "0", "9.1"}},
	{"t.*", F_T_STAR, {"0.1", "0", "0", "0", "0", "<0.1"}},
	{"Joins", HEAD, {NULL}},
	{"JOIN (any)", F_JOIN, {"10.3", "<0.1", "<0.1", "<0.1", "0", "3.3"}},
	{"bare JOIN", F_BARE_JOIN, {"7.5", "<0.1", "<0.1", "<0.1", "0", "2.4"}},
	{"INNER JOIN", F_INNER_JOIN, {"2.0", "0", "<0.1", "<0.1", "0", "0.6"}},
	{"LEFT [OUTER] JOIN", F_LEFT_JOIN, {"0.8", "0", "0", "<0.1", "0", "0.3"}},
	{"RIGHT JOIN", F_RIGHT_JOIN, {"<0.1", "0", "0", "0", "0", "<0.1"}},
	{"FULL JOIN", F_FULL_JOIN, {"<0.1", "0", "0", "0", "0", "<0.1"}},
	{"CROSS JOIN", F_CROSS_JOIN, {"<0.1", "0", "0", "0", "0", "<0.1"}},
	{"NATURAL JOIN", F_NATURAL_JOIN, {"<0.1", "0", "0", "0", "0", "<0.1"}},
	{"implicit comma join", F_COMMA_JOIN, {"0.1", "0", "0", "0", "0", "<0.1"}},
	{"ON (join cond.)", F_ON, {"10.3", "<0.1", "<0.1", "<0.1", "0", "3.3"}},
	{"USING", F_USING, {"<0.1", "<0.1", "0", "<0.1", "0", "<0.1"}},
	{"Subqueries / set ops", HEAD, {NULL}},
	{"nested SELECT (any)", F_NESTED_SELECT, {"0.3", "<0.1", "0.1", "0.7", "<0.1", "0.2"}},
	{"derived table in FROM", F_DERIVED, {"<0.1", "0", "0", "0", "0", "<0.1"}},
	{"IN (list)", F_IN_LIST, {"1.5", "0", "<0.1", "0.1", "<0.1", "0.5"}},
	{"IN (subquery)", F_IN_SUBQUERY, {"0.2", "0", "<0.1", "0.6", "<0.1", "0.1"}},
	{"NOT IN", F_NOT_IN, {"<0.1", "0", "0", "<0.1", "<0.1", "<0.1"}},
	{"EXISTS", F_EXISTS, {"<0.1", "0", "0", "0", "<0.1", "<0.1"}},
	{"CTE (WITH)", F_CTE, {"0", "0", "0", "0", "0", "0"}},
	{"UNION", F_UNION, {"<0.1", "0", "0", "0", "0", "<0.1"}},
	{"UNION ALL", F_UNION_ALL, {"<0.1", "0", "0", "0", "0", "<0.1"}},
	{"INTERSECT", F_INTERSECT, {"0", "0", "0", "0", "0", "0"}},
	{"EXCEPT", F_EXCEPT, {"0", "0", "0", "0", "0", "0"}},
	{"Predicates / expressions", HEAD, {NULL}},
	{"BETWEEN", F_BETWEEN, {"4.4", "<0.1", "<0.1", "0.1", "0", "1.4"}},
	{"LIKE", F_LIKE, {"5.4", "<0.1", "<0.1", "0.8", "<0.1", "1.8"}},
	{"ILIKE", F_ILIKE, {"0.1", "0", "0", "<0.1", "<0.1", "<0.1"}},
	{"IS NULL", F_IS_NULL, {"0.3", "0", "<0.1", "0.1", "<0.1", "0.1"}},
	{"IS NOT NULL", F_IS_NOT_NULL, {"1.1", "0", "<0.1", "0.1", "<0.1", "0.4"}},
	{"CASE", F_CASE, {"<0.1", "<0.1", "<0.1", "0", "0", "<0.1"}},
	{"window fn (OVER)", F_OVER, {"<0.1", "<0.1", "0", "0", "0", "<0.1"}},
	{"CAST / ::", F_CAST, {"<0.1", "0.1", "<0.1", "<0.1", "0", "<0.1"}},
	{"qualified col a.b", F_QUALIFIED, {"10.4", "<0.1", "<0.1", "<0.1", "0", "3.4"}},
	{"table alias (any)", F_TABLE_ALIAS, {"3.7", "<0.1", "<0.1", "<0.1", "0", "1.2"}},
	{"table alias with AS", F_TABLE_ALIAS_AS, {"0.1", "0", "<0.1", "0", "0", "<0.1"}},
	{"column alias (AS)", F_COLUMN_ALIAS, {"7.5", "<0.1", "0", "0", "0", "2.4"}},
	{"column alias without AS", NOT_MEASURED, {"<0.1", "0", "0", "0", "0", "<0.1"}},
	{"Functions", HEAD, {NULL}},
	{"any aggregate", F_AGGREGATE, {"7.3", "0", "<0.1", "<0.1", "0", "2.4"}},
	{"COUNT", F_COUNT, {"3.9", "0", "0", "0", "0", "1.3"}},
	{"… COUNT(*)", F_COUNT_STAR, {"2.4", "0", "0", "0", "0", "0.8"}},
	{"… COUNT(DISTINCT)", F_COUNT_DISTINCT, {"0.1", "0", "0", "0", "0", "<0.1"}},
	{"SUM", F_SUM, {"1.4", "0", "0", "0", "0", "0.5"}},
	{"AVG", F_AVG, {"1.6", "0", "<0.1", "0", "0", "0.5"}},
	{"MIN", F_MIN, {"0.3", "0", "0", "<0.1", "0", "0.1"}},
	{"MAX", F_MAX, {"1.1", "0", "<0.1", "<0.1", "0", "0.4"}},
	{"any date/time fn or keyword", F_DATETIME, {"0.4", "0.4", "1.2", "0.1", "<0.1", "0.4"}},
	{"NOW()", F_NOW, {"0.1", "0.2", "0.7", "0.1", "<0.1", "0.2"}},
	{"CURRENT_DATE", F_CURRENT_DATE, {"<0.1", "<0.1", "<0.1", "<0.1", "<0.1", "<0.1"}},
	{"CURRENT_TIMESTAMP", F_CURRENT_TIMESTAMP, {"<0.1", "0.1", "0.5", "<0.1", "<0.1", "0.1"}},
	{"DATE_TRUNC", F_DATE_TRUNC, {"<0.1", "0", "0", "0", "0", "<0.1"}},
	{"EXTRACT", F_EXTRACT, {"<0.1", "0", "0", "<0.1", "0", "<0.1"}},
	{"INTERVAL", F_INTERVAL, {"0.1", "<0.1", "<0.1", "0.1", "<0.1", "<0.1"}},
	{"any string fn (excl. ||)", F_STRING_FN, {"0.2", "<0.1", "<0.1", "<0.1", "0", "0.1"}},
	{"LOWER / UPPER", F_LOWER_UPPER, {"<0.1", "0", "0", "0", "0", "<0.1"}},
	{"CONCAT / ||", F_CONCAT, {"<0.1", "0", "<0.1", "0", "0", "<0.1"}},
	{"math fn (ROUND, ABS, ..)", F_MATH_FN, {"<0.1", "<0.1", "<0.1", "0", "0", "<0.1"}},
	{"COALESCE/NULLIF/IFNULL..", F_COALESCE, {"<0.1", "<0.1", "<0.1", "0", "0", "<0.1"}},
	{"unrecognized fn name", NOT_MEASURED, {"0.1", "0.3", "0.2", "<0.1", "0", "0.2"}},
	{"Literals & parameters (% of stmts containing ≥1)", HEAD, {NULL}},
	{"string literal", F_STRING, {"31.0", "95.8", "83.5", "44.5", "0.7", "57.7"}},
	{"… date 'YYYY-MM-DD'", F_S_DATE, {"9.0", "29.6", "16.1", "12.4", "0.3", "16.2"}},
	{"… timestamp-like", F_S_TIMESTAMP, {"0.2", "18.8", "6.4", "0.5", "<0.1", "7.1"}},
	{"… time-like", F_S_TIME, {"0.1", "1.5", "0.9", "0.1", "<0.1", "0.7"}},
	{"… UUID-like", F_S_UUID, {"1.1", "12.8", "12.3", "8.0", "<0.1", "7.1"}},
	{"… numeric in quotes", F_S_NUMERIC, {"0.2", "1.9", "1.2", "0.3", "<0.1", "0.9"}},
	{"… e-mail-like", F_S_EMAIL, {"0.4", "8.3", "5.8", "1.1", "<0.1", "3.7"}},
	{"… JSON/array text", F_S_JSON, {"<0.1", "2.2", "1.4", "<0.1", "0", "0.9"}},
	{"… LIKE pattern (has %)", F_S_LIKE, {"5.2", "0.1", "0.1", "0.8", "<0.1", "1.8"}},
	{"… empty ''", F_S_EMPTY, {"<0.1", "<0.1", "<0.1", "0", "0", "<0.1"}},
	{"… other free text", F_S_OTHER, {"15.6", "83.8", "66.4", "24.1", "0.4", "44.0"}},
	{"integer", F_INTEGER, {"34.2", "83.1", "83.8", "65.4", "0.6", "57.3"}},
	{"decimal", F_DECIMAL, {"2.4", "28.3", "23.8", "2.9", "0.1", "13.4"}},
	{"negative number", F_NEGATIVE, {"0.1", "0.9", "0.7", "0.1", "<0.1", "0.4"}},
	{"boolean TRUE/FALSE", F_BOOLEAN, {"1.5", "3.7", "3.0", "1.3", "<0.1", "2.2"}},
	{"NULL as a value", F_NULL_VALUE, {"<0.1", "0.3", "<0.1", "0", "0", "0.1"}},
	{"DEFAULT as a value", F_DEFAULT_VALUE, {"0", "0.1", "<0.1", "0", "0", "<0.1"}},
	{"typed DATE '..' / INTERVAL '..'", F_TYPED_LITERAL, {"0.1", "<0.1", "<0.1", "0.1", "<0.1", "<0.1"}},
	{"placeholder $n", F_PARAM_DOLLAR, {"0", "0", "<0.1", "0", "0", "<0.1"}},
	{"placeholder ?", F_PARAM_QMARK, {"<0.1", "<0.1", "<0.1", "0", "0", "<0.1"}},
	{"placeholder :name / %s / @var", F_PARAM_OTHER, {"0", "<0.1", "<0.1", "0", "0", "<0.1"}},
	{"DML-specific", HEAD, {NULL}},
	{"INSERT: column list present", F_INS_COLLIST, {"0", "97.4", "0", "0", "0", "31.5"}},
	{"INSERT: VALUES", F_INS_VALUES, {"0", "99.4", "0", "0", "0", "32.2"}},
	{"INSERT: multi-row VALUES", F_INS_MULTIROW, {"0", "0.1", "0", "0", "0", "<0.1"}},
	{"INSERT … SELECT", F_INS_SELECT, {"0", "<0.1", "0", "0", "0", "<0.1"}},
	{"INSERT: DEFAULT VALUES", F_INS_DEFAULT_VALUES, {"0", "<0.1", "0", "0", "0", "<0.1"}},
	{"RETURNING", F_RETURNING, {"0", "<0.1", "0", "<0.1", "<0.1", "<0.1"}},
	{"ON CONFLICT", F_ON_CONFLICT, {"0", "<0.1", "0", "0", "0", "<0.1"}},
	{"ON DUPLICATE KEY / IGNORE / REPLACE", F_ON_DUPLICATE, {"0", "<0.1", "0", "0", "0", "<0.1"}},
	{"UPDATE: >1 SET assignment", F_UPD_MULTISET, {"0", "0", "59.8", "0", "0", "7.8"}},
	{"UPDATE/DELETE: no WHERE", F_NO_WHERE, {"0", "0", "0.3", "<0.1", "0", "<0.1"}},
	{"UPDATE/DELETE: subquery", F_UD_SUBQUERY, {"0", "0", "0.1", "0.7", "0", "0.1"}},
	{"UPDATE/DELETE: WHERE is one `col = literal`", F_ONE_EQ_LITERAL, {"0", "0", "92.9", "61.5", "0", "19.9"}},
	{"UPDATE … FROM / DELETE … USING", F_UPD_FROM, {"0", "0", "0.1", "<0.1", "0", "<0.1"}},
	{"TRUNCATE TABLE keyword", F_TRUNC_TABLE, {"0", "0", "0", "0", "93.6", "8.9"}},
	{"TRUNCATE … CASCADE", F_TRUNC_CASCADE, {"0", "0", "0", "0", "8.1", "0.8"}},
	{"TRUNCATE … RESTART IDENTITY", F_TRUNC_RESTART, {"0", "0", "0", "0", "0.8", "0.1"}},
	{"TRUNCATE ONLY / RESTRICT / CONTINUE", F_TRUNC_ONLY, {"0", "0", "0", "0", "<0.1", "<0.1"}},
	{"TRUNCATE: >1 table", F_TRUNC_MULTI, {"0", "0", "0", "0", "6.7", "0.6"}},
	{"Beyond the reference's list (the wide share; – = not measured there)", HEAD, {NULL}},
	{"2 or more JOINs (3+ tables)", F_JOIN_2PLUS, {"2.3", "0", "0", "0", "0", "0.7"}},
	{"NULLS FIRST / LAST", F_NULLS_ORDER, {"–", "–", "–", "–", "–", "–"}},
	{"PARTITION BY", F_PARTITION_BY, {"–", "–", "–", "–", "–", "–"}},
	{"ROW_NUMBER / RANK / DENSE_RANK", F_RANK_FN, {"–", "–", "–", "–", "–", "–"}},
	{"LAG / LEAD", F_LAG_LEAD, {"–", "–", "–", "–", "–", "–"}},
	{"TO_CHAR", F_TO_CHAR, {"–", "–", "–", "–", "–", "–"}},
	{"= ANY(array)", F_ANY_ARRAY, {"–", "–", "–", "–", "–", "–"}},
	{"keywords in lower case", F_LOWER_KW, {"<0.1", "<0.1", "<0.1", "<0.1", "<0.1", "<0.1"}},
};

/* A growing array of ints, for percentiles. */
typedef struct IntVec
{
	int		   *v;
	long		n;
	long		cap;
	bool		oom;			/* a value was lost: memory ran out growing v */
} IntVec;

/* Appends x (or sets a->oom, the vector kept, when it cannot grow). */
static void
vec_push(IntVec *a, int x)
{
	if (a->n == a->cap)
	{
		long		cap = a->cap ? a->cap * 2 : 1024;
		int		   *v = realloc(a->v, sizeof(int) * cap);

		if (!v)
		{
			a->oom = true;
			return;
		}
		a->v = v;
		a->cap = cap;
	}
	a->v[a->n++] = x;
}

/* True when one of the n vectors lost a value to memory running out. */
static bool
vecs_oom(const IntVec *a, int n)
{
	for (int i = 0; i < n; i++)
		if (a[i].oom)
			return true;
	return false;
}

/* qsort comparator for ints. */
static int
cmp_int(const void *a, const void *b)
{
	int			x = *(const int *) a,
				y = *(const int *) b;

	return (x > y) - (x < y);
}

/* Writes "p10/p50/p90/p99" of a (sorted in place) into out. */
static void
percentiles(IntVec *a, char *out, size_t cap)
{
	static const int ps[] = {10, 50, 90, 99};
	size_t		used = 0;

	if (a->n == 0)
	{
		snprintf(out, cap, "–");
		return;
	}
	qsort(a->v, a->n, sizeof(int), cmp_int);
	for (int i = 0; i < 4; i++)
	{
		long		k = (long) ((ps[i] / 100.0) * (a->n - 1) + 0.5);

		used += snprintf(out + used, cap - used, "%s%d", i ? "/" : "", a->v[k]);
	}
}

/* Everything counted over the statements. */
typedef struct Tally
{
	long		n[N_COLS];
	long		upserts;
	long		feat[N_FEATURES][N_COLS];
	long		semicolon[N_COLS];
	long		multiline[N_COLS];
	long		starts_kw[N_COLS];
	long		distinct[N_COLS];
	long		upper_case[N_COLS];
	IntVec		chars[N_COLS];
	IntVec		words[N_COLS];
	/* distinct statement texts: an open-addressing set of 64-bit hashes per column */
	uint64_t   *set[N_COLS];
	long		set_cap[N_COLS];
	IntVec		schema_chars;
	long		style[3];
	/* section 3 */
	long		select_items[7];	/* 0 unused, 1 (or *), 2, 3, 4, 5-6, 7+ */
	long		set_assignments[6]; /* 1, 2, 3, 4, 5+ */
	long		insert_cols[8];	/* 1-2, 3, 4, 5, 6, 7-8, 9+ */
	long		trunc_tables[6];	/* 1, 2, 3, 4, 5+ */
	long		limits[8];		/* 5, 10, 3, 20, 7, 1, 8, other */
	long		n_limits;
	IntVec		literals[N_COLS];
	/* schema texts as the model sees them (distinct texts only) */
	uint64_t   *text_set;
	long		text_cap;
	long		texts;
	long		text_tables;
	long		text_columns;
	long		naming[2][8];
	long		name_len[2];
	char		type_name[64][24];
	long		type_count[64];
	long		type_param[64];
	int			n_types;
} Tally;

/* FNV-1a of a string. */
static uint64_t
hash_str(const char *s)
{
	uint64_t	h = 1469598103934665603ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char) *s) * 1099511628211ULL;
	return h | 1;
}

/* Adds h to column c's set; true when it was new. */
static bool
set_add(Tally *ta, int c, uint64_t h)
{
	if (ta->set_cap[c] == 0 || (ta->distinct[c] + 1) * 2 > ta->set_cap[c])
	{
		long		ncap = ta->set_cap[c] ? ta->set_cap[c] * 2 : 1 << 16;
		uint64_t   *ns = calloc(ncap, sizeof(uint64_t));

		if (!ns)
			abort();
		for (long i = 0; i < ta->set_cap[c]; i++)
			if (ta->set[c][i])
			{
				long		j = (long) (ta->set[c][i] % (uint64_t) ncap);

				while (ns[j])
					j = (j + 1) % ncap;
				ns[j] = ta->set[c][i];
			}
		free(ta->set[c]);
		ta->set[c] = ns;
		ta->set_cap[c] = ncap;
	}
	{
		long		j = (long) (h % (uint64_t) ta->set_cap[c]);

		while (ta->set[c][j])
		{
			if (ta->set[c][j] == h)
				return false;
			j = (j + 1) % ta->set_cap[c];
		}
		ta->set[c][j] = h;
	}
	return true;
}

/* Counts words (whitespace-separated). */
static int
count_words(const char *s)
{
	int			n = 0;
	bool		in = false;

	for (; *s; s++)
	{
		bool		sp = isspace((unsigned char) *s);

		if (!sp && !in)
			n++;
		in = !sp;
	}
	return n;
}

/* True when every letter of the statement's keywords is upper case (first word as the probe). */
static bool
keyword_upper(const char *s)
{
	while (*s && !isalpha((unsigned char) *s))
		s++;
	for (; isalpha((unsigned char) *s); s++)
		if (islower((unsigned char) *s))
			return false;
	return true;
}

static void pct(long x, long n, char *out, size_t cap);

/* Counts one statement's shape into the section 3 histograms. */
static void
tally_shape(Tally *ta, int col, const Shape *sh)
{
	static const int limit_values[7] = {5, 10, 3, 20, 7, 1, 8};

	vec_push(&ta->literals[col], sh->literals);
	vec_push(&ta->literals[COL_ALL], sh->literals);
	if (col == 0 && sh->select_items > 0)
		ta->select_items[sh->select_items <= 4 ? sh->select_items : sh->select_items <= 6 ? 5 : 6]++;
	if (col == 2 && sh->set_assignments > 0)
		ta->set_assignments[sh->set_assignments < 5 ? sh->set_assignments : 5]++;
	if (col == 1 && sh->insert_cols > 0)
		ta->insert_cols[sh->insert_cols <= 2 ? 1 : sh->insert_cols <= 6 ? sh->insert_cols - 1 :
						sh->insert_cols <= 8 ? 6 : 7]++;
	if (col == 4 && sh->trunc_tables > 0)
		ta->trunc_tables[sh->trunc_tables < 5 ? sh->trunc_tables : 5]++;
	if (col == 0 && sh->limit_value >= 0)
	{
		int			k = 7;

		for (int i = 0; i < 7; i++)
			if (limit_values[i] == sh->limit_value)
				k = i;
		ta->limits[k]++;
		ta->n_limits++;
	}
}

/* Prints one histogram line: "label: bucket x% (ref), ...". */
static void
print_hist(FILE *f, const char *label, const long *counts, int first, int n,
		   const char *const *buckets, const char *const *ref)
{
	long		total = 0;
	char		a[32];

	for (int i = first; i < first + n; i++)
		total += counts[i];
	fprintf(f, "- %s:", label);
	for (int i = 0; i < n; i++)
	{
		pct(counts[first + i], total, a, sizeof(a));
		fprintf(f, "%s %s: %s%% (%s)", i ? "," : "", buckets[i], a, ref[i]);
	}
	fprintf(f, "\n");
}

/* Prints section 3: distributions of statement shapes. */
static void
print_distributions(FILE *f, Tally *ta)
{
	static const char *const items_b[] = {"1 or *", "2", "3", "4", "5-6", "7+"};
	static const char *const items_r[] = {"32.0", "36.1", "25.2", "5.4", "1.3", "<0.1"};
	static const char *const set_b[] = {"1", "2", "3", "4", "5+"};
	static const char *const set_r[] = {"40.1", "52.7", "6.3", "0.8", "0.1"};
	static const char *const cols_b[] = {"1-2", "3", "4", "5", "6", "7-8", "9+"};
	static const char *const cols_r[] = {"5.1", "19.2", "40.4", "26.3", "6.8", "2.0", "0.2"};
	static const char *const trunc_b[] = {"1", "2", "3", "4", "5+"};
	static const char *const trunc_r[] = {"93.2", "2.1", "2.3", "1.4", "1.0"};
	static const char *const limit_b[] = {"5", "10", "3", "20", "7", "1", "8", "other"};
	static const char *const limit_r[] = {"52.7", "35.6", "9.7", "0.7", "0.3", "0.2", "0.2", "–"};
	static const char *const lit_r[] = {"1/2/3", "4/5/7", "3/4/5", "1/2/2", "0/0/1", "–"};

	fprintf(f, "\n## 3. Distributions\n\n");
	print_hist(f, "SELECT: select-list items (top level)", ta->select_items, 1, 6, items_b, items_r);
	print_hist(f, "UPDATE: SET assignments", ta->set_assignments, 1, 5, set_b, set_r);
	print_hist(f, "INSERT: columns in column list", ta->insert_cols, 1, 7, cols_b, cols_r);
	print_hist(f, "TRUNCATE: tables per statement", ta->trunc_tables, 1, 5, trunc_b, trunc_r);
	print_hist(f, "SELECT LIMIT values", ta->limits, 0, 8, limit_b, limit_r);
	fprintf(f, "- Literals per statement (p50/p90/p99):");
	for (int c = 0; c < COL_ALL; c++)
	{
		char		p[64];

		percentiles(&ta->literals[c], p, sizeof(p));
		/* percentiles() prints p10/p50/p90/p99: drop the p10 */
		fprintf(f, "%s %s %s (%s)", c ? ";" : "", col_names[c], strchr(p, '/') ? strchr(p, '/') + 1 : p, lit_r[c]);
	}
	fprintf(f, "\n");
}

/* Counts one statement of our kind k (0..5) into the tally. */
static void
tally_statement(Tally *ta, int k, const char *sql)
{
	static const char *const first_kw[] = {"SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE"};
	int			col = k == DATAGEN_UPSERT ? DATAGEN_INSERT : k;
	bool		f[N_FEATURES];
	Shape		sh;
	size_t		len = strlen(sql);
	const char *end = sql + len;
	const char *p = sql;
	int			cols[2] = {col, COL_ALL};

	if (col < 0 || col >= COL_ALL)
		return;
	if (k == DATAGEN_UPSERT)
		ta->upserts++;
	stats_features(sql, col, f, &sh);
	tally_shape(ta, col, &sh);
	while (end > sql && isspace((unsigned char) end[-1]))
		end--;
	while (isspace((unsigned char) *p))
		p++;
	for (int ci = 0; ci < 2; ci++)
	{
		int			c = cols[ci];

		ta->n[c]++;
		for (int i = 0; i < N_FEATURES; i++)
			ta->feat[i][c] += f[i];
		ta->semicolon[c] += end > sql && end[-1] == ';';
		ta->multiline[c] += memchr(sql, '\n', len) != NULL;
		ta->starts_kw[c] += strncasecmp(p, first_kw[col], strlen(first_kw[col])) == 0 ||
			(k == DATAGEN_UPSERT && strncasecmp(p, "UPSERT", 6) == 0);
		ta->upper_case[c] += keyword_upper(sql);
		ta->distinct[c] += set_add(ta, c, hash_str(sql));
		vec_push(&ta->chars[c], (int) len);
		vec_push(&ta->words[c], count_words(sql));
	}
}

/* Formats a share as the reference does (<0.1, >99.9, one decimal). */
static void
pct(long x, long n, char *out, size_t cap)
{
	double		v = n ? 100.0 * x / n : 0;

	if (n == 0)
		snprintf(out, cap, "–");
	else if (x == 0)
		snprintf(out, cap, "0");
	else if (v < 0.1)
		snprintf(out, cap, "<0.1");
	else if (v > 99.9 && x != n)
		snprintf(out, cap, ">99.9");
	else
		snprintf(out, cap, "%.1f", v);
}

static int	naming_style(const char *s);

/* Adds h to the set of schema texts seen; true when it was new. */
static bool
text_new(Tally *ta, uint64_t h)
{
	if (ta->text_cap == 0 || (ta->texts + 1) * 2 > ta->text_cap)
	{
		long		ncap = ta->text_cap ? ta->text_cap * 2 : 1 << 14;
		uint64_t   *ns = calloc(ncap, sizeof(uint64_t));

		if (!ns)
			abort();
		for (long i = 0; i < ta->text_cap; i++)
			if (ta->text_set[i])
			{
				long		j = (long) (ta->text_set[i] % (uint64_t) ncap);

				while (ns[j])
					j = (j + 1) % ncap;
				ns[j] = ta->text_set[i];
			}
		free(ta->text_set);
		ta->text_set = ns;
		ta->text_cap = ncap;
	}
	{
		long		j = (long) (h % (uint64_t) ta->text_cap);

		while (ta->text_set[j])
		{
			if (ta->text_set[j] == h)
				return false;
			j = (j + 1) % ta->text_cap;
		}
		ta->text_set[j] = h;
	}
	ta->texts++;
	return true;
}

/* Copies an identifier token's name (quotes removed) into out. */
static void
ident_text(const Tok *t, char *out, size_t cap)
{
	const char *s = t->s;
	int			n = t->len;

	if (t->type == T_QIDENT && n >= 2)
	{
		s++;
		n -= 2;
	}
	if (n >= (int) cap)
		n = (int) cap - 1;
	memcpy(out, s, n);
	out[n] = '\0';
}

/* Counts a column type as written (upper-cased base name; *param when it has "(...)"). */
static void
count_written_type(Tally *ta, const Tok *t, int n, int i)
{
	char		base[24];
	int			len = t[i].len < 20 ? t[i].len : 20;
	bool		param;

	for (int k = 0; k < len; k++)
		base[k] = (char) toupper((unsigned char) t[i].s[k]);
	base[len] = '\0';
	if (strcmp(base, "DOUBLE") == 0 && is(t, n, i + 1, "PRECISION"))
		strcpy(base, "DOUBLE PRECISION"), i++;
	else if (strcmp(base, "CHARACTER") == 0 && is(t, n, i + 1, "VARYING"))
		strcpy(base, "VARCHAR"), i++;
	else if ((strcmp(base, "TIMESTAMP") == 0 || strcmp(base, "TIME") == 0) && is(t, n, i + 1, "WITH"))
		strcat(base, "TZ"), i += 3;
	else if ((strcmp(base, "TIMESTAMP") == 0 || strcmp(base, "TIME") == 0) && is(t, n, i + 1, "WITHOUT"))
		i += 3;
	param = is_op(t, n, i + 1, "(");
	if (is_op(t, n, i + 1, "[") || (param && is_op(t, n, i + 4, "[")))
		strcpy(base, "ARRAY");
	for (int k = 0; k < ta->n_types; k++)
		if (strcmp(ta->type_name[k], base) == 0)
		{
			ta->type_count[k]++;
			ta->type_param[k] += param;
			return;
		}
	if (ta->n_types < 64)
	{
		strcpy(ta->type_name[ta->n_types], base);
		ta->type_count[ta->n_types] = 1;
		ta->type_param[ta->n_types++] = param;
	}
}

/*
 * Reads the CREATE TABLE statements of a schema text as the model sees it:
 * table and column names (naming style, length) and column types as written.
 */
static void
tally_schema_text(Tally *ta, const char *text)
{
	static Tok	t[8192];
	static const char *const not_column[] = {"CONSTRAINT", "PRIMARY", "UNIQUE", "INDEX", "FOREIGN",
	"CHECK", "FAMILY", "KEY", "EXCLUDE", "LIKE", "INVERTED", NULL};
	int			n;

	if (!text_new(ta, hash_str(text)))
		return;
	n = stats_lex(text, t, 8192);
	for (int i = 0; i + 2 < n; i++)
	{
		int			j,
					depth;
		char		name[128];

		if (!is(t, n, i, "CREATE") || !is(t, n, i + 1, "TABLE"))
			continue;
		j = i + 2;
		if (is(t, n, j, "IF") && is(t, n, j + 1, "NOT") && is(t, n, j + 2, "EXISTS"))
			j += 3;
		while (j + 2 < n && is_op(t, n, j + 1, "."))
			j += 2;
		if (j + 1 >= n || !is_op(t, n, j + 1, "(") || (t[j].type != T_WORD && t[j].type != T_QIDENT))
			continue;
		ident_text(&t[j], name, sizeof(name));
		ta->text_tables++;
		ta->naming[0][naming_style(name)]++;
		ta->name_len[0] += strlen(name);
		depth = t[j + 1].depth + 1;
		/* Items of the table body: each starts after "(" or a "," at the body's depth. */
		for (int k = j + 2; k < n && t[k].depth >= depth; k++)
		{
			bool		starts = is_op(t, n, k - 1, "(") ? k == j + 2 : (is_op(t, n, k - 1, ",") && t[k - 1].depth == depth);

			if (!starts || (t[k].type != T_WORD && t[k].type != T_QIDENT) || is_any(t, n, k, not_column))
				continue;
			if (k + 1 >= n || t[k + 1].type != T_WORD)
				continue;
			ident_text(&t[k], name, sizeof(name));
			ta->text_columns++;
			ta->naming[1][naming_style(name)]++;
			ta->name_len[1] += strlen(name);
			count_written_type(ta, t, n, k + 1);
		}
	}
}

/* Reads one JSONL file into the tally; -1 with err when unreadable. */
static int
tally_file(Tally *ta, const char *path, long *bad, char *err, size_t errlen)
{
	size_t		len;
	char	   *text = sqlpilot_read_file(path, &len, err, errlen);
	char	   *p;

	if (!text)
		return -1;
	for (p = text; p < text + len;)
	{
		char	   *nl = memchr(p, '\n', text + len - p);
		cJSON	   *j;

		if (nl)
			*nl = '\0';
		j = *p ? cJSON_Parse(p) : NULL;
		if (j)
		{
			const cJSON *kind = cJSON_GetObjectItemCaseSensitive(j, "kind");
			const cJSON *stmt = cJSON_GetObjectItemCaseSensitive(j, "statement");
			const cJSON *schema = cJSON_GetObjectItemCaseSensitive(j, "schema");
			const cJSON *style = cJSON_GetObjectItemCaseSensitive(j, "style");
			int			k = -1;

			for (int i = 0; i < DATAGEN_N_KINDS && cJSON_IsString(kind); i++)
				if (strcmp(kind->valuestring, datagen_kind_names[i]) == 0)
					k = i;
			if (k >= 0 && cJSON_IsString(stmt))
				tally_statement(ta, k, stmt->valuestring);
			else
				(*bad)++;
			if (cJSON_IsString(schema))
			{
				vec_push(&ta->schema_chars, (int) strlen(schema->valuestring));
				tally_schema_text(ta, schema->valuestring);
			}
			if (cJSON_IsString(style))
				ta->style[strcmp(style->valuestring, "crdb") == 0 ? 0 :
						  strcmp(style->valuestring, "pgdump") == 0 ? 1 : 2]++;
			cJSON_Delete(j);
		}
		else if (*p)
			(*bad)++;
		p = nl ? nl + 1 : text + len;
	}
	free(text);
	return 0;
}

/* Frees n paths and their array. */
static void
free_paths(char **v, int n)
{
	for (int i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/*
 * Sorted file names shard-*.jsonl in dir (malloc'd array of malloc'd paths);
 * -1 with errno set when dir cannot be read or memory runs out.
 */
static int
list_shards(const char *dir, char ***out)
{
	DIR		   *d = opendir(dir);
	struct dirent *e;
	int			n = 0,
				cap = 64;
	char	  **v;

	*out = NULL;
	if (!d)
		return -1;
	v = malloc(sizeof(char *) * cap);
	if (!v)
		goto fail;
	while ((e = readdir(d)) != NULL)
	{
		size_t		l = strlen(e->d_name);

		if (strncmp(e->d_name, "shard-", 6) != 0 || l < 7 || strcmp(e->d_name + l - 6, ".jsonl") != 0)
			continue;
		if (n == cap)
		{
			char	  **grown = realloc(v, sizeof(char *) * cap * 2);

			if (!grown)
				goto fail;
			v = grown;
			cap *= 2;
		}
		v[n] = malloc(strlen(dir) + l + 2);
		if (!v[n])
			goto fail;
		sprintf(v[n], "%s/%s", dir, e->d_name);
		n++;
	}
	closedir(d);
	for (int i = 1; i < n; i++)
		for (int j = i; j > 0 && strcmp(v[j - 1], v[j]) > 0; j--)
		{
			char	   *x = v[j];

			v[j] = v[j - 1];
			v[j - 1] = x;
		}
	*out = v;
	return n;

fail:
	if (v)
		free_paths(v, n);
	closedir(d);
	errno = ENOMEM;
	return -1;
}

/* Classifies an identifier's naming style (index into the reference's columns). */
static int
naming_style(const char *s)
{
	bool		lower = false,
				upper = false,
				under = strchr(s, '_') != NULL;
	int			caps = 0;

	for (const char *p = s; *p; p++)
	{
		lower |= islower((unsigned char) *p) != 0;
		upper |= isupper((unsigned char) *p) != 0;
		caps += isupper((unsigned char) *p) != 0;
	}
	if (!isalpha((unsigned char) s[0]) && s[0] != '_')
		return 7;
	if (lower && !upper)
		return under ? 0 : 1;
	if (upper && !lower)
		return 6;
	if (under)
		return 5;
	if (islower((unsigned char) s[0]))
		return 2;
	return caps > 1 ? 3 : 4;
}

/* Schema shape counted from tons_of_tables/ (structured, names as generated). */
typedef struct SchemaTally
{
	long		schemas;
	long		tables_hist[7];
	IntVec		cols_per_table;
	long		columns;
	long		not_null;
	long		with_default;
	long		tables;
	long		with_pk;
	long		first_col_pk;
	long		with_fk;
	long		schemas_with_fk;
	long		over10;			/* schemas of more than 10 tables */
	long		non_public;		/* schemas whose tables live outside public */
	long		quoted;			/* schemas with exact (quoted) mixed-case names */
	long		with_check;		/* tables with a CHECK */
	long		with_unique;	/* tables with a UNIQUE key other than the primary key */
	long		composite_pk;	/* tables with a composite primary key */
} SchemaTally;

/* Reads the tons_of_tables shards under out (if any). */
static void
tally_schemas(SchemaTally *st, const char *out)
{
	char		dir[4096];
	char	  **files;
	int			nf;

	snprintf(dir, sizeof(dir), "%s/tons_of_tables", out);
	nf = list_shards(dir, &files);
	for (int fi = 0; fi < nf; fi++)
	{
		char		err[256];
		size_t		len;
		char	   *text = sqlpilot_read_file(files[fi], &len, err, sizeof(err));

		for (char *p = text; p && p < text + len;)
		{
			char	   *nl = memchr(p, '\n', text + len - p);
			cJSON	   *j;
			const cJSON *tables,
					   *t;
			bool		fk = false;

			if (nl)
				*nl = '\0';
			j = *p ? cJSON_Parse(p) : NULL;
			p = nl ? nl + 1 : text + len;
			if (!j)
				continue;
			tables = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, "schema"), "tables");
			st->schemas++;
			st->tables_hist[cJSON_GetArraySize(tables) < 6 ? cJSON_GetArraySize(tables) : 6]++;
			st->over10 += cJSON_GetArraySize(tables) > 10;
			t = cJSON_GetArrayItem(tables, 0);
			if (t)
			{
				const cJSON *ns = cJSON_GetObjectItemCaseSensitive(t, "schema");

				st->non_public += cJSON_IsString(ns) && strcmp(ns->valuestring, "public") != 0;
				st->quoted += cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(t, "fold_case"));
			}
			cJSON_ArrayForEach(t, tables)
			{
				const cJSON *cols = cJSON_GetObjectItemCaseSensitive(t, "columns");
				const cJSON *idx = cJSON_GetObjectItemCaseSensitive(t, "indexes");
				const cJSON *c,
						   *x;
				const char *first = NULL;

				st->tables++;
				vec_push(&st->cols_per_table, cJSON_GetArraySize(cols));
				cJSON_ArrayForEach(c, cols)
				{
					const char *cname = cJSON_GetObjectItemCaseSensitive(c, "name")->valuestring;

					if (!first)
						first = cname;
					st->columns++;
					st->not_null += cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(c, "not_null"));
					st->with_default += cJSON_IsString(cJSON_GetObjectItemCaseSensitive(c, "default"));
				}
				st->with_check += cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(t, "checks")) > 0;
				{
					bool		unique = false;

					cJSON_ArrayForEach(x, idx)
						unique |= cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(x, "unique")) &&
						!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(x, "primary"));
					st->with_unique += unique;
				}
				cJSON_ArrayForEach(x, idx)
				{
					const cJSON *pc = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(x, "cols"), 0);

					if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(x, "primary")))
						continue;
					st->composite_pk += cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(x, "cols")) > 1;
					st->with_pk++;
					if (first && cJSON_IsString(pc) && strcmp(pc->valuestring, first) == 0)
						st->first_col_pk++;
				}
				if (cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(t, "fkeys")) > 0)
				{
					st->with_fk++;
					fk = true;
				}
			}
			st->schemas_with_fk += fk;
			cJSON_Delete(j);
		}
		free(text);
		free(files[fi]);
	}
	free(files);
}

/* Column types of the reference (base name as written, % of columns). */
static const char *const ref_types[][2] = {
	{"INT", "34.3"}, {"VARCHAR", "26.8"}, {"DATE", "7.7"}, {"TEXT", "7.6"}, {"UUID", "5.2"},
	{"DECIMAL", "5.0"}, {"TIMESTAMP", "4.6"}, {"SERIAL", "2.6"}, {"FLOAT", "2.4"}, {"STRING", "0.8"},
	{"BOOLEAN", "0.8"}, {"TIME", "0.4"}, {"INTEGER", "0.4"}, {"JSONB", "0.2"}, {"BYTEA", "0.2"},
	{"JSON", "0.2"}, {"TIMESTAMPTZ", "0.1"}, {"ENUM", "0.1"}, {"DATETIME", "0.1"}, {"INTERVAL", "0.1"},
	{"CHAR", "0.1"}, {"ARRAY", "0.1"}, {"NUMERIC", "<0.1"}, {"GEOGRAPHY", "<0.1"}, {"BLOB", "<0.1"},
	{"BOOL", "<0.1"}, {"DOUBLE PRECISION", "<0.1"}, {"BIGINT", "<0.1"}, {"DOUBLE", "<0.1"},
	{"GEOMETRY", "<0.1"},
};

/* Prints section 4 (schemas) from the structured schemas and the raw schema texts. */
static void
print_schemas(FILE *f, SchemaTally *st, Tally *ta)
{
	static const char *const ref_tables[7] = {"<0.1", "21.0", "19.9", "19.9", "19.7", "19.3", "0.1"};
	static const char *const style_cols[8] = {"snake_case", "lowercase", "camelCase", "PascalCase",
	"Capitalized", "Mixed_Case_With_Underscore", "UPPER(_SNAKE)", "other"};
	static const char *const ref_naming[2][8] = {
		{"45.4", "28.6", "<0.1", "14.1", "10.0", "1.9", "<0.1", "<0.1"},
		{"77.0", "22.6", "<0.1", "0.2", "0.1", "0.1", "<0.1", "<0.1"},
	};
	char		a[64],
				b[64];

	fprintf(f, "\n## 4. Schemas (shape and constraints from tons_of_tables/: %ld schemas, %ld tables, %ld columns)\n\n",
			st->schemas, st->tables, st->columns);
	if (st->schemas == 0)
	{
		fprintf(f, "(no tons_of_tables/ beside the data: skipped)\n");
		return;
	}
	fprintf(f, "| tables per schema | 0 | 1 | 2 | 3 | 4 | 5 | 6+ |\n| --- | --- | --- | --- | --- | --- | --- | --- |\n| %% of schemas |");
	for (int i = 0; i < 7; i++)
	{
		pct(st->tables_hist[i], st->schemas, a, sizeof(a));
		fprintf(f, " %s (%s) |", a, ref_tables[i]);
	}
	percentiles(&st->cols_per_table, a, sizeof(a));
	fprintf(f, "\n\n- Columns per table p10/p50/p90/p99: %s (3/4/5/7), mean %.2f (4.14)\n", a,
			st->tables ? (double) st->columns / st->tables : 0);
	percentiles(&ta->schema_chars, b, sizeof(b));
	fprintf(f, "- Schema text length (chars, per example, as rendered) p10/p50/p90/p99: %s (161/440/782/1050)\n", b);
	fprintf(f, "- Schema text styles (examples): crdb %.1f%%, pgdump %.1f%%, handwritten %.1f%% (reference: LLM-written DDL)\n",
			100.0 * ta->style[0] / (ta->style[0] + ta->style[1] + ta->style[2] + 1e-9),
			100.0 * ta->style[1] / (ta->style[0] + ta->style[1] + ta->style[2] + 1e-9),
			100.0 * ta->style[2] / (ta->style[0] + ta->style[1] + ta->style[2] + 1e-9));
	pct(st->not_null, st->columns, a, sizeof(a));
	pct(st->with_default, st->columns, b, sizeof(b));
	fprintf(f, "- Columns NOT NULL %s%% (12.7), with DEFAULT %s%% (0.2)\n", a, b);
	pct(st->tables - st->with_pk, st->tables, a, sizeof(a));
	pct(st->first_col_pk, st->tables, b, sizeof(b));
	fprintf(f, "- Tables without PRIMARY KEY %s%% (6.1); first column is the PK %s%% (93.9)\n", a, b);
	pct(st->with_fk, st->tables, a, sizeof(a));
	pct(st->schemas_with_fk, st->schemas, b, sizeof(b));
	fprintf(f, "- Tables with >=1 FOREIGN KEY %s%% (16.6); schemas with >=1 FOREIGN KEY %s%% (27.6)\n", a, b);
	pct(st->over10, st->schemas, a, sizeof(a));
	pct(st->non_public, st->schemas, b, sizeof(b));
	fprintf(f, "- Schemas of more than 10 tables %s%% (<0.1); outside the public schema %s%% (–)", a, b);
	pct(st->quoted, st->schemas, a, sizeof(a));
	fprintf(f, "; with quoted mixed-case names %s%% (quoted table names 0.1%% of tables)\n", a);
	pct(st->with_check, st->tables, a, sizeof(a));
	pct(st->with_unique, st->tables, b, sizeof(b));
	fprintf(f, "- Tables with a CHECK %s%% (0.1), a UNIQUE key %s%% (2.2)", a, b);
	pct(st->composite_pk, st->tables, a, sizeof(a));
	fprintf(f, ", a composite PRIMARY KEY %s%% (1.5)\n", a);

	fprintf(f, "\nColumn types as written in the schema texts the model sees (%ld distinct texts, %ld tables, %ld columns; %% of columns, `(p)` = share written with a length/precision), reference in parentheses where it lists the name:\n\n",
			ta->texts, ta->text_tables, ta->text_columns);
	for (int i = 0; i < ta->n_types; i++)
		for (int j = i + 1; j < ta->n_types; j++)
			if (ta->type_count[j] > ta->type_count[i])
			{
				char		tn[24];
				long		c = ta->type_count[i],
							p = ta->type_param[i];

				memcpy(tn, ta->type_name[i], sizeof(tn));
				memcpy(ta->type_name[i], ta->type_name[j], sizeof(tn));
				memcpy(ta->type_name[j], tn, sizeof(tn));
				ta->type_count[i] = ta->type_count[j];
				ta->type_param[i] = ta->type_param[j];
				ta->type_count[j] = c;
				ta->type_param[j] = p;
			}
	fprintf(f, "| type | %% cols | (p) |\n| --- | --- | --- |\n");
	for (int i = 0; i < ta->n_types; i++)
	{
		const char *ref = "–";

		for (size_t r = 0; r < sizeof(ref_types) / sizeof(ref_types[0]); r++)
			if (strcmp(ref_types[r][0], ta->type_name[i]) == 0)
				ref = ref_types[r][1];
		pct(ta->type_count[i], ta->text_columns, a, sizeof(a));
		pct(ta->type_param[i], ta->type_count[i], b, sizeof(b));
		fprintf(f, "| %s | %s (%s) | %s |\n", ta->type_name[i], a, ref, b);
	}
	fprintf(f, "\nIdentifier naming style in the schema texts the model sees (after name randomization):\n\n| names |");
	for (int i = 0; i < 8; i++)
		fprintf(f, " %s |", style_cols[i]);
	fprintf(f, " mean len |\n| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n");
	for (int w = 0; w < 2; w++)
	{
		long		total = w ? ta->text_columns : ta->text_tables;

		fprintf(f, "| %s |", w ? "columns" : "tables");
		for (int i = 0; i < 8; i++)
		{
			pct(ta->naming[w][i], total, a, sizeof(a));
			fprintf(f, " %s (%s) |", a, ref_naming[w][i]);
		}
		fprintf(f, " %.1f (%s) |\n", total ? (double) ta->name_len[w] / total : 0, w ? "10.5" : "13.2");
	}
}

/* See stats.h. */
int
datagen_stats_print(const char *path, FILE *f, char *err, size_t errlen)
{
	static Tally ta;
	static SchemaTally st;
	struct stat sb;
	char	  **files = NULL;
	int			nf;
	long		bad = 0;
	char		dir[4096];
	char		a[64],
				b[64];

	memset(&ta, 0, sizeof(ta));
	memset(&st, 0, sizeof(st));
	if (stat(path, &sb) != 0)
	{
		snprintf(err, errlen, "cannot read \"%s\"", path);
		return -1;
	}
	if (S_ISDIR(sb.st_mode))
	{
		snprintf(dir, sizeof(dir), "%s/raw", path);
		nf = list_shards(dir, &files);
		if (nf < 0 && errno == ENOMEM)
		{
			snprintf(err, errlen, "out of memory listing \"%s\"", dir);
			return -1;
		}
		if (nf <= 0)
		{
			snprintf(err, errlen, "no raw/shard-*.jsonl in \"%s\" (run `sqlpilot datagen raw` first)", path);
			free(files);
			return -1;
		}
		tally_schemas(&st, path);
	}
	else
	{
		files = malloc(sizeof(char *));
		if (files)
			files[0] = strdup(path);
		if (!files || !files[0])
		{
			free(files);
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		nf = 1;
	}
	for (int i = 0; i < nf; i++)
	{
		if (tally_file(&ta, files[i], &bad, err, errlen) != 0)
		{
			for (int j = i; j < nf; j++)
				free(files[j]);
			free(files);
			return -1;
		}
		free(files[i]);
	}
	free(files);
	if (vecs_oom(ta.chars, N_COLS) || vecs_oom(ta.words, N_COLS) || vecs_oom(ta.literals, N_COLS) ||
		vecs_oom(&ta.schema_chars, 1) || vecs_oom(&st.cols_per_table, 1))
	{
		snprintf(err, errlen, "out of memory counting the statements of \"%s\"", path);
		return -1;
	}
	if (ta.n[COL_ALL] == 0)
	{
		snprintf(err, errlen, "no statements found in \"%s\"", path);
		return -1;
	}

	fprintf(f, "# Generated SQL vs. the reference corpus: ours (reference)\n\n");
	fprintf(f, "%ld statements from %s%s; %ld unreadable lines. UPSERT statements (%ld) count as insert.\n\n",
			ta.n[COL_ALL], path, S_ISDIR(sb.st_mode) ? "/raw" : "", bad, ta.upserts);
	fprintf(f, "## 1. Statement mix and shape\n\n");
	fprintf(f, "| kind | %% of stmts | chars p10/p50/p90/p99 | words p10/p50/p90/p99 | ends `;` | multi-line | starts w/ kind kw | distinct texts |\n");
	fprintf(f, "| --- | --- | --- | --- | --- | --- | --- | --- |\n");
	for (int c = 0; c < N_COLS; c++)
	{
		char		s1[64],
					s2[64],
					s3[64],
					s4[64],
					s5[64];

		pct(ta.n[c], ta.n[COL_ALL], s1, sizeof(s1));
		percentiles(&ta.chars[c], a, sizeof(a));
		percentiles(&ta.words[c], b, sizeof(b));
		pct(ta.semicolon[c], ta.n[c], s2, sizeof(s2));
		pct(ta.multiline[c], ta.n[c], s3, sizeof(s3));
		pct(ta.starts_kw[c], ta.n[c], s4, sizeof(s4));
		pct(ta.distinct[c], ta.n[c], s5, sizeof(s5));
		fprintf(f, "| %s | %s (%s) | %s (%s) | %s (%s) | %s (%s) | %s (%s) | %s (%s) | %s (%s) |\n",
				col_names[c], s1, ref_shape[c][0], a, ref_shape[c][1], b, ref_shape[c][2],
				s2, ref_shape[c][3], s3, ref_shape[c][4], s4, ref_shape[c][5], s5, ref_shape[c][6]);
	}
	pct(ta.upper_case[COL_ALL], ta.n[COL_ALL], a, sizeof(a));
	fprintf(f, "\nKeyword case: statements whose first keyword is UPPER %s%% (statement level all-UPPER 99.7)\n", a);

	fprintf(f, "\n## 2. Feature usage (%% of statements of each kind)\n\n");
	fprintf(f, "| feature | select | insert | update | delete | truncate | all |\n");
	fprintf(f, "| --- | --- | --- | --- | --- | --- | --- |\n");
	for (size_t r = 0; r < sizeof(feature_rows) / sizeof(feature_rows[0]); r++)
	{
		const FeatureRow *row = &feature_rows[r];

		if (row->feature == HEAD)
		{
			fprintf(f, "| **%s** |  |  |  |  |  |  |\n", row->label);
			continue;
		}
		fprintf(f, "| %s |", row->label);
		for (int c = 0; c < N_COLS; c++)
		{
			if (row->feature == NOT_MEASURED)
				snprintf(a, sizeof(a), "–");
			else
				pct(ta.feat[row->feature][c], ta.n[c], a, sizeof(a));
			fprintf(f, " %s (%s) |", a, row->ref[c]);
		}
		fprintf(f, "\n");
	}
	print_distributions(f, &ta);
	if (S_ISDIR(sb.st_mode))
		print_schemas(f, &st, &ta);
	for (int c = 0; c < N_COLS; c++)
	{
		free(ta.chars[c].v);
		free(ta.words[c].v);
		free(ta.literals[c].v);
		free(ta.set[c]);
	}
	free(ta.schema_chars.v);
	free(st.cols_per_table.v);
	return 0;
}
