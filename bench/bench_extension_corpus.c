/*
 * bench_extension_corpus.c — whole-statement completions through the
 * extension on held-out corpus schemas: how many PREPARE.
 *
 * For the same examples and cuts as `sqlpilot eval --limit N --cuts K --seed S`
 * (the first N usable lines of an eval.jsonl, cuts drawn by eval_draw_cuts, or
 * the line's own "cuts"), each example's tables are loaded into public of the
 * database CONNINFO names (which has the extension) inside a transaction that
 * is rolled back after the example, as written or else converted from
 * CockroachDB's format (eval_pg_schema_ddl, what `eval --pg` loads).  For
 * each cut, sqlpilot_complete(statement[:cut]) runs with the session's
 * settings (PGOPTIONS sets GUCs); a completion that ends the statement (its
 * last non-blank byte is ';') is checked by PREPARE of prefix || completion
 * in a savepoint (TRUNCATE, which cannot be prepared, executed), as eval
 * checks.  Prints the counts and the rate, and the refusals grouped by
 * SQLSTATE; with FAILURES, one line per refusal (tab-separated: example,
 * cut, SQLSTATE, message, prefix, completion) into that file.
 *
 *   bench_extension_corpus CONNINFO INPUT.jsonl [LIMIT [CUTS [SEED [FAILURES]]]]
 *
 * With --latency SETUP_SQL, the same examples and cuts time warm calls of
 * sqlpilot_complete() with sqlpilot.grounding on and off, alternating (which
 * goes first alternates from cut to cut), after SETUP_SQL: one untimed call
 * of the prefix first, so the schema text and its KV cache are reused by
 * both timed calls.  Prints p50/p95 of wall and backend CPU time (first
 * field of /proc/PID/schedstat, which waiting does not inflate) per
 * setting, and the mean paired difference.
 *
 *   bench_extension_corpus --latency SETUP_SQL CONNINFO INPUT.jsonl [LIMIT [CUTS [SEED]]]
 *
 * Unlike eval, an example whose statement alone would not fit the prompt
 * budget is not skipped (eval counts those as "too long"; 0 on the corpus).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <cjson/cJSON.h>
#include <libpq-fe.h>

#include "../eval/eval.h"

#define MAX_CUTS 64
#define MAX_CLASSES 64
#define MAX_TIMED 8192

/* Refusals of one SQLSTATE: how many, and the first message seen. */
typedef struct FailClass
{
	char		sqlstate[6];
	char		sample[200];
	long		n;
} FailClass;

/* The run's counters. */
typedef struct Counts
{
	long		examples,
				loaded,
				cuts,
				errors,			/* sqlpilot_complete raised an error */
				ended,			/* completions that end the statement */
				prepared,
				gold_valid;
	FailClass	classes[MAX_CLASSES];
	int			n_classes;
	/* --latency: wall and CPU ms per timed call, grounding on [0] and off [1] */
	double		wall[2][MAX_TIMED];
	double		cpu[2][MAX_TIMED];
	int			n_timed;
} Counts;

/* Whether this run times grounding on against off (--latency) instead of checking. */
static bool latency_mode;

/* Notice processor that drops notices. */
static void
quiet(void *arg, const char *message)
{
}

/* Runs one command; true when it succeeded. */
static bool
command(PGconn *conn, const char *sql)
{
	PGresult   *r = PQexec(conn, sql);
	bool		ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;

	PQclear(r);
	return ok;
}

/*
 * Opens a transaction with the example's tables in public, as written or
 * converted; false (rolled back) when neither loads.
 */
static bool
load_schema(PGconn *conn, const char *schema)
{
	for (int attempt = 0; attempt < 2; attempt++)
	{
		char	   *ddl = attempt == 0 ? NULL : eval_pg_schema_ddl(schema);
		bool		ok;

		if (attempt == 1 && !ddl)
			return false;
		ok = command(conn, "BEGIN") &&
			command(conn, "SET LOCAL statement_timeout = '30s'") &&
			command(conn, ddl ? ddl : schema);
		free(ddl);
		if (ok)
			return true;
		command(conn, "ROLLBACK");
	}
	return false;
}

/* Counts a refusal under its SQLSTATE. */
static void
count_refusal(Counts *n, const char *sqlstate, const char *message)
{
	FailClass  *fc = NULL;

	for (int i = 0; i < n->n_classes && !fc; i++)
		if (strcmp(n->classes[i].sqlstate, sqlstate) == 0)
			fc = &n->classes[i];
	if (!fc && n->n_classes < MAX_CLASSES)
	{
		fc = &n->classes[n->n_classes++];
		snprintf(fc->sqlstate, sizeof(fc->sqlstate), "%s", sqlstate);
		snprintf(fc->sample, sizeof(fc->sample), "%.199s", message);
		fc->sample[strcspn(fc->sample, "\n")] = '\0';
	}
	if (fc)
		fc->n++;
}

