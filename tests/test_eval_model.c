/*
 * test_eval_model.c — `sqlpilot eval` end to end on a model with random
 * weights: the report is complete and reproducible, tables are chosen to
 * fit the context (core/table_choice.h), and stmt_nll / next_token_acc equal an independent
 * teacher-forcing computation.  Nothing here depends on model quality.
 */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../eval/eval.h"
#include "../trainer/bpe_learn.h"
#include "infer.h"
#include "model.h"
#include "prompt.h"
#include "tap.h"
#include "util.h"

static const char *const schema_short = "CREATE TABLE users (\n  id bigint PRIMARY KEY,\n  name text NOT NULL\n)";
static const char *const stmt_short = "SELECT name FROM users WHERE id = 7;";

/* Runs `sqlpilot eval` with args and returns the parsed --json report (NULL on failure). */
static cJSON *
run_eval(char **args, int nargs, int *rc)
{
	char		jpath[] = "/tmp/sqlpilot_evm_json_XXXXXX";
	char	   *argv[32];
	int			argc = 0,
				fd = mkstemp(jpath);
	FILE	   *saved = stdout;
	char		err[256];
	char	   *text;
	cJSON	   *r = NULL;

	close(fd);
	argv[argc++] = "eval";
	for (int i = 0; i < nargs; i++)
		argv[argc++] = args[i];
	argv[argc++] = "--json";
	argv[argc++] = jpath;
	argv[argc] = NULL;
	fflush(stdout);
	stdout = fopen("/dev/null", "w");
	*rc = sqlpilot_eval_main(argc, argv);
	fclose(stdout);
	stdout = saved;
	text = sqlpilot_read_file(jpath, NULL, err, sizeof(err));
	if (text)
		r = cJSON_Parse(text);
	free(text);
	unlink(jpath);
	return r;
}

/* A number of the report, of one system's metrics when sys is given; NAN if absent. */
static double
num(const cJSON *r, const char *sys, const char *name)
{
	const cJSON *v;

	if (sys)
		r = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(r, "metrics"), sys);
	v = cJSON_GetObjectItemCaseSensitive(r, name);
	return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

/* True when v is a number in [lo, hi]. */
static int
in_range(double v, double lo, double hi)
{
	return !isnan(v) && v >= lo && v <= hi;
}

/* Writes text to path. */
static void
write_text(const char *path, const char *text)
{
	FILE	   *f = fopen(path, "w");

	fputs(text, f);
	fclose(f);
}

