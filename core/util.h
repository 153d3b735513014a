/*
 * util.h — small helpers every room uses: a seeded RNG, a checksum, fp16,
 * atomic file writes and a progress line.
 */
#ifndef SQLPILOT_UTIL_H
#define SQLPILOT_UTIL_H

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
 * Writes len bytes to path atomically: a temp file beside it, fsync, rename.
 * Returns 0, or -1 with err (nothing is left behind on failure).
 */
int			sqlpilot_write_file_atomic(const char *path, const void *data, size_t len,
									   char *err, size_t errlen);
/* Reads a whole file into a malloc'd buffer (NUL-terminated); NULL with err on failure. */
char	   *sqlpilot_read_file(const char *path, size_t *len, char *err, size_t errlen);

/* Monotonic wall clock in seconds. */
double		sqlpilot_now(void);

#endif							/* SQLPILOT_UTIL_H */
