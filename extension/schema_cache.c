/*
 * schema_cache.c — the per-backend cache of the schema part of the prompt,
 * and the choice of tables when they do not all fit in the token budget.
 *
 * The cache holds the visible tables listed from the catalog (catalog.c):
 * names and a lower bound of their size.  With more tables than a prompt
 * can hold it lists only the first, those the choice takes its rest from,
 * and adds the ones the prefix names and their neighbours when needed, in
 * catalog order, so the prompt is the one a full listing gives.  A table's
 * foreign-key neighbours are read the first time the prefix names it, its
 * definition the first time a prompt may hold it, and the text of every
 * table only when the whole schema may fit.  It is rebuilt when the
 * relcache or the namespace, type, role or role membership syscaches report a
 * change (any DDL, GRANT or REVOKE, in any session), or the sequence
 * syscache does (ALTER SEQUENCE ... OWNED BY changes only pg_depend and
 * pg_sequence, yet decides whether a default naming the sequence shows),
 * when the role changes, or when the schemas in scope (search_path or
 * sqlpilot.schemas) resolve to other schemas.  The callbacks only bump a generation counter; the next call
 * notices and rebuilds.  An error (a cancel, say) while reading leaves no
 * half-read table marked as read: it is read again next time.
 *
 * When everything does not fit, the tables are chosen by the one rule of
 * core/table_choice.h (tables named in the prefix, their foreign-key
 * neighbours, the rest in catalog order; whole tables; a quarter of the
 * budget left for the prefix; chosen tables rendered in catalog order, so a
 * growing prefix keeps the KV cache).  This file answers its callbacks: a
 * table's definition is read from the catalog when the choice may need it
 * (in batches of 8, 16, 32, then 64, so a schema of thousands of tables
 * reads a few dozen), its cost is its rendering's token count, counted once
 * per model, and the prompt of every table in scope is rendered once per
 * cache build.
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/inval.h"
#include "utils/memutils.h"
#include "utils/syscache.h"
#include "utils/varlena.h"

#include "prompt.h"
#include "sql_words.h"
#include "sqlpilot.h"
#include "table_choice.h"

typedef struct SchemaCache
{
	MemoryContext cxt;			/* "sqlpilot schema cache", reset on rebuild */
	bool		built;
	uint64		generation;		/* invalidation generation it was built at */
	Oid			userid;
	List	   *namespaces;		/* schema OIDs it was built from */
	SqlpilotScope *scope;		/* the usable ones, in listing order */
	int			limit;			/* tables the listing stopped at; 0: it read all */
	bool		complete;		/* the listing holds every table in scope */
	int			n_listed;		/* tables listed: the first in scope, in order */
	int			n_tables;		/* the listed tables, the others in scope found by name or
								 * foreign key (in order), then those out of scope */
	int			n_scope;		/* tables of the schemas in scope */
	int			cap_tables;
	SqlpilotCachedTable *tables;
	List	   *looked_up;		/* "schema.table" names of the prefix looked up so far */
	char	   *full;			/* every table rendered, UTF-8; NULL until needed */
	size_t		full_len;
	int			n_full;			/* tables in it (skipped ones are not) */
	uint64		model_checksum; /* model the n_tokens counts belong to */
} SchemaCache;

static SchemaCache schema_cache;
static uint64 inval_generation = 1;

/* Relcache callback: any relation changed (DDL, GRANT, REVOKE); rebuild next time. */
static void
InvalidateOnRelcache(Datum arg, Oid relid)
{
	inval_generation++;
}

/* Syscache callback for schemas, types, roles, role membership and sequences: rebuild next time. */
static void
InvalidateOnSyscache(Datum arg, int cacheid, uint32 hashvalue)
{
	inval_generation++;
}

