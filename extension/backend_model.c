/*
 * backend_model.c — the model of one backend: resolved from
 * sqlpilot.model_path, loaded once with sqlpilot_model_load_snapshot()
 * (core/model.c), kept with one run state whose KV cache keeps the last
 * prompt, and reloaded when the setting or the file (path, inode, size,
 * mtime) changes.
 *
 * The installed file is never mapped: the core copies it into a verified
 * snapshot in pg_stat_tmp/sqlpilot that only it writes, and maps that, so
 * backends share one copy of the weights in the page cache while the
 * installed file may be overwritten in place, truncated or deleted under a
 * running completion (a mapping of it would die of SIGBUS and restart every
 * session).  The next call sees the changed file and reloads, or reports it.
 *
 * The core allocates with malloc and reports errors in a buffer; this file
 * turns those errors into ereports only after the core's memory is freed or
 * owned by the static state, so no longjmp ever skips core cleanup.
 */
#include "postgres.h"

#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "utils/guc.h"

#include "complete.h"
#include "sqlpilot.h"

/* Where the verified snapshots of model files live (see core/model.h). */
#define MODEL_SNAPSHOT_DIR PG_STAT_TMP_DIR "/sqlpilot"

static SqlpilotBackendModel backend_model;
static bool model_loaded = false;
static struct stat model_stat;

/*
 * Load-time setup.  Loaded through shared_preload_libraries, the postmaster
 * maps the model and sets up its run state once, and every backend inherits
 * them (a problem only logs: the backends then report it on first use).
 */
void
SqlpilotModelInit(void)
{
	MemoryContext cxt = CurrentMemoryContext;

	if (!process_shared_preload_libraries_in_progress)
		return;
	PG_TRY();
	{
		(void) SqlpilotGetModel();
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(cxt);
		edata = CopyErrorData();
		FlushErrorState();
		ereport(LOG,
				(errmsg("sqlpilot: model not preloaded: %s", edata->message)));
		FreeErrorData(edata);
	}
	PG_END_TRY();
}

/*
 * Expands a leading "$sharedir" in a model_path setting into a palloc'd path;
 * with Debian's extension_destdir set, a file staged there wins.
 */
static char *
ResolveModelPath(const char *setting)
{
	char		share[MAXPGPATH];
	char	   *path;

	if (setting == NULL || setting[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("sqlpilot.model_path is empty"),
				 errhint("Set sqlpilot.model_path to a model file.")));
	if (strncmp(setting, "$sharedir", 9) != 0 || (setting[9] != '/' && setting[9] != '\0'))
		return pstrdup(setting);
	get_share_path(my_exec_path, share);
	path = psprintf("%s%s", share, setting + 9);
	if (extension_destdir != NULL && extension_destdir[0] != '\0')
	{
		char	   *staged = psprintf("%s%s", extension_destdir, path);

		if (access(staged, F_OK) == 0)
			return staged;
	}
	return path;
}

/* Whether two stat results describe the same, unchanged file. */
static bool
SameFile(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_size == b->st_size &&
		a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

/* Releases the loaded model and its run state. */
static void
UnloadModel(void)
{
	if (!model_loaded)
		return;
	sqlpilot_runstate_free(&backend_model.state);
	sqlpilot_model_free(&backend_model.model);
	free(backend_model.path);
	memset(&backend_model, 0, sizeof(backend_model));
	model_loaded = false;
}

/* Reports a model file the server cannot open or read (errno e), with what to do about it. */
static void
ReportUnreadableModel(const char *path, int e)
{
	struct passwd *pw = getpwuid(geteuid());

	errno = e;
	if (e == ENOENT)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_FILE),
				 errmsg("sqlpilot model file \"%s\" does not exist", path),
				 errhint("Set sqlpilot.model_path to a model file, or install the default model as \"%s\".",
						 SQLPILOT_DEFAULT_MODEL_PATH)));
	if (e == EACCES || e == EPERM)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("could not read sqlpilot model file \"%s\": %m", path),
				 errhint("The server runs as operating system user \"%s\"; make the file readable by it (and its directories searchable).",
						 pw ? pw->pw_name : "?")));
	ereport(ERROR,
			(errcode(ERRCODE_IO_ERROR),
			 errmsg("could not read sqlpilot model file \"%s\": %m", path)));
}

