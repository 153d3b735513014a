/*
 * test_infer.c — the forward pass of core/infer.c (built on
 * sqlpilot_block_forward) against the plain-C reference of
 * core/reference.c: same logits to 1e-4 at every position; batched
 * prefill + decode equals full recomputation; reusing a cached prefix equals
 * not reusing it; copying a run state; the cache's edge cases; an f16
 * model file run from its halves; lockstep decode of several states equal
 * to one-row steps bit for bit.
 * SQLPILOT_TEST_QUICK=1 (the valgrind suite) runs fewer positions.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "infer.h"
#include "reference.h"
#include "tap.h"
#include "util.h"

/* Largest |a - b| over n values. */
static double
maxdiff(const float *a, const float *b, int n)
{
	double		m = 0.0;

	for (int i = 0; i < n; i++)
	{
		double		d = fabs((double) a[i] - b[i]);

		if (!(d <= m))
			m = d;
	}
	return m;
}

/* A should_stop callback that lets `allow` prefill chunks run, then stops. */
typedef struct StopAfter
{
	int			allow;
	int			calls;
} StopAfter;

/* Counts the call; true once `allow` calls have passed. */
static bool
stop_after(void *arg)
{
	StopAfter  *st = arg;

	return st->calls++ >= st->allow;
}

/* Largest |a| over n values. */
static double
maxabs(const float *a, int n)
{
	double		m = 0.0;

	for (int i = 0; i < n; i++)
		if (fabs(a[i]) > m)
			m = fabs(a[i]);
	return m;
}

/*
 * Random weights scaled up (std 0.2, norm weights around 1) so activations
 * and logits are O(1) and a wrong kernel cannot hide under a tolerance.
 */
static float *
test_weights(const SqlpilotConfig *c, SqlpilotWeights *w, uint64_t seed)
{
	size_t		n = sqlpilot_param_count(c);
	float	   *p = malloc(n * sizeof(float));
	uint64_t	rng = seed;

	sqlpilot_model_init_random(c, p, seed);
	for (size_t i = 0; i < n; i++)
		p[i] = p[i] == 1.0f ? 0.5f + sqlpilot_rng_float(&rng) : p[i] * 10.0f;
	sqlpilot_weights_map(w, c, p);
	return p;
}

/* Random token ids in [0, V). */
static void
random_ids(int *ids, int n, int V, uint64_t seed)
{
	uint64_t	rng = seed;

	for (int i = 0; i < n; i++)
		ids[i] = (int) sqlpilot_rng_below(&rng, (uint64_t) V);
}

