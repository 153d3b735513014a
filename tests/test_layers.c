/*
 * test_layers.c — every kernel of core/layers.c against a naive double
 * precision reference written here: forwards must agree with it, and each
 * backward must agree with central finite differences of it (loss = sum of
 * out * R for a fixed random R, so dout = R).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "layers.h"
#include "util.h"
#include "../tests/tap.h"

static uint64_t rng = 42;

/* Fills n floats with uniform values in [-s, s]. */
static void
fill(float *x, size_t n, float s)
{
	for (size_t i = 0; i < n; i++)
		x[i] = (2.0f * sqlpilot_rng_float(&rng) - 1.0f) * s;
}

/* Max |a - b| over max(|b|, floor): a scale-free error. */
static double
relerr(const float *a, const double *b, size_t n)
{
	double		d = 0.0;
	double		m = 1e-3;

	for (size_t i = 0; i < n; i++)
	{
		if (fabs(a[i] - b[i]) > d)
			d = fabs(a[i] - b[i]);
		if (fabs(b[i]) > m)
			m = fabs(b[i]);
	}
	return d / m;
}

/* ---- the double precision reference ---- */

/* A tiny config for the block tests. */
typedef struct RefCase
{
	SqlpilotConfig c;
	SqlpilotRowLayout rl;
} RefCase;

static void
ref_matmul(double *out, const double *inp, const double *w, int N, int C, int OC)
{
	for (int n = 0; n < N; n++)
		for (int o = 0; o < OC; o++)
		{
			double		s = 0.0;

			for (int i = 0; i < C; i++)
				s += inp[n * C + i] * w[o * C + i];
			out[n * OC + o] = s;
		}
}

static void
ref_rmsnorm(double *out, const double *x, const double *w, int N, int C, double eps)
{
	for (int n = 0; n < N; n++)
	{
		double		ss = 0.0;

		for (int i = 0; i < C; i++)
			ss += x[n * C + i] * x[n * C + i];
		ss = 1.0 / sqrt(ss / C + eps);
		for (int i = 0; i < C; i++)
			out[n * C + i] = x[n * C + i] * ss * w[i];
	}
}

static void
ref_rope(double *x, const int *pos, int N, int nh, int HS, double theta)
{
	for (int n = 0; n < N; n++)
		for (int h = 0; h < nh; h++)
			for (int i = 0; i < HS / 2; i++)
			{
				double		a = pos[n] * pow(theta, -2.0 * i / HS);
				double	   *p = x + (n * nh + h) * HS + 2 * i;
				double		x0 = p[0];
				double		x1 = p[1];

				p[0] = x0 * cos(a) - x1 * sin(a);
				p[1] = x0 * sin(a) + x1 * cos(a);
			}
}

static void
ref_swiglu(double *out, const double *g, const double *u, size_t n)
{
	for (size_t i = 0; i < n; i++)
		out[i] = g[i] / (1.0 + exp(-g[i])) * u[i];
}

static void
ref_attention(double *out, const double *q, const double *k, const double *v,
			  const SqlpilotRowLayout *rl, int NH, int NKV, int HS)
{
	int			T = rl->T;
	double	   *p = malloc(sizeof(double) * rl->kv_stride);

	for (int b = 0; b < rl->B; b++)
		for (int t = 0; t < T; t++)
			for (int h = 0; h < NH; h++)
			{
				int			kh = h / (NH / NKV);
				int			ks = rl->kstart ? rl->kstart[b * T + t] : 0;
				int			last = rl->kv_offset + t;
				const double *qr = q + ((size_t) (b * T + t) * NH + h) * HS;
				double	   *o = out + ((size_t) (b * T + t) * NH + h) * HS;
				double		mx = -1e300;
				double		sum = 0.0;

				for (int j = ks; j <= last; j++)
				{
					const double *kr = k + ((size_t) (b * rl->kv_stride + j) * NKV + kh) * HS;

					p[j] = 0.0;
					for (int i = 0; i < HS; i++)
						p[j] += qr[i] * kr[i];
					p[j] /= sqrt((double) HS);
					if (p[j] > mx)
						mx = p[j];
				}
				for (int j = ks; j <= last; j++)
				{
					p[j] = exp(p[j] - mx);
					sum += p[j];
				}
				for (int i = 0; i < HS; i++)
					o[i] = 0.0;
				for (int j = ks; j <= last; j++)
				{
					const double *vr = v + ((size_t) (b * rl->kv_stride + j) * NKV + kh) * HS;

					for (int i = 0; i < HS; i++)
						o[i] += p[j] / sum * vr[i];
				}
			}
	free(p);
}

