/*
 * llm.h — datagen's optional LLM backend: topics, use cases, schemas and
 * statements written by a model behind any OpenAI-compatible server (vLLM,
 * llama.cpp's server, Ollama, a hosted API) instead of the offline generator.
 *
 * Two layers:
 *   the request engine (llm/llm_client.c): chat.completions requests with a JSON
 *     schema for the answer (response_format json_schema, falling back to
 *     vLLM's guided_json), N in flight over curl multi, a rate limit, retries
 *     with exponential backoff and jitter on 429/5xx/timeouts/dropped
 *     connections, validation of every answer against its schema, and one
 *     answer file per item (DIR/<stage>/<key>.json, written atomically), so
 *     a killed run resumes without asking again for what it already has;
 *   the stages (llm/llm_stages.c): build each stage's prompts (llm/llm_prompts.c)
 *     and turn the answers into the offline generator's types.
 * See datagen/LLM.md.
 */
#ifndef SQLPILOT_DATAGEN_LLM_H
#define SQLPILOT_DATAGEN_LLM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "generate.h"

struct cJSON;
struct DatagenValidator;

#define DATAGEN_LLM_DEFAULT_KEY_ENV "SQLPILOT_LLM_API_KEY"
#define DATAGEN_LLM_DEFAULT_CONCURRENCY 4
#define DATAGEN_LLM_MAX_CONCURRENCY 256
#define DATAGEN_LLM_DEFAULT_TIMEOUT 120.0
#define DATAGEN_LLM_DEFAULT_RETRIES 6
#define DATAGEN_LLM_DEFAULT_INVALID 2
#define DATAGEN_LLM_DEFAULT_BACKOFF 1.0
#define DATAGEN_LLM_DEFAULT_BACKOFF_MAX 60.0

typedef struct DatagenLlmOptions
{
	const char *url;			/* base URL ending in /v1 */
	const char *model;
	const char *key_env;		/* environment variable holding the API key (NULL: default) */
	const char *dir;			/* answer files: dir/<stage>/<key>.json (e.g. OUT/llm) */
	int			concurrency;	/* requests in flight */
	double		rps;			/* requests started per second (0: no limit) */
	double		timeout;		/* seconds per request */
	int			max_retries;	/* per item: 429/5xx/timeouts/transport failures retried */
	int			max_invalid;	/* per item: malformed or off-schema answers retried */
	double		backoff;		/* first backoff in seconds, doubled per retry, jittered */
	double		backoff_max;
	double		temperature;
	int			max_tokens;
	bool		guided_json;	/* start with vLLM's guided_json instead of response_format */
	int			verbose;		/* 1: one line per retry or skip on stderr */
} DatagenLlmOptions;

/* Fills the defaults (url, model and dir stay NULL). */
void		datagen_llm_options_default(DatagenLlmOptions *o);

/* ---- command line (llm/llm_options.c) ---- */

/* Prints the LLM options' usage lines. */
void		datagen_llm_usage(FILE *f);
/*
 * Takes one command-line option if it is an LLM one (--llm-url, --model,
 * --mix, --llm-concurrency, --llm-rps, --llm-timeout, --llm-retries,
 * --llm-key-env, --llm-guided-json, --llm-verbose); val is the next
 * argument (may be NULL).
 * Returns how many arguments it used (0: not an LLM option, 1 or 2), or -1
 * with err on a missing or bad value.  --mix goes to *mix.
 */
int			datagen_llm_option(DatagenLlmOptions *o, double *mix, const char *arg, const char *val,
							   char *err, size_t errlen);

/* What an engine did, over all its runs. */
typedef struct DatagenLlmStats
{
	long		requests;		/* HTTP requests sent (retries included) */
	long		answered;		/* items answered and saved */
	long		cached;			/* items found on disk, not asked */
	long		retries;
	long		rate_limited;	/* 429 replies */
	long		server_errors;	/* 5xx (and 408) replies */
	long		timeouts;
	long		transport_errors;	/* dropped connections, truncated bodies */
	long		malformed;		/* answers that are not JSON */
	long		off_schema;		/* answers that violate the stage's schema */
	long		skipped;		/* items given up after max_invalid bad answers */
	long		failed;			/* items given up after max_retries transport failures */
} DatagenLlmStats;

typedef struct DatagenLlm DatagenLlm;

/* Checks the options and sets up an engine.  NULL with err on failure. */
DatagenLlm *datagen_llm_open(const DatagenLlmOptions *o, char *err, size_t errlen);
void		datagen_llm_close(DatagenLlm *llm);
const DatagenLlmStats *datagen_llm_stats(const DatagenLlm *llm);
/* Adds counters into a total that other processes may be adding to (shared memory). */
void		datagen_llm_stats_add(DatagenLlmStats *total, const DatagenLlmStats *s);
/* One line of counters, e.g. for a stage's summary. */
void		datagen_llm_stats_line(const DatagenLlmStats *s, char *out, size_t cap);

/* A stage's answer contract: its JSON schema and an extra semantic check. */
typedef struct DatagenLlmStage
{
	const char *name;			/* "topics", "use_cases", "schemas", "statements" */
	const char *schema_json;	/* JSON schema of the answer object */
	/* Extra checks of a schema-valid answer; -1 with err makes it off-schema. */
	int			(*check) (const struct cJSON *answer, char *err, size_t errlen);
} DatagenLlmStage;

/* The stage named name (llm/llm_prompts.c), or NULL. */
const DatagenLlmStage *datagen_llm_stage(const char *name);

