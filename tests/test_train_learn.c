/*
 * test_train_learn.c — the optimizer pieces (schedule, clipping, AdamW
 * decoupled decay) and a tiny model trained for a few hundred steps on a
 * fixed pattern (next token = previous + 7 mod 20, packed examples with
 * random starts): the loss must fall from ln(V) to near zero.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../trainer/train.h"
#include "util.h"
#include "../tests/tap.h"

static void
test_schedule(void)
{
	TrainerOptim o = {.lr = 1e-3f,.min_lr = 1e-4f,.warmup = 10,.steps = 110};

	tap_ok(fabsf(trainer_lr_at(&o, 0) - 1e-4f) < 1e-9f &&
		   fabsf(trainer_lr_at(&o, 9) - 1e-3f) < 1e-9f, "warmup rises linearly to lr");
	tap_ok(fabsf(trainer_lr_at(&o, 60) - 5.5e-4f) < 1e-8f &&
		   fabsf(trainer_lr_at(&o, 110) - 1e-4f) < 1e-9f,
		   "cosine: halfway at the midpoint, min_lr at the end");
	o.linear = 1;
	tap_ok(fabsf(trainer_lr_at(&o, 35) - (1e-3f - 0.25f * 9e-4f)) < 1e-8f,
		   "linear decay a quarter of the way");
}

static void
test_clip_adamw(void)
{
	float		g[4] = {3, 4, 0, 0};
	float		norm = trainer_clip_grads(g, 4, 1.0f);
	TrainerOptim o = {.beta1 = 0.9f,.beta2 = 0.95f,.eps = 1e-8f,.weight_decay = 0.5f};
	float		p[2] = {2.0f, 2.0f};
	float		grad[2] = {0.0f, 0.0f};
	float		m[2] = {0},
				v[2] = {0};
	uint8_t		decay[2] = {1, 0};
	float		p2[1] = {1.0f};
	float		g2[1] = {-5.0f};
	float		m2[1] = {0},
				v2[1] = {0};
	uint8_t		d2[1] = {0};

	tap_ok(fabsf(norm - 5.0f) < 1e-6f && fabsf(g[0] - 0.6f) < 1e-6f && fabsf(g[1] - 0.8f) < 1e-6f,
		   "clipping returns the norm and scales to the bound");
	trainer_adamw(&o, p, grad, m, v, decay, 2, 0.1f, 1);
	tap_ok(fabsf(p[0] - 1.9f) < 1e-6f && p[1] == 2.0f,
		   "weight decay is decoupled (lr * wd * w) and skips undecayed parameters");
	trainer_adamw(&o, p2, g2, m2, v2, d2, 1, 0.1f, 1);
	tap_ok(fabsf(p2[0] - 1.1f) < 1e-5f, "first AdamW step moves by lr against the gradient");
}

/* Fills a batch with packed examples of the +7 mod 20 pattern. */
static void
pattern_batch(TrainerBatch *b, uint64_t *rng)
{
	for (int s = 0; s < b->B; s++)
		for (int t0 = 0; t0 < b->T; t0 += 16)
		{
			int			start = (int) sqlpilot_rng_below(rng, 20);

			for (int i = 0; i < 16 && t0 + i < b->T; i++)
			{
				size_t		r = (size_t) s * b->T + t0 + i;

				b->inputs[r] = 3 + (start + 7 * i) % 20;
				b->targets[r] = 3 + (start + 7 * (i + 1)) % 20;
				b->weights[r] = 1.0f;
				b->is_stmt[r] = 1;
				b->pos[r] = i;
				b->kstart[r] = t0;
			}
		}
}

static void
test_learn(void)
{
	SqlpilotConfig c = {.dim = 32,.hidden_dim = 64,.n_layers = 2,.n_heads = 4,
	.n_kv_heads = 2,.vocab_size = 300,.seq_len = 64,.tied = 1,.rope_theta = 10000.0f,
	.norm_eps = 1e-5f};
	TrainerOptim o = {.lr = 3e-3f,.min_lr = 3e-4f,.warmup = 20,.steps = 300,.beta1 = 0.9f,
	.beta2 = 0.95f,.eps = 1e-8f,.weight_decay = 0.01f,.clip = 1.0f};
	TrainerNet	net;
	TrainerBatch b;
	char		err[256];
	float	   *m;
	float	   *v;
	uint8_t    *decay;
	uint64_t	rng = 99;
	double		first = 0.0,
				last = 0.0;

	if (!tap_ok(trainer_net_init(&net, &c, 4, 64, err, sizeof(err)) == 0, "net init"))
		return;
	m = calloc(net.n_params, sizeof(float));
	v = calloc(net.n_params, sizeof(float));
	decay = malloc(net.n_params);
	trainer_decay_mask(decay, &c, &net.w, net.params);
	sqlpilot_model_init_random(&c, net.params, 3);
	trainer_batch_alloc(&b, 8, 64);
	for (long step = 0; step < o.steps; step++)
	{
		TrainerStats st = {0};

		pattern_batch(&b, &rng);
		memset(net.grads, 0, sizeof(float) * net.n_params);
		trainer_net_step(&net, &b, 0, 4, 1.0f / (8 * 64), &st);
		trainer_net_step(&net, &b, 4, 4, 1.0f / (8 * 64), &st);
		trainer_clip_grads(net.grads, net.n_params, o.clip);
		trainer_adamw(&o, net.params, net.grads, m, v, decay, net.n_params,
					  trainer_lr_at(&o, step), step + 1);
		if (step == 0)
			first = st.loss_sum / st.weight_sum;
		last = st.loss_sum / st.weight_sum;
	}
	tap_ok(first > 5.0 && last < 0.15, "300 steps on a fixed pattern: loss %.3f -> %.4f (< 0.15)",
		   first, last);
	{
		TrainerStats st = {0};

		pattern_batch(&b, &rng);
		trainer_net_step(&net, &b, 0, 4, 0.0f, &st);
		tap_ok(st.stmt_correct / st.stmt_count > 0.9,
			   "next-token accuracy on a fresh batch %.1f%% (> 90%%)",
			   100.0 * st.stmt_correct / st.stmt_count);
	}
	free(m), free(v), free(decay);
	trainer_batch_free(&b);
	trainer_net_free(&net);
}

int
main(void)
{
	test_schedule();
	test_clip_adamw();
	test_learn();
	return tap_done();
}
