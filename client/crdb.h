/*
 * crdb.h — CockroachDB schemas read on the client: the text of SHOW CREATE
 * TABLE / SHOW CREATE ALL TABLES parsed into the core's SqlpilotTable
 * (core/schema.h), types turned back into PostgreSQL's format_type()
 * spelling, so that sqlpilot_schema_render_table(..., SQLPILOT_DDL_CRDB, ...)
 * gives the text the model was trained on.  Also the queries a client sends
 * to CockroachDB to learn which tables the role may use.  No libpq here: the
 * caller runs the queries and hands over the text.
 *
 * What the struct cannot hold is left out: hidden columns (NOT VISIBLE, such
 * as the implicit rowid, and a primary key made only of them), computed
 * column expressions, ON UPDATE, column families, STORING, partial-index
 * predicates, hash sharding, LOCALITY, WITH (...), COMMENT ON.  Unknown table
 * elements and statements are skipped, not fatal.  See client/CRDB.md.
 */
#ifndef SQLPILOT_CLIENT_CRDB_H
#define SQLPILOT_CLIENT_CRDB_H

#include <stdbool.h>
#include <stddef.h>

#include "schema.h"

/*
 * The server's version string, which on CockroachDB starts "CockroachDB"
 * (e.g. "CockroachDB CCL v23.1.11 (x86_64-pc-linux-gnu, ...)").
 */
extern const char sqlpilot_crdb_version_query[];

/*
 * The base tables of the current database in schemas the role may use
 * (USAGE) that it holds SELECT, INSERT, UPDATE or DELETE on (the
 * extension's rule), as (table_schema, table_name) rows in order.  Written
 * for CockroachDB; runs on PostgreSQL too (tests/test_crdb_pg.c).
 */
extern const char sqlpilot_crdb_tables_query[];

/*
 * SELECT create_statement FROM [SHOW CREATE ALL TABLES]: one row per table,
 * view and sequence of the current database, then the ALTER TABLE ... ADD
 * CONSTRAINT ... FOREIGN KEY and ... VALIDATE CONSTRAINT rows (CockroachDB
 * v21.1 and later); feed them to sqlpilot_crdb_parse_all.
 */
extern const char sqlpilot_crdb_show_all_query[];

/* True when a version() string is CockroachDB's. */
bool		sqlpilot_crdb_is_cockroach(const char *version);

/*
 * Writes SHOW CREATE TABLE "schema"."name" (both names quoted, "" doubled;
 * schema may be NULL) into out (cap bytes, NUL-terminated, truncated if
 * short); returns the length it needs.  For a server or role on which SHOW
 * CREATE ALL TABLES fails.
 */
size_t		sqlpilot_crdb_show_create_query(const char *schema, const char *name,
											char *out, size_t cap);

/*
 * Parses one SHOW CREATE TABLE create_statement (a CREATE TABLE, optionally
 * followed by COMMENT ON statements and by ALTER TABLE ... ADD CONSTRAINT
 * ... FOREIGN KEY statements on the same table, which are attached) into
 * *out.  Returns 0 (free *out with sqlpilot_crdb_table_free), or -1 with a
 * clear err and *out left empty.
 */
int			sqlpilot_crdb_parse_create_table(const char *text, size_t len, SqlpilotTable *out,
											 char *err, size_t errlen);
/* Frees what a parse put into *t and leaves it empty (the struct itself is the caller's). */
void		sqlpilot_crdb_table_free(SqlpilotTable *t);
/* Frees the strings and arrays of one index of a table, and leaves it empty. */
void		sqlpilot_crdb_index_free(SqlpilotIndex *ix);
/* Frees the strings and arrays of one foreign key (ref_cols may be NULL), and leaves it empty. */
void		sqlpilot_crdb_fkey_free(SqlpilotForeignKey *fk);

/* The tables of SHOW CREATE ALL TABLES. */
typedef struct SqlpilotCrdbSchema
{
	SqlpilotTable *tables;		/* in the order of the rows */
	int			n_tables;
	int			n_failed;		/* CREATE TABLE statements that did not parse */
} SqlpilotCrdbSchema;

/*
 * Parses the create_statement rows of SHOW CREATE ALL TABLES (rows[i] of
 * lens[i] bytes, NUL-terminated when lens is NULL; a row may hold several
 * statements).  CREATE TABLE rows become tables; ALTER TABLE ... ADD
 * CONSTRAINT ... FOREIGN KEY rows are
 * attached to their table; everything else is skipped.  A CREATE TABLE that
 * does not parse is counted in n_failed and the first such error is left in
 * err (empty otherwise).  Returns 0, or -1 when out of memory (out empty).
 */
int			sqlpilot_crdb_parse_all(const char *const *rows, const size_t *lens, int n_rows,
									SqlpilotCrdbSchema *out, char *err, size_t errlen);

/*
 * Keeps the tables visible(schema, name, arg) accepts, and of their foreign
 * keys those whose target it accepts: the role sees only what it may use.
 * schema is NULL for a table printed without one (CockroachDB before v20.2).
 */
void		sqlpilot_crdb_schema_filter(SqlpilotCrdbSchema *s,
										bool (*visible) (const char *schema, const char *name,
														 void *arg),
										void *arg);
void		sqlpilot_crdb_schema_free(SqlpilotCrdbSchema *s);

/*
 * The format_type() spelling of a CockroachDB type name as SHOW CREATE
 * prints it (INT8 -> bigint, STRING(20) -> character varying(20),
 * TIMESTAMPTZ(3) -> timestamp(3) with time zone, DECIMAL(10,2)[] ->
 * numeric(10,2)[]); other names (enums, GEOGRAPHY(POINT,4326), ...) are
 * kept as written.  Writes into out (cap bytes, NUL-terminated, truncated if
 * short); returns the length it needs.
 */
size_t		sqlpilot_crdb_pg_type(const char *crdb_type, char *out, size_t cap);

#endif							/* SQLPILOT_CLIENT_CRDB_H */
