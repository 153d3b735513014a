/*
 * gen_wide.c — the wide share: statements as people type them at a prompt,
 * beyond what the reference corpus holds.
 *
 * The reference corpus (docs/data-targets.md) is LLM-written and narrow:
 * one table, one predicate, hardly a join.  A model trained on it alone
 * learns those templates.  This file writes what users of a real database
 * type as well: joins over two to four tables along foreign keys with
 * aliases, reports with GROUP BY / HAVING, date arithmetic, subqueries,
 * CTEs, window functions, CASE / COALESCE / NULLIF / casts, string
 * functions, UNION, and the DML forms INSERT ... SELECT, UPDATE ... FROM,
 * DELETE ... USING, RETURNING and ON CONFLICT.  Types are respected: date
 * functions take date and timestamp columns, aggregates other than COUNT
 * take numbers, string functions take text.  gen_statements.c decides
 * which statements come from here (GEN_WIDE_PCT) and their layout.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gen_stmt.h"
#include "util.h"

#define WIDE_MAX_FROM 4

/* Tables joined along links: item i > 0 joins item via[i] through link[i]. */
typedef struct WideFrom
{
	int			n;
	GenFrom		f[WIDE_MAX_FROM];
	int			link[WIDE_MAX_FROM];
	int			via[WIDE_MAX_FROM];
} WideFrom;

/* A select-list entry as written: which item and column it shows (ci < 0: an expression). */
typedef struct WideItem
{
	int			from;
	int			col;
} WideItem;

/* ---- FROM items ---- */

/* True when table ti is already one of w's items. */
static bool
in_chain(const WideFrom *w, int ti)
{
	for (int i = 0; i < w->n; i++)
		if (w->f[i].table == ti)
			return true;
	return false;
}

/* Adds table ti as the next item, aliased like the others (with AS when with_as). */
static void
add_item(GenCtx *c, WideFrom *w, int ti, bool aliases, bool with_as)
{
	GenFrom    *f = &w->f[w->n];

	gen_from_item(c, f, ti, w->n, aliases, w->f, w->n);
	f->with_as = aliases && with_as;
	w->link[w->n] = -1;
	w->via[w->n] = -1;
	w->n++;
}

/*
 * Builds a chain of up to want tables starting at ti, each next table joined
 * to one already there along a link.  Aliases most of the time, as people
 * write joins; AS in a third of the aliased statements.
 */
static void
build_chain(GenCtx *c, WideFrom *w, int ti, int want)
{
	bool		aliases = gen_chance(c, 85);
	bool		with_as = gen_chance(c, 35);

	w->n = 0;
	add_item(c, w, ti, aliases, with_as);
	while (w->n < want && w->n < WIDE_MAX_FROM)
	{
		int			cand[64];
		int			nc = 0;

		for (int l = 0; l < c->s->n_links && nc < 64; l++)
		{
			const DatagenLink *k = &c->s->links[l];

			if (in_chain(w, k->child) != in_chain(w, k->parent))
				cand[nc++] = l;
		}
		if (nc == 0)
			break;
		{
			int			l = cand[gen_rand_int(c, 0, nc - 1)];
			const DatagenLink *k = &c->s->links[l];
			int			next = in_chain(w, k->child) ? k->parent : k->child;
			int			old = in_chain(w, k->child) ? k->child : k->parent;

			add_item(c, w, next, aliases, with_as);
			w->link[w->n - 1] = l;
			for (int i = 0; i < w->n - 1; i++)
				if (w->f[i].table == old)
					w->via[w->n - 1] = i;
		}
	}
}

/* A table that is the child end of some link (or any table when there are none). */
static int
child_table(GenCtx *c)
{
	if (c->s->n_links == 0)
		return gen_rand_int(c, 0, c->s->n_tables - 1);
	return c->s->links[gen_rand_int(c, 0, c->s->n_links - 1)].child;
}

/* Appends " FROM a [JOIN b ON ...]..." for the chain. */
static void
from_clause(GenCtx *c, const WideFrom *w)
{
	static const int jw[] = {55, 25, 20};

	gen_kw(c, " FROM ");
	gen_from_text(c, &w->f[0]);
	for (int i = 1; i < w->n; i++)
	{
		const DatagenLink *l = &c->s->links[w->link[i]];
		const GenFrom *child = w->f[i].table == l->child ? &w->f[i] : &w->f[w->via[i]];
		const GenFrom *parent = child == &w->f[i] ? &w->f[w->via[i]] : &w->f[i];
		int			j = gen_pick_weight(c, jw, 3);

		gen_kw(c, j == 0 ? " JOIN " : j == 1 ? " LEFT JOIN " : " INNER JOIN ");
		gen_from_text(c, &w->f[i]);
		gen_kw(c, " ON ");
		/* the new table's side first or last, both are common */
		if (gen_chance(c, 50))
		{
			gen_qcol(c, child, l->child_col);
			gen_put(c, " = ");
			gen_qcol(c, parent, l->parent_col);
		}
		else
		{
			gen_qcol(c, parent, l->parent_col);
			gen_put(c, " = ");
			gen_qcol(c, child, l->child_col);
		}
	}
}

/* A column of one of the chain's items with all role bits in need; *fi gets the item. -1 if none. */
static int
chain_col(GenCtx *c, const WideFrom *w, int need, int *fi)
{
	int			start = gen_rand_int(c, 0, w->n - 1);

	for (int k = 0; k < w->n; k++)
	{
		int			i = (start + k) % w->n;
		int			ci = gen_pick_col(c, w->f[i].table, need);

		if (ci >= 0)
		{
			*fi = i;
			return ci;
		}
	}
	return -1;
}

/* The chain item of a single-table statement, or NULL for bare column names. */
static const GenFrom *
qual(const WideFrom *w, int i)
{
	return w->n > 1 || w->f[0].alias_slot >= 0 ? &w->f[i] : NULL;
}

/* ---- expressions ---- */

/*
 * Appends " AS name" or, now and then, just " name" (only for names that no
 * PostgreSQL keyword could be: "year" and "day" need their AS).
 */
static void
col_alias(GenCtx *c, const char *name)
{
	static const char *const bare_ok[] = {"total", "amount", "bucket", "period", "formatted", "label", "prefix", "flag"};
	bool		bare = strchr(name, '_') != NULL;

	for (int i = 0; i < N_OF(bare_ok); i++)
		bare |= strcmp(name, bare_ok[i]) == 0;
	gen_kw(c, bare && gen_chance(c, 15) ? " " : " AS ");
	gen_put(c, name);
}

/*
 * Starts a select list: "SELECT " or, in a multi-line statement now and
 * then, "SELECT" with one item per indented line (as formatters write it).
 * Returns whether items go on lines of their own.
 */
static bool
list_start(GenCtx *c, const char *select)
{
	bool		lines = c->t->multiline && c->t->nest == 0 && gen_chance(c, 40);

	gen_kw(c, select);
	if (lines)
	{
		c->t->buf.len--;		/* the keyword's trailing space */
		gen_put(c, "\n    ");
	}
	return lines;
}

/* Appends the separator before a select-list item after the first. */
static void
list_sep(GenCtx *c, bool lines)
{
	gen_put(c, lines ? ",\n    " : ", ");
}