/* Parameters of one block in double: rms_att, wq, wk, wv, wo, rms_ffn, w1, w2, w3. */
typedef struct RefBlock
{
	double	   *p[9];
	size_t		n[9];
} RefBlock;

/* Sizes of the nine tensors of a block. */
static void
block_sizes(const SqlpilotConfig *c, size_t *n)
{
	int			C = c->dim;
	int			HS = C / c->n_heads;
	int			KVD = c->n_kv_heads * HS;

	n[0] = C;
	n[1] = (size_t) C * C;
	n[2] = (size_t) KVD * C;
	n[3] = (size_t) KVD * C;
	n[4] = (size_t) C * C;
	n[5] = C;
	n[6] = (size_t) c->hidden_dim * C;
	n[7] = (size_t) C * c->hidden_dim;
	n[8] = (size_t) c->hidden_dim * C;
}

/* The block in double; k/v buffers are (B, kv_stride, KVD) and hold any cached rows. */
static void
ref_block(const SqlpilotConfig *c, double *const *p, const SqlpilotRowLayout *rl,
		  const double *x, double *out, double *kb, double *vb)
{
	int			N = rl->B * rl->T;
	int			C = c->dim;
	int			H = c->hidden_dim;
	int			HS = C / c->n_heads;
	int			KVD = c->n_kv_heads * HS;
	double	   *ln = malloc(sizeof(double) * N * C);
	double	   *q = malloc(sizeof(double) * N * C);
	double	   *kn = malloc(sizeof(double) * N * KVD);
	double	   *vn = malloc(sizeof(double) * N * KVD);
	double	   *y = malloc(sizeof(double) * N * C);
	double	   *r1 = malloc(sizeof(double) * N * C);
	double	   *g = malloc(sizeof(double) * N * H);
	double	   *u = malloc(sizeof(double) * N * H);

	ref_rmsnorm(ln, x, p[0], N, C, c->norm_eps);
	ref_matmul(q, ln, p[1], N, C, C);
	ref_matmul(kn, ln, p[2], N, C, KVD);
	ref_matmul(vn, ln, p[3], N, C, KVD);
	ref_rope(q, rl->pos, N, c->n_heads, HS, c->rope_theta);
	ref_rope(kn, rl->pos, N, c->n_kv_heads, HS, c->rope_theta);
	for (int b = 0; b < rl->B; b++)
		for (int t = 0; t < rl->T; t++)
		{
			size_t		row = (size_t) b * rl->kv_stride + rl->kv_offset + t;

			memcpy(kb + row * KVD, kn + (size_t) (b * rl->T + t) * KVD, sizeof(double) * KVD);
			memcpy(vb + row * KVD, vn + (size_t) (b * rl->T + t) * KVD, sizeof(double) * KVD);
		}
	ref_attention(y, q, kb, vb, rl, c->n_heads, c->n_kv_heads, HS);
	ref_matmul(r1, y, p[4], N, C, C);
	for (int i = 0; i < N * C; i++)
		r1[i] += x[i];
	ref_rmsnorm(ln, r1, p[5], N, C, c->norm_eps);
	ref_matmul(g, ln, p[6], N, C, H);
	ref_matmul(u, ln, p[8], N, C, H);
	ref_swiglu(g, g, u, (size_t) N * H);
	ref_matmul(out, g, p[7], N, H, C);
	for (int i = 0; i < N * C; i++)
		out[i] += r1[i];
	free(ln);
	free(q);
	free(kn);
	free(vn);
	free(y);
	free(r1);
	free(g);
	free(u);
}

/* ---- finite differences ---- */

/* What a finite-difference probe evaluates: sum(f(args) * R). */
typedef double (*LossFn) (void *ctx);

/* d loss / d x[i] for every i by central differences (h = 1e-5). */
static void
fd_grad(double *g, double *x, size_t n, LossFn f, void *ctx)
{
	for (size_t i = 0; i < n; i++)
	{
		double		x0 = x[i];
		double		lp;
		double		lm;

		x[i] = x0 + 1e-5;
		lp = f(ctx);
		x[i] = x0 - 1e-5;
		lm = f(ctx);
		x[i] = x0;
		g[i] = (lp - lm) / 2e-5;
	}
}

