/*
 * util.c — atomic file writes, whole-file reads and the clock (see util.h).
 */
#define _GNU_SOURCE
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Writes to "<path>.tmp.<pid>", fsyncs, renames over path, fsyncs the directory. */
int
sqlpilot_write_file_atomic(const char *path, const void *data, size_t len,
						   char *err, size_t errlen)
{
	size_t		plen = strlen(path);
	char	   *tmp = malloc(plen + 32);
	const char *p = data;
	size_t		left = len;
	int			fd;

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
	while (left > 0)
	{
		ssize_t		n = write(fd, p, left);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
		{
			snprintf(err, errlen, "cannot write \"%s\": %s", tmp,
					 n < 0 ? strerror(errno) : "short write");
			close(fd);
			unlink(tmp);
			free(tmp);
			return -1;
		}
		p += n;
		left -= (size_t) n;
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
