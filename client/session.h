/*
 * session.h — completion in the client: the model runs in the calling
 * process (psql with the hook, `sqlpilot complete --dsn`) on the schema read
 * over the caller's connection (client/catalog.c), with the core's prompt,
 * renderer and completion.  The typed text never leaves the process.
 *
 * The schema is cached: read again when it is older than a given age or was
 * marked stale (DDL in this session), and only when the session is idle;
 * meanwhile the cached one serves.
 */
#ifndef SQLPILOT_CLIENT_SESSION_H
#define SQLPILOT_CLIENT_SESSION_H

#include <stdbool.h>
#include <stddef.h>

#include <libpq-fe.h>

#include "catalog.h"
#include "complete.h"
#include "model.h"

/* Prompt tokens at most (the extension's default of sqlpilot.max_prompt_tokens). */
#define SQLPILOT_CLIENT_MAX_PROMPT_TOKENS 2048
#define SQLPILOT_CLIENT_DEFAULT_MAX_TOKENS 16
/* After a read that failed or was given up, the next one waits this long (ms). */
#define SQLPILOT_CLIENT_RETRY_MS 5000
/* Beams sqlpilot_client_warm prepares at most. */
#define SQLPILOT_CLIENT_MAX_WARM 16

typedef struct SqlpilotClient
{
	SqlpilotModel model;
	SqlpilotRunState state;
	bool		model_ok;
	int			max_tokens;		/* tokens generated per completion */
	bool		grounding;		/* SqlpilotCompleteOptions.grounding */

	PGconn	   *conn;			/* the connection the schema below came from */
	SqlpilotServerKind kind;
	SqlpilotClientSchema schema;
	bool		have_schema;
	bool		stale;			/* DDL was run: read again when the session is idle */
	double		read_at_ms;		/* when it was read (sqlpilot_pq_now_ms) */
	double		retry_at_ms;	/* after a failed read: no other before this */
	char	   *full;			/* every table rendered, or NULL until needed */
	size_t		full_len;
	int		   *table_tokens;	/* (n_tables) tokens of each table alone; -1 = not counted */
} SqlpilotClient;

/* Loads the model at path; -1 with err when it is missing or bad. */
int			sqlpilot_client_open(SqlpilotClient *c, const char *path, char *err, size_t errlen);
void		sqlpilot_client_close(SqlpilotClient *c);

/*
 * Reads the schema over conn when needed and possible: another connection
 * than last time, nothing read yet, marked stale, or older than max_age_ms;
 * and the session idle; not within SQLPILOT_CLIENT_RETRY_MS of a read that
 * failed.  See sqlpilot_client_read_schema for timeout_ms,
 * deadline_ms and what GIVEN_UP leaves on conn.  SKIPPED: nothing was needed
 * or possible; the cached schema (if any) serves.
 */
SqlpilotReadStatus sqlpilot_client_refresh(SqlpilotClient *c, PGconn *conn, int max_age_ms,
										   int timeout_ms, double deadline_ms,
										   char *err, size_t errlen);

/* Forgets what was read over conn (it closed, or is a new session). */
void		sqlpilot_client_forget(SqlpilotClient *c, PGconn *conn);

/*
 * Completes prefix (UTF-8) with the cached schema (none yet: an empty one),
 * the tables chosen to fit the prompt; up to n completions, best first,
 * into out (sqlpilot_completion_free); n 1: the statement as
 * SQLPILOT_BEAM_WIDTH_STATEMENT decodes it.  Returns how many, or -1 with err.
 */
int			sqlpilot_client_complete(SqlpilotClient *c, const char *prefix, int n,
									 SqlpilotCompletion *out, char *err, size_t errlen);

/*
 * For idle time (psql waiting at its prompt): unless the model's KV cache
 * holds the schema part of the prompt already, runs the prompt of an empty
 * statement and one step of n beams (at most SQLPILOT_CLIENT_MAX_WARM), so
 * that the next completion of n finds the schema run and its beams' run
 * states made, and only runs the typed text.  Sends nothing.  0, or -1 with err.
 */
int			sqlpilot_client_warm(SqlpilotClient *c, int n, char *err, size_t errlen);

/*
 * The schema text the last sqlpilot_client_complete would use for prefix
 * (malloc'd), for tests and `sqlpilot complete --show-schema`; NULL with err.
 */
char	   *sqlpilot_client_schema_text(SqlpilotClient *c, const char *prefix, size_t *len,
										char *err, size_t errlen);

#endif							/* SQLPILOT_CLIENT_SESSION_H */
