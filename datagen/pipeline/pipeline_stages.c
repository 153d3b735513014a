/*
 * pipeline_stages.c — the five datagen stages and the re-check:
 *   topics      topics.json                     (generate.h vocabulary)
 *   details     topic_detail.json               (use cases per topic)
 *   schemas     tons_of_tables/shard-N.jsonl    (schema k per line)
 *   statements  diverse_statements/shard-N.jsonl (PostgreSQL-validated)
 *   raw         raw/ and eval/ shard-N.jsonl    (training text, randomized)
 * Each stage reads the files of the one before; see datagen/README.md.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cJSON.h"
#include "../llm.h"
#include "../pipeline.h"
#include "prompt.h"
#include "schema.h"
#include "util.h"
#include "../validate.h"

/* Stage tags for datagen_mix: one independent stream per use. */
#define TAG_SCHEMA 1
#define TAG_STATEMENTS 2
#define TAG_VARIANT 3
#define TAG_STYLE 4
#define TAG_RENAME 5
#define TAG_USE_CASE 6

/* Use cases asked of the LLM per LLM topic. */
#define LLM_USE_CASES 8

/* True when some items go to the LLM (--llm-url given, --mix above 0). */
static bool
llm_on(const DatagenOptions *o)
{
	return o->llm.url != NULL && o->llm_mix > 0;
}

static const char *const style_names[] = {"crdb", "pgdump", "handwritten"};

/* Writes a whole file atomically from a buffer (an error if memory ran out while it grew). */
static int
write_buf(const char *path, const SqlpilotBuf *b, char *err, size_t errlen)
{
	if (b->oom)
	{
		snprintf(err, errlen, "out of memory building \"%s\"", path);
		return -1;
	}
	return sqlpilot_write_file_atomic(path, b->data ? b->data : "", b->len, err, errlen);
}

/*
 * topics.json: [{"topic_id": 0, "topic": "..."}, ...]; with the LLM on, its
 * topics follow the generator's with ids from datagen_n_topics() on and
 * "source": "llm".
 */
int
datagen_stage_topics(const DatagenOptions *o, char *err, size_t errlen)
{
	char		path[4096];
	SqlpilotBuf	b = {0};
	int			rc;
	char	  **llm_topics = NULL;
	int			n_llm = 0;
	int			n_off = datagen_n_topics();

	snprintf(path, sizeof(path), "%s/topics.json", o->out);
	if (datagen_file_exists(path))
		return 0;
	if (datagen_n_topics() <= 0)
	{
		snprintf(err, errlen, "the generator has no topics");
		return -1;
	}
	if (llm_on(o))
	{
		DatagenLlm *llm = datagen_llm_open(&o->llm, err, errlen);

		if (!llm || datagen_llm_topics(llm, n_off, &llm_topics, &n_llm, err, errlen) != 0)
		{
			datagen_llm_close(llm);
			return -1;
		}
		datagen_llm_close(llm);
	}
	sqlpilot_buf_puts(&b, "[\n");
	for (int t = 0; t < n_off + n_llm; t++)
	{
		char		tmp[64];

		sqlpilot_buf_append(&b, tmp, snprintf(tmp, sizeof(tmp), "%s{\"topic_id\": %d, \"topic\": ",
											 t ? ",\n" : "", t));
		datagen_buf_json_str(&b, t < n_off ? datagen_topic_name(t) : llm_topics[t - n_off]);
		sqlpilot_buf_puts(&b, t < n_off ? "}" : ", \"source\": \"llm\"}");
	}
	sqlpilot_buf_puts(&b, "\n]\n");
	rc = write_buf(path, &b, err, errlen);
	sqlpilot_buf_free(&b);
	for (int i = 0; i < n_llm; i++)
		free(llm_topics[i]);
	free(llm_topics);
	if (rc == 0)
		fprintf(stderr, "%-10s %d topics (%d from the LLM)\n", "topics", n_off + n_llm, n_llm);
	return rc;
}

/* True when a topics.json entry came from the LLM. */
static bool
topic_from_llm(const cJSON *entry)
{
	const cJSON *src = cJSON_GetObjectItemCaseSensitive(entry, "source");

	return cJSON_IsString(src) && strcmp(src->valuestring, "llm") == 0;
}

/*
 * Asks the LLM for the use cases of topics.json's LLM topics: (*uc)[i] and
 * (*nuc)[i] for the i-th entry (NULL and 0 for the generator's topics).
 */
static int
llm_use_cases(const DatagenOptions *o, const cJSON *topics, char ****uc, int **nuc,
			  char *err, size_t errlen)
{
	int			n = cJSON_GetArraySize(topics);
	const char **names = calloc(n + 1, sizeof(char *));
	int		   *where = calloc(n + 1, sizeof(int));
	char	 ***got = calloc(n + 1, sizeof(char **));
	int		   *n_got = calloc(n + 1, sizeof(int));
	const cJSON *it;
	int			m = 0,
				i = 0,
				rc = 0;

	*uc = calloc(n + 1, sizeof(char **));
	*nuc = calloc(n + 1, sizeof(int));
	cJSON_ArrayForEach(it, topics)
	{
		const cJSON *name = cJSON_GetObjectItemCaseSensitive(it, "topic");

		if (topic_from_llm(it) && cJSON_IsString(name))
		{
			names[m] = name->valuestring;
			where[m++] = i;
		}
		i++;
	}
	if (m > 0)
	{
		DatagenLlm *llm = datagen_llm_open(&o->llm, err, errlen);

		rc = llm ? datagen_llm_use_cases(llm, names, m, LLM_USE_CASES, got, n_got, err, errlen) : -1;
		datagen_llm_close(llm);
	}
	for (int j = 0; j < m && rc == 0; j++)
	{
		(*uc)[where[j]] = got[j];
		(*nuc)[where[j]] = n_got[j];
	}
	free(names);
	free(where);
	free(got);
	free(n_got);
	return rc;
}

/*
 * topic_detail.json: [{"topic_id", "topic", "use_cases": ["...", ...]}, ...],
 * from topics.json; the LLM's topics get their use cases from it (a topic it
 * gave none for is left out).
 */
