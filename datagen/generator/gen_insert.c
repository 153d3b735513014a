/*
 * gen_insert.c — INSERT statements (column lists, multi-row VALUES,
 * INSERT ... SELECT, RETURNING) and upserts: CockroachDB UPSERT with its
 * PostgreSQL ON CONFLICT rewrite.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gen_stmt.h"
#include "util.h"

/* ---- INSERT / UPSERT ---- */

/* Chooses the INSERT column list of table ti into out; returns its length. */
int
gen_insert_cols(GenCtx *c, int ti, int *out)
{
	const GenTab *g = &c->tabs[ti];
	int			n = 0;
	bool		omit_some = gen_chance(c, 11);

	for (int k = 0; k < g->n_cols; k++)
	{
		const GenCol *col = &g->cols[k];

		if (col->auto_value && gen_chance(c, 92))
			continue;
		if (omit_some && k != g->pk && (col->roles & C_NULL) && gen_chance(c, 40))
			continue;
		if (col->has_default && k != g->pk && gen_chance(c, 30))
			continue;
		if (col->base == B_OTHER)
			continue;
		out[n++] = k;
	}
	/* never an empty list: fall back to every column */
	for (int k = 0; n == 0 && k < g->n_cols; k++)
		if (g->cols[k].base != B_OTHER)
			out[n++] = k;
	return n;
}

/* Appends "(a, b, c)". */
void
gen_col_list(GenCtx *c, int ti, const int *cols, int n)
{
	gen_put(c, "(");
	for (int i = 0; i < n; i++)
	{
		if (i > 0)
			gen_put(c, ", ");
		gen_col(c, ti, cols[i]);
	}
	gen_put(c, ")");
}

/* Appends "(v1, v2, ...)" for the columns. */
void
gen_values_row(GenCtx *c, int ti, const int *cols, int n)
{
	gen_put(c, "(");
	for (int i = 0; i < n; i++)
	{
		const GenCol *col = &c->tabs[ti].cols[cols[i]];

		if (i > 0)
			gen_put(c, ", ");
		if (col->has_default && gen_chance(c, 2))
			gen_kw(c, "DEFAULT");
		else
			gen_value(c, col);
	}
	gen_put(c, ")");
}

/* One INSERT statement (plain, multi-row, INSERT ... SELECT, RETURNING). */
void
gen_insert(GenCtx *c, bool complex)
{
	int			ti = gen_rand_int(c, 0, c->s->n_tables - 1);
	const GenTab *g = &c->tabs[ti];
	int			cols[64];
	int			n = gen_insert_cols(c, ti, cols);
	int			r = gen_rand_int(c, 0, 9999);

	if (complex && r < 40 && (g->pk < 0 || g->cols[g->pk].auto_value))
	{
		/* copy rows: INSERT ... SELECT from the same table, the key left to its default */
		int			m = 0;
		int			sel[64];

		for (int i = 0; i < n; i++)
			if (cols[i] != g->pk)
				sel[m++] = cols[i];
		if (m > 0)
		{
			gen_kw(c, "INSERT INTO ");
			gen_tbl(c, ti);
			gen_put(c, " ");
			gen_col_list(c, ti, sel, m);
			gen_kw(c, " SELECT ");
			for (int i = 0; i < m; i++)
			{
				if (i > 0)
					gen_put(c, ", ");
				gen_col(c, ti, sel[i]);
			}
			gen_kw(c, " FROM ");
			gen_tbl(c, ti);
			gen_where(c, ti, NULL, 1, gen_select_op);
			return;
		}
	}
	gen_kw(c, "INSERT INTO ");
	gen_tbl(c, ti);
	if (!complex && r >= 9500 && n == g->n_cols)
	{
		/* no column list: every column, in table order (randomization keeps that order) */
		gen_kw(c, " VALUES ");
		gen_values_row(c, ti, cols, n);
		return;
	}
	gen_put(c, " ");
	gen_col_list(c, ti, cols, n);
	gen_kw(c, " VALUES ");
	gen_values_row(c, ti, cols, n);
	if (complex && r >= 40 && r < 80)
	{
		int			rows = gen_rand_int(c, 1, 2);

		for (int i = 0; i < rows; i++)
		{
			gen_put(c, ", ");
			gen_values_row(c, ti, cols, n);
		}
	}
	if (complex && r >= 120 && r < 180)
	{
		gen_kw(c, " RETURNING ");
		if (g->pk >= 0 && gen_chance(c, 70))
			gen_col(c, ti, g->pk);
		else
			gen_put(c, "*");
	}
}

