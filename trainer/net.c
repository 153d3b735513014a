/*
 * net.c — the whole LLaMA for training: embedding, the core's blocks
 * (core/layers.c, the same forward inference runs), final RMSNorm, the output
 * head and the masked cross-entropy, forward and backward.
 *
 * Shapes: a micro-batch of B sequences of T rows, N = B*T, C = dim, V = vocab.
 * The head only runs on rows whose target carries loss weight (by default the
 * statement and its EOS), so the schema part of each example costs nothing
 * in the (N,C)x(C,V) product.  All activations live in one allocation sized
 * at init; a step allocates nothing.
 *
 * Schema-packed batches (trainer_net_step_packed) run the row-wise phases
 * of each block (core/layers.h: norms, projections, RoPE, FFN) over all rows
 * of the micro-batch at once, so the matrix products are as big as
 * unpacked ones, and attention segment by segment, each segment as its own
 * one-sequence layout: a schema as a plain causal sequence, a statement
 * with its schema's k/v (copied into kvtmp) as a cached prefix before its
 * own rows (kv_offset = the schema's rows, positions continuing after it),
 * which is what that statement sees in its own sequence.  In the backward
 * the gradient that reaches the prefix k/v of each statement is added to
 * its schema's rows of dk/dv, and all rows' dk/dv go through the k/v
 * projections together.
 */
#include "train.h"
#include "gemm.h"
#include "util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

/* Adds one piece to the layout table t (or only counts it when t is NULL). */
static void
piece(SqlpilotCarve *t, int *np, float **dst, size_t n)
{
	if (t)
		t[*np] = (SqlpilotCarve) {dst, n};
	(*np)++;
}

/*
 * The activations' layout in order, for micro-batches of B x T: fills t
 * (when not NULL) and returns the number of pieces.
 */
static int
net_layout(TrainerNet *n, SqlpilotCarve *t, size_t scratch)
{
	const SqlpilotConfig *c = &n->c;
	size_t		N = (size_t) n->B * n->T;
	size_t		C = c->dim;
	size_t		H = c->hidden_dim;
	size_t		KVD = (size_t) c->n_kv_heads * (C / c->n_heads);
	int			np = 0;

	piece(t, &np, &n->xs, (c->n_layers + 1) * N * C);
	for (int l = 0; l < c->n_layers; l++)
	{
		SqlpilotBlockActs *a = &n->acts[l];

		piece(t, &np, &a->ln1, N * C);
		piece(t, &np, &a->ln1_rstd, N);
		piece(t, &np, &a->q, N * C);
		piece(t, &np, &a->att, sqlpilot_attention_att_floats(n->B, n->T, n->T, c->n_heads,
															 c->dim / c->n_heads));
		piece(t, &np, &a->atty, N * C);
		piece(t, &np, &a->res1, N * C);
		piece(t, &np, &a->ln2, N * C);
		piece(t, &np, &a->ln2_rstd, N);
		piece(t, &np, &a->gate, N * H);
		piece(t, &np, &a->up, N * H);
		piece(t, &np, &a->act, N * H);
	}
	piece(t, &np, &n->kbuf, c->n_layers * N * KVD);
	piece(t, &np, &n->vbuf, c->n_layers * N * KVD);
	piece(t, &np, &n->lnf, N * C);
	piece(t, &np, &n->lnf_rstd, N);
	piece(t, &np, &n->hsel, N * C);
	piece(t, &np, &n->logits, N * c->vocab_size);
	piece(t, &np, &n->dx, N * C);
	piece(t, &np, &n->dx2, N * C);
	piece(t, &np, &n->kvtmp, 2 * (size_t) n->T * KVD);
	piece(t, &np, &n->dkvtmp, 2 * (size_t) n->T * KVD);
	piece(t, &np, &n->scratch, scratch);
	return np;
}

