/*
 * matvec.c — out = W x for one row (see matvec.h).
 *
 * One-token decode spends most of its time here, streaming the weights once
 * per token.  Each kernel takes eight weight rows per pass: eight independent
 * accumulators hide the FMA latency, x is loaded once for all eight rows, and
 * the eight sums are reduced together with a horizontal-add tree that ends in
 * one store.  Rows left over (OC % 8) run one at a time.  The AVX-512
 * kernel also prefetches the next eight rows while it reads these: a model's
 * rows are short (288 floats for 15M), too short for the hardware
 * prefetcher to ramp up on each new row, and weights that do not fit L2 come
 * from L3 (15M decode went from ~1,300 to ~1,800 tok/s with it, measured
 * here under load).  The AVX-512 kernel
 * covers the last C % 16 columns with masked loads (which never touch memory
 * past the row); the AVX2 kernel adds them with a scalar loop, so valgrind's
 * Haswell build reads nothing out of bounds either.
 *
 * The f16 kernels do the same sums on IEEE half weights (an f16 model file
 * used in place, as mapped): each 16 halves are widened exactly with one
 * vcvtph2ps before the FMA, so the result is what the f32 kernel gives on
 * the widened matrix, and a pass reads half the bytes (15M, one pass over
 * all matrices: 0.36 -> 0.14 ms with AVX-512, 0.50 -> 0.21 ms with AVX2,
 * measured here; named accumulators matter: with an array of them gcc -O2
 * kept them on the stack and the f16 kernel was slower than the f32 one).
 *
 * Batched decode (several beams, one token each) multiplies a matrix by N
 * rows: sqlpilot_matvec_f16_rows runs the x rows over one block of eight
 * weight rows before the next block, so the block streams from memory once
 * and the other rows read it from L1 (a block of the widest 15M matrix is
 * 12 kB); with AVX-512 four or five x rows share each widened chunk of
 * halves (two, or one, when fewer are left), so a row past the first costs
 * little more than its FMAs (a 5-row step of the default model -7%, of 15M
 * -18% against widening once per two rows).  Each out row is summed in the
 * same order as alone, bit for bit.  The half-weight paths are chosen at run
 * time (CPUID, or forced by name for tests); the float kernels above are
 * chosen at build time.
 */
#include "matvec.h"

#include <immintrin.h>
#include <stddef.h>
#include <string.h>

#include "util.h"

/*
 * The eight sums of the 8 lanes of y0..y7, as one vector [s0 .. s7]:
 * hadd pairs lanes twice, then the two 128-bit halves are added.
 */
__attribute__((target("avx")))
static inline __m256
hsum8x8(__m256 y0, __m256 y1, __m256 y2, __m256 y3,
		__m256 y4, __m256 y5, __m256 y6, __m256 y7)
{
	__m256		a = _mm256_hadd_ps(_mm256_hadd_ps(y0, y1), _mm256_hadd_ps(y2, y3));
	__m256		b = _mm256_hadd_ps(_mm256_hadd_ps(y4, y5), _mm256_hadd_ps(y6, y7));

	return _mm256_add_ps(_mm256_permute2f128_ps(a, b, 0x20),
						 _mm256_permute2f128_ps(a, b, 0x31));
}

/* Sum of the 8 lanes of y. */
__attribute__((target("avx")))
static inline float
hsum8(__m256 y)
{
	__m128		s = _mm_add_ps(_mm256_castps256_ps128(y), _mm256_extractf128_ps(y, 1));

	s = _mm_add_ps(s, _mm_movehl_ps(s, s));
	s = _mm_add_ss(s, _mm_movehdup_ps(s));
	return _mm_cvtss_f32(s);
}

/* The low plus the high 256 bits of z. */
__attribute__((target("avx512f")))
static inline __m256
fold512(__m512 z)
{
	return _mm256_add_ps(_mm512_castps512_ps256(z),
						 _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(z), 1)));
}

#ifdef __AVX512F__

/* Rows o..o+7: 16 columns per FMA, the last C % 16 through masked loads. */
static inline void
rows8_avx512(float *out, const float *w, size_t ld, const float *x, int C, __mmask16 tail)
{
	const float *w1 = w + ld;
	const float *w2 = w1 + ld;
	const float *w3 = w2 + ld;
	const float *w4 = w3 + ld;
	const float *w5 = w4 + ld;
	const float *w6 = w5 + ld;
	const float *w7 = w6 + ld;
	__m512		a0 = _mm512_setzero_ps();
	__m512		a1 = a0;
	__m512		a2 = a0;
	__m512		a3 = a0;
	__m512		a4 = a0;
	__m512		a5 = a0;
	__m512		a6 = a0;
	__m512		a7 = a0;
	int			i = 0;

	for (; i + 16 <= C; i += 16)
	{
		__m512		xv = _mm512_loadu_ps(x + i);

		/* The same line of the next eight rows (prefetches never fault). */
		_mm_prefetch((const char *) (w + 8 * ld + i), _MM_HINT_T0);
		_mm_prefetch((const char *) (w1 + 8 * ld + i), _MM_HINT_T0);
		_mm_prefetch((const char *) (w2 + 8 * ld + i), _MM_HINT_T0);
		_mm_prefetch((const char *) (w3 + 8 * ld + i), _MM_HINT_T0);
		_mm_prefetch((const char *) (w4 + 8 * ld + i), _MM_HINT_T0);
		_mm_prefetch((const char *) (w5 + 8 * ld + i), _MM_HINT_T0);
		_mm_prefetch((const char *) (w6 + 8 * ld + i), _MM_HINT_T0);
		_mm_prefetch((const char *) (w7 + 8 * ld + i), _MM_HINT_T0);
		a0 = _mm512_fmadd_ps(_mm512_loadu_ps(w + i), xv, a0);
		a1 = _mm512_fmadd_ps(_mm512_loadu_ps(w1 + i), xv, a1);
		a2 = _mm512_fmadd_ps(_mm512_loadu_ps(w2 + i), xv, a2);
		a3 = _mm512_fmadd_ps(_mm512_loadu_ps(w3 + i), xv, a3);
		a4 = _mm512_fmadd_ps(_mm512_loadu_ps(w4 + i), xv, a4);
		a5 = _mm512_fmadd_ps(_mm512_loadu_ps(w5 + i), xv, a5);
		a6 = _mm512_fmadd_ps(_mm512_loadu_ps(w6 + i), xv, a6);
		a7 = _mm512_fmadd_ps(_mm512_loadu_ps(w7 + i), xv, a7);
	}
	if (tail)
	{
		__m512		xv = _mm512_maskz_loadu_ps(tail, x + i);

		a0 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(tail, w + i), xv, a0);
		a1 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(tail, w1 + i), xv, a1);
		a2 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(tail, w2 + i), xv, a2);
		a3 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(tail, w3 + i), xv, a3);
		a4 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(tail, w4 + i), xv, a4);
		a5 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(tail, w5 + i), xv, a5);
		a6 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(tail, w6 + i), xv, a6);
		a7 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(tail, w7 + i), xv, a7);
	}
	_mm256_storeu_ps(out, hsum8x8(fold512(a0), fold512(a1), fold512(a2), fold512(a3),
								  fold512(a4), fold512(a5), fold512(a6), fold512(a7)));
}

