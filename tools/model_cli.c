/*
 * model_cli.c — `sqlpilot init | info | complete | convert`: make a random
 * model file, describe one, complete a prefix with one (given a schema file,
 * or the schema of a database read as the psql hook reads it), or rewrite one
 * with another weight type.  Entry point: sqlpilot_model_main().
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>
#include <libpq-fe.h>

#include "sqlpilot.h"
#include "../client/pq.h"
#include "../client/session.h"
#include "../trainer/bpe_learn.h"
#include "../trainer/train.h"
#include "complete.h"
#include "model.h"
#include "table_choice.h"
#include "util.h"

/* Parses "f32", "f16" or "q8"; returns 0 or -1. */
static int
parse_dtype(const char *s, SqlpilotDtype *d)
{
	if (strcmp(s, "f32") == 0)
		*d = SQLPILOT_DTYPE_F32;
	else if (strcmp(s, "f16") == 0)
		*d = SQLPILOT_DTYPE_F16;
	else if (strcmp(s, "q8") == 0)
		*d = SQLPILOT_DTYPE_Q8;
	else
		return -1;
	return 0;
}

/* Trains a tokenizer on the lines of a corpus file (one text per line). */
static int
train_tokenizer(SqlpilotTokenizer *tok, const char *path, int vocab_size,
				char *err, size_t errlen)
{
	size_t		len,
				n = 0,
				cap = 1024;
	char	   *buf = sqlpilot_read_file(path, &len, err, errlen);
	const char **texts;
	size_t	   *lens;
	size_t		start = 0;
	bool		oom = false;
	int			rc;

	if (!buf)
		return -1;
	texts = malloc(cap * sizeof(char *));
	lens = malloc(cap * sizeof(size_t));
	oom = !texts || !lens;
	for (size_t i = 0; !oom && i <= len; i++)
	{
		if (i < len && buf[i] != '\n')
			continue;
		if (i > start)
		{
			if (n == cap)
			{
				/* keep the old arrays (freed below) when growing one fails */
				const char **t = realloc(texts, 2 * cap * sizeof(char *));
				size_t	   *l;

				if (t)
					texts = t;
				l = t ? realloc(lens, 2 * cap * sizeof(size_t)) : NULL;
				if (l)
					lens = l;
				oom = !t || !l;
				if (oom)
					break;
				cap *= 2;
			}
			texts[n] = buf + start;
			lens[n++] = i - start;
		}
		start = i + 1;
	}
	if (oom)
	{
		snprintf(err, errlen, "out of memory reading the corpus");
		rc = -1;
	}
	else
		rc = sqlpilot_tokenizer_train(tok, texts, lens, n, vocab_size, err, errlen);
	free(texts);
	free(lens);
	free(buf);
	return rc;
}

