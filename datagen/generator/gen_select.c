/*
 * gen_select.c — SELECT statements: one table (columns, ORDER BY, LIMIT),
 * aggregates with GROUP BY / HAVING, joins along the schema's links,
 * subqueries, CTEs and window functions.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gen_stmt.h"
#include "util.h"

static const char *const cte_names[] = {"recent", "filtered", "top_items", "summary", "active_rows", "stats"};

/* ---- SELECT ---- */

/* Appends " ORDER BY col dir". */
static void
order_by(GenCtx *c, const GenFrom *f, int ti, int ci)
{
	int			r = gen_rand_int(c, 0, 99);

	gen_kw(c, " ORDER BY ");
	gen_fcol(c, f, ti, ci);
	if (r < 66)
		gen_kw(c, " DESC");
	else if (r < 96)
		gen_kw(c, " ASC");
}

/* Appends " LIMIT n" with the reference values (and a rare OFFSET). */
static void
limit_clause(GenCtx *c)
{
	static const int vals[] = {5, 10, 3, 20, 7, 1, 50};
	static const int w[] = {527, 356, 97, 7, 3, 2, 8};
	char		buf[48];

	snprintf(buf, sizeof(buf), " LIMIT %d", vals[gen_pick_weight(c, w, 7)]);
	gen_kw(c, buf);
	if (gen_chance(c, 5))
	{
		snprintf(buf, sizeof(buf), " OFFSET %d", gen_rand_int(c, 1, 4) * 5);
		gen_kw(c, buf);
	}
}

/* Number of select-list items: 1-6 with the reference shares (given no star). */
static int
list_size(GenCtx *c)
{
	static const int w[] = {3, 50, 37, 8, 2};
	int			k = gen_pick_weight(c, w, 5);

	return k == 4 ? gen_rand_int(c, 5, 6) : k + 1;
}

/* Picks up to n distinct select-list columns of table ti into out; returns the count. */
static int
list_cols(GenCtx *c, int ti, int n, int *out)
{
	const GenTab *g = &c->tabs[ti];
	int			k = 0;
	bool		used[64] = {false};

	/* the key first now and then, as people write it */
	if (g->pk >= 0 && n >= 3 && gen_chance(c, 30))
	{
		out[k++] = g->pk;
		used[g->pk] = true;
	}
	for (int tries = 0; k < n && tries < 40; tries++)
	{
		int			ci = gen_rand_int(c, 0, g->n_cols - 1);

		if (ci >= 64 || used[ci] || (g->cols[ci].kind == DATAGEN_COL_ID && gen_chance(c, 70)))
			continue;
		used[ci] = true;
		out[k++] = ci;
	}
	if (k == 0)
		out[k++] = 0;
	return k;
}