/* All the checks for one config, with n tokens (n > 128 crosses a prefill chunk). */
static void
check_config(const char *name, const SqlpilotConfig *c, int n)
{
	SqlpilotWeights w;
	float	   *params = test_weights(c, &w, 99);
	SqlpilotRunState s,
				s2;
	SqlpilotReferenceRun r;
	int		   *ids = malloc(sizeof(int) * (size_t) c->seq_len);
	float	   *ref = malloc(sizeof(float) * (size_t) n * c->vocab_size);
	int			V = c->vocab_size;
	double		worst = 0.0,
				scale = 0.0;
	char		err[256];

	random_ids(ids, c->seq_len, V, 5);
	if (!tap_ok(sqlpilot_reference_init(&r, c, &w) == 0, "%s: reference run set up", name))
	{
		free(ids);
		free(ref);
		free(params);
		return;
	}
	for (int t = 0; t < n; t++)
	{
		sqlpilot_reference_forward(&r, ids[t], t);
		memcpy(ref + (size_t) t * V, r.logits, sizeof(float) * V);
		if (maxabs(r.logits, V) > scale)
			scale = maxabs(r.logits, V);
	}
	sqlpilot_reference_free(&r);
	if (!tap_ok(sqlpilot_runstate_init(&s, c, &w, err, sizeof(err)) == 0 &&
				sqlpilot_runstate_init(&s2, c, &w, err, sizeof(err)) == 0, "%s: run state", name))
		return;

	/* Token-by-token decode against the reference at every position. */
	sqlpilot_infer_feed(&s, ids, 1);
	worst = maxdiff(s.logits, ref, V);
	for (int t = 1; t < n; t++)
	{
		double		d;

		sqlpilot_infer_step(&s, ids[t]);
		d = maxdiff(s.logits, ref + (size_t) t * V, V);
		if (d > worst)
			worst = d;
	}
	tap_ok(worst < 1e-4 && scale > 0.5, "%s: decode equals the reference at all %d positions "
		   "(max diff %.2g, logits up to %.3g)", name, n, worst, scale);

	/* One batched prefill of all n tokens (one chunk: n is at most 512). */
	sqlpilot_infer_truncate(&s, 0);
	tap_ok(sqlpilot_infer_feed(&s, ids, n) == n && s.n_cached == n,
		   "%s: prefill computes all %d tokens", name, n);
	worst = maxdiff(s.logits, ref + (size_t) (n - 1) * V, V);
	tap_ok(worst < 1e-4, "%s: prefill logits equal the reference (max diff %.2g)", name, worst);

	/* Prefill of part, decode of the rest: same as the full prefill. */
	sqlpilot_infer_truncate(&s2, 0);
	sqlpilot_infer_feed(&s2, ids, n / 3);
	for (int t = n / 3; t < n; t++)
		sqlpilot_infer_step(&s2, ids[t]);
	worst = maxdiff(s2.logits, s.logits, V);
	{
		size_t		KVD = (size_t) c->n_kv_heads * (c->dim / c->n_heads);
		double		kd = 0.0;

		for (int l = 0; l < c->n_layers; l++)
		{
			size_t		off = (size_t) l * c->seq_len * KVD;
			double		d = maxdiff(s.key_cache + off, s2.key_cache + off, (int) (n * KVD)) +
				maxdiff(s.value_cache + off, s2.value_cache + off, (int) (n * KVD));

			if (d > kd)
				kd = d;
		}
		tap_ok(worst < 1e-4 && kd < 1e-4,
			   "%s: prefill %d + decode %d equals prefill %d (logits %.2g, k/v %.2g)",
			   name, n / 3, n - n / 3, n, worst, kd);
	}

	/*
	 * Run states with smaller prefill chunks (1 row: beam search's extra
	 * beams; 7 rows; 128, the default before whole prompts ran as one chunk,
	 * which splits n > 128 into even chunks): the logits of one chunk within
	 * float tolerance.
	 */
	for (int i = 0; i < 3; i++)
	{
		static const int chunk_rows[3] = {1, 7, 128};
		int			rows = chunk_rows[i];
		SqlpilotRunState s3;
		int			got;

		if (rows >= n || sqlpilot_runstate_init_rows(&s3, c, &w, rows, err, sizeof(err)) != 0)
			continue;
		got = sqlpilot_infer_feed(&s3, ids, n);
		worst = maxdiff(s3.logits, s.logits, V);
		tap_ok(got == n && s3.scratch_rows == (size_t) rows &&
			   maxdiff(s3.logits, ref + (size_t) (n - 1) * V, V) < 1e-4 && worst < 1e-4,
			   "%s: prefill in chunks of at most %d rows equals the reference and one chunk (max diff %.2g)",
			   name, rows, worst);
		sqlpilot_runstate_free(&s3);
	}

	/*
	 * A prefill stopped by should_stop between chunks (of 7 rows) keeps only
	 * whole computed chunks and no logits; the next feed computes the rest
	 * and ends with the logits of an uninterrupted feed.
	 */
	{
		SqlpilotRunState s4,
					s5;

		if (sqlpilot_runstate_init_rows(&s4, c, &w, 7, err, sizeof(err)) == 0 &&
			sqlpilot_runstate_init_rows(&s5, c, &w, 7, err, sizeof(err)) == 0)
		{
			StopAfter	st = {2, 0};
			StopAfter	never = {1 << 30, 0};
			int			got = sqlpilot_infer_feed_interruptible(&s4, ids, n, stop_after, &st);

			tap_ok(got == -2 && st.calls == 3 && s4.n_cached == 14 && s4.n_computed == 14 &&
				   sqlpilot_infer_cached_prefix(&s4, ids, n) == 14,
				   "%s: a prefill stopped after 2 chunks holds their 14 rows", name);
			got = sqlpilot_infer_feed_interruptible(&s4, ids, n, stop_after, &never);
			sqlpilot_infer_feed(&s5, ids, n);
			tap_ok(got == n - 14 && s4.n_cached == n && never.calls == (n - 14 + 6) / 7 &&
				   maxdiff(s4.logits, s5.logits, V) < 1e-6 &&
				   maxdiff(s4.logits, ref + (size_t) (n - 1) * V, V) < 1e-4,
				   "%s: the next feed computes the other %d rows, asking before each of its %d chunks; logits equal an uninterrupted feed (max diff %.2g)",
				   name, n - 14, never.calls, maxdiff(s4.logits, s5.logits, V));
			st.allow = 0;
			st.calls = 0;
			sqlpilot_infer_truncate(&s4, 20);
			tap_ok(sqlpilot_infer_feed_interruptible(&s4, ids, n, stop_after, &st) == -2 &&
				   s4.n_cached == 20 && sqlpilot_infer_feed(&s4, ids, 21) == 1 &&
				   maxdiff(s4.logits, ref + (size_t) 20 * V, V) < 1e-4,
				   "%s: a stop before the first chunk keeps the cache as it was", name);
			sqlpilot_runstate_free(&s4);
			sqlpilot_runstate_free(&s5);
		}
	}

	/* Cached prefix reuse: a new sequence sharing the first half. */
	{
		int		   *other = malloc(sizeof(int) * (size_t) n);
		int			half = n / 2,
					got;
		long		before = s.n_computed;

		memcpy(other, ids, sizeof(int) * (size_t) half);
		random_ids(other + half, n - half, V, 77);
		tap_ok(sqlpilot_infer_cached_prefix(&s, other, n) == half,
			   "%s: the cache holds the %d shared ids", name, half);
		got = sqlpilot_infer_feed(&s, other, n);
		tap_ok(got == n - half && s.n_computed - before == n - half,
			   "%s: feed reuses the %d cached tokens, computes %d", name, half, got);
		sqlpilot_infer_truncate(&s2, 0);
		sqlpilot_infer_feed(&s2, other, n);
		worst = maxdiff(s.logits, s2.logits, V);
		tap_ok(worst < 1e-5, "%s: reused prefix gives the logits of a fresh run (max diff %.2g)",
			   name, worst);
		tap_ok(sqlpilot_infer_feed(&s, other, n) == 0 && maxdiff(s.logits, s2.logits, V) < 1e-5,
			   "%s: feeding the cached tokens again computes nothing", name);
		tap_ok(sqlpilot_infer_feed(&s, ids, half) == 1 && s.n_cached == half &&
			   maxdiff(s.logits, ref + (size_t) (half - 1) * V, V) < 1e-4,
			   "%s: feeding a cached prefix recomputes only its last token", name);

		/*
		 * Copy: a state holding something else becomes the source, then both
		 * decode alike (the shared rows were computed in other chunks: ~1e-6).
		 */
		sqlpilot_infer_copy(&s2, &s);
		sqlpilot_infer_step(&s, ids[half]);
		sqlpilot_infer_step(&s2, ids[half]);
		tap_ok(s2.n_cached == half + 1 && memcmp(s.cached_ids, s2.cached_ids, sizeof(int) * (half + 1)) == 0 &&
			   maxdiff(s.logits, s2.logits, V) < 1e-5 &&
			   maxdiff(s2.logits, ref + (size_t) half * V, V) < 1e-4,
			   "%s: a copied run state continues like its source", name);
		free(other);
	}

	/* Edges. */
	{
		int			bad = V;

		tap_ok(sqlpilot_infer_feed(&s, ids, 0) == -1 &&
			   sqlpilot_infer_feed(&s, ids, c->seq_len + 1) == -1 &&
			   sqlpilot_infer_feed(&s, &bad, 1) == -1 &&
			   sqlpilot_infer_step(&s, -1) == -1,
			   "%s: empty, too long and out-of-range input refused", name);
		sqlpilot_infer_truncate(&s, 0);
		tap_ok(sqlpilot_infer_feed(&s, ids, c->seq_len) == c->seq_len &&
			   sqlpilot_infer_step(&s, 3) == -1, "%s: a full context refuses another token", name);
	}
	sqlpilot_runstate_free(&s);
	sqlpilot_runstate_free(&s2);
	free(ids);
	free(ref);
	free(params);
}

