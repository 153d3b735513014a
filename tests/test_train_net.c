/*
 * test_train_net.c — the trainer's whole-model loss and gradients against an
 * independent PyTorch model (tests/torch/check_grads.py, float64), for a tied
 * and an untied config on a packed batch with schema-weighted targets; and
 * micro-batching: two halves accumulate the same gradients as one batch.
 *
 * Case file handed to Python (little-endian): 9 x i32 dim, hidden, layers,
 * heads, kv heads, vocab, tied, B, T; 2 x f32 theta, eps; f32 params[n];
 * i32 inputs, targets; f32 weights; i32 pos, kstart (B*T each); f32 loss;
 * f32 grads[n].
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../trainer/train.h"
#include "util.h"
#include "../tests/tap.h"

static uint64_t rng = 7;

/* A packed batch: examples of 5..17 tokens, first third schema (weight sw), rest statement. */
static void
make_batch(TrainerBatch *b, int V, float sw)
{
	for (int s = 0; s < b->B; s++)
	{
		int			t = 0;

		while (t < b->T)
		{
			int			len = 5 + (int) sqlpilot_rng_below(&rng, 13);
			int			start = t;

			if (len > b->T - t)
				len = b->T - t;
			for (int i = 0; i < len; i++, t++)
			{
				size_t		r = (size_t) s * b->T + t;
				int			stmt = i >= len / 3;

				b->inputs[r] = (int) sqlpilot_rng_below(&rng, V);
				b->targets[r] = (int) sqlpilot_rng_below(&rng, V);
				b->weights[r] = stmt ? 1.0f : sw;
				b->is_stmt[r] = stmt;
				b->pos[r] = t - start;
				b->kstart[r] = start;
			}
		}
	}
}

static void
write_i32(FILE *f, const int *a, size_t n)
{
	fwrite(a, sizeof(int), n, f);
}

/* Runs one case through C and Python and checks loss and every gradient. */
static void
check_case(const char *label, SqlpilotConfig *c, int B, int T, float sw)
{
	char		err[256];
	TrainerNet	net;
	TrainerBatch b;
	TrainerStats st = {0};
	double		wsum = 0.0;
	char		path[] = "/tmp/sqlpilot_case_XXXXXX";
	int			fd = mkstemp(path);
	FILE	   *f;
	char		cmd[1024];
	const char *root = getenv("SQLPILOT_ROOT");
	char		line[256];
	int			ngrad = 0;
	int			gradok = 1;
	double		worst = 0.0;
	float		loss;

	if (!tap_ok(trainer_net_init(&net, c, B, T, err, sizeof(err)) == 0, "%s: net init", label))
		return;
	{
		SqlpilotRowLayout rl = {B, T, 0, T, NULL, NULL};
		size_t		scratch = sqlpilot_block_scratch_floats(c, &rl);

		tap_ok(net.xs == net.mem &&
			   (size_t) (net.scratch - net.mem) + (scratch + 15) / 16 * 16 == net.mem_floats,
			   "%s: the activations' layout starts at the allocation and ends exactly at its %zu floats",
			   label, net.mem_floats);
	}
	for (size_t i = 0; i < net.n_params; i++)
		net.params[i] = (2.0f * sqlpilot_rng_float(&rng) - 1.0f) * 0.15f;
	for (int i = 0; i < c->n_layers * c->dim; i++)
	{
		net.w.rms_att[i] += 1.0f;
		net.w.rms_ffn[i] += 1.0f;
	}
	trainer_batch_alloc(&b, B, T);
	make_batch(&b, c->vocab_size, sw);
	for (int i = 0; i < B * T; i++)
		wsum += b.weights[i];
	trainer_net_step(&net, &b, 0, B, (float) (1.0 / wsum), &st);
	loss = (float) (st.loss_sum / st.weight_sum);

	f = fdopen(fd, "wb");
	{
		int			hdr[9] = {c->dim, c->hidden_dim, c->n_layers, c->n_heads, c->n_kv_heads,
		c->vocab_size, c->tied, B, T};
		float		fl[2] = {c->rope_theta, c->norm_eps};

		write_i32(f, hdr, 9);
		fwrite(fl, sizeof(float), 2, f);
	}
	fwrite(net.params, sizeof(float), net.n_params, f);
	write_i32(f, b.inputs, B * T);
	write_i32(f, b.targets, B * T);
	fwrite(b.weights, sizeof(float), B * T, f);
	write_i32(f, b.pos, B * T);
	write_i32(f, b.kstart, B * T);
	fwrite(&loss, sizeof(float), 1, f);
	fwrite(net.grads, sizeof(float), net.n_params, f);
	fclose(f);

	snprintf(cmd, sizeof(cmd), "/usr/bin/python3 %s/tests/torch/check_grads.py %s",
			 root ? root : ".", path);
	f = popen(cmd, "r");
	while (f && fgets(line, sizeof(line), f))
	{
		double		a,
					bb;
		char		name[64];

		if (sscanf(line, "loss %lf %lf", &a, &bb) == 2)
			tap_ok(fabs(a - bb) <= 1e-5 * fabs(a), "%s: loss %.7f equals PyTorch's %.7f", label,
				   bb, a);
		else if (sscanf(line, "grad %63s %lf", name, &a) == 2)
		{
			ngrad++;
			if (a > worst)
				worst = a;
			if (!(a < 1e-4))
			{
				gradok = 0;
				tap_diag("%s: gradient of %s off by %.2e", label, name, a);
			}
		}
	}
	if (f)
		pclose(f);
	tap_ok(ngrad == (c->tied ? 11 : 12) && gradok,
		   "%s: all %d gradient tensors equal PyTorch's (worst relative error %.1e)", label,
		   ngrad, worst);
	unlink(path);

	/* micro-batches: each sequence alone accumulates the same gradients */
	if (B > 1)
	{
		float	   *g1 = malloc(sizeof(float) * net.n_params);
		TrainerStats st2 = {0};
		double		d = 0.0,
					m = 0.0;

		memcpy(g1, net.grads, sizeof(float) * net.n_params);
		memset(net.grads, 0, sizeof(float) * net.n_params);
		for (int s = 0; s < B; s++)
			trainer_net_step(&net, &b, s, 1, (float) (1.0 / wsum), &st2);
		for (size_t i = 0; i < net.n_params; i++)
		{
			if (fabsf(g1[i] - net.grads[i]) > d)
				d = fabsf(g1[i] - net.grads[i]);
			if (fabsf(g1[i]) > m)
				m = fabsf(g1[i]);
		}
		tap_ok(d <= 1e-5 * m && fabs(st2.loss_sum - st.loss_sum) < 1e-4 * st.loss_sum,
			   "%s: %d micro-batches of one sequence give the batch's gradients (%.1e)",
			   label, B, d / m);
		free(g1);
	}
	trainer_batch_free(&b);
	trainer_net_free(&net);
}

int
main(void)
{
	SqlpilotConfig c = {.dim = 32,.hidden_dim = 48,.n_layers = 2,.n_heads = 4,
	.n_kv_heads = 2,.vocab_size = 300,.seq_len = 64,.tied = 1,.rope_theta = 10000.0f,
	.norm_eps = 1e-5f};

	check_case("tied GQA", &c, 2, 48, 0.0f);
	c.tied = 0;
	c.n_kv_heads = 4;
	check_case("untied MHA, schema weight 0.25", &c, 3, 70, 0.25f);
	return tap_done();
}
