/*
 * model.h — the model's configuration, its weights, and the model file.
 *
 * Parameters live in one contiguous fp32 block in the canonical order below
 * (the order of the model file, of checkpoints and of the optimizer state), so
 * one loop over "all parameters" serves AdamW, clipping and I/O:
 *   token_embedding (V, C)
 *   per layer l = 0..L-1, all of one kind before the next kind:
 *     rms_att (L, C), wq (L, NH*HS, C), wk (L, NKV*HS, C), wv (L, NKV*HS, C),
 *     wo (L, C, NH*HS), rms_ffn (L, C), w1 (L, H, C), w2 (L, C, H), w3 (L, H, C)
 *   rms_final (C)
 *   wcls (V, C)          only when the config is untied
 * The model file format is documented in model.c, where it is read.
 */
#ifndef SQLPILOT_MODEL_H
#define SQLPILOT_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tokenizer.h"

/* The most layers a model file may claim (sqlpilot_config_validate). */
#define SQLPILOT_MAX_LAYERS 256

typedef struct SqlpilotConfig
{
	int			dim;			/* C */
	int			hidden_dim;		/* H, SwiGLU width */
	int			n_layers;		/* L */
	int			n_heads;		/* NH */
	int			n_kv_heads;		/* NKV, divides NH */
	int			vocab_size;		/* V */
	int			seq_len;		/* context length */
	int			tied;			/* 1: output head is token_embedding */
	float		rope_theta;		/* 10000 */
	float		norm_eps;		/* 1e-5 */
} SqlpilotConfig;

/*
 * The matrices of an f16 model file, used in place from its mapping
 * (inference only: decode reads them through sqlpilot_matvec_f16, prefill
 * widens them panel by panel as core/gemm.c packs them).  A pointer is set exactly when
 * its float twin in SqlpilotWeights is NULL.
 */
typedef struct SqlpilotHalfWeights
{
	const uint16_t *token_embedding;
	const uint16_t *wq;
	const uint16_t *wk;
	const uint16_t *wv;
	const uint16_t *wo;
	const uint16_t *w1;
	const uint16_t *w2;
	const uint16_t *w3;
	const uint16_t *wcls;
} SqlpilotHalfWeights;

typedef struct SqlpilotWeights
{
	float	   *token_embedding;
	float	   *rms_att;
	float	   *wq;
	float	   *wk;
	float	   *wv;
	float	   *wo;
	float	   *rms_ffn;
	float	   *w1;
	float	   *w2;
	float	   *w3;
	float	   *rms_final;
	float	   *wcls;			/* == token_embedding when tied */
	SqlpilotHalfWeights half;	/* all NULL unless matrices are kept as halves */
} SqlpilotWeights;

/* The weights of one layer: pointers into SqlpilotWeights at layer l. */
typedef struct SqlpilotLayerWeights
{
	float	   *rms_att;
	float	   *wq;
	float	   *wk;
	float	   *wv;
	float	   *wo;
	float	   *rms_ffn;
	float	   *w1;
	float	   *w2;
	float	   *w3;
	/* Half twins of wq .. w3 (NULL when the floats are set). */
	const uint16_t *wq_half;
	const uint16_t *wk_half;
	const uint16_t *wv_half;
	const uint16_t *wo_half;
	const uint16_t *w1_half;
	const uint16_t *w2_half;
	const uint16_t *w3_half;
} SqlpilotLayerWeights;

/* Fills c from a preset name ("260K", "15M", "42M"); returns 0, or -1 if unknown. */
int			sqlpilot_config_preset(const char *name, SqlpilotConfig *c);
/* Checks a config for sanity (positive sizes, NKV divides NH, even head size ...). */
int			sqlpilot_config_validate(const SqlpilotConfig *c, char *err, size_t errlen);
/* Number of fp32 parameters of a config, in the canonical order above. */
size_t		sqlpilot_param_count(const SqlpilotConfig *c);
/* Points w into a contiguous block of sqlpilot_param_count() floats. */
void		sqlpilot_weights_map(SqlpilotWeights *w, const SqlpilotConfig *c, float *base);
/* The weights of layer l. */
void		sqlpilot_layer_weights(SqlpilotLayerWeights *lw, const SqlpilotWeights *w,
								   const SqlpilotConfig *c, int l);