/* Reports a model file the core refused, with the SQLSTATE its message calls for. */
static void
ReportBadModel(const char *path, const char *err)
{
	if (strstr(err, "weights are not finite") != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("sqlpilot model file \"%s\" is broken: its weights are not finite", path),
				 errdetail("%s", err),
				 errhint("The model holds NaN or Inf weights, as training with a diverged loss leaves them; export it again from a good checkpoint.")));
	if (strstr(err, "unsupported model file version") != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("sqlpilot model file \"%s\" does not match this extension version", path),
				 errdetail("%s", err),
				 errhint("Use a model exported by sqlpilot %s (sqlpilot export, or sqlpilot convert an older file).",
						 SQLPILOT_EXTVERSION)));
	ereport(ERROR,
			(errcode(ERRCODE_DATA_CORRUPTED),
			 errmsg("sqlpilot model file \"%s\" is corrupt", path),
			 errdetail("%s", err),
			 errhint("Reinstall the model or set sqlpilot.model_path to a valid model file.")));
}

/* The model for sqlpilot.model_path, loading or reloading it when needed. */
SqlpilotBackendModel *
SqlpilotGetModel(void)
{
	char	   *path = ResolveModelPath(sqlpilot_model_path);
	struct stat st;
	SqlpilotModel m;
	char		err[512];
	int			rc;

	if (stat(path, &st) != 0)
		ReportUnreadableModel(path, errno);
	if (!S_ISREG(st.st_mode))
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("sqlpilot model file \"%s\" is not a regular file", path),
				 errhint("Set sqlpilot.model_path to a model file.")));
	if (model_loaded && strcmp(path, backend_model.path) == 0 && SameFile(&st, &model_stat))
		return &backend_model;

	UnloadModel();
	err[0] = '\0';
	rc = sqlpilot_model_load_snapshot(&m, path, MODEL_SNAPSHOT_DIR, err, sizeof(err));
	if (rc > 0)
		ReportUnreadableModel(path, rc);
	if (rc != 0)
		ReportBadModel(path, err);

	backend_model.model = m;
	backend_model.path = strdup(path);
	backend_model.file_size = (size_t) st.st_size;
	rc = sqlpilot_runstate_init(&backend_model.state, &backend_model.model.config,
								&backend_model.model.weights, err, sizeof(err));
	if (rc != 0 || backend_model.path == NULL)
	{
		if (rc == 0)
			sqlpilot_runstate_free(&backend_model.state);
		sqlpilot_model_free(&backend_model.model);
		free(backend_model.path);
		memset(&backend_model, 0, sizeof(backend_model));
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("could not set up sqlpilot model \"%s\"", path),
				 errdetail("%s", rc != 0 ? err : "out of memory")));
	}
	model_stat = st;
	model_loaded = true;
	sqlpilot_stats_counters.model_loads++;
	return &backend_model;
}

/* should_stop callback: a cancel, statement_timeout or termination is pending. */
static bool
StopRequested(void *arg)
{
	return QueryCancelPending || ProcDiePending;
}

/*
 * Completes prefix (UTF-8) given schema (UTF-8), whose prompt's tokens are
 * ids[0..n_ids) (from SqlpilotSchemaFor): up to n alternatives, best first
 * (distinct: different next words, not literal variants; core/complete.h),
 * written to out (texts palloc'd in the server encoding); returns how many.
 * A cancel, statement_timeout or termination stops it between prefill
 * chunks of the prompt and between generated tokens.
 */
