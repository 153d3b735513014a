/*
 * model.c — configurations, the canonical parameter layout, and the model
 * file: writing it, and reading + verifying it (see model.h).
 *
 * Model file, version 1.  Everything little-endian.  A fixed 128-byte header:
 *
 *   off size field
 *     0   8  magic "SQLPILOT"
 *     8   4  u32 version (1)
 *    12   4  u32 header_size (128)
 *    16   4  u32 dtype of the weights: 0 f32, 1 f16, 2 q8
 *    20   4  u32 flags (0; reserved)
 *    24  32  i32 dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size,
 *            seq_len, tied
 *    56   8  f32 rope_theta, norm_eps
 *    64   4  u32 n_merges
 *    68   4  u32 reserved (0)
 *    72   8  u64 tokenizer_offset  (= 128)
 *    80   8  u64 tokenizer_size    (= n_merges * 8)
 *    88   8  u64 weights_offset    (tokenizer end rounded up to 64)
 *    96   8  u64 weights_size
 *   104   8  u64 file_size
 *   112   8  u64 param_count       (sqlpilot_param_count of the config)
 *   120   8  u64 checksum
 *
 * Then the tokenizer: n_merges pairs of i32 (left, right), merge i making
 * token SQLPILOT_TOKEN_BYTE0 + 256 + i; zero padding up to weights_offset;
 * then the weights, all tensors in the canonical order of model.h:
 *   f32: param_count floats.
 *   f16: param_count IEEE halves.
 *   q8:  every tensor is cut into rows of its last dimension (C, or H for
 *        w2); first one f32 scale per row for all rows in canonical order,
 *        then param_count int8 values; value = q * scale, scale = absmax/127.
 * file_size is exactly the end of the weights; nothing follows.
 *
 * checksum = XXH64(bytes [128, file_size), seed = XXH64(bytes [0, 120), 0)):
 * the header without its checksum field seeds the hash of the rest.
 *
 * f32 files, and the matrices of f16 files, are used straight from the
 * file's bytes (inference reads halves with sqlpilot_matvec_f16); q8 is
 * dequantized into private fp32 memory at load.  Every size is checked
 * against the real file length before anything is read, so a truncated,
 * corrupt or hostile file is refused with a message and never read out of
 * bounds; a file with a NaN or Inf weight is refused too, naming the tensor.
 *
 * The file a user installs is never mapped: a mapping of a file that is then
 * truncated or rewritten in place (cp onto it) raises SIGBUS when a vanished
 * page is touched, and in PostgreSQL that restarts every session.  Tools read
 * the file into private memory (sqlpilot_model_load).  Servers copy it into a
 * snapshot file only this code writes (sqlpilot_model_load_snapshot) and map
 * that, so their backends still share one copy in the page cache.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE				/* O_TMPFILE */
#endif
#include "model.h"

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "matvec.h"
#include "util.h"

#define MODEL_MAGIC "SQLPILOT"
#define MODEL_VERSION 1
#define MODEL_HEADER_SIZE 128
#define MODEL_ALIGN 64

/* Limits on a config that a file may claim: far above any real model. */
#define SQLPILOT_MAX_DIM 16384
#define SQLPILOT_MAX_HIDDEN 65536
#define SQLPILOT_MAX_HEADS 1024
#define SQLPILOT_MAX_VOCAB 65536
#define SQLPILOT_MAX_SEQ_LEN 65536

/* Fills c from a preset name; every preset has vocab 512, context 512, tied head. */
int
sqlpilot_config_preset(const char *name, SqlpilotConfig *c)
{
	static const struct
	{
		const char *name;
		int			dim,
					hidden_dim,
					n_layers,
					n_heads,
					n_kv_heads;
	}			presets[] = {
		{"260K", 64, 172, 5, 8, 4},
		{"15M", 288, 768, 6, 6, 6},
		{"42M", 512, 1376, 8, 8, 8},
	};

	for (size_t i = 0; i < sizeof(presets) / sizeof(presets[0]); i++)
	{
		if (strcmp(name, presets[i].name) != 0)
			continue;
		memset(c, 0, sizeof(*c));
		c->dim = presets[i].dim;
		c->hidden_dim = presets[i].hidden_dim;
		c->n_layers = presets[i].n_layers;
		c->n_heads = presets[i].n_heads;
		c->n_kv_heads = presets[i].n_kv_heads;
		c->vocab_size = SQLPILOT_VOCAB_SIZE;
		c->seq_len = 512;
		c->tied = 1;
		c->rope_theta = 10000.0f;
		c->norm_eps = 1e-5f;
		return 0;
	}
	return -1;
}

/* Checks sizes, head layout, tie flag and the float hyperparameters. */
int
sqlpilot_config_validate(const SqlpilotConfig *c, char *err, size_t errlen)
{
	if (c->dim <= 0 || c->dim > SQLPILOT_MAX_DIM)
		snprintf(err, errlen, "invalid dim %d (must be 1..%d)", c->dim, SQLPILOT_MAX_DIM);
	else if (c->hidden_dim <= 0 || c->hidden_dim > SQLPILOT_MAX_HIDDEN)
		snprintf(err, errlen, "invalid hidden_dim %d (must be 1..%d)",
				 c->hidden_dim, SQLPILOT_MAX_HIDDEN);
	else if (c->n_layers <= 0 || c->n_layers > SQLPILOT_MAX_LAYERS)
		snprintf(err, errlen, "invalid n_layers %d (must be 1..%d)",
				 c->n_layers, SQLPILOT_MAX_LAYERS);
	else if (c->n_heads <= 0 || c->n_heads > SQLPILOT_MAX_HEADS)
		snprintf(err, errlen, "invalid n_heads %d (must be 1..%d)",
				 c->n_heads, SQLPILOT_MAX_HEADS);
	else if (c->dim % c->n_heads != 0)
		snprintf(err, errlen, "dim %d is not a multiple of n_heads %d", c->dim, c->n_heads);
	else if ((c->dim / c->n_heads) % 2 != 0)
		snprintf(err, errlen, "head size %d is odd (RoPE rotates pairs)", c->dim / c->n_heads);
	else if (c->n_kv_heads <= 0 || c->n_heads % c->n_kv_heads != 0)
		snprintf(err, errlen, "n_kv_heads %d does not divide n_heads %d",
				 c->n_kv_heads, c->n_heads);
	else if (c->vocab_size < SQLPILOT_TOKEN_BYTE0 + 256 || c->vocab_size > SQLPILOT_MAX_VOCAB)
		snprintf(err, errlen, "invalid vocab_size %d (must be %d..%d)", c->vocab_size,
				 SQLPILOT_TOKEN_BYTE0 + 256, SQLPILOT_MAX_VOCAB);
	else if (c->seq_len <= 0 || c->seq_len > SQLPILOT_MAX_SEQ_LEN)
		snprintf(err, errlen, "invalid seq_len %d (must be 1..%d)",
				 c->seq_len, SQLPILOT_MAX_SEQ_LEN);
	else if (c->tied != 0 && c->tied != 1)
		snprintf(err, errlen, "invalid tied flag %d (must be 0 or 1)", c->tied);
	else if (!(c->rope_theta > 0.0f) || !isfinite(c->rope_theta))
		snprintf(err, errlen, "invalid rope_theta %g", (double) c->rope_theta);
	else if (!(c->norm_eps > 0.0f) || !(c->norm_eps < 1.0f))
		snprintf(err, errlen, "invalid norm_eps %g (must be in (0, 1))", (double) c->norm_eps);
	else
		return 0;
	return -1;
}