/* A simple or complex single-table SELECT. */
static void
select_one(GenCtx *c, int ti, bool complex)
{
	bool		star = gen_chance(c, complex ? 22 : 40);
	bool		distinct = !star && gen_chance(c, complex ? 3.5 : 1.0);
	bool		has_json = false;
	bool		where = gen_chance(c, complex ? 74 : 58);
	bool		order = gen_chance(c, complex ? 47 : 30);
	int			cols[8];
	int			n = 0;
	int			func = complex ? gen_rand_int(c, 0, 399) : 400;

	gen_kw(c, "SELECT ");
	if (distinct)
		gen_kw(c, "DISTINCT ");
	if (star)
		gen_put(c, "*");
	else
	{
		n = list_cols(c, ti, list_size(c), cols);
		for (int i = 0; i < n; i++)
			has_json |= c->tabs[ti].cols[cols[i]].base == B_JSON;
		if (distinct && has_json)
		{
			/* json has no equality operator: no DISTINCT over it */
			c->t->buf.len -= strlen("DISTINCT ");
			distinct = false;
		}
		for (int i = 0; i < n; i++)
		{
			const GenCol *col = &c->tabs[ti].cols[cols[i]];

			if (i > 0)
				gen_put(c, ", ");
			/* rare expressions: string and date functions, CASE */
			if (func < 3 && col->base == B_VARCHAR && !distinct)
			{
				gen_kw(c, func == 0 ? "UPPER(" : func == 1 ? "LOWER(" : "LENGTH(");
				gen_col(c, ti, cols[i]);
				gen_put(c, ") ");
				gen_kw(c, "AS ");
				gen_put(c, func == 0 ? "upper_value" : func == 1 ? "lower_value" : "value_length");
				func = 400;
				continue;
			}
			if (func < 6 && (col->base == B_DATE || col->base == B_TS) && !distinct)
			{
				gen_kw(c, func == 3 ? "EXTRACT(YEAR FROM " : "DATE_TRUNC('month', ");
				gen_col(c, ti, cols[i]);
				gen_put(c, ") ");
				gen_kw(c, "AS ");
				gen_put(c, func == 3 ? "year" : "month");
				func = 400;
				continue;
			}
			if (func < 8 && (col->roles & C_NUM) && !distinct)
			{
				gen_kw(c, "CASE WHEN ");
				gen_col(c, ti, cols[i]);
				gen_put(c, " > ");
				gen_lit(c, col);
				gen_kw(c, " THEN ");
				gen_put(c, "'high'");
				gen_kw(c, " ELSE ");
				gen_put(c, "'low'");
				gen_kw(c, " END AS ");
				gen_put(c, "level");
				func = 400;
				continue;
			}
			gen_col(c, ti, cols[i]);
			if (gen_chance(c, 2))
			{
				gen_kw(c, " AS ");
				gen_put(c, col->name);
				gen_put(c, "_value");
			}
		}
	}
	gen_kw(c, " FROM ");
	gen_tbl(c, ti);
	if (where)
	{
		static const int np_w[] = {89, 11};

		if (complex && gen_chance(c, 2))
		{
			/* recent rows by a date function */
			int			ci = gen_pick_col(c, ti, C_DATE);

			if (ci >= 0)
			{
				gen_kw(c, " WHERE ");
				gen_col(c, ti, ci);
				gen_put(c, " >= ");
				gen_kw(c, gen_chance(c, 50) ? "CURRENT_DATE - INTERVAL '30 days'" : "NOW() - INTERVAL '7 days'");
				where = false;
			}
		}
		if (where)
			gen_where(c, ti, NULL, 1 + gen_pick_weight(c, np_w, 2), gen_select_op);
	}
	if (order)
	{
		int			ci;

		if (distinct)
			ci = cols[gen_rand_int(c, 0, n - 1)];
		else
		{
			ci = gen_pick_col(c, ti, C_SORT);
			if (ci < 0)
				ci = 0;
		}
		order_by(c, NULL, ti, ci);
	}
	if (gen_chance(c, complex ? 6 : 1.5))
		limit_clause(c);
}

/* An aggregate: which function (0 COUNT(*), 1 COUNT(col), 2 COUNT(DISTINCT), 3 SUM, 4 AVG, 5 MAX, 6 MIN) and column. */
typedef struct GenAgg
{
	int			fn;
	int			col;
} GenAgg;

/* Picks an aggregate over table ti with the reference frequencies. */
static GenAgg
pick_agg(GenCtx *c, int ti)
{
	static const int w[] = {19, 8, 1, 17, 20, 14, 4};
	GenAgg		a;

	a.fn = gen_pick_weight(c, w, 7);
	a.col = gen_pick_col(c, ti, C_NUM);
	if (a.col < 0 && a.fn >= 3)
		a.fn = gen_chance(c, 65) ? 0 : 1;
	if (a.fn == 1 || a.fn == 2)
		a.col = c->tabs[ti].pk >= 0 ? c->tabs[ti].pk : 0;
	return a;
}

/* Appends the aggregate call (through f when given); returns a fitting alias. */
static const char *
write_agg(GenCtx *c, int ti, const GenFrom *f, GenAgg a)
{
	static const char *const fn[] = {"COUNT(*)", "COUNT(", "COUNT(DISTINCT ", "SUM(", "AVG(", "MAX(", "MIN("};
	static const char *const alias[] = {"total", "count", "distinct_count", "total_amount", "average", "max_value", "min_value"};

	gen_kw(c, fn[a.fn]);
	if (a.fn > 0)
	{
		gen_fcol(c, f, ti, a.col);
		gen_put(c, ")");
	}
	return alias[a.fn];
}

/* Appends a threshold literal for a HAVING on aggregate a. */
static void
agg_threshold(GenCtx *c, int ti, GenAgg a)
{
	if (a.fn <= 2)
		gen_int_lit(c, 1, 10);
	else if (a.fn == 3)
		gen_int_lit(c, 10, 500);
	else
		gen_lit(c, &c->tabs[ti].cols[a.col]);
}

