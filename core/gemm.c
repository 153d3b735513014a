/*
 * gemm.c — C = alpha op(A) op(B) + beta C on packed panels (see gemm.h).
 *
 * The usual cache-blocked design: the K dimension is cut in blocks of KC, a
 * KC x NC panel of op(B) is packed once per block into slivers NR columns
 * wide, and for each MC x KC block of op(A), packed into slivers MR rows
 * tall, a register-blocked micro-kernel computes every MR x NR tile of C
 * from one A sliver and one B sliver: per k it loads NR values of B, splats
 * MR values of A and does MR*NR multiply-adds into accumulators that stay
 * in registers for the whole block.  K blocks are balanced (K = 288 runs as
 * one block, not 256 + 32, whose C updates would cost as much as the
 * products).  A B sliver (KC x NR) is reused by all the A slivers of the
 * block; with KC = 512 it no longer fits L1, which measured no slower here
 * than KC = 256 (the L2 keeps up) and halves the traffic to C.  Packing pads
 * the last sliver with zeros, so the kernel never branches on the K or tile
 * edges; only its store of C clips to the m x n valid part.  Halves (f16 weights) are
 * widened while their panel is packed: no widened copy of the matrix.
 *
 * Kernels: AVX-512 14 x 32 (28 zmm accumulators), AVX2+FMA 6 x 16 (12 ymm),
 * plain C 4 x 16; each compiled for its own target with
 * __attribute__((target)), so the file needs no -march flag and one binary
 * runs anywhere: CPUID picks the widest the CPU has.  Rows of a row-major
 * operand that must be packed across (W of x @ W^T) are transposed 16 x 16
 * in zmm registers by the AVX-512 path.  That path does not pack A when
 * op(A) = A (x of x @ W^T, dout of dout @ W): its kernel broadcasts from the
 * 14 rows in place, which measured faster than transposing them (the
 * transposes were ~6% of a 15M training step).  Optionally (the trainer's
 * --threads 2) a big product runs half of C in one helper thread; see
 * gemm_split (sqlpilot_run_halves hands the same thread other work).
 */
#include "gemm.h"

#include <immintrin.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "matvec.h"
#include "util.h"

/*
 * Micro-kernel: C (m x n part of an mr x nr tile) = alpha A B + beta C over kc,
 * ab = {alpha, beta}.  They come through memory, not as float arguments: an
 * argument stays in its vector register through the k loop, and with 28
 * accumulators that register pushed a B vector to the stack (one extra load
 * per FMA pair, ~30% of the kernel's speed here).
 */
typedef void (*GemmKernel) (int kc, const float *a, const float *b, float *c, int ldc,
							int m, int n, const float *ab);

/*
 * Packs one sliver from nw <= w rows of floats X (or halves Xh) at row
 * stride ld, columns [0, kb): element (row i, column k) to dst[k*w + i],
 * zero for rows nw..w-1.
 */
typedef void (*GemmPackRows) (float *dst, int w, const float *X, const uint16_t *Xh, size_t ld,
							  int nw, int kb);

/* The same from floats stored k-major (element (i, k) at X[k*ld + i]). */
typedef void (*GemmPackKmajor) (float *dst, int w, const float *X, size_t ld, int nw, int kb);

typedef struct GemmPath
{
	const char *name;
	int			mr;				/* tile rows (A sliver width) */
	int			nr;				/* tile columns (B sliver width) */
	int			kc;				/* K block */
	int			mc;				/* rows of A per packed block (multiple of mr) */
	int			nc;				/* columns of B per packed panel (multiple of nr) */
	GemmKernel	kernel;
	GemmPackRows pack_rows;
	GemmPackKmajor pack_kmajor;
} GemmPath;

