/*
 * tokenizer.h — byte-level BPE with 512 tokens (small vocab = small embedding).
 *
 * Ids: 0 PAD, 1 BOS, 2 EOS (end of statement), 3..258 the 256 single bytes
 * (byte fallback: every byte string encodes and decodes back exactly), then
 * one token per learned merge up to vocab_size.  The merges are learned by
 * the trainer (trainer/bpe_learn.h); this is everything that uses them.
 */
#ifndef SQLPILOT_TOKENIZER_H
#define SQLPILOT_TOKENIZER_H

#include <stddef.h>
#include <stdint.h>

#define SQLPILOT_VOCAB_SIZE 512
#define SQLPILOT_TOKEN_PAD 0
#define SQLPILOT_TOKEN_BOS 1
#define SQLPILOT_TOKEN_EOS 2
#define SQLPILOT_TOKEN_BYTE0 3
#define SQLPILOT_TOKEN_FIRST_MERGE (SQLPILOT_TOKEN_BYTE0 + 256)	/* the first merged token */
#define SQLPILOT_TOKENIZER_MAX_CHUNK 64	/* longest pre-split chunk, so longest token */
#define SQLPILOT_TOKENIZER_MAX_VOCAB 8192	/* largest vocab_size a merge list may have */

typedef struct SqlpilotTokenizerIndex SqlpilotTokenizerIndex;

typedef struct SqlpilotTokenizer
{
	int			vocab_size;
	int			n_merges;
	int32_t    *merges;			/* (n_merges, 2): token BYTE0+256+i = merges[2i] . merges[2i+1] */
	uint8_t   **token_bytes;	/* bytes of each token (specials: empty) */
	int		   *token_len;
	SqlpilotTokenizerIndex *index;	/* private lookup tables for encoding */
} SqlpilotTokenizer;

/* Builds a tokenizer from a merge list (as stored in a model file). */
int			sqlpilot_tokenizer_from_merges(SqlpilotTokenizer *tok, const int32_t *merges,
										   int n_merges, int vocab_size,
										   char *err, size_t errlen);
void		sqlpilot_tokenizer_free(SqlpilotTokenizer *tok);
/* Encodes len bytes; writes at most cap ids; returns the number of ids the text needs. */
size_t		sqlpilot_tokenizer_encode(const SqlpilotTokenizer *tok, const char *text,
									  size_t len, int *ids, size_t cap);
/* Decodes ids (specials produce nothing); writes at most cap bytes; returns bytes needed. */
size_t		sqlpilot_tokenizer_decode(const SqlpilotTokenizer *tok, const int *ids,
									  size_t n, char *out, size_t cap);
/*
 * The end of the pre-split chunk that starts at s[pos] (pos < len; rules in
 * tokenizer.c).  Merges never cross a chunk; the learner cuts texts with it too.
 */
size_t		sqlpilot_tokenizer_chunk_end(const uint8_t *s, size_t len, size_t pos);

/*
 * The standalone tokenizer file (text; format documented in tokenizer.c):
 * save writes it atomically, load/parse read it back through
 * sqlpilot_tokenizer_from_merges.  All return 0 or -1 with err.
 */
int			sqlpilot_tokenizer_save(const SqlpilotTokenizer *tok, const char *path,
									char *err, size_t errlen);
int			sqlpilot_tokenizer_load(SqlpilotTokenizer *tok, const char *path,
									char *err, size_t errlen);
int			sqlpilot_tokenizer_parse(SqlpilotTokenizer *tok, const char *buf, size_t len,
									 char *err, size_t errlen);

#endif							/* SQLPILOT_TOKENIZER_H */