/*
 * n floats of zeroed memory backed by transparent huge pages where the
 * kernel allows it: attention rows are 4 KB apart or more, so with 4 KB
 * pages nearly every row would cost a TLB miss.
 */
static float *
alloc_huge(size_t n)
{
	size_t		len = (n * sizeof(float) + (2 << 20) - 1) & ~(size_t) ((2 << 20) - 1);
	void	   *p = NULL;

	if (posix_memalign(&p, 2 << 20, len) != 0)
		return NULL;
	madvise(p, len, MADV_HUGEPAGE);
	memset(p, 0, len);
	return p;
}

/* Allocates parameters, gradients and activations for micro-batches of B x T. */
int
trainer_net_init(TrainerNet *n, const SqlpilotConfig *c, int B, int T,
				 char *err, size_t errlen)
{
	SqlpilotRowLayout rl = {B, T, 0, T, NULL, NULL};
	size_t		scratch = sqlpilot_block_scratch_floats(c, &rl);
	size_t		N = (size_t) B * T;
	SqlpilotCarve *layout;
	int			np;

	memset(n, 0, sizeof(*n));
	n->c = *c;
	n->B = B;
	n->T = T;
	n->n_params = sqlpilot_param_count(c);
	n->params = alloc_huge(n->n_params);
	n->grads = alloc_huge(n->n_params);
	n->acts = calloc(c->n_layers, sizeof(SqlpilotBlockActs));
	n->sel = malloc(sizeof(int) * N);
	np = net_layout(n, NULL, scratch);
	layout = malloc(sizeof(SqlpilotCarve) * np);
	if (layout && n->acts)
	{
		net_layout(n, layout, scratch);
		n->mem_floats = sqlpilot_carve_floats(layout, np);
		n->mem = alloc_huge(n->mem_floats);
	}
	if (!n->params || !n->grads || !n->acts || !n->sel || !layout || !n->mem)
	{
		snprintf(err, errlen, "out of memory allocating the model (%zu parameters, batch %dx%d)",
				 n->n_params, B, T);
		free(layout);
		trainer_net_free(n);
		return -1;
	}
	sqlpilot_weights_map(&n->w, c, n->params);
	sqlpilot_weights_map(&n->dw, c, n->grads);
	sqlpilot_carve(n->mem, layout, np);
	free(layout);
	return 0;
}

/* Frees what trainer_net_init allocated; n is zeroed. */
void
trainer_net_free(TrainerNet *n)
{
	free(n->params);
	free(n->grads);
	free(n->acts);
	free(n->sel);
	free(n->mem);
	memset(n, 0, sizeof(*n));
}

/*
 * Softmax cross-entropy of the M selected rows of logits, in place, split
 * for sqlpilot_run_halves: rows [0, M/2) and [M/2, M), each half summing its
 * own statistics into st[half] (added to the caller's in that order, so one
 * thread and two give the same sums); with grad_scale > 0 leaves
 * d(loss)/d(logits) in logits.
 */
typedef struct HeadLossCall
{
	TrainerNet *n;
	const TrainerBatch *b;
	size_t		row0;
	int			M;
	float		grad_scale;
	TrainerStats st[2];
} HeadLossCall;

/* The loss (and gradient) of the selected rows of half 0 or 1 of call h. */
static void
head_loss_half(void *arg, int half)
{
	HeadLossCall *h = arg;
	const TrainerBatch *b = h->b;
	TrainerStats *st = &h->st[half];
	int			V = h->n->c.vocab_size;
	int			i0 = half ? h->M / 2 : 0;
	int			i1 = half ? h->M : h->M / 2;

	for (int i = i0; i < i1; i++)
	{
		size_t		r = h->row0 + h->n->sel[i];
		float	   *lg = h->n->logits + (size_t) i * V;
		int			tgt = b->targets[r];
		float		x_tgt = lg[tgt];
		int			arg = 0;
		double		nll;

		for (int j = 1; j < V; j++)
			if (lg[j] > lg[arg])
				arg = j;
		nll = sqlpilot_log_softmax(lg, lg, V) - x_tgt;
		st->loss_sum += b->weights[r] * nll;
		st->weight_sum += b->weights[r];
		if (b->is_stmt[r])
		{
			st->stmt_loss_sum += nll;
			st->stmt_count += 1;
			st->stmt_correct += (arg == tgt);
		}
		if (h->grad_scale > 0.0f)
		{
			float		g = h->grad_scale * b->weights[r];

			for (int j = 0; j < V; j++)
				lg[j] = g * expf(lg[j]);
			lg[tgt] -= g;
		}
	}
}

