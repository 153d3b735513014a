/*
 * tap.h — the few TAP helpers the C test programs share: each check prints
 * "ok N - name" or "not ok N - name"; tests/run counts them.
 */
#ifndef SQLPILOT_TAP_H
#define SQLPILOT_TAP_H

#include <stdarg.h>
#include <stdio.h>

static int	tap_count = 0;
static int	tap_failed = 0;

/* Reports one check; returns cond so callers can skip dependent checks. */
static inline int
tap_ok(int cond, const char *fmt,...)
{
	va_list		ap;

	tap_count++;
	if (!cond)
		tap_failed++;
	printf("%sok %d - ", cond ? "" : "not ", tap_count);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	return cond;
}

/* A diagnostic line (ignored by the runner). */
static inline void
tap_diag(const char *fmt,...)
{
	va_list		ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

/* Prints the plan and returns the exit status for main(). */
static inline int
tap_done(void)
{
	printf("1..%d\n", tap_count);
	return tap_failed ? 1 : 0;
}

#endif							/* SQLPILOT_TAP_H */