/* Appends "INTERVAL 'n unit'" (or the '7 days'::interval spelling). */
static void
interval_lit(GenCtx *c)
{
	static const char *const spans[] = {"7 days", "30 days", "1 day", "24 hours", "1 month",
	"90 days", "1 year", "14 days", "6 months", "1 hour"};
	static const int w[] = {22, 22, 8, 6, 12, 8, 8, 6, 4, 4};
	const char *s = spans[gen_pick_weight(c, w, N_OF(spans))];

	if (gen_chance(c, 88))
	{
		gen_kw(c, "INTERVAL ");
		gen_str_lit(c, s, 0);
	}
	else
	{
		gen_str_lit(c, s, 0);
		gen_kw(c, "::interval");
	}
}

/*
 * Appends an expression over column ci of item f that suits its type, with
 * an alias: string functions, date parts, rounding, COALESCE, NULLIF, CASE,
 * casts.  Returns false (writing nothing) when the type has none.
 */
static bool
expr_col(GenCtx *c, const GenFrom *f, int ti, int ci)
{
	const GenCol *col = &c->tabs[ti].cols[ci];
	int			r = gen_rand_int(c, 0, 99);

	switch (col->base)
	{
		case B_VARCHAR:
		case B_TEXT:
		case B_CHAR:
			if (col->kind == DATAGEN_COL_ID)
				return false;
			if (r < 22)
			{
				gen_kw(c, r < 14 ? "LOWER(" : "UPPER(");
				gen_fcol(c, f, ti, ci);
				gen_put(c, ")");
				col_alias(c, r < 14 ? "lower_name" : "upper_name");
			}
			else if (r < 42)
			{
				gen_kw(c, "COALESCE(");
				gen_fcol(c, f, ti, ci);
				gen_put(c, ", ");
				gen_put(c, gen_chance(c, 60) ? "'unknown'" : gen_chance(c, 50) ? "'N/A'" : "''");
				gen_put(c, ")");
				col_alias(c, "label");
			}
			else if (r < 54)
			{
				gen_kw(c, "LENGTH(");
				gen_fcol(c, f, ti, ci);
				gen_put(c, ")");
				col_alias(c, "len");
			}
			else if (r < 64)
			{
				bool		left = gen_chance(c, 50);

				gen_kw(c, left ? "LEFT(" : "SUBSTRING(");
				gen_fcol(c, f, ti, ci);
				gen_put(c, left ? ", 3)" : ", 1, 10)");
				col_alias(c, "prefix");
			}
			else if (r < 74)
			{
				gen_kw(c, "TRIM(");
				gen_fcol(c, f, ti, ci);
				gen_put(c, ")");
				col_alias(c, "trimmed");
			}
			else if (r < 88)
			{
				/* two text columns joined: first and last name, name and code */
				int			other = gen_pick_col(c, ti, C_STR | C_SORT);

				if (other < 0 || other == ci)
					return false;
				gen_fcol(c, f, ti, ci);
				gen_put(c, gen_chance(c, 60) ? " || ' ' || " : " || ' - ' || ");
				gen_fcol(c, f, ti, other);
				col_alias(c, "display_name");
			}
			else
			{
				gen_kw(c, "NULLIF(");
				gen_fcol(c, f, ti, ci);
				gen_put(c, ", '')");
				col_alias(c, "value");
			}
			return true;
		case B_INT:
		case B_BIGINT:
		case B_SMALLINT:
		case B_NUMERIC:
		case B_FLOAT:
			if (!(col->roles & C_NUM))
				return false;
			if (r < 25)
			{
				gen_kw(c, "ROUND(");
				gen_fcol(c, f, ti, ci);
				gen_kw(c, "::numeric, ");
				gen_put(c, gen_chance(c, 75) ? "2)" : "1)");
				col_alias(c, "rounded");
			}
			else if (r < 45)
			{
				gen_kw(c, "COALESCE(");
				gen_fcol(c, f, ti, ci);
				gen_put(c, ", 0)");
				col_alias(c, "amount");
			}
			else if (r < 70)
			{
				gen_kw(c, "CASE WHEN ");
				gen_fcol(c, f, ti, ci);
				gen_put(c, gen_chance(c, 70) ? " > " : " >= ");
				gen_pred_lit(c, col);
				gen_kw(c, " THEN ");
				gen_put(c, gen_chance(c, 50) ? "'high'" : "'large'");
				if (gen_chance(c, 40))
				{
					gen_kw(c, " WHEN ");
					gen_fcol(c, f, ti, ci);
					gen_kw(c, " IS NULL THEN ");
					gen_put(c, "'unknown'");
				}
				gen_kw(c, " ELSE ");
				gen_put(c, gen_chance(c, 50) ? "'low'" : "'small'");
				gen_kw(c, " END");
				col_alias(c, gen_chance(c, 50) ? "bucket" : "level");
			}
			else if (r < 82)
			{
				gen_fcol(c, f, ti, ci);
				gen_put(c, gen_chance(c, 50) ? " * 1.1" : " / 100.0");
				col_alias(c, "adjusted");
			}
			else if (r < 92)
			{
				gen_fcol(c, f, ti, ci);
				gen_kw(c, col->base == B_NUMERIC || col->base == B_FLOAT ? "::int" : "::numeric(12,2)");
				col_alias(c, "value");
			}
			else
			{
				gen_kw(c, "NULLIF(");
				gen_fcol(c, f, ti, ci);
				gen_put(c, ", 0)");
				col_alias(c, "nonzero");
			}
			return true;
		case B_DATE:
		case B_TS:
		case B_TSTZ:
			if (r < 30)
			{
				gen_kw(c, "DATE_TRUNC(");
				gen_put(c, gen_chance(c, 60) ? "'month'" : gen_chance(c, 50) ? "'day'" : "'week'");
				gen_put(c, ", ");
				gen_fcol(c, f, ti, ci);
				gen_put(c, ")");
				col_alias(c, "period");
			}
			else if (r < 55)
			{
				gen_kw(c, gen_chance(c, 60) ? "EXTRACT(YEAR FROM " : "EXTRACT(MONTH FROM ");
				gen_fcol(c, f, ti, ci);
				gen_put(c, ")");
				col_alias(c, "part");
			}
			else if (r < 78)
			{
				gen_kw(c, "TO_CHAR(");
				gen_fcol(c, f, ti, ci);
				gen_put(c, gen_chance(c, 50) ? ", 'YYYY-MM-DD')" : gen_chance(c, 50) ? ", 'YYYY-MM')" : ", 'Mon DD, YYYY')");
				col_alias(c, "formatted");
			}
			else if (r < 90 && col->base != B_DATE)
			{
				gen_fcol(c, f, ti, ci);
				gen_kw(c, "::date");
				col_alias(c, "day");
			}
			else
			{
				gen_kw(c, "COALESCE(");
				gen_fcol(c, f, ti, ci);
				gen_put(c, ", ");
				gen_kw(c, col->base == B_DATE ? "CURRENT_DATE)" : "NOW())");
				col_alias(c, "effective_at");
			}
			return true;
		case B_BOOL:
			gen_kw(c, "CASE WHEN ");
			gen_fcol(c, f, ti, ci);
			gen_kw(c, " THEN ");
			gen_put(c, "'yes'");
			gen_kw(c, " ELSE ");
			gen_put(c, "'no'");
			gen_kw(c, " END");
			col_alias(c, "flag");
			return true;
		case B_UUID:
			gen_fcol(c, f, ti, ci);
			gen_kw(c, "::text");
			col_alias(c, "ref");
			return true;
		case B_ARRAY:
			if (r < 50)
			{
				gen_kw(c, "ARRAY_LENGTH(");
				gen_fcol(c, f, ti, ci);
				gen_put(c, ", 1)");
				col_alias(c, "tag_count");
			}
			else
			{
				gen_kw(c, "ARRAY_TO_STRING(");
				gen_fcol(c, f, ti, ci);
				gen_put(c, ", ', ')");
				col_alias(c, "tag_list");
			}
			return true;
		case B_JSON:
			gen_fcol(c, f, ti, ci);
			gen_put(c, gen_chance(c, 50) ? " ->> 'source'" : " ->> 'priority'");
			col_alias(c, "attr");
			return true;
		default:
			return false;
	}
}

