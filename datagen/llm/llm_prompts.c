/*
 * llm_prompts.c — everything the LLM backend says to a model, in one place:
 * the system prompt, each stage's user prompt, and each stage's answer
 * contract (the JSON schema sent as structured output and checked on the
 * reply, plus a semantic check).  Prompts ask for PostgreSQL 15 text in the
 * shape of docs/data-targets.md (statement mix, upper-case
 * keywords, statements ending in ';').
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cJSON.h"
#include "../llm.h"
#include "schema.h"

static const char system_prompt[] =
	"You write realistic PostgreSQL 15 material for training a SQL autocompletion model. "
	"Answer with one JSON object that matches the given JSON schema, and nothing else.";

static const char topics_schema[] =
	"{\"type\":\"object\",\"properties\":{\"topics\":{\"type\":\"array\",\"minItems\":1,"
	"\"items\":{\"type\":\"string\",\"minLength\":2,\"maxLength\":80}}},"
	"\"required\":[\"topics\"],\"additionalProperties\":false}";

static const char use_cases_schema[] =
	"{\"type\":\"object\",\"properties\":{\"use_cases\":{\"type\":\"array\",\"minItems\":1,"
	"\"items\":{\"type\":\"string\",\"minLength\":2,\"maxLength\":120}}},"
	"\"required\":[\"use_cases\"],\"additionalProperties\":false}";

static const char schemas_schema[] =
	"{\"type\":\"object\",\"properties\":{\"tables\":{\"type\":\"array\",\"minItems\":1,\"maxItems\":5,"
	"\"items\":{\"type\":\"object\",\"properties\":{"
	"\"name\":{\"type\":\"string\",\"minLength\":1,\"maxLength\":63},"
	"\"columns\":{\"type\":\"array\",\"minItems\":1,\"maxItems\":40,\"items\":{\"type\":\"object\","
	"\"properties\":{\"name\":{\"type\":\"string\",\"minLength\":1,\"maxLength\":63},"
	"\"type\":{\"type\":\"string\",\"minLength\":2,\"maxLength\":60},"
	"\"not_null\":{\"type\":\"boolean\"},\"default\":{\"type\":[\"string\",\"null\"],\"maxLength\":200}},"
	"\"required\":[\"name\",\"type\",\"not_null\",\"default\"],\"additionalProperties\":false}},"
	"\"primary_key\":{\"type\":\"array\",\"items\":{\"type\":\"string\"}},"
	"\"unique\":{\"type\":\"array\",\"items\":{\"type\":\"array\",\"minItems\":1,\"items\":{\"type\":\"string\"}}},"
	"\"foreign_keys\":{\"type\":\"array\",\"items\":{\"type\":\"object\",\"properties\":{"
	"\"columns\":{\"type\":\"array\",\"minItems\":1,\"items\":{\"type\":\"string\"}},"
	"\"ref_table\":{\"type\":\"string\"},"
	"\"ref_columns\":{\"type\":\"array\",\"minItems\":1,\"items\":{\"type\":\"string\"}},"
	"\"on_delete\":{\"type\":[\"string\",\"null\"],\"enum\":[\"CASCADE\",\"SET NULL\",\"RESTRICT\",\"NO ACTION\",null]}},"
	"\"required\":[\"columns\",\"ref_table\",\"ref_columns\",\"on_delete\"],\"additionalProperties\":false}},"
	"\"indexes\":{\"type\":\"array\",\"items\":{\"type\":\"object\",\"properties\":{"
	"\"columns\":{\"type\":\"array\",\"minItems\":1,\"items\":{\"type\":\"string\"}},"
	"\"unique\":{\"type\":\"boolean\"}},\"required\":[\"columns\",\"unique\"],\"additionalProperties\":false}}},"
	"\"required\":[\"name\",\"columns\",\"primary_key\",\"unique\",\"foreign_keys\",\"indexes\"],"
	"\"additionalProperties\":false}}},\"required\":[\"tables\"],\"additionalProperties\":false}";

static const char statements_schema[] =
	"{\"type\":\"object\",\"properties\":{\"statements\":{\"type\":\"array\",\"minItems\":1,"
	"\"items\":{\"type\":\"object\",\"properties\":{"
	"\"kind\":{\"type\":\"string\",\"enum\":[\"select\",\"insert\",\"update\",\"delete\",\"truncate\",\"upsert\"]},"
	"\"complex\":{\"type\":\"boolean\"},"
	"\"sql\":{\"type\":\"string\",\"minLength\":8,\"maxLength\":4000}},"
	"\"required\":[\"kind\",\"complex\",\"sql\"],\"additionalProperties\":false}}},"
	"\"required\":[\"statements\"],\"additionalProperties\":false}";

/* A schema answer must also make a consistent schema (names, keys, references). */
static int
check_schema(const cJSON *answer, char *err, size_t errlen)
{
	DatagenSchema s;

	if (datagen_llm_schema_from_answer(answer, 0, 0, &s, err, errlen) != 0)
		return -1;
	datagen_schema_free(&s);
	return 0;
}