/* AVX-512: 14 rows x 32 columns, 28 zmm accumulators + 2 for B + 1 splat. */
__attribute__((target("avx512f")))
static void
kernel_avx512(int kc, const float *a, const float *b, float *c, int ldc,
			  int m, int n, const float *ab)
{
	__m512		c0[14];
	__m512		c1[14];
	__mmask16	k0 = n >= 16 ? 0xFFFF : (__mmask16) ((1u << n) - 1);
	__mmask16	k1 = n >= 32 ? 0xFFFF : n > 16 ? (__mmask16) ((1u << (n - 16)) - 1) : 0;

#pragma GCC unroll 14
	for (int i = 0; i < 14; i++)
	{
		c0[i] = _mm512_setzero_ps();
		c1[i] = _mm512_setzero_ps();
		if (i < m)
		{
			_mm_prefetch((const char *) (c + (size_t) i * ldc), _MM_HINT_T0);
			_mm_prefetch((const char *) (c + (size_t) i * ldc + 16), _MM_HINT_T0);
		}
	}
	for (int k = 0; k < kc; k++)
	{
		__m512		b0 = _mm512_load_ps(b);
		__m512		b1 = _mm512_load_ps(b + 16);

#pragma GCC unroll 14
		for (int i = 0; i < 14; i++)
		{
			__m512		ai = _mm512_set1_ps(a[i]);

			c0[i] = _mm512_fmadd_ps(ai, b0, c0[i]);
			c1[i] = _mm512_fmadd_ps(ai, b1, c1[i]);
		}
		a += 14;
		b += 32;
	}
#pragma GCC unroll 14
	for (int i = 0; i < 14; i++)
	{
		float	   *ci = c + (size_t) i * ldc;
		__m512		va = _mm512_set1_ps(ab[0]);
		__m512		vb = _mm512_set1_ps(ab[1]);
		__m512		r0 = _mm512_mul_ps(va, c0[i]);
		__m512		r1 = _mm512_mul_ps(va, c1[i]);

		if (i >= m)
			break;
		if (ab[1] != 0.0f)
		{
			r0 = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(k0, ci), r0);
			r1 = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(k1, ci + 16), r1);
		}
		_mm512_mask_storeu_ps(ci, k0, r0);
		_mm512_mask_storeu_ps(ci + 16, k1, r1);
	}
}

/*
 * kernel_avx512 reading A in place from m <= 14 rows of a row-major matrix
 * (row i at a + i*lda, k contiguous) instead of a packed sliver: rows past
 * m repeat row m-1 (their results are not stored).  Used for op(A) = A,
 * where packing meant a 16 x 16 transpose of every A element; the 14 rows
 * stay in L1 across the B slivers of a block.
 */
__attribute__((target("avx512f")))
static void
kernel_avx512_rows(int kc, const float *a, int lda, const float *b, float *c, int ldc,
				   int m, int n, const float *ab)
{
	__m512		c0[14];
	__m512		c1[14];
	const float *ar[14];
	__mmask16	k0 = n >= 16 ? 0xFFFF : (__mmask16) ((1u << n) - 1);
	__mmask16	k1 = n >= 32 ? 0xFFFF : n > 16 ? (__mmask16) ((1u << (n - 16)) - 1) : 0;

#pragma GCC unroll 14
	for (int i = 0; i < 14; i++)
	{
		ar[i] = a + (size_t) (i < m ? i : m - 1) * lda;
		c0[i] = _mm512_setzero_ps();
		c1[i] = _mm512_setzero_ps();
	}
	for (int k = 0; k < kc; k++)
	{
		__m512		b0 = _mm512_load_ps(b);
		__m512		b1 = _mm512_load_ps(b + 16);

#pragma GCC unroll 14
		for (int i = 0; i < 14; i++)
		{
			__m512		ai = _mm512_set1_ps(ar[i][k]);

			c0[i] = _mm512_fmadd_ps(ai, b0, c0[i]);
			c1[i] = _mm512_fmadd_ps(ai, b1, c1[i]);
		}
		b += 32;
	}
#pragma GCC unroll 14
	for (int i = 0; i < 14; i++)
	{
		float	   *ci = c + (size_t) i * ldc;
		__m512		va = _mm512_set1_ps(ab[0]);
		__m512		vb = _mm512_set1_ps(ab[1]);
		__m512		r0 = _mm512_mul_ps(va, c0[i]);
		__m512		r1 = _mm512_mul_ps(va, c1[i]);

		if (i >= m)
			break;
		if (ab[1] != 0.0f)
		{
			r0 = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(k0, ci), r0);
			r1 = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(k1, ci + 16), r1);
		}
		_mm512_mask_storeu_ps(ci, k0, r0);
		_mm512_mask_storeu_ps(ci + 16, k1, r1);
	}
}

/*
 * Transposes the 16 x 16 block r[0..15] in registers (row i becomes
 * column i): pairs, then quads through unpack, then 128-bit lanes.
 */
