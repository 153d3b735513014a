/*
 * test_matvec.c — sqlpilot_matvec (core/matvec.c) against a plain double
 * loop on odd shapes: C and OC below, at and past multiples of 8 and 16,
 * C = 1, OC = 1, and the model shapes.  Weights and x are allocated at
 * their exact sizes, so a kernel reading past a row end or the matrix shows
 * under valgrind (an AVX2 build: make BUILD=build/valgrind
 * OPTFLAGS=-march=haswell); out carries guard values after OC that must stay.
 * The half-weight kernels of several rows (batched decode) run on each path
 * the CPU has, forced, and must equal the single-row kernel bit for bit.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "matvec.h"
#include "tap.h"
#include "util.h"

#define GUARD 8

/*
 * 1 when every out[o] is within 1e-5 of the exact dot product of row o of w
 * (rows ld apart) with x, relative to sum |w_i x_i|, and the GUARD values
 * after out are untouched; *worst gets the largest relative error.
 */
static int
check_outputs(const float *out, const float *w, int ld, const float *x, int OC, int C,
			  double *worst)
{
	int			ok = 1;

	for (int o = 0; o < OC; o++)
	{
		double		exact = 0.0;
		double		mag = 0.0;
		double		rel;

		for (int i = 0; i < C; i++)
		{
			exact += (double) w[(size_t) o * ld + i] * x[i];
			mag += fabs((double) w[(size_t) o * ld + i] * x[i]);
		}
		rel = fabs(out[o] - exact) / (mag > 0.0 ? mag : 1.0);
		if (!(rel <= 1e-5))
			ok = 0;
		if (!(rel <= *worst))
			*worst = rel;
	}
	for (int o = OC; o < OC + GUARD; o++)
		if (out[o] != -12345.0f)
			ok = 0;
	return ok;
}

/*
 * Runs one (OC, C) shape, rows ld apart (ld == C: sqlpilot_matvec, else
 * sqlpilot_matvec_ld; the last row ends the allocation), with random
 * weights and inputs; returns 1 when every output is within 1e-5 of the
 * exact dot product, relative to sum |w_i x_i|, and the guard after out is
 * untouched.
 */
static int
check_shape(int OC, int C, int ld, uint64_t seed, double *worst)
{
	size_t		nw = (size_t) (OC - 1) * ld + C;
	float	   *w = malloc(nw * sizeof(float));
	float	   *x = malloc((size_t) C * sizeof(float));
	float	   *out = malloc((size_t) (OC + GUARD) * sizeof(float));
	uint64_t	rng = seed;
	int			ok = 1;

	for (size_t i = 0; i < nw; i++)
		w[i] = 2.0f * sqlpilot_rng_float(&rng) - 1.0f;
	for (int i = 0; i < C; i++)
		x[i] = 4.0f * sqlpilot_rng_float(&rng) - 2.0f;
	for (int o = 0; o < OC + GUARD; o++)
		out[o] = -12345.0f;
	if (ld == C)
		sqlpilot_matvec(out, w, x, OC, C);
	else
		sqlpilot_matvec_ld(out, w, ld, x, OC, C);
	ok = check_outputs(out, w, ld, x, OC, C, worst);
	free(w);
	free(x);
	free(out);
	return ok;
}

/*
 * One (OC, C) shape with half weights: sqlpilot_matvec_f16 against the same
 * double loop over the widened halves (exactly representable), and
 * sqlpilot_f16_to_f32_n against the scalar conversion bit for bit.
 */
static int
check_shape_f16(int OC, int C, uint64_t seed, double *worst)
{
	size_t		nw = (size_t) OC * C;
	uint16_t   *w = malloc(nw * sizeof(uint16_t));
	float	   *wide = malloc(nw * sizeof(float));
	float	   *x = malloc((size_t) C * sizeof(float));
	float	   *out = malloc((size_t) (OC + GUARD) * sizeof(float));
	uint64_t	rng = seed;
	int			ok = 1;

	for (size_t i = 0; i < nw; i++)
		w[i] = sqlpilot_fp32_to_fp16(2.0f * sqlpilot_rng_float(&rng) - 1.0f);
	for (int i = 0; i < C; i++)
		x[i] = 4.0f * sqlpilot_rng_float(&rng) - 2.0f;
	for (int o = 0; o < OC + GUARD; o++)
		out[o] = -12345.0f;
	sqlpilot_f16_to_f32_n(wide, w, nw);
	for (size_t i = 0; i < nw; i++)
		if (memcmp(&wide[i], &(float) {sqlpilot_fp16_to_fp32(w[i])}, sizeof(float)) != 0)
			ok = 0;
	sqlpilot_matvec_f16(out, w, x, OC, C);
	if (!check_outputs(out, wide, C, x, OC, C, worst))
		ok = 0;
	free(w);
	free(wide);
	free(x);
	free(out);
	return ok;
}