static double *
to_double(const float *x, size_t n)
{
	double	   *d = malloc(sizeof(double) * n);

	for (size_t i = 0; i < n; i++)
		d[i] = x[i];
	return d;
}

static double
dot_r(const double *a, const double *r, size_t n)
{
	double		s = 0.0;

	for (size_t i = 0; i < n; i++)
		s += a[i] * r[i];
	return s;
}

/* ---- matmul ---- */

typedef struct MatCtx
{
	double	   *inp,
			   *w,
			   *out,
			   *r;
	int			N,
				C,
				OC;
} MatCtx;

static double
mat_loss(void *p)
{
	MatCtx	   *m = p;

	ref_matmul(m->out, m->inp, m->w, m->N, m->C, m->OC);
	return dot_r(m->out, m->r, (size_t) m->N * m->OC);
}

static void
test_matmul(int N)
{
	int			C = 7;
	int			OC = 5;
	float	   *inp = malloc(sizeof(float) * N * C);
	float	   *w = malloc(sizeof(float) * OC * C);
	float	   *out = malloc(sizeof(float) * N * OC);
	float	   *r = malloc(sizeof(float) * N * OC);
	float	   *dinp = calloc(N * C, sizeof(float));
	float	   *dw = calloc(OC * C, sizeof(float));
	MatCtx		m;
	double	   *gi = malloc(sizeof(double) * N * C);
	double	   *gw = malloc(sizeof(double) * OC * C);

	fill(inp, N * C, 1);
	fill(w, OC * C, 1);
	fill(r, N * OC, 1);
	sqlpilot_matmul_forward(out, inp, w, N, C, OC);
	m = (MatCtx)
	{
		to_double(inp, N * C), to_double(w, OC * C), malloc(sizeof(double) * N * OC),
			to_double(r, N * OC), N, C, OC
	};
	mat_loss(&m);
	tap_ok(relerr(out, m.out, N * OC) < 1e-5, "matmul forward N=%d matches reference", N);
	sqlpilot_matmul_backward(dinp, dw, r, inp, w, N, C, OC);
	/* a second call must accumulate: halve by comparing with twice the gradient */
	sqlpilot_matmul_backward(dinp, dw, r, inp, w, N, C, OC);
	fd_grad(gi, m.inp, N * C, mat_loss, &m);
	fd_grad(gw, m.w, OC * C, mat_loss, &m);
	for (int i = 0; i < N * C; i++)
		gi[i] *= 2;
	for (int i = 0; i < OC * C; i++)
		gw[i] *= 2;
	tap_ok(relerr(dinp, gi, N * C) < 1e-4 && relerr(dw, gw, OC * C) < 1e-4,
		   "matmul backward N=%d accumulates finite-difference gradients", N);
	free(inp), free(w), free(out), free(r), free(dinp), free(dw), free(gi), free(gw);
	free(m.inp), free(m.w), free(m.out), free(m.r);
}

/* ---- rmsnorm ---- */

typedef struct NormCtx
{
	double	   *x,
			   *w,
			   *out,
			   *r;
	int			N,
				C;
} NormCtx;

static double
norm_loss(void *p)
{
	NormCtx    *m = p;

	ref_rmsnorm(m->out, m->x, m->w, m->N, m->C, 1e-5);
	return dot_r(m->out, m->r, (size_t) m->N * m->C);
}

static void
test_rmsnorm(void)
{
	int			N = 3;
	int			C = 10;
	float		x[30],
				w[10],
				out[30],
				r[30],
				rstd[3],
				dx[30] = {0},
				dw[10] = {0};
	double		gx[30],
				gw[10],
				dout_[30];
	NormCtx		m;

	fill(x, 30, 2);
	fill(w, 10, 1);
	fill(r, 30, 1);
	sqlpilot_rmsnorm_forward(out, rstd, x, w, N, C, 1e-5f);
	m = (NormCtx)
	{
		to_double(x, 30), to_double(w, 10), dout_, to_double(r, 30), N, C
	};
	norm_loss(&m);
	tap_ok(relerr(out, m.out, 30) < 1e-5, "rmsnorm forward matches reference");
	sqlpilot_rmsnorm_backward(dx, dw, r, x, w, rstd, N, C);
	fd_grad(gx, m.x, 30, norm_loss, &m);
	fd_grad(gw, m.w, 10, norm_loss, &m);
	tap_ok(relerr(dx, gx, 30) < 1e-4 && relerr(dw, gw, 10) < 1e-4,
		   "rmsnorm backward matches finite differences");
	free(m.x), free(m.w), free(m.r);
}

