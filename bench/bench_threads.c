/*
 * bench_threads.c — what a second thread would give the two kinds of work
 * that could take one outside PostgreSQL (issue #14: "use the second vCPU
 * where it pays"), measured before any threading is written into the core:
 *
 *   decode: one token's matrix-vector products of a preset (f16 weights,
 *     as the CLI runs the shipped model): every layer's wq, wk, wv, wo, w1,
 *     w3, w2 and the output head, each split by rows between the threads,
 *     which meet at a spin barrier after each matrix (a token's products
 *     depend on one another; the barrier is the least a real split needs);
 *   gemm: the trainer's linear-layer products (x @ W^T forward, dW =
 *     dout^T @ x backward) through sqlpilot_gemm with
 *     sqlpilot_gemm_set_threads(1) and (2) (core/gemm.c splits C's columns,
 *     or its rows for dW, between the caller and one helper thread).
 *
 *   build/bench/bench_threads [ROUNDS [SECONDS]]
 *
 * Each case runs with one thread and with two, alternated (1, 2, 1, 2 ...)
 * ROUNDS times (default 5) for about SECONDS each (default 0.3), and prints
 * the median rate of each and their ratio.  Rates are per second of wall
 * time (two threads' CPU time would count twice): run it on a quiet
 * machine; with the two vCPUs of one core, anything else running takes the
 * second thread's core share.
 */
#include <immintrin.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gemm.h"
#include "matvec.h"
#include "model.h"
#include "util.h"

/* One matrix of a decode step: rows x cols halves. */
typedef struct Mat
{
	const uint16_t *w;
	int			rows;
	int			cols;
} Mat;

/* Work shared by the two threads of one case. */
typedef struct Job
{
	int			kind;			/* 0 decode, 1 gemm */
	/* decode */
	Mat		   *mats;
	int			n_mats;
	float	   *x;				/* input vector (longest cols) */
	float	   *out;			/* output vector (longest rows) */
	/* gemm */
	bool		ta;				/* dW = A^T B (A: K x M, B: K x N), else C = A B^T */
	int			M,
				N,
				K;
	const float *A;
	const float *B;
	float	   *C;
	/* control */
	int			nthreads;
	atomic_int	go;				/* iterations the helper thread is asked to run; -1 ends it */
	atomic_int	done;			/* iterations it finished */
	atomic_int	barrier;		/* arrivals at the decode barrier */
} Job;

/*
 * Waits until *v >= want: spins (the other thread is a few microseconds
 * away when both run), yielding the CPU now and then so a descheduled
 * partner can run on a busy machine.
 */
static void
wait_at_least(atomic_int *v, int want)
{
	for (long spins = 1; atomic_load(v) < want; spins++)
	{
		_mm_pause();
		if (spins % 2048 == 0)
			sched_yield();
	}
}

/* Waits until both threads arrived at barrier round r (arrivals count up by 2 per round). */
static void
spin_barrier(atomic_int *b, int r)
{
	atomic_fetch_add(b, 1);
	wait_at_least(b, 2 * (r + 1));
}

/* Thread t's share of one iteration of job j (t of j->nthreads); *round counts barriers. */
static void
run_share(Job *j, int t, int *round)
{
	int			nt = j->nthreads;

	if (j->kind == 0)
	{
		for (int m = 0; m < j->n_mats; m++)
		{
			Mat		   *mt = &j->mats[m];
			int			lo = mt->rows * t / nt;
			int			hi = mt->rows * (t + 1) / nt;

			sqlpilot_matvec_f16(j->out + lo, mt->w + (size_t) lo * mt->cols, j->x, hi - lo, mt->cols);
			if (nt > 1)
				spin_barrier(&j->barrier, (*round)++);
		}
	}
	else if (j->ta)
		sqlpilot_gemm(true, false, j->M, j->N, j->K, 1.0f, j->A, j->M, j->B, j->N, 0.0f,
					  j->C, j->N);
	else
		sqlpilot_gemm(false, true, j->M, j->N, j->K, 1.0f, j->A, j->K, j->B, j->K, 0.0f,
					  j->C, j->N);
}

