/*
 * layers.c — the LLaMA layer kernels, each forward next to its backward.
 *
 * Shapes follow layers.h: N rows, C = dim, H = hidden_dim, NH heads of HS,
 * NKV k/v heads, QD = NH*HS, KVD = NKV*HS.  Matrix products go through the
 * single-threaded OpenBLAS (sgemm over all rows at once, sgemv for one row).
 *
 * Attention is blocked: the query rows of one head are taken ATT_BLOCK at a
 * time, and each block's scores are computed only against the k/v rows that
 * block can see ([min kstart of the block, last row of the block]), so causal
 * masking and packed examples (kstart) skip most of the masked work.  Inside
 * the computed rectangle masked probabilities are written as zeros, which
 * lets the probability-times-v product and the backward run as plain sgemm.
 */
#include "layers.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Query rows per attention block. */
#define ATT_BLOCK 64

/* out (N,OC) = inp (N,C) @ weight (OC,C)^T. */
void
sqlpilot_matmul_forward(float *out, const float *inp, const float *weight,
						int N, int C, int OC)
{
	if (N == 1)
		cblas_sgemv(CblasRowMajor, CblasNoTrans, OC, C, 1.0f, weight, C,
					inp, 1, 0.0f, out, 1);
	else
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, N, OC, C,
					1.0f, inp, C, weight, C, 0.0f, out, OC);
}

/* dinp += dout @ weight; dweight += dout^T @ inp. */
void
sqlpilot_matmul_backward(float *dinp, float *dweight, const float *dout,
						 const float *inp, const float *weight,
						 int N, int C, int OC)
{
	if (dinp)
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, N, C, OC,
					1.0f, dout, OC, weight, C, 1.0f, dinp, C);
	if (dweight)
		cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, OC, C, N,
					1.0f, dout, OC, inp, C, 1.0f, dweight, C);
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
		float		ss = 0.0f;
		float		r;

		for (int i = 0; i < C; i++)
			ss += x[i] * x[i];
		r = 1.0f / sqrtf(ss / C + eps);
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
		float		dot = 0.0f;
		float		k;

		for (int i = 0; i < C; i++)
			dot += d[i] * weight[i] * x[i];
		k = dot * r * r * r / C;
		for (int i = 0; i < C; i++)
		{
			dx[i] += r * d[i] * weight[i] - k * x[i];
			dweight[i] += d[i] * x[i] * r;
		}
	}
}

/* Rotates each interleaved pair of every head by angle sign * pos * theta^(-2i/HS). */
static void
rope_rotate(float *x, const int *pos, int N, int nheads, int HS, float theta,
			float sign)
{
	for (int n = 0; n < N; n++)
	{
		float	   *row = x + (size_t) n * nheads * HS;

		for (int i = 0; i < HS / 2; i++)
		{
			float		freq = 1.0f / powf(theta, (float) (2 * i) / (float) HS);
			float		a = (float) pos[n] * freq;
			float		cs = cosf(a);
			float		sn = sign * sinf(a);

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

/* out = silu(gate) * up. */
void
sqlpilot_swiglu_forward(float *out, const float *gate, const float *up, size_t n)
{
	for (size_t i = 0; i < n; i++)
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
	for (size_t i = 0; i < n; i++)
	{
		float		g = gate[i];
		float		s = 1.0f / (1.0f + expf(-g));
		float		d = dout[i];

		dgate[i] = d * up[i] * s * (1.0f + g * (1.0f - s));
		dup[i] = d * g * s;
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
	float		mx = -INFINITY;
	float		sum = 0.0f;
	float		inv;

	for (int j = lo; j < ks; j++)
		p[j] = 0.0f;
	for (int j = last + 1; j < hi; j++)
		p[j] = 0.0f;
	for (int j = ks; j <= last; j++)
		if (p[j] > mx)
			mx = p[j];
	for (int j = ks; j <= last; j++)
	{
		p[j] = expf(p[j] - mx);
		sum += p[j];
	}
	inv = 1.0f / sum;
	for (int j = ks; j <= last; j++)
		p[j] *= inv;
}

/* Attention of a single query row (decode): plain loops, no BLAS call overhead. */
static void
att_forward_row(float *o, float *p, const float *qr, const float *kb,
				const float *vb, int ks, int last, int KVD, int HS, float scale)
{
	float		mx = -INFINITY;
	float		sum = 0.0f;
	float		inv;

	for (int j = ks; j <= last; j++)
	{
		const float *kr = kb + (size_t) j * KVD;
		float		s = 0.0f;

		for (int i = 0; i < HS; i++)
			s += qr[i] * kr[i];
		s *= scale;
		p[j] = s;
		if (s > mx)
			mx = s;
	}
	for (int j = ks; j <= last; j++)
	{
		p[j] = expf(p[j] - mx);
		sum += p[j];
	}
	inv = 1.0f / sum;
	for (int i = 0; i < HS; i++)
		o[i] = 0.0f;
	for (int j = ks; j <= last; j++)
	{
		const float *vr = vb + (size_t) j * KVD;
		float		w = p[j] * inv;

		p[j] = w;
		for (int i = 0; i < HS; i++)
			o[i] += w * vr[i];
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
				cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, nt, hi - lo, HS,
							scale, qb + (size_t) t0 * QD, QD, kb + (size_t) lo * KVD, KVD,
							0.0f, ap + lo, S);
				for (int r = 0; r < nt; r++)
					att_softmax_row(ap + (size_t) r * S, lo, hi,
									att_kstart(rl, b, t0 + r), rl->kv_offset + t0 + r);
				cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, nt, HS, hi - lo,
							1.0f, ap + lo, S, vb + (size_t) lo * KVD, KVD,
							0.0f, ob + (size_t) t0 * QD, QD);
			}
		}
	}
}