/* Registers the invalidation callbacks (once per backend) and the cache's context. */
void
SqlpilotSchemaCacheInit(void)
{
	CacheRegisterRelcacheCallback(InvalidateOnRelcache, (Datum) 0);
	CacheRegisterSyscacheCallback(NAMESPACEOID, InvalidateOnSyscache, (Datum) 0);
	CacheRegisterSyscacheCallback(TYPEOID, InvalidateOnSyscache, (Datum) 0);
	CacheRegisterSyscacheCallback(AUTHOID, InvalidateOnSyscache, (Datum) 0);
	CacheRegisterSyscacheCallback(AUTHMEMROLEMEM, InvalidateOnSyscache, (Datum) 0);
	CacheRegisterSyscacheCallback(SEQRELID, InvalidateOnSyscache, (Datum) 0);
}

/*
 * The schemas in scope: sqlpilot.schemas when set, else the role's
 * search_path and the session's temporary schema (searched first, implicitly).
 */
static List *
SchemasInScope(void)
{
	List	   *names;
	List	   *oids = NIL;
	ListCell   *lc;
	char	   *raw;

	if (sqlpilot_schemas == NULL || sqlpilot_schemas[0] == '\0')
	{
		Oid			temp;
		Oid			temp_toast;

		oids = fetch_search_path(false);
		GetTempNamespaceState(&temp, &temp_toast);
		if (OidIsValid(temp))
			oids = list_append_unique_oid(oids, temp);
		return oids;
	}
	raw = pstrdup(sqlpilot_schemas);
	if (!SplitIdentifierString(raw, ',', &names))
		elog(ERROR, "sqlpilot: invalid sqlpilot.schemas \"%s\"", sqlpilot_schemas);
	foreach(lc, names)
	{
		Oid			nsp = LookupNamespaceNoError((char *) lfirst(lc));

		if (OidIsValid(nsp))
			oids = list_append_unique_oid(oids, nsp);
	}
	return oids;
}

/* Renders tables[idx[0..n)] with the core renderer into a palloc'd UTF-8 string. */
static char *
RenderTables(const SqlpilotCachedTable *tables, const int *idx, int n, size_t *len)
{
	SqlpilotTable *arr = palloc(sizeof(SqlpilotTable) * Max(n, 1));
	char	   *text;
	char	   *copy;
	char	   *utf8;

	for (int i = 0; i < n; i++)
		arr[i] = tables[idx[i]].table;
	text = sqlpilot_schema_render(arr, n, SQLPILOT_DDL_CRDB, NULL, len);
	if (text == NULL)
		elog(ERROR, "sqlpilot: out of memory rendering the schema");
	copy = palloc(*len + 1);
	memcpy(copy, text, *len);
	copy[*len] = '\0';
	free(text);
	utf8 = pg_server_to_any(copy, (int) *len, PG_UTF8);
	if (utf8 != copy)
		*len = strlen(utf8);
	return utf8;
}

/*
 * Makes the cache current for this role and these schemas, listing the
 * tables if needed: the first SQLPILOT_TABLES_REST_LIMIT(budget) of them
 * (all the choice of tables may take from the rest), or every one with
 * sqlpilot.list_all_tables.
 */
static void
EnsureCache(int budget)
{
	List	   *namespaces = SchemasInScope();
	uint64		generation = inval_generation;
	int			limit = sqlpilot_list_all_tables ? 0 : SQLPILOT_TABLES_REST_LIMIT(budget);
	MemoryContext old;

	if (schema_cache.built && schema_cache.generation == inval_generation &&
		schema_cache.userid == GetUserId() && equal(namespaces, schema_cache.namespaces) &&
		(schema_cache.complete ||
		 (limit == 0 ? schema_cache.limit == 0 :
		  schema_cache.limit != 0 && limit <= schema_cache.limit)))
	{
		sqlpilot_stats_counters.schema_hits++;
		return;
	}

	if (schema_cache.cxt == NULL)
		schema_cache.cxt = AllocSetContextCreate(CacheMemoryContext, "sqlpilot schema cache",
												 ALLOCSET_DEFAULT_SIZES);
	schema_cache.built = false;
	MemoryContextReset(schema_cache.cxt);
	schema_cache.full = NULL;
	schema_cache.full_len = 0;

	schema_cache.scope = SqlpilotResolveScope(namespaces, schema_cache.cxt);
	schema_cache.n_tables = SqlpilotReadTables(schema_cache.scope, limit, schema_cache.cxt,
											   &schema_cache.tables, &schema_cache.complete);
	schema_cache.limit = limit;
	schema_cache.n_listed = schema_cache.n_scope = schema_cache.n_tables;
	schema_cache.cap_tables = schema_cache.n_tables;
	schema_cache.looked_up = NIL;
	old = MemoryContextSwitchTo(schema_cache.cxt);
	schema_cache.namespaces = list_copy(namespaces);
	MemoryContextSwitchTo(old);
	schema_cache.userid = GetUserId();
	schema_cache.model_checksum = 0;
	/* an invalidation that arrived while reading makes the next call rebuild */
	schema_cache.generation = generation;
	schema_cache.built = true;
	sqlpilot_stats_counters.schema_builds++;
}

