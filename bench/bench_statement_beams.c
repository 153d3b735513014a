/*
 * bench_statement_beams.c — what the whole-statement policy
 * (SQLPILOT_BEAM_WIDTH_STATEMENT, core/complete.h) costs beside greedy: on
 * the cuts `sqlpilot eval` draws from a JSONL file (seed 0, 4 per line, the
 * tables chosen as eval chooses them), warm (the schema in the KV cache,
 * the typed part recomputed, as eval's warm latency), the CPU time
 * (process CPU clock) of the greedy completion and of the policy's, in turns that
 * alternate which runs first, in the product's options (64 tokens, stop at
 * ';', grounded).  Prints the model's policy width, the p50 / p95 ms of each
 * and their ratios as one markdown table row.
 *   bench_statement_beams MODEL INPUT.jsonl LABEL [LINES]
 */
#include <cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../eval/eval.h"
#include "complete.h"
#include "infer.h"
#include "model.h"
#include "prompt.h"
#include "util.h"
#include "bench_util.h"

#define BENCH_CUTS 4
#define BENCH_MAX_SAMPLES 4000

/*
 * CPU ms of one completion of prefix with beam_width width, the schema's
 * tokens (schema_end of them) left in the cache; -1 on failure.
 */
static double
TimeOne(SqlpilotRunState *s, const SqlpilotModel *m, const char *schema, size_t schema_len,
		const char *prefix, size_t prefix_len, size_t schema_end, int width)
{
	SqlpilotCompleteOptions o;
	SqlpilotCompletion out[2];
	char		err[256];
	double		t0;
	int			n;

	sqlpilot_complete_defaults(&o);
	o.beam_width = width;
	sqlpilot_infer_truncate(s, (int) schema_end);
	t0 = bench_cpu_ms();
	n = sqlpilot_complete(s, &m->tokenizer, schema, schema_len, prefix, prefix_len, &o, out, 2,
						  err, sizeof(err));
	t0 = bench_cpu_ms() - t0;
	if (n < 0)
	{
		fprintf(stderr, "bench_statement_beams: %s\n", err);
		return -1;
	}
	sqlpilot_completion_free(out, n);
	return t0;
}

int
main(int argc, char **argv)
{
	static double greedy[BENCH_MAX_SAMPLES],
				policy[BENCH_MAX_SAMPLES];
	SqlpilotModel m;
	SqlpilotRunState s;
	char		err[512];
	char	   *line = NULL;
	size_t		cap = 0;
	FILE	   *f;
	long		lines = argc > 4 ? atol(argv[4]) : 100,
				used = 0;
	int			n = 0;

	if (argc < 4)
	{
		fprintf(stderr, "usage: bench_statement_beams MODEL INPUT.jsonl LABEL [LINES]\n");
		return 2;
	}
	if (sqlpilot_model_load(&m, argv[1], err, sizeof(err)) != 0 ||
		sqlpilot_runstate_init(&s, &m.config, &m.weights, err, sizeof(err)) != 0)
	{
		fprintf(stderr, "bench_statement_beams: %s\n", err);
		return 1;
	}
	if (!(f = fopen(argv[2], "r")))
	{
		perror(argv[2]);
		return 1;
	}
	while (used < lines && n + BENCH_CUTS <= BENCH_MAX_SAMPLES && getline(&line, &cap, f) > 0)
	{
		cJSON	   *j = cJSON_Parse(line);
		const cJSON *sc = cJSON_GetObjectItemCaseSensitive(j, "schema");
		const cJSON *st = cJSON_GetObjectItemCaseSensitive(j, "statement");
		size_t		cuts[BENCH_CUTS];

		if (!cJSON_IsString(sc) || !cJSON_IsString(st) || !sc->valuestring[0] ||
			!st->valuestring[0])
		{
			cJSON_Delete(j);
			continue;
		}
		eval_draw_cuts(0, (uint64_t) used++, st->valuestring, strlen(st->valuestring), BENCH_CUTS,
					   cuts);
		for (int c = 0; c < BENCH_CUTS; c++)
		{
			size_t		len,
						schema_end = 0;
			bool		trunc;
			char	   *schema = eval_fit_schema(&m.tokenizer, eval_cut_budget(m.config.seq_len),
												 sc->valuestring, strlen(sc->valuestring),
												 st->valuestring, cuts[c], &len, &trunc);
			double		a,
						b;

			if (!schema)
				continue;
			sqlpilot_prompt_encode(&m.tokenizer, schema, len, st->valuestring, cuts[c], false,
								   NULL, 0, NULL, &schema_end);
			/* once untimed: the schema in the cache */
			TimeOne(&s, &m, schema, len, st->valuestring, cuts[c], 0, 1);
			if (n % 2 == 0)
			{
				a = TimeOne(&s, &m, schema, len, st->valuestring, cuts[c], schema_end, 1);
				b = TimeOne(&s, &m, schema, len, st->valuestring, cuts[c], schema_end,
							SQLPILOT_BEAM_WIDTH_STATEMENT);
			}
			else
			{
				b = TimeOne(&s, &m, schema, len, st->valuestring, cuts[c], schema_end,
							SQLPILOT_BEAM_WIDTH_STATEMENT);
				a = TimeOne(&s, &m, schema, len, st->valuestring, cuts[c], schema_end, 1);
			}
			free(schema);
			if (a < 0 || b < 0)
				continue;
			greedy[n] = a;
			policy[n++] = b;
		}
		cJSON_Delete(j);
	}
	free(line);
	fclose(f);
	if (n == 0)
	{
		fprintf(stderr, "bench_statement_beams: no cut measured\n");
		return 1;
	}
	{
		double		g50 = bench_quantile(greedy, n, 0.50),
					g95 = bench_quantile(greedy, n, 0.95),
					p50 = bench_quantile(policy, n, 0.50),
					p95 = bench_quantile(policy, n, 0.95);

		printf("| %s | %zu | %d | %d | %.2f / %.2f | %.2f / %.2f | %.2f | %.2f |\n", argv[3],
			   sqlpilot_param_count(&m.config), sqlpilot_complete_statement_beams(&m.config), n,
			   g50, g95, p50, p95, p50 / g50, p95 / g95);
	}
	sqlpilot_runstate_free(&s);
	sqlpilot_model_free(&m);
	return 0;
}
