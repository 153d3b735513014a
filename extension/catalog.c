/*
 * catalog.c — reads the tables of the schemas in scope from the live catalog
 * into the core's SqlpilotTable descriptions (core/schema.h), which the one
 * renderer turns into the text the model was trained on.
 *
 * Reading comes in steps, so a schema of thousands of tables costs only
 * what the prompt needs: SqlpilotReadTables lists the visible tables, views,
 * materialized views and the session's temporary tables (names and rights),
 * only the first few hundred in order when there are more than a prompt
 * can hold (through pg_class_relname_nsp_index, schema by schema);
 * SqlpilotFindTables and SqlpilotReadTableByOid look up the tables the
 * prefix names and their neighbours beyond those; SqlpilotReadEdges finds
 * the foreign keys of the few tables the prefix names (through the indexes
 * of pg_constraint and pg_depend, not a pass over every constraint);
 * SqlpilotReadNamedTable looks up one table the prefix names with a schema
 * outside the scope; SqlpilotReadDetails reads the columns, keys, indexes
 * and checks of the few tables a prompt may hold.
 *
 * Only what the current role may use gets in: a table needs USAGE on its
 * schema and SELECT, INSERT, UPDATE or DELETE on the table (or on one of its
 * columns, in which case only those columns are shown, with no constraint
 * that names a hidden column).  Foreign keys to tables the role cannot use
 * are dropped, so their names never reach the prompt.  Tables come in a
 * stable order: schema name, then table name.
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "access/tableam.h"
#include "catalog/namespace.h"
#include "catalog/pg_authid.h"
#include "catalog/pg_class.h"
#include "catalog/pg_constraint.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/syscache.h"

#include "sqlpilot.h"

/*
 * Every query names its functions and operators with pg_catalog (and runs
 * with search_path pinned to pg_catalog, see PinSearchPath), so nothing a
 * role creates in a schema of the caller's search_path can run inside it.
 */
#define EQ " OPERATOR(pg_catalog.=) "

/*
 * The name a schema is shown with: the session's own temporary schema is
 * pg_temp (how a user names it); other sessions' are never read.
 */
#define SCHEMA_NAME(n) \
	"CASE WHEN " n ".oid" EQ "pg_catalog.pg_my_temp_schema() THEN 'pg_temp'::pg_catalog.name" \
	" ELSE " n ".nspname END"

/*
 * The table, view or materialized view named schema $1, table $2, wherever
 * it is, when the role may use its schema, with its ACL and owner: the
 * table privileges are checked in C (TableRight).
 */
static const char *const named_table_query =
"SELECT c.oid, " SCHEMA_NAME("n") ", c.relname, c.relacl, c.relowner, c.relkind"
" FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid" EQ "c.relnamespace"
" WHERE n.nspname" EQ "$1 AND c.relname" EQ "$2"
"   AND c.relkind" EQ "ANY ('{r,p,f,v,m}'::pg_catalog.\"char\"[]) AND NOT c.relispartition"
"   AND NOT pg_catalog.pg_is_other_temp_schema(n.oid)"
"   AND pg_catalog.has_schema_privilege(n.oid, 'USAGE')";

/*
 * The foreign keys from or to the tables $1, with their key columns: the
 * neighbours of those tables in the choice of tables (kept when both ends
 * are visible; the privileges are checked in C).  Those to a table are found
 * through pg_depend's index on the referenced object (a foreign key depends
 * on the referenced columns, $2 = pg_constraint, $3 = pg_class), since
 * pg_constraint has no index on confrelid; a scan of every constraint would
 * cost each new backend a pass over pg_constraint.
 */
static const char *const edges_query =
"SELECT con.oid, con.conrelid, con.confrelid, con.conkey, con.conname"
" FROM pg_catalog.pg_constraint con"
" WHERE con.conrelid" EQ "ANY ($1) AND con.contype" EQ "'f'::pg_catalog.\"char\""
" UNION "
"SELECT con.oid, con.conrelid, con.confrelid, con.conkey, con.conname"
" FROM pg_catalog.pg_depend d JOIN pg_catalog.pg_constraint con ON con.oid" EQ "d.objid"
" WHERE d.refclassid" EQ "$3 AND d.refobjid" EQ "ANY ($1) AND d.classid" EQ "$2"
"   AND con.contype" EQ "'f'::pg_catalog.\"char\" AND con.confrelid" EQ "d.refobjid"
" ORDER BY 2, 5";

/* The columns of the tables $1, with whether the role may use each. */
static const char *const columns_query =
"SELECT a.attrelid, a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod), a.attnotnull,"
"   CASE WHEN a.attgenerated" EQ "''::pg_catalog.\"char\""
"        THEN pg_catalog.pg_get_expr(d.adbin, d.adrelid) END,"
"   pg_catalog.has_column_privilege(a.attrelid, a.attnum, 'SELECT, INSERT, UPDATE')"
" FROM pg_catalog.pg_attribute a"
" LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid" EQ "a.attrelid AND d.adnum" EQ "a.attnum"
" WHERE a.attrelid" EQ "ANY ($1) AND a.attnum OPERATOR(pg_catalog.>) 0::pg_catalog.int2"
"   AND NOT a.attisdropped"
" ORDER BY a.attrelid, a.attnum";

/*
 * Indexes and the PRIMARY KEY / UNIQUE constraints behind them, primary key
 * first; each key is a column's name (unquoted: the renderer quotes) or an
 * expression's text, flagged in the last array.
 */
