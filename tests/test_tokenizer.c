/*
 * test_tokenizer.c — byte-level BPE: exact round trips on any bytes,
 * deterministic training, SQL keywords as single tokens, the standalone
 * tokenizer file, and cap handling.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../trainer/bpe_learn.h"
#include "tap.h"
#include "tokenizer.h"
#include "util.h"

static const char *const tables[] = {"users", "orders", "order_items", "products", "invoices",
"customers", "payments", "shipments", "accounts", "sessions"};
static const char *const columns[] = {"id", "user_id", "order_id", "name", "email",
"created_at", "updated_at", "status", "amount", "price", "quantity", "product_id",
"customer_id", "description", "title", "is_active", "total_cents", "last_name", "first_name"};

#define NT (sizeof(tables) / sizeof(tables[0]))
#define NC (sizeof(columns) / sizeof(columns[0]))

/* Appends one SQL statement (or CREATE TABLE) drawn from rng to buf. */
static size_t
make_sql(char *buf, size_t cap, uint64_t *rng)
{
	const char *t = tables[sqlpilot_rng_below(rng, NT)];
	const char *c1 = columns[sqlpilot_rng_below(rng, NC)];
	const char *c2 = columns[sqlpilot_rng_below(rng, NC)];
	int			v = (int) sqlpilot_rng_below(rng, 100000);

	switch (sqlpilot_rng_below(rng, 6))
	{
		case 0:
			return snprintf(buf, cap, "SELECT %s, %s FROM %s WHERE %s = %d ORDER BY %s DESC;",
							c1, c2, t, c1, v, c2);
		case 1:
			return snprintf(buf, cap, "INSERT INTO %s (%s, %s) VALUES (%d, 'x%d');",
							t, c1, c2, v, v / 7);
		case 2:
			return snprintf(buf, cap, "UPDATE %s SET %s = %d WHERE %s = 'a%d' AND %s IS NOT NULL;",
							t, c1, v, c2, v % 13, c1);
		case 3:
			return snprintf(buf, cap, "DELETE FROM %s WHERE %s < %d;", t, c1, v);
		case 4:
			return snprintf(buf, cap, "SELECT * FROM %s WHERE %s LIKE '%%%d' LIMIT 10",
							t, c2, v % 100);
		default:
			return snprintf(buf, cap, "CREATE TABLE %s (\n\t%s INT8 NOT NULL,\n\t%s VARCHAR(50) NULL,"
							"\n\tCONSTRAINT %s_pkey PRIMARY KEY (%s ASC)\n)", t, c1, c2, t, c1);
	}
}

/* Checks that text encodes (within its byte count) and decodes back exactly. */
static int
round_trip(const SqlpilotTokenizer *tok, const char *text, size_t len)
{
	int		   *ids = malloc(sizeof(int) * (len + 1));
	char	   *back = malloc(len + 1);
	size_t		n = sqlpilot_tokenizer_encode(tok, text, len, ids, len + 1);
	size_t		m;
	int			ok = n <= len;

	for (size_t i = 0; ok && i < n; i++)
		ok = ids[i] >= SQLPILOT_TOKEN_BYTE0 && ids[i] < tok->vocab_size;
	m = ok ? sqlpilot_tokenizer_decode(tok, ids, n, back, len + 1) : 0;
	ok = ok && m == len && memcmp(back, text, len) == 0;
	free(ids);
	free(back);
	return ok;
}

/* Number of tokens that text encodes to. */
static size_t
count_tokens(const SqlpilotTokenizer *tok, const char *text)
{
	return sqlpilot_tokenizer_encode(tok, text, strlen(text), NULL, 0);
}

/* True when two tokenizers have the same merge list. */
static int
same_merges(const SqlpilotTokenizer *a, const SqlpilotTokenizer *b)
{
	return a->n_merges == b->n_merges && a->vocab_size == b->vocab_size &&
		memcmp(a->merges, b->merges, sizeof(int32_t) * 2 * a->n_merges) == 0;
}

