/*
 * schema.h — tables as data, and the one renderer of the schema text.
 *
 * datagen builds SqlpilotTable values for its synthetic schemas; the extension
 * builds them from the live catalog.  Both render them here, so the text a
 * model sees at completion time is exactly the text it was trained on.
 * Types are given in PostgreSQL's format_type() spelling ("bigint",
 * "character varying(50)", "numeric(10,2)", "timestamp with time zone", ...);
 * each style maps them to its own spelling (CockroachDB: INT8, VARCHAR(50),
 * DECIMAL(10,2), TIMESTAMPTZ, ...).
 */
#ifndef SQLPILOT_SCHEMA_H
#define SQLPILOT_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct SqlpilotColumn
{
	char	   *name;
	char	   *type;			/* format_type() spelling */
	bool		not_null;
	char	   *default_expr;	/* NULL when none; PostgreSQL expression text */
} SqlpilotColumn;

/* An index or a PRIMARY KEY / UNIQUE constraint. */
typedef struct SqlpilotIndex
{
	char	   *name;
	bool		primary;
	bool		unique;
	bool		is_constraint;	/* UNIQUE constraint rather than unique index */
	int			n_cols;
	char	  **cols;			/* column names, or expression text */
	bool	   *desc;			/* (n_cols) DESC order */
	bool	   *expr;			/* (n_cols) cols[k] is an expression; NULL: guess */
} SqlpilotIndex;

typedef struct SqlpilotForeignKey
{
	char	   *name;
	int			n_cols;
	char	  **cols;
	char	   *ref_schema;		/* NULL: same schema as the table */
	char	   *ref_table;
	char	  **ref_cols;
	char	   *on_delete;		/* NULL, "CASCADE", "SET NULL", ... */
	char	   *on_update;
} SqlpilotForeignKey;

typedef struct SqlpilotCheck
{
	char	   *name;
	char	   *expr;			/* the boolean expression, without CHECK ( ) */
} SqlpilotCheck;

typedef struct SqlpilotTable
{
	char	   *schema;			/* e.g. "public" */
	char	   *name;
	int			n_columns;
	SqlpilotColumn *columns;
	int			n_indexes;		/* primary key first when there is one */
	SqlpilotIndex *indexes;
	int			n_fkeys;
	SqlpilotForeignKey *fkeys;
	int			n_checks;
	SqlpilotCheck *checks;
	/*
	 * false (the catalog): names are exact, so names with upper case are
	 * quoted.  true (datagen): names were written unquoted in any case and
	 * PostgreSQL folds them, so upper case alone never needs quotes.
	 */
	bool		fold_case;
} SqlpilotTable;

typedef enum SqlpilotDdlStyle
{
	SQLPILOT_DDL_CRDB = 0,		/* CockroachDB SHOW CREATE TABLE: the default */
	SQLPILOT_DDL_PGDUMP = 1,	/* pg_dump style; loads into PostgreSQL */
	SQLPILOT_DDL_HANDWRITTEN = 2	/* odd indentation, lower case, inline constraints */
} SqlpilotDdlStyle;

/*
 * Renders one table as CREATE TABLE text (plus, for pg_dump style, its
 * CREATE INDEX / ALTER TABLE statements) into a malloc'd string.  rng drives
 * the variation of the handwritten style; it may be NULL for the others.
 */
char	   *sqlpilot_schema_render_table(const SqlpilotTable *t, SqlpilotDdlStyle style,
										 uint64_t *rng, size_t *len);
/* Renders tables joined by one blank line ("\n\n") into a malloc'd string. */
char	   *sqlpilot_schema_render(const SqlpilotTable *tables, int n_tables,
								   SqlpilotDdlStyle style, uint64_t *rng, size_t *len);
/* The CockroachDB spelling of a format_type() type, into out (cap bytes). */
void		sqlpilot_schema_crdb_type(const char *pg_type, char *out, size_t cap);
/* The hand-written spelling (INT, VARCHAR(50), DECIMAL(10,2), SERIAL when serial). */
void		sqlpilot_schema_plain_type(const char *pg_type, bool serial, char *out, size_t cap);

/*
 * True when name must be double-quoted to mean itself in PostgreSQL: not a
 * plain identifier, or a keyword other than an unreserved one.  With
 * fold_case, upper-case letters are allowed unquoted (see fold_case above).
 */
bool		sqlpilot_schema_needs_quotes(const char *name, bool fold_case);
/*
 * Writes name, double-quoted when needed, into out (cap bytes, NUL-terminated,
 * truncated if short); returns the length it needs.
 */
size_t		sqlpilot_schema_quote_ident(const char *name, bool fold_case, char *out, size_t cap);

#endif							/* SQLPILOT_SCHEMA_H */
