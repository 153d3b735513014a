/*
 * train.h — the trainer room: token shards and the batch loader (data.c), the
 * whole model's forward/backward with the masked cross-entropy (net.c),
 * AdamW and the schedule (optim.c), checkpoints (ckpt.c) and the training
 * loop with its progress line, metrics and loss curve (loop.c).  The
 * `sqlpilot tokenizer|tokenize|train|list|export` commands live in cli.c.
 */
#ifndef SQLPILOT_TRAINER_TRAIN_H
#define SQLPILOT_TRAINER_TRAIN_H

#include <stddef.h>
#include <stdint.h>

#include "layers.h"
#include "model.h"
#include "tokenizer.h"
#include "util.h"

/* Loss-mask classes stored per token in a shard. */
#define TRAINER_MASK_NONE 0		/* never a target (BOS) */
#define TRAINER_MASK_SCHEMA 1	/* prompt head and schema: weighted by schema_weight */
#define TRAINER_MASK_STMT 2		/* statement tokens and the EOS: always weighted 1 */

/* ---- data.c: token shards ---- */

/* One shard in memory: examples laid end to end, each starting with BOS. */
typedef struct TrainerShard
{
	uint32_t	n_examples;
	uint64_t	n_tokens;
	uint64_t   *offsets;		/* (n_examples + 1) first token of each example */
	uint16_t   *tokens;			/* (n_tokens) */
	uint8_t    *mask;			/* (n_tokens) TRAINER_MASK_* */
	void	   *buf;			/* the file as read */
} TrainerShard;

int			trainer_shard_write(const char *path, const uint16_t *tokens,
								const uint8_t *mask, uint64_t n_tokens,
								const uint64_t *offsets, uint32_t n_examples,
								char *err, size_t errlen);
int			trainer_shard_read(TrainerShard *s, const char *path, char *err, size_t errlen);
void		trainer_shard_free(TrainerShard *s);

/*
 * A run of rows of a schema-packed batch (trainer_loader_fill): either a
 * schema (the rows of the prompt head and schema, shared by the statements
 * after it) or one statement, whose k/v rows come after its schema's.
 */
typedef struct TrainerSeg
{
	int			row0;			/* first row in the batch */
	int			rows;
	int			prefix;			/* statement: row0 of its schema segment, -1: none */
	int			prefix_rows;	/* rows of that schema segment (0: none or a schema) */
} TrainerSeg;

/*
 * B sequences of T rows.  Row i of an example of n tokens has input token i,
 * target token i+1 with its loss weight, RoPE position i and kstart = the
 * example's first row, so packed examples never see each other.  A
 * schema-packed batch (trainer_loader_fill) describes its rows by segs
 * instead of kstart.
 */
typedef struct TrainerBatch
{
	int			B;
	int			T;
	int		   *inputs;			/* (B*T) */
	int		   *targets;		/* (B*T) -1: no target */
	float	   *weights;		/* (B*T) loss weight of the target */
	uint8_t    *is_stmt;		/* (B*T) 1 when the target is a statement token */
	int		   *pos;			/* (B*T) */
	int		   *kstart;			/* (B*T) */
	TrainerSeg *segs;			/* (B*T) schema-packed: the segments, in row order */
	int			n_segs;
} TrainerBatch;

int			trainer_batch_alloc(TrainerBatch *b, int B, int T);
void		trainer_batch_free(TrainerBatch *b);

/* Where a loader stands: epoch and index into that epoch's example order. */
typedef struct TrainerLoader
{
	const TrainerShard *shard;
	uint64_t	seed;
	int			shuffle;
	int			one_pass;		/* 1: stop at the end of epoch 0 (validation) */
	uint64_t	epoch;
	uint64_t	cursor;
	uint32_t   *order;			/* (n_examples) this epoch's example order (packing: then
								 * the group permutation) */
	uint64_t	order_epoch;	/* epoch order was built for, or UINT64_MAX */
	uint32_t	n_groups;		/* trainer_loader_pack: runs of examples with one prompt */
	uint32_t   *group_first;	/* (n_groups + 1) first example of each run, or NULL */
} TrainerLoader;

void		trainer_loader_init(TrainerLoader *l, const TrainerShard *s, uint64_t seed,
								int shuffle);
void		trainer_loader_free(TrainerLoader *l);
/* 1 when a one_pass loader has used every example. */
static inline int
trainer_loader_done(const TrainerLoader *l)
{
	return l->one_pass && l->cursor >= l->shard->n_examples;
}

/* Fills sequence b of batch (rows b*T ..) with whole examples, padding the rest. */
void		trainer_loader_next(TrainerLoader *l, TrainerBatch *batch, int b,
								float schema_weight);
