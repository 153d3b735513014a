/*
 * gen_stmt.h — what the statement files of the generator share: the
 * analysis of a schema's columns (types, content kinds, roles), the
 * generation state, and the helpers that write keywords, names and
 * literals through the identifier-aware text builder.
 *
 *   gen_statements.c  text builder, small helpers, schema analysis, the driver
 *   gen_literals.c    literals that fit a column, predicates and WHERE
 *   gen_select.c      SELECT (one table, aggregates, joins, subqueries, CTEs, windows)
 *   gen_insert.c      INSERT and UPSERT / ON CONFLICT
 *   gen_update.c      UPDATE, DELETE and TRUNCATE
 *   gen_wide.c        the wide share: what people type beyond the reference corpus
 */
#ifndef SQLPILOT_DATAGEN_GEN_STMT_H
#define SQLPILOT_DATAGEN_GEN_STMT_H

#include <stdbool.h>

#include "gen_internal.h"

/* Base types the generator distinguishes. */
typedef enum GenBase
{
	B_INT, B_BIGINT, B_SMALLINT, B_NUMERIC, B_FLOAT, B_VARCHAR, B_TEXT, B_CHAR,
	B_BOOL, B_DATE, B_TS, B_TSTZ, B_TIME, B_UUID, B_JSON, B_INTERVAL, B_BYTEA, B_ARRAY, B_OTHER
} GenBase;

/* Column roles used to pick columns for a clause. */
#define C_EQ	0x001			/* sensible in col = literal */
#define C_ORD	0x002			/* ordered: numbers, dates */
#define C_STR	0x004			/* LIKE-able text */
#define C_IN	0x008			/* low cardinality: IN lists */
#define C_NULL	0x010			/* nullable */
#define C_GROUP 0x020			/* GROUP BY candidate */
#define C_NUM	0x040			/* aggregatable number */
#define C_ATTR	0x080			/* not a key column */
#define C_SET	0x100			/* may be assigned in UPDATE */
#define C_DATE	0x200			/* date or timestamp */
#define C_PK	0x400			/* the primary key column */
#define C_SORT	0x800			/* good ORDER BY key */

#define GEN_MAX_ALLOWED 6

/* Value hints from the column name, refining the kind's pool. */
typedef enum GenHint
{
	H_NONE, H_PRIORITY, H_METHOD, H_GENDER, H_CURRENCY, H_COLOR, H_SIZE,
	H_LANGUAGE, H_UNIT, H_DAY, H_TIER, H_GRADE, H_RATING, H_PERCENT, H_AGE
} GenHint;

typedef struct GenCol
{
	const char *name;
	int			kind;
	int			base;
	int			len;			/* VARCHAR/CHAR length, 0 = none */
	int			prec;			/* NUMERIC precision, 0 = none */
	int			scale;
	int			hint;
	int			roles;
	bool		auto_value;		/* serial or default-generated key: INSERT may omit it */
	bool		has_default;
	int			n_allowed;		/* values a CHECK (col IN (...)) allows: literals come from them */
	char		allowed[GEN_MAX_ALLOWED][24];
} GenCol;

typedef struct GenTab
{
	int			n_cols;
	GenCol	   *cols;
	int			pk;				/* column index of a single-column primary key, or -1 */
	bool		referenced;		/* a declared foreign key points here */
} GenTab;

/* Generation state for one datagen_statements_generate call. */
typedef struct GenCtx
{
	const DatagenSchema *s;
	GenTab	   *tabs;
	uint64_t	rng;
	GenText    *t;
} GenCtx;

/* A FROM item with how its columns are qualified. */
typedef struct GenFrom
{
	int			table;
	int			alias_slot;		/* -1: qualify by table name */
	char		alias[8];
	bool		with_as;		/* written "table AS alias" */
} GenFrom;

#define N_OF(a) ((int) (sizeof(a) / sizeof((a)[0])))

/* ---- gen_statements.c ---- */

/* True with probability pct percent (fractions allowed). */
bool		gen_chance(GenCtx *c, double pct);
/* Uniform integer in [lo, hi]. */
int			gen_rand_int(GenCtx *c, int lo, int hi);
/* Picks an index from integer weights. */
int			gen_pick_weight(GenCtx *c, const int *w, int n);
/* Appends text. */
void		gen_put(GenCtx *c, const char *s);
/* Appends a keyword (lower case in the rare lower-case statements). */
void		gen_kw(GenCtx *c, const char *kw);
/* Appends a table name. */
void		gen_tbl(GenCtx *c, int ti);
/* Appends a bare column name. */
void		gen_col(GenCtx *c, int ti, int ci);
/* Appends a column qualified by its FROM item (alias or table name), or bare when f is NULL. */
void		gen_qcol(GenCtx *c, const GenFrom *f, int ci);
/* Appends a column, qualified when f is given. */
void		gen_fcol(GenCtx *c, const GenFrom *f, int ti, int ci);
/* Appends an SQL string literal, doubling quotes, cut to max characters (0 = no limit). */
void		gen_str_lit(GenCtx *c, const char *s, int max);
/* A random column of table ti having all role bits in need; -1 when none. */
int			gen_pick_col(GenCtx *c, int ti, int need);