/* SELECT with aggregates: GROUP BY [HAVING] or a plain aggregate. */
static void
select_aggregate(GenCtx *c, int ti, bool complex, bool grouped)
{
	int			g = grouped ? gen_pick_col(c, ti, C_GROUP) : -1;
	GenAgg		a = pick_agg(c, ti);
	const char *alias;
	bool		as = gen_chance(c, 45);

	gen_kw(c, "SELECT ");
	if (g >= 0)
	{
		gen_col(c, ti, g);
		gen_put(c, ", ");
	}
	alias = write_agg(c, ti, NULL, a);
	if (as)
	{
		gen_kw(c, " AS ");
		gen_put(c, alias);
	}
	if (g < 0 && a.fn >= 3 && gen_chance(c, 25))
	{
		/* a second aggregate on the same column: MIN and MAX, SUM and AVG */
		GenAgg		b = a;

		b.fn = a.fn == 5 ? 6 : a.fn == 6 ? 5 : a.fn == 3 ? 4 : 3;
		gen_put(c, ", ");
		alias = write_agg(c, ti, NULL, b);
		if (as)
		{
			gen_kw(c, " AS ");
			gen_put(c, alias);
		}
	}
	gen_kw(c, " FROM ");
	gen_tbl(c, ti);
	if (gen_chance(c, complex ? 45 : 35))
		gen_where(c, ti, NULL, 1, gen_select_op);
	if (g >= 0)
	{
		gen_kw(c, " GROUP BY ");
		gen_col(c, ti, g);
		if (gen_chance(c, 55))
		{
			gen_kw(c, " HAVING ");
			write_agg(c, ti, NULL, a);
			gen_put(c, gen_chance(c, 80) ? " > " : " >= ");
			agg_threshold(c, ti, a);
		}
		if (gen_chance(c, 55))
		{
			gen_kw(c, " ORDER BY ");
			if (as)
				gen_put(c, alias);
			else
				gen_col(c, ti, g);
			gen_kw(c, gen_chance(c, 75) ? " DESC" : " ASC");
		}
	}
	if (gen_chance(c, complex ? 8 : 2))
		limit_clause(c);
}

/* Fills a FROM item for table ti, its alias (when aliases) unlike the others' and every table name. */
void
gen_from_item(GenCtx *c, GenFrom *f, int ti, int slot, bool aliases, GenFrom *others, int n_others)
{
	const char *name = c->s->tables[ti].name;

	f->table = ti;
	f->alias_slot = aliases ? slot : -1;
	f->with_as = false;
	f->alias[0] = (char) tolower((unsigned char) name[0]);
	f->alias[1] = '\0';
	/* an alias must differ from the other aliases and from every table name */
	for (int tries = 0; aliases && tries < 8; tries++)
	{
		bool		clash = false;

		for (int i = 0; i < n_others; i++)
			if (strcmp(others[i].alias, f->alias) == 0)
				clash = true;
		for (int i = 0; i < c->s->n_tables; i++)
			if (strcasecmp(c->s->tables[i].name, f->alias) == 0)
				clash = true;
		if (sqlpilot_schema_needs_quotes(f->alias, true))
			clash = true;
		if (!clash)
			break;
		snprintf(f->alias, sizeof(f->alias), "%c%d", tolower((unsigned char) name[0]), tries + 1);
	}
}

/* Appends "table [[AS] alias]". */
void
gen_from_text(GenCtx *c, const GenFrom *f)
{
	gen_tbl(c, f->table);
	if (f->alias_slot >= 0)
	{
		gen_kw(c, f->with_as ? " AS " : " ");
		gen_text_ident(c->t, f->alias, DATAGEN_IDENT_ALIAS, f->table, f->alias_slot);
	}
}

/* Appends " JOIN b ON a.x = b.y" for link l, with a already in FROM. */
static void
join_text(GenCtx *c, const DatagenLink *l, const GenFrom *child, const GenFrom *parent, bool parent_new)
{
	static const int w[] = {73, 19, 8};
	int			j = gen_pick_weight(c, w, 3);

	gen_kw(c, j == 0 ? " JOIN " : j == 1 ? " INNER JOIN " : " LEFT JOIN ");
	gen_from_text(c, parent_new ? parent : child);
	gen_kw(c, " ON ");
	gen_qcol(c, child, l->child_col);
	gen_put(c, " = ");
	gen_qcol(c, parent, l->parent_col);
}

/* True when (table, column) is among the first n picked pairs. */
static bool
is_listed(const int *tabs, const int *cols, int n, int table, int column)
{
	for (int i = 0; i < n; i++)
		if (tabs[i] == table && cols[i] == column)
			return true;
	return false;
}

