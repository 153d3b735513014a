/*
 * sqlpilot.c — the extension's entry: _PG_init (GUCs, cache callbacks) and
 * the SQL-callable functions of sqlpilot.sql.
 *
 * Every call runs in its own short-lived memory context: resolve the model
 * (backend_model.c), choose the schema text for the prefix within the token
 * budget (schema_cache.c), then complete or show the prompt.
 */
#include "postgres.h"

#include "fmgr.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/json.h"
#include "utils/memutils.h"
#include "utils/varlena.h"

#include "candidates.h"
#include "prompt.h"
#include "sql_words.h"
#include "sqlpilot.h"

PG_MODULE_MAGIC;

/* fmgr.h declares _PG_init from PostgreSQL 16 on. */
#if PG_VERSION_NUM < 160000
PGDLLEXPORT void _PG_init(void);
#endif

char	   *sqlpilot_model_path = NULL;
int			sqlpilot_max_tokens = SQLPILOT_DEFAULT_MAX_TOKENS;
int			sqlpilot_max_prompt_tokens = SQLPILOT_DEFAULT_MAX_PROMPT_TOKENS;
char	   *sqlpilot_schemas = NULL;
int			sqlpilot_prompt_cache_files = SQLPILOT_DEFAULT_PROMPT_CACHE_FILES;
bool		sqlpilot_grounding = true;
bool		sqlpilot_validate = true;
int			sqlpilot_candidates = SQLPILOT_DEFAULT_CANDIDATES;
int			sqlpilot_statement_beams = 0;
bool		sqlpilot_list_all_tables = false;

SqlpilotStats sqlpilot_stats_counters;

/* check hook for sqlpilot.schemas: a comma-separated list of identifiers. */
static bool
CheckSchemas(char **newval, void **extra, GucSource source)
{
	char	   *raw = pstrdup(*newval);
	List	   *names;
	bool		ok = SplitIdentifierString(raw, ',', &names);

	if (!ok)
		GUC_check_errdetail("List syntax is invalid.");
	list_free(names);
	pfree(raw);
	return ok;
}