typedef enum DatagenLlmStatus
{
	DATAGEN_LLM_PENDING = 0,
	DATAGEN_LLM_OK,				/* answer holds a validated answer */
	DATAGEN_LLM_SKIPPED,		/* bad answers only: recorded, not asked again */
	DATAGEN_LLM_FAILED			/* transport kept failing: asked again next run */
} DatagenLlmStatus;

/* One request: the caller fills stage, key and the prompt; the engine the rest. */
typedef struct DatagenLlmItem
{
	const DatagenLlmStage *stage;
	char		key[128];		/* unique within the stage; [A-Za-z0-9._-] only */
	char	   *system;			/* malloc'd prompt texts */
	char	   *user;
	DatagenLlmStatus status;
	bool		cached;			/* answer read from disk */
	struct cJSON *answer;		/* owned by the item */
	char		error[256];		/* why it was skipped or failed */
	/* engine bookkeeping */
	int			attempts;		/* transport failures so far */
	int			invalid;		/* bad answers so far */
	double		not_before;		/* backoff: not sent again before this time */
	bool		in_flight;
} DatagenLlmItem;

/*
 * Gets every item's answer: from its file when there is one (or its .skip
 * record), else from the server, saving each answer as it arrives.  Returns
 * 0 when every item ended OK, SKIPPED or FAILED, or -1 with err when the
 * server refuses the configuration (401, 403, 404, bad URL) or a file cannot
 * be written; items answered before that are saved all the same.
 */
int			datagen_llm_run(DatagenLlm *llm, DatagenLlmItem *items, int n, char *err, size_t errlen);
/* Frees an item's prompts and answer. */
void		datagen_llm_item_free(DatagenLlmItem *it);

/* Whether item k goes to the LLM under --mix p: a seeded coin, the same on every run. */
bool		datagen_llm_pick(double mix, uint64_t seed, long k);

/* ---- the stages (llm/llm_stages.c) ---- */

/* Asks for n topics; *topics gets a malloc'd array of malloc'd names (*n_topics of them). */
int			datagen_llm_topics(DatagenLlm *llm, int n, char ***topics, int *n_topics,
							   char *err, size_t errlen);

/*
 * Asks for per_topic use cases of each of n topics (one request per topic,
 * item key "topic-<i>").  use_cases[i] gets a malloc'd array of malloc'd
 * names, n_use_cases[i] its length (0 when the topic was skipped or failed).
 */
int			datagen_llm_use_cases(DatagenLlm *llm, const char *const *topics, int n, int per_topic,
								  char ***use_cases, int *n_use_cases, char *err, size_t errlen);

/* One schema to ask for. */
typedef struct DatagenLlmSchemaReq
{
	const char *id;				/* the pipeline's schema id: the item key */
	const char *topic;
	const char *use_case;
	int			topic_id;		/* copied into the DatagenSchema */
	int			use_case_id;
} DatagenLlmSchemaReq;

/*
 * Asks for n schemas.  ok[i] true: out[i] holds the schema (free with
 * datagen_schema_free).  A schema whose pg_dump DDL PostgreSQL refuses (pg
 * given) is dropped: ok[i] false, *n_dropped counts it.  *n_failed counts
 * the items whose requests kept failing (a later run asks for them again;
 * skipped ones are not counted: they stay skipped).  -1 with err as for
 * datagen_llm_run, or when the validator's connection fails.
 */
int			datagen_llm_schemas(DatagenLlm *llm, const DatagenLlmSchemaReq *req, int n,
								struct DatagenValidator *pg, DatagenSchema *out, bool *ok,
								long *n_dropped, long *n_failed, char *err, size_t errlen);

/*
 * Asks for per_schema statements over each of n schemas (item key ids[i]).
 * out[i] gets a malloc'd array of n_out[i] statements (kind from the SQL
 * text, identifier positions found by matching the schema's names, pg_sql
 * NULL); the caller validates them with PostgreSQL like generated ones and
 * frees each with datagen_statement_free, then the array.  *n_failed as for
 * datagen_llm_schemas (their n_out[i] is 0).
 */
int			datagen_llm_statements(DatagenLlm *llm, const char *const *ids,
								   const DatagenSchema *schemas, int n, int per_schema,
								   DatagenStatement **out, int *n_out, long *n_failed,
								   char *err, size_t errlen);

/* ---- prompts and conversions (llm/llm_prompts.c, llm/llm_convert.c) ---- */

/* The stages' prompts: malloc'd system and user texts. */
void		datagen_llm_prompt_topics(int n, char **system, char **user);
void		datagen_llm_prompt_use_cases(const char *topic, int n, char **system, char **user);
void		datagen_llm_prompt_schema(const char *topic, const char *use_case,
									  char **system, char **user);
void		datagen_llm_prompt_statements(const DatagenSchema *s, int n, char **system, char **user);

/* Builds a schema from a "schemas" answer; -1 with err when it does not hold together. */
int			datagen_llm_schema_from_answer(const struct cJSON *answer, int topic_id, int use_case_id,
										   DatagenSchema *s, char *err, size_t errlen);

/*
 * Builds a statement from one SQL text of a "statements" answer: kind from
 * the leading keyword, identifier positions from the schema's names.  -1
 * with err when it is not one statement of a known kind.
 */
int			datagen_llm_statement_from_sql(const char *sql, bool complex, const DatagenSchema *s,
										   DatagenStatement *st, char *err, size_t errlen);

#endif							/* SQLPILOT_DATAGEN_LLM_H */