__attribute__((target("avx512f")))
static inline void
transpose16_avx512(__m512 r[16])
{
	__m512		t[16];

	for (int i = 0; i < 16; i += 2)
	{
		t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
		t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
	}
	for (int i = 0; i < 16; i += 4)
	{
		r[i] = _mm512_castpd_ps(_mm512_unpacklo_pd(_mm512_castps_pd(t[i]), _mm512_castps_pd(t[i + 2])));
		r[i + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(_mm512_castps_pd(t[i]), _mm512_castps_pd(t[i + 2])));
		r[i + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(_mm512_castps_pd(t[i + 1]), _mm512_castps_pd(t[i + 3])));
		r[i + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(_mm512_castps_pd(t[i + 1]), _mm512_castps_pd(t[i + 3])));
	}
	/* 128-bit lane l of r[4q + j] is now column 4l + j of rows 4q..4q+3: gather the lanes */
	for (int j = 0; j < 4; j++)
	{
		__m512		a = _mm512_shuffle_f32x4(r[j], r[4 + j], 0x88);
		__m512		b = _mm512_shuffle_f32x4(r[8 + j], r[12 + j], 0x88);
		__m512		c = _mm512_shuffle_f32x4(r[j], r[4 + j], 0xDD);
		__m512		d = _mm512_shuffle_f32x4(r[8 + j], r[12 + j], 0xDD);

		t[j] = _mm512_shuffle_f32x4(a, b, 0x88);
		t[j + 8] = _mm512_shuffle_f32x4(a, b, 0xDD);
		t[j + 4] = _mm512_shuffle_f32x4(c, d, 0x88);
		t[j + 12] = _mm512_shuffle_f32x4(c, d, 0xDD);
	}
	for (int i = 0; i < 16; i++)
		r[i] = t[i];
}

/* GemmPackRows with AVX-512: 16 rows x 16 columns loaded, transposed, stored. */
__attribute__((target("avx512f")))
static void
pack_rows_avx512(float *dst, int w, const float *X, const uint16_t *Xh, size_t ld, int nw, int kb)
{
	for (int h = 0; h < w; h += 16)
	{
		int			nh = w - h < 16 ? w - h : 16;
		__mmask16	store = (__mmask16) ((1u << nh) - 1);

		for (int k = 0; k < kb; k += 16)
		{
			int			kn = kb - k < 16 ? kb - k : 16;
			__mmask16	load = (__mmask16) ((1u << kn) - 1);
			__m512		r[16];

			for (int i = 0; i < 16; i++)
			{
				size_t		o = (size_t) (h + i) * ld + k;

				if (h + i >= nw)
					r[i] = _mm512_setzero_ps();
				else if (!Xh)
				{
					_mm_prefetch((const char *) (X + o + 64), _MM_HINT_T0);
					r[i] = _mm512_maskz_loadu_ps(load, X + o);
				}
				else if (kn == 16)
					r[i] = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *) (Xh + o)));
				else
				{
					uint16_t	tmp[16] = {0};

					memcpy(tmp, Xh + o, sizeof(uint16_t) * kn);
					r[i] = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *) tmp));
				}
			}
			transpose16_avx512(r);
			for (int j = 0; j < kn; j++)
				_mm512_mask_storeu_ps(dst + (size_t) (k + j) * w + h, store, r[j]);
		}
	}
}

/*
 * Packs one sliver from a k-major matrix of floats (element (i, k) at
 * X[k*ld + i]), nw <= w indices: one masked load and store per 16 lanes of
 * each k, zeros past nw.
 */
__attribute__((target("avx512f")))
static void
pack_kmajor_avx512(float *dst, int w, const float *X, size_t ld, int nw, int kb)
{
	for (int h = 0; h < w; h += 16)
	{
		int			nh = w - h < 16 ? w - h : 16;
		int			nv = nw - h < 0 ? 0 : nw - h < 16 ? nw - h : 16;
		__mmask16	store = (__mmask16) ((1u << nh) - 1);
		__mmask16	load = (__mmask16) ((1u << nv) - 1);

		for (int k = 0; k < kb; k++)
		{
			_mm_prefetch((const char *) (X + (size_t) (k + 8) * ld + h), _MM_HINT_T0);
			_mm512_mask_storeu_ps(dst + (size_t) k * w + h, store,
								  _mm512_maskz_loadu_ps(load, X + (size_t) k * ld + h));
		}
	}
}

/* GemmPackKmajor in plain C. */
static void
pack_kmajor_c(float *dst, int w, const float *X, size_t ld, int nw, int kb)
{
	for (int k = 0; k < kb; k++)
	{
		memcpy(dst + (size_t) k * w, X + (size_t) k * ld, sizeof(float) * nw);
		for (int i = nw; i < w; i++)
			dst[(size_t) k * w + i] = 0.0f;
	}
}

