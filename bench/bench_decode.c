/*
 * bench_decode.c — single-token decode speed of core/infer.c for each
 * preset with random weights, side by side with the plain-C reference loop of
 * core/reference.c in the same run, plus batched prefill speed and
 * the time to load + verify a model file.  One thread; prefill runs on
 * core/gemm.c (SQLPILOT_GEMM=openblas runs it on the serial OpenBLAS).
 *
 *   build/bench/bench_decode [--out bench/results/decode.md] [--tokens N]
 *
 * Decode is measured from position 0 over N tokens (default 256); the naive
 * loop runs the same positions.  "decode @386" is 16 tokens after a
 * 386-token prompt (the extension's benchmark prompt), where attention over
 * the cached keys weighs more.  The kernel columns time one pass of
 * sqlpilot_matvec (core/matvec.c) and of OpenBLAS sgemv over all of a
 * preset's weight matrices, as GB/s of weights streamed.  Speeds are tokens per second of this
 * thread's CPU time (so other processes time-slicing the two vCPUs do not
 * count; a busy SMT sibling still slows it), with the wall-clock decode
 * speed beside them.  Results go to stdout and, as a Markdown table, to the
 * --out file.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cblas.h>

#include "gemm.h"
#include "gemm_openblas.h"
#include "infer.h"
#include "matvec.h"
#include "reference.h"
#include "util.h"

/* Prompt length of the long-context decode column (bench_extension.sh's prompt). */
#define LONG_PROMPT 386

typedef struct Result
{
	const char *preset;
	const char *dtype;			/* weights as run: "f32" in memory, "f16" from a mapped f16 file */
	size_t		params;
	int			tokens;
	double		decode_tps;
	double		decode_wall_tps;
	double		long_tps;
	double		naive_tps;
	double		matvec_gbs;
	double		sgemv_gbs;
	double		prefill_tps;
	double		load_ms;
	size_t		file_bytes;
} Result;

/* CPU time of this thread in seconds. */
static double
cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/*
 * Best-of-5 decode tokens/s (CPU time) over positions 0..n-1 with the KV
 * cache; *wall gets the best wall-clock speed.
 */
static double
bench_ours(SqlpilotRunState *s, const int *ids, int n, double *wall)
{
	double		best = 0.0;

	*wall = 0.0;
	for (int rep = 0; rep < 5; rep++)
	{
		double		t0 = sqlpilot_now(),
					c0 = cpu_now();

		sqlpilot_infer_truncate(s, 0);
		sqlpilot_infer_feed(s, ids, 1);
		for (int t = 1; t < n; t++)
			sqlpilot_infer_step(s, ids[t]);
		c0 = cpu_now() - c0;
		t0 = sqlpilot_now() - t0;
		if (n / c0 > best)
			best = n / c0;
		if (n / t0 > *wall)
			*wall = n / t0;
	}
	return best;
}

/*
 * Best-of-20 tokens/s (CPU time) of 16 decode steps after a prompt of p
 * tokens (ids must hold p + 16).
 */
static double
bench_long(SqlpilotRunState *s, const int *ids, int p)
{
	double		best = 0.0;

	sqlpilot_infer_feed(s, ids, p);
	for (int rep = 0; rep < 20; rep++)
	{
		double		c0;

		sqlpilot_infer_truncate(s, p);
		c0 = cpu_now();
		for (int t = 0; t < 16; t++)
			sqlpilot_infer_step(s, ids[p + t]);
		c0 = cpu_now() - c0;
		if (16 / c0 > best)
			best = 16 / c0;
	}
	return best;
}

/*
 * GB/s (CPU time, best of 5) of one pass over every weight matrix of the
 * model, one row each, through sqlpilot_matvec (blas 0) or cblas_sgemv (1);
 * matrices held as halves always go through sqlpilot_matvec_f16.
 */