int
datagen_stage_details(const DatagenOptions *o, char *err, size_t errlen)
{
	char		path[4096];
	SqlpilotBuf	b = {0};
	cJSON	   *topics;
	const cJSON *it;
	int			rc,
				n = 0,
				i = 0;
	long		total = 0;
	char	 ***llm_uc = NULL;
	int		   *llm_nuc = NULL;

	snprintf(path, sizeof(path), "%s/topic_detail.json", o->out);
	if (datagen_file_exists(path))
		return 0;
	snprintf(path, sizeof(path), "%s/topics.json", o->out);
	topics = datagen_read_json(path, "topics", err, errlen);
	if (!topics)
		return -1;
	if (llm_use_cases(o, topics, &llm_uc, &llm_nuc, err, errlen) != 0)
	{
		cJSON_Delete(topics);
		return -1;
	}
	sqlpilot_buf_puts(&b, "[\n");
	cJSON_ArrayForEach(it, topics)
	{
		const cJSON *id = cJSON_GetObjectItemCaseSensitive(it, "topic_id");
		const cJSON *name = cJSON_GetObjectItemCaseSensitive(it, "topic");
		int			t = cJSON_IsNumber(id) ? id->valueint : -1;
		bool		llm = topic_from_llm(it);
		int			nu = llm ? llm_nuc[i] : datagen_n_use_cases(t);
		char		tmp[64];

		if (!llm && (t < 0 || t >= datagen_n_topics()))
		{
			snprintf(err, errlen, "topics.json names topic %d, which the generator does not have", t);
			cJSON_Delete(topics);
			sqlpilot_buf_free(&b);
			return -1;
		}
		if (nu > 0)
		{
			sqlpilot_buf_append(&b, tmp, snprintf(tmp, sizeof(tmp), "%s{\"topic_id\": %d, \"topic\": ",
												 n++ ? ",\n" : "", t));
			datagen_buf_json_str(&b, llm ? name->valuestring : datagen_topic_name(t));
			sqlpilot_buf_puts(&b, llm ? ", \"source\": \"llm\", \"use_cases\": [" : ", \"use_cases\": [");
		}
		for (int u = 0; u < nu; u++)
		{
			if (u)
				sqlpilot_buf_puts(&b, ", ");
			datagen_buf_json_str(&b, llm ? llm_uc[i][u] : datagen_use_case_name(t, u));
			total++;
		}
		if (nu > 0)
			sqlpilot_buf_puts(&b, "]}");
		for (int u = 0; llm && u < nu; u++)
			free(llm_uc[i][u]);
		free(llm_uc[i]);
		i++;
	}
	free(llm_uc);
	free(llm_nuc);
	cJSON_Delete(topics);
	sqlpilot_buf_puts(&b, "\n]\n");
	snprintf(path, sizeof(path), "%s/topic_detail.json", o->out);
	rc = write_buf(path, &b, err, errlen);
	sqlpilot_buf_free(&b);
	if (rc == 0)
		fprintf(stderr, "%-10s %ld use cases over %d topics\n", "details", total, n);
	return rc;
}

/* The (topic, use case) table read from topic_detail.json, for the schemas stage's workers. */
typedef struct UseCaseTable
{
	int			n_topics;
	int		   *topic_id;
	int		   *n_use_cases;
	char	  **topic_name;
	char	 ***use_case_name;
	/* the generator's topics and the LLM's, as indexes into the arrays above */
	int			n_off;
	int		   *off;
	int			n_llm;
	int		   *llm;
} UseCaseTable;

static UseCaseTable use_cases;

/* Loads topic_detail.json into use_cases. */
static int
load_use_cases(const DatagenOptions *o, char *err, size_t errlen)
{
	char		path[4096];
	cJSON	   *d;
	const cJSON *it;
	int			i = 0;

	snprintf(path, sizeof(path), "%s/topic_detail.json", o->out);
	d = datagen_read_json(path, "details", err, errlen);
	if (!d)
		return -1;
	use_cases.n_topics = cJSON_GetArraySize(d);
	use_cases.topic_id = calloc(use_cases.n_topics + 1, sizeof(int));
	use_cases.n_use_cases = calloc(use_cases.n_topics + 1, sizeof(int));
	use_cases.topic_name = calloc(use_cases.n_topics + 1, sizeof(char *));
	use_cases.use_case_name = calloc(use_cases.n_topics + 1, sizeof(char **));
	use_cases.off = calloc(use_cases.n_topics + 1, sizeof(int));
	use_cases.llm = calloc(use_cases.n_topics + 1, sizeof(int));
	use_cases.n_off = use_cases.n_llm = 0;
	cJSON_ArrayForEach(it, d)
	{
		const cJSON *ucs = cJSON_GetObjectItemCaseSensitive(it, "use_cases");
		const cJSON *name = cJSON_GetObjectItemCaseSensitive(it, "topic");
		const cJSON *u;
		int			j = 0;

		use_cases.topic_id[i] = cJSON_GetObjectItemCaseSensitive(it, "topic_id")->valueint;
		if (topic_from_llm(it))
			use_cases.llm[use_cases.n_llm++] = i;
		else
			use_cases.off[use_cases.n_off++] = i;
		use_cases.topic_name[i] = strdup(cJSON_IsString(name) ? name->valuestring : "");
		use_cases.n_use_cases[i] = cJSON_GetArraySize(ucs);
		use_cases.use_case_name[i] = calloc(use_cases.n_use_cases[i] + 1, sizeof(char *));
		cJSON_ArrayForEach(u, ucs)
			use_cases.use_case_name[i][j++] = strdup(cJSON_IsString(u) ? u->valuestring : "");
		if (use_cases.n_use_cases[i] == 0)
		{
			snprintf(err, errlen, "topic_detail.json: topic %d has no use cases", i);
			cJSON_Delete(d);
			return -1;
		}
		i++;
	}
	cJSON_Delete(d);
	if (use_cases.n_off == 0)
	{
		snprintf(err, errlen, "topic_detail.json has none of the generator's topics");
		return -1;
	}
	return 0;
}

