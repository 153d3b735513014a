/*
 * test_datagen_validate.c — PostgreSQL validation (datagen/pipeline/validate.c) on
 * hand-written DDL: accepted and rejected statements, TRUNCATE executed and
 * rolled back, a rejected schema, nothing left behind, and a dead server.
 */
#include <stdlib.h>
#include <string.h>

#include "../datagen/validate.h"
#include "../tests/tap.h"

int
main(void)
{
	DatagenServer srv;
	DatagenValidator v;
	char		err[1024] = "";
	char		ddl[2048];
	const char *sqls[] = {
		"SELECT id, name FROM customers WHERE id = 1",
		"SELECT nosuchcolumn FROM customers",
		"INSERT INTO orders (customer_id, total) VALUES (1, 9.99)",
		"TRUNCATE TABLE orders",
		"TRUNCATE TABLE nosuchtable",
		"UPDATE customers SET name = 'x' WHERE id = 2",
		"SELECT 1; SELECT 2",
		"INSERT INTO customers (id, name) VALUES (1, 'a') ON CONFLICT (id) DO UPDATE SET name = excluded.name",
		"TRUNCATE customers",
		"TRUNCATE customers, orders RESTART IDENTITY",
		"SELECT customer_id, SUM(total) FROM orders GROUP BY customer_id HAVING SUM(total) > 5",
		"CREATE TABLE sneaky (x int)",
		"DROP TABLE orders",
		"  (SELECT 1)",
	};
	/* TRUNCATE of a table another one references needs CASCADE or both tables. */
	/* Parse accepts utility statements unanalysed, so only preparable kinds go there; only TRUNCATE runs. */
	const bool	expect[] = {true, false, true, true, false, true, false, true, false, true, true, false, false, true};
	bool		execute[14] = {false, false, false, true, true, false, false, false, true, true, false, false, true, false};
	bool		ok[14];
	char	   *msgs[14];
	int			rc;
	int			n = 14;
	bool		all = true;

	if (!tap_ok(datagen_server_start(&srv, err, sizeof(err)) == 0, "throwaway server starts (%s)", err))
		return tap_done();
	tap_ok(datagen_validator_open(&v, srv.conninfo, err, sizeof(err)) == 0, "connects (%s)", err);

	snprintf(ddl, sizeof(ddl),
			 "CREATE TABLE %s.customers (id integer NOT NULL, name character varying(50)"
			 " DEFAULT 'a;b''c', PRIMARY KEY (id));\n"
			 "CREATE TABLE %s.orders (id serial PRIMARY KEY, customer_id integer REFERENCES %s.customers(id),"
			 " total numeric(10,2));\nCREATE INDEX orders_total_idx ON %s.orders (total DESC);",
			 v.scratch, v.scratch, v.scratch, v.scratch);
	rc = datagen_validate(&v, ddl, sqls, execute, n, ok, msgs, err, sizeof(err));
	tap_ok(rc == 0, "schema loads (rc %d, %s)", rc, rc ? err : "");
	for (int i = 0; i < n; i++)
	{
		if (ok[i] != expect[i])
			all = false;
		if (!ok[i])
			tap_diag("rejected: %s: %s", sqls[i], msgs[i] ? msgs[i] : "(no message)");
		free(msgs[i]);
	}
	tap_ok(all, "each statement judged alone: good ones accepted, bad ones rejected");

	/* The same schema again: the first transaction left nothing behind. */
	rc = datagen_validate(&v, ddl, sqls, execute, n, ok, NULL, err, sizeof(err));
	tap_ok(rc == 0 && ok[0] && ok[3] && !ok[4], "second run of the same schema (nothing left behind)");

	/* ';' inside a dollar quote, an E'' string with \' and nested comments does not split the DDL. */
	snprintf(ddl, sizeof(ddl),
			 "CREATE TABLE %s.d (id int DEFAULT 1);\nCOMMENT ON TABLE %s.d IS $c$x;y$c$;\n"
			 "/* a; /* b; */ c; */ COMMENT ON COLUMN %s.d.id IS E'it\\'s; ok'; -- end;",
			 v.scratch, v.scratch, v.scratch);
	rc = datagen_validate(&v, ddl, sqls, execute, 1, ok, NULL, err, sizeof(err));
	tap_ok(rc == 0, "DDL split at the lexer's ';' only (rc %d, %s)", rc, rc ? err : "");

	snprintf(ddl, sizeof(ddl), "CREATE TABLE %s.t (id intt)", v.scratch);
	rc = datagen_validate(&v, ddl, sqls, execute, 1, ok, NULL, err, sizeof(err));
	tap_ok(rc == 1 && !ok[0] && strstr(err, "intt") != NULL, "rejected schema reported (%s)", err);

	snprintf(ddl, sizeof(ddl), "CREATE TABLE %s.customers (id int PRIMARY KEY, name text)", v.scratch);
	rc = datagen_validate(&v, ddl, sqls, execute, 1, ok, NULL, err, sizeof(err));
	tap_ok(rc == 0 && ok[0], "connection usable after a rejected schema");

	datagen_server_stop(&srv);
	rc = datagen_validate(&v, ddl, sqls, execute, 1, ok, NULL, err, sizeof(err));
	tap_ok(rc == -1 && err[0], "dead server gives an error (%s)", err);
	datagen_validator_close(&v);

	rc = datagen_validator_open(&v, "host=/nonexistent/dir port=5432 dbname=postgres", err, sizeof(err));
	tap_ok(rc == -1 && strstr(err, "cannot connect") != NULL, "unreachable server: clear error (%s)", err);
	return tap_done();
}
