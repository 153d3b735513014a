/*
 * data.c — token shards and the batch loader.
 *
 * Shard file (little-endian), written by `sqlpilot tokenize`:
 *   0   8 bytes  magic "SQPSHRD1"
 *   8   u32      version (1)
 *   12  u32      n_examples
 *   16  u64      n_tokens
 *   24  u64      offsets[n_examples + 1]   first token of each example, then n_tokens
 *       u16      tokens[n_tokens]          each example is BOS prompt statement EOS
 *       u8       mask[n_tokens]            TRAINER_MASK_* of each token
 *       u64      sqlpilot_checksum64 (seed 0) of every byte before it
 *
 * The loader packs whole examples into sequences of T rows (an example of n
 * tokens takes n-1 rows: inputs 0..n-2, targets 1..n-1; longer than T rows:
 * skipped) in a per-epoch
 * shuffled order that depends only on (seed, epoch), so a data position is
 * just (epoch, cursor) and a resumed run sees exactly the same batches.
 * Schema packing (trainer_loader_pack, trainer_loader_fill) shuffles groups
 * of adjacent examples with one prompt instead, and lays out each group as
 * its prompt's rows then each statement's rows (TrainerSeg).
 */
#include "train.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#define SHARD_MAGIC "SQPSHRD1"
#define SHARD_VERSION 1
#define SHARD_HEADER 24

/* Writes a shard file atomically (format at the top of this file). */
int
trainer_shard_write(const char *path, const uint16_t *tokens, const uint8_t *mask,
					uint64_t n_tokens, const uint64_t *offsets, uint32_t n_examples,
					char *err, size_t errlen)
{
	size_t		off_bytes = sizeof(uint64_t) * ((size_t) n_examples + 1);
	size_t		len = SHARD_HEADER + off_bytes + 3 * n_tokens + 8;
	unsigned char *buf = malloc(len);
	unsigned char *p = buf;
	uint32_t	version = SHARD_VERSION;
	uint64_t	sum;
	int			rc;

	if (!buf)
	{
		snprintf(err, errlen, "out of memory writing \"%s\"", path);
		return -1;
	}
	memcpy(p, SHARD_MAGIC, 8);
	memcpy(p + 8, &version, 4);
	memcpy(p + 12, &n_examples, 4);
	memcpy(p + 16, &n_tokens, 8);
	p += SHARD_HEADER;
	memcpy(p, offsets, off_bytes);
	p += off_bytes;
	memcpy(p, tokens, 2 * n_tokens);
	p += 2 * n_tokens;
	memcpy(p, mask, n_tokens);
	p += n_tokens;
	sum = sqlpilot_checksum64(buf, (size_t) (p - buf), 0);
	memcpy(p, &sum, 8);
	rc = sqlpilot_write_file_atomic(path, buf, len, err, errlen);
	free(buf);
	return rc;
}

/* Reads and verifies a shard; the arrays point into the file buffer. */
int
trainer_shard_read(TrainerShard *s, const char *path, char *err, size_t errlen)
{
	size_t		len;
	unsigned char *buf = (unsigned char *) sqlpilot_read_file(path, &len, err, errlen);
	uint32_t	version;
	uint64_t	sum;
	size_t		need;

	memset(s, 0, sizeof(*s));
	if (!buf)
		return -1;
	if (len < SHARD_HEADER + 16 || memcmp(buf, SHARD_MAGIC, 8) != 0)
	{
		snprintf(err, errlen, "\"%s\" is not a token shard (bad magic or too short)", path);
		free(buf);
		return -1;
	}
	memcpy(&version, buf + 8, 4);
	memcpy(&s->n_examples, buf + 12, 4);
	memcpy(&s->n_tokens, buf + 16, 8);
	need = SHARD_HEADER + 8 * ((size_t) s->n_examples + 1) + 3 * s->n_tokens + 8;
	if (version != SHARD_VERSION)
		snprintf(err, errlen, "\"%s\": shard version %u, expected %d", path, version, SHARD_VERSION);
	else if (s->n_tokens > len || s->n_examples > len || need != len)
		snprintf(err, errlen, "\"%s\": sizes do not add up (%zu bytes, need %zu)", path, len, need);
	else
	{
		memcpy(&sum, buf + len - 8, 8);
		if (sum != sqlpilot_checksum64(buf, len - 8, 0))
			snprintf(err, errlen, "\"%s\": checksum mismatch", path);
		else
		{
			s->offsets = (uint64_t *) (buf + SHARD_HEADER);
			s->tokens = (uint16_t *) (s->offsets + s->n_examples + 1);
			s->mask = (uint8_t *) (s->tokens + s->n_tokens);
			s->buf = buf;
			for (uint32_t i = 0; i < s->n_examples; i++)
				if (s->offsets[i] > s->offsets[i + 1] || s->offsets[i + 1] > s->n_tokens)
				{
					snprintf(err, errlen, "\"%s\": bad offset of example %u", path, i);
					free(buf);
					memset(s, 0, sizeof(*s));
					return -1;
				}
			return 0;
		}
	}
	free(buf);
	memset(s, 0, sizeof(*s));
	return -1;
}

