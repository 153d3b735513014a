/*
 * table_choice.h — which tables go into a prompt when the schema does not
 * fit the token budget: one rule for every caller (the extension, eval, the
 * trainer, the psql hook), from what has been typed.
 *
 * Tables the typed text names come first (in order of first mention; a name
 * written schema.table names only that schema's table), then their
 * foreign-key neighbours, then the rest in their given order, from among
 * the first SQLPILOT_TABLES_REST_LIMIT(budget) tables in scope only (more
 * than a prompt can hold, so a caller with thousands of tables need list
 * only those, plus the ones named and their neighbours); a table is taken
 * whole or not at all.  When every table fits, every table is taken.
 * Otherwise a quarter of the budget is left for the typed text to grow, and
 * the chosen tables go into the prompt in their given order (ascending
 * index), so a growing prefix usually keeps the same schema text and the
 * model's KV cache reuses it.  Definitions may be loaded lazily: a table not
 * loaded yet counts SQLPILOT_TABLES_MIN_TOKENS until the choice may need it,
 * and is then loaded with the next candidates in batches of 8, 16, 32, then
 * 64, so a catalog of thousands of tables reads a few dozen.
 *
 * sqlpilot_tables_choose works on an abstract list through callbacks and
 * allocates nothing (a callback may longjmp out, as PostgreSQL's ereport
 * does); sqlpilot_tables_choose_texts is the plain-C wrapper over table texts.
 */
#ifndef SQLPILOT_TABLE_CHOICE_H
#define SQLPILOT_TABLE_CHOICE_H

#include <stdbool.h>
#include <stddef.h>

#include "tokenizer.h"

/*
 * The fewest tokens a table can cost in a prompt: every token lies within
 * one pre-split chunk of the tokenizer, and a rendered table has at least
 * four ("CREATE", " TABLE", its name, the closing parenthesis).
 */
#define SQLPILOT_TABLES_MIN_TOKENS 4
/* Tokens of slack per table for the blank line between tables. */
#define SQLPILOT_TABLES_SEAM_TOKENS 2

/*
 * The tables in scope (their first ones, in the given order) the rest of a
 * choice is taken from: one more than a prompt of budget tokens can hold, so
 * that many tables already rule out taking every table.
 */
#define SQLPILOT_TABLES_REST_LIMIT(budget) ((budget) / SQLPILOT_TABLES_MIN_TOKENS + 1)

/* What sqlpilot_tables_choose returns besides a count. */
#define SQLPILOT_TABLES_ERROR (-1)	/* a callback failed, or out of memory */
#define SQLPILOT_TABLES_TOO_LONG (-2)	/* the typed text alone exceeds the budget */
#define SQLPILOT_TABLES_STOPPED (-3)	/* should_stop asked to stop */

/* One table as the choice sees it. */
typedef struct SqlpilotTableRef
{
	const char *name;			/* its name as SQL means it (unquoted: lower case); NULL: never named */
	const char *schema;			/* its schema; NULL: unknown, any qualifier matches */
	const int  *neighbours;		/* indexes of the tables a foreign key links it to, either way */
	int			n_neighbours;
	bool		loaded;			/* its definition is known (else load() is asked first) */
	bool		skip;			/* never chosen (load() may set it) */
	int			cost;			/* tokens of the table alone; < 0: not counted yet (cost() is asked) */
} SqlpilotTableRef;

/* The budget and the callbacks the caller answers. */
typedef struct SqlpilotTablesBudget
{
	int			budget;			/* tokens the whole prompt may take */
	/* Loads tables[which[0..n)] (sets loaded, maybe skip); 0 or -1.  NULL: all are loaded. */
	int			(*load) (void *arg, SqlpilotTableRef *tables, const int *which, int n);
	/* The tokens of tables[i] alone (-1: error); called once unless it leaves cost < 0. */
	int			(*cost) (void *arg, SqlpilotTableRef *tables, int i);

	/*
	 * The exact tokens of the prompt (BOS included) holding tables idx[0..n)
	 * in that order, and the typed text when with_typed (else an empty
	 * statement part); -1 on error.  The last call with n > 0 or with_typed
	 * is for the returned choice, so a caller may keep what it rendered.
	 */
	int			(*prompt_tokens) (void *arg, const int *idx, int n, bool with_typed);
	/* Called between steps whose number grows with the input; true stops. NULL: never. */
	bool		(*should_stop) (void *arg);
	void	   *arg;
} SqlpilotTablesBudget;

/*
 * Chooses tables for a prompt of typed (len bytes) within b->budget tokens.
 * tables[0..n_scope) are the tables in scope; tables[n_scope..n_tables) come
 * in only when typed names them with their schema.  work and chosen hold
 * n_tables ints each; chosen gets the indexes in prompt order (ascending).
 * Returns how many were chosen, or SQLPILOT_TABLES_* (< 0).  *n_candidates
 * (may be NULL) gets the tables the choice was among: in scope, plus those
 * named outside it.
 */
int			sqlpilot_tables_choose(SqlpilotTableRef *tables, int n_tables, int n_scope,
								   const char *typed, size_t typed_len,
								   const SqlpilotTablesBudget *b, int *work, int *chosen,
								   int *n_candidates);

/*
 * The name a CREATE TABLE text defines (malloc'd; the last part of a dotted
 * name, unquoted parts folded to lower case) and its schema (*schema, the
 * part before, or NULL); NULL when text does not start with CREATE TABLE.
 */
char	   *sqlpilot_tables_name_of(const char *text, size_t len, char **schema);

/*
 * Foreign-key neighbours from table texts: i and j are neighbours when the
 * text of either holds REFERENCES followed by the other's name (optionally
 * schema-qualified).  Fills refs[i].neighbours (malloc'd, free with
 * sqlpilot_tables_free_neighbours) and n_neighbours; 0 or -1 out of memory.
 */
int			sqlpilot_tables_find_neighbours(SqlpilotTableRef *refs, int n,
											const char *const *texts, const size_t *lens);
void		sqlpilot_tables_free_neighbours(SqlpilotTableRef *refs, int n);

/*
 * The choice for plain C callers: tables given as texts (texts[i], lens[i]
 * bytes, or strlen when lens is NULL; a prompt joins them with one blank
 * line) and names (names[i] as SQL means it, or NULL to read it from the
 * CREATE TABLE text), neighbours found from REFERENCES, typed text, and a
 * budget in tokens of tok for BOS + schema + typed.  Writes the chosen
 * indexes in prompt order into chosen (n entries) and returns how many, or
 * SQLPILOT_TABLES_TOO_LONG / SQLPILOT_TABLES_ERROR.
 */
int			sqlpilot_tables_choose_texts(const SqlpilotTokenizer *tok,
										 const char *const *texts, const size_t *lens,
										 const char *const *names, int n,
										 const char *typed, size_t typed_len, int budget,
										 int *chosen);

#endif							/* SQLPILOT_TABLE_CHOICE_H */
