/*
 * infer.c — running a model over a KV cache (see infer.h).
 *
 * The cache holds k/v of every layer for the tokens cached_ids[0..n_cached).
 * sqlpilot_infer_feed() keeps the longest cached prefix that agrees with the
 * new tokens and pushes the rest through the blocks in as few even chunks of
 * up to INFER_CHUNK rows as it can (sgemm per chunk), asking the caller's
 * should_stop before each chunk when given one; sqlpilot_infer_step() is the
 * same path with one row (layers.c hands N == 1 to the kernels of matvec.c).  Every
 * block runs through sqlpilot_block_forward(), the block the trainer trains.
 * Only the last row goes through the final norm and the output head.
 */
#include "infer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "layers.h"
#include "matvec.h"
#include "util.h"

/*
 * KV files (sqlpilot_infer_save): a 48-byte header of host-order fields
 *   magic "SQLPKV01", u32 byte-order mark 0x01020304, u32 n_layers,
 *   u32 kv_dim, u32 n tokens, u64 model checksum, u64 XXH64 of the payload,
 *   u64 payload bytes
 * then the payload: n i32 token ids, then per layer n k rows and n v rows of
 * kv_dim floats.  Host order is enough: the file never leaves the machine.
 */
#define KV_MAGIC "SQLPKV01"
#define KV_HEADER 48

/*
 * Rows per prefill chunk at most.  Every chunk packs every weight matrix
 * again (f16 halves widened into sgemm panels), so a whole prompt runs as
 * one chunk when it can: the extension benchmark's 386-token prompt (15M,
 * f16) took ~12% less CPU in one chunk than in 128-row chunks (3 packs of
 * the weights and a 2-row tail), at the price of a bigger att buffer.
 */
#define INFER_CHUNK 512

/* Transparent huge page size on x86-64 (see alloc_block). */
#define INFER_HUGE_PAGE ((size_t) 2 * 1024 * 1024)

/* Private activations behind SqlpilotRunState.scratch, in one allocation. */
typedef struct InferScratch
{
	float	   *mem;			/* the one block: k/v cache, logits, activations below */
	size_t		mem_floats;		/* floats of mem the layout uses (all of its allocation) */
	SqlpilotBlockActs acts;
	float	   *x;				/* (rows, C) residual stream */
	float	   *xn;				/* (C) final norm of the last row */
	int		   *pos;			/* (rows) positions */
	int			logits_valid;	/* logits belong to the token at n_cached - 1 */
	SqlpilotRunState **spares;	/* (n_spares) sqlpilot_runstate_spare's states */
	int			n_spares;
	float	   *batch;			/* sqlpilot_infer_step_rows' activations (BatchActs) */
	int			batch_rows;		/* rows batch has room for */
} InferScratch;

/*
 * Activations of one lockstep step of R rows (sqlpilot_infer_step_rows),
 * carved from InferScratch.batch: per row what a one-row step keeps in
 * SqlpilotBlockActs, plus the new k/v rows before they go to each row's
 * cache and the logits before they go to each row's state.
 */
typedef struct BatchActs
{
	float	   *x;				/* (R, C) residual stream */
	float	   *ln;				/* (R, C) rmsnorm output (attention, then ffn, then final) */
	float	   *rstd;			/* (R) */
	float	   *q;				/* (R, QD) */
	float	   *k;				/* (R, KVD) */
	float	   *v;				/* (R, KVD) */
	float	   *att;			/* (NH, seq_len) one row's probabilities at a time */
	float	   *atty;			/* (R, QD) */
	float	   *res1;			/* (R, C) */
	float	   *gate;			/* (R, H) */
	float	   *up;				/* (R, H) */
	float	   *act;			/* (R, H) */
	float	   *logits;			/* (R, V) */
	float	   *saved;			/* (2, STEP_SHARE_MAX_SUFFIX, KVD) the host's own rows */
} BatchActs;

/*
 * A lockstep step lends the rows' shared prefix from one cache (the host's,
 * rows[0]) when every row's own part is at most this long.
 */
#define STEP_SHARE_MAX_SUFFIX 64

