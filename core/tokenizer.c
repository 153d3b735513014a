/*
 * tokenizer.c — byte-level BPE (see tokenizer.h).
 *
 * Pre-split.  Text is cut into chunks and merges never cross a chunk, so a
 * merge list learned on SQL spends its tokens on keywords and identifier
 * pieces instead of on spans like "d FR".  At each position the first rule
 * that applies wins:
 *   - a run of whitespace (space \t \n \v \f \r); when it is longer than one
 *     byte, ends in a space and is followed by text, that last space is left
 *     to the next chunk ("\n    id" -> "\n   " + " id");
 *   - an optional single space, then one of
 *       a word: a byte of [A-Za-z_$] or >= 0x80, then [A-Za-z0-9_$] or >= 0x80;
 *       a number: a run of [0-9];
 *       punctuation: a run of any other bytes (NUL and control bytes included).
 * A chunk never exceeds SQLPILOT_TOKENIZER_MAX_CHUNK bytes (a longer run is cut
 * into pieces), which bounds the per-chunk merge loop.  So " FROM", "SELECT",
 * " user_id" and "created_at" are single chunks that BPE can make single tokens.
 *
 * The merges are learned by trainer/bpe_learn.c (training only, so not in
 * the extension).  Encoding applies, inside each chunk, the earliest learned
 * merge present (all its occurrences, left to right) until none applies —
 * exactly what training did to that chunk.  Lookups go through a hash table
 * of pairs.
 *
 * Standalone tokenizer file (text, written by sqlpilot_tokenizer_save):
 *   line 1: "sqlpilot-tokenizer 1"
 *   line 2: "vocab_size V"
 *   line 3: "merges M"
 *   then M lines "A B": merge i makes token 259 + i from tokens A and B.
 * Model files store the same merge list in binary (see model.c).
 */
#include "tokenizer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* Pair -> merged token, open addressing with linear probing. */
struct SqlpilotTokenizerIndex
{
	uint32_t	mask;			/* table size - 1 (a power of two) */
	uint32_t   *keys;			/* (a << 16 | b) + 1; 0 = empty slot */
	int32_t    *values;			/* merged token id */
};

/* Byte classes of the pre-split. */
enum
{
	CLASS_SPACE = 0,
	CLASS_WORD,
	CLASS_DIGIT,
	CLASS_PUNCT
};

/* The pre-split class of one byte. */
static inline int
byte_class(uint8_t c)
{
	if (c == ' ' || (c >= '\t' && c <= '\r'))
		return CLASS_SPACE;
	if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' || c == '$' || c >= 0x80)
		return CLASS_WORD;
	if (c >= '0' && c <= '9')
		return CLASS_DIGIT;
	return CLASS_PUNCT;
}

/* Returns the end of the pre-split chunk that starts at pos (pos < len). */
static size_t
chunk_end(const uint8_t *s, size_t len, size_t pos)
{
	size_t		limit = len - pos > SQLPILOT_TOKENIZER_MAX_CHUNK ?
		pos + SQLPILOT_TOKENIZER_MAX_CHUNK : len;
	size_t		p = pos;
	int			cls;

	if (byte_class(s[p]) == CLASS_SPACE &&
		!(s[p] == ' ' && p + 1 < limit && byte_class(s[p + 1]) != CLASS_SPACE))
	{
		while (p < limit && byte_class(s[p]) == CLASS_SPACE)
			p++;
		if (p < len && p - pos > 1 && s[p - 1] == ' ' && byte_class(s[p]) != CLASS_SPACE)
			p--;
		return p;
	}
	if (s[p] == ' ')
		p++;
	cls = byte_class(s[p]);
	p++;
	while (p < limit)
	{
		int			c = byte_class(s[p]);

		if (c != cls && !(cls == CLASS_WORD && c == CLASS_DIGIT))
			break;
		p++;
	}
	return p;
}

/* Hash slot of a pair key. */
static inline uint32_t
pair_slot(uint32_t key, uint32_t mask)
{
	return (uint32_t) ((key * 0x9E3779B1u) >> 7) & mask;
}

/* The token that merges a and b, or -1. */
static inline int
pair_lookup(const SqlpilotTokenizerIndex *ix, int a, int b)
{
	uint32_t	key = (((uint32_t) a << 16) | (uint32_t) b) + 1;
	uint32_t	h = pair_slot(key, ix->mask);

	for (;;)
	{
		uint32_t	k = ix->keys[h];

		if (k == key)
			return ix->values[h];
		if (k == 0)
			return -1;
		h = (h + 1) & ix->mask;
	}
}