static const char *const indexes_query =
"SELECT i.indrelid, ic.relname, i.indisprimary, i.indisunique,"
"   coalesce(con.contype" EQ "'u'::pg_catalog.\"char\", false),"
"   ARRAY(SELECT coalesce(a.attname::pg_catalog.text,"
"                         pg_catalog.pg_get_indexdef(i.indexrelid, k, true))"
"         FROM pg_catalog.generate_series(1, i.indnkeyatts) k"
"         LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid" EQ "i.indrelid"
"           AND a.attnum" EQ "i.indkey[k OPERATOR(pg_catalog.-) 1]"
"           AND a.attnum OPERATOR(pg_catalog.>) 0::pg_catalog.int2"
"         ORDER BY k),"
"   ARRAY(SELECT (i.indoption[k OPERATOR(pg_catalog.-) 1]::pg_catalog.int4"
"                 OPERATOR(pg_catalog.&) 1)" EQ "1"
"         FROM pg_catalog.generate_series(1, i.indnkeyatts) k ORDER BY k),"
"   ARRAY(SELECT i.indkey[k OPERATOR(pg_catalog.-) 1]" EQ "0::pg_catalog.int2"
"         FROM pg_catalog.generate_series(1, i.indnkeyatts) k ORDER BY k)"
" FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class ic ON ic.oid" EQ "i.indexrelid"
" LEFT JOIN pg_catalog.pg_constraint con"
"   ON con.conindid" EQ "i.indexrelid AND con.conrelid" EQ "i.indrelid"
"   AND con.contype" EQ "ANY ('{p,u}'::pg_catalog.\"char\"[])"
" WHERE i.indrelid" EQ "ANY ($1)"
" ORDER BY i.indrelid, NOT i.indisprimary, ic.relname";

/*
 * Foreign keys of the tables $1 whose target the role may use, and each of
 * its referenced columns (a role with only DELETE on the target sees none
 * of its columns, so no REFERENCES may name one).
 */
static const char *const fkeys_query =
"SELECT con.conrelid, con.conname,"
"   ARRAY(SELECT a.attname FROM pg_catalog.unnest(con.conkey) WITH ORDINALITY k(n, o)"
"         JOIN pg_catalog.pg_attribute a ON a.attrelid" EQ "con.conrelid AND a.attnum" EQ "k.n"
"         ORDER BY k.o),"
"   " SCHEMA_NAME("rn") ", rc.relname, con.confrelid,"
"   ARRAY(SELECT a.attname FROM pg_catalog.unnest(con.confkey) WITH ORDINALITY k(n, o)"
"         JOIN pg_catalog.pg_attribute a ON a.attrelid" EQ "con.confrelid AND a.attnum" EQ "k.n"
"         ORDER BY k.o),"
"   con.confdeltype, con.confupdtype, rc.relnamespace" EQ "c.relnamespace"
" FROM pg_catalog.pg_constraint con"
" JOIN pg_catalog.pg_class c ON c.oid" EQ "con.conrelid"
" JOIN pg_catalog.pg_class rc ON rc.oid" EQ "con.confrelid"
" JOIN pg_catalog.pg_namespace rn ON rn.oid" EQ "rc.relnamespace"
" WHERE con.contype" EQ "'f'::pg_catalog.\"char\" AND con.conrelid" EQ "ANY ($1)"
"   AND pg_catalog.has_schema_privilege(rn.oid, 'USAGE')"
"   AND pg_catalog.has_table_privilege(rc.oid, 'SELECT, INSERT, UPDATE, DELETE')"
"   AND NOT EXISTS (SELECT FROM pg_catalog.unnest(con.confkey) k(n)"
"         WHERE NOT pg_catalog.has_column_privilege(con.confrelid, k.n, 'SELECT, INSERT, UPDATE'))"
" ORDER BY con.conrelid, con.conname";

/* CHECK constraints of the tables $1. */
static const char *const checks_query =
"SELECT con.conrelid, con.conname, pg_catalog.pg_get_expr(con.conbin, con.conrelid, true)"
" FROM pg_catalog.pg_constraint con"
" WHERE con.contype" EQ "'c'::pg_catalog.\"char\" AND con.conrelid" EQ "ANY ($1)"
" ORDER BY con.conrelid, con.conname";

/* The current role, for privilege checks on many tables. */
typedef struct RoleRights
{
	Oid			roleid;
	bool		superuser;
	bool		read_all;		/* member of pg_read_all_data */
	bool		write_all;		/* member of pg_write_all_data */
} RoleRights;

/* One table being read: its place in the caller's array, looked up by relid. */
typedef struct ReadEntry
{
	Oid			relid;
	int			index;
} ReadEntry;

/* Bookkeeping while reading details: the tables by relid, and hidden columns. */
typedef struct ReadState
{
	MemoryContext cxt;
	SqlpilotCachedTable *tables;
	int			n;
	ReadEntry  *entries;		/* (n) sorted by relid */
	bool	   *has_hidden;		/* (size of tables) some column is not visible to the role */
} ReadState;

/* Runs one catalog query with the oid[] argument; errors are can't-happen. */
static void
RunQuery(const char *sql, Datum oids)
{
	Oid			argtypes[1] = {OIDARRAYOID};
	Datum		values[1] = {oids};
	int			rc;

	rc = SPI_execute_with_args(sql, 1, argtypes, values, NULL, true, 0);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "sqlpilot: catalog query failed: %s", SPI_result_code_string(rc));
}