int
SqlpilotRunCompletions(SqlpilotBackendModel *bm, const char *schema, size_t schema_len,
					   const char *prefix, size_t prefix_len, const int *ids, int n_ids,
					   int n, bool distinct, SqlpilotResult *out)
{
	SqlpilotCompleteOptions o;
	SqlpilotCompletion *res = palloc0(sizeof(SqlpilotCompletion) * n);
	int			reused;
	bool		cache_hit = false;
	char		err[512];
	long		computed;
	int			rc;

	reused = sqlpilot_infer_cached_prefix(&bm->state, ids, n_ids);

	/*
	 * A prompt this backend has not run yet (its first call, or the schema
	 * changed): another backend may have left its KV cache in a file.
	 */
	if (reused < SQLPILOT_PROMPT_CACHE_MIN_TOKENS && n_ids >= SQLPILOT_PROMPT_CACHE_MIN_TOKENS)
	{
		cache_hit = SqlpilotPromptCacheLoad(bm, schema, schema_len);
		reused = sqlpilot_infer_cached_prefix(&bm->state, ids, n_ids);
	}
	sqlpilot_stats_counters.last_prompt_tokens = n_ids;
	sqlpilot_stats_counters.last_reused_tokens = reused;

	sqlpilot_complete_defaults(&o);
	o.max_tokens = sqlpilot_max_tokens;
	/*
	 * one completion, plain or a list of one, is the whole statement shown:
	 * sqlpilot.statement_beams beams
	 */
	o.beam_width = n > 1 ? n :
		sqlpilot_statement_beams > 0 ? sqlpilot_statement_beams : SQLPILOT_BEAM_WIDTH_STATEMENT;
	o.statement_beams = sqlpilot_statement_beams;	/* a list's statement: the same */
	o.grounding = sqlpilot_grounding;
	o.distinct = distinct;
	o.should_stop = StopRequested;
	o.should_stop_arg = NULL;
	err[0] = '\0';
	computed = bm->state.n_computed;
	rc = sqlpilot_complete_ids(&bm->state, &bm->model.tokenizer, schema, schema_len,
							   prefix, prefix_len, ids, n_ids, &o, res, n, err, sizeof(err));

	sqlpilot_stats_counters.last_computed_tokens = (int) (bm->state.n_computed - computed);

	/*
	 * A prompt mostly computed here (a first call, or the schema changed
	 * under a warm backend) is worth a file for the next session.
	 */
	if (rc >= 0 && !cache_hit && n_ids - reused >= SQLPILOT_PROMPT_CACHE_MIN_TOKENS)
		SqlpilotPromptCacheSave(bm, schema, schema_len, sqlpilot_infer_cached_prefix(&bm->state, ids, n_ids));

	/*
	 * Take the results out of malloc'd memory before anything can ereport.
	 * A completion ends the statement at its ';' or at the model's end (not
	 * cut by the loop rule of core/complete.c): with
	 * fewer tokens than the budget (which includes any re-typed tokens, so
	 * an end on the budget's last token counts as cut), not at the context's
	 * end either, since the prompt leaves max_tokens of room.
	 */
	for (int i = 0; i < rc; i++)
	{
		size_t		len = res[i].text ? strlen(res[i].text) : 0;

		out[i].text = pnstrdup(len > 0 ? res[i].text : "", len);
		out[i].score = res[i].score;
		out[i].whole = !res[i].looped && ((len > 0 && res[i].text[len - 1] == ';') ||
										  res[i].n_tokens < sqlpilot_max_tokens);
		out[i].valid = SQLPILOT_UNCHECKED;
	}
	if (rc > 0)
		sqlpilot_completion_free(res, rc);

	if (rc == -2)
	{
		CHECK_FOR_INTERRUPTS();
		ereport(ERROR,
				(errcode(ERRCODE_QUERY_CANCELED),
				 errmsg("canceling sqlpilot completion")));
	}
	if (rc < 0)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("sqlpilot completion failed"),
				 errdetail("%s", err)));
	for (int i = 0; i < rc; i++)
		out[i].text = pg_any_to_server(out[i].text, (int) strlen(out[i].text), PG_UTF8);
	return rc;
}