/* Applies the merges to one chunk's tokens in place; returns the new count. */
static int
merge_chunk(const SqlpilotTokenizer *tok, int *t, int n)
{
	while (n > 1)
	{
		int			best = -1;
		int			a,
					b,
					j;

		for (int i = 0; i + 1 < n; i++)
		{
			int			m = pair_lookup(tok->index, t[i], t[i + 1]);

			if (m >= 0 && (best < 0 || m < best))
				best = m;
		}
		if (best < 0)
			break;
		a = tok->merges[2 * (best - SQLPILOT_TOKEN_FIRST_MERGE)];
		b = tok->merges[2 * (best - SQLPILOT_TOKEN_FIRST_MERGE) + 1];
		j = 0;
		for (int i = 0; i < n; i++)
		{
			if (i + 1 < n && t[i] == a && t[i + 1] == b)
			{
				t[j++] = best;
				i++;
			}
			else
				t[j++] = t[i];
		}
		n = j;
	}
	return n;
}

/*
 * chunk_end for the BPE learner (trainer/bpe_learn.c), which cuts texts the
 * same way; encoding calls the static one (no PLT call inside the extension).
 */
size_t
sqlpilot_tokenizer_chunk_end(const uint8_t *s, size_t len, size_t pos)
{
	return chunk_end(s, len, pos);
}

/* Encodes text chunk by chunk; writes at most cap ids and returns the count needed. */
size_t
sqlpilot_tokenizer_encode(const SqlpilotTokenizer *tok, const char *text,
						  size_t len, int *ids, size_t cap)
{
	const uint8_t *s = (const uint8_t *) text;
	size_t		pos = 0,
				n = 0;
	int			t[SQLPILOT_TOKENIZER_MAX_CHUNK];

	while (pos < len)
	{
		size_t		end = chunk_end(s, len, pos);
		int			k = (int) (end - pos);

		for (int i = 0; i < k; i++)
			t[i] = SQLPILOT_TOKEN_BYTE0 + s[pos + i];
		if (tok->index)
			k = merge_chunk(tok, t, k);
		for (int i = 0; i < k; i++, n++)
			if (n < cap)
				ids[n] = t[i];
		pos = end;
	}
	return n;
}

/* Concatenates the bytes of ids; unknown and special ids produce nothing. */
size_t
sqlpilot_tokenizer_decode(const SqlpilotTokenizer *tok, const int *ids,
						  size_t n, char *out, size_t cap)
{
	size_t		len = 0;

	for (size_t i = 0; i < n; i++)
	{
		int			id = ids[i];
		int			l;

		if (id < 0 || id >= tok->vocab_size)
			continue;
		l = tok->token_len[id];
		for (int j = 0; j < l; j++, len++)
			if (len < cap)
				out[len] = (char) tok->token_bytes[id][j];
	}
	return len;
}

/* Frees everything a tokenizer owns and zeroes it (safe on a zeroed struct). */
void
sqlpilot_tokenizer_free(SqlpilotTokenizer *tok)
{
	if (tok->token_bytes)
		free(tok->token_bytes[0]);
	free(tok->token_bytes);
	free(tok->token_len);
	free(tok->merges);
	if (tok->index)
	{
		free(tok->index->keys);
		free(tok->index->values);
		free(tok->index);
	}
	memset(tok, 0, sizeof(*tok));
}

/*
 * Builds token bytes and the pair index from a merge list, checking that
 * every merge uses earlier tokens and makes a token with new bytes.
 */