/* ---- predicates ---- */

/* WHERE operators of the wide share: IN lists, IS NULL, BETWEEN and LIKE weigh more. */
static int
wide_op(GenCtx *c)
{
	static const int w[] = {30, 14, 8, 8, 8, 8, 10, 10, 4};

	return gen_pick_weight(c, w, 9);
}

/* Appends "d >= NOW() - INTERVAL '7 days'" and its relatives for date column ci. */
static void
recent_pred(GenCtx *c, const GenFrom *f, int ti, int ci)
{
	const GenCol *col = &c->tabs[ti].cols[ci];
	int			r = gen_rand_int(c, 0, 99);

	if (r < 60)
	{
		gen_fcol(c, f, ti, ci);
		gen_put(c, gen_chance(c, 75) ? " >= " : " < ");
		gen_kw(c, col->base == B_DATE && gen_chance(c, 60) ? "CURRENT_DATE" : "NOW()");
		gen_put(c, " - ");
		interval_lit(c);
	}
	else if (r < 75)
	{
		gen_kw(c, "EXTRACT(YEAR FROM ");
		gen_fcol(c, f, ti, ci);
		gen_put(c, ") = ");
		gen_int_lit(c, 2020, 2025);
	}
	else if (r < 87)
	{
		gen_kw(c, "DATE_TRUNC('month', ");
		gen_fcol(c, f, ti, ci);
		gen_kw(c, ") = DATE_TRUNC('month', ");
		gen_kw(c, gen_chance(c, 50) ? "CURRENT_DATE)" : "NOW())");
	}
	else
	{
		gen_fcol(c, f, ti, ci);
		gen_kw(c, " BETWEEN ");
		gen_kw(c, "NOW() - ");
		interval_lit(c);
		gen_put(c, " ");
		gen_kw(c, "AND NOW()");
	}
}

/*
 * Appends one predicate on table ti (qualified through f, bare when f is
 * NULL): the reference operators, dates, ILIKE, COALESCE, ANY.
 */
static void
wide_pred(GenCtx *c, int ti, const GenFrom *f)
{
	int			r = gen_rand_int(c, 0, 99);
	int			ci;

	if (r < 16 && (ci = gen_pick_col(c, ti, C_DATE)) >= 0)
	{
		recent_pred(c, f, ti, ci);
		return;
	}
	if (r >= 16 && r < 26 && (ci = gen_pick_col(c, ti, C_STR)) >= 0)
	{
		gen_fcol(c, f, ti, ci);
		gen_kw(c, gen_chance(c, 85) ? " ILIKE " : " NOT ILIKE ");
		gen_like_pattern(c, &c->tabs[ti].cols[ci]);
		return;
	}
	if (r >= 26 && r < 30 && (ci = gen_pick_col(c, ti, C_NUM | C_NULL)) >= 0)
	{
		gen_kw(c, "COALESCE(");
		gen_fcol(c, f, ti, ci);
		gen_put(c, ", 0) > ");
		gen_pred_lit(c, &c->tabs[ti].cols[ci]);
		return;
	}
	if (r >= 30 && r < 55)
		for (int k = 0; k < c->tabs[ti].n_cols; k++)
		{
			const GenCol *col = &c->tabs[ti].cols[k];

			if (col->base == B_ARRAY)
			{
				/* a tag among the array's: = ANY, or containment */
				if (gen_chance(c, 70))
				{
					gen_str_lit(c, gen_word_for(c, col), 0);
					gen_kw(c, " = ANY(");
					gen_fcol(c, f, ti, k);
					gen_put(c, ")");
				}
				else
				{
					gen_fcol(c, f, ti, k);
					gen_kw(c, " @> ARRAY[");
					gen_str_lit(c, gen_word_for(c, col), 0);
					gen_put(c, "]");
				}
				return;
			}
			if (col->base == B_JSON)
			{
				/* a key of the document */
				gen_fcol(c, f, ti, k);
				gen_put(c, gen_chance(c, 50) ? " ->> 'source' = 'web'" : " ->> 'priority' = 'high'");
				return;
			}
		}
	gen_predicate(c, ti, f, wide_op(c));
}

/* Appends " WHERE p [AND p] [AND (p OR p)]" over the chain's items. */
static void
wide_where(GenCtx *c, const WideFrom *w)
{
	static const int np_w[] = {55, 33, 12};
	int			np = 1 + gen_pick_weight(c, np_w, 3);

	gen_kw(c, " WHERE ");
	for (int i = 0; i < np; i++)
	{
		int			fi = gen_rand_int(c, 0, w->n - 1);
		int			ti = w->f[fi].table;

		if (i > 0)
			gen_kw(c, gen_chance(c, 90) ? " AND " : " OR ");
		if (i > 0 && i == np - 1 && gen_chance(c, 20))
		{
			gen_put(c, "(");
			wide_pred(c, ti, qual(w, fi));
			gen_kw(c, " OR ");
			wide_pred(c, ti, qual(w, fi));
			gen_put(c, ")");
		}
		else
			wide_pred(c, ti, qual(w, fi));
	}
}

/* Appends " [NULLS LAST|FIRST]" after an ORDER BY key, as people add it to nullable sorts. */
static void
nulls_order(GenCtx *c, bool desc)
{
	if (gen_chance(c, 22))
		gen_kw(c, desc ? " NULLS LAST" : gen_chance(c, 60) ? " NULLS LAST" : " NULLS FIRST");
}

/* Appends " LIMIT n [OFFSET m]" with page-like values. */
static void
wide_limit(GenCtx *c)
{
	static const int vals[] = {10, 5, 20, 50, 100, 25, 1, 3};
	static const int w[] = {34, 16, 16, 10, 9, 6, 5, 4};
	char		buf[48];

	snprintf(buf, sizeof(buf), " LIMIT %d", vals[gen_pick_weight(c, w, N_OF(vals))]);
	gen_kw(c, buf);
	if (gen_chance(c, 22))
	{
		snprintf(buf, sizeof(buf), " OFFSET %d", gen_rand_int(c, 1, 10) * 10);
		gen_kw(c, buf);
	}
}

/* Appends " ORDER BY key [ASC|DESC] [NULLS ...]" over a sortable column of the chain. */
static void
wide_order(GenCtx *c, const WideFrom *w)
{
	int			fi = 0;
	int			ci = chain_col(c, w, C_SORT, &fi);
	bool		desc;

	if (ci < 0)
		return;
	gen_kw(c, " ORDER BY ");
	gen_fcol(c, qual(w, fi), w->f[fi].table, ci);
	desc = gen_chance(c, 55);
	if (desc)
		gen_kw(c, " DESC");
	else if (gen_chance(c, 30))
		gen_kw(c, " ASC");
	nulls_order(c, desc);
}

/* ---- SELECT shapes ---- */

