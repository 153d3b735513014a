/*
 * ckpt.c — training checkpoints: <run>/ckpt-<step, 8 digits>.bin.
 *
 * File (little-endian):
 *   0    8 bytes  magic "SQPCKPT1"
 *   8    u32      version (1)
 *   12   u32      0
 *   16   i32 x 8  dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size,
 *                 seq_len, tied
 *   48   f32 x 2  rope_theta, norm_eps
 *   56   u64 x 6  step, seed, data epoch, data cursor, tokens seen, n_params
 *   104  f32      loss of the last step
 *   108  u32      0
 *   112  f32      params[n_params], AdamW m[n_params], AdamW v[n_params]
 *        u64      checksum: h = checksum64(header, 0), then h = checksum64(x, h)
 *                 for params, m and v in turn
 * Written through a temp file, fsync and rename, so a kill at any moment
 * leaves either the old set of checkpoints or the new one; the oldest beyond
 * `keep` are removed after each save.
 */
#include "train.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

#define CKPT_MAGIC "SQPCKPT1"
#define CKPT_VERSION 1
#define CKPT_HEADER 112

/* The path of step's checkpoint in dir. */
void
trainer_ckpt_path(char *out, size_t cap, const char *dir, long step)
{
	snprintf(out, cap, "%s/ckpt-%08ld.bin", dir, step);
}

/* Serialises the header fields of ck. */
static void
ckpt_header(unsigned char *h, const TrainerCkpt *ck)
{
	uint32_t	u[2] = {CKPT_VERSION, 0};
	int32_t		ci[8] = {ck->c.dim, ck->c.hidden_dim, ck->c.n_layers, ck->c.n_heads,
	ck->c.n_kv_heads, ck->c.vocab_size, ck->c.seq_len, ck->c.tied};
	float		cf[2] = {ck->c.rope_theta, ck->c.norm_eps};
	uint64_t	q[6] = {ck->step, ck->seed, ck->epoch, ck->cursor, ck->tokens_seen, ck->n_params};
	uint32_t	zero = 0;

	memcpy(h, CKPT_MAGIC, 8);
	memcpy(h + 8, u, 8);
	memcpy(h + 16, ci, 32);
	memcpy(h + 48, cf, 8);
	memcpy(h + 56, q, 48);
	memcpy(h + 104, &ck->loss, 4);
	memcpy(h + 108, &zero, 4);
}

/* Writes all of buf to fd; returns 0 or -1. */
static int
write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0)
	{
		ssize_t		n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t) n;
	}
	return 0;
}

/* Removes the oldest checkpoints of dir beyond keep, and temp files of dead writers. */
static void
ckpt_prune(const char *dir, int keep)
{
	int			n;
	long	   *steps = trainer_ckpt_steps(dir, &n);
	char		path[4096];

	char		mine[32];
	DIR		   *d;
	struct dirent *e;

	for (int i = 0; steps && keep > 0 && i < n - keep; i++)
	{
		trainer_ckpt_path(path, sizeof(path), dir, steps[i]);
		unlink(path);
	}
	free(steps);
	snprintf(mine, sizeof(mine), ".tmp.%d", (int) getpid());
	d = opendir(dir);
	while (d && (e = readdir(d)) != NULL)
		if (strncmp(e->d_name, "ckpt-", 5) == 0 && strstr(e->d_name, ".tmp.") &&
			!strstr(e->d_name, mine))
		{
			snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
			unlink(path);
		}
	if (d)
		closedir(d);
}

/* Saves ck as dir/ckpt-<step>.bin atomically, then prunes to keep. */
int
trainer_ckpt_save(const char *dir, const TrainerCkpt *ck, int keep, char *err, size_t errlen)
{
	char		path[4096];
	char		tmp[4200];
	unsigned char h[CKPT_HEADER];
	size_t		nb = ck->n_params * sizeof(float);
	uint64_t	sum;
	int			fd;

	trainer_ckpt_path(path, sizeof(path), dir, (long) ck->step);
	snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int) getpid());
	ckpt_header(h, ck);
	sum = sqlpilot_checksum64(h, CKPT_HEADER, 0);
	sum = sqlpilot_checksum64(ck->params, nb, sum);
	sum = sqlpilot_checksum64(ck->m, nb, sum);
	sum = sqlpilot_checksum64(ck->v, nb, sum);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
	{
		snprintf(err, errlen, "cannot create \"%s\": %s", tmp, strerror(errno));
		return -1;
	}
	if (write_all(fd, h, CKPT_HEADER) != 0 || write_all(fd, ck->params, nb) != 0 ||
		write_all(fd, ck->m, nb) != 0 || write_all(fd, ck->v, nb) != 0 ||
		write_all(fd, &sum, 8) != 0 || fsync(fd) != 0)
	{
		snprintf(err, errlen, "cannot write \"%s\": %s", tmp, strerror(errno));
		close(fd);
		unlink(tmp);
		return -1;
	}
	if (close(fd) != 0 || rename(tmp, path) != 0)
	{
		snprintf(err, errlen, "cannot rename \"%s\": %s", tmp, strerror(errno));
		unlink(tmp);
		return -1;
	}
	fd = open(dir, O_RDONLY | O_DIRECTORY);
	if (fd >= 0)
	{
		fsync(fd);
		close(fd);
	}
	ckpt_prune(dir, keep);
	return 0;
}