/* One row: two accumulators, the tail masked. */
static inline float
row1_avx512(const float *w, const float *x, int C, __mmask16 tail)
{
	__m512		a0 = _mm512_setzero_ps();
	__m512		a1 = a0;
	int			i = 0;

	for (; i + 32 <= C; i += 32)
	{
		a0 = _mm512_fmadd_ps(_mm512_loadu_ps(w + i), _mm512_loadu_ps(x + i), a0);
		a1 = _mm512_fmadd_ps(_mm512_loadu_ps(w + i + 16), _mm512_loadu_ps(x + i + 16), a1);
	}
	for (; i + 16 <= C; i += 16)
		a0 = _mm512_fmadd_ps(_mm512_loadu_ps(w + i), _mm512_loadu_ps(x + i), a0);
	if (tail)
		a1 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(tail, w + i),
							 _mm512_maskz_loadu_ps(tail, x + i), a1);
	return hsum8(fold512(_mm512_add_ps(a0, a1)));
}

/*
 * Rows o..o+7 of a narrow matrix (8 <= C < 16: attention scores of heads of
 * 8): one 8-wide product per row, no 512-bit fold; columns 8.. in scalar.
 */
static inline void
rows8_narrow(float *out, const float *w, size_t ld, const float *x, int C)
{
	__m256		xv = _mm256_loadu_ps(x);
	float		s[8];

	_mm256_storeu_ps(s, hsum8x8(_mm256_mul_ps(_mm256_loadu_ps(w), xv),
								_mm256_mul_ps(_mm256_loadu_ps(w + ld), xv),
								_mm256_mul_ps(_mm256_loadu_ps(w + 2 * ld), xv),
								_mm256_mul_ps(_mm256_loadu_ps(w + 3 * ld), xv),
								_mm256_mul_ps(_mm256_loadu_ps(w + 4 * ld), xv),
								_mm256_mul_ps(_mm256_loadu_ps(w + 5 * ld), xv),
								_mm256_mul_ps(_mm256_loadu_ps(w + 6 * ld), xv),
								_mm256_mul_ps(_mm256_loadu_ps(w + 7 * ld), xv)));
	for (int k = 0; k < 8; k++)
	{
		for (int i = 8; i < C; i++)
			s[k] += w[k * ld + i] * x[i];
		out[k] = s[k];
	}
}

/* out (OC) = W (OC, C; rows ld apart) x (C) with AVX-512. */
void
sqlpilot_matvec_ld(float *out, const float *weight, int ld, const float *x,
				   int OC, int C)
{
	__mmask16	tail = (__mmask16) ((1u << (C % 16)) - 1);
	int			o = 0;

	if (C >= 8 && C < 16)
		for (; o + 8 <= OC; o += 8)
			rows8_narrow(out + o, weight + (size_t) o * ld, (size_t) ld, x, C);
	for (; o + 8 <= OC; o += 8)
		rows8_avx512(out + o, weight + (size_t) o * ld, (size_t) ld, x, C, tail);
	for (; o < OC; o++)
		out[o] = row1_avx512(weight + (size_t) o * ld, x, C, tail);
}

/* The kernel this build runs. */
const char *
sqlpilot_matvec_kernel(void)
{
	return "avx512";
}

#elif defined(__AVX2__) && defined(__FMA__)

/* Rows o..o+7: 8 columns per FMA, the last C % 8 added by a scalar loop. */
static inline void
rows8_avx2(float *out, const float *w, size_t ld, const float *x, int C)
{
	const float *r[8];
	__m256		a0 = _mm256_setzero_ps();
	__m256		a1 = a0;
	__m256		a2 = a0;
	__m256		a3 = a0;
	__m256		a4 = a0;
	__m256		a5 = a0;
	__m256		a6 = a0;
	__m256		a7 = a0;
	int			i = 0;
	int			i0;
	float		s[8];

	for (int k = 0; k < 8; k++)
		r[k] = w + k * ld;
	for (; i + 8 <= C; i += 8)
	{
		__m256		xv = _mm256_loadu_ps(x + i);

		a0 = _mm256_fmadd_ps(_mm256_loadu_ps(r[0] + i), xv, a0);
		a1 = _mm256_fmadd_ps(_mm256_loadu_ps(r[1] + i), xv, a1);
		a2 = _mm256_fmadd_ps(_mm256_loadu_ps(r[2] + i), xv, a2);
		a3 = _mm256_fmadd_ps(_mm256_loadu_ps(r[3] + i), xv, a3);
		a4 = _mm256_fmadd_ps(_mm256_loadu_ps(r[4] + i), xv, a4);
		a5 = _mm256_fmadd_ps(_mm256_loadu_ps(r[5] + i), xv, a5);
		a6 = _mm256_fmadd_ps(_mm256_loadu_ps(r[6] + i), xv, a6);
		a7 = _mm256_fmadd_ps(_mm256_loadu_ps(r[7] + i), xv, a7);
	}
	_mm256_storeu_ps(s, hsum8x8(a0, a1, a2, a3, a4, a5, a6, a7));
	i0 = i;
	for (int k = 0; k < 8; k++)
	{
		for (i = i0; i < C; i++)
			s[k] += r[k][i] * x[i];
		out[k] = s[k];
	}
}