/* Makes room in the cache's table array for one more table. */
static void
GrowTables(SchemaCache *sc)
{
	if (sc->n_tables < sc->cap_tables)
		return;
	sc->cap_tables = Max(4, sc->cap_tables * 2);
	sc->tables = sc->n_tables > 0 ?
		repalloc(sc->tables, sizeof(SqlpilotCachedTable) * sc->cap_tables) :
		MemoryContextAlloc(sc->cxt, sizeof(SqlpilotCachedTable) * sc->cap_tables);
}

/* The index of the table relid among the cache's first n tables, or -1. */
static int
CachedIndex(const SchemaCache *sc, Oid relid, int n)
{
	for (int i = 0; i < n; i++)
		if (sc->tables[i].relid == relid)
			return i;
	return -1;
}

/*
 * Adds table t of a schema in scope that the listing stopped before, in
 * its place among the others added so (after every listed table, since the
 * listing holds the first ones), and moves the neighbour indexes along, so
 * the array stays in catalog order as a full listing would have it.
 */
static void
InsertScopeTable(SchemaCache *sc, const SqlpilotCachedTable *t)
{
	int			p = sc->n_listed;

	while (p < sc->n_scope && strcmp(sc->tables[p].table.schema, t->table.schema) < 0)
		p++;
	while (p < sc->n_scope && strcmp(sc->tables[p].table.schema, t->table.schema) == 0 &&
		   strcmp(sc->tables[p].table.name, t->table.name) < 0)
		p++;
	GrowTables(sc);
	memmove(&sc->tables[p + 1], &sc->tables[p], sizeof(SqlpilotCachedTable) * (sc->n_tables - p));
	sc->tables[p] = *t;
	sc->n_tables++;
	sc->n_scope++;
	for (int i = 0; i < sc->n_tables; i++)
		for (int j = 0; j < sc->tables[i].n_neighbours; j++)
			if (sc->tables[i].neighbours[j] >= p)
				sc->tables[i].neighbours[j]++;
}

/*
 * Adds the table relid when it is in scope, visible and not in the cache
 * yet (the listing stopped before it); returns its index, or -1.
 */
static int
AddScopeTable(SchemaCache *sc, Oid relid)
{
	SqlpilotCachedTable t;
	int			i = CachedIndex(sc, relid, sc->n_scope);

	if (i >= 0 || sc->complete)
		return i;
	if (!SqlpilotReadTableByOid(sc->scope, relid, sc->cxt, &t))
		return -1;
	InsertScopeTable(sc, &t);
	return CachedIndex(sc, relid, sc->n_scope);
}

/*
 * Adds the tables in scope that the prefix names (written alone, or with
 * a schema in scope) and the listing stopped before: found by name through
 * the syscache, one lookup per schema, so a name the prefix names is seen
 * in a catalog of any size.
 */
static void
AddScopeNamedTables(SchemaCache *sc, const char *prefix, size_t prefix_len)
{
	Oid		   *relids;
	size_t		pos = 0;
	SqlpilotSqlIdent id;
	SqlpilotSqlIdent prev = {0};

	if (sc->complete || sc->scope->n == 0)
		return;
	relids = palloc(sizeof(Oid) * sc->scope->n);
	while (sqlpilot_sql_next_ident(prefix, prefix_len, &pos, &id))
	{
		const char *schema = id.dot_before && prev.dot_after ? prev.name : NULL;
		int			n = SqlpilotFindTables(sc->scope, schema, id.name, relids, sc->scope->n);

		CHECK_FOR_INTERRUPTS();
		for (int k = 0; k < n; k++)
			(void) AddScopeTable(sc, relids[k]);
		prev = id;
	}
	pfree(relids);
}