/*
 * Room for n floats, 64-byte aligned.  A block of at least a huge page is
 * huge-page aligned and asks for transparent huge pages: a new backend's
 * first prompt then takes a few page faults for the KV cache and the
 * activations instead of hundreds (a 300-token first prompt of a 5-layer
 * C 64 model: 748 -> 27 faults with the dense att stride of infer_rows,
 * 16 -> 7 ms of CPU here).  Pages never written are never touched.
 */
static float *
alloc_block(size_t n)
{
	size_t		bytes = (n * sizeof(float) + 63) / 64 * 64;
	float	   *p;

	if (bytes < INFER_HUGE_PAGE)
		return aligned_alloc(64, bytes);
	bytes = (bytes + INFER_HUGE_PAGE - 1) / INFER_HUGE_PAGE * INFER_HUGE_PAGE;
	p = aligned_alloc(INFER_HUGE_PAGE, bytes);
#ifdef MADV_HUGEPAGE
	if (p)
		(void) madvise(p, bytes, MADV_HUGEPAGE);
#endif
	return p;
}

/* A run state with the default prefill chunk. */
int
sqlpilot_runstate_init(SqlpilotRunState *s, const SqlpilotConfig *c,
					   const SqlpilotWeights *w, char *err, size_t errlen)
{
	return sqlpilot_runstate_init_rows(s, c, w, INFER_CHUNK, err, errlen);
}

/*
 * Allocates the KV cache, the logits and the activations of a chunk of
 * max_rows rows in one block, plus the cached ids.  Nothing is cleared:
 * activations and cache rows are written before they are read, so a new
 * state touches no page until a prompt needs it.
 */
int
sqlpilot_runstate_init_rows(SqlpilotRunState *s, const SqlpilotConfig *c,
							const SqlpilotWeights *w, int max_rows,
							char *err, size_t errlen)
{
	size_t		C,
				H,
				QD,
				KVD,
				S,
				R,
				cache,
				nf;
	InferScratch *sc;

	memset(s, 0, sizeof(*s));
	if (sqlpilot_config_validate(c, err, errlen) != 0)
		return -1;
	C = (size_t) c->dim;
	H = (size_t) c->hidden_dim;
	QD = C;						/* NH * HS */
	KVD = (size_t) c->n_kv_heads * (C / (size_t) c->n_heads);
	S = (size_t) c->seq_len;
	R = max_rows < 1 ? 1 : (size_t) max_rows;
	if (R > S)
		R = S;
	cache = (size_t) c->n_layers * S * KVD;
	sc = calloc(1, sizeof(InferScratch));
	s->cached_ids = malloc(S * sizeof(int));
	if (!sc || !s->cached_ids || !(sc->pos = malloc(R * sizeof(int))))
	{
		if (sc)
			free(sc->pos);
		free(sc);
		free(s->cached_ids);
		memset(s, 0, sizeof(*s));
		snprintf(err, errlen, "out of memory for a run state");
		return -1;
	}
	{
		/* k and v caches, logits, then the activations of a chunk of R rows */
		SqlpilotCarve layout[] = {
			{&s->key_cache, cache},
			{&s->value_cache, cache},
			{&s->logits, (size_t) c->vocab_size},
			{&sc->acts.ln1, R * C},
			{&sc->acts.ln1_rstd, R},
			{&sc->acts.q, R * QD},
			{&sc->acts.att, (size_t) c->n_heads * R * S},
			{&sc->acts.atty, R * QD},
			{&sc->acts.res1, R * C},
			{&sc->acts.ln2, R * C},
			{&sc->acts.ln2_rstd, R},
			{&sc->acts.gate, R * H},
			{&sc->acts.up, R * H},
			{&sc->acts.act, R * H},
			{&sc->x, R * C},
			{&sc->xn, C},
		};
		int			np = (int) (sizeof(layout) / sizeof(layout[0]));

		nf = sqlpilot_carve_floats(layout, np);
		sc->mem = alloc_block(nf);
		if (!sc->mem)
		{
			free(sc->pos);
			free(sc);
			free(s->cached_ids);
			memset(s, 0, sizeof(*s));
			snprintf(err, errlen, "out of memory for the KV cache (%zu floats)", nf);
			return -1;
		}
		sc->mem_floats = sqlpilot_carve(sc->mem, layout, np);
	}
	s->config = c;
	s->weights = w;
	s->scratch = sc;
	s->scratch_rows = R;
	return 0;
}