/* One row: two accumulators, then the scalar tail. */
static inline float
row1_avx2(const float *w, const float *x, int C)
{
	__m256		a0 = _mm256_setzero_ps();
	__m256		a1 = a0;
	int			i = 0;
	float		s;

	for (; i + 16 <= C; i += 16)
	{
		a0 = _mm256_fmadd_ps(_mm256_loadu_ps(w + i), _mm256_loadu_ps(x + i), a0);
		a1 = _mm256_fmadd_ps(_mm256_loadu_ps(w + i + 8), _mm256_loadu_ps(x + i + 8), a1);
	}
	for (; i + 8 <= C; i += 8)
		a0 = _mm256_fmadd_ps(_mm256_loadu_ps(w + i), _mm256_loadu_ps(x + i), a0);
	s = hsum8(_mm256_add_ps(a0, a1));
	for (; i < C; i++)
		s += w[i] * x[i];
	return s;
}

/* out (OC) = W (OC, C; rows ld apart) x (C) with AVX2 and FMA. */
void
sqlpilot_matvec_ld(float *out, const float *weight, int ld, const float *x,
				   int OC, int C)
{
	int			o = 0;

	for (; o + 8 <= OC; o += 8)
		rows8_avx2(out + o, weight + (size_t) o * ld, (size_t) ld, x, C);
	for (; o < OC; o++)
		out[o] = row1_avx2(weight + (size_t) o * ld, x, C);
}

/* The kernel this build runs. */
const char *
sqlpilot_matvec_kernel(void)
{
	return "avx2";
}

#else

/* out (OC) = W (OC, C; rows ld apart) x (C): four rows per pass share x. */
void
sqlpilot_matvec_ld(float *out, const float *weight, int ld, const float *x,
				   int OC, int C)
{
	int			o = 0;

	for (; o + 4 <= OC; o += 4)
	{
		const float *w0 = weight + (size_t) o * ld;
		const float *w1 = w0 + ld;
		const float *w2 = w1 + ld;
		const float *w3 = w2 + ld;
		float		s0 = 0.0f;
		float		s1 = 0.0f;
		float		s2 = 0.0f;
		float		s3 = 0.0f;

		for (int i = 0; i < C; i++)
		{
			s0 += w0[i] * x[i];
			s1 += w1[i] * x[i];
			s2 += w2[i] * x[i];
			s3 += w3[i] * x[i];
		}
		out[o] = s0;
		out[o + 1] = s1;
		out[o + 2] = s2;
		out[o + 3] = s3;
	}
	for (; o < OC; o++)
	{
		const float *w = weight + (size_t) o * ld;
		float		s = 0.0f;

		for (int i = 0; i < C; i++)
			s += w[i] * x[i];
		out[o] = s;
	}
}

/* The kernel this build runs. */
const char *
sqlpilot_matvec_kernel(void)
{
	return "scalar";
}

#endif

/* out (OC) = W (OC, C) x (C), rows packed. */
void
sqlpilot_matvec(float *out, const float *weight, const float *x, int OC, int C)
{
	sqlpilot_matvec_ld(out, weight, C, x, OC, C);
}

/*
 * Half weights.  Every path is compiled for its own target
 * (__attribute__((target))), and the path is chosen at run time: the widest
 * the CPU has, or the one sqlpilot_matvec_f16_set_path() forces (tests run
 * each).  sqlpilot_matvec_f16 is sqlpilot_matvec_f16_rows with one row, so
 * a batch of rows gives every row bit for bit what it gives alone.
 */

/* The halves h[0..n) (n < 16) widened, zeros after them: a row's last columns. */
__attribute__((target("avx512f,f16c,fma")))
static inline __m512
tail_f16_avx512(const uint16_t *h, int n)
{
	uint16_t	buf[16] = {0};

	for (int i = 0; i < n; i++)
		buf[i] = h[i];
	return _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *) buf));
}

/* 16 halves at p widened to floats. */
__attribute__((target("avx512f,f16c,fma")))
static inline __m512
load_f16_avx512(const uint16_t *p)
{
	return _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *) p));
}

/*
 * Rows o..o+7 of half weights: 16 columns per FMA, prefetching the next
 * eight rows (one 64-byte line holds 32 halves, so every other step).
 * Eight named accumulators, as in rows8_avx512, so they stay in registers.
 */