/* Defines the sqlpilot.* settings and reserves the prefix. */
static void
InitGucs(void)
{
	DefineCustomStringVariable("sqlpilot.model_path",
							   "Model file used for completions.",
							   "A leading $sharedir stands for PostgreSQL's share directory; "
							   "the default is the model installed with the extension.",
							   &sqlpilot_model_path,
							   SQLPILOT_DEFAULT_MODEL_PATH,
							   PGC_SUSET, 0,
							   NULL, NULL, NULL);
	DefineCustomIntVariable("sqlpilot.max_tokens",
							"Maximum number of tokens a completion generates.",
							"Valid range is 1..4096.",
							&sqlpilot_max_tokens,
							SQLPILOT_DEFAULT_MAX_TOKENS,
							SQLPILOT_MIN_MAX_TOKENS, SQLPILOT_MAX_MAX_TOKENS,
							PGC_USERSET, 0,
							NULL, NULL, NULL);
	DefineCustomIntVariable("sqlpilot.max_prompt_tokens",
							"Maximum number of prompt tokens (schema and prefix).",
							"Valid range is 16..65536; the model's context minus "
							"sqlpilot.max_tokens caps it further.",
							&sqlpilot_max_prompt_tokens,
							SQLPILOT_DEFAULT_MAX_PROMPT_TOKENS,
							SQLPILOT_MIN_MAX_PROMPT_TOKENS, SQLPILOT_MAX_MAX_PROMPT_TOKENS,
							PGC_USERSET, 0,
							NULL, NULL, NULL);
	DefineCustomStringVariable("sqlpilot.schemas",
							   "Schemas whose tables the prompt shows.",
							   "A comma-separated list; empty means the schemas of the "
							   "role's search_path.",
							   &sqlpilot_schemas,
							   "",
							   PGC_USERSET, GUC_LIST_INPUT,
							   CheckSchemas, NULL, NULL);
	DefineCustomIntVariable("sqlpilot.prompt_cache_files",
							"Schema prompts whose KV cache is kept in files for new sessions.",
							"Files in pg_stat_tmp/sqlpilot; 0 turns the prompt cache off.",
							&sqlpilot_prompt_cache_files,
							SQLPILOT_DEFAULT_PROMPT_CACHE_FILES,
							0, SQLPILOT_MAX_PROMPT_CACHE_FILES,
							PGC_SUSET, 0,
							NULL, NULL, NULL);
	DefineCustomBoolVariable("sqlpilot.grounding",
							 "Constrains completions to names of the prompt's schema.",
							 "Identifiers must name its tables, columns, aliases and CTEs, "
							 "SQL keywords or built-in functions; off to measure what it changes.",
							 &sqlpilot_grounding,
							 true,
							 PGC_USERSET, 0,
							 NULL, NULL, NULL);
	DefineCustomBoolVariable("sqlpilot.validate",
							 "Checks whole-statement completions with PostgreSQL's parser and parse analysis.",
							 "As PREPARE does, nothing executed, in a subtransaction rolled back.",
							 &sqlpilot_validate,
							 true,
							 PGC_USERSET, 0,
							 NULL, NULL, NULL);
	DefineCustomIntVariable("sqlpilot.candidates",
							"Beams sqlpilot_complete() tries when the check refuses its greedy completion.",
							"The best-scoring beam the check does not refuse wins; 1 keeps the "
							"greedy completion.  Valid range is 1..16.",
							&sqlpilot_candidates,
							SQLPILOT_DEFAULT_CANDIDATES,
							1, SQLPILOT_MAX_COMPLETIONS,
							PGC_USERSET, 0,
							NULL, NULL, NULL);
	DefineCustomIntVariable("sqlpilot.statement_beams",
							"Beams sqlpilot_complete() and sqlpilot_completions() decode their whole statement with.",
							"0 chooses by the model's size (2 for 1M to 2M parameters, else 1, "
							"core/complete.h); 1 is greedy.  Valid range is 0..16.",
							&sqlpilot_statement_beams,
							0,
							0, SQLPILOT_MAX_COMPLETIONS,
							PGC_USERSET, 0,
							NULL, NULL, NULL);
	DefineCustomBoolVariable("sqlpilot.list_all_tables",
							 "Lists every table in scope, not only the first a prompt may take.",
							 "For tests and benchmarks: the prompt is the same either way.",
							 &sqlpilot_list_all_tables,
							 false,
							 PGC_USERSET, GUC_NOT_IN_SAMPLE,
							 NULL, NULL, NULL);
#if PG_VERSION_NUM >= 150000
	MarkGUCPrefixReserved("sqlpilot");
#else
	EmitWarningsOnPlaceholders("sqlpilot");
#endif
}

/* Module load: settings, then the cache callbacks (registered once per backend). */
void
_PG_init(void)
{
	InitGucs();
	SqlpilotModelInit();
	SqlpilotSchemaCacheInit();
}

/* What one call works with: the model, the prefix and the schema text, all UTF-8. */
typedef struct CallState
{
	MemoryContext cxt;
	MemoryContext old;
	SqlpilotBackendModel *bm;
	char	   *typed;			/* the prefix as given (server encoding) */
	char	   *prefix;
	size_t		prefix_len;
	char	   *schema;
	size_t		schema_len;
	int		   *ids;			/* tokens of the prompt of schema and prefix */
	int			n_ids;
} CallState;

/* The longest token of the tokenizer in bytes (bounds the tokens a text needs from below). */
static int
LongestToken(const SqlpilotTokenizer *tok)
{
	int			longest = 1;

	for (int i = 0; i < tok->vocab_size; i++)
		longest = Max(longest, tok->token_len[i]);
	return longest;
}

/*
 * Starts a call: switches into a per-call context, loads the model, and
 * chooses the schema for prefix within the prompt budget.
 */
