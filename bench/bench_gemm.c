/*
 * bench_gemm.c — GFLOP/s of the matrix products of training and prefill:
 *   bench_gemm [PATHS] [SECONDS]
 * PATHS is a comma list of gemm paths (default avx512,avx2,openblas; see
 * core/gemm.h); each shape runs every path in turn, three rounds
 * interleaved, and the best round of each is printed as one tab-separated
 * line: shape, M, N, K, transposes, f16, path, GFLOP/s.  bench/bench_gemm.sh
 * runs it (OpenBLAS once per OPENBLAS_CORETYPE, each in its own process) and
 * writes bench/results/gemm.md.  BENCH_GEMM_ONLY=text keeps the shapes whose
 * name contains text.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gemm.h"
#include "gemm_openblas.h"
#include "util.h"

typedef struct BenchShape
{
	const char *name;
	int			M;
	int			N;
	int			K;
	bool		ta;
	bool		tb;
	bool		half;
} BenchShape;

/* Thread CPU seconds (other processes on the box do not count). */
static double
cpu_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* One call of shape s (beta 0 for forward shapes, whose B is transposed; 1 for backward). */
static void
call_shape(const BenchShape *s, const float *A, const float *B, const uint16_t *Bh, float *C)
{
	int			lda = s->ta ? s->M : s->K;
	int			ldb = s->tb ? s->K : s->N;
	float		beta = s->tb ? 0.0f : 1.0f;

	if (s->half)
		sqlpilot_gemm_f16(s->ta, s->tb, s->M, s->N, s->K, 1.0f, A, lda, Bh, ldb, beta, C, s->N);
	else
		sqlpilot_gemm(s->ta, s->tb, s->M, s->N, s->K, 1.0f, A, lda, B, ldb, beta, C, s->N);
}

/* GFLOP/s of one shape on the current path over about secs seconds (after one warm-up call). */
static double
run_shape(const BenchShape *s, const float *A, const float *B, const uint16_t *Bh, float *C,
		  double secs)
{
	double		t0;
	double		t;
	long		reps = 0;

	call_shape(s, A, B, Bh, C);
	t0 = cpu_seconds();
	do
	{
		call_shape(s, A, B, Bh, C);
		reps++;
		t = cpu_seconds() - t0;
	} while (t < secs);
	return 2.0 * s->M * s->N * s->K * reps / t / 1e9;
}