/*
 * Switches l to schema packing: adjacent examples with the same prompt
 * (tokens before the statement) form a group, the epoch order shuffles
 * groups and keeps each group's examples together.  Returns 0 or -1 (out of
 * memory).
 */
int			trainer_loader_pack(TrainerLoader *l);
/*
 * Fills rows [row0, row0 + rows) of batch with packs: one schema segment then
 * the statement segments of the next examples sharing its prompt, as many as
 * fit; appends the segments to batch->segs and pads the rest.  The schema
 * rows' weights are schema_weight times the pack's statements, so a pack has
 * the loss and gradients of its examples run one by one.  Returns the rows used.
 */
int			trainer_loader_fill(TrainerLoader *l, TrainerBatch *batch, int row0, int rows,
								float schema_weight);

/* ---- net.c: the model for training ---- */

typedef struct TrainerNet
{
	SqlpilotConfig c;
	size_t		n_params;
	float	   *params;
	float	   *grads;
	SqlpilotWeights w;
	SqlpilotWeights dw;
	int			B;				/* micro-batch the activations are sized for */
	int			T;
	/* activations for B*T rows */
	float	   *xs;				/* (L+1, N, C) input of each layer, then the final output */
	SqlpilotBlockActs *acts;	/* (L) */
	float	   *kbuf;			/* (L, N, KVD) */
	float	   *vbuf;			/* (L, N, KVD) */
	float	   *lnf;			/* (N, C) final rmsnorm output */
	float	   *lnf_rstd;		/* (N) */
	float	   *hsel;			/* (N, C) rows of lnf that have a target */
	float	   *logits;			/* (N, V) logits, then their gradient */
	int		   *sel;			/* (N) row of each selected target */
	float	   *dx;				/* (N, C) */
	float	   *dx2;			/* (N, C) */
	float	   *kvtmp;			/* (2, T, KVD) schema-packed: k/v of one statement with its schema */
	float	   *dkvtmp;			/* (2, T, KVD) schema-packed: d k/v of one statement with its schema */
	float	   *scratch;		/* block backward scratch (SqlpilotBlockGrads, N rows) */
	float	   *mem;			/* the one allocation behind the activations */
	size_t		mem_floats;		/* its size: the layout's total (net_layout in net.c) */
} TrainerNet;

/* Loss statistics over some rows. */
typedef struct TrainerStats
{
	double		loss_sum;		/* sum of weight * -log p(target) */
	double		weight_sum;
	double		stmt_loss_sum;	/* sum of -log p over statement targets */
	double		stmt_count;
	double		stmt_correct;	/* statement targets that are the argmax */
} TrainerStats;

int			trainer_net_init(TrainerNet *n, const SqlpilotConfig *c, int B, int T,
							 char *err, size_t errlen);
void		trainer_net_free(TrainerNet *n);
/*
 * Forward over rows [0, nb*T) of batch (nb <= n->B sequences starting at
 * sequence first), adding to st.  With grad_scale > 0 also runs the backward
 * of grad_scale * sum(weight * nll), accumulating into n->grads.
 */
void		trainer_net_step(TrainerNet *n, const TrainerBatch *batch, int first, int nb,
							 float grad_scale, TrainerStats *st);
/*
 * The same for segments [seg0, seg0 + nseg) of a schema-packed batch (their
 * rows at most n->B * n->T): each schema runs once, each statement attends
 * to its schema's k/v and itself, and the schema's gradients gather what all
 * its statements send back.
 */
void		trainer_net_step_packed(TrainerNet *n, const TrainerBatch *batch, int seg0,
									int nseg, float grad_scale, TrainerStats *st);

/* ---- optim.c ---- */

typedef struct TrainerOptim
{
	float		lr;
	float		min_lr;
	int			warmup;
	int			steps;
	int			linear;			/* 1: linear decay, 0: cosine */
	float		beta1;
	float		beta2;
	float		eps;
	float		weight_decay;
	float		clip;			/* max global gradient norm, 0: off */
} TrainerOptim;

float		trainer_lr_at(const TrainerOptim *o, long step);
/* Scales grads so their global norm is at most o->clip; returns the norm before. */
float		trainer_clip_grads(float *grads, size_t n, float clip);
/* One AdamW step (t counts from 1); weight decay only on matrices (decay_mask). */
void		trainer_adamw(const TrainerOptim *o, float *params, const float *grads,
						  float *m, float *v, const uint8_t *decay, size_t n, float lr,
						  long t);
/* 1 for parameters of 2-D weights (decayed), 0 for norm weights. */
void		trainer_decay_mask(uint8_t *decay, const SqlpilotConfig *c,
							   const SqlpilotWeights *w, const float *base);

/* ---- ckpt.c ---- */

