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
 * above 48, not a multiple of 8, or with more k/v rows than the small-head
 * buffers hold use sgemm: inside the computed rectangle masked
 * probabilities are written as zeros, so P @ v and the backward are plain
 * sgemm calls.  Small heads (HS 8..48, where sgemm's packing costs more than
 * the product) use vector loops over the visible keys only, k/v of a block
 * transposed once per sequence, a few query rows (heads sharing a kv head, then
 * positions) at a time so each k/v load serves all of them; they store only
 * each row's log-sum-exp and the backward recomputes the probabilities
 * (storing them and reading them back missed the cache on nearly every
 * line); one-row decode uses the same loops without the transpose.
 * Elementwise work runs 16 lanes (exp, SwiGLU, the small-head loops) or 8
 * (dot products, max) at a time through the compiler's vector extension.
 * A block runs in three phases (layers.h): the row-wise ones (norms,
 * projections, RoPE, FFN) over all rows at once, attention by sequence; the
 * trainer's schema-packed step calls the phases itself, attention per
 * segment, so its products span the whole micro-batch.
 * When the trainer turned on two threads (sqlpilot_gemm_set_threads), the
 * small-head attention of a block (by (sequence, kv head) pairs) and its
 * SwiGLU run in two fixed halves, the second in the helper thread
 * (sqlpilot_run_halves); otherwise, and always inside PostgreSQL, the two
 * halves run one after the other in the calling thread.
 */
#include "layers.h"

#include <limits.h>
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
 * HS is 8; 48, the 15M preset's, measured 8% faster training at T 256 than
 * sgemm, 64 slower); k/v of a block are transposed into stack buffers of at
 * most SMALL_HEAD_FLOATS floats each.
 */
#define SMALL_HEAD_MAX 48
#define SMALL_HEAD_FLOATS 16384

/* Keys a small-head block can see at most (SMALL_HEAD_FLOATS / the smallest head, 8). */
#define SMALL_HEAD_KEYS 2048

/*
 * Query rows the small-head path takes together: each k/v row it loads
 * serves all of them (one row at a time was bound by those loads).
 */
#define ATT_GROUP 8

/*
 * Eight floats in one register (GCC/Clang vector extension: AVX with
 * -march=native, two SSE halves otherwise); Vi8 is the same bits as ints.
 */
typedef float Vf8 __attribute__((vector_size(32)));
typedef int32_t Vi8 __attribute__((vector_size(32)));

/* Sixteen floats (one AVX-512 register; two AVX halves without it). */
typedef float Vf16 __attribute__((vector_size(64)));
typedef int32_t Vi16 __attribute__((vector_size(64)));

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

