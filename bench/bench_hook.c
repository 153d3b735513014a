/*
 * bench_hook.c — latency of TAB in sqlpilot-psql's client mode, measured on
 * the code the hook runs (client/session.c): the first TAB of a new psql
 * (model load, version and catalog queries, prompt, completion from a cold
 * KV cache) and later TABs while typing (one more character each: the
 * schema's KV cache reused).  K completions (beam width K) of 16 tokens:
 * the hook asks for 5 (SQLPILOT_PSQL_N).  Prints one markdown table row per
 * measure, or with "raw" every sample as a line "what wall_ms cpu_ms" (what:
 * read, first, later; bench_hook_ab.sh pools them across processes).
 *   bench_hook CONNINFO MODEL LABEL [N [K [raw]]]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../client/pq.h"
#include "../client/session.h"
#include "bench_util.h"

#define BENCH_MAX_COMPLETIONS 16

/* Completions per TAB (beam width). */
static int	n_completions = 5;

/* Prints "| label | K | what | p50 | p95 | cpu p50 | cpu p95 |" of ms[0..n) and cpu[0..n). */
static void
Row(const char *label, const char *what, double *ms, double *cpu, int n)
{
			printf("| %s | %d | %s | %.2f | %.2f | %.2f | %.2f |\n", label, n_completions, what,
		   bench_quantile(ms, n, 0.5), bench_quantile(ms, n, 0.95), bench_quantile(cpu, n, 0.5), bench_quantile(cpu, n, 0.95));
}

/* One completion of prefix; exits on error. */
static void
Complete(SqlpilotClient *c, const char *prefix)
{
	SqlpilotCompletion out[BENCH_MAX_COMPLETIONS];
	char		err[512];
	int			got = sqlpilot_client_complete(c, prefix, n_completions, out, err, sizeof(err));

	if (got < 0)
	{
		fprintf(stderr, "bench_hook: %s\n", err);
		exit(1);
	}
	sqlpilot_completion_free(out, got);
}

int
main(int argc, char **argv)
{
	const char *base = "SELECT o.id, c.email FROM orders o JOIN customers c ON ";
	const char *typed = "c.id = o.customer_id WHERE o.status = 'new' AND ";
	int			n = argc > 4 ? atoi(argv[4]) : 20;
	double	   *first;
	double	   *read;
	double	   *later;
	double	   *cpu[3];
	char		err[512];

	if (argc > 5)
		n_completions = atoi(argv[5]);
	if (argc < 4 || n < 1 || n_completions < 1 || n_completions > BENCH_MAX_COMPLETIONS)
	{
		fprintf(stderr, "usage: bench_hook CONNINFO MODEL LABEL [N [K [raw]]]   (K 1..16)\n");
		return 2;
	}
	first = malloc(sizeof(double) * n);
	read = malloc(sizeof(double) * n);
	later = malloc(sizeof(double) * n);
	for (int k = 0; k < 3; k++)
		cpu[k] = malloc(sizeof(double) * n);
	if (first == NULL || read == NULL || later == NULL || !cpu[0] || !cpu[1] || !cpu[2])
		return 1;
	for (int i = 0; i < n; i++)
	{
		SqlpilotClient c;
		PGconn	   *conn = PQconnectdb(argv[1]);	/* psql's connection: not timed */
		double		t0;
		double		t1;
		double		c0;
		double		c1;
		char		prefix[512];

		if (PQstatus(conn) != CONNECTION_OK)
		{
			fprintf(stderr, "bench_hook: %s", PQerrorMessage(conn));
			return 1;
		}
		t0 = sqlpilot_pq_now_ms();
		c0 = bench_cpu_ms();
		if (sqlpilot_client_open(&c, argv[2], err, sizeof(err)) != 0 ||
			sqlpilot_client_refresh(&c, conn, 60000, 2000, sqlpilot_pq_now_ms() + 2000,
									err, sizeof(err)) != SQLPILOT_READ_OK)
		{
			fprintf(stderr, "bench_hook: %s\n", err);
			return 1;
		}
		if (sqlpilot_client_warm(&c, n_completions, err, sizeof(err)) != 0)
		{
			fprintf(stderr, "bench_hook: %s\n", err);
			return 1;
		}
		t1 = sqlpilot_pq_now_ms();
		c1 = bench_cpu_ms();
		Complete(&c, base);
		first[i] = sqlpilot_pq_now_ms() - t1;
		cpu[1][i] = bench_cpu_ms() - c1;
		read[i] = t1 - t0;
		cpu[0][i] = c1 - c0;
		/* later TABs: the i-th sample types i + 1 more characters */
		snprintf(prefix, sizeof(prefix), "%s%.*s", base, (int) ((i % strlen(typed)) + 1), typed);
		t0 = sqlpilot_pq_now_ms();
		c0 = bench_cpu_ms();
		Complete(&c, prefix);
		later[i] = sqlpilot_pq_now_ms() - t0;
		cpu[2][i] = bench_cpu_ms() - c0;
		sqlpilot_client_close(&c);
		PQfinish(conn);
	}
	if (argc > 6 && strcmp(argv[6], "raw") == 0)
	{
		for (int i = 0; i < n; i++)
			printf("read %.4f %.4f\nfirst %.4f %.4f\nlater %.4f %.4f\n", read[i], cpu[0][i],
				   first[i], cpu[1][i], later[i], cpu[2][i]);
	}
	else
	{
		Row(argv[3], "at psql's prompt, before any TAB: model load + schema read + schema run",
			read, cpu[0], n);
		Row(argv[3], "first TAB (the typed text run, completion)", first, cpu[1], n);
		Row(argv[3], "later TAB (one more character typed)", later, cpu[2], n);
	}
	for (int k = 0; k < 3; k++)
		free(cpu[k]);
	free(first);
	free(read);
	free(later);
	return 0;
}
