/*
 * test_prompt.c — the prompt format: text layout, one-string tokenization,
 * stmt_start / schema_end (also when a token crosses the seam), EOS, caps.
 */
#include <stdlib.h>
#include <string.h>

#include "../trainer/bpe_learn.h"
#include "prompt.h"
#include "tap.h"
#include "tokenizer.h"

/* The reference: BOS + encode(text) + EOS, and the two indices from byte offsets. */
static size_t
reference(const SqlpilotTokenizer *tok, const char *schema, const char *stmt, bool eos,
		  int *ids, size_t *stmt_start, size_t *schema_end)
{
	size_t		len;
	char	   *text = sqlpilot_prompt_text(schema, strlen(schema), stmt, strlen(stmt), &len);
	size_t		n = 1 + sqlpilot_tokenizer_encode(tok, text, len, ids + 1, 4096);
	size_t		split = len - strlen(stmt),
				off = 0;

	ids[0] = SQLPILOT_TOKEN_BOS;
	*schema_end = 0;
	*stmt_start = n;
	for (size_t i = 0; i < n; i++)
	{
		off += tok->token_len[ids[i]];
		if (off <= split)
			*schema_end = i + 1;
		if (off > split && *stmt_start == n)
			*stmt_start = i;
	}
	if (eos)
		ids[n++] = SQLPILOT_TOKEN_EOS;
	free(text);
	return n;
}

/* Compares sqlpilot_prompt_encode with the reference for one case. */
static int
check_case(const SqlpilotTokenizer *tok, const char *schema, const char *stmt, bool eos)
{
	int			a[4096],
				b[4096];
	size_t		sa,
				ea,
				sb,
				eb;
	size_t		na = sqlpilot_prompt_encode(tok, schema, strlen(schema), stmt, strlen(stmt),
										   eos, a, 4096, &sa, &ea);
	size_t		nb = reference(tok, schema, stmt, eos, b, &sb, &eb);

	return na == nb && memcmp(a, b, sizeof(int) * na) == 0 && sa == sb && ea == eb;
}