/* Writes a name into buf with every byte outside printable ASCII as \xNN. */
static void
AppendEscaped(StringInfo buf, const char *name)
{
	for (const unsigned char *p = (const unsigned char *) name; *p; p++)
	{
		if (*p >= 0x20 && *p < 0x7f && *p != '\\')
			appendStringInfoChar(buf, (char) *p);
		else
			appendStringInfo(buf, "\\x%02x", *p);
	}
}

/*
 * Reads the definitions of tables[which[0..n)].  In a SQL_ASCII database a
 * table whose definition is not valid UTF-8 (the model's encoding) is left
 * out, with a NOTICE naming it, rather than failing every completion.
 */
static void
ReadDefinitions(SchemaCache *sc, const int *which, int n)
{
	SqlpilotReadDetails(sc->tables, which, n, sc->cxt);
	if (GetDatabaseEncoding() != PG_SQL_ASCII)
		return;
	for (int i = 0; i < n; i++)
	{
		SqlpilotCachedTable *t = &sc->tables[which[i]];
		size_t		len;
		char	   *text = sqlpilot_schema_render_table(&t->table, SQLPILOT_DDL_CRDB, NULL, &len);

		if (text == NULL)
			elog(ERROR, "sqlpilot: out of memory rendering the schema");
		if (!pg_verify_mbstr(PG_UTF8, text, (int) len, true))
		{
			StringInfoData name;

			initStringInfo(&name);
			AppendEscaped(&name, t->table.schema);
			appendStringInfoChar(&name, '.');
			AppendEscaped(&name, t->table.name);
			t->skip = true;
			ereport(NOTICE,
					(errcode(ERRCODE_CHARACTER_NOT_IN_REPERTOIRE),
					 errmsg("sqlpilot leaves out table %s: its definition is not valid UTF-8", name.data),
					 errhint("Names and expressions the model sees must be UTF-8; rename the table or its columns.")));
		}
		free(text);
	}
}

/* Reads the definitions of every table not read yet, and renders them all once. */
static void
EnsureFull(SchemaCache *sc)
{
	int		   *which = palloc(sizeof(int) * Max(sc->n_tables, 1));
	int			n = 0;
	char	   *text;
	size_t		len;

	if (sc->full != NULL)
		return;
	for (int i = 0; i < sc->n_scope; i++)
	{
		if (!sc->tables[i].loaded)
			which[n++] = i;
	}
	ReadDefinitions(sc, which, n);
	n = 0;
	for (int i = 0; i < sc->n_scope; i++)
		if (!sc->tables[i].skip)
			which[n++] = i;
	text = RenderTables(sc->tables, which, n, &len);
	sc->full = MemoryContextAlloc(sc->cxt, len + 1);
	memcpy(sc->full, text, len + 1);
	sc->full_len = len;
	sc->n_full = n;
	pfree(which);
}

/* Tokens of the prompt for schema and prefix (BOS included); ids gets up to cap of them. */
static int
PromptTokens(const SqlpilotTokenizer *tok, const char *schema, size_t schema_len,
			 const char *prefix, size_t prefix_len, int *ids, int cap)
{
	return (int) sqlpilot_prompt_encode(tok, schema, schema_len, prefix, prefix_len,
										false, ids, cap, NULL, NULL);
}

/* Tokens of one table rendered alone, counted once per model. */
static int
TableTokens(SqlpilotCachedTable *t, const SqlpilotTokenizer *tok, int *ids, int cap)
{
	if (t->n_tokens < 0)
	{
		size_t		len;
		int			self = 0;
		char	   *text = RenderTables(t, &self, 1, &len);

		t->n_tokens = (int) sqlpilot_tokenizer_encode(tok, text, len, ids, cap);
		pfree(text);
	}
	return t->n_tokens;
}