/*
 * Whether PostgreSQL accepts text (PREPARE, or for TRUNCATE executing it) in
 * a savepoint rolled back; a refusal's SQLSTATE and message into state/msg.
 */
static bool
accepts(PGconn *conn, const char *text, char *state, char *msg, size_t msglen)
{
	PGresult   *r;
	bool		ok;
	size_t		p = strspn(text, " \t\r\n\f\v");

	if (!command(conn, "SAVEPOINT bench_corpus"))
		return false;
	if (strncasecmp(text + p, "truncate", 8) == 0)
		r = PQexecParams(conn, text, 0, NULL, NULL, NULL, NULL, 0);
	else
		r = PQprepare(conn, "", text, 0, NULL);
	ok = PQresultStatus(r) == PGRES_COMMAND_OK;
	if (!ok)
	{
		const char *s = PQresultErrorField(r, PG_DIAG_SQLSTATE);
		const char *m = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);

		snprintf(state, 6, "%s", s ? s : "?????");
		snprintf(msg, msglen, "%s", m ? m : "");
	}
	PQclear(r);
	command(conn, "ROLLBACK TO SAVEPOINT bench_corpus");
	return ok;
}

/* Writes s with tabs and newlines as spaces. */
static void
put_flat(FILE *f, const char *s)
{
	for (; *s; s++)
		fputc(*s == '\t' || *s == '\n' || *s == '\r' ? ' ' : *s, f);
}

/* Whether the completion ends the statement: its last non-blank byte is ';'. */
static bool
ends_statement(const char *s)
{
	size_t		n = strlen(s);

	while (n > 0 && strchr(" \t\r\n\f\v", s[n - 1]))
		n--;
	return n > 0 && s[n - 1] == ';';
}

/* On-CPU time of process pid in ms (first field of /proc/PID/schedstat, ns); -1 when unreadable. */
static double
cpu_ms(int pid)
{
	char		path[64];
	unsigned long long ns = 0;
	FILE	   *f;
	int			got;

	snprintf(path, sizeof(path), "/proc/%d/schedstat", pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	got = fscanf(f, "%llu", &ns);
	fclose(f);
	return got == 1 ? ns / 1e6 : -1;
}

/* Wall-clock milliseconds. */
static double
wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* One call of sqlpilot_complete(prefix) with grounding on or off; false on error. */
static bool
complete_with(PGconn *conn, const char *prefix, bool grounding, double *wall, double *cpu)
{
	const char *params[1] = {prefix};
	int			pid = PQbackendPID(conn);
	double		c0,
				w0;
	PGresult   *r;
	bool		ok;

	if (!command(conn, grounding ? "SET sqlpilot.grounding = on" : "SET sqlpilot.grounding = off"))
		return false;
	c0 = cpu_ms(pid);
	w0 = wall_ms();
	r = PQexecParams(conn, "SELECT sqlpilot_complete($1)", 1, NULL, params, NULL, NULL, 0);
	*wall = wall_ms() - w0;
	*cpu = cpu_ms(pid) - c0;
	ok = PQresultStatus(r) == PGRES_TUPLES_OK && c0 >= 0;
	PQclear(r);
	return ok;
}

/*
 * --latency, one cut: an untimed call, then grounding on and off timed in
 * the order the cut's number says.
 */
static void
time_cut(PGconn *conn, const char *prefix, long cut_no, Counts *n)
{
	double		w,
				c,
				wall[2],
				cpu[2];
	bool		ok = complete_with(conn, prefix, true, &w, &c);

	for (int i = 0; i < 2 && ok; i++)
	{
		int			g = (int) ((cut_no + i) % 2);	/* 0: on */

		ok = complete_with(conn, prefix, g == 0, &wall[g], &cpu[g]);
	}
	if (!ok || n->n_timed == MAX_TIMED)
	{
		n->errors++;
		return;
	}
	for (int g = 0; g < 2; g++)
	{
		n->wall[g][n->n_timed] = wall[g];
		n->cpu[g][n->n_timed] = cpu[g];
	}
	n->n_timed++;
}

/*
 * One example: load its tables, complete at each cut, check the ones that
 * end the statement (--latency: time them).
 */
static void
run_example(PGconn *conn, long index, const char *schema, const char *stmt, const size_t *cuts,
			int n_cuts, Counts *n, FILE *fail)
{
	char		state[6];
	char		msg[512];

	n->examples++;
	if (!load_schema(conn, schema))
		return;
	n->loaded++;
	n->gold_valid += accepts(conn, stmt, state, msg, sizeof(msg));
	for (int k = 0; k < n_cuts; k++)
	{
		char	   *prefix = strndup(stmt, cuts[k]);
		const char *params[1] = {prefix};
		PGresult   *r;

		n->cuts++;
		if (prefix && latency_mode)
		{
			time_cut(conn, prefix, n->cuts, n);
			free(prefix);
			continue;
		}
		if (!prefix || !command(conn, "SAVEPOINT bench_complete"))
		{
			free(prefix);
			n->errors++;
			continue;
		}
		r = PQexecParams(conn, "SELECT sqlpilot_complete($1)", 1, NULL, params, NULL, NULL, 0);
		if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1 || PQgetisnull(r, 0, 0))
		{
			if (n->errors++ < 5)
				fprintf(stderr, "example %ld cut %d: %s", index, k, PQresultErrorMessage(r));
			command(conn, "ROLLBACK TO SAVEPOINT bench_complete");
		}
		else if (ends_statement(PQgetvalue(r, 0, 0)))
		{
			const char *comp = PQgetvalue(r, 0, 0);
			size_t		len = strlen(prefix) + strlen(comp);
			char	   *whole = malloc(len + 1);

			n->ended++;
			if (whole)
			{
				snprintf(whole, len + 1, "%s%s", prefix, comp);
				if (accepts(conn, whole, state, msg, sizeof(msg)))
					n->prepared++;
				else
				{
					count_refusal(n, state, msg);
					if (fail)
					{
						fprintf(fail, "%ld\t%d\t%s\t", index, k, state);
						put_flat(fail, msg);
						fputc('\t', fail);
						put_flat(fail, prefix);
						fputc('\t', fail);
						put_flat(fail, comp);
						fputc('\n', fail);
					}
				}
				free(whole);
			}
		}
		PQclear(r);
		free(prefix);
	}
	command(conn, "ROLLBACK");
}