static void
BeginCall(CallState *cs, text *prefix)
{
	const SqlpilotConfig *c;
	int			budget;
	int			raw_len = VARSIZE_ANY_EXHDR(prefix);

	cs->cxt = AllocSetContextCreate(CurrentMemoryContext, "sqlpilot call",
									ALLOCSET_DEFAULT_SIZES);
	cs->old = MemoryContextSwitchTo(cs->cxt);
	cs->bm = SqlpilotGetModel();
	c = &cs->bm->model.config;

	budget = Min(sqlpilot_max_prompt_tokens, c->seq_len - sqlpilot_max_tokens);
	if (budget < SQLPILOT_MIN_MAX_PROMPT_TOKENS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("sqlpilot.max_tokens leaves no room for a prompt"),
				 errdetail("The model's context is %d tokens and sqlpilot.max_tokens is %d.",
						   c->seq_len, sqlpilot_max_tokens),
				 errhint("Lower sqlpilot.max_tokens.")));

	/* reject what cannot fit before tokenizing it */
	if ((int64) raw_len > (int64) budget * LongestToken(&cs->bm->model.tokenizer))
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("sqlpilot prefix is too long"),
				 errdetail("The prefix has %d bytes; the prompt budget is %d tokens.",
						   raw_len, budget),
				 errhint("Shorten the prefix, or raise sqlpilot.max_prompt_tokens or lower sqlpilot.max_tokens.")));

	cs->typed = text_to_cstring(prefix);
	cs->prefix = pg_server_to_any(cs->typed, raw_len, PG_UTF8);
	cs->prefix_len = strlen(cs->prefix);
	cs->schema = SqlpilotSchemaFor(cs->bm, cs->prefix, cs->prefix_len, budget, &cs->schema_len,
								   &cs->ids, &cs->n_ids);
}

/* Ends a call: copies result into the caller's context and drops the call's memory. */
static text *
EndCall(CallState *cs, const char *result)
{
	text	   *t;

	MemoryContextSwitchTo(cs->old);
	t = cstring_to_text(result);
	MemoryContextDelete(cs->cxt);
	return t;
}

/*
 * With no table in the prompt the model knows no name of this database: keeps
 * of each of the n completions only what precedes its first word that is not
 * an SQL keyword, and drops the ones that become a copy of a better one.
 * Returns the completions kept.
 */
static int
KeywordsOnly(const CallState *cs, SqlpilotResult *res, int n)
{
	int			kept = 0;

	if (cs->schema_len > 0)
		return n;
	for (int i = 0; i < n; i++)
	{
		size_t		keep = sqlpilot_sql_keywords_only(cs->prefix, cs->prefix_len, res[i].text,
													  strlen(res[i].text));
		bool		copy = false;

		if (keep == (size_t) -1)
			elog(ERROR, "sqlpilot: out of memory");
		if (res[i].text[keep] != '\0')
			res[i].whole = false;
		res[i].text[keep] = '\0';
		for (int j = 0; j < kept && !copy; j++)
			copy = strcmp(res[j].text, res[i].text) == 0;
		if (!copy)
			res[kept++] = res[i];
	}
	return kept;
}

/*
 * With sqlpilot.validate on, checks completion r: a whole statement by
 * PostgreSQL's parse analysis, one cut by the token budget by its names.
 */
static void
CheckResult(const CallState *cs, SqlpilotResult *r)
{
	if (sqlpilot_validate)
		r->valid = SqlpilotCheckCompletion(cs->typed, cs->prefix, cs->prefix_len, cs->schema,
										   cs->schema_len, r->text, r->whole);
}

/* SqlpilotCheckedSource.generate: the greedy completion (width 1) or width beams. */
static int
GenerateCandidates(void *arg, int width, SqlpilotCheckedCandidate *out)
{
	CallState  *cs = arg;
	SqlpilotResult *res = palloc(sizeof(SqlpilotResult) * width);
	int			n = SqlpilotRunCompletions(cs->bm, cs->schema, cs->schema_len, cs->prefix,
										   cs->prefix_len, cs->ids, cs->n_ids, width, false, res);

	n = KeywordsOnly(cs, res, n);
	for (int i = 0; i < n; i++)
		out[i] = (SqlpilotCheckedCandidate) {res[i].text, res[i].score, res[i].whole,
		SQLPILOT_UNCHECKED};
	return n;
}

