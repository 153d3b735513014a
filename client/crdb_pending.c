/*
 * crdb_pending.c — a stand-in for client/crdb.c (branch crdb, written in
 * parallel) so the tree links before the merge.  The integrator deletes this
 * file when client/crdb.c arrives: both define the same symbol, so keeping
 * both fails the link loudly.
 */
#include <stdio.h>

#include "schema.h"

int			sqlpilot_crdb_parse_create_table(const char *text, size_t len, SqlpilotTable *out,
											 char *err, size_t errlen);

/* Parses nothing: CockroachDB's SHOW CREATE TABLE text is read by client/crdb.c. */
int
sqlpilot_crdb_parse_create_table(const char *text, size_t len, SqlpilotTable *out,
								 char *err, size_t errlen)
{
	snprintf(err, errlen, "CockroachDB tables are not parsed in this build");
	return -1;
}