/* The head's loss over its M selected rows, both halves, added to st. */
static void
head_loss(TrainerNet *n, const TrainerBatch *b, size_t row0, int M, float grad_scale,
		  TrainerStats *st)
{
	HeadLossCall h = {.n = n,.b = b,.row0 = row0,.M = M,.grad_scale = grad_scale};

	sqlpilot_run_halves(head_loss_half, &h, (double) M * n->c.vocab_size);
	for (int k = 0; k < 2; k++)
	{
		st->loss_sum += h.st[k].loss_sum;
		st->weight_sum += h.st[k].weight_sum;
		st->stmt_loss_sum += h.st[k].stmt_loss_sum;
		st->stmt_count += h.st[k].stmt_count;
		st->stmt_correct += h.st[k].stmt_correct;
	}
}

/*
 * The head over the M rows of row0.. with a weighted or statement target,
 * and the loss into st; with grad_scale > 0 leaves d(loss)/d(lnf) in
 * n->dx2 (N rows, zero where no target).
 */
static void
net_head(TrainerNet *n, const TrainerBatch *b, size_t row0, int N, float grad_scale,
		 TrainerStats *st)
{
	int			C = n->c.dim;
	int			V = n->c.vocab_size;
	int			M = 0;

	for (int i = 0; i < N; i++)
		if (b->targets[row0 + i] >= 0 && (b->weights[row0 + i] > 0.0f || b->is_stmt[row0 + i]))
		{
			memcpy(n->hsel + (size_t) M * C, n->lnf + (size_t) i * C, sizeof(float) * C);
			n->sel[M++] = i;
		}
	if (M > 0)
	{
		sqlpilot_matmul_forward(n->logits, n->hsel, n->w.wcls, M, C, V);
		head_loss(n, b, row0, M, grad_scale, st);
	}
	if (grad_scale <= 0.0f)
		return;
	memset(n->dx2, 0, sizeof(float) * (size_t) N * C);
	if (M > 0)
	{
		sqlpilot_matmul_backward(NULL, n->dw.wcls, n->logits, n->hsel, n->w.wcls, M, C, V);
		memset(n->dx, 0, sizeof(float) * (size_t) M * C);
		sqlpilot_matmul_backward(n->dx, NULL, n->logits, n->hsel, n->w.wcls, M, C, V);
		for (int i = 0; i < M; i++)
			memcpy(n->dx2 + (size_t) n->sel[i] * C, n->dx + (size_t) i * C, sizeof(float) * C);
	}
}

/* Adds the embedding gradient of rows row0.. (N of them) from n->dx. */
static void
net_embedding_backward(TrainerNet *n, const TrainerBatch *b, size_t row0, int N)
{
	int			C = n->c.dim;

	for (int i = 0; i < N; i++)
	{
		float	   *d = n->dw.token_embedding + (size_t) b->inputs[row0 + i] * C;
		const float *g = n->dx + (size_t) i * C;

		for (int j = 0; j < C; j++)
			d[j] += g[j];
	}
}

/*
 * The final norm and the head's loss over the N rows from row0 (the last
 * block's output); with grad_scale > 0 also the head's gradient and the final
 * norm's backward into n->dx, returning true: the blocks' backward follows.
 */