/* qsort order for steps. */
static int
cmp_long(const void *a, const void *b)
{
	long		x = *(const long *) a;
	long		y = *(const long *) b;

	return (x > y) - (x < y);
}

/* Steps of the complete checkpoints in dir (names ckpt-NNNNNNNN.bin), ascending. */
long *
trainer_ckpt_steps(const char *dir, int *n)
{
	DIR		   *d = opendir(dir);
	struct dirent *e;
	long	   *steps = NULL;
	int			cap = 0;

	*n = 0;
	if (!d)
		return NULL;
	while ((e = readdir(d)) != NULL)
	{
		long		step;
		int			used = 0;

		if (sscanf(e->d_name, "ckpt-%ld.bin%n", &step, &used) != 1 ||
			used != (int) strlen(e->d_name) || strlen(e->d_name) != 17)
			continue;
		if (*n == cap)
		{
			long	   *s = realloc(steps, sizeof(long) * (cap = cap ? 2 * cap : 16));

			if (!s)
				break;
			steps = s;
		}
		steps[(*n)++] = step;
	}
	closedir(d);
	if (steps)
		qsort(steps, *n, sizeof(long), cmp_long);
	return steps;
}

/* Loads a checkpoint (latest when step < 0): 0 ok, 1 none, -1 error. */
int
trainer_ckpt_load(const char *dir, long step, TrainerCkpt *ck, char *err, size_t errlen)
{
	char		path[4096];
	size_t		len;
	unsigned char *buf;
	uint32_t	version;
	int32_t		ci[8];
	float		cf[2];
	uint64_t	q[6];
	uint64_t	sum;
	size_t		nb;

	memset(ck, 0, sizeof(*ck));
	if (step < 0)
	{
		int			n;
		long	   *steps = trainer_ckpt_steps(dir, &n);

		if (n == 0)
		{
			free(steps);
			return 1;
		}
		step = steps[n - 1];
		free(steps);
	}
	trainer_ckpt_path(path, sizeof(path), dir, step);
	buf = (unsigned char *) sqlpilot_read_file(path, &len, err, errlen);
	if (!buf)
		return -1;
	if (len < CKPT_HEADER + 8 || memcmp(buf, CKPT_MAGIC, 8) != 0)
	{
		snprintf(err, errlen, "\"%s\" is not a checkpoint", path);
		free(buf);
		return -1;
	}
	memcpy(&version, buf + 8, 4);
	memcpy(ci, buf + 16, 32);
	memcpy(cf, buf + 48, 8);
	memcpy(q, buf + 56, 48);
	nb = q[5] * sizeof(float);
	if (version != CKPT_VERSION || q[5] > len || len != CKPT_HEADER + 3 * nb + 8)
	{
		snprintf(err, errlen, "\"%s\": wrong version or size", path);
		free(buf);
		return -1;
	}
	sum = sqlpilot_checksum64(buf, CKPT_HEADER, 0);
	sum = sqlpilot_checksum64(buf + CKPT_HEADER, nb, sum);
	sum = sqlpilot_checksum64(buf + CKPT_HEADER + nb, nb, sum);
	sum = sqlpilot_checksum64(buf + CKPT_HEADER + 2 * nb, nb, sum);
	if (memcmp(&sum, buf + CKPT_HEADER + 3 * nb, 8) != 0)
	{
		snprintf(err, errlen, "\"%s\": checksum mismatch", path);
		free(buf);
		return -1;
	}
	ck->c.dim = ci[0];
	ck->c.hidden_dim = ci[1];
	ck->c.n_layers = ci[2];
	ck->c.n_heads = ci[3];
	ck->c.n_kv_heads = ci[4];
	ck->c.vocab_size = ci[5];
	ck->c.seq_len = ci[6];
	ck->c.tied = ci[7];
	ck->c.rope_theta = cf[0];
	ck->c.norm_eps = cf[1];
	ck->step = q[0];
	ck->seed = q[1];
	ck->epoch = q[2];
	ck->cursor = q[3];
	ck->tokens_seen = q[4];
	ck->n_params = q[5];
	memcpy(&ck->loss, buf + 104, 4);
	if (sqlpilot_config_validate(&ck->c, err, errlen) != 0 ||
		sqlpilot_param_count(&ck->c) != ck->n_params)
	{
		snprintf(err, errlen, "\"%s\": impossible config", path);
		free(buf);
		memset(ck, 0, sizeof(*ck));
		return -1;
	}
	ck->params = (float *) (buf + CKPT_HEADER);
	ck->m = ck->params + ck->n_params;
	ck->v = ck->m + ck->n_params;
	ck->buf = buf;
	return 0;
}

void
trainer_ckpt_free(TrainerCkpt *ck)
{
	free(ck->buf);
	memset(ck, 0, sizeof(*ck));
}