int
sqlpilot_tokenizer_from_merges(SqlpilotTokenizer *tok, const int32_t *merges,
							   int n_merges, int vocab_size, char *err, size_t errlen)
{
	size_t		total = 256;
	uint8_t    *arena;
	uint32_t	size = 16;
	SqlpilotTokenizerIndex *ix;

	memset(tok, 0, sizeof(*tok));
	if (vocab_size < SQLPILOT_TOKEN_FIRST_MERGE || vocab_size > SQLPILOT_TOKENIZER_MAX_VOCAB)
	{
		snprintf(err, errlen, "tokenizer vocab_size %d is out of range [%d, %d]",
				 vocab_size, SQLPILOT_TOKEN_FIRST_MERGE, SQLPILOT_TOKENIZER_MAX_VOCAB);
		return -1;
	}
	if (n_merges < 0 || n_merges > vocab_size - SQLPILOT_TOKEN_FIRST_MERGE)
	{
		snprintf(err, errlen, "tokenizer has %d merges, more than vocab_size %d allows",
				 n_merges, vocab_size);
		return -1;
	}
	tok->vocab_size = vocab_size;
	tok->n_merges = n_merges;
	tok->merges = malloc(sizeof(int32_t) * 2 * (n_merges > 0 ? n_merges : 1));
	tok->token_bytes = calloc(vocab_size, sizeof(uint8_t *));
	tok->token_len = calloc(vocab_size, sizeof(int));
	if (!tok->merges || !tok->token_bytes || !tok->token_len)
		goto oom;
	if (n_merges > 0)
		memcpy(tok->merges, merges, sizeof(int32_t) * 2 * n_merges);

	/* Token lengths first (validating ids), then one arena for all bytes. */
	for (int i = 0; i < 256; i++)
		tok->token_len[SQLPILOT_TOKEN_BYTE0 + i] = 1;
	for (int i = 0; i < n_merges; i++)
	{
		int			a = merges[2 * i],
					b = merges[2 * i + 1];

		if (a < SQLPILOT_TOKEN_BYTE0 || a >= SQLPILOT_TOKEN_FIRST_MERGE + i ||
			b < SQLPILOT_TOKEN_BYTE0 || b >= SQLPILOT_TOKEN_FIRST_MERGE + i)
		{
			snprintf(err, errlen, "tokenizer merge %d (%d, %d) uses an undefined token",
					 i, a, b);
			goto fail;
		}
		tok->token_len[SQLPILOT_TOKEN_FIRST_MERGE + i] = tok->token_len[a] + tok->token_len[b];
		if (tok->token_len[SQLPILOT_TOKEN_FIRST_MERGE + i] > SQLPILOT_TOKENIZER_MAX_CHUNK)
		{
			snprintf(err, errlen, "tokenizer merge %d makes a token longer than %d bytes",
					 i, SQLPILOT_TOKENIZER_MAX_CHUNK);
			goto fail;
		}
		total += tok->token_len[SQLPILOT_TOKEN_FIRST_MERGE + i];
	}
	arena = malloc(total);
	if (!arena)
		goto oom;
	for (int i = 0; i < vocab_size; i++)
		tok->token_bytes[i] = arena;	/* specials and unused ids: empty */
	for (int i = 0; i < 256; i++)
	{
		arena[i] = (uint8_t) i;
		tok->token_bytes[SQLPILOT_TOKEN_BYTE0 + i] = arena + i;
	}
	arena += 256;
	for (int i = 0; i < n_merges; i++)
	{
		int			a = merges[2 * i],
					b = merges[2 * i + 1];

		memcpy(arena, tok->token_bytes[a], tok->token_len[a]);
		memcpy(arena + tok->token_len[a], tok->token_bytes[b], tok->token_len[b]);
		tok->token_bytes[SQLPILOT_TOKEN_FIRST_MERGE + i] = arena;
		arena += tok->token_len[a] + tok->token_len[b];
	}

	/* Pair index; a repeated pair or repeated bytes would make two ids for one string. */
	while (size < (uint32_t) n_merges * 4)
		size *= 2;
	ix = calloc(1, sizeof(*ix));
	tok->index = ix;
	if (!ix)
		goto oom;
	ix->mask = size - 1;
	ix->keys = calloc(size, sizeof(uint32_t));
	ix->values = calloc(size, sizeof(int32_t));
	if (!ix->keys || !ix->values)
		goto oom;
	for (int i = 0; i < n_merges; i++)
	{
		int			id = SQLPILOT_TOKEN_FIRST_MERGE + i;
		uint32_t	key = (((uint32_t) merges[2 * i] << 16) | (uint32_t) merges[2 * i + 1]) + 1;
		uint32_t	h = pair_slot(key, ix->mask);

		for (int j = SQLPILOT_TOKEN_BYTE0; j < id; j++)
		{
			if (tok->token_len[j] == tok->token_len[id] &&
				memcmp(tok->token_bytes[j], tok->token_bytes[id], tok->token_len[id]) == 0)
			{
				snprintf(err, errlen, "tokenizer merge %d repeats the bytes of token %d", i, j);
				goto fail;
			}
		}
		while (ix->keys[h] != 0)
			h = (h + 1) & ix->mask;
		ix->keys[h] = key;
		ix->values[h] = id;
	}
	return 0;

oom:
	snprintf(err, errlen, "out of memory building the tokenizer");
fail:
	sqlpilot_tokenizer_free(tok);
	return -1;
}

/* Writes the merge list as a standalone tokenizer file (format at the top). */
int
sqlpilot_tokenizer_save(const SqlpilotTokenizer *tok, const char *path,
						char *err, size_t errlen)
{
	size_t		cap = 64 + (size_t) tok->n_merges * 24;
	char	   *buf = malloc(cap);
	size_t		len;
	int			rc;

	if (!buf)
	{
		snprintf(err, errlen, "out of memory saving the tokenizer");
		return -1;
	}
	len = snprintf(buf, cap, "sqlpilot-tokenizer 1\nvocab_size %d\nmerges %d\n",
				   tok->vocab_size, tok->n_merges);
	for (int i = 0; i < tok->n_merges; i++)
		len += snprintf(buf + len, cap - len, "%d %d\n",
						(int) tok->merges[2 * i], (int) tok->merges[2 * i + 1]);
	rc = sqlpilot_write_file_atomic(path, buf, len, err, errlen);
	free(buf);
	return rc;
}