/* ---- gen_literals.c ---- */

/* Appends an integer in [lo, hi]. */
void		gen_int_lit(GenCtx *c, int lo, int hi);
/* A word from the pool of a column's kind and name hint (status, category, tier, ...). */
const char *gen_word_for(GenCtx *c, const GenCol *col);
/* Appends a literal that fits the column's type and suits its kind. */
void		gen_lit(GenCtx *c, const GenCol *col);
/*
 * Appends a literal for a comparison: people compare timestamps with plain
 * dates and amounts with round numbers.
 */
void		gen_pred_lit(GenCtx *c, const GenCol *col);
/* Appends a value for INSERT/UPDATE: mostly a literal, sometimes NOW() or NULL. */
void		gen_value(GenCtx *c, const GenCol *col);
/* Picks a SELECT WHERE operator with the reference frequencies. */
int			gen_select_op(GenCtx *c);
/* Appends " WHERE p [AND|OR p]" with npred predicates. */
void		gen_where(GenCtx *c, int ti, const GenFrom *f, int npred, int (*op) (GenCtx *));
/*
 * Appends one predicate on table ti (qualified through f when given); op: 0 '=',
 * 1 '>', 2 LIKE, 3 BETWEEN, 4 '<', 5 '>=', 6 IN, 7 IS [NOT] NULL, 8 '<='.
 */
void		gen_predicate(GenCtx *c, int ti, const GenFrom *f, int op);
/* Appends a LIKE pattern suiting the column. */
void		gen_like_pattern(GenCtx *c, const GenCol *col);

/* ---- gen_select.c ---- */

/* Fills a FROM item for table ti, with an alias unlike the others' and every table name. */
void		gen_from_item(GenCtx *c, GenFrom *f, int ti, int slot, bool aliases, GenFrom *others, int n_others);
/* Appends "table [[AS] alias]". */
void		gen_from_text(GenCtx *c, const GenFrom *f);

/* ---- gen_insert.c ---- */

/* Chooses the INSERT column list of table ti into out; returns its length. */
int			gen_insert_cols(GenCtx *c, int ti, int *out);
/* Appends "(a, b, c)". */
void		gen_col_list(GenCtx *c, int ti, const int *cols, int n);
/* Appends "(v1, v2, ...)" for the columns. */
void		gen_values_row(GenCtx *c, int ti, const int *cols, int n);
/* The column an ON CONFLICT target may name: the primary key or a unique column; -1 if none. */
int			gen_conflict_col(GenCtx *c, int ti);
/* Appends " ON CONFLICT (k) DO UPDATE SET a = EXCLUDED.a, ..." or DO NOTHING. */
void		gen_on_conflict(GenCtx *c, int ti, const int *cols, int n, int key, bool nothing);

/* ---- one statement of each kind ---- */

/* One SELECT statement. */
void		gen_select(GenCtx *c, bool complex);
/* One INSERT statement (plain, multi-row, INSERT ... SELECT, RETURNING). */
void		gen_insert(GenCtx *c, bool complex);
/*
 * One upsert: PostgreSQL INSERT ... ON CONFLICT, or CockroachDB UPSERT with
 * its ON CONFLICT rewrite in *pg (written with the same values).
 */
void		gen_upsert(GenCtx *c, GenText *pg);
/* One UPDATE statement. */
void		gen_update(GenCtx *c, bool complex);
/* One DELETE statement. */
void		gen_delete(GenCtx *c, bool complex);
/* One TRUNCATE statement; CASCADE whenever a declared foreign key needs it. */
void		gen_truncate(GenCtx *c, bool complex);

/* ---- gen_wide.c: the wide share ---- */

/* One SELECT of the wide share: joins, reports, dates, subqueries, CTEs, windows, UNION. */
void		gen_select_wide(GenCtx *c);
/* One INSERT of the wide share: RETURNING, INSERT ... SELECT along a link, ON CONFLICT. */
void		gen_insert_wide(GenCtx *c);
/* One UPDATE of the wide share: UPDATE ... FROM, expressions, date filters, RETURNING. */
void		gen_update_wide(GenCtx *c);
/* One DELETE of the wide share: DELETE ... USING, NOT EXISTS, date filters, RETURNING. */
void		gen_delete_wide(GenCtx *c);

#endif							/* SQLPILOT_DATAGEN_GEN_STMT_H */