/*
 * Per block: dP = dout @ v^T, dS = P * (dP - rowsum(P * dP)), then
 * dq += scale dS @ k, dk += scale dS^T @ q, dv += P^T @ dout.
 */
void
sqlpilot_attention_backward(float *dq, float *dk, float *dv,
							const float *dout, const float *att,
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
	float	   *ds = malloc(sizeof(float) * (size_t) bt * S);

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
				cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, nt, nk, HS,
							1.0f, dob, QD, v + kvoff + (size_t) lo * KVD, KVD,
							0.0f, ds, nk);
				for (int r = 0; r < nt; r++)
				{
					const float *p = ap + (size_t) r * S + lo;
					float	   *d = ds + (size_t) r * nk;
					float		dot = 0.0f;

					for (int j = 0; j < nk; j++)
						dot += p[j] * d[j];
					for (int j = 0; j < nk; j++)
						d[j] = p[j] * (d[j] - dot);
				}
				cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, nt, HS, nk,
							scale, ds, nk, k + kvoff + (size_t) lo * KVD, KVD,
							1.0f, dq + qoff + (size_t) t0 * QD, QD);
				cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, nk, HS, nt,
							scale, ds, nk, q + qoff + (size_t) t0 * QD, QD,
							1.0f, dk + kvoff + (size_t) lo * KVD, KVD);
				cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, nk, HS, nt,
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
	sqlpilot_matmul_forward(a->q, a->ln1, w->wq, N, C, QD);
	sqlpilot_rope_forward(a->q, rl->pos, N, NH, HS, c->rope_theta);
	for (int b = 0; b < rl->B; b++)
	{
		size_t		row = (size_t) b * rl->kv_stride + rl->kv_offset;
		int			nb = kv_contiguous(rl) ? N : rl->T;
		const float *lnb = a->ln1 + (size_t) b * rl->T * C;

		sqlpilot_matmul_forward(kbuf + row * KVD, lnb, w->wk, nb, C, KVD);
		sqlpilot_matmul_forward(vbuf + row * KVD, lnb, w->wv, nb, C, KVD);
		sqlpilot_rope_forward(kbuf + row * KVD, rl->pos + (size_t) b * rl->T, nb,
							  NKV, HS, c->rope_theta);
		if (kv_contiguous(rl))
			break;
	}
	sqlpilot_attention_forward(a->atty, a->att, a->q, kbuf, vbuf, rl, NH, NKV, HS);
	sqlpilot_matmul_forward(a->res1, a->atty, w->wo, N, QD, C);
	for (size_t i = 0; i < (size_t) N * C; i++)
		a->res1[i] += x[i];

	sqlpilot_rmsnorm_forward(a->ln2, a->ln2_rstd, a->res1, w->rms_ffn, N, C, c->norm_eps);
	sqlpilot_matmul_forward(a->gate, a->ln2, w->w1, N, C, H);
	sqlpilot_matmul_forward(a->up, a->ln2, w->w3, N, C, H);
	sqlpilot_swiglu_forward(a->act, a->gate, a->up, (size_t) N * H);
	sqlpilot_matmul_forward(out, a->act, w->w2, N, H, C);
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
	sqlpilot_attention_backward(dq, dk, dv, datty, a->att, a->q, kbuf, vbuf, rl,
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