__attribute__((target("avx512f,f16c,fma")))
static inline void
rows8_f16_avx512(float *out, const uint16_t *w, size_t ld, const float *x, int C)
{
	const uint16_t *w1 = w + ld;
	const uint16_t *w2 = w1 + ld;
	const uint16_t *w3 = w2 + ld;
	const uint16_t *w4 = w3 + ld;
	const uint16_t *w5 = w4 + ld;
	const uint16_t *w6 = w5 + ld;
	const uint16_t *w7 = w6 + ld;
	__m512		a0 = _mm512_setzero_ps();
	__m512		a1 = a0;
	__m512		a2 = a0;
	__m512		a3 = a0;
	__m512		a4 = a0;
	__m512		a5 = a0;
	__m512		a6 = a0;
	__m512		a7 = a0;
	int			i = 0;

	for (; i + 32 <= C; i += 32)
	{
		__m512		xv = _mm512_loadu_ps(x + i);
		__m512		xv2 = _mm512_loadu_ps(x + i + 16);

		_mm_prefetch((const char *) (w + 8 * ld + i), _MM_HINT_T0);
		_mm_prefetch((const char *) (w1 + 8 * ld + i), _MM_HINT_T0);
		_mm_prefetch((const char *) (w2 + 8 * ld + i), _MM_HINT_T0);
		_mm_prefetch((const char *) (w3 + 8 * ld + i), _MM_HINT_T0);
		_mm_prefetch((const char *) (w4 + 8 * ld + i), _MM_HINT_T0);
		_mm_prefetch((const char *) (w5 + 8 * ld + i), _MM_HINT_T0);
		_mm_prefetch((const char *) (w6 + 8 * ld + i), _MM_HINT_T0);
		_mm_prefetch((const char *) (w7 + 8 * ld + i), _MM_HINT_T0);
		a0 = _mm512_fmadd_ps(load_f16_avx512(w + i), xv, a0);
		a1 = _mm512_fmadd_ps(load_f16_avx512(w1 + i), xv, a1);
		a2 = _mm512_fmadd_ps(load_f16_avx512(w2 + i), xv, a2);
		a3 = _mm512_fmadd_ps(load_f16_avx512(w3 + i), xv, a3);
		a4 = _mm512_fmadd_ps(load_f16_avx512(w4 + i), xv, a4);
		a5 = _mm512_fmadd_ps(load_f16_avx512(w5 + i), xv, a5);
		a6 = _mm512_fmadd_ps(load_f16_avx512(w6 + i), xv, a6);
		a7 = _mm512_fmadd_ps(load_f16_avx512(w7 + i), xv, a7);
		a0 = _mm512_fmadd_ps(load_f16_avx512(w + i + 16), xv2, a0);
		a1 = _mm512_fmadd_ps(load_f16_avx512(w1 + i + 16), xv2, a1);
		a2 = _mm512_fmadd_ps(load_f16_avx512(w2 + i + 16), xv2, a2);
		a3 = _mm512_fmadd_ps(load_f16_avx512(w3 + i + 16), xv2, a3);
		a4 = _mm512_fmadd_ps(load_f16_avx512(w4 + i + 16), xv2, a4);
		a5 = _mm512_fmadd_ps(load_f16_avx512(w5 + i + 16), xv2, a5);
		a6 = _mm512_fmadd_ps(load_f16_avx512(w6 + i + 16), xv2, a6);
		a7 = _mm512_fmadd_ps(load_f16_avx512(w7 + i + 16), xv2, a7);
	}
	for (; i + 16 <= C; i += 16)
	{
		__m512		xv = _mm512_loadu_ps(x + i);

		a0 = _mm512_fmadd_ps(load_f16_avx512(w + i), xv, a0);
		a1 = _mm512_fmadd_ps(load_f16_avx512(w1 + i), xv, a1);
		a2 = _mm512_fmadd_ps(load_f16_avx512(w2 + i), xv, a2);
		a3 = _mm512_fmadd_ps(load_f16_avx512(w3 + i), xv, a3);
		a4 = _mm512_fmadd_ps(load_f16_avx512(w4 + i), xv, a4);
		a5 = _mm512_fmadd_ps(load_f16_avx512(w5 + i), xv, a5);
		a6 = _mm512_fmadd_ps(load_f16_avx512(w6 + i), xv, a6);
		a7 = _mm512_fmadd_ps(load_f16_avx512(w7 + i), xv, a7);
	}
	if (i < C)
	{
		__m512		xv = _mm512_maskz_loadu_ps((__mmask16) ((1u << (C - i)) - 1), x + i);

		a0 = _mm512_fmadd_ps(tail_f16_avx512(w + i, C - i), xv, a0);
		a1 = _mm512_fmadd_ps(tail_f16_avx512(w1 + i, C - i), xv, a1);
		a2 = _mm512_fmadd_ps(tail_f16_avx512(w2 + i, C - i), xv, a2);
		a3 = _mm512_fmadd_ps(tail_f16_avx512(w3 + i, C - i), xv, a3);
		a4 = _mm512_fmadd_ps(tail_f16_avx512(w4 + i, C - i), xv, a4);
		a5 = _mm512_fmadd_ps(tail_f16_avx512(w5 + i, C - i), xv, a5);
		a6 = _mm512_fmadd_ps(tail_f16_avx512(w6 + i, C - i), xv, a6);
		a7 = _mm512_fmadd_ps(tail_f16_avx512(w7 + i, C - i), xv, a7);
	}
	_mm256_storeu_ps(out, hsum8x8(fold512(a0), fold512(a1), fold512(a2), fold512(a3),
								  fold512(a4), fold512(a5), fold512(a6), fold512(a7)));
}

/*
 * Rows o..o+7 of half weights against two x rows at once: each 16 halves
 * are widened once for both, so a second row costs its FMAs only.  Each
 * accumulator takes its column chunks in the order rows8_f16_avx512 does
 * and is reduced by the same tree: out0 and out1 are bit for bit its results.
 */
