/*
 * pq.h — running a query on someone else's libpq connection without ever
 * waiting past a deadline: the query is sent without blocking, its results
 * are read while polling the socket, and past the deadline it is cancelled
 * from a thread of its own (PQcancel waits without a limit for the server to
 * close its connection, which a stopped postmaster never does).
 */
#ifndef SQLPILOT_CLIENT_PQ_H
#define SQLPILOT_CLIENT_PQ_H

#include <signal.h>
#include <stdbool.h>

#include <libpq-fe.h>

/* Milliseconds on the monotonic clock. */
double		sqlpilot_pq_now_ms(void);

/*
 * Asks the server to cancel the query running on conn, from a detached
 * thread with every signal blocked; returns at once.
 */
void		sqlpilot_pq_cancel(PGconn *conn);

/* Cancel requests sent by sqlpilot_pq_cancel whose thread has not returned yet. */
int			sqlpilot_pq_cancels_running(void);

/*
 * Reads the results of the query in flight on conn to its end, keeping the
 * first max of them in res[] (*n of them; the caller PQclears them) and
 * clearing the rest; false when deadline_ms (0: none) came first, the query
 * still running.  The signals of wait_mask (may be NULL) are let in only
 * while sleeping.
 */
bool		sqlpilot_pq_read(PGconn *conn, double deadline_ms, const sigset_t *wait_mask,
							 PGresult **res, int max, int *n);

#endif							/* SQLPILOT_CLIENT_PQ_H */