/* A SELECT joining two or three tables along links. */
static void
select_join(GenCtx *c, bool complex)
{
	const DatagenSchema *s = c->s;
	const DatagenLink *l = &s->links[gen_rand_int(c, 0, s->n_links - 1)];
	const DatagenLink *l2 = NULL;
	GenFrom		from[3];
	bool		aliases = gen_chance(c, 35);
	bool		parent_first = gen_chance(c, 45);
	int			first;
	int			second;
	int			n_from = 2;
	int			grouped = complex && gen_chance(c, 22);

	/* a third table: another link touching either side */
	if (gen_chance(c, 20))
		for (int i = 0; i < s->n_links && !l2; i++)
		{
			const DatagenLink *o = &s->links[i];

			if (o == l)
				continue;
			if ((o->child == l->child || o->child == l->parent || o->parent == l->child ||
				 o->parent == l->parent) &&
				!((o->child == l->child || o->child == l->parent) &&
				  (o->parent == l->child || o->parent == l->parent)))
				l2 = o;
		}
	first = parent_first ? 1 : 0;
	second = 1 - first;
	gen_from_item(c, &from[0], l->child, 0, aliases, NULL, 0);
	gen_from_item(c, &from[1], l->parent, 1, aliases, from, 1);
	if (l2)
	{
		int			t3 = (l2->child == l->child || l2->child == l->parent) ? l2->parent : l2->child;

		gen_from_item(c, &from[2], t3, 2, aliases, from, 2);
		n_from = 3;
	}
	gen_kw(c, "SELECT ");
	if (grouped)
	{
		const GenFrom *pf = &from[1];
		int			g = gen_pick_col(c, pf->table, C_SORT | C_STR);
		const char *alias;

		/* group by the parent's name or title, else a low-cardinality column */
		if (g < 0)
			g = gen_pick_col(c, pf->table, C_GROUP);
		if (g < 0)
			g = c->tabs[pf->table].pk >= 0 ? c->tabs[pf->table].pk : 0;
		gen_qcol(c, pf, g);
		gen_put(c, ", ");
		alias = write_agg(c, from[0].table, &from[0], pick_agg(c, from[0].table));
		gen_kw(c, " AS ");
		gen_put(c, alias);
		gen_kw(c, " FROM ");
		gen_from_text(c, &from[first]);
		join_text(c, l, &from[0], &from[1], second == 1);
		if (gen_chance(c, 40))
			gen_where(c, from[0].table, &from[0], 1, gen_select_op);
		gen_kw(c, " GROUP BY ");
		gen_qcol(c, pf, g);
		if (gen_chance(c, 50))
		{
			gen_kw(c, " ORDER BY ");
			gen_put(c, alias);
			gen_kw(c, " DESC");
		}
		if (gen_chance(c, 10))
			limit_clause(c);
		return;
	}
	if (gen_chance(c, 8))
		gen_put(c, "*");
	else
	{
		int			n = list_size(c);
		int			picked_t[8];
		int			picked_c[8];

		if (n < 2)
			n = 2;
		int			listed = 0;

		for (int i = 0; i < n; i++)
		{
			const GenFrom *f = &from[i < n_from ? (i + first) % n_from : gen_rand_int(c, 0, n_from - 1)];
			int			ci;
			int			tries = 0;

			do
				ci = gen_rand_int(c, 0, c->tabs[f->table].n_cols - 1);
			while ((c->tabs[f->table].cols[ci].kind == DATAGEN_COL_ID ||
					is_listed(picked_t, picked_c, listed, f->table, ci)) && ++tries < 6);
			if (is_listed(picked_t, picked_c, listed, f->table, ci))
				continue;
			picked_t[listed] = f->table;
			picked_c[listed] = ci;
			if (listed++ > 0)
				gen_put(c, ", ");
			gen_qcol(c, f, ci);
		}
	}
	gen_kw(c, " FROM ");
	gen_from_text(c, &from[first]);
	join_text(c, l, &from[0], &from[1], second == 1);
	if (l2)
	{
		const GenFrom *ch = &from[l2->child == from[2].table ? 2 : (l2->child == l->child ? 0 : 1)];
		const GenFrom *pa = &from[l2->parent == from[2].table ? 2 : (l2->parent == l->child ? 0 : 1)];

		join_text(c, l2, ch, pa, pa == &from[2]);
	}
	if (gen_chance(c, complex ? 75 : 55))
	{
		const GenFrom *f = &from[gen_rand_int(c, 0, n_from - 1)];
		static const int np_w[] = {85, 15};

		gen_where(c, f->table, f, 1 + gen_pick_weight(c, np_w, 2), gen_select_op);
	}
	if (gen_chance(c, complex ? 45 : 25))
	{
		const GenFrom *f = &from[gen_rand_int(c, 0, n_from - 1)];
		int			ci = gen_pick_col(c, f->table, C_SORT);

		if (ci >= 0)
			order_by(c, f, f->table, ci);
	}
	if (gen_chance(c, complex ? 7 : 2))
		limit_clause(c);
}

