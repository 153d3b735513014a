/*
 * candidates.h — what a list of completions offers: the next word, the next
 * clause and the whole statement, distinct after folding literals (string,
 * dollar-quoted and number literals read as one placeholder), short ones
 * first.  Used by the search (core/complete.c) to spend its width on
 * different next words, by the extension's sqlpilot_completions() and by eval.
 */
#ifndef SQLPILOT_CANDIDATES_H
#define SQLPILOT_CANDIDATES_H

#include <stdbool.h>
#include <stddef.h>

/* Longest next-word key kept (longer words compare on their first bytes). */
#define SQLPILOT_WORD_KEY_MAX 64

typedef enum SqlpilotCandidateKind
{
	SQLPILOT_CAND_WORD,			/* the next word */
	SQLPILOT_CAND_CLAUSE,		/* up to the next clause keyword, ')' or literal */
	SQLPILOT_CAND_STATEMENT		/* the whole completion, literals kept */
} SqlpilotCandidateKind;

typedef struct SqlpilotCandidate
{
	char	   *text;			/* malloc'd text to append to the prefix */
	double		score;			/* the score of the completion it comes from */
	SqlpilotCandidateKind kind;
	int			source;			/* index of that completion */
} SqlpilotCandidate;

/*
 * The text of s[ctx_len..len) with each literal that reaches into it written
 * as one placeholder ('' for strings, 0 for numbers); s[0..ctx_len) is the
 * text before it, lexed for context only.  malloc'd; NULL when out of memory.
 */
char	   *sqlpilot_fold_literals(const char *s, size_t len, size_t ctx_len);

/*
 * The next word of s (len bytes) after from: the first token (comments left
 * out) that ends past from.  Writes its span and a key (lower case, a
 * literal folded to its placeholder, at most SQLPILOT_WORD_KEY_MAX - 1
 * bytes and a '\0').  Returns false when there is none, or, unless final
 * (the text ends here), when more text could still change its key (a
 * literal under way has its key already: its span then ends at len).
 */
bool		sqlpilot_next_word(const char *s, size_t len, size_t from, bool final,
							   size_t *start, size_t *end, char *key);

/*
 * Whether the clause candidate of the completion s[from..len) (s[0..from)
 * the typed text) is decided: more text can no longer change where it ends
 * (a token that stops it was read, a literal has started, or the first word
 * is a literal or ';').  The search stops a beam that only has to offer its
 * next word and clause there.
 */
bool		sqlpilot_clause_decided(const char *s, size_t len, size_t from);

/*
 * The candidates of n completions (texts[i] follows prefix, scores[i] its
 * score; best first): the distinct next words, then the distinct next
 * clauses, then the best whole statement, at most max_out in all (the last
 * place kept for the statement); none equal to another after folding
 * literals.  Same input, same list.  Returns the count, -1 when out of memory.
 */
int			sqlpilot_candidates_build(const char *const *texts, const double *scores, int n,
									  const char *prefix, size_t prefix_len,
									  SqlpilotCandidate *out, int max_out);

/* "word", "clause" or "statement". */
const char *sqlpilot_candidate_kind_name(SqlpilotCandidateKind kind);

/* Frees the texts of n candidates. */
void		sqlpilot_candidates_free(SqlpilotCandidate *c, int n);

#endif							/* SQLPILOT_CANDIDATES_H */