/* Formats schema k's id: "s<seed>-<k>", unique within a data set and across seeds. */
static void
schema_id(const DatagenOptions *o, long k, char *out, size_t cap)
{
	snprintf(out, cap, "s%llu-%07ld", (unsigned long long) o->seed, k);
}

/* The schemas of a shard: [first, end). */
static void
shard_range(const DatagenOptions *o, int shard, long *first, long *end)
{
	*first = (long) shard * o->shard_size;
	*end = *first + o->shard_size < o->n_schemas ? *first + o->shard_size : o->n_schemas;
}

/*
 * Schema k's topic (index into use_cases) and use case: among the topics of
 * its source (the generator's or the LLM's), topic (k + seed) mod T, so
 * topics take turns, and a topic's use cases walked from a seeded offset.
 */
static void
schema_topic(const DatagenOptions *o, long k, bool llm, int *ti, int *u)
{
	int			n = llm ? use_cases.n_llm : use_cases.n_off;
	int			nu;

	*ti = (llm ? use_cases.llm : use_cases.off)[(k + o->seed % n) % n];
	nu = use_cases.n_use_cases[*ti];
	*u = (int) ((k / n + datagen_mix(o->seed, *ti, TAG_USE_CASE) % nu) % nu);
}

/*
 * Asks the LLM for the shard's schemas that --mix gives it: from_llm[k -
 * first] set and out[k - first] filled for each it answered with a schema
 * that loads.  The rest fall back to the generator; requests that kept
 * failing make the shard fail (a re-run asks only for those).
 */
static int
llm_schemas(DatagenWorker *w, long first, long end, DatagenSchema *out, bool *from_llm,
			char *err, size_t errlen)
{
	const DatagenOptions *o = w->o;
	DatagenLlmSchemaReq *req = calloc(end - first + 1, sizeof(DatagenLlmSchemaReq));
	char	  (*ids)[64] = calloc(end - first + 1, 64);
	long	   *ks = calloc(end - first + 1, sizeof(long));
	DatagenSchema *got = calloc(end - first + 1, sizeof(DatagenSchema));
	bool	   *ok = calloc(end - first + 1, sizeof(bool));
	int			m = 0,
				rc = 0;
	long		dropped = 0,
				failed = 0;

	for (long k = first; k < end && use_cases.n_llm > 0; k++)
	{
		int			ti,
					u;

		if (!datagen_llm_pick(o->llm_mix, o->seed, k))
			continue;
		schema_topic(o, k, true, &ti, &u);
		schema_id(o, k, ids[m], sizeof(ids[m]));
		req[m] = (DatagenLlmSchemaReq) {ids[m], use_cases.topic_name[ti], use_cases.use_case_name[ti][u],
		use_cases.topic_id[ti], u};
		ks[m++] = k;
	}
	if (m > 0)
	{
		DatagenLlm *llm = datagen_llm_open(&o->llm, err, errlen);

		rc = llm ? datagen_llm_schemas(llm, req, m, w->pg, got, ok, &dropped, &failed, err, errlen) : -1;
		if (llm)
			datagen_llm_stats_add(&w->counters->llm, datagen_llm_stats(llm));
		datagen_llm_close(llm);
	}
	for (int j = 0; j < m && rc == 0; j++)
	{
		out[ks[j] - first] = got[j];
		from_llm[ks[j] - first] = ok[j];
		__atomic_add_fetch(ok[j] ? &w->counters->llm_items : &w->counters->llm_fallbacks, 1,
						   __ATOMIC_RELAXED);
	}
	__atomic_add_fetch(&w->counters->schemas_rejected, dropped, __ATOMIC_RELAXED);
	if (rc == 0 && failed > 0)
	{
		for (int j = 0; j < m; j++)
			if (ok[j])
				datagen_schema_free(&got[j]);
		snprintf(err, errlen, "%ld LLM requests kept failing (server down or overloaded?); "
				 "run again to ask for those only (--llm-verbose shows why)", failed);
		rc = -1;
	}
	free(req);
	free(ids);
	free(ks);
	free(got);
	free(ok);
	return rc;
}

/* One tons_of_tables shard: the LLM's share of schemas first, then the generator's. */
static int
schemas_shard(DatagenWorker *w, int shard, char *err, size_t errlen)
{
	const DatagenOptions *o = w->o;
	SqlpilotBuf	b = {0};
	char		path[4096];
	long		first,
				end;
	int			rc;
	DatagenSchema *llm_out;
	bool	   *from_llm;

	shard_range(o, shard, &first, &end);
	llm_out = calloc(end - first + 1, sizeof(DatagenSchema));
	from_llm = calloc(end - first + 1, sizeof(bool));
	if (llm_on(o) && llm_schemas(w, first, end, llm_out, from_llm, err, errlen) != 0)
	{
		free(llm_out);
		free(from_llm);
		return -1;
	}
	for (long k = first; k < end; k++)
	{
		bool		llm = from_llm[k - first];
		int			ti,
					u;
		uint64_t	seed = datagen_mix(o->seed, k, TAG_SCHEMA);
		DatagenSchema s;
		char		id[64],
					tmp[64];
		char	   *ddl;

		schema_topic(o, k, llm, &ti, &u);
		if (llm)
			s = llm_out[k - first];
		else
			datagen_schema_generate(&s, use_cases.topic_id[ti], u, seed);
		if (s.n_tables <= 0)
		{
			snprintf(err, errlen, "the generator made no tables for topic %d use case %d",
					 use_cases.topic_id[ti], u);
			datagen_schema_free(&s);
			sqlpilot_buf_free(&b);
			for (long j = k + 1; j < end; j++)
				if (from_llm[j - first])
					datagen_schema_free(&llm_out[j - first]);
			free(llm_out);
			free(from_llm);
			return -1;
		}
		schema_id(o, k, id, sizeof(id));
		sqlpilot_buf_puts(&b, "{\"schema_id\":");
		datagen_buf_json_str(&b, id);
		sqlpilot_buf_puts(&b, ",\"topic\":");
		datagen_buf_json_str(&b, use_cases.topic_name[ti]);
		sqlpilot_buf_puts(&b, ",\"use_case\":");
		datagen_buf_json_str(&b, use_cases.use_case_name[ti][u]);
		if (llm)
			sqlpilot_buf_puts(&b, ",\"source\":\"llm\"");
		sqlpilot_buf_append(&b, tmp, snprintf(tmp, sizeof(tmp), ",\"seed\":\"%llu\",\"schema\":",
											 (unsigned long long) seed));
		datagen_schema_to_json(&b, &s);
		ddl = sqlpilot_schema_render(s.tables, s.n_tables, SQLPILOT_DDL_PGDUMP, NULL, NULL);
		sqlpilot_buf_puts(&b, ",\"ddl\":");
		datagen_buf_json_str(&b, ddl ? ddl : "");
		sqlpilot_buf_puts(&b, "}\n");
		free(ddl);
		datagen_schema_free(&s);
		__atomic_add_fetch(&w->counters->schemas, 1, __ATOMIC_RELAXED);
		__atomic_add_fetch(&w->counters->units, 1, __ATOMIC_RELAXED);
	}
	datagen_shard_path(o, "tons_of_tables", shard, path, sizeof(path));
	rc = write_buf(path, &b, err, errlen);
	sqlpilot_buf_free(&b);
	free(llm_out);
	free(from_llm);
	return rc;
}

