/*
 * catalog.c — reads the tables a client connection's role may use into
 * SqlpilotTable descriptions (see catalog.h).
 *
 * PostgreSQL: two round trips, each one query string run as one implicit
 * transaction that starts with SET LOCAL statement_timeout: the tables, then
 * by their OIDs (with SET LOCAL jit = off) their columns, indexes (with
 * PRIMARY KEY / UNIQUE constraints), foreign keys and checks.
 * The privilege rule is the extension's (extension/catalog.c): a table needs
 * USAGE on its schema and SELECT, INSERT, UPDATE or DELETE on the table or a
 * privilege on one of its columns; then only the columns the role may use
 * are shown, with no index, key or check that names a hidden one, and
 * foreign keys to tables the role may not use are dropped; so are a column
 * of the row type of such a table and a default, check or index whose
 * expression names one (NAMES_HIDDEN: a regclass constant such as
 * nextval('other_seq'), a serial's own sequence excepted), as in the
 * extension, found through pg_depend in the same round trip.  Every function,
 * operator and type is named with pg_catalog, whatever the search_path.
 * Arrays come back as JSON (to_json), parsed with cJSON.
 *
 * CockroachDB: one round trip of sqlpilot_crdb_tables_query (the tables the
 * role may use) and SHOW CREATE ALL TABLES, all of whose rows go to
 * sqlpilot_crdb_parse_all (client/crdb.c; the ALTER TABLE rows carry the
 * foreign keys), then sqlpilot_crdb_schema_filter keeps what the tables
 * query listed (sqlpilot_client_schema_from_crdb, testable without a server).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "catalog.h"
#include "crdb.h"
#include "pq.h"
#include "util.h"

#define EQ " OPERATOR(pg_catalog.=) "

/*
 * The tables in scope: the schemas of the search_path (as
 * current_schemas(false) resolves it) and the session's temporary schema
 * (shown as pg_temp), whose schema the role may use.  OFFSET 0 keeps it a
 * subquery, so the table privileges below are checked on these rows only,
 * not on the whole of pg_class.
 */
#define SCOPE_TABLES \
	"(SELECT c.oid, c.relname, c.relkind," \
	"   CASE WHEN n.oid" EQ "pg_catalog.pg_my_temp_schema() THEN 'pg_temp'::pg_catalog.name" \
	"   ELSE n.nspname END AS nspname" \
	" FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid" EQ "c.relnamespace" \
	" WHERE (n.nspname" EQ "ANY (pg_catalog.current_schemas(false))" \
	"        OR n.oid" EQ "pg_catalog.pg_my_temp_schema())" \
	"   AND c.relkind" EQ "ANY ('{r,p,f,v,m}'::pg_catalog.\"char\"[]) AND NOT c.relispartition" \
	"   AND NOT pg_catalog.pg_is_other_temp_schema(n.oid)" \
	"   AND pg_catalog.has_schema_privilege(n.oid, 'USAGE') OFFSET 0) t"

/*
 * Those the role may use (a privilege on the table or on one of its
 * columns); at most 2000, in order of schema and name (a prompt holds a few
 * dozen).
 */
#define IN_SCOPE \
	" FROM " SCOPE_TABLES \
	" WHERE (pg_catalog.has_table_privilege(t.oid, 'SELECT, INSERT, UPDATE, DELETE')" \
	"        OR pg_catalog.has_any_column_privilege(t.oid, 'SELECT, INSERT, UPDATE'))" \
	" ORDER BY t.nspname, t.relname LIMIT 2000"

/* The first round trip: the tables, views and materialized views. */
static const char *const tables_query =
"SELECT t.oid, t.nspname, t.relname, t.relkind,"
"   pg_catalog.has_table_privilege(t.oid, 'SELECT, INSERT, UPDATE')" IN_SCOPE;

/*
 * Whether the role may use the relation of pg_class row alias r: USAGE on
 * its schema and a privilege on it or on one of its columns (the listing's
 * rule, IN_SCOPE).
 */
#define USABLE(r) \
	"(pg_catalog.has_schema_privilege(" r ".relnamespace, 'USAGE')" \
	" AND (pg_catalog.has_table_privilege(" r ".oid, 'SELECT, INSERT, UPDATE, DELETE')" \
	"      OR pg_catalog.has_any_column_privilege(" r ".oid, 'SELECT, INSERT, UPDATE')))"

/*
 * Whether type t (or its element type) is the row type of a table, view or
 * materialized view the role may not use: format_type and pg_get_expr spell
 * it with the table's name (the extension's RowTypeHidden).  The columns
 * query asks only for types made after initdb (OID 16384 and up): the row
 * types below are the system catalogs', named in PostgreSQL's manual, and
 * asking for every column would cost a subquery each.
 */
#define ROWTYPE_HIDDEN(t) \
	"EXISTS (SELECT 1 FROM pg_catalog.pg_type rt_t" \
	" JOIN pg_catalog.pg_class rt_c ON rt_c.oid" EQ "rt_t.typrelid" \
	" WHERE rt_t.oid" EQ "ANY (ARRAY[" t ", (SELECT rt_e.typelem FROM pg_catalog.pg_type rt_e" \
	"                                  WHERE rt_e.oid" EQ t ")])" \
	"   AND rt_c.relkind OPERATOR(pg_catalog.<>) 'c'::pg_catalog.\"char\"" \
	"   AND NOT " USABLE("rt_c") ")"

/*
 * Whether relation r, named by a regclass constant of an expression of
 * table self, is one the role may not use (the extension's
 * RelationNameHidden): a table, view or materialized view by USABLE, an
 * index by its table, a sequence without USAGE on its schema and USAGE,
 * SELECT or UPDATE on it unless a column of self or of a table the role may
 * use owns it (a serial's sequence), a composite type never.
 */
