/*
 * pipeline_run.c — shard bookkeeping, the manifest, and the worker loop:
 * a stage's missing shards are handed out to forked worker processes one at
 * a time (a shared counter), while the parent draws the progress line from
 * counters in shared memory.
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cJSON.h"
#include "../pipeline.h"
#include "util.h"
#include "../validate.h"

/* SplitMix64 finalizer over (seed, k, tag): independent streams per stage and item. */
uint64_t
datagen_mix(uint64_t seed, uint64_t k, uint64_t tag)
{
	uint64_t	state = seed ^ (tag * 0xD1B54A32D192ED03ULL);

	state += k * 0x9E3779B97F4A7C15ULL;
	sqlpilot_rng_next(&state);
	return sqlpilot_rng_next(&state);
}

/* Number of shard files for the whole data set. */
int
datagen_n_shards(const DatagenOptions *o)
{
	return (int) ((o->n_schemas + o->shard_size - 1) / o->shard_size);
}

/* True when shard belongs to this run's slice. */
bool
datagen_shard_mine(const DatagenOptions *o, int shard)
{
	return shard % o->shard_n == o->shard_i;
}

/* out/dir/shard-NNNNN.jsonl */
void
datagen_shard_path(const DatagenOptions *o, const char *dir, int shard, char *out, size_t cap)
{
	snprintf(out, cap, "%s/%s/shard-%05d.jsonl", o->out, dir, shard);
}

/* True when path exists. */
bool
datagen_file_exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

/* Counts the slice's shards still to do in dir. */
int
datagen_shards_pending(const DatagenOptions *o, const char *dir)
{
	int			n = 0;

	for (int k = 0; k < datagen_n_shards(o); k++)
	{
		char		path[4096];

		if (!datagen_shard_mine(o, k))
			continue;
		datagen_shard_path(o, dir, k, path, sizeof(path));
		n += !datagen_file_exists(path);
	}
	return n;
}

/* mkdir that accepts an existing directory. */
static int
make_dir(const char *path, char *err, size_t errlen)
{
	struct stat st;

	if (mkdir(path, 0755) == 0)
		return 0;
	if (errno == EEXIST && stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		return 0;
	snprintf(err, errlen, "cannot create directory \"%s\": %s", path, strerror(errno));
	return -1;
}

/* Creates out/ (and out/sub) and proves it writable by creating and removing a probe file. */
int
datagen_prepare_dir(const DatagenOptions *o, const char *sub, char *err, size_t errlen)
{
	char		path[4096];
	FILE	   *f;

	if (make_dir(o->out, err, errlen) != 0)
		return -1;
	snprintf(path, sizeof(path), "%s/%s", o->out, sub ? sub : "");
	if (sub && make_dir(path, err, errlen) != 0)
		return -1;
	snprintf(path, sizeof(path), "%s/%s%s.probe.%d", o->out, sub ? sub : "", sub ? "/" : "",
			 (int) getpid());
	f = fopen(path, "w");
	if (!f)
	{
		snprintf(err, errlen, "output directory \"%s%s%s\" is not writable: %s", o->out,
				 sub ? "/" : "", sub ? sub : "", strerror(errno));
		return -1;
	}
	fclose(f);
	unlink(path);
	return 0;
}

/* Reads one integer member of the manifest into *v (if unset) or checks it. */
static int
manifest_field(const cJSON *m, const char *key, long *v, const char *flag, char *err, size_t errlen)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(m, key);
	long		have;

	if (!cJSON_IsNumber(it))
	{
		snprintf(err, errlen, "manifest.json has no number \"%s\"", key);
		return -1;
	}
	have = (long) it->valuedouble;
	if (*v < 0)
		*v = have;
	else if (*v != have)
	{
		snprintf(err, errlen, "the data was generated with %s %ld, not %ld: use another --out or the same %s",
				 flag, have, *v, flag);
		return -1;
	}
	return 0;
}

