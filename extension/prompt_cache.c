/*
 * prompt_cache.c — the KV cache of a schema's prompt, shared by backends
 * through files, so a new session's first completion does not run the
 * whole schema through the model again (for the 15M preset that prefill is
 * most of a cold call: ~60 ms for 400 tokens).
 *
 * A file is named by XXH64 of the rendered schema text seeded with the
 * model's checksum, and holds token ids plus every layer's k/v rows
 * (core/infer.c: sqlpilot_infer_save/load, which check the model checksum,
 * the shapes and a checksum of the contents).  The run state reuses only
 * the prefix its new prompt shares with the loaded tokens, so a stale or
 * foreign file can cost time but never change a completion.  Only a prompt
 * whose schema text is exactly the role's own can find a file, so no role
 * learns anything from another's.  The files live in pg_stat_tmp/sqlpilot
 * (left out of base backups), at most sqlpilot.prompt_cache_files of them,
 * the oldest removed first.  Every failure here is logged at DEBUG1 and
 * otherwise ignored: a cache problem never fails a completion.
 */
#include "postgres.h"

#include <sys/stat.h>
#include <unistd.h>

#include "miscadmin.h"
#include "pgstat.h"
#include "storage/fd.h"

#include "sqlpilot.h"
#include "util.h"

#define PROMPT_CACHE_DIR PG_STAT_TMP_DIR "/sqlpilot"

/* The file of this schema text under this model (palloc'd). */
static char *
CachePath(SqlpilotBackendModel *bm, const char *schema, size_t schema_len)
{
	uint64		key = sqlpilot_checksum64(schema, schema_len, bm->model.checksum);

	return psprintf("%s/%016llx.kv", PROMPT_CACHE_DIR, (unsigned long long) key);
}

/* Loads the schema's cached prompt into the backend's run state; true on a hit. */
bool
SqlpilotPromptCacheLoad(SqlpilotBackendModel *bm, const char *schema, size_t schema_len)
{
	char	   *path;
	char		err[512];
	int			n;

	if (sqlpilot_prompt_cache_files <= 0)
		return false;
	path = CachePath(bm, schema, schema_len);
	n = sqlpilot_infer_load(&bm->state, bm->model.checksum, path, err, sizeof(err));
	if (n < 0)
		elog(DEBUG1, "sqlpilot: no prompt cache: %s", err);
	else
		sqlpilot_stats_counters.prompt_cache_hits++;
	pfree(path);
	return n > 0;
}

/* Removes the oldest cache files until at most sqlpilot.prompt_cache_files remain. */
static void
EvictOldest(void)
{
	for (;;)
	{
		DIR		   *dir = AllocateDir(PROMPT_CACHE_DIR);
		struct dirent *de;
		int			count = 0;
		time_t		oldest = 0;
		char	   *victim = NULL;

		while ((de = ReadDir(dir, PROMPT_CACHE_DIR)) != NULL)
		{
			char	   *path;
			struct stat st;
			size_t		len = strlen(de->d_name);

			if (len < 4 || strcmp(de->d_name + len - 3, ".kv") != 0)
				continue;
			path = psprintf("%s/%s", PROMPT_CACHE_DIR, de->d_name);
			if (stat(path, &st) != 0)
			{
				pfree(path);
				continue;
			}
			count++;
			if (!victim || st.st_mtime < oldest)
			{
				if (victim)
					pfree(victim);
				victim = path;
				oldest = st.st_mtime;
			}
			else
				pfree(path);
		}
		FreeDir(dir);
		if (count <= sqlpilot_prompt_cache_files || !victim)
		{
			if (victim)
				pfree(victim);
			return;
		}
		if (unlink(victim) != 0)
		{
			elog(DEBUG1, "sqlpilot: cannot remove %s: %m", victim);
			pfree(victim);
			return;
		}
		pfree(victim);
	}
}

/* Writes the first n cached tokens of the run state as this schema's prompt cache. */
void
SqlpilotPromptCacheSave(SqlpilotBackendModel *bm, const char *schema, size_t schema_len, int n)
{
	char	   *path;
	char		err[512];

	if (sqlpilot_prompt_cache_files <= 0 || n <= 0)
		return;
	if (MakePGDirectory(PROMPT_CACHE_DIR) != 0 && errno != EEXIST)
	{
		elog(DEBUG1, "sqlpilot: cannot create %s: %m", PROMPT_CACHE_DIR);
		return;
	}
	path = CachePath(bm, schema, schema_len);
	if (sqlpilot_infer_save(&bm->state, n, bm->model.checksum, path, err, sizeof(err)) != 0)
		elog(DEBUG1, "sqlpilot: prompt cache not written: %s", err);
	else
	{
		sqlpilot_stats_counters.prompt_cache_writes++;
		EvictOldest();
	}
	pfree(path);
}
