/*
 * schema_cache.c — the per-backend cache of the schema part of the prompt,
 * and the choice of tables when they do not all fit in the token budget.
 *
 * The cache holds the visible tables listed from the catalog (catalog.c):
 * names, foreign-key neighbours and a lower bound of their size; a table's
 * definition is read the first time a prompt may hold it, and the text of
 * every table only when the whole schema may fit.  It is rebuilt when the
 * relcache or the namespace, type or role membership syscaches report a
 * change (any DDL, GRANT or REVOKE, in any session), when the role changes,
 * or when the schemas in scope (search_path or sqlpilot.schemas) resolve to
 * other schemas.  The callbacks only bump a generation counter; the next call
 * notices and rebuilds.  An error (a cancel, say) while reading leaves no
 * half-read table marked as read: it is read again next time.
 *
 * When everything does not fit, tables named in the prefix come first, then
 * their foreign-key neighbours, then the rest in catalog order; a table is
 * taken whole or not at all.  The choice leaves a quarter of the budget for
 * the prefix and the chosen tables are rendered in catalog order, so a
 * growing prefix usually keeps the same schema text and the model's KV cache
 * (core/infer.c) reuses it.  A table's cost is its rendering's token count;
 * a lower bound (every token lies within one pre-split chunk of the
 * tokenizer) tells when the whole schema cannot fit without reading it, and
 * once a table of the rest does not fit, the rest is searched for
 * smaller tables only among those already read.  Whenever that bound does not
 * rule the whole schema out (up to about budget / 4 tables), every definition
 * is read and the choice is exactly "every table that still fits"; a schema
 * of thousands of tables reads the definitions of a few dozen, in batches of
 * 8, 16, 32 and then 64.
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

typedef struct SchemaCache
{
	MemoryContext cxt;			/* "sqlpilot schema cache", reset on rebuild */
	bool		built;
	uint64		generation;		/* invalidation generation it was built at */
	Oid			userid;
	List	   *namespaces;		/* schema OIDs it was built from */
	int			n_tables;		/* the schemas' tables, then the extra ones */
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

/* Syscache callback for schemas, types and role membership: rebuild next time. */
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
	CacheRegisterSyscacheCallback(AUTHMEMROLEMEM, InvalidateOnSyscache, (Datum) 0);
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