/* Stage 3: the schemas (conninfo: where LLM schemas are loaded to check them; NULL when offline). */
int
datagen_stage_schemas(const DatagenOptions *o, const char *conninfo, char *err, size_t errlen)
{
	DatagenCounters c;
	int			rc;

	if (load_use_cases(o, err, errlen) != 0)
		return -1;
	rc = datagen_run_shards(o, "schemas", "tons_of_tables", "schemas", schemas_shard,
							llm_on(o) ? conninfo : NULL, &c, err, errlen);
	if (llm_on(o))
	{
		char		line[512];

		datagen_llm_stats_line(&c.llm, line, sizeof(line));
		fprintf(stderr, "%-10s %ld schemas from the LLM, %ld made offline in their place "
				"(%ld did not load into PostgreSQL)\n%-10s %s\n", "llm", c.llm_items, c.llm_fallbacks,
				c.schemas_rejected, "", line);
	}
	return rc;
}

/* A shard file's lines parsed as JSON objects. */
typedef struct ShardLines
{
	int			n;
	cJSON	  **lines;
} ShardLines;

/* Frees the parsed lines. */
static void
shard_lines_free(ShardLines *sl)
{
	for (int i = 0; i < sl->n; i++)
		cJSON_Delete(sl->lines[i]);
	free(sl->lines);
	memset(sl, 0, sizeof(*sl));
}

/* Reads out/dir/shard-N.jsonl and parses each line; hint names the stage that makes it. */
static int
shard_lines_read(const DatagenOptions *o, const char *dir, int shard, const char *hint,
				 ShardLines *sl, char *err, size_t errlen)
{
	char		path[4096];
	size_t		len;
	char	   *text;
	char	   *p;
	int			cap = 64;

	memset(sl, 0, sizeof(*sl));
	datagen_shard_path(o, dir, shard, path, sizeof(path));
	text = sqlpilot_read_file(path, &len, err, errlen);
	if (!text)
	{
		size_t		n = strlen(err);

		snprintf(err + n, errlen - n, " (run `sqlpilot datagen %s` first)", hint);
		return -1;
	}
	sl->lines = malloc(sizeof(cJSON *) * cap);
	if (!sl->lines)
	{
		snprintf(err, errlen, "out of memory reading \"%s\"", path);
		free(text);
		return -1;
	}
	for (p = text; p < text + len;)
	{
		char	   *nl = memchr(p, '\n', text + len - p);

		if (nl)
			*nl = '\0';
		if (*p)
		{
			if (sl->n == cap)
			{
				cJSON	  **grown = realloc(sl->lines, sizeof(cJSON *) * cap * 2);

				if (!grown)
				{
					snprintf(err, errlen, "out of memory reading \"%s\"", path);
					free(text);
					shard_lines_free(sl);
					return -1;
				}
				sl->lines = grown;
				cap *= 2;
			}
			sl->lines[sl->n] = cJSON_Parse(p);
			if (!sl->lines[sl->n])
			{
				snprintf(err, errlen, "\"%s\" line %d is not valid JSON", path, sl->n + 1);
				free(text);
				shard_lines_free(sl);
				return -1;
			}
			sl->n++;
		}
		p = nl ? nl + 1 : text + len;
	}
	free(text);
	return 0;
}

/* A string member of a JSON object, or "" when missing. */
static const char *
json_str(const cJSON *obj, const char *key)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);

	return cJSON_IsString(it) ? it->valuestring : "";
}

/* The schema's seed as stored (a decimal string, since JSON numbers lose 64-bit precision). */
static uint64_t
json_seed(const cJSON *obj)
{
	return strtoull(json_str(obj, "seed"), NULL, 10);
}

/* True when a tons_of_tables line's schema came from the LLM. */
static bool
line_from_llm(const cJSON *line)
{
	return strcmp(json_str(line, "source"), "llm") == 0;
}

/*
 * Asks the LLM for the statements of the shard's LLM schemas: (*got)[li]
 * and (*n_got)[li] for line li (NULL and 0 for the generator's).  Requests
 * that kept failing make the shard fail (a re-run asks only for those).
 */