/* ---- rope ---- */

typedef struct RopeCtx
{
	double	   *x,
			   *tmp,
			   *r;
	const int  *pos;
	int			N,
				nh,
				HS;
} RopeCtx;

static double
rope_loss(void *p)
{
	RopeCtx    *m = p;
	size_t		n = (size_t) m->N * m->nh * m->HS;

	memcpy(m->tmp, m->x, sizeof(double) * n);
	ref_rope(m->tmp, m->pos, m->N, m->nh, m->HS, 10000.0);
	return dot_r(m->tmp, m->r, n);
}

static void
test_rope(void)
{
	int			N = 4,
				nh = 3,
				HS = 8;
	int			pos[4] = {0, 1, 7, 300};
	float		x[96],
				r[96],
				dx[96];
	double		g[96],
				tmp[96];
	RopeCtx		m;

	fill(x, 96, 1);
	fill(r, 96, 1);
	m = (RopeCtx)
	{
		to_double(x, 96), tmp, to_double(r, 96), pos, N, nh, HS
	};
	rope_loss(&m);
	sqlpilot_rope_forward(x, pos, N, nh, HS, 10000.0f);
	tap_ok(relerr(x, tmp, 96) < 1e-4, "rope forward matches reference (interleaved pairs)");
	tap_ok(fabs(x[0] - m.x[0]) < 1e-6 && fabs(x[1] - m.x[1]) < 1e-6,
		   "rope leaves position 0 unchanged");
	memcpy(dx, r, sizeof(dx));
	sqlpilot_rope_backward(dx, pos, N, nh, HS, 10000.0f);
	fd_grad(g, m.x, 96, rope_loss, &m);
	tap_ok(relerr(dx, g, 96) < 1e-4, "rope backward matches finite differences");
	free(m.x), free(m.r);
}

/*
 * rope's cos/sin table is kept between calls: calls with other head sizes,
 * other thetas, positions past the table (grown) and past its cap (computed
 * directly) must all still match the reference.
 */
static void
test_rope_table(void)
{
	struct
	{
		int			HS;
		float		theta;
		int			pos[4];
	}			cases[] = {
		{8, 10000.0f, {0, 1, 7, 300}},
		{16, 10000.0f, {5, 2, 9, 3}},
		{16, 10000.0f, {40, 1000, 2, 5000}},
		{16, 500000.0f, {40, 1000, 2, 5000}},
		{8, 10000.0f, {70000, 3, 65535, 65536}},
		{8, 10000.0f, {12, 3, 299, 301}},
	};
	int			N = 4,
				nh = 2;

	for (int c = 0; c < (int) (sizeof(cases) / sizeof(cases[0])); c++)
	{
		int			HS = cases[c].HS;
		int			n = N * nh * HS;
		float		x[128],
					y[128];
		double	   *ref;
		double		err = 0;

		fill(x, n, 3 + c);
		memcpy(y, x, sizeof(float) * n);
		ref = to_double(x, n);
		ref_rope(ref, cases[c].pos, N, nh, HS, cases[c].theta);
		sqlpilot_rope_forward(y, cases[c].pos, N, nh, HS, cases[c].theta);
		for (int i = 0; i < n; i++)
			err = fmax(err, fabs(y[i] - ref[i]));
		tap_ok(err < 1e-3, "rope table case %d (HS %d, theta %g, max pos %d): max error %.2g",
			   c, HS, (double) cases[c].theta, cases[c].pos[3], err);
		sqlpilot_rope_backward(y, cases[c].pos, N, nh, HS, cases[c].theta);
		err = 0;
		for (int i = 0; i < n; i++)
			err = fmax(err, fabs(y[i] - x[i]));
		tap_ok(err < 1e-4, "rope table case %d: backward undoes forward (max error %.2g)", c, err);
		free(ref);
	}
}

