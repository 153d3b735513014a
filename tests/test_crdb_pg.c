/*
 * test_crdb_pg.c — the CockroachDB tables query (client/crdb.c) on a
 * throwaway PostgreSQL 15 server, where the same information_schema and
 * privilege functions exist: a role sees exactly the base tables it holds a
 * data privilege on, in schemas it may use, in order.  (No CockroachDB
 * server can be installed here: this is the part of the path the two share.)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "../client/crdb.h"
#include "../datagen/validate.h"
#include "tap.h"

static const char setup_sql[] =
"CREATE ROLE reader LOGIN;"
"CREATE SCHEMA s2; CREATE SCHEMA s3;"
"CREATE TABLE public.seen (a int); CREATE TABLE public.hidden (a int);"
"CREATE TABLE public.ins_only (a int); CREATE TABLE s2.\"Odd Name\" (a int);"
"CREATE TABLE s3.no_usage (a int); CREATE TABLE public.refs_only (a int);"
"CREATE VIEW public.v AS SELECT 1 AS one;"
"GRANT SELECT ON public.seen TO reader; GRANT INSERT ON public.ins_only TO reader;"
"GRANT USAGE ON SCHEMA s2 TO reader; GRANT UPDATE ON s2.\"Odd Name\" TO reader;"
"GRANT SELECT ON s3.no_usage TO reader; GRANT REFERENCES ON public.refs_only TO reader;"
"GRANT SELECT ON public.v TO reader;";

/* Runs the tables query on conninfo; returns "schema.name;..." (malloc'd) or NULL. */
static char *
visible_tables(const char *conninfo, char *err, size_t errlen)
{
	PGconn	   *conn = PQconnectdb(conninfo);
	PGresult   *res;
	char	   *out = NULL;
	size_t		len = 0;

	if (PQstatus(conn) != CONNECTION_OK)
	{
		snprintf(err, errlen, "%s", PQerrorMessage(conn));
		PQfinish(conn);
		return NULL;
	}
	res = PQexec(conn, sqlpilot_crdb_tables_query);
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		snprintf(err, errlen, "%s", PQresultErrorMessage(res));
	else
	{
		out = calloc(1, 4096);
		for (int i = 0; out && i < PQntuples(res); i++)
			len += (size_t) snprintf(out + len, 4096 - len, "%s.%s;", PQgetvalue(res, i, 0),
									 PQgetvalue(res, i, 1));
	}
	PQclear(res);
	PQfinish(conn);
	return out;
}

int
main(void)
{
	DatagenServer srv = {0};
	char		err[512] = "";
	char		conninfo[700];
	PGconn	   *conn;
	PGresult   *res;
	char	   *seen;

	if (datagen_server_start(&srv, err, sizeof(err)) != 0)
	{
		tap_diag("no PostgreSQL server: %s", err);
		tap_ok(1, "# SKIP cannot start a throwaway PostgreSQL server");
		return tap_done();
	}
	conn = PQconnectdb(srv.conninfo);
	res = PQexec(conn, setup_sql);
	if (!tap_ok(PQresultStatus(res) == PGRES_COMMAND_OK, "set up tables, schemas and grants"))
		tap_diag("%s", PQresultErrorMessage(res));
	PQclear(res);
	PQfinish(conn);

	snprintf(conninfo, sizeof(conninfo), "%s user=reader", srv.conninfo);
	seen = visible_tables(conninfo, err, sizeof(err));
	if (!tap_ok(seen && strcmp(seen, "public.ins_only;public.seen;s2.Odd Name;") == 0,
				"the role sees its SELECT/INSERT/UPDATE tables only (no REFERENCES-only table, "
				"no schema without USAGE, no view)"))
		tap_diag("got %s %s", seen ? seen : "(error)", err);
	free(seen);

	seen = visible_tables(srv.conninfo, err, sizeof(err));
	if (!tap_ok(seen && strcmp(seen, "public.hidden;public.ins_only;public.refs_only;public.seen;"
							   "s2.Odd Name;s3.no_usage;") == 0,
				"the owner sees every base table, ordered by schema and name"))
		tap_diag("got %s %s", seen ? seen : "(error)", err);
	free(seen);
	datagen_server_stop(&srv);
	return tap_done();
}