/* Frees everything sqlpilot_runstate_init allocated; s is zeroed. */
void
sqlpilot_runstate_free(SqlpilotRunState *s)
{
	InferScratch *sc = s->scratch;

	if (sc)
	{
		for (int i = 0; i < sc->n_spares; i++)
		{
			if (sc->spares[i])
				sqlpilot_runstate_free(sc->spares[i]);
			free(sc->spares[i]);
		}
		free(sc->spares);
		free(sc->batch);
		free(sc->mem);
		free(sc->pos);
		free(sc);
	}
	free(s->cached_ids);
	memset(s, 0, sizeof(*s));
}

/* The i-th spare decode state, made on first use and owned by s. */
SqlpilotRunState *
sqlpilot_runstate_spare(SqlpilotRunState *s, int i, char *err, size_t errlen)
{
	InferScratch *sc = s->scratch;

	if (i >= sc->n_spares)
	{
		SqlpilotRunState **grown = realloc(sc->spares, sizeof(*grown) * (size_t) (i + 1));

		if (!grown)
		{
			snprintf(err, errlen, "out of memory for %d beam states", i + 1);
			return NULL;
		}
		for (int k = sc->n_spares; k <= i; k++)
			grown[k] = NULL;
		sc->spares = grown;
		sc->n_spares = i + 1;
	}
	if (!sc->spares[i])
	{
		SqlpilotRunState *r = malloc(sizeof(SqlpilotRunState));

		if (!r)
		{
			snprintf(err, errlen, "out of memory for %d beam states", i + 1);
			return NULL;
		}
		if (sqlpilot_runstate_init_rows(r, s->config, s->weights, 1, err, errlen) != 0)
		{
			free(r);
			return NULL;
		}
		sc->spares[i] = r;
	}
	return sc->spares[i];
}

/*
 * Runs ids[0..T) at positions n_cached.. through every block, appending
 * their k/v to the cache; with want_logits, leaves the last row's logits.
 */
static void
infer_rows(SqlpilotRunState *s, const int *ids, int T, int want_logits)
{
	const SqlpilotConfig *c = s->config;
	const SqlpilotWeights *w = s->weights;
	InferScratch *sc = s->scratch;
	size_t		C = (size_t) c->dim;
	size_t		KVD = (size_t) c->n_kv_heads * (C / (size_t) c->n_heads);
	SqlpilotRowLayout rl;

	for (int t = 0; t < T; t++)
	{
		if (w->token_embedding)
			memcpy(sc->x + (size_t) t * C, w->token_embedding + (size_t) ids[t] * C,
				   C * sizeof(float));
		else
			sqlpilot_f16_to_f32_n(sc->x + (size_t) t * C,
								  w->half.token_embedding + (size_t) ids[t] * C, C);
		sc->pos[t] = s->n_cached + t;
		s->cached_ids[s->n_cached + t] = ids[t];
	}
	rl.B = 1;
	rl.T = T;
	rl.kv_offset = s->n_cached;
	/*
	 * With one sequence kv_stride only sets the row stride of att: the
	 * tightest one keeps it dense, so a chunk touches NH*T*(n_cached+T)
	 * floats of it rather than NH*T*seq_len (fewer page faults and cache
	 * misses; the k/v cache rows stay seq_len apart per layer).
	 */
	rl.kv_stride = s->n_cached + T;
	rl.pos = sc->pos;
	rl.kstart = NULL;
	for (int l = 0; l < c->n_layers; l++)
	{
		SqlpilotLayerWeights lw;
		size_t		off = (size_t) l * (size_t) c->seq_len * KVD;

		sqlpilot_layer_weights(&lw, w, c, l);
		sqlpilot_block_forward(c, &lw, &rl, sc->x, sc->x, s->key_cache + off,
							   s->value_cache + off, &sc->acts);
	}
	s->n_cached += T;
	s->n_computed += T;
	sc->logits_valid = 0;
	if (want_logits)
	{
		sqlpilot_rmsnorm_forward(sc->xn, NULL, sc->x + (size_t) (T - 1) * C, w->rms_final,
								 1, (int) C, c->norm_eps);
		if (w->wcls)
			sqlpilot_matvec(s->logits, w->wcls, sc->xn, c->vocab_size, (int) C);
		else
			sqlpilot_matvec_f16(s->logits, w->half.wcls, sc->xn, c->vocab_size, (int) C);
		sc->logits_valid = 1;
	}
}

