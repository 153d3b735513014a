/*
 * test_complete_statement.c — the whole-statement policy of core/complete.h
 * (beam_width SQLPILOT_BEAM_WIDTH_STATEMENT, what sqlpilot_complete(),
 * `sqlpilot complete` and eval show): 2 plain beams for a model of
 * SQLPILOT_STATEMENT_BEAMS_MIN..MAX_PARAMS parameters (the default model),
 * greedy outside (the 260K and 15M presets keep their latency); the policy's completion is
 * the best of that many plain beams, whatever the caller's distinct
 * and short-alternatives options, and one sampled completion with top_k.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "complete.h"
#include "model.h"
#include "tap.h"

static const char *schema = "CREATE TABLE users (id INT PRIMARY KEY, name TEXT, email TEXT);";

/* The width the policy gives the preset name. */
static int
preset_beams(const char *name)
{
	SqlpilotConfig c;

	if (sqlpilot_config_preset(name, &c) != 0)
		return -1;
	return sqlpilot_complete_statement_beams(&c);
}

/* Which models get 2 beams. */
static void
test_widths(void)
{
	const char *root = getenv("SQLPILOT_ROOT") ? getenv("SQLPILOT_ROOT") : ".";
	char		path[4096];
	char		err[256];
	SqlpilotModel m;

	tap_ok(preset_beams("260K") == 1 && preset_beams("15M") == 1 && preset_beams("42M") == 1,
		   "the 260K, 15M and 42M presets: greedy (their latency budgets are unchanged)");
	snprintf(path, sizeof(path), "%s/models/sqlpilot_default.model", root);
	if (sqlpilot_model_load(&m, path, err, sizeof(err)) != 0)
	{
		tap_ok(0, "load the default model: %s", err);
		return;
	}
	tap_ok(sqlpilot_complete_statement_beams(&m.config) == 2 &&
		   sqlpilot_param_count(&m.config) >= SQLPILOT_STATEMENT_BEAMS_MIN_PARAMS &&
		   sqlpilot_param_count(&m.config) <= SQLPILOT_STATEMENT_BEAMS_MAX_PARAMS,
		   "the default model (%zu parameters): 2 beams", sqlpilot_param_count(&m.config));
	sqlpilot_model_free(&m);
}

/* One completion of prefix with o (max_out 1); NULL text on error. */
static SqlpilotCompletion
complete_one(SqlpilotRunState *s, const SqlpilotTokenizer *tok, const char *prefix,
			 const SqlpilotCompleteOptions *o)
{
	SqlpilotCompletion out = {NULL, 0, 0, false};
	char		err[256];

	if (sqlpilot_complete(s, tok, schema, strlen(schema), prefix, strlen(prefix), o, &out, 1,
						  err, sizeof(err)) != 1)
		tap_diag("complete \"%s\": %s", prefix, err);
	return out;
}

/* On random weights of the default model's shape: the policy is the best of 2 plain beams. */
static void
test_random(void)
{
	const char *prefixes[] = {"SELECT name FROM users WHERE ", "INSERT INTO us", "",
	"UPDATE users SET email = 'a' WHERE id = 1"};
	SqlpilotConfig c;
	SqlpilotWeights w;
	SqlpilotRunState s;
	SqlpilotTokenizer tok;
	float	   *params;
	char		err[256];
	int			same = 0,
				sampled_same = 0,
				differ = 0,
				n = (int) (sizeof(prefixes) / sizeof(prefixes[0]));

	sqlpilot_config_preset("260K", &c);
	c.dim = 128;				/* the default model's shape (models/MODEL.md) */
	c.hidden_dim = 352;
	c.n_layers = 6;
	c.n_heads = 8;
	c.n_kv_heads = 4;
	params = malloc(sqlpilot_param_count(&c) * sizeof(float));
	if (!params || sqlpilot_tokenizer_from_merges(&tok, NULL, 0, c.vocab_size, err, sizeof(err)) != 0)
	{
		tap_ok(0, "tokenizer: %s", err);
		free(params);
		return;
	}
	sqlpilot_model_init_random(&c, params, 7);
	sqlpilot_weights_map(&w, &c, params);
	if (sqlpilot_runstate_init(&s, &c, &w, err, sizeof(err)) != 0)
	{
		tap_ok(0, "run state: %s", err);
		free(params);
		sqlpilot_tokenizer_free(&tok);
		return;
	}
	for (int i = 0; i < n; i++)
	{
		SqlpilotCompleteOptions o;
		SqlpilotCompletion pol,
					beam2,
					greedy;

		sqlpilot_complete_defaults(&o);
		o.max_tokens = getenv("SQLPILOT_TEST_QUICK") ? 6 : 20;
		o.beam_width = SQLPILOT_BEAM_WIDTH_STATEMENT;	/* distinct and short alternatives on */
		pol = complete_one(&s, &tok, prefixes[i], &o);
		o.beam_width = 2;
		o.distinct = false;
		beam2 = complete_one(&s, &tok, prefixes[i], &o);
		o.beam_width = 1;
		greedy = complete_one(&s, &tok, prefixes[i], &o);
		/* (the prompt's rows come from the cache: scores equal up to float rounding) */
		if (pol.text && beam2.text && strcmp(pol.text, beam2.text) == 0 &&
			fabs(pol.score - beam2.score) < 1e-3)
			same++;
		else
			tap_diag("\"%s\": policy \"%s\" %.6f, 2 beams \"%s\" %.6f", prefixes[i],
					 pol.text ? pol.text : "(error)", pol.score, beam2.text ? beam2.text : "(error)",
					 beam2.score);
		differ += pol.text && greedy.text && (strcmp(pol.text, greedy.text) != 0 ||
											  fabs(pol.score - greedy.score) >= 1e-3);
		free(pol.text);
		free(beam2.text);
		free(greedy.text);

		/* sampling: one sampled completion, as beam_width 1 gives */
		o.top_k = 5;
		o.seed = 3;
		o.beam_width = SQLPILOT_BEAM_WIDTH_STATEMENT;
		pol = complete_one(&s, &tok, prefixes[i], &o);
		o.beam_width = 1;
		greedy = complete_one(&s, &tok, prefixes[i], &o);
		sampled_same += pol.text && greedy.text && strcmp(pol.text, greedy.text) == 0;
		free(pol.text);
		free(greedy.text);
	}
	tap_ok(same == n, "the policy's completion is the best of 2 plain beams (%d of %d prefixes)",
		   same, n);
	tap_diag("the greedy completion differs in text or score on %d of %d prefixes", differ, n);
	tap_ok(sampled_same == n, "with top_k: the one sampled completion (%d of %d)", sampled_same, n);
	sqlpilot_runstate_free(&s);
	free(params);
	sqlpilot_tokenizer_free(&tok);
}

int
main(void)
{
	test_widths();
	test_random();
	return tap_done();
}
