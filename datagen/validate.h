/*
 * validate.h — checks generated SQL against a real PostgreSQL 15 server.
 *
 * A schema's pg_dump-style DDL is loaded into a scratch schema inside one
 * transaction; each statement is then prepared (protocol-level Parse, the
 * same parse analysis as SQL PREPARE) or, for TRUNCATE, which cannot be
 * prepared, executed; the transaction is rolled back, so the server keeps
 * nothing.  A schema and its statements usually go out in one round trip
 * (libpq pipeline mode); each statement is judged alone (pipeline/validate.c).
 *
 * When no connection string is given, datagen starts a throwaway server:
 * initdb in a temporary directory, unix socket only (listen_addresses = ''),
 * running as the postgres user when we are root.
 */
#ifndef SQLPILOT_DATAGEN_VALIDATE_H
#define SQLPILOT_DATAGEN_VALIDATE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "generate.h"
#include "schema.h"

#define DATAGEN_PG_BINDIR "/usr/lib/postgresql/15/bin"

/* A throwaway PostgreSQL server (see datagen_server_start). */
typedef struct DatagenServer
{
	pid_t		pid;			/* the postmaster, 0 when none */
	char		dir[256];		/* temporary directory: data/, socket, logs */
	char		conninfo[512];	/* how to reach it */
} DatagenServer;

/*
 * Starts a throwaway server (initdb + postgres on a unix socket in a new
 * temporary directory) and waits until it accepts connections.  The server
 * dies with this process (parent-death signal).  Returns 0, or -1 with err.
 */
int			datagen_server_start(DatagenServer *srv, char *err, size_t errlen);
/* Stops the server and removes its directory; safe to call twice. */
void		datagen_server_stop(DatagenServer *srv);

/* One connection used to validate statements. */
typedef struct DatagenValidator
{
	struct pg_conn *conn;
	char		scratch[64];	/* scratch schema name (unique per connection) */
} DatagenValidator;

/*
 * Connects (conninfo as for libpq) and prepares the session.  Returns 0, or
 * -1 with a clear message in err (unreachable server, bad credentials, ...).
 */
int			datagen_validator_open(DatagenValidator *v, const char *conninfo,
								   char *err, size_t errlen);
void		datagen_validator_close(DatagenValidator *v);

/* Name of the scratch schema the DDL given to datagen_validate must create its tables in. */
const char *datagen_validator_scratch(const DatagenValidator *v);

/*
 * Renders tables as pg_dump DDL with each table, and each foreign key's
 * target, in the validator's scratch schema: the ddl datagen_validate wants.
 * The tables are left as they were.  malloc'd; NULL when out of memory.
 */
char	   *datagen_validator_ddl(const DatagenValidator *v, SqlpilotTable *tables, int n_tables);

/*
 * Loads ddl (one or more statements, its tables qualified with the scratch
 * schema) and checks n statements against it.  execute[i] true means run it
 * (TRUNCATE) instead of preparing it.  Sets ok[i]; when msgs is not NULL,
 * msgs[i] gets a malloc'd first line of the server's error for rejected
 * statements (NULL for accepted ones).
 * Returns 0 when the DDL loaded (statements may still be rejected), 1 when
 * the server rejected the DDL itself (every ok[i] false, err says why), or
 * -1 when the connection failed (err says why; the validator is unusable).
 */
int			datagen_validate(DatagenValidator *v, const char *ddl,
							 const char *const *sqls, const bool *execute, int n,
							 bool *ok, char **msgs, char *err, size_t errlen);

/*
 * datagen_validate of n generated statements over schema s (rendered by
 * datagen_validator_ddl): each statement's pg_sql when it has one, else its
 * sql; TRUNCATE executed.  Returns datagen_validate's code (-1 also when out
 * of memory, err says so).
 */
int			datagen_validate_statements(DatagenValidator *v, DatagenSchema *s,
										const DatagenStatement *st, int n, bool *ok,
										char **msgs, char *err, size_t errlen);

#endif							/* SQLPILOT_DATAGEN_VALIDATE_H */
