/*
 * tables_split.h — the one splitter of a schema text into its tables, used
 * wherever a schema text is cut into tables: the trainer (a big schema's
 * examples keep a choice of tables), eval (the prompt's choice of tables,
 * and the scratch schema of --pg) and the checks of core/checked.h.
 *
 * A statement starts at a line beginning with CREATE or ALTER; CREATE TABLE
 * x starts table x, ALTER TABLE x and CREATE INDEX ... ON x go with x,
 * anything else (types, sequences, comments) with the next table.
 */
#ifndef SQLPILOT_TABLES_SPLIT_H
#define SQLPILOT_TABLES_SPLIT_H

#include <stddef.h>

#include "util.h"

/* One table of a schema text: its CREATE TABLE and the statements about it. */
typedef struct SqlpilotSchemaTable
{
	SqlpilotBuf text;			/* its statements joined by a blank line, trailing space trimmed */
	char	   *name;			/* as SQL means it (sqlpilot_tables_name_of) */
} SqlpilotSchemaTable;

/*
 * Splits schema (len bytes) into its tables, in the order of the text.
 * Returns the count (*out malloc'd, free with sqlpilot_tables_split_free;
 * 0 when no line starts a CREATE TABLE) or -1 out of memory.
 */
int			sqlpilot_tables_split(const char *schema, size_t len, SqlpilotSchemaTable **out);
void		sqlpilot_tables_split_free(SqlpilotSchemaTable *t, int n);

#endif							/* SQLPILOT_TABLES_SPLIT_H */
