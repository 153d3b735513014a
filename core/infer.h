/*
 * infer.h — running a model: the KV cache, batched prefill, one-token decode
 * and reuse of a cached prefix.  Built on sqlpilot_block_forward() (layers.h),
 * the same block the trainer runs.
 */
#ifndef SQLPILOT_INFER_H
#define SQLPILOT_INFER_H

#include <stdbool.h>
#include <stdint.h>

#include "model.h"

typedef struct SqlpilotRunState
{
	const SqlpilotConfig *config;
	const SqlpilotWeights *weights;
	float	   *key_cache;		/* (L, seq_len, NKV*HS) */
	float	   *value_cache;	/* (L, seq_len, NKV*HS) */
	int		   *cached_ids;		/* (seq_len) tokens whose k/v are in the cache */
	int			n_cached;
	float	   *logits;			/* (V) next-token logits after the last fed token */
	void	   *scratch;		/* private: activations for a batch of rows */
	size_t		scratch_rows;
	long		n_computed;		/* statistics: token rows run through the blocks so far */
} SqlpilotRunState;

/* Allocates the cache and buffers for a model; returns 0 or -1 with err. */
int			sqlpilot_runstate_init(SqlpilotRunState *s, const SqlpilotConfig *c,
								   const SqlpilotWeights *w, char *err, size_t errlen);
/*
 * Same, with prefill chunks of at most max_rows rows: max_rows 1 makes a
 * small decode-mostly state (beam search's extra beams); feed still works.
 */
int			sqlpilot_runstate_init_rows(SqlpilotRunState *s, const SqlpilotConfig *c,
										const SqlpilotWeights *w, int max_rows,
										char *err, size_t errlen);
void		sqlpilot_runstate_free(SqlpilotRunState *s);

/*
 * The i-th spare decode state of s (i >= 0), made on first use like
 * sqlpilot_runstate_init_rows(..., 1, ...) and kept until s is freed, so
 * beam search's extra beams keep the prompt's k/v between calls (a fork
 * then copies only the rows past the shared prefix).  NULL with err when
 * out of memory.
 */
SqlpilotRunState *sqlpilot_runstate_spare(SqlpilotRunState *s, int i,
										  char *err, size_t errlen);

/*
 * Makes the cache hold exactly ids[0..n): keeps the longest prefix already
 * cached, runs the rest through batched prefill, and leaves the logits of the
 * last token.  Returns the number of tokens actually computed, or -1 when
 * n is 0 or exceeds seq_len.
 */
int			sqlpilot_infer_feed(SqlpilotRunState *s, const int *ids, int n);
/*
 * Same, asking should_stop(arg) (when not NULL) before each prefill chunk of
 * at most scratch_rows rows, so a cancel reaches a long prompt within one
 * chunk rather than after the whole prompt.  Returns -2 when it stopped:
 * the cache then holds the prompt's fully computed leading rows (whole
 * chunks) and no logits, so the next feed reuses them and computes the rest.
 */
int			sqlpilot_infer_feed_interruptible(SqlpilotRunState *s, const int *ids, int n,
											  bool (*should_stop) (void *arg), void *arg);
/* How many leading ids[0..n) the cache already holds (what a feed of them would reuse). */
int			sqlpilot_infer_cached_prefix(const SqlpilotRunState *s, const int *ids, int n);
/*
 * Appends one token (single-token decode: sqlpilot_infer_step_rows of one
 * row); returns 0, or -1 when the context is full or id is out of range.
 */
int			sqlpilot_infer_step(SqlpilotRunState *s, int id);
/* Most rows one sqlpilot_infer_step_rows call takes. */
#define SQLPILOT_STEP_MAX_ROWS 16

/*
 * Appends ids[i] to rows[i] for n (1..SQLPILOT_STEP_MAX_ROWS) distinct run
 * states of one model in one step (beams decoded in lockstep): each row at
 * its own position over its own cache, each weight matrix read once for all
 * rows.  The leading tokens the states cache as rows[0]'s owner does (the
 * state whose spare it is, else rows[0]; a prompt the beams share) are read
 * from the owner for every row (its keys kept transposed: a copy of its key
 * cache made on first use), so each state ends as
 * sqlpilot_infer_step(rows[i], ids[i]) leaves it, bit for bit when their
 * caches hold the same values there (copies, sqlpilot_infer_copy): a row's
 * sums do not depend on the other rows.  Activations for n rows are kept in
 * rows[0] (made on first use).  Returns 0, or -1 with no state changed when
 * a context is full, an id is out of range, a state repeats or memory runs
 * out.
 */
int			sqlpilot_infer_step_rows(SqlpilotRunState *const *rows, const int *ids, int n);
/* Forgets cached tokens from position n on. */
void		sqlpilot_infer_truncate(SqlpilotRunState *s, int n);
/*
 * Makes dst (a run state of the same model) hold what src holds: cached
 * tokens, their k/v and the logits.  Copies only the k/v rows past the prefix
 * both already share (beam search forks beams this way).
 */
void		sqlpilot_infer_copy(SqlpilotRunState *dst, const SqlpilotRunState *src);

/*
 * A prompt's KV cache kept in a file, so another process running the same
 * model (a new PostgreSQL backend) starts from it instead of recomputing it.
 * sqlpilot_infer_save writes the first n cached tokens (ids and every
 * layer's k/v rows) with the model's checksum, atomically (temp file, then
 * rename; no fsync: it is a cache).  Returns 0, or -1 with err.
 */
int			sqlpilot_infer_save(const SqlpilotRunState *s, int n, uint64_t model_checksum,
								const char *path, char *err, size_t errlen);
/*
 * Replaces what s holds with a file written by sqlpilot_infer_save for the
 * same model; returns the number of tokens now cached, or -1 with err (s
 * then holds nothing) when the file is missing, for another model or shape,
 * truncated or corrupt (its contents are checksummed).  Feeding a prompt
 * afterwards reuses only the prefix it shares with the loaded tokens.
 */
int			sqlpilot_infer_load(SqlpilotRunState *s, uint64_t model_checksum,
								const char *path, char *err, size_t errlen);

#endif							/* SQLPILOT_INFER_H */
