/*
 * sqlpilot.h — what the extension's files share: the GUC variables, the
 * per-backend model (model.c), the per-backend schema cache (schema_cache.c),
 * the catalog reader (catalog.c), the prompt cache files (prompt_cache.c)
 * and the counters sqlpilot_stats() reports.
 *
 * Entry points: sqlpilot.c holds _PG_init and the SQL-callable functions.
 */
#ifndef SQLPILOT_EXTENSION_H
#define SQLPILOT_EXTENSION_H

#include "postgres.h"

/*
 * Built and tested against PostgreSQL 15; the few calls that differ from 13
 * to 17 are guarded with PG_VERSION_NUM.  Older servers lack the catalog
 * columns and array helpers (pg_attribute.attgenerated, TYPALIGN_*) it uses.
 */
#if PG_VERSION_NUM < 130000
#error "SQLPilot needs PostgreSQL 13 or later (built and tested against 15)"
#endif

#include "nodes/pg_list.h"

#include "checked.h"
#include "model.h"
#include "infer.h"
#include "schema.h"

#define SQLPILOT_EXTVERSION "0.1.0"

/* GUC defaults and limits */
#define SQLPILOT_DEFAULT_MODEL_PATH "$sharedir/extension/sqlpilot_default.model"
#define SQLPILOT_DEFAULT_MAX_TOKENS 64
#define SQLPILOT_MIN_MAX_TOKENS 1
#define SQLPILOT_MAX_MAX_TOKENS 4096
#define SQLPILOT_DEFAULT_MAX_PROMPT_TOKENS 2048
#define SQLPILOT_MIN_MAX_PROMPT_TOKENS 16
#define SQLPILOT_MAX_MAX_PROMPT_TOKENS 65536
#define SQLPILOT_MAX_COMPLETIONS 16
#define SQLPILOT_DEFAULT_CANDIDATES SQLPILOT_CHECKED_DEFAULT_CANDIDATES
/* Longest wait for a lock while a candidate is checked (validate.c). */
#define SQLPILOT_VALIDATE_LOCK_TIMEOUT_MS 20
#define SQLPILOT_DEFAULT_PROMPT_CACHE_FILES 32
#define SQLPILOT_MAX_PROMPT_CACHE_FILES 100000
/* Prompts shorter than this are not worth a prompt cache file. */
#define SQLPILOT_PROMPT_CACHE_MIN_TOKENS 64

/* GUC variables (sqlpilot.c) */
extern char *sqlpilot_model_path;
extern int	sqlpilot_max_tokens;
extern int	sqlpilot_max_prompt_tokens;
extern char *sqlpilot_schemas;
extern int	sqlpilot_prompt_cache_files;
extern bool sqlpilot_grounding;
extern bool sqlpilot_validate;
extern int	sqlpilot_candidates;
extern int	sqlpilot_statement_beams;
extern bool sqlpilot_list_all_tables;

/* Counters of this backend, reported by sqlpilot_stats(). */
typedef struct SqlpilotStats
{
	int64		model_loads;
	int64		schema_builds;
	int64		schema_hits;
	int			last_prompt_tokens;
	int			last_reused_tokens;	/* prompt tokens already in the KV cache */
	int			last_computed_tokens;	/* token rows the model ran (prompt and generated) */
	int			last_tables;
	int			last_tables_total;
	int64		prompt_cache_hits;	/* prompts started from a prompt cache file */
	int64		prompt_cache_writes;
} SqlpilotStats;

extern SqlpilotStats sqlpilot_stats_counters;

/*
 * The model of this backend (model.c): loaded once with mmap, reloaded when
 * sqlpilot.model_path or the file changes, with its one run state (KV cache).
 */
typedef struct SqlpilotBackendModel
{
	SqlpilotModel model;
	SqlpilotRunState state;
	char	   *path;			/* resolved path (malloc'd) */
	size_t		file_size;
} SqlpilotBackendModel;

extern void SqlpilotModelInit(void);
extern SqlpilotBackendModel *SqlpilotGetModel(void);

/*
 * One completion handed back to SQL: text to append (server encoding),
 * score, whether prefix + text ends the statement (';' or the model's end,
 * not the token budget) and what the check found.
 */
typedef struct SqlpilotResult
{
	char	   *text;
	double		score;
	bool		whole;
	SqlpilotValidity valid;
} SqlpilotResult;

