/*
 * bench_util.h — the small helpers the C benchmarks share: CPU time of the
 * process and a nearest-rank quantile.  Header-only (static functions), so
 * each bench stays one object linked against the core.
 */
#ifndef SQLPILOT_BENCH_UTIL_H
#define SQLPILOT_BENCH_UTIL_H

#include <stdlib.h>
#include <time.h>

/* CPU time of this process in ms (the machine is shared: wall time also waits for the CPU). */
static inline double
bench_cpu_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

/* Ascending double comparison for qsort. */
static inline int
bench_compare_doubles(const void *a, const void *b)
{
	double		x = *(const double *) a;
	double		y = *(const double *) b;

	return (x > y) - (x < y);
}

/* The q-quantile (0..1) of v[0..n), n >= 1, nearest rank; sorts v in place. */
static inline double
bench_quantile(double *v, int n, double q)
{
	int			k = (int) (q * n + 0.999999) - 1;

	qsort(v, (size_t) n, sizeof(double), bench_compare_doubles);
	return v[k < 0 ? 0 : (k >= n ? n - 1 : k)];
}

#endif