__attribute__((target("avx512f,f16c,fma")))
static inline void
rows8x2_f16_avx512(float *out0, float *out1, const uint16_t *w, size_t ld,
				   const float *x0, const float *x1, int C)
{
	const uint16_t *w1 = w + ld;
	const uint16_t *w2 = w1 + ld;
	const uint16_t *w3 = w2 + ld;
	const uint16_t *w4 = w3 + ld;
	const uint16_t *w5 = w4 + ld;
	const uint16_t *w6 = w5 + ld;
	const uint16_t *w7 = w6 + ld;
	__m512		a0 = _mm512_setzero_ps();
	__m512		a1 = a0;
	__m512		a2 = a0;
	__m512		a3 = a0;
	__m512		a4 = a0;
	__m512		a5 = a0;
	__m512		a6 = a0;
	__m512		a7 = a0;
	__m512		b0 = a0;
	__m512		b1 = a0;
	__m512		b2 = a0;
	__m512		b3 = a0;
	__m512		b4 = a0;
	__m512		b5 = a0;
	__m512		b6 = a0;
	__m512		b7 = a0;
	int			i = 0;

	for (; i < C; i += 16)
	{
		__mmask16	m = C - i >= 16 ? (__mmask16) 0xFFFF : (__mmask16) ((1u << (C - i)) - 1);
		__m512		xa = _mm512_maskz_loadu_ps(m, x0 + i);
		__m512		xb = _mm512_maskz_loadu_ps(m, x1 + i);
		__m512		v;

		if (C - i >= 16 && (i & 31) == 0)
		{
			_mm_prefetch((const char *) (w + 8 * ld + i), _MM_HINT_T0);
			_mm_prefetch((const char *) (w1 + 8 * ld + i), _MM_HINT_T0);
			_mm_prefetch((const char *) (w2 + 8 * ld + i), _MM_HINT_T0);
			_mm_prefetch((const char *) (w3 + 8 * ld + i), _MM_HINT_T0);
			_mm_prefetch((const char *) (w4 + 8 * ld + i), _MM_HINT_T0);
			_mm_prefetch((const char *) (w5 + 8 * ld + i), _MM_HINT_T0);
			_mm_prefetch((const char *) (w6 + 8 * ld + i), _MM_HINT_T0);
			_mm_prefetch((const char *) (w7 + 8 * ld + i), _MM_HINT_T0);
		}
		v = C - i >= 16 ? load_f16_avx512(w + i) : tail_f16_avx512(w + i, C - i);
		a0 = _mm512_fmadd_ps(v, xa, a0);
		b0 = _mm512_fmadd_ps(v, xb, b0);
		v = C - i >= 16 ? load_f16_avx512(w1 + i) : tail_f16_avx512(w1 + i, C - i);
		a1 = _mm512_fmadd_ps(v, xa, a1);
		b1 = _mm512_fmadd_ps(v, xb, b1);
		v = C - i >= 16 ? load_f16_avx512(w2 + i) : tail_f16_avx512(w2 + i, C - i);
		a2 = _mm512_fmadd_ps(v, xa, a2);
		b2 = _mm512_fmadd_ps(v, xb, b2);
		v = C - i >= 16 ? load_f16_avx512(w3 + i) : tail_f16_avx512(w3 + i, C - i);
		a3 = _mm512_fmadd_ps(v, xa, a3);
		b3 = _mm512_fmadd_ps(v, xb, b3);
		v = C - i >= 16 ? load_f16_avx512(w4 + i) : tail_f16_avx512(w4 + i, C - i);
		a4 = _mm512_fmadd_ps(v, xa, a4);
		b4 = _mm512_fmadd_ps(v, xb, b4);
		v = C - i >= 16 ? load_f16_avx512(w5 + i) : tail_f16_avx512(w5 + i, C - i);
		a5 = _mm512_fmadd_ps(v, xa, a5);
		b5 = _mm512_fmadd_ps(v, xb, b5);
		v = C - i >= 16 ? load_f16_avx512(w6 + i) : tail_f16_avx512(w6 + i, C - i);
		a6 = _mm512_fmadd_ps(v, xa, a6);
		b6 = _mm512_fmadd_ps(v, xb, b6);
		v = C - i >= 16 ? load_f16_avx512(w7 + i) : tail_f16_avx512(w7 + i, C - i);
		a7 = _mm512_fmadd_ps(v, xa, a7);
		b7 = _mm512_fmadd_ps(v, xb, b7);
	}
	_mm256_storeu_ps(out0, hsum8x8(fold512(a0), fold512(a1), fold512(a2), fold512(a3),
								   fold512(a4), fold512(a5), fold512(a6), fold512(a7)));
	_mm256_storeu_ps(out1, hsum8x8(fold512(b0), fold512(b1), fold512(b2), fold512(b3),
								   fold512(b4), fold512(b5), fold512(b6), fold512(b7)));
}

/*
 * Rows o..o+3 of half weights against four x rows at once: each 16 halves
 * are widened once for four rows (rows8x2_f16_avx512 widens them once for
 * two), sixteen accumulators.  Each takes its column chunks in the order
 * rows8_f16_avx512 does and is reduced by the same tree (hsum8x8 sums each
 * of its eight inputs alone), so out[r] are bit for bit its results.
 */