#define REL_HIDDEN(r, self) \
	"EXISTS (SELECT 1 FROM pg_catalog.pg_class rh_r" \
	" LEFT JOIN pg_catalog.pg_index rh_i ON rh_i.indexrelid" EQ "rh_r.oid" \
	" LEFT JOIN pg_catalog.pg_class rh_t ON rh_t.oid" EQ "rh_i.indrelid" \
	" WHERE rh_r.oid" EQ r " AND rh_r.relkind OPERATOR(pg_catalog.<>) 'c'::pg_catalog.\"char\"" \
	"   AND NOT CASE WHEN rh_r.relkind" EQ "'S'::pg_catalog.\"char\" THEN" \
	"     (pg_catalog.has_schema_privilege(rh_r.relnamespace, 'USAGE')" \
	"      AND pg_catalog.has_sequence_privilege(rh_r.oid, 'USAGE, SELECT, UPDATE'))" \
	"     OR EXISTS (SELECT 1 FROM pg_catalog.pg_depend rh_d" \
	"       JOIN pg_catalog.pg_class rh_o ON rh_o.oid" EQ "rh_d.refobjid" \
	"       WHERE rh_d.classid" EQ "'pg_catalog.pg_class'::pg_catalog.regclass" \
	"         AND rh_d.objid" EQ "rh_r.oid" \
	"         AND rh_d.refclassid" EQ "'pg_catalog.pg_class'::pg_catalog.regclass" \
	"         AND rh_d.deptype" EQ "ANY ('{a,i}'::pg_catalog.\"char\"[])" \
	"         AND (rh_o.oid" EQ self " OR " USABLE("rh_o") "))" \
	"   WHEN rh_t.oid IS NOT NULL THEN " USABLE("rh_t") \
	"   ELSE " USABLE("rh_r") " END)"

/*
 * Whether the stored expression of object obj (of catalog cls) of table
 * self would spell the name of a relation the role may not use: PostgreSQL
 * records in pg_depend every relation a regclass constant names and every
 * type an expression holds or a regtype constant names
 * (recordDependencyOnExpr), so one index probe per expression finds them;
 * what it does not record (a regclass[] or regtype[] constant, a regclass or
 * regtype computed when it runs) is found in the stored node tree, tree,
 * and never shown (so the extension, which walks the tree).
 */
#define NAMES_HIDDEN(cls, obj, self, tree) \
	"(EXISTS (SELECT 1 FROM pg_catalog.pg_depend nh_d" \
	"  WHERE nh_d.classid" EQ "'pg_catalog." cls "'::pg_catalog.regclass AND nh_d.objid" EQ obj \
	"    AND ((nh_d.refclassid" EQ "'pg_catalog.pg_class'::pg_catalog.regclass" \
	"          AND nh_d.refobjid OPERATOR(pg_catalog.<>) " self " AND " REL_HIDDEN("nh_d.refobjid", self) ")" \
	"      OR (nh_d.refclassid" EQ "'pg_catalog.pg_type'::pg_catalog.regclass" \
	"          AND " ROWTYPE_HIDDEN("nh_d.refobjid") ")))" \
	" OR coalesce(" tree "::pg_catalog.text, '') OPERATOR(pg_catalog.~)" \
	"    ':(consttype 221[01]|funcresulttype 220[56]|resulttype 220[56]) ')"

/* The tables read in the first round trip: %2$s is their OIDs as an array literal. */
#define VISIBLE "ANY (%2$s::pg_catalog.oid[])"

/*
 * The second round trip, a printf format: %1$d the statement timeout, no JIT
 * (its compiling cost a read of 2,000 tables about a second, more than the
 * read), then the columns (with whether the role may use each), indexes,
 * foreign keys and checks of the tables read.
 */
static const char *const details_format =
"SET LOCAL statement_timeout = %1$d; SET LOCAL jit = off;"
"SELECT a.attrelid, a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod), a.attnotnull,"
"   CASE WHEN a.attgenerated" EQ "''::pg_catalog.\"char\" AND d.oid IS NOT NULL"
"         AND NOT " NAMES_HIDDEN("pg_attrdef", "d.oid", "d.adrelid", "d.adbin")
"        THEN pg_catalog.pg_get_expr(d.adbin, d.adrelid) END,"
"   pg_catalog.has_column_privilege(a.attrelid, a.attnum, 'SELECT, INSERT, UPDATE')"
"     AND NOT (a.atttypid OPERATOR(pg_catalog.>=) 16384::pg_catalog.oid"
"              AND " ROWTYPE_HIDDEN("a.atttypid") ")"
" FROM pg_catalog.pg_attribute a"
" LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid" EQ "a.attrelid AND d.adnum" EQ "a.attnum"
" WHERE a.attrelid" EQ VISIBLE " AND a.attnum OPERATOR(pg_catalog.>) 0::pg_catalog.int2"
"   AND NOT a.attisdropped"
" ORDER BY a.attrelid, a.attnum;"
/* indexes, primary key first; keys as names or expression texts, DESC and expression flags */
"SELECT i.indrelid, ic.relname, i.indisprimary, i.indisunique,"
"   coalesce(con.contype" EQ "'u'::pg_catalog.\"char\", false),"
"   pg_catalog.to_json(ARRAY(SELECT coalesce(a.attname::pg_catalog.text,"
"                         pg_catalog.pg_get_indexdef(i.indexrelid, k, true))"
"         FROM pg_catalog.generate_series(1, i.indnkeyatts) k"
"         LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid" EQ "i.indrelid"
"           AND a.attnum" EQ "i.indkey[k OPERATOR(pg_catalog.-) 1]"
"           AND a.attnum OPERATOR(pg_catalog.>) 0::pg_catalog.int2"
"         ORDER BY k)),"
"   pg_catalog.to_json(ARRAY(SELECT (i.indoption[k OPERATOR(pg_catalog.-) 1]::pg_catalog.int4"
"                 OPERATOR(pg_catalog.&) 1)" EQ "1"
"         FROM pg_catalog.generate_series(1, i.indnkeyatts) k ORDER BY k)),"
"   pg_catalog.to_json(ARRAY(SELECT i.indkey[k OPERATOR(pg_catalog.-) 1]" EQ "0::pg_catalog.int2"
"         FROM pg_catalog.generate_series(1, i.indnkeyatts) k ORDER BY k))"
" FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class ic ON ic.oid" EQ "i.indexrelid"
" LEFT JOIN pg_catalog.pg_constraint con"
"   ON con.conindid" EQ "i.indexrelid AND con.conrelid" EQ "i.indrelid"
"   AND con.contype" EQ "ANY ('{p,u}'::pg_catalog.\"char\"[])"
" WHERE i.indrelid" EQ VISIBLE
"   AND NOT ((i.indexprs IS NOT NULL OR i.indpred IS NOT NULL)"
"            AND " NAMES_HIDDEN("pg_class", "i.indexrelid", "i.indrelid",
								"pg_catalog.concat(i.indexprs, i.indpred)") ")"