/* Picks up to n distinct non-key columns across the chain into out; returns the count. */
static int
pick_items(GenCtx *c, const WideFrom *w, int n, WideItem *out)
{
	int			k = 0;

	for (int tries = 0; k < n && tries < 40; tries++)
	{
		int			fi = tries < w->n ? tries : gen_rand_int(c, 0, w->n - 1);
		int			ti = w->f[fi].table;
		int			ci = gen_rand_int(c, 0, c->tabs[ti].n_cols - 1);
		bool		dup = false;

		if (c->tabs[ti].cols[ci].kind == DATAGEN_COL_ID && gen_chance(c, 75))
			continue;
		for (int i = 0; i < k; i++)
			dup |= out[i].from == fi && out[i].col == ci;
		if (dup)
			continue;
		out[k].from = fi;
		out[k].col = ci;
		k++;
	}
	if (k == 0)
	{
		out[0].from = 0;
		out[0].col = 0;
		k = 1;
	}
	return k;
}

/* SELECT [DISTINCT] columns and expressions FROM a chain, WHERE, ORDER BY, LIMIT. */
static void
select_list(GenCtx *c, int ti, int tables)
{
	WideFrom	w;
	WideItem	items[6];
	int			n;
	bool		distinct;
	bool		exprs = gen_chance(c, 45);
	bool		lines;

	build_chain(c, &w, ti, tables);
	n = pick_items(c, &w, gen_rand_int(c, 2, w.n > 1 ? 5 : 4), items);
	distinct = gen_chance(c, 8);
	for (int i = 0; i < n; i++)
		if (c->tabs[w.f[items[i].from].table].cols[items[i].col].base == B_JSON)
			distinct = false;
	lines = list_start(c, distinct ? "SELECT DISTINCT " : "SELECT ");
	if (!distinct && w.n > 1 && gen_chance(c, 6))
	{
		/* every column of one table, a column or two of the others */
		gen_text_ident(c->t, w.f[0].alias_slot >= 0 ? w.f[0].alias : c->s->tables[w.f[0].table].name,
					   w.f[0].alias_slot >= 0 ? DATAGEN_IDENT_ALIAS : DATAGEN_IDENT_TABLE,
					   w.f[0].table, w.f[0].alias_slot >= 0 ? w.f[0].alias_slot : 0);
		gen_put(c, ".*, ");
	}
	for (int i = 0; i < n; i++)
	{
		const GenFrom *f = qual(&w, items[i].from);
		int			t2 = w.f[items[i].from].table;

		if (i > 0)
			list_sep(c, lines);
		if (!distinct && exprs && gen_chance(c, 45) && expr_col(c, f, t2, items[i].col))
			continue;
		gen_fcol(c, f, t2, items[i].col);
	}
	from_clause(c, &w);
	if (gen_chance(c, 80))
		wide_where(c, &w);
	if (distinct)
	{
		if (gen_chance(c, 60))
		{
			gen_kw(c, " ORDER BY ");
			gen_fcol(c, qual(&w, items[0].from), w.f[items[0].from].table, items[0].col);
		}
	}
	else if (gen_chance(c, 60))
		wide_order(c, &w);
	if (gen_chance(c, 35))
		wide_limit(c);
}

/* Appends an aggregate over a number of the chain (COUNT(*) when there is none); returns its alias. */
static const char *
aggregate(GenCtx *c, const WideFrom *w, int which)
{
	static const char *const fns[] = {"COUNT(*)", "SUM(", "AVG(", "MAX(", "MIN(", "COUNT(DISTINCT "};
	static const char *const names[] = {"total", "total_amount", "avg_value", "max_value", "min_value", "distinct_count"};
	int			fi = 0;
	int			ci = which == 5 ? -1 : chain_col(c, w, C_NUM, &fi);

	if (which == 5)
	{
		/* distinct keys of the chain's first item */
		ci = c->tabs[w->f[0].table].pk;
		fi = 0;
		if (ci < 0)
			which = 0;
	}
	else if (ci < 0)
		which = 0;
	if (which == 2 && gen_chance(c, 40))
	{
		gen_kw(c, "ROUND(AVG(");
		gen_fcol(c, qual(w, fi), w->f[fi].table, ci);
		gen_kw(c, ")::numeric, 2)");
		return names[2];
	}
	gen_kw(c, fns[which]);
	if (which > 0)
	{
		gen_fcol(c, qual(w, fi), w->f[fi].table, ci);
		gen_put(c, ")");
	}
	return names[which];
}

/* A report: GROUP BY one or two columns of a chain with aggregates, HAVING, ORDER BY, LIMIT. */
static void
select_report(GenCtx *c, int ti, int tables)
{
	static const int agg_w[] = {36, 22, 18, 10, 5, 4};
	WideFrom	w;
	int			gfi[2];
	int			gci[2];
	int			ng = 0;
	int			first_agg;
	const char *alias;
	bool		by_position = gen_chance(c, 12);
	bool		lines;
	int			num_fi = 0;

	build_chain(c, &w, ti, tables);
	/* group by a name or category, the parent's in a join */
	for (int k = 0; k < 2 && ng < 2; k++)
	{
		int			fi = 0;
		int			ci = chain_col(c, &w, k == 0 ? C_GROUP : C_SORT | C_STR, &fi);

		if (ci < 0 || (ng == 1 && gfi[0] == fi && gci[0] == ci))
			continue;
		if (k == 1 && !gen_chance(c, 30))
			continue;
		gfi[ng] = fi;
		gci[ng] = ci;
		ng++;
	}
	lines = list_start(c, "SELECT ");
	for (int i = 0; i < ng; i++)
	{
		gen_fcol(c, qual(&w, gfi[i]), w.f[gfi[i]].table, gci[i]);
		list_sep(c, lines);
	}
	first_agg = gen_pick_weight(c, agg_w, 6);
	alias = aggregate(c, &w, first_agg);
	col_alias(c, alias);
	if (gen_chance(c, 45) && (first_agg != 0 || chain_col(c, &w, C_NUM, &num_fi) >= 0))
	{
		/* a second aggregate: COUNT(*) beside a SUM or AVG, or the other way round */
		int			second = first_agg == 0 ? 1 + gen_rand_int(c, 0, 3) : 0;
		const char *a2;

		list_sep(c, lines);
		a2 = aggregate(c, &w, second);
		if (strcmp(a2, alias) == 0)
			a2 = "other_value";
		col_alias(c, a2);
	}
	from_clause(c, &w);
	if (gen_chance(c, 50))
		wide_where(c, &w);
	if (ng > 0)
	{
		gen_kw(c, " GROUP BY ");
		for (int i = 0; i < ng; i++)
		{
			char		pos[8];

			if (i > 0)
				gen_put(c, ", ");
			snprintf(pos, sizeof(pos), "%d", i + 1);
			if (by_position)
				gen_put(c, pos);
			else
				gen_fcol(c, qual(&w, gfi[i]), w.f[gfi[i]].table, gci[i]);
		}
		if (gen_chance(c, 35))
		{
			gen_kw(c, " HAVING ");
			gen_kw(c, "COUNT(*)");
			gen_put(c, gen_chance(c, 70) ? " > " : " >= ");
			gen_int_lit(c, 1, 10);
		}
	}
	if (gen_chance(c, 70))
	{
		bool		desc = gen_chance(c, 80);

		gen_kw(c, " ORDER BY ");
		gen_put(c, alias);
		gen_kw(c, desc ? " DESC" : " ASC");
		/* a count is never NULL: NULLS LAST goes with sums and averages */
		if (first_agg != 0)
			nulls_order(c, desc);
	}
	if (gen_chance(c, 35))
		wide_limit(c);
}