/*
 * Lockstep decode (sqlpilot_infer_step_rows): NR states at different
 * positions of one prompt each take a token in one step; their twins take
 * the same tokens one sqlpilot_infer_step at a time.  Logits, caches and
 * ids must be equal bit for bit after every step, as rows finish (NR, then
 * fewer).  Refusals change nothing.
 */
#define NR 5
static void
check_step_rows(const char *name, const SqlpilotConfig *c, const SqlpilotWeights *w, int P)
{
	SqlpilotRunState base,
				rows[NR],
				twins[NR];
	SqlpilotRunState *batch[NR + 1];
	int		   *ids = malloc(sizeof(int) * (size_t) c->seq_len);
	int			V = c->vocab_size;
	size_t		KVD = (size_t) c->n_kv_heads * (size_t) (c->dim / c->n_heads);
	char		err[256];
	int			same = 1,
				steps = 0,
				ok;

	random_ids(ids, c->seq_len, V, 31);
	ok = sqlpilot_runstate_init(&base, c, w, err, sizeof(err)) == 0 &&
		sqlpilot_infer_feed(&base, ids, P) == P;
	for (int i = 0; i < NR && ok; i++)
	{
		ok = sqlpilot_runstate_init_rows(&rows[i], c, w, 1, err, sizeof(err)) == 0 &&
			sqlpilot_runstate_init_rows(&twins[i], c, w, 1, err, sizeof(err)) == 0;
		if (!ok)
			break;
		sqlpilot_infer_copy(&rows[i], &base);
		/* row i stands i tokens further on */
		for (int t = 0; t < i; t++)
			sqlpilot_infer_step(&rows[i], ids[P + t]);
		sqlpilot_infer_copy(&twins[i], &rows[i]);
	}
	if (!tap_ok(ok, "%s: %d run states for lockstep decode", name, NR))
	{
		free(ids);
		return;
	}
	for (int live = NR; live >= 1; live -= 2)
		for (int step = 0; step < 3; step++)
		{
			int			tok[NR];

			for (int i = 0; i < live; i++)
			{
				batch[i] = &rows[i];
				tok[i] = (ids[P + 7 * i + step] + step) % V;
				sqlpilot_infer_step(&twins[i], tok[i]);
			}
			if (sqlpilot_infer_step_rows(batch, tok, live) != 0)
				same = 0;
			steps++;
			for (int i = 0; i < live; i++)
			{
				int			pos = rows[i].n_cached - 1;

				if (rows[i].n_cached != twins[i].n_cached ||
					memcmp(rows[i].cached_ids, twins[i].cached_ids, sizeof(int) * (size_t) rows[i].n_cached) != 0 ||
					memcmp(rows[i].logits, twins[i].logits, sizeof(float) * (size_t) V) != 0)
					same = 0;
				for (int l = 0; l < c->n_layers; l++)
				{
					size_t		off = ((size_t) l * c->seq_len + (size_t) pos) * KVD;

					if (memcmp(rows[i].key_cache + off, twins[i].key_cache + off, KVD * sizeof(float)) != 0 ||
						memcmp(rows[i].value_cache + off, twins[i].value_cache + off, KVD * sizeof(float)) != 0)
						same = 0;
				}
			}
		}
	tap_ok(same, "%s: %d lockstep steps of 5, 3 and 1 rows at different positions equal "
		   "one-row steps bit for bit (logits, k/v, ids)", name, steps);

	/* A row far past the shared prompt: each row reads its own cache. */
	same = 0;
	sqlpilot_infer_copy(&rows[1], &base);
	while (rows[1].n_cached < P + 70 && rows[1].n_cached < c->seq_len - 1)
		sqlpilot_infer_step(&rows[1], (rows[1].n_cached * 7) % V);
	sqlpilot_infer_copy(&twins[1], &rows[1]);
	sqlpilot_infer_copy(&twins[0], &rows[0]);
	if (rows[0].n_cached < c->seq_len && rows[1].n_cached < c->seq_len)
	{
		int			tok[2] = {3 % V, 5 % V};

		batch[0] = &rows[0];
		batch[1] = &rows[1];
		sqlpilot_infer_step(&twins[0], tok[0]);
		sqlpilot_infer_step(&twins[1], tok[1]);
		same = sqlpilot_infer_step_rows(batch, tok, 2) == 0;
		for (int i = 0; i < 2; i++)
			same = same && rows[i].n_cached == twins[i].n_cached &&
				memcmp(rows[i].logits, twins[i].logits, sizeof(float) * (size_t) V) == 0;
	}
	tap_ok(same, "%s: a row %d tokens past the shared prompt (its own cache read) equals a one-row step",
		   name, rows[1].n_cached - 1 - P);

	/* Refusals: a repeated state, a bad id, a full context; nothing moves. */
	{
		int			before = rows[0].n_cached;
		int			before1 = rows[1].n_cached;
		int			tok[3] = {1, 2, 3};
		int			bad[2] = {1, V};

		batch[0] = &rows[0];
		batch[1] = &rows[1];
		batch[2] = &rows[0];
		ok = sqlpilot_infer_step_rows(batch, tok, 3) == -1 &&
			sqlpilot_infer_step_rows(batch, bad, 2) == -1 &&
			sqlpilot_infer_step_rows(batch, tok, 0) == -1 &&
			sqlpilot_infer_step_rows(batch, tok, SQLPILOT_STEP_MAX_ROWS + 1) == -1 &&
			rows[0].n_cached == before && rows[1].n_cached == before1;
		sqlpilot_infer_copy(&rows[1], &base);
		while (rows[1].n_cached < c->seq_len)
			sqlpilot_infer_step(&rows[1], 1);
		ok = ok && sqlpilot_infer_step_rows(batch, tok, 2) == -1 && rows[0].n_cached == before;
		tap_ok(ok, "%s: a repeated state, a bad id, 0 or too many rows, a full context: "
			   "refused, nothing changed", name);
	}
	for (int i = 0; i < NR; i++)
	{
		sqlpilot_runstate_free(&rows[i]);
		sqlpilot_runstate_free(&twins[i]);
	}
	sqlpilot_runstate_free(&base);
	free(ids);
}