static double
bench_kernel(const SqlpilotConfig *c, const SqlpilotWeights *w, int blas)
{
	int			C = c->dim;
	int			H = c->hidden_dim;
	int			KVD = c->n_kv_heads * (C / c->n_heads);
	float	   *x = calloc((size_t) (H > c->vocab_size ? H : c->vocab_size), sizeof(float));
	float	   *y = calloc((size_t) (H > c->vocab_size ? H : c->vocab_size), sizeof(float));
	double		best = 0.0;

	for (int i = 0; i < H; i++)
		x[i] = 0.01f * (float) (i % 7);
	for (int rep = 0; rep < 5; rep++)
	{
		double		bytes = 0.0;
		double		c0 = cpu_now();

		for (int l = 0; l < c->n_layers + 1; l++)
		{
			SqlpilotLayerWeights lw;
			const float *mats[7];
			const uint16_t *halves[7];
			int			rows[7] = {C, KVD, KVD, C, H, H, C};
			int			cols[7] = {C, C, C, C, C, C, H};
			int			nm = 7;

			if (l == c->n_layers)
			{
				mats[0] = w->wcls;
				halves[0] = w->half.wcls;
				rows[0] = c->vocab_size;
				cols[0] = C;
				nm = 1;
			}
			else
			{
				sqlpilot_layer_weights(&lw, w, c, l);
				mats[0] = lw.wq;
				mats[1] = lw.wk;
				mats[2] = lw.wv;
				mats[3] = lw.wo;
				mats[4] = lw.w1;
				mats[5] = lw.w3;
				mats[6] = lw.w2;
				halves[0] = lw.wq_half;
				halves[1] = lw.wk_half;
				halves[2] = lw.wv_half;
				halves[3] = lw.wo_half;
				halves[4] = lw.w1_half;
				halves[5] = lw.w3_half;
				halves[6] = lw.w2_half;
			}
			for (int m = 0; m < nm; m++)
			{
				if (!mats[m] && blas)
				{
					free(x);
					free(y);
					return 0.0;	/* no BLAS peer for halves: the table prints "-" */
				}
				if (!mats[m])
				{
					sqlpilot_matvec_f16(y, halves[m], x, rows[m], cols[m]);
					bytes += 2.0 * rows[m] * cols[m];
					continue;
				}
				if (blas)
					cblas_sgemv(CblasRowMajor, CblasNoTrans, rows[m], cols[m], 1.0f,
								mats[m], cols[m], x, 1, 0.0f, y, 1);
				else
					sqlpilot_matvec(y, mats[m], x, rows[m], cols[m]);
				bytes += 4.0 * rows[m] * cols[m];
			}
		}
		c0 = cpu_now() - c0;
		if (bytes / c0 / 1e9 > best)
			best = bytes / c0 / 1e9;
	}
	free(x);
	free(y);
	return best;
}

/* Naive reference tokens/s over the same positions (one run). */
static double
bench_naive(const SqlpilotConfig *c, const SqlpilotWeights *w, const int *ids, int n)
{
	SqlpilotReferenceRun r;
	double		t0;

	if (sqlpilot_reference_init(&r, c, w) != 0)
	{
		fprintf(stderr, "bench_decode: out of memory\n");
		exit(1);
	}
	t0 = cpu_now();
	for (int t = 0; t < n; t++)
		sqlpilot_reference_forward(&r, ids[t], t);
	t0 = cpu_now() - t0;
	sqlpilot_reference_free(&r);
	return n / t0;
}

/* Best-of-3 prefill tokens/s of an n-token prompt in one feed. */
static double
bench_prefill(SqlpilotRunState *s, const int *ids, int n)
{
	double		best = 0.0;

	for (int rep = 0; rep < 3; rep++)
	{
		double		t0;

		sqlpilot_infer_truncate(s, 0);
		t0 = cpu_now();
		sqlpilot_infer_feed(s, ids, n);
		t0 = cpu_now() - t0;
		if (n / t0 > best)
			best = n / t0;
	}
	return best;
}

/* Times the best of 3 loads (mmap + verify) of the model file at path. */
static double
bench_load(const char *path, size_t *bytes)
{
	char		err[512];
	double		best = 1e9;

	for (int rep = 0; rep < 3; rep++)
	{
		SqlpilotModel m;
		double		t0 = sqlpilot_now();

		if (sqlpilot_model_load(&m, path, err, sizeof(err)) != 0)
		{
			fprintf(stderr, "bench_decode: %s\n", err);
			break;
		}
		t0 = sqlpilot_now() - t0;
		*bytes = m.map_len;
		sqlpilot_model_free(&m);
		if (t0 < best)
			best = t0;
	}
	return best * 1e3;
}

