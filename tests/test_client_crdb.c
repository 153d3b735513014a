/*
 * test_client_crdb.c — the CockroachDB path of client/catalog.c after its
 * queries (sqlpilot_client_schema_from_crdb): recorded SHOW CREATE ALL
 * TABLES rows (tests/fixtures/crdb/, written from CockroachDB's documented
 * format) and rows of sqlpilot_crdb_tables_query go in; out come the tables
 * the role may use with their foreign keys (from the ALTER TABLE rows) into
 * tables it may use, in order of schema and name, linked as neighbours, and
 * rendered with every key.  No server: the rows are given.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../client/catalog.h"
#include "schema.h"
#include "tap.h"
#include "util.h"

#define MAX_ROWS 64

/* Reads tests/fixtures/crdb/<name>.sql split at its "-- row" lines into rows (malloc'd each). */
static int
read_rows(const char *name, char **rows)
{
	const char *root = getenv("SQLPILOT_ROOT") ? getenv("SQLPILOT_ROOT") : ".";
	char		path[1024];
	char		err[256];
	size_t		len;
	char	   *text;
	const char *p;
	int			n = 0;

	snprintf(path, sizeof(path), "%s/tests/fixtures/crdb/%s.sql", root, name);
	text = sqlpilot_read_file(path, &len, err, sizeof(err));
	if (text == NULL)
	{
		tap_diag("%s", err);
		return 0;
	}
	p = strstr(text, "-- row\n");
	while (p != NULL && n < MAX_ROWS)
	{
		const char *start = p + 7;
		const char *next = strstr(start, "-- row\n");

		rows[n++] = strndup(start, next ? (size_t) (next - start) : strlen(start));
		p = next;
	}
	free(text);
	return n;
}

/* Frees rows[0..n). */
static void
free_rows(char **rows, int n)
{
	for (int i = 0; i < n; i++)
		free(rows[i]);
}

/* The index of the table named name in s, or -1. */
static int
find(const SqlpilotClientSchema *s, const char *name)
{
	for (int i = 0; i < s->n_tables; i++)
		if (strcmp(s->tables[i].table.name, name) == 0)
			return i;
	return -1;
}

/* Whether tables a and b of s are neighbours (either way round). */
static bool
linked(const SqlpilotClientSchema *s, int a, int b)
{
	bool		ab = false;
	bool		ba = false;

	if (a < 0 || b < 0)
		return false;
	for (int k = 0; k < s->tables[a].n_neighbours; k++)
		ab = ab || s->tables[a].neighbours[k] == b;
	for (int k = 0; k < s->tables[b].n_neighbours; k++)
		ba = ba || s->tables[b].neighbours[k] == a;
	return ab && ba;
}

/* The schema rendered (CockroachDB style) as the prompt shows it; malloc'd. */
static char *
render(const SqlpilotClientSchema *s)
{
	SqlpilotTable *t = malloc(sizeof(SqlpilotTable) * (s->n_tables + 1));
	char	   *text;

	for (int i = 0; i < s->n_tables; i++)
		t[i] = s->tables[i].table;
	text = sqlpilot_schema_render(t, s->n_tables, SQLPILOT_DDL_CRDB, NULL, NULL);
	free(t);
	return text;
}

/* Every table visible: three tables, the ALTER TABLE foreign keys on them, links both ways. */
static void
test_all_visible(char **rows, int n)
{
	const char *visible[] = {"public", "rides", "public", "users", "public", "vehicles"};
	SqlpilotClientSchema s;
	int			failed = -1;
	char		err[256];
	int			rides;
	int			users;
	int			vehicles;
	char	   *text;

	tap_ok(sqlpilot_client_schema_from_crdb((const char *const *) rows, n, visible, 3, &s,
											&failed, err, sizeof(err)) == 0 &&
		   s.n_tables == 3 && failed == 0,
		   "all_tables: 3 tables from %d rows (views, sequences, VALIDATE rows skipped) (%s)", n, err);
	rides = find(&s, "rides");
	users = find(&s, "users");
	vehicles = find(&s, "vehicles");
	tap_ok(rides == 0 && users == 1 && vehicles == 2,
		   "tables in order of schema and name, not of the rows");
	tap_ok(rides >= 0 && s.tables[rides].table.n_fkeys == 2 &&
		   vehicles >= 0 && s.tables[vehicles].table.n_fkeys == 1 &&
		   users >= 0 && s.tables[users].table.n_fkeys == 0,
		   "the ALTER TABLE ... ADD CONSTRAINT ... FOREIGN KEY rows are attached to their tables");
	tap_ok(vehicles >= 0 && s.tables[vehicles].table.fkeys[0].n_cols == 2 &&
		   strcmp(s.tables[vehicles].table.fkeys[0].cols[1], "owner_id") == 0 &&
		   strcmp(s.tables[vehicles].table.fkeys[0].ref_cols[1], "id") == 0,
		   "a multi-column foreign key keeps both columns on each side");
	tap_ok(linked(&s, rides, users) && linked(&s, rides, vehicles) && linked(&s, vehicles, users),
		   "the foreign keys link the tables as neighbours, both ways");
	text = render(&s);
	tap_ok(text && strstr(text, "REFERENCES public.vehicles(city, id) ON DELETE CASCADE") &&
		   strstr(text, "CONSTRAINT vehicles_city_owner_id_fkey FOREIGN KEY (city, owner_id) "
				  "REFERENCES public.users(city, id)"),
		   "the rendered schema (what the model sees) shows the foreign keys");
	free(text);
	sqlpilot_client_schema_free(&s);
}

