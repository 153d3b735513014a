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
 * Every step reads the catalogs directly, through their indexes and the
 * syscaches, as PostgreSQL's own caches do; no SQL runs.  A query would be
 * parsed, analyzed and planned again in every new backend, which cost a
 * first completion more than reading the rows.  Types, defaults, checks and
 * index expressions are spelled by the functions a query would call
 * (format_type, pg_get_expr, pg_get_indexdef) with search_path pinned to
 * pg_catalog, so names outside it come qualified.  Only the catalogs are
 * locked (AccessShareLock), never a user's table.
 *
 * Only what the current role may use gets in: a table needs USAGE on its
 * schema and SELECT, INSERT, UPDATE or DELETE on the table (or on one of its
 * columns, in which case only those columns are shown, with no constraint
 * that names a hidden column).  Foreign keys to tables the role cannot use
 * are dropped, so their names never reach the prompt; so are a column,
 * default, check or index whose type is the row type of such a table (its
 * text would spell the table's name), and a default, check or index whose
 * expression holds a regclass constant of a relation the role may not use
 * (nextval('other_seq'), 'payroll'::regclass; a serial's own sequence is
 * always shown), a regtype of such a table's row type, any regclass[] or
 * regtype[] constant, or a regclass computed from text when it runs.  The
 * expressions are walked as they are read (ExprShowable): a privilege check
 * per such constant, and for a sequence the role has no right on, one scan
 * of pg_depend per table for the sequences its columns own.  Type names (a
 * domain or enum of a schema the role has no USAGE on) are shown: a type is
 * not a table, and every role reads pg_type and pg_namespace.  Tables come
 * in a stable order: schema name, then table name.
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "access/tableam.h"
#include "catalog/dependency.h"
#include "catalog/index.h"
#include "catalog/namespace.h"
#include "catalog/pg_attrdef.h"
#include "catalog/pg_attribute.h"
#include "catalog/pg_authid.h"
#include "catalog/pg_class.h"
#include "catalog/pg_constraint.h"
#include "catalog/pg_depend.h"
#include "catalog/pg_index.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "nodes/nodeFuncs.h"
#include "nodes/parsenodes.h"
#include "utils/array.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"

#include "sqlpilot.h"

/* The privileges that let a role use a column: what the prompt shows it for. */
#define COLUMN_RIGHTS (ACL_SELECT | ACL_INSERT | ACL_UPDATE)

/* The current role, for privilege checks on many tables. */
typedef struct RoleRights
{
	Oid			roleid;
	bool		superuser;
	bool		read_all;		/* member of pg_read_all_data */
	bool		write_all;		/* member of pg_write_all_data */
} RoleRights;

/*
 * The relations that depend on one table automatically or internally (its
 * serial and identity sequences among them), read once per table the first
 * time an expression of it names a sequence the role has no right on.
 */
typedef struct OwnedSet
{
	Oid			table;			/* InvalidOid: none read yet */
	int			n;
	Oid		   *oids;
} OwnedSet;

/* The catalogs a read of table definitions scans, opened once per read. */
typedef struct DetailRels
{
	Relation	attribute;
	Relation	attrdef;
	Relation	index;
	Relation	constraint;
	Relation	depend;
	Snapshot	snapshot;		/* the statement's, see StatementSnapshot */
	OwnedSet   *owned;			/* of the table being read */
} DetailRels;

/* What UnshowableWalker needs: the catalogs and the table whose expression it walks. */
typedef struct ShowContext
{
	const DetailRels *dr;
	Oid			relid;
} ShowContext;

/*
 * Pins search_path to pg_catalog (pg_temp last, so no temporary object can
 * shadow a catalog one) while types and expressions are spelled; returns the
 * GUC nest level that AtEOXact_GUC pops (an error pops it with the
 * transaction).
 */
static int
PinSearchPath(void)
{
	int			nest = NewGUCNestLevel();

	(void) set_config_option("search_path", "pg_catalog, pg_temp", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	return nest;
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

/*
 * The snapshot the rows of definitions and foreign keys are read with: the
 * statement's, as the queries this reader replaced read them, so a table
 * the running statement creates itself (CREATE TABLE AS) is listed but has
 * no column yet; the latest catalog when no statement runs.
 */
static Snapshot
StatementSnapshot(void)
{
	return ActiveSnapshotSet() ? GetActiveSnapshot() : NULL;
}

/*
 * The rows of catalog rel visible to snapshot (NULL: the latest catalog)
 * whose column attno holds oid, copied into *rows (palloc'd), through index
 * indexid (a heap scan with ignore_system_indexes, so in no particular
 * order); returns how many.
 */
static int
RowsByOid(Relation rel, Oid indexid, AttrNumber attno, Oid oid, Snapshot snapshot,
		  HeapTuple **rows)
{
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tup;
	int			n = 0;

	*rows = NULL;
	ScanKeyInit(&key, attno, BTEqualStrategyNumber, F_OIDEQ, ObjectIdGetDatum(oid));
	scan = systable_beginscan(rel, indexid, true, snapshot, 1, &key);
	while ((tup = systable_getnext(scan)) != NULL)
	{
		*rows = GrowArray(*rows, n, sizeof(HeapTuple), CurrentMemoryContext);
		(*rows)[n++] = heap_copytuple(tup);
	}
	systable_endscan(scan);
	return n;
}

/*
 * The int2[] column attno of a row of catalog rel (a constraint's conkey or
 * confkey) as attribute numbers in *out (palloc'd); returns the count.
 */
static int
KeyColumns(HeapTuple tup, Relation rel, AttrNumber attno, AttrNumber **out)
{
	bool		isnull;
	Datum		d = heap_getattr(tup, attno, RelationGetDescr(rel), &isnull);
	Datum	   *elems;
	bool	   *nulls;
	int			n;

	*out = NULL;
	if (isnull)
		return 0;
	deconstruct_array(DatumGetArrayTypeP(d), INT2OID, 2, true, TYPALIGN_SHORT,
					  &elems, &nulls, &n);
	*out = palloc(sizeof(AttrNumber) * Max(n, 1));
	for (int i = 0; i < n; i++)
		(*out)[i] = nulls[i] ? InvalidAttrNumber : DatumGetInt16(elems[i]);
	return n;
}

/*
 * Calls fn, a SQL function of three arguments that returns text
 * (pg_get_expr_ext, pg_get_indexdef_ext), as a query would; its answer
 * copied into cxt, or NULL (what both answer once their object is dropped).
 */
static char *
TextCall(PGFunction fn, Datum a, Datum b, Datum c, MemoryContext cxt)
{
	LOCAL_FCINFO(fcinfo, 3);
	Datum		result;

	InitFunctionCallInfoData(*fcinfo, NULL, 3, InvalidOid, NULL, NULL);
	fcinfo->args[0].value = a;
	fcinfo->args[0].isnull = false;
	fcinfo->args[1].value = b;
	fcinfo->args[1].isnull = false;
	fcinfo->args[2].value = c;
	fcinfo->args[2].isnull = false;
	result = fn(fcinfo);
	if (fcinfo->isnull)
		return NULL;
	return MemoryContextStrdup(cxt, TextDatumGetCString(result));
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

/* The SQL words of a foreign key action code, NULL for NO ACTION. */
static char *
FkeyAction(char code, MemoryContext cxt)
{
	switch (code)
	{
		case FKCONSTR_ACTION_RESTRICT:
			return MemoryContextStrdup(cxt, "RESTRICT");
		case FKCONSTR_ACTION_CASCADE:
			return MemoryContextStrdup(cxt, "CASCADE");
		case FKCONSTR_ACTION_SETNULL:
			return MemoryContextStrdup(cxt, "SET NULL");
		case FKCONSTR_ACTION_SETDEFAULT:
			return MemoryContextStrdup(cxt, "SET DEFAULT");
		default:
			return NULL;
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
 * What has_column_privilege(relid, attnum, 'SELECT, INSERT, UPDATE') answers
 * for the role, in the same order: 1 yes, 0 no, -1 (NULL) when the column or
 * the table is gone.
 */
static int
ColumnRight(Oid relid, AttrNumber attnum, Oid roleid)
{
	bool		missing = false;

	if (pg_attribute_aclcheck_ext(relid, attnum, roleid, COLUMN_RIGHTS, &missing) == ACLCHECK_OK)
		return 1;
	if (missing)
		return -1;
	if (pg_class_aclcheck_ext(relid, roleid, COLUMN_RIGHTS, &missing) == ACLCHECK_OK)
		return 1;
	return missing ? -1 : 0;
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

	all_columns = TableRight(rr, acl, acl_null, owner, COLUMN_RIGHTS);
	if (!all_columns &&
		!TableRight(rr, acl, acl_null, owner, ACL_DELETE) &&
		pg_attribute_aclcheck_all(relid, rr->roleid, COLUMN_RIGHTS, ACLMASK_ANY) != ACLCHECK_OK)
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
 * rel is NULL) in the schema shown as schema.
 */
static bool
TableFromTuple(const RoleRights *rr, const char *schema, HeapTuple tup, Relation rel,
			   MemoryContext cxt, SqlpilotCachedTable *out)
{
	Form_pg_class c = (Form_pg_class) GETSTRUCT(tup);
	bool		acl_null;
	Datum		acl;

	if (rel != NULL)
		acl = heap_getattr(tup, Anum_pg_class_relacl, RelationGetDescr(rel), &acl_null);
	else
		acl = SysCacheGetAttr(RELOID, tup, Anum_pg_class_relacl, &acl_null);
	return TableFrom(rr, c->oid, schema, NameStr(c->relname), acl, acl_null,
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
		if (TableFromTuple(rr, scope->names[k], tup, rel, cxt, &(*arr)[n]))
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
			if (TableFromTuple(rr, scope->names[k], tup, rel, cxt, &(*arr)[n]))
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
		found = TableFromTuple(&rr, scope->names[k], tup, NULL, cxt, out);
	ReleaseSysCache(tup);
	return found;
}

/* Orders copied pg_attribute rows by column number. */
static int
CompareAttributes(const void *a, const void *b)
{
	AttrNumber	x = ((Form_pg_attribute) GETSTRUCT(*(const HeapTuple *) a))->attnum;
	AttrNumber	y = ((Form_pg_attribute) GETSTRUCT(*(const HeapTuple *) b))->attnum;

	return (x > y) - (x < y);
}

/* Orders copied pg_constraint rows by name (collation "C", as ORDER BY conname). */
static int
CompareConstraints(const void *a, const void *b)
{
	return strcmp(NameStr(((Form_pg_constraint) GETSTRUCT(*(const HeapTuple *) a))->conname),
				  NameStr(((Form_pg_constraint) GETSTRUCT(*(const HeapTuple *) b))->conname));
}

/* Orders indexes: the primary key first, then by name. */
static int
CompareIndexes(const void *a, const void *b)
{
	const SqlpilotIndex *x = a;
	const SqlpilotIndex *y = b;

	if (x->primary != y->primary)
		return x->primary ? -1 : 1;
	return strcmp(x->name, y->name);
}

/*
 * Whether the role may not use the table, view or materialized view c under
 * the listing's rule: USAGE on its schema and a privilege on it or on one of
 * its columns.
 */
static bool
TableHiddenFrom(Form_pg_class c, Oid roleid)
{
	return pg_namespace_aclcheck(c->relnamespace, roleid, ACL_USAGE) != ACLCHECK_OK ||
		(pg_class_aclcheck(c->oid, roleid, COLUMN_RIGHTS | ACL_DELETE) != ACLCHECK_OK &&
		 pg_attribute_aclcheck_all(c->oid, roleid, COLUMN_RIGHTS, ACLMASK_ANY) != ACLCHECK_OK);
}

/* TableHiddenFrom for relation relid; a relation that is gone is hidden. */
static bool
TableHidden(Oid relid)
{
	HeapTuple	tup = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	bool		hidden;

	if (!HeapTupleIsValid(tup))
		return true;
	hidden = TableHiddenFrom((Form_pg_class) GETSTRUCT(tup), GetUserId());
	ReleaseSysCache(tup);
	return hidden;
}

/*
 * Whether type typid (or its element type, for an array) is the row type of
 * a table, view or materialized view the role may not use (no USAGE on its
 * schema, no privilege on it or one of its columns): format_type and
 * pg_get_expr spell such a type with the table's name.
 */
static bool
RowTypeHidden(Oid typid)
{
	Oid			elem = get_element_type(typid);
	Oid			relid = get_typ_typrelid(OidIsValid(elem) ? elem : typid);
	HeapTuple	tup;
	Form_pg_class c;
	bool		hidden;

	if (!OidIsValid(relid))
		return false;
	tup = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	if (!HeapTupleIsValid(tup))
		return true;
	c = (Form_pg_class) GETSTRUCT(tup);
	hidden = c->relkind != RELKIND_COMPOSITE_TYPE && TableHiddenFrom(c, GetUserId());
	ReleaseSysCache(tup);
	return hidden;
}

/*
 * The pg_depend rows of catalog dr whose key columns (refclassid, refobjid
 * with index DependReferenceIndexId, classid, objid with
 * DependDependerIndexId) are pg_class and relid, scanned with fn called on
 * each row and arg until it returns true; returns whether one did.
 */
static bool
ScanDepend(const DetailRels *dr, Oid indexid, Oid relid,
		   bool (*fn) (Form_pg_depend d, void *arg), void *arg)
{
	bool		refs = indexid == DependReferenceIndexId;
	ScanKeyData key[2];
	SysScanDesc scan;
	HeapTuple	tup;
	bool		found = false;

	ScanKeyInit(&key[0], refs ? Anum_pg_depend_refclassid : Anum_pg_depend_classid,
				BTEqualStrategyNumber, F_OIDEQ, ObjectIdGetDatum(RelationRelationId));
	ScanKeyInit(&key[1], refs ? Anum_pg_depend_refobjid : Anum_pg_depend_objid,
				BTEqualStrategyNumber, F_OIDEQ, ObjectIdGetDatum(relid));
	scan = systable_beginscan(dr->depend, indexid, true, dr->snapshot, 2, key);
	while (!found && (tup = systable_getnext(scan)) != NULL)
		found = fn((Form_pg_depend) GETSTRUCT(tup), arg);
	systable_endscan(scan);
	return found;
}

/* Whether a dependency is the automatic or internal one of an owned object. */
static bool
IsOwnership(Form_pg_depend d)
{
	return d->deptype == DEPENDENCY_AUTO || d->deptype == DEPENDENCY_INTERNAL;
}

/* ScanDepend callback over the dependents of a table: adds an owned relation to the OwnedSet arg. */
static bool
AddOwned(Form_pg_depend d, void *arg)
{
	OwnedSet   *os = arg;

	if (d->classid == RelationRelationId && IsOwnership(d))
	{
		os->oids = GrowArray(os->oids, os->n, sizeof(Oid), CurrentMemoryContext);
		os->oids[os->n++] = d->objid;
	}
	return false;
}

/* ScanDepend callback over a sequence's dependencies: its owning table into the Oid arg. */
static bool
FindOwner(Form_pg_depend d, void *arg)
{
	if (d->refclassid != RelationRelationId || !IsOwnership(d))
		return false;
	*(Oid *) arg = d->refobjid;
	return true;
}

/*
 * Whether sequence seq belongs to a column of table self, or else of a table
 * the role may use (an inherited serial's).  The relations owned by self are
 * read with one scan of pg_depend per table (dr->owned), not one per
 * sequence: a role with SELECT on a table has no right on its serials'
 * sequences, so every serial column of a read-only role asks.
 */
static bool
OwnedByUsable(const DetailRels *dr, Oid seq, Oid self)
{
	OwnedSet   *os = dr->owned;
	Oid			owner = InvalidOid;

	if (os->table != self)
	{
		os->n = 0;
		ScanDepend(dr, DependReferenceIndexId, self, AddOwned, os);
		os->table = self;
	}
	for (int i = 0; i < os->n; i++)
		if (os->oids[i] == seq)
			return true;
	return ScanDepend(dr, DependDependerIndexId, seq, FindOwner, &owner) && !TableHidden(owner);
}

/*
 * Whether a regclass constant naming relid, in an expression of table self,
 * names a relation the role may not use, so the expression may not be shown:
 * a table, view or materialized view as TableHiddenFrom says; an index as its
 * table; a sequence without USAGE on its schema and USAGE, SELECT or UPDATE
 * on it, unless a column of self or of a table the role may use owns it (a
 * serial's sequence: SELECT on a table gives no right on it); a composite
 * type never (a type, as a column's type).  A relation that is gone is
 * spelled as a number: not hidden.
 */
static bool
RelationNameHidden(const DetailRels *dr, Oid relid, Oid self)
{
	HeapTuple	tup = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	Oid			roleid = GetUserId();
	Form_pg_class c;
	bool		hidden;

	if (!HeapTupleIsValid(tup))
		return false;
	c = (Form_pg_class) GETSTRUCT(tup);
	switch (c->relkind)
	{
		case RELKIND_COMPOSITE_TYPE:
			hidden = false;
			break;
		case RELKIND_INDEX:
		case RELKIND_PARTITIONED_INDEX:
			hidden = TableHidden(IndexGetRelation(relid, true));
			break;
		case RELKIND_SEQUENCE:
			hidden = pg_namespace_aclcheck(c->relnamespace, roleid, ACL_USAGE) != ACLCHECK_OK ||
				pg_class_aclcheck(relid, roleid, ACL_USAGE | ACL_SELECT | ACL_UPDATE) != ACLCHECK_OK;
			hidden = hidden && !OwnedByUsable(dr, relid, self);
			break;
		default:
			hidden = TableHiddenFrom(c, roleid);
			break;
	}
	ReleaseSysCache(tup);
	return hidden;
}

/*
 * Whether constant k of an expression of table self spells the name of a
 * relation the role may not use: a regclass naming one (RelationNameHidden),
 * a regtype naming a hidden table's row type; any regclass[] or regtype[]
 * (the client reader, which sees only pg_depend, cannot look inside them).
 */
static bool
ConstNamesHidden(const DetailRels *dr, const Const *k, Oid self)
{
	switch (k->consttype)
	{
		case REGCLASSARRAYOID:
		case REGTYPEARRAYOID:
			return true;
		case REGCLASSOID:
			return !k->constisnull && RelationNameHidden(dr, DatumGetObjectId(k->constvalue), self);
		case REGTYPEOID:
			return !k->constisnull && RowTypeHidden(DatumGetObjectId(k->constvalue));
		default:
			return false;
	}
}

/*
 * Whether relid has a column attnum that is not dropped (in the latest
 * catalog, as pg_get_expr reads it).
 */
static bool
ColumnExists(Oid relid, AttrNumber attnum)
{
	HeapTuple	tup = SearchSysCache2(ATTNUM, ObjectIdGetDatum(relid), Int16GetDatum(attnum));
	bool		exists;

	if (!HeapTupleIsValid(tup))
		return false;
	exists = !((Form_pg_attribute) GETSTRUCT(tup))->attisdropped;
	ReleaseSysCache(tup);
	return exists;
}

/*
 * expression_tree_walker callback of ExprShowable over an expression of
 * table sc->relid: true at the first node whose type is a hidden table's row
 * type, a constant that spells a hidden relation's name (ConstNamesHidden),
 * a regclass or regtype computed when it runs (from a text its constant may
 * spell any name with), or whose type, collation, function, operator or
 * column another session dropped after the statement's snapshot read the
 * expression (pg_get_expr would fail with "cache lookup failed").
 */
static bool
UnshowableWalker(Node *node, void *arg)
{
	ShowContext *sc = arg;
	Oid			type;
	Oid			coll;
	Oid			op = InvalidOid;

	if (node == NULL)
		return false;
	if (IsA(node, List))
		return expression_tree_walker(node, UnshowableWalker, arg);
	type = exprType(node);
	coll = exprCollation(node);
	if (IsA(node, OpExpr) || IsA(node, DistinctExpr) || IsA(node, NullIfExpr))
		op = ((OpExpr *) node)->opno;
	else if (IsA(node, ScalarArrayOpExpr))
		op = ((ScalarArrayOpExpr *) node)->opno;
	if ((OidIsValid(type) && !SearchSysCacheExists1(TYPEOID, ObjectIdGetDatum(type))) ||
		(OidIsValid(coll) && !SearchSysCacheExists1(COLLOID, ObjectIdGetDatum(coll))) ||
		(OidIsValid(op) && !SearchSysCacheExists1(OPEROID, ObjectIdGetDatum(op))) ||
		(IsA(node, FuncExpr) &&
		 !SearchSysCacheExists1(PROCOID, ObjectIdGetDatum(((FuncExpr *) node)->funcid))) ||
		(IsA(node, Var) && ((Var *) node)->varattno > 0 &&
		 !ColumnExists(sc->relid, ((Var *) node)->varattno)) ||
		RowTypeHidden(type) ||
		(IsA(node, Const) && ConstNamesHidden(sc->dr, (Const *) node, sc->relid)) ||
		((type == REGCLASSOID || type == REGTYPEOID) &&
		 (IsA(node, FuncExpr) || IsA(node, CoerceViaIO) || IsA(node, RelabelType) ||
		  IsA(node, FieldSelect))))
		return true;
	return expression_tree_walker(node, UnshowableWalker, arg);
}

/*
 * Whether pg_get_expr may spell the stored expression bin (a default, check,
 * the index expressions or predicate) of table relid: it names no relation
 * the role may not use (a cast to its row type, a row of it, a regclass
 * constant such as nextval('other_seq')) and nothing it names was dropped
 * since the statement's snapshot read it.
 */
static bool
ExprShowable(const DetailRels *dr, Datum bin, Oid relid)
{
	ShowContext sc = {dr, relid};

	return !UnshowableWalker(stringToNode(TextDatumGetCString(bin)), &sc);
}

/*
 * The text of the default of column attnum of relid (pg_get_expr) among the
 * table's pg_attrdef rows defs, in cxt; NULL when it has none or it is
 * not ExprShowable.
 */
static char *
ColumnDefault(const DetailRels *dr, HeapTuple *defs, int n_defs, Oid relid, AttrNumber attnum,
			  MemoryContext cxt)
{
	for (int i = 0; i < n_defs; i++)
	{
		bool		isnull;
		Datum		bin;

		if (((Form_pg_attrdef) GETSTRUCT(defs[i]))->adnum != attnum)
			continue;
		bin = heap_getattr(defs[i], Anum_pg_attrdef_adbin, RelationGetDescr(dr->attrdef), &isnull);
		if (isnull || !ExprShowable(dr, bin, relid))
			return NULL;
		return TextCall(pg_get_expr_ext, bin, ObjectIdGetDatum(relid), BoolGetDatum(false), cxt);
	}
	return NULL;
}

/*
 * Reads the columns of t the role may use, in order (a stored generated
 * column shows no default); returns whether some column is hidden from it.
 */
static bool
ReadColumns(const DetailRels *dr, SqlpilotCachedTable *t, MemoryContext cxt)
{
	Oid			roleid = GetUserId();
	bool		missing = false;
	bool		table_right;
	HeapTuple  *atts;
	HeapTuple  *defs;
	int			n_atts;
	int			n_defs;
	bool		hidden = false;

	table_right = pg_class_aclcheck_ext(t->relid, roleid, COLUMN_RIGHTS, &missing) == ACLCHECK_OK;
	n_atts = RowsByOid(dr->attribute, AttributeRelidNumIndexId, Anum_pg_attribute_attrelid,
					   t->relid, dr->snapshot, &atts);
	n_defs = RowsByOid(dr->attrdef, AttrDefaultIndexId, Anum_pg_attrdef_adrelid, t->relid,
					   dr->snapshot, &defs);
	if (n_atts > 0)
		qsort(atts, n_atts, sizeof(HeapTuple), CompareAttributes);
	for (int i = 0; i < n_atts; i++)
	{
		Form_pg_attribute a = (Form_pg_attribute) GETSTRUCT(atts[i]);
		SqlpilotTable *tt = &t->table;
		SqlpilotColumn *c;

		CHECK_FOR_INTERRUPTS();
		if (a->attnum <= 0 || a->attisdropped)
			continue;
		/* a column of a hidden table's row type would name that table */
		if ((!table_right && ColumnRight(t->relid, a->attnum, roleid) != 1) ||
			RowTypeHidden(a->atttypid))
		{
			hidden = true;
			continue;
		}
		tt->columns = GrowArray(tt->columns, tt->n_columns, sizeof(SqlpilotColumn), cxt);
		c = &tt->columns[tt->n_columns++];
		c->name = MemoryContextStrdup(cxt, NameStr(a->attname));
		c->type = MemoryContextStrdup(cxt, format_type_extended(a->atttypid, a->atttypmod,
																FORMAT_TYPE_TYPEMOD_GIVEN |
																FORMAT_TYPE_ALLOW_INVALID));
		c->not_null = a->attnotnull;
		c->default_expr = a->attgenerated == '\0' ?
			ColumnDefault(dr, defs, n_defs, t->relid, a->attnum, cxt) : NULL;
	}
	return hidden;
}

/*
 * Fills ix, in cxt, with the keys of the index whose pg_index row is row: a
 * column's name (unquoted: the renderer quotes) or an expression's text
 * (pg_get_indexdef), DESC, whether an expression.  Returns false when a
 * key's text is gone (the index was dropped meanwhile) or its keys or
 * predicate would name a relation the role may not use (ExprShowable).
 */
static bool
IndexKeys(const DetailRels *dr, HeapTuple row, MemoryContext cxt, SqlpilotIndex *ix)
{
	Form_pg_index x = (Form_pg_index) GETSTRUCT(row);
	bool		isnull;
	Datum		options = heap_getattr(row, Anum_pg_index_indoption, RelationGetDescr(dr->index),
									   &isnull);
	int2vector *opts = isnull ? NULL : (int2vector *) DatumGetPointer(options);
	Datum		exprs = heap_getattr(row, Anum_pg_index_indexprs, RelationGetDescr(dr->index),
									 &isnull);
	Datum		pred;

	if (!isnull && !ExprShowable(dr, exprs, x->indrelid))
		return false;
	/* the predicate is not shown, but the client reader cannot tell it from the keys */
	pred = heap_getattr(row, Anum_pg_index_indpred, RelationGetDescr(dr->index), &isnull);
	if (!isnull && !ExprShowable(dr, pred, x->indrelid))
		return false;
	ix->n_cols = x->indnkeyatts;
	ix->cols = MemoryContextAllocZero(cxt, sizeof(char *) * Max(ix->n_cols, 1));
	ix->desc = MemoryContextAllocZero(cxt, sizeof(bool) * Max(ix->n_cols, 1));
	ix->expr = MemoryContextAllocZero(cxt, sizeof(bool) * Max(ix->n_cols, 1));
	for (int k = 0; k < ix->n_cols; k++)
	{
		AttrNumber	attnum = x->indkey.values[k];
		char	   *name = attnum > 0 ? get_attname(x->indrelid, attnum, true) : NULL;

		ix->cols[k] = name != NULL ? MemoryContextStrdup(cxt, name) :
			TextCall(pg_get_indexdef_ext, ObjectIdGetDatum(x->indexrelid), Int32GetDatum(k + 1),
					 BoolGetDatum(true), cxt);
		if (ix->cols[k] == NULL)
			return false;
		ix->desc[k] = opts != NULL && (opts->values[k] & INDOPTION_DESC) != 0;
		ix->expr[k] = attnum == 0;
	}
	return true;
}

/*
 * Reads the indexes of t (and the PRIMARY KEY and UNIQUE constraints behind
 * them, among its constraints cons), the primary key first, then by name;
 * with hidden columns, one that may name a hidden column is left out.
 */
static void
ReadIndexes(const DetailRels *dr, SqlpilotCachedTable *t, bool hidden, HeapTuple *cons,
			int n_cons, MemoryContext cxt)
{
	SqlpilotTable *tt = &t->table;
	HeapTuple  *rows;
	int			n = RowsByOid(dr->index, IndexIndrelidIndexId, Anum_pg_index_indrelid, t->relid,
							  dr->snapshot, &rows);
	SqlpilotIndex *found = palloc0(sizeof(SqlpilotIndex) * Max(n, 1));
	int			n_found = 0;

	for (int i = 0; i < n; i++)
	{
		Form_pg_index x = (Form_pg_index) GETSTRUCT(rows[i]);
		SqlpilotIndex *ix = &found[n_found];
		char	   *name = get_rel_name(x->indexrelid);

		CHECK_FOR_INTERRUPTS();
		if (name == NULL || !IndexKeys(dr, rows[i], cxt, ix))
			continue;
		ix->name = MemoryContextStrdup(cxt, name);
		ix->primary = x->indisprimary;
		ix->unique = x->indisunique;
		ix->is_constraint = false;
		for (int c = 0; c < n_cons; c++)
		{
			Form_pg_constraint con = (Form_pg_constraint) GETSTRUCT(cons[c]);

			if (con->conindid == x->indexrelid &&
				(con->contype == CONSTRAINT_PRIMARY || con->contype == CONSTRAINT_UNIQUE))
				ix->is_constraint = con->contype == CONSTRAINT_UNIQUE;
		}
		if (hidden && !KeysVisible(tt, ix))
			continue;
		n_found++;
	}
	if (n_found > 0)
		qsort(found, n_found, sizeof(SqlpilotIndex), CompareIndexes);
	for (int i = 0; i < n_found; i++)
	{
		tt->indexes = GrowArray(tt->indexes, tt->n_indexes, sizeof(SqlpilotIndex), cxt);
		tt->indexes[tt->n_indexes++] = found[i];
	}
}

/*
 * The names of the columns keys[0..n) of relid, in cxt, into *out; false
 * when one is gone (it or its table dropped meanwhile: get_attname would
 * give a dropped column's placeholder name).
 */
static bool
ColumnNames(Oid relid, const AttrNumber *keys, int n, MemoryContext cxt, char ***out)
{
	*out = MemoryContextAllocZero(cxt, sizeof(char *) * Max(n, 1));
	for (int i = 0; i < n; i++)
	{
		char	   *name = ColumnExists(relid, keys[i]) ? get_attname(relid, keys[i], true) : NULL;

		if (name == NULL)
			return false;
		(*out)[i] = MemoryContextStrdup(cxt, name);
	}
	return true;
}

/*
 * Fills fk (names in cxt) with the foreign key con of table t (in schema
 * nsp) when the role may use its target: USAGE on the target's schema, a
 * privilege on the target table and on every referenced column (a role with
 * only DELETE on the target sees none of its columns, so no REFERENCES may
 * name one).  Returns whether it may.
 */
static bool
ForeignKeyFrom(const DetailRels *dr, const SqlpilotCachedTable *t, Oid nsp, HeapTuple con,
			   MemoryContext cxt, SqlpilotForeignKey *fk)
{
	Form_pg_constraint c = (Form_pg_constraint) GETSTRUCT(con);
	Oid			roleid = GetUserId();
	HeapTuple	target = SearchSysCache1(RELOID, ObjectIdGetDatum(c->confrelid));
	Form_pg_class rc;
	char	   *schema;
	AttrNumber *keys;
	AttrNumber *ref_keys;
	int			n_keys;
	bool		missing = false;
	bool		usable;

	if (!HeapTupleIsValid(target))
		return false;
	rc = (Form_pg_class) GETSTRUCT(target);
	schema = get_namespace_name(rc->relnamespace);
	usable = schema != NULL &&
		pg_namespace_aclcheck(rc->relnamespace, roleid, ACL_USAGE) == ACLCHECK_OK &&
		pg_class_aclcheck_ext(c->confrelid, roleid, COLUMN_RIGHTS | ACL_DELETE,
							  &missing) == ACLCHECK_OK;
	n_keys = KeyColumns(con, dr->constraint, Anum_pg_constraint_confkey, &ref_keys);
	for (int i = 0; i < n_keys && usable; i++)
		usable = ColumnRight(c->confrelid, ref_keys[i], roleid) != 0;
	if (usable)
	{
		memset(fk, 0, sizeof(*fk));
		fk->name = MemoryContextStrdup(cxt, NameStr(c->conname));
		fk->n_cols = KeyColumns(con, dr->constraint, Anum_pg_constraint_conkey, &keys);
		fk->ref_schema = rc->relnamespace == nsp ? NULL :
			MemoryContextStrdup(cxt, isTempNamespace(rc->relnamespace) ? "pg_temp" : schema);
		fk->ref_table = MemoryContextStrdup(cxt, NameStr(rc->relname));
		fk->on_delete = FkeyAction(c->confdeltype, cxt);
		fk->on_update = FkeyAction(c->confupdtype, cxt);
		usable = fk->n_cols == n_keys &&
			ColumnNames(t->relid, keys, fk->n_cols, cxt, &fk->cols) &&
			ColumnNames(c->confrelid, ref_keys, n_keys, cxt, &fk->ref_cols);
	}
	ReleaseSysCache(target);
	return usable;
}

/*
 * Reads the foreign keys of t (in schema nsp) among its constraints cons, by
 * name; with hidden columns, one from a hidden column is left out.
 */
static void
ReadForeignKeys(const DetailRels *dr, SqlpilotCachedTable *t, Oid nsp, bool hidden,
				HeapTuple *cons, int n_cons, MemoryContext cxt)
{
	SqlpilotTable *tt = &t->table;

	for (int i = 0; i < n_cons; i++)
	{
		SqlpilotForeignKey fk;

		CHECK_FOR_INTERRUPTS();
		/* a key with a parent is a partition's clone of it, to or from a partition */
		if (((Form_pg_constraint) GETSTRUCT(cons[i]))->contype != CONSTRAINT_FOREIGN ||
			OidIsValid(((Form_pg_constraint) GETSTRUCT(cons[i]))->conparentid) ||
			!ForeignKeyFrom(dr, t, nsp, cons[i], cxt, &fk) ||
			(hidden && !ColumnsVisible(tt, fk.cols, fk.n_cols)))
			continue;
		tt->fkeys = GrowArray(tt->fkeys, tt->n_fkeys, sizeof(SqlpilotForeignKey), cxt);
		tt->fkeys[tt->n_fkeys++] = fk;
	}
}

/*
 * Reads the CHECK constraints of t among its constraints cons, by name (none
 * for a table with hidden columns, nor one whose text is gone: what
 * pg_get_expr answers once its table is dropped meanwhile; nor one that is
 * not ExprShowable).
 */
static void
ReadChecks(const DetailRels *dr, SqlpilotCachedTable *t, bool hidden, HeapTuple *cons,
		   int n_cons, MemoryContext cxt)
{
	SqlpilotTable *tt = &t->table;

	for (int i = 0; i < n_cons && !hidden; i++)
	{
		bool		isnull;
		Datum		bin;
		char	   *text;

		CHECK_FOR_INTERRUPTS();
		if (((Form_pg_constraint) GETSTRUCT(cons[i]))->contype != CONSTRAINT_CHECK)
			continue;
		bin = heap_getattr(cons[i], Anum_pg_constraint_conbin, RelationGetDescr(dr->constraint),
						   &isnull);
		text = isnull || !ExprShowable(dr, bin, t->relid) ? NULL :
			TextCall(pg_get_expr_ext, bin, ObjectIdGetDatum(t->relid), BoolGetDatum(true), cxt);
		if (text == NULL)
			continue;
		tt->checks = GrowArray(tt->checks, tt->n_checks, sizeof(SqlpilotCheck), cxt);
		tt->checks[tt->n_checks].name =
			MemoryContextStrdup(cxt, NameStr(((Form_pg_constraint) GETSTRUCT(cons[i]))->conname));
		tt->checks[tt->n_checks++].expr = text;
	}
}

/*
 * Reads the definition of one table into t, strings in cxt: its columns,
 * then (not for a view or materialized view) its keys and indexes, foreign
 * keys and checks.  A table dropped meanwhile is left bare.
 */
static void
ReadTable(const DetailRels *dr, SqlpilotCachedTable *t, MemoryContext cxt)
{
	HeapTuple	tup = SearchSysCache1(RELOID, ObjectIdGetDatum(t->relid));
	Oid			nsp;
	HeapTuple  *cons;
	int			n_cons;
	bool		hidden;

	if (!HeapTupleIsValid(tup))
		return;
	nsp = ((Form_pg_class) GETSTRUCT(tup))->relnamespace;
	ReleaseSysCache(tup);
	hidden = ReadColumns(dr, t, cxt);
	if (!HasConstraints(t))
		return;
	n_cons = RowsByOid(dr->constraint, ConstraintRelidTypidNameIndexId,
					   Anum_pg_constraint_conrelid, t->relid, dr->snapshot, &cons);
	if (n_cons > 0)
		qsort(cons, n_cons, sizeof(HeapTuple), CompareConstraints);
	ReadIndexes(dr, t, hidden, cons, n_cons, cxt);
	ReadForeignKeys(dr, t, nsp, hidden, cons, n_cons, cxt);
	ReadChecks(dr, t, hidden, cons, n_cons, cxt);
}

/*
 * Reads the definitions (columns, keys, indexes, checks) of tables[which[0..n)]
 * into cxt and marks them loaded.  Their definitions are cleared first, so a
 * read that an error cut short is simply read again.
 */
void
SqlpilotReadDetails(SqlpilotCachedTable *tables, const int *which, int n, MemoryContext cxt)
{
	MemoryContext work;
	MemoryContext old;
	DetailRels	dr;
	OwnedSet	owned = {InvalidOid, 0, NULL};
	int			nest;

	if (n == 0)
		return;
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
	}
	work = AllocSetContextCreate(CurrentMemoryContext, "sqlpilot catalog read",
								 ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(work);
	nest = PinSearchPath();
	dr.attribute = table_open(AttributeRelationId, AccessShareLock);
	dr.attrdef = table_open(AttrDefaultRelationId, AccessShareLock);
	dr.index = table_open(IndexRelationId, AccessShareLock);
	dr.constraint = table_open(ConstraintRelationId, AccessShareLock);
	dr.depend = table_open(DependRelationId, AccessShareLock);
	dr.snapshot = StatementSnapshot();
	dr.owned = &owned;
	for (int i = 0; i < n; i++)
		ReadTable(&dr, &tables[which[i]], cxt);
	table_close(dr.depend, AccessShareLock);
	table_close(dr.constraint, AccessShareLock);
	table_close(dr.index, AccessShareLock);
	table_close(dr.attrdef, AccessShareLock);
	table_close(dr.attribute, AccessShareLock);
	AtEOXact_GUC(true, nest);
	MemoryContextSwitchTo(old);
	MemoryContextDelete(work);
	/*
	 * A table dropped by another session after the listing saw it (read
	 * bare above, or half read when dropped while it was read) is left out.
	 */
	for (int i = 0; i < n; i++)
	{
		tables[which[i]].loaded = true;
		if (!SearchSysCacheExists1(RELOID, ObjectIdGetDatum(tables[which[i]].relid)))
			tables[which[i]].skip = true;
	}
}

/*
 * Appends the foreign key row con to *fks (n so far) unless it holds it
 * already (a key found from both ends, or through each of its columns);
 * returns the new count.
 */
static int
AddEdgeRow(HeapTuple **fks, int n, HeapTuple con)
{
	Oid			oid = ((Form_pg_constraint) GETSTRUCT(con))->oid;

	for (int i = 0; i < n; i++)
		if (((Form_pg_constraint) GETSTRUCT((*fks)[i]))->oid == oid)
			return n;
	*fks = GrowArray(*fks, n, sizeof(HeapTuple), CurrentMemoryContext);
	(*fks)[n] = con;
	return n + 1;
}

/* Orders foreign key rows by referencing table, then name. */
static int
CompareEdgeRows(const void *a, const void *b)
{
	Form_pg_constraint x = (Form_pg_constraint) GETSTRUCT(*(const HeapTuple *) a);
	Form_pg_constraint y = (Form_pg_constraint) GETSTRUCT(*(const HeapTuple *) b);

	if (x->conrelid != y->conrelid)
		return x->conrelid < y->conrelid ? -1 : 1;
	return strcmp(NameStr(x->conname), NameStr(y->conname));
}

/*
 * Adds to *fks (n so far; returns the new count) the foreign keys to relid,
 * found through pg_depend's index on the referenced object (a foreign key
 * depends on the referenced columns), since pg_constraint has no index on
 * confrelid; a scan of every constraint would cost each new backend a pass
 * over pg_constraint.
 */
static int
AddReferencingKeys(Relation deprel, Oid relid, HeapTuple **fks, int n)
{
	ScanKeyData key[2];
	SysScanDesc scan;
	HeapTuple	tup;

	ScanKeyInit(&key[0], Anum_pg_depend_refclassid, BTEqualStrategyNumber, F_OIDEQ,
				ObjectIdGetDatum(RelationRelationId));
	ScanKeyInit(&key[1], Anum_pg_depend_refobjid, BTEqualStrategyNumber, F_OIDEQ,
				ObjectIdGetDatum(relid));
	scan = systable_beginscan(deprel, DependReferenceIndexId, true, StatementSnapshot(), 2, key);
	while ((tup = systable_getnext(scan)) != NULL)
	{
		Form_pg_depend d = (Form_pg_depend) GETSTRUCT(tup);
		HeapTuple	con;

		CHECK_FOR_INTERRUPTS();
		if (d->classid != ConstraintRelationId)
			continue;
		con = SearchSysCacheCopy1(CONSTROID, ObjectIdGetDatum(d->objid));
		if (!HeapTupleIsValid(con))
			continue;
		if (((Form_pg_constraint) GETSTRUCT(con))->contype == CONSTRAINT_FOREIGN &&
			((Form_pg_constraint) GETSTRUCT(con))->confrelid == relid)
			n = AddEdgeRow(fks, n, con);
	}
	systable_endscan(scan);
	return n;
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
	SqlpilotEdge *edges = NULL;
	MemoryContext caller = CurrentMemoryContext;
	MemoryContext work = AllocSetContextCreate(caller, "sqlpilot catalog read",
											   ALLOCSET_SMALL_SIZES);
	Relation	conrel = table_open(ConstraintRelationId, AccessShareLock);
	Relation	deprel = table_open(DependRelationId, AccessShareLock);
	Oid			roleid = GetUserId();
	HeapTuple  *fks = NULL;
	int			n_fks = 0;

	MemoryContextSwitchTo(work);
	for (int i = 0; i < n; i++)
	{
		HeapTuple  *rows;
		int			n_rows = RowsByOid(conrel, ConstraintRelidTypidNameIndexId,
									   Anum_pg_constraint_conrelid, relids[i],
									   StatementSnapshot(), &rows);

		for (int r = 0; r < n_rows; r++)
			if (((Form_pg_constraint) GETSTRUCT(rows[r]))->contype == CONSTRAINT_FOREIGN)
				n_fks = AddEdgeRow(&fks, n_fks, rows[r]);
		n_fks = AddReferencingKeys(deprel, relids[i], &fks, n_fks);
	}
	if (n_fks > 0)
		qsort(fks, n_fks, sizeof(HeapTuple), CompareEdgeRows);
	edges = MemoryContextAlloc(caller, sizeof(SqlpilotEdge) * Max(n_fks, 1));
	for (int i = 0; i < n_fks; i++)
	{
		Form_pg_constraint c = (Form_pg_constraint) GETSTRUCT(fks[i]);
		SqlpilotEdge *e = &edges[i];
		bool		missing = false;

		CHECK_FOR_INTERRUPTS();
		e->from = c->conrelid;
		e->to = c->confrelid;
		e->keys_usable =
			pg_class_aclcheck_ext(e->from, roleid, COLUMN_RIGHTS, &missing) == ACLCHECK_OK;
		if (!e->keys_usable && !missing)
		{
			AttrNumber *keys;
			int			n_keys = KeyColumns(fks[i], conrel, Anum_pg_constraint_conkey, &keys);

			/* a table or column dropped meanwhile is not usable (not an error) */
			e->keys_usable = !heap_attisnull(fks[i], Anum_pg_constraint_conkey,
											 RelationGetDescr(conrel));
			for (int k = 0; k < n_keys && e->keys_usable; k++)
				e->keys_usable = keys[k] != InvalidAttrNumber &&
					pg_attribute_aclcheck_ext(e->from, keys[k], roleid, COLUMN_RIGHTS,
											  &missing) == ACLCHECK_OK;
		}
	}
	*n_edges = n_fks;
	table_close(deprel, AccessShareLock);
	table_close(conrel, AccessShareLock);
	MemoryContextSwitchTo(caller);
	MemoryContextDelete(work);
	return edges;
}

/*
 * Looks up the table schema.name wherever it is (a name the prefix qualifies
 * with a schema outside the scope), in the statement's snapshot as a query
 * would; fills out, names in cxt, when the role may use it: USAGE on its
 * schema, not another session's temporary schema, a table, view or
 * materialized view (not a partition) it has a privilege on.  Returns
 * whether it does.
 */
bool
SqlpilotReadNamedTable(const char *schema, const char *name, MemoryContext cxt,
					   SqlpilotCachedTable *out)
{
	Relation	nsprel;
	Relation	classrel;
	ScanKeyData key[2];
	SysScanDesc scan;
	HeapTuple	tup;
	RoleRights	rr;
	Oid			nsp = InvalidOid;
	bool		found = false;

	if (strlen(schema) >= NAMEDATALEN || strlen(name) >= NAMEDATALEN)
		return false;
	CurrentRights(&rr);
	nsprel = table_open(NamespaceRelationId, AccessShareLock);
	ScanKeyInit(&key[0], Anum_pg_namespace_nspname, BTEqualStrategyNumber, F_NAMEEQ,
				CStringGetDatum(schema));
	scan = systable_beginscan(nsprel, NamespaceNameIndexId, true, StatementSnapshot(), 1, key);
	if ((tup = systable_getnext(scan)) != NULL)
		nsp = ((Form_pg_namespace) GETSTRUCT(tup))->oid;
	systable_endscan(scan);
	table_close(nsprel, AccessShareLock);
	if (!OidIsValid(nsp) || isOtherTempNamespace(nsp) ||
		pg_namespace_aclcheck(nsp, rr.roleid, ACL_USAGE) != ACLCHECK_OK)
		return false;

	classrel = table_open(RelationRelationId, AccessShareLock);
	ScanKeyInit(&key[0], Anum_pg_class_relname, BTEqualStrategyNumber, F_NAMEEQ,
				CStringGetDatum(name));
	ScanKeyInit(&key[1], Anum_pg_class_relnamespace, BTEqualStrategyNumber, F_OIDEQ,
				ObjectIdGetDatum(nsp));
	scan = systable_beginscan(classrel, ClassNameNspIndexId, true, StatementSnapshot(), 2, key);
	if ((tup = systable_getnext(scan)) != NULL && IsListedKind((Form_pg_class) GETSTRUCT(tup)))
		found = TableFromTuple(&rr, isTempNamespace(nsp) ? "pg_temp" : schema, tup, classrel,
							   cxt, out);
	systable_endscan(scan);
	table_close(classrel, AccessShareLock);
	return found;
}