" ORDER BY i.indrelid, NOT i.indisprimary, ic.relname;"
/* foreign keys whose target the role may use */
"SELECT con.conrelid, con.conname,"
"   pg_catalog.to_json(ARRAY(SELECT a.attname FROM pg_catalog.unnest(con.conkey) WITH ORDINALITY k(n, o)"
"         JOIN pg_catalog.pg_attribute a ON a.attrelid" EQ "con.conrelid AND a.attnum" EQ "k.n"
"         ORDER BY k.o)),"
"   CASE WHEN rn.oid" EQ "pg_catalog.pg_my_temp_schema() THEN 'pg_temp'::pg_catalog.name"
"   ELSE rn.nspname END, rc.relname, con.confrelid,"
"   pg_catalog.to_json(ARRAY(SELECT a.attname FROM pg_catalog.unnest(con.confkey) WITH ORDINALITY k(n, o)"
"         JOIN pg_catalog.pg_attribute a ON a.attrelid" EQ "con.confrelid AND a.attnum" EQ "k.n"
"         ORDER BY k.o)),"
"   con.confdeltype, con.confupdtype, rc.relnamespace" EQ "c.relnamespace"
" FROM pg_catalog.pg_constraint con"
" JOIN pg_catalog.pg_class c ON c.oid" EQ "con.conrelid"
" JOIN pg_catalog.pg_class rc ON rc.oid" EQ "con.confrelid"
" JOIN pg_catalog.pg_namespace rn ON rn.oid" EQ "rc.relnamespace"
" WHERE con.contype" EQ "'f'::pg_catalog.\"char\" AND con.conrelid" EQ VISIBLE
"   AND pg_catalog.has_schema_privilege(rn.oid, 'USAGE')"
"   AND pg_catalog.has_table_privilege(rc.oid, 'SELECT, INSERT, UPDATE, DELETE')"
" ORDER BY con.conrelid, con.conname;"
/* CHECK constraints */
"SELECT con.conrelid, con.conname, pg_catalog.pg_get_expr(con.conbin, con.conrelid, true)"
" FROM pg_catalog.pg_constraint con"
" WHERE con.contype" EQ "'c'::pg_catalog.\"char\" AND con.conrelid" EQ VISIBLE
"   AND NOT " NAMES_HIDDEN("pg_constraint", "con.oid", "con.conrelid", "con.conbin")
" ORDER BY con.conrelid, con.conname";

/* The first round trip's format: %1$d the statement timeout, %2$s the query. */
static const char *const first_format = "SET LOCAL statement_timeout = %1$d; %2$s";

/* One block of the arena that holds everything a schema points to. */
typedef struct ClientArena
{
	struct ClientArena *next;
	size_t		used;
	size_t		cap;
	char		data[];
} ClientArena;

#define ARENA_BLOCK 65536

/* The state of one read: the schema being filled, tables by OID, and hidden columns. */
typedef struct ReadState
{
	SqlpilotClientSchema *s;
	unsigned int *oids;			/* (n_tables) OID of each table */
	int		   *by_oid;			/* (n_tables) table indexes sorted by OID */
	bool	   *has_hidden;		/* (n_tables) some column is hidden from the role */
	bool	   *is_view;		/* (n_tables) a view shows columns only */
	bool		oom;
} ReadState;

/* n zeroed bytes (8-aligned) from s's arena; NULL (and rs->oom) when out of memory. */
static void *
ArenaAlloc(ReadState *rs, size_t n)
{
	ClientArena *a = rs->s->arena;

	n = (n + 7) & ~(size_t) 7;
	if (a == NULL || a->used + n > a->cap)
	{
		size_t		cap = n > ARENA_BLOCK ? n : ARENA_BLOCK;

		a = malloc(sizeof(ClientArena) + cap);
		if (a == NULL)
		{
			rs->oom = true;
			return NULL;
		}
		a->next = rs->s->arena;
		a->used = 0;
		a->cap = cap;
		rs->s->arena = a;
	}
	a->used += n;
	return memset(a->data + a->used - n, 0, n);
}

/* A copy of str in the arena (NULL stays NULL). */
static char *
ArenaStrdup(ReadState *rs, const char *str)
{
	char	   *p;

	if (str == NULL)
		return NULL;
	p = ArenaAlloc(rs, strlen(str) + 1);
	return p ? strcpy(p, str) : NULL;
}

void
sqlpilot_client_schema_free(SqlpilotClientSchema *s)
{
	while (s->arena != NULL)
	{
		ClientArena *next = s->arena->next;

		free(s->arena);
		s->arena = next;
	}
	s->tables = NULL;
	s->n_tables = 0;
}

/* Column col of row r as a string in the arena, NULL for SQL NULL. */
static char *
GetString(ReadState *rs, const PGresult *res, int r, int col)
{
	return PQgetisnull(res, r, col) ? NULL : ArenaStrdup(rs, PQgetvalue(res, r, col));
}

/* Column col of row r as a bool ("t"). */
static bool
GetBool(const PGresult *res, int r, int col)
{
	return PQgetvalue(res, r, col)[0] == 't';
}

/* Column col of row r as an OID. */
static unsigned int
GetOid(const PGresult *res, int r, int col)
{
	return (unsigned int) strtoul(PQgetvalue(res, r, col), NULL, 10);
}

