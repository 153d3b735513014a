/*
 * test_complete_rows.c — the decode machinery of short alternatives
 * (core/complete.c) on the default model (and that a list's statement is
 * the one sqlpilot_complete() shows, 2 beams here): in lockstep a row that repeats
 * another of its step (an alternative re-typing the backed-off bytes with
 * the greedy completion's token) is run once and copied, and a grounding
 * step where no token of the window passes ranks the rest instead of
 * checking the whole vocabulary.  Both must leave the candidates exactly as
 * one row at a time gives them: the same texts and token counts, scores to
 * 1e-5 (lockstep reads the prompt's k/v from one state), with fewer rows.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "complete.h"
#include "model.h"
#include "tap.h"

/* bench_hook.sh's schema (what bench_candidates.sh measures). */
static const char *schema =
	"CREATE TABLE customers (id bigserial PRIMARY KEY, email varchar(200) NOT NULL UNIQUE,\n"
	"\tname text NOT NULL, created_at timestamptz NOT NULL DEFAULT now());\n"
	"CREATE TABLE products (id serial PRIMARY KEY, sku varchar(32) NOT NULL UNIQUE, title text NOT NULL,\n"
	"\tprice numeric(10,2) NOT NULL CHECK (price >= 0), stock int NOT NULL DEFAULT 0);\n"
	"CREATE TABLE orders (id bigserial PRIMARY KEY, customer_id bigint NOT NULL REFERENCES customers (id),\n"
	"\tstatus varchar(16) NOT NULL DEFAULT 'new', placed_at timestamptz NOT NULL DEFAULT now());\n"
	"CREATE INDEX orders_customer_idx ON orders (customer_id, placed_at DESC);\n"
	"CREATE TABLE order_items (order_id bigint NOT NULL REFERENCES orders (id) ON DELETE CASCADE,\n"
	"\tproduct_id int NOT NULL REFERENCES products (id), qty int NOT NULL CHECK (qty > 0),\n"
	"\tPRIMARY KEY (order_id, product_id));\n";

static const char *const prefixes[] = {
	"UPDATE customers SET ", "SELECT * FROM orders o JOIN ", "SELECT * FROM orders WHERE ",
	"INSERT INTO customers (", "DELETE FROM order_items WHERE ",
	"SELECT o.id, c.email FROM orders o JOIN customers c ON c.id = o.customer_id WHERE ",
	"SELECT * FROM ord", "",
};

/* Rows s and its five spare states (2 statement beams, 4 alternatives) have run so far. */
static long
rows_of(SqlpilotRunState *s)
{
	char		err[64];
	long		rows = s->n_computed;

	for (int i = 0; i < 5; i++)
		rows += sqlpilot_runstate_spare(s, i, err, sizeof(err))->n_computed;
	return rows;
}

