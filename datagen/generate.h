/*
 * generate.h — the offline generator's content: topics, use cases, schemas,
 * statements and name randomization.  datagen/cli.c drives the stages, shards,
 * validation and files; this interface is everything it asks of the content.
 * Everything is deterministic for a given seed.
 */
#ifndef SQLPILOT_DATAGEN_GENERATE_H
#define SQLPILOT_DATAGEN_GENERATE_H

#include <stdint.h>

#include "schema.h"

typedef enum DatagenKind
{
	DATAGEN_SELECT = 0,
	DATAGEN_INSERT,
	DATAGEN_UPDATE,
	DATAGEN_DELETE,
	DATAGEN_TRUNCATE,
	DATAGEN_UPSERT,				/* INSERT ... ON CONFLICT, or CockroachDB UPSERT */
	DATAGEN_N_KINDS
} DatagenKind;

extern const char *const datagen_kind_names[DATAGEN_N_KINDS];	/* "select", ... */

/* Topics (application domains) and their use cases. */
int			datagen_n_topics(void);
const char *datagen_topic_name(int topic);
int			datagen_n_use_cases(int topic);
const char *datagen_use_case_name(int topic, int use_case);

/* A generated schema: 1-5 tables, malloc'd; free with datagen_schema_free. */
typedef struct DatagenSchema
{
	int			topic;
	int			use_case;
	int			n_tables;
	SqlpilotTable *tables;
} DatagenSchema;

/* Generates the schema for a (topic, use case) pair and seed. */
void		datagen_schema_generate(DatagenSchema *out, int topic, int use_case, uint64_t seed);
void		datagen_schema_free(DatagenSchema *s);

typedef struct DatagenStatement
{
	DatagenKind kind;
	int			complex;		/* 0: the "simple" half, 1: the "complex" half */
	char	   *sql;			/* malloc'd */
	/* Not preparable (CockroachDB UPSERT): validated by a PostgreSQL rewrite instead. */
	char	   *pg_sql;			/* malloc'd PostgreSQL form used for validation, or NULL = sql */
} DatagenStatement;

/*
 * Generates n statements over a schema with the target mix and shapes of
 * shared/reference-sql-stats.md; literals fit their column types.  Returns
 * the number written to out (<= n).
 */
int			datagen_statements_generate(const DatagenSchema *s, uint64_t seed,
										DatagenStatement *out, int n);
void		datagen_statement_free(DatagenStatement *st);

/*
 * Name randomization: renames tables and columns consistently in the schema
 * and in the statements (identifier boundaries only: keywords, types and
 * constraint clauses are never renamed), shuffles column order.  Modifies s
 * and the statements in place.
 */
void		datagen_randomize(DatagenSchema *s, DatagenStatement *st, int n, uint64_t seed);

/* Picks the schema text style for a training example (mostly CockroachDB). */
SqlpilotDdlStyle datagen_pick_style(uint64_t *rng);

#endif							/* SQLPILOT_DATAGEN_GENERATE_H */