/*
 * The tensors of a config in canonical order: element count and row length
 * (the last dimension).  Fills up to 12 entries and returns how many.
 */
static int
model_tensors(const SqlpilotConfig *c, size_t *count, size_t *rowlen)
{
	size_t		C = (size_t) c->dim;
	size_t		H = (size_t) c->hidden_dim;
	size_t		L = (size_t) c->n_layers;
	size_t		HS = C / (size_t) c->n_heads;
	size_t		QD = (size_t) c->n_heads * HS;
	size_t		KVD = (size_t) c->n_kv_heads * HS;
	size_t		V = (size_t) c->vocab_size;
	int			n = 0;

	count[n] = V * C, rowlen[n++] = C;	/* token_embedding */
	count[n] = L * C, rowlen[n++] = C;	/* rms_att */
	count[n] = L * QD * C, rowlen[n++] = C; /* wq */
	count[n] = L * KVD * C, rowlen[n++] = C;	/* wk */
	count[n] = L * KVD * C, rowlen[n++] = C;	/* wv */
	count[n] = L * C * QD, rowlen[n++] = QD;	/* wo */
	count[n] = L * C, rowlen[n++] = C;	/* rms_ffn */
	count[n] = L * H * C, rowlen[n++] = C;	/* w1 */
	count[n] = L * C * H, rowlen[n++] = H;	/* w2 */
	count[n] = L * H * C, rowlen[n++] = C;	/* w3 */
	count[n] = C, rowlen[n++] = C;	/* rms_final */
	if (!c->tied)
		count[n] = V * C, rowlen[n++] = C;	/* wcls */
	return n;
}

/* Names of the tensors of model_tensors(), in the same order. */
static const char *const model_tensor_names[12] = {
	"token_embedding", "rms_att", "wq", "wk", "wv", "wo", "rms_ffn", "w1", "w2", "w3",
	"rms_final", "wcls"
};

/* Sum of the tensor sizes of model_tensors(). */
size_t
sqlpilot_param_count(const SqlpilotConfig *c)
{
	size_t		count[12],
				rowlen[12],
				total = 0;
	int			n = model_tensors(c, count, rowlen);

	for (int i = 0; i < n; i++)
		total += count[i];
	return total;
}

/* Number of q8 rows (one scale each) over all tensors. */
static size_t
model_q8_rows(const SqlpilotConfig *c)
{
	size_t		count[12],
				rowlen[12],
				total = 0;
	int			n = model_tensors(c, count, rowlen);

	for (int i = 0; i < n; i++)
		total += count[i] / rowlen[i];
	return total;
}

/* Points every field of w at its tensor inside base, in canonical order. */
void
sqlpilot_weights_map(SqlpilotWeights *w, const SqlpilotConfig *c, float *base)
{
	size_t		count[12],
				rowlen[12];
	float	   *p = base;

	model_tensors(c, count, rowlen);
	w->token_embedding = p, p += count[0];
	w->rms_att = p, p += count[1];
	w->wq = p, p += count[2];
	w->wk = p, p += count[3];
	w->wv = p, p += count[4];
	w->wo = p, p += count[5];
	w->rms_ffn = p, p += count[6];
	w->w1 = p, p += count[7];
	w->w2 = p, p += count[8];
	w->w3 = p, p += count[9];
	w->rms_final = p, p += count[10];
	w->wcls = c->tied ? w->token_embedding : p;
	memset(&w->half, 0, sizeof(w->half));
}

/*
 * Points the matrices of w at their halves inside base (an f16 weights
 * section) and the norm weights at norms (2*L*C + C floats, filled here by
 * widening the file's halves); the float matrices are NULL.
 */
static void
model_weights_map_half(SqlpilotWeights *w, const SqlpilotConfig *c, const uint16_t *base,
					   float *norms)
{
	size_t		count[12],
				rowlen[12];
	const uint16_t *p = base;

	model_tensors(c, count, rowlen);
	memset(w, 0, sizeof(*w));
	w->half.token_embedding = p, p += count[0];
	w->rms_att = norms;
	sqlpilot_f16_to_f32_n(w->rms_att, p, count[1]), p += count[1];
	w->half.wq = p, p += count[2];
	w->half.wk = p, p += count[3];
	w->half.wv = p, p += count[4];
	w->half.wo = p, p += count[5];
	w->rms_ffn = norms + count[1];
	sqlpilot_f16_to_f32_n(w->rms_ffn, p, count[6]), p += count[6];
	w->half.w1 = p, p += count[7];
	w->half.w2 = p, p += count[8];
	w->half.w3 = p, p += count[9];
	w->rms_final = norms + count[1] + count[6];
	sqlpilot_f16_to_f32_n(w->rms_final, p, count[10]), p += count[10];
	w->half.wcls = c->tied ? w->half.token_embedding : p;
}