int
main(int argc, char **argv)
{
	static const BenchShape shapes[] = {
		/* 15M: C 288, H 768, 8 x 256 rows per micro-batch */
		{"15M fwd x@W^T 288->768", 2048, 768, 288, false, true, false},
		{"15M fwd x@W^T 768->288", 2048, 288, 768, false, true, false},
		{"15M fwd x@W^T 288->288", 2048, 288, 288, false, true, false},
		{"15M bwd dinp 768->288", 2048, 288, 768, false, false, false},
		{"15M bwd dinp 288->768", 2048, 768, 288, false, false, false},
		{"15M bwd dW (768,288)", 768, 288, 2048, true, false, false},
		{"15M bwd dW (288,768)", 288, 768, 2048, true, false, false},
		{"15M head fwd 512", 820, 512, 288, false, true, false},
		/* 42M: C 512, H 1376, 2 x 512 rows */
		{"42M fwd x@W^T 512->1376", 1024, 1376, 512, false, true, false},
		{"42M fwd x@W^T 1376->512", 1024, 512, 1376, false, true, false},
		{"42M fwd x@W^T 512->512", 1024, 512, 512, false, true, false},
		{"42M bwd dinp 1376->512", 1024, 512, 1376, false, false, false},
		{"42M bwd dW (1376,512)", 1376, 512, 1024, true, false, false},
		{"42M bwd dW (512,1376)", 512, 1376, 1024, true, false, false},
		/* 260K: C 64, H 172, KV 32, 4 x 512 rows */
		{"default fwd x@W^T 128->352", 2048, 352, 128, false, true, false},
		{"default fwd x@W^T 352->128", 2048, 128, 352, false, true, false},
		{"default fwd x@W^T 128->128", 2048, 128, 128, false, true, false},
		{"default fwd x@W^T 128->64", 2048, 64, 128, false, true, false},
		{"default bwd dinp 352->128", 2048, 128, 352, false, false, false},
		{"default bwd dinp 128->352", 2048, 352, 128, false, false, false},
		{"default bwd dinp 64->128", 2048, 128, 64, false, false, false},
		{"default bwd dW (352,128)", 352, 128, 2048, true, false, false},
		{"default bwd dW (128,352)", 128, 352, 2048, true, false, false},
		{"default bwd dW (64,128)", 64, 128, 2048, true, false, false},
		{"260K fwd x@W^T 64->172", 2048, 172, 64, false, true, false},
		{"260K fwd x@W^T 172->64", 2048, 64, 172, false, true, false},
		{"260K fwd x@W^T 64->32", 2048, 32, 64, false, true, false},
		{"260K bwd dinp 172->64", 2048, 64, 172, false, false, false},
		{"260K bwd dW (172,64)", 172, 64, 2048, true, false, false},
		{"260K head fwd 512", 820, 512, 64, false, true, false},
		/* attention blocks: 64 query rows, HS 48 (15M) / 64 (42M) */
		{"att 15M q@k^T", 64, 192, 48, false, true, false},
		{"att 15M P@v", 64, 48, 192, false, false, false},
		{"att 15M dS^T@q", 192, 48, 64, true, false, false},
		{"att 42M q@k^T", 64, 320, 64, false, true, false},
		{"att 42M P@v", 64, 64, 320, false, false, false},
		/* f16 prefill, 128-row chunks of an f16 model */
		{"prefill f16 15M 288->768", 128, 768, 288, false, true, true},
		{"prefill f16 15M 768->288", 128, 288, 768, false, true, true},
		{"prefill386 f16 15M 288->768", 386, 768, 288, false, true, true},
		{"prefill386 f16 15M 768->288", 386, 288, 768, false, true, true},
		{"prefill386 f16 15M 288->288", 386, 288, 288, false, true, true},
		{"prefill f16 42M 512->1376", 128, 1376, 512, false, true, true},
		{"prefill f16 260K 64->172", 128, 172, 64, false, true, true},
		{"prefill f16 260K 64->32", 128, 32, 64, false, true, true},
		{"prefill f32 260K 64->172", 128, 172, 64, false, true, false},
		{"prefill f32 260K 172->64", 128, 64, 172, false, true, false},
		{"prefill f32 15M 288->768", 128, 768, 288, false, true, false},
	};
	const char *only = getenv("BENCH_GEMM_ONLY");
	char		paths[256];
	double		secs = argc > 2 ? atof(argv[2]) : 0.15;
	uint64_t	rng = 3;
	size_t		big = 2048 * 2048;
	float	   *A = malloc(sizeof(float) * big);
	float	   *B = malloc(sizeof(float) * big);
	uint16_t   *Bh = malloc(sizeof(uint16_t) * big);
	float	   *C = malloc(sizeof(float) * big);

	snprintf(paths, sizeof(paths), "%s", argc > 1 ? argv[1] : "avx512,avx2,openblas");
	for (size_t i = 0; i < big; i++)
	{
		A[i] = sqlpilot_rng_float(&rng) - 0.5f;
		B[i] = sqlpilot_rng_float(&rng) - 0.5f;
		Bh[i] = sqlpilot_fp32_to_fp16(B[i]);
		C[i] = 0.0f;
	}
	sqlpilot_gemm_set_blas(sqlpilot_gemm_openblas);
	for (size_t s = 0; s < sizeof(shapes) / sizeof(shapes[0]); s++)
	{
		double		best[8] = {0};
		const char *names[8];
		int			np = 0;
		char		list[256];
		char	   *save = NULL;

		if (only && !strstr(shapes[s].name, only))
			continue;
		memcpy(list, paths, sizeof(list));
		for (char *p = strtok_r(list, ",", &save); p && np < 8; p = strtok_r(NULL, ",", &save))
			names[np++] = p;
		for (int round = 0; round < 3; round++)
			for (int p = 0; p < np; p++)
			{
				double		g;

				if (sqlpilot_gemm_set_path(names[p]) != 0)
					continue;
				g = run_shape(&shapes[s], A, B, Bh, C, secs);
				best[p] = g > best[p] ? g : best[p];
			}
		for (int p = 0; p < np; p++)
			printf("%s\t%d\t%d\t%d\t%s%s\t%s\t%s\t%.1f\n", shapes[s].name, shapes[s].M,
				   shapes[s].N, shapes[s].K, shapes[s].ta ? "T" : "N", shapes[s].tb ? "T" : "N",
				   shapes[s].half ? "f16" : "f32", names[p], best[p]);
		fflush(stdout);
	}
	free(A);
	free(B);
	free(Bh);
	free(C);
	return 0;
}