/* ---- swiglu ---- */

typedef struct SwiCtx
{
	double	   *g,
			   *u,
			   *out,
			   *r;
	size_t		n;
} SwiCtx;

static double
swi_loss(void *p)
{
	SwiCtx	   *m = p;

	ref_swiglu(m->out, m->g, m->u, m->n);
	return dot_r(m->out, m->r, m->n);
}

static void
test_swiglu(void)
{
	float		g[20],
				u[20],
				out[20],
				r[20],
				dg[20],
				du[20];
	double		gg[20],
				gu[20],
				o[20];
	SwiCtx		m;

	fill(g, 20, 4);
	fill(u, 20, 2);
	fill(r, 20, 1);
	sqlpilot_swiglu_forward(out, g, u, 20);
	m = (SwiCtx)
	{
		to_double(g, 20), to_double(u, 20), o, to_double(r, 20), 20
	};
	swi_loss(&m);
	tap_ok(relerr(out, o, 20) < 1e-5, "swiglu forward matches reference");
	sqlpilot_swiglu_backward(dg, du, r, g, u, 20);
	fd_grad(gg, m.g, 20, swi_loss, &m);
	fd_grad(gu, m.u, 20, swi_loss, &m);
	tap_ok(relerr(dg, gg, 20) < 1e-4 && relerr(du, gu, 20) < 1e-4,
		   "swiglu backward matches finite differences");
	free(m.g), free(m.u), free(m.r);
}

/* ---- attention ---- */

typedef struct AttCtx
{
	double	   *q,
			   *k,
			   *v,
			   *out,
			   *r;
	const SqlpilotRowLayout *rl;
	int			NH,
				NKV,
				HS;
} AttCtx;

static double
att_loss(void *p)
{
	AttCtx	   *m = p;
	size_t		n = (size_t) m->rl->B * m->rl->T * m->NH * m->HS;

	ref_attention(m->out, m->q, m->k, m->v, m->rl, m->NH, m->NKV, m->HS);
	return dot_r(m->out, m->r, n);
}

/*
 * Attention with B sequences of T rows, packed examples starting every
 * `every` rows (0: one example), kv_offset cached rows.
 */
static void
test_attention(int B, int T, int kv_offset, int every, int NH, int NKV, int HS)
{
	int			S = kv_offset + T + 3;
	size_t		nq = (size_t) B * T * NH * HS;
	size_t		nkv = (size_t) B * S * NKV * HS;
	float	   *q = malloc(sizeof(float) * nq);
	float	   *k = malloc(sizeof(float) * nkv);
	float	   *v = malloc(sizeof(float) * nkv);
	float	   *out = malloc(sizeof(float) * nq);
	float	   *r = malloc(sizeof(float) * nq);
	float	   *att = malloc(sizeof(float) * B * NH * T * S);
	float	   *dq = calloc(nq, sizeof(float));
	float	   *dk = calloc(nkv, sizeof(float));
	float	   *dv = calloc(nkv, sizeof(float));
	double	   *gq = malloc(sizeof(double) * nq);
	double	   *gk = malloc(sizeof(double) * nkv);
	double	   *gv = malloc(sizeof(double) * nkv);
	int		   *pos = malloc(sizeof(int) * B * T);
	int		   *ks = malloc(sizeof(int) * B * T);
	SqlpilotRowLayout rl = {B, T, kv_offset, S, pos, every ? ks : NULL};
	AttCtx		m;
	int			touched_outside = 0;

	for (int b = 0; b < B; b++)
		for (int t = 0; t < T; t++)
		{
			pos[b * T + t] = kv_offset + t;
			ks[b * T + t] = every ? (t / every) * every : 0;
		}
	fill(q, nq, 2);
	fill(k, nkv, 2);
	fill(v, nkv, 1);
	fill(r, nq, 1);
	sqlpilot_attention_forward(out, att, q, k, v, &rl, NH, NKV, HS);
	m = (AttCtx)
	{
		to_double(q, nq), to_double(k, nkv), to_double(v, nkv),
			malloc(sizeof(double) * nq), to_double(r, nq), &rl, NH, NKV, HS
	};
	att_loss(&m);
	tap_ok(relerr(out, m.out, nq) < 1e-5,
		   "attention forward B=%d T=%d offset=%d packed=%d NH=%d NKV=%d matches reference",
		   B, T, kv_offset, every, NH, NKV);
	sqlpilot_attention_backward(dq, dk, dv, r, out, att, q, k, v, &rl, NH, NKV, HS);
	fd_grad(gq, m.q, nq, att_loss, &m);
	fd_grad(gk, m.k, nkv, att_loss, &m);
	fd_grad(gv, m.v, nkv, att_loss, &m);
	tap_ok(relerr(dq, gq, nq) < 2e-4 && relerr(dk, gk, nkv) < 2e-4 &&
		   relerr(dv, gv, nkv) < 2e-4,
		   "attention backward B=%d T=%d packed=%d matches finite differences (dq %.1e dk %.1e dv %.1e)",
		   B, T, every, relerr(dq, gq, nq), relerr(dk, gk, nkv), relerr(dv, gv, nkv));
	/* rows past the last written row of each sequence must get no gradient */
	for (int b = 0; b < B; b++)
		for (int j = kv_offset + T; j < S; j++)
			for (int i = 0; i < NKV * HS; i++)
				if (dk[((size_t) b * S + j) * NKV * HS + i] != 0.0f)
					touched_outside = 1;
	tap_ok(!touched_outside, "attention backward leaves unseen k rows alone");
	free(q), free(k), free(v), free(out), free(r), free(att), free(dq), free(dk), free(dv);
	free(gq), free(gk), free(gv), free(pos), free(ks);
	free(m.q), free(m.k), free(m.v), free(m.out), free(m.r);
}

