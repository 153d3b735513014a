/*
 * util.c — atomic file writes, whole-file reads, the clock, log-sum-exp,
 * the growable byte buffer, the XXH64 checksum and fp16 conversion (see util.h).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Writes all len bytes of data to fd (name for the error); 0, or -1 with err. */
static int
write_all(int fd, const char *name, const void *data, size_t len, char *err, size_t errlen)
{
	const char *p = data;
	size_t		left = len;

	while (left > 0)
	{
		ssize_t		n = write(fd, p, left);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
		{
			snprintf(err, errlen, "cannot write \"%s\": %s", name,
					 n < 0 ? strerror(errno) : "short write");
			return -1;
		}
		p += n;
		left -= (size_t) n;
	}
	return 0;
}

/*
 * Writes to "<path>.tmp.<pid>", fsyncs, renames over path, fsyncs the
 * directory.  A path that exists and is no regular file (/dev/null,
 * /dev/stdout, a pipe) is written in place: a rename would replace it.
 */
int
sqlpilot_write_file_atomic(const char *path, const void *data, size_t len,
						   char *err, size_t errlen)
{
	size_t		plen = strlen(path);
	char	   *tmp;
	struct stat st;
	int			fd;

	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode))
	{
		fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
		if (fd < 0)
		{
			snprintf(err, errlen, "cannot open \"%s\": %s", path, strerror(errno));
			return -1;
		}
		if (write_all(fd, path, data, len, err, errlen) != 0)
		{
			close(fd);
			return -1;
		}
		if (close(fd) != 0)
		{
			snprintf(err, errlen, "cannot close \"%s\": %s", path, strerror(errno));
			return -1;
		}
		return 0;
	}
	tmp = malloc(plen + 32);
	if (!tmp)
	{
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	snprintf(tmp, plen + 32, "%s.tmp.%d", path, (int) getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
	{
		snprintf(err, errlen, "cannot create \"%s\": %s", tmp, strerror(errno));
		free(tmp);
		return -1;
	}
	if (write_all(fd, tmp, data, len, err, errlen) != 0)
	{
		close(fd);
		unlink(tmp);
		free(tmp);
		return -1;
	}
	if (fsync(fd) != 0 || close(fd) != 0)
	{
		snprintf(err, errlen, "cannot flush \"%s\": %s", tmp, strerror(errno));
		unlink(tmp);
		free(tmp);
		return -1;
	}
	if (rename(tmp, path) != 0)
	{
		snprintf(err, errlen, "cannot rename \"%s\" to \"%s\": %s", tmp, path, strerror(errno));
		unlink(tmp);
		free(tmp);
		return -1;
	}
	free(tmp);

	/* Make the rename itself durable. */
	{
		char	   *dir = strdup(path);
		char	   *slash = dir ? strrchr(dir, '/') : NULL;
		int			dfd;

		if (dir)
		{
			if (slash)
				*slash = '\0';
			dfd = open(slash ? (dir[0] ? dir : "/") : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			if (dfd >= 0)
			{
				(void) fsync(dfd);
				close(dfd);
			}
			free(dir);
		}
	}
	return 0;
}

/* Reads a whole file; the buffer has one extra NUL byte so text can be used as a C string. */
char *
sqlpilot_read_file(const char *path, size_t *len, char *err, size_t errlen)
{
	FILE	   *f = fopen(path, "rb");
	char	   *buf = NULL;
	size_t		cap = 0,
				n = 0;

	if (!f)
	{
		snprintf(err, errlen, "cannot open \"%s\": %s", path, strerror(errno));
		return NULL;
	}
	for (;;)
	{
		size_t		got;

		if (n + 65536 + 1 > cap)
		{
			size_t		ncap = cap ? cap * 2 : 1 << 20;
			char	   *nb = realloc(buf, ncap);

			if (!nb)
			{
				snprintf(err, errlen, "out of memory reading \"%s\"", path);
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = nb;
			cap = ncap;
		}
		got = fread(buf + n, 1, cap - n - 1, f);
		n += got;
		if (got == 0)
			break;
	}
	if (ferror(f))
	{
		snprintf(err, errlen, "cannot read \"%s\": %s", path, strerror(errno));
		free(buf);
		fclose(f);
		return NULL;
	}
	fclose(f);
	buf[n] = '\0';
	if (len)
		*len = n;
	return buf;
}

/* CLOCK_MONOTONIC in seconds. */
double
sqlpilot_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Max taken out first so no exponential overflows; the sum is kept in double. */
double
sqlpilot_log_sum_exp(const float *x, int n)
{
	float		mx = -INFINITY;
	double		sum = 0.0;

	if (n <= 0)
		return -INFINITY;
	for (int i = 0; i < n; i++)
		if (x[i] > mx)
			mx = x[i];
	for (int i = 0; i < n; i++)
		sum += exp((double) x[i] - mx);
	return mx + log(sum);
}

/* The log-sum-exp in float, then one subtraction a value. */
double
sqlpilot_log_softmax(float *out, const float *x, int n)
{
	double		lse = sqlpilot_log_sum_exp(x, n);
	float		flse = (float) lse;

	for (int i = 0; i < n; i++)
		out[i] = x[i] - flse;
	return lse;
}

/* Floats one piece occupies: its size rounded up to 16 floats, so the next stays 64-byte aligned. */
static size_t
carve_piece(size_t n)
{
	return (n + 15) / 16 * 16;
}

/* Sums the rounded pieces. */
size_t
sqlpilot_carve_floats(const SqlpilotCarve *pieces, int n)
{
	size_t		total = 0;

	for (int i = 0; i < n; i++)
		total += carve_piece(pieces[i].n);
	return total;
}

/* Walks the table with the same rounding as sqlpilot_carve_floats. */
size_t
sqlpilot_carve(float *mem, const SqlpilotCarve *pieces, int n)
{
	size_t		off = 0;

	for (int i = 0; i < n; i++)
	{
		*pieces[i].dst = mem + off;
		off += carve_piece(pieces[i].n);
	}
	return off;
}

/* Doubles the capacity (from 256 bytes) until n more bytes and the NUL fit. */
bool
sqlpilot_buf_reserve(SqlpilotBuf *b, size_t n)
{
	size_t		cap;
	char	   *p;

	if (b->oom)
		return false;
	if (b->len + n + 1 <= b->cap)
		return true;
	cap = b->cap ? b->cap * 2 : 256;
	while (cap < b->len + n + 1)
		cap *= 2;
	p = realloc(b->data, cap);
	if (!p)
	{
		b->oom = true;
		return false;
	}
	b->data = p;
	b->cap = cap;
	return true;
}

/* memcpy after a reserve; nothing after an allocation failure. */
void
sqlpilot_buf_append(SqlpilotBuf *b, const void *s, size_t n)
{
	if (!sqlpilot_buf_reserve(b, n))
		return;
	memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len] = '\0';
}

/* strlen, then append. */
void
sqlpilot_buf_puts(SqlpilotBuf *b, const char *s)
{
	sqlpilot_buf_append(b, s, strlen(s));
}

/* Formats into the free space, growing once and formatting again if it did not fit. */
void
sqlpilot_buf_printf(SqlpilotBuf *b, const char *fmt,...)
{
	va_list		ap;
	int			n;

	if (!sqlpilot_buf_reserve(b, 0))
		return;
	va_start(ap, fmt);
	n = vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	if (n < 0)
	{
		b->data[b->len] = '\0';
		return;
	}
	if ((size_t) n >= b->cap - b->len)
	{
		if (!sqlpilot_buf_reserve(b, (size_t) n))
		{
			b->data[b->len] = '\0';
			return;
		}
		va_start(ap, fmt);
		vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
	}
	b->len += (size_t) n;
}

/* Keeps the memory for the next use. */
void
sqlpilot_buf_reset(SqlpilotBuf *b)
{
	b->len = 0;
	b->oom = false;
	if (b->data)
		b->data[0] = '\0';
}

/* free() and zero. */
void
sqlpilot_buf_free(SqlpilotBuf *b)
{
	free(b->data);
	memset(b, 0, sizeof(*b));
}

/* The caller owns the returned string; b is left empty either way. */
char *
sqlpilot_buf_finish(SqlpilotBuf *b, size_t *len)
{
	char	   *r;

	if (sqlpilot_buf_reserve(b, 0))
		b->data[b->len] = '\0';
	r = b->oom ? NULL : b->data;
	if (len)
		*len = r ? b->len : 0;
	if (!r)
		free(b->data);
	memset(b, 0, sizeof(*b));
	return r;
}

#define XXH_P1 0x9E3779B185EBCA87ULL
#define XXH_P2 0xC2B2AE3D27D4EB4FULL
#define XXH_P3 0x165667B19E3779F9ULL
#define XXH_P4 0x85EBCA77C2B2AE63ULL
#define XXH_P5 0x27D4EB2F165667C5ULL

/* Rotates a 64-bit value left by r bits. */
static inline uint64_t
rotl64(uint64_t x, int r)
{
	return (x << r) | (x >> (64 - r));
}

/* Little-endian 64-bit load from any alignment (one mov on x86). */
static inline uint64_t
load_le64(const unsigned char *p)
{
	uint64_t	v;

	memcpy(&v, p, sizeof(v));
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	v = __builtin_bswap64(v);
#endif
	return v;
}

/* Little-endian 32-bit load from any alignment. */
static inline uint32_t
load_le32(const unsigned char *p)
{
	uint32_t	v;

	memcpy(&v, p, sizeof(v));
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	v = __builtin_bswap32(v);
#endif
	return v;
}

/* One XXH64 lane round: mixes 8 input bytes into an accumulator. */
static inline uint64_t
xxh_round(uint64_t acc, uint64_t input)
{
	acc += input * XXH_P2;
	acc = rotl64(acc, 31);
	return acc * XXH_P1;
}

/* Folds one lane into the final hash. */
static inline uint64_t
xxh_merge(uint64_t h, uint64_t lane)
{
	h ^= xxh_round(0, lane);
	return h * XXH_P1 + XXH_P4;
}

/* XXH64: 32-byte stripes over four lanes, then the tail, then the avalanche. */
uint64_t
sqlpilot_checksum64(const void *data, size_t len, uint64_t seed)
{
	const unsigned char *p = data;
	const unsigned char *end = p + len;
	uint64_t	h;

	if (len >= 32)
	{
		uint64_t	v1 = seed + XXH_P1 + XXH_P2;
		uint64_t	v2 = seed + XXH_P2;
		uint64_t	v3 = seed;
		uint64_t	v4 = seed - XXH_P1;

		while (end - p >= 32)
		{
			v1 = xxh_round(v1, load_le64(p));
			v2 = xxh_round(v2, load_le64(p + 8));
			v3 = xxh_round(v3, load_le64(p + 16));
			v4 = xxh_round(v4, load_le64(p + 24));
			p += 32;
		}
		h = rotl64(v1, 1) + rotl64(v2, 7) + rotl64(v3, 12) + rotl64(v4, 18);
		h = xxh_merge(h, v1);
		h = xxh_merge(h, v2);
		h = xxh_merge(h, v3);
		h = xxh_merge(h, v4);
	}
	else
		h = seed + XXH_P5;
	h += (uint64_t) len;
	while (end - p >= 8)
	{
		h ^= xxh_round(0, load_le64(p));
		h = rotl64(h, 27) * XXH_P1 + XXH_P4;
		p += 8;
	}
	if (end - p >= 4)
	{
		h ^= (uint64_t) load_le32(p) * XXH_P1;
		h = rotl64(h, 23) * XXH_P2 + XXH_P3;
		p += 4;
	}
	while (p < end)
	{
		h ^= (uint64_t) (*p) * XXH_P5;
		h = rotl64(h, 11) * XXH_P1;
		p++;
	}
	h ^= h >> 33;
	h *= XXH_P2;
	h ^= h >> 29;
	h *= XXH_P3;
	h ^= h >> 32;
	return h;
}

/* Rounds a float to the nearest half (ties to even); overflow gives Inf. */
uint16_t
sqlpilot_fp32_to_fp16(float f)
{
	uint32_t	x;
	uint32_t	sign;
	uint32_t	mant;
	int			exp;

	memcpy(&x, &f, sizeof(x));
	sign = (x >> 16) & 0x8000;
	exp = (int) ((x >> 23) & 0xff);
	mant = x & 0x7fffff;
	if (exp == 0xff)
		return (uint16_t) (sign | 0x7c00 | (mant ? 0x200 : 0));
	exp = exp - 127 + 15;
	if (exp >= 31)
		return (uint16_t) (sign | 0x7c00);
	if (exp <= 0)
	{
		/* Subnormal half (or zero): shift the mantissa with its implicit bit in. */
		uint32_t	m,
					shift,
					half,
					rem;

		if (exp < -10)
			return (uint16_t) sign;
		m = mant | 0x800000;
		shift = (uint32_t) (14 - exp);
		half = 1u << (shift - 1);
		rem = m & ((1u << shift) - 1);
		m >>= shift;
		if (rem > half || (rem == half && (m & 1)))
			m++;
		return (uint16_t) (sign | m);
	}
	{
		uint32_t	h = sign | ((uint32_t) exp << 10) | (mant >> 13);
		uint32_t	rem = mant & 0x1fff;

		/* A carry out of the mantissa correctly bumps the exponent (up to Inf). */
		if (rem > 0x1000 || (rem == 0x1000 && (h & 1)))
			h++;
		return (uint16_t) h;
	}
}

/* Expands a half to a float exactly (subnormals normalised). */
float
sqlpilot_fp16_to_fp32(uint16_t h)
{
	uint32_t	sign = (uint32_t) (h & 0x8000) << 16;
	uint32_t	exp = (h >> 10) & 0x1f;
	uint32_t	mant = h & 0x3ff;
	uint32_t	x;
	float		f;

	if (exp == 0x1f)
		x = sign | 0x7f800000 | (mant << 13);
	else if (exp != 0)
		x = sign | ((exp + 127 - 15) << 23) | (mant << 13);
	else if (mant == 0)
		x = sign;
	else
	{
		int			e = -1;

		do
		{
			mant <<= 1;
			e++;
		} while ((mant & 0x400) == 0);
		x = sign | ((uint32_t) (127 - 15 - e) << 23) | ((mant & 0x3ff) << 13);
	}
	memcpy(&f, &x, sizeof(f));
	return f;
}