void
trainer_shard_free(TrainerShard *s)
{
	free(s->buf);
	memset(s, 0, sizeof(*s));
}

/* Allocates a batch of B x T rows; returns 0 or -1. */
int
trainer_batch_alloc(TrainerBatch *b, int B, int T)
{
	size_t		n = (size_t) B * T;

	b->B = B;
	b->T = T;
	b->inputs = malloc(sizeof(int) * n);
	b->targets = malloc(sizeof(int) * n);
	b->weights = malloc(sizeof(float) * n);
	b->is_stmt = malloc(n);
	b->pos = malloc(sizeof(int) * n);
	b->kstart = malloc(sizeof(int) * n);
	b->segs = malloc(sizeof(TrainerSeg) * n);
	b->n_segs = 0;
	if (!b->inputs || !b->targets || !b->weights || !b->is_stmt || !b->pos || !b->kstart ||
		!b->segs)
	{
		trainer_batch_free(b);
		return -1;
	}
	return 0;
}

void
trainer_batch_free(TrainerBatch *b)
{
	free(b->inputs);
	free(b->targets);
	free(b->weights);
	free(b->is_stmt);
	free(b->pos);
	free(b->kstart);
	free(b->segs);
	memset(b, 0, sizeof(*b));
}

/* A loader at the start of epoch 0; shuffle 0 keeps the file order. */
void
trainer_loader_init(TrainerLoader *l, const TrainerShard *s, uint64_t seed, int shuffle)
{
	memset(l, 0, sizeof(*l));
	l->shard = s;
	l->seed = seed;
	l->shuffle = shuffle;
	l->order = malloc(sizeof(uint32_t) * (s->n_examples ? s->n_examples : 1));
	l->order_epoch = UINT64_MAX;
}

void
trainer_loader_free(TrainerLoader *l)
{
	free(l->order);
	free(l->group_first);
	memset(l, 0, sizeof(*l));
}

/* a[0..n) = 0..n-1, shuffled (Fisher-Yates) when shuffle is set. */
static void
permutation(uint32_t *a, uint32_t n, int shuffle, uint64_t *rng)
{
	for (uint32_t i = 0; i < n; i++)
		a[i] = i;
	if (shuffle)
		for (uint32_t i = n; i > 1; i--)
		{
			uint32_t	j = (uint32_t) sqlpilot_rng_below(rng, i);
			uint32_t	t = a[i - 1];

			a[i - 1] = a[j];
			a[j] = t;
		}
}

/*
 * Builds the example order of l->epoch from an RNG seeded by (seed, epoch):
 * the examples shuffled, or when packing the groups shuffled, each group's
 * examples in file order.
 */