/*
 * Pins search_path to pg_catalog (pg_temp last, so no temporary object can
 * shadow a catalog one) for the extension's own queries; returns the GUC
 * nest level that AtEOXact_GUC pops (an error pops it with the transaction).
 */
static int
PinSearchPath(void)
{
	int			nest = NewGUCNestLevel();

	(void) set_config_option("search_path", "pg_catalog, pg_temp", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	return nest;
}

/* Builds an oid[] datum from n OIDs. */
static Datum
OidArray(const Oid *oids, int n)
{
	Datum	   *d = palloc(sizeof(Datum) * Max(n, 1));

	for (int i = 0; i < n; i++)
		d[i] = ObjectIdGetDatum(oids[i]);
	return PointerGetDatum(construct_array(d, n, OIDOID, sizeof(Oid), true, TYPALIGN_INT));
}

/* Column i of the current SPI row as a string copied into cxt, or NULL. */
static char *
GetString(int row, int col, MemoryContext cxt)
{
	char	   *s = SPI_getvalue(SPI_tuptable->vals[row], SPI_tuptable->tupdesc, col);

	return s ? MemoryContextStrdup(cxt, s) : NULL;
}

/* Column col of row as a Datum; *isnull set. */
static Datum
GetDatum(int row, int col, bool *isnull)
{
	return SPI_getbinval(SPI_tuptable->vals[row], SPI_tuptable->tupdesc, col, isnull);
}

/* Column col of row as a bool (NULL reads as false). */
static bool
GetBool(int row, int col)
{
	bool		isnull;
	Datum		d = GetDatum(row, col, &isnull);

	return !isnull && DatumGetBool(d);
}

/* Column col of row as an OID. */
static Oid
GetOid(int row, int col)
{
	bool		isnull;
	Datum		d = GetDatum(row, col, &isnull);

	return isnull ? InvalidOid : DatumGetObjectId(d);
}

/*
 * A text[] column as a C string array in cxt; returns the count.  A NULL
 * element stays NULL (what pg_get_indexdef gives for an index dropped while
 * it is read).
 */
static int
GetTextArray(int row, int col, MemoryContext cxt, char ***out)
{
	bool		isnull;
	Datum		d = GetDatum(row, col, &isnull);
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	ArrayType  *arr;

	*out = NULL;
	if (isnull)
		return 0;
	arr = DatumGetArrayTypeP(d);
	deconstruct_array(arr, ARR_ELEMTYPE(arr), -1, false, TYPALIGN_INT, &elems, &nulls, &n);
	*out = MemoryContextAllocZero(cxt, sizeof(char *) * Max(n, 1));
	for (int i = 0; i < n; i++)
		(*out)[i] = nulls[i] ? NULL : MemoryContextStrdup(cxt, TextDatumGetCString(elems[i]));
	return n;
}

/* A name[] column (attribute names) as a C string array in cxt; returns the count. */
static int
GetNameArray(int row, int col, MemoryContext cxt, char ***out)
{
	bool		isnull;
	Datum		d = GetDatum(row, col, &isnull);
	Datum	   *elems;
	bool	   *nulls;
	int			n;

	*out = NULL;
	if (isnull)
		return 0;
	deconstruct_array(DatumGetArrayTypeP(d), NAMEOID, NAMEDATALEN, false, TYPALIGN_CHAR,
					  &elems, &nulls, &n);
	*out = MemoryContextAllocZero(cxt, sizeof(char *) * Max(n, 1));
	for (int i = 0; i < n; i++)
		(*out)[i] = MemoryContextStrdup(cxt, nulls[i] ? "" : NameStr(*DatumGetName(elems[i])));
	return n;
}

/* A bool[] column as a bool array in cxt; returns the count. */
static int
GetBoolArray(int row, int col, MemoryContext cxt, bool **out)
{
	bool		isnull;
	Datum		d = GetDatum(row, col, &isnull);
	Datum	   *elems;
	bool	   *nulls;
	int			n;

	*out = NULL;
	if (isnull)
		return 0;
	deconstruct_array(DatumGetArrayTypeP(d), BOOLOID, 1, true, TYPALIGN_CHAR,
					  &elems, &nulls, &n);
	*out = MemoryContextAllocZero(cxt, sizeof(bool) * Max(n, 1));
	for (int i = 0; i < n; i++)
		(*out)[i] = !nulls[i] && DatumGetBool(elems[i]);
	return n;
}

/* Orders read entries by relid, for bsearch. */
static int
CompareEntries(const void *a, const void *b)
{
	Oid			x = ((const ReadEntry *) a)->relid;
	Oid			y = ((const ReadEntry *) b)->relid;

	return (x > y) - (x < y);
}

/* The index (into the caller's array) of relid among the tables read, or -1. */
static int
FindTable(const ReadState *rs, Oid relid)
{
	ReadEntry	key = {relid, -1};
	ReadEntry  *e = bsearch(&key, rs->entries, rs->n, sizeof(ReadEntry), CompareEntries);

	return e ? e->index : -1;
}

/* Whether every name is a visible column of table t. */
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

/* Whether none of strs[0..n) is NULL. */
static bool
AllStrings(char **strs, int n)
{
	for (int i = 0; i < n; i++)
		if (strs[i] == NULL)
			return false;
	return true;
}

/*
 * Whether every key of index ix is a visible column of t (an expression
 * counts as hidden: it may name any column).
 */
static bool
KeysVisible(const SqlpilotTable *t, const SqlpilotIndex *ix)
{
	for (int k = 0; k < ix->n_cols; k++)
		if (ix->expr[k])
			return false;
	return ColumnsVisible(t, ix->cols, ix->n_cols);
}

/* Whether a relation shows keys, indexes and checks: a view or materialized view shows its columns only. */
static bool
HasConstraints(const SqlpilotCachedTable *t)
{
	return t->relkind != RELKIND_VIEW && t->relkind != RELKIND_MATVIEW;
}

/* Makes room for element n of an array in cxt (capacity 4, doubling when full). */
static void *
GrowArray(void *arr, int n, size_t elem, MemoryContext cxt)
{
	if (arr == NULL)
		return MemoryContextAllocZero(cxt, elem * 4);
	if ((n & (n - 1)) == 0 && n >= 4)
		return repalloc(arr, elem * n * 2);
	return arr;
}

/* The SQL words of a foreign key action code, NULL for NO ACTION. */
static char *
FkeyAction(char code, MemoryContext cxt)
{
	switch (code)
	{
		case 'r':
			return MemoryContextStrdup(cxt, "RESTRICT");
		case 'c':
			return MemoryContextStrdup(cxt, "CASCADE");
		case 'n':
			return MemoryContextStrdup(cxt, "SET NULL");
		case 'd':
			return MemoryContextStrdup(cxt, "SET DEFAULT");
		default:
			return NULL;
	}
}

/* Reads the columns of every table. */
static void
ReadColumns(ReadState *rs, Datum relids)
{
	RunQuery(columns_query, relids);
	for (uint64 r = 0; r < SPI_processed; r++)
	{
		int			ti = FindTable(rs, GetOid(r, 1));
		SqlpilotTable *t;
		SqlpilotColumn *c;

		CHECK_FOR_INTERRUPTS();
		if (ti < 0)
			continue;
		if (!GetBool(r, 6))
		{
			rs->has_hidden[ti] = true;
			continue;
		}
		t = &rs->tables[ti].table;
		t->columns = GrowArray(t->columns, t->n_columns, sizeof(SqlpilotColumn), rs->cxt);
		c = &t->columns[t->n_columns++];
		c->name = GetString(r, 2, rs->cxt);
		c->type = GetString(r, 3, rs->cxt);
		c->not_null = GetBool(r, 4);
		c->default_expr = GetString(r, 5, rs->cxt);
	}
}

/* Reads indexes, primary keys and unique constraints. */
static void
ReadIndexes(ReadState *rs, Datum relids)
{
	RunQuery(indexes_query, relids);
	for (uint64 r = 0; r < SPI_processed; r++)
	{
		int			ti = FindTable(rs, GetOid(r, 1));
		SqlpilotTable *t;
		SqlpilotIndex ix = {0};

		CHECK_FOR_INTERRUPTS();
		if (ti < 0 || !HasConstraints(&rs->tables[ti]))
			continue;
		t = &rs->tables[ti].table;
		ix.name = GetString(r, 2, rs->cxt);
		ix.primary = GetBool(r, 3);
		ix.unique = GetBool(r, 4);
		ix.is_constraint = GetBool(r, 5);
		ix.n_cols = GetTextArray(r, 6, rs->cxt, &ix.cols);
		if (GetBoolArray(r, 7, rs->cxt, &ix.desc) != ix.n_cols ||
			GetBoolArray(r, 8, rs->cxt, &ix.expr) != ix.n_cols)
			elog(ERROR, "sqlpilot: index %s has inconsistent key columns", ix.name);
		if (!AllStrings(ix.cols, ix.n_cols) || (rs->has_hidden[ti] && !KeysVisible(t, &ix)))
			continue;
		t->indexes = GrowArray(t->indexes, t->n_indexes, sizeof(SqlpilotIndex), rs->cxt);
		t->indexes[t->n_indexes++] = ix;
	}
}

/* Reads foreign keys. */
static void
ReadForeignKeys(ReadState *rs, Datum relids)
{
	RunQuery(fkeys_query, relids);
	for (uint64 r = 0; r < SPI_processed; r++)
	{
		int			ti = FindTable(rs, GetOid(r, 1));
		SqlpilotTable *t;
		SqlpilotForeignKey fk = {0};
		char	   *del;
		char	   *upd;

		CHECK_FOR_INTERRUPTS();
		if (ti < 0 || !HasConstraints(&rs->tables[ti]))
			continue;
		t = &rs->tables[ti].table;
		fk.name = GetString(r, 2, rs->cxt);
		fk.n_cols = GetNameArray(r, 3, rs->cxt, &fk.cols);
		fk.ref_schema = GetBool(r, 10) ? NULL : GetString(r, 4, rs->cxt);
		fk.ref_table = GetString(r, 5, rs->cxt);
		if (GetNameArray(r, 7, rs->cxt, &fk.ref_cols) != fk.n_cols)
			elog(ERROR, "sqlpilot: foreign key %s has inconsistent columns", fk.name);
		del = SPI_getvalue(SPI_tuptable->vals[r], SPI_tuptable->tupdesc, 8);
		upd = SPI_getvalue(SPI_tuptable->vals[r], SPI_tuptable->tupdesc, 9);
		fk.on_delete = FkeyAction(del ? del[0] : 'a', rs->cxt);
		fk.on_update = FkeyAction(upd ? upd[0] : 'a', rs->cxt);
		if (rs->has_hidden[ti] && !ColumnsVisible(t, fk.cols, fk.n_cols))
			continue;
		t->fkeys = GrowArray(t->fkeys, t->n_fkeys, sizeof(SqlpilotForeignKey), rs->cxt);
		t->fkeys[t->n_fkeys++] = fk;
	}
}

/*
 * Reads CHECK constraints (none for tables with hidden columns, nor one whose
 * text is NULL: pg_get_expr's answer once its table is dropped meanwhile).
 */
static void
ReadChecks(ReadState *rs, Datum relids)
{
	RunQuery(checks_query, relids);
	for (uint64 r = 0; r < SPI_processed; r++)
	{
		int			ti = FindTable(rs, GetOid(r, 1));
		SqlpilotTable *t;
		SqlpilotCheck *ck;
		bool		no_text;

		CHECK_FOR_INTERRUPTS();
		(void) GetDatum(r, 3, &no_text);
		if (ti < 0 || !HasConstraints(&rs->tables[ti]) || rs->has_hidden[ti] || no_text)
			continue;
		t = &rs->tables[ti].table;
		t->checks = GrowArray(t->checks, t->n_checks, sizeof(SqlpilotCheck), rs->cxt);
		ck = &t->checks[t->n_checks++];
		ck->name = GetString(r, 2, rs->cxt);
		ck->expr = GetString(r, 3, rs->cxt);
	}
}

/*
 * Whether the role holds any of the privileges want on a table with this
 * ACL (NULL: the owner's defaults) and owner: what has_table_privilege()
 * answers (superuser, the pg_read_all_data and pg_write_all_data roles, then
 * the ACL), without a catalog lookup per table.
 */
static bool
TableRight(const RoleRights *rr, Datum acl, bool acl_null, Oid owner, AclMode want)
{
	if (rr->superuser)
		return true;
	if ((want & ACL_SELECT) && rr->read_all)
		return true;
	if ((want & (ACL_INSERT | ACL_UPDATE | ACL_DELETE)) && rr->write_all)
		return true;
	return aclmask(acl_null ? acldefault(OBJECT_TABLE, owner) : DatumGetAclP(acl),
				   rr->roleid, owner, want, ACLMASK_ANY) != 0;
}

/*
 * Whether the role may use every column of relid whose numbers are the int2[]
 * in column col of row (the key columns of a foreign key).
 */
static bool
KeyColumnsUsable(const RoleRights *rr, Oid relid, uint64 row, int col)
{
	bool		isnull;
	Datum		d = GetDatum(row, col, &isnull);
	Datum	   *elems;
	bool	   *nulls;
	int			n;

	if (isnull)
		return false;
	deconstruct_array(DatumGetArrayTypeP(d), INT2OID, 2, true, TYPALIGN_SHORT,
					  &elems, &nulls, &n);
	for (int i = 0; i < n; i++)
	{
		bool		missing = false;

		/* a table or column dropped meanwhile is not usable (not an error) */
		if (nulls[i] ||
			pg_attribute_aclcheck_ext(relid, DatumGetInt16(elems[i]), rr->roleid,
									  ACL_SELECT | ACL_INSERT | ACL_UPDATE, &missing) != ACLCHECK_OK)
			return false;
	}
	return true;
}

/* The current role and the predefined roles that grant it rights on every table. */
static void
CurrentRights(RoleRights *rr)
{
	rr->roleid = GetUserId();
	rr->superuser = superuser_arg(rr->roleid);
#if PG_VERSION_NUM >= 140000
	rr->read_all = has_privs_of_role(rr->roleid, ROLE_PG_READ_ALL_DATA);
	rr->write_all = has_privs_of_role(rr->roleid, ROLE_PG_WRITE_ALL_DATA);
#else
	/* pg_read_all_data and pg_write_all_data arrived in PostgreSQL 14. */
	rr->read_all = false;
	rr->write_all = false;
#endif
}

/*
 * Fills out with the relation relid (schema and name copied into cxt, ACL
 * (acl_null: the owner's defaults), owner, relkind) when the role may use
 * it: a table privilege, or else a privilege on one of its columns.
 * Returns false when it may not.
 */
static bool
TableFrom(const RoleRights *rr, Oid relid, const char *schema, const char *name, Datum acl,
		  bool acl_null, Oid owner, char relkind, MemoryContext cxt, SqlpilotCachedTable *out)
{
	bool		all_columns;

	all_columns = TableRight(rr, acl, acl_null, owner, ACL_SELECT | ACL_INSERT | ACL_UPDATE);
	if (!all_columns &&
		!TableRight(rr, acl, acl_null, owner, ACL_DELETE) &&
		pg_attribute_aclcheck_all(relid, rr->roleid, ACL_SELECT | ACL_INSERT | ACL_UPDATE,
								  ACLMASK_ANY) != ACLCHECK_OK)
		return false;
	memset(out, 0, sizeof(*out));
	out->relid = relid;
	out->table.schema = MemoryContextStrdup(cxt, schema);
	out->table.name = MemoryContextStrdup(cxt, name);
	out->relkind = relkind;
	out->all_columns = all_columns;
	out->table_right = all_columns || TableRight(rr, acl, acl_null, owner, ACL_DELETE);
	out->n_tokens = -1;
	return true;
}

/* TableFrom for row r of the named table query (oid, schema, name, ACL, owner, relkind). */
static bool
TableFromRow(const RoleRights *rr, uint64 r, MemoryContext cxt, SqlpilotCachedTable *out)
{
	bool		acl_null;
	Datum		acl = GetDatum(r, 4, &acl_null);
	bool		isnull;

	return TableFrom(rr, GetOid(r, 1), GetString(r, 2, CurrentMemoryContext),
					 GetString(r, 3, CurrentMemoryContext), acl, acl_null, GetOid(r, 5),
					 DatumGetChar(GetDatum(r, 6, &isnull)), cxt, out);
}

/* Opens SPI with search_path pinned; returns the GUC nest level for EndRead. */
static int
BeginRead(void)
{
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "sqlpilot: SPI_connect failed");
	return PinSearchPath();
}