/*
 * An f16 model file used in place (matrices read as halves from the
 * mapping): decode at every position and a multi-chunk prefill against the
 * reference run on the same weights widened to fp32.
 */
static void
check_f16(const char *name, const SqlpilotConfig *c, int n)
{
	SqlpilotWeights w;
	float	   *params = test_weights(c, &w, 123);
	size_t		np = sqlpilot_param_count(c);
	SqlpilotModel m;
	SqlpilotRunState s;
	SqlpilotReferenceRun r;
	int		   *ids = malloc(sizeof(int) * (size_t) n);
	int			V = c->vocab_size;
	double		worst = 0.0,
				prefill;
	char		path[] = "/tmp/sqlpilot-test-infer-XXXXXX";
	char		err[256];
	int			fd = mkstemp(path);

	/* Round the weights to halves first, so the reference sees the same values. */
	for (size_t i = 0; i < np; i++)
		params[i] = sqlpilot_fp16_to_fp32(sqlpilot_fp32_to_fp16(params[i]));
	random_ids(ids, n, V, 8);
	if (fd >= 0)
		close(fd);
	if (!tap_ok(fd >= 0 && sqlpilot_model_save(path, c, params, NULL, SQLPILOT_DTYPE_F16,
											   err, sizeof(err)) == 0 &&
				sqlpilot_model_load(&m, path, err, sizeof(err)) == 0 &&
				m.weights.half.wq != NULL && m.weights.wq == NULL &&
				sqlpilot_runstate_init(&s, &m.config, &m.weights, err, sizeof(err)) == 0 &&
				sqlpilot_reference_init(&r, c, &w) == 0,
				"%s f16: model file loaded with its matrices as halves", name))
	{
		unlink(path);
		free(ids);
		free(params);
		return;
	}
	sqlpilot_infer_feed(&s, ids, 1);
	sqlpilot_reference_forward(&r, ids[0], 0);
	worst = maxdiff(s.logits, r.logits, V);
	for (int t = 1; t < n; t++)
	{
		double		d;

		sqlpilot_infer_step(&s, ids[t]);
		sqlpilot_reference_forward(&r, ids[t], t);
		d = maxdiff(s.logits, r.logits, V);
		if (d > worst)
			worst = d;
	}
	tap_ok(worst < 1e-4, "%s f16: decode from halves equals the reference at all %d positions (max diff %.2g)",
		   name, n, worst);
	sqlpilot_infer_truncate(&s, 0);
	tap_ok(sqlpilot_infer_feed(&s, ids, n) == n, "%s f16: prefill of %d tokens", name, n);
	prefill = maxdiff(s.logits, r.logits, V);
	tap_ok(prefill < 1e-4, "%s f16: prefill through widened matrices equals the reference (max diff %.2g)",
		   name, prefill);
	{
		char		label[64];

		snprintf(label, sizeof(label), "%s f16", name);
		check_step_rows(label, &m.config, &m.weights, n / 3);
	}
	sqlpilot_reference_free(&r);
	sqlpilot_runstate_free(&s);
	sqlpilot_model_free(&m);
	unlink(path);
	free(ids);
	free(params);
}