int
main(void)
{
	char		dir[] = "/tmp/sqlpilot_evm_XXXXXX";
	char		model_path[256],
				in_path[256],
				one_path[256],
				err[256];
	SqlpilotConfig c;
	SqlpilotTokenizer tok;
	SqlpilotModel m;
	float	   *params;
	const char *texts[3];
	size_t		lens[3];
	int			rc;
	cJSON	   *r,
			   *r2;

	if (!mkdtemp(dir))
		return 1;
	snprintf(model_path, sizeof(model_path), "%s/m.bin", dir);
	snprintf(in_path, sizeof(in_path), "%s/in.jsonl", dir);
	snprintf(one_path, sizeof(one_path), "%s/one.jsonl", dir);

	/* A small random model with a tokenizer trained on a little SQL; context 160. */
	texts[0] = schema_short;
	texts[1] = stmt_short;
	texts[2] = "INSERT INTO orders (user_id, total) VALUES (1, 2.50);\nCREATE TABLE orders (id bigint, user_id bigint)";
	for (int i = 0; i < 3; i++)
		lens[i] = strlen(texts[i]);
	if (sqlpilot_tokenizer_train(&tok, texts, lens, 3, 512, err, sizeof(err)) != 0)
		return 1;
	sqlpilot_config_preset("260K", &c);
	c.n_layers = 2;
	c.seq_len = 160;
	params = malloc(sizeof(float) * sqlpilot_param_count(&c));
	sqlpilot_model_init_random(&c, params, 5);
	err[0] = '\0';
	tap_ok(sqlpilot_model_save(model_path, &c, params, &tok, SQLPILOT_DTYPE_F32, err, sizeof(err)) == 0,
		   "random model saved %s", err);
	free(params);
	sqlpilot_tokenizer_free(&tok);

	/*
	 * Line 1 fits; line 2 fits only without its last two tables (the
	 * statement names the second); line 3 cannot fit; line 4 is broken.
	 */
	{
		char	   *big = malloc(20000);
		char	   *tables = malloc(8000);
		char	   *longstmt = malloc(4000);
		size_t		n = 0;

		n += sprintf(tables + n, "CREATE TABLE a (x int)\\n\\nCREATE TABLE orders (id bigint, user_id bigint)\\n\\n");
		n += sprintf(tables + n, "CREATE TABLE c (");
		for (int i = 0; i < 60; i++)
			n += sprintf(tables + n, "col%d int, ", i);
		n += sprintf(tables + n, "z int)\\n\\nCREATE TABLE d (");
		for (int i = 0; i < 60; i++)
			n += sprintf(tables + n, "dcol%d int, ", i);
		sprintf(tables + n, "z int)");
		n = 0;
		n += sprintf(longstmt + n, "SELECT ");
		for (int i = 0; i < 300; i++)
			n += sprintf(longstmt + n, "x%d, ", i);
		sprintf(longstmt + n, "1 FROM a");
		snprintf(big, 20000,
				 "{\"schema\": \"CREATE TABLE users (\\n  id bigint PRIMARY KEY,\\n  name text NOT NULL\\n)\", \"statement\": \"%s\"}\n"
				 "{\"schema\": \"%s\", \"statement\": \"SELECT user_id FROM orders WHERE id = 3\"}\n"
				 "{\"schema\": \"CREATE TABLE a (x int)\", \"statement\": \"%s\"}\n"
				 "{\"schema\": broken\n", stmt_short, tables, longstmt);
		write_text(in_path, big);
		snprintf(big, 20000,
				 "{\"schema\": \"CREATE TABLE users (\\n  id bigint PRIMARY KEY,\\n  name text NOT NULL\\n)\", \"statement\": \"%s\"}\n",
				 stmt_short);
		write_text(one_path, big);
		free(big);
		free(tables);
		free(longstmt);
	}

	{
		char	   *args[] = {"--model", model_path, "--cuts", "3", "--ks-limit", "1", "--seed", "9", in_path};

		r = run_eval(args, 9, &rc);
		r2 = run_eval(args, 9, &rc);
	}
	tap_ok(rc == 0 && r != NULL, "eval with a model runs and writes the report");
	if (r)
	{
		const cJSON *name = cJSON_GetObjectItemCaseSensitive(r, "model");
		const cJSON *sum = cJSON_GetObjectItemCaseSensitive(r, "model_checksum");
		const cJSON *sk = cJSON_GetObjectItemCaseSensitive(r, "skipped");
		const char *keys[] = {"next_word_em", "next_word_em_boundary", "next_word_em_mid", "rest_em",
		"rest_em_ci", "keystrokes_saved", "hallucinated_ident_rate", "next_token_acc"};
		int			ok = 1;

		tap_ok(cJSON_IsString(name) && strcmp(name->valuestring, "m.bin") == 0 &&
			   cJSON_IsString(sum) && strlen(sum->valuestring) == 16, "model name and checksum reported");
		tap_ok(num(r, NULL, "examples") == 2 && num(r, NULL, "cuts") == 6 && num(r, NULL, "truncated") == 1 &&
			   num(sk, NULL, "too long") == 1 && num(sk, NULL, "invalid json") == 1,
			   "2 examples (1 truncated), 1 too long, 1 broken line");
		for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
			ok = ok && in_range(num(r, "model", keys[i]), 0, 1);
		tap_ok(ok, "model rates are in [0, 1]");
		tap_ok(in_range(num(r, "model", "stmt_nll"), 0.1, 30), "stmt_nll is a plausible number (%g)",
			   num(r, "model", "stmt_nll"));
		tap_ok(in_range(num(r, "model", "latency_ms_p50_cold"), 0, 1e6) &&
			   in_range(num(r, "model", "latency_ms_p95_warm"), 0, 1e6) &&
			   num(r, "model", "latency_ms_p95_cold") >= num(r, "model", "latency_ms_p50_cold"),
			   "latencies reported cold and warm");
		tap_ok(num(r, "model", "errors") == 0 && num(r, "model", "keystroke_statements") == 1,
			   "no completion errors; one statement typed");
		tap_ok(in_range(num(r, "baseline", "rest_em"), 0, 1) && isnan(num(r, "baseline", "stmt_nll")),
			   "baseline beside the model");
		ok = r2 != NULL;
		for (size_t i = 0; ok && i < sizeof(keys) / sizeof(keys[0]); i++)
			ok = num(r, "model", keys[i]) == num(r2, "model", keys[i]);
		tap_ok(ok && num(r, "model", "stmt_nll") == num(r2, "model", "stmt_nll"),
			   "two runs give the same metrics");
	}
	cJSON_Delete(r);
	cJSON_Delete(r2);

	/* stmt_nll and next_token_acc against a fresh prefill at every position. */
	if (sqlpilot_model_load(&m, model_path, err, sizeof(err)) == 0)
	{
		SqlpilotRunState s;
		int			ids[512];
		size_t		stmt_start;
		size_t		n = sqlpilot_prompt_encode(&m.tokenizer, schema_short, strlen(schema_short),
											   stmt_short, strlen(stmt_short), true, ids, 512,
											   &stmt_start, NULL);
		double		nll = 0;
		long		hits = 0;
		char	   *args[] = {"--model", model_path, "--cuts", "0", "--ks-limit", "0", one_path};

		sqlpilot_runstate_init(&s, &m.config, &m.weights, err, sizeof(err));
		for (size_t t = stmt_start; t < n; t++)
		{
			double		mx = -INFINITY,
						sum = 0;
			int			best = 0;

			sqlpilot_infer_truncate(&s, 0);
			sqlpilot_infer_feed(&s, ids, (int) t);
			for (int v = 0; v < m.config.vocab_size; v++)
			{
				if (s.logits[v] > mx)
					mx = s.logits[v];
				if (s.logits[v] > s.logits[best])
					best = v;
			}
			for (int v = 0; v < m.config.vocab_size; v++)
				sum += exp(s.logits[v] - mx);
			nll += mx + log(sum) - s.logits[ids[t]];
			hits += best == ids[t];
		}
		nll /= (double) (n - stmt_start);
		r = run_eval(args, 7, &rc);
		tap_ok(r && fabs(num(r, "model", "stmt_nll") - nll) < 1e-3 * nll &&
			   num(r, "model", "stmt_tokens") == (double) (n - stmt_start),
			   "stmt_nll equals an independent teacher-forcing computation (%g vs %g, %zu tokens)",
			   r ? num(r, "model", "stmt_nll") : NAN, nll, n - stmt_start);
		tap_ok(r && fabs(num(r, "model", "next_token_acc") - (double) hits / (n - stmt_start)) < 1e-9,
			   "next_token_acc equals the independent top-1 count");
		cJSON_Delete(r);
		sqlpilot_runstate_free(&s);
		sqlpilot_model_free(&m);
	}
	else
		tap_ok(0, "model loads: %s", err);

	{
		char	   *args[] = {"--model", "/nonexistent/m.bin", in_path};

		r = run_eval(args, 3, &rc);
		tap_ok(rc == 1 && r == NULL, "a missing model is an error");
	}
	unlink(model_path);
	unlink(in_path);
	unlink(one_path);
	rmdir(dir);
	return tap_done();
}
