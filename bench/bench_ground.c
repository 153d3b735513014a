/*
 * bench_ground.c — what grounding (core/ground.h) costs next to the model,
 * in one run on the default model (models/sqlpilot_default.model):
 *   - parsing the schema text's names (done once per completion);
 *   - one full mask: sqlpilot_ground_allows on every token of the
 *     vocabulary after a few typed statements (complete.c checks only the
 *     best few tokens of a step, and the whole vocabulary only when none of
 *     them passes, so this is the worst case of one beam's step);
 *   - one decode step of the model (sqlpilot_infer_step after the prompt);
 *   - whole warm completions, beam 4, up to 64 tokens, grounding on and off.
 * Times are this thread's CPU time, best of several repeats.
 *
 *   build/bench/bench_ground [--out bench/results/ground.md]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "complete.h"
#include "ground.h"
#include "infer.h"
#include "model.h"
#include "prompt.h"

/* A schema of about 400 tokens: the demo shop and one more table (CockroachDB style). */
static const char schema[] =
"CREATE TABLE public.customers (\n\tcustomer_id INT8 NOT NULL,\n\temail VARCHAR(255) NOT NULL,\n"
"\tfull_name VARCHAR(100) NOT NULL,\n\tcity VARCHAR(50) NULL,\n\tcreated_at TIMESTAMPTZ NOT NULL,\n"
"\tCONSTRAINT customers_pkey PRIMARY KEY (customer_id ASC)\n)\n\n"
"CREATE TABLE public.products (\n\tproduct_id INT8 NOT NULL,\n\tsku VARCHAR(20) NOT NULL,\n"
"\tname VARCHAR(100) NOT NULL,\n\tprice DECIMAL(10,2) NOT NULL,\n\tin_stock INT4 NOT NULL,\n"
"\tCONSTRAINT products_pkey PRIMARY KEY (product_id ASC)\n)\n\n"
"CREATE TABLE public.orders (\n\torder_id INT8 NOT NULL,\n\tcustomer_id INT8 NOT NULL,\n"
"\tstatus VARCHAR(20) NOT NULL,\n\tordered_at TIMESTAMPTZ NOT NULL,\n\ttotal DECIMAL(10,2) NULL,\n"
"\tCONSTRAINT orders_pkey PRIMARY KEY (order_id ASC)\n)\n\n"
"CREATE TABLE public.order_items (\n\torder_id INT8 NOT NULL,\n\tproduct_id INT8 NOT NULL,\n"
"\tquantity INT4 NOT NULL,\n\tunit_price DECIMAL(10,2) NOT NULL\n)\n\n"
"CREATE TABLE public.shipments (\n\tshipment_id INT8 NOT NULL,\n\torder_id INT8 NOT NULL,\n"
"\tcarrier VARCHAR(40) NULL,\n\tshipped_at TIMESTAMPTZ NULL\n)";

static const char *const prefixes[] = {
	"SELECT c.full_name, o.total FROM customers c JOIN ",
	"INSERT INTO products (",
	"SELECT * FROM orders o WHERE o.",
	"UPDATE products SET ",
};

/* CPU time of this thread in seconds. */
static double
cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Best-of-5 CPU seconds of one warm completion; *n_tokens gets its generated tokens. */
static double
time_completion(SqlpilotRunState *s, const SqlpilotTokenizer *tok, const char *prefix,
				const SqlpilotCompleteOptions *o, int *n_tokens, char **text)
{
	double		best = 1e9;

	for (int rep = 0; rep < 5; rep++)
	{
		SqlpilotCompletion out[1];
		char		err[256];
		double		t0 = cpu_now();
		int			n = sqlpilot_complete(s, tok, schema, strlen(schema), prefix, strlen(prefix),
										  o, out, 1, err, sizeof(err));
		double		t = cpu_now() - t0;

		if (n < 1)
		{
			fprintf(stderr, "bench_ground: %s\n", err);
			exit(1);
		}
		if (t < best)
			best = t;
		*n_tokens = out[0].n_tokens;
		free(*text);
		*text = strdup(out[0].text);
		sqlpilot_completion_free(out, n);
	}
	return best;
}

