/*
 * catalog.h — the tables a client connection's role may use, read over libpq
 * into the core's SqlpilotTable descriptions (core/schema.h), for prompts
 * built in the client (the psql hook, `sqlpilot complete --dsn`).
 *
 * PostgreSQL: the tables, views and materialized views of the schemas on the
 * session's search_path and its temporary schema, with the extension's
 * privilege rule (extension/catalog.c).  CockroachDB: SHOW CREATE ALL TABLES,
 * parsed by client/crdb.c, filtered by sqlpilot_crdb_tables_query.  Run only when the session is idle, as
 * multi-statement query strings each of which is an implicit transaction of
 * its own with a statement timeout of its own (SET LOCAL), bounded on the
 * client by a deadline.
 */
#ifndef SQLPILOT_CLIENT_CATALOG_H
#define SQLPILOT_CLIENT_CATALOG_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

#include <libpq-fe.h>

#include "schema.h"

typedef enum SqlpilotServerKind
{
	SQLPILOT_SERVER_UNKNOWN = 0,	/* not asked yet */
	SQLPILOT_SERVER_POSTGRES,
	SQLPILOT_SERVER_CRDB
} SqlpilotServerKind;

/* One table read, and the tables its foreign keys link it to (either way). */
typedef struct SqlpilotClientTable
{
	SqlpilotTable table;
	int			n_neighbours;
	int		   *neighbours;		/* indexes into the schema's tables */
} SqlpilotClientTable;

/* The tables read from one connection, in stable order (schema, then name). */
typedef struct SqlpilotClientSchema
{
	SqlpilotClientTable *tables;
	int			n_tables;
	struct ClientArena *arena;	/* every string and array above */
} SqlpilotClientSchema;

/* What a read came to. */
typedef enum SqlpilotReadStatus
{
	SQLPILOT_READ_OK = 0,
	SQLPILOT_READ_SKIPPED = 1,	/* the session is not idle: nothing was sent */
	SQLPILOT_READ_FAILED = -1,	/* an error, said in err */
	SQLPILOT_READ_GIVEN_UP = -2 /* past the deadline and a cancel: conn still busy */
} SqlpilotReadStatus;

/*
 * Reads the schema from conn when its session is idle (PQTRANS_IDLE, no
 * query in flight, no pipeline); *kind is learned with one more query the
 * first time (UNKNOWN).  The server's statement timeout is timeout_ms; the
 * client waits until deadline_ms, then cancels and waits timeout_ms more.
 * GIVEN_UP leaves a query in flight on conn: the caller reads its results
 * (sqlpilot_pq_read) before conn is used again.  On OK, out holds the tables
 * (free with sqlpilot_client_schema_free); otherwise out is empty.
 */
SqlpilotReadStatus sqlpilot_client_read_schema(PGconn *conn, SqlpilotServerKind *kind,
											   int timeout_ms, double deadline_ms,
											   SqlpilotClientSchema *out,
											   char *err, size_t errlen);
void		sqlpilot_client_schema_free(SqlpilotClientSchema *s);

/*
 * CockroachDB, the part after the queries: out gets the tables of the
 * create_statement rows of sqlpilot_crdb_show_all_query (create_rows[0..n_create))
 * that the (table_schema, table_name) rows of sqlpilot_crdb_tables_query
 * list (visible[2 * i], visible[2 * i + 1] for i < n_visible), with their
 * foreign keys into listed tables only, in order of schema and name.
 * *n_failed gets the CREATE TABLE rows that did not parse (skipped).
 * Returns 0, or -1 with err when out of memory (out empty).
 */
int			sqlpilot_client_schema_from_crdb(const char *const *create_rows, int n_create,
											 const char *const *visible, int n_visible,
											 SqlpilotClientSchema *out, int *n_failed,
											 char *err, size_t errlen);

#endif							/* SQLPILOT_CLIENT_CATALOG_H */
