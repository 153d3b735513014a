/*
 * ground.h — grounding: constrained decoding that keeps every identifier a
 * completion writes possible in the prompt's schema.
 *
 * Names.  sqlpilot_ground_schema_parse reads the schema text of the prompt
 * (the CREATE TABLE / CREATE VIEW statements core/schema.c renders, in any of
 * its three styles, or hand-written DDL) with core/sql_lex.h into tables,
 * views and their columns, names folded as PostgreSQL folds them.
 *
 * Scope.  A SqlpilotGround follows one statement as it is written: first the
 * typed prefix (from the start of the statement), then each generated token.
 * It keeps one flat scope per statement (tables of FROM, JOIN, UPDATE,
 * INSERT INTO, DELETE FROM, USING, MERGE INTO with their aliases, CTEs with
 * their column lists, subqueries in FROM, select-list aliases), a paren stack
 * and what the next identifier is expected to be:
 *   - a table: tables and views of the schema, CTEs, schema names as
 *     qualifiers, a few keywords (SELECT, LATERAL, ONLY, ...) and, in FROM,
 *     functions with their '('; the target of INSERT, UPDATE, DELETE:
 *     tables only; the first table of a top-level FROM after a select list
 *     that named unqualified columns of the schema: a table with the most
 *     of them any table has (all when one has all), no function or keyword;
 *   - a column of x after "x.": the columns of x; x a table the prompt
 *     leaves out: any column of the schema; x nothing in scope: the columns
 *     of the tables x may be an alias of (their word starts or initials);
 *   - the column list of INSERT INTO t (: the columns of t not listed yet;
 *   - a SET target (UPDATE t SET, ON CONFLICT DO UPDATE SET): the columns
 *     of t not assigned yet, nothing else;
 *   - the tables of TRUNCATE [TABLE] [ONLY]: tables of the schema only;
 *   - an expression: columns of the tables in scope (every column of the
 *     schema while the current SELECT has no FROM yet, or for a table the
 *     prompt leaves out), aliases and CTE names as qualifiers (before FROM
 *     also names made like an alias of a table), select-list aliases,
 *     keywords, built-in functions (core/sql_words.h);
 *   - a new alias right after a table reference: a name in one case that
 *     is no alias already taken (after INSERT INTO t only after AS); then
 *     only the keywords that may follow that statement's table;
 *   - free: new names (CTE names, AS aliases, types after ::), and whatever
 *     the lexer is inside of (string, comment, dollar quote, number).
 * Unquoted names match as PostgreSQL folds them, and a generated one keeps
 * the schema text's spelling (or is all lower case): "produCT_id" is not
 * product_id; a name that needs quotes (sqlpilot_schema_needs_quotes) only
 * matches quoted and exact.
 *
 * Mask.  sqlpilot_ground_allows feeds a token's bytes into a scratch copy of
 * the small cursor part of the state (the scope is only read) and says
 * whether every identifier the token completes is allowed where it stands
 * and the identifier still open at its end is a prefix of an allowed word.
 * A word the user typed only grows into an allowed word ("FROM LOCATION"
 * does not become "LOCATIONCATE"), and ends as typed unless it could grow
 * into one ("FROM ord" becomes orders).
 *
 * Never a dead end: when the state cannot tell (a statement that is not a
 * query, text that is not SQL, parens nested too deep, too many tables) it
 * falls back to free text for the rest of the statement; complete.c also
 * falls back for one step when no token passes.  sqlpilot_ground_describe
 * says which case holds.  The scope is flat but for subqueries: the tables
 * a subquery in an expression (or a CTE body) names leave the scope when
 * its paren closes ("WHERE id IN (SELECT id FROM orders) AND " takes no
 * column of orders); those of a subquery in FROM stay for their columns
 * (they stand for the subquery's) but no longer qualify.  CTEs and
 * select-list aliases stay, so the mask is lenient, never stricter than SQL.
 */
#ifndef SQLPILOT_GROUND_H
#define SQLPILOT_GROUND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sql_lex.h"

#define SQLPILOT_GROUND_NAME_MAX 64 /* bytes of a name kept, '\0' included */
#define SQLPILOT_GROUND_DEPTH 16	/* parens tracked */
#define SQLPILOT_GROUND_ENTRIES 16	/* table references in scope */
#define SQLPILOT_GROUND_CTES 8
#define SQLPILOT_GROUND_NAMES 32	/* CTE columns and select-list aliases */
#define SQLPILOT_GROUND_RING 128	/* last bytes kept to read identifiers back */

/* The names of a schema text (opaque; built per call, read-only after). */
typedef struct SqlpilotGroundSchema SqlpilotGroundSchema;

/* One table reference in scope. */
typedef struct SqlpilotGroundEntry
{
	char		name[SQLPILOT_GROUND_NAME_MAX]; /* alias, or the table's name */
	int16_t		table;			/* index in the schema, or -1 */
	int8_t		cte;			/* index of a CTE, or -1 */
	uint8_t		kind;			/* private to ground.c */
	bool		aliased;
} SqlpilotGroundEntry;

/* A CTE: its name; its columns are names[] entries with owner == its index. */
typedef struct SqlpilotGroundCte
{
	char		name[SQLPILOT_GROUND_NAME_MAX];
	bool		unknown;		/* columns not known (SELECT *, an expression) */
	bool		explicit_cols;	/* WITH x(a, b): the list is the columns */
} SqlpilotGroundCte;