/*
 * Fills params (sqlpilot_param_count floats) with random initial weights,
 * deterministic by seed: norm weights 1, the rest N(0, 0.02) (wo and w2
 * scaled down by 1/sqrt(2L)).
 */
void		sqlpilot_model_init_random(const SqlpilotConfig *c, float *params, uint64_t seed);

/* Storage type of the weights in a model file. */
typedef enum SqlpilotDtype
{
	SQLPILOT_DTYPE_F32 = 0,
	SQLPILOT_DTYPE_F16 = 1,
	SQLPILOT_DTYPE_Q8 = 2
} SqlpilotDtype;

/* "f32", "f16" or "q8". */
const char *sqlpilot_dtype_name(SqlpilotDtype dtype);

/*
 * A loaded model: config, tokenizer, weights.  f32 files are used in place;
 * f16 files keep their matrices as halves in the file's bytes (weights.half;
 * only the norm weights are widened); q8 files are dequantized to fp32.
 */
typedef struct SqlpilotModel
{
	SqlpilotConfig config;
	SqlpilotWeights weights;
	SqlpilotTokenizer tokenizer;
	SqlpilotDtype dtype;		/* as stored in the file */
	uint64_t	checksum;		/* as stored in (and verified against) the file */
	void	   *map;			/* the file's bytes: a private buffer, or a read-only
								 * mmap of a snapshot (map_is_mmap) */
	size_t		map_len;
	bool		map_is_mmap;
	float	   *owned;			/* private fp32 weights (all, or the norms of an f16 file) */
	char	   *path;
} SqlpilotModel;

/*
 * Reads and verifies a model file into private memory (read(), never a
 * mapping of the file: a file truncated or rewritten later cannot take the
 * process down with SIGBUS).  Returns 0; -1 with a message naming what is
 * wrong with the contents (truncated, bad magic, wrong version, checksum
 * mismatch, impossible config, sizes that do not add up, a NaN or Inf
 * weight) in err; or, when the file cannot be opened or read, the errno
 * value (> 0) with a message in err.  Never reads out of bounds, whatever
 * the file holds.
 */
int			sqlpilot_model_load(SqlpilotModel *m, const char *path, char *err, size_t errlen);
/*
 * Same checks and results, for servers whose processes should share one copy
 * of the weights: the file is copied (read(), never mapped) into a snapshot
 * in dir (created 0700 if missing) named by the file's device, inode, size,
 * mtime and ctime, the copy is verified, then mapped read-only and shared.
 * Only this function ever writes a snapshot (as an unnamed O_TMPFILE, linked
 * in when complete and verified), so a mapped snapshot is never truncated,
 * and the installed file may be overwritten, truncated or deleted at any
 * time.  A process whose file still has the same identity maps the existing
 * snapshot (verified again by checksum) without copying.  At most
 * SQLPILOT_MODEL_SNAPSHOTS snapshots are kept, the oldest removed (a removed
 * one stays valid for whoever maps it).  When dir cannot be used (not
 * writable, disk full, no O_TMPFILE) the model is read into private memory
 * as sqlpilot_model_load does.
 */
int			sqlpilot_model_load_snapshot(SqlpilotModel *m, const char *path, const char *dir,
										 char *err, size_t errlen);

#define SQLPILOT_MODEL_SNAPSHOTS 4
/*
 * Same checks on a buffer in memory (used by the loaders and the fuzz target).
 * m->map stays NULL; aligned f32 weights point into buf, which must then
 * outlive m.
 */
int			sqlpilot_model_load_buffer(SqlpilotModel *m, const void *buf, size_t len,
									   char *err, size_t errlen);
void		sqlpilot_model_free(SqlpilotModel *m);
/*
 * Makes every weight of m available as fp32 (widens the matrices of an f16
 * file into private memory), for code that needs plain parameters rather
 * than inference.  Returns 0, or -1 with err when out of memory.
 */
int			sqlpilot_model_widen(SqlpilotModel *m, char *err, size_t errlen);
/*
 * Writes a model file atomically (temp file, fsync, rename).  tok may be NULL
 * for a byte-level tokenizer without merges.
 */
int			sqlpilot_model_save(const char *path, const SqlpilotConfig *c,
								const float *params, const SqlpilotTokenizer *tok,
								SqlpilotDtype dtype, char *err, size_t errlen);

#endif							/* SQLPILOT_MODEL_H */