/* GemmPackRows in plain C. */
static void
pack_rows_c(float *dst, int w, const float *X, const uint16_t *Xh, size_t ld, int nw, int kb)
{
	float		row[512];

	for (int i = 0; i < w; i++)
	{
		for (int k = 0; k < kb; k += 512)
		{
			int			n = kb - k < 512 ? kb - k : 512;
			const float *src = row;

			if (i >= nw)
				memset(row, 0, sizeof(float) * n);
			else if (Xh)
				sqlpilot_f16_to_f32_n(row, Xh + (size_t) i * ld + k, n);
			else
				src = X + (size_t) i * ld + k;
			for (int j = 0; j < n; j++)
				dst[(size_t) (k + j) * w + i] = src[j];
		}
	}
}

/*
 * Writes the m x n part of an accumulated tile t (row stride nr) into C:
 * C = alpha t + beta C (C not read when beta is 0).
 */
static void
store_tile(const float *t, int nr, float *c, int ldc, int m, int n, float alpha, float beta)
{
	for (int i = 0; i < m; i++)
	{
		float	   *ci = c + (size_t) i * ldc;

		for (int j = 0; j < n; j++)
			ci[j] = beta != 0.0f ? alpha * t[i * nr + j] + beta * ci[j] : alpha * t[i * nr + j];
	}
}

/* AVX2+FMA: 6 rows x 16 columns, 12 ymm accumulators; edge tiles go through store_tile. */
__attribute__((target("avx2,fma")))
static void
kernel_avx2(int kc, const float *a, const float *b, float *c, int ldc,
			int m, int n, const float *ab)
{
	__m256		c0[6];
	__m256		c1[6];

#pragma GCC unroll 6
	for (int i = 0; i < 6; i++)
	{
		c0[i] = _mm256_setzero_ps();
		c1[i] = _mm256_setzero_ps();
	}
	for (int k = 0; k < kc; k++)
	{
		__m256		b0 = _mm256_load_ps(b);
		__m256		b1 = _mm256_load_ps(b + 8);

#pragma GCC unroll 6
		for (int i = 0; i < 6; i++)
		{
			__m256		ai = _mm256_broadcast_ss(a + i);

			c0[i] = _mm256_fmadd_ps(ai, b0, c0[i]);
			c1[i] = _mm256_fmadd_ps(ai, b1, c1[i]);
		}
		a += 6;
		b += 16;
	}
	if (m == 6 && n == 16)
	{
		__m256		va = _mm256_set1_ps(ab[0]);
		__m256		vb = _mm256_set1_ps(ab[1]);

#pragma GCC unroll 6
		for (int i = 0; i < 6; i++)
		{
			float	   *ci = c + (size_t) i * ldc;
			__m256		r0 = _mm256_mul_ps(va, c0[i]);
			__m256		r1 = _mm256_mul_ps(va, c1[i]);

			if (ab[1] != 0.0f)
			{
				r0 = _mm256_fmadd_ps(vb, _mm256_loadu_ps(ci), r0);
				r1 = _mm256_fmadd_ps(vb, _mm256_loadu_ps(ci + 8), r1);
			}
			_mm256_storeu_ps(ci, r0);
			_mm256_storeu_ps(ci + 8, r1);
		}
	}
	else
	{
		float		t[6 * 16];

#pragma GCC unroll 6
		for (int i = 0; i < 6; i++)
		{
			_mm256_storeu_ps(t + i * 16, c0[i]);
			_mm256_storeu_ps(t + i * 16 + 8, c1[i]);
		}
		store_tile(t, 16, c, ldc, m, n, ab[0], ab[1]);
	}
}

/* Plain C: 4 rows x 16 columns. */
static void
kernel_scalar(int kc, const float *a, const float *b, float *c, int ldc,
			  int m, int n, const float *ab)
{
	float		t[4 * 16] = {0};

	for (int k = 0; k < kc; k++)
	{
		for (int i = 0; i < 4; i++)
			for (int j = 0; j < 16; j++)
				t[i * 16 + j] += a[i] * b[j];
		a += 4;
		b += 16;
	}
	store_tile(t, 16, c, ldc, m, n, ab[0], ab[1]);
}

static const GemmPath path_avx512 = {"avx512", 14, 32, 512, 168, 3072, kernel_avx512,
pack_rows_avx512, pack_kmajor_avx512};
static const GemmPath path_avx2 = {"avx2", 6, 16, 256, 144, 3072, kernel_avx2, pack_rows_c,
pack_kmajor_c};
static const GemmPath path_scalar = {"scalar", 4, 16, 256, 128, 2048, kernel_scalar, pack_rows_c,
pack_kmajor_c};
static const GemmPath path_blas = {"openblas", 0, 0, 0, 0, 0, NULL, NULL, NULL};