/* Restores search_path and closes SPI. */
static void
EndRead(int nest)
{
	AtEOXact_GUC(true, nest);
	SPI_finish();
}

/* Orders tables by schema, then name: what ORDER BY on the two names gives (collation "C"). */
static int
CompareTables(const void *a, const void *b)
{
	const SqlpilotTable *x = &((const SqlpilotCachedTable *) a)->table;
	const SqlpilotTable *y = &((const SqlpilotCachedTable *) b)->table;
	int			c = strcmp(x->schema, y->schema);

	return c != 0 ? c : strcmp(x->name, y->name);
}

/* One schema of a scope being ordered: its OID and shown name. */
typedef struct ScopeEntry
{
	Oid			oid;
	char	   *name;
} ScopeEntry;

/* Orders schemas by the name they are shown with. */
static int
CompareScopeEntries(const void *a, const void *b)
{
	return strcmp(((const ScopeEntry *) a)->name, ((const ScopeEntry *) b)->name);
}

/*
 * The schemas of namespaces (OIDs) the role may use, in cxt, ordered by
 * shown name: USAGE is needed, another session's temporary schema is never
 * read, the session's own is shown as pg_temp, a schema dropped since the
 * list was made is skipped (as a join would).
 */
SqlpilotScope *
SqlpilotResolveScope(List *namespaces, MemoryContext cxt)
{
	SqlpilotScope *scope = MemoryContextAllocZero(cxt, sizeof(SqlpilotScope));
	int			cap = Max(list_length(namespaces), 1);
	ScopeEntry *entries = palloc(sizeof(ScopeEntry) * cap);
	Oid			roleid = GetUserId();
	ListCell   *lc;

	foreach(lc, namespaces)
	{
		Oid			nsp = lfirst_oid(lc);
		char	   *name = get_namespace_name(nsp);

		if (name == NULL || isOtherTempNamespace(nsp) ||
			pg_namespace_aclcheck(nsp, roleid, ACL_USAGE) != ACLCHECK_OK)
			continue;
		entries[scope->n].oid = nsp;
		entries[scope->n++].name = isTempNamespace(nsp) ? "pg_temp" : name;
	}
	qsort(entries, scope->n, sizeof(ScopeEntry), CompareScopeEntries);
	scope->oids = MemoryContextAlloc(cxt, sizeof(Oid) * cap);
	scope->names = MemoryContextAlloc(cxt, sizeof(char *) * cap);
	for (int k = 0; k < scope->n; k++)
	{
		scope->oids[k] = entries[k].oid;
		scope->names[k] = MemoryContextStrdup(cxt, entries[k].name);
	}
	pfree(entries);
	return scope;
}