extern int	SqlpilotRunCompletions(SqlpilotBackendModel *bm, const char *schema,
								   size_t schema_len, const char *prefix, size_t prefix_len,
								   const int *ids, int n_ids, int n, bool distinct,
								   SqlpilotResult *out);

/*
 * validate.c: checks one statement (server encoding) the way PREPARE does,
 * and what the check of a completion finds (a cut one: its names).
 */
extern SqlpilotValidity SqlpilotValidate(const char *sql);
extern SqlpilotValidity SqlpilotCheckCompletion(const char *typed, const char *prefix,
												size_t prefix_len, const char *schema,
												size_t schema_len, const char *text, bool whole);

/* Prompt KV caches shared by backends through files (prompt_cache.c). */
extern bool SqlpilotPromptCacheLoad(SqlpilotBackendModel *bm, const char *schema,
									size_t schema_len);
extern void SqlpilotPromptCacheSave(SqlpilotBackendModel *bm, const char *schema,
									size_t schema_len, int n);

/* One table of the schema cache: the core's description plus what selection needs. */
typedef struct SqlpilotCachedTable
{
	SqlpilotTable table;		/* strings in the cache's memory context */
	Oid			relid;
	char		relkind;		/* RELKIND_RELATION, _VIEW, _MATVIEW, ... */
	bool		loaded;			/* table holds the definition, not just the names */
	bool		skip;			/* left out: its definition is not valid UTF-8 */
	bool		all_columns;	/* a table privilege shows every column */
	bool		table_right;	/* a table privilege (else only column privileges) */
	bool		neighbours_read;	/* neighbours holds them (read for tables a prefix names) */
	int			n_neighbours;	/* tables linked by a foreign key, either way */
	int		   *neighbours;		/* indexes into the cache's table array */
	int			n_tokens;		/* tokens of the rendered table alone; -1 = not counted */
} SqlpilotCachedTable;

/*
 * The schemas in scope the role may use, ordered by the name they are shown
 * with (the session's temporary schema as pg_temp): the order tables are
 * listed in.
 */
typedef struct SqlpilotScope
{
	int			n;
	Oid		   *oids;
	char	  **names;
} SqlpilotScope;

/* A foreign key between two tables, as the choice of tables follows it. */
typedef struct SqlpilotEdge
{
	Oid			from;			/* the referencing table */
	Oid			to;				/* the referenced table */
	bool		keys_usable;	/* the role may use every key column of from */
} SqlpilotEdge;

/* catalog.c: the usable schemas among namespaces (OIDs), in cxt ... */
extern SqlpilotScope *SqlpilotResolveScope(List *namespaces, MemoryContext cxt);
/* ... lists their visible tables in order, the first limit only (0: all) ... */
extern int	SqlpilotReadTables(const SqlpilotScope *scope, int limit, MemoryContext cxt,
							   SqlpilotCachedTable **tables, bool *complete);
/* ... finds the tables in scope by name (schema shown name or NULL: any) ... */
extern int	SqlpilotFindTables(const SqlpilotScope *scope, const char *schema, const char *name,
							   Oid *relids, int cap);
/* ... reads one table in scope by OID when the role may use it ... */
extern bool SqlpilotReadTableByOid(const SqlpilotScope *scope, Oid relid, MemoryContext cxt,
								   SqlpilotCachedTable *out);
/* ... finds the foreign keys from or to relids[0..n) (palloc'd, *n_edges of them) ... */
extern SqlpilotEdge *SqlpilotReadEdges(const Oid *relids, int n, int *n_edges);
/* ... or one table by name wherever it is ... */
extern bool SqlpilotReadNamedTable(const char *schema, const char *name, MemoryContext cxt,
								   SqlpilotCachedTable *out);
/* ... and reads the definitions of tables[which[0..n)] when a prompt may hold them. */
extern void SqlpilotReadDetails(SqlpilotCachedTable *tables, const int *which, int n,
								MemoryContext cxt);

/* schema_cache.c */
extern void SqlpilotSchemaCacheInit(void);
extern char *SqlpilotSchemaFor(SqlpilotBackendModel *bm, const char *prefix,
							   size_t prefix_len, int budget, size_t *len,
							   int **prompt_ids, int *n_ids);

#endif							/* SQLPILOT_EXTENSION_H */