/* Offsets each per-layer tensor of w to layer l. */
void
sqlpilot_layer_weights(SqlpilotLayerWeights *lw, const SqlpilotWeights *w,
					   const SqlpilotConfig *c, int l)
{
	size_t		C = (size_t) c->dim;
	size_t		H = (size_t) c->hidden_dim;
	size_t		HS = C / (size_t) c->n_heads;
	size_t		QD = (size_t) c->n_heads * HS;
	size_t		KVD = (size_t) c->n_kv_heads * HS;
	size_t		li = (size_t) l;

	lw->rms_att = w->rms_att + li * C;
	lw->wq = w->wq ? w->wq + li * QD * C : NULL;
	lw->wk = w->wk ? w->wk + li * KVD * C : NULL;
	lw->wv = w->wv ? w->wv + li * KVD * C : NULL;
	lw->wo = w->wo ? w->wo + li * C * QD : NULL;
	lw->rms_ffn = w->rms_ffn + li * C;
	lw->w1 = w->w1 ? w->w1 + li * H * C : NULL;
	lw->w2 = w->w2 ? w->w2 + li * C * H : NULL;
	lw->w3 = w->w3 ? w->w3 + li * H * C : NULL;
	lw->wq_half = w->half.wq ? w->half.wq + li * QD * C : NULL;
	lw->wk_half = w->half.wk ? w->half.wk + li * KVD * C : NULL;
	lw->wv_half = w->half.wv ? w->half.wv + li * KVD * C : NULL;
	lw->wo_half = w->half.wo ? w->half.wo + li * C * QD : NULL;
	lw->w1_half = w->half.w1 ? w->half.w1 + li * H * C : NULL;
	lw->w2_half = w->half.w2 ? w->half.w2 + li * C * H : NULL;
	lw->w3_half = w->half.w3 ? w->half.w3 + li * H * C : NULL;
}

/* Stores v little-endian at p (any alignment, any host). */
static void
put_u32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char) (v >> (8 * i));
}

/* Stores v little-endian at p. */
static void
put_u64(unsigned char *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (unsigned char) (v >> (8 * i));
}

/* Stores the bits of f little-endian at p. */
static void
put_f32(unsigned char *p, float f)
{
	uint32_t	v;

	memcpy(&v, &f, sizeof(v));
	put_u32(p, v);
}

/* Loads a little-endian u32 from p. */
static uint32_t
get_u32(const unsigned char *p)
{
	return (uint32_t) p[0] | (uint32_t) p[1] << 8 | (uint32_t) p[2] << 16 |
		(uint32_t) p[3] << 24;
}

/* Loads a little-endian u64 from p. */
static uint64_t
get_u64(const unsigned char *p)
{
	return (uint64_t) get_u32(p) | (uint64_t) get_u32(p + 4) << 32;
}

/* Loads a little-endian float from p. */
static float
get_f32(const unsigned char *p)
{
	uint32_t	v = get_u32(p);
	float		f;

	memcpy(&f, &v, sizeof(f));
	return f;
}

/* The name of a dtype, as the CLI spells it. */
const char *
sqlpilot_dtype_name(SqlpilotDtype dtype)
{
	switch (dtype)
	{
		case SQLPILOT_DTYPE_F32:
			return "f32";
		case SQLPILOT_DTYPE_F16:
			return "f16";
		case SQLPILOT_DTYPE_Q8:
			return "q8";
	}
	return "unknown";
}

/* Bytes the weights of a config take in a file of the given dtype. */
static size_t
model_weights_size(const SqlpilotConfig *c, SqlpilotDtype dtype)
{
	size_t		n = sqlpilot_param_count(c);

	if (dtype == SQLPILOT_DTYPE_F16)
		return 2 * n;
	if (dtype == SQLPILOT_DTYPE_Q8)
		return 4 * model_q8_rows(c) + n;
	return 4 * n;
}

/* Whether value i at p (f32 or f16, host order) is a NaN or Inf: all exponent bits set. */
static inline unsigned
value_nonfinite(const unsigned char *p, size_t i, SqlpilotDtype dtype)
{
	if (dtype == SQLPILOT_DTYPE_F16)
	{
		uint16_t	h;

		memcpy(&h, p + 2 * i, sizeof(h));
		return (h & 0x7c00u) == 0x7c00u;
	}
	else
	{
		uint32_t	u;

		memcpy(&u, p + 4 * i, sizeof(u));
		return (u & 0x7f800000u) == 0x7f800000u;
	}
}

/* Values per block of first_nonfinite: a constant trip count lets -O2 vectorize the scan. */
#define FINITE_BLOCK 4096

/* Whether any of the FINITE_BLOCK values at p is a NaN or Inf (branch-free OR). */
static unsigned
block_nonfinite(const unsigned char *p, SqlpilotDtype dtype)
{
	unsigned	bad = 0;

	if (dtype == SQLPILOT_DTYPE_F16)
		for (size_t j = 0; j < FINITE_BLOCK; j++)
			bad |= value_nonfinite(p, j, SQLPILOT_DTYPE_F16);
	else
		for (size_t j = 0; j < FINITE_BLOCK; j++)
			bad |= value_nonfinite(p, j, SQLPILOT_DTYPE_F32);
	return bad;
}

/*
 * Index of the first NaN or Inf among the n values at p (f32 or f16 in host
 * order, the order of files on the little-endian hosts this runs on), or n.
 * Whole blocks are tested at vector speed (15M preset, f16: ~0.3 ms); only a
 * block that holds one, and the tail, are walked value by value.
 */
static size_t
first_nonfinite(const unsigned char *p, size_t n, SqlpilotDtype dtype)
{
	size_t		esize = dtype == SQLPILOT_DTYPE_F16 ? 2 : 4;
	size_t		i = 0;

	while (i + FINITE_BLOCK <= n && !block_nonfinite(p + i * esize, dtype))
		i += FINITE_BLOCK;
	for (; i < n; i++)
		if (value_nonfinite(p, i, dtype))
			return i;
	return n;
}

/*
 * Looks for a NaN or Inf in a weights section of the given dtype (for q8, a
 * row scale that is one or makes one: its int8 values are always finite).  Returns 0, or 1 with
 * where it is ("tensor w1 of layer 2, element 17 of 12288") in where.
 */