static bool
net_final(TrainerNet *n, const TrainerBatch *b, size_t row0, int N, float grad_scale,
		  TrainerStats *st)
{
	int			C = n->c.dim;
	size_t		NC = (size_t) N * C;
	const float *x = n->xs + n->c.n_layers * NC;

	sqlpilot_rmsnorm_forward(n->lnf, n->lnf_rstd, x, n->w.rms_final, N, C, n->c.norm_eps);
	net_head(n, b, row0, N, grad_scale, st);
	if (grad_scale <= 0.0f)
		return false;
	memset(n->dx, 0, sizeof(float) * NC);
	sqlpilot_rmsnorm_backward(n->dx, n->dw.rms_final, n->dx2, x, n->w.rms_final, n->lnf_rstd, N, C);
	return true;
}

/* Forward (and with grad_scale > 0 backward) of sequences [first, first+nb). */
void
trainer_net_step(TrainerNet *n, const TrainerBatch *b, int first, int nb,
				 float grad_scale, TrainerStats *st)
{
	const SqlpilotConfig *c = &n->c;
	int			T = b->T;
	int			N = nb * T;
	int			C = c->dim;
	int			L = c->n_layers;
	size_t		KVD = (size_t) c->n_kv_heads * (C / c->n_heads);
	size_t		NC = (size_t) N * C;
	size_t		row0 = (size_t) first * T;
	SqlpilotRowLayout rl = {nb, T, 0, T, b->pos + row0, b->kstart + row0};

	/* embedding */
	for (int i = 0; i < N; i++)
		memcpy(n->xs + (size_t) i * C, n->w.token_embedding + (size_t) b->inputs[row0 + i] * C,
			   sizeof(float) * C);
	for (int l = 0; l < L; l++)
	{
		SqlpilotLayerWeights lw;

		sqlpilot_layer_weights(&lw, &n->w, c, l);
		sqlpilot_block_forward(c, &lw, &rl, n->xs + l * NC, n->xs + (l + 1) * NC,
							   n->kbuf + l * N * KVD, n->vbuf + l * N * KVD, &n->acts[l]);
	}
	if (!net_final(n, b, row0, N, grad_scale, st))
		return;

	/* backward: blocks (ping-pong dx/dx2), embedding */
	for (int l = L - 1; l >= 0; l--)
	{
		SqlpilotLayerWeights lw;
		SqlpilotLayerWeights dlw;
		float	   *t;

		sqlpilot_layer_weights(&lw, &n->w, c, l);
		sqlpilot_layer_weights(&dlw, &n->dw, c, l);
		sqlpilot_block_backward(c, &lw, &dlw, &rl, n->xs + l * NC, n->kbuf + l * N * KVD,
								n->vbuf + l * N * KVD, &n->acts[l], n->dx, n->dx2,
								n->scratch);
		t = n->dx;
		n->dx = n->dx2;
		n->dx2 = t;
	}
	net_embedding_backward(n, b, row0, N);
}

/*
 * k/v buffers of segment g (its rows r.. of the micro-batch) for one layer:
 * its own rows of kl/vl, or for a statement after a schema its schema's
 * rows then its own, assembled in n->kvtmp.  Sets *k and *v.
 */
static void
seg_kv(TrainerNet *n, const TrainerSeg *g, size_t row0, const float *kl, const float *vl,
	   const float **k, const float **v)
{
	size_t		KVD = (size_t) n->c.n_kv_heads * (n->c.dim / n->c.n_heads);
	size_t		r = g->row0 - row0;
	size_t		P = g->prefix_rows;
	float	   *kt = n->kvtmp;
	float	   *vt = n->kvtmp + (size_t) n->T * KVD;

	if (P == 0)
	{
		*k = kl + r * KVD;
		*v = vl + r * KVD;
		return;
	}
	memcpy(kt, kl + (g->prefix - row0) * KVD, sizeof(float) * P * KVD);
	memcpy(vt, vl + (g->prefix - row0) * KVD, sizeof(float) * P * KVD);
	memcpy(kt + P * KVD, kl + r * KVD, sizeof(float) * g->rows * KVD);
	memcpy(vt + P * KVD, vl + r * KVD, sizeof(float) * g->rows * KVD);
	*k = kt;
	*v = vt;
}