/* A time series or a recent-rows query over a date or timestamp column. */
static void
select_dates(GenCtx *c, int ti)
{
	WideFrom	w;
	int			fi = 0;
	int			dc;

	build_chain(c, &w, ti, gen_chance(c, 30) ? 2 : 1);
	dc = chain_col(c, &w, C_DATE, &fi);
	if (dc < 0)
	{
		select_list(c, ti, 1);
		return;
	}
	if (gen_chance(c, 55))
	{
		/* per period: DATE_TRUNC / EXTRACT / TO_CHAR, then an aggregate */
		int			form = gen_rand_int(c, 0, 2);
		const GenFrom *f = qual(&w, fi);
		int			t2 = w.f[fi].table;
		const char *unit = gen_chance(c, 60) ? "'month'" : gen_chance(c, 50) ? "'week'" : "'day'";
		const char *alias;

		gen_kw(c, "SELECT ");
		if (form == 0)
		{
			gen_kw(c, "DATE_TRUNC(");
			gen_put(c, unit);
			gen_put(c, ", ");
			gen_fcol(c, f, t2, dc);
			gen_put(c, ")");
		}
		else if (form == 1)
		{
			gen_kw(c, "EXTRACT(YEAR FROM ");
			gen_fcol(c, f, t2, dc);
			gen_put(c, ")");
		}
		else
		{
			gen_kw(c, "TO_CHAR(");
			gen_fcol(c, f, t2, dc);
			gen_put(c, ", 'YYYY-MM')");
		}
		col_alias(c, form == 1 ? "year" : "period");
		gen_put(c, ", ");
		alias = aggregate(c, &w, gen_chance(c, 55) ? 0 : 1);
		col_alias(c, alias);
		from_clause(c, &w);
		if (gen_chance(c, 60))
		{
			gen_kw(c, " WHERE ");
			recent_pred(c, f, t2, dc);
		}
		gen_kw(c, " GROUP BY ");
		gen_put(c, "1");
		gen_kw(c, " ORDER BY ");
		gen_put(c, "1");
		if (gen_chance(c, 30))
			gen_kw(c, " DESC");
		return;
	}
	/* the latest rows */
	{
		WideItem	items[6];
		int			n = pick_items(c, &w, gen_rand_int(c, 2, 4), items);

		gen_kw(c, "SELECT ");
		if (gen_chance(c, 30))
			gen_put(c, "*");
		else
			for (int i = 0; i < n; i++)
			{
				if (i > 0)
					gen_put(c, ", ");
				gen_fcol(c, qual(&w, items[i].from), w.f[items[i].from].table, items[i].col);
			}
		from_clause(c, &w);
		gen_kw(c, " WHERE ");
		recent_pred(c, qual(&w, fi), w.f[fi].table, dc);
		if (gen_chance(c, 35))
		{
			gen_kw(c, " AND ");
			int			fi2 = gen_rand_int(c, 0, w.n - 1);

			wide_pred(c, w.f[fi2].table, qual(&w, fi2));
		}
		gen_kw(c, " ORDER BY ");
		gen_fcol(c, qual(&w, fi), w.f[fi].table, dc);
		gen_kw(c, " DESC");
		nulls_order(c, true);
		if (gen_chance(c, 40))
			wide_limit(c);
	}
}

/* Fills parent and child FROM items of link l, aliased (slots 0 and 1). */
static void
link_items(GenCtx *c, const DatagenLink *l, GenFrom *parent, GenFrom *child)
{
	gen_from_item(c, parent, l->parent, 0, true, NULL, 0);
	gen_from_item(c, child, l->child, 1, true, parent, 1);
	if (l->parent == l->child)
	{
		/* a self link: the two aliases must differ */
		snprintf(child->alias, sizeof(child->alias), "%.5s2", parent->alias);
	}
	parent->with_as = child->with_as = gen_chance(c, 25);
}

/* Appends "c.fk = p.pk" for link l. */
static void
link_cond(GenCtx *c, const DatagenLink *l, const GenFrom *parent, const GenFrom *child)
{
	gen_qcol(c, child, l->child_col);
	gen_put(c, " = ");
	gen_qcol(c, parent, l->parent_col);
}

/* Subqueries along a link: IN, [NOT] EXISTS, a scalar count, a comparison with an average. */
static void
select_subquery(GenCtx *c, int ti)
{
	const DatagenLink *l;
	GenFrom		p;
	GenFrom		ch;
	int			form = gen_rand_int(c, 0, 99);

	if (c->s->n_links == 0 || form >= 85)
	{
		/* rows above the table's average */
		int			num = gen_pick_col(c, ti, C_NUM);
		WideFrom	w;

		if (num < 0)
		{
			select_list(c, ti, 1);
			return;
		}
		build_chain(c, &w, ti, 1);
		gen_kw(c, "SELECT ");
		gen_put(c, "*");
		from_clause(c, &w);
		gen_kw(c, " WHERE ");
		gen_fcol(c, qual(&w, 0), ti, num);
		gen_put(c, " > ");
		c->t->nest++;
		gen_kw(c, "(SELECT AVG(");
		gen_col(c, ti, num);
		gen_kw(c, ") FROM ");
		gen_tbl(c, ti);
		gen_put(c, ")");
		c->t->nest--;
		if (gen_chance(c, 40))
			wide_order(c, &w);
		return;
	}
	l = &c->s->links[gen_rand_int(c, 0, c->s->n_links - 1)];
	link_items(c, l, &p, &ch);
	if (form < 30)
	{
		/* parents with matching children: IN (SELECT fk FROM child WHERE ...) */
		gen_kw(c, "SELECT ");
		gen_put(c, "*");
		gen_kw(c, " FROM ");
		gen_tbl(c, l->parent);
		gen_kw(c, " WHERE ");
		gen_col(c, l->parent, l->parent_col);
		gen_kw(c, gen_chance(c, 85) ? " IN " : " NOT IN ");
		c->t->nest++;
		gen_kw(c, "(SELECT ");
		gen_col(c, l->child, l->child_col);
		gen_kw(c, " FROM ");
		gen_tbl(c, l->child);
		gen_kw(c, " WHERE ");
		gen_predicate(c, l->child, NULL, wide_op(c));
		gen_put(c, ")");
		c->t->nest--;
		return;
	}
	if (form < 60)
	{
		/* [NOT] EXISTS, correlated */
		gen_kw(c, "SELECT ");
		gen_put(c, "*");
		gen_kw(c, " FROM ");
		gen_from_text(c, &p);
		gen_kw(c, " WHERE ");
		gen_kw(c, gen_chance(c, 70) ? "EXISTS " : "NOT EXISTS ");
		c->t->nest++;
		gen_kw(c, "(SELECT 1 FROM ");
		gen_from_text(c, &ch);
		gen_kw(c, " WHERE ");
		link_cond(c, l, &p, &ch);
		if (gen_chance(c, 50))
		{
			gen_kw(c, " AND ");
			wide_pred(c, ch.table, &ch);
		}
		gen_put(c, ")");
		c->t->nest--;
		return;
	}
	/* a scalar subquery in the select list: how many children each parent has */
	{
		int			show = gen_pick_col(c, l->parent, C_SORT | C_STR);

		if (show < 0)
			show = l->parent_col;
		gen_kw(c, "SELECT ");
		gen_qcol(c, &p, l->parent_col);
		if (show != l->parent_col)
		{
			gen_put(c, ", ");
			gen_qcol(c, &p, show);
		}
		gen_put(c, ", ");
		c->t->nest++;
		gen_kw(c, "(SELECT COUNT(*) FROM ");
		gen_from_text(c, &ch);
		gen_kw(c, " WHERE ");
		link_cond(c, l, &p, &ch);
		gen_put(c, ")");
		c->t->nest--;
		col_alias(c, "child_count");
		gen_kw(c, " FROM ");
		gen_from_text(c, &p);
		if (gen_chance(c, 50))
		{
			gen_kw(c, " ORDER BY ");
			gen_put(c, "child_count");
			gen_kw(c, " DESC");
		}
		if (gen_chance(c, 40))
			wide_limit(c);
	}
}