/* Orders doubles ascending. */
static int
cmp_double(const void *a, const void *b)
{
	double		x = *(const double *) a,
				y = *(const double *) b;

	return x < y ? -1 : x > y ? 1 : 0;
}

/* The q-quantile (nearest rank) of v[0..n), sorted in place. */
static double
quantile(double *v, int n, double q)
{
	int			k = (int) (q * n + 0.999999) - 1;

	qsort(v, n, sizeof(double), cmp_double);
	return n == 0 ? 0 : v[k < 0 ? 0 : k >= n ? n - 1 : k];
}

/* --latency: p50/p95 per setting, and the mean paired difference (on - off). */
static void
print_latency(Counts *n)
{
	static const char *const what[2] = {"wall", "cpu"};

	printf("timed cuts %d (errors %ld)\n", n->n_timed, n->errors);
	for (int k = 0; k < 2; k++)
	{
		double	   *on = k == 0 ? n->wall[0] : n->cpu[0];
		double	   *off = k == 0 ? n->wall[1] : n->cpu[1];
		double		diff = 0;
		double		p50[2],
					p95[2];

		for (int i = 0; i < n->n_timed; i++)
			diff += on[i] - off[i];
		diff = n->n_timed ? diff / n->n_timed : 0;
		p50[0] = quantile(on, n->n_timed, 0.50);
		p95[0] = quantile(on, n->n_timed, 0.95);
		p50[1] = quantile(off, n->n_timed, 0.50);
		p95[1] = quantile(off, n->n_timed, 0.95);
		printf("%s ms: grounding on p50 %.2f p95 %.2f; off p50 %.2f p95 %.2f; "
			   "p95 on - off %+.2f; mean paired on - off %+.3f\n",
			   what[k], p50[0], p95[0], p50[1], p95[1], p95[0] - p95[1], diff);
	}
}

/* Orders refusal classes by count, most first. */
static int
cmp_class(const void *a, const void *b)
{
	long		na = ((const FailClass *) a)->n,
				nb = ((const FailClass *) b)->n;

	return na < nb ? 1 : na > nb ? -1 : 0;
}