/* The one-sequence layout of segment g: its rows after its schema's as a cached prefix. */
static SqlpilotRowLayout
seg_layout(const TrainerBatch *b, const TrainerSeg *g)
{
	SqlpilotRowLayout rl = {1, g->rows, g->prefix_rows, g->prefix_rows + g->rows,
	b->pos + g->row0, NULL};

	return rl;
}

/*
 * Attention forward of every segment of one layer: q and k/v of all rows
 * (kl/vl, (N, KVD)) are in place, each segment writes its rows of a->atty
 * and its own stretch of a->att.
 */
static void
packed_attention_forward(TrainerNet *n, const TrainerBatch *b, const TrainerSeg *segs,
						 int nseg, const float *kl, const float *vl, SqlpilotBlockActs *a)
{
	int			NH = n->c.n_heads;
	int			HS = n->c.dim / NH;
	size_t		row0 = segs[0].row0;
	size_t		att_off = 0;

	for (int s = 0; s < nseg; s++)
	{
		const TrainerSeg *g = &segs[s];
		size_t		r = g->row0 - row0;
		SqlpilotRowLayout rl = seg_layout(b, g);
		const float *k;
		const float *v;

		seg_kv(n, g, row0, kl, vl, &k, &v);
		sqlpilot_attention_forward(a->atty + r * NH * HS, a->att + att_off, a->q + r * NH * HS,
								   k, v, &rl, NH, n->c.n_kv_heads, HS);
		att_off += sqlpilot_attention_att_floats(1, g->rows, rl.kv_stride, NH, HS);
	}
}

/*
 * Attention backward of every segment of one layer into g's dq, dk, dv
 * (N rows each, zeroed here): a schema's dk/dv rows gather what its own
 * attention and every statement after it send back (statements through
 * n->dkvtmp), in segment order.
 */
static void
packed_attention_backward(TrainerNet *n, const TrainerBatch *b, const TrainerSeg *segs,
						  int nseg, const float *kl, const float *vl,
						  const SqlpilotBlockActs *a, SqlpilotBlockGrads *gr)
{
	int			NH = n->c.n_heads;
	int			NKV = n->c.n_kv_heads;
	int			HS = n->c.dim / NH;
	size_t		QD = (size_t) NH * HS;
	size_t		KVD = (size_t) NKV * HS;
	size_t		row0 = segs[0].row0;
	size_t		N = segs[nseg - 1].row0 + segs[nseg - 1].rows - row0;
	size_t		att_off = 0;
	float	   *dkt = n->dkvtmp;
	float	   *dvt = n->dkvtmp + (size_t) n->T * KVD;

	memset(gr->dq, 0, sizeof(float) * N * QD);
	memset(gr->dk, 0, sizeof(float) * N * KVD);
	memset(gr->dv, 0, sizeof(float) * N * KVD);
	for (int s = 0; s < nseg; s++)
	{
		const TrainerSeg *g = &segs[s];
		size_t		r = g->row0 - row0;
		size_t		P = g->prefix_rows;
		size_t		S = P + g->rows;
		SqlpilotRowLayout rl = seg_layout(b, g);
		const float *att = a->att + att_off;
		const float *k;
		const float *v;

		att_off += sqlpilot_attention_att_floats(1, g->rows, rl.kv_stride, NH, HS);
		seg_kv(n, g, row0, kl, vl, &k, &v);
		if (P == 0)
		{
			sqlpilot_attention_backward(gr->dq + r * QD, gr->dk + r * KVD, gr->dv + r * KVD,
										gr->datty + r * QD, a->atty + r * QD, att,
										a->q + r * QD, k, v, &rl, NH, NKV, HS);
			continue;
		}
		memset(dkt, 0, sizeof(float) * S * KVD);
		memset(dvt, 0, sizeof(float) * S * KVD);
		sqlpilot_attention_backward(gr->dq + r * QD, dkt, dvt, gr->datty + r * QD,
									a->atty + r * QD, att, a->q + r * QD, k, v, &rl,
									NH, NKV, HS);
		for (size_t i = 0; i < P * KVD; i++)
		{
			gr->dk[(g->prefix - row0) * KVD + i] += dkt[i];
			gr->dv[(g->prefix - row0) * KVD + i] += dvt[i];
		}
		memcpy(gr->dk + r * KVD, dkt + P * KVD, sizeof(float) * g->rows * KVD);
		memcpy(gr->dv + r * KVD, dvt + P * KVD, sizeof(float) * g->rows * KVD);
	}
}

