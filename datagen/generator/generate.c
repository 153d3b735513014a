/*
 * generate.c — the content interface of datagen: topics and use cases by
 * index, and the schema text style of a training example.  The content
 * itself lives in gen_topics.c (vocabulary), gen_schema.c (schemas),
 * gen_statements.c with gen_literals.c, gen_select.c, gen_insert.c and
 * gen_update.c (statements) and gen_randomize.c (renaming).
 */
#include <stdlib.h>
#include <string.h>

#include "../generate.h"
#include "gen_internal.h"
#include "util.h"

const char *const datagen_kind_names[DATAGEN_N_KINDS] = {
	"select", "insert", "update", "delete", "truncate", "upsert"
};

/* See generate.h. */
int
datagen_n_topics(void)
{
	return gen_vocab()->n_topics;
}

/* See generate.h. */
const char *
datagen_topic_name(int topic)
{
	const GenVocab *v = gen_vocab();

	return topic >= 0 && topic < v->n_topics ? v->topics[topic].name : NULL;
}

/* See generate.h. */
int
datagen_n_use_cases(int topic)
{
	const GenVocab *v = gen_vocab();

	return topic >= 0 && topic < v->n_topics ? v->topics[topic].n_use_cases : 0;
}

/* See generate.h. */
const char *
datagen_use_case_name(int topic, int use_case)
{
	const GenVocab *v = gen_vocab();

	if (topic < 0 || topic >= v->n_topics || use_case < 0 ||
		use_case >= v->topics[topic].n_use_cases)
		return NULL;
	return v->topics[topic].use_case_names[use_case];
}

/* See generate.h: CockroachDB 80%, hand-written 12%, pg_dump 8%. */
SqlpilotDdlStyle
datagen_pick_style(uint64_t *rng)
{
	uint64_t	r = sqlpilot_rng_below(rng, 100);

	if (r < 80)
		return SQLPILOT_DDL_CRDB;
	return r < 92 ? SQLPILOT_DDL_HANDWRITTEN : SQLPILOT_DDL_PGDUMP;
}
