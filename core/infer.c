/*
 * infer.c — running a model over a KV cache (see infer.h).
 *
 * The cache holds k/v of every layer for the tokens cached_ids[0..n_cached).
 * sqlpilot_infer_feed() keeps the longest cached prefix that agrees with the
 * new tokens and pushes the rest through the blocks in as few even chunks of
 * up to INFER_CHUNK rows as it can (sgemm per chunk), asking the caller's
 * should_stop before each chunk when given one.  Every block runs through
 * sqlpilot_block_forward(), the block the trainer trains.  Only the last row
 * goes through the final norm and the output head.
 *
 * Decode (sqlpilot_infer_step, sqlpilot_infer_step_rows: one token for each
 * of one or more run states) has its own block loop over the same layer
 * kernels: every matrix once for all rows (matvec.c), and attention over
 * the keys the rows share read once: an owner state (a spare's owner, else
 * itself) keeps its cached keys transposed in chunks of 16 (kt, extended as
 * it caches more, cut back when it forgets), so a step scores up to four
 * query heads per pass over them.
 */
#include "infer.h"

#include <stdint.h>
#include <math.h>
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
#define KV_MAGIC "SQLPKV02"
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
	SqlpilotRunState *owner;	/* a spare's owner, whose kt its steps read; NULL: itself */
	float	   *kt;				/* (L, NKV, kt_stride / 16, HS, 16) the keys of cached
								 * positions [0, kt_n) in chunks of 16, each transposed
								 * (key j in lane j % 16), for decode (made on first step) */
	int			kt_n;
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
	float	   *qs;				/* (R, QD) q scaled by 1/sqrt(HS) */
	float	   *k;				/* (R, KVD) */
	float	   *v;				/* (R, KVD) */
	float	   *att;			/* (R * NH, kt_stride + 16) scores, then exponentials */
	float	   *own;			/* (kt_stride / 16, HS, 16) one row's own keys, as kt */
	float	   *wacc;			/* (R * NH, 4, HS) att_weighted's sums */
	float	   *inv;			/* (R * NH) 1 / the softmax sums */
	float	   *atty;			/* (R, QD) */
	float	   *res1;			/* (R, C) */
	float	   *gate;			/* (R, H) */
	float	   *up;				/* (R, H) */
	float	   *act;			/* (R, H) */
	float	   *logits;			/* (R, V) */
} BatchActs;

/* Sixteen floats (one AVX-512 register; two AVX halves without it); InferVi16 the same bits as ints. */
typedef float InferVf16 __attribute__((vector_size(64)));
typedef int32_t InferVi16 __attribute__((vector_size(64)));
typedef float InferVf8 __attribute__((vector_size(32)));

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
		free(sc->kt);
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
		((InferScratch *) r->scratch)->owner = s;
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

/*
 * One-token decode at position n_cached: a lockstep step of one row, so a
 * beam decoded alone and in lockstep with others gets the same bits.
 */
int
sqlpilot_infer_step(SqlpilotRunState *s, int id)
{
	return sqlpilot_infer_step_rows(&s, &id, 1);
}

/* Row stride of the transposed keys: seq_len in whole chunks of 16 (score loops read whole chunks). */
static size_t
kt_stride(const SqlpilotConfig *c)
{
	return ((size_t) c->seq_len + 15) / 16 * 16;
}

/*
 * Points a (and returns the floats) for R rows in mem, or only sizes it when
 * mem is NULL: one table both sizes and lays out the block.
 */