/* A JSON array of strings (column col of row r) into the arena; returns the count, -1 if malformed. */
static int
GetJsonStrings(ReadState *rs, const PGresult *res, int r, int col, char ***out)
{
	cJSON	   *j = cJSON_Parse(PQgetvalue(res, r, col));
	int			n = cJSON_IsArray(j) ? cJSON_GetArraySize(j) : -1;

	*out = n >= 0 ? ArenaAlloc(rs, sizeof(char *) * (n > 0 ? n : 1)) : NULL;
	for (int i = 0; *out != NULL && i < n; i++)
	{
		cJSON	   *e = cJSON_GetArrayItem(j, i);

		(*out)[i] = ArenaStrdup(rs, cJSON_IsString(e) ? e->valuestring : "");
	}
	cJSON_Delete(j);
	return *out ? n : -1;
}

/* A JSON array of booleans into the arena; returns the count, -1 if malformed. */
static int
GetJsonBools(ReadState *rs, const PGresult *res, int r, int col, bool **out)
{
	cJSON	   *j = cJSON_Parse(PQgetvalue(res, r, col));
	int			n = cJSON_IsArray(j) ? cJSON_GetArraySize(j) : -1;

	*out = n >= 0 ? ArenaAlloc(rs, sizeof(bool) * (n > 0 ? n : 1)) : NULL;
	for (int i = 0; *out != NULL && i < n; i++)
		(*out)[i] = cJSON_IsTrue(cJSON_GetArrayItem(j, i));
	cJSON_Delete(j);
	return *out ? n : -1;
}

/* Orders table indexes by their OID (qsort_r argument: the OIDs). */
static int
CompareByOid(const void *a, const void *b, void *arg)
{
	const unsigned int *oids = arg;
	unsigned int x = oids[*(const int *) a];
	unsigned int y = oids[*(const int *) b];

	return (x > y) - (x < y);
}