/*
 * Adds to the cache the tables the prefix names as schema.table that are not
 * in it (their schema is not in scope), when the role may use them; each
 * name is looked up once per cache build.
 */
static void
AddNamedTables(SchemaCache *sc, const char *prefix, size_t prefix_len)
{
	size_t		pos = 0;
	SqlpilotSqlIdent id;
	SqlpilotSqlIdent prev = {0};

	while (sqlpilot_sql_next_ident(prefix, prefix_len, &pos, &id))
	{
		bool		known = false;
		char	   *key;
		ListCell   *lc;
		MemoryContext old;

		CHECK_FOR_INTERRUPTS();
		if (!(id.dot_before && prev.dot_after && id.closed))
		{
			prev = id;
			continue;
		}
		for (int t = 0; t < sc->n_tables && !known; t++)
			known = strcmp(id.name, sc->tables[t].table.name) == 0 &&
				strcmp(prev.name, sc->tables[t].table.schema) == 0;
		key = psprintf("%s.%s", prev.name, id.name);
		foreach(lc, sc->looked_up)
			known = known || strcmp(lfirst(lc), key) == 0;
		if (!known)
		{
			old = MemoryContextSwitchTo(sc->cxt);
			sc->looked_up = lappend(sc->looked_up, pstrdup(key));
			MemoryContextSwitchTo(old);
			GrowTables(sc);
			if (SqlpilotReadNamedTable(prev.name, id.name, sc->cxt, &sc->tables[sc->n_tables]))
				sc->n_tables++;
		}
		prev = id;
	}
}

/* Appends neighbour index j to table t's list (in the cache's context). */
static void
AddNeighbour(SchemaCache *sc, SqlpilotCachedTable *t, int j)
{
	if (t->neighbours == NULL)
		t->neighbours = MemoryContextAlloc(sc->cxt, sizeof(int) * 4);
	else if (t->n_neighbours >= 4 && (t->n_neighbours & (t->n_neighbours - 1)) == 0)
		t->neighbours = repalloc(t->neighbours, sizeof(int) * t->n_neighbours * 2);
	t->neighbours[t->n_neighbours++] = j;
}

/*
 * Reads the foreign-key neighbours of the tables in scope the prefix may
 * name (any whose name is an identifier of it): the choice of tables follows
 * the neighbours of named tables only, and reading every foreign key would
 * cost each new backend a pass over pg_constraint.  A neighbour the listing
 * stopped before is added; one the role may not use is left out, and so is
 * a foreign key whose columns it may not use.
 */
static void
ReadNamedNeighbours(SchemaCache *sc, const char *prefix, size_t prefix_len)
{
	Oid		   *oids = palloc(sizeof(Oid) * Max(sc->n_scope, 1));
	bool	   *wanted;
	int			n = 0;
	size_t		pos = 0;
	SqlpilotSqlIdent id;
	SqlpilotEdge *edges;
	int			n_edges;

	while (sqlpilot_sql_next_ident(prefix, prefix_len, &pos, &id))
	{
		CHECK_FOR_INTERRUPTS();
		for (int t = 0; t < sc->n_scope; t++)
			if (!sc->tables[t].neighbours_read && strcmp(id.name, sc->tables[t].table.name) == 0)
			{
				bool		seen = false;

				for (int k = 0; k < n && !seen; k++)
					seen = oids[k] == sc->tables[t].relid;
				if (!seen)
					oids[n++] = sc->tables[t].relid;
			}
	}
	if (n == 0)
		return;
	edges = SqlpilotReadEdges(oids, n, &n_edges);
	/* first bring in the ends the listing stopped before: that moves indexes */
	for (int e = 0; e < n_edges; e++)
	{
		(void) AddScopeTable(sc, edges[e].from);
		(void) AddScopeTable(sc, edges[e].to);
	}
	wanted = palloc0(sizeof(bool) * sc->n_scope);
	for (int k = 0; k < n; k++)
	{
		int			t = CachedIndex(sc, oids[k], sc->n_scope);

		wanted[t] = true;
		sc->tables[t].n_neighbours = 0;
		sc->tables[t].neighbours = NULL;
	}
	for (int e = 0; e < n_edges; e++)
	{
		int			a = CachedIndex(sc, edges[e].from, sc->n_scope);
		int			b = CachedIndex(sc, edges[e].to, sc->n_scope);
		SqlpilotCachedTable *ta;
		SqlpilotCachedTable *tb;

		CHECK_FOR_INTERRUPTS();
		if (a < 0 || b < 0 || a == b || !(wanted[a] || wanted[b]))
			continue;
		ta = &sc->tables[a];
		tb = &sc->tables[b];
		if (!tb->table_right || !edges[e].keys_usable)
			continue;
		if (wanted[a])
			AddNeighbour(sc, ta, b);
		if (wanted[b])
			AddNeighbour(sc, tb, a);
	}
	for (int k = 0; k < n; k++)
		sc->tables[CachedIndex(sc, oids[k], sc->n_scope)].neighbours_read = true;
	pfree(oids);
	pfree(wanted);
	pfree(edges);
}

