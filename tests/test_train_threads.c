/*
 * test_train_threads.c — the trainer with two threads (sqlpilot train
 * --threads 2): sqlpilot_run_halves runs the second half in the helper
 * thread only when two threads are on, and a few full optimizer steps
 * (forward, backward, clipping, AdamW) of small models with heads of 16 (the
 * default model's: the small-head attention path, split by (sequence, kv
 * head) pairs; SwiGLU, the loss and AdamW split in fixed halves; shapes
 * big enough for each split to reach the helper) give the same loss and
 * the same weights, byte for byte, with one thread and with two; on whole
 * sequences (trainer_net_step) and on schema-packed micro-batches
 * (trainer_net_step_packed: products over all rows of a micro-batch, big
 * enough to split, attention per segment).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../trainer/train.h"
#include "gemm.h"
#include "util.h"
#include "../tests/tap.h"

/* What one sqlpilot_run_halves call saw: each half's thread and the order they ran in. */
typedef struct HalvesSeen
{
	pthread_t	thread[2];
	int			runs[2];
	int			order;
} HalvesSeen;

/* Records which thread ran this half and in which order. */
static void
note_half(void *arg, int half)
{
	HalvesSeen *s = arg;

	s->thread[half] = pthread_self();
	s->runs[half]++;
	if (half == 1 && s->runs[0] == 1 && s->order == 0)
		s->order = 1;
}

/* Packed examples of 5..40 tokens in b (deterministic from rng), the last half weighted. */
static void
make_batch(TrainerBatch *b, int V, uint64_t rng)
{
	for (int s = 0; s < b->B; s++)
	{
		int			t = 0;

		while (t < b->T)
		{
			int			len = 5 + (int) sqlpilot_rng_below(&rng, 36);
			int			start = t;

			if (len > b->T - t)
				len = b->T - t;
			for (int i = 0; i < len; i++, t++)
			{
				size_t		r = (size_t) s * b->T + t;
				int			stmt = i >= len / 2;

				b->inputs[r] = i == 0 ? SQLPILOT_TOKEN_BOS : 3 + (int) sqlpilot_rng_below(&rng, V - 3);
				b->targets[r] = 3 + (int) sqlpilot_rng_below(&rng, V - 3);
				b->weights[r] = stmt ? 1.0f : 0.0f;
				b->is_stmt[r] = stmt;
				b->pos[r] = i;
				b->kstart[r] = start;
			}
		}
	}
}

/* Fills row r of b: input (BOS at position 0), a random target, weight, flag and position. */
static void
packed_row(TrainerBatch *b, int r, int pos, int stmt, int V, uint64_t *rng)
{
	b->inputs[r] = pos == 0 ? SQLPILOT_TOKEN_BOS : 3 + (int) sqlpilot_rng_below(rng, V - 3);
	b->targets[r] = 3 + (int) sqlpilot_rng_below(rng, V - 3);
	b->weights[r] = stmt ? 1.0f : 0.0f;
	b->is_stmt[r] = stmt;
	b->pos[r] = pos;
	b->kstart[r] = 0;
}

/*
 * Schema-packed micro-batches of micro x T rows in b, laid out as
 * trainer_loader_fill does: groups of a schema (40..160 rows) then 1..6
 * statements (5..40 rows, positions continuing after the schema) that see
 * it; micro-batch k's segments are [first[k], first[k + 1]).
 */
static void
make_packed(TrainerBatch *b, int V, int micro, uint64_t rng, int *first)
{
	b->n_segs = 0;
	for (int k = 0; k * micro < b->B; k++)
	{
		int			r = k * micro * b->T;
		int			end = r + micro * b->T;

		first[k] = b->n_segs;
		while (r < end)
		{
			int			P = 40 + (int) sqlpilot_rng_below(&rng, 121);
			int			schema = r;
			int			ns = 1 + (int) sqlpilot_rng_below(&rng, 6);

			P = P < end - r ? P : end - r;
			b->segs[b->n_segs++] = (TrainerSeg) {r, P, -1, 0};
			for (int i = 0; i < P; i++)
				packed_row(b, r++, i, 0, V, &rng);
			for (int j = 0; j < ns && r < end; j++)
			{
				int			m = 5 + (int) sqlpilot_rng_below(&rng, 36);

				m = m < end - r ? m : end - r;
				b->segs[b->n_segs++] = (TrainerSeg) {r, m, schema, P};
				for (int i = 0; i < m; i++)
					packed_row(b, r++, P + i, 1, V, &rng);
			}
		}
		first[k + 1] = b->n_segs;
	}
}

/*
 * Trains steps optimizer steps of config c (micro-batches of micro of B
 * sequences of T; schema-packed when packed) with the given thread count from the same random weights;
 * returns the weights (caller frees) and the last step's loss in *loss.
 */