typedef struct TrainerCkpt
{
	SqlpilotConfig c;
	uint64_t	step;
	uint64_t	seed;
	uint64_t	epoch;			/* data position */
	uint64_t	cursor;
	uint64_t	tokens_seen;
	float		loss;			/* loss of the last step */
	size_t		n_params;
	float	   *params;			/* n_params each; caller-owned when saving */
	float	   *m;
	float	   *v;
	void	   *buf;			/* when loaded: the file */
} TrainerCkpt;

int			trainer_ckpt_save(const char *dir, const TrainerCkpt *ck, int keep,
							  char *err, size_t errlen);
/* Loads dir's checkpoint of step, or the latest when step < 0; 1 if none exists. */
int			trainer_ckpt_load(const char *dir, long step, TrainerCkpt *ck,
							  char *err, size_t errlen);
void		trainer_ckpt_free(TrainerCkpt *ck);
/* The steps of dir's checkpoints, ascending, in a malloc'd array; *n gets the count. */
long	   *trainer_ckpt_steps(const char *dir, int *n);
void		trainer_ckpt_path(char *out, size_t cap, const char *dir, long step);

/* ---- loop.c ---- */

typedef struct TrainerOpts
{
	const char *run_dir;		/* checkpoints, metrics.csv, loss.svg, tokenizer.txt */
	const char *data_dir;		/* train.bin and val.bin from `sqlpilot tokenize` */
	SqlpilotConfig c;			/* seq_len is the training context T */
	int			batch;			/* sequences per optimizer step (before accum) */
	int			micro;			/* sequences per forward/backward */
	int			accum;			/* batches accumulated per step */
	TrainerOptim optim;			/* optim.steps is the run's length */
	float		schema_weight;	/* loss weight of schema targets (0: statement only) */
	int			pack;			/* 1: pack the statements of one schema (trainer_loader_fill) */
	int			ckpt_every;
	int			keep;
	int			eval_every;
	int			eval_seqs;		/* validation sequences per evaluation (0: all) */
	int			log_every;
	uint64_t	seed;
	int			quiet;			/* no progress line */
} TrainerOpts;

/* Trains (resuming from the run's latest checkpoint); returns 0 or -1 with err. */
int			trainer_train(const TrainerOpts *o, char *err, size_t errlen);
/* Statement loss and next-token accuracy over a shard (one pass, up to max_seqs). */
void		trainer_evaluate(TrainerNet *net, const TrainerShard *s, int max_seqs,
							 TrainerBatch *batch, TrainerStats *st);
/* mkdir -p; returns 0 or -1 with err. */
int			trainer_make_dirs(const char *dir, char *err, size_t errlen);
/* Writes run_dir/loss.svg from run_dir/metrics.csv. */
int			trainer_plot(const char *run_dir, char *err, size_t errlen);

/* ---- tokenize.c ---- */

/*
 * Learns a vocab-token BPE from the *.jsonl files of data_dir (at most
 * max_texts texts, 0: all) and saves it to out.
 */
int			trainer_tokenizer_build(const char *data_dir, const char *out, int vocab,
									size_t max_texts, char *err, size_t errlen);
/*
 * Encodes the *.jsonl files of data_dir (directories separated by ':') into
 * out_dir/train.bin and val.bin, split by schema.  An example longer than
 * seq_len + 1 tokens gets the schema of trainer_example_schema; one whose
 * statement alone does not fit is skipped (counted on the summary line).
 */
int			trainer_tokenize(const char *data_dir, const char *tok_path, const char *out_dir,
							 double val_fraction, int seq_len, char *err, size_t errlen);

/*
 * The schema text an example trains with (malloc'd, *out_len): the whole
 * schema when BOS + schema + statement + EOS fit in seq_len + 1 tokens, else
 * the tables sqlpilot_tables_choose_texts chooses for the whole statement as
 * typed text within seq_len tokens (so the EOS still fits), joined by a blank
 * line in schema order.  *n_tables gets the tables split (0 when the schema
 * fits), *n_chosen the count chosen or SQLPILOT_TABLES_TOO_LONG (the
 * statement alone does not fit, or the schema has no CREATE TABLE) /
 * SQLPILOT_TABLES_ERROR, with NULL returned.  `sqlpilot complete --schema`
 * uses it with its prompt budget as seq_len and the prefix as statement.
 */
char	   *trainer_example_schema(const SqlpilotTokenizer *tok, const char *schema,
								   size_t schema_len, const char *stmt, size_t stmt_len,
								   int seq_len, size_t *out_len, int *n_tables, int *n_chosen);

/* ---- cli.c ---- */

/* `sqlpilot tokenizer|tokenize|train|list|export` (argv[0]): returns the exit status. */
int			sqlpilot_trainer_main(int argc, char **argv);

#endif							/* SQLPILOT_TRAINER_TRAIN_H */
