/*
 * util.h — small helpers every room uses: a seeded RNG, a checksum, fp16,
 * atomic file writes, log-sum-exp and a growable byte buffer.
 */
#ifndef SQLPILOT_UTIL_H
#define SQLPILOT_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* SplitMix64 step: advances *state and returns the next 64 random bits. */
static inline uint64_t
sqlpilot_rng_next(uint64_t *state)
{
	uint64_t	z = (*state += 0x9E3779B97F4A7C15ULL);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

/* Uniform integer in [0, n). */
static inline uint64_t
sqlpilot_rng_below(uint64_t *state, uint64_t n)
{
	return n ? sqlpilot_rng_next(state) % n : 0;
}

/* Uniform float in [0, 1). */
static inline float
sqlpilot_rng_float(uint64_t *state)
{
	return (sqlpilot_rng_next(state) >> 40) * (1.0f / 16777216.0f);
}

/*
 * XXH64 of len bytes with a seed (the model file's checksum): four 64-bit
 * multiply-rotate lanes, several GB/s, so a 30 MB model verifies in ms.
 */
uint64_t	sqlpilot_checksum64(const void *data, size_t len, uint64_t seed);

/* IEEE half <-> single precision, round to nearest even; NaN and Inf kept. */
uint16_t	sqlpilot_fp32_to_fp16(float f);
float		sqlpilot_fp16_to_fp32(uint16_t h);

/*
 * Writes len bytes to path atomically: a temp file beside it, fsync, rename
 * (a path that exists and is no regular file, such as /dev/null, is
 * written in place).  Returns 0, or -1 with err (nothing is left behind
 * on failure).
 */
int			sqlpilot_write_file_atomic(const char *path, const void *data, size_t len,
									   char *err, size_t errlen);
/* Reads a whole file into a malloc'd buffer (NUL-terminated); NULL with err on failure. */
char	   *sqlpilot_read_file(const char *path, size_t *len, char *err, size_t errlen);

/* Monotonic wall clock in seconds. */
double		sqlpilot_now(void);

/*
 * log(sum(exp(x[i]))) over n values, stably: the maximum is taken out and
 * the exponentials summed in double.  -Inf for n == 0; NaN in gives NaN.
 */
double		sqlpilot_log_sum_exp(const float *x, int n);
/* out[i] = x[i] - log_sum_exp(x) (out may be x); returns the log-sum-exp. */
double		sqlpilot_log_softmax(float *out, const float *x, int n);

/*
 * One piece of a block of floats carved by a table: where its pointer goes
 * and how many floats it holds.  The same table sizes the block
 * (sqlpilot_carve_floats) and lays it out (sqlpilot_carve), so the two
 * cannot disagree.
 */
typedef struct SqlpilotCarve
{
	float	  **dst;
	size_t		n;
} SqlpilotCarve;

/* Floats of a block holding the n pieces in order, each 64-byte aligned. */
size_t		sqlpilot_carve_floats(const SqlpilotCarve *pieces, int n);
/*
 * Points each piece's *dst into mem (64-byte aligned) in table order and
 * returns the floats used, which is sqlpilot_carve_floats of the same table.
 */
size_t		sqlpilot_carve(float *mem, const SqlpilotCarve *pieces, int n);

/*
 * A growable byte buffer, always NUL-terminated once anything is appended.
 * Allocation failure never aborts (core code runs inside PostgreSQL
 * backends): it sets oom, later appends do nothing, and the caller checks
 * oom (or sqlpilot_buf_finish's NULL) once at the end.  Start from {0}.
 */
typedef struct SqlpilotBuf
{
	char	   *data;
	size_t		len;
	size_t		cap;
	bool		oom;			/* an allocation failed; the contents are short */
} SqlpilotBuf;

/* Makes room for n more bytes plus the NUL; false (and oom set) if it cannot. */
bool		sqlpilot_buf_reserve(SqlpilotBuf *b, size_t n);
/* Appends n bytes. */
void		sqlpilot_buf_append(SqlpilotBuf *b, const void *s, size_t n);
/* Appends a NUL-terminated string. */
void		sqlpilot_buf_puts(SqlpilotBuf *b, const char *s);
/* Appends printf-formatted text. */
void		sqlpilot_buf_printf(SqlpilotBuf *b, const char *fmt,...)
			__attribute__((format(printf, 2, 3)));
/* Empties the buffer, keeping its memory (and clearing oom). */
void		sqlpilot_buf_reset(SqlpilotBuf *b);
/* Frees the memory and leaves an empty buffer. */
void		sqlpilot_buf_free(SqlpilotBuf *b);
/*
 * Hands the contents over as a malloc'd string (the empty string if nothing
 * was appended) and leaves b empty; NULL (memory freed) after oom.
 */
char	   *sqlpilot_buf_finish(SqlpilotBuf *b, size_t *len);

#endif							/* SQLPILOT_UTIL_H */
