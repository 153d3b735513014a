/*
 * pipeline.h — the datagen pipeline: stages, shard files, workers, resume.
 *
 * Every stage reads the previous stage's files under the output directory
 * and writes its own (formats in datagen/README.md):
 *   topics.json, topic_detail.json, tons_of_tables/shard-NNNNN.jsonl,
 *   diverse_statements/shard-NNNNN.jsonl, raw/shard-NNNNN.jsonl,
 *   eval/shard-NNNNN.jsonl and eval.jsonl.
 * Schema number k (0 <= k < schemas) lives in shard k / shard_size; a run
 * with --shard i/n does the shards whose number is i modulo n.  Every file is
 * written whole (temp file, fsync, rename), so a file that exists is
 * finished and a re-run skips it.
 */
#ifndef SQLPILOT_DATAGEN_PIPELINE_H
#define SQLPILOT_DATAGEN_PIPELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "generate.h"
#include "llm.h"
#include "util.h"

#define DATAGEN_DEFAULT_SCHEMAS 20000
#define DATAGEN_DEFAULT_PER_SCHEMA 30
#define DATAGEN_DEFAULT_SHARD_SIZE 500
#define DATAGEN_DEFAULT_EVAL_EVERY 50
#define DATAGEN_DEFAULT_JOBS 3
#define DATAGEN_MAX_JOBS 64

typedef struct DatagenOptions
{
	const char *out;			/* output directory */
	uint64_t	seed;
	long		n_schemas;
	int			per_schema;		/* statements generated per schema */
	int			shard_size;		/* schemas per shard file */
	int			eval_every;		/* schema k is held out for eval when k % eval_every == eval_every - 1 (0: none) */
	int			shard_i;		/* this run's slice: shards with number % shard_n == shard_i */
	int			shard_n;
	int			jobs;			/* worker processes */
	const char *pg;				/* libpq connection string; NULL: start a throwaway server */
	int			progress;		/* 1: updating progress line on stderr, 0: summary lines only */
	int			check_sample;	/* datagen check: schemas re-checked per shard (0: all) */
	DatagenLlmOptions llm;		/* the LLM backend (datagen/LLM.md); llm.url NULL: offline only */
	double		llm_mix;		/* share of schemas (and their statements) from the LLM */
} DatagenOptions;

/* Appends s as a JSON string literal (with quotes); NULL becomes null. */
void		datagen_buf_json_str(SqlpilotBuf *b, const char *s);

/* Writes the schema (tables and all) as one JSON object. */
void		datagen_schema_to_json(SqlpilotBuf *b, const DatagenSchema *s);
/* Rebuilds a schema from that JSON (a cJSON object); every string malloc'd.  -1 with err if malformed. */
struct cJSON;
int			datagen_schema_from_json(const struct cJSON *obj, DatagenSchema *s, char *err, size_t errlen);

/*
 * Reads and parses a whole JSON file; NULL with err when it cannot.  hint
 * (may be NULL) names the `sqlpilot datagen` stage that writes the file,
 * suggested when the file cannot be read.
 */
struct cJSON *datagen_read_json(const char *path, const char *hint, char *err, size_t errlen);

/* Writes a statement (kind, half, SQL, PostgreSQL form, identifier positions) as one JSON object. */
void		datagen_statement_to_json(SqlpilotBuf *b, const DatagenStatement *st);
/* Rebuilds a statement from that JSON; every buffer malloc'd.  -1 with err if malformed. */
int			datagen_statement_from_json(const struct cJSON *obj, DatagenStatement *st,
										char *err, size_t errlen);

/* Derives an independent 64-bit seed from a seed, a number and a stage tag. */
uint64_t	datagen_mix(uint64_t seed, uint64_t k, uint64_t tag);