static const GemmPath *gemm_current = NULL;
static SqlpilotBlasSgemm gemm_blas = NULL;

/*
 * Packing buffer of the calling thread, kept between calls and grown as
 * needed: allocating it per call cost ~6% of a training step in page
 * faults (15M, measured here).  A few MB at most (KC x NC + MC x KC floats).
 */
static __thread float *pack_buf = NULL;
static __thread size_t pack_buf_floats = 0;

/* Transparent huge page size on x86-64: the packing buffer's granule. */
#define GEMM_HUGE_PAGE ((size_t) 2 * 1024 * 1024)

/*
 * The thread's packing buffer with room for n floats, 64-byte aligned; NULL
 * if out of memory.  It is whole huge pages that ask for transparent huge
 * pages: a new process's first products (a new backend's first prompt)
 * then take one page fault instead of hundreds (the 15M preset's ~1 MB
 * buffer: ~260 faults of 4 kB, ~4 ms of CPU in this VM, against one 2 MB
 * fault), and its first 2 MB hold every product of the 15M preset.
 */
static float *
pack_buffer(size_t n)
{
	if (n > pack_buf_floats)
	{
		size_t		bytes = (sizeof(float) * n + GEMM_HUGE_PAGE - 1) / GEMM_HUGE_PAGE * GEMM_HUGE_PAGE;

		free(pack_buf);
		pack_buf = aligned_alloc(GEMM_HUGE_PAGE, bytes);
#ifdef MADV_HUGEPAGE
		if (pack_buf)
			(void) madvise(pack_buf, bytes, MADV_HUGEPAGE);
#endif
		pack_buf_floats = pack_buf ? bytes / sizeof(float) : 0;
	}
	return pack_buf;
}

/*
 * Packs indices [i0, i0+ni) x k in [k0, k0+kb) of a matrix of floats X (or
 * halves Xh) into slivers w indices wide: element (k, i) of sliver s at
 * dst[s*w*kb + k*w + i%w], zero past ni.  X holds element (i, k) at
 * X[i*ld + k], or at X[k*ld + i] when kmajor.
 */
static void
pack(const GemmPath *p, float *dst, int w, const float *X, const uint16_t *Xh, int ld,
	 bool kmajor, int i0, int ni, int k0, int kb)
{
	for (int s = 0; s < ni; s += w)
	{
		int			nw = ni - s < w ? ni - s : w;

		if (!kmajor)
		{
			size_t		o = (size_t) (i0 + s) * ld + k0;

			p->pack_rows(dst, w, Xh ? NULL : X + o, Xh ? Xh + o : NULL, ld, nw, kb);
		}
		else if (!Xh)
			p->pack_kmajor(dst, w, X + (size_t) k0 * ld + i0 + s, ld, nw, kb);
		else
		{
			for (int k = 0; k < kb; k++)
			{
				sqlpilot_f16_to_f32_n(dst + (size_t) k * w, Xh + (size_t) (k0 + k) * ld + i0 + s, nw);
				for (int i = nw; i < w; i++)
					dst[(size_t) k * w + i] = 0.0f;
			}
		}
		dst += (size_t) w * kb;
	}
}

/* C (M,N) *= beta (= 0 when beta is 0, whatever C held). */
static void
scale_c(float *C, int ldc, int M, int N, float beta)
{
	for (int i = 0; i < M; i++)
		for (int j = 0; j < N; j++)
			C[(size_t) i * ldc + j] = beta != 0.0f ? beta * C[(size_t) i * ldc + j] : 0.0f;
}

/* Rounds x up to a multiple of m. */
static inline int
round_up(int x, int m)
{
	return (x + m - 1) / m * m;
}

/*
 * The blocked product on path p, B given as floats (B) or halves (Bh).
 * Returns -1 when the packing buffers cannot be allocated (nothing written).
 */
