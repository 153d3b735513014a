/*
 * bench_train.c — training speed of the C trainer on one preset:
 *   bench_train PRESET T B MICRO STEPS [CASE_FILE]
 * PRESET is a preset name (260K, 15M, 42M) or a custom size
 * DIMxHIDDENxLAYERSxHEADSxKVHEADS (the default model: 128x352x6x8x4).
 * Runs STEPS full optimizer steps (forward, backward, clipping, AdamW) on a
 * fixed packed batch of B sequences of T tokens (examples of 64..256 tokens,
 * the last 40% of each weighted like a statement), timing all but the first,
 * and prints one "RESULT" line: tokens/s, useful GFLOP/s, the gemm path
 * (core/gemm.h; SQLPILOT_GEMM=openblas runs OpenBLAS) and its GFLOP/s
 * measured in the same process on a model shape, peak RSS, and the losses of
 * the first two steps (the second shows that backward and AdamW agree too).
 * With CASE_FILE it first writes config, initial weights and the batch in the
 * format of tests/torch/llama_ref.py read_case, so bench/bench_train.py can
 * train the very same model on the very same batch in PyTorch.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "../trainer/train.h"
#include "gemm.h"
#include "gemm_openblas.h"
#include "util.h"

/* Fills b with packed synthetic examples (deterministic). */
static void
bench_batch(TrainerBatch *b, int V)
{
	uint64_t	rng = 12345;

	for (int s = 0; s < b->B; s++)
	{
		int			t = 0;

		while (t < b->T)
		{
			int			len = 64 + (int) sqlpilot_rng_below(&rng, 193);
			int			start = t;

			if (len > b->T - t)
				len = b->T - t;
			for (int i = 0; i < len; i++, t++)
			{
				size_t		r = (size_t) s * b->T + t;
				int			stmt = i >= len * 6 / 10;

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

/* Fills c from a preset name or DIMxHIDDENxLAYERSxHEADSxKVHEADS; -1 if neither. */
static int
bench_config(const char *name, SqlpilotConfig *c)
{
	char		err[256];

	if (sqlpilot_config_preset(name, c) == 0)
		return 0;
	if (sqlpilot_config_preset("260K", c) != 0 ||
		sscanf(name, "%dx%dx%dx%dx%d", &c->dim, &c->hidden_dim, &c->n_layers,
			   &c->n_heads, &c->n_kv_heads) != 5)
		return -1;
	return sqlpilot_config_validate(c, err, sizeof(err)) == 0 ? 0 : -1;
}

/* Useful FLOPs of one training step: 6 x (matmul MACs) + attention over the visible keys. */
static double
step_flops(const SqlpilotConfig *c, const TrainerBatch *b)
{
	double		C = c->dim,
				H = c->hidden_dim,
				HS = C / c->n_heads;
	double		QD = c->n_heads * HS,
				KVD = c->n_kv_heads * HS;
	double		per_row = c->n_layers * (2 * C * QD + 2 * C * KVD + 3 * C * H);
	double		rows = (double) b->B * b->T;
	double		sel = 0,
				vis = 0;

	for (size_t r = 0; r < (size_t) b->B * b->T; r++)
	{
		sel += b->weights[r] > 0.0f;
		vis += (double) (r % b->T) - b->kstart[r] + 1;
	}
	/* attention: 2 products of 2*HS flops per (query, key, head) forward, twice that backward */
	return 6.0 * per_row * rows + 6.0 * sel * c->vocab_size * C +
		3.0 * 4.0 * HS * c->n_heads * vis * c->n_layers;
}

/* CPU seconds of this process (other processes on the box do not count). */
static double
cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* GFLOP/s of the trainer's sgemm (sqlpilot_gemm, path in use) on an (M x K) x (K x N) product. */
static double
sgemm_gflops(int M, int N, int K)
{
	float	   *a = calloc((size_t) M * K, sizeof(float));
	float	   *b = calloc((size_t) K * N, sizeof(float));
	float	   *c = calloc((size_t) M * N, sizeof(float));
	double		t0;
	int			reps = 0;

	sqlpilot_gemm(false, true, M, N, K, 1, a, K, b, K, 0, c, N);
	t0 = sqlpilot_now();
	while (sqlpilot_now() - t0 < 0.5)
	{
		sqlpilot_gemm(false, true, M, N, K, 1, a, K, b, K, 0, c, N);
		reps++;
	}
	t0 = sqlpilot_now() - t0;
	free(a), free(b), free(c);
	return 2.0 * M * N * K * reps / t0 / 1e9;
}

/* Writes the case file read by llama_ref.read_case (without loss and gradients). */
static int
write_case(const char *path, const SqlpilotConfig *c, const TrainerNet *n, const TrainerBatch *b)
{
	FILE	   *f = fopen(path, "wb");
	int			hdr[9] = {c->dim, c->hidden_dim, c->n_layers, c->n_heads, c->n_kv_heads,
	c->vocab_size, c->tied, b->B, b->T};
	float		fl[2] = {c->rope_theta, c->norm_eps};
	size_t		N = (size_t) b->B * b->T;

	if (!f)
		return -1;
	fwrite(hdr, sizeof(int), 9, f);
	fwrite(fl, sizeof(float), 2, f);
	fwrite(n->params, sizeof(float), n->n_params, f);
	fwrite(b->inputs, sizeof(int), N, f);
	fwrite(b->targets, sizeof(int), N, f);
	fwrite(b->weights, sizeof(float), N, f);
	fwrite(b->pos, sizeof(int), N, f);
	fwrite(b->kstart, sizeof(int), N, f);
	return fclose(f);
}

int
main(int argc, char **argv)
{
	SqlpilotConfig c;
	TrainerNet	netbuf;
	TrainerNet *net = &netbuf;
	TrainerBatch b;
	TrainerOptim o = {.lr = 1e-3f,.min_lr = 1e-3f,.steps = 1000,.beta1 = 0.9f,.beta2 = 0.95f,
	.eps = 1e-8f,.weight_decay = 0.0f,.clip = 1.0f};
	char		err[256];
	int			T,
				B,
				micro,
				steps;
	float	   *m,
			   *v;
	uint8_t    *decay;
	double		wsum = 0.0,
				t0 = 0.0,
				loss0 = 0.0,
				loss1 = 0.0,
				c0 = 0.0;
	struct rusage ru;

	if (argc < 6 || bench_config(argv[1], &c) != 0)
	{
		fprintf(stderr, "usage: bench_train PRESET T B MICRO STEPS [CASE_FILE]\n");
		return 2;
	}
	sqlpilot_gemm_set_blas(sqlpilot_gemm_openblas);
	/* SQLPILOT_TRAIN_THREADS=2: the matrix products in two threads (sqlpilot train --threads) */
	if (getenv("SQLPILOT_TRAIN_THREADS") &&
		sqlpilot_gemm_set_threads(atoi(getenv("SQLPILOT_TRAIN_THREADS"))) != 0)
		return 2;
	T = atoi(argv[2]);
	B = atoi(argv[3]);
	micro = atoi(argv[4]);
	steps = atoi(argv[5]);
	c.seq_len = T;
	if (trainer_net_init(net, &c, micro, T, err, sizeof(err)) != 0 ||
		trainer_batch_alloc(&b, B, T) != 0)
	{
		fprintf(stderr, "bench_train: %s\n", err);
		return 1;
	}
	m = calloc(net->n_params, sizeof(float));
	v = calloc(net->n_params, sizeof(float));
	decay = malloc(net->n_params);
	memset(decay, 0, net->n_params);
	sqlpilot_model_init_random(&c, net->params, 1);
	bench_batch(&b, c.vocab_size);
	if (argc > 6 && write_case(argv[6], &c, net, &b) != 0)
	{
		fprintf(stderr, "bench_train: cannot write %s\n", argv[6]);
		return 1;
	}
	for (int i = 0; i < B * T; i++)
		wsum += b.weights[i];
	for (int step = 0; step < steps; step++)
	{
		TrainerStats st = {0};

		if (step == 1)
		{
			t0 = sqlpilot_now();
			c0 = cpu_now();
		}
		memset(net->grads, 0, sizeof(float) * net->n_params);
		for (int s = 0; s < B; s += micro)
			trainer_net_step(net, &b, s, B - s < micro ? B - s : micro, (float) (1.0 / wsum), &st);
		trainer_clip_grads(net->grads, net->n_params, o.clip);
		trainer_adamw(&o, net->params, net->grads, m, v, decay, net->n_params, o.lr, step + 1);
		if (step == 0)
			loss0 = st.loss_sum / wsum;
		if (step == 1)
			loss1 = st.loss_sum / wsum;
	}
	t0 = sqlpilot_now() - t0;
	c0 = cpu_now() - c0;
	getrusage(RUSAGE_SELF, &ru);
	printf("RESULT impl=c preset=%s T=%d B=%d micro=%d steps=%d params=%zu tok_s=%.1f "
		   "gflops=%.2f gflops_cpu=%.2f gemm=%s sgemm_gflops=%.2f maxrss_mb=%.1f loss_first=%.6f loss_second=%.6f\n",
		   argv[1], T, B, micro, steps, net->n_params, (double) B * T * (steps - 1) / t0,
		   step_flops(&c, &b) * (steps - 1) / t0 / 1e9,
		   step_flops(&c, &b) * (steps - 1) / c0 / 1e9, sqlpilot_gemm_path(),
		   sgemm_gflops(micro * T, c.hidden_dim, c.dim), ru.ru_maxrss / 1024.0, loss0, loss1);
	free(m), free(v), free(decay);
	trainer_batch_free(&b);
	trainer_net_free(net);
	return 0;
}