/*
 * Schema-packed forward and backward (train.h; the design at the top of this
 * file): per layer the row-wise phases of the block run over all N rows of
 * the micro-batch at once, attention segment by segment.
 */
void
trainer_net_step_packed(TrainerNet *n, const TrainerBatch *b, int seg0, int nseg,
						float grad_scale, TrainerStats *st)
{
	const SqlpilotConfig *c = &n->c;
	const TrainerSeg *segs = b->segs + seg0;
	size_t		row0;
	int			N;
	int			C = c->dim;
	int			L = c->n_layers;
	size_t		KVD = (size_t) c->n_kv_heads * (C / c->n_heads);
	size_t		NC;
	SqlpilotRowLayout all;

	if (nseg <= 0)
		return;
	row0 = segs[0].row0;
	N = (int) (segs[nseg - 1].row0 + segs[nseg - 1].rows - row0);
	NC = (size_t) N * C;
	all = (SqlpilotRowLayout) {1, N, 0, N, b->pos + row0, NULL};
	for (int i = 0; i < N; i++)
		memcpy(n->xs + (size_t) i * C, n->w.token_embedding + (size_t) b->inputs[row0 + i] * C,
			   sizeof(float) * C);
	for (int l = 0; l < L; l++)
	{
		SqlpilotLayerWeights lw;
		float	   *kl = n->kbuf + l * N * KVD;
		float	   *vl = n->vbuf + l * N * KVD;

		sqlpilot_layer_weights(&lw, &n->w, c, l);
		sqlpilot_block_qkv_forward(c, &lw, &all, n->xs + l * NC, kl, vl, &n->acts[l]);
		packed_attention_forward(n, b, segs, nseg, kl, vl, &n->acts[l]);
		sqlpilot_block_ffn_forward(c, &lw, N, n->xs + l * NC, n->xs + (l + 1) * NC, &n->acts[l]);
	}
	if (!net_final(n, b, row0, N, grad_scale, st))
		return;

	/* backward: blocks (ping-pong dx/dx2), embedding */
	for (int l = L - 1; l >= 0; l--)
	{
		SqlpilotLayerWeights lw;
		SqlpilotLayerWeights dlw;
		SqlpilotBlockGrads g;
		float	   *t;

		sqlpilot_layer_weights(&lw, &n->w, c, l);
		sqlpilot_layer_weights(&dlw, &n->dw, c, l);
		sqlpilot_block_grads_map(&g, c, &all, n->scratch);
		sqlpilot_block_ffn_backward(c, &lw, &dlw, N, &n->acts[l], n->dx, n->dx2, &g);
		packed_attention_backward(n, b, segs, nseg, n->kbuf + l * N * KVD,
								  n->vbuf + l * N * KVD, &n->acts[l], &g);
		sqlpilot_block_qkv_backward(c, &lw, &dlw, &all, n->xs + l * NC, &n->acts[l], &g, n->dx2);
		t = n->dx;
		n->dx = n->dx2;
		n->dx2 = t;
	}
	net_embedding_backward(n, b, row0, N);
}