static int
gemm_blocked(const GemmPath *p, bool ta, bool tb, int M, int N, int K, float alpha,
			 const float *A, int lda, const float *B, const uint16_t *Bh, int ldb,
			 float beta, float *C, int ldc)
{
	int			nc = round_up(N, p->nr) < p->nc ? round_up(N, p->nr) : p->nc;
	int			nkb = (K + p->kc - 1) / p->kc;
	int			kc = round_up((K + nkb - 1) / nkb, 8);
	int			mc = round_up(M, p->mr) < p->mc ? round_up(M, p->mr) : p->mc;
	size_t		bfloats = (size_t) round_up(kc * nc, 16);
	float	   *bpack = pack_buffer(bfloats + (size_t) mc * kc);
	float	   *apack;

	if (!bpack)
		return -1;
	apack = bpack + bfloats;
	for (int jc = 0; jc < N; jc += nc)
	{
		int			nb = N - jc < nc ? N - jc : nc;

		for (int pc = 0; pc < K; pc += kc)
		{
			int			kb = K - pc < kc ? K - pc : kc;
			float		ab[2] = {alpha, pc == 0 ? beta : 1.0f};

			pack(p, bpack, p->nr, B, Bh, ldb, !tb, jc, nb, pc, kb);
			for (int ic = 0; ic < M; ic += mc)
			{
				int			mb = M - ic < mc ? M - ic : mc;

				if (!ta && p == &path_avx512)
				{
					for (int jr = 0; jr < nb; jr += p->nr)
						for (int ir = 0; ir < mb; ir += p->mr)
							kernel_avx512_rows(kb, A + (size_t) (ic + ir) * lda + pc, lda,
											   bpack + (size_t) jr * kb,
											   C + (size_t) (ic + ir) * ldc + jc + jr, ldc,
											   mb - ir < p->mr ? mb - ir : p->mr,
											   nb - jr < p->nr ? nb - jr : p->nr, ab);
					continue;
				}
				pack(p, apack, p->mr, A, NULL, lda, ta, ic, mb, pc, kb);
				for (int jr = 0; jr < nb; jr += p->nr)
					for (int ir = 0; ir < mb; ir += p->mr)
						p->kernel(kb, apack + (size_t) ir * kb, bpack + (size_t) jr * kb,
								  C + (size_t) (ic + ir) * ldc + jc + jr, ldc,
								  mb - ir < p->mr ? mb - ir : p->mr,
								  nb - jr < p->nr ? nb - jr : p->nr, ab);
			}
		}
	}
	return 0;
}

/*
 * The product without packing (used only when the packing buffers cannot
 * be allocated): one dot product per element.
 */
static void
gemm_unpacked(bool ta, bool tb, int M, int N, int K, float alpha, const float *A, int lda,
			  const float *B, const uint16_t *Bh, int ldb, float beta, float *C, int ldc)
{
	for (int i = 0; i < M; i++)
		for (int j = 0; j < N; j++)
		{
			float		s = 0.0f;
			float	   *c = C + (size_t) i * ldc + j;

			for (int k = 0; k < K; k++)
			{
				float		a = ta ? A[(size_t) k * lda + i] : A[(size_t) i * lda + k];
				size_t		bi = tb ? (size_t) j * ldb + k : (size_t) k * ldb + j;

				s += a * (Bh ? sqlpilot_fp16_to_fp32(Bh[bi]) : B[bi]);
			}
			*c = beta != 0.0f ? alpha * s + beta * *c : alpha * s;
		}
}

/* The widest path this CPU runs. */
static const GemmPath *
gemm_best(void)
{
	__builtin_cpu_init();
	if (__builtin_cpu_supports("avx512f"))
		return &path_avx512;
	if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
		return &path_avx2;
	return &path_scalar;
}

/* The path named name, or NULL when it does not exist or cannot run here. */
static const GemmPath *
gemm_lookup(const char *name)
{
	__builtin_cpu_init();
	if (strcmp(name, "avx512") == 0)
		return __builtin_cpu_supports("avx512f") ? &path_avx512 : NULL;
	if (strcmp(name, "avx2") == 0)
		return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") ? &path_avx2 : NULL;
	if (strcmp(name, "scalar") == 0)
		return &path_scalar;
	if (strcmp(name, "openblas") == 0)
		return gemm_blas ? &path_blas : NULL;
	return NULL;
}

/* The path of the next call: forced, else SQLPILOT_GEMM, else the best. */
static const GemmPath *
gemm_path_now(void)
{
	if (!gemm_current)
	{
		const char *env = getenv("SQLPILOT_GEMM");
		const GemmPath *p = env ? gemm_lookup(env) : NULL;

		gemm_current = p ? p : gemm_best();
	}
	return gemm_current;
}

/* Forces a path by name, or back to the best with "auto"/NULL (gemm.h). */
int
sqlpilot_gemm_set_path(const char *name)
{
	const GemmPath *p;

	if (!name || strcmp(name, "auto") == 0)
	{
		gemm_current = gemm_best();
		return 0;
	}
	p = gemm_lookup(name);
	if (!p)
		return -1;
	gemm_current = p;
	return 0;
}

/* Name of the path calls take now (deciding it on first use). */
const char *
sqlpilot_gemm_path(void)
{
	return gemm_path_now()->name;
}

