/*
 * ground_misses.c — a diagnostic, not a test: for the first --limit examples
 * of an eval JSONL file, at the cuts `sqlpilot eval` draws (seed 0), runs the
 * grounded greedy completion as eval does and prints each identifier that
 * eval_hallucinations counts as hallucinated, with its context, so the causes
 * of hallucinated_ident_rate can be read.  Built and run by ground_misses.sh.
 */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "complete.h"
#include "eval.h"
#include "infer.h"
#include "model.h"
#include "util.h"

/* Whether identifier span sp of text is one eval counts as hallucinated. */
static bool
counted_bad(EvalNameSet *names, const char *text, size_t tl, EvalSpan sp)
{
	long		n1 = 0,
				b1 = 0,
				n2 = 0,
				b2 = 0;

	eval_hallucinations(names, text, tl, sp.end - 1, &n1, &b1);
	eval_hallucinations(names, text, tl, sp.end, &n2, &b2);
	return b1 > b2;
}

/* Prints the hallucinated identifiers of one grounded completion of stmt[:cut]. */
static void
one_cut(SqlpilotModel *m, SqlpilotRunState *rs, const SqlpilotCompleteOptions *o, long ex,
		const char *schema, const char *stmt, size_t cut)
{
	int			budget = eval_cut_budget(m->config.seq_len);
	size_t		sl = 0;
	bool		trunc = false;
	char	   *fit = eval_fit_schema(&m->tokenizer, budget, schema, strlen(schema), stmt, cut,
									  &sl, &trunc);
	EvalNameSet names = {0};
	SqlpilotCompletion out;
	char		err[256];
	int			n;
	size_t		tl,
				ni;
	char	   *text;
	EvalSpan   *id;

	if (!fit)
		return;
	eval_names_add_text(&names, fit, sl);
	n = sqlpilot_complete(rs, &m->tokenizer, fit, sl, stmt, cut, o, &out, 1, err, sizeof(err));
	if (n <= 0)
	{
		eval_names_free(&names);
		free(fit);
		return;
	}
	tl = cut + strlen(out.text);
	text = malloc(tl + 1);
	memcpy(text, stmt, cut);
	strcpy(text + cut, out.text);
	ni = eval_identifiers(text, tl, NULL, 0);
	id = malloc(sizeof(EvalSpan) * (ni ? ni : 1));
	eval_identifiers(text, tl, id, ni);
	for (size_t i = 0; i < ni; i++)
		if (id[i].end > cut && counted_bad(&names, text, tl, id[i]))
			printf("ex %ld cut %zu: %.*s\t| %.*s[[%.*s]]%.*s\n", ex, cut,
				   (int) (id[i].end - id[i].start), text + id[i].start,
				   (int) (id[i].start > cut ? id[i].start - cut : 0), text + cut,
				   (int) (id[i].end - id[i].start), text + id[i].start,
				   (int) (tl - id[i].end), text + id[i].end);
	free(id);
	free(text);
	sqlpilot_completion_free(&out, 1);
	eval_names_free(&names);
	free(fit);
}

/* ground_misses MODEL EVAL.jsonl LIMIT CUTS */
int
main(int argc, char **argv)
{
	SqlpilotModel m;
	SqlpilotRunState rs;
	SqlpilotCompleteOptions o;
	char		err[256];
	char		line[1 << 16];
	FILE	   *f;
	long		ex = 0;
	int			limit = argc > 3 ? atoi(argv[3]) : 100;
	int			k = argc > 4 ? atoi(argv[4]) : 4;

	if (argc < 3 || !(f = fopen(argv[2], "r")))
	{
		fprintf(stderr, "usage: ground_misses MODEL EVAL.jsonl [LIMIT] [CUTS]\n");
		return 2;
	}
	if (sqlpilot_model_load(&m, argv[1], err, sizeof(err)) != 0 ||
		sqlpilot_runstate_init(&rs, &m.config, &m.weights, err, sizeof(err)) != 0)
	{
		fprintf(stderr, "ground_misses: %s\n", err);
		return 1;
	}
	sqlpilot_complete_defaults(&o);
	o.max_tokens = EVAL_MAX_NEW_TOKENS;
	o.stop_at_semicolon = false;
	o.grounding = true;
	while (ex < limit && fgets(line, sizeof(line), f))
	{
		cJSON	   *j = cJSON_Parse(line);
		const cJSON *sc = cJSON_GetObjectItemCaseSensitive(j, "schema");
		const cJSON *st = cJSON_GetObjectItemCaseSensitive(j, "statement");
		size_t		cuts[64];

		if (cJSON_IsString(sc) && cJSON_IsString(st) && k <= 64)
		{
			eval_draw_cuts(0, (uint64_t) ex, st->valuestring, strlen(st->valuestring), k, cuts);
			for (int c = 0; c < k; c++)
				one_cut(&m, &rs, &o, ex, sc->valuestring, st->valuestring, cuts[c]);
			ex++;
		}
		cJSON_Delete(j);
	}
	fclose(f);
	sqlpilot_runstate_free(&rs);
	sqlpilot_model_free(&m);
	return 0;
}