static int
model_find_nonfinite(const unsigned char *w, const SqlpilotConfig *c, SqlpilotDtype dtype,
					 char *where, size_t wherelen)
{
	size_t		count[12],
				rowlen[12];
	int			nt = model_tensors(c, count, rowlen);
	size_t		esize = dtype == SQLPILOT_DTYPE_F16 ? 2 : 4;

	for (int t = 0; t < nt; t++)
	{
		/* q8 scales: one f32 per row, rows of all tensors in canonical order */
		size_t		n = dtype == SQLPILOT_DTYPE_Q8 ? count[t] / rowlen[t] : count[t];
		size_t		at = n;
		bool		per_layer = t >= 1 && t <= 9;

		if (dtype != SQLPILOT_DTYPE_Q8)
			at = first_nonfinite(w, n, dtype);
		else
		{
			/* a finite scale can still overflow: q * scale with |q| up to 127 */
			for (size_t r = 0; r < n && at == n; r++)
				if (!isfinite(get_f32(w + 4 * r) * 127.0f))
					at = r;
		}

		if (at < n)
		{
			size_t		per = per_layer ? n / (size_t) c->n_layers : n;

			if (per_layer)
				snprintf(where, wherelen, "tensor %s of layer %zu, %s %zu of %zu",
						 model_tensor_names[t], at / per,
						 dtype == SQLPILOT_DTYPE_Q8 ? "row scale" : "element", at % per, per);
			else
				snprintf(where, wherelen, "tensor %s, %s %zu of %zu", model_tensor_names[t],
						 dtype == SQLPILOT_DTYPE_Q8 ? "row scale" : "element", at, n);
			return 1;
		}
		w += n * esize;
	}
	return 0;
}

/* Encodes params into dst in the file's dtype (see the format above). */
static void
model_encode_weights(unsigned char *dst, const SqlpilotConfig *c, const float *params,
					 SqlpilotDtype dtype)
{
	size_t		n = sqlpilot_param_count(c);

	if (dtype == SQLPILOT_DTYPE_F32)
	{
		for (size_t i = 0; i < n; i++)
			put_f32(dst + 4 * i, params[i]);
	}
	else if (dtype == SQLPILOT_DTYPE_F16)
	{
		for (size_t i = 0; i < n; i++)
		{
			uint16_t	h = sqlpilot_fp32_to_fp16(params[i]);

			dst[2 * i] = (unsigned char) h;
			dst[2 * i + 1] = (unsigned char) (h >> 8);
		}
	}
	else
	{
		size_t		count[12],
					rowlen[12];
		int			nt = model_tensors(c, count, rowlen);
		unsigned char *scales = dst;
		int8_t	   *q = (int8_t *) (dst + 4 * model_q8_rows(c));
		const float *p = params;
		size_t		row = 0;

		for (int t = 0; t < nt; t++)
		{
			for (size_t r = 0; r < count[t] / rowlen[t]; r++, row++, p += rowlen[t], q += rowlen[t])
			{
				float		amax = 0.0f;
				float		scale;

				for (size_t i = 0; i < rowlen[t]; i++)
					amax = fmaxf(amax, fabsf(p[i]));
				scale = amax / 127.0f;
				put_f32(scales + 4 * row, scale);
				for (size_t i = 0; i < rowlen[t]; i++)
					q[i] = (int8_t) (scale > 0.0f ? lrintf(p[i] / scale) : 0);
			}
		}
	}
}

/* Writes header, merges and encoded weights into one buffer and saves it atomically. */
int
sqlpilot_model_save(const char *path, const SqlpilotConfig *c, const float *params,
					const SqlpilotTokenizer *tok, SqlpilotDtype dtype,
					char *err, size_t errlen)
{
	int			n_merges = tok ? tok->n_merges : 0;
	size_t		tok_size,
				w_off,
				w_size,
				total;
	unsigned char *buf;
	char		where[160];
	int			rc;

	if (sqlpilot_config_validate(c, err, errlen) != 0)
		return -1;
	if (dtype != SQLPILOT_DTYPE_F32 && dtype != SQLPILOT_DTYPE_F16 && dtype != SQLPILOT_DTYPE_Q8)
	{
		snprintf(err, errlen, "unknown dtype %d", (int) dtype);
		return -1;
	}
	if (tok && tok->vocab_size != c->vocab_size)
	{
		snprintf(err, errlen, "tokenizer vocab_size %d differs from config vocab_size %d",
				 tok->vocab_size, c->vocab_size);
		return -1;
	}
	if (n_merges < 0 || n_merges > c->vocab_size - SQLPILOT_TOKEN_BYTE0 - 256)
	{
		snprintf(err, errlen, "tokenizer has %d merges, vocab_size %d allows at most %d",
				 n_merges, c->vocab_size, c->vocab_size - SQLPILOT_TOKEN_BYTE0 - 256);
		return -1;
	}
	if (model_find_nonfinite((const unsigned char *) params, c, SQLPILOT_DTYPE_F32,
							 where, sizeof(where)))
	{
		snprintf(err, errlen, "refusing to write a model whose weights are not finite: NaN or Inf in %s (did training diverge?)",
				 where);
		return -1;
	}
	tok_size = (size_t) n_merges * 8;
	w_off = (MODEL_HEADER_SIZE + tok_size + MODEL_ALIGN - 1) / MODEL_ALIGN * MODEL_ALIGN;
	w_size = model_weights_size(c, dtype);
	total = w_off + w_size;
	buf = calloc(1, total);
	if (!buf)
	{
		snprintf(err, errlen, "out of memory (%zu bytes for the model file)", total);
		return -1;
	}
	memcpy(buf, MODEL_MAGIC, 8);
	put_u32(buf + 8, MODEL_VERSION);
	put_u32(buf + 12, MODEL_HEADER_SIZE);
	put_u32(buf + 16, (uint32_t) dtype);
	put_u32(buf + 24, (uint32_t) c->dim);
	put_u32(buf + 28, (uint32_t) c->hidden_dim);
	put_u32(buf + 32, (uint32_t) c->n_layers);
	put_u32(buf + 36, (uint32_t) c->n_heads);
	put_u32(buf + 40, (uint32_t) c->n_kv_heads);
	put_u32(buf + 44, (uint32_t) c->vocab_size);
	put_u32(buf + 48, (uint32_t) c->seq_len);
	put_u32(buf + 52, (uint32_t) c->tied);
	put_f32(buf + 56, c->rope_theta);
	put_f32(buf + 60, c->norm_eps);
	put_u32(buf + 64, (uint32_t) n_merges);
	put_u64(buf + 72, MODEL_HEADER_SIZE);
	put_u64(buf + 80, tok_size);
	put_u64(buf + 88, w_off);
	put_u64(buf + 96, w_size);
	put_u64(buf + 104, total);
	put_u64(buf + 112, sqlpilot_param_count(c));
	for (int i = 0; i < 2 * n_merges; i++)
		put_u32(buf + MODEL_HEADER_SIZE + 4 * i, (uint32_t) tok->merges[i]);
	model_encode_weights(buf + w_off, c, params, dtype);
	if (dtype == SQLPILOT_DTYPE_F16 &&
		model_find_nonfinite(buf + w_off, c, dtype, where, sizeof(where)))
	{
		snprintf(err, errlen, "cannot write f16 weights: %s overflows f16 (magnitude above 65504)",
				 where);
		free(buf);
		return -1;
	}
	put_u64(buf + 120, sqlpilot_checksum64(buf + MODEL_HEADER_SIZE, total - MODEL_HEADER_SIZE,
										   sqlpilot_checksum64(buf, 120, 0)));
	rc = sqlpilot_write_file_atomic(path, buf, total, err, errlen);
	free(buf);
	return rc;
}