/* Reads one decimal integer at *p (after spaces), advancing *p; returns 0 or -1. */
static int
parse_int(const char **p, const char *end, long *out)
{
	const char *s = *p;
	long		v = 0;
	int			neg = 0,
				digits = 0;

	while (s < end && *s == ' ')
		s++;
	if (s < end && *s == '-')
	{
		neg = 1;
		s++;
	}
	while (s < end && *s >= '0' && *s <= '9' && digits < 9)
	{
		v = v * 10 + (*s - '0');
		s++;
		digits++;
	}
	if (digits == 0 || (s < end && *s >= '0' && *s <= '9'))
		return -1;
	*out = neg ? -v : v;
	*p = s;
	return 0;
}

/* Expects the literal word at *p, advancing past it; returns 0 or -1. */
static int
parse_word(const char **p, const char *end, const char *word)
{
	size_t		n = strlen(word);

	if ((size_t) (end - *p) < n || memcmp(*p, word, n) != 0)
		return -1;
	*p += n;
	return 0;
}

/* Expects the end of a line at *p, advancing past it; returns 0 or -1. */
static int
parse_eol(const char **p, const char *end)
{
	while (*p < end && **p == ' ')
		(*p)++;
	if (*p < end && **p == '\r')
		(*p)++;
	if (*p >= end || **p != '\n')
		return -1;
	(*p)++;
	return 0;
}

/* Parses a standalone tokenizer file held in memory. */
int
sqlpilot_tokenizer_parse(SqlpilotTokenizer *tok, const char *buf, size_t len,
						 char *err, size_t errlen)
{
	const char *p = buf,
			   *end = buf + len;
	long		vocab,
				n,
				version;
	int32_t    *merges;
	int			rc;

	memset(tok, 0, sizeof(*tok));
	if (parse_word(&p, end, "sqlpilot-tokenizer") != 0 || parse_int(&p, end, &version) != 0 ||
		parse_eol(&p, end) != 0)
	{
		snprintf(err, errlen, "not a sqlpilot tokenizer file");
		return -1;
	}
	if (version != 1)
	{
		snprintf(err, errlen, "unsupported tokenizer file version %ld", version);
		return -1;
	}
	if (parse_word(&p, end, "vocab_size") != 0 || parse_int(&p, end, &vocab) != 0 ||
		parse_eol(&p, end) != 0 ||
		parse_word(&p, end, "merges") != 0 || parse_int(&p, end, &n) != 0 ||
		parse_eol(&p, end) != 0)
	{
		snprintf(err, errlen, "bad tokenizer file header");
		return -1;
	}
	if (vocab < SQLPILOT_TOKEN_FIRST_MERGE || vocab > SQLPILOT_TOKENIZER_MAX_VOCAB || n < 0 ||
		n > vocab - SQLPILOT_TOKEN_FIRST_MERGE)
	{
		snprintf(err, errlen, "tokenizer file has vocab_size %ld and %ld merges", vocab, n);
		return -1;
	}
	merges = malloc(sizeof(int32_t) * 2 * (n > 0 ? n : 1));
	if (!merges)
	{
		snprintf(err, errlen, "out of memory reading the tokenizer");
		return -1;
	}
	for (long i = 0; i < n; i++)
	{
		long		a,
					b;

		if (parse_int(&p, end, &a) != 0 || parse_int(&p, end, &b) != 0 ||
			parse_eol(&p, end) != 0)
		{
			snprintf(err, errlen, "bad tokenizer file line %ld", i + 4);
			free(merges);
			return -1;
		}
		merges[2 * i] = (int32_t) a;
		merges[2 * i + 1] = (int32_t) b;
	}
	while (p < end && (*p == '\n' || *p == '\r' || *p == ' '))
		p++;
	if (p != end)
	{
		snprintf(err, errlen, "tokenizer file has more lines than its %ld merges", n);
		free(merges);
		return -1;
	}
	rc = sqlpilot_tokenizer_from_merges(tok, merges, (int) n, (int) vocab, err, errlen);
	free(merges);
	return rc;
}

/* Reads a standalone tokenizer file. */
int
sqlpilot_tokenizer_load(SqlpilotTokenizer *tok, const char *path, char *err, size_t errlen)
{
	size_t		len;
	char	   *buf = sqlpilot_read_file(path, &len, err, errlen);
	int			rc;

	memset(tok, 0, sizeof(*tok));
	if (!buf)
		return -1;
	rc = sqlpilot_tokenizer_parse(tok, buf, len, err, errlen);
	free(buf);
	return rc;
}
