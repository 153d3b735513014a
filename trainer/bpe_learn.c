/*
 * bpe_learn.c — learning the BPE merges of core/tokenizer.c from texts.
 *
 * Training cuts the texts into chunks with core's pre-split
 * (sqlpilot_tokenizer_chunk_end), so no merge crosses a chunk, as encoding
 * expects; counts the unique chunks, then repeatedly merges the most frequent
 * adjacent pair (weighted by chunk counts).  Texts are cut into blocks at
 * blank lines and a block seen before is not counted again: the schema
 * repeated in every example of a database counts once, so its DDL does not
 * take the merges that statement keywords (SELECT, INSERT, VALUES) need.
 * Ties go to the pair (a, b) with the smallest a, then the smallest b; a pair
 * whose bytes already spell an existing token is never merged, so no two
 * tokens have the same bytes.  Results depend only on the texts, never on
 * hash order.
 *
 * Only `sqlpilot tokenizer`, `sqlpilot init --corpus` and tests learn merges,
 * so this lives in the trainer, not in core/ (which the extension builds).
 */
#include "bpe_learn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEDUP_BLOCK (1 << 20)	/* longer blocks are counted, not deduplicated */

/* A unique chunk during training: its tokens (in the shared symbol array) and count. */
typedef struct TrainChunk
{
	size_t		start;			/* offset of the chunk's bytes / symbols */
	int			len;			/* bytes when counting, symbols after */
	uint64_t	count;
} TrainChunk;

/* Hash table of the unique chunks of the training texts. */
typedef struct ChunkTable
{
	TrainChunk *chunks;
	size_t		n;
	size_t		chunks_cap;
	uint32_t   *slots;			/* chunk index + 1; 0 = empty */
	size_t		mask;
	uint8_t    *bytes;			/* all unique chunks' bytes, back to back */
	size_t		bytes_len;
	size_t		bytes_cap;
} ChunkTable;

/* FNV-1a over a chunk's bytes. */
static uint64_t
chunk_hash(const uint8_t *s, int len)
{
	uint64_t	h = 0xcbf29ce484222325ULL;

	for (int i = 0; i < len; i++)
		h = (h ^ s[i]) * 0x100000001b3ULL;
	return h;
}

/* Doubles the slot array of the chunk table and rehashes. */
static int
chunk_table_grow(ChunkTable *t)
{
	size_t		size = (t->mask + 1) * 2;
	uint32_t   *slots = calloc(size, sizeof(uint32_t));

	if (!slots)
		return -1;
	for (size_t i = 0; i < t->n; i++)
	{
		TrainChunk *c = &t->chunks[i];
		size_t		h = chunk_hash(t->bytes + c->start, c->len) & (size - 1);

		while (slots[h] != 0)
			h = (h + 1) & (size - 1);
		slots[h] = (uint32_t) (i + 1);
	}
	free(t->slots);
	t->slots = slots;
	t->mask = size - 1;
	return 0;
}

/* Counts one occurrence of a chunk, adding it when new; returns 1 if new, 0 if seen, -1 on OOM. */
static int
chunk_table_add(ChunkTable *t, const uint8_t *s, int len)
{
	size_t		h = chunk_hash(s, len) & t->mask;
	TrainChunk *c;

	while (t->slots[h] != 0)
	{
		c = &t->chunks[t->slots[h] - 1];
		if (c->len == len && memcmp(t->bytes + c->start, s, len) == 0)
		{
			c->count++;
			return 0;
		}
		h = (h + 1) & t->mask;
	}
	if (t->bytes_len + len > t->bytes_cap)
	{
		size_t		cap = t->bytes_cap * 2 + len;
		uint8_t    *nb = realloc(t->bytes, cap);

		if (!nb)
			return -1;
		t->bytes = nb;
		t->bytes_cap = cap;
	}
	if (t->n == t->chunks_cap)
	{
		size_t		cap = t->chunks_cap * 2 + 1024;
		TrainChunk *nc = realloc(t->chunks, sizeof(TrainChunk) * cap);

		if (!nc)
			return -1;
		t->chunks = nc;
		t->chunks_cap = cap;
	}
	memcpy(t->bytes + t->bytes_len, s, len);
	c = &t->chunks[t->n];
	c->start = t->bytes_len;
	c->len = len;
	c->count = 1;
	t->bytes_len += len;
	t->slots[h] = (uint32_t) (++t->n);
	if (t->n * 2 > t->mask && chunk_table_grow(t) != 0)
		return -1;
	return 1;
}

