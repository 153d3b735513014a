/*
 * test_train_data.c — token shards and the loader: shard round trip and
 * refusal of damaged files; packing (whole examples, kstart/pos per example,
 * targets shifted by one, weights from the mask); a deterministic order that
 * depends only on (seed, epoch, cursor); `tokenize` splitting by schema with
 * masks that cover exactly the statement and its EOS.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../trainer/train.h"
#include "prompt.h"
#include "tokenizer.h"
#include "util.h"
#include "../tests/tap.h"

static char dir[] = "/tmp/sqlpilot_data_XXXXXX";

/* A shard of n examples, example i has 3 + i % 7 tokens: BOS, schema, statement... */
static void
make_shard(const char *path, uint32_t n)
{
	uint64_t   *off = malloc(sizeof(uint64_t) * (n + 1));
	uint16_t   *tok = malloc(2 * 16 * n);
	uint8_t    *mask = malloc(16 * n);
	uint64_t	t = 0;
	char		err[256];

	for (uint32_t i = 0; i < n; i++)
	{
		int			len = 3 + i % 7;

		off[i] = t;
		for (int j = 0; j < len; j++, t++)
		{
			tok[t] = j == 0 ? SQLPILOT_TOKEN_BOS : (uint16_t) (10 + i % 200);
			mask[t] = j == 0 ? TRAINER_MASK_NONE : j < 2 ? TRAINER_MASK_SCHEMA : TRAINER_MASK_STMT;
		}
	}
	off[n] = t;
	if (trainer_shard_write(path, tok, mask, t, off, n, err, sizeof(err)) != 0)
		tap_diag("write: %s", err);
	free(off), free(tok), free(mask);
}

static void
test_shard(void)
{
	char		path[256];
	char		err[256];
	TrainerShard s;
	size_t		len;
	char	   *buf;
	FILE	   *f;

	snprintf(path, sizeof(path), "%s/a.bin", dir);
	make_shard(path, 50);
	tap_ok(trainer_shard_read(&s, path, err, sizeof(err)) == 0 && s.n_examples == 50 &&
		   s.offsets[50] == s.n_tokens && s.tokens[s.offsets[3]] == SQLPILOT_TOKEN_BOS &&
		   s.mask[s.offsets[3] + 2] == TRAINER_MASK_STMT, "shard round trip");
	trainer_shard_free(&s);
	buf = sqlpilot_read_file(path, &len, err, sizeof(err));
	if (!tap_ok(buf != NULL, "the shard file reads back (%s)", buf ? "" : err))
		return;
	buf[len / 2] ^= 1;
	f = fopen(path, "wb");
	fwrite(buf, 1, len, f);
	fclose(f);
	tap_ok(trainer_shard_read(&s, path, err, sizeof(err)) != 0 && strstr(err, "checksum"),
		   "a flipped bit is refused: %s", err);
	f = fopen(path, "wb");
	fwrite(buf, 1, len - 9, f);
	fclose(f);
	tap_ok(trainer_shard_read(&s, path, err, sizeof(err)) != 0 && strstr(err, "sizes"),
		   "a truncated shard is refused: %s", err);
	free(buf);
}

/* Checks packing invariants of one batch; returns 1 when all hold. */
static int
batch_ok(const TrainerShard *s, const TrainerBatch *b, float sw)
{
	for (int q = 0; q < b->B; q++)
		for (int t = 0; t < b->T; t++)
		{
			size_t		r = (size_t) q * b->T + t;
			int			ks = b->kstart[r];

			if (b->targets[r] < 0)
			{
				if (b->inputs[r] != SQLPILOT_TOKEN_PAD || b->weights[r] != 0.0f || ks != t)
					return 0;
				continue;
			}
			/* an example starts with BOS at its kstart and positions count from it */
			if (b->pos[r] != t - ks || b->inputs[(size_t) q * b->T + ks] != SQLPILOT_TOKEN_BOS)
				return 0;
			if (t > ks && b->targets[r - 1] != b->inputs[r])
				return 0;
			if (b->weights[r] != (b->is_stmt[r] ? 1.0f : sw))
				return 0;
		}
	(void) s;
	return 1;
}

