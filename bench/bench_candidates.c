/*
 * bench_candidates.c — what a list of 5 candidates costs beside the one
 * completion, in the core (core/complete.c) that sqlpilot_completions(),
 * the psql hook and eval call: per prefix, warm (the prompt in the KV
 * cache), the CPU time (process CPU clock) of 1 completion (greedy), of 5 with short
 * alternatives (the default: the greedy one, then 4 other next words each
 * ending with its clause), the same decoded one row at a time
 * (one_row_steps: the same results, without lockstep decode) and of 5 full
 * beams, measured in turns in the same process, and the token rows each
 * runs through the model (the run state and its spare beam states).  Prints
 * one markdown table row per prefix, or with "raw" every sample as a line
 * "prefix-index calls ms" (calls 1, S or 5: the greedy completion, the one
 * completion as sqlpilot_complete() decodes it (the model's statement
 * beams: 2 for the default model) or 5 short candidates;
 * bench_candidates_ab.sh pools them across processes), or with
 * "list" the lists themselves (1, 3 and 5 short candidates, 5 full beams,
 * one row at a time too: text, score, tokens; bench_candidates_same.sh
 * compares them between two builds).
 *   bench_candidates MODEL SCHEMA_FILE LABEL [N [MAX_TOKENS [raw|list]]]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "complete.h"
#include "infer.h"
#include "model.h"
#include "util.h"
#include "bench_util.h"

#define BENCH_WIDTH 5
#define BENCH_MAX_N 1000

/* The prefixes of bench_extension.sh's completions mode, on bench_hook.sh's schema. */
static const char *const prefixes[] = {
	"UPDATE customers SET ", "SELECT * FROM orders o JOIN ", "SELECT * FROM orders WHERE ",
	"INSERT INTO customers (", "DELETE FROM order_items WHERE ",
	"SELECT o.id, c.email FROM orders o JOIN customers c ON c.id = o.customer_id WHERE ",
};

/* Token rows s and its spare beam states have run so far. */
static long
Rows(SqlpilotRunState *s)
{
	char		err[64];
	long		rows = s->n_computed;

	for (int i = 0; i < BENCH_WIDTH - 1; i++)
		rows += sqlpilot_runstate_spare(s, i, err, sizeof(err))->n_computed;
	return rows;
}

/* Prints the completions of one call of width w, one line each. */
static void
List(SqlpilotRunState *s, const SqlpilotModel *m, const char *schema, size_t schema_len,
	 size_t p, SqlpilotCompleteOptions *o, int w, bool short_alt, bool one_row)
{
	SqlpilotCompletion out[BENCH_WIDTH];
	char		err[512];
	int			n;

	o->beam_width = w;
	o->short_alternatives = short_alt;
	o->one_row_steps = one_row;
	n = sqlpilot_complete(s, &m->tokenizer, schema, schema_len, prefixes[p], strlen(prefixes[p]),
						  o, out, w, err, sizeof(err));
	if (n < 0)
	{
		fprintf(stderr, "bench_candidates: %s\n", err);
		exit(1);
	}
	for (int i = 0; i < n; i++)
		printf("%zu w%d %s%s %d [%s] %.9g %d\n", p, w, short_alt ? "short" : "full",
			   one_row ? " one-row" : "", i, out[i].text, out[i].score, out[i].n_tokens);
	sqlpilot_completion_free(out, n);
}

/*
 * One call of width w (short alternatives or not, beams in lockstep or one
 * row at a time; SQLPILOT_BEAM_WIDTH_STATEMENT: the one statement as the
 * model's policy decodes it); puts its CPU ms in *ms and returns its rows.
 */
static long
Call(SqlpilotRunState *s, const SqlpilotModel *m, const char *schema, size_t schema_len,
	 const char *prefix, SqlpilotCompleteOptions *o, int w, bool short_alt, bool one_row,
	 double *ms)
{
	SqlpilotCompletion out[BENCH_WIDTH];
	char		err[512];
	long		r0 = Rows(s);
	double		t0 = bench_cpu_ms();
	int			n;

	o->beam_width = w;
	o->short_alternatives = short_alt;
	o->one_row_steps = one_row;
	n = sqlpilot_complete(s, &m->tokenizer, schema, schema_len, prefix, strlen(prefix), o, out,
						  w > 0 ? w : 1, err, sizeof(err));
	*ms = bench_cpu_ms() - t0;
	if (n < 0)
	{
		fprintf(stderr, "bench_candidates: %s\n", err);
		exit(1);
	}
	sqlpilot_completion_free(out, n);
	return Rows(s) - r0;
}