/* Paths and shard bookkeeping (pipeline/pipeline_run.c). */
int			datagen_n_shards(const DatagenOptions *o);
bool		datagen_shard_mine(const DatagenOptions *o, int shard);
void		datagen_shard_path(const DatagenOptions *o, const char *dir, int shard, char *out, size_t cap);
bool		datagen_file_exists(const char *path);
/* Number of this run's shards whose out/dir/shard-N.jsonl does not exist yet. */
int			datagen_shards_pending(const DatagenOptions *o, const char *dir);
/* Removes "<path>.tmp.<pid>" files that a killed run left beside path. */
void		datagen_remove_stale_temps(const char *path);
/* Creates out/ and out/sub (may be NULL) and checks they are writable; -1 with err. */
int			datagen_prepare_dir(const DatagenOptions *o, const char *sub, char *err, size_t errlen);
/*
 * Reconciles the options with out/manifest.json (seed, schemas, per_schema,
 * shard_size, eval_every): fills what the command line left unset (< 0) and
 * refuses a mismatch; writes the manifest when there is none.
 */
int			datagen_manifest(DatagenOptions *o, char *err, size_t errlen);

/* Counters shared by the workers of one stage (in shared memory). */
typedef struct DatagenCounters
{
	long		units;			/* work units done (schemas, statements or examples) */
	long		schemas;		/* schemas done */
	long		accepted[DATAGEN_N_KINDS];
	long		rejected[DATAGEN_N_KINDS];
	long		schemas_rejected;	/* schemas whose DDL PostgreSQL refused */
	long		shards_done;
	long		shards_skipped;
	long		llm_items;		/* schemas or statement sets the LLM gave */
	long		llm_fallbacks;	/* LLM schemas skipped or dropped: generated offline */
	DatagenLlmStats llm;		/* the workers' request engines, added up */
	int			failed;			/* a worker failed: the others stop after their shard */
	char		error[1024];	/* the first worker error */
} DatagenCounters;

struct DatagenValidator;

/* One worker's context for a shard function. */
typedef struct DatagenWorker
{
	const DatagenOptions *o;
	DatagenCounters *counters;
	struct DatagenValidator *pg;	/* NULL unless the stage validates */
	int			id;
} DatagenWorker;

/* Does one shard: reads inputs, writes its output file(s) atomically.  -1 with err. */
typedef int (*DatagenShardFn) (DatagenWorker *w, int shard, char *err, size_t errlen);

/*
 * Runs fn over this run's shards whose output (out/dir/shard-N.jsonl) is
 * missing, in o->jobs worker processes, with a progress line.  unit names
 * what the rate counts.  conninfo non-NULL: each worker connects to validate.
 * On return *counters holds the totals.  -1 with err on failure.
 */
int			datagen_run_shards(const DatagenOptions *o, const char *stage, const char *dir,
							   const char *unit, DatagenShardFn fn, const char *conninfo,
							   DatagenCounters *counters, char *err, size_t errlen);

/* The stages (pipeline/pipeline_stages.c); each returns 0, or -1 with err. */
int			datagen_stage_topics(const DatagenOptions *o, char *err, size_t errlen);
int			datagen_stage_details(const DatagenOptions *o, char *err, size_t errlen);
/* conninfo: where LLM schemas are loaded to check them (NULL when offline). */
int			datagen_stage_schemas(const DatagenOptions *o, const char *conninfo,
								  char *err, size_t errlen);
/* *validated (may be NULL) gets the number of statements checked with PostgreSQL in this run. */
int			datagen_stage_statements(const DatagenOptions *o, const char *conninfo,
									 long *validated, char *err, size_t errlen);
int			datagen_stage_raw(const DatagenOptions *o, char *err, size_t errlen);
/* Re-derives a sample of raw/eval examples, compares them with the files and PREPAREs them. */
int			datagen_check(const DatagenOptions *o, const char *conninfo, long *n_checked,
						  long *n_rejected, char *err, size_t errlen);

#endif							/* SQLPILOT_DATAGEN_PIPELINE_H */