/* CTE names: what people call an intermediate result. */
static const char *const cte_names[] = {"totals", "recent", "ranked", "summary", "stats", "filtered", "latest", "counts"};

/* True when name is the name of a schema table (a CTE must not shadow one). */
static bool
is_table_name(GenCtx *c, const char *name)
{
	for (int i = 0; i < c->s->n_tables; i++)
		if (strcasecmp(c->s->tables[i].name, name) == 0)
			return true;
	return false;
}

/* Closes a CTE body: ")" then the main query on a new line in multi-line statements. */
static void
cte_close(GenCtx *c)
{
	c->t->nest--;
	gen_put(c, ")");
	gen_put(c, c->t->multiline ? "\n" : " ");
}

/* WITH: per-parent totals joined back, or the latest row per group by ROW_NUMBER. */
static void
select_cte(GenCtx *c, int ti)
{
	const char *name = cte_names[gen_rand_int(c, 0, N_OF(cte_names) - 1)];

	if (is_table_name(c, name))
		name = "cte";
	if (c->s->n_links > 0 && gen_chance(c, 60))
	{
		const DatagenLink *l = &c->s->links[gen_rand_int(c, 0, c->s->n_links - 1)];
		int			num = gen_pick_col(c, l->child, C_NUM);
		int			show = gen_pick_col(c, l->parent, C_SORT | C_STR);
		GenFrom		p;

		if (l->parent == l->child)
		{
			select_list(c, ti, 2);
			return;
		}
		gen_from_item(c, &p, l->parent, 0, true, NULL, 0);
		gen_kw(c, "WITH ");
		gen_put(c, name);
		gen_kw(c, " AS ");
		c->t->nest++;
		gen_kw(c, "(SELECT ");
		gen_col(c, l->child, l->child_col);
		gen_kw(c, ", COUNT(*) AS ");
		gen_put(c, "n");
		if (num >= 0)
		{
			gen_kw(c, ", SUM(");
			gen_col(c, l->child, num);
			gen_kw(c, ") AS ");
			gen_put(c, "total");
		}
		gen_kw(c, " FROM ");
		gen_tbl(c, l->child);
		if (gen_chance(c, 40))
		{
			gen_kw(c, " WHERE ");
			wide_pred(c, l->child, NULL);
		}
		gen_kw(c, " GROUP BY ");
		gen_col(c, l->child, l->child_col);
		cte_close(c);
		gen_kw(c, "SELECT ");
		gen_qcol(c, &p, show >= 0 ? show : l->parent_col);
		gen_put(c, ", ");
		gen_put(c, name);
		gen_put(c, ".n");
		if (num >= 0)
		{
			gen_put(c, ", ");
			gen_put(c, name);
			gen_put(c, ".total");
		}
		gen_kw(c, " FROM ");
		gen_from_text(c, &p);
		gen_kw(c, " JOIN ");
		gen_put(c, name);
		gen_kw(c, " ON ");
		gen_put(c, name);
		gen_put(c, ".");
		gen_col(c, l->child, l->child_col);
		gen_put(c, " = ");
		gen_qcol(c, &p, l->parent_col);
		gen_kw(c, " ORDER BY ");
		gen_put(c, name);
		gen_put(c, num >= 0 && gen_chance(c, 50) ? ".total" : ".n");
		gen_kw(c, " DESC");
		nulls_order(c, true);
		if (gen_chance(c, 50))
			wide_limit(c);
		return;
	}
	/* the latest (or largest) row per group */
	{
		int			g = gen_pick_col(c, ti, C_GROUP);
		int			key = gen_pick_col(c, ti, C_DATE);
		WideItem	items[6];
		WideFrom	w;
		int			n;

		if (key < 0)
			key = gen_pick_col(c, ti, C_NUM);
		if (g < 0 || key < 0)
		{
			select_list(c, ti, 1);
			return;
		}
		if (strcmp(name, "ranked") != 0 && gen_chance(c, 50))
			name = is_table_name(c, "ranked") ? "cte" : "ranked";
		w.n = 1;
		w.f[0].table = ti;
		w.f[0].alias_slot = -1;
		n = pick_items(c, &w, gen_rand_int(c, 1, 3), items);
		gen_kw(c, "WITH ");
		gen_put(c, name);
		gen_kw(c, " AS ");
		c->t->nest++;
		gen_kw(c, "(SELECT ");
		gen_col(c, ti, g);
		for (int i = 0; i < n; i++)
			if (items[i].col != g)
			{
				gen_put(c, ", ");
				gen_col(c, ti, items[i].col);
			}
		if (key != g)
		{
			bool		listed = false;

			for (int i = 0; i < n; i++)
				listed |= items[i].col == key;
			if (!listed)
			{
				gen_put(c, ", ");
				gen_col(c, ti, key);
			}
		}
		gen_kw(c, gen_chance(c, 75) ? ", ROW_NUMBER() OVER (PARTITION BY " : ", RANK() OVER (PARTITION BY ");
		gen_col(c, ti, g);
		gen_kw(c, " ORDER BY ");
		gen_col(c, ti, key);
		gen_kw(c, " DESC) AS ");
		gen_put(c, "rn");
		gen_kw(c, " FROM ");
		gen_tbl(c, ti);
		cte_close(c);
		gen_kw(c, "SELECT ");
		gen_put(c, "*");
		gen_kw(c, " FROM ");
		gen_put(c, name);
		gen_kw(c, " WHERE ");
		gen_put(c, gen_chance(c, 70) ? "rn = 1" : "rn <= 3");
	}
}

