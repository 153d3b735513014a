/*
 * import.h — `sqlpilot datagen import`: an LLM-written corpus in the public
 * SQLPilot data layout (data/tons_of_tables/<i>_<slug>/<d>.json and
 * data/diverse_statements/<i>_<slug>/<d>/<kind>.json) turned into the
 * generator's own files: its DDL converted to PostgreSQL, every statement
 * checked with the generator's validator, the accepted ones written as the
 * generator's raw/ shards (names randomized by its randomizer), whole use
 * cases held out as eval.jsonl.  See datagen/README.md, "Importing a corpus".
 */
#ifndef SQLPILOT_DATAGEN_IMPORT_H
#define SQLPILOT_DATAGEN_IMPORT_H

#include <stdbool.h>
#include <stddef.h>

#include "generate.h"
#include "pipeline.h"

/* The DDL forms the conversion meets: each is converted, or dropped, and counted. */
typedef enum DatagenImportForm
{
	IMPORT_FORM_CRDB_TYPE = 0,	/* INT8, INT4, STRING, BYTES, FLOAT8, ... */
	IMPORT_FORM_MYSQL_TYPE,		/* DATETIME, TINYINT, BLOB, DOUBLE, INT(11), UNSIGNED, ... */
	IMPORT_FORM_SERIAL,			/* SERIAL, BIGSERIAL */
	IMPORT_FORM_AUTO_INCREMENT, /* MySQL AUTO_INCREMENT: made serial */
	IMPORT_FORM_IDENTITY,		/* GENERATED ... AS IDENTITY: made serial */
	IMPORT_FORM_UNIQUE_ROWID,	/* CockroachDB DEFAULT unique_rowid(): made serial */
	IMPORT_FORM_ENUM,			/* ENUM('a', ...) or CREATE TYPE AS ENUM: text + CHECK */
	IMPORT_FORM_ARRAY,			/* T[], ARRAY<T>, T ARRAY */
	IMPORT_FORM_CRDB_CAST,		/* CockroachDB ':::type' casts in defaults: dropped */
	IMPORT_FORM_ON_UPDATE,		/* MySQL column ON UPDATE ...: dropped */
	IMPORT_FORM_COMMENT,		/* COMMENT '...', COLLATE, CHARACTER SET: dropped */
	IMPORT_FORM_TABLE_OPTIONS,	/* ENGINE=..., DEFAULT CHARSET=... after the table: dropped */
	IMPORT_FORM_INLINE_INDEX,	/* INDEX / KEY / UNIQUE INDEX name (cols) inside CREATE TABLE */
	IMPORT_FORM_CREATE_INDEX,	/* a separate CREATE INDEX */
	IMPORT_FORM_FAMILY,			/* CockroachDB FAMILY: dropped */
	IMPORT_FORM_INDEX_DROPPED,	/* INVERTED / FULLTEXT / SPATIAL or expression index: dropped */
	IMPORT_FORM_STORING,		/* CockroachDB STORING (...), USING HASH/BTREE: dropped */
	IMPORT_FORM_KEY_ORDER,		/* PRIMARY KEY (a ASC) */
	IMPORT_FORM_PRIMARY_NAME,	/* CONSTRAINT "primary" and other key names: left to the renderer */
	IMPORT_FORM_BACKQUOTE,		/* MySQL `name` */
	IMPORT_FORM_QUOTED_NAME,	/* "name" */
	IMPORT_FORM_IF_NOT_EXISTS,
	IMPORT_FORM_MULTI_CREATE,	/* several statements in one table_schema entry */
	IMPORT_FORM_OTHER_STATEMENT,	/* CREATE DATABASE, USE, SET, DROP, SHOW, ...: ignored */
	IMPORT_FORM_NO_CREATE,		/* an entry without CREATE TABLE (prose, a column list): ignored */
	IMPORT_FORM_DUPLICATE_TABLE,	/* a table defined twice: the first kept */
	IMPORT_FORM_FKEY_NO_TABLE,	/* foreign key to a table not in the schema: dropped */
	IMPORT_FORM_FKEY_NOT_KEY,	/* foreign key to columns that are no key, or of another type: dropped */
	IMPORT_FORM_KEY_NO_COLUMN,	/* key, index or foreign key naming a column the table lacks: dropped */
	IMPORT_FORM_MULTI_PRIMARY,	/* several PRIMARY KEYs: one composite key */
	IMPORT_FORM_GENERATED,		/* computed column (GENERATED ALWAYS AS (...), AS (...) STORED): expression dropped */
	IMPORT_FORM_FKEY_TWICE,		/* a second foreign key on the same columns: dropped (its derived name would clash) */
	IMPORT_FORM_MISSING_COMMA,	/* "col TEXT FOREIGN KEY (...)": a table constraint after a column without its comma */
	IMPORT_FORM_LITERAL_NEWLINE,	/* a literal backslash-n for a line break */
	IMPORT_FORM_CHECK_DROPPED,	/* CHECK not starting with a column's name: dropped (renaming could not follow it) */
	IMPORT_N_FORMS
} DatagenImportForm;

extern const char *const datagen_import_form_names[IMPORT_N_FORMS];

/* How often each form was met (per schema, then added up). */
typedef struct DatagenImportForms
{
	long		n[IMPORT_N_FORMS];
} DatagenImportForms;

/* Most tables a schema may have (identifier positions keep a table index in a byte). */
#define DATAGEN_IMPORT_MAX_TABLES 64

/*
 * Converts one corpus schema (its n table_schema texts) into s: tables with
 * columns in format_type() spelling, keys, indexes, foreign keys and checks,
 * names as written (fold_case), schema "public".  forms (may be NULL) counts
 * what was converted.  Returns 0, or -1 with a short reason in err (the same
 * text for the same cause, so reasons can be tallied), or -2 when memory ran
 * out (err "out of memory": not a property of the schema).
 */
int			datagen_import_schema(const char *const *texts, int n, DatagenSchema *s,
								  DatagenImportForms *forms, char *err, size_t errlen);

/* What `sqlpilot datagen import` is given. */
typedef struct DatagenImportOptions
{
	const char *from;			/* the corpus: DIR/data/... or DIR/... */
	int			holdout_mod;	/* use case d is held out when d % mod == rem (mod 0: none) */
	int			holdout_rem;
	long		limit;			/* import only the first N use cases (0: all); for trials */
} DatagenImportOptions;

/*
 * Runs the import into o->out (seed, shard size, jobs, progress and pg from
 * o; the rest from io).  conninfo: the validating server.  Returns 0, or -1
 * with err.
 */
int			datagen_import(DatagenOptions *o, const DatagenImportOptions *io, const char *conninfo,
						   char *err, size_t errlen);

#endif							/* SQLPILOT_DATAGEN_IMPORT_H */