/* SqlpilotCheckedSource.check: CheckResult for one candidate. */
static SqlpilotValidity
CheckCandidate(void *arg, const SqlpilotCheckedCandidate *c)
{
	SqlpilotResult r = {(char *) c->text, c->score, c->whole, SQLPILOT_UNCHECKED};

	CheckResult(arg, &r);
	return r.valid;
}

PG_FUNCTION_INFO_V1(sqlpilot_sql_complete);

/*
 * sqlpilot_complete(prefix): the text to append to prefix, chosen by core's
 * policy (core/checked.h): the greedy completion unless sqlpilot.validate's
 * check refuses it; then the best of sqlpilot.candidates beams the check
 * does not refuse; when it refuses them all, the greedy one (what the call
 * returns with the check off).  The beams are the plain W best (literal
 * variants included: a literal of the wrong type is what the check refuses
 * most); they reuse the prompt in the KV cache, so only a refused completion
 * costs more than one greedy run and one check.
 */
Datum
sqlpilot_sql_complete(PG_FUNCTION_ARGS)
{
	CallState	cs;
	SqlpilotCheckedSource src = {GenerateCandidates, CheckCandidate, &cs, sqlpilot_candidates};
	SqlpilotCheckedCandidate *cands;
	int			n,
				shown;

	BeginCall(&cs, PG_GETARG_TEXT_PP(0));
	cands = palloc(sizeof(SqlpilotCheckedCandidate) * (1 + sqlpilot_candidates));
	shown = sqlpilot_checked_choose(&src, cands, &n);
	PG_RETURN_TEXT_P(EndCall(&cs, shown >= 0 ? cands[shown].text : ""));
}

/*
 * Makes the call return its rows in a tuplestore (materialize mode), set up
 * in the query's memory: InitMaterializedSRF from PostgreSQL 15 on, the same
 * steps by hand before it.
 */
static void
BeginMaterializedResult(FunctionCallInfo fcinfo)
{
#if PG_VERSION_NUM >= 150000
	InitMaterializedSRF(fcinfo, 0);
#else
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	TupleDesc	tupdesc;
	MemoryContext old;

	if (rsinfo == NULL || !IsA(rsinfo, ReturnSetInfo) ||
		!(rsinfo->allowedModes & SFRM_Materialize))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("set-valued function called in context that cannot accept a set")));
	old = MemoryContextSwitchTo(rsinfo->econtext->ecxt_per_query_memory);
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "sqlpilot: return type must be a row type");
	rsinfo->returnMode = SFRM_Materialize;
	rsinfo->setResult = tuplestore_begin_heap(true, false, work_mem);
	rsinfo->setDesc = CreateTupleDescCopy(tupdesc);
	MemoryContextSwitchTo(old);
#endif
}

PG_FUNCTION_INFO_V1(sqlpilot_sql_completions);

/*
 * sqlpilot_completions(prefix, n): what n beams offer, distinct after folding
 * literals (core/candidates.h): the next words, then the next clauses, then
 * the best whole statement, at most 2n + 1 rows.  valid: with
 * sqlpilot.validate on, whether prefix + the statement is a valid statement;
 * NULL for words, clauses and what was not checked.
 */