int
main(void)
{
	const char *texts[] = {
		"### TABLEDATA\n\nCREATE TABLE users (\n\tid INT8 NOT NULL,\n\tname STRING NULL\n)\n\n"
		"### STATEMENT\n\nSELECT name FROM users WHERE id = 1;",
		"### TABLEDATA\n\nCREATE TABLE orders (id INT8, user_id INT8)\n\n### STATEMENT\n\n"
		"INSERT INTO orders (id, user_id) VALUES (1, 2);",
		"### TABLEDATA\n\nCREATE TABLE t (a INT)\n\n\n### STATEMENT\n\n\nSELECT a FROM t",
	};
	size_t		lens[3] = {strlen(texts[0]), strlen(texts[1]), strlen(texts[2])};
	const char *const schema = "CREATE TABLE users (\n\tid INT8 NOT NULL,\n\tname STRING NULL\n)";
	SqlpilotTokenizer tok;
	char		err[256];
	size_t		len,
				ss,
				se;
	char	   *text;
	int			ids[4096];
	size_t		n;
	int			ok;

	/* Repeat the texts so the seam's "\n\n### STATEMENT\n\n" gets merged. */
	{
		const char *many[200];
		size_t		many_lens[200];

		for (int i = 0; i < 200; i++)
		{
			many[i] = texts[i % 3];
			many_lens[i] = lens[i % 3];
		}
		ok = sqlpilot_tokenizer_train(&tok, many, many_lens, 200, SQLPILOT_VOCAB_SIZE, err, sizeof(err)) == 0;
		tap_ok(ok, "tokenizer trains (%s)", ok ? "ok" : err);
	}

	text = sqlpilot_prompt_text(schema, strlen(schema), "SELECT 1", 8, &len);
	tap_ok(text && len == strlen(text) &&
		   strcmp(text, "### TABLEDATA\n\nCREATE TABLE users (\n\tid INT8 NOT NULL,\n\tname STRING NULL\n)"
				  "\n\n### STATEMENT\n\nSELECT 1") == 0, "prompt text layout");
	free(text);
	text = sqlpilot_prompt_text("", 0, "", 0, &len);
	tap_ok(text && strcmp(text, "### TABLEDATA\n\n\n\n### STATEMENT\n\n") == 0 && len == 32,
		   "empty schema and statement");
	free(text);

	/* Encoding equals the encoding of the concatenated text. */
	{
		const char *stmts[] = {"SELECT name FROM users WHERE id = 1;", "SEL", "", " SELECT 1",
			"\nSELECT 1", "\n\n\nDELETE FROM users", "  x", "\t", "é", "\xff\x00z"};

		for (size_t i = 0; i < sizeof(stmts) / sizeof(stmts[0]); i++)
		{
			tap_ok(check_case(&tok, schema, stmts[i], true) && check_case(&tok, schema, stmts[i], false),
				   "prompt encoding matches one-string encoding, statement %zu", i);
		}
		tap_ok(check_case(&tok, "", "SELECT 1", true) && check_case(&tok, "t\n", "\nx", true),
			   "prompt encoding matches with odd schemas");
	}

	/* Indices on a plain case. */
	n = sqlpilot_prompt_encode(&tok, schema, strlen(schema), "SELECT name FROM users;", 23,
							   true, ids, 4096, &ss, &se);
	{
		char		buf[256];
		size_t		m = sqlpilot_tokenizer_decode(&tok, ids + ss, n - ss, buf, sizeof(buf));

		tap_ok(ids[0] == SQLPILOT_TOKEN_BOS && ids[n - 1] == SQLPILOT_TOKEN_EOS, "BOS first, EOS last");
		tap_ok(se == ss && m == 23 && memcmp(buf, "SELECT name FROM users;", 23) == 0,
			   "tokens from stmt_start decode to the statement; schema_end == stmt_start");
		m = sqlpilot_tokenizer_decode(&tok, ids, se, buf, sizeof(buf));
		tap_ok(m == strlen(SQLPILOT_PROMPT_HEAD) + strlen(schema) + strlen(SQLPILOT_PROMPT_MID) && buf[m - 1] == '\n',
			   "tokens before schema_end decode to the head, schema and seam");
	}
	n = sqlpilot_prompt_encode(&tok, schema, strlen(schema), "SELECT", 6, false, ids, 4096, &ss, &se);
	tap_ok(ids[n - 1] != SQLPILOT_TOKEN_EOS && ss == n - 1 && se == ss, "without EOS the prompt ends with the prefix");

	/* A token that crosses the seam: the learned "\n\n\n" over "\n\n" + "\n". */
	tap_ok(sqlpilot_tokenizer_encode(&tok, "\n\n\n", 3, ids, 4) == 1, "\"\\n\\n\\n\" is one token");
	n = sqlpilot_prompt_encode(&tok, schema, strlen(schema), "\nSELECT 1", 9, true, ids, 4096, &ss, &se);
	{
		size_t		off = 0,
					split = strlen(SQLPILOT_PROMPT_HEAD) + strlen(schema) + strlen(SQLPILOT_PROMPT_MID);

		for (size_t i = 0; i < ss; i++)
			off += tok.token_len[ids[i]];
		tap_ok(se == ss && off < split && off + tok.token_len[ids[ss]] > split,
			   "a token spanning the seam starts the statement and is not in the cacheable prefix");
	}

	/* Empty statement: EOS is the first statement token. */
	n = sqlpilot_prompt_encode(&tok, schema, strlen(schema), "", 0, true, ids, 4096, &ss, &se);
	tap_ok(ss == n - 1 && ids[ss] == SQLPILOT_TOKEN_EOS && se == n - 1, "empty statement: stmt_start is EOS");
	n = sqlpilot_prompt_encode(&tok, schema, strlen(schema), "", 0, false, ids, 4096, &ss, &se);
	tap_ok(ss == n && se == n, "empty prefix without EOS: stmt_start == count");

	/* Cap handling. */
	{
		int			part[4096];
		size_t		ss2,
					se2,
					m;

		n = sqlpilot_prompt_encode(&tok, schema, strlen(schema), "SELECT name FROM users;", 23,
								   true, ids, 4096, &ss, &se);
		for (int i = 0; i < 4096; i++)
			part[i] = -3;
		m = sqlpilot_prompt_encode(&tok, schema, strlen(schema), "SELECT name FROM users;", 23,
								   true, part, 5, &ss2, &se2);
		tap_ok(m == n && memcmp(part, ids, 5 * sizeof(int)) == 0 && part[5] == -3 && ss2 == ss && se2 == se,
			   "small cap: truncated output, needed count and indices unchanged");
		m = sqlpilot_prompt_encode(&tok, schema, strlen(schema), "SELECT name FROM users;", 23,
								   true, NULL, 0, NULL, NULL);
		tap_ok(m == n, "cap 0 counts only");
	}

	sqlpilot_tokenizer_free(&tok);
	return tap_done();
}