/* ---- the block ---- */

typedef struct BlockCtx
{
	const SqlpilotConfig *c;
	const SqlpilotRowLayout *rl;
	double	   *p[9];
	double	   *x,
			   *out,
			   *kb,
			   *vb,
			   *r;
} BlockCtx;

static double
block_loss(void *p)
{
	BlockCtx   *m = p;
	size_t		n = (size_t) m->rl->B * m->rl->T * m->c->dim;

	ref_block(m->c, m->p, m->rl, m->x, m->out, m->kb, m->vb);
	return dot_r(m->out, m->r, n);
}

/* Allocates float activations for N rows of a config with kv_stride S. */
static void
acts_alloc(SqlpilotBlockActs *a, const SqlpilotConfig *c, int B, int T, int S)
{
	size_t		N = (size_t) B * T;

	a->ln1 = malloc(sizeof(float) * N * c->dim);
	a->ln1_rstd = malloc(sizeof(float) * N);
	a->q = malloc(sizeof(float) * N * c->dim);
	a->att = malloc(sizeof(float) * B * c->n_heads * T * S);
	a->atty = malloc(sizeof(float) * N * c->dim);
	a->res1 = malloc(sizeof(float) * N * c->dim);
	a->ln2 = malloc(sizeof(float) * N * c->dim);
	a->ln2_rstd = malloc(sizeof(float) * N);
	a->gate = malloc(sizeof(float) * N * c->hidden_dim);
	a->up = malloc(sizeof(float) * N * c->hidden_dim);
	a->act = malloc(sizeof(float) * N * c->hidden_dim);
}

static void
acts_free(SqlpilotBlockActs *a)
{
	free(a->ln1), free(a->ln1_rstd), free(a->q), free(a->att), free(a->atty);
	free(a->res1), free(a->ln2), free(a->ln2_rstd), free(a->gate), free(a->up), free(a->act);
}

/* Points a float layer's nine tensors into one block (order of block_sizes). */
static void
layer_map(SqlpilotLayerWeights *w, float *base, const size_t *n)
{
	float	  **t[9] = {&w->rms_att, &w->wq, &w->wk, &w->wv, &w->wo, &w->rms_ffn,
	&w->w1, &w->w2, &w->w3};

	for (int i = 0; i < 9; i++)
	{
		*t[i] = base;
		base += n[i];
	}
}