/*
 * A KV file: saved from one run state, loaded into a fresh one, the prompt
 * fed again computes only its last token and gives the same logits; a file
 * for another model, a flipped byte or a cut file is refused.
 */
static void
check_kv_file(const SqlpilotConfig *c, int n)
{
	SqlpilotWeights w;
	float	   *params = test_weights(c, &w, 321);
	SqlpilotRunState a,
				b;
	int		   *ids = malloc(sizeof(int) * (size_t) n);
	char		path[] = "/tmp/sqlpilot-test-kv-XXXXXX";
	char		err[256];
	int			fd = mkstemp(path);
	float	   *want = malloc(sizeof(float) * (size_t) c->vocab_size);
	FILE	   *f;
	long		size;

	err[0] = '\0';
	random_ids(ids, n, c->vocab_size, 3);
	sqlpilot_runstate_init(&a, c, &w, err, sizeof(err));
	sqlpilot_runstate_init(&b, c, &w, err, sizeof(err));
	sqlpilot_infer_feed(&a, ids, n);
	memcpy(want, a.logits, sizeof(float) * (size_t) c->vocab_size);
	if (fd >= 0)
		close(fd);
	tap_ok(sqlpilot_infer_save(&a, n - 5, 42, path, err, sizeof(err)) == 0,
		   "kv file: saved %d of %d cached tokens (%s)", n - 5, n, err);
	tap_ok(sqlpilot_infer_load(&b, 42, path, err, sizeof(err)) == n - 5 && b.n_cached == n - 5 &&
		   memcmp(b.cached_ids, ids, sizeof(int) * (size_t) (n - 5)) == 0,
		   "kv file: loaded into a fresh run state");
	tap_ok(sqlpilot_infer_feed(&b, ids, n) == 5 && maxdiff(b.logits, want, c->vocab_size) < 1e-5,
		   "kv file: the prompt fed after loading computes only the 5 new tokens, same logits");
	tap_ok(sqlpilot_infer_load(&b, 43, path, err, sizeof(err)) == -1 && b.n_cached == 0 &&
		   strstr(err, "another model") != NULL,
		   "kv file: refused for another model checksum (%s)", err);
	f = fopen(path, "r+b");
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	fseek(f, size / 2, SEEK_SET);
	{
		int			ch = fgetc(f);

		fseek(f, size / 2, SEEK_SET);
		fputc(ch ^ 0x40, f);
	}
	fclose(f);
	tap_ok(sqlpilot_infer_load(&b, 42, path, err, sizeof(err)) == -1 && b.n_cached == 0 &&
		   strstr(err, "corrupt") != NULL, "kv file: a flipped byte is refused (%s)", err);
	tap_ok(sqlpilot_infer_feed(&b, ids, n) == n && maxdiff(b.logits, want, c->vocab_size) < 1e-5,
		   "kv file: after a refused file the whole prompt is computed again, same logits");
	tap_ok(truncate(path, size - 4) == 0 && sqlpilot_infer_load(&b, 42, path, err, sizeof(err)) == -1 &&
		   strstr(err, "corrupt") != NULL, "kv file: a cut file is refused (%s)", err);
	unlink(path);
	tap_ok(sqlpilot_infer_load(&b, 42, path, err, sizeof(err)) == -1, "kv file: a missing file is refused (%s)", err);
	sqlpilot_runstate_free(&a);
	sqlpilot_runstate_free(&b);
	free(want);
	free(ids);
	free(params);
}

