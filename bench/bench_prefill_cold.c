/*
 * bench_prefill_cold.c — the model part of a cold sqlpilot_complete(): a
 * fresh process maps a model file, sets up its run state, runs a prompt
 * through it and decodes a few tokens, as a new PostgreSQL backend does on
 * its first call (the backend is forked from a postmaster that has not
 * touched the model; so is each child here).
 *
 *   build/bench/bench_prefill_cold [--snapshot DIR] MODEL N [PROMPT_TOKENS [DECODE_TOKENS]]
 *
 * Runs N children one after the other; each reports the CPU time (its own,
 * CLOCK_PROCESS_CPUTIME_ID, so page faults count and other processes do not)
 * of: load (sqlpilot_model_load: read + verify into private memory, or with
 * --snapshot sqlpilot_model_load_snapshot: mapped from a verified snapshot in
 * DIR, as the extension loads it), init (run state), prefill
 * (sqlpilot_infer_feed of PROMPT_TOKENS ids, default 386, the extension
 * benchmark's prompt), decode (DECODE_TOKENS one-token steps, default 15)
 * and, in the same child again, a warm prefill of the same prompt (cache
 * emptied first, pages already touched).  Prints p50 / p95 / mean of each
 * in milliseconds and the mean minor page faults, one line per phase, for
 * scripts to compare builds (a page fault costs ~16 us in this VM: touching
 * 16 MB of fresh 4 kB pages took 66 ms of CPU, of 2 MB pages 7 ms).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "infer.h"
#include "model.h"
#include "util.h"

#define PHASES 5

static const char *const phase_names[PHASES] = {"load", "init", "prefill", "decode", "prefill_warm"};

/* Minor page faults of this process so far. */
static long
minor_faults(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_minflt;
}

/* CPU time of this process in milliseconds. */
static double
cpu_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec * 1e-6;
}

/*
 * One cold run in this (fresh) process: the phases' CPU ms into out, their
 * minor page faults into faults; exits on error.
 */
static void
cold_run(const char *path, const char *snapshot, int n_prompt, int n_decode, double *out, double *faults)
{
	SqlpilotModel m;
	SqlpilotRunState s;
	char		err[512];
	int		   *ids;
	double		t;
	long		f;

	t = cpu_ms();
	f = minor_faults();
	if ((snapshot ? sqlpilot_model_load_snapshot(&m, path, snapshot, err, sizeof(err)) :
		 sqlpilot_model_load(&m, path, err, sizeof(err))) != 0)
	{
		fprintf(stderr, "bench_prefill_cold: %s\n", err);
		exit(1);
	}
	out[0] = cpu_ms() - t;
	faults[0] = (double) (minor_faults() - f);
	if (n_prompt + n_decode > m.config.seq_len)
	{
		fprintf(stderr, "bench_prefill_cold: %d + %d tokens exceed the context (%d)\n",
				n_prompt, n_decode, m.config.seq_len);
		exit(1);
	}
	ids = malloc(sizeof(int) * (size_t) (n_prompt + n_decode));
	if (!ids)
		exit(1);
	for (int i = 0; i < n_prompt + n_decode; i++)
		ids[i] = (int) ((i * 2654435761u) % (unsigned) m.config.vocab_size);
	t = cpu_ms();
	f = minor_faults();
	if (sqlpilot_runstate_init(&s, &m.config, &m.weights, err, sizeof(err)) != 0)
	{
		fprintf(stderr, "bench_prefill_cold: %s\n", err);
		exit(1);
	}
	out[1] = cpu_ms() - t;
	faults[1] = (double) (minor_faults() - f);
	t = cpu_ms();
	f = minor_faults();
	if (sqlpilot_infer_feed(&s, ids, n_prompt) < 0)
		exit(1);
	out[2] = cpu_ms() - t;
	faults[2] = (double) (minor_faults() - f);
	t = cpu_ms();
	f = minor_faults();
	for (int i = 0; i < n_decode; i++)
		if (sqlpilot_infer_step(&s, ids[n_prompt + i]) != 0)
			exit(1);
	out[3] = cpu_ms() - t;
	faults[3] = (double) (minor_faults() - f);
	sqlpilot_infer_truncate(&s, 0);
	t = cpu_ms();
	f = minor_faults();
	if (sqlpilot_infer_feed(&s, ids, n_prompt) < 0)
		exit(1);
	out[4] = cpu_ms() - t;
	faults[4] = (double) (minor_faults() - f);
	sqlpilot_runstate_free(&s);
	sqlpilot_model_free(&m);
	free(ids);
}

/* qsort comparison of doubles. */
static int
cmp_double(const void *a, const void *b)
{
	double		x = *(const double *) a,
				y = *(const double *) b;

	return x < y ? -1 : x > y;
}

int
main(int argc, char **argv)
{
	int			n,
				n_prompt = 386,
				n_decode = 15;
	const char *snapshot = NULL;
	double	   *res;
	double	   *flt;

	if (argc > 2 && strcmp(argv[1], "--snapshot") == 0)
	{
		snapshot = argv[2];
		argc -= 2;
		argv += 2;
	}
	if (argc < 3)
	{
		fprintf(stderr, "usage: bench_prefill_cold [--snapshot DIR] MODEL N [PROMPT_TOKENS [DECODE_TOKENS]]\n");
		return 2;
	}
	n = atoi(argv[2]);
	if (argc > 3)
		n_prompt = atoi(argv[3]);
	if (argc > 4)
		n_decode = atoi(argv[4]);
	if (n < 1 || n_prompt < 1 || n_decode < 0)
		return 2;
	res = malloc(sizeof(double) * PHASES * (size_t) n);
	flt = malloc(sizeof(double) * PHASES * (size_t) n);
	if (!res || !flt)
		return 1;
	for (int r = 0; r < n; r++)
	{
		int			fd[2];
		pid_t		pid;
		int			status;
		double		one[2 * PHASES];

		if (pipe(fd) != 0 || (pid = fork()) < 0)
			return 1;
		if (pid == 0)
		{
			close(fd[0]);
			cold_run(argv[1], snapshot, n_prompt, n_decode, one, one + PHASES);
			if (write(fd[1], one, sizeof(one)) != (ssize_t) sizeof(one))
				_exit(1);
			_exit(0);
		}
		close(fd[1]);
		if (read(fd[0], one, sizeof(one)) != (ssize_t) sizeof(one) ||
			waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		{
			fprintf(stderr, "bench_prefill_cold: run %d failed\n", r);
			return 1;
		}
		close(fd[0]);
		for (int p = 0; p < PHASES; p++)
		{
			res[p * n + r] = one[p];
			flt[p * n + r] = one[PHASES + p];
		}
	}
	for (int p = 0; p < PHASES; p++)
	{
		double	   *v = res + (size_t) p * n;
		double		sum = 0.0,
					faults = 0.0;

		for (int r = 0; r < n; r++)
		{
			sum += v[r];
			faults += flt[(size_t) p * n + r];
		}
		qsort(v, (size_t) n, sizeof(double), cmp_double);
		printf("%s p50 %.2f p95 %.2f mean %.2f n %d faults %.0f\n", phase_names[p], v[n / 2],
			   v[(int) (0.95 * (n - 1) + 0.5)], sum / n, n, faults / n);
	}
	free(res);
	free(flt);
	return 0;
}
