/*
 * test_gemm_threads.c — sqlpilot_gemm with two threads (core/gemm.c): on
 * every path this CPU runs, forced in turn, products big enough to be split
 * (odd shapes: primes, one row, splits that are not a multiple of the
 * tile), all four transpose combinations, floats and halves, beta 0 (C full
 * of NaN) and accumulate, C wider than the product (the padding must stay
 * untouched).  Two threads must give bit for bit what one thread gives, and
 * that must match a double-precision loop.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gemm.h"
#include "tap.h"
#include "util.h"

/* Padding value of C outside the M x N part. */
#define SENTINEL 12345.0f

typedef struct Shape
{
	int			M;
	int			N;
	int			K;
} Shape;

/* n uniform values in [-1, 1). */
static float *
random_floats(size_t n, uint64_t *rng)
{
	float	   *x = malloc(sizeof(float) * (n ? n : 1));

	for (size_t i = 0; i < n; i++)
		x[i] = sqlpilot_rng_float(rng) * 2.0f - 1.0f;
	return x;
}

/* One product on the current path with the given thread count into C (M x ldc, from C0). */
static void
run(int threads, Shape s, bool ta, bool tb, float beta, const float *A, int lda,
	const float *B, const uint16_t *Bh, int ldb, const float *C0, float *C, int ldc)
{
	sqlpilot_gemm_set_threads(threads);
	for (size_t i = 0; i < (size_t) s.M * ldc; i++)
		C[i] = beta == 0.0f && (i % ldc) < (size_t) s.N ? NAN : C0[i];
	if (Bh)
		sqlpilot_gemm_f16(ta, tb, s.M, s.N, s.K, 1.0f, A, lda, Bh, ldb, beta, C, ldc);
	else
		sqlpilot_gemm(ta, tb, s.M, s.N, s.K, 1.0f, A, lda, B, ldb, beta, C, ldc);
}

/*
 * One case: 1 if two threads equal one thread bit for bit (padding
 * included) and one thread is within 1e-5 of the double loop (relative to
 * the sum of the magnitudes).
 */
static int
check_case(Shape s, bool ta, bool tb, float beta, bool half, uint64_t *rng)
{
	int			ar = ta ? s.K : s.M,
				ac = ta ? s.M : s.K;
	int			br = tb ? s.N : s.K,
				bc = tb ? s.K : s.N;
	int			lda = ac + 1,
				ldb = bc + 3,
				ldc = s.N + 2;
	float	   *A = random_floats((size_t) ar * lda, rng);
	float	   *B = random_floats((size_t) br * ldb, rng);
	uint16_t   *Bh = NULL;
	float	   *C0 = malloc(sizeof(float) * (size_t) s.M * ldc);
	float	   *C1 = malloc(sizeof(float) * (size_t) s.M * ldc);
	float	   *C2 = malloc(sizeof(float) * (size_t) s.M * ldc);
	int			ok;

	for (size_t i = 0; i < (size_t) s.M * ldc; i++)
		C0[i] = (i % ldc) < (size_t) s.N ? sqlpilot_rng_float(rng) - 0.5f : SENTINEL;
	if (half)
	{
		Bh = malloc(sizeof(uint16_t) * (size_t) br * ldb);
		for (size_t i = 0; i < (size_t) br * ldb; i++)
		{
			Bh[i] = sqlpilot_fp32_to_fp16(B[i]);
			B[i] = sqlpilot_fp16_to_fp32(Bh[i]);
		}
	}
	run(1, s, ta, tb, beta, A, lda, B, Bh, ldb, C0, C1, ldc);
	run(2, s, ta, tb, beta, A, lda, B, Bh, ldb, C0, C2, ldc);
	ok = memcmp(C1, C2, sizeof(float) * (size_t) s.M * ldc) == 0;
	/* the double loop on a sample of rows and columns (the full loop is slow) */
	for (int i = 0; i < s.M && ok; i += 1 + s.M / 7)
		for (int j = 0; j < ldc && ok; j += j < s.N ? 1 + s.N / 11 : 1)
		{
			double		ref = 0.0,
						mag = 0.0,
						c = C1[(size_t) i * ldc + j];

			if (j >= s.N)
			{
				ok = c == SENTINEL;
				continue;
			}
			for (int k = 0; k < s.K; k++)
			{
				double		a = ta ? A[(size_t) k * lda + i] : A[(size_t) i * lda + k];
				double		b = tb ? B[(size_t) j * ldb + k] : B[(size_t) k * ldb + j];

				ref += a * b;
				mag += fabs(a * b);
			}
			if (beta != 0.0f)
			{
				ref += (double) beta * C0[(size_t) i * ldc + j];
				mag += fabs((double) beta * C0[(size_t) i * ldc + j]);
			}
			ok = !isnan(c) && fabs(c - ref) <= 1e-5 * mag + 1e-30;
		}
	free(A);
	free(B);
	free(Bh);
	free(C0);
	free(C1);
	free(C2);
	return ok;
}

int
main(void)
{
	/* each at least the ~16 MFLOP a split needs */
	static const Shape shapes[] = {
		{131, 257, 251},		/* primes */
		{300, 61, 487},			/* N less than two AVX-512 tiles */
		{1, 4099, 2053},		/* one row */
		{97, 389, 449},
		{2048, 768, 288},		/* the 15M trainer's forward */
	};
	static const char *const paths[] = {"avx512", "avx2", "scalar"};
	uint64_t	rng = 7;

	tap_ok(sqlpilot_gemm_threads() == 1, "one thread by default");
	tap_ok(sqlpilot_gemm_set_threads(0) == -1 && sqlpilot_gemm_set_threads(3) == -1 &&
		   sqlpilot_gemm_threads() == 1, "0 or 3 threads are refused");
	tap_ok(sqlpilot_gemm_set_threads(2) == 0 && sqlpilot_gemm_threads() == 2,
		   "two threads can be asked for");
	for (int p = 0; p < 3; p++)
	{
		int			bad = 0,
					cases = 0;

		if (sqlpilot_gemm_set_path(paths[p]) != 0)
		{
			tap_diag("path %s does not run on this CPU: skipped", paths[p]);
			continue;
		}
		for (size_t i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++)
		{
			/* the scalar path is slow: only the smaller shapes */
			if (p == 2 && (double) shapes[i].M * shapes[i].N * shapes[i].K > 2e7)
				continue;
			for (int t = 0; t < 4; t++)
				for (int half = 0; half < 2; half++)
				{
					Shape		s = shapes[i];
					bool		ta = t & 1,
								tb = t & 2;
					float		beta = (t + half + (int) i) % 2 ? 1.0f : 0.0f;

					cases++;
					if (!check_case(s, ta, tb, beta, half, &rng))
					{
						bad++;
						tap_diag("path %s: %dx%dx%d ta %d tb %d half %d beta %g differs",
								 paths[p], s.M, s.N, s.K, ta, tb, half, beta);
					}
				}
		}
		tap_ok(bad == 0, "path %s: %d products in two threads equal one thread bit for bit and the double loop",
			   paths[p], cases);
	}
	sqlpilot_gemm_set_path(NULL);
	tap_ok(sqlpilot_gemm_set_threads(1) == 0 && sqlpilot_gemm_threads() == 1,
		   "back to one thread");
	return tap_done();
}