/*
 * The table that sizes a block also lays it out: odd sizes are rounded to
 * 16 floats, the walk uses exactly the total, and a run state's caches and
 * logits sit back to back in that layout.
 */
static void
check_carve(const SqlpilotConfig *c)
{
	float	   *a = NULL,
			   *b = NULL,
			   *d = NULL,
			   *e = NULL,
			   *f = NULL;
	SqlpilotCarve t[] = {{&a, 1}, {&b, 16}, {&d, 17}, {&e, 0}, {&f, 5}};
	float	   *mem = aligned_alloc(64, 80 * sizeof(float));
	size_t		total = sqlpilot_carve_floats(t, 5);
	size_t		used = sqlpilot_carve(mem, t, 5);
	SqlpilotWeights w;
	float	   *params = test_weights(c, &w, 5);
	SqlpilotRunState s;
	char		err[256] = "";
	size_t		cache = (size_t) c->n_layers * c->seq_len * c->n_kv_heads * (c->dim / c->n_heads);

	tap_ok(total == 80 && used == total && a == mem && b == mem + 16 && d == mem + 32 &&
		   e == mem + 64 && f == mem + 64 && ((uintptr_t) d % 64) == 0,
		   "carve: the table's total (%zu floats) is exactly what its walk uses (%zu)", total, used);
	tap_ok(sqlpilot_runstate_init(&s, c, &w, err, sizeof(err)) == 0 &&
		   s.value_cache == s.key_cache + (cache + 15) / 16 * 16 &&
		   s.logits == s.value_cache + (cache + 15) / 16 * 16,
		   "carve: a run state's k cache, v cache and logits are laid out back to back %s", err);
	sqlpilot_runstate_free(&s);
	free(params);
	free(mem);
}