static int
llm_statements(DatagenWorker *w, const ShardLines *sl, DatagenStatement ***got, int **n_got,
			   char *err, size_t errlen)
{
	const DatagenOptions *o = w->o;
	const char **ids = calloc(sl->n + 1, sizeof(char *));
	DatagenSchema *schemas = calloc(sl->n + 1, sizeof(DatagenSchema));
	DatagenStatement **out = calloc(sl->n + 1, sizeof(DatagenStatement *));
	int		   *n_out = calloc(sl->n + 1, sizeof(int));
	int		   *where = calloc(sl->n + 1, sizeof(int));
	int			m = 0,
				rc = 0;
	long		failed = 0;

	*got = calloc(sl->n + 1, sizeof(DatagenStatement *));
	*n_got = calloc(sl->n + 1, sizeof(int));
	for (int li = 0; li < sl->n && rc == 0; li++)
	{
		if (!line_from_llm(sl->lines[li]))
			continue;
		if (datagen_schema_from_json(cJSON_GetObjectItemCaseSensitive(sl->lines[li], "schema"),
									 &schemas[m], err, errlen) != 0)
			rc = -1;
		else
		{
			ids[m] = json_str(sl->lines[li], "schema_id");
			where[m++] = li;
		}
	}
	if (rc == 0 && m > 0)
	{
		DatagenLlm *llm = datagen_llm_open(&o->llm, err, errlen);

		rc = llm ? datagen_llm_statements(llm, ids, schemas, m, o->per_schema, out, n_out, &failed,
										  err, errlen) : -1;
		if (llm)
			datagen_llm_stats_add(&w->counters->llm, datagen_llm_stats(llm));
		datagen_llm_close(llm);
		if (rc == 0 && failed > 0)
		{
			snprintf(err, errlen, "%ld LLM requests kept failing (server down or overloaded?); "
					 "run again to ask for those only (--llm-verbose shows why)", failed);
			rc = -1;
		}
	}
	for (int j = 0; j < m; j++)
	{
		if (rc == 0)
		{
			(*got)[where[j]] = out[j];
			(*n_got)[where[j]] = n_out[j];
			__atomic_add_fetch(&w->counters->llm_items, 1, __ATOMIC_RELAXED);
		}
		else if (out[j])
		{
			for (int i = 0; i < n_out[j]; i++)
				datagen_statement_free(&out[j][i]);
			free(out[j]);
		}
		datagen_schema_free(&schemas[j]);
	}
	free(ids);
	free(schemas);
	free(out);
	free(n_out);
	free(where);
	return rc;
}

/* One diverse_statements shard: generate (or ask the LLM), validate, keep the accepted, list the rejected. */
static int
statements_shard(DatagenWorker *w, int shard, char *err, size_t errlen)
{
	const DatagenOptions *o = w->o;
	DatagenCounters *c = w->counters;
	ShardLines	sl;
	SqlpilotBuf	b = {0};
	char		path[4096];
	int			per = o->per_schema;
	DatagenStatement *st = calloc(per, sizeof(DatagenStatement));
	bool	   *ok = calloc(per, sizeof(bool));
	char	  **msgs = calloc(per, sizeof(char *));
	int			rc = 0;
	DatagenStatement **llm_st = NULL;
	int		   *llm_n = NULL;

	if (shard_lines_read(o, "tons_of_tables", shard, "schemas", &sl, err, errlen) != 0)
	{
		free(st);
		free(ok);
		free(msgs);
		return -1;
	}
	if (llm_on(o) && llm_statements(w, &sl, &llm_st, &llm_n, err, errlen) != 0)
	{
		free(llm_st);
		free(llm_n);
		shard_lines_free(&sl);
		free(st);
		free(ok);
		free(msgs);
		return -1;
	}
	for (int li = 0; li < sl.n && rc == 0; li++)
	{
		const cJSON *line = sl.lines[li];
		DatagenSchema s;
		int			n,
					vrc;
		bool		first;
		char		schema_err[512] = "";

		if (datagen_schema_from_json(cJSON_GetObjectItemCaseSensitive(line, "schema"), &s,
									 err, errlen) != 0)
		{
			rc = -1;
			break;
		}
		if (llm_st && llm_st[li])
		{
			/* the LLM's statements move into st: it gave at most per of them */
			n = llm_n[li];
			for (int i = 0; i < n; i++)
				st[i] = llm_st[li][i];
			free(llm_st[li]);
			llm_st[li] = NULL;
		}
		else
			n = datagen_statements_generate(&s, datagen_mix(json_seed(line), 0, TAG_STATEMENTS), st, per);
		vrc = datagen_validate_statements(w->pg, &s, st, n, ok, msgs, schema_err, sizeof(schema_err));
		if (vrc < 0)
		{
			snprintf(err, errlen, "%s", schema_err);
			rc = -1;
		}
		else
		{
			sqlpilot_buf_puts(&b, "{\"schema_id\":");
			datagen_buf_json_str(&b, json_str(line, "schema_id"));
			sqlpilot_buf_puts(&b, ",\"statements\":[");
			first = true;
			for (int i = 0; i < n; i++)
			{
				if (!ok[i])
					continue;
				if (!first)
					sqlpilot_buf_puts(&b, ",");
				datagen_statement_to_json(&b, &st[i]);
				first = false;
				__atomic_add_fetch(&c->accepted[st[i].kind], 1, __ATOMIC_RELAXED);
			}
			sqlpilot_buf_puts(&b, "],\"rejected\":[");
			first = true;
			for (int i = 0; i < n; i++)
			{
				if (ok[i])
					continue;
				sqlpilot_buf_puts(&b, first ? "{\"kind\":" : ",{\"kind\":");
				datagen_buf_json_str(&b, datagen_kind_names[st[i].kind]);
				sqlpilot_buf_puts(&b, ",\"sql\":");
				datagen_buf_json_str(&b, st[i].pg_sql ? st[i].pg_sql : st[i].sql);
				sqlpilot_buf_puts(&b, ",\"error\":");
				datagen_buf_json_str(&b, vrc == 1 ? schema_err : (msgs[i] ? msgs[i] : "rejected"));
				sqlpilot_buf_puts(&b, "}");
				first = false;
				__atomic_add_fetch(&c->rejected[st[i].kind], 1, __ATOMIC_RELAXED);
			}
			sqlpilot_buf_puts(&b, "]}\n");
			if (vrc == 1)
				__atomic_add_fetch(&c->schemas_rejected, 1, __ATOMIC_RELAXED);
			__atomic_add_fetch(&c->units, n, __ATOMIC_RELAXED);
			__atomic_add_fetch(&c->schemas, 1, __ATOMIC_RELAXED);
		}
		for (int i = 0; i < n; i++)
		{
			free(msgs[i]);
			msgs[i] = NULL;
			datagen_statement_free(&st[i]);
		}
		datagen_schema_free(&s);
	}
	if (rc == 0)
	{
		datagen_shard_path(o, "diverse_statements", shard, path, sizeof(path));
		rc = write_buf(path, &b, err, errlen);
	}
	for (int li = 0; llm_st && li < sl.n; li++)
		if (llm_st[li])
		{
			for (int i = 0; i < llm_n[li]; i++)
				datagen_statement_free(&llm_st[li][i]);
			free(llm_st[li]);
		}
	free(llm_st);
	free(llm_n);
	sqlpilot_buf_free(&b);
	shard_lines_free(&sl);
	free(st);
	free(ok);
	free(msgs);
	return rc;
}

