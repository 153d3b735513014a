/*
 * generate.c — the content interface of datagen (stubs while the content grows).
 */
#include <stdlib.h>
#include <string.h>

#include "generate.h"
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

/* Generates statements (stub: none). */
int
datagen_statements_generate(const DatagenSchema *s, uint64_t seed,
							DatagenStatement *out, int n)
{
	return 0;
}

/* Frees one statement. */
void
datagen_statement_free(DatagenStatement *st)
{
	free(st->sql);
	free(st->pg_sql);
	st->sql = NULL;
	st->pg_sql = NULL;
}

/* Renames (stub: nothing). */
void
datagen_randomize(DatagenSchema *s, DatagenStatement *st, int n, uint64_t seed)
{
}

/* Picks a DDL style. */
SqlpilotDdlStyle
datagen_pick_style(uint64_t *rng)
{
	return SQLPILOT_DDL_CRDB;
}
