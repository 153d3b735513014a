/*
 * pq.c — a query on a libpq connection, bounded by a deadline (see pq.h).
 * Shared by the psql hook (psql's own connection) and `sqlpilot complete
 * --dsn`.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <time.h>

#include "pq.h"

/* Cancel requests whose thread has not returned yet (the server has not closed them). */
static int	cancels_running = 0;

double
sqlpilot_pq_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Body of a cancel thread: PQcancel connects to the server and waits, without a limit, for it to close. */
static void *
CancelThread(void *arg)
{
	PGcancel   *cancel = arg;
	char		buf[256];

	PQcancel(cancel, buf, sizeof(buf));
	PQfreeCancel(cancel);
	__atomic_sub_fetch(&cancels_running, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

void
sqlpilot_pq_cancel(PGconn *conn)
{
	PGcancel   *cancel = PQgetCancel(conn);
	pthread_attr_t attr;
	pthread_t	thread;
	sigset_t	all;
	sigset_t	old;

	if (cancel == NULL)
		return;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	__atomic_add_fetch(&cancels_running, 1, __ATOMIC_SEQ_CST);
	if (pthread_create(&thread, &attr, CancelThread, cancel) != 0)
	{
		__atomic_sub_fetch(&cancels_running, 1, __ATOMIC_SEQ_CST);
		PQfreeCancel(cancel);
	}
	pthread_attr_destroy(&attr);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

int
sqlpilot_pq_cancels_running(void)
{
	return __atomic_load_n(&cancels_running, __ATOMIC_SEQ_CST);
}

/*
 * Waits until the next result of the query in flight on conn can be read
 * without blocking (or the connection broke, which PQgetResult then says);
 * false past deadline_ms (0: no deadline).
 */
static bool
WaitReady(PGconn *conn, double deadline_ms, const sigset_t *wait_mask)
{
	for (;;)
	{
		struct pollfd pfd = {PQsocket(conn), POLLIN, 0};
		struct timespec ts = {1, 0};

		if (!PQconsumeInput(conn) || !PQisBusy(conn) || pfd.fd < 0)
			return true;
		if (deadline_ms > 0)
		{
			double		left = deadline_ms - sqlpilot_pq_now_ms();

			if (left <= 0)
				return false;
			if (left < 1000)
			{
				ts.tv_sec = 0;
				ts.tv_nsec = (long) (left * 1e6) + 1;
			}
		}
		if (ppoll(&pfd, 1, &ts, wait_mask) < 0 && errno != EINTR)
			return true;
	}
}

bool
sqlpilot_pq_read(PGconn *conn, double deadline_ms, const sigset_t *wait_mask,
				 PGresult **res, int max, int *n)
{
	PGresult   *r;

	for (;;)
	{
		if (!WaitReady(conn, deadline_ms, wait_mask))
			return false;
		if ((r = PQgetResult(conn)) == NULL)
			return true;
		if (res != NULL && *n < max)
			res[(*n)++] = r;
		else
			PQclear(r);
	}
}