/* Whether halves at src can be read as uint16_t: aligned, on a little-endian host. */
static bool
model_halves_in_place(const unsigned char *src)
{
	uint16_t	probe = 1;

	return ((uintptr_t) src) % sizeof(uint16_t) == 0 && *(const unsigned char *) &probe == 1;
}

/* Dequantizes the weights section into a fresh fp32 block; NULL with err on failure. */
static float *
model_decode_weights(const unsigned char *src, const SqlpilotConfig *c, SqlpilotDtype dtype,
					 char *err, size_t errlen)
{
	size_t		n = sqlpilot_param_count(c);
	float	   *out = malloc(n * sizeof(float));

	if (!out)
	{
		snprintf(err, errlen, "out of memory (%zu parameters)", n);
		return NULL;
	}
	if (dtype == SQLPILOT_DTYPE_F32)
		memcpy(out, src, n * sizeof(float));
	else if (dtype == SQLPILOT_DTYPE_F16 && model_halves_in_place(src))
		sqlpilot_f16_to_f32_n(out, (const uint16_t *) (const void *) src, n);
	else if (dtype == SQLPILOT_DTYPE_F16)
	{
		for (size_t i = 0; i < n; i++)
			out[i] = sqlpilot_fp16_to_fp32((uint16_t) (src[2 * i] | src[2 * i + 1] << 8));
	}
	else
	{
		size_t		count[12],
					rowlen[12];
		int			nt = model_tensors(c, count, rowlen);
		const int8_t *q = (const int8_t *) (src + 4 * model_q8_rows(c));
		float	   *p = out;
		size_t		row = 0;

		for (int t = 0; t < nt; t++)
		{
			for (size_t r = 0; r < count[t] / rowlen[t]; r++, row++, p += rowlen[t], q += rowlen[t])
			{
				float		scale = get_f32(src + 4 * row);

				for (size_t i = 0; i < rowlen[t]; i++)
					p[i] = q[i] * scale;
			}
		}
	}
	return out;
}

