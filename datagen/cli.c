/*
 * cli.c — `sqlpilot datagen`: the entry point of the data generator.
 *
 *   sqlpilot datagen all --out data --seed 1 --schemas 20000
 *   sqlpilot datagen topics|details|schemas|statements|raw|stats|check [options]
 *
 * Parses the options, reconciles them with the output directory's manifest,
 * starts a throwaway PostgreSQL server when a stage needs one and no --pg is
 * given, and runs the stages (datagen/pipeline/pipeline_stages.c).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "datagen.h"
#include "import.h"
#include "pipeline.h"
#include "stats.h"
#include "util.h"
#include "validate.h"

/* The throwaway server, so a signal handler can stop it (only in the process that started it). */
static DatagenServer server;
static pid_t server_owner;

/* Prints the usage text. */
static void
usage(FILE *f)
{
	fprintf(f,
			"usage: sqlpilot datagen STAGE [options]\n"
			"stages: all, or one of topics details schemas statements raw (in that order),\n"
			"        stats (distribution vs. the reference), check (re-validate a sample of raw/),\n"
			"        import --from DIR (an LLM-written corpus in the public SQLPilot data/ layout)\n"
			"options:\n"
			"  --out DIR          output directory (default data)\n"
			"  --seed N           seed (default 1)\n"
			"  --schemas N        number of schemas (default %d)\n"
			"  --per-schema N     statements generated per schema (default %d)\n"
			"  --shard-size N     schemas per shard file (default %d)\n"
			"  --eval-every N     hold schema k out for eval/ when k %% N == N-1 (default %d, 0: none)\n"
			"  --shard I/N        do only the shards whose number is I modulo N\n"
			"  --jobs N           worker processes (default %d)\n"
			"  --pg CONNINFO      validate on this server (default: start a throwaway one)\n"
			"  --progress, --no-progress   updating progress line (default: when stderr is a tty)\n"
			"  --sample N         check: schemas per shard to re-validate (default 5, 0: all)\n"
			"  --from DIR         import: the corpus (a clone of the public repository, or its data/)\n"
			"  --holdout-mod M    import: hold out use case d when d %% M == R (default 0: none)\n"
			"  --holdout-rem R    import: see --holdout-mod (default 0)\n"
			"  --limit N          import: only the first N use cases (default 0: all)\n"
			"seed, schemas, per-schema, shard-size and eval-every are kept in DIR/manifest.json.\n",
			DATAGEN_DEFAULT_SCHEMAS, DATAGEN_DEFAULT_PER_SCHEMA, DATAGEN_DEFAULT_SHARD_SIZE,
			DATAGEN_DEFAULT_EVAL_EVERY, DATAGEN_DEFAULT_JOBS);
	datagen_llm_usage(f);
}

/* On SIGINT/SIGTERM: stop the throwaway server and remove its directory, then die of the signal. */
static void
on_signal(int sig)
{
	if (server.pid > 0 && getpid() == server_owner)
	{
		kill(server.pid, SIGQUIT);
		for (int i = 0; i < 100 && waitpid(server.pid, NULL, WNOHANG) == 0; i++)
			usleep(20000);
		server.pid = 0;
		datagen_server_stop(&server);
	}
	signal(sig, SIG_DFL);
	raise(sig);
}

/* Parses a non-negative integer option value; -1 if malformed. */
static long
parse_count(const char *s)
{
	char	   *end;
	long		v;

	if (!s || !*s)
		return -1;
	v = strtol(s, &end, 10);
	return *end || v < 0 ? -1 : v;
}

/* Starts the throwaway server unless --pg was given; *conninfo gets what to connect to. */
static int
need_server(const DatagenOptions *o, const char **conninfo, char *err, size_t errlen)
{
	if (o->pg)
	{
		*conninfo = o->pg;
		return 0;
	}
	if (server.pid > 0)
	{
		*conninfo = server.conninfo;
		return 0;
	}
	server_owner = getpid();
	if (datagen_server_start(&server, err, errlen) != 0)
		return -1;
	fprintf(stderr, "started a throwaway PostgreSQL server in %s (use --pg CONNINFO to use your own)\n",
			server.dir);
	*conninfo = server.conninfo;
	return 0;
}