/* Length of the longest common prefix of the cached ids and ids[0..n). */
int
sqlpilot_infer_cached_prefix(const SqlpilotRunState *s, const int *ids, int n)
{
	int			k = 0;

	while (k < n && k < s->n_cached && s->cached_ids[k] == ids[k])
		k++;
	return k;
}

/* Keeps the common cached prefix, prefills the rest chunk by chunk. */
int
sqlpilot_infer_feed(SqlpilotRunState *s, const int *ids, int n)
{
	return sqlpilot_infer_feed_interruptible(s, ids, n, NULL, NULL);
}

/*
 * The feed, with should_stop asked before each chunk.  infer_rows appends a
 * chunk's k/v to every layer and only then counts its rows as cached, so a
 * stop between chunks leaves whole rows only.  Chunks are even (600 rows in
 * 512-row chunks run as 300 + 300): a short last chunk would pack the
 * weights for a few rows, and the kernel's 14-row tiles fill better.
 */
int
sqlpilot_infer_feed_interruptible(SqlpilotRunState *s, const int *ids, int n,
								  bool (*should_stop) (void *arg), void *arg)
{
	InferScratch *sc = s->scratch;
	int			keep = 0;
	int			done;

	if (n <= 0 || n > s->config->seq_len)
		return -1;
	for (int i = 0; i < n; i++)
		if (ids[i] < 0 || ids[i] >= s->config->vocab_size)
			return -1;
	keep = sqlpilot_infer_cached_prefix(s, ids, n);
	if (keep == n && n == s->n_cached && sc->logits_valid)
		return 0;
	/* The last token must run again when its logits are not at hand. */
	if (keep == n)
		keep = n - 1;
	sqlpilot_infer_truncate(s, keep);
	done = keep;
	while (done < n)
	{
		int			left = n - done;
		int			chunks = (left + (int) s->scratch_rows - 1) / (int) s->scratch_rows;
		int			T = (left + chunks - 1) / chunks;

		if (should_stop && should_stop(arg))
			return -2;
		infer_rows(s, ids + done, T, done + T == n);
		done += T;
	}
	return n - keep;
}

/* One-token decode at position n_cached. */
int
sqlpilot_infer_step(SqlpilotRunState *s, int id)
{
	if (s->n_cached >= s->config->seq_len || id < 0 || id >= s->config->vocab_size)
		return -1;
	infer_rows(s, &id, 1, 1);
	return 0;
}

/*
 * Points a (and returns the floats) for R rows in mem, or only sizes it when
 * mem is NULL: one table both sizes and lays out the block.
 */
static size_t
batch_carve(BatchActs *a, float *mem, const SqlpilotConfig *c, size_t R)
{
	size_t		C = (size_t) c->dim;
	size_t		KVD = (size_t) c->n_kv_heads * (C / (size_t) c->n_heads);
	size_t		H = (size_t) c->hidden_dim;
	SqlpilotCarve layout[] = {
		{&a->x, R * C},
		{&a->ln, R * C},
		{&a->rstd, R},
		{&a->q, R * C},
		{&a->k, R * KVD},
		{&a->v, R * KVD},
		{&a->att, (size_t) c->n_heads * (size_t) c->seq_len},
		{&a->atty, R * C},
		{&a->res1, R * C},
		{&a->gate, R * H},
		{&a->up, R * H},
		{&a->act, R * H},
		{&a->logits, R * (size_t) c->vocab_size},
		{&a->saved, 2 * (size_t) STEP_SHARE_MAX_SUFFIX * KVD},
	};
	int			np = (int) (sizeof(layout) / sizeof(layout[0]));

	return mem ? sqlpilot_carve(mem, layout, np) : sqlpilot_carve_floats(layout, np);
}

/*
 * out (N, OC) = inp (N, C) @ W^T for the rows of a lockstep step: halves in
 * one pass over the matrix for all rows, floats row by row (the one-row
 * step's sqlpilot_matvec), so each row gets what it gets alone.
 */