/* Validates the header, sections and checksum of buf, then builds tokenizer and weights. */
int
sqlpilot_model_load_buffer(SqlpilotModel *m, const void *buf, size_t len,
						   char *err, size_t errlen)
{
	const unsigned char *b = buf;
	SqlpilotConfig c;
	uint32_t	version,
				hsize,
				dtype,
				n_merges;
	uint64_t	tok_off,
				tok_size,
				w_off,
				w_size,
				file_size,
				pcount,
				checksum,
				actual;
	int32_t    *merges;
	char		cerr[200];

	memset(m, 0, sizeof(*m));
	if (len < MODEL_HEADER_SIZE)
	{
		snprintf(err, errlen, "truncated model file: %zu bytes, the header alone needs %d",
				 len, MODEL_HEADER_SIZE);
		return -1;
	}
	if (memcmp(b, MODEL_MAGIC, 8) != 0)
	{
		snprintf(err, errlen, "bad magic: not a SQLPilot model file");
		return -1;
	}
	version = get_u32(b + 8);
	if (version != MODEL_VERSION)
	{
		snprintf(err, errlen, "unsupported model file version %u (this build reads version %d)",
				 version, MODEL_VERSION);
		return -1;
	}
	hsize = get_u32(b + 12);
	if (hsize != MODEL_HEADER_SIZE)
	{
		snprintf(err, errlen, "corrupt header: header_size %u, expected %d",
				 hsize, MODEL_HEADER_SIZE);
		return -1;
	}
	dtype = get_u32(b + 16);
	if (dtype > SQLPILOT_DTYPE_Q8)
	{
		snprintf(err, errlen, "unknown weight dtype %u", dtype);
		return -1;
	}
	if (get_u32(b + 20) != 0 || get_u32(b + 68) != 0)
	{
		snprintf(err, errlen, "corrupt header: reserved fields are not zero");
		return -1;
	}
	c.dim = (int32_t) get_u32(b + 24);
	c.hidden_dim = (int32_t) get_u32(b + 28);
	c.n_layers = (int32_t) get_u32(b + 32);
	c.n_heads = (int32_t) get_u32(b + 36);
	c.n_kv_heads = (int32_t) get_u32(b + 40);
	c.vocab_size = (int32_t) get_u32(b + 44);
	c.seq_len = (int32_t) get_u32(b + 48);
	c.tied = (int32_t) get_u32(b + 52);
	c.rope_theta = get_f32(b + 56);
	c.norm_eps = get_f32(b + 60);
	if (sqlpilot_config_validate(&c, cerr, sizeof(cerr)) != 0)
	{
		snprintf(err, errlen, "impossible config in model file: %s", cerr);
		return -1;
	}
	n_merges = get_u32(b + 64);
	tok_off = get_u64(b + 72);
	tok_size = get_u64(b + 80);
	w_off = get_u64(b + 88);
	w_size = get_u64(b + 96);
	file_size = get_u64(b + 104);
	pcount = get_u64(b + 112);
	checksum = get_u64(b + 120);
	if (file_size != len)
	{
		if (file_size > len)
			snprintf(err, errlen, "truncated model file: %zu bytes, header says %llu",
					 len, (unsigned long long) file_size);
		else
			snprintf(err, errlen, "model file has %llu trailing bytes after its declared size %llu",
					 (unsigned long long) (len - file_size), (unsigned long long) file_size);
		return -1;
	}
	if (pcount != sqlpilot_param_count(&c))
	{
		snprintf(err, errlen, "sizes do not add up: header says %llu parameters, the config has %zu",
				 (unsigned long long) pcount, sqlpilot_param_count(&c));
		return -1;
	}
	if (n_merges > (uint32_t) (c.vocab_size - SQLPILOT_TOKEN_BYTE0 - 256))
	{
		snprintf(err, errlen, "sizes do not add up: %u merges but vocab_size %d allows at most %d",
				 n_merges, c.vocab_size, c.vocab_size - SQLPILOT_TOKEN_BYTE0 - 256);
		return -1;
	}
	if (tok_off != MODEL_HEADER_SIZE || tok_size != (uint64_t) n_merges * 8)
	{
		snprintf(err, errlen, "sizes do not add up: tokenizer section at %llu of %llu bytes, expected %d and %llu",
				 (unsigned long long) tok_off, (unsigned long long) tok_size,
				 MODEL_HEADER_SIZE, (unsigned long long) n_merges * 8);
		return -1;
	}
	if (w_off != (tok_off + tok_size + MODEL_ALIGN - 1) / MODEL_ALIGN * MODEL_ALIGN ||
		w_size != model_weights_size(&c, (SqlpilotDtype) dtype) ||
		w_off + w_size != file_size)
	{
		snprintf(err, errlen, "sizes do not add up: weights section at %llu of %llu bytes in a %llu-byte file, expected %zu bytes of %s weights",
				 (unsigned long long) w_off, (unsigned long long) w_size,
				 (unsigned long long) file_size,
				 model_weights_size(&c, (SqlpilotDtype) dtype),
				 sqlpilot_dtype_name((SqlpilotDtype) dtype));
		return -1;
	}
	actual = sqlpilot_checksum64(b + MODEL_HEADER_SIZE, len - MODEL_HEADER_SIZE,
								 sqlpilot_checksum64(b, 120, 0));
	if (actual != checksum)
	{
		snprintf(err, errlen, "checksum mismatch: file says %016llx, contents hash to %016llx (corrupt file)",
				 (unsigned long long) checksum, (unsigned long long) actual);
		return -1;
	}
	if (model_find_nonfinite(b + w_off, &c, (SqlpilotDtype) dtype, cerr, sizeof(cerr)))
	{
		snprintf(err, errlen, "weights are not finite: NaN or Inf in %s (a broken model, e.g. trained with a diverged loss)",
				 cerr);
		return -1;
	}

	/* The merge list: each merge joins two earlier non-special tokens. */
	merges = malloc(((size_t) n_merges * 2 + 1) * sizeof(int32_t));
	if (!merges)
	{
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (uint32_t i = 0; i < 2 * n_merges; i++)
	{
		merges[i] = (int32_t) get_u32(b + tok_off + 4 * (size_t) i);
		if (merges[i] < SQLPILOT_TOKEN_BYTE0 ||
			merges[i] >= SQLPILOT_TOKEN_BYTE0 + 256 + (int32_t) (i / 2))
		{
			snprintf(err, errlen, "corrupt tokenizer: merge %u refers to token %d", i / 2, merges[i]);
			free(merges);
			return -1;
		}
	}
	if (sqlpilot_tokenizer_from_merges(&m->tokenizer, merges, (int) n_merges, c.vocab_size,
									   cerr, sizeof(cerr)) != 0)
	{
		snprintf(err, errlen, "corrupt tokenizer: %s", cerr);
		free(merges);
		memset(&m->tokenizer, 0, sizeof(m->tokenizer));
		return -1;
	}
	free(merges);

	/*
	 * Aligned f32 weights are used in place, and so are the matrices of f16
	 * weights (only their norm weights are widened); everything else is
	 * decoded into private fp32.
	 */
	if (dtype == SQLPILOT_DTYPE_F32 && ((uintptr_t) (b + w_off)) % sizeof(float) == 0)
		sqlpilot_weights_map(&m->weights, &c, (float *) (uintptr_t) (b + w_off));
	else if (dtype == SQLPILOT_DTYPE_F16 && model_halves_in_place(b + w_off))
	{
		size_t		norms = (2 * (size_t) c.n_layers + 1) * (size_t) c.dim;

		m->owned = malloc(norms * sizeof(float));
		if (!m->owned)
		{
			snprintf(err, errlen, "out of memory");
			sqlpilot_tokenizer_free(&m->tokenizer);
			memset(m, 0, sizeof(*m));
			return -1;
		}
		model_weights_map_half(&m->weights, &c, (const uint16_t *) (const void *) (b + w_off),
							   m->owned);
	}
	else
	{
		m->owned = model_decode_weights(b + w_off, &c, (SqlpilotDtype) dtype, err, errlen);
		if (!m->owned)
		{
			sqlpilot_tokenizer_free(&m->tokenizer);
			memset(m, 0, sizeof(*m));
			return -1;
		}
		sqlpilot_weights_map(&m->weights, &c, m->owned);
	}
	m->config = c;
	m->dtype = (SqlpilotDtype) dtype;
	m->checksum = checksum;
	return 0;
}

/*
 * Opens path for reading and checks it is a regular file of at least a
 * header.  Returns 0 with *fd and *st; -1 with err (not a regular file, too
 * short); or the errno of a failed open or fstat, with err.
 */
static int
model_open(const char *path, int *fd, struct stat *st, char *err, size_t errlen)
{
	int			e;

	/* O_NONBLOCK: a FIFO must not block the caller; no effect on regular files */
	*fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (*fd < 0)
	{
		e = errno;
		snprintf(err, errlen, "cannot open model file \"%s\": %s", path, strerror(e));
		return e;
	}
	if (fstat(*fd, st) != 0)
	{
		e = errno;
		snprintf(err, errlen, "cannot stat model file \"%s\": %s", path, strerror(e));
		close(*fd);
		return e;
	}
	if (!S_ISREG(st->st_mode))
		snprintf(err, errlen, "model file \"%s\" is not a regular file", path);
	else if (st->st_size < MODEL_HEADER_SIZE)
		snprintf(err, errlen, "model file \"%s\": truncated model file: %lld bytes, the header alone needs %d",
				 path, (long long) st->st_size, MODEL_HEADER_SIZE);
	else
		return 0;
	close(*fd);
	return -1;
}

/*
 * Reads up to size bytes of fd from offset off into dst (fewer when the file
 * ends first, e.g. it shrank meanwhile); *got is how many.  Returns 0 or the
 * errno of a failed read.
 */
static int
model_read(int fd, off_t off, unsigned char *dst, size_t size, size_t *got)
{
	size_t		done = 0;

	while (done < size)
	{
		ssize_t		n = pread(fd, dst + done, size - done, off + (off_t) done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno;
		if (n == 0)
			break;
		done += (size_t) n;
	}
	*got = done;
	return 0;
}

/* Validates the bytes at map (len) as the model of path; 0, or -1 with err naming path. */
static int
model_load_bytes(SqlpilotModel *m, const char *path, void *map, size_t len, bool is_mmap,
				 char *err, size_t errlen)
{
	char		lerr[512];

	if (sqlpilot_model_load_buffer(m, map, len, lerr, sizeof(lerr)) != 0)
	{
		snprintf(err, errlen, "model file \"%s\": %s", path, lerr);
		return -1;
	}
	m->map = map;
	m->map_len = len;
	m->map_is_mmap = is_mmap;
	m->path = strdup(path);
	return 0;
}

/* Transparent huge page size on x86-64 (see model_load_private). */
#define MODEL_HUGE_PAGE ((size_t) 2 * 1024 * 1024)

/*
 * Reads the open model file fd (size bytes) into a private buffer and loads
 * it.  A buffer of a huge page or more is huge-page aligned and asks for
 * transparent huge pages: the first touch of fresh memory costs a fault per
 * page, and here (a VM) reading a 42M f16 file into 4 KB pages took 340 ms.
 */
static int
model_load_private(SqlpilotModel *m, int fd, const char *path, size_t size,
				   char *err, size_t errlen)
{
	size_t		align = size >= MODEL_HUGE_PAGE ? MODEL_HUGE_PAGE : 64;
	size_t		cap = (size + align - 1) / align * align;
	unsigned char *buf = aligned_alloc(align, cap);
	size_t		len = 0;
	int			rc;

#ifdef MADV_HUGEPAGE
	if (buf && align == MODEL_HUGE_PAGE)
		(void) madvise(buf, cap, MADV_HUGEPAGE);
#endif

	if (!buf)
	{
		snprintf(err, errlen, "out of memory (%zu bytes for model file \"%s\")", size, path);
		return -1;
	}
	rc = model_read(fd, 0, buf, size, &len);
	if (rc != 0)
		snprintf(err, errlen, "cannot read model file \"%s\": %s", path, strerror(rc));
	else if (model_load_bytes(m, path, buf, len, false, err, errlen) != 0)
		rc = -1;
	if (rc != 0)
		free(buf);
	return rc;
}

/* Reads and validates path into private memory (see model.h). */
int
sqlpilot_model_load(SqlpilotModel *m, const char *path, char *err, size_t errlen)
{
	struct stat st;
	int			fd;
	int			rc;

	memset(m, 0, sizeof(*m));
	rc = model_open(path, &fd, &st, err, errlen);
	if (rc != 0)
		return rc;
	rc = model_load_private(m, fd, path, (size_t) st.st_size, err, errlen);
	close(fd);
	return rc;
}

/*
 * Maps len bytes of the snapshot sfd read-only, shared and pre-faulted, and
 * loads them as the model of path; 0, or -1 with err.
 */
static int
model_load_mapped(SqlpilotModel *m, int sfd, size_t len, const char *path,
				  char *err, size_t errlen)
{
	void	   *map;

	if (len < MODEL_HEADER_SIZE)
	{
		snprintf(err, errlen, "model file \"%s\": truncated model file: %zu bytes, the header alone needs %d",
				 path, len, MODEL_HEADER_SIZE);
		return -1;
	}
	map = mmap(NULL, len, PROT_READ, MAP_SHARED | MAP_POPULATE, sfd, 0);
	if (map == MAP_FAILED)
	{
		snprintf(err, errlen, "cannot map the snapshot of model file \"%s\": %s", path, strerror(errno));
		return -1;
	}
	if (model_load_bytes(m, path, map, len, true, err, errlen) != 0)
	{
		munmap(map, len);
		return -1;
	}
	return 0;
}

/*
 * Copies up to size bytes of fd into the snapshot sfd through a bounded
 * buffer; *got is how many.  Returns 0, the errno of a failed read of fd,
 * or -2 when the snapshot cannot be written (disk full ...).  Big writes let
 * the page cache hold the snapshot in large folios that map as huge pages:
 * with 1 MB writes, verifying a 42M f16 snapshot took 34 ms instead of 5.
 */
static int
model_copy(int fd, int sfd, size_t size, size_t *got)
{
	const size_t chunk = (size_t) 8 << 20;
	unsigned char *buf = malloc(chunk);
	size_t		done = 0;
	int			rc = 0;

	if (!buf)
		return -2;
	while (done < size && rc == 0)
	{
		size_t		want = size - done < chunk ? size - done : chunk;
		size_t		n = 0;
		size_t		w = 0;

		rc = model_read(fd, (off_t) done, buf, want, &n);
		while (rc == 0 && w < n)
		{
			ssize_t		k = pwrite(sfd, buf + w, n - w, (off_t) (done + w));

			if (k < 0 && errno == EINTR)
				continue;
			if (k <= 0)
				rc = -2;
			else
				w += (size_t) k;
		}
		done += w;
		if (n < want)
			break;				/* the file shrank under us */
	}
	free(buf);
	*got = done;
	return rc;
}

/* Whether two stat results have the same identity (device, inode, size, mtime, ctime). */
static bool
model_same_identity(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_size == b->st_size &&
		a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec &&
		a->st_ctim.tv_sec == b->st_ctim.tv_sec && a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

/* Removes the oldest snapshots of dir beyond SQLPILOT_MODEL_SNAPSHOTS, never keep. */
static void
model_evict_snapshots(const char *dir, const char *keep)
{
	for (;;)
	{
		DIR		   *d = opendir(dir);
		struct dirent *de;
		struct timespec oldest = {0, 0};
		char		victim[4096] = "";
		char		p[4096];
		int			count = 0;

		if (!d)
			return;
		while ((de = readdir(d)) != NULL)
		{
			size_t		len = strlen(de->d_name);
			struct stat st;

			if (strncmp(de->d_name, "model-", 6) != 0 || len < 11 ||
				strcmp(de->d_name + len - 5, ".snap") != 0 ||
				snprintf(p, sizeof(p), "%s/%s", dir, de->d_name) >= (int) sizeof(p) ||
				stat(p, &st) != 0)
				continue;
			count++;
			if (strcmp(p, keep) == 0)
				continue;
			if (!victim[0] || st.st_mtim.tv_sec < oldest.tv_sec ||
				(st.st_mtim.tv_sec == oldest.tv_sec && st.st_mtim.tv_nsec < oldest.tv_nsec))
			{
				memcpy(victim, p, sizeof(p));
				oldest = st.st_mtim;
			}
		}
		closedir(d);
		if (count <= SQLPILOT_MODEL_SNAPSHOTS || !victim[0] || unlink(victim) != 0)
			return;
	}
}

/* Loads path through a verified snapshot in dir, shared by mapping (see model.h). */
int
sqlpilot_model_load_snapshot(SqlpilotModel *m, const char *path, const char *dir,
							 char *err, size_t errlen)
{
	struct stat st,
				now;
	uint64_t	id[7];
	char		name[4096],
				proc[64];
	size_t		len = 0;
	int			fd,
				sfd,
				rc;

	memset(m, 0, sizeof(*m));
	rc = model_open(path, &fd, &st, err, errlen);
	if (rc != 0)
		return rc;
	id[0] = (uint64_t) st.st_dev;
	id[1] = (uint64_t) st.st_ino;
	id[2] = (uint64_t) st.st_size;
	id[3] = (uint64_t) st.st_mtim.tv_sec;
	id[4] = (uint64_t) st.st_mtim.tv_nsec;
	id[5] = (uint64_t) st.st_ctim.tv_sec;
	id[6] = (uint64_t) st.st_ctim.tv_nsec;
	if (snprintf(name, sizeof(name), "%s/model-%016llx.snap", dir,
				 (unsigned long long) sqlpilot_checksum64(id, sizeof(id), 0)) >= (int) sizeof(name))
		goto private;

	/* This very file was copied before: map that copy (its checksum is checked again). */
	sfd = open(name, O_RDONLY | O_CLOEXEC);
	if (sfd >= 0)
	{
		struct stat sst;

		rc = fstat(sfd, &sst) == 0 ?
			model_load_mapped(m, sfd, (size_t) sst.st_size, path, err, errlen) : -1;
		close(sfd);
		if (rc == 0)
		{
			close(fd);
			return 0;
		}
		/* a damaged snapshot (its data lost in a crash, say): make a new one */
		(void) unlink(name);
	}

	/* Copy the file into an unnamed snapshot, verify it, then give it its name. */
	(void) mkdir(dir, 0700);
	sfd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (sfd < 0)
		goto private;
	rc = model_copy(fd, sfd, (size_t) st.st_size, &len);
	if (rc == -2)
	{
		close(sfd);
		goto private;
	}
	if (rc > 0)
		snprintf(err, errlen, "cannot read model file \"%s\": %s", path, strerror(rc));
	else
		rc = model_load_mapped(m, sfd, len, path, err, errlen);

	/* Named only when the file did not change while it was copied. */
	if (rc == 0 && fstat(fd, &now) == 0 && model_same_identity(&st, &now) &&
		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", sfd) < (int) sizeof(proc) &&
		linkat(AT_FDCWD, proc, AT_FDCWD, name, AT_SYMLINK_FOLLOW) == 0)
		model_evict_snapshots(dir, name);
	close(sfd);
	close(fd);
	return rc;

private:
	rc = model_load_private(m, fd, path, (size_t) st.st_size, err, errlen);
	close(fd);
	return rc;
}

/* Releases tokenizer, decoded weights and the file's bytes; m is zeroed. */
void
sqlpilot_model_free(SqlpilotModel *m)
{
	if (m->tokenizer.vocab_size > 0)
		sqlpilot_tokenizer_free(&m->tokenizer);
	free(m->owned);
	if (m->map && m->map_is_mmap)
		munmap(m->map, m->map_len);
	else
		free(m->map);
	free(m->path);
	memset(m, 0, sizeof(*m));
}

/* Widens the half matrices of an f16 model into private fp32 (no-op otherwise). */
int
sqlpilot_model_widen(SqlpilotModel *m, char *err, size_t errlen)
{
	float	   *all;

	if (!m->weights.half.token_embedding)
		return 0;
	all = model_decode_weights((const unsigned char *) m->weights.half.token_embedding,
							   &m->config, SQLPILOT_DTYPE_F16, err, errlen);
	if (!all)
		return -1;
	free(m->owned);
	m->owned = all;
	sqlpilot_weights_map(&m->weights, &m->config, all);
	return 0;
}

/* A standard normal draw (Box-Muller) from the SplitMix64 stream. */
static float
randn(uint64_t *rng)
{
	float		u1 = ((sqlpilot_rng_next(rng) >> 40) + 1) * (1.0f / 16777217.0f);
	float		u2 = sqlpilot_rng_float(rng);

	return sqrtf(-2.0f * logf(u1)) * cosf(6.28318530718f * u2);
}

/*
 * Random initial weights, deterministic by seed: norms 1, linear layers and
 * embeddings N(0, 0.02), residual projections (wo, w2) scaled by 1/sqrt(2L).
 */
void
sqlpilot_model_init_random(const SqlpilotConfig *c, float *params, uint64_t seed)
{
	size_t		count[12],
				rowlen[12];
	int			nt = model_tensors(c, count, rowlen);
	uint64_t	rng = seed;
	float		resid = 0.02f / sqrtf(2.0f * (float) c->n_layers);
	float	   *p = params;

	for (int t = 0; t < nt; t++)
	{
		int			is_norm = (t == 1 || t == 6 || t == 10);
		float		std = (t == 5 || t == 8) ? resid : 0.02f;

		for (size_t i = 0; i < count[t]; i++)
			p[i] = is_norm ? 1.0f : std * randn(&rng);
		p += count[t];
	}
}