__attribute__((target("avx512f,f16c,fma")))
static inline void
rows4x4_f16_avx512(float *const *out, const uint16_t *w, size_t ld, const float *const *x,
				   int C)
{
	const uint16_t *w1 = w + ld;
	const uint16_t *w2 = w1 + ld;
	const uint16_t *w3 = w2 + ld;
	__m512		a0 = _mm512_setzero_ps();
	__m512		a1 = a0,
				a2 = a0,
				a3 = a0,
				b0 = a0,
				b1 = a0,
				b2 = a0,
				b3 = a0,
				c0 = a0,
				c1 = a0,
				c2 = a0,
				c3 = a0,
				d0 = a0,
				d1 = a0,
				d2 = a0,
				d3 = a0;
	float		s[8];

	for (int i = 0; i < C; i += 16)
	{
		__mmask16	m = C - i >= 16 ? (__mmask16) 0xFFFF : (__mmask16) ((1u << (C - i)) - 1);
		__m512		xa = _mm512_maskz_loadu_ps(m, x[0] + i);
		__m512		xb = _mm512_maskz_loadu_ps(m, x[1] + i);
		__m512		xc = _mm512_maskz_loadu_ps(m, x[2] + i);
		__m512		xd = _mm512_maskz_loadu_ps(m, x[3] + i);
		__m512		v;

		if (C - i >= 16 && (i & 31) == 0)
		{
			_mm_prefetch((const char *) (w + 4 * ld + i), _MM_HINT_T0);
			_mm_prefetch((const char *) (w1 + 4 * ld + i), _MM_HINT_T0);
			_mm_prefetch((const char *) (w2 + 4 * ld + i), _MM_HINT_T0);
			_mm_prefetch((const char *) (w3 + 4 * ld + i), _MM_HINT_T0);
		}
		v = C - i >= 16 ? load_f16_avx512(w + i) : tail_f16_avx512(w + i, C - i);
		a0 = _mm512_fmadd_ps(v, xa, a0);
		b0 = _mm512_fmadd_ps(v, xb, b0);
		c0 = _mm512_fmadd_ps(v, xc, c0);
		d0 = _mm512_fmadd_ps(v, xd, d0);
		v = C - i >= 16 ? load_f16_avx512(w1 + i) : tail_f16_avx512(w1 + i, C - i);
		a1 = _mm512_fmadd_ps(v, xa, a1);
		b1 = _mm512_fmadd_ps(v, xb, b1);
		c1 = _mm512_fmadd_ps(v, xc, c1);
		d1 = _mm512_fmadd_ps(v, xd, d1);
		v = C - i >= 16 ? load_f16_avx512(w2 + i) : tail_f16_avx512(w2 + i, C - i);
		a2 = _mm512_fmadd_ps(v, xa, a2);
		b2 = _mm512_fmadd_ps(v, xb, b2);
		c2 = _mm512_fmadd_ps(v, xc, c2);
		d2 = _mm512_fmadd_ps(v, xd, d2);
		v = C - i >= 16 ? load_f16_avx512(w3 + i) : tail_f16_avx512(w3 + i, C - i);
		a3 = _mm512_fmadd_ps(v, xa, a3);
		b3 = _mm512_fmadd_ps(v, xb, b3);
		c3 = _mm512_fmadd_ps(v, xc, c3);
		d3 = _mm512_fmadd_ps(v, xd, d3);
	}
	_mm256_storeu_ps(s, hsum8x8(fold512(a0), fold512(a1), fold512(a2), fold512(a3),
								fold512(b0), fold512(b1), fold512(b2), fold512(b3)));
	memcpy(out[0], s, 4 * sizeof(float));
	memcpy(out[1], s + 4, 4 * sizeof(float));
	_mm256_storeu_ps(s, hsum8x8(fold512(c0), fold512(c1), fold512(c2), fold512(c3),
								fold512(d0), fold512(d1), fold512(d2), fold512(d3)));
	memcpy(out[2], s, 4 * sizeof(float));
	memcpy(out[3], s + 4, 4 * sizeof(float));
}

/*
 * rows4x4_f16_avx512 with a fifth x row (twenty accumulators, all in
 * registers): five rows decoded together (the greedy row and four
 * alternatives) widen each 16 halves once instead of twice.  The same
 * order and reduction per accumulator: out[r] bit for bit.
 */
__attribute__((target("avx512f,f16c,fma")))
static inline void
rows4x5_f16_avx512(float *const *out, const uint16_t *w, size_t ld, const float *const *x,
				   int C)
{
	const uint16_t *w1 = w + ld;
	const uint16_t *w2 = w1 + ld;
	const uint16_t *w3 = w2 + ld;
	__m512		a0 = _mm512_setzero_ps();
	__m512		a1 = a0,
				a2 = a0,
				a3 = a0,
				b0 = a0,
				b1 = a0,
				b2 = a0,
				b3 = a0,
				c0 = a0,
				c1 = a0,
				c2 = a0,
				c3 = a0,
				d0 = a0,
				d1 = a0,
				d2 = a0,
				d3 = a0,
				e0 = a0,
				e1 = a0,
				e2 = a0,
				e3 = a0;
	__m512		z = a0;
	float		s[8];

	for (int i = 0; i < C; i += 16)
	{
		__mmask16	m = C - i >= 16 ? (__mmask16) 0xFFFF : (__mmask16) ((1u << (C - i)) - 1);
		__m512		xa = _mm512_maskz_loadu_ps(m, x[0] + i);
		__m512		xb = _mm512_maskz_loadu_ps(m, x[1] + i);
		__m512		xc = _mm512_maskz_loadu_ps(m, x[2] + i);
		__m512		xd = _mm512_maskz_loadu_ps(m, x[3] + i);
		__m512		xe = _mm512_maskz_loadu_ps(m, x[4] + i);
		__m512		v;

		if (C - i >= 16 && (i & 31) == 0)
		{
			_mm_prefetch((const char *) (w + 4 * ld + i), _MM_HINT_T0);
			_mm_prefetch((const char *) (w1 + 4 * ld + i), _MM_HINT_T0);
			_mm_prefetch((const char *) (w2 + 4 * ld + i), _MM_HINT_T0);
			_mm_prefetch((const char *) (w3 + 4 * ld + i), _MM_HINT_T0);
		}
		v = C - i >= 16 ? load_f16_avx512(w + i) : tail_f16_avx512(w + i, C - i);
		a0 = _mm512_fmadd_ps(v, xa, a0);
		b0 = _mm512_fmadd_ps(v, xb, b0);
		c0 = _mm512_fmadd_ps(v, xc, c0);
		d0 = _mm512_fmadd_ps(v, xd, d0);
		e0 = _mm512_fmadd_ps(v, xe, e0);
		v = C - i >= 16 ? load_f16_avx512(w1 + i) : tail_f16_avx512(w1 + i, C - i);
		a1 = _mm512_fmadd_ps(v, xa, a1);
		b1 = _mm512_fmadd_ps(v, xb, b1);
		c1 = _mm512_fmadd_ps(v, xc, c1);
		d1 = _mm512_fmadd_ps(v, xd, d1);
		e1 = _mm512_fmadd_ps(v, xe, e1);
		v = C - i >= 16 ? load_f16_avx512(w2 + i) : tail_f16_avx512(w2 + i, C - i);
		a2 = _mm512_fmadd_ps(v, xa, a2);
		b2 = _mm512_fmadd_ps(v, xb, b2);
		c2 = _mm512_fmadd_ps(v, xc, c2);
		d2 = _mm512_fmadd_ps(v, xd, d2);
		e2 = _mm512_fmadd_ps(v, xe, e2);
		v = C - i >= 16 ? load_f16_avx512(w3 + i) : tail_f16_avx512(w3 + i, C - i);
		a3 = _mm512_fmadd_ps(v, xa, a3);
		b3 = _mm512_fmadd_ps(v, xb, b3);
		c3 = _mm512_fmadd_ps(v, xc, c3);
		d3 = _mm512_fmadd_ps(v, xd, d3);
		e3 = _mm512_fmadd_ps(v, xe, e3);
	}
	_mm256_storeu_ps(s, hsum8x8(fold512(a0), fold512(a1), fold512(a2), fold512(a3),
								fold512(b0), fold512(b1), fold512(b2), fold512(b3)));
	memcpy(out[0], s, 4 * sizeof(float));
	memcpy(out[1], s + 4, 4 * sizeof(float));
	_mm256_storeu_ps(s, hsum8x8(fold512(c0), fold512(c1), fold512(c2), fold512(c3),
								fold512(d0), fold512(d1), fold512(d2), fold512(d3)));
	memcpy(out[2], s, 4 * sizeof(float));
	memcpy(out[3], s + 4, 4 * sizeof(float));
	_mm256_storeu_ps(s, hsum8x8(fold512(e0), fold512(e1), fold512(e2), fold512(e3),
								fold512(z), fold512(z), fold512(z), fold512(z)));
	memcpy(out[4], s, 4 * sizeof(float));
}