static void
batch_linear(float *out, const float *inp, const float *weight, const uint16_t *weight_half,
			 int N, int C, int OC)
{
	if (weight_half)
		sqlpilot_matvec_f16_rows(out, weight_half, inp, N, OC, C);
	else
		for (int n = 0; n < N; n++)
			sqlpilot_matvec(out + (size_t) n * OC, weight, inp + (size_t) n * C, OC, C);
}

/*
 * How many leading cached ids all n states share (beams forked from one
 * prompt share it; their k/v rows there are copies of one another).
 */
static int
shared_prefix(SqlpilotRunState *const *rows, int n)
{
	int			p = rows[0]->n_cached;

	for (int i = 1; i < n; i++)
	{
		int			k = 0;

		while (k < p && k < rows[i]->n_cached && rows[i]->cached_ids[k] == rows[0]->cached_ids[k])
			k++;
		p = k;
	}
	return p;
}

/*
 * Attention of the n rows of one layer (offset off into each cache), each
 * over its own k/v rows [0, pos].  With share (the rows agree on their first
 * P ids), every row reads those P rows from the host's cache (rows[0]): its
 * own rows P..pos are copied behind them for its turn, and the host's own
 * are put back at the end.  The prompt's rows then come from memory once
 * per step, not once per row, and each row sees the same values as in its
 * own cache.
 */
static void
batch_attention(SqlpilotRunState *const *rows, int n, const int *pos, size_t off, bool share,
				int P, BatchActs *a, const SqlpilotConfig *c)
{
	size_t		C = (size_t) c->dim;
	int			HS = c->dim / c->n_heads;
	size_t		KVD = (size_t) c->n_kv_heads * (size_t) HS;
	float	   *hk = rows[0]->key_cache + off;
	float	   *hv = rows[0]->value_cache + off;
	size_t		own0 = (size_t) (pos[0] + 1 - P) * KVD;

	if (share)
	{
		memcpy(a->saved, hk + (size_t) P * KVD, own0 * sizeof(float));
		memcpy(a->saved + STEP_SHARE_MAX_SUFFIX * KVD, hv + (size_t) P * KVD, own0 * sizeof(float));
	}
	for (int i = 0; i < n; i++)
	{
		SqlpilotRowLayout rl = {1, 1, pos[i], pos[i] + 1, &pos[i], NULL};
		const float *kb = rows[i]->key_cache + off;
		const float *vb = rows[i]->value_cache + off;

		if (share && i > 0)
		{
			size_t		own = (size_t) (pos[i] + 1 - P) * KVD;

			memcpy(hk + (size_t) P * KVD, kb + (size_t) P * KVD, own * sizeof(float));
			memcpy(hv + (size_t) P * KVD, vb + (size_t) P * KVD, own * sizeof(float));
			kb = hk;
			vb = hv;
		}
		sqlpilot_attention_forward(a->atty + i * C, a->att, a->q + i * C, kb, vb, &rl,
								   c->n_heads, c->n_kv_heads, HS);
	}
	if (share)
	{
		memcpy(hk + (size_t) P * KVD, a->saved, own0 * sizeof(float));
		memcpy(hv + (size_t) P * KVD, a->saved + STEP_SHARE_MAX_SUFFIX * KVD, own0 * sizeof(float));
	}
}

/*
 * One lockstep step (infer.h): sqlpilot_block_forward's block, row by row
 * where rows differ (RoPE positions, attention over each row's own k/v),
 * every matrix once for all rows.  It cannot call sqlpilot_block_forward:
 * that takes one k/v buffer for all its sequences, and each row's k/v live
 * in its own run state.
 */
