/*
 * generate.h — the offline generator's content: topics, use cases, schemas,
 * statements and name randomization.  datagen/cli.c drives the stages, shards,
 * validation and files; this interface is everything it asks of the content.
 * Everything is deterministic for a given seed.
 */
#ifndef SQLPILOT_DATAGEN_GENERATE_H
#define SQLPILOT_DATAGEN_GENERATE_H

#include <stdbool.h>
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

/*
 * A column's content kind: what its values look like (an e-mail, a price, a
 * status word, ...).  The statement generator draws literals from it.
 */
typedef enum DatagenColKind
{
	DATAGEN_COL_ID = 0,			/* key column (primary or foreign) */
	DATAGEN_COL_FIRST_NAME,
	DATAGEN_COL_LAST_NAME,
	DATAGEN_COL_PERSON,			/* full person name */
	DATAGEN_COL_TITLE,			/* name or title of a thing */
	DATAGEN_COL_CODE,			/* short code, SKU, reference */
	DATAGEN_COL_EMAIL,
	DATAGEN_COL_PHONE,
	DATAGEN_COL_ADDRESS,
	DATAGEN_COL_CITY,
	DATAGEN_COL_COUNTRY,
	DATAGEN_COL_URL,
	DATAGEN_COL_TEXT,			/* free text: notes, descriptions */
	DATAGEN_COL_STATUS,
	DATAGEN_COL_CATEGORY,
	DATAGEN_COL_MONEY,
	DATAGEN_COL_RATE,			/* percentage, ratio */
	DATAGEN_COL_QUANTITY,
	DATAGEN_COL_COUNT,			/* other integer */
	DATAGEN_COL_YEAR,
	DATAGEN_COL_SCORE,			/* float measurement */
	DATAGEN_COL_GEO,			/* latitude / longitude */
	DATAGEN_COL_BOOL,
	DATAGEN_COL_DATE,
	DATAGEN_COL_TIMESTAMP,
	DATAGEN_COL_TIME,
	DATAGEN_COL_UUID,
	DATAGEN_COL_JSON,
	DATAGEN_COL_DURATION,
	DATAGEN_COL_BYTES,
	DATAGEN_N_COL_KINDS
} DatagenColKind;

/*
 * A join path between two tables: child.col holds parent.col's values.
 * Declared foreign keys are links; so are undeclared ones (matching key
 * columns without a FOREIGN KEY clause, as hand-written schemas often have).
 */
typedef struct DatagenLink
{
	int			child;
	int			child_col;
	int			parent;
	int			parent_col;
} DatagenLink;

/* Most tables a generated schema has. */
#define DATAGEN_MAX_TABLES 25

/* A generated schema: 1-DATAGEN_MAX_TABLES tables, malloc'd; free with datagen_schema_free. */
typedef struct DatagenSchema
{
	int			topic;
	int			use_case;
	int			n_tables;
	SqlpilotTable *tables;
	/* generator detail (tables may be given without it: kinds are then guessed) */
	unsigned char **col_kinds;	/* [table][column] DatagenColKind, or NULL */
	int			n_links;
	DatagenLink *links;
	bool		wide;			/* of the wide share (gen_schema.c): bigger, richer, maybe quoted */
} DatagenSchema;

/* Generates the schema for a (topic, use case) pair and seed. */
void		datagen_schema_generate(DatagenSchema *out, int topic, int use_case, uint64_t seed);
void		datagen_schema_free(DatagenSchema *s);

/* Where a statement text names a table, a column or a table alias. */
typedef enum DatagenIdentWhat
{
	DATAGEN_IDENT_TABLE = 0,
	DATAGEN_IDENT_COLUMN,
	DATAGEN_IDENT_ALIAS
} DatagenIdentWhat;

typedef struct DatagenIdent
{
	uint32_t	off;			/* byte offset in the text */
	uint16_t	len;			/* bytes, quotes included */
	uint8_t		what;			/* DatagenIdentWhat */
	uint8_t		table;			/* index into DatagenSchema.tables */
	uint16_t	column;			/* column index (COLUMN) or alias slot (ALIAS) */
} DatagenIdent;

typedef struct DatagenStatement
{
	DatagenKind kind;
	int			complex;		/* 0: the "simple" half, 1: the "complex" half */
	int			wide;			/* 1: of the wide share, beyond the reference's shape */
	char	   *sql;			/* malloc'd */
	/* Not preparable (CockroachDB UPSERT): validated by a PostgreSQL rewrite instead. */
	char	   *pg_sql;			/* malloc'd PostgreSQL form used for validation, or NULL = sql */
	/* identifier positions in sql and pg_sql: randomization renames through them */
	int			n_idents;
	DatagenIdent *idents;
	int			n_pg_idents;
	DatagenIdent *pg_idents;
} DatagenStatement;

/*
 * Generates n statements over a schema with the target mix and shapes of
 * docs/data-targets.md; literals fit their column types.  Returns
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