/* One row of half weights. */
__attribute__((target("avx512f,f16c,fma")))
static inline float
row1_f16_avx512(const uint16_t *w, const float *x, int C)
{
	__m512		a = _mm512_setzero_ps();
	int			i = 0;

	for (; i + 16 <= C; i += 16)
		a = _mm512_fmadd_ps(load_f16_avx512(w + i), _mm512_loadu_ps(x + i), a);
	if (i < C)
		a = _mm512_fmadd_ps(tail_f16_avx512(w + i, C - i),
							_mm512_maskz_loadu_ps((__mmask16) ((1u << (C - i)) - 1), x + i), a);
	return hsum8(fold512(a));
}

/*
 * out (N, OC) = x (N, C) @ W (OC, C; halves)^T with AVX-512: each block of
 * eight weight rows comes from memory once, for the first x row, and from
 * L1 for the others.
 */
__attribute__((target("avx512f,f16c,fma")))
static void
rows_f16_avx512(float *out, const uint16_t *weight, const float *x, int N, int OC, int C)
{
	int			o = 0;

	for (; o + 8 <= OC; o += 8)
	{
		int			n = 0;

		/*
		 * four x rows at a time, five when five are left; three left run
		 * as four (the fourth's sums dropped)
		 */
		while (n + 3 <= N)
		{
			int			g = N - n == 5 ? 5 : 4;
			float		spare[8];
			float	   *outg[5];
			const float *xg[5];

			for (int r = 0; r < g; r++)
			{
				int			nr = n + r < N ? n + r : n + 2;

				outg[r] = n + r < N ? out + (size_t) nr * OC + o : spare;
				xg[r] = x + (size_t) nr * C;
			}
			for (int half = 0; half < 2; half++)
			{
				const uint16_t *wb = weight + (size_t) (o + 4 * half) * C;

				if (g == 5)
					rows4x5_f16_avx512(outg, wb, (size_t) C, xg, C);
				else
					rows4x4_f16_avx512(outg, wb, (size_t) C, xg, C);
				for (int r = 0; r < g; r++)
					outg[r] += 4;
			}
			n += g;
		}
		for (; n + 2 <= N; n += 2)
			rows8x2_f16_avx512(out + (size_t) n * OC + o, out + (size_t) (n + 1) * OC + o,
							   weight + (size_t) o * C, (size_t) C,
							   x + (size_t) n * C, x + (size_t) (n + 1) * C, C);
		if (n < N)
			rows8_f16_avx512(out + (size_t) n * OC + o, weight + (size_t) o * C, (size_t) C,
							 x + (size_t) n * C, C);
	}
	for (; o < OC; o++)
		for (int n = 0; n < N; n++)
			out[(size_t) n * OC + o] = row1_f16_avx512(weight + (size_t) o * C,
													   x + (size_t) n * C, C);
}

/* 8 halves at p widened to floats. */
__attribute__((target("avx2,fma,f16c")))
static inline __m256
load_f16_avx2(const uint16_t *p)
{
	return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *) p));
}

/* Rows o..o+7 of half weights: 8 columns per FMA, the last C % 8 in scalar. */
__attribute__((target("avx2,fma,f16c")))
static inline void
rows8_f16_avx2(float *out, const uint16_t *w, size_t ld, const float *x, int C)
{
	const uint16_t *r[8];
	__m256		a0 = _mm256_setzero_ps();
	__m256		a1 = a0;
	__m256		a2 = a0;
	__m256		a3 = a0;
	__m256		a4 = a0;
	__m256		a5 = a0;
	__m256		a6 = a0;
	__m256		a7 = a0;
	float		s[8];
	int			i = 0;

	for (int k = 0; k < 8; k++)
		r[k] = w + k * ld;
	for (; i + 8 <= C; i += 8)
	{
		__m256		xv = _mm256_loadu_ps(x + i);

		a0 = _mm256_fmadd_ps(load_f16_avx2(r[0] + i), xv, a0);
		a1 = _mm256_fmadd_ps(load_f16_avx2(r[1] + i), xv, a1);
		a2 = _mm256_fmadd_ps(load_f16_avx2(r[2] + i), xv, a2);
		a3 = _mm256_fmadd_ps(load_f16_avx2(r[3] + i), xv, a3);
		a4 = _mm256_fmadd_ps(load_f16_avx2(r[4] + i), xv, a4);
		a5 = _mm256_fmadd_ps(load_f16_avx2(r[5] + i), xv, a5);
		a6 = _mm256_fmadd_ps(load_f16_avx2(r[6] + i), xv, a6);
		a7 = _mm256_fmadd_ps(load_f16_avx2(r[7] + i), xv, a7);
	}
	_mm256_storeu_ps(s, hsum8x8(a0, a1, a2, a3, a4, a5, a6, a7));
	for (int k = 0; k < 8; k++)
	{
		for (int j = i; j < C; j++)
			s[k] += sqlpilot_fp16_to_fp32(r[k][j]) * x[j];
		out[k] = s[k];
	}
}