/* What the callbacks of the table choice need for one call of SqlpilotSchemaFor. */
typedef struct ChoiceCall
{
	SchemaCache *sc;
	SqlpilotTableRef *refs;		/* one per cached table */
	const SqlpilotTokenizer *tok;
	const char *prefix;
	size_t		prefix_len;
	int		   *ids;			/* the last prompt's tokens (cap of them) */
	int			cap;
	char	   *text;			/* the last prompt's schema text (palloc'd, or sc->full) */
	size_t		text_len;
	int			n_ids;			/* the last prompt's token count */
} ChoiceCall;

/* load(): reads the definitions of tables[which[0..n)] from the catalog. */
static int
ChoiceLoad(void *arg, SqlpilotTableRef *refs, const int *which, int n)
{
	ChoiceCall *cc = arg;

	ReadDefinitions(cc->sc, which, n);
	for (int i = 0; i < n; i++)
	{
		refs[which[i]].loaded = true;
		refs[which[i]].skip = cc->sc->tables[which[i]].skip;
	}
	return 0;
}

/* cost(): the tokens of one table rendered alone, kept in the cache. */
static int
ChoiceCost(void *arg, SqlpilotTableRef *refs, int i)
{
	ChoiceCall *cc = arg;

	return TableTokens(&cc->sc->tables[i], cc->tok, cc->ids, cc->cap);
}

/*
 * prompt_tokens(): renders tables idx[0..n) (every table in scope comes from
 * the text rendered once per cache build) and counts the prompt's tokens
 * into ids; keeps the text, which is the result's after the last call.
 */
static int
ChoicePromptTokens(void *arg, const int *idx, int n, bool with_typed)
{
	ChoiceCall *cc = arg;
	SchemaCache *sc = cc->sc;
	int			usable = 0;

	if (cc->text != NULL && cc->text != sc->full)
		pfree(cc->text);
	cc->text = NULL;
	for (int i = 0; i < sc->n_scope; i++)
		usable += !sc->tables[i].skip;
	if (sc->complete && n > 0 && n == usable && idx[n - 1] < sc->n_scope)
	{
		EnsureFull(sc);
		cc->text = sc->full;
		cc->text_len = sc->full_len;
	}
	else if (n > 0)
		cc->text = RenderTables(sc->tables, idx, n, &cc->text_len);
	cc->n_ids = PromptTokens(cc->tok, cc->text ? cc->text : "", cc->text ? cc->text_len : 0,
							 with_typed ? cc->prefix : "", with_typed ? cc->prefix_len : 0,
							 cc->ids, cc->cap);
	return cc->n_ids;
}

/* should_stop(): lets a cancel or timeout in. */
static bool
ChoiceShouldStop(void *arg)
{
	CHECK_FOR_INTERRUPTS();
	return false;
}

