/*
 * tokenize.c — `sqlpilot tokenizer` (learn the BPE on the generated data) and
 * `sqlpilot tokenize` (the data/raw jsonl files -> train.bin and val.bin shards).
 *
 * Input lines are JSON objects with "schema_id", "schema" and "statement"
 * (and "text", the prompt text, which the tokenizer learns from).  Every
 * example is encoded by sqlpilot_prompt_encode, the one prompt format, with
 * its EOS.  The validation split is by schema: the schema ids whose hash is
 * among the smallest val_fraction of all distinct ids go to val.bin, so no
 * schema is in both files and the split does not depend on line order.
 * Within each file, examples with the same prompt are made adjacent (in the
 * order of their first line) for the trainer's schema packing.
 *
 * An example too long for the training sequence keeps the tables that
 * core/table_choice.h chooses for its whole statement, the one choice the
 * extension and eval make (trainer_example_schema), so it is not skipped.
 */
#include "train.h"

#include <cJSON.h>
#include <glob.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpe_learn.h"
#include "prompt.h"
#include "table_choice.h"
#include "tables_split.h"
#include "tokenizer.h"
#include "util.h"

/* The longest --seq-len tokenize takes (the model format's limit). */
#define TOKENIZE_MAX_SEQ_LEN 65536

/* Called per JSON line; returns 0 to go on, -1 to stop with err set. */
typedef int (*LineFn) (const cJSON *obj, void *ctx, char *err, size_t errlen);

/* Runs fn over every object of one *.jsonl file. */
static int
jsonl_file(const char *path, LineFn fn, void *ctx, char *err, size_t errlen)
{
	FILE	   *f = fopen(path, "r");
	char	   *line = NULL;
	size_t		cap = 0;
	ssize_t		n;
	long		lineno = 0;
	int			rc = 0;

	if (!f)
	{
		snprintf(err, errlen, "cannot open \"%s\"", path);
		return -1;
	}
	while (rc == 0 && (n = getline(&line, &cap, f)) > 0)
	{
		cJSON	   *obj;

		lineno++;
		if (n <= 1)
			continue;
		obj = cJSON_ParseWithLength(line, (size_t) n);
		if (!obj || !cJSON_IsObject(obj))
		{
			snprintf(err, errlen, "%s:%ld: not a JSON object", path, lineno);
			rc = -1;
		}
		else
			rc = fn(obj, ctx, err, errlen);
		cJSON_Delete(obj);
	}
	free(line);
	fclose(f);
	return rc;
}

/*
 * Runs fn over every object of every *.jsonl file of dirs (one directory, or
 * several separated by ':', e.g. generated and imported data), directory by
 * directory, each in name order.  Every directory must hold some.
 */
static int
jsonl_foreach(const char *dirs, LineFn fn, void *ctx, char *err, size_t errlen)
{
	const char *d = dirs;
	int			rc = 0;

	while (rc == 0)
	{
		const char *end = strchr(d, ':');
		size_t		dlen = end ? (size_t) (end - d) : strlen(d);
		char		pattern[4096];
		glob_t		g = {0};

		snprintf(pattern, sizeof(pattern), "%.*s/*.jsonl", (int) dlen, d);
		if (dlen == 0 || glob(pattern, 0, NULL, &g) != 0 || g.gl_pathc == 0)
		{
			snprintf(err, errlen, "no *.jsonl files in \"%.*s\" (run `sqlpilot datagen` first)",
					 (int) dlen, d);
			if (dlen > 0)
				globfree(&g);
			return -1;
		}
		for (size_t i = 0; i < g.gl_pathc && rc == 0; i++)
			rc = jsonl_file(g.gl_pathv[i], fn, ctx, err, errlen);
		globfree(&g);
		if (!end)
			break;
		d = end + 1;
	}
	return rc;
}