/* Decode, long-context decode, kernel and prefill speeds of one weight format. */
static void
bench_format(Result *r, const SqlpilotConfig *c, const SqlpilotWeights *w, const int *ids,
			 int n_tokens)
{
	SqlpilotRunState s;
	char		err[256];

	if (sqlpilot_runstate_init(&s, c, w, err, sizeof(err)) != 0)
	{
		fprintf(stderr, "bench_decode: %s\n", err);
		exit(1);
	}
	r->params = sqlpilot_param_count(c);
	r->tokens = n_tokens;
	r->decode_tps = bench_ours(&s, ids, n_tokens, &r->decode_wall_tps);
	r->long_tps = bench_long(&s, ids, c->seq_len >= LONG_PROMPT + 16 ?
							 LONG_PROMPT : c->seq_len - 16);
	r->matvec_gbs = bench_kernel(c, w, 0);
	r->sgemv_gbs = bench_kernel(c, w, 1);
	r->prefill_tps = bench_prefill(&s, ids, n_tokens);
	sqlpilot_runstate_free(&s);
}

/* One result row on stdout. */
static void
print_result(const Result *r)
{
	char		sgemv[32] = "    -";

	if (r->sgemv_gbs > 0.0)
		snprintf(sgemv, sizeof(sgemv), "%5.1f", r->sgemv_gbs);
	printf("%-5s %s %9zu params  decode %8.0f tok/s (wall %8.0f, @%d %8.0f)  naive %7.0f tok/s  (%.1fx)  "
		   "matvec %5.1f GB/s sgemv %s GB/s  prefill %8.0f tok/s  load %.2f ms (%zu bytes)\n",
		   r->preset, r->dtype, r->params, r->decode_tps, r->decode_wall_tps, LONG_PROMPT,
		   r->long_tps, r->naive_tps, r->decode_tps / r->naive_tps,
		   r->matvec_gbs, sgemv, r->prefill_tps, r->load_ms, r->file_bytes);
	fflush(stdout);
}

/* The 1-minute load average of the box (other work inflates every number here). */
static double
load_average(void)
{
	FILE	   *f = fopen("/proc/loadavg", "r");
	double		l = -1.0;

	if (f)
	{
		if (fscanf(f, "%lf", &l) != 1)
			l = -1.0;
		fclose(f);
	}
	return l;
}

/*
 * Fills c for a preset name, or for "default" the shipped default model's
 * size (models/MODEL.md: dim 128, hidden 352, 6 layers, 8 heads, 4 kv heads).
 */
static void
bench_config(const char *name, SqlpilotConfig *c)
{
	if (strcmp(name, "default") != 0)
	{
		sqlpilot_config_preset(name, c);
		return;
	}
	sqlpilot_config_preset("260K", c);
	c->dim = 128;
	c->hidden_dim = 352;
	c->n_layers = 6;
	c->n_heads = 8;
	c->n_kv_heads = 4;
}