static void
test_block(int B, int T, int every, int dim)
{
	SqlpilotConfig c = {.dim = dim,.hidden_dim = 12,.n_layers = 1,.n_heads = 2,
	.n_kv_heads = 1,.vocab_size = 16,.seq_len = 64,.tied = 1,.rope_theta = 10000.0f,
	.norm_eps = 1e-5f};
	int			C = c.dim;
	int			KVD = C / c.n_heads * c.n_kv_heads;
	int			N = B * T;
	size_t		n[9];
	size_t		np = 0;
	float	   *params;
	float	   *dparams;
	SqlpilotLayerWeights w;
	SqlpilotLayerWeights dw;
	float	   *x = malloc(sizeof(float) * N * C);
	float	   *out = malloc(sizeof(float) * N * C);
	float	   *r = malloc(sizeof(float) * N * C);
	float	   *dx = malloc(sizeof(float) * N * C);
	float	   *kb = calloc(N * KVD, sizeof(float));
	float	   *vb = calloc(N * KVD, sizeof(float));
	int		   *pos = malloc(sizeof(int) * N);
	int		   *ks = malloc(sizeof(int) * N);
	SqlpilotRowLayout rl = {B, T, 0, T, pos, every ? ks : NULL};
	SqlpilotBlockActs a;
	float	   *scratch;
	BlockCtx	m;
	double	   *gx = malloc(sizeof(double) * N * C);
	double	   *gp;
	double		worst = 0.0;

	block_sizes(&c, n);
	for (int i = 0; i < 9; i++)
		np += n[i];
	params = malloc(sizeof(float) * np);
	dparams = calloc(np, sizeof(float));
	gp = malloc(sizeof(double) * np);
	fill(params, np, 0.5f);
	for (size_t i = 0; i < (size_t) C; i++)
		params[i] += 1.0f;		/* rms_att near 1 */
	layer_map(&w, params, n);
	layer_map(&dw, dparams, n);
	fill(x, N * C, 1);
	fill(r, N * C, 1);
	for (int b = 0; b < B; b++)
		for (int t = 0; t < T; t++)
		{
			ks[b * T + t] = every ? (t / every) * every : 0;
			pos[b * T + t] = t - (every ? ks[b * T + t] : 0);
		}
	acts_alloc(&a, &c, B, T, T);
	sqlpilot_block_forward(&c, &w, &rl, x, out, kb, vb, &a);
	m.c = &c;
	m.rl = &rl;
	m.x = to_double(x, N * C);
	m.out = malloc(sizeof(double) * N * C);
	m.kb = calloc(N * KVD, sizeof(double));
	m.vb = calloc(N * KVD, sizeof(double));
	m.r = to_double(r, N * C);
	for (int i = 0, off = 0; i < 9; off += n[i], i++)
		m.p[i] = to_double(params + off, n[i]);
	block_loss(&m);
	tap_ok(relerr(out, m.out, N * C) < 1e-5 && relerr(kb, m.kb, N * KVD) < 1e-5,
		   "block forward B=%d T=%d packed=%d HS=%d matches reference (out and k)", B, T, every,
		   C / 2);

	scratch = malloc(sizeof(float) * sqlpilot_block_scratch_floats(&c, &rl));
	sqlpilot_block_backward(&c, &w, &dw, &rl, x, kb, vb, &a, r, dx, scratch);
	fd_grad(gx, m.x, N * C, block_loss, &m);
	for (int i = 0, off = 0; i < 9; off += n[i], i++)
	{
		fd_grad(gp + off, m.p[i], n[i], block_loss, &m);
		if (relerr(dparams + off, gp + off, n[i]) > worst)
			worst = relerr(dparams + off, gp + off, n[i]);
	}
	tap_ok(relerr(dx, gx, N * C) < 2e-4,
		   "block backward dx matches finite differences (%.1e)", relerr(dx, gx, N * C));
	tap_ok(worst < 2e-4, "block backward weight gradients match finite differences (worst %.1e)",
		   worst);

	free(scratch);
	acts_free(&a);
	free(params), free(dparams), free(gp), free(x), free(out), free(r), free(dx);
	free(kb), free(vb), free(pos), free(ks), free(gx);
	free(m.x), free(m.out), free(m.kb), free(m.vb), free(m.r);
	for (int i = 0; i < 9; i++)
		free(m.p[i]);
}

/*
 * Prefill of T rows equals feeding them in two chunks through the cached
 * prefix (kv_offset) and then one row at a time: the inference layout.
 */