/* Registers the BLAS sgemm of the "openblas" path; removing it drops that path. */
void
sqlpilot_gemm_set_blas(SqlpilotBlasSgemm fn)
{
	gemm_blas = fn;
	if (!fn && gemm_current == &path_blas)
		gemm_current = NULL;
}

/*
 * Two threads (sqlpilot_gemm_set_threads): a product big enough to pay for
 * the hand-off runs one half of its columns of C (rows, when op(A) is
 * transposed and would be packed twice) in one helper thread, the other
 * half in the caller, each on its own packing buffer.  Every element of C
 * is computed by one thread in the same order as with one thread, so the
 * results are bit for bit the same.  The same helper runs the second half
 * of other split work (sqlpilot_run_halves: the trainer's attention,
 * SwiGLU, loss and AdamW).  It waits on a condition variable between
 * pieces; only one calling thread may use it at a time (the trainer's).
 */
typedef struct GemmJob
{
	const GemmPath *p;
	bool		ta,
				tb;
	int			M,
				N,
				K,
				lda,
				ldb,
				ldc;
	float		alpha,
				beta;
	const float *A;
	const float *B;
	const uint16_t *Bh;
	float	   *C;
} GemmJob;

/* Products below this many flops stay in the calling thread (~0.1 ms here). */
#define GEMM_THREAD_MIN_FLOPS ((double) (1 << 24))

/*
 * The helper thread and the one piece of work posted to it: helper_fn
 * (helper_arg, 1), the second half of a split product
 * (sqlpilot_run_halves).  The poster waits for it before posting again.
 */
static int	gemm_threads = 1;
static bool gemm_helper_started = false;
static pthread_t gemm_helper;
static pthread_mutex_t gemm_mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gemm_cond = PTHREAD_COND_INITIALIZER;
static SqlpilotHalfFn helper_fn;
static void *helper_arg;
static unsigned helper_posted = 0;	/* pieces handed to the helper */
static unsigned helper_done = 0;	/* pieces it finished */

/* Runs one job on its path, unpacked when the packing buffer cannot be had. */
static void
gemm_run(const GemmJob *j)
{
	if (gemm_blocked(j->p, j->ta, j->tb, j->M, j->N, j->K, j->alpha, j->A, j->lda, j->B, j->Bh,
					 j->ldb, j->beta, j->C, j->ldc) != 0)
		gemm_unpacked(j->ta, j->tb, j->M, j->N, j->K, j->alpha, j->A, j->lda, j->B, j->Bh,
					  j->ldb, j->beta, j->C, j->ldc);
}

/* The helper thread: runs each piece posted to it, forever. */
static void *
gemm_helper_main(void *arg)
{
	unsigned	seen = 0;

	pthread_mutex_lock(&gemm_mutex);
	for (;;)
	{
		SqlpilotHalfFn fn;
		void	   *fa;

		while (helper_posted == seen)
			pthread_cond_wait(&gemm_cond, &gemm_mutex);
		seen = helper_posted;
		fn = helper_fn;
		fa = helper_arg;
		pthread_mutex_unlock(&gemm_mutex);
		fn(fa, 1);
		pthread_mutex_lock(&gemm_mutex);
		helper_done = seen;
		pthread_cond_broadcast(&gemm_cond);
	}
	return NULL;
}

/* Hands fn(arg, 1) to the helper thread (which must be idle). */
static void
helper_post(SqlpilotHalfFn fn, void *arg)
{
	pthread_mutex_lock(&gemm_mutex);
	helper_fn = fn;
	helper_arg = arg;
	helper_posted++;
	pthread_cond_broadcast(&gemm_cond);
	pthread_mutex_unlock(&gemm_mutex);
}

/* Waits until the helper finished the piece last posted. */
static void
helper_wait(void)
{
	pthread_mutex_lock(&gemm_mutex);
	while (helper_done != helper_posted)
		pthread_cond_wait(&gemm_cond, &gemm_mutex);
	pthread_mutex_unlock(&gemm_mutex);
}

/*
 * fn(arg, 0) and fn(arg, 1), at the same time when two threads are on and
 * the work pays for waking the helper (gemm.h).
 */
void
sqlpilot_run_halves(SqlpilotHalfFn fn, void *arg, double work)
{
	if (gemm_threads < 2 || work < SQLPILOT_HALVES_MIN_WORK)
	{
		fn(arg, 0);
		fn(arg, 1);
		return;
	}
	helper_post(fn, arg);
	fn(arg, 0);
	helper_wait();
}