/* A role that may not use users: it goes, and so do the foreign keys into it. */
static void
test_filtered(char **rows, int n)
{
	const char *visible[] = {"public", "vehicles", "public", "rides"};
	SqlpilotClientSchema s;
	int			failed;
	char		err[256];
	int			rides;
	int			vehicles;
	char	   *text;

	tap_ok(sqlpilot_client_schema_from_crdb((const char *const *) rows, n, visible, 2, &s,
											&failed, err, sizeof(err)) == 0 &&
		   s.n_tables == 2 && find(&s, "users") < 0,
		   "a table the tables query does not list is left out");
	rides = find(&s, "rides");
	vehicles = find(&s, "vehicles");
	tap_ok(rides >= 0 && vehicles >= 0 && s.tables[rides].table.n_fkeys == 1 &&
		   strcmp(s.tables[rides].table.fkeys[0].ref_table, "vehicles") == 0 &&
		   s.tables[vehicles].table.n_fkeys == 0,
		   "foreign keys into the hidden table are dropped, the others kept");
	tap_ok(linked(&s, rides, vehicles) && s.tables[rides].n_neighbours == 1 &&
		   s.tables[vehicles].n_neighbours == 1,
		   "neighbours only among visible tables");
	text = render(&s);
	tap_ok(text && strstr(text, "public.users") == NULL && strstr(text, "REFERENCES public.vehicles"),
		   "the rendered schema neither defines nor references the hidden table");
	free(text);
	sqlpilot_client_schema_free(&s);
}

/* Names must match exactly, schema included; nothing listed: nothing shown. */
static void
test_no_match(char **rows, int n)
{
	const char *other_schema[] = {"movr", "rides", "movr", "users"};
	const char *case_differs[] = {"public", "Rides"};
	SqlpilotClientSchema s;
	int			failed;
	char		err[256];

	tap_ok(sqlpilot_client_schema_from_crdb((const char *const *) rows, n, other_schema, 2, &s,
											&failed, err, sizeof(err)) == 0 && s.n_tables == 0,
		   "the same names in another schema do not make a table visible");
	sqlpilot_client_schema_free(&s);
	tap_ok(sqlpilot_client_schema_from_crdb((const char *const *) rows, n, case_differs, 1, &s,
											&failed, err, sizeof(err)) == 0 && s.n_tables == 0,
		   "names compare exactly (\"Rides\" is not rides)");
	sqlpilot_client_schema_free(&s);
	tap_ok(sqlpilot_client_schema_from_crdb((const char *const *) rows, n, NULL, 0, &s,
											&failed, err, sizeof(err)) == 0 && s.n_tables == 0,
		   "a role that may use no table sees none");
	sqlpilot_client_schema_free(&s);
	tap_ok(sqlpilot_client_schema_from_crdb(NULL, 0, other_schema, 2, &s,
											&failed, err, sizeof(err)) == 0 && s.n_tables == 0,
		   "no rows: an empty schema, no error");
	sqlpilot_client_schema_free(&s);
}

/* Old versions print no schema; a row that does not parse is counted and skipped. */
static void
test_old_and_broken(void)
{
	char	   *rows[3];
	const char *visible[] = {"public", "drivers", "public", "good"};
	SqlpilotClientSchema s;
	int			failed = 0;
	char		err[256];
	const char *root = getenv("SQLPILOT_ROOT") ? getenv("SQLPILOT_ROOT") : ".";
	char		path[1024];
	size_t		len;

	snprintf(path, sizeof(path), "%s/tests/fixtures/crdb/drivers_v19.sql", root);
	rows[0] = sqlpilot_read_file(path, &len, err, sizeof(err));
	rows[1] = strdup("CREATE TABLE public.broken (\n\tx INT8");
	rows[2] = strdup("CREATE TABLE public.good (\n\tg INT8 NULL,\n\tFOREIGN KEY (g) REFERENCES "
					 "public.gone(id)\n);");
	tap_ok(rows[0] && sqlpilot_client_schema_from_crdb((const char *const *) rows, 3, visible, 2,
													   &s, &failed, err, sizeof(err)) == 0 &&
		   s.n_tables == 2 && failed == 1,
		   "a CREATE TABLE that does not parse is counted, the others read (%s)", err);
	tap_ok(find(&s, "drivers") >= 0 && s.tables[find(&s, "drivers")].table.schema == NULL,
		   "a table printed without a schema (v19) matches its name in the tables query");
	tap_ok(find(&s, "good") >= 0 && s.tables[find(&s, "good")].table.n_fkeys == 0 &&
		   s.tables[find(&s, "good")].n_neighbours == 0,
		   "a foreign key into a table the role cannot see is dropped");
	sqlpilot_client_schema_free(&s);
	free_rows(rows, 3);
}

int
main(void)
{
	char	   *rows[MAX_ROWS];
	int			n = read_rows("all_tables", rows);

	tap_ok(n == 11, "the all_tables fixture has 11 rows (%d)", n);
	test_all_visible(rows, n);
	test_filtered(rows, n);
	test_no_match(rows, n);
	test_old_and_broken();
	free_rows(rows, n);
	return tap_done();
}