/* Makes the cache current for this role and these schemas, listing the tables if needed. */
static void
EnsureCache(void)
{
	List	   *namespaces = SchemasInScope();
	uint64		generation = inval_generation;
	MemoryContext old;

	if (schema_cache.built && schema_cache.generation == inval_generation &&
		schema_cache.userid == GetUserId() && equal(namespaces, schema_cache.namespaces))
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

	schema_cache.n_tables = SqlpilotReadTables(namespaces, schema_cache.cxt,
											   &schema_cache.tables);
	schema_cache.n_scope = schema_cache.cap_tables = schema_cache.n_tables;
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

/*
 * The fewest tokens a table can cost in a prompt: every token lies within one
 * pre-split chunk of the tokenizer, and a rendered table has at least four
 * ("CREATE", " TABLE", its name, the closing parenthesis).
 */
#define TABLE_MIN_TOKENS 4

/*
 * Whether a prompt of every table in scope and n_extra more may fit in budget
 * (false: it certainly does not).
 */
static bool
AllMayFit(const SchemaCache *sc, int n_extra, int budget)
{
	int64		tokens = 1 + (int64) n_extra * TABLE_MIN_TOKENS;	/* BOS */

	for (int i = 0; i < sc->n_scope && tokens <= budget; i++)
		if (!sc->tables[i].skip)
			tokens += TABLE_MIN_TOKENS;
	return tokens <= budget;
}

/* Tables whose definitions are read in one round of catalog queries: first, most. */
#define DETAILS_FIRST_BATCH 8
#define DETAILS_BATCH 64

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
	SqlpilotReadDetails(sc->tables, sc->n_tables, which, n, sc->cxt);
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

/*
 * Reads the definitions of the next candidates of order (from position k on)
 * that are not read yet and may still fit next to used tokens: the one at k
 * and up to batch in all, so a few catalog queries serve many.
 */
static void
LoadCandidates(SchemaCache *sc, const int *order, int n_order, int k, int used, int budget,
			   int batch)
{
	int			which[DETAILS_BATCH];
	int			n = 0;

	for (; k < n_order && n < Min(batch, DETAILS_BATCH); k++)
	{
		SqlpilotCachedTable *t = &sc->tables[order[k]];

		if (!t->loaded && used + TABLE_MIN_TOKENS + 2 <= budget)
			which[n++] = order[k];
	}
	ReadDefinitions(sc, which, n);
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
 * Orders table indexes for selection: tables named in the prefix (in order
 * of first mention; a name written schema.table names only that schema's
 * table), their foreign-key neighbours, then the rest of the first n_scope
 * tables in catalog order (tables past n_scope, outside the scope, come in
 * only when named with their schema).
 * Writes the indexes into order and their count into *n_order; returns how
 * many are named or neighbours.
 */
static int
PriorityOrder(const SqlpilotCachedTable *tables, int n_tables, int n_scope, const char *prefix,
			  size_t prefix_len, int *order, int *n_order)
{
	bool	   *taken = palloc0(sizeof(bool) * Max(n_tables, 1));
	int			n = 0;
	size_t		pos = 0;
	int			named_end;
	SqlpilotSqlIdent id;
	SqlpilotSqlIdent prev = {0};

	while (sqlpilot_sql_next_ident(prefix, prefix_len, &pos, &id))
	{
		const char *schema = id.dot_before && prev.dot_after ? prev.name : NULL;

		CHECK_FOR_INTERRUPTS();

		for (int t = 0; t < n_tables; t++)
			if (!taken[t] && strcmp(id.name, tables[t].table.name) == 0 &&
				(schema == NULL ? t < n_scope : strcmp(schema, tables[t].table.schema) == 0))
			{
				taken[t] = true;
				order[n++] = t;
			}
		prev = id;
	}
	named_end = n;
	for (int k = 0; k < named_end; k++)
	{
		const SqlpilotCachedTable *t = &tables[order[k]];

		for (int j = 0; j < t->n_neighbours; j++)
			if (!taken[t->neighbours[j]])
			{
				taken[t->neighbours[j]] = true;
				order[n++] = t->neighbours[j];
			}
	}
	named_end = n;
	for (int t = 0; t < n_scope; t++)
		if (!taken[t])
			order[n++] = t;
	*n_order = n;
	return named_end;
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
			if (sc->n_tables == sc->cap_tables)
			{
				sc->cap_tables = Max(4, sc->cap_tables * 2);
				sc->tables = sc->n_tables > 0 ?
					repalloc(sc->tables, sizeof(SqlpilotCachedTable) * sc->cap_tables) :
					MemoryContextAlloc(sc->cxt, sizeof(SqlpilotCachedTable) * sc->cap_tables);
			}
			if (SqlpilotReadNamedTable(prev.name, id.name, sc->cxt, &sc->tables[sc->n_tables]))
				sc->n_tables++;
		}
		prev = id;
	}
}

/* Ascending int comparison for qsort. */
static int
CompareInts(const void *a, const void *b)
{
	int			x = *(const int *) a;
	int			y = *(const int *) b;

	return (x > y) - (x < y);
}

/*
 * The schema text (palloc'd UTF-8) for a completion of prefix (UTF-8) whose
 * prompt must fit in budget tokens: every visible table when they fit, else
 * a choice of whole tables.  *ids (palloc'd) and *n_ids get the tokens of
 * the prompt, counted here anyway, so the completion does not tokenize it
 * again.  Errors out when the prefix alone does not fit.
 */