/* One row of half weights: 8 columns per FMA, then the scalar tail. */
__attribute__((target("avx2,fma,f16c")))
static inline float
row1_f16_avx2(const uint16_t *w, const float *x, int C)
{
	__m256		a = _mm256_setzero_ps();
	int			i = 0;
	float		sum;

	for (; i + 8 <= C; i += 8)
		a = _mm256_fmadd_ps(load_f16_avx2(w + i), _mm256_loadu_ps(x + i), a);
	sum = hsum8(a);
	for (; i < C; i++)
		sum += sqlpilot_fp16_to_fp32(w[i]) * x[i];
	return sum;
}

/* out (N, OC) = x (N, C) @ W (OC, C; halves)^T with AVX2, FMA and F16C, blocked as above. */
__attribute__((target("avx2,fma,f16c")))
static void
rows_f16_avx2(float *out, const uint16_t *weight, const float *x, int N, int OC, int C)
{
	int			o = 0;

	for (; o + 8 <= OC; o += 8)
		for (int n = 0; n < N; n++)
			rows8_f16_avx2(out + (size_t) n * OC + o, weight + (size_t) o * C, (size_t) C,
						   x + (size_t) n * C, C);
	for (; o < OC; o++)
		for (int n = 0; n < N; n++)
			out[(size_t) n * OC + o] = row1_f16_avx2(weight + (size_t) o * C,
													 x + (size_t) n * C, C);
}

/* out (N, OC) = x (N, C) @ W (OC, C; halves)^T in plain C, one weight row for all x rows. */
static void
rows_f16_scalar(float *out, const uint16_t *weight, const float *x, int N, int OC, int C)
{
	for (int o = 0; o < OC; o++)
	{
		const uint16_t *w = weight + (size_t) o * C;

		for (int n = 0; n < N; n++)
		{
			const float *xn = x + (size_t) n * C;
			float		s = 0.0f;

			for (int i = 0; i < C; i++)
				s += sqlpilot_fp16_to_fp32(w[i]) * xn[i];
			out[(size_t) n * OC + o] = s;
		}
	}
}

typedef void (*HalfRowsKernel) (float *out, const uint16_t *weight, const float *x,
								int N, int OC, int C);

/* One way to run the half-weight products. */
typedef struct HalfPath
{
	const char *name;
	HalfRowsKernel rows;
} HalfPath;

static const HalfPath half_avx512 = {"avx512", rows_f16_avx512};
static const HalfPath half_avx2 = {"avx2", rows_f16_avx2};
static const HalfPath half_scalar = {"scalar", rows_f16_scalar};

/* The path calls take; NULL until the first call picks the best. */
static const HalfPath *half_current;

/* The path named name if this CPU runs it, else NULL. */
static const HalfPath *
half_lookup(const char *name)
{
	__builtin_cpu_init();
	if (strcmp(name, "avx512") == 0)
		return __builtin_cpu_supports("avx512f") ? &half_avx512 : NULL;
	if (strcmp(name, "avx2") == 0)
		return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
			__builtin_cpu_supports("f16c") ? &half_avx2 : NULL;
	if (strcmp(name, "scalar") == 0)
		return &half_scalar;
	return NULL;
}

/* The widest path this CPU runs. */
static const HalfPath *
half_best(void)
{
	const HalfPath *p = half_lookup("avx512");

	if (!p)
		p = half_lookup("avx2");
	return p ? p : &half_scalar;
}

/* Forces a path by name, or back to the best with "auto"/NULL (matvec.h). */
int
sqlpilot_matvec_f16_set_path(const char *name)
{
	const HalfPath *p = !name || strcmp(name, "auto") == 0 ? half_best() : half_lookup(name);

	if (!p)
		return -1;
	half_current = p;
	return 0;
}

/* Name of the path the half-weight products take now. */
const char *
sqlpilot_matvec_f16_path(void)
{
	if (!half_current)
		half_current = half_best();
	return half_current->name;
}

/* out (N, OC) = x (N, C) @ W (OC, C; halves)^T on the current path. */
void
sqlpilot_matvec_f16_rows(float *out, const uint16_t *weight, const float *x, int N, int OC, int C)
{
	if (!half_current)
		half_current = half_best();
	half_current->rows(out, weight, x, N, OC, C);
}

/* out (OC) = W (OC, C; halves) x (C): one row of sqlpilot_matvec_f16_rows. */
void
sqlpilot_matvec_f16(float *out, const uint16_t *weight, const float *x, int OC, int C)
{
	sqlpilot_matvec_f16_rows(out, weight, x, 1, OC, C);
}

/* Widens n halves: 16 per instruction with AVX-512, 8 with F16C, else one by one. */
void
sqlpilot_f16_to_f32_n(float *dst, const uint16_t *src, size_t n)
{
	size_t		i = 0;

#if defined(__AVX512F__)
	for (; i + 16 <= n; i += 16)
		_mm512_storeu_ps(dst + i, _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *) (src + i))));
#elif defined(__F16C__)
	for (; i + 8 <= n; i += 8)
		_mm256_storeu_ps(dst + i, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *) (src + i))));
#endif
	for (; i < n; i++)
		dst[i] = sqlpilot_fp16_to_fp32(src[i]);
}