/* Window functions: ROW_NUMBER / RANK / DENSE_RANK, LAG / LEAD, running SUM, share of a group total. */
static void
select_window(GenCtx *c, int ti)
{
	int			num = gen_pick_col(c, ti, C_NUM);
	int			g = gen_pick_col(c, ti, C_GROUP);
	int			ord = gen_pick_col(c, ti, C_DATE);
	int			show = gen_pick_col(c, ti, C_SORT);
	int			form = gen_rand_int(c, 0, 99);
	WideFrom	w;
	const GenFrom *f;

	if (num < 0 && ord < 0)
	{
		select_list(c, ti, 1);
		return;
	}
	if (ord < 0)
		ord = num;
	if (num < 0)
		form = 0;
	build_chain(c, &w, ti, 1);
	f = qual(&w, 0);
	gen_kw(c, "SELECT ");
	if (show >= 0 && show != num && show != ord)
	{
		gen_fcol(c, f, ti, show);
		gen_put(c, ", ");
	}
	if (g >= 0 && g != show)
	{
		gen_fcol(c, f, ti, g);
		gen_put(c, ", ");
	}
	gen_fcol(c, f, ti, num >= 0 ? num : ord);
	gen_put(c, ", ");
	if (form < 40)
	{
		int			r = gen_rand_int(c, 0, 2);

		gen_kw(c, r == 0 ? "ROW_NUMBER() OVER (" : r == 1 ? "RANK() OVER (" : "DENSE_RANK() OVER (");
		if (g >= 0 && gen_chance(c, 75))
		{
			gen_kw(c, "PARTITION BY ");
			gen_fcol(c, f, ti, g);
			gen_put(c, " ");
		}
		gen_kw(c, "ORDER BY ");
		gen_fcol(c, f, ti, num >= 0 ? num : ord);
		gen_kw(c, " DESC)");
		col_alias(c, r == 0 ? "row_num" : "rank");
	}
	else if (form < 65)
	{
		gen_kw(c, gen_chance(c, 75) ? "LAG(" : "LEAD(");
		gen_fcol(c, f, ti, num);
		gen_kw(c, ") OVER (");
		if (g >= 0 && gen_chance(c, 65))
		{
			gen_kw(c, "PARTITION BY ");
			gen_fcol(c, f, ti, g);
			gen_put(c, " ");
		}
		gen_kw(c, "ORDER BY ");
		gen_fcol(c, f, ti, ord);
		gen_put(c, ")");
		col_alias(c, "previous_value");
	}
	else if (form < 85)
	{
		gen_kw(c, "SUM(");
		gen_fcol(c, f, ti, num);
		gen_kw(c, ") OVER (");
		if (g >= 0 && gen_chance(c, 60))
		{
			gen_kw(c, "PARTITION BY ");
			gen_fcol(c, f, ti, g);
			gen_put(c, " ");
		}
		gen_kw(c, "ORDER BY ");
		gen_fcol(c, f, ti, ord);
		gen_put(c, ")");
		col_alias(c, "running_total");
	}
	else
	{
		gen_kw(c, gen_chance(c, 50) ? "AVG(" : "SUM(");
		gen_fcol(c, f, ti, num);
		gen_kw(c, ") OVER (");
		if (g >= 0)
		{
			gen_kw(c, "PARTITION BY ");
			gen_fcol(c, f, ti, g);
		}
		gen_put(c, ")");
		col_alias(c, "group_value");
	}
	from_clause(c, &w);
	if (gen_chance(c, 45))
		wide_where(c, &w);
	if (gen_chance(c, 45))
		wide_order(c, &w);
	if (gen_chance(c, 25))
		wide_limit(c);
}

/* A text column of table ti that can be listed in a UNION (varchar or text); -1 if none. */
static int
union_col(GenCtx *c, int ti)
{
	for (int tries = 0; tries < 6; tries++)
	{
		int			ci = gen_pick_col(c, ti, C_STR | C_SORT);

		if (ci >= 0 && (c->tabs[ti].cols[ci].base == B_VARCHAR || c->tabs[ti].cols[ci].base == B_TEXT))
			return ci;
	}
	return -1;
}

/* UNION [ALL] of two filtered queries: two tables' names, or one table's two filters. */
static void
select_union(GenCtx *c, int ti)
{
	int			t2 = gen_rand_int(c, 0, c->s->n_tables - 1);
	int			a = union_col(c, ti);
	int			b = union_col(c, t2);

	if (a < 0)
	{
		select_list(c, ti, 1);
		return;
	}
	if (b < 0)
	{
		t2 = ti;
		b = a;
	}
	gen_kw(c, "SELECT ");
	gen_col(c, ti, a);
	gen_kw(c, " FROM ");
	gen_tbl(c, ti);
	if (gen_chance(c, 70) || t2 == ti)
	{
		gen_kw(c, " WHERE ");
		gen_predicate(c, ti, NULL, wide_op(c));
	}
	gen_kw(c, gen_chance(c, 55) ? " UNION " : " UNION ALL ");
	gen_kw(c, "SELECT ");
	gen_col(c, t2, b);
	gen_kw(c, " FROM ");
	gen_tbl(c, t2);
	if (gen_chance(c, 70) || t2 == ti)
	{
		gen_kw(c, " WHERE ");
		gen_predicate(c, t2, NULL, wide_op(c));
	}
	if (gen_chance(c, 40))
	{
		gen_kw(c, " ORDER BY ");
		gen_put(c, "1");
	}
}

/* See gen_stmt.h. */
void
gen_select_wide(GenCtx *c)
{
	/* list, report, dates, subquery, CTE, window, UNION: roughly how often people type each */
	static const int w[] = {34, 22, 12, 11, 8, 9, 4};
	static const int tables_w[] = {30, 45, 18, 7};
	int			shape = gen_pick_weight(c, w, N_OF(w));
	int			tables = 1 + gen_pick_weight(c, tables_w, 4);
	int			ti = tables > 1 ? child_table(c) : gen_rand_int(c, 0, c->s->n_tables - 1);

	switch (shape)
	{
		case 0:
			select_list(c, ti, tables);
			break;
		case 1:
			select_report(c, ti, tables > 1 ? tables - 1 + (int) gen_chance(c, 50) : 1);
			break;
		case 2:
			select_dates(c, ti);
			break;
		case 3:
			select_subquery(c, ti);
			break;
		case 4:
			select_cte(c, ti);
			break;
		case 5:
			select_window(c, ti);
			break;
		default:
			select_union(c, ti);
			break;
	}
}

/* ---- DML ---- */

/* Appends " RETURNING *" or the key (qualified through f when given). */
static void
returning(GenCtx *c, int ti, const GenFrom *f)
{
	const GenTab *g = &c->tabs[ti];

	gen_kw(c, " RETURNING ");
	if (g->pk >= 0 && gen_chance(c, 60))
	{
		gen_fcol(c, f, ti, g->pk);
		if (gen_chance(c, 30))
		{
			int			ci = gen_pick_col(c, ti, C_ATTR);

			if (ci >= 0 && ci != g->pk)
			{
				gen_put(c, ", ");
				gen_fcol(c, f, ti, ci);
			}
		}
	}
	else
		gen_put(c, "*");
}

/* See gen_stmt.h. */
void
gen_insert_wide(GenCtx *c)
{
	int			r = gen_rand_int(c, 0, 99);
	int			ti = gen_rand_int(c, 0, c->s->n_tables - 1);
	int			cols[64];
	int			n;

	if (r < 30 && c->s->n_links > 0)
	{
		/* INSERT INTO child (fk, ...) SELECT p.pk, literals FROM parent p WHERE ... */
		const DatagenLink *l = &c->s->links[gen_rand_int(c, 0, c->s->n_links - 1)];
		const GenTab *g = &c->tabs[l->child];

		if (l->child != l->parent && (g->pk < 0 || g->cols[g->pk].auto_value))
		{
			int			m = 0;
			int			sel[64];
			GenFrom		p;

			n = gen_insert_cols(c, l->child, cols);
			sel[m++] = l->child_col;
			for (int i = 0; i < n && m < 64; i++)
				if (cols[i] != l->child_col && cols[i] != g->pk)
					sel[m++] = cols[i];
			gen_from_item(c, &p, l->parent, 0, gen_chance(c, 50), NULL, 0);
			gen_kw(c, "INSERT INTO ");
			gen_tbl(c, l->child);
			gen_put(c, " ");
			gen_col_list(c, l->child, sel, m);
			gen_kw(c, " SELECT ");
			gen_fcol(c, p.alias_slot >= 0 ? &p : NULL, l->parent, l->parent_col);
			for (int i = 1; i < m; i++)
			{
				gen_put(c, ", ");
				gen_value(c, &g->cols[sel[i]]);
			}
			gen_kw(c, " FROM ");
			gen_from_text(c, &p);
			gen_kw(c, " WHERE ");
			wide_pred(c, l->parent, p.alias_slot >= 0 ? &p : NULL);
			if (gen_chance(c, 25))
				returning(c, l->child, NULL);
			return;
		}
	}
	n = gen_insert_cols(c, ti, cols);
	gen_kw(c, "INSERT INTO ");
	gen_tbl(c, ti);
	gen_put(c, " ");
	gen_col_list(c, ti, cols, n);
	gen_kw(c, " VALUES ");
	gen_values_row(c, ti, cols, n);
	if (gen_chance(c, 15))
	{
		gen_put(c, ", ");
		gen_values_row(c, ti, cols, n);
	}
	if (r >= 30 && r < 60)
	{
		int			key = gen_conflict_col(c, ti);

		if (key >= 0)
		{
			bool		listed = false;

			for (int i = 0; i < n; i++)
				listed |= cols[i] == key;
			/* the conflict target must be among the values for DO UPDATE to make sense */
			gen_on_conflict(c, ti, cols, n, key, !listed || gen_chance(c, 30));
		}
	}
	if (gen_chance(c, 55))
		returning(c, ti, NULL);
}