/* Prints the rejection rate by statement kind for this run's statements. */
static void
print_rejections(const DatagenCounters *c)
{
	long		acc = 0,
				rej = 0;

	fprintf(stderr, "PostgreSQL rejections by kind (this run):\n");
	for (int k = 0; k < DATAGEN_N_KINDS; k++)
	{
		long		n = c->accepted[k] + c->rejected[k];

		acc += c->accepted[k];
		rej += c->rejected[k];
		fprintf(stderr, "  %-9s %8ld generated %6ld rejected (%.2f%%)\n", datagen_kind_names[k], n,
				c->rejected[k], n ? 100.0 * c->rejected[k] / n : 0.0);
	}
	fprintf(stderr, "  %-9s %8ld generated %6ld rejected (%.2f%%); schemas rejected: %ld\n", "all",
			acc + rej, rej, acc + rej ? 100.0 * rej / (acc + rej) : 0.0, c->schemas_rejected);
}

/* Stage 4: the statements, validated with PostgreSQL. */
int
datagen_stage_statements(const DatagenOptions *o, const char *conninfo, long *validated,
						 char *err, size_t errlen)
{
	DatagenCounters c;
	int			rc = datagen_run_shards(o, "statements", "diverse_statements", "stmts",
										statements_shard, conninfo, &c, err, errlen);

	if (llm_on(o))
	{
		char		line[512];

		datagen_llm_stats_line(&c.llm, line, sizeof(line));
		fprintf(stderr, "%-10s statements of %ld schemas from the LLM\n%-10s %s\n", "llm", c.llm_items,
				"", line);
	}
	if (c.schemas > 0)
		print_rejections(&c);
	if (validated)
		*validated = c.units;
	return rc;
}

/*
 * One schema's training examples: the schema twice (as generated, and with
 * names randomized), each statement assigned to one of the two, each
 * example's schema text in a style picked per example.
 */
typedef struct SchemaExamples
{
	DatagenSchema var[2];
	int			n;
	DatagenStatement *st;		/* final text: variant-1 statements already renamed */
	int		   *variant;
	SqlpilotDdlStyle *style;
	char	  **schema_text;	/* per example: into cached[][] or, when owned[i], its own */
	bool	   *owned;
	char	   *cached[2][3];	/* [variant][style] renders shared by examples */
} SchemaExamples;

/* Frees everything of one schema's examples. */
static void
examples_free(SchemaExamples *e)
{
	for (int i = 0; i < e->n; i++)
	{
		datagen_statement_free(&e->st[i]);
		if (e->owned[i])
			free(e->schema_text[i]);
	}
	for (int v = 0; v < 2; v++)
		for (int k = 0; k < 3; k++)
			free(e->cached[v][k]);
	free(e->st);
	free(e->variant);
	free(e->style);
	free(e->schema_text);
	free(e->owned);
	datagen_schema_free(&e->var[0]);
	datagen_schema_free(&e->var[1]);
	memset(e, 0, sizeof(*e));
}

/* Builds the examples of schema line sline (tons_of_tables) and its statements line. */
static int
examples_build(const DatagenOptions *o, long k, const cJSON *sline, const cJSON *tline,
			   SchemaExamples *e, char *err, size_t errlen)
{
	const cJSON *stmts = cJSON_GetObjectItemCaseSensitive(tline, "statements");
	const cJSON *it;
	uint64_t	vrng = datagen_mix(o->seed, k, TAG_VARIANT);
	uint64_t	srng = datagen_mix(o->seed, k, TAG_STYLE);
	DatagenStatement *renamed;
	int		   *renamed_idx;
	int			m = 0;

	memset(e, 0, sizeof(*e));
	if (strcmp(json_str(sline, "schema_id"), json_str(tline, "schema_id")) != 0)
	{
		snprintf(err, errlen, "schema %s and statements %s are out of step",
				 json_str(sline, "schema_id"), json_str(tline, "schema_id"));
		return -1;
	}
	if (datagen_schema_from_json(cJSON_GetObjectItemCaseSensitive(sline, "schema"), &e->var[0],
								 err, errlen) != 0)
		return -1;
	if (datagen_schema_from_json(cJSON_GetObjectItemCaseSensitive(sline, "schema"), &e->var[1],
								 err, errlen) != 0)
	{
		datagen_schema_free(&e->var[0]);
		return -1;
	}
	e->n = cJSON_IsArray(stmts) ? cJSON_GetArraySize(stmts) : 0;
	e->st = calloc(e->n + 1, sizeof(DatagenStatement));
	e->variant = calloc(e->n + 1, sizeof(int));
	e->style = calloc(e->n + 1, sizeof(SqlpilotDdlStyle));
	e->schema_text = calloc(e->n + 1, sizeof(char *));
	e->owned = calloc(e->n + 1, sizeof(bool));
	renamed = calloc(e->n + 1, sizeof(DatagenStatement));
	renamed_idx = calloc(e->n + 1, sizeof(int));
	{
		int			i = 0;

		cJSON_ArrayForEach(it, stmts)
		{
			if (datagen_statement_from_json(it, &e->st[i], err, errlen) != 0)
			{
				e->n = i;
				examples_free(e);
				free(renamed);
				free(renamed_idx);
				return -1;
			}
			e->variant[i] = (int) (sqlpilot_rng_next(&vrng) & 1);
			if (e->variant[i])
			{
				renamed[m] = e->st[i];
				renamed_idx[m++] = i;
			}
			i++;
		}
	}
	/* Rename the second half's schema and statements together, then put them back in order. */
	datagen_randomize(&e->var[1], renamed, m, datagen_mix(o->seed, k, TAG_RENAME));
	for (int j = 0; j < m; j++)
		e->st[renamed_idx[j]] = renamed[j];
	free(renamed);
	free(renamed_idx);

	for (int i = 0; i < e->n; i++)
	{
		SqlpilotDdlStyle style = datagen_pick_style(&srng);
		int			v = e->variant[i];

		if (style < 0 || style > SQLPILOT_DDL_HANDWRITTEN)
			style = SQLPILOT_DDL_CRDB;
		e->style[i] = style;
		if (style == SQLPILOT_DDL_HANDWRITTEN)
		{
			/* Hand-written text varies with the rng: one render per example. */
			e->schema_text[i] = sqlpilot_schema_render(e->var[v].tables, e->var[v].n_tables,
													   style, &srng, NULL);
			e->owned[i] = true;
		}
		else
		{
			if (!e->cached[v][style])
				e->cached[v][style] = sqlpilot_schema_render(e->var[v].tables, e->var[v].n_tables,
															 style, NULL, NULL);
			e->schema_text[i] = e->cached[v][style];
		}
		if (!e->schema_text[i])
		{
			snprintf(err, errlen, "cannot render schema %s", json_str(sline, "schema_id"));
			examples_free(e);
			return -1;
		}
	}
	return 0;
}