/* The columns an ON CONFLICT target may name: the primary key or a unique column. */
int
gen_conflict_col(GenCtx *c, int ti)
{
	const SqlpilotTable *t = &c->s->tables[ti];

	if (c->tabs[ti].pk >= 0)
		return c->tabs[ti].pk;
	for (int i = 0; i < t->n_indexes; i++)
		if (t->indexes[i].unique && t->indexes[i].n_cols == 1)
			for (int k = 0; k < t->n_columns; k++)
				if (strcmp(t->columns[k].name, t->indexes[i].cols[0]) == 0)
					return k;
	return -1;
}

/* Appends " ON CONFLICT (k) DO UPDATE SET a = EXCLUDED.a, ..." or DO NOTHING. */
void
gen_on_conflict(GenCtx *c, int ti, const int *cols, int n, int key, bool nothing)
{
	int			done = 0;

	gen_kw(c, " ON CONFLICT ");
	if (key < 0)
	{
		gen_kw(c, "DO NOTHING");
		return;
	}
	gen_put(c, "(");
	gen_col(c, ti, key);
	gen_put(c, ")");
	if (nothing)
	{
		gen_kw(c, " DO NOTHING");
		return;
	}
	gen_kw(c, " DO UPDATE SET ");
	for (int i = 0; i < n && done < 2; i++)
	{
		if (cols[i] == key)
			continue;
		if (done > 0)
			gen_put(c, ", ");
		gen_col(c, ti, cols[i]);
		gen_kw(c, " = EXCLUDED.");
		gen_col(c, ti, cols[i]);
		done++;
	}
	if (done == 0)
	{
		c->t->buf.len -= strlen(" DO UPDATE SET ");
		c->t->buf.data[c->t->buf.len] = '\0';
		gen_kw(c, " DO NOTHING");
	}
}

/*
 * One upsert: PostgreSQL INSERT ... ON CONFLICT, or CockroachDB UPSERT with
 * its ON CONFLICT rewrite in *pg (written with the same values).
 */
void
gen_upsert(GenCtx *c, GenText *pg)
{
	int			ti = gen_rand_int(c, 0, c->s->n_tables - 1);
	int			cols[64];
	int			n = 0;
	int			key = gen_conflict_col(c, ti);
	bool		crdb = key >= 0 && key == c->tabs[ti].pk && gen_chance(c, 50);
	size_t		vstart;
	size_t		vlen;
	GenText    *main = c->t;

	for (int k = 0; k < c->tabs[ti].n_cols; k++)
		if (c->tabs[ti].cols[k].base != B_OTHER)
			cols[n++] = k;
	gen_kw(c, crdb ? "UPSERT INTO " : "INSERT INTO ");
	gen_tbl(c, ti);
	gen_put(c, " ");
	gen_col_list(c, ti, cols, n);
	gen_kw(c, " VALUES ");
	vstart = main->buf.len;
	gen_values_row(c, ti, cols, n);
	vlen = main->buf.len - vstart;
	if (!crdb)
	{
		gen_on_conflict(c, ti, cols, n, key, gen_chance(c, 25));
		return;
	}
	/* the PostgreSQL form: same columns and values, ON CONFLICT on the key */
	c->t = pg;
	pg->lower_kw = main->lower_kw;
	gen_kw(c, "INSERT INTO ");
	gen_tbl(c, ti);
	gen_put(c, " ");
	gen_col_list(c, ti, cols, n);
	gen_kw(c, " VALUES ");
	gen_text_put(pg, main->buf.data + vstart, vlen);
	gen_on_conflict(c, ti, cols, n, key, false);
	c->t = main;
}