/*
 * Appends "SET a = expr[, b = expr]" for table ti: literals, arithmetic,
 * NOW(), COALESCE, NOT; the right-hand sides name columns through f (in
 * UPDATE ... FROM a bare name could mean the other table's).
 */
static void
set_list(GenCtx *c, int ti, const GenFrom *f)
{
	const GenTab *g = &c->tabs[ti];
	int			nset = gen_chance(c, 55) ? 1 : 2;
	int			done = 0;
	bool		used[64] = {false};

	gen_kw(c, " SET ");
	for (int tries = 0; done < nset && tries < 20; tries++)
	{
		int			ci = gen_pick_col(c, ti, C_SET);
		const GenCol *col;
		int			r = gen_rand_int(c, 0, 99);

		if (ci < 0 || ci >= 64 || used[ci])
			continue;
		used[ci] = true;
		col = &g->cols[ci];
		if (done > 0)
			gen_put(c, ", ");
		gen_col(c, ti, ci);
		gen_put(c, " = ");
		if ((col->roles & C_NUM) && r < 40)
		{
			if (r < 15)
			{
				gen_kw(c, "COALESCE(");
				gen_fcol(c, f, ti, ci);
				gen_put(c, ", 0)");
			}
			else
				gen_fcol(c, f, ti, ci);
			if (col->base == B_NUMERIC || col->base == B_FLOAT)
				gen_put(c, gen_chance(c, 50) ? " * 1.05" : " - 5");
			else
				gen_put(c, gen_chance(c, 70) ? " + 1" : " - 1");
		}
		else if ((col->base == B_TS || col->base == B_TSTZ) && r < 70)
			gen_kw(c, gen_chance(c, 70) ? "NOW()" : "CURRENT_TIMESTAMP");
		else if (col->base == B_DATE && r < 50)
		{
			gen_kw(c, "CURRENT_DATE");
			if (gen_chance(c, 40))
			{
				gen_put(c, " + ");
				gen_kw(c, "INTERVAL '30 days'");
			}
		}
		else if (col->base == B_BOOL && r < 50)
		{
			gen_kw(c, "NOT ");
			gen_fcol(c, f, ti, ci);
		}
		else if ((col->roles & C_NULL) && r >= 94)
			gen_kw(c, "NULL");
		else
			gen_lit(c, col);
		done++;
	}
	if (done == 0)
	{
		gen_col(c, ti, 0);
		gen_put(c, " = ");
		gen_col(c, ti, 0);
	}
}

/* See gen_stmt.h. */
void
gen_update_wide(GenCtx *c)
{
	int			r = gen_rand_int(c, 0, 99);

	if (r < 35 && c->s->n_links > 0)
	{
		/* UPDATE child c SET ... FROM parent p WHERE c.fk = p.pk AND <p filter> */
		const DatagenLink *l = &c->s->links[gen_rand_int(c, 0, c->s->n_links - 1)];
		GenFrom		p;
		GenFrom		ch;

		if (l->child != l->parent && gen_pick_col(c, l->child, C_SET) >= 0)
		{
			link_items(c, l, &p, &ch);
			gen_kw(c, "UPDATE ");
			gen_from_text(c, &ch);
			set_list(c, l->child, &ch);
			gen_kw(c, " FROM ");
			gen_from_text(c, &p);
			gen_kw(c, " WHERE ");
			link_cond(c, l, &p, &ch);
			gen_kw(c, " AND ");
			wide_pred(c, l->parent, &p);
			if (gen_chance(c, 25))
				returning(c, l->child, &ch);
			return;
		}
	}
	{
		int			ti = gen_rand_int(c, 0, c->s->n_tables - 1);
		const GenTab *g = &c->tabs[ti];

		gen_kw(c, "UPDATE ");
		gen_tbl(c, ti);
		set_list(c, ti, NULL);
		if (g->pk >= 0 && r < 60)
		{
			gen_kw(c, " WHERE ");
			gen_col(c, ti, g->pk);
			if (gen_chance(c, 30))
			{
				gen_kw(c, " IN (");
				for (int i = 0; i < 3; i++)
				{
					if (i > 0)
						gen_put(c, ", ");
					gen_lit(c, &g->cols[g->pk]);
				}
				gen_put(c, ")");
			}
			else
			{
				gen_put(c, " = ");
				gen_lit(c, &g->cols[g->pk]);
			}
		}
		else
		{
			WideFrom	w = {.n = 1};

			w.f[0].table = ti;
			w.f[0].alias_slot = -1;
			wide_where(c, &w);
		}
		if (gen_chance(c, 35))
			returning(c, ti, NULL);
	}
}

/* See gen_stmt.h. */
void
gen_delete_wide(GenCtx *c)
{
	int			r = gen_rand_int(c, 0, 99);

	if (r < 45 && c->s->n_links > 0)
	{
		const DatagenLink *l = &c->s->links[gen_rand_int(c, 0, c->s->n_links - 1)];
		GenFrom		p;
		GenFrom		ch;

		if (l->child != l->parent)
		{
			link_items(c, l, &p, &ch);
			if (r < 25)
			{
				/* DELETE FROM child c USING parent p WHERE c.fk = p.pk AND <p filter> */
				gen_kw(c, "DELETE FROM ");
				gen_from_text(c, &ch);
				gen_kw(c, " USING ");
				gen_from_text(c, &p);
				gen_kw(c, " WHERE ");
				link_cond(c, l, &p, &ch);
				gen_kw(c, " AND ");
				wide_pred(c, l->parent, &p);
				if (gen_chance(c, 25))
					returning(c, l->child, &ch);
			}
			else
			{
				/* parents without children */
				gen_kw(c, "DELETE FROM ");
				gen_from_text(c, &p);
				gen_kw(c, " WHERE NOT EXISTS ");
				c->t->nest++;
				gen_kw(c, "(SELECT 1 FROM ");
				gen_from_text(c, &ch);
				gen_kw(c, " WHERE ");
				link_cond(c, l, &p, &ch);
				gen_put(c, ")");
				c->t->nest--;
			}
			return;
		}
	}
	{
		int			ti = gen_rand_int(c, 0, c->s->n_tables - 1);
		int			dc = gen_pick_col(c, ti, C_DATE);

		gen_kw(c, "DELETE FROM ");
		gen_tbl(c, ti);
		gen_kw(c, " WHERE ");
		if (dc >= 0 && gen_chance(c, 50))
		{
			gen_col(c, ti, dc);
			gen_put(c, " < ");
			gen_kw(c, c->tabs[ti].cols[dc].base == B_DATE && gen_chance(c, 50) ? "CURRENT_DATE" : "NOW()");
			gen_put(c, " - ");
			interval_lit(c);
		}
		else
			wide_pred(c, ti, NULL);
		if (gen_chance(c, 30))
			returning(c, ti, NULL);
	}
}