char *
SqlpilotSchemaFor(SqlpilotBackendModel *bm, const char *prefix, size_t prefix_len,
				  int budget, size_t *len, int **prompt_ids, int *n_ids)
{
	const SqlpilotTokenizer *tok = &bm->model.tokenizer;
	SchemaCache *sc = &schema_cache;
	int			cap = budget + 1;
	int		   *ids = palloc(sizeof(int) * cap);
	int		   *order;
	int		   *chosen;
	int			n_chosen = 0;
	int			n_order;
	int			n_extra = 0;
	int			n_wanted;
	bool		rest_full = false;	/* a table of the rest did not fit */
	int			batch = DETAILS_FIRST_BATCH;
	int			used;
	int			needed;
	char	   *text;

	EnsureCache();
	AddNamedTables(sc, prefix, prefix_len);
	if (sc->model_checksum != bm->model.checksum)
	{
		for (int i = 0; i < sc->n_tables; i++)
			sc->tables[i].n_tokens = -1;
		sc->model_checksum = bm->model.checksum;
	}
	order = palloc(sizeof(int) * Max(sc->n_tables, 1));
	chosen = palloc(sizeof(int) * Max(sc->n_tables, 1));
	n_wanted = PriorityOrder(sc->tables, sc->n_tables, sc->n_scope, prefix, prefix_len, order,
							 &n_order);
	for (int k = 0; k < n_wanted; k++)
		if (order[k] >= sc->n_scope)
			chosen[n_extra++] = order[k];
	sqlpilot_stats_counters.last_tables_total = sc->n_scope + n_extra;

	if (AllMayFit(sc, n_extra, budget))
	{
		EnsureFull(sc);
		if (n_extra == 0)
		{
			needed = PromptTokens(tok, sc->full, sc->full_len, prefix, prefix_len, ids, cap);
			if (needed <= budget)
			{
				sqlpilot_stats_counters.last_tables = sc->n_full;
				sqlpilot_stats_counters.last_prompt_tokens = needed;
				*prompt_ids = ids;
				*n_ids = needed;
				*len = sc->full_len;
				return pstrdup(sc->full);
			}
		}
		else
		{
			/* the tables in scope, then the ones named outside it */
			int		   *all = palloc(sizeof(int) * (sc->n_scope + n_extra));
			int			n_all = 0;

			for (int i = 0; i < n_extra; i++)
				if (!sc->tables[chosen[i]].loaded)
					all[n_all++] = chosen[i];
			ReadDefinitions(sc, all, n_all);
			n_all = 0;
			for (int i = 0; i < sc->n_scope + n_extra; i++)
			{
				int			t = i < sc->n_scope ? i : chosen[i - sc->n_scope];

				if (!sc->tables[t].skip)
					all[n_all++] = t;
			}
			text = RenderTables(sc->tables, all, n_all, len);
			needed = PromptTokens(tok, text, *len, prefix, prefix_len, ids, cap);
			if (needed <= budget)
			{
				sqlpilot_stats_counters.last_tables = n_all;
				sqlpilot_stats_counters.last_prompt_tokens = needed;
				*prompt_ids = ids;
				*n_ids = needed;
				return text;
			}
		}
	}

	used = PromptTokens(tok, "", 0, prefix, prefix_len, ids, cap);
	if (used > budget)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("sqlpilot prefix is too long"),
				 errdetail("The prompt needs %d tokens without any table; the budget is %d.",
						   used, budget),
				 errhint("Shorten the prefix, or raise sqlpilot.max_prompt_tokens or lower sqlpilot.max_tokens.")));

	/*
	 * Leave the prefix room to grow (a quarter of the budget) so that the
	 * choice, and with it the KV cache of the schema, holds while typing.
	 */
	used = Max(used, PromptTokens(tok, "", 0, "", 0, ids, cap) + budget / 4);

	for (int k = 0; k < n_order; k++)
	{
		SqlpilotCachedTable *t = &sc->tables[order[k]];
		int			cost;

		CHECK_FOR_INTERRUPTS();
		/* two tokens of slack per table for the blank line between tables */
		if (used + TABLE_MIN_TOKENS + 2 > budget || (!t->loaded && rest_full))
			continue;
		if (!t->loaded)
		{
			LoadCandidates(sc, order, n_order, k, used, budget, batch);
			batch *= 2;
		}
		if (t->skip)
			continue;
		cost = TableTokens(t, tok, ids, cap) + 2;
		if (used + cost <= budget)
		{
			chosen[n_chosen++] = order[k];
			used += cost;
		}
		else if (k >= n_wanted)
			rest_full = true;
	}

	/* the estimate can miss at the seams; drop the least wanted table until it fits */
	for (;;)
	{
		int		   *sorted = palloc(sizeof(int) * Max(n_chosen, 1));

		CHECK_FOR_INTERRUPTS();
		memcpy(sorted, chosen, sizeof(int) * n_chosen);
		qsort(sorted, n_chosen, sizeof(int), CompareInts);
		text = RenderTables(sc->tables, sorted, n_chosen, len);
		pfree(sorted);
		needed = PromptTokens(tok, text, *len, prefix, prefix_len, ids, cap);
		if (n_chosen == 0 || needed <= budget)
			break;
		pfree(text);
		n_chosen--;
	}
	/* the prefix alone fits (checked above), so ids holds the whole prompt */
	if (needed > budget)
		elog(ERROR, "sqlpilot: a prompt without tables needs %d tokens, over the budget of %d",
			 needed, budget);
	sqlpilot_stats_counters.last_tables = n_chosen;
	sqlpilot_stats_counters.last_prompt_tokens = needed;
	*prompt_ids = ids;
	*n_ids = needed;
	return text;
}