int
sqlpilot_infer_step_rows(SqlpilotRunState *const *rows, const int *ids, int n)
{
	const SqlpilotConfig *c;
	const SqlpilotWeights *w;
	InferScratch *sc;
	BatchActs	a;
	size_t		C,
				H,
				KVD,
				S;
	int			pos[SQLPILOT_STEP_MAX_ROWS];
	int			P;
	bool		share;

	if (n < 1 || n > SQLPILOT_STEP_MAX_ROWS)
		return -1;
	c = rows[0]->config;
	w = rows[0]->weights;
	for (int i = 0; i < n; i++)
	{
		if (rows[i]->weights != w || rows[i]->n_cached >= c->seq_len ||
			ids[i] < 0 || ids[i] >= c->vocab_size)
			return -1;
		for (int j = 0; j < i; j++)
			if (rows[j] == rows[i])
				return -1;
		pos[i] = rows[i]->n_cached;
	}
	sc = rows[0]->scratch;
	if (sc->batch_rows < n)
	{
		float	   *grown = malloc(sizeof(float) * batch_carve(&a, NULL, c, (size_t) n));

		if (!grown)
			return -1;
		free(sc->batch);
		sc->batch = grown;
		sc->batch_rows = n;
	}
	batch_carve(&a, sc->batch, c, (size_t) sc->batch_rows);
	P = shared_prefix(rows, n);
	share = n > 1;
	for (int i = 0; i < n; i++)
		share = share && pos[i] + 1 - P <= STEP_SHARE_MAX_SUFFIX;
	C = (size_t) c->dim;
	H = (size_t) c->hidden_dim;
	KVD = (size_t) c->n_kv_heads * (C / (size_t) c->n_heads);
	S = (size_t) c->seq_len;

	for (int i = 0; i < n; i++)
	{
		if (w->token_embedding)
			memcpy(a.x + i * C, w->token_embedding + (size_t) ids[i] * C, C * sizeof(float));
		else
			sqlpilot_f16_to_f32_n(a.x + i * C, w->half.token_embedding + (size_t) ids[i] * C, C);
	}
	for (int l = 0; l < c->n_layers; l++)
	{
		SqlpilotLayerWeights lw;
		int			HS = c->dim / c->n_heads;

		sqlpilot_layer_weights(&lw, w, c, l);
		sqlpilot_rmsnorm_forward(a.ln, a.rstd, a.x, lw.rms_att, n, (int) C, c->norm_eps);
		batch_linear(a.q, a.ln, lw.wq, lw.wq_half, n, (int) C, (int) C);
		sqlpilot_rope_forward(a.q, pos, n, c->n_heads, HS, c->rope_theta);
		batch_linear(a.k, a.ln, lw.wk, lw.wk_half, n, (int) C, (int) KVD);
		batch_linear(a.v, a.ln, lw.wv, lw.wv_half, n, (int) C, (int) KVD);
		sqlpilot_rope_forward(a.k, pos, n, c->n_kv_heads, HS, c->rope_theta);
		for (int i = 0; i < n; i++)
		{
			size_t		at = ((size_t) l * S + (size_t) pos[i]) * KVD;

			memcpy(rows[i]->key_cache + at, a.k + i * KVD, KVD * sizeof(float));
			memcpy(rows[i]->value_cache + at, a.v + i * KVD, KVD * sizeof(float));
		}
		batch_attention(rows, n, pos, (size_t) l * S * KVD, share, P, &a, c);
		batch_linear(a.res1, a.atty, lw.wo, lw.wo_half, n, (int) C, (int) C);
		for (size_t i = 0; i < (size_t) n * C; i++)
			a.res1[i] += a.x[i];
		sqlpilot_rmsnorm_forward(a.ln, a.rstd, a.res1, lw.rms_ffn, n, (int) C, c->norm_eps);
		batch_linear(a.gate, a.ln, lw.w1, lw.w1_half, n, (int) C, (int) H);
		batch_linear(a.up, a.ln, lw.w3, lw.w3_half, n, (int) C, (int) H);
		/* per row: its vector loop ends where a one-row step's does */
		for (int i = 0; i < n; i++)
			sqlpilot_swiglu_forward(a.act + i * H, a.gate + i * H, a.up + i * H, H);
		batch_linear(a.x, a.act, lw.w2, lw.w2_half, n, (int) H, (int) C);
		for (size_t i = 0; i < (size_t) n * C; i++)
			a.x[i] += a.res1[i];
	}
	sqlpilot_rmsnorm_forward(a.ln, NULL, a.x, w->rms_final, n, (int) C, c->norm_eps);
	batch_linear(a.logits, a.ln, w->wcls, w->half.wcls, n, (int) C, c->vocab_size);
	for (int i = 0; i < n; i++)
	{
		SqlpilotRunState *r = rows[i];

		memcpy(r->logits, a.logits + (size_t) i * c->vocab_size,
			   sizeof(float) * (size_t) c->vocab_size);
		r->cached_ids[r->n_cached++] = ids[i];
		r->n_computed++;
		((InferScratch *) r->scratch)->logits_valid = 1;
	}
	return 0;
}

