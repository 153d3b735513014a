/*
 * llm_stages.c — the LLM backend's stages, as the pipeline calls them: each
 * builds one item per thing it needs (prompts from llm_prompts.c), runs the
 * batch through the engine (llm_client.c) and converts the answers
 * (llm_convert.c).  Item keys are stable across runs (the pipeline's schema
 * ids, the topic's position and name), which is what makes resume work.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cJSON.h"
#include "../llm.h"
#include "../validate.h"

/* Writes a file-name-safe key: [A-Za-z0-9._-] kept, anything else '_', no leading dot. */
static void
safe_key(const char *in, char *out, size_t cap)
{
	size_t		n = 0;

	for (const char *p = in; *p && n + 1 < cap; p++)
	{
		bool		keep = isalnum((unsigned char) *p) || *p == '-' || *p == '_' || (*p == '.' && n > 0);

		out[n++] = keep ? *p : '_';
	}
	out[n] = '\0';
}

/* Frees a batch of items and the array. */
static void
items_free(DatagenLlmItem *items, int n)
{
	for (int i = 0; i < n; i++)
		datagen_llm_item_free(&items[i]);
	free(items);
}

/*
 * Copies the distinct (case-insensitive), trimmed strings of a JSON array
 * into a malloc'd array, at most max of them; *n gets the count.
 */
static char **
distinct_strings(const cJSON *arr, int max, int *n)
{
	char	  **out = calloc(cJSON_GetArraySize(arr) + 1, sizeof(char *));
	const cJSON *it;

	*n = 0;
	cJSON_ArrayForEach(it, arr)
	{
		const char *b = cJSON_IsString(it) ? it->valuestring : "";
		size_t		len;
		bool		dup = false;
		char	   *s;

		while (isspace((unsigned char) *b))
			b++;
		len = strlen(b);
		while (len > 0 && isspace((unsigned char) b[len - 1]))
			len--;
		if (len == 0 || *n >= max)
			continue;
		s = strndup(b, len);
		for (int j = 0; j < *n && !dup; j++)
			dup = strcasecmp(out[j], s) == 0;
		if (dup)
			free(s);
		else
			out[(*n)++] = s;
	}
	return out;
}

/* See llm.h: one request, item key "topics". */
int
datagen_llm_topics(DatagenLlm *llm, int n, char ***topics, int *n_topics, char *err, size_t errlen)
{
	DatagenLlmItem *it = calloc(1, sizeof(DatagenLlmItem));
	int			rc;

	*topics = NULL;
	*n_topics = 0;
	it->stage = datagen_llm_stage("topics");
	snprintf(it->key, sizeof(it->key), "topics");
	datagen_llm_prompt_topics(n, &it->system, &it->user);
	rc = datagen_llm_run(llm, it, 1, err, errlen);
	if (rc == 0 && it->status != DATAGEN_LLM_OK)
	{
		snprintf(err, errlen, "the LLM gave no usable topics: %s", it->error);
		rc = -1;
	}
	if (rc == 0)
		*topics = distinct_strings(cJSON_GetObjectItemCaseSensitive(it->answer, "topics"), n, n_topics);
	items_free(it, 1);
	return rc;
}

/* See llm.h: one request per topic, keyed by position and name. */
int
datagen_llm_use_cases(DatagenLlm *llm, const char *const *topics, int n, int per_topic,
					  char ***use_cases, int *n_use_cases, char *err, size_t errlen)
{
	DatagenLlmItem *items = calloc(n + 1, sizeof(DatagenLlmItem));
	int			rc;

	for (int i = 0; i < n; i++)
	{
		char		slug[80];

		safe_key(topics[i], slug, sizeof(slug));
		items[i].stage = datagen_llm_stage("use_cases");
		snprintf(items[i].key, sizeof(items[i].key), "topic-%04d-%s", i, slug);
		datagen_llm_prompt_use_cases(topics[i], per_topic, &items[i].system, &items[i].user);
	}
	rc = datagen_llm_run(llm, items, n, err, errlen);
	for (int i = 0; i < n; i++)
	{
		use_cases[i] = NULL;
		n_use_cases[i] = 0;
		if (rc == 0 && items[i].status == DATAGEN_LLM_OK)
			use_cases[i] = distinct_strings(cJSON_GetObjectItemCaseSensitive(items[i].answer, "use_cases"),
											per_topic, &n_use_cases[i]);
	}
	items_free(items, n);
	return rc;
}

/*
 * Loads a schema's pg_dump DDL, qualified with the validator's scratch
 * schema, into PostgreSQL: 0 loaded, 1 refused (why in msg), -1 connection lost.
 */