static void
test_block_incremental(int nh, int nkv)
{
	SqlpilotConfig c = {.dim = 16,.hidden_dim = 24,.n_layers = 1,.n_heads = nh,
	.n_kv_heads = nkv,.vocab_size = 16,.seq_len = 80,.tied = 1,.rope_theta = 10000.0f,
	.norm_eps = 1e-5f};
	int			T = 70;
	int			S = c.seq_len;
	int			C = c.dim;
	int			KVD = c.n_kv_heads * C / c.n_heads;
	size_t		n[9];
	size_t		np = 0;
	float	   *params;
	SqlpilotLayerWeights w;
	float	   *x = malloc(sizeof(float) * T * C);
	float	   *full = malloc(sizeof(float) * T * C);
	float	   *inc = malloc(sizeof(float) * T * C);
	float	   *kb = calloc(S * KVD, sizeof(float));
	float	   *vb = calloc(S * KVD, sizeof(float));
	float	   *kb2 = calloc(S * KVD, sizeof(float));
	float	   *vb2 = calloc(S * KVD, sizeof(float));
	int		   *pos = malloc(sizeof(int) * T);
	SqlpilotBlockActs a;
	SqlpilotRowLayout rl = {1, T, 0, S, pos, NULL};
	float		d = 0.0f;
	int			split = 50;

	block_sizes(&c, n);
	for (int i = 0; i < 9; i++)
		np += n[i];
	params = malloc(sizeof(float) * np);
	fill(params, np, 0.3f);
	layer_map(&w, params, n);
	fill(x, T * C, 1);
	for (int t = 0; t < T; t++)
		pos[t] = t;
	acts_alloc(&a, &c, 1, T, S);
	sqlpilot_block_forward(&c, &w, &rl, x, full, kb, vb, &a);

	rl.T = split;
	sqlpilot_block_forward(&c, &w, &rl, x, inc, kb2, vb2, &a);
	for (int t = split; t < T; t++)
	{
		SqlpilotRowLayout one = {1, 1, t, S, pos + t, NULL};

		memcpy(inc + t * C, x + t * C, sizeof(float) * C);
		sqlpilot_block_forward(&c, &w, &one, inc + t * C, inc + t * C, kb2, vb2, &a);
	}
	for (int i = 0; i < T * C; i++)
		if (fabsf(full[i] - inc[i]) > d)
			d = fabsf(full[i] - inc[i]);
	tap_ok(d < 1e-5, "block HS=%d: prefill equals chunk + one-row decode, out == x (diff %.1e)",
		   c.dim / nh, d);
	acts_free(&a);
	free(params), free(x), free(full), free(inc), free(kb), free(vb), free(kb2), free(vb2);
	free(pos);
}

int
main(void)
{
	test_matmul(1);
	test_matmul(6);
	test_rmsnorm();
	test_rope();
	test_rope_table();
	test_swiglu();
	test_attention(1, 5, 0, 0, 2, 1, 4);
	test_attention(2, 6, 0, 3, 4, 2, 4);
	test_attention(1, 3, 4, 0, 2, 2, 4);
	test_attention(1, 1, 6, 0, 2, 1, 4);
	test_attention(1, 150, 0, 0, 1, 1, 2);
	test_attention(2, 140, 0, 37, 2, 1, 2);
	/* the small-head path (HS a multiple of 8) */
	test_attention(1, 5, 0, 0, 2, 1, 8);
	test_attention(1, 140, 0, 37, 2, 1, 8);
	test_attention(1, 70, 0, 0, 2, 2, 16);
	test_attention(1, 3, 4, 0, 2, 1, 8);
	test_attention(1, 1, 6, 0, 2, 1, 8);
	/* a 16-lane and an 8-lane chunk per head; 4 query heads per kv head; cached rows */
	test_attention(1, 40, 3, 13, 4, 1, 24);
	/* two query blocks, packed examples, cached rows, groups straddling examples */
	test_attention(1, 70, 2, 29, 4, 2, 16);
	/* the 15M preset's head size: three 16-lane chunks */
	test_attention(1, 20, 2, 7, 2, 1, 48);
	/* one decode row, then its backward from the stored log-sum-exp */
	test_attention(1, 1, 5, 0, 4, 2, 16);
	test_block(1, 5, 0, 8);
	test_block(2, 7, 3, 16);
	test_block(1, 9, 4, 32);
	test_block_incremental(4, 2);
	test_block_incremental(2, 1);
	return tap_done();
}
