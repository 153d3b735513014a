/*
 * stats_features.h — the token-level side of `sqlpilot datagen stats`: the
 * tokens of core/sql_lex.c (words, quoted names and literals, numbers,
 * parameters, operators, with parenthesis depth) and the per-statement
 * feature tests and shape counts that stats.c tallies against
 * docs/data-targets.md.
 */
#ifndef SQLPILOT_DATAGEN_STATS_FEATURES_H
#define SQLPILOT_DATAGEN_STATS_FEATURES_H

#include <stdbool.h>
#include <string.h>
#include <strings.h>

/* The features of section 2, one flag each per statement. */
typedef enum Feature
{
	F_WHERE, F_GROUP_BY, F_HAVING, F_ORDER_BY, F_ASC, F_DESC, F_LIMIT, F_OFFSET, F_TOP_FETCH,
	F_DISTINCT, F_SELECT_STAR, F_T_STAR,
	F_JOIN, F_BARE_JOIN, F_INNER_JOIN, F_LEFT_JOIN, F_RIGHT_JOIN, F_FULL_JOIN, F_CROSS_JOIN,
	F_NATURAL_JOIN, F_COMMA_JOIN, F_ON, F_USING,
	F_NESTED_SELECT, F_DERIVED, F_IN_LIST, F_IN_SUBQUERY, F_NOT_IN, F_EXISTS, F_CTE, F_UNION,
	F_UNION_ALL, F_INTERSECT, F_EXCEPT,
	F_BETWEEN, F_LIKE, F_ILIKE, F_IS_NULL, F_IS_NOT_NULL, F_CASE, F_OVER, F_CAST, F_QUALIFIED,
	F_TABLE_ALIAS, F_TABLE_ALIAS_AS, F_COLUMN_ALIAS,
	F_AGGREGATE, F_COUNT, F_COUNT_STAR, F_COUNT_DISTINCT, F_SUM, F_AVG, F_MIN, F_MAX, F_DATETIME,
	F_NOW, F_CURRENT_DATE, F_CURRENT_TIMESTAMP, F_DATE_TRUNC, F_EXTRACT, F_INTERVAL, F_STRING_FN,
	F_LOWER_UPPER, F_CONCAT, F_MATH_FN, F_COALESCE,
	F_STRING, F_S_DATE, F_S_TIMESTAMP, F_S_TIME, F_S_UUID, F_S_NUMERIC, F_S_EMAIL, F_S_JSON,
	F_S_LIKE, F_S_EMPTY, F_S_OTHER, F_INTEGER, F_DECIMAL, F_NEGATIVE, F_BOOLEAN, F_NULL_VALUE,
	F_DEFAULT_VALUE, F_TYPED_LITERAL, F_PARAM_DOLLAR, F_PARAM_QMARK, F_PARAM_OTHER,
	F_INS_COLLIST, F_INS_VALUES, F_INS_MULTIROW, F_INS_SELECT, F_INS_DEFAULT_VALUES, F_RETURNING,
	F_ON_CONFLICT, F_ON_DUPLICATE, F_UPD_MULTISET, F_NO_WHERE, F_UD_SUBQUERY, F_ONE_EQ_LITERAL,
	F_UPD_FROM, F_TRUNC_TABLE, F_TRUNC_CASCADE, F_TRUNC_RESTART, F_TRUNC_ONLY, F_TRUNC_MULTI,
	/* beyond the reference's list: what the wide share adds */
	F_JOIN_2PLUS, F_NULLS_ORDER, F_PARTITION_BY, F_RANK_FN, F_LAG_LEAD, F_TO_CHAR, F_ANY_ARRAY,
	F_LOWER_KW,
	N_FEATURES
} Feature;

typedef enum TokType
{
	T_WORD, T_QIDENT, T_STRING, T_NUMBER, T_PARAM, T_OP
} TokType;

typedef struct Tok
{
	TokType		type;
	const char *s;
	int			len;
	int			depth;			/* parenthesis depth before the token */
} Tok;

/* True when token i exists and is the word w (case-insensitive). */
static inline bool
is(const Tok *t, int n, int i, const char *w)
{
	return i >= 0 && i < n && t[i].type == T_WORD && (int) strlen(w) == t[i].len &&
		strncasecmp(t[i].s, w, t[i].len) == 0;
}

/* True when token i is the operator op. */
static inline bool
is_op(const Tok *t, int n, int i, const char *op)
{
	return i >= 0 && i < n && t[i].type == T_OP && (int) strlen(op) == t[i].len &&
		strncmp(t[i].s, op, t[i].len) == 0;
}

/* True when token i is one of the words of list (NULL-terminated). */
static inline bool
is_any(const Tok *t, int n, int i, const char *const *list)
{
	for (int j = 0; list[j]; j++)
		if (is(t, n, i, list[j]))
			return true;
	return false;
}

/* Lexes a text into toks (at most cap); returns the count. */
int			stats_lex(const char *s, Tok *toks, int cap);

/* Counts behind section 3 (0 when they do not apply). */
typedef struct Shape
{
	int			select_items;	/* top-level select-list items ("*" counts 1) */
	int			set_assignments;
	int			insert_cols;	/* columns in an INSERT's column list */
	int			trunc_tables;
	int			limit_value;	/* -1: no LIMIT n */
	int			literals;		/* strings, numbers, TRUE/FALSE */
} Shape;

/* Computes the features and shape of one statement (kind: our column index, 0..4). */
void		stats_features(const char *sql, int kind, bool *f, Shape *sh);

#endif							/* SQLPILOT_DATAGEN_STATS_FEATURES_H */