/* Appends one example as a raw/eval JSONL line. */
static void
example_line(SqlpilotBuf *b, const cJSON *sline, const SchemaExamples *e, int i)
{
	const DatagenStatement *st = &e->st[i];
	size_t		tlen;
	char	   *text = sqlpilot_prompt_text(e->schema_text[i], strlen(e->schema_text[i]),
											st->sql, strlen(st->sql), &tlen);

	sqlpilot_buf_puts(b, "{\"schema_id\":");
	datagen_buf_json_str(b, json_str(sline, "schema_id"));
	sqlpilot_buf_puts(b, ",\"topic\":");
	datagen_buf_json_str(b, json_str(sline, "topic"));
	sqlpilot_buf_puts(b, ",\"use_case\":");
	datagen_buf_json_str(b, json_str(sline, "use_case"));
	sqlpilot_buf_puts(b, ",\"kind\":");
	datagen_buf_json_str(b, datagen_kind_names[st->kind]);
	sqlpilot_buf_puts(b, st->complex ? ",\"complex\":1" : ",\"complex\":0");
	sqlpilot_buf_puts(b, ",\"style\":");
	datagen_buf_json_str(b, style_names[e->style[i]]);
	sqlpilot_buf_puts(b, ",\"schema\":");
	datagen_buf_json_str(b, e->schema_text[i]);
	sqlpilot_buf_puts(b, ",\"statement\":");
	datagen_buf_json_str(b, st->sql);
	sqlpilot_buf_puts(b, ",\"text\":");
	datagen_buf_json_str(b, text ? text : "");
	sqlpilot_buf_puts(b, "}\n");
	free(text);
}

/* True when schema k is held out for evaluation. */
static bool
held_out(const DatagenOptions *o, long k)
{
	return o->eval_every > 0 && k % o->eval_every == o->eval_every - 1;
}

/*
 * Builds a shard's raw and eval text (what the raw stage writes).  For each
 * schema, visit (may be NULL) is called with its examples before they are freed.
 */
static int
raw_build(const DatagenOptions *o, int shard, SqlpilotBuf *raw, SqlpilotBuf *eval,
		  DatagenCounters *c,
		  int (*visit) (void *arg, long k, SchemaExamples *e, char *err, size_t errlen),
		  void *arg, char *err, size_t errlen)
{
	ShardLines	ss,
				ts;
	long		first,
				end;
	int			rc = 0;

	shard_range(o, shard, &first, &end);
	if (shard_lines_read(o, "tons_of_tables", shard, "schemas", &ss, err, errlen) != 0)
		return -1;
	if (shard_lines_read(o, "diverse_statements", shard, "statements", &ts, err, errlen) != 0)
	{
		shard_lines_free(&ss);
		return -1;
	}
	if (ss.n != end - first || ts.n != ss.n)
	{
		snprintf(err, errlen, "shard %d: %d schemas and %d statement lines, expected %ld",
				 shard, ss.n, ts.n, end - first);
		rc = -1;
	}
	for (int li = 0; li < ss.n && rc == 0; li++)
	{
		SchemaExamples e;
		long		k = first + li;
		SqlpilotBuf *out = held_out(o, k) ? eval : raw;

		if (examples_build(o, k, ss.lines[li], ts.lines[li], &e, err, errlen) != 0)
		{
			rc = -1;
			break;
		}
		for (int i = 0; i < e.n; i++)
			example_line(out, ss.lines[li], &e, i);
		if (visit)
			rc = visit(arg, k, &e, err, errlen);
		if (c)
		{
			__atomic_add_fetch(&c->units, e.n, __ATOMIC_RELAXED);
			__atomic_add_fetch(&c->schemas, 1, __ATOMIC_RELAXED);
		}
		examples_free(&e);
	}
	shard_lines_free(&ss);
	shard_lines_free(&ts);
	return rc;
}

/* One raw shard (and its eval shard): eval first, so raw/ existing means both are done. */
static int
raw_shard(DatagenWorker *w, int shard, char *err, size_t errlen)
{
	SqlpilotBuf	raw = {0},
				eval = {0};
	char		path[4096];
	int			rc = raw_build(w->o, shard, &raw, &eval, w->counters, NULL, NULL, err, errlen);

	if (rc == 0)
	{
		datagen_shard_path(w->o, "eval", shard, path, sizeof(path));
		datagen_remove_stale_temps(path);
		rc = write_buf(path, &eval, err, errlen);
	}
	if (rc == 0)
	{
		datagen_shard_path(w->o, "raw", shard, path, sizeof(path));
		rc = write_buf(path, &raw, err, errlen);
	}
	sqlpilot_buf_free(&raw);
	sqlpilot_buf_free(&eval);
	return rc;
}

