/*
 * bench_extension.c — latency of sqlpilot_complete() through libpq.
 *
 *   bench_extension [--warm | --cold] [--query SQL] CONNINFO N SETUP_SQL PREFIX...
 *
 * cold (not with --warm): N times a new connection (a new backend: model mapped, catalog read,
 *       whole prompt run), timing only the first sqlpilot_complete() call;
 * warm (not with --cold): one connection, one untimed call, then N calls cycling through the
 *       prefixes (schema and its KV cache reused, the prefix part recomputed).
 * SETUP_SQL runs on every connection first (e.g. SET sqlpilot.model_path).
 * --query times another query of the prefix ($1), e.g.
 * "SELECT count(*) FROM sqlpilot_completions($1, 5)"; the default is
 * "SELECT sqlpilot_complete($1)".
 * Prints two lines per mode, p50, p95 and mean in milliseconds: wall time
 * seen by the client, and on-CPU time of the backend (from
 * /proc/PID/schedstat), which other load on the machine does not inflate.
 * Driven by bench/bench_extension.sh, which sets up the server.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "util.h"

/* Connects and runs the setup; exits on failure (a benchmark, not core code). */
static PGconn *
connect_or_die(const char *conninfo, const char *setup)
{
	PGconn	   *conn = PQconnectdb(conninfo);
	PGresult   *res;

	if (PQstatus(conn) != CONNECTION_OK)
	{
		fprintf(stderr, "bench_extension: %s", PQerrorMessage(conn));
		exit(1);
	}
	res = PQexec(conn, setup);
	if (PQresultStatus(res) != PGRES_COMMAND_OK && PQresultStatus(res) != PGRES_TUPLES_OK)
	{
		fprintf(stderr, "bench_extension: setup failed: %s", PQerrorMessage(conn));
		exit(1);
	}
	PQclear(res);
	return conn;
}

/* On-CPU time of process pid in milliseconds (first field of /proc/PID/schedstat, ns). */
static double
cpu_ms(int pid)
{
	char		path[64];
	unsigned long long ns = 0;
	FILE	   *f;

	snprintf(path, sizeof(path), "/proc/%d/schedstat", pid);
	f = fopen(path, "r");
	if (f == NULL || fscanf(f, "%llu", &ns) != 1)
	{
		fprintf(stderr, "bench_extension: cannot read %s\n", path);
		exit(1);
	}
	fclose(f);
	return ns / 1e6;
}

/* The query timed, of the prefix as $1 (--query). */
static const char *timed_query = "SELECT sqlpilot_complete($1)";

/* Runs one completion; returns its wall time and sets *cpu to the backend's CPU time (ms). */
static double
timed_complete(PGconn *conn, const char *prefix, double *cpu)
{
	const char *params[1] = {prefix};
	int			pid = PQbackendPID(conn);
	double		c0 = cpu_ms(pid);
	double		t0 = sqlpilot_now();
	PGresult   *res = PQexecParams(conn, timed_query, 1, NULL, params,
								   NULL, NULL, 0);
	double		ms = (sqlpilot_now() - t0) * 1000.0;

	*cpu = cpu_ms(pid) - c0;

	if (PQresultStatus(res) != PGRES_TUPLES_OK)
	{
		fprintf(stderr, "bench_extension: %s", PQerrorMessage(conn));
		exit(1);
	}
	PQclear(res);
	return ms;
}

/* qsort comparison of doubles. */
static int
cmp_double(const void *a, const void *b)
{
	double		x = *(const double *) a;
	double		y = *(const double *) b;

	return (x > y) - (x < y);
}

/* Prints p50, p95 and mean of n samples (sorts them). */
static void
report(const char *mode, double *ms, int n)
{
	double		sum = 0;

	qsort(ms, n, sizeof(double), cmp_double);
	for (int i = 0; i < n; i++)
		sum += ms[i];
	printf("%s p50 %.2f p95 %.2f mean %.2f n %d\n", mode, ms[n / 2],
		   ms[(int) (0.95 * (n - 1) + 0.5)], sum / n, n);
}

int
main(int argc, char **argv)
{
	int			n;
	double	   *ms;
	double	   *cpu;
	double		ignored;
	PGconn	   *conn;
	int			n_prefixes;
	bool		warm_only = false;
	bool		cold_only = false;

	while (argc > 1 && strncmp(argv[1], "--", 2) == 0)
	{
		if (strcmp(argv[1], "--warm") == 0)
			warm_only = true;
		else if (strcmp(argv[1], "--cold") == 0)
			cold_only = true;
		else if (strcmp(argv[1], "--query") == 0 && argc > 2)
		{
			timed_query = argv[2];
			argc--;
			argv++;
		}
		else
			break;
		argc--;
		argv++;
	}
	if (argc < 5)
	{
		fprintf(stderr, "usage: bench_extension [--warm | --cold] [--query SQL] CONNINFO N SETUP_SQL PREFIX...\n");
		return 2;
	}
	n = atoi(argv[2]);
	n_prefixes = argc - 4;
	if (n < 1)
		return 2;
	ms = malloc(sizeof(double) * n);
	cpu = malloc(sizeof(double) * n);

	for (int i = 0; i < n && !warm_only; i++)
	{
		conn = connect_or_die(argv[1], argv[3]);
		ms[i] = timed_complete(conn, argv[4 + i % n_prefixes], &cpu[i]);
		PQfinish(conn);
	}
	if (!warm_only)
	{
		report("cold", ms, n);
		report("cold_cpu", cpu, n);
	}
	if (cold_only)
	{
		free(ms);
		free(cpu);
		return 0;
	}

	conn = connect_or_die(argv[1], argv[3]);
	timed_complete(conn, argv[4], &ignored);
	for (int i = 0; i < n; i++)
		ms[i] = timed_complete(conn, argv[4 + i % n_prefixes], &cpu[i]);
	PQfinish(conn);
	report("warm", ms, n);
	report("warm_cpu", cpu, n);
	free(ms);
	free(cpu);
	return 0;
}