/* Runs one named stage (or all of them, or stats/check/import). */
static int
run_stage(const char *stage, DatagenOptions *o, const DatagenImportOptions *io, char *err, size_t errlen)
{
	bool		all = strcmp(stage, "all") == 0;
	const char *conninfo = NULL;
	long		validated = 0;
	double		t0 = sqlpilot_now();

	if (strcmp(stage, "stats") == 0)
		return datagen_stats_print(o->out, stdout, err, errlen);
	if (strcmp(stage, "import") == 0)
	{
		if (!io->from)
		{
			snprintf(err, errlen, "import needs --from DIR");
			return -1;
		}
		if (o->eval_every >= 0 || o->n_schemas >= 0 || o->per_schema >= 0)
		{
			snprintf(err, errlen, "import takes its schemas and statements from --from and its held-out "
					 "set from --holdout-mod/--holdout-rem, not --schemas, --per-schema or --eval-every");
			return -1;
		}
		if (need_server(o, &conninfo, err, errlen) != 0)
			return -1;
		return datagen_import(o, io, conninfo, err, errlen);
	}
	if (datagen_manifest(o, err, errlen) != 0)
		return -1;
	if (strcmp(stage, "check") == 0)
	{
		long		checked,
					rejected;

		if (need_server(o, &conninfo, err, errlen) != 0)
			return -1;
		if (datagen_check(o, conninfo, &checked, &rejected, err, errlen) != 0)
			return -1;
		printf("checked %ld statements with PostgreSQL: %ld rejected\n", checked, rejected);
		if (rejected > 0)
		{
			snprintf(err, errlen, "%ld of %ld re-checked statements were rejected", rejected, checked);
			return -1;
		}
		return 0;
	}
	if ((all || strcmp(stage, "topics") == 0) && datagen_stage_topics(o, err, errlen) != 0)
		return -1;
	if ((all || strcmp(stage, "details") == 0) && datagen_stage_details(o, err, errlen) != 0)
		return -1;
	if (all || strcmp(stage, "schemas") == 0)
	{
		/* LLM schemas must load into PostgreSQL */
		if (o->llm.url && o->llm_mix > 0 && need_server(o, &conninfo, err, errlen) != 0)
			return -1;
		if (datagen_stage_schemas(o, conninfo, err, errlen) != 0)
			return -1;
	}
	if (all || strcmp(stage, "statements") == 0)
	{
		if (datagen_shards_pending(o, "diverse_statements") > 0 &&
			need_server(o, &conninfo, err, errlen) != 0)
			return -1;
		if (datagen_stage_statements(o, conninfo, &validated, err, errlen) != 0)
			return -1;
	}
	if ((all || strcmp(stage, "raw") == 0) && datagen_stage_raw(o, err, errlen) != 0)
		return -1;
	if (all && validated > 0)
	{
		double		t = sqlpilot_now() - t0;

		fprintf(stderr, "all        %ld statements validated by PostgreSQL in %.1f s: %.0f/s end to end\n",
				validated, t, validated / t);
	}
	return 0;
}