int
main(int argc, char **argv)
{
	const char *setup = NULL;
	long		limit;
	int			n_cuts_opt;
	unsigned long long seed;
	FILE	   *in;
	FILE	   *fail = NULL;
	PGconn	   *conn;
	Counts	   *n = calloc(1, sizeof(Counts));
	char	   *line = NULL;
	size_t		cap = 0;
	long		next_index = 0;

	if (argc > 2 && strcmp(argv[1], "--latency") == 0)
	{
		latency_mode = true;
		setup = argv[2];
		argc -= 2;
		argv += 2;
	}
	limit = argc > 3 ? atol(argv[3]) : 100;
	n_cuts_opt = argc > 4 ? atoi(argv[4]) : 4;
	seed = argc > 5 ? strtoull(argv[5], NULL, 10) : 0;
	if (argc < 3 || argc > (latency_mode ? 6 : 7) || n_cuts_opt < 1 || n_cuts_opt > MAX_CUTS || !n)
	{
		fprintf(stderr, "usage: bench_extension_corpus [--latency SETUP_SQL] CONNINFO INPUT.jsonl "
				"[LIMIT [CUTS [SEED [FAILURES]]]]\n");
		return 2;
	}
	in = fopen(argv[2], "r");
	if (!in)
	{
		perror(argv[2]);
		return 1;
	}
	if (argc > 6 && !(fail = fopen(argv[6], "w")))
	{
		perror(argv[6]);
		return 1;
	}
	conn = PQconnectdb(argv[1]);
	if (PQstatus(conn) != CONNECTION_OK)
	{
		fprintf(stderr, "cannot connect: %s", PQerrorMessage(conn));
		return 1;
	}
	PQsetNoticeProcessor(conn, quiet, NULL);
	if (setup && !command(conn, setup))
	{
		fprintf(stderr, "setup failed: %s", PQerrorMessage(conn));
		return 1;
	}
	while (next_index < limit && getline(&line, &cap, in) > 0)
	{
		cJSON	   *j = cJSON_Parse(line);
		const cJSON *schema = cJSON_GetObjectItemCaseSensitive(j, "schema");
		const cJSON *stmt = cJSON_GetObjectItemCaseSensitive(j, "statement");
		const cJSON *given = cJSON_GetObjectItemCaseSensitive(j, "cuts");
		size_t		cuts[MAX_CUTS];
		int			k = 0;
		long		index;
		bool		usable;

		/* usable as eval reads it: an object with a schema and a statement (then valid cuts) */
		if (!cJSON_IsObject(j) || !cJSON_IsString(schema) || !schema->valuestring[0] ||
			!cJSON_IsString(stmt) || !stmt->valuestring[0])
		{
			cJSON_Delete(j);
			continue;
		}
		index = next_index++;
		usable = !given || cJSON_IsArray(given);
		if (usable && given)
		{
			size_t		len = strlen(stmt->valuestring);

			for (const cJSON *c = given->child; c && usable; c = c->next)
			{
				usable = cJSON_IsNumber(c) && c->valuedouble >= 0 &&
					c->valuedouble <= (double) len && k < MAX_CUTS;
				if (usable)
					cuts[k++] = eval_utf8_start(stmt->valuestring, len, (size_t) c->valuedouble);
			}
		}
		if (usable)
		{
			if (!given)
			{
				k = n_cuts_opt;
				eval_draw_cuts(seed, (uint64_t) index, stmt->valuestring,
							   strlen(stmt->valuestring), k, cuts);
			}
			run_example(conn, index, schema->valuestring, stmt->valuestring, cuts, k, n, fail);
			fprintf(stderr, "\r%ld examples, %ld ended, %ld prepared", n->examples, n->ended,
					n->prepared);
		}
		cJSON_Delete(j);
	}
	fprintf(stderr, "\n");
	if (latency_mode)
		print_latency(n);
	else
	{
		printf("examples %ld (schema loaded %ld), cuts %ld, sqlpilot_complete errors %ld\n",
			   n->examples, n->loaded, n->cuts, n->errors);
		printf("gold statements that PREPARE: %ld of %ld\n", n->gold_valid, n->loaded);
		printf("completions that end the statement: %ld; PREPARE: %ld (%.4f)\n", n->ended,
			   n->prepared, n->ended ? (double) n->prepared / (double) n->ended : 0.0);
		qsort(n->classes, n->n_classes, sizeof(FailClass), cmp_class);
		for (int i = 0; i < n->n_classes; i++)
			printf("refused %s x%ld, e.g. %s\n", n->classes[i].sqlstate, n->classes[i].n,
				   n->classes[i].sample);
	}
	free(line);
	fclose(in);
	if (fail)
		fclose(fail);
	PQfinish(conn);
	free(n);
	return 0;
}