/* The second thread: runs its share of each iteration it is asked for. */
static void *
helper(void *arg)
{
	Job		   *j = arg;
	int			round = 0;
	int			ran = 0;

	for (;;)
	{
		int			go;

		for (long spins = 1; (go = atomic_load(&j->go)) == ran; spins++)
		{
			_mm_pause();
			if (spins % 2048 == 0)
				sched_yield();
		}
		if (go < 0)
			return NULL;
		run_share(j, 1, &round);
		ran++;
		atomic_store(&j->done, ran);
	}
}

/* Iterations per wall second of job j with nthreads threads over about secs. */
static double
rate(Job *j, int nthreads, double secs)
{
	pthread_t	th;
	int			round = 0;
	int			iters = 0;
	double		t0;

	if (j->kind == 1)
	{
		/* the library's own split: one caller thread here */
		if (sqlpilot_gemm_set_threads(nthreads) != 0)
		{
			fprintf(stderr, "bench_threads: cannot start a gemm thread\n");
			exit(1);
		}
		nthreads = 1;
	}
	j->nthreads = nthreads;
	atomic_store(&j->go, 0);
	atomic_store(&j->done, 0);
	atomic_store(&j->barrier, 0);
	if (nthreads > 1 && pthread_create(&th, NULL, helper, j) != 0)
	{
		fprintf(stderr, "bench_threads: cannot start a thread\n");
		exit(1);
	}
	t0 = sqlpilot_now();
	while (sqlpilot_now() - t0 < secs)
	{
		if (nthreads > 1)
			atomic_store(&j->go, iters + 1);
		run_share(j, 0, &round);
		if (nthreads > 1)
			wait_at_least(&j->done, iters + 1);
		iters++;
	}
	t0 = sqlpilot_now() - t0;
	if (nthreads > 1)
	{
		atomic_store(&j->go, -1);
		pthread_join(th, NULL);
	}
	sqlpilot_gemm_set_threads(1);
	return iters / t0;
}

/* qsort comparison of doubles. */
static int
cmp_double(const void *a, const void *b)
{
	double		x = *(const double *) a,
				y = *(const double *) b;

	return x < y ? -1 : x > y;
}

/* Runs job j alternated 1 and 2 threads and prints the medians; unit names the rate. */
static void
compare(const char *name, Job *j, int rounds, double secs, const char *unit, double scale)
{
	double		r1[64],
				r2[64];

	for (int r = 0; r < rounds; r++)
	{
		r1[r] = rate(j, 1, secs) * scale;
		r2[r] = rate(j, 2, secs) * scale;
	}
	qsort(r1, (size_t) rounds, sizeof(double), cmp_double);
	qsort(r2, (size_t) rounds, sizeof(double), cmp_double);
	printf("%-34s 1 thread %10.1f %s   2 threads %10.1f %s   ratio %.2fx\n", name,
		   r1[rounds / 2], unit, r2[rounds / 2], unit, r2[rounds / 2] / r1[rounds / 2]);
	fflush(stdout);
}

/* Random halves for n weights (uniform in +-0.1). */
static uint16_t *
random_halves(size_t n, uint64_t *seed)
{
	uint16_t   *h = malloc(sizeof(uint16_t) * n);

	if (!h)
		exit(1);
	for (size_t i = 0; i < n; i++)
	{
		*seed = *seed * 6364136223846793005ULL + 1442695040888963407ULL;
		h[i] = sqlpilot_fp32_to_fp16(((float) (*seed >> 40) / (float) (1 << 24) - 0.5f) * 0.2f);
	}
	return h;
}