/*
 * The decode owner's transposed keys follow its cache: after it forgets
 * positions (truncate, a feed of other tokens) or another state's rows are
 * copied over them (sqlpilot_infer_copy), its steps and its spares' steps
 * must equal those of a fresh state fed the same tokens, bit for bit.
 */
static void
check_kt_follows(const char *name, const SqlpilotConfig *c, int n)
{
	SqlpilotWeights w;
	float	   *params = test_weights(c, &w, 17);
	SqlpilotRunState s,
				fresh,
				other;
	SqlpilotRunState *spare;
	int		   *a = malloc(sizeof(int) * (size_t) n);
	int		   *b = malloc(sizeof(int) * (size_t) n);
	char		err[256];
	int			V = c->vocab_size;
	int			half = n / 2;
	bool		same = true;

	random_ids(a, n, V, 31);
	memcpy(b, a, sizeof(int) * (size_t) half);
	random_ids(b + half, n - half, V, 32);
	if (!tap_ok(sqlpilot_runstate_init(&s, c, &w, err, sizeof(err)) == 0 &&
				sqlpilot_runstate_init(&fresh, c, &w, err, sizeof(err)) == 0 &&
				sqlpilot_runstate_init(&other, c, &w, err, sizeof(err)) == 0 &&
				(spare = sqlpilot_runstate_spare(&s, 0, err, sizeof(err))) != NULL,
				"%s: run states for the transposed-key checks", name))
		return;

	/* s decodes a's tail (its keys transposed), then forgets it and takes b's */
	sqlpilot_infer_feed(&s, a, half);
	for (int t = half; t < n - 1; t++)
		sqlpilot_infer_step(&s, a[t]);
	sqlpilot_infer_feed(&s, b, half + 2);
	sqlpilot_infer_feed(&fresh, b, half + 2);
	for (int t = half + 2; t < n; t++)
	{
		sqlpilot_infer_step(&s, b[t]);
		sqlpilot_infer_step(&fresh, b[t]);
		same = same && memcmp(s.logits, fresh.logits, sizeof(float) * (size_t) V) == 0;
	}
	tap_ok(same, "%s: after a truncate and a feed of other tokens, steps equal a fresh state's", name);

	/* a spare of s steps over s's shared rows: equal to a fresh state's step */
	sqlpilot_infer_truncate(&s, half + 3);
	sqlpilot_infer_copy(spare, &s);
	sqlpilot_infer_truncate(&fresh, half + 3);
	sqlpilot_infer_step(&s, a[0]);
	sqlpilot_infer_step(spare, a[1]);
	sqlpilot_infer_step(&fresh, a[1]);
	tap_ok(memcmp(spare->logits, fresh.logits, sizeof(float) * (size_t) V) == 0,
		   "%s: a spare's step over its owner's transposed keys equals a fresh state's", name);

	/* another state's rows copied over s's: s's own transposed keys are stale */
	sqlpilot_infer_feed(&other, a, n - 1);
	sqlpilot_infer_copy(&s, &other);
	sqlpilot_infer_truncate(&fresh, 0);
	sqlpilot_infer_feed(&fresh, a, n - 1);
	sqlpilot_infer_step(&s, a[n - 1]);
	sqlpilot_infer_step(&fresh, a[n - 1]);
	tap_ok(memcmp(s.logits, fresh.logits, sizeof(float) * (size_t) V) == 0,
		   "%s: after another state's rows are copied in, a step equals a fresh state's", name);
	sqlpilot_runstate_free(&s);
	sqlpilot_runstate_free(&fresh);
	sqlpilot_runstate_free(&other);
	free(a);
	free(b);
	free(params);
}