Datum
sqlpilot_sql_completions(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	int			want = PG_GETARG_INT32(1);
	CallState	cs;
	SqlpilotResult *res;
	const char **texts;
	double	   *scores;
	SqlpilotCandidate *cands;
	int			n,
				nc;

	if (want < 1 || want > SQLPILOT_MAX_COMPLETIONS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("number of completions must be between 1 and %d", SQLPILOT_MAX_COMPLETIONS)));
	BeginMaterializedResult(fcinfo);

	BeginCall(&cs, PG_GETARG_TEXT_PP(0));
	res = palloc(sizeof(SqlpilotResult) * want);
	n = SqlpilotRunCompletions(cs.bm, cs.schema, cs.schema_len, cs.prefix, cs.prefix_len,
							   cs.ids, cs.n_ids, want, true, res);
	n = KeywordsOnly(&cs, res, n);
	texts = palloc(sizeof(char *) * (n + 1));
	scores = palloc(sizeof(double) * (n + 1));
	for (int i = 0; i < n; i++)
	{
		texts[i] = res[i].text;
		scores[i] = res[i].score;
	}

	/* malloc'd by core: copied out before anything can ereport */
	cands = palloc0(sizeof(SqlpilotCandidate) * (2 * want + 1));
	nc = sqlpilot_candidates_build(texts, scores, n, cs.typed, strlen(cs.typed),
								   cands, 2 * want + 1);
	if (nc < 0)
		elog(ERROR, "sqlpilot: out of memory");
	for (int i = 0; i < nc; i++)
	{
		char	   *t = pstrdup(cands[i].text);

		free(cands[i].text);
		cands[i].text = t;
	}
	for (int i = 0; i < nc; i++)
		if (cands[i].kind == SQLPILOT_CAND_STATEMENT)
			CheckResult(&cs, &res[cands[i].source]);
	MemoryContextSwitchTo(cs.old);
	for (int i = 0; i < nc; i++)
	{
		Datum		values[4];
		bool		nulls[4] = {false, false, true, false};
		const SqlpilotResult *r = &res[cands[i].source];

		values[0] = PointerGetDatum(cstring_to_text(cands[i].text));
		values[1] = Float8GetDatum(cands[i].score);
		values[2] = BoolGetDatum(r->valid == SQLPILOT_VALID);
		if (cands[i].kind == SQLPILOT_CAND_STATEMENT)
			nulls[2] = r->valid == SQLPILOT_UNCHECKED;
		values[3] = PointerGetDatum(cstring_to_text(sqlpilot_candidate_kind_name(cands[i].kind)));
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	MemoryContextDelete(cs.cxt);
	return (Datum) 0;
}

PG_FUNCTION_INFO_V1(sqlpilot_sql_check);

/*
 * sqlpilot_check(statement): the check of sqlpilot_completions()' valid
 * column on any statement: true when it PREPAREs and names only relations
 * the role may see and use, NULL when it cannot be checked.
 */
Datum
sqlpilot_sql_check(PG_FUNCTION_ARGS)
{
	char	   *sql = text_to_cstring(PG_GETARG_TEXT_PP(0));
	SqlpilotValidity v = SqlpilotValidate(sql);

	pfree(sql);
	if (v == SQLPILOT_UNCHECKED)
		PG_RETURN_NULL();
	PG_RETURN_BOOL(v == SQLPILOT_VALID);
}

PG_FUNCTION_INFO_V1(sqlpilot_sql_prompt);

/* sqlpilot_prompt(prefix): the exact prompt text the model sees (without BOS). */
Datum
sqlpilot_sql_prompt(PG_FUNCTION_ARGS)
{
	CallState	cs;
	size_t		len;
	char	   *raw;
	char	   *prompt;

	BeginCall(&cs, PG_GETARG_TEXT_PP(0));
	raw = sqlpilot_prompt_text(cs.schema, cs.schema_len, cs.prefix, cs.prefix_len, &len);
	if (raw == NULL)
		elog(ERROR, "sqlpilot: out of memory building the prompt");
	prompt = pnstrdup(raw, len);
	free(raw);
	PG_RETURN_TEXT_P(EndCall(&cs, pg_any_to_server(prompt, (int) len, PG_UTF8)));
}