int
main(void)
{
	const char *root = getenv("SQLPILOT_ROOT") ? getenv("SQLPILOT_ROOT") : ".";
	int			n_prefixes = (int) (sizeof(prefixes) / sizeof(prefixes[0]));
	char		path[4096];
	char		err[256];
	SqlpilotModel m;
	SqlpilotRunState lock,
				rowwise;
	SqlpilotCompleteOptions o;

	snprintf(path, sizeof(path), "%s/models/sqlpilot_default.model", root);
	if (!tap_ok(sqlpilot_model_load(&m, path, err, sizeof(err)) == 0 &&
				sqlpilot_runstate_init(&lock, &m.config, &m.weights, err, sizeof(err)) == 0 &&
				sqlpilot_runstate_init(&rowwise, &m.config, &m.weights, err, sizeof(err)) == 0,
				"the default model and two run states"))
		return tap_done();
	sqlpilot_complete_defaults(&o);
	o.max_tokens = 16;
	o.beam_width = 5;
	/* a greedy statement (alternatives beside it), then the model's 2 beams (after it) */
	for (int beams = 1; beams >= 0; beams--)
	{
		int			same = 0,
					fewer = 0,
					more = 0,
					lists = 0;
		double		worst = 0.0;

		o.statement_beams = beams;
	for (int i = 0; i < n_prefixes; i++)
	{
		SqlpilotCompletion a[5],
					b[5];
		long		r0 = rows_of(&lock),
					q0 = rows_of(&rowwise);
		int			na,
					nb;
		bool		eq;

		o.one_row_steps = false;
		na = sqlpilot_complete(&lock, &m.tokenizer, schema, strlen(schema), prefixes[i],
							   strlen(prefixes[i]), &o, a, 5, err, sizeof(err));
		o.one_row_steps = true;
		nb = sqlpilot_complete(&rowwise, &m.tokenizer, schema, strlen(schema), prefixes[i],
							   strlen(prefixes[i]), &o, b, 5, err, sizeof(err));
		eq = na == nb && na > 0;
		for (int k = 0; eq && k < na; k++)
		{
			worst = fmax(worst, fabs(a[k].score - b[k].score) / fmax(1.0, fabs(b[k].score)));
			eq = strcmp(a[k].text, b[k].text) == 0 && a[k].n_tokens == b[k].n_tokens &&
				fabs(a[k].score - b[k].score) <= 1e-5 * fmax(1.0, fabs(b[k].score));
		}
		if (!eq)
			tap_diag("`%s`: %d lockstep candidates, %d one row at a time, not the same",
					 prefixes[i], na, nb);
		same += eq;
		lists += na > 0 ? na : 0;
		fewer += rows_of(&lock) - r0 < rows_of(&rowwise) - q0;
		more += rows_of(&lock) - r0 > rows_of(&rowwise) - q0;
		sqlpilot_completion_free(a, na > 0 ? na : 0);
		sqlpilot_completion_free(b, nb > 0 ? nb : 0);
	}
	tap_ok(same == n_prefixes,
		   "%s: lockstep candidates equal one row at a time for %d of %d prefixes (%d candidates; "
		   "scores to 1e-5, worst %.2g)", beams ? "greedy statement" : "2-beam statement", same,
		   n_prefixes, lists, worst);
	if (beams == 1)
		tap_ok(more == 0 && fewer > 0,
			   "greedy statement: lockstep runs a repeated row once: fewer rows for %d prefixes, more for %d",
			   fewer, more);
	else
		tap_ok(more == 0, "2-beam statement: lockstep never runs more rows (%d prefixes more)", more);
	}
	/*
	 * a list's statement is the one sqlpilot_complete() shows (2 beams on
	 * this model), and its alternatives decode at most 3/4 of its rows (at
	 * least one each): they run after it, a row as dear as its rows
	 */
	{
		int			equal = 0,
					within = 0,
					bound = 0;

		o.statement_beams = 0;
		o.one_row_steps = false;
		for (int i = 0; i < n_prefixes; i++)
		{
			SqlpilotCompleteOptions so = o;
			SqlpilotCompletion a[5],
						b[1];
			int			na,
						nb;
			long		r0,
						list_rows,
						stmt_rows,
						cap;

			/* the prompt's new part goes into the cache first: rows past it are the search's */
			so.beam_width = SQLPILOT_BEAM_WIDTH_STATEMENT;
			nb = sqlpilot_complete(&lock, &m.tokenizer, schema, strlen(schema), prefixes[i],
								   strlen(prefixes[i]), &so, b, 1, err, sizeof(err));
			sqlpilot_completion_free(b, nb > 0 ? nb : 0);
			r0 = rows_of(&lock);
			na = sqlpilot_complete(&lock, &m.tokenizer, schema, strlen(schema), prefixes[i],
								   strlen(prefixes[i]), &o, a, 5, err, sizeof(err));
			list_rows = rows_of(&lock) - r0;
			r0 = rows_of(&lock);
			nb = sqlpilot_complete(&lock, &m.tokenizer, schema, strlen(schema), prefixes[i],
								   strlen(prefixes[i]), &so, b, 1, err, sizeof(err));
			stmt_rows = rows_of(&lock) - r0;
			cap = stmt_rows / 2 * 2 * 3 / 4 > 4 ? stmt_rows / 2 * 2 * 3 / 4 : 4;
			if (list_rows - stmt_rows <= cap)
				within++;
			else
				tap_diag("`%s`: the statement %ld rows, the alternatives %ld (cap %ld)", prefixes[i],
						 stmt_rows, list_rows - stmt_rows, cap);
			bound = list_rows - stmt_rows == cap ? bound + 1 : bound;
			if (na > 0 && nb == 1 && strcmp(a[0].text, b[0].text) == 0 &&
				fabs(a[0].score - b[0].score) <= 1e-5 * fmax(1.0, fabs(b[0].score)))
				equal++;
			else
				tap_diag("`%s`: list's statement [%s], sqlpilot_complete's [%s]", prefixes[i],
						 na > 0 ? a[0].text : "", nb == 1 ? b[0].text : "");
			sqlpilot_completion_free(a, na > 0 ? na : 0);
			sqlpilot_completion_free(b, nb > 0 ? nb : 0);
		}
		tap_ok(equal == n_prefixes,
			   "the list's statement is sqlpilot_complete()'s (2 beams), text and score, for %d of %d prefixes",
			   equal, n_prefixes);
		tap_ok(within == n_prefixes && bound > 0,
			   "after a 2-beam statement the alternatives decode at most 3/4 of its rows (at least 4): "
			   "%d of %d prefixes (the cap reached on %d)", within, n_prefixes, bound);
	}
	sqlpilot_runstate_free(&lock);
	sqlpilot_runstate_free(&rowwise);
	sqlpilot_model_free(&m);
	return tap_done();
}
