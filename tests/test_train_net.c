/*
 * test_train_net.c — the trainer's whole-model loss and gradients against an
 * independent PyTorch model (tests/torch/check_grads.py, float64), for a tied
 * and an untied config on a packed batch with schema-weighted targets; and
 * micro-batching: two halves accumulate the same gradients as one batch;
 * schema packing (trainer_loader_fill, trainer_net_step_packed: the
 * block's row-wise phases over all rows of a micro-batch, attention per
 * segment): the same loss and gradients as the examples run one by one, and
 * PyTorch's with the packed rows' attention mask, for small heads and for
 * heads of 64 (sgemm attention).
 *
 * Case file handed to Python (little-endian): 9 x i32 dim, hidden, layers,
 * heads, kv heads, vocab, tied, B, T; 2 x f32 theta, eps; f32 params[n];
 * i32 inputs, targets; f32 weights; i32 pos, kstart (B*T each); f32 loss;
 * f32 grads[n]; packed cases then i32 pre_lo, pre_hi (B*T each): rows a row
 * sees besides [kstart, itself].
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

/*
 * Writes a case (the format at the top) and checks PyTorch's loss and
 * gradients against the C ones; pre (2 x B*T: visible prefix [lo, hi) of
 * each row) or NULL.
 */
static void
run_torch(const char *label, const SqlpilotConfig *c, const float *params, size_t n_params,
		  const TrainerBatch *b, int B, int T, const int *pre, float loss, const float *grads)
{
	char		path[] = "/tmp/sqlpilot_case_XXXXXX";
	int			fd = mkstemp(path);
	FILE	   *f;
	char		cmd[1024];
	const char *root = getenv("SQLPILOT_ROOT");
	char		line[256];
	int			ngrad = 0;
	int			gradok = 1;
	double		worst = 0.0;

	f = fdopen(fd, "wb");
	{
		int			hdr[9] = {c->dim, c->hidden_dim, c->n_layers, c->n_heads, c->n_kv_heads,
		c->vocab_size, c->tied, B, T};
		float		fl[2] = {c->rope_theta, c->norm_eps};

		write_i32(f, hdr, 9);
		fwrite(fl, sizeof(float), 2, f);
	}
	fwrite(params, sizeof(float), n_params, f);
	write_i32(f, b->inputs, B * T);
	write_i32(f, b->targets, B * T);
	fwrite(b->weights, sizeof(float), B * T, f);
	write_i32(f, b->pos, B * T);
	write_i32(f, b->kstart, B * T);
	fwrite(&loss, sizeof(float), 1, f);
	fwrite(grads, sizeof(float), n_params, f);
	if (pre)
		write_i32(f, pre, 2 * (size_t) B * T);
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

	run_torch(label, c, net.params, net.n_params, &b, B, T, NULL, loss, net.grads);

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

/*
 * A shard of prompts (BOS, schema tokens) each followed by statements: group
 * sizes 3, 1, 4 then the first prompt again (not adjacent: its own group),
 * and one example longer than T rows that both loaders skip.
 */
static void
make_shard(TrainerShard *sh, int V, int T)
{
	static const int prompt_len[] = {10, 16, 7, 10, 40};
	static const int n_stmts[] = {3, 1, 4, 2, 1};
	uint16_t	prompts[5][40];
	size_t		cap = 1024;

	memset(sh, 0, sizeof(*sh));
	sh->tokens = malloc(sizeof(uint16_t) * cap);
	sh->mask = malloc(cap);
	sh->offsets = malloc(sizeof(uint64_t) * 16);
	for (int p = 0; p < 5; p++)
		for (int i = 0; i < prompt_len[p]; i++)
			prompts[p][i] = i == 0 ? SQLPILOT_TOKEN_BOS : (uint16_t) (3 + sqlpilot_rng_below(&rng, V - 3));
	memcpy(prompts[3], prompts[0], sizeof(prompts[0]));
	for (int p = 0; p < 5; p++)
		for (int k = 0; k < n_stmts[p]; k++)
		{
			int			m = p == 4 ? T : 2 + (int) sqlpilot_rng_below(&rng, 8);

			sh->offsets[sh->n_examples++] = sh->n_tokens;
			for (int i = 0; i < prompt_len[p] + m; i++)
			{
				int			stmt = i >= prompt_len[p];

				sh->tokens[sh->n_tokens] = stmt ? (uint16_t) (3 + sqlpilot_rng_below(&rng, V - 3)) :
					prompts[p][i];
				sh->mask[sh->n_tokens++] = i == 0 ? TRAINER_MASK_NONE :
					stmt ? TRAINER_MASK_STMT : TRAINER_MASK_SCHEMA;
			}
		}
	sh->offsets[sh->n_examples] = sh->n_tokens;
}

/* max |a - b| / max |a| over n values. */
static double
rel_diff(const float *a, const float *b, size_t n)
{
	double		d = 0.0,
				m = 1e-30;

	for (size_t i = 0; i < n; i++)
	{
		d = fmax(d, fabsf(a[i] - b[i]));
		m = fmax(m, fabsf(a[i]));
	}
	return d / m;
}

/*
 * Schema packing: the packed batch (one fill, and fills of one sequence
 * each, which split a group) gives the loss, statistics and gradients of the
 * same examples in their own sequences; and the packed batch equals PyTorch
 * run on its rows with the visible prefixes as an attention mask.
 */
static void
check_packed(const char *label, SqlpilotConfig *c, float sw)
{
	const int	T = 32;
	const int	B = 8;
	char		err[256];
	char		lab[160];
	TrainerShard sh;
	TrainerNet	net;
	TrainerBatch b;
	TrainerLoader l;
	TrainerStats su = {0};
	TrainerStats sp = {0};
	TrainerStats sp2 = {0};
	float	   *gu;
	float	   *gp;
	double		wsum = 0.0;
	int			used;
	int		   *pre;

	make_shard(&sh, c->vocab_size, T);
	if (!tap_ok(trainer_net_init(&net, c, B, T, err, sizeof(err)) == 0, "%s: net init", label))
		return;
	for (size_t i = 0; i < net.n_params; i++)
		net.params[i] = (2.0f * sqlpilot_rng_float(&rng) - 1.0f) * 0.15f;
	for (int i = 0; i < c->n_layers * c->dim; i++)
	{
		net.w.rms_att[i] += 1.0f;
		net.w.rms_ffn[i] += 1.0f;
	}
	trainer_batch_alloc(&b, B, T);
	gu = calloc(net.n_params, sizeof(float));
	gp = calloc(net.n_params, sizeof(float));

	/* unpacked: every example in its own rows (kstart), one pass */
	trainer_loader_init(&l, &sh, 0, 0);
	l.one_pass = 1;
	for (int s = 0; s < B; s++)
		trainer_loader_next(&l, &b, s, sw);
	tap_ok(trainer_loader_done(&l), "%s: the unpacked examples fit in %d sequences", label, B);
	trainer_loader_free(&l);
	for (int i = 0; i < B * T; i++)
		wsum += b.weights[i];
	trainer_net_step(&net, &b, 0, B, (float) (1.0 / wsum), &su);
	memcpy(gu, net.grads, sizeof(float) * net.n_params);

	/* packed, all in one fill */
	memset(net.grads, 0, sizeof(float) * net.n_params);
	trainer_loader_init(&l, &sh, 0, 0);
	l.one_pass = 1;
	tap_ok(trainer_loader_pack(&l) == 0 && l.n_groups == 5,
		   "%s: adjacent examples with one prompt form 5 groups", label);
	b.n_segs = 0;
	used = trainer_loader_fill(&l, &b, 0, B * T, sw);
	tap_ok(trainer_loader_done(&l) && b.n_segs == 4 + 10 && b.segs[1].prefix == 0 &&
		   b.segs[1].prefix_rows == 9 && b.segs[1].row0 == 9,
		   "%s: one fill packs 4 schemas and 10 statements (the long example skipped)", label);
	{
		double		w = 0.0;

		for (int i = 0; i < B * T; i++)
			w += b.weights[i];
		tap_ok(fabs(w - wsum) <= 1e-6 * wsum, "%s: packed weights sum as unpacked (%.3f, %.3f)",
			   label, w, wsum);
	}
	trainer_net_step_packed(&net, &b, 0, b.n_segs, (float) (1.0 / wsum), &sp);
	tap_ok(fabs(sp.loss_sum - su.loss_sum) <= 1e-5 * su.loss_sum &&
		   fabs(sp.weight_sum - su.weight_sum) <= 1e-6 * su.weight_sum &&
		   sp.stmt_count == su.stmt_count && sp.stmt_correct == su.stmt_correct &&
		   fabs(sp.stmt_loss_sum - su.stmt_loss_sum) <= 1e-5 * su.stmt_loss_sum,
		   "%s: packed loss %.6f equals unpacked %.6f (%.0f statement targets, %d of %d rows)",
		   label, sp.loss_sum / sp.weight_sum, su.loss_sum / su.weight_sum, sp.stmt_count,
		   used, B * T);
	tap_ok(rel_diff(gu, net.grads, net.n_params) <= 1e-5,
		   "%s: packed gradients equal unpacked (relative %.1e)", label,
		   rel_diff(gu, net.grads, net.n_params));
	memcpy(gp, net.grads, sizeof(float) * net.n_params);

	/* PyTorch on the packed rows: each statement row sees its schema and itself */
	pre = malloc(sizeof(int) * 2 * used);
	for (int i = 0; i < 2 * used; i++)
		pre[i] = 0;
	for (int g = 0; g < b.n_segs; g++)
		for (int r = b.segs[g].row0; r < b.segs[g].row0 + b.segs[g].rows; r++)
		{
			b.kstart[r] = b.segs[g].row0;
			if (b.segs[g].prefix >= 0)
			{
				pre[r] = b.segs[g].prefix;
				pre[used + r] = b.segs[g].prefix + b.segs[g].prefix_rows;
			}
		}
	snprintf(lab, sizeof(lab), "%s, packed vs PyTorch", label);
	run_torch(lab, c, net.params, net.n_params, &b, 1, used, pre,
			  (float) (sp.loss_sum / sp.weight_sum), gp);
	free(pre);
	trainer_loader_free(&l);

	/* packed, one sequence per fill: groups split across micro-batches */
	memset(net.grads, 0, sizeof(float) * net.n_params);
	trainer_loader_init(&l, &sh, 0, 0);
	l.one_pass = 1;
	trainer_loader_pack(&l);
	for (int s = 0; s < B && !trainer_loader_done(&l); s++)
	{
		int			first = b.n_segs = 0;

		trainer_loader_fill(&l, &b, 0, T, sw);
		trainer_net_step_packed(&net, &b, first, b.n_segs, (float) (1.0 / wsum), &sp2);
	}
	tap_ok(fabs(sp2.loss_sum - su.loss_sum) <= 1e-5 * su.loss_sum &&
		   rel_diff(gu, net.grads, net.n_params) <= 1e-5,
		   "%s: fills of one sequence (groups split) give the same loss and gradients (%.1e)",
		   label, rel_diff(gu, net.grads, net.n_params));
	trainer_loader_free(&l);

	free(gu);
	free(gp);
	free(sh.tokens);
	free(sh.mask);
	free(sh.offsets);
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
	check_packed("schema-packed untied MHA, schema weight 0.25", &c, 0.25f);
	c.tied = 1;
	c.n_kv_heads = 2;
	check_packed("schema-packed tied GQA", &c, 0.0f);
	/* heads of 64: attention through sgemm with stored probabilities */
	c.dim = 128;
	c.n_heads = 2;
	c.n_kv_heads = 1;
	check_packed("schema-packed tied MQA, heads of 64", &c, 0.0f);
	return tap_done();
}