int
main(void)
{
	SqlpilotConfig c;
	int			quick = getenv("SQLPILOT_TEST_QUICK") != NULL;

	/* Custom: GQA 4:2, untied head, context longer than two prefill chunks. */
	memset(&c, 0, sizeof(c));
	c.dim = 32;
	c.hidden_dim = 72;
	c.n_layers = 2;
	c.n_heads = 4;
	c.n_kv_heads = 2;
	c.vocab_size = 300;
	c.seq_len = 300;
	c.tied = 0;
	c.rope_theta = 10000.0f;
	c.norm_eps = 1e-5f;
	check_config("custom untied", &c, quick ? 140 : 290);

	sqlpilot_config_preset("260K", &c);
	check_config("260K", &c, quick ? 40 : 160);

	/* Multi-query: one kv head for 4 query heads, tied, odd-sized chunks. */
	c.dim = 16;
	c.hidden_dim = 20;
	c.n_layers = 3;
	c.n_heads = 4;
	c.n_kv_heads = 1;
	c.seq_len = 140;
	check_config("multi-query", &c, 135);
	check_f16("multi-query", &c, 135);
	{
		SqlpilotWeights w;
		float	   *params = test_weights(&c, &w, 5);

		check_step_rows("multi-query f32", &c, &w, 40);
		free(params);
	}
	check_kv_file(&c, 130);
	check_carve(&c);
	check_kt_follows("multi-query", &c, 120);

	sqlpilot_config_preset("260K", &c);
	c.seq_len = 160;
	check_f16("260K", &c, quick ? 40 : 150);
	return tap_done();
}
