/*
 * tap_pg.h — the throwaway PostgreSQL server and validator (datagen/validate.h)
 * that the C tests checking SQL against a real server share: started once per
 * test program, skipped (one "# SKIP" line) when no server can start here.
 * Include after tap.h.
 */
#ifndef SQLPILOT_TAP_PG_H
#define SQLPILOT_TAP_PG_H

#include <stdbool.h>

#include "../datagen/validate.h"

/* Starts a server and connects v to it; false (having said why, nothing left running) when not. */
static inline bool
tap_pg_open(DatagenServer *srv, DatagenValidator *v)
{
	char		err[512];

	if (datagen_server_start(srv, err, sizeof(err)) != 0)
	{
		tap_diag("no PostgreSQL server: %s", err);
		tap_ok(1, "# SKIP cannot start a throwaway PostgreSQL server");
		return false;
	}
	if (datagen_validator_open(v, srv->conninfo, err, sizeof(err)) != 0)
	{
		tap_ok(0, "connect to the throwaway server: %s", err);
		datagen_server_stop(srv);
		return false;
	}
	return true;
}

/* Closes v and stops the server. */
static inline void
tap_pg_close(DatagenServer *srv, DatagenValidator *v)
{
	datagen_validator_close(v);
	datagen_server_stop(srv);
}

#endif							/* SQLPILOT_TAP_PG_H */