static void
loader_order(TrainerLoader *l)
{
	uint64_t	rng = l->seed * 0x9E3779B97F4A7C15ULL + l->epoch + 1;

	if (!l->group_first)
		permutation(l->order, l->shard->n_examples, l->shuffle, &rng);
	else
	{
		uint32_t   *groups = l->order + l->shard->n_examples;
		uint32_t	k = 0;

		permutation(groups, l->n_groups, l->shuffle, &rng);
		for (uint32_t g = 0; g < l->n_groups; g++)
			for (uint32_t e = l->group_first[groups[g]]; e < l->group_first[groups[g] + 1]; e++)
				l->order[k++] = e;
	}
	l->order_epoch = l->epoch;
}

/*
 * The example at the cursor, stepping into the next epoch (and drawing its
 * order) at the end of one; false when a one-pass loader has seen them all.
 */
static bool
loader_current(TrainerLoader *l, uint32_t *ex)
{
	if (l->cursor >= l->shard->n_examples)
	{
		if (l->one_pass)
			return false;
		l->epoch++;
		l->cursor = 0;
	}
	if (l->order_epoch != l->epoch)
		loader_order(l);
	*ex = l->order[l->cursor];
	return true;
}

/* Index of example ex's first statement token (its length when it has none). */
static uint64_t
stmt_start(const TrainerShard *s, uint32_t ex)
{
	uint64_t	i = s->offsets[ex];

	while (i < s->offsets[ex + 1] && s->mask[i] != TRAINER_MASK_STMT)
		i++;
	return i - s->offsets[ex];
}

/* 1 when examples a and b have the same prompt (every token before the statement). */
static int
same_prompt(const TrainerShard *s, uint32_t a, uint32_t b)
{
	uint64_t	n = stmt_start(s, a);

	return n == stmt_start(s, b) &&
		memcmp(s->tokens + s->offsets[a], s->tokens + s->offsets[b], 2 * n) == 0;
}

/* Groups adjacent examples with one prompt (train.h). */
int
trainer_loader_pack(TrainerLoader *l)
{
	const TrainerShard *s = l->shard;
	uint32_t	n = s->n_examples;
	uint32_t   *order = realloc(l->order, sizeof(uint32_t) * (2 * (size_t) n + 1));

	if (!order)
		return -1;
	l->order = order;
	free(l->group_first);
	l->group_first = malloc(sizeof(uint32_t) * ((size_t) n + 1));
	if (!l->group_first)
		return -1;
	l->n_groups = 0;
	for (uint32_t e = 0; e < n; e++)
		if (e == 0 || !same_prompt(s, e - 1, e))
			l->group_first[l->n_groups++] = e;
	l->group_first[l->n_groups] = n;
	l->order_epoch = UINT64_MAX;
	return 0;
}

/* Sets row r of batch to padding: no input, no target, attends only to itself. */
static void
pad_row(TrainerBatch *batch, size_t r, int t)
{
	batch->inputs[r] = SQLPILOT_TOKEN_PAD;
	batch->targets[r] = -1;
	batch->weights[r] = 0.0f;
	batch->is_stmt[r] = 0;
	batch->pos[r] = 0;
	batch->kstart[r] = t;
}

/* Sets row r of batch from row i of example ex (input token i, target i+1). */
static void
example_row(TrainerBatch *batch, size_t r, const TrainerShard *s, uint32_t ex, int i,
			float schema_weight)
{
	uint64_t	start = s->offsets[ex];
	uint8_t		m = s->mask[start + i + 1];

	batch->inputs[r] = s->tokens[start + i];
	batch->targets[r] = s->tokens[start + i + 1];
	batch->weights[r] = m == TRAINER_MASK_STMT ? 1.0f :
		m == TRAINER_MASK_SCHEMA ? schema_weight : 0.0f;
	batch->is_stmt[r] = (m == TRAINER_MASK_STMT);
	batch->pos[r] = i;
	batch->kstart[r] = 0;
}

/*
 * Fills sequence b with the next examples that fit whole (an example longer
 * than T + 1 tokens is skipped: cut, it would lose its statement); pads the
 * rest.  A shard
 * without usable examples, or a one_pass loader at its end, gives padding.
 */