/* See pipeline.h: fills unset options from out/manifest.json or writes it. */
int
datagen_manifest(DatagenOptions *o, char *err, size_t errlen)
{
	char		path[4096];
	char	   *text;
	long		seed = o->seed == UINT64_MAX ? -1 : (long) o->seed;
	long		schemas = o->n_schemas,
				per = o->per_schema,
				size = o->shard_size,
				every = o->eval_every;

	snprintf(path, sizeof(path), "%s/manifest.json", o->out);
	text = sqlpilot_read_file(path, NULL, err, errlen);
	if (text)
	{
		cJSON	   *m = cJSON_Parse(text);
		int			rc = 0;

		free(text);
		if (!m)
		{
			snprintf(err, errlen, "\"%s\" is not valid JSON", path);
			return -1;
		}
		rc |= manifest_field(m, "seed", &seed, "--seed", err, errlen);
		rc |= rc ? 0 : manifest_field(m, "schemas", &schemas, "--schemas", err, errlen);
		rc |= rc ? 0 : manifest_field(m, "per_schema", &per, "--per-schema", err, errlen);
		rc |= rc ? 0 : manifest_field(m, "shard_size", &size, "--shard-size", err, errlen);
		rc |= rc ? 0 : manifest_field(m, "eval_every", &every, "--eval-every", err, errlen);
		cJSON_Delete(m);
		if (rc)
			return -1;
	}
	else
	{
		char		buf[512];
		int			n;

		seed = seed < 0 ? 1 : seed;
		schemas = schemas < 0 ? DATAGEN_DEFAULT_SCHEMAS : schemas;
		per = per < 0 ? DATAGEN_DEFAULT_PER_SCHEMA : per;
		size = size < 0 ? DATAGEN_DEFAULT_SHARD_SIZE : size;
		every = every < 0 ? DATAGEN_DEFAULT_EVAL_EVERY : every;
		if (datagen_prepare_dir(o, NULL, err, errlen) != 0)
			return -1;
		n = snprintf(buf, sizeof(buf),
					 "{\"version\": 1, \"seed\": %ld, \"schemas\": %ld, \"per_schema\": %ld, "
					 "\"shard_size\": %ld, \"eval_every\": %ld}\n", seed, schemas, per, size, every);
		if (sqlpilot_write_file_atomic(path, buf, n, err, errlen) != 0)
			return -1;
	}
	o->seed = (uint64_t) seed;
	o->n_schemas = schemas;
	o->per_schema = (int) per;
	o->shard_size = (int) size;
	o->eval_every = (int) every;
	if (o->n_schemas <= 0 || o->per_schema <= 0 || o->shard_size <= 0 || o->eval_every < 0)
	{
		snprintf(err, errlen, "--schemas, --per-schema and --shard-size must be positive");
		return -1;
	}
	return 0;
}