int
main(int argc, char **argv)
{
	SqlpilotModel m;
	SqlpilotRunState s;
	SqlpilotCompleteOptions o;
	char		err[512];
	size_t		schema_len;
	char	   *schema;
	int			n = argc > 4 ? atoi(argv[4]) : 20;
	bool		raw = argc > 6 && strcmp(argv[6], "raw") == 0;
	bool		list = argc > 6 && strcmp(argv[6], "list") == 0;
	static double one[BENCH_MAX_N],
				five[BENCH_MAX_N],
				rowwise[BENCH_MAX_N],
				full[BENCH_MAX_N];

	if (argc < 4 || n < 1 || n > BENCH_MAX_N)
	{
		fprintf(stderr, "usage: bench_candidates MODEL SCHEMA_FILE LABEL [N [MAX_TOKENS [raw|list]]]\n");
		return 2;
	}
	if (sqlpilot_model_load(&m, argv[1], err, sizeof(err)) != 0 ||
		!(schema = sqlpilot_read_file(argv[2], &schema_len, err, sizeof(err))) ||
		sqlpilot_runstate_init(&s, &m.config, &m.weights, err, sizeof(err)) != 0)
	{
		fprintf(stderr, "bench_candidates: %s\n", err);
		return 1;
	}
	sqlpilot_complete_defaults(&o);
	o.max_tokens = argc > 5 ? atoi(argv[5]) : 16;
	for (size_t p = 0; p < sizeof(prefixes) / sizeof(prefixes[0]); p++)
	{
		long		r1 = 0,
					r5 = 0,
					rf = 0;
		double		ms;
		double		q[8];

		if (list)
		{
			/* twice each: cold spare states, then warm ones */
			for (int r = 0; r < 2; r++)
			{
				List(&s, &m, schema, schema_len, p, &o, 1, true, false);
				List(&s, &m, schema, schema_len, p, &o, 3, true, false);
				List(&s, &m, schema, schema_len, p, &o, BENCH_WIDTH, true, false);
				List(&s, &m, schema, schema_len, p, &o, BENCH_WIDTH, true, true);
				List(&s, &m, schema, schema_len, p, &o, BENCH_WIDTH, false, false);
			}
			continue;
		}
		/*
		 * warm: the prompt in the cache, every beam state made (a list after
		 * a statement of 2 beams uses one spare state more than W full beams)
		 */
		Call(&s, &m, schema, schema_len, prefixes[p], &o, BENCH_WIDTH, false, false, &ms);
		Call(&s, &m, schema, schema_len, prefixes[p], &o, BENCH_WIDTH, true, false, &ms);
		for (int i = 0; i < n; i++)
		{
			r1 = Call(&s, &m, schema, schema_len, prefixes[p], &o, 1, true, false, &one[i]);
			r5 = Call(&s, &m, schema, schema_len, prefixes[p], &o, BENCH_WIDTH, true, false,
					  &five[i]);
			if (raw)
			{
				Call(&s, &m, schema, schema_len, prefixes[p], &o, SQLPILOT_BEAM_WIDTH_STATEMENT,
					 true, false, &ms);
				printf("%zu 1 %.4f\n%zu S %.4f\n%zu 5 %.4f\n", p, one[i], p, ms, p, five[i]);
				continue;
			}
			Call(&s, &m, schema, schema_len, prefixes[p], &o, BENCH_WIDTH, true, true, &rowwise[i]);
			rf = Call(&s, &m, schema, schema_len, prefixes[p], &o, BENCH_WIDTH, false, false,
					  &full[i]);
		}
		if (raw)
			continue;
		q[0] = bench_quantile(one, n, 0.5);
		q[1] = bench_quantile(one, n, 0.95);
		q[2] = bench_quantile(five, n, 0.5);
		q[3] = bench_quantile(five, n, 0.95);
		q[4] = bench_quantile(rowwise, n, 0.5);
		q[5] = bench_quantile(rowwise, n, 0.95);
		q[6] = bench_quantile(full, n, 0.5);
		q[7] = bench_quantile(full, n, 0.95);
		printf("| %s | `%s` | %.2f / %.2f | %.2f / %.2f | %.2f / %.2f | %.2f / %.2f | **%.2f** | %.2f | %.2f | %ld / %ld / %ld |\n",
			   argv[3], prefixes[p], q[0], q[1], q[2], q[3], q[4], q[5], q[6], q[7],
			   q[3] / q[1], q[5] / q[1], q[7] / q[1], r1, r5, rf);
	}
	sqlpilot_runstate_free(&s);
	sqlpilot_model_free(&m);
	free(schema);
	return 0;
}