/* The string member key of obj, or NULL. */
static const char *
json_get(const cJSON *obj, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* ---- sqlpilot tokenizer ---- */

typedef struct TextList
{
	char	  **texts;
	size_t	   *lens;
	size_t		n;
	size_t		cap;
	size_t		max;
} TextList;

/* Collects the prompt text of one line (built from schema and statement when "text" is absent). */
static int
collect_text(const cJSON *obj, void *ctx, char *err, size_t errlen)
{
	TextList   *tl = ctx;
	const char *text = json_get(obj, "text");
	const char *schema = json_get(obj, "schema");
	const char *stmt = json_get(obj, "statement");
	char	   *copy;
	size_t		len;

	if (tl->max > 0 && tl->n >= tl->max)
		return 0;
	if (text)
	{
		len = strlen(text);
		copy = strdup(text);
	}
	else if (schema && stmt)
		copy = sqlpilot_prompt_text(schema, strlen(schema), stmt, strlen(stmt), &len);
	else
		return 0;
	if (copy && tl->n == tl->cap)
	{
		size_t		cap = tl->cap ? 2 * tl->cap : 1024;
		char	  **texts = realloc(tl->texts, sizeof(char *) * cap);
		size_t	   *lens = texts ? realloc(tl->lens, sizeof(size_t) * cap) : NULL;

		if (texts)
			tl->texts = texts;
		if (lens)
		{
			tl->lens = lens;
			tl->cap = cap;
		}
		else
		{
			free(copy);
			copy = NULL;
		}
	}
	if (!copy)
	{
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	tl->texts[tl->n] = copy;
	tl->lens[tl->n++] = len;
	return 0;
}

/* Learns the BPE from the texts of data_dir and saves it to out. */
int
trainer_tokenizer_build(const char *data_dir, const char *out, int vocab, size_t max_texts,
						char *err, size_t errlen)
{
	TextList	tl = {.max = max_texts};
	SqlpilotTokenizer tok;
	int			rc;

	rc = jsonl_foreach(data_dir, collect_text, &tl, err, errlen);
	if (rc == 0 && tl.n == 0)
	{
		snprintf(err, errlen, "no texts in \"%s\"", data_dir);
		rc = -1;
	}
	if (rc == 0)
		rc = sqlpilot_tokenizer_train(&tok, (const char *const *) tl.texts, tl.lens, tl.n,
									  vocab, err, errlen);
	if (rc == 0)
	{
		rc = sqlpilot_tokenizer_save(&tok, out, err, errlen);
		if (rc == 0)
			printf("tokenizer: %d tokens (%d merges) learned from %zu texts -> %s\n",
				   tok.vocab_size, tok.n_merges, tl.n, out);
		sqlpilot_tokenizer_free(&tok);
	}
	for (size_t i = 0; i < tl.n; i++)
		free(tl.texts[i]);
	free(tl.texts);
	free(tl.lens);
	return rc;
}

/* ---- a big schema's examples: the choice of tables ---- */

/* See train.h. */
char *
trainer_example_schema(const SqlpilotTokenizer *tok, const char *schema, size_t schema_len,
					   const char *stmt, size_t stmt_len, int seq_len, size_t *out_len,
					   int *n_tables, int *n_chosen)
{
	SqlpilotSchemaTable *t;
	const char **texts = NULL;
	const char **names = NULL;
	size_t	   *lens = NULL;
	int		   *chosen = NULL;
	char	   *out = NULL;
	int			n,
				k = SQLPILOT_TABLES_ERROR;

	*n_tables = 0;
	*n_chosen = 0;
	if (sqlpilot_prompt_encode(tok, schema, schema_len, stmt, stmt_len, true, NULL, 0,
							   NULL, NULL) <= (size_t) seq_len + 1)
	{
		out = malloc(schema_len + 1);
		if (!out)
		{
			*n_chosen = SQLPILOT_TABLES_ERROR;
			return NULL;
		}
		memcpy(out, schema, schema_len);
		out[schema_len] = '\0';
		*out_len = schema_len;
		return out;
	}
	n = sqlpilot_tables_split(schema, schema_len, &t);
	if (n < 0)
	{
		*n_chosen = SQLPILOT_TABLES_ERROR;
		return NULL;
	}
	*n_tables = n;
	if (n > 0)
	{
		texts = malloc(sizeof(char *) * n);
		names = malloc(sizeof(char *) * n);
		lens = malloc(sizeof(size_t) * n);
		chosen = malloc(sizeof(int) * n);
	}
	if (n == 0)
		k = SQLPILOT_TABLES_TOO_LONG;
	else if (texts && names && lens && chosen)
	{
		for (int i = 0; i < n; i++)
		{
			texts[i] = t[i].text.data;
			lens[i] = t[i].text.len;
			names[i] = t[i].name;
		}
		/* BOS + schema + statement within seq_len leaves the EOS its row */
		k = sqlpilot_tables_choose_texts(tok, texts, lens, names, n, stmt, stmt_len, seq_len,
										 chosen);
	}
	if (k >= 0)
	{
		SqlpilotBuf joined = {0};

		for (int j = 0; j < k; j++)
		{
			if (j > 0)
				sqlpilot_buf_append(&joined, "\n\n", 2);
			sqlpilot_buf_append(&joined, texts[chosen[j]], lens[chosen[j]]);
		}
		out = sqlpilot_buf_finish(&joined, out_len);
		if (!out)
			k = SQLPILOT_TABLES_ERROR;
	}
	*n_chosen = k;
	free(texts);
	free(names);
	free(lens);
	free(chosen);
	sqlpilot_tables_split_free(t, n);
	return out;
}

/* ---- sqlpilot tokenize ---- */

/* A growing shard being built in memory. */
typedef struct ShardBuild
{
	uint16_t   *tokens;
	uint8_t    *mask;
	uint64_t	n_tokens;
	uint64_t	cap_tokens;
	uint64_t   *offsets;
	uint32_t	n_examples;
	uint32_t	cap_examples;
} ShardBuild;

typedef struct TokenizeCtx
{
	const SqlpilotTokenizer *tok;
	int			pass;			/* 1: collect schema hashes, 2: encode */
	uint64_t   *hashes;
	size_t		n_hashes;
	size_t		cap_hashes;
	uint64_t	threshold;		/* hashes <= threshold are validation */
	int			any_val;
	ShardBuild	out[2];			/* train, val */
	int		   *ids;
	size_t		cap_ids;
	int			seq_len;		/* an example takes at most seq_len + 1 tokens */
	long		skipped;		/* the statement alone does not fit */
	long		chose;			/* built from a choice of tables */
	long		tables_split;	/* tables of those examples' schemas */
	long		tables_kept;	/* tables chosen for them */
} TokenizeCtx;

/* The hash of a schema id that decides its split. */
static uint64_t
schema_hash(const char *id)
{
	return sqlpilot_checksum64(id, strlen(id), 0x5eed5eedULL);
}

/* Appends n tokens with their mask classes as one example. */
static int
shard_add(ShardBuild *s, const int *ids, size_t n, size_t stmt_start)
{
	if (s->n_tokens + n > s->cap_tokens)
	{
		uint64_t	cap = (s->cap_tokens + n) * 2;
		uint16_t   *tokens = realloc(s->tokens, sizeof(uint16_t) * cap);
		uint8_t    *mask = tokens ? realloc(s->mask, cap) : NULL;

		if (tokens)
			s->tokens = tokens;
		if (!mask)
			return -1;
		s->mask = mask;
		s->cap_tokens = cap;
	}
	if (s->n_examples + 2 > s->cap_examples)
	{
		uint32_t	cap = s->cap_examples ? 2 * s->cap_examples : 1024;
		uint64_t   *offsets = realloc(s->offsets, sizeof(uint64_t) * cap);

		if (!offsets)
			return -1;
		s->offsets = offsets;
		s->cap_examples = cap;
	}
	s->offsets[s->n_examples++] = s->n_tokens;
	for (size_t i = 0; i < n; i++)
	{
		s->tokens[s->n_tokens + i] = (uint16_t) ids[i];
		s->mask[s->n_tokens + i] = i == 0 ? TRAINER_MASK_NONE :
			i < stmt_start ? TRAINER_MASK_SCHEMA : TRAINER_MASK_STMT;
	}
	s->n_tokens += n;
	s->offsets[s->n_examples] = s->n_tokens;
	return 0;
}

/* Pass 1 collects the schema hashes; pass 2 encodes each example into its split. */
static int
tokenize_line(const cJSON *obj, void *ctx, char *err, size_t errlen)
{
	TokenizeCtx *t = ctx;
	const char *id = json_get(obj, "schema_id");
	const char *schema = json_get(obj, "schema");
	const char *stmt = json_get(obj, "statement");
	uint64_t	h;
	size_t		n;
	size_t		stmt_start = 0;
	char	   *text;
	size_t		text_len;
	int			n_tables;
	int			n_chosen;

	if (!id || !schema || !stmt)
	{
		snprintf(err, errlen, "a line lacks \"schema_id\", \"schema\" or \"statement\"");
		return -1;
	}
	h = schema_hash(id);
	if (t->pass == 1)
	{
		if (t->n_hashes == t->cap_hashes)
		{
			size_t		cap = t->cap_hashes ? 2 * t->cap_hashes : 4096;
			uint64_t   *hashes = realloc(t->hashes, sizeof(uint64_t) * cap);

			if (!hashes)
			{
				snprintf(err, errlen, "out of memory");
				return -1;
			}
			t->hashes = hashes;
			t->cap_hashes = cap;
		}
		t->hashes[t->n_hashes++] = h;
		return 0;
	}
	text = trainer_example_schema(t->tok, schema, strlen(schema), stmt, strlen(stmt),
								  t->seq_len, &text_len, &n_tables, &n_chosen);
	if (!text && n_chosen == SQLPILOT_TABLES_ERROR)
	{
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (!text)
	{
		t->skipped++;
		return 0;
	}
	if (n_tables > 0)
	{
		t->chose++;
		t->tables_split += n_tables;
		t->tables_kept += n_chosen;
	}
	n = sqlpilot_prompt_encode(t->tok, text, text_len, stmt, strlen(stmt), true,
							   t->ids, t->cap_ids, &stmt_start, NULL);
	free(text);
	if (n > t->cap_ids || n < 2)
	{
		t->skipped++;
		return 0;
	}
	if (shard_add(&t->out[t->any_val && h <= t->threshold], t->ids, n, stmt_start) != 0)
	{
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

/* An example of a shard being grouped: its prompt's hash and its group's first example. */
typedef struct PromptKey
{
	uint64_t	hash;
	uint32_t	first;
	uint32_t	ex;
} PromptKey;

/* qsort order: by prompt hash, then example. */
static int
cmp_key_hash(const void *a, const void *b)
{
	const PromptKey *x = a;
	const PromptKey *y = b;

	if (x->hash != y->hash)
		return x->hash < y->hash ? -1 : 1;
	return (x->ex > y->ex) - (x->ex < y->ex);
}

/* qsort order: by the group's first example, then example. */
static int
cmp_key_first(const void *a, const void *b)
{
	const PromptKey *x = a;
	const PromptKey *y = b;

	if (x->first != y->first)
		return x->first < y->first ? -1 : 1;
	return (x->ex > y->ex) - (x->ex < y->ex);
}

/*
 * Reorders s so examples with the same prompt (every token before the
 * statement) are adjacent, groups in the order of their first example, so
 * the trainer's schema packing (trainer_loader_pack) finds them together:
 * the generator interleaves each schema's statements over its copies and
 * styles.  Sets *groups to the number of distinct prompts; returns 0 or -1.
 */
static int
shard_group(ShardBuild *s, size_t *groups)
{
	uint32_t	n = s->n_examples;
	PromptKey  *keys = malloc(sizeof(PromptKey) * (n ? n : 1));
	uint16_t   *tokens = malloc(sizeof(uint16_t) * (s->n_tokens ? s->n_tokens : 1));
	uint8_t    *mask = malloc(s->n_tokens ? s->n_tokens : 1);
	uint64_t   *offsets = malloc(sizeof(uint64_t) * ((size_t) n + 1));
	uint64_t	t = 0;

	*groups = 0;
	if (!keys || !tokens || !mask || !offsets)
	{
		free(keys), free(tokens), free(mask), free(offsets);
		return -1;
	}
	for (uint32_t e = 0; e < n; e++)
	{
		uint64_t	i = s->offsets[e];

		while (i < s->offsets[e + 1] && s->mask[i] != TRAINER_MASK_STMT)
			i++;
		keys[e].hash = sqlpilot_checksum64(s->tokens + s->offsets[e],
										   2 * (i - s->offsets[e]), i - s->offsets[e]);
		keys[e].ex = e;
	}
	qsort(keys, n, sizeof(PromptKey), cmp_key_hash);
	for (uint32_t k = 0; k < n; k++)
	{
		keys[k].first = k > 0 && keys[k].hash == keys[k - 1].hash ? keys[k - 1].first : keys[k].ex;
		*groups += !(k > 0 && keys[k].hash == keys[k - 1].hash);
	}
	qsort(keys, n, sizeof(PromptKey), cmp_key_first);
	for (uint32_t k = 0; k < n; k++)
	{
		uint64_t	a = s->offsets[keys[k].ex];
		uint64_t	len = s->offsets[keys[k].ex + 1] - a;

		offsets[k] = t;
		memcpy(tokens + t, s->tokens + a, sizeof(uint16_t) * len);
		memcpy(mask + t, s->mask + a, len);
		t += len;
	}
	offsets[n] = t;
	free(keys);
	free(s->tokens);
	free(s->mask);
	free(s->offsets);
	s->tokens = tokens;
	s->mask = mask;
	s->offsets = offsets;
	return 0;
}

/* qsort order for hashes. */
static int
cmp_u64(const void *a, const void *b)
{
	uint64_t	x = *(const uint64_t *) a;
	uint64_t	y = *(const uint64_t *) b;

	return (x > y) - (x < y);
}

/* Encodes data_dir into out_dir/train.bin and out_dir/val.bin. */
int
trainer_tokenize(const char *data_dir, const char *tok_path, const char *out_dir,
				 double val_fraction, int seq_len, char *err, size_t errlen)
{
	SqlpilotTokenizer tok;
	TokenizeCtx t = {0};
	size_t		distinct = 0;
	size_t		n_val = 0;
	size_t		prompts[2] = {0, 0};
	char		path[4096];
	int			rc;

	if (seq_len < 16 || seq_len > TOKENIZE_MAX_SEQ_LEN)
	{
		snprintf(err, errlen, "invalid --seq-len %d (must be 16..%d)", seq_len,
				 TOKENIZE_MAX_SEQ_LEN);
		return -1;
	}
	if (trainer_make_dirs(out_dir, err, errlen) != 0 ||
		sqlpilot_tokenizer_load(&tok, tok_path, err, errlen) != 0)
		return -1;
	t.tok = &tok;
	t.seq_len = seq_len;
	t.cap_ids = (size_t) seq_len + 1;
	t.ids = malloc(sizeof(int) * t.cap_ids);
	t.pass = 1;
	rc = jsonl_foreach(data_dir, tokenize_line, &t, err, errlen);
	if (rc == 0)
	{
		qsort(t.hashes, t.n_hashes, sizeof(uint64_t), cmp_u64);
		for (size_t i = 0; i < t.n_hashes; i++)
			if (i == 0 || t.hashes[i] != t.hashes[i - 1])
				t.hashes[distinct++] = t.hashes[i];
		n_val = (size_t) (val_fraction * distinct + 0.5);
		if (n_val == 0 && val_fraction > 0 && distinct >= 2)
			n_val = 1;
		if (n_val >= distinct)
			n_val = distinct > 0 ? distinct - 1 : 0;
		t.any_val = n_val > 0;
		t.threshold = n_val > 0 ? t.hashes[n_val - 1] : 0;
		t.pass = 2;
		rc = jsonl_foreach(data_dir, tokenize_line, &t, err, errlen);
	}
	for (int s = 0; s < 2 && rc == 0; s++)
	{
		ShardBuild *b = &t.out[s];
		uint64_t	zero = 0;

		if (shard_group(b, &prompts[s]) != 0)
		{
			snprintf(err, errlen, "out of memory");
			rc = -1;
			break;
		}
		snprintf(path, sizeof(path), "%s/%s", out_dir, s == 0 ? "train.bin" : "val.bin");
		rc = trainer_shard_write(path, b->tokens, b->mask, b->n_tokens,
								 b->offsets ? b->offsets : &zero, b->n_examples, err, errlen);
	}
	if (rc == 0)
	{
		printf("tokenize: %zu schemas (%zu validation); train %u examples, %llu tokens, "
			   "%zu prompts; val %u examples, %llu tokens -> %s\n",
			   distinct, n_val, t.out[0].n_examples, (unsigned long long) t.out[0].n_tokens,
			   prompts[0], t.out[1].n_examples, (unsigned long long) t.out[1].n_tokens, out_dir);
		printf("tokenize: %ld examples longer than %d tokens kept a choice of tables "
			   "(%.1f of %.1f tables on average); %ld skipped (the statement alone does not fit)\n",
			   t.chose, seq_len + 1, t.chose ? (double) t.tables_kept / t.chose : 0.0,
			   t.chose ? (double) t.tables_split / t.chose : 0.0, t.skipped);
	}
	for (int s = 0; s < 2; s++)
	{
		free(t.out[s].tokens);
		free(t.out[s].mask);
		free(t.out[s].offsets);
	}
	free(t.hashes);
	free(t.ids);
	sqlpilot_tokenizer_free(&tok);
	return rc;
}