/* Concatenates eval/shard-*.jsonl into eval.jsonl once every shard of the data set exists. */
static int
combine_eval(const DatagenOptions *o, char *err, size_t errlen)
{
	char		path[4096];
	SqlpilotBuf	b = {0};
	int			rc;

	snprintf(path, sizeof(path), "%s/eval.jsonl", o->out);
	if (datagen_file_exists(path))
		return 0;
	for (int k = 0; k < datagen_n_shards(o); k++)
	{
		char		spath[4096];
		size_t		len;
		char	   *text;

		datagen_shard_path(o, "eval", k, spath, sizeof(spath));
		if (!datagen_file_exists(spath))
		{
			sqlpilot_buf_free(&b);
			return 0;			/* another slice is still to come */
		}
		text = sqlpilot_read_file(spath, &len, err, errlen);
		if (!text)
		{
			sqlpilot_buf_free(&b);
			return -1;
		}
		sqlpilot_buf_append(&b, text, len);
		free(text);
	}
	rc = write_buf(path, &b, err, errlen);
	sqlpilot_buf_free(&b);
	return rc;
}

/* Stage 5: the training text. */
int
datagen_stage_raw(const DatagenOptions *o, char *err, size_t errlen)
{
	DatagenCounters c;

	if (datagen_prepare_dir(o, "eval", err, errlen) != 0)
		return -1;
	if (datagen_run_shards(o, "raw", "raw", "examples", raw_shard, NULL, &c, err, errlen) != 0)
		return -1;
	return combine_eval(o, err, errlen);
}

/* What datagen_check's visitor needs: the connection, the sample, the tallies. */
typedef struct CheckState
{
	DatagenValidator *pg;
	const DatagenOptions *o;
	long		checked;
	long		rejected;
} CheckState;

/* Validates a sampled schema's examples (both variants) with PostgreSQL. */
static int
check_visit(void *arg, long k, SchemaExamples *e, char *err, size_t errlen)
{
	CheckState *cs = arg;
	DatagenStatement *sub = calloc(e->n + 1, sizeof(DatagenStatement));
	bool	   *ok = calloc(e->n + 1, sizeof(bool));
	char	  **msgs = calloc(e->n + 1, sizeof(char *));
	int			rc = 0;

	if (cs->o->check_sample > 0 && k % cs->o->shard_size >= cs->o->check_sample)
	{
		free(sub);
		free(ok);
		free(msgs);
		return 0;
	}
	for (int v = 0; v < 2 && rc == 0; v++)
	{
		int			m = 0;
		int			vrc;

		for (int i = 0; i < e->n; i++)
			if (e->variant[i] == v)
				sub[m++] = e->st[i];
		if (m == 0)
			continue;
		vrc = datagen_validate_statements(cs->pg, &e->var[v], sub, m, ok, msgs, err, errlen);
		if (vrc < 0)
			rc = -1;
		for (int i = 0; i < m && rc == 0; i++)
		{
			cs->checked++;
			if (!ok[i])
			{
				cs->rejected++;
				fprintf(stderr, "check: rejected (%s): %s\n  %s\n", vrc == 1 ? err : msgs[i],
						sub[i].pg_sql ? sub[i].pg_sql : sub[i].sql,
						v ? "names randomized" : "names as generated");
			}
		}
		for (int i = 0; i < m; i++)
		{
			free(msgs[i]);
			msgs[i] = NULL;
		}
	}
	free(sub);
	free(ok);
	free(msgs);
	return rc;
}

/* Compares a rebuilt shard text with the file on disk. */
static int
compare_file(const DatagenOptions *o, const char *dir, int shard, const SqlpilotBuf *b,
			 char *err, size_t errlen)
{
	char		path[4096];
	size_t		len;
	char	   *text;
	int			rc = 0;

	datagen_shard_path(o, dir, shard, path, sizeof(path));
	if (b->oom)
	{
		snprintf(err, errlen, "out of memory rebuilding \"%s\"", path);
		return -1;
	}
	text = sqlpilot_read_file(path, &len, err, errlen);
	if (!text)
		return -1;
	if (len != b->len || memcmp(text, b->data ? b->data : "", len) != 0)
	{
		snprintf(err, errlen, "\"%s\" differs from what its inputs give (edited or from another build)",
				 path);
		rc = -1;
	}
	free(text);
	return rc;
}

/* See pipeline.h: rebuilds each finished raw shard of the slice, compares, PREPAREs a sample. */
int
datagen_check(const DatagenOptions *o, const char *conninfo, long *n_checked, long *n_rejected,
			  char *err, size_t errlen)
{
	DatagenValidator pg;
	CheckState	cs = {&pg, o, 0, 0};
	int			rc = 0;
	int			shards = 0;

	if (datagen_validator_open(&pg, conninfo, err, errlen) != 0)
		return -1;
	for (int k = 0; k < datagen_n_shards(o) && rc == 0; k++)
	{
		SqlpilotBuf	raw = {0},
					eval = {0};
		char		path[4096];

		datagen_shard_path(o, "raw", k, path, sizeof(path));
		if (!datagen_shard_mine(o, k) || !datagen_file_exists(path))
			continue;
		rc = raw_build(o, k, &raw, &eval, NULL, check_visit, &cs, err, errlen);
		if (rc == 0)
			rc = compare_file(o, "raw", k, &raw, err, errlen);
		if (rc == 0)
			rc = compare_file(o, "eval", k, &eval, err, errlen);
		sqlpilot_buf_free(&raw);
		sqlpilot_buf_free(&eval);
		shards++;
	}
	datagen_validator_close(&pg);
	if (rc == 0 && shards == 0)
	{
		snprintf(err, errlen, "no raw shards in \"%s\" to check (run `sqlpilot datagen raw` first)", o->out);
		rc = -1;
	}
	*n_checked = cs.checked;
	*n_rejected = cs.rejected;
	return rc;
}
