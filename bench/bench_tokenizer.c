/*
 * bench_tokenizer.c — tokenizer speed: trains on the text, then reports
 * encode and decode MB/s on one thread (best of 3 runs).
 *
 *   build/bench/bench_tokenizer [FILE]
 * Without FILE it generates about 4 MB of SQL-like prompts (schema + statement).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../trainer/bpe_learn.h"
#include "tokenizer.h"
#include "util.h"

static const char *const names[] = {"users", "orders", "order_items", "products", "invoices",
"customer_accounts", "payment_methods", "shipments", "audit_log", "sessions", "warehouses"};
static const char *const cols[] = {"id", "user_id", "order_id", "name", "email", "created_at",
"updated_at", "status", "amount_cents", "unit_price", "quantity", "product_id", "sku",
"description", "title", "is_active", "deleted_at", "last_login_at", "country_code"};

#define NN (sizeof(names) / sizeof(names[0]))
#define NCOL (sizeof(cols) / sizeof(cols[0]))

/* Appends one prompt-shaped text (a table and a statement) to buf at *len. */
static void
append_example(char *buf, size_t cap, size_t *len, uint64_t *rng)
{
	const char *t = names[sqlpilot_rng_below(rng, NN)];
	const char *a = cols[sqlpilot_rng_below(rng, NCOL)];
	const char *b = cols[sqlpilot_rng_below(rng, NCOL)];
	unsigned	v = (unsigned) sqlpilot_rng_below(rng, 1000000);

	*len += snprintf(buf + *len, cap - *len,
					 "### TABLEDATA\n\nCREATE TABLE public.%s (\n\t%s INT8 NOT NULL DEFAULT unique_rowid(),\n"
					 "\t%s VARCHAR(255) NULL,\n\tCONSTRAINT %s_pkey PRIMARY KEY (%s ASC),\n"
					 "\tINDEX %s_%s_idx (%s ASC)\n)\n\n### STATEMENT\n\n",
					 t, a, b, t, a, t, b, b);
	if (v % 3 == 0)
		*len += snprintf(buf + *len, cap - *len, "SELECT %s, %s FROM %s WHERE %s = %u ORDER BY %s DESC LIMIT 20;\n",
						 a, b, t, a, v, b);
	else if (v % 3 == 1)
		*len += snprintf(buf + *len, cap - *len, "INSERT INTO %s (%s, %s) VALUES (%u, 'v-%u');\n",
						 t, a, b, v, v * 7);
	else
		*len += snprintf(buf + *len, cap - *len, "UPDATE %s SET %s = 'x%u' WHERE %s < %u;\n",
						 t, b, v, a, v / 3);
}

int
main(int argc, char **argv)
{
	char		err[256];
	char	   *text;
	size_t		len = 0;
	SqlpilotTokenizer tok;
	int		   *ids;
	char	   *back;
	size_t		n = 0,
				m = 0;
	double		t0,
				best_enc = 1e9,
				best_dec = 1e9;
	const char *train_text;
	size_t		train_len;

	if (argc > 1)
	{
		text = sqlpilot_read_file(argv[1], &len, err, sizeof(err));
		if (!text)
		{
			fprintf(stderr, "bench_tokenizer: %s\n", err);
			return 1;
		}
	}
	else
	{
		size_t		cap = 5 << 20;
		uint64_t	rng = 1;

		text = malloc(cap);
		while (len + 1024 < (size_t) (4 << 20))
			append_example(text, cap, &len, &rng);
	}

	train_text = text;
	train_len = len < (size_t) (8 << 20) ? len : (size_t) (8 << 20);
	t0 = sqlpilot_now();
	if (sqlpilot_tokenizer_train(&tok, &train_text, &train_len, 1, SQLPILOT_VOCAB_SIZE, err, sizeof(err)) != 0)
	{
		fprintf(stderr, "bench_tokenizer: %s\n", err);
		return 1;
	}
	printf("train: %.2f MB in %.2f s, %d merges\n", train_len / 1e6, sqlpilot_now() - t0, tok.n_merges);

	ids = malloc(sizeof(int) * (len + 1));
	back = malloc(len + 1);
	for (int r = 0; r < 3; r++)
	{
		t0 = sqlpilot_now();
		n = sqlpilot_tokenizer_encode(&tok, text, len, ids, len + 1);
		t0 = sqlpilot_now() - t0;
		if (t0 < best_enc)
			best_enc = t0;
		t0 = sqlpilot_now();
		m = sqlpilot_tokenizer_decode(&tok, ids, n, back, len + 1);
		t0 = sqlpilot_now() - t0;
		if (t0 < best_dec)
			best_dec = t0;
	}
	printf("text: %.2f MB, %zu tokens (%.2f bytes/token), round trip %s\n", len / 1e6, n,
		   (double) len / n, m == len && memcmp(back, text, len) == 0 ? "exact" : "BROKEN");
	printf("encode: %.1f MB/s\n", len / 1e6 / best_enc);
	printf("decode: %.1f MB/s\n", len / 1e6 / best_dec);
	sqlpilot_tokenizer_free(&tok);
	free(ids);
	free(back);
	free(text);
	return 0;
}