/* One decode step's products of a preset (dim, hidden, layers, vocab). */
static void
bench_decode(const char *name, int C, int H, int L, int V, int rounds, double secs)
{
	Job			j;
	Mat		   *mats = malloc(sizeof(Mat) * (size_t) (7 * L + 1));
	uint64_t	seed = 1;
	char		label[64];

	memset(&j, 0, sizeof(j));
	for (int l = 0; l < L; l++)
	{
		int			shape[7][2] = {{C, C}, {C, C}, {C, C}, {C, C}, {H, C}, {H, C}, {C, H}};

		for (int k = 0; k < 7; k++)
		{
			Mat		   *m = &mats[l * 7 + k];

			m->rows = shape[k][0];
			m->cols = shape[k][1];
			m->w = random_halves((size_t) m->rows * m->cols, &seed);
		}
	}
	mats[7 * L] = (Mat) {random_halves((size_t) V * C, &seed), V, C};
	j.kind = 0;
	j.mats = mats;
	j.n_mats = 7 * L + 1;
	j.x = calloc((size_t) (H > C ? H : C), sizeof(float));
	j.out = calloc((size_t) (H > V ? H : V) + C, sizeof(float));
	for (int i = 0; i < (H > C ? H : C); i++)
		j.x[i] = (float) (i % 7) * 0.1f;
	snprintf(label, sizeof(label), "decode matvec %s f16", name);
	compare(label, &j, rounds, secs, "tok/s", 1.0);
	for (int m = 0; m < j.n_mats; m++)
		free((void *) mats[m].w);
	free(mats);
	free(j.x);
	free(j.out);
}

/* The trainer's x @ W^T of M x K by N x K (or with ta, A^T B of K x M by K x N), in GFLOP/s. */
static void
bench_gemm(const char *name, bool ta, int M, int N, int K, int rounds, double secs)
{
	Job			j;
	float	   *A = malloc(sizeof(float) * (size_t) M * K);
	float	   *B = malloc(sizeof(float) * (size_t) N * K);
	float	   *C = malloc(sizeof(float) * (size_t) M * N);
	char		label[64];

	if (!A || !B || !C)
		exit(1);
	for (size_t i = 0; i < (size_t) M * K; i++)
		A[i] = (float) (i % 13) * 0.01f;
	for (size_t i = 0; i < (size_t) N * K; i++)
		B[i] = (float) (i % 11) * 0.01f;
	memset(&j, 0, sizeof(j));
	j.kind = 1;
	j.ta = ta;
	j.M = M;
	j.N = N;
	j.K = K;
	j.A = A;
	j.B = B;
	j.C = C;
	snprintf(label, sizeof(label), "gemm %s %dx%dx%d", name, M, N, K);
	compare(label, &j, rounds, secs, "GFLOP/s", 2.0 * M * N * K * 1e-9);
	free(A);
	free(B);
	free(C);
}

int
main(int argc, char **argv)
{
	int			rounds = argc > 1 ? atoi(argv[1]) : 5;
	double		secs = argc > 2 ? atof(argv[2]) : 0.3;

	if (rounds < 1 || rounds > 64 || secs <= 0.0)
	{
		fprintf(stderr, "usage: bench_threads [ROUNDS (1..64) [SECONDS]]\n");
		return 2;
	}
	{
		char		load[64] = "?";
		FILE	   *f = fopen("/proc/loadavg", "r");

		if (f)
		{
			if (!fgets(load, sizeof(load), f))
				strcpy(load, "?\n");
			fclose(f);
		}
		printf("# 1 vs 2 threads, alternated, %d rounds of %.2f s, medians; /proc/loadavg: %s",
			   rounds, secs, load);
	}
	bench_decode("15M", 288, 768, 6, 512, rounds, secs);
	bench_decode("default", 128, 352, 6, 512, rounds, secs);
	bench_decode("42M", 512, 1376, 8, 512, rounds, secs);
	bench_gemm("15M fwd 288->768", false, 2048, 768, 288, rounds, secs);
	bench_gemm("15M fwd 768->288", false, 2048, 288, 768, rounds, secs);
	bench_gemm("15M bwd dW (768,288)", true, 768, 288, 2048, rounds, secs);
	bench_gemm("42M fwd 512->1376", false, 1024, 1376, 512, rounds, secs);
	return 0;
}