int
main(int argc, char **argv)
{
	const char *presets[] = {"260K", "default", "15M", "42M"};
	const char *out_path = "bench/results/decode.md";
	int			n_tokens = 256;
	Result		res[8];
	FILE	   *f;
	double		load_before = load_average();

	sqlpilot_gemm_set_blas(sqlpilot_gemm_openblas);
	for (int i = 1; i < argc; i++)
	{
		if (strcmp(argv[i], "--out") == 0 && i + 1 < argc)
			out_path = argv[++i];
		else if (strcmp(argv[i], "--tokens") == 0 && i + 1 < argc)
			n_tokens = atoi(argv[++i]);
		else
		{
			fprintf(stderr, "usage: bench_decode [--out FILE] [--tokens N]\n");
			return 2;
		}
	}
	if (n_tokens < 2 || n_tokens > 512)
	{
		fprintf(stderr, "bench_decode: --tokens must be 2..512\n");
		return 2;
	}
	for (int p = 0; p < 4; p++)
	{
		SqlpilotConfig c;
		SqlpilotWeights w;
		SqlpilotModel m;
		Result	   *r32 = &res[2 * p],
				   *r16 = &res[2 * p + 1];
		float	   *params;
		int			ids[512];		/* >= --tokens and LONG_PROMPT + 16 */
		uint64_t	rng = 7;
		char		path[128],
					err[512];

		bench_config(presets[p], &c);
		params = malloc(sqlpilot_param_count(&c) * sizeof(float));
		sqlpilot_model_init_random(&c, params, 1);
		sqlpilot_weights_map(&w, &c, params);
		for (int i = 0; i < 512; i++)
			ids[i] = (int) sqlpilot_rng_below(&rng, (uint64_t) c.vocab_size);

		/* fp32 weights in memory; the naive loop runs on them once for both rows. */
		r32->preset = r16->preset = presets[p];
		r32->dtype = "f32";
		r16->dtype = "f16";
		bench_format(r32, &c, &w, ids, n_tokens);
		r32->naive_tps = r16->naive_tps = bench_naive(&c, &w, ids, n_tokens);
		snprintf(path, sizeof(path), "/tmp/sqlpilot_bench_%d.bin", (int) getpid());
		if (sqlpilot_model_save(path, &c, params, NULL, SQLPILOT_DTYPE_F32, err, sizeof(err)) != 0)
		{
			fprintf(stderr, "bench_decode: %s\n", err);
			return 1;
		}
		r32->load_ms = bench_load(path, &r32->file_bytes);
		print_result(r32);

		/* The same weights as an f16 file, run from its mapping as shipped models are. */
		if (sqlpilot_model_save(path, &c, params, NULL, SQLPILOT_DTYPE_F16, err, sizeof(err)) != 0 ||
			sqlpilot_model_load(&m, path, err, sizeof(err)) != 0)
		{
			fprintf(stderr, "bench_decode: %s\n", err);
			return 1;
		}
		bench_format(r16, &m.config, &m.weights, ids, n_tokens);
		sqlpilot_model_free(&m);
		r16->load_ms = bench_load(path, &r16->file_bytes);
		unlink(path);
		print_result(r16);
		free(params);
	}

	f = fopen(out_path, "w");
	if (!f)
	{
		perror(out_path);
		return 1;
	}
	fprintf(f, "# Decode benchmark (bench/bench_decode.c)\n\n");
	fprintf(f, "One thread, matvec kernel: %s, prefill gemm path: %s, random weights, vocab 512, positions 0..%d, "
			"best of 5 for ours, one run of the naive loop (core/reference.c, "
			"plain C like llama2.c run.c) in the same process.  tok/s are per second of "
			"the thread's CPU time (wall-clock decode beside it: other processes on the "
			"box inflate it).  Weights f32: the fp32 parameters in memory; f16: the same "
			"weights saved as an f16 model file and run from its mapping (decode reads "
			"halves through sqlpilot_matvec_f16, prefill runs sqlpilot_gemm_f16, which widens "
			"halves while it packs them), as the shipped default model is.  Load = mmap + XXH64 verify of the "
			"model file in the page cache (wall clock).  decode @%d: 16 tokens after a %d-token prompt.  "
			"matvec / sgemv: GB/s of one single-row pass over all weight matrices "
			"(sqlpilot_matvec, or sqlpilot_matvec_f16 for f16, vs cblas_sgemv, which has no "
			"half-precision form; GB/s of the bytes each streams).\n\n", sqlpilot_matvec_kernel(),
			sqlpilot_gemm_path(), n_tokens - 1,
			LONG_PROMPT, LONG_PROMPT);
	fprintf(f, "| preset | weights | params | decode tok/s | decode tok/s (wall) | decode @%d tok/s | naive tok/s | speedup | matvec GB/s | sgemv GB/s | prefill tok/s (%d-token prompt) | load ms | file bytes |\n",
			LONG_PROMPT, n_tokens);
	fprintf(f, "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
	for (int p = 0; p < 8; p++)
	{
		char		sgemv[32] = "-";

		if (res[p].sgemv_gbs > 0.0)
			snprintf(sgemv, sizeof(sgemv), "%.1f", res[p].sgemv_gbs);
		fprintf(f, "| %s | %s | %zu | %.0f | %.0f | %.0f | %.0f | %.1fx | %.1f | %s | %.0f | %.2f | %zu |\n",
				res[p].preset, res[p].dtype, res[p].params, res[p].decode_tps, res[p].decode_wall_tps,
				res[p].long_tps, res[p].naive_tps, res[p].decode_tps / res[p].naive_tps,
				res[p].matvec_gbs, sgemv, res[p].prefill_tps, res[p].load_ms,
				res[p].file_bytes);
	}
	fprintf(f, "\nLoad average (1 min) of the box: %.2f before, %.2f after the run (2 vCPUs on one core).\n",
			load_before, load_average());
	fprintf(f, "\nTargets: >= 20,000 tok/s for 260K and >= 2,000 tok/s for 15M on one core.\n");
	fclose(f);
	return 0;
}