/* A GemmJob as a piece for the helper. */
static void
gemm_run_piece(void *job, int half)
{
	gemm_run(job);
}

/*
 * Lets products use n threads (gemm.h); starts the helper on first use of 2,
 * with a stack of its own size: the small-head attention backward keeps
 * ~256 KB of buffers there.
 */
int
sqlpilot_gemm_set_threads(int n)
{
	if (n != 1 && n != 2)
		return -1;
	if (n == 2 && !gemm_helper_started)
	{
		pthread_attr_t attr;
		int			rc;

		if (pthread_attr_init(&attr) != 0)
			return -1;
		rc = pthread_attr_setstacksize(&attr, 8 << 20);
		if (rc == 0)
			rc = pthread_create(&gemm_helper, &attr, gemm_helper_main, NULL);
		pthread_attr_destroy(&attr);
		if (rc != 0)
			return -1;
		gemm_helper_started = true;
	}
	gemm_threads = n;
	return 0;
}

/* Threads products may use now. */
int
sqlpilot_gemm_threads(void)
{
	return gemm_threads;
}

/*
 * Job j split in two halves when two threads are on and it is worth it:
 * the second half (columns, or rows when op(A) is transposed, from a tile
 * boundary on) goes to the helper, the first runs here; then waits for the
 * helper.  Otherwise runs j here.
 */
static void
gemm_split(GemmJob *j)
{
	GemmJob		h = *j;
	bool		by_rows = j->ta;
	int			w = by_rows ? j->p->mr : j->p->nr;
	int			n = by_rows ? j->M : j->N;
	int			half = round_up((n + 1) / 2, w);

	if (gemm_threads < 2 || 2.0 * j->M * j->N * j->K < GEMM_THREAD_MIN_FLOPS || half >= n)
	{
		gemm_run(j);
		return;
	}
	if (by_rows)
	{
		/* op(A) = A^T: its row i is column i of A */
		j->M = half;
		h.M = n - half;
		h.A = j->A + half;
		h.C = j->C + (size_t) half * j->ldc;
	}
	else
	{
		size_t		off = j->tb ? (size_t) half * j->ldb : (size_t) half;

		j->N = half;
		h.N = n - half;
		h.B = j->B ? j->B + off : NULL;
		h.Bh = j->Bh ? j->Bh + off : NULL;
		h.C = j->C + half;
	}
	helper_post(gemm_run_piece, &h);
	gemm_run(j);
	helper_wait();
}

/* Shared entry of both element types: trivial shapes, the BLAS path, the kernels. */
static void
gemm_any(bool ta, bool tb, int M, int N, int K, float alpha, const float *A, int lda,
		 const float *B, const uint16_t *Bh, int ldb, float beta, float *C, int ldc)
{
	const GemmPath *p = gemm_path_now();

	if (M <= 0 || N <= 0)
		return;
	if (K <= 0 || alpha == 0.0f)
	{
		scale_c(C, ldc, M, N, beta);
		return;
	}
	if (p == &path_blas)
	{
		float	   *wide = NULL;
		size_t		n = tb ? (size_t) (N - 1) * ldb + K : (size_t) (K - 1) * ldb + N;

		if (Bh)
		{
			wide = malloc(sizeof(float) * n);
			if (!wide)
			{
				gemm_unpacked(ta, tb, M, N, K, alpha, A, lda, NULL, Bh, ldb, beta, C, ldc);
				return;
			}
			sqlpilot_f16_to_f32_n(wide, Bh, n);
			B = wide;
		}
		gemm_blas(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
		free(wide);
		return;
	}
	{
		GemmJob		j = {p, ta, tb, M, N, K, lda, ldb, ldc, alpha, beta, A, B, Bh, C};

		gemm_split(&j);
	}
}

/* C = alpha op(A) op(B) + beta C on the current path (gemm.h). */
void
sqlpilot_gemm(bool trans_a, bool trans_b, int M, int N, int K, float alpha,
			  const float *A, int lda, const float *B, int ldb,
			  float beta, float *C, int ldc)
{
	gemm_any(trans_a, trans_b, M, N, K, alpha, A, lda, B, NULL, ldb, beta, C, ldc);
}

/* The same with B as halves, widened while its panels are packed. */
void
sqlpilot_gemm_f16(bool trans_a, bool trans_b, int M, int N, int K, float alpha,
				  const float *A, int lda, const uint16_t *B, int ldb,
				  float beta, float *C, int ldc)
{
	gemm_any(trans_a, trans_b, M, N, K, alpha, A, lda, NULL, B, ldb, beta, C, ldc);
}