/*
 * N rows at once with half weights (sqlpilot_matvec_f16_rows, on the path
 * forced now) against sqlpilot_matvec_f16 row by row on the same path, bit
 * for bit, and against the double loop to 1e-5; x and the weights at their
 * exact sizes, GUARD values after the N * OC outputs must stay.
 */
static int
check_rows_f16(int N, int OC, int C, uint64_t seed, double *worst)
{
	size_t		nw = (size_t) OC * C;
	uint16_t   *w = malloc(nw * sizeof(uint16_t));
	float	   *wide = malloc(nw * sizeof(float));
	float	   *x = malloc((size_t) N * C * sizeof(float));
	float	   *out = malloc(((size_t) N * OC + GUARD) * sizeof(float));
	float	   *one = malloc(((size_t) OC + GUARD) * sizeof(float));
	uint64_t	rng = seed;
	int			ok = 1;

	for (size_t i = 0; i < nw; i++)
		w[i] = sqlpilot_fp32_to_fp16(2.0f * sqlpilot_rng_float(&rng) - 1.0f);
	for (size_t i = 0; i < (size_t) N * C; i++)
		x[i] = 4.0f * sqlpilot_rng_float(&rng) - 2.0f;
	for (size_t o = 0; o < (size_t) N * OC + GUARD; o++)
		out[o] = -12345.0f;
	sqlpilot_f16_to_f32_n(wide, w, nw);
	sqlpilot_matvec_f16_rows(out, w, x, N, OC, C);
	for (int n = 0; n < N; n++)
	{
		for (int o = 0; o < OC + GUARD; o++)
			one[o] = -12345.0f;
		sqlpilot_matvec_f16(one, w, x + (size_t) n * C, OC, C);
		if (memcmp(one, out + (size_t) n * OC, sizeof(float) * OC) != 0 ||
			!check_outputs(one, wide, C, x + (size_t) n * C, OC, C, worst))
			ok = 0;
	}
	for (size_t o = (size_t) N * OC; o < (size_t) N * OC + GUARD; o++)
		if (out[o] != -12345.0f)
			ok = 0;
	free(w);
	free(wide);
	free(x);
	free(out);
	free(one);
	return ok;
}