static const DatagenLlmStage stages[] = {
	{"topics", topics_schema, NULL},
	{"use_cases", use_cases_schema, NULL},
	{"schemas", schemas_schema, check_schema},
	{"statements", statements_schema, NULL},
};

/* See llm.h. */
const DatagenLlmStage *
datagen_llm_stage(const char *name)
{
	for (size_t i = 0; i < sizeof(stages) / sizeof(stages[0]); i++)
		if (strcmp(stages[i].name, name) == 0)
			return &stages[i];
	return NULL;
}

/* A malloc'd copy of the printf-formatted text. */
static char *
format(const char *fmt,...) __attribute__((format(printf, 1, 2)));

static char *
format(const char *fmt,...)
{
	va_list		ap;
	char	   *out = NULL;

	va_start(ap, fmt);
	if (vasprintf(&out, fmt, ap) < 0)
		out = NULL;
	va_end(ap);
	return out;
}

/* See llm.h. */
void
datagen_llm_prompt_topics(int n, char **system, char **user)
{
	*system = strdup(system_prompt);
	*user = format("List %d distinct application domains (topics) that companies build "
				   "relational databases for: the kind of business, service or activity a "
				   "database serves, such as online retail, hospital administration or fleet "
				   "management. Cover many industries; 1 to 4 words each.\n"
				   "Answer as {\"topics\": [\"...\", ...]}.", n);
}

/* See llm.h. */
void
datagen_llm_prompt_use_cases(const char *topic, int n, char **system, char **user)
{
	*system = strdup(system_prompt);
	*user = format("Topic: %s\n"
				   "List %d distinct use cases within this topic that an application database "
				   "would support (for online retail: order fulfilment, customer reviews, "
				   "inventory tracking). 2 to 8 words each.\n"
				   "Answer as {\"use_cases\": [\"...\", ...]}.", topic, n);
}

/* See llm.h. */
void
datagen_llm_prompt_schema(const char *topic, const char *use_case, char **system, char **user)
{
	*system = strdup(system_prompt);
	*user = format("Topic: %s\nUse case: %s\n"
				   "Design the PostgreSQL 15 schema a developer would write for this use case: "
				   "1 to 5 tables that relate to each other. Rules:\n"
				   "- lower-case snake_case table and column names, no quotes, no schema prefix, "
				   "no SQL keywords as names\n"
				   "- types in PostgreSQL spelling: integer, bigint, serial, text, "
				   "character varying(n), numeric(p,s), boolean, date, timestamp with time zone, "
				   "uuid, jsonb, ...\n"
				   "- \"default\" is a PostgreSQL expression or null\n"
				   "- \"primary_key\" lists the primary key columns ([] when none); foreign keys "
				   "reference a primary key or unique columns of a table of this schema\n"
				   "- \"unique\" lists UNIQUE constraints; \"indexes\" lists further indexes\n"
				   "Answer as {\"tables\": [...]}.", topic, use_case);
}

/* See llm.h: the schema goes in as pg_dump-style DDL, the text PostgreSQL itself would show. */
void
datagen_llm_prompt_statements(const DatagenSchema *s, int n, char **system, char **user)
{
	char	   *ddl = sqlpilot_schema_render(s->tables, s->n_tables, SQLPILOT_DDL_PGDUMP, NULL, NULL);

	*system = strdup(system_prompt);
	*user = format("The database has this PostgreSQL 15 schema:\n\n%s\n\n"
				   "Write %d different SQL statements that an application or a developer would "
				   "run against it: about 32%% SELECT, 32%% INSERT (a few of them upserts with "
				   "ON CONFLICT, kind \"upsert\"), 13%% UPDATE, 13%% DELETE and 10%% TRUNCATE. Rules:\n"
				   "- valid PostgreSQL 15, one statement per entry, on one line, ending with ;\n"
				   "- only the tables and columns above; literals that fit the column types\n"
				   "- keywords in upper case; mostly simple statements, some complex ones (joins, "
				   "GROUP BY, subqueries), marked \"complex\": true\n"
				   "Answer as {\"statements\": [{\"kind\": ..., \"complex\": ..., \"sql\": ...}, ...]}.",
				   ddl ? ddl : "", n);
	free(ddl);
}