/* Drops cached positions >= n; the logits are stale once anything is dropped. */
void
sqlpilot_infer_truncate(SqlpilotRunState *s, int n)
{
	InferScratch *sc = s->scratch;

	if (n < 0)
		n = 0;
	if (n < s->n_cached)
	{
		s->n_cached = n;
		sc->logits_valid = 0;
	}
}

/* Copies the cached tokens past the shared prefix, their k/v rows, and the logits. */
void
sqlpilot_infer_copy(SqlpilotRunState *dst, const SqlpilotRunState *src)
{
	const SqlpilotConfig *c = src->config;
	size_t		KVD = (size_t) c->n_kv_heads * (size_t) (c->dim / c->n_heads);
	int			common = 0;

	if (dst == src)
		return;
	while (common < dst->n_cached && common < src->n_cached &&
		   dst->cached_ids[common] == src->cached_ids[common])
		common++;
	for (int l = 0; l < c->n_layers; l++)
	{
		size_t		off = ((size_t) l * (size_t) c->seq_len + (size_t) common) * KVD;
		size_t		n = (size_t) (src->n_cached - common) * KVD;

		memcpy(dst->key_cache + off, src->key_cache + off, n * sizeof(float));
		memcpy(dst->value_cache + off, src->value_cache + off, n * sizeof(float));
	}
	memcpy(dst->cached_ids + common, src->cached_ids + common,
		   (size_t) (src->n_cached - common) * sizeof(int));
	dst->n_cached = src->n_cached;
	memcpy(dst->logits, src->logits, (size_t) c->vocab_size * sizeof(float));
	((InferScratch *) dst->scratch)->logits_valid =
		((const InferScratch *) src->scratch)->logits_valid;
}

/* Bytes of a KV file's payload for n tokens. */
static size_t
kv_payload_bytes(const SqlpilotConfig *c, int n)
{
	size_t		KVD = (size_t) c->n_kv_heads * (size_t) (c->dim / c->n_heads);

	return (size_t) n * sizeof(int) + 2 * (size_t) c->n_layers * (size_t) n * KVD * sizeof(float);
}