/* `init`: a config from a preset and/or explicit sizes, random weights by seed. */
static int
cmd_init(int argc, char **argv)
{
	static const struct option opts[] = {
		{"preset", required_argument, NULL, 'p'},
		{"dim", required_argument, NULL, 'd'},
		{"hidden", required_argument, NULL, 'H'},
		{"layers", required_argument, NULL, 'l'},
		{"heads", required_argument, NULL, 'n'},
		{"kv-heads", required_argument, NULL, 'k'},
		{"vocab", required_argument, NULL, 'v'},
		{"seq-len", required_argument, NULL, 's'},
		{"untied", no_argument, NULL, 'u'},
		{"seed", required_argument, NULL, 'S'},
		{"tokenizer", required_argument, NULL, 't'},
		{"corpus", required_argument, NULL, 'c'},
		{"out", required_argument, NULL, 'o'},
		{"dtype", required_argument, NULL, 'T'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}
	};
	SqlpilotConfig c;
	SqlpilotTokenizer tok;
	SqlpilotDtype dtype = SQLPILOT_DTYPE_F32;
	const char *tok_path = NULL,
			   *corpus = NULL,
			   *out = NULL;
	uint64_t	seed = 1;
	int			have_tok = 0;
	float	   *params;
	char		err[512];
	int			opt;

	sqlpilot_config_preset("260K", &c);
	optind = 1;
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1)
	{
		switch (opt)
		{
			case 'p':
				if (sqlpilot_config_preset(optarg, &c) != 0)
				{
					fprintf(stderr, "sqlpilot init: unknown preset \"%s\" (260K, 15M, 42M)\n", optarg);
					return 2;
				}
				break;
			case 'd':
				c.dim = atoi(optarg);
				break;
			case 'H':
				c.hidden_dim = atoi(optarg);
				break;
			case 'l':
				c.n_layers = atoi(optarg);
				break;
			case 'n':
				c.n_heads = atoi(optarg);
				break;
			case 'k':
				c.n_kv_heads = atoi(optarg);
				break;
			case 'v':
				c.vocab_size = atoi(optarg);
				break;
			case 's':
				c.seq_len = atoi(optarg);
				break;
			case 'u':
				c.tied = 0;
				break;
			case 'S':
				seed = strtoull(optarg, NULL, 10);
				break;
			case 't':
				tok_path = optarg;
				break;
			case 'c':
				corpus = optarg;
				break;
			case 'o':
				out = optarg;
				break;
			case 'T':
				if (parse_dtype(optarg, &dtype) != 0)
				{
					fprintf(stderr, "sqlpilot init: unknown dtype \"%s\" (f32, f16, q8)\n", optarg);
					return 2;
				}
				break;
			default:
				fprintf(opt == 'h' ? stdout : stderr,
						"usage: sqlpilot init [--preset 260K|15M|42M] [--dim N --hidden N --layers N\n"
						"         --heads N --kv-heads N --vocab N --seq-len N --untied]\n"
						"         [--tokenizer FILE | --corpus FILE] [--seed S] [--dtype f32|f16|q8]\n"
						"         --out model.bin\n"
						"Without --tokenizer or --corpus the model gets a byte-level tokenizer (no merges).\n");
				return opt == 'h' ? 0 : 2;
		}
	}
	if (!out)
	{
		fprintf(stderr, "sqlpilot init: --out is required\n");
		return 2;
	}
	if (sqlpilot_config_validate(&c, err, sizeof(err)) != 0)
	{
		fprintf(stderr, "sqlpilot init: %s\n", err);
		return 2;
	}
	if (tok_path || corpus)
	{
		if ((tok_path ? sqlpilot_tokenizer_load(&tok, tok_path, err, sizeof(err))
			 : train_tokenizer(&tok, corpus, c.vocab_size, err, sizeof(err))) != 0)
		{
			fprintf(stderr, "sqlpilot init: %s\n", err);
			return 1;
		}
		have_tok = 1;
	}
	params = malloc(sqlpilot_param_count(&c) * sizeof(float));
	if (!params)
	{
		fprintf(stderr, "sqlpilot init: out of memory\n");
		if (have_tok)
			sqlpilot_tokenizer_free(&tok);
		return 1;
	}
	sqlpilot_model_init_random(&c, params, seed);
	if (sqlpilot_model_save(out, &c, params, have_tok ? &tok : NULL, dtype, err, sizeof(err)) != 0)
	{
		fprintf(stderr, "sqlpilot init: %s\n", err);
		free(params);
		if (have_tok)
			sqlpilot_tokenizer_free(&tok);
		return 1;
	}
	printf("wrote %s: %zu parameters, %s, seed %llu\n", out, sqlpilot_param_count(&c),
		   sqlpilot_dtype_name(dtype), (unsigned long long) seed);
	free(params);
	if (have_tok)
		sqlpilot_tokenizer_free(&tok);
	return 0;
}