static void
test_loader(void)
{
	char		path[256];
	char		err[256];
	TrainerShard s;
	TrainerLoader a,
				c;
	TrainerBatch b1,
				b2;
	int			good = 1;
	int			same = 1;
	int			rows = 0;

	snprintf(path, sizeof(path), "%s/b.bin", dir);
	make_shard(path, 300);
	trainer_shard_read(&s, path, err, sizeof(err));
	trainer_batch_alloc(&b1, 4, 20);
	trainer_batch_alloc(&b2, 4, 20);
	trainer_loader_init(&a, &s, 11, 1);
	for (int step = 0; step < 60; step++)
	{
		for (int q = 0; q < 4; q++)
			trainer_loader_next(&a, &b1, q, 0.5f);
		good &= batch_ok(&s, &b1, 0.5f);
	}
	tap_ok(good && a.epoch >= 1, "packed batches keep examples whole and separate, across epochs");

	/* a loader restored from (epoch, cursor) continues identically */
	trainer_loader_init(&c, &s, 11, 1);
	c.epoch = a.epoch;
	c.cursor = a.cursor;
	for (int step = 0; step < 20; step++)
	{
		for (int q = 0; q < 4; q++)
		{
			trainer_loader_next(&a, &b1, q, 0.0f);
			trainer_loader_next(&c, &b2, q, 0.0f);
		}
		same &= memcmp(b1.inputs, b2.inputs, sizeof(int) * 80) == 0 &&
			memcmp(b1.kstart, b2.kstart, sizeof(int) * 80) == 0;
	}
	tap_ok(same, "a loader restored from its position yields the same batches");
	trainer_loader_free(&c);

	/* one pass covers every target exactly once */
	trainer_loader_init(&c, &s, 0, 0);
	c.one_pass = 1;
	while (!trainer_loader_done(&c))
	{
		trainer_loader_next(&c, &b1, 0, 0.0f);
		for (int t = 0; t < 20; t++)
			rows += b1.targets[t] >= 0;
	}
	tap_ok(rows == (int) (s.n_tokens - s.n_examples), "one pass sees each of the %d targets once",
		   rows);
	trainer_loader_free(&c);
	trainer_loader_free(&a);
	trainer_batch_free(&b1);
	trainer_batch_free(&b2);
	trainer_shard_free(&s);
}

/*
 * A shard of n examples in groups of 5 sharing a prompt (BOS and 4 + g % 9
 * schema tokens for group g), each with 2 + i % 6 statement tokens.
 */
static void
make_grouped_shard(const char *path, uint32_t n)
{
	uint64_t   *off = malloc(sizeof(uint64_t) * (n + 1));
	uint16_t   *tok = malloc(2 * 24 * n);
	uint8_t    *mask = malloc(24 * n);
	uint64_t	t = 0;
	char		err[256];

	for (uint32_t i = 0; i < n; i++)
	{
		int			g = (int) i / 5;
		int			p = 5 + g % 9;
		int			len = p + 2 + (int) i % 6;

		off[i] = t;
		for (int j = 0; j < len; j++, t++)
		{
			tok[t] = j == 0 ? SQLPILOT_TOKEN_BOS : (uint16_t) (j < p ? 10 + (g * 7 + j) % 300 : 400 + (int) (i % 50));
			mask[t] = j == 0 ? TRAINER_MASK_NONE : j < p ? TRAINER_MASK_SCHEMA : TRAINER_MASK_STMT;
		}
	}
	off[n] = t;
	if (trainer_shard_write(path, tok, mask, t, off, n, err, sizeof(err)) != 0)
		tap_diag("write: %s", err);
	free(off), free(tok), free(mask);
}

/*
 * 1 when rows [row0, row0 + rows) of b hold well-formed packs: segments
 * contiguous from row0, a statement's positions continuing after its schema
 * segment (the last before it), statement targets weighted 1 and schema
 * targets sw times the pack's statements.  Adds the statements to *stmts.
 */