int
main(void)
{
	enum
	{
		N_TEXTS = 4000
	};
	char	  **texts = malloc(sizeof(char *) * N_TEXTS);
	const char **ctexts = malloc(sizeof(char *) * N_TEXTS);
	size_t	   *lens = malloc(sizeof(size_t) * N_TEXTS);
	uint64_t	rng = 42;
	char		err[256];
	SqlpilotTokenizer base,
				tok,
				tok2,
				tok3;
	int			ok;

	for (int i = 0; i < N_TEXTS; i++)
	{
		texts[i] = malloc(512);
		lens[i] = make_sql(texts[i], 512, &rng);
		ctexts[i] = texts[i];
	}

	/* Byte fallback alone. */
	tap_ok(sqlpilot_tokenizer_from_merges(&base, NULL, 0, SQLPILOT_VOCAB_SIZE, err, sizeof(err)) == 0,
		   "empty merge list builds a byte-only tokenizer");
	{
		const char	s[] = "a\0\xff\xc3(";
		int			ids[8];

		tap_ok(sqlpilot_tokenizer_encode(&base, s, 5, ids, 8) == 5 && ids[0] == 3 + 'a' &&
			   ids[1] == 3 && ids[2] == 3 + 255, "bytes map to ids 3..258");
	}

	/* Training. */
	ok = sqlpilot_tokenizer_train(&tok, ctexts, lens, N_TEXTS, SQLPILOT_VOCAB_SIZE, err, sizeof(err)) == 0;
	tap_ok(ok, "train on SQL (%s)", ok ? "ok" : err);
	tap_ok(tok.vocab_size == 512 && tok.n_merges == 512 - 259, "vocab 512 with %d merges", tok.n_merges);
	ok = sqlpilot_tokenizer_train(&tok2, ctexts, lens, N_TEXTS, SQLPILOT_VOCAB_SIZE, err, sizeof(err)) == 0;
	tap_ok(ok && same_merges(&tok, &tok2), "training twice gives identical merges");
	sqlpilot_tokenizer_free(&tok2);
	/* Reversed text order: counts are sums, so the merges must not change. */
	for (int i = 0; i < N_TEXTS / 2; i++)
	{
		const char *t = ctexts[i];
		size_t		l = lens[i];

		ctexts[i] = ctexts[N_TEXTS - 1 - i];
		lens[i] = lens[N_TEXTS - 1 - i];
		ctexts[N_TEXTS - 1 - i] = t;
		lens[N_TEXTS - 1 - i] = l;
	}
	ok = sqlpilot_tokenizer_train(&tok2, ctexts, lens, N_TEXTS, SQLPILOT_VOCAB_SIZE, err, sizeof(err)) == 0;
	tap_ok(ok && same_merges(&tok, &tok2), "training on the texts in another order gives identical merges");
	sqlpilot_tokenizer_free(&tok2);

	/* A block repeated before a blank line counts once: schema + statement texts. */
	{
		const char *schema = "CREATE TABLE t (\n\tid INT8 NOT NULL,\n\tCONSTRAINT t_pkey PRIMARY KEY (id ASC)\n)\n\n";
		char	  **with = malloc(sizeof(char *) * 200);
		const char **a = malloc(sizeof(char *) * 200);
		const char **b = malloc(sizeof(char *) * 200);
		size_t	   *la = malloc(sizeof(size_t) * 200);
		size_t	   *lb = malloc(sizeof(size_t) * 200);

		for (int i = 0; i < 200; i++)
		{
			with[i] = malloc(strlen(schema) + lens[i] + 1);
			strcpy(with[i], schema);
			strcat(with[i], ctexts[i]);
			a[i] = with[i];
			la[i] = strlen(with[i]);
			b[i] = i == 0 ? with[i] : ctexts[i];
			lb[i] = i == 0 ? la[i] : lens[i];
		}
		ok = sqlpilot_tokenizer_train(&tok2, a, la, 200, 400, err, sizeof(err)) == 0 &&
			sqlpilot_tokenizer_train(&tok3, b, lb, 200, 400, err, sizeof(err)) == 0;
		tap_ok(ok && same_merges(&tok2, &tok3), "a block repeated in every text is counted once");
		sqlpilot_tokenizer_free(&tok2);
		sqlpilot_tokenizer_free(&tok3);
		for (int i = 0; i < 200; i++)
			free(with[i]);
		free(with);
		free(a);
		free(b);
		free(la);
		free(lb);
	}

	/* Keywords and identifier pieces. */
	{
		const char *const words[] = {"SELECT", " FROM", " WHERE", "INSERT", " INTO", " VALUES",
		"UPDATE", " SET", "DELETE", " ORDER", " BY", " NULL", " user_id", " created_at", " name",
		"_id", " AND"};

		for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
			tap_ok(count_tokens(&tok, words[i]) == 1, "\"%s\" is one token (%zu)", words[i],
				   count_tokens(&tok, words[i]));
	}

	/* No two tokens spell the same bytes. */
	ok = 1;
	for (int i = SQLPILOT_TOKEN_BYTE0; i < tok.vocab_size && ok; i++)
		for (int j = i + 1; j < tok.vocab_size && ok; j++)
			ok = !(tok.token_len[i] == tok.token_len[j] &&
				   memcmp(tok.token_bytes[i], tok.token_bytes[j], tok.token_len[i]) == 0);
	tap_ok(ok, "every token has distinct bytes");
	tap_ok(tok.token_len[0] == 0 && tok.token_len[1] == 0 && tok.token_len[2] == 0,
		   "PAD, BOS and EOS have no bytes");
	{
		int			sp[] = {SQLPILOT_TOKEN_BOS, 3 + 'x', SQLPILOT_TOKEN_EOS, SQLPILOT_TOKEN_PAD, -5, 100000};
		char		out[8];

		tap_ok(sqlpilot_tokenizer_decode(&tok, sp, 6, out, 8) == 1 && out[0] == 'x',
			   "decode skips specials and out-of-range ids");
	}

	/* Round trips. */
	ok = 1;
	for (int i = 0; i < N_TEXTS && ok; i++)
		ok = round_trip(&tok, ctexts[i], lens[i]);
	tap_ok(ok, "SQL texts round trip");
	ok = 1;
	for (int trial = 0; trial < 300 && ok; trial++)
	{
		size_t		len = sqlpilot_rng_below(&rng, 3000);
		char	   *s = malloc(len + 1);
		int			mode = trial % 3;

		for (size_t i = 0; i < len; i++)
		{
			if (mode == 0)		/* any byte */
				s[i] = (char) sqlpilot_rng_below(&rng, 256);
			else if (mode == 1) /* few symbols: long runs */
				s[i] = " \n\0aA_(9\xe9"[sqlpilot_rng_below(&rng, 10)];
			else				/* SQL with random byte damage */
				s[i] = sqlpilot_rng_below(&rng, 20) == 0 ? (char) sqlpilot_rng_below(&rng, 256) :
					ctexts[trial][i % lens[trial]];
		}
		ok = round_trip(&tok, s, len) && round_trip(&base, s, len);
		free(s);
	}
	tap_ok(ok, "random byte strings (NULs, invalid UTF-8, long runs) round trip");
	{
		size_t		len = 1 << 20;
		char	   *s = malloc(len);
		double		t0 = sqlpilot_now();

		memset(s, 'a', len);
		tap_ok(round_trip(&tok, s, len), "1 MB run of one letter round trips");
		memset(s, ' ', len);
		tap_ok(round_trip(&tok, s, len), "1 MB of spaces round trips");
		tap_diag("2 MB of runs in %.3f s", sqlpilot_now() - t0);
		free(s);
	}
	tap_ok(round_trip(&tok, "", 0) && count_tokens(&tok, "") == 0, "empty text has no tokens");

	/* Cap handling. */
	{
		const char *s = "SELECT name, email FROM users WHERE id = 42;";
		int			full[64],
					part[64];
		size_t		n = sqlpilot_tokenizer_encode(&tok, s, strlen(s), full, 64);
		size_t		m;
		char		out[64];

		for (int i = 0; i < 64; i++)
			part[i] = -7;
		m = sqlpilot_tokenizer_encode(&tok, s, strlen(s), part, 3);
		tap_ok(m == n && memcmp(part, full, 3 * sizeof(int)) == 0 && part[3] == -7,
			   "encode with a small cap writes cap ids and returns the full count");
		memset(out, '#', sizeof(out));
		m = sqlpilot_tokenizer_decode(&tok, full, n, out, 5);
		tap_ok(m == strlen(s) && memcmp(out, s, 5) == 0 && out[5] == '#',
			   "decode with a small cap writes cap bytes and returns the full length");
	}

	/* The standalone file. */
	{
		char		path[] = "/tmp/sqlpilot_tok_XXXXXX";
		int			fd = mkstemp(path);

		close(fd);
		ok = sqlpilot_tokenizer_save(&tok, path, err, sizeof(err)) == 0 &&
			sqlpilot_tokenizer_load(&tok2, path, err, sizeof(err)) == 0;
		tap_ok(ok && same_merges(&tok, &tok2), "tokenizer file round trip (%s)", ok ? "ok" : err);
		ok = 1;
		for (int i = 0; i < 200 && ok; i++)
		{
			int			a[600],
						b[600];
			size_t		na = sqlpilot_tokenizer_encode(&tok, ctexts[i], lens[i], a, 600);
			size_t		nb = sqlpilot_tokenizer_encode(&tok2, ctexts[i], lens[i], b, 600);

			ok = na == nb && memcmp(a, b, sizeof(int) * na) == 0;
		}
		tap_ok(ok, "loaded tokenizer encodes identically");
		sqlpilot_tokenizer_free(&tok2);
		unlink(path);
		tap_ok(sqlpilot_tokenizer_load(&tok2, path, err, sizeof(err)) != 0, "missing file is an error: %s", err);
	}
	{
		const char *bad[] = {
			"",
			"sqlpilot-tokenizer 2\nvocab_size 512\nmerges 0\n",
			"sqlpilot-tokenizer 1\nvocab_size 100\nmerges 0\n",
			"sqlpilot-tokenizer 1\nvocab_size 512\nmerges 300\n",
			"sqlpilot-tokenizer 1\nvocab_size 512\nmerges 2\n3 4\n",
			"sqlpilot-tokenizer 1\nvocab_size 512\nmerges 1\n3 259\n",
			"sqlpilot-tokenizer 1\nvocab_size 512\nmerges 1\n0 4\n",
			"sqlpilot-tokenizer 1\nvocab_size 512\nmerges 2\n3 4\n3 4\n",
			"sqlpilot-tokenizer 1\nvocab_size 512\nmerges 4\n3 4\n259 5\n4 5\n3 261\n",
			"sqlpilot-tokenizer 1\nvocab_size 512\nmerges 1\n3 99999999999\n",
			"sqlpilot-tokenizer 1\nvocab_size 512\nmerges 1\n3 x\n",
			"sqlpilot-tokenizer 1\nvocab_size 512\nmerges 1\n3 4\n5 6\n",
		};

		ok = 1;
		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]) && ok; i++)
		{
			ok = sqlpilot_tokenizer_parse(&tok2, bad[i], strlen(bad[i]), err, sizeof(err)) != 0 &&
				tok2.token_bytes == NULL;
			if (!ok)
				tap_diag("accepted bad file %zu", i);
		}
		tap_ok(ok, "malformed tokenizer files are rejected");
		const char *good = "sqlpilot-tokenizer 1\nvocab_size 512\nmerges 2\n3 4\n259 5\n";

		tap_ok(sqlpilot_tokenizer_parse(&tok2, good, strlen(good), err, sizeof(err)) == 0 &&
			   tok2.token_len[260] == 3, "a valid hand-written file loads");
		sqlpilot_tokenizer_free(&tok2);
	}
	{
		int32_t		dup[] = {3 + 'a', 3 + 'b', 259, 3 + 'c', 3 + 'b', 3 + 'c', 3 + 'a', 261};

		tap_ok(sqlpilot_tokenizer_from_merges(&tok3, dup, 4, 512, err, sizeof(err)) != 0,
			   "a merge list spelling one string twice is rejected: %s", err);
	}
	sqlpilot_tokenizer_free(&tok3);

	/* Training on almost nothing stops early but stays usable. */
	{
		const char *one = "ab";
		size_t		l = 2;

		ok = sqlpilot_tokenizer_train(&tok2, &one, &l, 1, 512, err, sizeof(err)) == 0;
		tap_ok(ok && tok2.n_merges == 1 && count_tokens(&tok2, "abab") == 2,
			   "tiny corpus gives only the merges it supports");
		sqlpilot_tokenizer_free(&tok2);
		tap_ok(sqlpilot_tokenizer_train(&tok2, &one, &l, 1, 100, err, sizeof(err)) != 0,
			   "vocab below 259 is rejected");
	}

	sqlpilot_tokenizer_free(&tok);
	sqlpilot_tokenizer_free(&base);
	for (int i = 0; i < N_TEXTS; i++)
		free(texts[i]);
	free(texts);
	free(ctexts);
	free(lens);
	return tap_done();
}