/* Loads --model (the only option of info/convert/complete shared) or reports why not. */
static int
load_model(SqlpilotModel *m, const char *path, const char *cmd)
{
	char		err[1024];

	if (!path)
	{
		fprintf(stderr, "sqlpilot %s: --model is required\n", cmd);
		return -1;
	}
	if (sqlpilot_model_load(m, path, err, sizeof(err)) != 0)
	{
		fprintf(stderr, "sqlpilot %s: %s\n", cmd, err);
		return -1;
	}
	return 0;
}

/* `info`: config, parameter count, dtype, checksum, tokenizer size, load time. */
static int
cmd_info(int argc, char **argv)
{
	SqlpilotModel m;
	const char *path = NULL;
	const SqlpilotConfig *c;
	double		t0;

	for (int i = 1; i < argc; i++)
	{
		if (strcmp(argv[i], "--model") == 0 && i + 1 < argc)
			path = argv[++i];
		else if (argv[i][0] != '-' && !path)
			path = argv[i];
		else
		{
			fprintf(stderr, "usage: sqlpilot info --model model.bin\n");
			return 2;
		}
	}
	t0 = sqlpilot_now();
	if (load_model(&m, path, "info") != 0)
		return 1;
	c = &m.config;
	printf("file:        %s (%zu bytes, loaded and verified in %.1f ms)\n", path, m.map_len,
		   (sqlpilot_now() - t0) * 1e3);
	printf("dtype:       %s\n", sqlpilot_dtype_name(m.dtype));
	printf("checksum:    %016llx (XXH64, verified)\n", (unsigned long long) m.checksum);
	printf("parameters:  %zu\n", sqlpilot_param_count(c));
	printf("dim:         %d\nhidden_dim:  %d\nn_layers:    %d\nn_heads:     %d\nn_kv_heads:  %d\n",
		   c->dim, c->hidden_dim, c->n_layers, c->n_heads, c->n_kv_heads);
	printf("vocab_size:  %d\nseq_len:     %d\ntied:        %s\nrope_theta:  %g\nnorm_eps:    %g\n",
		   c->vocab_size, c->seq_len, c->tied ? "yes" : "no", (double) c->rope_theta,
		   (double) c->norm_eps);
	printf("merges:      %d\n", m.tokenizer.n_merges);
	sqlpilot_model_free(&m);
	return 0;
}

/* `convert`: loads any dtype, writes the same model with --dtype. */
static int
cmd_convert(int argc, char **argv)
{
	SqlpilotModel m;
	const char *path = NULL,
			   *out = NULL;
	SqlpilotDtype dtype = SQLPILOT_DTYPE_F32;
	char		err[512];
	int			rc = 0;

	for (int i = 1; i < argc; i++)
	{
		if (strcmp(argv[i], "--model") == 0 && i + 1 < argc)
			path = argv[++i];
		else if (strcmp(argv[i], "--out") == 0 && i + 1 < argc)
			out = argv[++i];
		else if (strcmp(argv[i], "--dtype") == 0 && i + 1 < argc &&
				 parse_dtype(argv[i + 1], &dtype) == 0)
			i++;
		else
		{
			fprintf(stderr, "usage: sqlpilot convert --model IN --out OUT --dtype f32|f16|q8\n");
			return 2;
		}
	}
	if (!out)
	{
		fprintf(stderr, "sqlpilot convert: --out is required\n");
		return 2;
	}
	if (load_model(&m, path, "convert") != 0)
		return 1;
	if (sqlpilot_model_widen(&m, err, sizeof(err)) != 0)
	{
		fprintf(stderr, "sqlpilot convert: %s\n", err);
		sqlpilot_model_free(&m);
		return 1;
	}
	if (sqlpilot_model_save(out, &m.config, m.weights.token_embedding, &m.tokenizer, dtype,
							err, sizeof(err)) != 0)
	{
		fprintf(stderr, "sqlpilot convert: %s\n", err);
		rc = 1;
	}
	else
		printf("wrote %s (%s)\n", out, sqlpilot_dtype_name(dtype));
	sqlpilot_model_free(&m);
	return rc;
}