static float *
train(const SqlpilotConfig *c, int threads, int B, int T, int micro, int packed, int steps,
	  double *loss, size_t *n_params)
{
	TrainerOptim o = {.lr = 3e-3f,.min_lr = 3e-3f,.steps = 100,.beta1 = 0.9f,.beta2 = 0.95f,
	.eps = 1e-8f,.weight_decay = 0.1f,.clip = 1.0f};
	TrainerNet	net;
	TrainerBatch b;
	char		err[256];
	float	   *m;
	float	   *v;
	float	   *out;
	uint8_t    *decay;
	double		wsum = 0.0;
	int		   *first = malloc(sizeof(int) * (B / micro + 2));

	sqlpilot_gemm_set_threads(threads);
	if (trainer_net_init(&net, c, micro, T, err, sizeof(err)) != 0 ||
		trainer_batch_alloc(&b, B, T) != 0)
	{
		tap_diag("init: %s", err);
		return NULL;
	}
	sqlpilot_model_init_random(c, net.params, 1);
	m = calloc(net.n_params, sizeof(float));
	v = calloc(net.n_params, sizeof(float));
	decay = malloc(net.n_params);
	memset(decay, 1, net.n_params);
	if (packed)
		make_packed(&b, c->vocab_size, micro, 99, first);
	else
		make_batch(&b, c->vocab_size, 99);
	for (int i = 0; i < B * T; i++)
		wsum += b.weights[i];
	for (int step = 0; step < steps; step++)
	{
		TrainerStats st = {0};

		memset(net.grads, 0, sizeof(float) * net.n_params);
		for (int s = 0, k = 0; s < B; s += micro, k++)
			if (packed)
				trainer_net_step_packed(&net, &b, first[k], first[k + 1] - first[k],
										(float) (1.0 / wsum), &st);
			else
				trainer_net_step(&net, &b, s, B - s < micro ? B - s : micro,
								 (float) (1.0 / wsum), &st);
		trainer_clip_grads(net.grads, net.n_params, o.clip);
		trainer_adamw(&o, net.params, net.grads, m, v, decay, net.n_params, o.lr, step + 1);
		*loss = st.loss_sum / wsum;
	}
	*n_params = net.n_params;
	out = malloc(sizeof(float) * net.n_params);
	memcpy(out, net.params, sizeof(float) * net.n_params);
	free(m), free(v), free(decay), free(first);
	trainer_batch_free(&b);
	trainer_net_free(&net);
	sqlpilot_gemm_set_threads(1);
	return out;
}

/* One config: 1 and 2 threads give the same loss bits and weight bytes. */
static void
check_same(const char *label, const SqlpilotConfig *c, int B, int T, int micro, int packed)
{
	double		l1 = 0.0,
				l2 = 0.0;
	size_t		n1 = 0,
				n2 = 0;
	float	   *w1 = train(c, 1, B, T, micro, packed, 3, &l1, &n1);
	float	   *w2 = train(c, 2, B, T, micro, packed, 3, &l2, &n2);

	if (!tap_ok(w1 && w2 && n1 == n2, "%s: trains with 1 and 2 threads", label))
		return;
	tap_ok(memcmp(&l1, &l2, sizeof(double)) == 0,
		   "%s: loss after 3 steps equal bit for bit (%.9f, %.9f)", label, l1, l2);
	tap_ok(memcmp(w1, w2, sizeof(float) * n1) == 0,
		   "%s: all %zu weights equal byte for byte after 3 steps", label, n1);
	free(w1);
	free(w2);
}

int
main(void)
{
	SqlpilotConfig c = {.dim = 64,.hidden_dim = 176,.n_layers = 2,.n_heads = 4,
	.n_kv_heads = 2,.vocab_size = 512,.seq_len = 200,.tied = 1,.rope_theta = 10000.0f,
	.norm_eps = 1e-5f};
	HalvesSeen s1 = {0};
	HalvesSeen s2 = {0};
	HalvesSeen s3 = {0};

	sqlpilot_run_halves(note_half, &s1, SQLPILOT_HALVES_MIN_WORK);
	tap_ok(s1.runs[0] == 1 && s1.runs[1] == 1 && s1.order == 1 &&
		   pthread_equal(s1.thread[0], pthread_self()) && pthread_equal(s1.thread[1], pthread_self()),
		   "one thread: both halves run once, in order, in the caller");
	if (!tap_ok(sqlpilot_gemm_set_threads(2) == 0, "two threads can be turned on"))
		return tap_done();
	sqlpilot_run_halves(note_half, &s2, SQLPILOT_HALVES_MIN_WORK);
	tap_ok(s2.runs[0] == 1 && s2.runs[1] == 1 &&
		   pthread_equal(s2.thread[0], pthread_self()) && !pthread_equal(s2.thread[1], pthread_self()),
		   "two threads: half 0 in the caller, half 1 in the helper thread");
	sqlpilot_run_halves(note_half, &s3, SQLPILOT_HALVES_MIN_WORK - 1);
	tap_ok(s3.runs[0] == 1 && s3.runs[1] == 1 && s3.order == 1 &&
		   pthread_equal(s3.thread[1], pthread_self()),
		   "two threads, too little work: both halves in order in the caller");
	sqlpilot_gemm_set_threads(1);

	/* GQA, 3 sequences x 2 kv heads = 6 (sequence, kv head) pairs */
	check_same("GQA heads of 16, micro-batch 3", &c, 6, 160, 3, 0);
	/* MQA, one sequence per micro-batch: 1 pair, the helper gets none */
	c.n_kv_heads = 1;
	c.tied = 0;
	check_same("MQA heads of 16, micro-batch 1", &c, 2, 200, 1, 0);
	/* 3 pairs: an uneven split; rows not a multiple of 16 */
	check_same("MQA heads of 16, micro-batch 3, T 117", &c, 3, 117, 3, 0);

	/*
	 * Schema-packed, the default model's width and heads: the products of a
	 * micro-batch (512 rows, all segments at once) split, and so does the
	 * attention of the longer segments.
	 */
	c.dim = 128;
	c.hidden_dim = 352;
	c.n_heads = 8;
	c.n_kv_heads = 4;
	check_same("schema-packed GQA 128x352, micro-batch 2 x 256", &c, 4, 256, 2, 1);
	return tap_done();
}