static int
packs_ok(const TrainerBatch *b, int seg0, int row0, int used, float sw, int *stmts)
{
	int			row = row0;
	int			schema = -1;
	int			k = 0;
	int			ok = 1;

	for (int g = seg0; g <= b->n_segs; g++)
	{
		const TrainerSeg *sg = &b->segs[g];

		if ((g == b->n_segs || sg->prefix < 0) && schema >= 0)
			for (int r = b->segs[schema].row0; r < b->segs[schema].row0 + b->segs[schema].rows; r++)
				ok &= b->weights[r] == sw * k && b->pos[r] == r - b->segs[schema].row0;
		if (g == b->n_segs)
			break;
		ok &= sg->row0 == row && sg->rows > 0;
		row += sg->rows;
		if (sg->prefix < 0)
		{
			schema = g;
			k = 0;
			continue;
		}
		ok &= schema >= 0 && sg->prefix == b->segs[schema].row0 &&
			sg->prefix_rows == b->segs[schema].rows;
		for (int r = sg->row0; r < sg->row0 + sg->rows; r++)
			ok &= b->pos[r] == sg->prefix_rows + r - sg->row0 && b->weights[r] == 1.0f &&
				b->is_stmt[r];
		k++;
		(*stmts)++;
	}
	return ok && row == row0 + used;
}

static void
test_pack_loader(void)
{
	char		path[256];
	char		err[256];
	TrainerShard s;
	TrainerLoader a,
				c;
	TrainerBatch b1,
				b2;
	int			good = 1;
	int			same = 1;
	int			stmts = 0;
	int			first_schema = -1;

	snprintf(path, sizeof(path), "%s/g.bin", dir);
	make_grouped_shard(path, 200);
	trainer_shard_read(&s, path, err, sizeof(err));
	trainer_batch_alloc(&b1, 2, 24);
	trainer_batch_alloc(&b2, 2, 24);

	/* one shuffled pass: every statement once, in well-formed packs */
	trainer_loader_init(&a, &s, 3, 1);
	a.one_pass = 1;
	tap_ok(trainer_loader_pack(&a) == 0 && a.n_groups == 40, "200 examples form 40 prompt groups");
	while (!trainer_loader_done(&a))
	{
		int			used;

		b1.n_segs = 0;
		used = trainer_loader_fill(&a, &b1, 0, 48, 0.5f);
		if (first_schema < 0)
			first_schema = b1.inputs[1];
		good &= used > 0 && packs_ok(&b1, 0, 0, used, 0.5f, &stmts);
	}
	tap_ok(good && stmts == 200, "one pass packs all %d statements, each after its schema", stmts);
	tap_ok(first_schema != 11, "groups come in shuffled order");
	trainer_loader_free(&a);

	/* across epochs; a loader restored from (epoch, cursor) continues identically */
	trainer_loader_init(&a, &s, 5, 1);
	trainer_loader_pack(&a);
	for (int step = 0; step < 30; step++)
	{
		b1.n_segs = 0;
		trainer_loader_fill(&a, &b1, 0, 24, 0.0f);
		trainer_loader_fill(&a, &b1, 24, 24, 0.0f);
	}
	trainer_loader_init(&c, &s, 5, 1);
	trainer_loader_pack(&c);
	c.epoch = a.epoch;
	c.cursor = a.cursor;
	for (int step = 0; step < 30; step++)
	{
		int			n1,
					n2;

		b1.n_segs = b2.n_segs = 0;
		n1 = trainer_loader_fill(&a, &b1, 0, 24, 0.0f);
		n2 = trainer_loader_fill(&c, &b2, 0, 24, 0.0f);
		same &= n1 == n2 && b1.n_segs == b2.n_segs &&
			memcmp(b1.inputs, b2.inputs, sizeof(int) * 24) == 0 &&
			memcmp(b1.segs, b2.segs, sizeof(TrainerSeg) * b1.n_segs) == 0;
	}
	tap_ok(same && a.epoch >= 1, "a packing loader restored from its position yields the same packs");
	trainer_loader_free(&a);
	trainer_loader_free(&c);
	trainer_batch_free(&b1);
	trainer_batch_free(&b2);
	trainer_shard_free(&s);
}

/* Writes a jsonl data set: 30 schemas, 5 statements each, schemas 2j and 2j+1 interleaved. */
static void
write_jsonl(const char *raw)
{
	char		path[256];
	FILE	   *f;

	snprintf(path, sizeof(path), "%s/shard-00000.jsonl", raw);
	f = fopen(path, "w");
	for (int i = 0; i < 150; i++)
	{
		int			s = i / 10 * 2 + i % 2;
		int			k = i % 10 / 2;

		fprintf(f, "{\"schema_id\":\"sch%d\",\"kind\":\"select\","
					"\"schema\":\"CREATE TABLE t%d (id int, name%d text);\","
					"\"statement\":\"SELECT name%d FROM t%d WHERE id = %d;\"}\n",
					s, s, s, s, s, k);
	}
	fclose(f);
}

