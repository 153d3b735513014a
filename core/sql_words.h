/*
 * sql_words.h — the words of SQL text: PostgreSQL 15's keywords and a scanner
 * of identifiers with PostgreSQL's rules (quoted names keep their case and
 * unescape "", unquoted ones fold to lower case; string literals and comments
 * are skipped), on the lexer of sql_lex.h.  Small on purpose: just what
 * choosing tables for a prompt, grounding and the hallucination metric need.
 */
#ifndef SQLPILOT_SQL_WORDS_H
#define SQLPILOT_SQL_WORDS_H

#include <stdbool.h>
#include <stddef.h>

/* Longest identifier value kept (PostgreSQL itself keeps 63 bytes). */
#define SQLPILOT_SQL_IDENT_MAX 256

/*
 * The category of a keyword, as pg_get_keywords() gives it: 'U' unreserved,
 * 'C' column name, 'T' type or function name, 'R' reserved; 0 when word (len
 * bytes, any case) is not a keyword.
 */
char		sqlpilot_sql_keyword_category(const char *word, size_t len);

/*
 * Whether some keyword starts with word (len bytes, lower case), of one of
 * the categories (e.g. "RCT"; NULL: any) and not one of except[0..n_except).
 */
bool		sqlpilot_sql_keyword_prefix(const char *word, size_t len, const char *categories,
										const char *const *except, size_t n_except);

/*
 * Whether word (len bytes, lower case) is one of PostgreSQL 15's built-in
 * function names that users type (aggregates, string, date, math, JSON...),
 * or with prefix, the start of one.  One list, in sql_words.c.
 */
bool		sqlpilot_sql_function_name(const char *word, size_t len, bool prefix);

/*
 * Whether word (len bytes, any case) is an SQL word, or with prefix the
 * start of one, and not one of except[0..n_except) (lower case): a reserved,
 * column-name or type/function-name keyword, an unreserved keyword that
 * statements use (the other unreserved ones, like name, data or value, are
 * ordinary names), a built-in function (sqlpilot_sql_function_name) or a
 * type name.  The one definition grounding (core/ground.c) and the
 * hallucination metric (eval/metrics.c) share.  Without functions, only the
 * words that stand without a call: built-in functions that are neither
 * keywords nor type names do not count (grounding: "now" needs its "(").
 */
bool		sqlpilot_sql_word(const char *word, size_t len, bool prefix, bool functions,
							  const char *const *except, size_t n_except);

/* One identifier found in SQL text. */
typedef struct SqlpilotSqlIdent
{
	size_t		start;			/* byte span in the text, quotes included */
	size_t		end;
	bool		quoted;
	bool		closed;			/* false: a quoted name the text ends inside */
	bool		dot_before;		/* a '.' comes before it (spaces allowed) */
	bool		dot_after;		/* a '.' follows it (spaces allowed) */
	size_t		len;			/* of name */
	char		name[SQLPILOT_SQL_IDENT_MAX];	/* its value (truncated when longer) */
} SqlpilotSqlIdent;

/*
 * Finds the next identifier or keyword of text (len bytes) at or after *pos;
 * fills out and moves *pos past it.  Returns false at the end of the text.
 */
bool		sqlpilot_sql_next_ident(const char *text, size_t len, size_t *pos,
									SqlpilotSqlIdent *out);

/*
 * How much of completion (len bytes, the text that follows prefix) holds no
 * name: the length up to the first identifier, quoted or not, that is not a
 * keyword.  A word the completion continues from the prefix is judged whole.
 * Returns (size_t) -1 when out of memory.
 */
size_t		sqlpilot_sql_keywords_only(const char *prefix, size_t prefix_len,
									   const char *completion, size_t len);

#endif							/* SQLPILOT_SQL_WORDS_H */