/* Prints completions as one JSON object: {"completions": [{"text": ..., "score": ...}, ...]}. */
static void
print_json(const SqlpilotCompletion *out, int got)
{
	cJSON	   *root = cJSON_CreateObject();
	cJSON	   *arr = cJSON_AddArrayToObject(root, "completions");
	char	   *text;

	for (int i = 0; i < got; i++)
	{
		cJSON	   *c = cJSON_CreateObject();

		cJSON_AddStringToObject(c, "text", out[i].text);
		cJSON_AddNumberToObject(c, "score", out[i].score);
		cJSON_AddItemToArray(arr, c);
	}
	text = cJSON_PrintUnformatted(root);
	if (text != NULL)
		printf("%s\n", text);
	free(text);
	cJSON_Delete(root);
}

/*
 * --dsn: completes with the schema read over a connection, exactly as the
 * psql hook does (client/session.c); prefix never leaves this process.
 * With show_schema, prints the schema text instead.  Returns the count of
 * completions, or -1 having said why.
 */
static int
complete_dsn(const char *dsn, const char *model_path, const char *prefix, int timeout_ms,
			 const SqlpilotCompleteOptions *o, bool show_schema, SqlpilotCompletion *out, int n_out)
{
	SqlpilotClient client;
	PGconn	   *conn;
	char		err[1024];
	int			got = -1;

	if (sqlpilot_client_open(&client, model_path, err, sizeof(err)) != 0)
	{
		fprintf(stderr, "sqlpilot complete: %s\n", err);
		return -1;
	}
	client.max_tokens = o->max_tokens;
	client.grounding = o->grounding;
	conn = PQconnectdb(dsn);
	if (PQstatus(conn) != CONNECTION_OK)
		fprintf(stderr, "sqlpilot complete: could not connect: %s", PQerrorMessage(conn));
	else if (sqlpilot_client_refresh(&client, conn, 0, timeout_ms,
									 sqlpilot_pq_now_ms() + timeout_ms, err, sizeof(err)) != SQLPILOT_READ_OK)
		fprintf(stderr, "sqlpilot complete: reading the schema: %s\n", err);
	else if (show_schema)
	{
		size_t		len;
		char	   *text = sqlpilot_client_schema_text(&client, prefix, &len, err, sizeof(err));

		if (text == NULL)
			fprintf(stderr, "sqlpilot complete: %s\n", err);
		else
		{
			fwrite(text, 1, len, stdout);
			printf("\n");
			got = 0;
		}
		free(text);
	}
	else if ((got = sqlpilot_client_complete(&client, prefix, n_out, out, err, sizeof(err))) < 0)
		fprintf(stderr, "sqlpilot complete: %s\n", err);
	/* a query given up on is abandoned with the connection */
	PQfinish(conn);
	sqlpilot_client_close(&client);
	return got;
}

/*
 * --schema: the schema text the prompt gets for prefix (malloc'd, *len):
 * every table when the prompt fits, else the tables core/table_choice.h
 * chooses from what is typed (the extension's rule), within the prompt
 * budget the extension and the psql hook use.  NULL having said why.
 */
static char *
choose_schema(const SqlpilotModel *m, const char *schema, size_t schema_len,
			  const char *prefix, int max_tokens, size_t *len)
{
	int			budget = m->config.seq_len - max_tokens;
	int			n_tables,
				n_chosen;
	char	   *text;

	if (budget > SQLPILOT_CLIENT_MAX_PROMPT_TOKENS)
		budget = SQLPILOT_CLIENT_MAX_PROMPT_TOKENS;
	if (budget < 1)
	{
		fprintf(stderr, "sqlpilot complete: --max-tokens %d leaves no room for a prompt in the model's context of %d tokens\n",
				max_tokens, m->config.seq_len);
		return NULL;
	}
	text = trainer_example_schema(&m->tokenizer, schema, schema_len, prefix, strlen(prefix),
								  budget, len, &n_tables, &n_chosen);
	if (text == NULL && n_chosen == SQLPILOT_TABLES_TOO_LONG)
		fprintf(stderr, "sqlpilot complete: the %s does not fit the prompt budget of %d tokens "
				"(the context of %d less --max-tokens %d)\n",
				n_tables > 0 ? "prefix alone" : "prompt", budget, m->config.seq_len, max_tokens);
	else if (text == NULL)
		fprintf(stderr, "sqlpilot complete: out of memory choosing the tables of the prompt\n");
	return text;
}