void
trainer_loader_next(TrainerLoader *l, TrainerBatch *batch, int b, float schema_weight)
{
	const TrainerShard *s = l->shard;
	int			T = batch->T;
	size_t		base = (size_t) b * T;
	int			row = 0;
	uint64_t	tried = 0;

	while (row < T && s->n_examples > 0 && tried <= s->n_examples)
	{
		uint32_t	ex;
		uint64_t	start;
		int			rows;

		if (!loader_current(l, &ex))
			break;
		start = s->offsets[ex];
		rows = (int) (s->offsets[ex + 1] - start) - 1;
		if (rows <= 0)
		{
			l->cursor++;
			tried++;
			continue;
		}
		if (rows > T)
		{
			l->cursor++;
			tried++;
			continue;
		}
		if (rows > T - row)
			break;
		for (int i = 0; i < rows; i++)
		{
			example_row(batch, base + row + i, s, ex, i, schema_weight);
			batch->kstart[base + row + i] = row;
		}
		row += rows;
		l->cursor++;
		tried = 0;
	}
	for (; row < T; row++)
		pad_row(batch, base + row, row);
}

/* Appends a segment to batch->segs. */
static void
add_seg(TrainerBatch *batch, int row0, int rows, int prefix, int prefix_rows)
{
	batch->segs[batch->n_segs++] = (TrainerSeg) {row0, rows, prefix, prefix_rows};
}

/*
 * Closes the pack whose schema rows are [row0, row0 + P): weights times its
 * k statements (the loss of k examples each holding the schema).
 */
static void
close_pack(TrainerBatch *batch, int row0, int P, int k)
{
	for (int i = 0; i < P; i++)
		batch->weights[row0 + i] *= (float) k;
}

/*
 * Packs of one schema and its statements (train.h).  An example's rows are
 * its prompt rows (inputs before its last prompt token: targets are schema
 * tokens) and its statement rows (from the last prompt token on: targets
 * are the statement and EOS), so a statement's first row is at position P.
 */
int
trainer_loader_fill(TrainerLoader *l, TrainerBatch *batch, int row0, int rows,
					float schema_weight)
{
	const TrainerShard *s = l->shard;
	int			T = batch->T;
	int			row = 0;
	uint64_t	tried = 0;
	int			open = 0;		/* a pack is open */
	uint32_t	open_ex = 0;	/* its first example */
	int			open_row = 0;	/* its schema rows */
	int			open_P = 0;
	int			open_k = 0;

	while (s->n_examples > 0 && tried <= s->n_examples)
	{
		uint32_t	ex;
		int			n;
		int			P;
		int			m;

		if (!loader_current(l, &ex))
			break;
		n = (int) (s->offsets[ex + 1] - s->offsets[ex]);
		if (n < 2 || n - 1 > T)
		{
			l->cursor++;
			tried++;
			continue;
		}
		P = (int) stmt_start(s, ex) - 1;
		if (P > n - 1)
			P = n - 1;
		m = n - 1 - P;
		if (!(open && same_prompt(s, open_ex, ex) && row + m <= rows))
		{
			if (open)
				close_pack(batch, row0 + open_row, open_P, open_k);
			open = 0;
			if (row + P + m > rows)
				break;
			open = 1;
			open_ex = ex;
			open_row = row;
			open_P = P;
			open_k = 0;
			for (int i = 0; i < P; i++)
				example_row(batch, (size_t) row0 + row + i, s, ex, i, schema_weight);
			if (P > 0)
				add_seg(batch, row0 + row, P, -1, 0);
			row += P;
		}
		for (int i = 0; i < m; i++)
			example_row(batch, (size_t) row0 + row + i, s, ex, P + i, schema_weight);
		if (m > 0)
			add_seg(batch, row0 + row, m, P > 0 ? row0 + open_row : -1, P);
		row += m;
		open_k++;
		l->cursor++;
		tried = 0;
	}
	if (open)
		close_pack(batch, row0 + open_row, open_P, open_k);
	for (int r = row; r < rows; r++)
		pad_row(batch, (size_t) row0 + r, r);
	return row;
}
