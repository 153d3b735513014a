/*
 * llm_client.c — the request engine of datagen's LLM backend.
 *
 * One engine holds a curl multi handle and the counters.  datagen_llm_run
 * takes a batch of items (one chat.completions request each) and keeps up to
 * `concurrency` of them in flight, starting at most `rps` per second.  Each
 * reply goes through three gates: transport (curl error, HTTP status, a body
 * that is not JSON), the answer text (choices[0].message.content must parse
 * as JSON) and the answer's contract (the stage's JSON schema, then its
 * semantic check).  Transport failures are retried with exponential backoff
 * and jitter (a 429's Retry-After is honoured, and holds back every request)
 * up to max_retries, after which
 * the item FAILED and a later run asks again; bad answers are asked again up
 * to max_invalid times, after which the item is SKIPPED and a .skip record
 * keeps later runs from asking again.  Every good answer is written at once
 * to DIR/<stage>/<key>.json (temp file, fsync, rename): an item whose file
 * exists is never sent.
 *
 * Structured output: the schema goes out as response_format {type:
 * json_schema}; a server that answers 400 to that gets vLLM's guided_json
 * form from then on.  The API key is read from an environment variable and
 * only ever put in the Authorization header.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>

#include "cJSON.h"
#include "../llm.h"
#include "../pipeline.h"
#include "util.h"

#define MAX_STAGES 8
#define MAX_RETRY_AFTER 600.0

/* One request on the wire. */
typedef struct Transfer
{
	CURL	   *easy;
	int			item;
	struct curl_slist *headers;
	char	   *request;
	SqlpilotBuf	body;
	double		retry_after;	/* seconds from a Retry-After header, 0 if none */
	bool		guided;			/* sent in the guided_json form */
} Transfer;

struct DatagenLlm
{
	DatagenLlmOptions o;
	char	   *endpoint;		/* URL of chat/completions */
	char	   *auth;			/* "Authorization: Bearer ..." or NULL */
	bool		guided;			/* the server wants guided_json */
	uint64_t	rng;			/* backoff jitter */
	double		next_slot;		/* rate limit: earliest start of the next request */
	double		paused_until;	/* a 429's Retry-After: no request starts before this */
	CURLM	   *multi;
	DatagenLlmStats stats;
	int			n_schemas;		/* parsed stage schemas */
	const DatagenLlmStage *schema_stage[MAX_STAGES];
	cJSON	   *schema[MAX_STAGES];
};

/* See llm.h. */
void
datagen_llm_options_default(DatagenLlmOptions *o)
{
	memset(o, 0, sizeof(*o));
	o->key_env = DATAGEN_LLM_DEFAULT_KEY_ENV;
	o->concurrency = DATAGEN_LLM_DEFAULT_CONCURRENCY;
	o->timeout = DATAGEN_LLM_DEFAULT_TIMEOUT;
	o->max_retries = DATAGEN_LLM_DEFAULT_RETRIES;
	o->max_invalid = DATAGEN_LLM_DEFAULT_INVALID;
	o->backoff = DATAGEN_LLM_DEFAULT_BACKOFF;
	o->backoff_max = DATAGEN_LLM_DEFAULT_BACKOFF_MAX;
	o->temperature = 0.7;
	o->max_tokens = 4096;
}