int
main(void)
{
	static const int sizes[] = {1, 2, 3, 7, 8, 9, 15, 16, 17, 23, 31, 33, 47, 64, 65, 100};
	static const int model[][2] = {
		{64, 64}, {32, 64}, {172, 64}, {64, 172}, {512, 64},
		{288, 288}, {768, 288}, {288, 768}, {512, 288},
		{512, 512}, {1376, 512}, {512, 1376}
	};
	int			nsizes = (int) (sizeof(sizes) / sizeof(sizes[0]));
	int			bad = 0;
	int			shapes = 0;
	double		worst = 0.0;
	float		w1 = 3.0f;
	float		x1 = -0.5f;
	float		o1[2] = {0.0f, 7.0f};

	tap_diag("kernel: %s", sqlpilot_matvec_kernel());

	sqlpilot_matvec(o1, &w1, &x1, 1, 1);
	tap_ok(o1[0] == -1.5f && o1[1] == 7.0f, "1x1 product is exact and writes one value");

	for (int a = 0; a < nsizes; a++)
		for (int b = 0; b < nsizes; b++)
		{
			shapes++;
			if (!check_shape(sizes[a], sizes[b], sizes[b], 1000 + a * 31 + b, &worst))
			{
				if (bad < 5)
					tap_diag("shape OC=%d C=%d is wrong", sizes[a], sizes[b]);
				bad++;
			}
		}
	tap_ok(bad == 0, "%d odd shapes (OC, C in 1..100) match the plain loop to 1e-5 (worst %.2g)",
		   shapes, worst);

	bad = 0;
	worst = 0.0;
	for (int m = 0; m < (int) (sizeof(model) / sizeof(model[0])); m++)
		if (!check_shape(model[m][0], model[m][1], model[m][1], 77 + m, &worst))
		{
			tap_diag("model shape OC=%d C=%d is wrong", model[m][0], model[m][1]);
			bad++;
		}
	tap_ok(bad == 0, "the model shapes (260K, 15M, 42M) match to 1e-5 (worst %.2g)", worst);

	/* Attention scores: n keys of one head (HS wide) in a k cache row of KVD. */
	bad = 0;
	worst = 0.0;
	for (int n = 1; n <= 40; n += 3)
	{
		static const int heads[][2] = {{8, 32}, {48, 288}, {64, 512}, {5, 13}, {17, 20}};

		for (int h = 0; h < 5; h++)
			if (!check_shape(n, heads[h][0], heads[h][1], 500 + n * 7 + h, &worst))
			{
				tap_diag("strided shape n=%d HS=%d ld=%d is wrong", n, heads[h][0], heads[h][1]);
				bad++;
			}
	}
	tap_ok(bad == 0, "strided rows (k cache slices, ld > C) match to 1e-5 (worst %.2g)", worst);

	/* Half weights (f16 model files): odd shapes and the model shapes. */
	bad = 0;
	worst = 0.0;
	shapes = 0;
	for (int a = 0; a < nsizes; a++)
		for (int b = 0; b < nsizes; b++)
		{
			shapes++;
			if (!check_shape_f16(sizes[a], sizes[b], 3000 + a * 31 + b, &worst))
			{
				if (bad < 5)
					tap_diag("f16 shape OC=%d C=%d is wrong", sizes[a], sizes[b]);
				bad++;
			}
		}
	for (int m = 0; m < (int) (sizeof(model) / sizeof(model[0])); m++)
	{
		shapes++;
		if (!check_shape_f16(model[m][0], model[m][1], 4000 + m, &worst))
		{
			tap_diag("f16 model shape OC=%d C=%d is wrong", model[m][0], model[m][1]);
			bad++;
		}
	}
	tap_ok(bad == 0, "%d shapes with half weights: widening is exact, products match to 1e-5 (worst %.2g)",
		   shapes, worst);

	/*
	 * Several rows at once (batched decode), on each half-weight path the
	 * CPU runs, forced: bit for bit the single-row kernel, row by row.
	 */
	{
		static const char *const paths[] = {"avx512", "avx2", "scalar"};
		static const int odd[] = {1, 7, 8, 9, 15, 16, 17, 31, 33, 65};
		static const int rows[] = {1, 2, 3, 4, 5, 6, 8, 9};
		int			nodd = (int) (sizeof(odd) / sizeof(odd[0]));

		for (int p = 0; p < 3; p++)
		{
			if (sqlpilot_matvec_f16_set_path(paths[p]) != 0)
			{
				tap_diag("this CPU cannot run the %s path: not tested", paths[p]);
				continue;
			}
			bad = 0;
			worst = 0.0;
			shapes = 0;
			for (int r = 0; r < 5; r++)
			{
				for (int a = 0; a < nodd; a++)
					for (int b = 0; b < nodd; b++)
					{
						shapes++;
						if (!check_rows_f16(rows[r], odd[a], odd[b], 6000 + r * 997 + a * 31 + b,
											&worst))
						{
							if (bad < 5)
								tap_diag("%s: %d rows of OC=%d C=%d are wrong", paths[p],
										 rows[r], odd[a], odd[b]);
							bad++;
						}
					}
				for (int m = 5; m < 9; m++)
				{
					shapes++;
					if (!check_rows_f16(rows[r], model[m][0], model[m][1], 7000 + r * 13 + m,
										&worst))
					{
						tap_diag("%s: %d rows of model shape OC=%d C=%d are wrong", paths[p],
								 rows[r], model[m][0], model[m][1]);
						bad++;
					}
				}
			}
			tap_ok(bad == 0 && strcmp(sqlpilot_matvec_f16_path(), paths[p]) == 0,
				   "%s path forced: %d batches of 1-8 rows equal the single-row kernel bit for bit "
				   "and the plain loop to 1e-5 (worst %.2g)", paths[p], shapes, worst);
		}
		tap_ok(sqlpilot_matvec_f16_set_path("sse9") == -1 &&
			   strcmp(sqlpilot_matvec_f16_path(), "scalar") == 0,
			   "an unknown path name is refused and leaves the path as it was");
		sqlpilot_matvec_f16_set_path(NULL);
		tap_diag("half-weight path by default: %s", sqlpilot_matvec_f16_path());
	}

	/* Row o holds o + 1 everywhere: each sum must land in its own slot. */
	{
		int			OC = 13;
		int			C = 37;
		float	   *w = malloc(sizeof(float) * OC * C);
		float	   *x = malloc(sizeof(float) * C);
		float		out[13];
		int			ok = 1;

		for (int o = 0; o < OC; o++)
			for (int i = 0; i < C; i++)
				w[o * C + i] = (float) (o + 1);
		for (int i = 0; i < C; i++)
			x[i] = 1.0f;
		sqlpilot_matvec(out, w, x, OC, C);
		for (int o = 0; o < OC; o++)
			if (out[o] != (float) ((o + 1) * C))
				ok = 0;
		tap_ok(ok, "row o of a constant matrix sums to (o + 1) * C (rows land in order)");
		free(w);
		free(x);
	}
	return tap_done();
}