/* The position of schema nsp in scope, or -1. */
static int
ScopeIndex(const SqlpilotScope *scope, Oid nsp)
{
	for (int k = 0; k < scope->n; k++)
		if (scope->oids[k] == nsp)
			return k;
	return -1;
}

/* Whether a pg_class row is a relation the prompt may show: table, view, matview, not a partition. */
static bool
IsListedKind(Form_pg_class c)
{
	return (c->relkind == RELKIND_RELATION || c->relkind == RELKIND_PARTITIONED_TABLE ||
			c->relkind == RELKIND_FOREIGN_TABLE || c->relkind == RELKIND_VIEW ||
			c->relkind == RELKIND_MATVIEW) && !c->relispartition;
}

/*
 * TableFrom for a pg_class tuple of relation rel (or of the syscache when
 * rel is NULL) in schema k of scope.
 */
static bool
TableFromTuple(const RoleRights *rr, const SqlpilotScope *scope, int k, HeapTuple tup,
			   Relation rel, MemoryContext cxt, SqlpilotCachedTable *out)
{
	Form_pg_class c = (Form_pg_class) GETSTRUCT(tup);
	bool		acl_null;
	Datum		acl;

	if (rel != NULL)
		acl = heap_getattr(tup, Anum_pg_class_relacl, RelationGetDescr(rel), &acl_null);
	else
		acl = SysCacheGetAttr(RELOID, tup, Anum_pg_class_relacl, &acl_null);
	return TableFrom(rr, c->oid, scope->names[k], NameStr(c->relname), acl, acl_null,
					 c->relowner, c->relkind, cxt, out);
}