/*
 * The schema text (palloc'd UTF-8) for a completion of prefix (UTF-8) whose
 * prompt must fit in budget tokens: every visible table when they fit, else
 * the choice of core/table_choice.h.  *ids (palloc'd) and *n_ids get the
 * tokens of the prompt, counted here anyway, so the completion does not
 * tokenize it again.  Errors out when the prefix alone does not fit.
 */
char *
SqlpilotSchemaFor(SqlpilotBackendModel *bm, const char *prefix, size_t prefix_len,
				  int budget, size_t *len, int **prompt_ids, int *n_ids)
{
	SchemaCache *sc = &schema_cache;
	ChoiceCall	cc;
	SqlpilotTablesBudget b;
	int		   *work;
	int		   *chosen;
	int			n_candidates = 0;
	int			n_chosen;
	int			needed;
	char	   *text;

	EnsureCache(budget);
	AddScopeNamedTables(sc, prefix, prefix_len);
	AddNamedTables(sc, prefix, prefix_len);
	ReadNamedNeighbours(sc, prefix, prefix_len);
	if (sc->model_checksum != bm->model.checksum)
	{
		for (int i = 0; i < sc->n_tables; i++)
			sc->tables[i].n_tokens = -1;
		sc->model_checksum = bm->model.checksum;
	}

	memset(&cc, 0, sizeof(cc));
	cc.sc = sc;
	cc.tok = &bm->model.tokenizer;
	cc.prefix = prefix;
	cc.prefix_len = prefix_len;
	cc.cap = budget + 1;
	cc.ids = palloc(sizeof(int) * cc.cap);
	cc.refs = palloc0(sizeof(SqlpilotTableRef) * Max(sc->n_tables, 1));
	for (int i = 0; i < sc->n_tables; i++)
	{
		const SqlpilotCachedTable *t = &sc->tables[i];

		cc.refs[i].name = t->table.name;
		cc.refs[i].schema = t->table.schema;
		cc.refs[i].neighbours = t->neighbours;
		cc.refs[i].n_neighbours = t->n_neighbours;
		cc.refs[i].loaded = t->loaded;
		cc.refs[i].skip = t->skip;
		cc.refs[i].cost = t->n_tokens;
	}
	memset(&b, 0, sizeof(b));
	b.budget = budget;
	b.load = ChoiceLoad;
	b.cost = ChoiceCost;
	b.prompt_tokens = ChoicePromptTokens;
	b.should_stop = ChoiceShouldStop;
	b.arg = &cc;
	work = palloc(sizeof(int) * Max(sc->n_tables, 1));
	chosen = palloc(sizeof(int) * Max(sc->n_tables, 1));

	n_chosen = sqlpilot_tables_choose(cc.refs, sc->n_tables, sc->n_scope, prefix, prefix_len,
									  &b, work, chosen, &n_candidates);
	sqlpilot_stats_counters.last_tables_total = n_candidates;
	if (n_chosen == SQLPILOT_TABLES_TOO_LONG)
	{
		int			used = PromptTokens(cc.tok, "", 0, prefix, prefix_len, cc.ids, cc.cap);

		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("sqlpilot prefix is too long"),
				 errdetail("The prompt needs %d tokens without any table; the budget is %d.",
						   used, budget),
				 errhint("Shorten the prefix, or raise sqlpilot.max_prompt_tokens or lower sqlpilot.max_tokens.")));
	}
	if (n_chosen < 0)
		elog(ERROR, "sqlpilot: choosing the tables of the prompt failed (%d)", n_chosen);

	/* the last prompt counted is the chosen one: ids hold it */
	needed = cc.n_ids;
	if (cc.text == NULL)
	{
		text = pstrdup("");
		*len = 0;
	}
	else if (cc.text == sc->full)
	{
		text = pstrdup(sc->full);
		*len = sc->full_len;
	}
	else
	{
		text = cc.text;
		*len = cc.text_len;
	}
	sqlpilot_stats_counters.last_tables = n_chosen;
	sqlpilot_stats_counters.last_prompt_tokens = needed;
	*prompt_ids = cc.ids;
	*n_ids = needed;
	pfree(cc.refs);
	pfree(work);
	pfree(chosen);
	return text;
}
