/*
 * layers.c — the LLaMA layer kernels, each forward next to its backward.
 *
 * Shapes follow layers.h: N rows, C = dim, H = hidden_dim, NH heads of HS,
 * NKV k/v heads, QD = NH*HS, KVD = NKV*HS.  Matrix products go through the
 * core's sgemm (gemm.c, over all rows at once, in the calling thread); one
 * row (decode) and one query's attention scores go through the kernels of
 * matvec.c.
 *
 * Attention is blocked: the query rows of one head are taken ATT_BLOCK at a
 * time, and each block's scores are computed only against the k/v rows that
 * block can see ([min kstart of the block, last row of the block]), so causal
 * masking and packed examples (kstart) skip most of the masked work.  Heads
 * above 32 or not a multiple of 8 use sgemm: inside the computed rectangle masked
 * probabilities are written as zeros, so P @ v and the backward are plain
 * sgemm calls.  Small heads (HS 8..32, where sgemm's packing costs more than
 * the product) use vector loops over the visible keys only, k/v of a block
 * transposed once; one-row decode uses the same loops without the transpose.
 * Either way a row's probabilities are read back only by the path that wrote
 * them.  Elementwise work (exp, softmax, SwiGLU, dot products) runs eight
 * lanes at a time through the compiler's vector extension.
 */
#include "layers.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gemm.h"
#include "matvec.h"

/* Query rows per attention block. */
#define ATT_BLOCK 64

/*
 * Heads of at most this size (a multiple of 8) take the small-head attention
 * path (plain vector loops instead of sgemm, whose packing dominates when
 * HS is 8); k/v of a block are transposed into stack buffers of at most
 * SMALL_HEAD_FLOATS floats each.
 */
#define SMALL_HEAD_MAX 32
#define SMALL_HEAD_FLOATS 16384

/*
 * Eight floats in one register (GCC/Clang vector extension: AVX with
 * -march=native, two SSE halves otherwise); Vi8 is the same bits as ints.
 */
typedef float Vf8 __attribute__((vector_size(32)));
typedef int32_t Vi8 __attribute__((vector_size(32)));