/*
 * Lists every visible table of scope into arr (n so far, grown in cxt) by
 * one scan of pg_class in C, not a query: planning, forming and sorting
 * thousands of result rows would cost as much again as the scan.
 */
static int
ListAll(const RoleRights *rr, const SqlpilotScope *scope, MemoryContext cxt,
		SqlpilotCachedTable **arr)
{
	Relation	rel = table_open(RelationRelationId, AccessShareLock);
	TableScanDesc scan = table_beginscan_catalog(rel, 0, NULL);
	HeapTuple	tup;
	int			n = 0;

	while ((tup = heap_getnext(scan, ForwardScanDirection)) != NULL)
	{
		Form_pg_class c = (Form_pg_class) GETSTRUCT(tup);
		int			k;

		CHECK_FOR_INTERRUPTS();
		if (!IsListedKind(c) || (k = ScopeIndex(scope, c->relnamespace)) < 0)
			continue;
		*arr = GrowArray(*arr, n, sizeof(SqlpilotCachedTable), cxt);
		if (TableFromTuple(rr, scope, k, tup, rel, cxt, &(*arr)[n]))
			n++;
	}
	table_endscan(scan);
	table_close(rel, AccessShareLock);
	qsort(*arr, n, sizeof(SqlpilotCachedTable), CompareTables);
	return n;
}

