/*
 * prompt.c — the training/completion text format (see prompt.h).
 *
 * The prompt is built as one string and tokenized once, so the tokens of
 * the schema/statement seam are the tokens the model sees everywhere.  The
 * statement's token range is then found from each token's byte length.
 */
#include "prompt.h"

#include <stdlib.h>
#include <string.h>

/* HEAD + schema + MID + statement in a malloc'd, NUL-terminated string. */
char *
sqlpilot_prompt_text(const char *schema, size_t schema_len,
					 const char *statement, size_t statement_len, size_t *len)
{
	size_t		hl = strlen(SQLPILOT_PROMPT_HEAD),
				ml = strlen(SQLPILOT_PROMPT_MID);
	size_t		n = hl + schema_len + ml + statement_len;
	char	   *s = malloc(n + 1);

	if (!s)
		return NULL;
	memcpy(s, SQLPILOT_PROMPT_HEAD, hl);
	if (schema_len)
		memcpy(s + hl, schema, schema_len);
	memcpy(s + hl + schema_len, SQLPILOT_PROMPT_MID, ml);
	if (statement_len)
		memcpy(s + hl + schema_len + ml, statement, statement_len);
	s[n] = '\0';
	if (len)
		*len = n;
	return s;
}

/*
 * BOS + tokens of the prompt text (+ EOS).  Token boundaries come from the
 * full encoding even when cap truncates the output, so stmt_start and
 * schema_end never depend on cap.  Returns 0 (and writes nothing) when out
 * of memory.
 */
size_t
sqlpilot_prompt_encode(const SqlpilotTokenizer *tok,
					   const char *schema, size_t schema_len,
					   const char *statement, size_t statement_len,
					   bool with_eos, int *ids, size_t cap,
					   size_t *stmt_start, size_t *schema_end)
{
	size_t		len,
				n,
				total,
				split,
				off = 0,
				first_stmt,
				n_before;
	char	   *text = sqlpilot_prompt_text(schema, schema_len, statement, statement_len, &len);
	int		   *all;

	if (!text)
		return 0;
	/* A text of len bytes never needs more than len tokens. */
	all = malloc(sizeof(int) * (len + 2));
	if (!all)
	{
		free(text);
		return 0;
	}
	all[0] = SQLPILOT_TOKEN_BOS;
	n = 1 + sqlpilot_tokenizer_encode(tok, text, len, all + 1, len);
	total = n;
	if (with_eos)
		all[total++] = SQLPILOT_TOKEN_EOS;

	/* Byte offset of the statement; walk token lengths to place it. */
	split = len - statement_len;
	first_stmt = n;				/* EOS (or the end) when the statement is empty */
	n_before = 1;
	for (size_t i = 1; i < n; i++)
	{
		size_t		end = off + tok->token_len[all[i]];

		if (end <= split)
			n_before = i + 1;
		else if (first_stmt == n)
			first_stmt = i;
		off = end;
	}
	if (stmt_start)
		*stmt_start = first_stmt;
	if (schema_end)
		*schema_end = n_before;

	if (ids && cap > 0)
		memcpy(ids, all, sizeof(int) * (total < cap ? total : cap));
	free(all);
	free(text);
	return total;
}