int
main(int argc, char **argv)
{
	const char *root = getenv("SQLPILOT_ROOT") ? getenv("SQLPILOT_ROOT") : ".";
	const char *out_path = NULL;
	char		path[1024];
	char		err[256];
	SqlpilotModel m;
	SqlpilotRunState s;
	SqlpilotGroundSchema *names;
	SqlpilotCompleteOptions o;
	int			ids[512];
	size_t		n_prompt,
				schema_end = 0;
	double		parse_ns,
				mask_ns = 1e18,
				step_ns = 1e18;
	double		walk_ns[4];
	double		on_ms[4],
				off_ms[4];
	int			on_tok[4],
				off_tok[4];
	char	   *on_text[4] = {0},
			   *off_text[4] = {0};
	FILE	   *f;

	for (int i = 1; i < argc; i++)
	{
		if (strcmp(argv[i], "--out") == 0 && i + 1 < argc)
			out_path = argv[++i];
		else
		{
			fprintf(stderr, "usage: bench_ground [--out FILE]\n");
			return 2;
		}
	}
	snprintf(path, sizeof(path), "%s/models/sqlpilot_default.model", root);
	if (sqlpilot_model_load(&m, path, err, sizeof(err)) != 0 ||
		sqlpilot_runstate_init(&s, &m.config, &m.weights, err, sizeof(err)) != 0)
	{
		fprintf(stderr, "bench_ground: %s\n", err);
		return 1;
	}
	n_prompt = sqlpilot_prompt_encode(&m.tokenizer, schema, strlen(schema), prefixes[0],
									  strlen(prefixes[0]), false, ids, 512, NULL, &schema_end);

	/* Parsing the names. */
	{
		int			reps = 2000;
		double		t0 = cpu_now();

		for (int r = 0; r < reps; r++)
			sqlpilot_ground_schema_free(sqlpilot_ground_schema_parse(schema, strlen(schema)));
		parse_ns = (cpu_now() - t0) / reps * 1e9;
	}
	names = sqlpilot_ground_schema_parse(schema, strlen(schema));

	/* One full mask: every token after each prefix, best of 5 rounds of 50. */
	for (int round = 0; round < 5; round++)
	{
		double		t0 = cpu_now();
		long		masks = 0;
		long		allowed = 0;

		for (size_t p = 0; p < sizeof(prefixes) / sizeof(prefixes[0]); p++)
		{
			SqlpilotGround g;

			sqlpilot_ground_init(&g, names, 0);
			sqlpilot_ground_feed(&g, prefixes[p], strlen(prefixes[p]));
			for (int r = 0; r < 50; r++, masks++)
				for (int t = 0; t < m.tokenizer.vocab_size; t++)
					allowed += sqlpilot_ground_allows(&g, m.tokenizer.token_bytes[t],
													  (size_t) m.tokenizer.token_len[t]);
		}
		if ((cpu_now() - t0) / masks * 1e9 < mask_ns)
			mask_ns = (cpu_now() - t0) / masks * 1e9;
		if (allowed == 0)
			fprintf(stderr, "bench_ground: no token allowed\n");
	}

	/*
	 * A step as complete.c checks it: the tokens in the model's order after
	 * each prefix, best first, until 4 (the beam) pass; the whole vocabulary
	 * when none of the first 36 does.
	 */
	for (size_t p = 0; p < sizeof(prefixes) / sizeof(prefixes[0]); p++)
	{
		int			order[512];
		int			V = m.tokenizer.vocab_size;
		SqlpilotGround g;
		size_t		np = sqlpilot_prompt_encode(&m.tokenizer, schema, strlen(schema), prefixes[p],
												strlen(prefixes[p]), false, ids, 512, NULL, NULL);
		double		best = 1e18;

		sqlpilot_infer_truncate(&s, 0);
		sqlpilot_infer_feed(&s, ids, (int) np);
		for (int t = 0; t < V; t++)
			order[t] = t;
		for (int i = 1; i < V; i++)		/* insertion sort by logit, best first */
			for (int j = i; j > 0 && s.logits[order[j]] > s.logits[order[j - 1]]; j--)
			{
				int			tmp = order[j];

				order[j] = order[j - 1];
				order[j - 1] = tmp;
			}
		sqlpilot_ground_init(&g, names, 0);
		sqlpilot_ground_feed(&g, prefixes[p], strlen(prefixes[p]));
		for (int round = 0; round < 5; round++)
		{
			double		t0 = cpu_now();

			for (int r = 0; r < 200; r++)
			{
				int			kept = 0;
				int			i;

				for (i = 0; i < 36 && kept < 4; i++)
					kept += sqlpilot_ground_allows(&g, m.tokenizer.token_bytes[order[i]],
												   (size_t) m.tokenizer.token_len[order[i]]);
				if (kept == 0)
					for (i = 0; i < V; i++)
						kept += sqlpilot_ground_allows(&g, m.tokenizer.token_bytes[i],
													   (size_t) m.tokenizer.token_len[i]);
			}
			if ((cpu_now() - t0) / 200 * 1e9 < best)
				best = (cpu_now() - t0) / 200 * 1e9;
		}
		walk_ns[p] = best;
	}

	/* One decode step after the prompt, best of 5 runs of 32 steps. */
	for (int round = 0; round < 5; round++)
	{
		double		t0;

		sqlpilot_infer_truncate(&s, 0);
		sqlpilot_infer_feed(&s, ids, (int) n_prompt);
		t0 = cpu_now();
		for (int k = 0; k < 32; k++)
			sqlpilot_infer_step(&s, ids[n_prompt - 1]);
		if ((cpu_now() - t0) / 32 * 1e9 < step_ns)
			step_ns = (cpu_now() - t0) / 32 * 1e9;
	}

	/* Whole warm completions, beam 4, 64 tokens. */
	sqlpilot_complete_defaults(&o);
	o.beam_width = 4;
	o.max_tokens = 64;
	for (int p = 0; p < 4; p++)
	{
		o.grounding = true;
		on_ms[p] = 1e3 * time_completion(&s, &m.tokenizer, prefixes[p], &o, &on_tok[p], &on_text[p]);
		o.grounding = false;
		off_ms[p] = 1e3 * time_completion(&s, &m.tokenizer, prefixes[p], &o, &off_tok[p], &off_text[p]);
	}

	for (int pass = 0; pass < 2; pass++)
	{
		f = pass == 0 ? stdout : (out_path ? fopen(out_path, "w") : NULL);
		if (!f)
			break;
		fprintf(f, "# Grounding cost (bench/bench_ground.c, default model, one thread, CPU time)\n\n");
		fprintf(f, "Schema of %zu prompt tokens (prompt %zu with the first prefix), vocabulary %d.\n\n",
				schema_end, n_prompt, m.tokenizer.vocab_size);
		fprintf(f, "| what | ns |\n| --- | ---: |\n");
		fprintf(f, "| parse the schema's names (once per completion) | %.0f |\n", parse_ns);
		fprintf(f, "| full mask: all %d tokens checked (worst case of one beam step) | %.0f |\n",
				m.tokenizer.vocab_size, mask_ns);
		fprintf(f, "| one token checked | %.1f |\n", mask_ns / m.tokenizer.vocab_size);
		fprintf(f, "| one decode step of the model | %.0f |\n", step_ns);
		fprintf(f, "| full mask / decode step | %.3f |\n", mask_ns / step_ns);
		for (int p = 0; p < 4; p++)
			fprintf(f, "| one beam step as complete.c checks it (best first until 4 pass), after `%s` | %.0f |\n",
					prefixes[p], walk_ns[p]);
		fprintf(f, "\nPer completion of 64 tokens, beam 4, on this schema: parse + 256 beam steps as above "
				"= %.2f ms (mean of the 4 prefixes), against %.2f ms of decode steps alone.\n\n",
				(parse_ns + 256.0 * (walk_ns[0] + walk_ns[1] + walk_ns[2] + walk_ns[3]) / 4) / 1e6,
				256.0 * step_ns / 1e6);
		fprintf(f, "Warm completions, beam 4, up to 64 tokens (the texts differ, so the token counts do):\n\n");
		fprintf(f, "| prefix | on ms | tokens | off ms | tokens | on ms/token | off ms/token |\n");
		fprintf(f, "| --- | ---: | ---: | ---: | ---: | ---: | ---: |\n");
		for (int p = 0; p < 4; p++)
			fprintf(f, "| `%s` | %.1f | %d | %.1f | %d | %.3f | %.3f |\n", prefixes[p], on_ms[p],
					on_tok[p], off_ms[p], off_tok[p], on_ms[p] / on_tok[p], off_ms[p] / off_tok[p]);
		fprintf(f, "\nTexts (on / off):\n\n");
		for (int p = 0; p < 4; p++)
			fprintf(f, "- `%s` + `%s`\n  / `%s`\n", prefixes[p], on_text[p], off_text[p]);
		if (f != stdout)
			fclose(f);
	}
	for (int p = 0; p < 4; p++)
	{
		free(on_text[p]);
		free(off_text[p]);
	}
	sqlpilot_ground_schema_free(names);
	sqlpilot_runstate_free(&s);
	sqlpilot_model_free(&m);
	return 0;
}