static size_t
batch_carve(BatchActs *a, float *mem, const SqlpilotConfig *c, size_t R)
{
	size_t		C = (size_t) c->dim;
	size_t		HS = C / (size_t) c->n_heads;
	size_t		KVD = (size_t) c->n_kv_heads * HS;
	size_t		H = (size_t) c->hidden_dim;
	size_t		ld = kt_stride(c);
	SqlpilotCarve layout[] = {
		{&a->x, R * C},
		{&a->ln, R * C},
		{&a->rstd, R},
		{&a->q, R * C},
		{&a->qs, R * C},
		{&a->k, R * KVD},
		{&a->v, R * KVD},
		{&a->att, R * (size_t) c->n_heads * (ld + 16)},
		{&a->own, HS * ld},
		{&a->wacc, R * C * 4},
		{&a->inv, R * (size_t) c->n_heads},
		{&a->atty, R * C},
		{&a->res1, R * C},
		{&a->gate, R * H},
		{&a->up, R * H},
		{&a->act, R * H},
		{&a->logits, R * (size_t) c->vocab_size},
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

/* The state whose transposed keys a step of s reads: a spare's owner, else s. */
static SqlpilotRunState *
kt_owner(SqlpilotRunState *s)
{
	InferScratch *sc = s->scratch;

	return sc->owner ? sc->owner : s;
}

/*
 * Keys j in [j0, j1) of one kv head (rows KVD apart from k) into dst's
 * chunks of 16 (chunk c: HS rows of 16 lanes, key j in lane j % 16 of chunk
 * j / 16).  The lanes past j1 keep what they held (finite: dst starts
 * zeroed); their scores are computed and never read.
 */
static void
kt_chunks(float *dst, const float *k, size_t KVD, int j0, int j1, int HS)
{
	for (int j = j0; j < j1; j++)
	{
		float	   *col = dst + (size_t) (j / 16) * HS * 16 + j % 16;
		const float *kj = k + (size_t) j * KVD;

		for (int i = 0; i < HS; i++)
			col[i * 16] = kj[i];
	}
}

/*
 * Extends o's transposed keys (InferScratch.kt) to every position it caches,
 * making them on first use.  Returns 0, or -1 when out of memory.
 */
static int
kt_extend(SqlpilotRunState *o)
{
	const SqlpilotConfig *c = o->config;
	InferScratch *sc = o->scratch;
	size_t		HS = (size_t) (c->dim / c->n_heads);
	size_t		KVD = (size_t) c->n_kv_heads * HS;
	size_t		S = (size_t) c->seq_len;
	size_t		ld = kt_stride(c);

	if (!sc->kt)
	{
		/*
		 * zeroed: a score chunk reads whole chunks of 16 past the last key;
		 * in huge pages, as the KV cache: a new backend's first prompt would
		 * otherwise fault in every 4 kB of it (15M: ~900 faults)
		 */
		size_t		n = (size_t) c->n_layers * KVD * ld;

		sc->kt = alloc_block(n);
		sc->kt_n = 0;
		if (!sc->kt)
			return -1;
		memset(sc->kt, 0, n * sizeof(float));
	}
	for (int l = 0; l < c->n_layers; l++)
		for (size_t kh = 0; kh < (size_t) c->n_kv_heads; kh++)
			kt_chunks(sc->kt + ((size_t) l * KVD + kh * HS) * ld,
					  o->key_cache + (size_t) l * S * KVD + kh * HS, KVD, sc->kt_n, o->n_cached,
					  (int) HS);
	sc->kt_n = o->n_cached;
	return 0;
}

/* 16 floats at p, unaligned. */
static inline InferVf16
vload16(const float *p)
{
	InferVf16	v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/* Stores 16 floats at p, unaligned. */
static inline void
vstore16(float *p, InferVf16 v)
{
	memcpy(p, &v, sizeof(v));
}

/* Largest of p[0..n), n >= 1: sixteen lanes, then the tail. */
static float
max_of(const float *p, int n)
{
	float		mx = p[0];
	int			j = 0;

	if (n >= 16)
	{
		InferVf16	m = vload16(p);

		for (j = 16; j + 16 <= n; j += 16)
		{
			InferVf16	v = vload16(p + j);
			InferVi16	gt = v > m;

			m = (InferVf16) ((gt & (InferVi16) v) | (~gt & (InferVi16) m));
		}
		for (int i = 0; i < 16; i++)
			mx = m[i] > mx ? m[i] : mx;
	}
	for (; j < n; j++)
		mx = p[j] > mx ? p[j] : mx;
	return mx;
}

/*
 * s[16 c + lane] = q . key (16 c + lane) for one query and chunks [c0, c1)
 * of kt (as InferScratch.kt), eight or four chunks at a time so the chains
 * overlap.
 */
static void
scores_q1(float *s, const float *q, const float *kt, int c0, int c1, int HS)
{
	int			c = c0;

	for (; c + 8 <= c1; c += 8)
	{
		const float *k = kt + (size_t) c * HS * 16;
		InferVf16	a0 = {0},
					a1 = {0},
					a2 = {0},
					a3 = {0},
					a4 = {0},
					a5 = {0},
					a6 = {0},
					a7 = {0};

		for (int i = 0; i < HS; i++)
		{
			a0 += q[i] * vload16(k + i * 16);
			a1 += q[i] * vload16(k + (HS + i) * 16);
			a2 += q[i] * vload16(k + (2 * HS + i) * 16);
			a3 += q[i] * vload16(k + (3 * HS + i) * 16);
			a4 += q[i] * vload16(k + (4 * HS + i) * 16);
			a5 += q[i] * vload16(k + (5 * HS + i) * 16);
			a6 += q[i] * vload16(k + (6 * HS + i) * 16);
			a7 += q[i] * vload16(k + (7 * HS + i) * 16);
		}
		vstore16(s + c * 16, a0);
		vstore16(s + (c + 1) * 16, a1);
		vstore16(s + (c + 2) * 16, a2);
		vstore16(s + (c + 3) * 16, a3);
		vstore16(s + (c + 4) * 16, a4);
		vstore16(s + (c + 5) * 16, a5);
		vstore16(s + (c + 6) * 16, a6);
		vstore16(s + (c + 7) * 16, a7);
	}
	for (; c + 4 <= c1; c += 4)
	{
		const float *k = kt + (size_t) c * HS * 16;
		InferVf16	a0 = {0},
					a1 = {0},
					a2 = {0},
					a3 = {0};

		for (int i = 0; i < HS; i++)
		{
			a0 += q[i] * vload16(k + i * 16);
			a1 += q[i] * vload16(k + (HS + i) * 16);
			a2 += q[i] * vload16(k + (2 * HS + i) * 16);
			a3 += q[i] * vload16(k + (3 * HS + i) * 16);
		}
		vstore16(s + c * 16, a0);
		vstore16(s + (c + 1) * 16, a1);
		vstore16(s + (c + 2) * 16, a2);
		vstore16(s + (c + 3) * 16, a3);
	}
	for (; c < c1; c++)
	{
		const float *k = kt + (size_t) c * HS * 16;
		InferVf16	a0 = {0};

		for (int i = 0; i < HS; i++)
			a0 += q[i] * vload16(k + i * 16);
		vstore16(s + c * 16, a0);
	}
}

/* scores_q1 for two queries at once: each chunk of keys loaded once for both. */
static void
scores_q2(float *const *s, const float *const *q, const float *kt, int nch, int HS)
{
	int			c = 0;

	for (; c + 2 <= nch; c += 2)
	{
		const float *k = kt + (size_t) c * HS * 16;
		InferVf16	a0 = {0},
					a1 = {0},
					b0 = {0},
					b1 = {0};

		for (int i = 0; i < HS; i++)
		{
			InferVf16	ka = vload16(k + i * 16);
			InferVf16	kb = vload16(k + (HS + i) * 16);

			a0 += q[0][i] * ka;
			a1 += q[1][i] * ka;
			b0 += q[0][i] * kb;
			b1 += q[1][i] * kb;
		}
		vstore16(s[0] + c * 16, a0);
		vstore16(s[1] + c * 16, a1);
		vstore16(s[0] + (c + 1) * 16, b0);
		vstore16(s[1] + (c + 1) * 16, b1);
	}
	scores_q1(s[0], q[0], kt, c, nch, HS);
	scores_q1(s[1], q[1], kt, c, nch, HS);
}

/* scores_q1 for four queries at once: each chunk of keys loaded once for them. */
static void
scores_q4(float *const *s, const float *const *q, const float *kt, int nch, int HS)
{
	int			c = 0;

	for (; c + 2 <= nch; c += 2)
	{
		const float *k = kt + (size_t) c * HS * 16;
		InferVf16	a0 = {0},
					a1 = {0},
					a2 = {0},
					a3 = {0},
					b0 = {0},
					b1 = {0},
					b2 = {0},
					b3 = {0};

		for (int i = 0; i < HS; i++)
		{
			InferVf16	ka = vload16(k + i * 16);
			InferVf16	kb = vload16(k + (HS + i) * 16);

			a0 += q[0][i] * ka;
			a1 += q[1][i] * ka;
			a2 += q[2][i] * ka;
			a3 += q[3][i] * ka;
			b0 += q[0][i] * kb;
			b1 += q[1][i] * kb;
			b2 += q[2][i] * kb;
			b3 += q[3][i] * kb;
		}
		vstore16(s[0] + c * 16, a0);
		vstore16(s[1] + c * 16, a1);
		vstore16(s[2] + c * 16, a2);
		vstore16(s[3] + c * 16, a3);
		vstore16(s[0] + (c + 1) * 16, b0);
		vstore16(s[1] + (c + 1) * 16, b1);
		vstore16(s[2] + (c + 1) * 16, b2);
		vstore16(s[3] + (c + 1) * 16, b3);
	}
	for (int r = 0; r < 4; r++)
		scores_q1(s[r], q[r], kt, c, nch, HS);
}

/*
 * Scores of nq queries against the n keys of kt (as InferScratch.kt), four
 * queries per pass over the keys; writes whole chunks of 16.  Every score
 * is one multiply-add chain over the head in order, in whichever kernel, so
 * a key gives the same bits wherever it is read from and however many
 * queries share the pass (not inlined: one copy of the arithmetic).
 */
__attribute__((noinline))
static void
att_scores(float *const *s, const float *const *q, int nq, const float *kt, int n, int HS)
{
	int			nch = (n + 15) / 16;

	for (; nq >= 4; nq -= 4, s += 4, q += 4)
		scores_q4(s, q, kt, nch, HS);
	for (; nq >= 2; nq -= 2, s += 2, q += 2)
		scores_q2(s, q, kt, nch, HS);
	if (nq == 1)
		scores_q1(s[0], q[0], kt, 0, nch, HS);
}

/*
 * acc (4, HS) += e[j] * v row j (rows KVD apart) for j in [j0, j1), key j
 * into acc row j % 4: four chains that do not wait on one another, and the
 * same sums however the keys are split into ranges (not inlined: one copy
 * of the arithmetic).
 */
__attribute__((noinline))
static void
att_weighted(float *acc, const float *e, const float *v, size_t KVD, int j0, int j1, int HS)
{
	if (HS % 16 != 0 && HS % 8 == 0)
	{
		/* heads of 8 (the 260K preset): the same chains, eight lanes at a time */
		for (int c = 0; c < HS; c += 8)
		{
			InferVf8	a[4];

			for (int k = 0; k < 4; k++)
				memcpy(&a[k], acc + k * HS + c, sizeof(a[k]));
			for (int j = j0; j < j1; j++)
			{
				InferVf8	vj;

				memcpy(&vj, v + (size_t) j * KVD + c, sizeof(vj));
				a[j % 4] += e[j] * vj;
			}
			for (int k = 0; k < 4; k++)
				memcpy(acc + k * HS + c, &a[k], sizeof(a[k]));
		}
		return;
	}
	if (HS % 16 != 0)
	{
		for (int j = j0; j < j1; j++)
			for (int i = 0; i < HS; i++)
				acc[(j % 4) * HS + i] += e[j] * v[(size_t) j * KVD + i];
		return;
	}
	for (int c = 0; c < HS; c += 16)
	{
		InferVf16	a0 = vload16(acc + c),
					a1 = vload16(acc + HS + c),
					a2 = vload16(acc + 2 * HS + c),
					a3 = vload16(acc + 3 * HS + c);
		const float *vc = v + c;
		int			j = j0;

		/* up to the first multiple of 4, the bulk four keys at a time, the rest */
		for (; j < j1 && (j % 4 != 0 || j + 4 > j1); j++)
		{
			/* the same expression as the bulk's, so the same rounding */
			if (j % 4 == 0)
				a0 += e[j] * vload16(vc + (size_t) j * KVD);
			else if (j % 4 == 1)
				a1 += e[j] * vload16(vc + (size_t) j * KVD);
			else if (j % 4 == 2)
				a2 += e[j] * vload16(vc + (size_t) j * KVD);
			else
				a3 += e[j] * vload16(vc + (size_t) j * KVD);
		}
		for (; j + 4 <= j1; j += 4)
		{
			a0 += e[j] * vload16(vc + (size_t) j * KVD);
			a1 += e[j + 1] * vload16(vc + (size_t) (j + 1) * KVD);
			a2 += e[j + 2] * vload16(vc + (size_t) (j + 2) * KVD);
			a3 += e[j + 3] * vload16(vc + (size_t) (j + 3) * KVD);
		}
		for (; j < j1; j++)
		{
			/* the same expression as the bulk's, so the same rounding */
			if (j % 4 == 0)
				a0 += e[j] * vload16(vc + (size_t) j * KVD);
			else if (j % 4 == 1)
				a1 += e[j] * vload16(vc + (size_t) j * KVD);
			else if (j % 4 == 2)
				a2 += e[j] * vload16(vc + (size_t) j * KVD);
			else
				a3 += e[j] * vload16(vc + (size_t) j * KVD);
		}
		vstore16(acc + c, a0);
		vstore16(acc + HS + c, a1);
		vstore16(acc + 2 * HS + c, a2);
		vstore16(acc + 3 * HS + c, a3);
	}
}

/*
 * att_weighted over keys [0, j1) for two queries at once (each v row loaded
 * once for both): every accumulator takes the same steps as in att_weighted.
 */
static void
att_weighted2(float *acc, float *bcc, const float *e, const float *f, const float *v,
			  size_t KVD, int j1, int HS)
{
	int			jb = HS % 16 == 0 ? j1 - j1 % 4 : 0;

	for (int c = 0; c < HS && jb > 0; c += 16)
	{
		InferVf16	a0 = vload16(acc + c),
					a1 = vload16(acc + HS + c),
					a2 = vload16(acc + 2 * HS + c),
					a3 = vload16(acc + 3 * HS + c),
					b0 = vload16(bcc + c),
					b1 = vload16(bcc + HS + c),
					b2 = vload16(bcc + 2 * HS + c),
					b3 = vload16(bcc + 3 * HS + c);
		const float *vc = v + c;

		for (int j = 0; j < jb; j += 4)
		{
			InferVf16	v0 = vload16(vc + (size_t) j * KVD),
						v1 = vload16(vc + (size_t) (j + 1) * KVD),
						v2 = vload16(vc + (size_t) (j + 2) * KVD),
						v3 = vload16(vc + (size_t) (j + 3) * KVD);

			a0 += e[j] * v0;
			a1 += e[j + 1] * v1;
			a2 += e[j + 2] * v2;
			a3 += e[j + 3] * v3;
			b0 += f[j] * v0;
			b1 += f[j + 1] * v1;
			b2 += f[j + 2] * v2;
			b3 += f[j + 3] * v3;
		}
		vstore16(acc + c, a0);
		vstore16(acc + HS + c, a1);
		vstore16(acc + 2 * HS + c, a2);
		vstore16(acc + 3 * HS + c, a3);
		vstore16(bcc + c, b0);
		vstore16(bcc + HS + c, b1);
		vstore16(bcc + 2 * HS + c, b2);
		vstore16(bcc + 3 * HS + c, b3);
	}
	att_weighted(acc, e, v, KVD, jb, j1, HS);
	att_weighted(bcc, f, v, KVD, jb, j1, HS);
}

/*
 * Attention of the n rows of layer l, each over its own keys [0, pos[i]].
 * Keys [0, P) are the owner's (every row caches the same there): their
 * scores come from the owner's transposed keys and their values from its
 * cache, each read once per step for all rows and heads; the rest from each
 * row's own cache.  A row's sums do not depend on P or on the other rows.
 */
static void
step_attention(SqlpilotRunState *const *rows, int n, const int *pos, int P,
			   const SqlpilotRunState *owner, int l, BatchActs *a, const SqlpilotConfig *c)
{
	int			NH = c->n_heads;
	int			NKV = c->n_kv_heads;
	int			HS = c->dim / NH;
	int			group = NH / NKV;
	size_t		QD = (size_t) c->dim;
	size_t		KVD = (size_t) NKV * (size_t) HS;
	size_t		at = (size_t) l * (size_t) c->seq_len * KVD;
	size_t		ld = kt_stride(c);
	size_t		sr = ld + 16;
	int			nall = n * group;	/* queries per kv head: row i's heads at i * group */
	const float *okt = ((InferScratch *) owner->scratch)->kt + (size_t) l * KVD * ld;

	for (int kh = 0; kh < NKV; kh++)
	{
		const float *kt = okt + (size_t) kh * HS * ld;
		const float *ov = owner->value_cache + at + (size_t) kh * HS;
		float	   *e[SQLPILOT_STEP_MAX_ROWS * 4];
		const float *qs[SQLPILOT_STEP_MAX_ROWS * 4];
		int			nq = 0;

		/* the shared keys' scores for every query of this kv head, four queries a pass */
		for (int i = 0; i < n; i++)
			for (int g = 0; g < group; g++)
			{
				size_t		h = (size_t) (kh * group + g);

				e[nq] = a->att + ((size_t) i * NH + h) * sr;
				qs[nq++] = a->qs + (size_t) i * QD + h * HS;
				if (nq == SQLPILOT_STEP_MAX_ROWS * 4)
				{
					att_scores(e, qs, nq, kt, P, HS);
					nq = 0;
				}
			}
		att_scores(e, qs, nq, kt, P, HS);
		for (int i = 0; i < n; i++)
		{
			int			nown = pos[i] + 1 - P;

			/* this row's keys past P, as kt, then the rest of its heads' scores and softmax */
			kt_chunks(a->own, rows[i]->key_cache + at + (size_t) kh * HS + (size_t) P * KVD,
					  KVD, 0, nown, HS);
			for (int g = 0; g < group; g++)
			{
				size_t		h = (size_t) i * NH + (size_t) (kh * group + g);
				float	   *ei = a->att + h * sr;
				float	   *eo = ei + P;
				const float *q = a->qs + h * HS;

				att_scores(&eo, &q, 1, a->own, nown, HS);
				a->inv[h] = 1.0f / sqlpilot_exp_shift_sum(ei, pos[i] + 1, max_of(ei, pos[i] + 1));
				memset(a->wacc + h * 4 * HS, 0, sizeof(float) * 4 * (size_t) HS);
			}
		}
		/* the shared values for two queries at a time, then each row's own */
		for (int k = 0; k < nall; k += 2)
		{
			size_t		h0 = (size_t) (k / group) * NH + (size_t) (kh * group + k % group);
			size_t		h1 = (size_t) ((k + 1) / group) * NH + (size_t) (kh * group + (k + 1) % group);

			if (k + 1 < nall)
				att_weighted2(a->wacc + h0 * 4 * HS, a->wacc + h1 * 4 * HS, a->att + h0 * sr,
							  a->att + h1 * sr, ov, KVD, P, HS);
			else
				att_weighted(a->wacc + h0 * 4 * HS, a->att + h0 * sr, ov, KVD, 0, P, HS);
		}
		for (int i = 0; i < n; i++)
			for (int g = 0; g < group; g++)
			{
				size_t		h = (size_t) i * NH + (size_t) (kh * group + g);
				float	   *acc = a->wacc + h * 4 * HS;

				att_weighted(acc, a->att + h * sr, rows[i]->value_cache + at + (size_t) kh * HS,
							 KVD, P, pos[i] + 1, HS);
				for (int d = 0; d < HS; d++)
					a->atty[h * HS + d] =
						((acc[d] + acc[HS + d]) + (acc[2 * HS + d] + acc[3 * HS + d])) * a->inv[h];
			}
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
	SqlpilotRunState *owner;
	InferScratch *sc;
	BatchActs	a;
	size_t		C,
				H,
				KVD,
				S;
	int			pos[SQLPILOT_STEP_MAX_ROWS];
	int			P;
	float		scale;

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
		/* zeroed: the lanes of a chunk past a row's keys are read, not used */
		float	   *grown = calloc(batch_carve(&a, NULL, c, (size_t) n), sizeof(float));

		if (!grown)
			return -1;
		free(sc->batch);
		sc->batch = grown;
		sc->batch_rows = n;
	}
	batch_carve(&a, sc->batch, c, (size_t) sc->batch_rows);
	owner = kt_owner(rows[0]);
	if (kt_extend(owner) != 0)
		return -1;
	/* the leading positions every row caches as the owner does */
	P = owner->n_cached;
	for (int i = 0; i < n; i++)
	{
		int			k = 0;

		while (k < P && k < rows[i]->n_cached && rows[i]->cached_ids[k] == owner->cached_ids[k])
			k++;
		P = k;
	}
	C = (size_t) c->dim;
	H = (size_t) c->hidden_dim;
	KVD = (size_t) c->n_kv_heads * (C / (size_t) c->n_heads);
	S = (size_t) c->seq_len;
	scale = 1.0f / sqrtf((float) (c->dim / c->n_heads));

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
		for (size_t i = 0; i < (size_t) n * C; i++)
			a.qs[i] = a.q[i] * scale;
		for (int i = 0; i < n; i++)
		{
			size_t		at = ((size_t) l * S + (size_t) pos[i]) * KVD;

			memcpy(rows[i]->key_cache + at, a.k + i * KVD, KVD * sizeof(float));
			memcpy(rows[i]->value_cache + at, a.v + i * KVD, KVD * sizeof(float));
		}
		step_attention(rows, n, pos, P, owner, l, &a, c);
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
	if (n < sc->kt_n)
		sc->kt_n = n;
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
	if (common < ((InferScratch *) dst->scratch)->kt_n)
		((InferScratch *) dst->scratch)->kt_n = common;
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

/*
 * The pieces of a KV file's payload for n tokens, in file order: the token
 * ids, then per layer the k rows and the v rows, straight out of (or into)
 * the run state, so neither saving nor loading needs a copy of the whole
 * payload (a new backend would fault in every page of that copy).  Returns
 * the number of pieces (1 + 2 * layers).
 */
static int
kv_pieces(const SqlpilotRunState *s, int n, void **at, size_t *bytes)
{
	const SqlpilotConfig *c = s->config;
	size_t		KVD = (size_t) c->n_kv_heads * (size_t) (c->dim / c->n_heads);
	int			k = 0;

	at[k] = s->cached_ids;
	bytes[k++] = (size_t) n * sizeof(int);
	for (int l = 0; l < c->n_layers; l++)
	{
		size_t		off = (size_t) l * (size_t) c->seq_len * KVD;

		at[k] = s->key_cache + off;
		bytes[k++] = (size_t) n * KVD * sizeof(float);
		at[k] = s->value_cache + off;
		bytes[k++] = (size_t) n * KVD * sizeof(float);
	}
	return k;
}

/* The payload's checksum: XXH64 of each piece, seeded with the one before. */
static uint64_t
kv_checksum(void **at, const size_t *bytes, int pieces, uint64_t model_checksum)
{
	uint64_t	h = model_checksum;

	for (int i = 0; i < pieces; i++)
		h = sqlpilot_checksum64(at[i], bytes[i], h);
	return h;
}

/* Reads exactly len bytes (retrying short reads); 0, or -1 at an error or the end. */
static int
read_full(int fd, void *dst, size_t len)
{
	unsigned char *p = dst;

	while (len > 0)
	{
		ssize_t		got = read(fd, p, len);

		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			return -1;
		p += got;
		len -= (size_t) got;
	}
	return 0;
}

/* Writes the first n cached tokens and their k/v rows to path (temp file + rename). */
int
sqlpilot_infer_save(const SqlpilotRunState *s, int n, uint64_t model_checksum,
					const char *path, char *err, size_t errlen)
{
	const SqlpilotConfig *c = s->config;
	size_t		KVD = (size_t) c->n_kv_heads * (size_t) (c->dim / c->n_heads);
	unsigned char header[KV_HEADER];
	void	   *at[1 + 2 * SQLPILOT_MAX_LAYERS];
	size_t		bytes[1 + 2 * SQLPILOT_MAX_LAYERS];
	int			pieces;
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
	pieces = kv_pieces(s, n, at, bytes);
	memset(header, 0, sizeof(header));
	memcpy(header, KV_MAGIC, 8);
	u32 = 0x01020304;
	memcpy(header + 8, &u32, 4);
	u32 = (uint32_t) c->n_layers;
	memcpy(header + 12, &u32, 4);
	u32 = (uint32_t) KVD;
	memcpy(header + 16, &u32, 4);
	u32 = (uint32_t) n;
	memcpy(header + 20, &u32, 4);
	memcpy(header + 24, &model_checksum, 8);
	u64 = kv_checksum(at, bytes, pieces, model_checksum);
	memcpy(header + 32, &u64, 8);
	u64 = kv_payload_bytes(c, n);
	memcpy(header + 40, &u64, 8);

	f = fopen(tmp, "wb");
	ok = f != NULL && fwrite(header, 1, KV_HEADER, f) == KV_HEADER;
	for (int i = 0; ok && i < pieces; i++)
		ok = fwrite(at[i], 1, bytes[i], f) == bytes[i];
	if (f && fclose(f) != 0)
		ok = 0;
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
 * The file is read, not mapped (another process truncating it under a
 * mapping would kill the backend with SIGBUS), straight into the KV cache;
 * s keeps nothing of it unless the whole payload checks out.
 */
int
sqlpilot_infer_load(SqlpilotRunState *s, uint64_t model_checksum, const char *path,
					char *err, size_t errlen)
{
	const SqlpilotConfig *c = s->config;
	size_t		KVD = (size_t) c->n_kv_heads * (size_t) (c->dim / c->n_heads);
	unsigned char header[KV_HEADER];
	void	   *at[1 + 2 * SQLPILOT_MAX_LAYERS];
	size_t		bytes[1 + 2 * SQLPILOT_MAX_LAYERS];
	int			pieces;
	struct stat st;
	uint32_t	bom,
				layers,
				kvd,
				n;
	uint64_t	sum,
				want,
				payload;
	int			fd;
	int			ok = 1;

	sqlpilot_infer_truncate(s, 0);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
	{
		snprintf(err, errlen, "cannot open \"%s\": %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0 || read_full(fd, header, KV_HEADER) != 0)
	{
		snprintf(err, errlen, "%s is not a KV file", path);
		close(fd);
		return -1;
	}
	memcpy(&bom, header + 8, 4);
	memcpy(&layers, header + 12, 4);
	memcpy(&kvd, header + 16, 4);
	memcpy(&n, header + 20, 4);
	memcpy(&sum, header + 24, 8);
	memcpy(&want, header + 32, 8);
	memcpy(&payload, header + 40, 8);
	if (memcmp(header, KV_MAGIC, 8) != 0)
	{
		snprintf(err, errlen, "%s is not a KV file", path);
		ok = 0;
	}
	else if (bom != 0x01020304 || sum != model_checksum || layers != (uint32_t) c->n_layers ||
			 kvd != (uint32_t) KVD || n == 0 || n > (uint32_t) c->seq_len ||
			 payload != kv_payload_bytes(c, (int) n))
	{
		snprintf(err, errlen, "%s belongs to another model or shape", path);
		ok = 0;
	}
	else if ((uint64_t) st.st_size != KV_HEADER + payload)
	{
		snprintf(err, errlen, "%s is truncated or corrupt", path);
		ok = 0;
	}
	if (ok)
	{
		pieces = kv_pieces(s, (int) n, at, bytes);
		for (int i = 0; ok && i < pieces; i++)
			ok = read_full(fd, at[i], bytes[i]) == 0;
		if (!ok || kv_checksum(at, bytes, pieces, model_checksum) != want)
		{
			snprintf(err, errlen, "%s is truncated or corrupt", path);
			ok = 0;
		}
		for (uint32_t i = 0; ok && i < n; i++)
			if (s->cached_ids[i] < 0 || s->cached_ids[i] >= c->vocab_size)
			{
				snprintf(err, errlen, "%s holds an impossible token id", path);
				ok = 0;
			}
	}
	close(fd);
	if (!ok)
		return -1;
	s->n_cached = (int) n;
	((InferScratch *) s->scratch)->logits_valid = 0;
	return (int) n;
}