/* Writes the first n cached tokens and their k/v rows to path (temp file + rename). */
int
sqlpilot_infer_save(const SqlpilotRunState *s, int n, uint64_t model_checksum,
					const char *path, char *err, size_t errlen)
{
	const SqlpilotConfig *c = s->config;
	size_t		KVD = (size_t) c->n_kv_heads * (size_t) (c->dim / c->n_heads);
	size_t		payload = kv_payload_bytes(c, n);
	unsigned char *buf;
	unsigned char *p;
	uint32_t	u32;
	uint64_t	u64;
	char		tmp[4096];
	FILE	   *f;
	int			ok;

	if (n <= 0 || n > s->n_cached)
	{
		snprintf(err, errlen, "cannot save %d tokens of a cache holding %d", n, s->n_cached);
		return -1;
	}
	if (snprintf(tmp, sizeof(tmp), "%s.%d.tmp", path, (int) getpid()) >= (int) sizeof(tmp))
	{
		snprintf(err, errlen, "path too long: %s", path);
		return -1;
	}
	buf = malloc(KV_HEADER + payload);
	if (!buf)
	{
		snprintf(err, errlen, "out of memory (%zu bytes)", payload);
		return -1;
	}
	p = buf + KV_HEADER;
	memcpy(p, s->cached_ids, (size_t) n * sizeof(int));
	p += (size_t) n * sizeof(int);
	for (int l = 0; l < c->n_layers; l++)
	{
		size_t		off = (size_t) l * (size_t) c->seq_len * KVD;
		size_t		bytes = (size_t) n * KVD * sizeof(float);

		memcpy(p, s->key_cache + off, bytes);
		p += bytes;
		memcpy(p, s->value_cache + off, bytes);
		p += bytes;
	}
	memcpy(buf, KV_MAGIC, 8);
	u32 = 0x01020304;
	memcpy(buf + 8, &u32, 4);
	u32 = (uint32_t) c->n_layers;
	memcpy(buf + 12, &u32, 4);
	u32 = (uint32_t) KVD;
	memcpy(buf + 16, &u32, 4);
	u32 = (uint32_t) n;
	memcpy(buf + 20, &u32, 4);
	memcpy(buf + 24, &model_checksum, 8);
	u64 = sqlpilot_checksum64(buf + KV_HEADER, payload, model_checksum);
	memcpy(buf + 32, &u64, 8);
	u64 = payload;
	memcpy(buf + 40, &u64, 8);

	f = fopen(tmp, "wb");
	ok = f != NULL && fwrite(buf, 1, KV_HEADER + payload, f) == KV_HEADER + payload;
	if (f && fclose(f) != 0)
		ok = 0;
	free(buf);
	if (!ok || rename(tmp, path) != 0)
	{
		snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

/*
 * Loads a KV file into s after checking it belongs to this model and shape.
 * The file is read, not mapped: another process truncating it under a
 * mapping would kill the backend with SIGBUS; a short read is an error.
 */
int
sqlpilot_infer_load(SqlpilotRunState *s, uint64_t model_checksum, const char *path,
					char *err, size_t errlen)
{
	const SqlpilotConfig *c = s->config;
	size_t		KVD = (size_t) c->n_kv_heads * (size_t) (c->dim / c->n_heads);
	const unsigned char *buf;
	const unsigned char *p;
	size_t		size;
	uint32_t	bom,
				layers,
				kvd,
				n;
	uint64_t	sum,
				want,
				payload;

	sqlpilot_infer_truncate(s, 0);
	buf = (const unsigned char *) sqlpilot_read_file(path, &size, err, errlen);
	if (!buf)
		return -1;
	if (size < KV_HEADER)
	{
		free((void *) buf);
		snprintf(err, errlen, "%s is not a KV file", path);
		return -1;
	}
	memcpy(&bom, buf + 8, 4);
	memcpy(&layers, buf + 12, 4);
	memcpy(&kvd, buf + 16, 4);
	memcpy(&n, buf + 20, 4);
	memcpy(&sum, buf + 24, 8);
	memcpy(&want, buf + 32, 8);
	memcpy(&payload, buf + 40, 8);
	if (memcmp(buf, KV_MAGIC, 8) != 0)
		snprintf(err, errlen, "%s is not a KV file", path);
	else if (bom != 0x01020304 || sum != model_checksum || layers != (uint32_t) c->n_layers ||
			 kvd != (uint32_t) KVD || n == 0 || n > (uint32_t) c->seq_len ||
			 payload != kv_payload_bytes(c, (int) n))
		snprintf(err, errlen, "%s belongs to another model or shape", path);
	else if (size != KV_HEADER + payload ||
			 sqlpilot_checksum64(buf + KV_HEADER, payload, model_checksum) != want)
		snprintf(err, errlen, "%s is truncated or corrupt", path);
	else
	{
		p = buf + KV_HEADER;
		for (uint32_t i = 0; i < n; i++)
		{
			int			id;

			memcpy(&id, p + i * sizeof(int), sizeof(int));
			if (id < 0 || id >= c->vocab_size)
			{
				snprintf(err, errlen, "%s holds an impossible token id", path);
				free((void *) buf);
				return -1;
			}
		}
		memcpy(s->cached_ids, p, (size_t) n * sizeof(int));
		p += (size_t) n * sizeof(int);
		for (int l = 0; l < c->n_layers; l++)
		{
			size_t		off = (size_t) l * (size_t) c->seq_len * KVD;
			size_t		bytes = (size_t) n * KVD * sizeof(float);

			memcpy(s->key_cache + off, p, bytes);
			p += bytes;
			memcpy(s->value_cache + off, p, bytes);
			p += bytes;
		}
		free((void *) buf);
		s->n_cached = (int) n;
		((InferScratch *) s->scratch)->logits_valid = 0;
		return (int) n;
	}
	free((void *) buf);
	return -1;
}
