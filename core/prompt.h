/*
 * prompt.h — the one training/completion text format:
 *   "### TABLEDATA\n\n" schema "\n\n### STATEMENT\n\n" statement
 * In training the statement is followed by the EOS token; at completion time
 * the prompt ends after the typed prefix.  The whole text is tokenized as one
 * string (BOS first), so there is no seam between schema and statement.
 */
#ifndef SQLPILOT_PROMPT_H
#define SQLPILOT_PROMPT_H

#include <stdbool.h>
#include <stddef.h>

#include "tokenizer.h"

#define SQLPILOT_PROMPT_HEAD "### TABLEDATA\n\n"
#define SQLPILOT_PROMPT_MID "\n\n### STATEMENT\n\n"

/* Builds the prompt text in a malloc'd, NUL-terminated string; *len gets its length. */
char	   *sqlpilot_prompt_text(const char *schema, size_t schema_len,
								 const char *statement, size_t statement_len, size_t *len);

/*
 * Tokenizes BOS + prompt text (+ EOS when with_eos) into ids (at most cap).
 * Returns the number of ids needed.  *stmt_start (may be NULL) gets the index
 * of the first token that holds a byte of the statement part (the loss mask
 * starts there); *schema_end (may be NULL) the number of leading tokens whose
 * bytes all lie before the statement part (the cacheable prefix).
 */
size_t		sqlpilot_prompt_encode(const SqlpilotTokenizer *tok,
								   const char *schema, size_t schema_len,
								   const char *statement, size_t statement_len,
								   bool with_eos, int *ids, size_t cap,
								   size_t *stmt_start, size_t *schema_end);

#endif							/* SQLPILOT_PROMPT_H */