/* Entry point: argv[0] is "datagen", argv[1] the stage. */
int
sqlpilot_datagen_main(int argc, char **argv)
{
	static const char *const stages[] = {"all", "topics", "details", "schemas", "statements",
	"raw", "stats", "check", "import"};
	DatagenOptions o = {
		.out = "data", .seed = UINT64_MAX, .n_schemas = -1, .per_schema = -1,
		.shard_size = -1, .eval_every = -1, .shard_i = 0, .shard_n = 1,
		.jobs = DATAGEN_DEFAULT_JOBS, .pg = NULL, .progress = isatty(2), .check_sample = 5,
	};
	DatagenImportOptions io = {NULL, 0, 0, 0};
	const char *stage;
	char		err[2048] = "";
	char		llm_dir[4096];
	bool		known = false;
	int			rc;

	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)
	{
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	datagen_llm_options_default(&o.llm);
	o.llm_mix = 1;
	stage = argv[1];
	for (size_t i = 0; i < sizeof(stages) / sizeof(stages[0]); i++)
		known |= strcmp(stage, stages[i]) == 0;
	if (!known)
	{
		fprintf(stderr, "sqlpilot datagen: unknown stage \"%s\"\n", stage);
		usage(stderr);
		return 2;
	}
	for (int i = 2; i < argc; i++)
	{
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		long		n = parse_count(v);
		bool		bad = false;

		if (strcmp(a, "--progress") == 0 || strcmp(a, "--no-progress") == 0)
		{
			o.progress = strcmp(a, "--progress") == 0;
			continue;
		}
		if (strcmp(a, "--help") == 0)
		{
			usage(stdout);
			return 0;
		}
		{
			int			used = datagen_llm_option(&o.llm, &o.llm_mix, a, v, err, sizeof(err));

			if (used < 0)
			{
				fprintf(stderr, "sqlpilot datagen: %s\n", err);
				return 2;
			}
			if (used > 0)
			{
				i += used - 1;
				continue;
			}
		}
		if (!v)
		{
			fprintf(stderr, "sqlpilot datagen: %s needs a value\n", a);
			return 2;
		}
		if (strcmp(a, "--out") == 0)
			o.out = v;
		else if (strcmp(a, "--pg") == 0)
			o.pg = v;
		else if (strcmp(a, "--from") == 0)
			io.from = v;
		else if (strcmp(a, "--holdout-mod") == 0)
			io.holdout_mod = (int) n;
		else if (strcmp(a, "--holdout-rem") == 0)
			io.holdout_rem = (int) n;
		else if (strcmp(a, "--limit") == 0)
			io.limit = n;
		else if (strcmp(a, "--shard") == 0)
		{
			if (sscanf(v, "%d/%d", &o.shard_i, &o.shard_n) != 2 || o.shard_n < 1 ||
				o.shard_i < 0 || o.shard_i >= o.shard_n)
			{
				fprintf(stderr, "sqlpilot datagen: --shard wants I/N with 0 <= I < N, not \"%s\"\n", v);
				return 2;
			}
		}
		else if (strcmp(a, "--seed") == 0)
		{
			char	   *end;

			/* manifest.json keeps it as a JSON number: exact below 2^53. */
			o.seed = strtoull(v, &end, 10);
			if (!*v || *end || *v == '-' || o.seed >= (1ULL << 53))
			{
				fprintf(stderr, "sqlpilot datagen: --seed wants an integer in [0, 2^53), not \"%s\"\n", v);
				return 2;
			}
		}
		else if (strcmp(a, "--schemas") == 0)
			o.n_schemas = n;
		else if (strcmp(a, "--per-schema") == 0)
			o.per_schema = (int) n;
		else if (strcmp(a, "--shard-size") == 0)
			o.shard_size = (int) n;
		else if (strcmp(a, "--eval-every") == 0)
			o.eval_every = (int) n;
		else if (strcmp(a, "--jobs") == 0)
		{
			o.jobs = (int) n;
			bad = n < 1 || n > DATAGEN_MAX_JOBS;
		}
		else if (strcmp(a, "--sample") == 0)
			o.check_sample = (int) n;
		else
		{
			fprintf(stderr, "sqlpilot datagen: unknown option \"%s\"\n", a);
			usage(stderr);
			return 2;
		}
		if (bad || (n < 0 && strcmp(a, "--seed") != 0 && strcmp(a, "--out") != 0 &&
					strcmp(a, "--pg") != 0 && strcmp(a, "--shard") != 0 && strcmp(a, "--from") != 0))
		{
			fprintf(stderr, "sqlpilot datagen: bad value for %s: \"%s\"\n", a, v);
			return 2;
		}
		i++;
	}

	if (o.llm.url)
	{
		if (!o.llm.model)
		{
			fprintf(stderr, "sqlpilot datagen: --llm-url needs --model\n");
			return 2;
		}
		snprintf(llm_dir, sizeof(llm_dir), "%s/llm", o.out);
		o.llm.dir = llm_dir;
	}
	else if (o.llm.model)
	{
		fprintf(stderr, "sqlpilot datagen: --model needs --llm-url\n");
		return 2;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_signal);
	rc = run_stage(stage, &o, &io, err, sizeof(err));
	if (server.pid > 0)
		datagen_server_stop(&server);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	if (rc != 0)
	{
		fprintf(stderr, "sqlpilot datagen %s: %s\n", stage, err);
		return 1;
	}
	return 0;
}