/* A SELECT with a subquery along a link: IN (SELECT ...) or EXISTS. */
static void
select_subquery(GenCtx *c)
{
	const DatagenLink *l = &c->s->links[gen_rand_int(c, 0, c->s->n_links - 1)];

	gen_kw(c, "SELECT * FROM ");
	gen_tbl(c, l->child);
	gen_kw(c, " WHERE ");
	gen_col(c, l->child, l->child_col);
	gen_kw(c, gen_chance(c, 85) ? " IN (SELECT " : " NOT IN (SELECT ");
	gen_col(c, l->parent, l->parent_col);
	gen_kw(c, " FROM ");
	gen_tbl(c, l->parent);
	gen_where(c, l->parent, NULL, 1, gen_select_op);
	gen_put(c, ")");
}

/* A SELECT through a CTE. */
static void
select_cte(GenCtx *c, int ti)
{
	const char *name = cte_names[gen_rand_int(c, 0, N_OF(cte_names) - 1)];
	int			cols[8];
	int			n = list_cols(c, ti, gen_rand_int(c, 2, 3), cols);

	gen_kw(c, "WITH ");
	gen_put(c, name);
	gen_kw(c, " AS (SELECT ");
	for (int i = 0; i < n; i++)
	{
		if (i > 0)
			gen_put(c, ", ");
		gen_col(c, ti, cols[i]);
	}
	gen_kw(c, " FROM ");
	gen_tbl(c, ti);
	gen_where(c, ti, NULL, 1, gen_select_op);
	gen_kw(c, ") SELECT ");
	for (int i = 0; i < n; i++)
	{
		if (i > 0)
			gen_put(c, ", ");
		gen_col(c, ti, cols[i]);
	}
	gen_kw(c, " FROM ");
	gen_put(c, name);
	gen_kw(c, " ORDER BY ");
	gen_col(c, ti, cols[0]);
	if (gen_chance(c, 50))
		gen_kw(c, " DESC");
}

/* A SELECT with a window function. */
static void
select_window(GenCtx *c, int ti)
{
	int			num = gen_pick_col(c, ti, C_NUM);
	int			other = gen_pick_col(c, ti, C_SORT);

	if (num < 0 || other < 0)
	{
		select_one(c, ti, true);
		return;
	}
	gen_kw(c, "SELECT ");
	gen_col(c, ti, other);
	gen_put(c, ", ");
	gen_col(c, ti, num);
	gen_kw(c, gen_chance(c, 50) ? ", RANK() OVER (ORDER BY " : ", ROW_NUMBER() OVER (ORDER BY ");
	gen_col(c, ti, num);
	gen_kw(c, " DESC) AS ");
	gen_put(c, "rank_no");
	gen_kw(c, " FROM ");
	gen_tbl(c, ti);
}

/* Mostly a table with an aggregatable number (ti itself when it has one). */
static int
numeric_table(GenCtx *c, int ti)
{
	for (int tries = 0; tries < 4 && gen_pick_col(c, ti, C_NUM) < 0 && gen_chance(c, 80); tries++)
		ti = gen_rand_int(c, 0, c->s->n_tables - 1);
	return ti;
}

/* One SELECT statement. */
void
gen_select(GenCtx *c, bool complex)
{
	int			ti = gen_rand_int(c, 0, c->s->n_tables - 1);
	int			r = gen_rand_int(c, 0, 9999);
	bool		links = c->s->n_links > 0;

	if (complex)
	{
		if (r < 2500 && links)
			select_join(c, true);
		else if (r < 2890)
			select_aggregate(c, numeric_table(c, ti), true, r < 2850);
		else if (r < 3000 && links)
			select_subquery(c);
		else if (r < 3040)
			select_cte(c, ti);
		else if (r < 3060)
			select_window(c, numeric_table(c, ti));
		else
			select_one(c, ti, true);
	}
	else
	{
		if (r < 460 && links)
			select_join(c, false);
		else if (r < 650)
			select_aggregate(c, numeric_table(c, ti), false, r < 610);
		else
			select_one(c, ti, false);
	}
}