/* Unaligned load of 8 floats. */
static inline Vf8
vload(const float *p)
{
	Vf8			v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/* Unaligned store of 8 floats. */
static inline void
vstore(float *p, Vf8 v)
{
	memcpy(p, &v, sizeof(v));
}

/* x in all 8 lanes. */
static inline Vf8
vsplat(float x)
{
	return (Vf8) {x, x, x, x, x, x, x, x};
}

/* Lane-wise max. */
static inline Vf8
vmax(Vf8 a, Vf8 b)
{
	Vi8			m = a > b;

	return (Vf8) ((m & (Vi8) a) | (~m & (Vi8) b));
}

/* Sum of the 8 lanes. */
static inline float
vsum(Vf8 v)
{
	return ((v[0] + v[4]) + (v[1] + v[5])) + ((v[2] + v[6]) + (v[3] + v[7]));
}

/*
 * exp of 8 lanes (Cephes expf: x = n ln2 + r, |r| <= ln2/2, a degree-6
 * polynomial for e^r, then 2^n through the exponent bits); within 2 ulp for
 * x in [-87, 88], clamped below to about 1e-38.
 */
static inline Vf8
vexp(Vf8 x)
{
	Vf8			t;
	Vf8			r;
	Vf8			r2;
	Vf8			p;
	Vi8			n;

	x = vmax(x, vsplat(-87.0f));
	x = -vmax(-x, vsplat(-88.0f));
	t = x * 1.44269504088896341f + 12582912.0f;
	n = (Vi8) t - (Vi8) vsplat(12582912.0f);
	t = t - 12582912.0f;
	r = x - t * 0.693359375f + t * 2.12194440e-4f;
	r2 = r * r;
	p = ((((1.9875691500e-4f * r + 1.3981999507e-3f) * r + 8.3334519073e-3f) * r +
		  4.1665795894e-2f) * r + 1.6666665459e-1f) * r + 5.0000001201e-1f;
	p = p * r2 + r + 1.0f;
	return p * (Vf8) ((n + 127) << 23);
}

/*
 * p[j] = exp(p[j] - mx) for j in [0, n); returns their sum (8 lanes at a
 * time, the tail through a padded copy).
 */
static float
exp_shift_sum(float *p, int n, float mx)
{
	Vf8			acc = vsplat(0.0f);
	Vf8			m = vsplat(mx);
	int			j = 0;
	float		sum;

	for (; j + 8 <= n; j += 8)
	{
		Vf8			e = vexp(vload(p + j) - m);

		vstore(p + j, e);
		acc += e;
	}
	sum = vsum(acc);
	if (j < n)
	{
		float		tmp[8];
		Vf8			e;

		for (int i = 0; i < 8; i++)
			tmp[i] = j + i < n ? p[j + i] : -1e30f;
		e = vexp(vload(tmp) - m);
		for (int i = 0; j + i < n; i++)
		{
			p[j + i] = e[i];
			sum += e[i];
		}
	}
	return sum;
}

/* Largest of p[0..n), n >= 1. */
static float
max_of(const float *p, int n)
{
	Vf8			acc = vsplat(-INFINITY);
	float		mx;
	int			j = 0;

	for (; j + 8 <= n; j += 8)
		acc = vmax(acc, vload(p + j));
	mx = acc[0];
	for (int i = 1; i < 8; i++)
		mx = acc[i] > mx ? acc[i] : mx;
	for (; j < n; j++)
		mx = p[j] > mx ? p[j] : mx;
	return mx;
}

/* sum of a[j] * b[j] over [0, n), with independent vector accumulators. */
static float
dot_of(const float *a, const float *b, int n)
{
	Vf8			acc0 = vsplat(0.0f);
	Vf8			acc1 = vsplat(0.0f);
	float		sum;
	int			j = 0;

	for (; j + 16 <= n; j += 16)
	{
		acc0 += vload(a + j) * vload(b + j);
		acc1 += vload(a + j + 8) * vload(b + j + 8);
	}
	for (; j + 8 <= n; j += 8)
		acc0 += vload(a + j) * vload(b + j);
	sum = vsum(acc0 + acc1);
	for (; j < n; j++)
		sum += a[j] * b[j];
	return sum;
}

/* out (N,OC) = inp (N,C) @ weight (OC,C)^T; one row through sqlpilot_matvec. */
void
sqlpilot_matmul_forward(float *out, const float *inp, const float *weight,
						int N, int C, int OC)
{
	if (N == 1)
		sqlpilot_matvec(out, weight, inp, OC, C);
	else
		sqlpilot_gemm(false, true, N, OC, C, 1.0f, inp, C, weight, C, 0.0f, out, OC);
}

/*
 * out (N,OC) = inp (N,C) @ W^T for W given as floats or (when weight is
 * NULL) as halves: a few rows read the halves in one pass for all rows
 * (sqlpilot_matvec_f16_rows), more rows go through sqlpilot_gemm_f16,
 * which widens them panel by panel as it packs.
 * The crossover (layers.h), 15M after a 386-token prompt, measured here
 * when past it the whole matrix was widened for OpenBLAS: 8 new rows took
 * 1.7 ms row by row, while 17 rows took 6.6 ms that way and 32 rows 8.3.
 */
static void
linear_forward(float *out, const float *inp, const float *weight, const uint16_t *weight_half,
			   int N, int C, int OC)
{
	if (weight)
		sqlpilot_matmul_forward(out, inp, weight, N, C, OC);
	else if (N <= SQLPILOT_HALF_MATVEC_MAX_ROWS)
		sqlpilot_matvec_f16_rows(out, weight_half, inp, N, OC, C);
	else
		sqlpilot_gemm_f16(false, true, N, OC, C, 1.0f, inp, C, weight_half, C, 0.0f, out, OC);
}

/* dinp += dout @ weight; dweight += dout^T @ inp. */
void
sqlpilot_matmul_backward(float *dinp, float *dweight, const float *dout,
						 const float *inp, const float *weight,
						 int N, int C, int OC)
{
	if (dinp)
		sqlpilot_gemm(false, false, N, C, OC, 1.0f, dout, OC, weight, C, 1.0f, dinp, C);
	if (dweight)
		sqlpilot_gemm(true, false, OC, C, N, 1.0f, dout, OC, inp, C, 1.0f, dweight, C);
}

/* out = inp * rstd * weight with rstd = 1 / sqrt(mean(inp^2) + eps), per row. */
void
sqlpilot_rmsnorm_forward(float *out, float *rstd, const float *inp,
						 const float *weight, int N, int C, float eps)
{
	for (int n = 0; n < N; n++)
	{
		const float *x = inp + (size_t) n * C;
		float	   *o = out + (size_t) n * C;
		float		r = 1.0f / sqrtf(dot_of(x, x, C) / C + eps);

		for (int i = 0; i < C; i++)
			o[i] = x[i] * r * weight[i];
		if (rstd)
			rstd[n] = r;
	}
}

/*
 * With g = dout * weight: dinp += r * g - r^3 / C * x * sum(g * x);
 * dweight += dout * x * r.
 */
void
sqlpilot_rmsnorm_backward(float *dinp, float *dweight, const float *dout,
						  const float *inp, const float *weight,
						  const float *rstd, int N, int C)
{
	for (int n = 0; n < N; n++)
	{
		const float *x = inp + (size_t) n * C;
		const float *d = dout + (size_t) n * C;
		float	   *dx = dinp + (size_t) n * C;
		float		r = rstd[n];
		float		k = 0.0f;

		for (int i = 0; i < C; i++)
			k += d[i] * weight[i] * x[i];
		k = k * r * r * r / C;
		for (int i = 0; i < C; i++)
		{
			dx[i] += r * d[i] * weight[i] - k * x[i];
			dweight[i] += d[i] * x[i] * r;
		}
	}
}

/*
 * cos/sin of pos * theta^(-2i/HS) for pos in [0, rope_npos), i in [0, HS/2),
 * pairs at rope_tab[(pos * HS/2 + i) * 2]: built once per thread (grown when
 * a later call sees a larger position) instead of powf + sincosf per row and
 * pair, which cost ~2.5% of a 15M training step.  Same expressions as
 * before, so the values are identical.
 */
static __thread float *rope_tab = NULL;
static __thread int rope_npos = 0;
static __thread int rope_hs = 0;
static __thread float rope_theta = 0.0f;

/* cos/sin of one (position, pair) angle into cs[0], cs[1]. */
static inline void
rope_angle(float *cs, int pos, int i, int HS, float theta)
{
	float		freq = 1.0f / powf(theta, (float) (2 * i) / (float) HS);
	float		a = (float) pos * freq;

	cs[0] = cosf(a);
	cs[1] = sinf(a);
}

/* Positions past this are rotated without the table (it would be too big). */
#define ROPE_TABLE_MAX_POS 65536

/*
 * The table covering positions [0, npos) for HS and theta; NULL if out of
 * memory or npos is past ROPE_TABLE_MAX_POS.
 */
static const float *
rope_table(int npos, int HS, float theta)
{
	float	   *t;

	if (npos > ROPE_TABLE_MAX_POS)
		return NULL;
	if (rope_tab && npos <= rope_npos && HS == rope_hs && theta == rope_theta)
		return rope_tab;
	if (HS == rope_hs && theta == rope_theta && npos < 2 * rope_npos)
		npos = 2 * rope_npos < ROPE_TABLE_MAX_POS ? 2 * rope_npos : ROPE_TABLE_MAX_POS;
	t = malloc(sizeof(float) * (size_t) npos * HS);
	if (!t)
		return NULL;
	for (int p = 0; p < npos; p++)
		for (int i = 0; i < HS / 2; i++)
			rope_angle(t + ((size_t) p * (HS / 2) + i) * 2, p, i, HS, theta);
	free(rope_tab);
	rope_tab = t;
	rope_npos = npos;
	rope_hs = HS;
	rope_theta = theta;
	return t;
}

/* Rotates each interleaved pair of every head by angle sign * pos * theta^(-2i/HS). */
static void
rope_rotate(float *x, const int *pos, int N, int nheads, int HS, float theta,
			float sign)
{
	int			maxpos = 0;
	const float *tab;

	for (int n = 0; n < N; n++)
		maxpos = pos[n] > maxpos ? pos[n] : maxpos;
	tab = rope_table(maxpos + 1, HS, theta);
	for (int n = 0; n < N; n++)
	{
		float	   *row = x + (size_t) n * nheads * HS;

		for (int i = 0; i < HS / 2; i++)
		{
			float		own[2];
			const float *csp = own;
			float		cs;
			float		sn;

			if (tab && pos[n] >= 0)
				csp = tab + ((size_t) pos[n] * (HS / 2) + i) * 2;
			else
				rope_angle(own, pos[n], i, HS, theta);
			cs = csp[0];
			sn = sign * csp[1];
			for (int h = 0; h < nheads; h++)
			{
				float	   *p = row + h * HS + 2 * i;
				float		x0 = p[0];
				float		x1 = p[1];

				p[0] = x0 * cs - x1 * sn;
				p[1] = x0 * sn + x1 * cs;
			}
		}
	}
}

/* Rotates x (N, nheads, HS) in place by each row's position. */
void
sqlpilot_rope_forward(float *x, const int *pos, int N, int nheads, int HS,
					  float theta)
{
	rope_rotate(x, pos, N, nheads, HS, theta, 1.0f);
}

/* The rotation is orthogonal, so its backward is the inverse rotation. */
void
sqlpilot_rope_backward(float *dx, const int *pos, int N, int nheads, int HS,
					   float theta)
{
	rope_rotate(dx, pos, N, nheads, HS, theta, -1.0f);
}

/* out = silu(gate) * up, 8 lanes at a time. */
void
sqlpilot_swiglu_forward(float *out, const float *gate, const float *up, size_t n)
{
	size_t		i = 0;

	for (; i + 8 <= n; i += 8)
	{
		Vf8			g = vload(gate + i);

		vstore(out + i, g / (1.0f + vexp(-g)) * vload(up + i));
	}
	for (; i < n; i++)
	{
		float		g = gate[i];

		out[i] = g / (1.0f + expf(-g)) * up[i];
	}
}

/* dgate = dout * up * s * (1 + g * (1 - s)), s = sigmoid(g); dup = dout * silu(g). */
void
sqlpilot_swiglu_backward(float *dgate, float *dup, const float *dout,
						 const float *gate, const float *up, size_t n)
{
	size_t		i = 0;

	for (; i + 8 <= n; i += 8)
	{
		Vf8			g = vload(gate + i);
		Vf8			sg = 1.0f / (1.0f + vexp(-g));
		Vf8			d = vload(dout + i);

		vstore(dgate + i, d * vload(up + i) * sg * (1.0f + g * (1.0f - sg)));
		vstore(dup + i, d * g * sg);
	}
	for (; i < n; i++)
	{
		float		g = gate[i];
		float		sg = 1.0f / (1.0f + expf(-g));
		float		d = dout[i];

		dgate[i] = d * up[i] * sg * (1.0f + g * (1.0f - sg));
		dup[i] = d * g * sg;
	}
}

/* First visible k/v row of row t of sequence b. */
static inline int
att_kstart(const SqlpilotRowLayout *rl, int b, int t)
{
	return rl->kstart ? rl->kstart[(size_t) b * rl->T + t] : 0;
}

/* The k/v rows [*lo, *hi) that query rows [t0, t0+nt) of sequence b can see. */
static void
att_block_range(const SqlpilotRowLayout *rl, int b, int t0, int nt, int *lo, int *hi)
{
	int			m = att_kstart(rl, b, t0);

	for (int r = 1; r < nt; r++)
	{
		int			s = att_kstart(rl, b, t0 + r);

		if (s < m)
			m = s;
	}
	*lo = m;
	*hi = rl->kv_offset + t0 + nt;
}

/*
 * Turns the scores of one row (columns lo..hi-1 of p) into probabilities over
 * the visible columns [ks, last], zeroing the rest of [lo, hi).
 */
static void
att_softmax_row(float *p, int lo, int hi, int ks, int last)
{
	float		inv;

	for (int j = lo; j < ks; j++)
		p[j] = 0.0f;
	for (int j = last + 1; j < hi; j++)
		p[j] = 0.0f;
	inv = 1.0f / exp_shift_sum(p + ks, last + 1 - ks, max_of(p + ks, last + 1 - ks));
	for (int j = ks; j <= last; j++)
		p[j] *= inv;
}

/* p[0..n) *= s. */
static void
scale_by(float *p, int n, float s)
{
	int			j = 0;

	for (; j + 8 <= n; j += 8)
		vstore(p + j, vload(p + j) * s);
	for (; j < n; j++)
		p[j] *= s;
}

/*
 * sum over j in [j0, j1) of w[j] * (8 floats at rows + j * stride): four
 * independent accumulators so the adds do not wait on each other.
 */
static Vf8
weighted_rows(const float *w, const float *rows, int stride, int j0, int j1)
{
	Vf8			a0 = vsplat(0.0f);
	Vf8			a1 = vsplat(0.0f);
	Vf8			a2 = vsplat(0.0f);
	Vf8			a3 = vsplat(0.0f);
	int			j = j0;

	for (; j + 4 <= j1; j += 4)
	{
		a0 += w[j] * vload(rows + (size_t) j * stride);
		a1 += w[j + 1] * vload(rows + (size_t) (j + 1) * stride);
		a2 += w[j + 2] * vload(rows + (size_t) (j + 2) * stride);
		a3 += w[j + 3] * vload(rows + (size_t) (j + 3) * stride);
	}
	for (; j < j1; j++)
		a0 += w[j] * vload(rows + (size_t) j * stride);
	return (a0 + a1) + (a2 + a3);
}

/*
 * Attention of a single query row (decode): no BLAS call overhead; scores,
 * softmax and the weighted sum of v rows with vector loops.
 */
static void
att_forward_row(float *o, float *p, const float *qr, const float *kb,
				const float *vb, int ks, int last, int KVD, int HS, float scale)
{
	int			n = last + 1 - ks;

	sqlpilot_matvec_ld(p + ks, kb + (size_t) ks * KVD, KVD, qr, n, HS);
	scale_by(p + ks, n, scale);
	scale_by(p + ks, n, 1.0f / exp_shift_sum(p + ks, n, max_of(p + ks, n)));
	if (HS % 8 == 0)
	{
		for (int c = 0; c < HS; c += 8)
			vstore(o + c, weighted_rows(p, vb + c, KVD, ks, last + 1));
		return;
	}
	for (int i = 0; i < HS; i++)
		o[i] = 0.0f;
	for (int j = ks; j <= last; j++)
		for (int i = 0; i < HS; i++)
			o[i] += p[j] * vb[(size_t) j * KVD + i];
}

/* 1 when heads of HS with kv_stride S take the small-head path. */
static inline int
att_small(int HS, int S)
{
	return HS % 8 == 0 && HS <= SMALL_HEAD_MAX && (size_t) HS * (S + 8) <= SMALL_HEAD_FLOATS;
}

/* xt (HS, ld) = rows [0, nk) of x (row stride KVD) transposed and scaled. */
static void
transpose_rows(float *xt, int ld, const float *x, int nk, int KVD, int HS, float scale)
{
	for (int j = 0; j < nk; j++)
		for (int i = 0; i < HS; i++)
			xt[(size_t) i * ld + j] = x[(size_t) j * KVD + i] * scale;
}

/*
 * s[j] = sum_i x[i] * mt[i][j] for j in [j0, j1): 8 columns at a time, a
 * tail of 1..7 as the last 8 columns recomputed (a scalar tail's chain of
 * HS dependent multiply-adds per column cost about a third of a row).
 */
static void
row_times_t(float *s, const float *x, const float *mt, int ld, int j0, int j1, int HS)
{
	int			j = j0;

	for (; j + 32 <= j1; j += 32)
	{
		Vf8			a0 = vsplat(0.0f);
		Vf8			a1 = vsplat(0.0f);
		Vf8			a2 = vsplat(0.0f);
		Vf8			a3 = vsplat(0.0f);

		for (int i = 0; i < HS; i++)
		{
			const float *m = mt + (size_t) i * ld + j;

			a0 += x[i] * vload(m);
			a1 += x[i] * vload(m + 8);
			a2 += x[i] * vload(m + 16);
			a3 += x[i] * vload(m + 24);
		}
		vstore(s + j, a0);
		vstore(s + j + 8, a1);
		vstore(s + j + 16, a2);
		vstore(s + j + 24, a3);
	}
	for (; j + 8 <= j1; j += 8)
	{
		Vf8			acc = vsplat(0.0f);

		for (int i = 0; i < HS; i++)
			acc += x[i] * vload(mt + (size_t) i * ld + j);
		vstore(s + j, acc);
	}
	if (j < j1 && j1 >= 8)
	{
		/* the last 8 columns again, keeping the ones not yet stored */
		Vf8			acc = vsplat(0.0f);
		float		tmp[8];

		for (int i = 0; i < HS; i++)
			acc += x[i] * vload(mt + (size_t) i * ld + j1 - 8);
		vstore(tmp, acc);
		memcpy(s + j, tmp + 8 - (j1 - j), sizeof(float) * (j1 - j));
		return;
	}
	for (; j < j1; j++)
	{
		float		acc = 0.0f;

		for (int i = 0; i < HS; i++)
			acc += x[i] * mt[(size_t) i * ld + j];
		s[j] = acc;
	}
}

/*
 * Asks for the cache lines of p[j0..j1) ahead of use: probability rows are
 * written and read back in a large array (one row per query and head),
 * and their misses dominated the small-head backward.
 */
static inline void
prefetch_row(const float *p, int j0, int j1)
{
	for (int j = j0; j < j1; j += 16)
		__builtin_prefetch(p + j);
	__builtin_prefetch(p + j1 - 1);
}

/*
 * Small-head forward of query rows [t0, t0+nt) of sequence b for the query
 * heads of kv head kh: k of the visible block transposed once (scale folded
 * in), scores and softmax per row, then out = sum_j p_j v_j in registers.
 */
static void
att_small_forward(float *out, float *att, const float *q, const float *k,
				  const float *v, const SqlpilotRowLayout *rl, int b, int kh,
				  int t0, int nt, int NH, int NKV, int HS)
{
	int			T = rl->T;
	int			S = rl->kv_stride;
	int			QD = NH * HS;
	int			KVD = NKV * HS;
	int			group = NH / NKV;
	int			lo;
	int			hi;
	int			ld;
	float		kt[SMALL_HEAD_FLOATS];
	const float *kb;
	const float *vb;

	att_block_range(rl, b, t0, nt, &lo, &hi);
	ld = hi - lo;
	kb = k + ((size_t) b * S + lo) * KVD + kh * HS;
	vb = v + ((size_t) b * S + lo) * KVD + kh * HS;
	transpose_rows(kt, ld, kb, hi - lo, KVD, HS, 1.0f / sqrtf((float) HS));
	for (int h = kh * group; h < (kh + 1) * group; h++)
	{
		for (int t = t0; t < t0 + nt; t++)
		{
			const float *qr = q + ((size_t) b * T + t) * QD + h * HS;
			float	   *p = att + (((size_t) b * NH + h) * T + t) * S + lo;
			float	   *o = out + ((size_t) b * T + t) * QD + h * HS;
			int			j0 = att_kstart(rl, b, t) - lo;
			int			j1 = rl->kv_offset + t + 1 - lo;
			float		inv;

			if (t + 2 < t0 + nt)
				prefetch_row(p + 2 * (size_t) S, att_kstart(rl, b, t + 2) - lo, j1 + 2);
			row_times_t(p, qr, kt, ld, j0, j1, HS);
			inv = 1.0f / exp_shift_sum(p + j0, j1 - j0, max_of(p + j0, j1 - j0));
			scale_by(p + j0, j1 - j0, inv);
			for (int c = 0; c < HS; c += 8)
				vstore(o + c, weighted_rows(p, vb + c, KVD, j0, j1));
		}
	}
}

/*
 * ds[j] = p[j] (ds[j] - dot) for j in [j0, j1), 8 at a time from j0: the
 * same blocks row_times_t just stored, so each load is forwarded from one
 * store (a scalar loop here stalled on forwarding, 70% of the backward).
 */
static void
ds_of_dp(float *ds, const float *p, int j0, int j1, float dot)
{
	Vf8			d = vsplat(dot);
	int			j = j0;

	for (; j + 8 <= j1; j += 8)
		vstore(ds + j, vload(p + j) * (vload(ds + j) - d));
	for (; j < j1; j++)
		ds[j] = p[j] * (ds[j] - dot);
}

/*
 * Small-head backward of the same block: dP = dout . v_j from v transposed,
 * dS = P (dP - P.dP) (P.dP = dout . out, HS products instead of one per
 * visible key), then dq += scale dS k, dk_j += scale dS_j q,
 * dv_j += P_j dout, key by key in registers.
 */
static void
att_small_backward(float *dq, float *dk, float *dv, const float *dout,
				   const float *out, const float *att, const float *q, const float *k, const float *v,
				   const SqlpilotRowLayout *rl, int b, int kh, int t0, int nt,
				   int NH, int NKV, int HS)
{
	int			T = rl->T;
	int			S = rl->kv_stride;
	int			QD = NH * HS;
	int			KVD = NKV * HS;
	int			group = NH / NKV;
	float		scale = 1.0f / sqrtf((float) HS);
	int			lo;
	int			hi;
	int			ld;
	float		vt[SMALL_HEAD_FLOATS];
	float		ds[SMALL_HEAD_FLOATS / 8];
	const float *kb;
	float	   *dkb;
	float	   *dvb;

	att_block_range(rl, b, t0, nt, &lo, &hi);
	ld = hi - lo;
	kb = k + ((size_t) b * S + lo) * KVD + kh * HS;
	dkb = dk + ((size_t) b * S + lo) * KVD + kh * HS;
	dvb = dv + ((size_t) b * S + lo) * KVD + kh * HS;
	transpose_rows(vt, ld, v + ((size_t) b * S + lo) * KVD + kh * HS, hi - lo, KVD, HS, 1.0f);
	for (int h = kh * group; h < (kh + 1) * group; h++)
	{
		for (int t = t0; t < t0 + nt; t++)
		{
			size_t		qrow = ((size_t) b * T + t) * QD + h * HS;
			const float *p = att + (((size_t) b * NH + h) * T + t) * S + lo;
			const float *dor = dout + qrow;
			int			j0 = att_kstart(rl, b, t) - lo;
			int			j1 = rl->kv_offset + t + 1 - lo;
			float		dot;

			if (t + 2 < t0 + nt)
				prefetch_row(p + 2 * (size_t) S, att_kstart(rl, b, t + 2) - lo, j1 + 2);
			row_times_t(ds, dor, vt, ld, j0, j1, HS);
			dot = dot_of(dor, out + qrow, HS);
			ds_of_dp(ds, p, j0, j1, dot);
			for (int c = 0; c < HS; c += 8)
			{
				Vf8			qv = vload(q + qrow + c) * scale;
				Vf8			dov = vload(dor + c);

				vstore(dq + qrow + c, vload(dq + qrow + c) +
					   weighted_rows(ds, kb + c, KVD, j0, j1) * scale);
				for (int j = j0; j < j1; j++)
				{
					size_t		o = (size_t) j * KVD + c;

					vstore(dkb + o, vload(dkb + o) + ds[j] * qv);
					vstore(dvb + o, vload(dvb + o) + p[j] * dov);
				}
			}
		}
	}
}

/* Causal GQA attention, blocked over query rows (see the top of this file). */
void
sqlpilot_attention_forward(float *out, float *att, const float *q,
						   const float *k, const float *v,
						   const SqlpilotRowLayout *rl,
						   int NH, int NKV, int HS)
{
	int			T = rl->T;
	int			S = rl->kv_stride;
	int			QD = NH * HS;
	int			KVD = NKV * HS;
	int			group = NH / NKV;
	float		scale = 1.0f / sqrtf((float) HS);

	if (T > 1 && att_small(HS, S))
	{
		for (int b = 0; b < rl->B; b++)
			for (int kh = 0; kh < NKV; kh++)
				for (int t0 = 0; t0 < T; t0 += ATT_BLOCK)
					att_small_forward(out, att, q, k, v, rl, b, kh, t0,
									  T - t0 < ATT_BLOCK ? T - t0 : ATT_BLOCK, NH, NKV, HS);
		return;
	}
	for (int b = 0; b < rl->B; b++)
	{
		for (int h = 0; h < NH; h++)
		{
			int			kh = h / group;
			const float *qb = q + (size_t) b * T * QD + h * HS;
			const float *kb = k + (size_t) b * S * KVD + kh * HS;
			const float *vb = v + (size_t) b * S * KVD + kh * HS;
			float	   *ob = out + (size_t) b * T * QD + h * HS;
			float	   *ab = att + ((size_t) b * NH + h) * T * S;

			if (T == 1)
			{
				att_forward_row(ob, ab, qb, kb, vb, att_kstart(rl, b, 0),
								rl->kv_offset, KVD, HS, scale);
				continue;
			}
			for (int t0 = 0; t0 < T; t0 += ATT_BLOCK)
			{
				int			nt = T - t0 < ATT_BLOCK ? T - t0 : ATT_BLOCK;
				int			lo;
				int			hi;
				float	   *ap = ab + (size_t) t0 * S;

				att_block_range(rl, b, t0, nt, &lo, &hi);
				sqlpilot_gemm(false, true, nt, hi - lo, HS,
							  scale, qb + (size_t) t0 * QD, QD, kb + (size_t) lo * KVD, KVD,
							  0.0f, ap + lo, S);
				for (int r = 0; r < nt; r++)
					att_softmax_row(ap + (size_t) r * S, lo, hi,
									att_kstart(rl, b, t0 + r), rl->kv_offset + t0 + r);
				sqlpilot_gemm(false, false, nt, HS, hi - lo,
							  1.0f, ap + lo, S, vb + (size_t) lo * KVD, KVD,
							  0.0f, ob + (size_t) t0 * QD, QD);
			}
		}
	}
}

/*
 * Per block: dP = dout @ v^T, dS = P * (dP - rowsum(P * dP)), then
 * dq += scale dS @ k, dk += scale dS^T @ q, dv += P^T @ dout.  rowsum(P * dP)
 * = dout . out (out = P @ v): HS products per row instead of one per key.
 */
void
sqlpilot_attention_backward(float *dq, float *dk, float *dv,
							const float *dout, const float *out,
							const float *att,
							const float *q, const float *k, const float *v,
							const SqlpilotRowLayout *rl,
							int NH, int NKV, int HS)
{
	int			T = rl->T;
	int			S = rl->kv_stride;
	int			QD = NH * HS;
	int			KVD = NKV * HS;
	int			group = NH / NKV;
	float		scale = 1.0f / sqrtf((float) HS);
	int			bt = T < ATT_BLOCK ? T : ATT_BLOCK;
	float	   *ds;

	if (att_small(HS, S))
	{
		for (int b = 0; b < rl->B; b++)
			for (int kh = 0; kh < NKV; kh++)
				for (int t0 = 0; t0 < T; t0 += ATT_BLOCK)
					att_small_backward(dq, dk, dv, dout, out, att, q, k, v, rl, b, kh, t0,
									   T - t0 < ATT_BLOCK ? T - t0 : ATT_BLOCK, NH, NKV, HS);
		return;
	}
	ds = malloc(sizeof(float) * (size_t) bt * S);
	if (!ds)
		return;
	for (int b = 0; b < rl->B; b++)
	{
		for (int h = 0; h < NH; h++)
		{
			int			kh = h / group;
			size_t		qoff = (size_t) b * T * QD + h * HS;
			size_t		kvoff = (size_t) b * S * KVD + kh * HS;
			const float *ab = att + ((size_t) b * NH + h) * T * S;

			for (int t0 = 0; t0 < T; t0 += ATT_BLOCK)
			{
				int			nt = T - t0 < ATT_BLOCK ? T - t0 : ATT_BLOCK;
				int			lo;
				int			hi;
				int			nk;
				const float *ap = ab + (size_t) t0 * S;
				const float *dob = dout + qoff + (size_t) t0 * QD;

				att_block_range(rl, b, t0, nt, &lo, &hi);
				nk = hi - lo;
				sqlpilot_gemm(false, true, nt, nk, HS,
							  1.0f, dob, QD, v + kvoff + (size_t) lo * KVD, KVD,
							  0.0f, ds, nk);
				for (int r = 0; r < nt; r++)
				{
					const float *p = ap + (size_t) r * S + lo;
					float	   *d = ds + (size_t) r * nk;
					float		dot = dot_of(dob + (size_t) r * QD,
											 out + qoff + (size_t) (t0 + r) * QD, HS);

					for (int j = 0; j < nk; j++)
						d[j] = p[j] * (d[j] - dot);
				}
				sqlpilot_gemm(false, false, nt, HS, nk,
							  scale, ds, nk, k + kvoff + (size_t) lo * KVD, KVD,
							  1.0f, dq + qoff + (size_t) t0 * QD, QD);
				sqlpilot_gemm(true, false, nk, HS, nt,
							  scale, ds, nk, q + qoff + (size_t) t0 * QD, QD,
							  1.0f, dk + kvoff + (size_t) lo * KVD, KVD);
				sqlpilot_gemm(true, false, nk, HS, nt,
							  1.0f, ap + lo, S, dob, QD,
							  1.0f, dv + kvoff + (size_t) lo * KVD, KVD);
			}
		}
	}
	free(ds);
}

/*
 * k/v rows of the new rows: sequence b's rows live at kbuf row
 * b * kv_stride + kv_offset.  Returns 1 when all new rows are contiguous.
 */
static inline int
kv_contiguous(const SqlpilotRowLayout *rl)
{
	return rl->B == 1 || (rl->kv_offset == 0 && rl->kv_stride == rl->T);
}

/* One transformer block (layers.h): attention then SwiGLU, each with a residual. */
void
sqlpilot_block_forward(const SqlpilotConfig *c, const SqlpilotLayerWeights *w,
					   const SqlpilotRowLayout *rl, const float *x, float *out,
					   float *kbuf, float *vbuf, SqlpilotBlockActs *a)
{
	int			N = rl->B * rl->T;
	int			C = c->dim;
	int			H = c->hidden_dim;
	int			NH = c->n_heads;
	int			NKV = c->n_kv_heads;
	int			HS = C / NH;
	int			QD = NH * HS;
	int			KVD = NKV * HS;

	sqlpilot_rmsnorm_forward(a->ln1, a->ln1_rstd, x, w->rms_att, N, C, c->norm_eps);
	linear_forward(a->q, a->ln1, w->wq, w->wq_half, N, C, QD);
	sqlpilot_rope_forward(a->q, rl->pos, N, NH, HS, c->rope_theta);
	for (int b = 0; b < rl->B; b++)
	{
		size_t		row = (size_t) b * rl->kv_stride + rl->kv_offset;
		int			nb = kv_contiguous(rl) ? N : rl->T;
		const float *lnb = a->ln1 + (size_t) b * rl->T * C;

		linear_forward(kbuf + row * KVD, lnb, w->wk, w->wk_half, nb, C, KVD);
		linear_forward(vbuf + row * KVD, lnb, w->wv, w->wv_half, nb, C, KVD);
		sqlpilot_rope_forward(kbuf + row * KVD, rl->pos + (size_t) b * rl->T, nb,
							  NKV, HS, c->rope_theta);
		if (kv_contiguous(rl))
			break;
	}
	sqlpilot_attention_forward(a->atty, a->att, a->q, kbuf, vbuf, rl, NH, NKV, HS);
	linear_forward(a->res1, a->atty, w->wo, w->wo_half, N, QD, C);
	for (size_t i = 0; i < (size_t) N * C; i++)
		a->res1[i] += x[i];

	sqlpilot_rmsnorm_forward(a->ln2, a->ln2_rstd, a->res1, w->rms_ffn, N, C, c->norm_eps);
	linear_forward(a->gate, a->ln2, w->w1, w->w1_half, N, C, H);
	linear_forward(a->up, a->ln2, w->w3, w->w3_half, N, C, H);
	sqlpilot_swiglu_forward(a->act, a->gate, a->up, (size_t) N * H);
	linear_forward(out, a->act, w->w2, w->w2_half, N, H, C);
	for (size_t i = 0; i < (size_t) N * C; i++)
		out[i] += a->res1[i];
}

/* Floats of scratch sqlpilot_block_backward needs (see its layout there). */
size_t
sqlpilot_block_scratch_floats(const SqlpilotConfig *c, const SqlpilotRowLayout *rl)
{
	size_t		N = (size_t) rl->B * rl->T;
	size_t		C = c->dim;
	size_t		HS = C / c->n_heads;
	size_t		QD = c->n_heads * HS;
	size_t		KVD = c->n_kv_heads * HS;
	size_t		kv = (size_t) rl->B * rl->kv_stride * KVD;

	return 2 * N * C + 2 * N * QD + 2 * kv + 3 * N * c->hidden_dim;
}

/*
 * Backward of sqlpilot_block_forward.  scratch: dres1 (N,C), dln (N,C),
 * datty (N,QD), dq (N,QD), dk and dv (B,kv_stride,KVD), dact, dgate, dup (N,H).
 */
void
sqlpilot_block_backward(const SqlpilotConfig *c, const SqlpilotLayerWeights *w,
						SqlpilotLayerWeights *dw, const SqlpilotRowLayout *rl,
						const float *x, const float *kbuf, const float *vbuf,
						const SqlpilotBlockActs *a, const float *dout,
						float *dx, float *scratch)
{
	int			N = rl->B * rl->T;
	int			C = c->dim;
	int			H = c->hidden_dim;
	int			NH = c->n_heads;
	int			NKV = c->n_kv_heads;
	int			HS = C / NH;
	int			QD = NH * HS;
	int			KVD = NKV * HS;
	size_t		NC = (size_t) N * C;
	size_t		kvn = (size_t) rl->B * rl->kv_stride * KVD;
	float	   *dres1 = scratch;
	float	   *dln = dres1 + NC;
	float	   *datty = dln + NC;
	float	   *dq = datty + (size_t) N * QD;
	float	   *dk = dq + (size_t) N * QD;
	float	   *dv = dk + kvn;
	float	   *dact = dv + kvn;
	float	   *dgate = dact + (size_t) N * H;
	float	   *dup = dgate + (size_t) N * H;

	/* SwiGLU half: out = res1 + act @ w2^T. */
	memcpy(dres1, dout, NC * sizeof(float));
	memset(dact, 0, sizeof(float) * N * H);
	sqlpilot_matmul_backward(dact, dw->w2, dout, a->act, w->w2, N, H, C);
	sqlpilot_swiglu_backward(dgate, dup, dact, a->gate, a->up, (size_t) N * H);
	memset(dln, 0, NC * sizeof(float));
	sqlpilot_matmul_backward(dln, dw->w1, dgate, a->ln2, w->w1, N, C, H);
	sqlpilot_matmul_backward(dln, dw->w3, dup, a->ln2, w->w3, N, C, H);
	sqlpilot_rmsnorm_backward(dres1, dw->rms_ffn, dln, a->res1, w->rms_ffn,
							  a->ln2_rstd, N, C);

	/* Attention half: res1 = x + atty @ wo^T. */
	memcpy(dx, dres1, NC * sizeof(float));
	memset(datty, 0, sizeof(float) * N * QD);
	sqlpilot_matmul_backward(datty, dw->wo, dres1, a->atty, w->wo, N, QD, C);
	memset(dq, 0, sizeof(float) * N * QD);
	memset(dk, 0, sizeof(float) * kvn);
	memset(dv, 0, sizeof(float) * kvn);
	sqlpilot_attention_backward(dq, dk, dv, datty, a->atty, a->att, a->q, kbuf, vbuf, rl,
								NH, NKV, HS);
	sqlpilot_rope_backward(dq, rl->pos, N, NH, HS, c->rope_theta);
	memset(dln, 0, NC * sizeof(float));
	sqlpilot_matmul_backward(dln, dw->wq, dq, a->ln1, w->wq, N, C, QD);
	for (int b = 0; b < rl->B; b++)
	{
		size_t		row = (size_t) b * rl->kv_stride + rl->kv_offset;
		int			nb = kv_contiguous(rl) ? N : rl->T;
		const float *lnb = a->ln1 + (size_t) b * rl->T * C;
		float	   *dlnb = dln + (size_t) b * rl->T * C;

		sqlpilot_rope_backward(dk + row * KVD, rl->pos + (size_t) b * rl->T, nb,
							   NKV, HS, c->rope_theta);
		sqlpilot_matmul_backward(dlnb, dw->wk, dk + row * KVD, lnb, w->wk, nb, C, KVD);
		sqlpilot_matmul_backward(dlnb, dw->wv, dv + row * KVD, lnb, w->wv, nb, C, KVD);
		if (kv_contiguous(rl))
			break;
	}
	sqlpilot_rmsnorm_backward(dx, dw->rms_att, dln, x, w->rms_att, a->ln1_rstd, N, C);
}