/* The usage of `complete`, on stderr. */
static void
complete_usage(void)
{
	fprintf(stderr, "usage: sqlpilot complete --model M --schema FILE --prefix TEXT [--n K]\n"
			"         [--beam W] [--max-tokens N] [--top-k K --temperature T --seed S] [--no-stop]\n"
			"         [--no-grounding] [--json] [--show-schema]\n"
			"       sqlpilot complete --dsn CONNINFO [--model M] [--n K] [--json] [--no-grounding]\n"
			"         [--timeout-ms MS] [--show-schema] PREFIX\n"
			"--n K prints the K best completions (beam width K unless --beam), one per line\n"
			"as score<TAB>text; otherwise only the text is printed.  --dsn reads the schema\n"
			"the role may use from that database (the prefix is not sent); the model is\n"
			"--model, else $SQLPILOT_MODEL.  --json prints {\"completions\": [{\"text\", \"score\"}]}.\n"
			"A schema too big for the prompt keeps the tables the prefix names, then their\n"
			"foreign-key neighbours, as the extension does; --show-schema prints what is kept.\n");
}

/* `complete`: prints the best completion, or with --n K the K best with scores. */
static int
cmd_complete(int argc, char **argv)
{
	SqlpilotModel m;
	SqlpilotRunState s;
	SqlpilotCompleteOptions o;
	SqlpilotCompletion out[64];
	const char *path = NULL,
			   *schema_path = NULL,
			   *prefix = NULL,
			   *dsn = NULL;
	char	   *schema = NULL,
			   *chosen;
	size_t		schema_len = 0,
				chosen_len;
	int			n_out = 1,
				beam = 0,
				timeout_ms = 2000,
				got;
	bool		json = false,
				show_schema = false;
	char		err[1024];
	double		t0;

	sqlpilot_complete_defaults(&o);
	o.short_alternatives = false;	/* --n K prints K whole completions */
	for (int i = 1; i < argc; i++)
	{
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(a, "--no-stop") == 0)
			o.stop_at_semicolon = false;
		else if (strcmp(a, "--no-grounding") == 0)
			o.grounding = false;
		else if (strcmp(a, "--json") == 0)
			json = true;
		else if (strcmp(a, "--show-schema") == 0)
			show_schema = true;
		else if (a[0] != '-' && !prefix)
			prefix = a;
		else if (!v)
		{
			complete_usage();
			return 2;
		}
		else
		{
			if (strcmp(a, "--model") == 0)
				path = v;
			else if (strcmp(a, "--schema") == 0)
				schema_path = v;
			else if (strcmp(a, "--prefix") == 0)
				prefix = v;
			else if (strcmp(a, "--dsn") == 0)
				dsn = v;
			else if (strcmp(a, "--n") == 0)
				n_out = atoi(v);
			else if (strcmp(a, "--beam") == 0)
				beam = atoi(v);
			else if (strcmp(a, "--max-tokens") == 0)
				o.max_tokens = atoi(v);
			else if (strcmp(a, "--top-k") == 0)
				o.top_k = atoi(v);
			else if (strcmp(a, "--temperature") == 0)
				o.temperature = (float) atof(v);
			else if (strcmp(a, "--seed") == 0)
				o.seed = strtoull(v, NULL, 10);
			else if (strcmp(a, "--timeout-ms") == 0)
				timeout_ms = atoi(v);
			else
			{
				complete_usage();
				return 2;
			}
			i++;
		}
	}
	if (!prefix)
		prefix = "";
	if (n_out < 1 || n_out > 64)
	{
		fprintf(stderr, "sqlpilot complete: --n must be 1..64\n");
		return 2;
	}
	if (o.max_tokens < 0)
	{
		fprintf(stderr, "sqlpilot complete: --max-tokens must not be negative\n");
		return 2;
	}
	if (timeout_ms < 1)
	{
		fprintf(stderr, "sqlpilot complete: --timeout-ms must be positive\n");
		return 2;
	}
	/* one completion is a whole statement: the model's beams, as sqlpilot_complete() */
	o.beam_width = beam > 0 ? beam : n_out == 1 ? SQLPILOT_BEAM_WIDTH_STATEMENT : n_out;
	if (dsn && schema_path)
	{
		fprintf(stderr, "sqlpilot complete: --dsn and --schema exclude each other\n");
		return 2;
	}
	if (dsn)
	{
		if (!path)
			path = getenv("SQLPILOT_MODEL");
		if (!path)
		{
			fprintf(stderr, "sqlpilot complete: --model (or SQLPILOT_MODEL) is required\n");
			return 2;
		}
		got = complete_dsn(dsn, path, prefix, timeout_ms, &o, show_schema, out, n_out);
		if (got < 0)
			return 1;
		if (show_schema)
			return 0;
	}
	else
	{
		if (schema_path && !(schema = sqlpilot_read_file(schema_path, &schema_len, err, sizeof(err))))
		{
			fprintf(stderr, "sqlpilot complete: %s\n", err);
			return 1;
		}
		if (load_model(&m, path, "complete") != 0)
		{
			free(schema);
			return 1;
		}
		chosen = choose_schema(&m, schema ? schema : "", schema_len, prefix, o.max_tokens,
							   &chosen_len);
		free(schema);
		if (chosen == NULL)
		{
			sqlpilot_model_free(&m);
			return 1;
		}
		if (show_schema)
		{
			fwrite(chosen, 1, chosen_len, stdout);
			printf("\n");
			free(chosen);
			sqlpilot_model_free(&m);
			return 0;
		}
		if (sqlpilot_runstate_init(&s, &m.config, &m.weights, err, sizeof(err)) != 0)
		{
			fprintf(stderr, "sqlpilot complete: %s\n", err);
			sqlpilot_model_free(&m);
			free(chosen);
			return 1;
		}
		t0 = sqlpilot_now();
		got = sqlpilot_complete(&s, &m.tokenizer, chosen, chosen_len, prefix,
								strlen(prefix), &o, out, n_out, err, sizeof(err));
		if (got < 0)
			fprintf(stderr, "sqlpilot complete: %s\n", got == -2 ? "stopped" : err);
		else
			fprintf(stderr, "(%.1f ms, %ld tokens computed)\n", (sqlpilot_now() - t0) * 1e3,
					s.n_computed);
		sqlpilot_runstate_free(&s);
		sqlpilot_model_free(&m);
		free(chosen);
		if (got < 0)
			return 1;
	}
	if (json)
		print_json(out, got);
	for (int i = 0; !json && i < got; i++)
	{
		if (n_out > 1)
			printf("%.4f\t%s\n", out[i].score, out[i].text);
		else
			printf("%s\n", out[i].text);
	}
	sqlpilot_completion_free(out, got);
	return 0;
}

/* Dispatches on argv[0]: init, info, complete, convert. */
int
sqlpilot_model_main(int argc, char **argv)
{
	if (strcmp(argv[0], "init") == 0)
		return cmd_init(argc, argv);
	if (strcmp(argv[0], "info") == 0)
		return cmd_info(argc, argv);
	if (strcmp(argv[0], "complete") == 0)
		return cmd_complete(argc, argv);
	if (strcmp(argv[0], "convert") == 0)
		return cmd_convert(argc, argv);
	fprintf(stderr, "sqlpilot: unknown model command \"%s\"\n", argv[0]);
	return 2;
}