/* Formats seconds as H:MM:SS or M:SS. */
static void
format_eta(double s, char *out, size_t cap)
{
	long		t = s < 0 ? 0 : (long) (s + 0.5);

	if (t >= 3600)
		snprintf(out, cap, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
	else
		snprintf(out, cap, "%ld:%02ld", t / 60, t % 60);
}

/* Draws one progress line: bar, schemas done, units and their rate, ETA. */
static void
draw_progress(const char *stage, const char *unit, const DatagenCounters *c, long total_schemas,
			  double elapsed, bool final)
{
	char		bar[31];
	char		eta[32];
	double		frac = total_schemas ? (double) c->schemas / total_schemas : 1.0;
	int			fill = (int) (frac * 30);
	double		rate = elapsed > 0 ? c->units / elapsed : 0;

	for (int i = 0; i < 30; i++)
		bar[i] = i < fill ? '=' : (i == fill ? '>' : ' ');
	bar[30] = '\0';
	if (final)
		format_eta(elapsed, eta, sizeof(eta));
	else
		format_eta(frac > 0 ? elapsed * (1 - frac) / frac : 0, eta, sizeof(eta));
	fprintf(stderr, "\r%-10s [%s] %3.0f%% %ld/%ld schemas  %ld %s  %.0f %s/s  %s %s\033[K%s",
			stage, bar, frac * 100, c->schemas, total_schemas, c->units, unit, rate, unit,
			final ? "in" : "ETA", eta, final ? "\n" : "");
}

/* One worker: takes shard numbers from the shared queue until it is empty or someone failed. */
static int
worker_main(const DatagenOptions *o, int id, DatagenShardFn fn, const char *conninfo,
			const int *todo, int n_todo, int *next, DatagenCounters *c)
{
	DatagenValidator pg;
	DatagenWorker w = {o, c, NULL, id};
	char		err[1024] = "";
	int			rc = 0;

	if (conninfo)
	{
		if (datagen_validator_open(&pg, conninfo, err, sizeof(err)) != 0)
			rc = -1;
		else
			w.pg = &pg;
	}
	while (rc == 0 && !__atomic_load_n(&c->failed, __ATOMIC_SEQ_CST))
	{
		int			j = __atomic_fetch_add(next, 1, __ATOMIC_SEQ_CST);

		if (j >= n_todo)
			break;
		if (fn(&w, todo[j], err, sizeof(err)) != 0)
			rc = -1;
		else
			__atomic_add_fetch(&c->shards_done, 1, __ATOMIC_SEQ_CST);
	}
	if (rc != 0 && __atomic_exchange_n(&c->failed, 1, __ATOMIC_SEQ_CST) == 0)
		snprintf(c->error, sizeof(c->error), "%s", err);
	if (w.pg)
		datagen_validator_close(&pg);
	return rc == 0 ? 0 : 1;
}

/*
 * Removes "<path>.tmp.<pid>" files a killed run left behind.  Only shards of
 * this run's slice are touched, so slices running elsewhere are safe.
 */
void
datagen_remove_stale_temps(const char *path)
{
	char		dir[4096];
	const char *slash = strrchr(path, '/');
	const char *base = slash ? slash + 1 : path;
	size_t		blen = strlen(base);
	DIR		   *d;
	struct dirent *e;

	snprintf(dir, sizeof(dir), "%.*s", slash ? (int) (slash - path) : 1, slash ? path : ".");
	d = opendir(dir);
	if (!d)
		return;
	while ((e = readdir(d)) != NULL)
	{
		char		full[8192];

		if (strncmp(e->d_name, base, blen) != 0 || strncmp(e->d_name + blen, ".tmp.", 5) != 0)
			continue;
		snprintf(full, sizeof(full), "%s/%s", dir, e->d_name);
		unlink(full);
	}
	closedir(d);
}

/* See pipeline.h. */
int
datagen_run_shards(const DatagenOptions *o, const char *stage, const char *dir,
				   const char *unit, DatagenShardFn fn, const char *conninfo,
				   DatagenCounters *counters, char *err, size_t errlen)
{
	int			n_shards = datagen_n_shards(o);
	int		   *todo = malloc(sizeof(int) * (n_shards + 1));
	int			n_todo = 0;
	long		total_schemas = 0;
	size_t		shm_size = sizeof(DatagenCounters) + sizeof(int);
	DatagenCounters *c;
	int		   *next;
	pid_t		pids[DATAGEN_MAX_JOBS];
	int			jobs;
	double		t0 = sqlpilot_now(),
				last = 0;
	int			alive;
	int			rc = 0;

	memset(counters, 0, sizeof(*counters));
	if (!todo)
	{
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (datagen_prepare_dir(o, dir, err, errlen) != 0)
	{
		free(todo);
		return -1;
	}
	for (int k = 0; k < n_shards; k++)
	{
		char		path[4096];

		if (!datagen_shard_mine(o, k))
			continue;
		datagen_shard_path(o, dir, k, path, sizeof(path));
		if (datagen_file_exists(path))
		{
			counters->shards_skipped++;
			continue;
		}
		datagen_remove_stale_temps(path);
		todo[n_todo++] = k;
		total_schemas += (k + 1L) * o->shard_size > o->n_schemas ?
			o->n_schemas - (long) k * o->shard_size : o->shard_size;
	}
	if (n_todo == 0)
	{
		fprintf(stderr, "%-10s all %ld shard(s) of this slice already done\n", stage,
				counters->shards_skipped);
		free(todo);
		return 0;
	}

	c = mmap(NULL, shm_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (c == MAP_FAILED)
	{
		snprintf(err, errlen, "mmap: %s", strerror(errno));
		free(todo);
		return -1;
	}
	memset(c, 0, shm_size);
	next = (int *) (c + 1);
	jobs = o->jobs < n_todo ? o->jobs : n_todo;
	fflush(NULL);
	for (int i = 0; i < jobs; i++)
	{
		pid_t		parent = getpid();

		pids[i] = fork();
		if (pids[i] == 0)
		{
			/* A worker must not outlive a killed run: it would still be writing shards. */
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			if (getppid() != parent)
				_exit(1);
			_exit(worker_main(o, i, fn, conninfo, todo, n_todo, next, c));
		}
		if (pids[i] < 0)
		{
			snprintf(err, errlen, "fork: %s", strerror(errno));
			__atomic_store_n(&c->failed, 1, __ATOMIC_SEQ_CST);
			jobs = i;
			rc = -1;
			break;
		}
	}

	alive = jobs;
	while (alive > 0)
	{
		int			status;
		pid_t		pid = waitpid(-1, &status, WNOHANG);
		double		now = sqlpilot_now();

		if (pid > 0)
		{
			for (int i = 0; i < jobs; i++)
				if (pids[i] == pid)
				{
					alive--;
					if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
					{
						if (rc == 0 && !c->failed)
							snprintf(err, errlen, "worker %d died (%s %d)", i,
									 WIFSIGNALED(status) ? "signal" : "status",
									 WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
						__atomic_store_n(&c->failed, 1, __ATOMIC_SEQ_CST);
						rc = -1;
					}
				}
			continue;
		}
		if (pid < 0 && errno != EINTR)
			break;
		if (o->progress && now - last >= 0.25)
		{
			draw_progress(stage, unit, c, total_schemas, now - t0, false);
			last = now;
		}
		{
			struct timespec ts = {0, 20 * 1000000L};

			nanosleep(&ts, NULL);
		}
	}
	if (o->progress && rc == 0)
		draw_progress(stage, unit, c, total_schemas, sqlpilot_now() - t0, true);
	else if (rc == 0)
		fprintf(stderr, "%-10s %ld schemas, %ld %s in %.1f s (%.0f %s/s)\n", stage, c->schemas,
				c->units, unit, sqlpilot_now() - t0,
				c->units / (sqlpilot_now() - t0 + 1e-9), unit);
	else if (o->progress)
		fprintf(stderr, "\n");
	if (c->failed && c->error[0])
		snprintf(err, errlen, "%s", c->error);
	{
		long		skipped = counters->shards_skipped;

		*counters = *c;
		counters->shards_skipped = skipped;
	}
	munmap(c, shm_size);
	free(todo);
	return rc == 0 && !counters->failed ? 0 : -1;
}