/* Unaligned load of 16 floats. */
static inline Vf16
vload16(const float *p)
{
	Vf16		v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/* Unaligned store of 16 floats. */
static inline void
vstore16(float *p, Vf16 v)
{
	memcpy(p, &v, sizeof(v));
}

/* x in all 16 lanes. */
static inline Vf16
vsplat16(float x)
{
	return (Vf16) {x, x, x, x, x, x, x, x, x, x, x, x, x, x, x, x};
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

/* Lane-wise max of 16 lanes. */
static inline Vf16
vmax16(Vf16 a, Vf16 b)
{
	Vi16		m = a > b;

	return (Vf16) ((m & (Vi16) a) | (~m & (Vi16) b));
}

/*
 * exp of 16 lanes (Cephes expf: x = n ln2 + r, |r| <= ln2/2, a degree-6
 * polynomial for e^r, then 2^n through the exponent bits); within 2 ulp for
 * x in [-87, 88], clamped below to about 1e-38.
 */
static inline Vf16
vexp(Vf16 x)
{
	Vf16		t;
	Vf16		r;
	Vf16		r2;
	Vf16		p;
	Vi16		n;

	x = vmax16(x, vsplat16(-87.0f));
	x = -vmax16(-x, vsplat16(-88.0f));
	t = x * 1.44269504088896341f + 12582912.0f;
	n = (Vi16) t - (Vi16) vsplat16(12582912.0f);
	t = t - 12582912.0f;
	r = x - t * 0.693359375f + t * 2.12194440e-4f;
	r2 = r * r;
	p = ((((1.9875691500e-4f * r + 1.3981999507e-3f) * r + 8.3334519073e-3f) * r +
		  4.1665795894e-2f) * r + 1.6666665459e-1f) * r + 5.0000001201e-1f;
	p = p * r2 + r + 1.0f;
	return p * (Vf16) ((n + 127) << 23);
}

/*
 * p[j] = exp(p[j] - mx) for j in [0, n); returns their sum (16 lanes at a
 * time, the tail through a padded copy).
 */
static float
exp_shift_sum(float *p, int n, float mx)
{
	Vf16		acc = vsplat16(0.0f);
	Vf16		m = vsplat16(mx);
	int			j = 0;
	float		sum = 0.0f;

	for (; j + 16 <= n; j += 16)
	{
		Vf16		e = vexp(vload16(p + j) - m);

		vstore16(p + j, e);
		acc += e;
	}
	for (int i = 0; i < 16; i++)
		sum += acc[i];
	if (j < n)
	{
		float		tmp[16];
		Vf16		e;

		for (int i = 0; i < 16; i++)
			tmp[i] = j + i < n ? p[j + i] : -1e30f;
		e = vexp(vload16(tmp) - m);
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
		int			i = 0;

		for (; i + 8 <= C; i += 8)
			vstore(o + i, vload(x + i) * r * vload(weight + i));
		for (; i < C; i++)
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
		Vf8			acc = vsplat(0.0f);
		float		k;
		int			i = 0;

		for (; i + 8 <= C; i += 8)
			acc += vload(d + i) * vload(weight + i) * vload(x + i);
		k = vsum(acc);
		for (; i < C; i++)
			k += d[i] * weight[i] * x[i];
		k = k * r * r * r / C;
		for (i = 0; i + 8 <= C; i += 8)
		{
			Vf8			dv = vload(d + i);
			Vf8			xv = vload(x + i);

			vstore(dx + i, vload(dx + i) + r * dv * vload(weight + i) - k * xv);
			vstore(dweight + i, vload(dweight + i) + dv * xv * r);
		}
		for (; i < C; i++)
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
	/* whole 256s: the tokens decoded after a prompt find their angles already there */
	npos = (npos + 255) / 256 * 256 < ROPE_TABLE_MAX_POS ? (npos + 255) / 256 * 256 : ROPE_TABLE_MAX_POS;
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

/* out = silu(gate) * up, 16 lanes at a time. */
void
sqlpilot_swiglu_forward(float *out, const float *gate, const float *up, size_t n)
{
	size_t		i = 0;

	for (; i + 16 <= n; i += 16)
	{
		Vf16		g = vload16(gate + i);

		vstore16(out + i, g / (1.0f + vexp(-g)) * vload16(up + i));
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

	for (; i + 16 <= n; i += 16)
	{
		Vf16		g = vload16(gate + i);
		Vf16		sg = 1.0f / (1.0f + vexp(-g));
		Vf16		d = vload16(dout + i);

		vstore16(dgate + i, d * vload16(up + i) * sg * (1.0f + g * (1.0f - sg)));
		vstore16(dup + i, d * g * sg);
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

/*
 * One SwiGLU over n elements of a block (forward: out from gate and up;
 * backward: dgate and dup from dout), split for sqlpilot_run_halves at a
 * multiple of 16 elements: every element takes the same vector or scalar
 * path as in one piece, so the results are those of one thread.
 */
typedef struct SwigluCall
{
	float	   *out;
	float	   *dgate;
	float	   *dup;
	const float *dout;
	const float *gate;
	const float *up;
	size_t		n;
} SwigluCall;

/* Elements [*i0, *i1) of half 0 or 1 of call sc. */
static void
swiglu_half_range(const SwigluCall *sc, int half, size_t *i0, size_t *i1)
{
	size_t		mid = sc->n / 2 & ~(size_t) 15;

	*i0 = half ? mid : 0;
	*i1 = half ? sc->n : mid;
}

/* sqlpilot_swiglu_forward of one half of call sc. */
static void
swiglu_forward_half(void *arg, int half)
{
	const SwigluCall *sc = arg;
	size_t		i0;
	size_t		i1;

	swiglu_half_range(sc, half, &i0, &i1);
	sqlpilot_swiglu_forward(sc->out + i0, sc->gate + i0, sc->up + i0, i1 - i0);
}

/* sqlpilot_swiglu_backward of one half of call sc. */
static void
swiglu_backward_half(void *arg, int half)
{
	const SwigluCall *sc = arg;
	size_t		i0;
	size_t		i1;

	swiglu_half_range(sc, half, &i0, &i1);
	sqlpilot_swiglu_backward(sc->dgate + i0, sc->dup + i0, sc->dout + i0, sc->gate + i0,
							 sc->up + i0, i1 - i0);
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
 * softmax and the weighted sum of v rows with vector loops.  Returns the
 * row's log-sum-exp (what the small-head backward reads).
 */
static float
att_forward_row(float *o, float *p, const float *qr, const float *kb,
				const float *vb, int ks, int last, int KVD, int HS, float scale)
{
	int			n = last + 1 - ks;
	float		mx;
	float		sum;

	sqlpilot_matvec_ld(p + ks, kb + (size_t) ks * KVD, KVD, qr, n, HS);
	scale_by(p + ks, n, scale);
	mx = max_of(p + ks, n);
	sum = exp_shift_sum(p + ks, n, mx);
	scale_by(p + ks, n, 1.0f / sum);
	if (HS % 8 == 0)
	{
		for (int c = 0; c < HS; c += 8)
			vstore(o + c, weighted_rows(p, vb + c, KVD, ks, last + 1));
		return mx + logf(sum);
	}
	for (int i = 0; i < HS; i++)
		o[i] = 0.0f;
	for (int j = ks; j <= last; j++)
		for (int i = 0; i < HS; i++)
			o[i] += p[j] * vb[(size_t) j * KVD + i];
	return mx + logf(sum);
}

/* 1 when heads of HS with kv_stride S take the small-head path. */
static inline int
att_small(int HS, int S)
{
	return HS % 8 == 0 && HS <= SMALL_HEAD_MAX && (size_t) HS * (S + 32) <= SMALL_HEAD_FLOATS;
}

/*
 * xt (HS, ld) = rows [0, nk) of x (row stride KVD) transposed and scaled,
 * columns [nk, ld) zero (the score loops run over whole chunks of 16).
 */
static void
transpose_rows(float *xt, int ld, const float *x, int nk, int KVD, int HS, float scale)
{
	for (int j = 0; j < nk; j++)
		for (int i = 0; i < HS; i++)
			xt[(size_t) i * ld + j] = x[(size_t) j * KVD + i] * scale;
	for (int i = 0; i < HS; i++)
		for (int j = nk; j < ld; j++)
			xt[(size_t) i * ld + j] = 0.0f;
}

/*
 * One query row of a small-head group: its head h, position t, and the
 * keys [j0, j1) it sees, counted from the block's first visible key.
 */
typedef struct AttItem
{
	int			h;
	int			t;
	int			j0;
	int			j1;
} AttItem;

/*
 * The ATT_GROUP query rows from item g0 of a block (items run over
 * positions t0.. and, within one position, the query heads of kv head kh,
 * which see the same keys): fills it (past the last item, copies of it)
 * and returns how many are real; *jlo, *jhi = the union of their keys.
 */
static int
att_group_items(AttItem *it, int *jlo, int *jhi, const SqlpilotRowLayout *rl, int b, int kh,
				int group, int t0, int nitems, int g0, int lo)
{
	int			nr = nitems - g0 < ATT_GROUP ? nitems - g0 : ATT_GROUP;

	*jlo = INT_MAX;
	*jhi = 0;
	for (int r = 0; r < ATT_GROUP; r++)
	{
		int			idx = g0 + (r < nr ? r : nr - 1);

		it[r].t = t0 + idx / group;
		it[r].h = kh * group + idx % group;
		it[r].j0 = att_kstart(rl, b, it[r].t) - lo;
		it[r].j1 = rl->kv_offset + it[r].t + 1 - lo;
		*jlo = it[r].j0 < *jlo ? it[r].j0 : *jlo;
		*jhi = it[r].j1 > *jhi ? it[r].j1 : *jhi;
	}
	return nr;
}

/*
 * s[r][j] = sum_i x_r[i] * mt[i][j] for the ATT_GROUP rows x_r, j in
 * [jb, je) (multiples of 16, within mt's ld): each 16 columns of mt loaded
 * once for all rows, one accumulator per row.
 */
static void
group_times_t(float *s, int sld, const float *const *x, const float *mt, int ld,
			  int jb, int je, int HS)
{
	for (int j = jb; j < je; j += 16)
	{
		Vf16		a[ATT_GROUP];

#pragma GCC unroll 8
		for (int r = 0; r < ATT_GROUP; r++)
			a[r] = vsplat16(0.0f);
		for (int i = 0; i < HS; i++)
		{
			Vf16		m = vload16(mt + (size_t) i * ld + j);

#pragma GCC unroll 8
			for (int r = 0; r < ATT_GROUP; r++)
				a[r] += x[r][i] * m;
		}
#pragma GCC unroll 8
		for (int r = 0; r < ATT_GROUP; r++)
			vstore16(s + (size_t) r * sld + j, a[r]);
	}
}

/*
 * w (8 or 16) floats at p as 16 lanes, the lanes past w zero: a head of
 * 8 (or the last 8 of 24) takes the same loops as one of 16.
 */
static inline __attribute__((always_inline)) Vf16
vload16w(const float *p, int w)
{
	if (w == 16)
		return vload16(p);
	return __builtin_shufflevector(vload(p), vsplat(0.0f),
								   0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
}

/* Stores the first w (8 or 16) lanes of v at p. */
static inline __attribute__((always_inline)) void
vstore16w(float *p, Vf16 v, int w)
{
	if (w == 16)
		vstore16(p, v);
	else
		vstore(p, __builtin_shufflevector(v, v, 0, 1, 2, 3, 4, 5, 6, 7));
}

/*
 * acc[r] = sum over j in [j0, j1) of w[r][j] * (the w lanes at rows + j *
 * stride) for the ATT_GROUP weight rows of wt (row stride wld): each row of
 * `rows` loaded once for the group, even and odd j in separate
 * accumulators.  Inlined so each lane width gets its own copy.
 */
static inline __attribute__((always_inline)) void
group_weighted(Vf16 *acc, const float *wt, int wld, const float *rows, int stride,
			   int j0, int j1, int w)
{
	Vf16		a[2][ATT_GROUP];
	int			j = j0;

#pragma GCC unroll 8
	for (int r = 0; r < ATT_GROUP; r++)
		a[0][r] = a[1][r] = vsplat16(0.0f);
	for (; j + 2 <= j1; j += 2)
	{
		Vf16		x0 = vload16w(rows + (size_t) j * stride, w);
		Vf16		x1 = vload16w(rows + (size_t) (j + 1) * stride, w);

#pragma GCC unroll 8
		for (int r = 0; r < ATT_GROUP; r++)
		{
			a[0][r] += wt[(size_t) r * wld + j] * x0;
			a[1][r] += wt[(size_t) r * wld + j + 1] * x1;
		}
	}
	if (j < j1)
	{
		Vf16		x0 = vload16w(rows + (size_t) j * stride, w);

#pragma GCC unroll 8
		for (int r = 0; r < ATT_GROUP; r++)
			a[0][r] += wt[(size_t) r * wld + j] * x0;
	}
#pragma GCC unroll 8
	for (int r = 0; r < ATT_GROUP; r++)
		acc[r] = a[0][r] + a[1][r];
}

/*
 * (w lanes at dst + j * stride) += sum_r wt[r][j] * x[r] for j in [j0, j1):
 * the k/v gradient of one group, one read and write of each key row.
 */
static inline __attribute__((always_inline)) void
group_scatter(float *dst, int stride, const float *wt, int wld, const Vf16 *x, int j0, int j1,
			  int w)
{
	for (int j = j0; j < j1; j++)
	{
		Vf16		s = wt[j] * x[0];

#pragma GCC unroll 8
		for (int r = 1; r < ATT_GROUP; r++)
			s += wt[(size_t) r * wld + j] * x[r];
		vstore16w(dst + (size_t) j * stride, vload16w(dst + (size_t) j * stride, w) + s, w);
	}
}

/*
 * The padded row loops below work on whole 16-lane vectors: p[0..n) is
 * meant, p[n..round16(n)) must be room in the same buffer (the small-head
 * rows have it) and gets overwritten with junk; a mask keeps the junk out
 * of sums and maxima.
 */

/* -1 in lanes i < n, 0 in the others. */
static inline Vi16
lanes_below(int n)
{
	Vi16		idx = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};

	return idx < n;
}

/* Largest of p[0..n), n >= 1 (padded). */
static float
max_pad(const float *p, int n)
{
	Vf16		acc = vsplat16(-INFINITY);
	float		mx;

	for (int j = 0; j < n; j += 16)
	{
		Vi16		keep = lanes_below(n - j);

		acc = vmax16(acc, (Vf16) ((keep & (Vi16) vload16(p + j)) |
								  (~keep & (Vi16) vsplat16(-INFINITY))));
	}
	mx = acc[0];
	for (int i = 1; i < 16; i++)
		mx = acc[i] > mx ? acc[i] : mx;
	return mx;
}

/* p[j] = exp(p[j] - mx) for j in [0, n); returns their sum (padded). */
static float
exp_pad(float *p, int n, float mx)
{
	Vf16		acc = vsplat16(0.0f);
	float		sum = 0.0f;

	for (int j = 0; j < n; j += 16)
	{
		Vf16		e = vexp(vload16(p + j) - mx);

		vstore16(p + j, e);
		acc += (Vf16) (lanes_below(n - j) & (Vi16) e);
	}
	for (int i = 0; i < 16; i++)
		sum += acc[i];
	return sum;
}

/* p[0..n) *= s (padded). */
static void
scale_pad(float *p, int n, float s)
{
	for (int j = 0; j < n; j += 16)
		vstore16(p + j, vload16(p + j) * s);
}

/* ds[j] = p[j] (ds[j] - dot) for j in [0, n) (padded, both rows). */
static void
ds_pad(float *ds, const float *p, int n, float dot)
{
	for (int j = 0; j < n; j += 16)
		vstore16(ds + j, vload16(p + j) * (vload16(ds + j) - dot));
}

/* p[j] = 0 for j in [a, b) (nothing when b <= a). */
static inline void
zero_range(float *p, int a, int b)
{
	for (int j = a; j < b; j++)
		p[j] = 0.0f;
}

/*
 * The k/v rows [*lo, *hi) sequence b's rows can see, and *ld, the row
 * length of their transpose: whole chunks of 16 from any block's first
 * key, which att_small leaves room for.
 */
static void
att_seq_range(const SqlpilotRowLayout *rl, int b, int *lo, int *hi, int *ld)
{
	att_block_range(rl, b, 0, rl->T, lo, hi);
	*ld = ((*hi - *lo + 15) & ~15) + 16;
}

/*
 * Small-head forward of query rows [t0, t0+nt) of sequence b for the query
 * heads of kv head kh, from kt: k of the sequence transposed once by the
 * caller (scale folded in; column j is key tlo + j, row length ld); ATT_GROUP
 * query rows at a time, scores over the union of their keys, each row's
 * softmax over its own keys (zero elsewhere), out = sum_j p_j v_j.  Only
 * each row's log-sum-exp is stored, in att at (b, h, t) of a (B, NH, T)
 * array: the backward recomputes the probabilities.
 */
static void
att_small_forward(float *out, float *att, const float *q, const float *kt, int ld, int tlo,
				  const float *v, const SqlpilotRowLayout *rl, int b, int kh,
				  int t0, int nt, int NH, int NKV, int HS)
{
	int			T = rl->T;
	int			S = rl->kv_stride;
	int			QD = NH * HS;
	int			KVD = NKV * HS;
	int			group = NH / NKV;
	int			nitems = nt * group;
	int			lo;
	int			hi;
	float		sc[ATT_GROUP * SMALL_HEAD_KEYS];
	const float *vb;

	att_block_range(rl, b, t0, nt, &lo, &hi);
	kt += lo - tlo;
	vb = v + ((size_t) b * S + lo) * KVD + kh * HS;
	for (int g0 = 0; g0 < nitems; g0 += ATT_GROUP)
	{
		AttItem		it[ATT_GROUP];
		const float *qr[ATT_GROUP];
		Vf16		acc[ATT_GROUP];
		int			jlo;
		int			jhi;
		int			nr = att_group_items(it, &jlo, &jhi, rl, b, kh, group, t0, nitems, g0, lo);

		for (int r = 0; r < ATT_GROUP; r++)
			qr[r] = q + ((size_t) b * T + it[r].t) * QD + it[r].h * HS;
		group_times_t(sc, SMALL_HEAD_KEYS, qr, kt, ld, jlo & ~15, (jhi + 15) & ~15, HS);
		for (int r = 0; r < ATT_GROUP; r++)
		{
			float	   *s = sc + (size_t) r * SMALL_HEAD_KEYS;
			int			j0 = it[r].j0;
			int			j1 = it[r].j1;

			if (r >= nr)
				j0 = j1 = jhi;
			else
			{
				float		mx = max_pad(s + j0, j1 - j0);
				float		sum = exp_pad(s + j0, j1 - j0, mx);

				scale_pad(s + j0, j1 - j0, 1.0f / sum);
				att[((size_t) b * NH + it[r].h) * T + it[r].t] = mx + logf(sum);
			}
			zero_range(s, jlo, j0);
			zero_range(s, j1, jhi);
		}
		for (int c = 0; c < HS; c += 16)
		{
			int			w = HS - c >= 16 ? 16 : 8;

			if (w == 16)
				group_weighted(acc, sc, SMALL_HEAD_KEYS, vb + c, KVD, jlo, jhi, 16);
			else
				group_weighted(acc, sc, SMALL_HEAD_KEYS, vb + c, KVD, jlo, jhi, 8);
			for (int r = 0; r < nr; r++)
				vstore16w(out + ((size_t) b * T + it[r].t) * QD + it[r].h * HS + c, acc[r], w);
		}
	}
}

/*
 * Small-head backward of the same block (kt, vt: k and v transposed as for
 * the forward), ATT_GROUP query rows at a time:
 * P recomputed from q, k and the row's log-sum-exp (reading stored
 * probabilities back missed the cache on nearly every line), dP = dout . v_j
 * from v transposed, dS = P (dP - P.dP) (P.dP = dout . out, HS products
 * instead of one per visible key), both zero outside each row's keys; then
 * dq_r += scale sum_j dS_rj k_j, and per key dk_j += scale sum_r dS_rj q_r,
 * dv_j += sum_r P_rj dout_r.
 */
static void
att_small_backward(float *dq, float *dk, float *dv, const float *dout,
				   const float *out, const float *att, const float *q, const float *k,
				   const float *kt, const float *vt, int ld, int tlo,
				   const SqlpilotRowLayout *rl, int b, int kh, int t0, int nt,
				   int NH, int NKV, int HS)
{
	int			T = rl->T;
	int			S = rl->kv_stride;
	int			QD = NH * HS;
	int			KVD = NKV * HS;
	int			group = NH / NKV;
	int			nitems = nt * group;
	float		scale = 1.0f / sqrtf((float) HS);
	int			lo;
	int			hi;
	float		ds[ATT_GROUP * SMALL_HEAD_KEYS];
	float		pz[ATT_GROUP * SMALL_HEAD_KEYS];
	const float *kb;
	float	   *dkb;
	float	   *dvb;

	att_block_range(rl, b, t0, nt, &lo, &hi);
	kt += lo - tlo;
	vt += lo - tlo;
	kb = k + ((size_t) b * S + lo) * KVD + kh * HS;
	dkb = dk + ((size_t) b * S + lo) * KVD + kh * HS;
	dvb = dv + ((size_t) b * S + lo) * KVD + kh * HS;
	for (int g0 = 0; g0 < nitems; g0 += ATT_GROUP)
	{
		AttItem		it[ATT_GROUP];
		const float *qr[ATT_GROUP];
		const float *dor[ATT_GROUP];
		size_t		qrow[ATT_GROUP];
		Vf16		acc[ATT_GROUP];
		int			jlo;
		int			jhi;
		int			nr = att_group_items(it, &jlo, &jhi, rl, b, kh, group, t0, nitems, g0, lo);

		for (int r = 0; r < ATT_GROUP; r++)
		{
			qrow[r] = ((size_t) b * T + it[r].t) * QD + it[r].h * HS;
			qr[r] = q + qrow[r];
			dor[r] = dout + qrow[r];
		}
		group_times_t(pz, SMALL_HEAD_KEYS, qr, kt, ld, jlo & ~15, (jhi + 15) & ~15, HS);
		group_times_t(ds, SMALL_HEAD_KEYS, dor, vt, ld, jlo & ~15, (jhi + 15) & ~15, HS);
		for (int r = 0; r < ATT_GROUP; r++)
		{
			float	   *d = ds + (size_t) r * SMALL_HEAD_KEYS;
			float	   *pr = pz + (size_t) r * SMALL_HEAD_KEYS;
			int			j0 = it[r].j0;
			int			j1 = it[r].j1;

			if (r >= nr)
				j0 = j1 = jhi;
			else
			{
				exp_pad(pr + j0, j1 - j0, att[((size_t) b * NH + it[r].h) * T + it[r].t]);
				ds_pad(d + j0, pr + j0, j1 - j0, dot_of(dor[r], out + qrow[r], HS));
			}
			zero_range(d, jlo, j0);
			zero_range(d, j1, jhi);
			zero_range(pr, jlo, j0);
			zero_range(pr, j1, jhi);
		}
		for (int c = 0; c < HS; c += 16)
		{
			int			w = HS - c >= 16 ? 16 : 8;
			Vf16		qv[ATT_GROUP];
			Vf16		dov[ATT_GROUP];

			if (w == 16)
				group_weighted(acc, ds, SMALL_HEAD_KEYS, kb + c, KVD, jlo, jhi, 16);
			else
				group_weighted(acc, ds, SMALL_HEAD_KEYS, kb + c, KVD, jlo, jhi, 8);
			for (int r = 0; r < ATT_GROUP; r++)
			{
				if (r < nr)
					vstore16w(dq + qrow[r] + c, vload16w(dq + qrow[r] + c, w) + acc[r] * scale, w);
				qv[r] = vload16w(qr[r] + c, w) * scale;
				dov[r] = vload16w(dor[r] + c, w);
			}
			if (w == 16)
			{
				group_scatter(dkb + c, KVD, ds, SMALL_HEAD_KEYS, qv, jlo, jhi, 16);
				group_scatter(dvb + c, KVD, pz, SMALL_HEAD_KEYS, dov, jlo, jhi, 16);
			}
			else
			{
				group_scatter(dkb + c, KVD, ds, SMALL_HEAD_KEYS, qv, jlo, jhi, 8);
				group_scatter(dvb + c, KVD, pz, SMALL_HEAD_KEYS, dov, jlo, jhi, 8);
			}
		}
	}
}

/*
 * One small-head attention call (forward: out and att written; backward:
 * dq, dk, dv written from dout and the forward's yout, yatt), worked on by
 * (sequence, kv head) pairs.  Each pair writes only its own rows and heads,
 * so the first and the second half of the pairs can run in two threads
 * (sqlpilot_run_halves) with results bit for bit those of one.
 */
typedef struct AttSmallCall
{
	float	   *out;
	float	   *att;
	float	   *dq;
	float	   *dk;
	float	   *dv;
	const float *dout;
	const float *yout;
	const float *yatt;
	const float *q;
	const float *k;
	const float *v;
	const SqlpilotRowLayout *rl;
	int			NH;
	int			NKV;
	int			HS;
} AttSmallCall;

/* The (sequence, kv head) pairs [*p0, *p1) of half 0 or 1 of call ac. */
static void
att_half_pairs(const AttSmallCall *ac, int half, int *p0, int *p1)
{
	int			n = ac->rl->B * ac->NKV;

	*p0 = half ? n / 2 : 0;
	*p1 = half ? n : n / 2;
}

/*
 * Work of a small-head attention forward for sqlpilot_run_halves: one exp
 * per (query head, row, key), keys bounded by the prefix and half the rows
 * (causal; packed examples see fewer).
 */
static double
att_work(const SqlpilotRowLayout *rl, int NH)
{
	return (double) NH * rl->B * rl->T * (rl->kv_offset + rl->T / 2.0);
}

/* Small-head forward of one half of the pairs: k transposed once per pair, then its blocks. */
static void
att_small_forward_half(void *arg, int half)
{
	const AttSmallCall *ac = arg;
	const SqlpilotRowLayout *rl = ac->rl;
	int			T = rl->T;
	int			KVD = ac->NKV * ac->HS;
	float		scale = 1.0f / sqrtf((float) ac->HS);
	float		kt[SMALL_HEAD_FLOATS];
	int			p0;
	int			p1;

	att_half_pairs(ac, half, &p0, &p1);
	for (int p = p0; p < p1; p++)
	{
		int			b = p / ac->NKV;
		int			kh = p % ac->NKV;
		int			lo;
		int			hi;
		int			ld;

		att_seq_range(rl, b, &lo, &hi, &ld);
		transpose_rows(kt, ld, ac->k + ((size_t) b * rl->kv_stride + lo) * KVD + kh * ac->HS,
					   hi - lo, KVD, ac->HS, scale);
		for (int t0 = 0; t0 < T; t0 += ATT_BLOCK)
			att_small_forward(ac->out, ac->att, ac->q, kt, ld, lo, ac->v, rl, b, kh, t0,
							  T - t0 < ATT_BLOCK ? T - t0 : ATT_BLOCK, ac->NH, ac->NKV, ac->HS);
	}
}

/* Small-head backward of one half of the pairs: k and v transposed once per pair. */
static void
att_small_backward_half(void *arg, int half)
{
	const AttSmallCall *ac = arg;
	const SqlpilotRowLayout *rl = ac->rl;
	int			T = rl->T;
	int			KVD = ac->NKV * ac->HS;
	float		scale = 1.0f / sqrtf((float) ac->HS);
	float		kt[SMALL_HEAD_FLOATS];
	float		vt[SMALL_HEAD_FLOATS];
	int			p0;
	int			p1;

	att_half_pairs(ac, half, &p0, &p1);
	for (int p = p0; p < p1; p++)
	{
		int			b = p / ac->NKV;
		int			kh = p % ac->NKV;
		int			lo;
		int			hi;
		int			ld;
		size_t		o;

		att_seq_range(rl, b, &lo, &hi, &ld);
		o = ((size_t) b * rl->kv_stride + lo) * KVD + kh * ac->HS;
		transpose_rows(kt, ld, ac->k + o, hi - lo, KVD, ac->HS, scale);
		transpose_rows(vt, ld, ac->v + o, hi - lo, KVD, ac->HS, 1.0f);
		for (int t0 = 0; t0 < T; t0 += ATT_BLOCK)
			att_small_backward(ac->dq, ac->dk, ac->dv, ac->dout, ac->yout, ac->yatt, ac->q,
							   ac->k, kt, vt, ld, lo, rl, b, kh, t0,
							   T - t0 < ATT_BLOCK ? T - t0 : ATT_BLOCK,
							   ac->NH, ac->NKV, ac->HS);
	}
}

/* Floats of att the forward uses (layers.h): small heads keep one per row. */
size_t
sqlpilot_attention_att_floats(int B, int T, int S, int NH, int HS)
{
	size_t		rows = (size_t) B * NH * T;

	return att_small(HS, S) ? rows : rows * S;
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
	int			small = att_small(HS, S);
	float		prow[SMALL_HEAD_KEYS];

	if (small && T > 1)
	{
		AttSmallCall ac = {out, att, NULL, NULL, NULL, NULL, NULL, NULL, q, k, v, rl, NH, NKV, HS};

		sqlpilot_run_halves(att_small_forward_half, &ac, att_work(rl, NH));
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

			if (T == 1 && small)
			{
				/* probabilities in prow; att keeps the small-head layout */
				att[(size_t) b * NH + h] = att_forward_row(ob, prow, qb, kb, vb,
														   att_kstart(rl, b, 0),
														   rl->kv_offset, KVD, HS, scale);
				continue;
			}
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
		AttSmallCall ac = {NULL, NULL, dq, dk, dv, dout, out, att, q, k, v, rl, NH, NKV, HS};

		sqlpilot_run_halves(att_small_backward_half, &ac, 2 * att_work(rl, NH));
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

/* y[0..n) += x[0..n) (the residual adds), 16 lanes at a time. */
static void
add_into(float *y, const float *x, size_t n)
{
	size_t		i = 0;

	for (; i + 16 <= n; i += 16)
		vstore16(y + i, vload16(y + i) + vload16(x + i));
	for (; i < n; i++)
		y[i] += x[i];
}

/*
 * Phase 1 of a block (layers.h): ln1, q and the new rows' k/v, with RoPE.
 * Sequence b's new k/v rows live at kbuf row b * kv_stride + kv_offset.
 */
void
sqlpilot_block_qkv_forward(const SqlpilotConfig *c, const SqlpilotLayerWeights *w,
						   const SqlpilotRowLayout *rl, const float *x,
						   float *kbuf, float *vbuf, SqlpilotBlockActs *a)
{
	int			N = rl->B * rl->T;
	int			C = c->dim;
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
}

/*
 * Backward of phase 1: RoPE's inverse on dq and the new rows' dk, then
 * d ln1 from the three projections and the rmsnorm's backward into dx.
 */
void
sqlpilot_block_qkv_backward(const SqlpilotConfig *c, const SqlpilotLayerWeights *w,
							SqlpilotLayerWeights *dw, const SqlpilotRowLayout *rl,
							const float *x, const SqlpilotBlockActs *a,
							SqlpilotBlockGrads *g, float *dx)
{
	int			N = rl->B * rl->T;
	int			C = c->dim;
	int			NH = c->n_heads;
	int			NKV = c->n_kv_heads;
	int			HS = C / NH;
	int			QD = NH * HS;
	int			KVD = NKV * HS;

	sqlpilot_rope_backward(g->dq, rl->pos, N, NH, HS, c->rope_theta);
	memset(g->dln, 0, sizeof(float) * N * C);
	sqlpilot_matmul_backward(g->dln, dw->wq, g->dq, a->ln1, w->wq, N, C, QD);
	for (int b = 0; b < rl->B; b++)
	{
		size_t		row = (size_t) b * rl->kv_stride + rl->kv_offset;
		int			nb = kv_contiguous(rl) ? N : rl->T;
		const float *lnb = a->ln1 + (size_t) b * rl->T * C;
		float	   *dlnb = g->dln + (size_t) b * rl->T * C;

		sqlpilot_rope_backward(g->dk + row * KVD, rl->pos + (size_t) b * rl->T, nb,
							   NKV, HS, c->rope_theta);
		sqlpilot_matmul_backward(dlnb, dw->wk, g->dk + row * KVD, lnb, w->wk, nb, C, KVD);
		sqlpilot_matmul_backward(dlnb, dw->wv, g->dv + row * KVD, lnb, w->wv, nb, C, KVD);
		if (kv_contiguous(rl))
			break;
	}
	sqlpilot_rmsnorm_backward(dx, dw->rms_att, g->dln, x, w->rms_att, a->ln1_rstd, N, C);
}

/* Phase 3 of a block (layers.h): wo and the residual, then the SwiGLU FFN and its residual. */
void
sqlpilot_block_ffn_forward(const SqlpilotConfig *c, const SqlpilotLayerWeights *w,
						   int N, const float *x, float *out, SqlpilotBlockActs *a)
{
	int			C = c->dim;
	int			H = c->hidden_dim;
	int			QD = c->n_heads * (C / c->n_heads);
	SwigluCall	sc = {a->act, NULL, NULL, NULL, a->gate, a->up, (size_t) N * H};

	linear_forward(a->res1, a->atty, w->wo, w->wo_half, N, QD, C);
	add_into(a->res1, x, (size_t) N * C);
	sqlpilot_rmsnorm_forward(a->ln2, a->ln2_rstd, a->res1, w->rms_ffn, N, C, c->norm_eps);
	linear_forward(a->gate, a->ln2, w->w1, w->w1_half, N, C, H);
	linear_forward(a->up, a->ln2, w->w3, w->w3_half, N, C, H);
	sqlpilot_run_halves(swiglu_forward_half, &sc, (double) sc.n);
	linear_forward(out, a->act, w->w2, w->w2_half, N, H, C);
	add_into(out, a->res1, (size_t) N * C);
}

/*
 * Backward of phase 3: out = res1 + act @ w2^T, so dres1 (kept in dx) is
 * dout plus what comes back through the FFN and its rmsnorm; then
 * res1 = x + atty @ wo^T gives datty.
 */
void
sqlpilot_block_ffn_backward(const SqlpilotConfig *c, const SqlpilotLayerWeights *w,
							SqlpilotLayerWeights *dw, int N,
							const SqlpilotBlockActs *a, const float *dout,
							float *dx, SqlpilotBlockGrads *g)
{
	int			C = c->dim;
	int			H = c->hidden_dim;
	int			QD = c->n_heads * (C / c->n_heads);
	size_t		NC = (size_t) N * C;
	SwigluCall	sc = {NULL, g->dgate, g->dup, g->dact, a->gate, a->up, (size_t) N * H};

	memcpy(dx, dout, NC * sizeof(float));
	memset(g->dact, 0, sizeof(float) * N * H);
	sqlpilot_matmul_backward(g->dact, dw->w2, dout, a->act, w->w2, N, H, C);
	sqlpilot_run_halves(swiglu_backward_half, &sc, (double) sc.n);
	memset(g->dln, 0, NC * sizeof(float));
	sqlpilot_matmul_backward(g->dln, dw->w1, g->dgate, a->ln2, w->w1, N, C, H);
	sqlpilot_matmul_backward(g->dln, dw->w3, g->dup, a->ln2, w->w3, N, C, H);
	sqlpilot_rmsnorm_backward(dx, dw->rms_ffn, g->dln, a->res1, w->rms_ffn,
							  a->ln2_rstd, N, C);

	memset(g->datty, 0, sizeof(float) * N * QD);
	sqlpilot_matmul_backward(g->datty, dw->wo, dx, a->atty, w->wo, N, QD, C);
}

/* One transformer block (layers.h): its three phases over the rows of rl. */
void
sqlpilot_block_forward(const SqlpilotConfig *c, const SqlpilotLayerWeights *w,
					   const SqlpilotRowLayout *rl, const float *x, float *out,
					   float *kbuf, float *vbuf, SqlpilotBlockActs *a)
{
	int			NH = c->n_heads;
	int			HS = c->dim / NH;

	sqlpilot_block_qkv_forward(c, w, rl, x, kbuf, vbuf, a);
	sqlpilot_attention_forward(a->atty, a->att, a->q, kbuf, vbuf, rl, NH, c->n_kv_heads, HS);
	sqlpilot_block_ffn_forward(c, w, rl->B * rl->T, x, out, a);
}

/* Floats of scratch sqlpilot_block_backward needs: SqlpilotBlockGrads' buffers. */
size_t
sqlpilot_block_scratch_floats(const SqlpilotConfig *c, const SqlpilotRowLayout *rl)
{
	size_t		N = (size_t) rl->B * rl->T;
	size_t		C = c->dim;
	size_t		HS = C / c->n_heads;
	size_t		QD = c->n_heads * HS;
	size_t		KVD = c->n_kv_heads * HS;
	size_t		kv = (size_t) rl->B * rl->kv_stride * KVD;

	return N * C + 2 * N * QD + 2 * kv + 3 * N * c->hidden_dim;
}

/* Carves g's buffers from scratch in the order of sqlpilot_block_scratch_floats. */
void
sqlpilot_block_grads_map(SqlpilotBlockGrads *g, const SqlpilotConfig *c,
						 const SqlpilotRowLayout *rl, float *scratch)
{
	size_t		N = (size_t) rl->B * rl->T;
	size_t		C = c->dim;
	size_t		HS = C / c->n_heads;
	size_t		QD = c->n_heads * HS;
	size_t		KVD = c->n_kv_heads * HS;
	size_t		kv = (size_t) rl->B * rl->kv_stride * KVD;
	size_t		H = c->hidden_dim;

	g->dln = scratch;
	g->datty = g->dln + N * C;
	g->dq = g->datty + N * QD;
	g->dk = g->dq + N * QD;
	g->dv = g->dk + kv;
	g->dact = g->dv + kv;
	g->dgate = g->dact + N * H;
	g->dup = g->dgate + N * H;
}

/* Backward of sqlpilot_block_forward: its phases in reverse. */
void
sqlpilot_block_backward(const SqlpilotConfig *c, const SqlpilotLayerWeights *w,
						SqlpilotLayerWeights *dw, const SqlpilotRowLayout *rl,
						const float *x, const float *kbuf, const float *vbuf,
						const SqlpilotBlockActs *a, const float *dout,
						float *dx, float *scratch)
{
	int			N = rl->B * rl->T;
	int			NH = c->n_heads;
	int			NKV = c->n_kv_heads;
	int			HS = c->dim / NH;
	size_t		kvn = (size_t) rl->B * rl->kv_stride * NKV * HS;
	SqlpilotBlockGrads g;

	sqlpilot_block_grads_map(&g, c, rl, scratch);
	sqlpilot_block_ffn_backward(c, w, dw, N, a, dout, dx, &g);
	memset(g.dq, 0, sizeof(float) * N * NH * HS);
	memset(g.dk, 0, sizeof(float) * kvn);
	memset(g.dv, 0, sizeof(float) * kvn);
	sqlpilot_attention_backward(g.dq, g.dk, g.dv, g.datty, a->atty, a->att, a->q, kbuf, vbuf,
								rl, NH, NKV, HS);
	sqlpilot_block_qkv_backward(c, w, dw, rl, x, a, &g, dx);
}

/* p[j] = exp(p[j] - mx) for j in [0, n); returns their sum (the lockstep decode of infer.c). */
float
sqlpilot_exp_shift_sum(float *p, int n, float mx)
{
	return exp_shift_sum(p, n, mx);
}