/* Appends the key of a JSON member (after a comma unless first); the caller appends the value. */
static void
JsonKey(StringInfo buf, const char *key, bool first)
{
	if (!first)
		appendStringInfoString(buf, ", ");
	escape_json(buf, key);
	appendStringInfoString(buf, ": ");
}

/* Turns JSON text into a jsonb datum. */
static Datum
ToJsonb(StringInfo buf)
{
	return DirectFunctionCall1(jsonb_in, CStringGetDatum(buf->data));
}

PG_FUNCTION_INFO_V1(sqlpilot_sql_model_info);

/* sqlpilot_model_info(): the model file, its config, parameters, tokenizer and checksum. */
Datum
sqlpilot_sql_model_info(PG_FUNCTION_ARGS)
{
	SqlpilotBackendModel *bm = SqlpilotGetModel();
	const SqlpilotConfig *c = &bm->model.config;
	StringInfoData buf;
	char		checksum[17];

	snprintf(checksum, sizeof(checksum), "%016llx", (unsigned long long) bm->model.checksum);
	initStringInfo(&buf);
	appendStringInfoChar(&buf, '{');
	JsonKey(&buf, "path", true);
	escape_json(&buf, bm->path);
	JsonKey(&buf, "file_size", false);
	appendStringInfo(&buf, "%zu", bm->file_size);
	JsonKey(&buf, "extension_version", false);
	escape_json(&buf, SQLPILOT_EXTVERSION);
	JsonKey(&buf, "dtype", false);
	escape_json(&buf, sqlpilot_dtype_name(bm->model.dtype));
	JsonKey(&buf, "checksum", false);
	escape_json(&buf, checksum);
	JsonKey(&buf, "parameters", false);
	appendStringInfo(&buf, "%zu", sqlpilot_param_count(c));
	JsonKey(&buf, "config", false);
	appendStringInfo(&buf, "{\"dim\": %d, \"hidden_dim\": %d, \"n_layers\": %d, \"n_heads\": %d, "
					 "\"n_kv_heads\": %d, \"vocab_size\": %d, \"seq_len\": %d, \"tied\": %s, "
					 "\"rope_theta\": %g, \"norm_eps\": %g}",
					 c->dim, c->hidden_dim, c->n_layers, c->n_heads, c->n_kv_heads,
					 c->vocab_size, c->seq_len, c->tied ? "true" : "false",
					 (double) c->rope_theta, (double) c->norm_eps);
	JsonKey(&buf, "tokenizer", false);
	appendStringInfo(&buf, "{\"type\": \"byte-level BPE\", \"vocab_size\": %d, \"merges\": %d}",
					 bm->model.tokenizer.vocab_size, bm->model.tokenizer.n_merges);
	appendStringInfoChar(&buf, '}');
	PG_RETURN_DATUM(ToJsonb(&buf));
}

PG_FUNCTION_INFO_V1(sqlpilot_sql_stats);

/* sqlpilot_stats(): this backend's counters (model loads, schema cache, KV reuse). */
Datum
sqlpilot_sql_stats(PG_FUNCTION_ARGS)
{
	const SqlpilotStats *s = &sqlpilot_stats_counters;
	StringInfoData buf;

	initStringInfo(&buf);
	appendStringInfo(&buf, "{\"model_loads\": " INT64_FORMAT ", \"schema_builds\": " INT64_FORMAT
					 ", \"schema_hits\": " INT64_FORMAT ", \"last_prompt_tokens\": %d"
					 ", \"last_reused_tokens\": %d, \"last_computed_tokens\": %d"
					 ", \"last_tables\": %d, \"last_tables_total\": %d"
					 ", \"prompt_cache_hits\": " INT64_FORMAT ", \"prompt_cache_writes\": " INT64_FORMAT "}",
					 s->model_loads, s->schema_builds, s->schema_hits, s->last_prompt_tokens,
					 s->last_reused_tokens, s->last_computed_tokens, s->last_tables,
					 s->last_tables_total, s->prompt_cache_hits, s->prompt_cache_writes);
	PG_RETURN_DATUM(ToJsonb(&buf));
}
