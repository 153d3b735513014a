/*
 * gen_update.c — UPDATE, DELETE and TRUNCATE statements.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gen_stmt.h"
#include "util.h"

/* ---- UPDATE / DELETE / TRUNCATE ---- */

/* The WHERE of an UPDATE or DELETE: mostly "pk = literal". */
static int
update_op(GenCtx *c)
{
	static const int w[] = {994, 3, 0, 1, 1, 1, 1, 1, 1};

	return gen_pick_weight(c, w, 9);
}

/* DELETE WHERE operators with the reference frequencies. */
static int
delete_op(GenCtx *c)
{
	static const int w[] = {779, 68, 6, 1, 127, 5, 5, 2, 7};

	return gen_pick_weight(c, w, 9);
}

/* One UPDATE statement. */
void
gen_update(GenCtx *c, bool complex)
{
	int			ti = gen_rand_int(c, 0, c->s->n_tables - 1);
	const GenTab *g = &c->tabs[ti];
	static const int simple_w[] = {40, 52, 7, 1};
	static const int complex_w[] = {20, 66, 12, 2};
	int			nset = 1 + gen_pick_weight(c, complex ? complex_w : simple_w, 4);
	int			done = 0;
	bool		used[64] = {false};

	gen_kw(c, "UPDATE ");
	gen_tbl(c, ti);
	gen_kw(c, " SET ");
	for (int tries = 0; done < nset && tries < 30; tries++)
	{
		int			ci = gen_pick_col(c, ti, C_SET);
		const GenCol *col;

		if (ci < 0 || ci >= 64 || used[ci])
			continue;
		used[ci] = true;
		col = &g->cols[ci];
		if (done > 0)
			gen_put(c, ", ");
		gen_col(c, ti, ci);
		gen_put(c, " = ");
		if ((col->roles & C_NUM) && col->base != B_FLOAT && gen_chance(c, 3))
		{
			gen_col(c, ti, ci);
			if (col->kind == DATAGEN_COL_MONEY && gen_chance(c, 50))
				gen_put(c, " * 1.10");
			else
				gen_put(c, gen_chance(c, 60) ? " + 1" : " - 1");
		}
		else if ((col->base == B_TS || col->base == B_TSTZ) && gen_chance(c, 6))
			gen_kw(c, gen_chance(c, 60) ? "NOW()" : "CURRENT_TIMESTAMP");
		else
			gen_lit(c, col);
		done++;
	}
	if (done == 0)
	{
		/* no assignable column: set the first column to itself */
		gen_col(c, ti, 0);
		gen_put(c, " = ");
		gen_col(c, ti, 0);
	}
	if (gen_chance(c, 0.3))
		return;
	if (complex && c->s->n_links > 0 && gen_chance(c, 0.4))
	{
		const DatagenLink *l = &c->s->links[gen_rand_int(c, 0, c->s->n_links - 1)];

		if (l->child == ti)
		{
			gen_kw(c, " WHERE ");
			gen_col(c, ti, l->child_col);
			gen_kw(c, " IN (SELECT ");
			gen_col(c, l->parent, l->parent_col);
			gen_kw(c, " FROM ");
			gen_tbl(c, l->parent);
			gen_where(c, l->parent, NULL, 1, gen_select_op);
			gen_put(c, ")");
			return;
		}
	}
	if (gen_chance(c, 93))
	{
		/* col = literal, the key mostly */
		int			ci = g->pk >= 0 && gen_chance(c, 82) ? g->pk : gen_pick_col(c, ti, C_EQ);

		if (ci < 0)
			ci = 0;
		gen_kw(c, " WHERE ");
		gen_col(c, ti, ci);
		gen_put(c, " = ");
		gen_pred_lit(c, &g->cols[ci]);
	}
	else
		gen_where(c, ti, NULL, gen_chance(c, 85) ? 2 : 1, update_op);
}

/* One DELETE statement. */
void
gen_delete(GenCtx *c, bool complex)
{
	int			ti = gen_rand_int(c, 0, c->s->n_tables - 1);
	const GenTab *g = &c->tabs[ti];

	if (complex && c->s->n_links > 0 && gen_chance(c, 2.5))
	{
		/* rows whose parent matches: a subquery along a link */
		const DatagenLink *l = &c->s->links[gen_rand_int(c, 0, c->s->n_links - 1)];

		gen_kw(c, "DELETE FROM ");
		gen_tbl(c, l->child);
		gen_kw(c, " WHERE ");
		gen_col(c, l->child, l->child_col);
		gen_kw(c, " IN (SELECT ");
		gen_col(c, l->parent, l->parent_col);
		gen_kw(c, " FROM ");
		gen_tbl(c, l->parent);
		gen_where(c, l->parent, NULL, 1, gen_select_op);
		gen_put(c, ")");
		return;
	}
	gen_kw(c, "DELETE FROM ");
	gen_tbl(c, ti);
	if (gen_chance(c, 53))
	{
		int			ci = g->pk >= 0 && gen_chance(c, 70) ? g->pk : gen_pick_col(c, ti, C_EQ);

		if (ci < 0)
			ci = 0;
		gen_kw(c, " WHERE ");
		gen_col(c, ti, ci);
		gen_put(c, " = ");
		gen_pred_lit(c, &g->cols[ci]);
		return;
	}
	gen_where(c, ti, NULL, gen_chance(c, 66) ? 2 : 1, delete_op);
}

/* One TRUNCATE statement; CASCADE whenever a declared foreign key needs it. */
void
gen_truncate(GenCtx *c, bool complex)
{
	int			n = c->s->n_tables < 64 ? c->s->n_tables : 64;
	int			ti = gen_rand_int(c, 0, n - 1);
	bool		in_list[64] = {false};

	/* people mostly truncate leaf tables; a referenced one gets a second draw */
	for (int tries = 0; tries < 3 && c->tabs[ti].referenced && gen_chance(c, 75); tries++)
		ti = gen_rand_int(c, 0, n - 1);
	int			listed = 1;
	bool		cascade = false;

	gen_kw(c, gen_chance(c, 94) ? "TRUNCATE TABLE " : "TRUNCATE ");
	gen_tbl(c, ti);
	in_list[ti] = true;
	if (n > 1 && gen_chance(c, complex ? 12 : 2))
	{
		int			extra = gen_rand_int(c, 1, n - 1);

		for (int k = 0; k < n && listed <= extra; k++)
			if (!in_list[k])
			{
				gen_put(c, ", ");
				gen_tbl(c, k);
				in_list[k] = true;
				listed++;
			}
	}
	/* a table referenced from outside the list needs CASCADE */
	for (int k = 0; k < n; k++)
	{
		const SqlpilotTable *t = &c->s->tables[k];

		if (in_list[k])
			continue;
		for (int f = 0; f < t->n_fkeys; f++)
			for (int o = 0; o < n; o++)
				if (in_list[o] && strcmp(t->fkeys[f].ref_table, c->s->tables[o].name) == 0)
					cascade = true;
	}
	if (gen_chance(c, 0.8))
		gen_kw(c, " RESTART IDENTITY");
	if (cascade || gen_chance(c, 4))
		gen_kw(c, " CASCADE");
}