/* See llm.h: checks the options, builds the endpoint and the auth header. */
DatagenLlm *
datagen_llm_open(const DatagenLlmOptions *o, char *err, size_t errlen)
{
	DatagenLlm *llm;
	const char *key;
	size_t		n;

	if (!o->url || (strncmp(o->url, "http://", 7) != 0 && strncmp(o->url, "https://", 8) != 0))
	{
		snprintf(err, errlen, "--llm-url must be an http:// or https:// URL ending in /v1");
		return NULL;
	}
	if (!o->model || !*o->model)
	{
		snprintf(err, errlen, "--model is required with --llm-url");
		return NULL;
	}
	if (!o->dir || !*o->dir)
	{
		snprintf(err, errlen, "the LLM backend needs a directory for its answers");
		return NULL;
	}
	if (o->concurrency < 1 || o->concurrency > DATAGEN_LLM_MAX_CONCURRENCY || o->rps < 0 ||
		o->timeout <= 0 || o->max_retries < 0 || o->max_invalid < 0 || o->backoff < 0 ||
		o->backoff_max < o->backoff)
	{
		snprintf(err, errlen, "bad LLM options (concurrency 1-%d, rps >= 0, timeout > 0)",
				 DATAGEN_LLM_MAX_CONCURRENCY);
		return NULL;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
	{
		snprintf(err, errlen, "cannot initialise libcurl");
		return NULL;
	}
	llm = calloc(1, sizeof(DatagenLlm));
	llm->o = *o;
	if (!llm->o.key_env)
		llm->o.key_env = DATAGEN_LLM_DEFAULT_KEY_ENV;
	n = strlen(o->url);
	while (n > 0 && o->url[n - 1] == '/')
		n--;
	llm->endpoint = malloc(n + 32);
	snprintf(llm->endpoint, n + 32, "%.*s/chat/completions", (int) n, o->url);
	key = getenv(llm->o.key_env);
	if (key && *key)
	{
		size_t		cap = strlen(key) + 32;

		llm->auth = malloc(cap);
		snprintf(llm->auth, cap, "Authorization: Bearer %s", key);
	}
	llm->guided = o->guided_json;
	llm->rng = (uint64_t) getpid() * 0x9E3779B97F4A7C15ULL ^ (uint64_t) (sqlpilot_now() * 1e6);
	llm->multi = curl_multi_init();
	return llm;
}

/* See llm.h. */
void
datagen_llm_close(DatagenLlm *llm)
{
	if (!llm)
		return;
	for (int i = 0; i < llm->n_schemas; i++)
		cJSON_Delete(llm->schema[i]);
	curl_multi_cleanup(llm->multi);
	if (llm->auth)
		memset(llm->auth, 0, strlen(llm->auth));
	free(llm->auth);
	free(llm->endpoint);
	free(llm);
}

/* See llm.h. */
const DatagenLlmStats *
datagen_llm_stats(const DatagenLlm *llm)
{
	return &llm->stats;
}

/* See llm.h: field by field, atomically. */
void
datagen_llm_stats_add(DatagenLlmStats *total, const DatagenLlmStats *s)
{
	__atomic_add_fetch(&total->requests, s->requests, __ATOMIC_RELAXED);
	__atomic_add_fetch(&total->answered, s->answered, __ATOMIC_RELAXED);
	__atomic_add_fetch(&total->cached, s->cached, __ATOMIC_RELAXED);
	__atomic_add_fetch(&total->retries, s->retries, __ATOMIC_RELAXED);
	__atomic_add_fetch(&total->rate_limited, s->rate_limited, __ATOMIC_RELAXED);
	__atomic_add_fetch(&total->server_errors, s->server_errors, __ATOMIC_RELAXED);
	__atomic_add_fetch(&total->timeouts, s->timeouts, __ATOMIC_RELAXED);
	__atomic_add_fetch(&total->transport_errors, s->transport_errors, __ATOMIC_RELAXED);
	__atomic_add_fetch(&total->malformed, s->malformed, __ATOMIC_RELAXED);
	__atomic_add_fetch(&total->off_schema, s->off_schema, __ATOMIC_RELAXED);
	__atomic_add_fetch(&total->skipped, s->skipped, __ATOMIC_RELAXED);
	__atomic_add_fetch(&total->failed, s->failed, __ATOMIC_RELAXED);
}

/* See llm.h. */
void
datagen_llm_stats_line(const DatagenLlmStats *s, char *out, size_t cap)
{
	snprintf(out, cap, "llm: %ld requests, %ld answered, %ld cached, %ld retries "
			 "(429: %ld, 5xx: %ld, timeouts: %ld, transport: %ld, malformed: %ld, off-schema: %ld), "
			 "%ld skipped, %ld failed",
			 s->requests, s->answered, s->cached, s->retries, s->rate_limited, s->server_errors,
			 s->timeouts, s->transport_errors, s->malformed, s->off_schema, s->skipped, s->failed);
}

/* See llm.h: hashes (seed, k) to a uniform number in [0, 1) and compares it with mix. */
bool
datagen_llm_pick(double mix, uint64_t seed, long k)
{
	uint64_t	state = seed ^ ((uint64_t) k * 0xD1B54A32D192ED03ULL) ^ 0x4C4C4DULL;

	if (mix <= 0)
		return false;
	if (mix >= 1)
		return true;
	return (sqlpilot_rng_next(&state) >> 11) * (1.0 / 9007199254740992.0) < mix;
}

/* See llm.h. */
void
datagen_llm_item_free(DatagenLlmItem *it)
{
	free(it->system);
	free(it->user);
	cJSON_Delete(it->answer);
	it->system = it->user = NULL;
	it->answer = NULL;
}

/* ---- the answer contract: a JSON-schema subset ---- */

/* True when v has the JSON-schema type name t. */
static bool
has_type(const cJSON *v, const char *t)
{
	if (strcmp(t, "object") == 0)
		return cJSON_IsObject(v);
	if (strcmp(t, "array") == 0)
		return cJSON_IsArray(v);
	if (strcmp(t, "string") == 0)
		return cJSON_IsString(v);
	if (strcmp(t, "boolean") == 0)
		return cJSON_IsBool(v);
	if (strcmp(t, "null") == 0)
		return cJSON_IsNull(v);
	if (strcmp(t, "number") == 0)
		return cJSON_IsNumber(v);
	if (strcmp(t, "integer") == 0)
		return cJSON_IsNumber(v) && v->valuedouble == floor(v->valuedouble);
	return false;
}

/*
 * Checks v against schema (type, enum, properties, required,
 * additionalProperties false, items, minItems, maxItems, minLength,
 * maxLength): the keywords the stages' schemas use.  -1 with err naming where.
 */
static int
schema_check(const cJSON *schema, const cJSON *v, const char *where, char *err, size_t errlen)
{
	const cJSON *type = cJSON_GetObjectItemCaseSensitive(schema, "type");
	const cJSON *en = cJSON_GetObjectItemCaseSensitive(schema, "enum");
	const cJSON *k;
	char		sub[256];

	if (cJSON_IsString(type) && !has_type(v, type->valuestring))
	{
		snprintf(err, errlen, "%s is not of type %s", where, type->valuestring);
		return -1;
	}
	if (cJSON_IsArray(type))
	{
		bool		any = false;

		cJSON_ArrayForEach(k, type)
			any |= cJSON_IsString(k) && has_type(v, k->valuestring);
		if (!any)
		{
			snprintf(err, errlen, "%s has the wrong type", where);
			return -1;
		}
	}
	if (cJSON_IsArray(en))
	{
		bool		any = false;

		cJSON_ArrayForEach(k, en)
			any |= cJSON_Compare(k, v, true);
		if (!any)
		{
			snprintf(err, errlen, "%s is not one of the allowed values", where);
			return -1;
		}
	}
	if (cJSON_IsString(v))
	{
		const cJSON *mn = cJSON_GetObjectItemCaseSensitive(schema, "minLength");
		const cJSON *mx = cJSON_GetObjectItemCaseSensitive(schema, "maxLength");
		size_t		len = strlen(v->valuestring);

		if ((cJSON_IsNumber(mn) && len < (size_t) mn->valuedouble) ||
			(cJSON_IsNumber(mx) && len > (size_t) mx->valuedouble))
		{
			snprintf(err, errlen, "%s has the wrong length", where);
			return -1;
		}
	}
	if (cJSON_IsObject(v))
	{
		const cJSON *props = cJSON_GetObjectItemCaseSensitive(schema, "properties");
		const cJSON *req = cJSON_GetObjectItemCaseSensitive(schema, "required");
		const cJSON *extra = cJSON_GetObjectItemCaseSensitive(schema, "additionalProperties");

		cJSON_ArrayForEach(k, req)
			if (cJSON_IsString(k) && !cJSON_GetObjectItemCaseSensitive(v, k->valuestring))
			{
				snprintf(err, errlen, "%s lacks \"%s\"", where, k->valuestring);
				return -1;
			}
		cJSON_ArrayForEach(k, v)
		{
			const cJSON *ps = cJSON_GetObjectItemCaseSensitive(props, k->string);

			snprintf(sub, sizeof(sub), "%s.%s", where, k->string);
			if (!ps && cJSON_IsFalse(extra))
			{
				snprintf(err, errlen, "%.150s is not allowed", sub);
				return -1;
			}
			if (ps && schema_check(ps, k, sub, err, errlen) != 0)
				return -1;
		}
	}
	if (cJSON_IsArray(v))
	{
		const cJSON *items = cJSON_GetObjectItemCaseSensitive(schema, "items");
		const cJSON *mn = cJSON_GetObjectItemCaseSensitive(schema, "minItems");
		const cJSON *mx = cJSON_GetObjectItemCaseSensitive(schema, "maxItems");
		int			n = cJSON_GetArraySize(v),
					i = 0;

		if ((cJSON_IsNumber(mn) && n < mn->valueint) || (cJSON_IsNumber(mx) && n > mx->valueint))
		{
			snprintf(err, errlen, "%s has %d items", where, n);
			return -1;
		}
		cJSON_ArrayForEach(k, v)
		{
			snprintf(sub, sizeof(sub), "%s[%d]", where, i++);
			if (items && schema_check(items, k, sub, err, errlen) != 0)
				return -1;
		}
	}
	return 0;
}

/* The parsed JSON schema of a stage (parsed once per engine). */
static const cJSON *
stage_schema(DatagenLlm *llm, const DatagenLlmStage *stage)
{
	for (int i = 0; i < llm->n_schemas; i++)
		if (llm->schema_stage[i] == stage)
			return llm->schema[i];
	if (llm->n_schemas == MAX_STAGES)
		return NULL;
	llm->schema_stage[llm->n_schemas] = stage;
	llm->schema[llm->n_schemas] = cJSON_Parse(stage->schema_json);
	return llm->schema[llm->n_schemas++];
}

/* ---- answer files ---- */

/* DIR/<stage>/<key><suffix>. */
static void
item_path(const DatagenLlm *llm, const DatagenLlmItem *it, const char *suffix, char *out, size_t cap)
{
	snprintf(out, cap, "%s/%s/%s%s", llm->o.dir, it->stage->name, it->key, suffix);
}

/* Creates dir and dir/sub (mkdir -p for two levels below an existing parent). */
static int
make_dirs(const char *dir, const char *sub, char *err, size_t errlen)
{
	char		path[4096];

	snprintf(path, sizeof(path), "%s/%s", dir, sub);
	if ((mkdir(dir, 0777) != 0 && errno != EEXIST) || (mkdir(path, 0777) != 0 && errno != EEXIST))
	{
		snprintf(err, errlen, "cannot create \"%s\": %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* Loads an item's saved answer or skip record; true when it has one. */
static bool
item_load(DatagenLlm *llm, DatagenLlmItem *it)
{
	char		path[4096];
	char		err[256];
	char	   *text;
	cJSON	   *j;

	item_path(llm, it, ".json", path, sizeof(path));
	text = access(path, F_OK) == 0 ? sqlpilot_read_file(path, NULL, err, sizeof(err)) : NULL;
	j = text ? cJSON_Parse(text) : NULL;
	free(text);
	if (j && cJSON_GetObjectItemCaseSensitive(j, "answer"))
	{
		it->answer = cJSON_DetachItemFromObjectCaseSensitive(j, "answer");
		it->status = DATAGEN_LLM_OK;
		it->cached = true;
		cJSON_Delete(j);
		return true;
	}
	cJSON_Delete(j);
	item_path(llm, it, ".skip", path, sizeof(path));
	if (access(path, F_OK) == 0)
	{
		it->status = DATAGEN_LLM_SKIPPED;
		it->cached = true;
		snprintf(it->error, sizeof(it->error), "skipped by an earlier run (%.200s)", it->key);
		return true;
	}
	return false;
}

/* Writes {"item", "model", <key>: value} to the item's file with suffix, atomically. */
static int
item_save(DatagenLlm *llm, DatagenLlmItem *it, const char *suffix, const char *key, cJSON *value,
		  char *err, size_t errlen)
{
	char		path[4096];
	char		name[256];
	cJSON	   *j = cJSON_CreateObject();
	char	   *text;
	int			rc;

	snprintf(name, sizeof(name), "%s/%s", it->stage->name, it->key);
	cJSON_AddStringToObject(j, "item", name);
	cJSON_AddStringToObject(j, "model", llm->o.model);
	cJSON_AddItemReferenceToObject(j, key, value);
	text = cJSON_PrintUnformatted(j);
	cJSON_Delete(j);
	item_path(llm, it, suffix, path, sizeof(path));
	rc = sqlpilot_write_file_atomic(path, text, strlen(text), err, errlen);
	free(text);
	return rc;
}

/* ---- requests ---- */

/* curl write callback: appends the body; out of memory fails the transfer (a transport error). */
static size_t
on_body(char *data, size_t size, size_t n, void *arg)
{
	SqlpilotBuf *body = &((Transfer *) arg)->body;

	sqlpilot_buf_append(body, data, size * n);
	return body->oom ? 0 : size * n;
}

/* curl header callback: picks up Retry-After (delta seconds). */
static size_t
on_header(char *data, size_t size, size_t n, void *arg)
{
	Transfer   *t = arg;
	size_t		len = size * n;

	if (len > 12 && strncasecmp(data, "retry-after:", 12) == 0)
	{
		char		tmp[64];
		size_t		m = len - 12 < sizeof(tmp) - 1 ? len - 12 : sizeof(tmp) - 1;
		char	   *end;
		double		v;

		memcpy(tmp, data + 12, m);
		tmp[m] = '\0';
		v = strtod(tmp, &end);
		if (end != tmp && v >= 0)
			t->retry_after = v < MAX_RETRY_AFTER ? v : MAX_RETRY_AFTER;
	}
	return len;
}

/*
 * Removes the length limits (minItems, maxItems, minLength, maxLength) from a
 * copy of a schema before it is sent: OpenAI's strict mode refuses them, and
 * the engine checks them on every answer anyway.
 */
static void
strip_limits(cJSON *schema)
{
	static const char *const limits[] = {"minItems", "maxItems", "minLength", "maxLength"};
	cJSON	   *k;

	for (size_t i = 0; i < sizeof(limits) / sizeof(limits[0]); i++)
		cJSON_DeleteItemFromObjectCaseSensitive(schema, limits[i]);
	cJSON_ArrayForEach(k, schema)
		if (cJSON_IsObject(k) || cJSON_IsArray(k))
		strip_limits(k);
}

/* The chat.completions request body for an item, in the engine's structured-output form. */
static char *
request_body(DatagenLlm *llm, const DatagenLlmItem *it, bool guided)
{
	cJSON	   *req = cJSON_CreateObject();
	cJSON	   *msgs = cJSON_AddArrayToObject(req, "messages");
	cJSON	   *m;
	cJSON	   *schema = cJSON_Duplicate(stage_schema(llm, it->stage), true);
	char	   *text;

	cJSON_AddStringToObject(req, "model", llm->o.model);
	m = cJSON_CreateObject();
	cJSON_AddStringToObject(m, "role", "system");
	cJSON_AddStringToObject(m, "content", it->system ? it->system : "");
	cJSON_AddItemToArray(msgs, m);
	m = cJSON_CreateObject();
	cJSON_AddStringToObject(m, "role", "user");
	cJSON_AddStringToObject(m, "content", it->user ? it->user : "");
	cJSON_AddItemToArray(msgs, m);
	cJSON_AddNumberToObject(req, "temperature", llm->o.temperature);
	cJSON_AddNumberToObject(req, "max_tokens", llm->o.max_tokens);
	strip_limits(schema);
	if (guided)
		cJSON_AddItemToObject(req, "guided_json", schema);
	else
	{
		cJSON	   *rf = cJSON_AddObjectToObject(req, "response_format");
		cJSON	   *js;

		cJSON_AddStringToObject(rf, "type", "json_schema");
		js = cJSON_AddObjectToObject(rf, "json_schema");
		cJSON_AddStringToObject(js, "name", it->stage->name);
		cJSON_AddBoolToObject(js, "strict", true);
		cJSON_AddItemToObject(js, "schema", schema);
	}
	text = cJSON_PrintUnformatted(req);
	cJSON_Delete(req);
	return text;
}

/* Starts item i's request on transfer t. */
static void
transfer_start(DatagenLlm *llm, Transfer *t, DatagenLlmItem *items, int i)
{
	DatagenLlmItem *it = &items[i];
	char		hdr[300];

	memset(t, 0, sizeof(*t));
	t->item = i;
	t->guided = llm->guided;
	t->request = request_body(llm, it, t->guided);
	t->headers = curl_slist_append(NULL, "Content-Type: application/json");
	t->headers = curl_slist_append(t->headers, "Expect:");
	snprintf(hdr, sizeof(hdr), "X-Sqlpilot-Item: %s/%s", it->stage->name, it->key);
	t->headers = curl_slist_append(t->headers, hdr);
	if (llm->auth)
		t->headers = curl_slist_append(t->headers, llm->auth);
	t->easy = curl_easy_init();
	curl_easy_setopt(t->easy, CURLOPT_URL, llm->endpoint);
	curl_easy_setopt(t->easy, CURLOPT_HTTPHEADER, t->headers);
	curl_easy_setopt(t->easy, CURLOPT_POSTFIELDS, t->request);
	curl_easy_setopt(t->easy, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(t->easy, CURLOPT_WRITEDATA, t);
	curl_easy_setopt(t->easy, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(t->easy, CURLOPT_HEADERDATA, t);
	curl_easy_setopt(t->easy, CURLOPT_TIMEOUT_MS, (long) (llm->o.timeout * 1000));
	curl_easy_setopt(t->easy, CURLOPT_CONNECTTIMEOUT_MS, (long) (llm->o.timeout * 1000));
	curl_easy_setopt(t->easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(t->easy, CURLOPT_PRIVATE, t);
	curl_easy_setopt(t->easy, CURLOPT_USERAGENT, "sqlpilot-datagen");
	curl_multi_add_handle(llm->multi, t->easy);
	it->in_flight = true;
	llm->stats.requests++;
}

/* Releases a transfer (its curl handle leaves the multi handle). */
static void
transfer_end(DatagenLlm *llm, Transfer *t)
{
	curl_multi_remove_handle(llm->multi, t->easy);
	curl_easy_cleanup(t->easy);
	curl_slist_free_all(t->headers);
	free(t->request);
	sqlpilot_buf_free(&t->body);
	memset(t, 0, sizeof(*t));
}

/* Prints one line about an item when verbose. */
static void
note(const DatagenLlm *llm, const DatagenLlmItem *it, const char *what)
{
	if (llm->o.verbose)
		fprintf(stderr, "llm %s/%s: %s\n", it->stage->name, it->key, what);
}

/*
 * A transport failure (reason): back off and try again, or give the item
 * up as FAILED after max_retries.  retry_after (seconds, 0: none) is a floor.
 */
static void
retry_transport(DatagenLlm *llm, DatagenLlmItem *it, double retry_after, const char *reason)
{
	double		delay;

	snprintf(it->error, sizeof(it->error), "%s", reason);
	it->attempts++;
	if (it->attempts > llm->o.max_retries)
	{
		it->status = DATAGEN_LLM_FAILED;
		llm->stats.failed++;
		note(llm, it, "failed: giving up (asked again next run)");
		return;
	}
	llm->stats.retries++;
	delay = llm->o.backoff * ldexp(1.0, it->attempts - 1);
	if (delay > llm->o.backoff_max)
		delay = llm->o.backoff_max;
	delay *= 0.5 + 0.5 * sqlpilot_rng_float(&llm->rng);
	if (delay < retry_after)
		delay = retry_after;
	it->not_before = sqlpilot_now() + delay;
	note(llm, it, reason);
}

/*
 * A bad answer (reason): ask again at once, or give the item up as SKIPPED
 * after max_invalid and record that, so no later run asks again.
 */
static int
retry_invalid(DatagenLlm *llm, DatagenLlmItem *it, const char *reason, char *err, size_t errlen)
{
	snprintf(it->error, sizeof(it->error), "%s", reason);
	it->invalid++;
	if (it->invalid <= llm->o.max_invalid)
	{
		llm->stats.retries++;
		note(llm, it, reason);
		return 0;
	}
	{
		cJSON	   *why = cJSON_CreateString(reason);
		int			rc = item_save(llm, it, ".skip", "error", why, err, errlen);

		cJSON_Delete(why);
		it->status = DATAGEN_LLM_SKIPPED;
		llm->stats.skipped++;
		note(llm, it, "skipped: too many bad answers");
		return rc;
	}
}

/* The answer text with a Markdown code fence around it removed (some servers add one). */
static char *
strip_fence(const char *s)
{
	const char *b = s;
	const char *e = s + strlen(s);

	while (*b == ' ' || *b == '\n' || *b == '\r' || *b == '\t')
		b++;
	while (e > b && (e[-1] == ' ' || e[-1] == '\n' || e[-1] == '\r' || e[-1] == '\t'))
		e--;
	if (e - b >= 6 && strncmp(b, "```", 3) == 0 && strncmp(e - 3, "```", 3) == 0)
	{
		b += 3;
		while (b < e && *b != '\n')
			b++;
		e -= 3;
	}
	return strndup(b, e > b ? e - b : 0);
}

/* Judges a 200 reply: saves a good answer, or retries.  -1 with err when a file cannot be written. */
static int
handle_reply(DatagenLlm *llm, DatagenLlmItem *it, Transfer *t, char *err, size_t errlen)
{
	cJSON	   *body = cJSON_ParseWithLength(t->body.data ? t->body.data : "", t->body.len);
	const cJSON *choice = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(body, "choices"), 0);
	const cJSON *msg = cJSON_GetObjectItemCaseSensitive(choice, "message");
	const cJSON *content = cJSON_GetObjectItemCaseSensitive(msg, "content");
	const cJSON *finish = cJSON_GetObjectItemCaseSensitive(choice, "finish_reason");
	const cJSON *schema = stage_schema(llm, it->stage);
	cJSON	   *answer = NULL;
	char		why[200];
	int			rc;

	if (!body)
	{
		llm->stats.transport_errors++;
		retry_transport(llm, it, 0, "reply body is not JSON (truncated?)");
		return 0;
	}
	if (cJSON_IsString(content))
	{
		char	   *text = strip_fence(content->valuestring);

		answer = cJSON_Parse(text);
		free(text);
	}
	if (!answer || (cJSON_IsString(finish) && strcmp(finish->valuestring, "length") == 0))
	{
		const char *reason = cJSON_IsString(content) ? "answer is not JSON (or was cut at max_tokens)" :
			"reply has no message content";

		cJSON_Delete(body);
		cJSON_Delete(answer);
		llm->stats.malformed++;
		return retry_invalid(llm, it, reason, err, errlen);
	}
	cJSON_Delete(body);
	if (!schema)
	{
		cJSON_Delete(answer);
		snprintf(err, errlen, "the JSON schema of stage \"%s\" does not parse", it->stage->name);
		return -1;
	}
	if (schema_check(schema, answer, "answer", why, sizeof(why)) != 0 ||
		(it->stage->check && it->stage->check(answer, why, sizeof(why)) != 0))
	{
		cJSON_Delete(answer);
		llm->stats.off_schema++;
		return retry_invalid(llm, it, why, err, errlen);
	}
	rc = item_save(llm, it, ".json", "answer", answer, err, errlen);
	if (rc != 0)
	{
		cJSON_Delete(answer);
		return -1;
	}
	it->answer = answer;
	it->status = DATAGEN_LLM_OK;
	llm->stats.answered++;
	return 0;
}

/* Judges a finished transfer.  -1 with err when the run must stop. */
static int
transfer_done(DatagenLlm *llm, DatagenLlmItem *items, Transfer *t, CURLcode res,
			  char *err, size_t errlen)
{
	DatagenLlmItem *it = &items[t->item];
	long		code = 0;
	char		why[200];

	it->in_flight = false;
	curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &code);
	if (res == CURLE_UNSUPPORTED_PROTOCOL || res == CURLE_URL_MALFORMAT ||
		res == CURLE_COULDNT_RESOLVE_HOST)
	{
		snprintf(err, errlen, "cannot reach %s: %s", llm->endpoint, curl_easy_strerror(res));
		return -1;
	}
	if (res != CURLE_OK)
	{
		if (res == CURLE_OPERATION_TIMEDOUT)
			llm->stats.timeouts++;
		else
			llm->stats.transport_errors++;
		snprintf(why, sizeof(why), "%s", curl_easy_strerror(res));
		retry_transport(llm, it, 0, why);
		return 0;
	}
	if (code == 200)
		return handle_reply(llm, it, t, err, errlen);
	snprintf(why, sizeof(why), "HTTP %ld", code);
	if (code == 429)
	{
		/* the server is overloaded: Retry-After holds back every request, not just this one */
		llm->stats.rate_limited++;
		llm->paused_until = fmax(llm->paused_until, sqlpilot_now() + t->retry_after);
		retry_transport(llm, it, t->retry_after, why);
	}
	else if (code >= 500 || code == 408)
	{
		llm->stats.server_errors++;
		retry_transport(llm, it, t->retry_after, why);
	}
	else if (code == 400 && !t->guided)
	{
		/* Servers without response_format json_schema: vLLM's guided_json from now on. */
		llm->guided = true;
		note(llm, it, "HTTP 400 to response_format: switching to guided_json");
	}
	else if (code == 401 || code == 403 || code == 404)
	{
		snprintf(err, errlen, "%s answered HTTP %ld: check --llm-url, --model and $%s",
				 llm->endpoint, code, llm->o.key_env);
		return -1;
	}
	else
	{
		/* another client error (a prompt too long, ...): the server's words say which */
		it->status = DATAGEN_LLM_FAILED;
		snprintf(it->error, sizeof(it->error), "HTTP %ld: %.200s", code,
				 t->body.data ? t->body.data : "");
		llm->stats.failed++;
		note(llm, it, it->error);
	}
	return 0;
}

/* See llm.h: the loop that keeps up to concurrency requests in flight. */
int
datagen_llm_run(DatagenLlm *llm, DatagenLlmItem *items, int n, char *err, size_t errlen)
{
	int			conc = llm->o.concurrency;
	Transfer   *tr = calloc(conc, sizeof(Transfer));
	int			n_active = 0;
	int			rc = 0;
	int			open_items = 0;

	for (int i = 0; i < n && rc == 0; i++)
	{
		DatagenLlmItem *it = &items[i];

		it->status = DATAGEN_LLM_PENDING;
		it->cached = false;
		it->attempts = it->invalid = 0;
		it->not_before = 0;
		it->in_flight = false;
		it->error[0] = '\0';
		if (!it->stage || !stage_schema(llm, it->stage))
		{
			snprintf(err, errlen, "item %d has no stage or its schema does not parse", i);
			rc = -1;
		}
		else if (i == 0 || items[i - 1].stage != it->stage)
			rc = make_dirs(llm->o.dir, it->stage->name, err, errlen);
		if (rc == 0 && item_load(llm, it))
			llm->stats.cached++;
		else
			open_items++;
	}
	while (rc == 0 && (open_items > 0 || n_active > 0))
	{
		double		now = sqlpilot_now();
		double		wait = 0.25;
		int			running;
		CURLMsg    *msg;
		int			left;

		for (int i = 0; i < n && n_active < conc; i++)
		{
			DatagenLlmItem *it = &items[i];
			int			slot = 0;

			if (it->status != DATAGEN_LLM_PENDING || it->in_flight)
				continue;
			if (it->not_before > now)
			{
				wait = fmin(wait, it->not_before - now);
				continue;
			}
			if (llm->paused_until > now || (llm->o.rps > 0 && llm->next_slot > now))
			{
				wait = fmin(wait, fmax(llm->paused_until, llm->next_slot) - now);
				break;
			}
			if (llm->o.rps > 0)
				llm->next_slot = fmax(llm->next_slot, now) + 1.0 / llm->o.rps;
			while (tr[slot].easy)
				slot++;
			transfer_start(llm, &tr[slot], items, i);
			n_active++;
		}
		curl_multi_perform(llm->multi, &running);
		while (rc == 0 && (msg = curl_multi_info_read(llm->multi, &left)) != NULL)
		{
			Transfer   *t = NULL;

			if (msg->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **) &t);
			rc = transfer_done(llm, items, t, msg->data.result, err, errlen);
			if (items[t->item].status != DATAGEN_LLM_PENDING)
				open_items--;
			transfer_end(llm, t);
			n_active--;
		}
		if (rc == 0 && n_active > 0)
			curl_multi_poll(llm->multi, NULL, 0, (int) (wait * 1000) + 1, NULL);
		else if (rc == 0 && open_items > 0)
			usleep((useconds_t) (wait * 1e6) + 1000);
	}
	for (int s = 0; s < conc; s++)
		if (tr[s].easy)
		{
			items[tr[s].item].in_flight = false;
			transfer_end(llm, &tr[s]);
		}
	free(tr);
	return rc;
}