/* The index of the table with this OID, or -1. */
static int
FindTable(const ReadState *rs, unsigned int oid)
{
	int			lo = 0;
	int			hi = rs->s->n_tables - 1;

	while (lo <= hi)
	{
		int			mid = (lo + hi) / 2;
		unsigned int m = rs->oids[rs->by_oid[mid]];

		if (m == oid)
			return rs->by_oid[mid];
		if (m < oid)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return -1;
}

/* Per table, how many rows of res (column 0: the table's OID) name it, into counts. */
static void
CountRows(const ReadState *rs, const PGresult *res, int *counts)
{
	memset(counts, 0, sizeof(int) * rs->s->n_tables);
	for (int r = 0; r < PQntuples(res); r++)
	{
		int			ti = FindTable(rs, GetOid(res, r, 0));

		if (ti >= 0)
			counts[ti]++;
	}
}

/* Whether every name is a visible column of t. */
static bool
ColumnsVisible(const SqlpilotTable *t, char **names, int n)
{
	for (int i = 0; i < n; i++)
	{
		bool		found = false;

		for (int c = 0; c < t->n_columns && !found; c++)
			found = strcmp(t->columns[c].name, names[i]) == 0;
		if (!found)
			return false;
	}
	return true;
}

/* The SQL words of a foreign key action code, NULL for NO ACTION. */
static const char *
FkeyAction(char code)
{
	switch (code)
	{
		case 'r':
			return "RESTRICT";
		case 'c':
			return "CASCADE";
		case 'n':
			return "SET NULL";
		case 'd':
			return "SET DEFAULT";
		default:
			return NULL;
	}
}

/* Fills the tables from the first round trip: OID, schema, name, relkind, all columns visible. */
static void
ReadTables(ReadState *rs, const PGresult *res)
{
	SqlpilotClientSchema *s = rs->s;
	int			n = PQntuples(res);

	s->tables = ArenaAlloc(rs, sizeof(SqlpilotClientTable) * (n > 0 ? n : 1));
	rs->oids = ArenaAlloc(rs, sizeof(unsigned int) * (n > 0 ? n : 1));
	rs->by_oid = ArenaAlloc(rs, sizeof(int) * (n > 0 ? n : 1));
	rs->has_hidden = ArenaAlloc(rs, sizeof(bool) * (n > 0 ? n : 1));
	rs->is_view = ArenaAlloc(rs, sizeof(bool) * (n > 0 ? n : 1));
	if (rs->oom)
		return;
	for (int r = 0; r < n; r++)
	{
		SqlpilotTable *t = &s->tables[r].table;
		char		kind = PQgetvalue(res, r, 3)[0];

		rs->oids[r] = GetOid(res, r, 0);
		rs->by_oid[r] = r;
		t->schema = GetString(rs, res, r, 1);
		t->name = GetString(rs, res, r, 2);
		rs->is_view[r] = kind == 'v' || kind == 'm';
		rs->has_hidden[r] = !GetBool(res, r, 4);
	}
	s->n_tables = n;
	qsort_r(rs->by_oid, n, sizeof(int), CompareByOid, rs->oids);
}

/* The visible columns of each table. */
static void
ReadColumns(ReadState *rs, const PGresult *res, int *counts)
{
	SqlpilotClientSchema *s = rs->s;

	CountRows(rs, res, counts);
	for (int i = 0; i < s->n_tables && !rs->oom; i++)
		s->tables[i].table.columns = ArenaAlloc(rs, sizeof(SqlpilotColumn) * (counts[i] + 1));
	for (int r = 0; r < PQntuples(res) && !rs->oom; r++)
	{
		int			ti = FindTable(rs, GetOid(res, r, 0));
		SqlpilotTable *t;
		SqlpilotColumn *c;

		if (ti < 0)
			continue;
		if (!GetBool(res, r, 5))
		{
			rs->has_hidden[ti] = true;
			continue;
		}
		t = &s->tables[ti].table;
		c = &t->columns[t->n_columns++];
		c->name = GetString(rs, res, r, 1);
		c->type = GetString(rs, res, r, 2);
		c->not_null = GetBool(res, r, 3);
		c->default_expr = GetString(rs, res, r, 4);
	}
}

/* Indexes and PRIMARY KEY / UNIQUE constraints on visible columns only. */
static void
ReadIndexes(ReadState *rs, const PGresult *res, int *counts)
{
	SqlpilotClientSchema *s = rs->s;

	CountRows(rs, res, counts);
	for (int i = 0; i < s->n_tables && !rs->oom; i++)
		s->tables[i].table.indexes = ArenaAlloc(rs, sizeof(SqlpilotIndex) * (counts[i] + 1));
	for (int r = 0; r < PQntuples(res) && !rs->oom; r++)
	{
		int			ti = FindTable(rs, GetOid(res, r, 0));
		SqlpilotTable *t;
		SqlpilotIndex ix = {0};
		bool		hidden = false;

		if (ti < 0 || rs->is_view[ti])
			continue;
		t = &s->tables[ti].table;
		ix.name = GetString(rs, res, r, 1);
		ix.primary = GetBool(res, r, 2);
		ix.unique = GetBool(res, r, 3);
		ix.is_constraint = GetBool(res, r, 4);
		ix.n_cols = GetJsonStrings(rs, res, r, 5, &ix.cols);
		if (ix.n_cols < 0 || GetJsonBools(rs, res, r, 6, &ix.desc) != ix.n_cols ||
			GetJsonBools(rs, res, r, 7, &ix.expr) != ix.n_cols)
			continue;
		/* an expression may name any column: shown only when none is hidden */
		for (int k = 0; k < ix.n_cols; k++)
			hidden = hidden || (rs->has_hidden[ti] && ix.expr[k]);
		if (hidden || (rs->has_hidden[ti] && !ColumnsVisible(t, ix.cols, ix.n_cols)))
			continue;
		t->indexes[t->n_indexes++] = ix;
	}
}

/* Adds b to a's neighbours and a to b's (capacity: the counts of ReadForeignKeys). */
static void
AddNeighbours(SqlpilotClientSchema *s, int a, int b)
{
	SqlpilotClientTable *ta = &s->tables[a];
	SqlpilotClientTable *tb = &s->tables[b];

	for (int i = 0; i < ta->n_neighbours; i++)
		if (ta->neighbours[i] == b)
			return;
	ta->neighbours[ta->n_neighbours++] = b;
	tb->neighbours[tb->n_neighbours++] = a;
}

/* Foreign keys on visible columns, and the neighbour links they make. */
static void
ReadForeignKeys(ReadState *rs, const PGresult *res, int *counts)
{
	SqlpilotClientSchema *s = rs->s;
	int			rows = PQntuples(res);

	/* a key links its table and its target: room for one neighbour per row at each end */
	CountRows(rs, res, counts);
	for (int r = 0; r < rows; r++)
	{
		int			target = FindTable(rs, GetOid(res, r, 5));

		if (target >= 0)
			counts[target]++;
	}
	for (int i = 0; i < s->n_tables && !rs->oom; i++)
	{
		s->tables[i].table.fkeys = ArenaAlloc(rs, sizeof(SqlpilotForeignKey) * (counts[i] + 1));
		s->tables[i].neighbours = ArenaAlloc(rs, sizeof(int) * (counts[i] + 1));
	}
	for (int r = 0; r < rows && !rs->oom; r++)
	{
		int			ti = FindTable(rs, GetOid(res, r, 0));
		int			target = FindTable(rs, GetOid(res, r, 5));
		SqlpilotTable *t;
		SqlpilotForeignKey fk = {0};

		if (ti < 0 || rs->is_view[ti])
			continue;
		t = &s->tables[ti].table;
		fk.name = GetString(rs, res, r, 1);
		fk.n_cols = GetJsonStrings(rs, res, r, 2, &fk.cols);
		fk.ref_schema = GetBool(res, r, 9) ? NULL : GetString(rs, res, r, 3);
		fk.ref_table = GetString(rs, res, r, 4);
		if (fk.n_cols < 0 || GetJsonStrings(rs, res, r, 6, &fk.ref_cols) != fk.n_cols)
			continue;
		fk.on_delete = ArenaStrdup(rs, FkeyAction(PQgetvalue(res, r, 7)[0]));
		fk.on_update = ArenaStrdup(rs, FkeyAction(PQgetvalue(res, r, 8)[0]));
		if (rs->has_hidden[ti] && !ColumnsVisible(t, fk.cols, fk.n_cols))
			continue;
		t->fkeys[t->n_fkeys++] = fk;
		if (target >= 0 && target != ti)
			AddNeighbours(s, ti, target);
	}
}

/* CHECK constraints (none for a table with hidden columns). */
static void
ReadChecks(ReadState *rs, const PGresult *res, int *counts)
{
	SqlpilotClientSchema *s = rs->s;

	CountRows(rs, res, counts);
	for (int i = 0; i < s->n_tables && !rs->oom; i++)
		s->tables[i].table.checks = ArenaAlloc(rs, sizeof(SqlpilotCheck) * (counts[i] + 1));
	for (int r = 0; r < PQntuples(res) && !rs->oom; r++)
	{
		int			ti = FindTable(rs, GetOid(res, r, 0));
		SqlpilotTable *t;
		SqlpilotCheck *ck;

		if (ti < 0 || rs->is_view[ti] || rs->has_hidden[ti])
			continue;
		t = &s->tables[ti].table;
		ck = &t->checks[t->n_checks++];
		ck->name = GetString(rs, res, r, 1);
		ck->expr = GetString(rs, res, r, 2);
	}
}

/* Copies the strings and arrays of a table parsed by client/crdb.c into the arena. */
static void
CopyTable(ReadState *rs, const SqlpilotTable *src, SqlpilotTable *dst)
{
	*dst = *src;
	dst->schema = ArenaStrdup(rs, src->schema);
	dst->name = ArenaStrdup(rs, src->name);
	dst->columns = ArenaAlloc(rs, sizeof(SqlpilotColumn) * (src->n_columns + 1));
	dst->indexes = ArenaAlloc(rs, sizeof(SqlpilotIndex) * (src->n_indexes + 1));
	dst->fkeys = ArenaAlloc(rs, sizeof(SqlpilotForeignKey) * (src->n_fkeys + 1));
	dst->checks = ArenaAlloc(rs, sizeof(SqlpilotCheck) * (src->n_checks + 1));
	if (rs->oom)
		return;
	for (int i = 0; i < src->n_columns; i++)
	{
		dst->columns[i] = src->columns[i];
		dst->columns[i].name = ArenaStrdup(rs, src->columns[i].name);
		dst->columns[i].type = ArenaStrdup(rs, src->columns[i].type);
		dst->columns[i].default_expr = ArenaStrdup(rs, src->columns[i].default_expr);
	}
	for (int i = 0; i < src->n_indexes && !rs->oom; i++)
	{
		const SqlpilotIndex *s = &src->indexes[i];
		SqlpilotIndex *d = &dst->indexes[i];

		*d = *s;
		d->name = ArenaStrdup(rs, s->name);
		d->cols = ArenaAlloc(rs, sizeof(char *) * (s->n_cols + 1));
		d->desc = ArenaAlloc(rs, sizeof(bool) * (s->n_cols + 1));
		d->expr = s->expr ? ArenaAlloc(rs, sizeof(bool) * (s->n_cols + 1)) : NULL;
		for (int k = 0; k < s->n_cols && !rs->oom; k++)
		{
			d->cols[k] = ArenaStrdup(rs, s->cols[k]);
			d->desc[k] = s->desc ? s->desc[k] : false;
			if (d->expr)
				d->expr[k] = s->expr[k];
		}
	}
	for (int i = 0; i < src->n_fkeys && !rs->oom; i++)
	{
		const SqlpilotForeignKey *s = &src->fkeys[i];
		SqlpilotForeignKey *d = &dst->fkeys[i];

		*d = *s;
		d->name = ArenaStrdup(rs, s->name);
		d->ref_schema = ArenaStrdup(rs, s->ref_schema);
		d->ref_table = ArenaStrdup(rs, s->ref_table);
		d->on_delete = ArenaStrdup(rs, s->on_delete);
		d->on_update = ArenaStrdup(rs, s->on_update);
		d->cols = ArenaAlloc(rs, sizeof(char *) * (s->n_cols + 1));
		d->ref_cols = ArenaAlloc(rs, sizeof(char *) * (s->n_cols + 1));
		for (int k = 0; k < s->n_cols && !rs->oom; k++)
		{
			d->cols[k] = ArenaStrdup(rs, s->cols[k]);
			d->ref_cols[k] = ArenaStrdup(rs, s->ref_cols[k]);
		}
	}
	for (int i = 0; i < src->n_checks && !rs->oom; i++)
	{
		dst->checks[i].name = ArenaStrdup(rs, src->checks[i].name);
		dst->checks[i].expr = ArenaStrdup(rs, src->checks[i].expr);
	}
}

/* The table (other than a) that foreign key fk of table a points to, or -1. */
static int
CrdbTarget(const SqlpilotClientSchema *s, int a, const SqlpilotForeignKey *fk)
{
	const char *schema = fk->ref_schema ? fk->ref_schema : s->tables[a].table.schema;

	for (int b = 0; b < s->n_tables; b++)
		if (b != a && fk->ref_table && strcmp(fk->ref_table, s->tables[b].table.name) == 0 &&
			strcmp(schema ? schema : "", s->tables[b].table.schema ? s->tables[b].table.schema : "") == 0)
			return b;
	return -1;
}

/* The (schema, name) rows of sqlpilot_crdb_tables_query, sorted for lookups. */
typedef struct CrdbVisible
{
	const char *const *rows;	/* rows[2 * i] schema, rows[2 * i + 1] name */
	int		   *order;			/* row indexes sorted by (schema, name) */
	int			n;
} CrdbVisible;

/* Orders (schema, name) pairs by strcmp; a NULL schema sorts first. */
static int
ComparePair(const char *sa, const char *na, const char *sb, const char *nb)
{
	int			c = strcmp(sa ? sa : "", sb ? sb : "");

	return c != 0 ? c : strcmp(na ? na : "", nb ? nb : "");
}

/* Orders row indexes of CrdbVisible (qsort_r argument: the rows). */
static int
CompareVisibleRows(const void *a, const void *b, void *arg)
{
	const char *const *rows = arg;
	int			x = *(const int *) a;
	int			y = *(const int *) b;

	return ComparePair(rows[2 * x], rows[2 * x + 1], rows[2 * y], rows[2 * y + 1]);
}

/*
 * The filter of sqlpilot_crdb_schema_filter: whether the tables query
 * listed (schema, name).  A table printed without a schema (CockroachDB
 * before v20.2) matches that name in any schema.
 */
static bool
CrdbIsVisible(const char *schema, const char *name, void *arg)
{
	const CrdbVisible *v = arg;
	int			lo = 0;
	int			hi = v->n - 1;

	if (name == NULL)
		return false;
	if (schema == NULL)
	{
		for (int i = 0; i < v->n; i++)
			if (v->rows[2 * i + 1] && strcmp(v->rows[2 * i + 1], name) == 0)
				return true;
		return false;
	}
	while (lo <= hi)
	{
		int			mid = (lo + hi) / 2;
		int			r = v->order[mid];
		int			c = ComparePair(v->rows[2 * r], v->rows[2 * r + 1], schema, name);

		if (c == 0)
			return true;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return false;
}

/* Orders parsed tables by schema, then name (the order of the PostgreSQL path). */
static int
CompareTables(const void *a, const void *b)
{
	const SqlpilotTable *x = a;
	const SqlpilotTable *y = b;

	return ComparePair(x->schema, x->name, y->schema, y->name);
}

/*
 * Copies the tables of a parsed and filtered SHOW CREATE ALL TABLES into
 * the schema and links tables by their foreign keys.
 */
static void
CopyCrdbTables(ReadState *rs, const SqlpilotCrdbSchema *parsed)
{
	SqlpilotClientSchema *s = rs->s;
	int			n = parsed->n_tables;

	s->tables = ArenaAlloc(rs, sizeof(SqlpilotClientTable) * (n > 0 ? n : 1));
	for (int i = 0; i < n && !rs->oom; i++)
		CopyTable(rs, &parsed->tables[i], &s->tables[s->n_tables++].table);
	/* pass 0 counts each table's links (its keys and the keys to it), pass 1 records them */
	for (int pass = 0; pass < 2 && !rs->oom; pass++)
	{
		for (int a = 0; a < s->n_tables; a++)
			for (int k = 0; k < s->tables[a].table.n_fkeys; k++)
			{
				int			b = CrdbTarget(s, a, &s->tables[a].table.fkeys[k]);

				if (b >= 0 && pass == 1)
					AddNeighbours(s, a, b);
				else if (b >= 0)
				{
					s->tables[a].n_neighbours++;
					s->tables[b].n_neighbours++;
				}
			}
		for (int a = 0; pass == 0 && a < s->n_tables; a++)
		{
			s->tables[a].neighbours = ArenaAlloc(rs, sizeof(int) * (s->tables[a].n_neighbours + 1));
			s->tables[a].n_neighbours = 0;
		}
	}
}

/* See catalog.h. */
int
sqlpilot_client_schema_from_crdb(const char *const *create_rows, int n_create,
								 const char *const *visible, int n_visible,
								 SqlpilotClientSchema *out, int *n_failed,
								 char *err, size_t errlen)
{
	ReadState	rs = {0};
	SqlpilotCrdbSchema parsed;
	CrdbVisible v = {visible, NULL, n_visible};
	char		perr[256];

	memset(out, 0, sizeof(*out));
	err[0] = '\0';
	*n_failed = 0;
	rs.s = out;
	v.order = malloc(sizeof(int) * (n_visible > 0 ? n_visible : 1));
	if (v.order == NULL ||
		sqlpilot_crdb_parse_all(create_rows, NULL, n_create, &parsed, perr, sizeof(perr)) != 0)
	{
		free(v.order);
		snprintf(err, errlen, "out of memory reading the catalog");
		return -1;
	}
	for (int i = 0; i < n_visible; i++)
		v.order[i] = i;
	qsort_r(v.order, n_visible, sizeof(int), CompareVisibleRows, (void *) visible);
	sqlpilot_crdb_schema_filter(&parsed, CrdbIsVisible, &v);
	qsort(parsed.tables, parsed.n_tables, sizeof(SqlpilotTable), CompareTables);
	*n_failed = parsed.n_failed;
	CopyCrdbTables(&rs, &parsed);
	sqlpilot_crdb_schema_free(&parsed);
	free(v.order);
	if (rs.oom)
	{
		sqlpilot_client_schema_free(out);
		snprintf(err, errlen, "out of memory reading the catalog");
		return -1;
	}
	return 0;
}

/*
 * CockroachDB: the rows of the tables query (res_tables) and of SHOW CREATE
 * ALL TABLES (res_create) into the schema; -1 with err when out of memory.
 */
static int
ReadCrdbTables(const PGresult *res_tables, const PGresult *res_create,
			   SqlpilotClientSchema *out, char *err, size_t errlen)
{
	int			n_create = PQntuples(res_create);
	int			n_visible = PQntuples(res_tables);
	const char **create_rows = malloc(sizeof(char *) * (n_create + 1));
	const char **visible = malloc(sizeof(char *) * (2 * n_visible + 1));
	int			n_failed;
	int			rc = -1;

	if (create_rows != NULL && visible != NULL && PQnfields(res_tables) >= 2 &&
		PQnfields(res_create) >= 1)
	{
		for (int r = 0; r < n_create; r++)
			create_rows[r] = PQgetvalue(res_create, r, 0);
		for (int r = 0; r < n_visible; r++)
		{
			visible[2 * r] = PQgetisnull(res_tables, r, 0) ? NULL : PQgetvalue(res_tables, r, 0);
			visible[2 * r + 1] = PQgetvalue(res_tables, r, 1);
		}
		rc = sqlpilot_client_schema_from_crdb(create_rows, n_create, visible, n_visible,
											  out, &n_failed, err, errlen);
	}
	else
		snprintf(err, errlen, create_rows && visible ? "the catalog query gave too few columns" :
				 "out of memory reading the catalog");
	free(create_rows);
	free(visible);
	return rc;
}

/* A notice receiver that drops the notices of our queries. */
static void
QuietReceiver(void *arg, const PGresult *res)
{
}

/*
 * Sends sql on conn and reads up to max results until deadline_ms; past it,
 * cancels and waits timeout_ms more.  Returns OK, FAILED (the first error
 * result's message in err) or GIVEN_UP.
 */
static SqlpilotReadStatus
RunQuery(PGconn *conn, const char *sql, int timeout_ms, double deadline_ms,
		 PGresult **res, int max, int *n, char *err, size_t errlen)
{
	bool		done;

	*n = 0;
	if (!PQsendQuery(conn, sql))
	{
		snprintf(err, errlen, "%s", PQerrorMessage(conn));
		return SQLPILOT_READ_FAILED;
	}
	done = sqlpilot_pq_read(conn, deadline_ms, NULL, res, max, n);
	if (!done)
	{
		sqlpilot_pq_cancel(conn);
		done = sqlpilot_pq_read(conn, sqlpilot_pq_now_ms() + timeout_ms, NULL, res, max, n);
	}
	if (!done)
	{
		snprintf(err, errlen, "the server did not answer within %d ms, nor %d ms after a cancel",
				 timeout_ms, timeout_ms);
		return SQLPILOT_READ_GIVEN_UP;
	}
	for (int i = 0; i < *n; i++)
		if (PQresultStatus(res[i]) != PGRES_TUPLES_OK && PQresultStatus(res[i]) != PGRES_COMMAND_OK)
		{
			const char *msg = PQresultErrorField(res[i], PG_DIAG_MESSAGE_PRIMARY);

			snprintf(err, errlen, "%s", msg ? msg : PQresultErrorMessage(res[i]));
			return SQLPILOT_READ_FAILED;
		}
	return SQLPILOT_READ_OK;
}

/* Asks the server what it is (one query, once per connection). */
static SqlpilotReadStatus
LearnKind(PGconn *conn, SqlpilotServerKind *kind, int timeout_ms, double deadline_ms,
		  char *err, size_t errlen)
{
	PGresult   *res[2];
	int			n;
	SqlpilotReadStatus st = RunQuery(conn, "SELECT pg_catalog.version()", timeout_ms, deadline_ms,
									 res, 2, &n, err, errlen);

	if (st == SQLPILOT_READ_OK && (n != 1 || PQntuples(res[0]) != 1))
	{
		snprintf(err, errlen, "version() gave no answer");
		st = SQLPILOT_READ_FAILED;
	}
	if (st == SQLPILOT_READ_OK)
		*kind = strstr(PQgetvalue(res[0], 0, 0), "CockroachDB") ?
			SQLPILOT_SERVER_CRDB : SQLPILOT_SERVER_POSTGRES;
	for (int i = 0; i < n; i++)
		PQclear(res[i]);
	return st;
}

/* The OIDs of the tables read, as a quoted array literal ('{1,2,3}'), malloc'd. */
static char *
OidLiteral(const ReadState *rs)
{
	SqlpilotBuf b = {0};

	sqlpilot_buf_puts(&b, "'{");
	for (int i = 0; i < rs->s->n_tables; i++)
		sqlpilot_buf_printf(&b, i > 0 ? ",%u" : "%u", rs->oids[i]);
	sqlpilot_buf_puts(&b, "}'");
	return sqlpilot_buf_finish(&b, NULL);
}

/*
 * Runs the query printf(format, timeout_ms, arg) (one implicit transaction:
 * SET LOCAL ends with it, even when a statement fails) and expects want
 * results; the caller PQclears res[0..*n).
 */
static SqlpilotReadStatus
RunStatements(PGconn *conn, const char *format, const char *arg, int timeout_ms,
			  double deadline_ms, PGresult **res, int want, int *n, char *err, size_t errlen)
{
	char	   *sql;
	SqlpilotReadStatus st;

	*n = 0;
	if (arg == NULL || asprintf(&sql, format, timeout_ms, arg) < 0)
	{
		snprintf(err, errlen, "out of memory");
		return SQLPILOT_READ_FAILED;
	}
	st = RunQuery(conn, sql, timeout_ms, deadline_ms, res, want, n, err, errlen);
	free(sql);
	if (st == SQLPILOT_READ_OK && *n != want)
	{
		snprintf(err, errlen, "the catalog query gave %d results, not %d", *n, want);
		st = SQLPILOT_READ_FAILED;
	}
	return st;
}

SqlpilotReadStatus
sqlpilot_client_read_schema(PGconn *conn, SqlpilotServerKind *kind, int timeout_ms,
							double deadline_ms, SqlpilotClientSchema *out,
							char *err, size_t errlen)
{
	ReadState	rs = {0};
	PGresult   *res[6];
	int			n = 0;
	int		   *counts = NULL;
	char	   *oids;
	PQnoticeReceiver old;
	SqlpilotReadStatus st;

	memset(out, 0, sizeof(*out));
	err[0] = '\0';
	if (PQstatus(conn) != CONNECTION_OK || PQtransactionStatus(conn) != PQTRANS_IDLE ||
		PQpipelineStatus(conn) != PQ_PIPELINE_OFF || PQisBusy(conn))
		return SQLPILOT_READ_SKIPPED;
	rs.s = out;
	old = PQsetNoticeReceiver(conn, QuietReceiver, NULL);
	st = *kind == SQLPILOT_SERVER_UNKNOWN ?
		LearnKind(conn, kind, timeout_ms, deadline_ms, err, errlen) : SQLPILOT_READ_OK;
	if (st == SQLPILOT_READ_OK && *kind == SQLPILOT_SERVER_CRDB)
	{
		/* the tables the role may use, then SHOW CREATE ALL TABLES: one implicit transaction */
		char	   *both = NULL;

		if (asprintf(&both, "%s; %s", sqlpilot_crdb_tables_query, sqlpilot_crdb_show_all_query) < 0)
			both = NULL;
		st = RunStatements(conn, first_format, both, timeout_ms, deadline_ms, res, 3, &n,
						   err, errlen);
		free(both);
		if (st == SQLPILOT_READ_OK && ReadCrdbTables(res[1], res[2], out, err, errlen) != 0)
			st = SQLPILOT_READ_FAILED;
	}
	else if (st == SQLPILOT_READ_OK)
	{
		st = RunStatements(conn, first_format, tables_query, timeout_ms, deadline_ms, res, 2, &n,
						   err, errlen);
		if (st == SQLPILOT_READ_OK)
			ReadTables(&rs, res[1]);
	}
	for (int i = 0; i < n; i++)
		PQclear(res[i]);
	n = 0;
	/* PostgreSQL: the details of those tables, by OID, in a second round trip */
	if (st == SQLPILOT_READ_OK && *kind == SQLPILOT_SERVER_POSTGRES && out->n_tables > 0 && !rs.oom)
	{
		oids = OidLiteral(&rs);
		st = RunStatements(conn, details_format, oids, timeout_ms, deadline_ms, res, 6, &n,
						   err, errlen);
		free(oids);
		counts = malloc(sizeof(int) * (out->n_tables + 1));
		rs.oom = rs.oom || counts == NULL;
		if (st == SQLPILOT_READ_OK && !rs.oom)
			ReadColumns(&rs, res[2], counts);
		if (st == SQLPILOT_READ_OK && !rs.oom)
			ReadIndexes(&rs, res[3], counts);
		if (st == SQLPILOT_READ_OK && !rs.oom)
			ReadForeignKeys(&rs, res[4], counts);
		if (st == SQLPILOT_READ_OK && !rs.oom)
			ReadChecks(&rs, res[5], counts);
		free(counts);
	}
	PQsetNoticeReceiver(conn, old, NULL);
	if (st == SQLPILOT_READ_OK && rs.oom)
	{
		snprintf(err, errlen, "out of memory reading the catalog");
		st = SQLPILOT_READ_FAILED;
	}
	for (int i = 0; i < n; i++)
		PQclear(res[i]);
	if (st != SQLPILOT_READ_OK)
		sqlpilot_client_schema_free(out);
	return st;
}