/* Decodes the schema part of an example: the digits after "TABLE t". */
static int
example_schema(const SqlpilotTokenizer *tok, const TrainerShard *s, uint32_t e)
{
	char		text[1024];
	int			ids[512];
	size_t		n = s->offsets[e + 1] - s->offsets[e];
	size_t		len;
	const char *p;

	for (size_t i = 0; i < n; i++)
		ids[i] = s->tokens[s->offsets[e] + i];
	len = sqlpilot_tokenizer_decode(tok, ids, n, text, sizeof(text) - 1);
	text[len] = '\0';
	p = strstr(text, "TABLE t");
	return p ? atoi(p + 7) : -1;
}

static void
test_tokenize(void)
{
	char		raw[64],
				out[64],
				tokpath[64],
				path[256],
				err[512] = "";
	TrainerShard tr,
				va;
	SqlpilotTokenizer tok;
	int			seen[30][2] = {{0}};
	int			overlap = 0;
	int			mask_ok = 1;

	snprintf(raw, sizeof(raw), "%s/raw", dir);
	snprintf(out, sizeof(out), "%s/tokens", dir);
	snprintf(tokpath, sizeof(tokpath), "%s/tok.txt", dir);
	trainer_make_dirs(raw, err, sizeof(err));
	write_jsonl(raw);
	if (!tap_ok(trainer_tokenizer_build(raw, tokpath, 512, 0, err, sizeof(err)) == 0 &&
				trainer_tokenize(raw, tokpath, out, 0.2, 512, err, sizeof(err)) == 0,
				"tokenizer and tokenize run (%s)", err))
		return;
	snprintf(path, sizeof(path), "%s/train.bin", out);
	trainer_shard_read(&tr, path, err, sizeof(err));
	snprintf(path, sizeof(path), "%s/val.bin", out);
	trainer_shard_read(&va, path, err, sizeof(err));
	sqlpilot_tokenizer_load(&tok, tokpath, err, sizeof(err));
	tap_ok(tr.n_examples == 120 && va.n_examples == 30,
		   "20%% of 30 schemas (6, 30 examples) go to validation: %u/%u", tr.n_examples,
		   va.n_examples);
	for (uint32_t e = 0; e < tr.n_examples; e++)
		seen[example_schema(&tok, &tr, e) % 30][0]++;
	for (uint32_t e = 0; e < va.n_examples; e++)
		seen[example_schema(&tok, &va, e) % 30][1]++;
	for (int s = 0; s < 30; s++)
		overlap += seen[s][0] && seen[s][1];
	tap_ok(overlap == 0, "no schema is in both splits");
	{
		int			runs = 1;

		for (uint32_t e = 1; e < tr.n_examples; e++)
			runs += example_schema(&tok, &tr, e) != example_schema(&tok, &tr, e - 1);
		tap_ok(runs == 24, "interleaved schemas come out grouped: %d runs for 24 schemas", runs);
	}

	/* the STMT-masked tokens decode to the statement, and end with EOS */
	for (uint32_t e = 0; e < tr.n_examples; e++)
	{
		int			ids[512];
		int			n = 0;
		char		text[512];
		size_t		len;
		uint64_t	last = tr.offsets[e + 1] - 1;

		for (uint64_t i = tr.offsets[e]; i <= last; i++)
			if (tr.mask[i] == TRAINER_MASK_STMT)
				ids[n++] = tr.tokens[i];
		len = sqlpilot_tokenizer_decode(&tok, ids, n, text, sizeof(text) - 1);
		text[len] = '\0';
		if (tr.tokens[last] != SQLPILOT_TOKEN_EOS || tr.mask[last] != TRAINER_MASK_STMT ||
			!strstr(text, "SELECT name") || strstr(text, "CREATE") ||
			tr.mask[tr.offsets[e]] != TRAINER_MASK_NONE)
			mask_ok = 0;
	}
	tap_ok(mask_ok, "the loss mask covers the statement and its EOS, not the schema");
	sqlpilot_tokenizer_free(&tok);
	trainer_shard_free(&tr);
	trainer_shard_free(&va);
}

int
main(void)
{
	char		cmd[300];

	if (!mkdtemp(dir))
		return 1;
	test_shard();
	test_loader();
	test_pack_loader();
	test_tokenize();
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		tap_diag("could not remove %s", dir);
	return tap_done();
}
