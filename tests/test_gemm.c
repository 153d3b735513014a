/*
 * test_gemm.c — the matrix-product kernels (core/gemm.c) against a
 * double-precision loop and OpenBLAS: every path this CPU runs, forced in
 * turn, on odd shapes (1x1, primes, sizes past the cache blocks), all four
 * transpose combinations, beta 0 (C full of NaN) and accumulate, leading
 * dimensions wider than the matrices (the padding must stay untouched),
 * A and B the same buffer, and B given as halves.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gemm.h"
#include "gemm_openblas.h"
#include "tap.h"
#include "util.h"

/* Padding value of C outside the M x N part (must survive every call). */
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

/*
 * One case on the current path: C = alpha op(A) op(B) + beta C against the
 * double loop; returns the worst error relative to the bound
 * 1e-5 * (|alpha| sum |a b| + |beta c|) + 1e-30 (<= 1 passes), or 1e9 when
 * the padding of C changed or a NaN leaked.
 */
static double
check_case(Shape s, bool ta, bool tb, float alpha, float beta, bool half, bool same_ab,
		   uint64_t *rng)
{
	int			M = s.M,
				N = s.N,
				K = s.K;
	int			ar = ta ? K : M,
				ac = ta ? M : K;
	int			br = tb ? N : K,
				bc = tb ? K : N;
	int			lda = ac + 3,
				ldb = same_ab ? lda : bc + 5,
				ldc = N + 2;
	float	   *A = random_floats((size_t) ar * lda, rng);
	float	   *B = same_ab ? A : random_floats((size_t) br * ldb, rng);
	uint16_t   *Bh = malloc(sizeof(uint16_t) * ((size_t) br * ldb + 1));
	float	   *C = malloc(sizeof(float) * ((size_t) M * ldc + 1));
	float	   *C0 = malloc(sizeof(float) * ((size_t) M * ldc + 1));
	double		worst = 0.0;

	for (size_t i = 0; i < (size_t) M * ldc; i++)
	{
		C0[i] = (i % ldc) < (size_t) N ? sqlpilot_rng_float(rng) - 0.5f : SENTINEL;
		C[i] = beta == 0.0f && (i % ldc) < (size_t) N ? NAN : C0[i];
	}
	if (half)
	{
		for (size_t i = 0; i < (size_t) br * ldb; i++)
		{
			Bh[i] = sqlpilot_fp32_to_fp16(B[i]);
			B[i] = sqlpilot_fp16_to_fp32(Bh[i]);
		}
		sqlpilot_gemm_f16(ta, tb, M, N, K, alpha, A, lda, Bh, ldb, beta, C, ldc);
	}
	else
		sqlpilot_gemm(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
	for (int i = 0; i < M; i++)
	{
		for (int j = 0; j < ldc; j++)
		{
			double		ref = 0.0;
			double		mag = 0.0;
			double		c = C[(size_t) i * ldc + j];

			if (j >= N)
			{
				if (c != SENTINEL)
					worst = 1e9;
				continue;
			}
			for (int k = 0; k < K; k++)
			{
				double		a = ta ? A[(size_t) k * lda + i] : A[(size_t) i * lda + k];
				double		b = tb ? B[(size_t) j * ldb + k] : B[(size_t) k * ldb + j];

				ref += a * b;
				mag += fabs(a * b);
			}
			ref *= alpha;
			mag *= fabs(alpha);
			if (beta != 0.0f)
			{
				ref += (double) beta * C0[(size_t) i * ldc + j];
				mag += fabs((double) beta * C0[(size_t) i * ldc + j]);
			}
			if (isnan(c))
				worst = 1e9;
			else if (fabs(c - ref) / (1e-5 * mag + 1e-30) > worst)
				worst = fabs(c - ref) / (1e-5 * mag + 1e-30);
		}
	}
	free(A);
	if (!same_ab)
		free(B);
	free(Bh);
	free(C);
	free(C0);
	return worst;
}

/* Every transpose/beta/alpha combination of one shape on the current path. */
static void
check_shape(const char *path, Shape s, bool half, uint64_t *rng)
{
	double		worst = 0.0;

	for (int t = 0; t < 4; t++)
		for (int bi = 0; bi < 2; bi++)
		{
			double		e = check_case(s, t & 1, t & 2, bi ? 0.75f : 1.0f, bi ? 0.5f : 0.0f,
									   half, false, rng);

			worst = e > worst ? e : worst;
		}
	tap_ok(worst <= 1.0, "%s%s: %dx%dx%d, 4 transposes x beta 0/0.5 within bound (worst %.3g)",
		   path, half ? " f16" : "", s.M, s.N, s.K, worst);
}

int
main(void)
{
	static const Shape shapes[] = {
		{1, 1, 1}, {1, 7, 3}, {5, 1, 2}, {2, 3, 1}, {13, 31, 7}, {17, 33, 257},
		{29, 97, 61}, {15, 47, 300}, {37, 3100, 3}, {170, 65, 513}, {64, 173, 48},
		{127, 211, 64}, {300, 96, 288}, {200, 130, 2048}
	};
	static const char *paths[] = {"avx512", "avx2", "scalar", "openblas"};
	uint64_t	rng = 7;

	sqlpilot_gemm_set_blas(sqlpilot_gemm_openblas);
	tap_ok(sqlpilot_gemm_set_path("no-such-path") == -1, "an unknown path is refused");
	for (size_t p = 0; p < sizeof(paths) / sizeof(paths[0]); p++)
	{
		if (sqlpilot_gemm_set_path(paths[p]) != 0)
		{
			tap_diag("path %s does not run on this CPU: skipped", paths[p]);
			continue;
		}
		tap_ok(strcmp(sqlpilot_gemm_path(), paths[p]) == 0, "%s: forced", paths[p]);
		for (size_t i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++)
			check_shape(paths[p], shapes[i], false, &rng);
		for (size_t i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i += 3)
			check_shape(paths[p], shapes[i], true, &rng);
		{
			Shape		s = {40, 40, 35};
			double		e = check_case(s, true, false, 1.0f, 0.0f, false, true, &rng);

			tap_ok(e <= 1.0, "%s: A and B the same buffer (A^T A) within bound (%.3g)",
				   paths[p], e);
		}
		{
			float		a[4] = {NAN, NAN, NAN, NAN};
			float		c[4] = {1, 2, 3, 4};
			float		z[4] = {NAN, NAN, NAN, NAN};

			sqlpilot_gemm(false, false, 2, 2, 2, 0.0f, a, 2, a, 2, 2.0f, c, 2);
			sqlpilot_gemm(false, false, 2, 2, 0, 1.0f, a, 2, a, 2, 0.0f, z, 2);
			tap_ok(c[0] == 2 && c[1] == 4 && c[2] == 6 && c[3] == 8 &&
				   z[0] == 0 && z[1] == 0 && z[2] == 0 && z[3] == 0,
				   "%s: alpha 0 or K 0 scales C by beta and reads neither A nor B", paths[p]);
		}
	}
	sqlpilot_gemm_set_blas(NULL);
	tap_ok(sqlpilot_gemm_set_path("openblas") == -1, "openblas cannot be forced once unregistered");
	sqlpilot_gemm_set_path(NULL);
	tap_ok(strcmp(sqlpilot_gemm_path(), "openblas") != 0, "auto picks a kernel of the core (%s)",
		   sqlpilot_gemm_path());
	return tap_done();
}
