/*
 * reference.c — the model in one screen of plain C (see reference.h): the
 * readable description of the forward pass and the numerical reference the
 * fast paths are tested against.  Written apart from core/layers.c, one
 * token at a time as llama2.c's run.c does it; speed is not its purpose.
 */
#include "reference.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Allocates the buffers and the (n_layers, seq_len, kv_dim) caches. */
int
sqlpilot_reference_init(SqlpilotReferenceRun *r, const SqlpilotConfig *c,
						const SqlpilotWeights *w)
{
	size_t		kv_dim = (size_t) c->n_kv_heads * (c->dim / c->n_heads);
	size_t		big = c->dim > c->hidden_dim ? c->dim : c->hidden_dim;
	size_t		cache = (size_t) c->n_layers * c->seq_len * kv_dim;

	r->c = c;
	r->w = w;
	r->x = calloc(c->dim, sizeof(float));
	r->xb = calloc(big, sizeof(float));
	r->q = calloc(c->dim, sizeof(float));
	r->att = calloc(c->seq_len, sizeof(float));
	r->h1 = calloc(c->hidden_dim, sizeof(float));
	r->h3 = calloc(c->hidden_dim, sizeof(float));
	r->kc = calloc(cache, sizeof(float));
	r->vc = calloc(cache, sizeof(float));
	r->logits = calloc(c->vocab_size, sizeof(float));
	if (!r->x || !r->xb || !r->q || !r->att || !r->h1 || !r->h3 || !r->kc || !r->vc ||
		!r->logits)
	{
		sqlpilot_reference_free(r);
		return -1;
	}
	return 0;
}

/* Frees the buffers (safe on a partly set up run). */
void
sqlpilot_reference_free(SqlpilotReferenceRun *r)
{
	free(r->x);
	free(r->xb);
	free(r->q);
	free(r->att);
	free(r->h1);
	free(r->h3);
	free(r->kc);
	free(r->vc);
	free(r->logits);
	memset(r, 0, sizeof(*r));
}

/* o = x / rms(x) * w over n values. */
static void
rmsnorm(float *o, const float *x, const float *w, int n, float eps)
{
	float		ss = 0.0f;

	for (int i = 0; i < n; i++)
		ss += x[i] * x[i];
	ss = 1.0f / sqrtf(ss / n + eps);
	for (int i = 0; i < n; i++)
		o[i] = x[i] * ss * w[i];
}

/* o (d) = W (d, n) @ x (n). */
static void
matvec(float *o, const float *x, const float *W, int n, int d)
{
	for (int i = 0; i < d; i++)
	{
		float		s = 0.0f;

		for (int j = 0; j < n; j++)
			s += W[(size_t) i * n + j] * x[j];
		o[i] = s;
	}
}

/* Rotates the interleaved pairs of each head of v (nheads heads of HS) by pos (RoPE). */
static void
rope(float *v, int nheads, int HS, int pos, float theta)
{
	for (int h = 0; h < nheads; h++)
	{
		for (int i = 0; i < HS; i += 2)
		{
			float		freq = 1.0f / powf(theta, (float) i / (float) HS);
			float		a = pos * freq;
			float		c = cosf(a),
						s = sinf(a);
			float		x0 = v[h * HS + i],
						x1 = v[h * HS + i + 1];

			v[h * HS + i] = x0 * c - x1 * s;
			v[h * HS + i + 1] = x0 * s + x1 * c;
		}
	}
}

/*
 * One token through every layer: attention (RMSNorm, q/k/v, RoPE, causal
 * softmax over the cache, grouped k/v heads, output projection, residual),
 * then the SwiGLU MLP (RMSNorm, w1/w3, silu gate, w2, residual); finally
 * RMSNorm and the output head.
 */
void
sqlpilot_reference_forward(SqlpilotReferenceRun *r, int token, int pos)
{
	const SqlpilotConfig *c = r->c;
	const SqlpilotWeights *w = r->w;
	int			C = c->dim,
				H = c->hidden_dim,
				NH = c->n_heads,
				NKV = c->n_kv_heads;
	int			HS = C / NH,
				KVD = NKV * HS;

	memcpy(r->x, w->token_embedding + (size_t) token * C, C * sizeof(float));
	for (int l = 0; l < c->n_layers; l++)
	{
		size_t		lc = (size_t) l * c->seq_len * KVD;
		float	   *kc = r->kc + lc,
				   *vc = r->vc + lc;

		rmsnorm(r->xb, r->x, w->rms_att + (size_t) l * C, C, c->norm_eps);
		matvec(r->q, r->xb, w->wq + (size_t) l * C * C, C, C);
		matvec(kc + (size_t) pos * KVD, r->xb, w->wk + (size_t) l * KVD * C, C, KVD);
		matvec(vc + (size_t) pos * KVD, r->xb, w->wv + (size_t) l * KVD * C, C, KVD);
		rope(r->q, NH, HS, pos, c->rope_theta);
		rope(kc + (size_t) pos * KVD, NKV, HS, pos, c->rope_theta);
		for (int h = 0; h < NH; h++)
		{
			int			kh = h / (NH / NKV);
			float		mx = -INFINITY,
						sum = 0.0f;
			float	   *o = r->xb + h * HS;

			for (int t = 0; t <= pos; t++)
			{
				float		s = 0.0f;

				for (int i = 0; i < HS; i++)
					s += r->q[h * HS + i] * kc[(size_t) t * KVD + kh * HS + i];
				r->att[t] = s / sqrtf((float) HS);
				if (r->att[t] > mx)
					mx = r->att[t];
			}
			for (int t = 0; t <= pos; t++)
			{
				r->att[t] = expf(r->att[t] - mx);
				sum += r->att[t];
			}
			for (int i = 0; i < HS; i++)
				o[i] = 0.0f;
			for (int t = 0; t <= pos; t++)
				for (int i = 0; i < HS; i++)
					o[i] += r->att[t] / sum * vc[(size_t) t * KVD + kh * HS + i];
		}
		matvec(r->q, r->xb, w->wo + (size_t) l * C * C, C, C);
		for (int i = 0; i < C; i++)
			r->x[i] += r->q[i];
		rmsnorm(r->xb, r->x, w->rms_ffn + (size_t) l * C, C, c->norm_eps);
		matvec(r->h1, r->xb, w->w1 + (size_t) l * H * C, C, H);
		matvec(r->h3, r->xb, w->w3 + (size_t) l * H * C, C, H);
		for (int i = 0; i < H; i++)
			r->h1[i] = r->h1[i] / (1.0f + expf(-r->h1[i])) * r->h3[i];
		matvec(r->xb, r->h1, w->w2 + (size_t) l * C * H, H, C);
		for (int i = 0; i < C; i++)
			r->x[i] += r->xb[i];
	}
	rmsnorm(r->xb, r->x, w->rms_final, C, c->norm_eps);
	matvec(r->logits, r->xb, w->wcls, C, c->vocab_size);
}