/*
 * Lists the first limit visible tables of scope, in order, into arr (grown
 * in cxt): schema by schema, each through pg_class_relname_nsp_index with a
 * key on the schema, which returns its rows already ordered by name and
 * stops as soon as limit tables are found, so a catalog of 10,000 tables is
 * read only as far as the first few hundred.  *complete: no table is left.
 */
static int
ListFirst(const RoleRights *rr, const SqlpilotScope *scope, int limit, MemoryContext cxt,
		  SqlpilotCachedTable **arr, bool *complete)
{
	Relation	rel = table_open(RelationRelationId, AccessShareLock);
	int			n = 0;

	*complete = true;
	for (int k = 0; k < scope->n && *complete; k++)
	{
		ScanKeyData key;
		SysScanDesc scan;
		HeapTuple	tup;

		ScanKeyInit(&key, Anum_pg_class_relnamespace, BTEqualStrategyNumber, F_OIDEQ,
					ObjectIdGetDatum(scope->oids[k]));
		scan = systable_beginscan(rel, ClassNameNspIndexId, true, NULL, 1, &key);
		while ((tup = systable_getnext(scan)) != NULL)
		{
			CHECK_FOR_INTERRUPTS();
			if (!IsListedKind((Form_pg_class) GETSTRUCT(tup)))
				continue;
			if (n == limit)
			{
				*complete = false;
				break;
			}
			*arr = GrowArray(*arr, n, sizeof(SqlpilotCachedTable), cxt);
			if (TableFromTuple(rr, scope, k, tup, rel, cxt, &(*arr)[n]))
				n++;
		}
		systable_endscan(scan);
	}
	table_close(rel, AccessShareLock);
	return n;
}

/*
 * Lists the visible tables of scope into an array allocated in cxt, in
 * stable order (schema, then name), without their neighbours or
 * definitions; returns the number of tables.  With limit > 0 only the first
 * limit (all a choice of tables may take from the rest, see
 * core/table_choice.h), and *complete says whether that is all of them; a
 * new backend then touches a few dozen pages of pg_class rather than all.
 */
int
SqlpilotReadTables(const SqlpilotScope *scope, int limit, MemoryContext cxt,
				   SqlpilotCachedTable **tables, bool *complete)
{
	SqlpilotCachedTable *arr = NULL;
	RoleRights	rr;
	int			n;

	CurrentRights(&rr);
	*complete = true;
	/* without system indexes (ignore_system_indexes) a scan by key comes unordered */
	if (limit > 0 && !IgnoreSystemIndexes)
		n = ListFirst(&rr, scope, limit, cxt, &arr, complete);
	else
		n = ListAll(&rr, scope, cxt, &arr);
	if (arr == NULL)
		arr = MemoryContextAllocZero(cxt, sizeof(SqlpilotCachedTable));
	*tables = arr;
	return n;
}

/*
 * The OIDs (up to cap, into relids) of the relations named name in the
 * schemas of scope (only the one shown as schema, when not NULL), through
 * the syscache on pg_class_relname_nsp_index; returns how many.  Kind and
 * privileges are checked by SqlpilotReadTableByOid.
 */
int
SqlpilotFindTables(const SqlpilotScope *scope, const char *schema, const char *name,
				   Oid *relids, int cap)
{
	int			n = 0;

	if (strlen(name) >= NAMEDATALEN)
		return 0;
	for (int k = 0; k < scope->n && n < cap; k++)
	{
		Oid			relid;

		if (schema != NULL && strcmp(schema, scope->names[k]) != 0)
			continue;
		relid = get_relname_relid(name, scope->oids[k]);
		if (OidIsValid(relid))
			relids[n++] = relid;
	}
	return n;
}

/*
 * Fills out (names in cxt) with relation relid when it is one the listing
 * of scope would show: a table, view or materialized view of a schema in
 * scope that the role may use.  Returns whether it is.
 */
bool
SqlpilotReadTableByOid(const SqlpilotScope *scope, Oid relid, MemoryContext cxt,
					   SqlpilotCachedTable *out)
{
	HeapTuple	tup = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	RoleRights	rr;
	bool		found = false;
	int			k;

	if (!HeapTupleIsValid(tup))
		return false;
	CurrentRights(&rr);
	k = ScopeIndex(scope, ((Form_pg_class) GETSTRUCT(tup))->relnamespace);
	if (k >= 0 && IsListedKind((Form_pg_class) GETSTRUCT(tup)))
		found = TableFromTuple(&rr, scope, k, tup, NULL, cxt, out);
	ReleaseSysCache(tup);
	return found;
}