/* A CTE column, a select-list alias (owner -1) or a qualifier used before FROM (-2). */
typedef struct SqlpilotGroundName
{
	char		name[SQLPILOT_GROUND_NAME_MAX];
	int8_t		owner;
} SqlpilotGroundName;

/*
 * What a token changes cheaply: the lexer, the last bytes and the syntax
 * position.  sqlpilot_ground_allows copies only this.  Fields private.
 */
typedef struct SqlpilotGroundCursor
{
	SqlpilotLex lx;
	size_t		fed;			/* bytes fed since the statement text began */
	size_t		typed_end;		/* where the typed text ends */
	size_t		qclose_start;	/* start of a quoted name whose '"' was just fed */
	unsigned char ring[SQLPILOT_GROUND_RING];
	char		qual[SQLPILOT_GROUND_NAME_MAX]; /* x of "x." */
	char		cand[SQLPILOT_GROUND_NAME_MAX]; /* CTE body: name of the current item */
	uint8_t		expect;
	uint8_t		lost;			/* reason the state gave up (0: tracking) */
	uint8_t		depth;
	uint8_t		intro;			/* the keyword that opened the current table list */
	uint8_t		prevkw;			/* action of the previous token when a keyword */
	uint8_t		stmt;			/* the statement at depth 0: none, query, other */
	bool		at_start;		/* the next token starts a statement */
	bool		operand;		/* the previous token ended an operand */
	bool		qclosed;		/* the last byte fed closed a quoted name */
	bool		checking;		/* judging a candidate token */
	bool		bad;			/* checking: an identifier was judged impossible */
	bool		cand_ok;
	bool		join_cond;		/* after JOIN t: ON or USING must come */
	bool		opstart;		/* an operand starts here (after an operator, WHERE, AND, ...) */
	bool		ref_dup;		/* the table just named is in scope unaliased: an alias must follow */
	int8_t		capture;		/* CTE whose select list is read, or -1 */
	uint8_t		capture_depth;
	int16_t		target;			/* INSERT target: table index, or -1 */
	int16_t		set_table;		/* table whose columns SET assigns, or -1 */
	int8_t		last_ref;		/* entry the next alias names, or -1 */
	int8_t		cte_cur;		/* CTE being defined, or -1 */
	uint8_t		clause[SQLPILOT_GROUND_DEPTH];
	uint8_t		paren[SQLPILOT_GROUND_DEPTH];
	uint8_t		selfrom[SQLPILOT_GROUND_DEPTH]; /* bit 1: SELECT seen, bit 2: FROM seen */
	uint8_t		scope0[SQLPILOT_GROUND_DEPTH];	/* table references in scope when the paren opened */
} SqlpilotGroundCursor;

/* The state of one statement being written (one per beam; plain data, copy freely). */
typedef struct SqlpilotGround
{
	const SqlpilotGroundSchema *schema;
	SqlpilotGroundCursor c;
	int			n_entries;
	int			n_ctes;
	int			n_names;
	SqlpilotGroundEntry entries[SQLPILOT_GROUND_ENTRIES];
	SqlpilotGroundCte ctes[SQLPILOT_GROUND_CTES];
	SqlpilotGroundName names[SQLPILOT_GROUND_NAMES];
} SqlpilotGround;

/* Parses the tables, views and columns of a schema text; NULL when out of memory. */
SqlpilotGroundSchema *sqlpilot_ground_schema_parse(const char *text, size_t len);
void		sqlpilot_ground_schema_free(SqlpilotGroundSchema *s);

/* The parsed names, for tests and diagnostics. */
int			sqlpilot_ground_schema_n_tables(const SqlpilotGroundSchema *s);
/* Table i: its schema name ("" when unqualified), name and number of columns. */
const char *sqlpilot_ground_schema_table(const SqlpilotGroundSchema *s, int i,
										 const char **schema_name, int *n_columns);
const char *sqlpilot_ground_schema_column(const SqlpilotGroundSchema *s, int i, int j);

/*
 * Starts a statement: typed_len is the length of the whole typed statement
 * (sqlpilot_ground_feed may give less of it; the rest comes as generated
 * tokens).  schema may have no tables: then everything is free.
 */
void		sqlpilot_ground_init(SqlpilotGround *g, const SqlpilotGroundSchema *schema,
								 size_t typed_len);

/* Feeds text (typed or chosen) into the state; nothing is judged. */
void		sqlpilot_ground_feed(SqlpilotGround *g, const char *s, size_t len);

/* Whether the mask can restrict anything at all (false: every token is allowed). */
bool		sqlpilot_ground_active(const SqlpilotGround *g);

/* Whether the token of bytes s[0..len) is allowed next. */
bool		sqlpilot_ground_allows(const SqlpilotGround *g, const uint8_t *s, size_t len);

/* Whether the statement may end here (EOS): no identifier left half-written. */
bool		sqlpilot_ground_allows_end(const SqlpilotGround *g);

/*
 * One line on what the next identifier must be, or why the state is free or
 * gave up ("expects a column of o (orders)", "free text: inside a string
 * literal", "fallback: ..."), into buf (cap bytes, NUL-terminated).
 * Returns the length it needs.
 */
size_t		sqlpilot_ground_describe(const SqlpilotGround *g, char *buf, size_t cap);

#endif							/* SQLPILOT_GROUND_H */