static int
schema_loads(struct DatagenValidator *pg, DatagenSchema *s, char *msg, size_t msglen)
{
	char	   *ddl = datagen_validator_ddl(pg, s->tables, s->n_tables);
	int			rc;

	if (!ddl)
	{
		snprintf(msg, msglen, "out of memory rendering the schema");
		return 1;
	}
	rc = datagen_validate(pg, ddl, NULL, NULL, 0, NULL, NULL, msg, msglen);
	free(ddl);
	return rc;
}

/* See llm.h: one request per schema id; answers converted, then loaded into PostgreSQL. */
int
datagen_llm_schemas(DatagenLlm *llm, const DatagenLlmSchemaReq *req, int n,
					struct DatagenValidator *pg, DatagenSchema *out, bool *ok,
					long *n_dropped, long *n_failed, char *err, size_t errlen)
{
	DatagenLlmItem *items = calloc(n + 1, sizeof(DatagenLlmItem));
	int			rc;

	*n_dropped = 0;
	*n_failed = 0;
	for (int i = 0; i < n; i++)
	{
		items[i].stage = datagen_llm_stage("schemas");
		safe_key(req[i].id, items[i].key, sizeof(items[i].key));
		datagen_llm_prompt_schema(req[i].topic, req[i].use_case, &items[i].system, &items[i].user);
	}
	rc = datagen_llm_run(llm, items, n, err, errlen);
	for (int i = 0; i < n; i++)
	{
		char		why[512];

		ok[i] = false;
		memset(&out[i], 0, sizeof(out[i]));
		*n_failed += items[i].status == DATAGEN_LLM_FAILED;
		if (rc != 0 || items[i].status != DATAGEN_LLM_OK)
			continue;
		if (datagen_llm_schema_from_answer(items[i].answer, req[i].topic_id, req[i].use_case_id,
										   &out[i], why, sizeof(why)) != 0)
		{
			(*n_dropped)++;
			continue;
		}
		ok[i] = true;
		if (pg)
		{
			int			lrc = schema_loads(pg, &out[i], why, sizeof(why));

			if (lrc < 0)
			{
				snprintf(err, errlen, "%s", why);
				rc = -1;
			}
			if (lrc != 0)
			{
				datagen_schema_free(&out[i]);
				ok[i] = false;
				(*n_dropped) += lrc > 0;
			}
		}
	}
	if (rc != 0)
		for (int i = 0; i < n; i++)
			if (ok[i])
			{
				datagen_schema_free(&out[i]);
				ok[i] = false;
			}
	items_free(items, n);
	return rc;
}

/* See llm.h: one request per schema; each answer's statements parsed, duplicates dropped. */
int
datagen_llm_statements(DatagenLlm *llm, const char *const *ids, const DatagenSchema *schemas,
					   int n, int per_schema, DatagenStatement **out, int *n_out,
					   long *n_failed, char *err, size_t errlen)
{
	DatagenLlmItem *items = calloc(n + 1, sizeof(DatagenLlmItem));
	int			rc;

	*n_failed = 0;
	for (int i = 0; i < n; i++)
	{
		items[i].stage = datagen_llm_stage("statements");
		safe_key(ids[i], items[i].key, sizeof(items[i].key));
		datagen_llm_prompt_statements(&schemas[i], per_schema, &items[i].system, &items[i].user);
	}
	rc = datagen_llm_run(llm, items, n, err, errlen);
	for (int i = 0; i < n; i++)
	{
		const cJSON *arr = cJSON_GetObjectItemCaseSensitive(items[i].answer, "statements");
		const cJSON *it;
		int			m = 0;

		out[i] = calloc(cJSON_GetArraySize(arr) + 1, sizeof(DatagenStatement));
		n_out[i] = 0;
		*n_failed += items[i].status == DATAGEN_LLM_FAILED;
		if (rc != 0 || items[i].status != DATAGEN_LLM_OK)
			continue;
		cJSON_ArrayForEach(it, arr)
		{
			const cJSON *sql = cJSON_GetObjectItemCaseSensitive(it, "sql");
			bool		complex = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(it, "complex"));
			char		why[256];
			bool		dup = false;

			if (m >= per_schema || !cJSON_IsString(sql) ||
				datagen_llm_statement_from_sql(sql->valuestring, complex, &schemas[i], &out[i][m],
											   why, sizeof(why)) != 0)
				continue;
			for (int j = 0; j < m && !dup; j++)
				dup = strcmp(out[i][j].sql, out[i][m].sql) == 0;
			if (dup)
				datagen_statement_free(&out[i][m]);
			else
				m++;
		}
		n_out[i] = m;
	}
	items_free(items, n);
	return rc;
}