/*
 * The foreign keys from or to the tables relids[0..n) (palloc'd, in the
 * order of referencing table, then name), with whether the role may use
 * every key column of the referencing table; whether it may use both tables
 * is for the caller, which knows them.
 */
SqlpilotEdge *
SqlpilotReadEdges(const Oid *relids, int n, int *n_edges)
{
	Oid			argtypes[3] = {OIDARRAYOID, OIDOID, OIDOID};
	Datum		values[3];
	RoleRights	rr;
	SqlpilotEdge *edges;
	MemoryContext caller = CurrentMemoryContext;
	int			nest;
	int			rc;

	*n_edges = 0;
	values[0] = OidArray(relids, n);
	values[1] = ObjectIdGetDatum(ConstraintRelationId);
	values[2] = ObjectIdGetDatum(RelationRelationId);
	CurrentRights(&rr);
	nest = BeginRead();
	rc = SPI_execute_with_args(edges_query, 3, argtypes, values, NULL, true, 0);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "sqlpilot: catalog query failed: %s", SPI_result_code_string(rc));
	edges = MemoryContextAlloc(caller, sizeof(SqlpilotEdge) * Max(SPI_processed, 1));
	for (uint64 r = 0; r < SPI_processed; r++)
	{
		SqlpilotEdge *e = &edges[(*n_edges)++];
		bool		missing = false;

		CHECK_FOR_INTERRUPTS();
		e->from = GetOid(r, 2);
		e->to = GetOid(r, 3);
		e->keys_usable =
			pg_class_aclcheck_ext(e->from, rr.roleid, ACL_SELECT | ACL_INSERT | ACL_UPDATE,
								  &missing) == ACLCHECK_OK ||
			(!missing && KeyColumnsUsable(&rr, e->from, r, 4));
	}
	EndRead(nest);
	return edges;
}

/*
 * Reads the definitions (columns, keys, indexes, checks) of tables[which[0..n)]
 * into cxt and marks them loaded.  Their definitions are cleared first, so a
 * read that an error cut short is simply read again.
 */
void
SqlpilotReadDetails(SqlpilotCachedTable *tables, int n_tables, const int *which, int n,
					MemoryContext cxt)
{
	ReadState	rs = {0};
	Oid		   *oids = palloc(sizeof(Oid) * Max(n, 1));
	Datum		relids;
	int			nest;

	if (n == 0)
		return;
	rs.cxt = cxt;
	rs.tables = tables;
	rs.n = n;
	rs.entries = palloc(sizeof(ReadEntry) * n);
	rs.has_hidden = palloc0(sizeof(bool) * Max(n_tables, 1));
	for (int i = 0; i < n; i++)
	{
		SqlpilotTable *t = &tables[which[i]].table;

		t->n_columns = t->n_indexes = t->n_fkeys = t->n_checks = 0;
		t->columns = NULL;
		t->indexes = NULL;
		t->fkeys = NULL;
		t->checks = NULL;
		tables[which[i]].n_tokens = -1;
		tables[which[i]].skip = false;
		oids[i] = rs.entries[i].relid = tables[which[i]].relid;
		rs.entries[i].index = which[i];
	}
	qsort(rs.entries, n, sizeof(ReadEntry), CompareEntries);

	nest = BeginRead();
	relids = OidArray(oids, n);
	ReadColumns(&rs, relids);
	ReadIndexes(&rs, relids);
	ReadForeignKeys(&rs, relids);
	ReadChecks(&rs, relids);
	EndRead(nest);
	/*
	 * The queries read the statement's snapshot, the listing and the
	 * functions they call the latest catalog: a table dropped by another
	 * session meanwhile may have come back half read.  It is left out.
	 */
	for (int i = 0; i < n; i++)
	{
		tables[which[i]].loaded = true;
		if (!SearchSysCacheExists1(RELOID, ObjectIdGetDatum(tables[which[i]].relid)))
			tables[which[i]].skip = true;
	}
}

/*
 * Looks up the table schema.name wherever it is (a name the prefix qualifies
 * with a schema outside the scope); fills out, names in cxt, when the role
 * may use it.  Returns whether it does.
 */
bool
SqlpilotReadNamedTable(const char *schema, const char *name, MemoryContext cxt,
					   SqlpilotCachedTable *out)
{
	Oid			argtypes[2] = {NAMEOID, NAMEOID};
	Datum		values[2];
	RoleRights	rr;
	int			nest;
	int			rc;
	bool		found = false;

	if (strlen(schema) >= NAMEDATALEN || strlen(name) >= NAMEDATALEN)
		return false;
	values[0] = DirectFunctionCall1(namein, CStringGetDatum(schema));
	values[1] = DirectFunctionCall1(namein, CStringGetDatum(name));
	CurrentRights(&rr);
	nest = BeginRead();
	rc = SPI_execute_with_args(named_table_query, 2, argtypes, values, NULL, true, 0);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "sqlpilot: catalog query failed: %s", SPI_result_code_string(rc));
	if (SPI_processed == 1)
	{
		memset(out, 0, sizeof(*out));
		found = TableFromRow(&rr, 0, cxt, out);
	}
	EndRead(nest);
	return found;
}