/* Frees a chunk table. */
static void
chunk_table_free(ChunkTable *t)
{
	free(t->chunks);
	free(t->slots);
	free(t->bytes);
}

/*
 * The end of the block that starts at pos: just after the first chunk that
 * holds a blank line ("\n\n" inside a whitespace run), or the end of text.
 */
static size_t
block_end_at(const uint8_t *s, size_t len, size_t pos)
{
	while (pos < len)
	{
		size_t		end = sqlpilot_tokenizer_chunk_end(s, len, pos);

		for (size_t i = pos; i + 1 < end; i++)
			if (s[i] == '\n' && s[i + 1] == '\n')
				return end;
		pos = end;
	}
	return len;
}

/*
 * Learns up to vocab_size - 259 merges (fewer when no pair is left) and
 * builds tok from them.
 */
int
sqlpilot_tokenizer_train(SqlpilotTokenizer *tok, const char *const *texts,
						 const size_t *lens, size_t n_texts, int vocab_size,
						 char *err, size_t errlen)
{
	ChunkTable	t = {0},
				blocks = {0};
	int		   *sym = NULL;
	uint64_t   *counts = NULL;
	uint8_t    *banned = NULL;
	int32_t    *merges = NULL;
	uint8_t    *tbytes = NULL;	/* (V, MAX_CHUNK) bytes of each token so far */
	int		   *tlen = NULL;
	int			n_merges = 0;
	int			want = vocab_size - SQLPILOT_TOKEN_FIRST_MERGE;
	size_t		V = (size_t) vocab_size;
	int			rc = -1;

	memset(tok, 0, sizeof(*tok));
	if (vocab_size < SQLPILOT_TOKEN_FIRST_MERGE || vocab_size > SQLPILOT_TOKENIZER_MAX_TRAIN_VOCAB)
	{
		snprintf(err, errlen, "tokenizer vocab_size %d is out of range [%d, %d]",
				 vocab_size, SQLPILOT_TOKEN_FIRST_MERGE, SQLPILOT_TOKENIZER_MAX_TRAIN_VOCAB);
		return -1;
	}
	t.mask = 4095;
	t.slots = calloc(t.mask + 1, sizeof(uint32_t));
	blocks.mask = 4095;
	blocks.slots = calloc(blocks.mask + 1, sizeof(uint32_t));
	if (!t.slots || !blocks.slots)
		goto oom;
	for (size_t i = 0; i < n_texts; i++)
	{
		const uint8_t *s = (const uint8_t *) texts[i];
		size_t		len = lens[i],
					pos = 0;

		while (pos < len)
		{
			size_t		block_end = block_end_at(s, len, pos);
			int			fresh = block_end - pos > MAX_DEDUP_BLOCK ? 1 :
				chunk_table_add(&blocks, s + pos, (int) (block_end - pos));

			if (fresh < 0)
				goto oom;
			while (pos < block_end)
			{
				size_t		end = sqlpilot_tokenizer_chunk_end(s, len, pos);

				if (fresh && chunk_table_add(&t, s + pos, (int) (end - pos)) < 0)
					goto oom;
				pos = end;
			}
		}
	}

	/* Symbols of every unique chunk, in the same layout as its bytes. */
	sym = malloc(sizeof(int) * (t.bytes_len ? t.bytes_len : 1));
	counts = malloc(sizeof(uint64_t) * V * V);
	banned = calloc(V * V, 1);
	merges = malloc(sizeof(int32_t) * 2 * (want > 0 ? want : 1));
	tbytes = malloc(V * SQLPILOT_TOKENIZER_MAX_CHUNK);
	tlen = calloc(V, sizeof(int));
	if (!sym || !counts || !banned || !merges || !tbytes || !tlen)
		goto oom;
	for (size_t i = 0; i < t.bytes_len; i++)
		sym[i] = SQLPILOT_TOKEN_BYTE0 + t.bytes[i];
	for (int i = 0; i < 256; i++)
	{
		tbytes[(size_t) (SQLPILOT_TOKEN_BYTE0 + i) * SQLPILOT_TOKENIZER_MAX_CHUNK] = (uint8_t) i;
		tlen[SQLPILOT_TOKEN_BYTE0 + i] = 1;
	}

	while (n_merges < want)
	{
		size_t		best = 0;
		uint64_t	best_count = 0;
		int			a,
					b,
					id = SQLPILOT_TOKEN_FIRST_MERGE + n_merges;

		memset(counts, 0, sizeof(uint64_t) * V * V);
		for (size_t i = 0; i < t.n; i++)
		{
			const int  *c = sym + t.chunks[i].start;

			for (int j = 0; j + 1 < t.chunks[i].len; j++)
				counts[(size_t) c[j] * V + c[j + 1]] += t.chunks[i].count;
		}
		/* The most frequent pair not spelling an existing token; ties: smallest (a, b). */
		for (;;)
		{
			int			dup = 0;

			best_count = 0;
			for (size_t p = 0; p < (size_t) id * V; p++)
				if (counts[p] > best_count && !banned[p])
				{
					best_count = counts[p];
					best = p;
				}
			if (best_count == 0)
				break;
			a = (int) (best / V);
			b = (int) (best % V);
			for (int j = SQLPILOT_TOKEN_BYTE0; j < id && !dup; j++)
				dup = tlen[j] == tlen[a] + tlen[b] &&
					memcmp(tbytes + (size_t) j * SQLPILOT_TOKENIZER_MAX_CHUNK,
						   tbytes + (size_t) a * SQLPILOT_TOKENIZER_MAX_CHUNK, tlen[a]) == 0 &&
					memcmp(tbytes + (size_t) j * SQLPILOT_TOKENIZER_MAX_CHUNK + tlen[a],
						   tbytes + (size_t) b * SQLPILOT_TOKENIZER_MAX_CHUNK, tlen[b]) == 0;
			if (!dup)
				break;
			banned[best] = 1;
		}
		if (best_count == 0)
			break;
		merges[2 * n_merges] = a;
		merges[2 * n_merges + 1] = b;
		n_merges++;
		memcpy(tbytes + (size_t) id * SQLPILOT_TOKENIZER_MAX_CHUNK,
			   tbytes + (size_t) a * SQLPILOT_TOKENIZER_MAX_CHUNK, tlen[a]);
		memcpy(tbytes + (size_t) id * SQLPILOT_TOKENIZER_MAX_CHUNK + tlen[a],
			   tbytes + (size_t) b * SQLPILOT_TOKENIZER_MAX_CHUNK, tlen[b]);
		tlen[id] = tlen[a] + tlen[b];

		/* Apply the merge to every chunk, left to right. */
		for (size_t i = 0; i < t.n; i++)
		{
			int		   *c = sym + t.chunks[i].start;
			int			n = t.chunks[i].len,
						k = 0;

			for (int j = 0; j < n; j++)
			{
				if (j + 1 < n && c[j] == a && c[j + 1] == b)
				{
					c[k++] = id;
					j++;
				}
				else
					c[k++] = c[j];
			}
			t.chunks[i].len = k;
		}
	}
	rc = sqlpilot_tokenizer_from_merges(tok, merges, n_merges, vocab_size, err, errlen);
	goto done;

oom:
	snprintf(err, errlen, "out of memory training the tokenizer");
done:
	chunk_table_free(&t);
	chunk_table_free(&blocks);
	free(sym);
	free(counts);
	free(banned);
	free(merges);
	free(tbytes);
	free(tlen);
	return rc;
}
