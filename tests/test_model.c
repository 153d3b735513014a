/*
 * test_model.c — configs and the canonical layout, the checksum and fp16
 * helpers, the model file round trip in every dtype, the loader refusing
 * each kind of broken file with a message that names the problem, and a
 * bounded fuzz run of the loader (the libFuzzer target of fuzz_model_load.c)
 * over a seed corpus with random mutations (fewer with SQLPILOT_TEST_QUICK=1,
 * as the valgrind suite sets).
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz_model_load.c"
#include "model.h"
#include "tap.h"
#include "util.h"

/*
 * sqlpilot_write_file_atomic: a regular file is replaced whole; a path that
 * is no regular file (a FIFO here, as /dev/null or /dev/stdout would be) is
 * written in place, not renamed over.
 */
static void
test_write_atomic(const char *dir)
{
	char		path[512],
				fifo[512],
				err[256] = "",
				got[16] = {0};
	struct stat st;
	size_t		len = 0;
	char	   *back = NULL;
	int			rfd;

	snprintf(path, sizeof(path), "%s/plain.txt", dir);
	tap_ok(sqlpilot_write_file_atomic(path, "first, longer", 13, err, sizeof(err)) == 0 &&
		   sqlpilot_write_file_atomic(path, "second", 6, err, sizeof(err)) == 0 &&
		   (back = sqlpilot_read_file(path, &len, err, sizeof(err))) != NULL &&
		   len == 6 && memcmp(back, "second", 6) == 0,
		   "atomic write: a regular file is replaced whole");
	free(back);
	snprintf(fifo, sizeof(fifo), "%s/pipe", dir);
	if (mkfifo(fifo, 0600) != 0 || (rfd = open(fifo, O_RDONLY | O_NONBLOCK)) < 0)
	{
		tap_ok(false, "atomic write: a FIFO to write to (%s)", strerror(errno));
		return;
	}
	tap_ok(sqlpilot_write_file_atomic(fifo, "abc", 3, err, sizeof(err)) == 0 &&
		   read(rfd, got, sizeof(got)) == 3 && strcmp(got, "abc") == 0 &&
		   stat(fifo, &st) == 0 && S_ISFIFO(st.st_mode),
		   "atomic write: a FIFO is written in place and stays a FIFO (%s)", err);
	close(rfd);
}

/* A small config with grouped-query attention and an untied head. */
static void
small_config(SqlpilotConfig *c, int vocab)
{
	memset(c, 0, sizeof(*c));
	c->dim = 8;
	c->hidden_dim = 12;
	c->n_layers = 2;
	c->n_heads = 2;
	c->n_kv_heads = 1;
	c->vocab_size = vocab;
	c->seq_len = 16;
	c->tied = 0;
	c->rope_theta = 10000.0f;
	c->norm_eps = 1e-5f;
}

/* A tokenizer with merges "us", "use", "user", "users" (plus "ab"). */
static void
small_tokenizer(SqlpilotTokenizer *tok, int vocab)
{
	int32_t		merges[] = {
		SQLPILOT_TOKEN_BYTE0 + 'u', SQLPILOT_TOKEN_BYTE0 + 's',
		259, SQLPILOT_TOKEN_BYTE0 + 'e',
		260, SQLPILOT_TOKEN_BYTE0 + 'r',
		261, SQLPILOT_TOKEN_BYTE0 + 's',
		SQLPILOT_TOKEN_BYTE0 + 'a', SQLPILOT_TOKEN_BYTE0 + 'b',
	};
	char		err[256];

	if (sqlpilot_tokenizer_from_merges(tok, merges, 5, vocab, err, sizeof(err)) != 0)
		tap_diag("tokenizer: %s", err);
}

/* Recomputes the checksum field of a model file image after an edit. */
static void
fix_checksum(unsigned char *buf, size_t len)
{
	uint64_t	h;

	if (len < 128)
		return;
	h = sqlpilot_checksum64(buf + 128, len - 128, sqlpilot_checksum64(buf, 120, 0));
	for (int i = 0; i < 8; i++)
		buf[120 + i] = (unsigned char) (h >> (8 * i));
}

/* Little-endian u32 store into a file image. */
static void
poke_u32(unsigned char *buf, size_t off, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		buf[off + i] = (unsigned char) (v >> (8 * i));
}

/* Loads an image and checks it is refused with a message containing want. */
static void
expect_refused(const unsigned char *buf, size_t len, const char *want, const char *what)
{
	SqlpilotModel m;
	char		err[512] = "";
	int			rc = sqlpilot_model_load_buffer(&m, buf, len, err, sizeof(err));

	if (!tap_ok(rc == -1 && strstr(err, want) != NULL, "refuses %s (\"%s\")", what, err))
	{
		tap_diag("wanted \"%s\"", want);
		if (rc == 0)
			sqlpilot_model_free(&m);
	}
}

/* Reads a whole file into a malloc'd buffer. */
static unsigned char *
slurp(const char *path, size_t *len)
{
	char		err[256];

	return (unsigned char *) sqlpilot_read_file(path, len, err, sizeof(err));
}

/* Preset sizes and fields; validate refuses each kind of bad config. */
static void
test_presets(void)
{
	SqlpilotConfig c;
	char		err[256];
	const char *names[] = {"260K", "15M", "42M"};
	size_t		want[] = {260032, 6123168, 25567744};

	for (int i = 0; i < 3; i++)
	{
		tap_ok(sqlpilot_config_preset(names[i], &c) == 0 &&
			   sqlpilot_config_validate(&c, err, sizeof(err)) == 0 &&
			   sqlpilot_param_count(&c) == want[i],
			   "preset %s has %zu parameters", names[i], want[i]);
	}
	sqlpilot_config_preset("260K", &c);
	tap_ok(c.dim == 64 && c.hidden_dim == 172 && c.n_layers == 5 && c.n_heads == 8 &&
		   c.n_kv_heads == 4 && c.vocab_size == 512 && c.seq_len == 512 && c.tied == 1 &&
		   c.rope_theta == 10000.0f && c.norm_eps == 1e-5f, "260K preset fields");
	tap_ok(sqlpilot_config_preset("7B", &c) == -1, "unknown preset refused");

	{
		struct
		{
			const char *field;
			int			value;
			const char *want;
		}			bad[] = {
			{"dim", 0, "invalid dim"},
			{"heads", 3, "not a multiple"},
			{"heads", 8, "head size 1 is odd"},
			{"kv", 3, "does not divide"},
			{"vocab", 100, "invalid vocab_size"},
			{"tied", 2, "invalid tied"},
			{"seq", -1, "invalid seq_len"},
		};

		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		{
			small_config(&c, 512);
			if (strcmp(bad[i].field, "dim") == 0)
				c.dim = bad[i].value;
			else if (strcmp(bad[i].field, "heads") == 0)
				c.n_heads = bad[i].value;
			else if (strcmp(bad[i].field, "kv") == 0)
				c.n_kv_heads = bad[i].value;
			else if (strcmp(bad[i].field, "vocab") == 0)
				c.vocab_size = bad[i].value;
			else if (strcmp(bad[i].field, "tied") == 0)
				c.tied = bad[i].value;
			else
				c.seq_len = bad[i].value;
			err[0] = '\0';
			tap_ok(sqlpilot_config_validate(&c, err, sizeof(err)) == -1 &&
				   strstr(err, bad[i].want) != NULL,
				   "validate refuses %s = %d (%s)", bad[i].field, bad[i].value, err);
		}
		small_config(&c, 512);
		c.rope_theta = NAN;
		tap_ok(sqlpilot_config_validate(&c, err, sizeof(err)) == -1, "validate refuses NaN theta");
	}
}

/* Tensor offsets of the canonical order, tied and untied, and per layer. */
static void
test_layout(void)
{
	SqlpilotConfig c;
	SqlpilotWeights w;
	SqlpilotLayerWeights lw;
	float		base[1];
	size_t		C = 8,
				H = 12,
				V = 512,
				KVD = 4;

	small_config(&c, 512);
	sqlpilot_weights_map(&w, &c, base);
	tap_ok(w.rms_att - base == (ptrdiff_t) (V * C) &&
		   w.wq - base == (ptrdiff_t) (V * C + 2 * C) &&
		   w.wk - w.wq == (ptrdiff_t) (2 * C * C) &&
		   w.wv - w.wk == (ptrdiff_t) (2 * KVD * C) &&
		   w.wo - w.wv == (ptrdiff_t) (2 * KVD * C) &&
		   w.rms_ffn - w.wo == (ptrdiff_t) (2 * C * C) &&
		   w.w1 - w.rms_ffn == (ptrdiff_t) (2 * C) &&
		   w.w2 - w.w1 == (ptrdiff_t) (2 * H * C) &&
		   w.w3 - w.w2 == (ptrdiff_t) (2 * H * C) &&
		   w.rms_final - w.w3 == (ptrdiff_t) (2 * H * C) &&
		   w.wcls - w.rms_final == (ptrdiff_t) C &&
		   (size_t) (w.wcls + V * C - base) == sqlpilot_param_count(&c),
		   "untied canonical order and sizes");
	c.tied = 1;
	sqlpilot_weights_map(&w, &c, base);
	tap_ok(w.wcls == w.token_embedding &&
		   (size_t) (w.rms_final + C - base) == sqlpilot_param_count(&c),
		   "tied head is the embedding");
	sqlpilot_layer_weights(&lw, &w, &c, 1);
	tap_ok(lw.rms_att == w.rms_att + C && lw.wq == w.wq + C * C && lw.wk == w.wk + KVD * C &&
		   lw.wv == w.wv + KVD * C && lw.wo == w.wo + C * C && lw.rms_ffn == w.rms_ffn + C &&
		   lw.w1 == w.w1 + H * C && lw.w2 == w.w2 + C * H && lw.w3 == w.w3 + H * C,
		   "layer 1 weights");
}

/* XXH64 known answers and fp16 conversion. */
static void
test_helpers(void)
{
	const char *big = "The quick brown fox jumps over the lazy dog, twice: the quick brown fox";
	int			bad = 0;

	tap_ok(sqlpilot_checksum64("", 0, 0) == 0xEF46DB3751D8E999ULL, "XXH64 of empty input");
	tap_ok(sqlpilot_checksum64("a", 1, 0) == 0xD24EC4F1A98C6E5BULL, "XXH64 of \"a\"");
	tap_ok(sqlpilot_checksum64("abc", 3, 0) == 0x44BC2CF5AD770999ULL, "XXH64 of \"abc\"");
	tap_ok(sqlpilot_checksum64(big, strlen(big), 0) != sqlpilot_checksum64(big, strlen(big), 1) &&
		   sqlpilot_checksum64(big, strlen(big), 0) != sqlpilot_checksum64(big, strlen(big) - 1, 0),
		   "checksum depends on seed and length");

	tap_ok(sqlpilot_fp32_to_fp16(1.0f) == 0x3C00 && sqlpilot_fp32_to_fp16(-2.0f) == 0xC000 &&
		   sqlpilot_fp32_to_fp16(65504.0f) == 0x7BFF && sqlpilot_fp32_to_fp16(1e6f) == 0x7C00 &&
		   sqlpilot_fp32_to_fp16(5.9604645e-8f) == 0x0001 && sqlpilot_fp32_to_fp16(1e-9f) == 0 &&
		   sqlpilot_fp32_to_fp16(1.0f + 1.0f / 2048) == 0x3C00 &&
		   sqlpilot_fp32_to_fp16(1.0f + 3.0f / 2048) == 0x3C02,
		   "fp16 rounding of known values");
	for (uint32_t h = 0; h < 65536; h++)
	{
		float		f = sqlpilot_fp16_to_fp32((uint16_t) h);

		if ((h & 0x7C00) == 0x7C00 && (h & 0x3FF))
		{
			if (!isnan(f))
				bad++;
		}
		else if (sqlpilot_fp32_to_fp16(f) != h)
			bad++;
	}
	tap_ok(bad == 0, "fp16 -> fp32 -> fp16 is exact for all 65536 halves (%d bad)", bad);
}

/* Saves a random small model in each dtype and loads it back. */
static void
test_round_trip(const char *dir)
{
	SqlpilotConfig c;
	SqlpilotTokenizer tok;
	SqlpilotDtype dtypes[] = {SQLPILOT_DTYPE_F32, SQLPILOT_DTYPE_F16, SQLPILOT_DTYPE_Q8};
	float	   *params;
	size_t		n;
	char		path[512],
				err[512];

	small_config(&c, 512);
	small_tokenizer(&tok, 512);
	n = sqlpilot_param_count(&c);
	params = malloc(n * sizeof(float));
	sqlpilot_model_init_random(&c, params, 42);
	for (int d = 0; d < 3; d++)
	{
		SqlpilotModel m;
		double		maxerr = 0.0,
					tol = d == 0 ? 0.0 : d == 1 ? 1e-3 : 0.5 / 127;
		int			ok;

		snprintf(path, sizeof(path), "%s/m_%s.bin", dir, sqlpilot_dtype_name(dtypes[d]));
		ok = sqlpilot_model_save(path, &c, params, &tok, dtypes[d], err, sizeof(err)) == 0;
		tap_ok(ok, "save %s (%s)", sqlpilot_dtype_name(dtypes[d]), ok ? "" : err);
		ok = ok && sqlpilot_model_load(&m, path, err, sizeof(err)) == 0;
		if (!tap_ok(ok, "load %s (%s)", sqlpilot_dtype_name(dtypes[d]), ok ? "" : err))
			continue;
		if (dtypes[d] == SQLPILOT_DTYPE_F16)
		{
			/* Matrices stay halves inside the file's bytes; only the norms are private floats. */
			const uint16_t *h = m.weights.half.token_embedding;

			tap_ok(h && m.weights.token_embedding == NULL && m.weights.wq == NULL &&
				   (const char *) h > (const char *) m.map &&
				   (const char *) (m.weights.half.wcls + (size_t) c.vocab_size * c.dim) <=
				   (const char *) m.map + m.map_len &&
				   m.weights.rms_att && m.weights.rms_att[0] == params[(size_t) c.vocab_size * c.dim],
				   "f16 matrices are used in place from the file's bytes, norms widened");
			ok = sqlpilot_model_widen(&m, err, sizeof(err)) == 0;
			tap_ok(ok && m.weights.half.wq == NULL && m.weights.wq != NULL,
				   "sqlpilot_model_widen makes every weight fp32 (%s)", ok ? "" : err);
		}
		for (size_t i = 0; i < n; i++)
		{
			/* q8 error is relative to its row's absmax, at most ~2x the largest weight. */
			double		e = fabs((double) m.weights.token_embedding[i] - params[i]);

			if (d == 2)
				e /= 0.2;
			if (e > maxerr)
				maxerr = e;
		}
		tap_ok(memcmp(&m.config, &c, sizeof(c)) == 0 && m.dtype == dtypes[d] &&
			   maxerr <= tol && m.tokenizer.n_merges == 5 &&
			   m.tokenizer.token_len[262] == 5 &&
			   memcmp(m.tokenizer.token_bytes[262], "users", 5) == 0 &&
			   (d == 0) == (m.owned == NULL) && m.map != NULL,
			   "%s round trip: config, tokenizer, weights within %g (max err %g)",
			   sqlpilot_dtype_name(dtypes[d]), tol, maxerr);
		if (d == 0)
			tap_ok((void *) m.weights.token_embedding > m.map &&
				   (char *) m.weights.wcls + (size_t) c.vocab_size * c.dim * 4 ==
				   (char *) m.map + m.map_len,
				   "f32 weights are used straight from the file's bytes");
		sqlpilot_model_free(&m);
	}

	/* A byte-level tokenizer (no merges) is allowed. */
	snprintf(path, sizeof(path), "%s/m_nomerge.bin", dir);
	{
		SqlpilotModel m;
		int			ok = sqlpilot_model_save(path, &c, params, NULL, SQLPILOT_DTYPE_F32,
											 err, sizeof(err)) == 0 &&
			sqlpilot_model_load(&m, path, err, sizeof(err)) == 0;

		tap_ok(ok && m.tokenizer.n_merges == 0, "model without merges round-trips");
		if (ok)
			sqlpilot_model_free(&m);
	}
	sqlpilot_tokenizer_free(&tok);
	free(params);
}

/* Each kind of broken file, edited from a valid image, is refused by name. */
static void
test_refusals(const char *dir)
{
	char		path[512],
				err[512];
	unsigned char *good,
			   *buf;
	size_t		len;
	SqlpilotModel m;
	SqlpilotConfig c;
	FILE	   *f;

	snprintf(path, sizeof(path), "%s/m_f32.bin", dir);
	good = slurp(path, &len);
	if (!tap_ok(good != NULL && len > 1000, "read the f32 model image"))
		return;
	buf = malloc(len + 1);

	tap_ok(sqlpilot_model_load(&m, "/nonexistent/model.bin", err, sizeof(err)) == ENOENT &&
		   strstr(err, "cannot open") != NULL, "refuses a missing file with its errno (%s)", err);
	tap_ok(sqlpilot_model_load(&m, dir, err, sizeof(err)) == -1 &&
		   strstr(err, "not a regular file") != NULL, "refuses a directory (%s)", err);
	snprintf(path, sizeof(path), "%s/empty.bin", dir);
	f = fopen(path, "wb");
	fclose(f);
	tap_ok(sqlpilot_model_load(&m, path, err, sizeof(err)) == -1 &&
		   strstr(err, "truncated") != NULL, "refuses an empty file (%s)", err);
	snprintf(path, sizeof(path), "%s/cut.bin", dir);
	f = fopen(path, "wb");
	fwrite(good, 1, len - 4, f);
	fclose(f);
	tap_ok(sqlpilot_model_load(&m, path, err, sizeof(err)) == -1 &&
		   strstr(err, "truncated") != NULL && strstr(err, "cut.bin") != NULL,
		   "refuses a truncated file, naming it (%s)", err);

	expect_refused(good, 100, "truncated", "a file shorter than the header");
	expect_refused(good, len - 1, "truncated", "a file missing its last byte");

	memcpy(buf, good, len);
	memcpy(buf, "GGUF\0\0\0\0", 8);
	expect_refused(buf, len, "bad magic", "a wrong magic number");

	memcpy(buf, good, len);
	poke_u32(buf, 8, 2);
	fix_checksum(buf, len);
	expect_refused(buf, len, "version 2", "a newer version");

	memcpy(buf, good, len);
	buf[len / 2] ^= 0x10;
	expect_refused(buf, len, "checksum mismatch", "a flipped bit in the weights");

	memcpy(buf, good, len);
	buf[130] ^= 1;
	expect_refused(buf, len, "checksum mismatch", "a flipped bit in the tokenizer");

	memcpy(buf, good, len);
	poke_u32(buf, 36, 3);
	fix_checksum(buf, len);
	expect_refused(buf, len, "impossible config", "n_heads that do not divide dim");

	memcpy(buf, good, len);
	poke_u32(buf, 24, 0x7fffffff);
	fix_checksum(buf, len);
	expect_refused(buf, len, "impossible config", "a huge dim");

	memcpy(buf, good, len);
	poke_u32(buf, 16, 7);
	fix_checksum(buf, len);
	expect_refused(buf, len, "unknown weight dtype", "an unknown dtype");

	memcpy(buf, good, len);
	buf[len] = 0;
	expect_refused(buf, len + 1, "trailing", "trailing bytes");

	memcpy(buf, good, len);
	small_config(&c, 512);
	poke_u32(buf, 112, (uint32_t) sqlpilot_param_count(&c) + 12345);
	fix_checksum(buf, len);
	expect_refused(buf, len, "do not add up", "a wrong parameter count");

	memcpy(buf, good, len);
	poke_u32(buf, 96, 4);
	fix_checksum(buf, len);
	expect_refused(buf, len, "do not add up", "a wrong weights size");

	memcpy(buf, good, len);
	poke_u32(buf, 64, 6);
	fix_checksum(buf, len);
	expect_refused(buf, len, "do not add up", "a merge count that disagrees with the section");

	memcpy(buf, good, len);
	poke_u32(buf, 52, 1);
	fix_checksum(buf, len);
	expect_refused(buf, len, "do not add up", "an untied model claiming to be tied");

	memcpy(buf, good, len);
	poke_u32(buf, 128, 400);	/* merge 0 refers to a token not yet made */
	fix_checksum(buf, len);
	expect_refused(buf, len, "corrupt tokenizer", "a merge of undefined tokens");

	/* q8: an infinite row scale. */
	snprintf(path, sizeof(path), "%s/m_q8.bin", dir);
	free(good);
	good = slurp(path, &len);
	if (good)
	{
		size_t		woff = 0;

		for (int i = 0; i < 8; i++)
			woff |= (size_t) good[88 + i] << (8 * i);
		memcpy(buf, good, len);
		poke_u32(buf, woff + 4, 0x7f800000);
		fix_checksum(buf, len);
		expect_refused(buf, len, "tensor token_embedding, row scale 1 of", "an infinite q8 scale");
	}
	free(good);
	free(buf);
}

/*
 * Weights that are NaN or Inf: refused at load, naming the tensor (f32 and
 * f16 files), and never written by sqlpilot_model_save.
 */
static void
test_nonfinite(const char *dir)
{
	SqlpilotConfig c;
	float	   *params;
	size_t		n,
				len,
				woff = 0,
				wq_at;
	unsigned char *img;
	char		path[512],
				err[512];

	small_config(&c, 512);
	n = sqlpilot_param_count(&c);
	params = malloc(n * sizeof(float));
	sqlpilot_model_init_random(&c, params, 7);
	/* wq of layer 1, element 3: after the embedding, rms_att and layer 0's wq */
	wq_at = (size_t) c.vocab_size * c.dim + (size_t) c.n_layers * c.dim +
		(size_t) c.dim * c.dim + 3;
	for (int d = 0; d < 2; d++)
	{
		const char *dt = d == 0 ? "f32" : "f16";

		snprintf(path, sizeof(path), "%s/finite_%s.bin", dir, dt);
		sqlpilot_model_save(path, &c, params, NULL, (SqlpilotDtype) d, err, sizeof(err));
		img = slurp(path, &len);
		if (!tap_ok(img != NULL, "%s image for the NaN checks", dt))
			continue;
		for (int i = 0; i < 8; i++)
			woff |= (size_t) img[88 + i] << (8 * i);
		/* a quiet NaN, then +Inf, at wq of layer 1, element 3 */
		if (d == 0)
			poke_u32(img, woff + 4 * wq_at, 0x7fc00000);
		else
		{
			img[woff + 2 * wq_at] = 0x00;
			img[woff + 2 * wq_at + 1] = 0x7e;
		}
		fix_checksum(img, len);
		expect_refused(img, len, "NaN or Inf in tensor wq of layer 1, element 3 of 64",
					   d == 0 ? "an f32 NaN weight, naming the tensor" : "an f16 NaN weight, naming the tensor");
		if (d == 0)
			poke_u32(img, woff + 4 * (n - 1), 0x7f800000);
		else
		{
			img[woff + 2 * (n - 1)] = 0x00;
			img[woff + 2 * (n - 1) + 1] = 0x7c;
		}
		fix_checksum(img, len);
		expect_refused(img, len, "not finite",
					   d == 0 ? "an f32 file with NaN and +Inf weights" : "an f16 file with NaN and +Inf weights");
		free(img);
		woff = 0;
	}
	/* an all-NaN model, as a run whose loss diverged leaves it */
	for (size_t i = 0; i < n; i++)
		params[i] = NAN;
	snprintf(path, sizeof(path), "%s/nan.bin", dir);
	tap_ok(sqlpilot_model_save(path, &c, params, NULL, SQLPILOT_DTYPE_F16, err, sizeof(err)) == -1 &&
		   strstr(err, "tensor token_embedding, element 0") != NULL && access(path, F_OK) != 0,
		   "save refuses all-NaN weights and writes nothing (%s)", err);
	sqlpilot_model_init_random(&c, params, 7);
	params[n - 1] = INFINITY;
	tap_ok(sqlpilot_model_save(path, &c, params, NULL, SQLPILOT_DTYPE_Q8, err, sizeof(err)) == -1 &&
		   strstr(err, "tensor wcls") != NULL, "save refuses an Inf weight, naming the tensor (%s)", err);
	params[n - 1] = 1e6f;
	tap_ok(sqlpilot_model_save(path, &c, params, NULL, SQLPILOT_DTYPE_F16, err, sizeof(err)) == -1 &&
		   strstr(err, "overflows f16") != NULL &&
		   sqlpilot_model_save(path, &c, params, NULL, SQLPILOT_DTYPE_F32, err, sizeof(err)) == 0,
		   "save refuses an f16 file whose weight overflows to Inf; f32 holds it (%s)", err);
	free(params);
}

/* Sum of every weight of m as fp32, reading each once (halves widened on the fly). */
static double
weight_sum(const SqlpilotModel *m)
{
	size_t		n = sqlpilot_param_count(&m->config);
	double		sum = 0.0;

	for (size_t i = 0; i < n; i++)
		sum += m->weights.token_embedding ? m->weights.token_embedding[i] :
			sqlpilot_fp16_to_fp32(m->weights.half.token_embedding[i]);
	return sum;
}

/* Number of model-*.snap files in dir. */
static int
count_snapshots(const char *dir)
{
	char		cmd[600];
	FILE	   *p;
	int			n = -1;

	snprintf(cmd, sizeof(cmd), "ls '%s' | grep -c '^model-.*\\.snap$'", dir);
	p = popen(cmd, "r");
	if (p && fscanf(p, "%d", &n) != 1)
		n = -1;
	if (p)
		pclose(p);
	return n;
}

/* The file behind the mapping that holds addr, from /proc/self/maps; 1 when found. */
static int
mapped_file(const void *addr, char *out, size_t outlen)
{
	FILE	   *f = fopen("/proc/self/maps", "r");
	char		line[4600];
	int			found = 0;

	while (f && !found && fgets(line, sizeof(line), f))
	{
		unsigned long lo,
					hi;
		int			off = 0;

		if (sscanf(line, "%lx-%lx %*s %*s %*s %*s %n", &lo, &hi, &off) >= 2 && off > 0 &&
			(unsigned long) addr >= lo && (unsigned long) addr < hi)
		{
			line[strcspn(line, "\n")] = '\0';
			snprintf(out, outlen, "%s", line + off);
			found = 1;
		}
	}
	if (f)
		fclose(f);
	return found;
}

/*
 * A loaded model survives its file being truncated and overwritten in place
 * (a mapping of the file itself dies of SIGBUS here), both when read into
 * private memory and through a snapshot; snapshots are reused, rebuilt when
 * damaged, private (0600) and at most SQLPILOT_MODEL_SNAPSHOTS.
 */
static void
test_file_changes(const char *dir)
{
	SqlpilotConfig c;
	float	   *params;
	char		path[512],
				other[512],
				snaps[512],
				err[512];
	SqlpilotModel a,
				b;
	double		sum_a;
	struct stat st;
	size_t		len;
	unsigned char *img;
	int			ok;

	small_config(&c, 512);
	params = malloc(sqlpilot_param_count(&c) * sizeof(float));
	sqlpilot_model_init_random(&c, params, 11);
	snprintf(path, sizeof(path), "%s/installed.bin", dir);
	snprintf(other, sizeof(other), "%s/other.bin", dir);
	snprintf(snaps, sizeof(snaps), "%s/snapshots", dir);
	sqlpilot_model_save(path, &c, params, NULL, SQLPILOT_DTYPE_F16, err, sizeof(err));
	sqlpilot_model_init_random(&c, params, 12);
	sqlpilot_model_save(other, &c, params, NULL, SQLPILOT_DTYPE_F32, err, sizeof(err));
	img = slurp(other, &len);

	ok = sqlpilot_model_load(&a, path, err, sizeof(err)) == 0 &&
		sqlpilot_model_load_snapshot(&b, path, snaps, err, sizeof(err)) == 0;
	if (!tap_ok(ok && img, "load privately and through a snapshot (%s)", ok ? "" : err))
		return;
	sum_a = weight_sum(&a);
	{
		char		first[4096] = "",
					priv[4096] = "";

		tap_ok(mapped_file(b.map, first, sizeof(first)) && strstr(first, "/snapshots/") != NULL &&
			   mapped_file(a.map, priv, sizeof(priv)) && strchr(priv, '/') == NULL,
			   "a snapshot is a mapped file (%s), a private load is not (%s)", first, priv);
	}
	tap_ok(stat(snaps, &st) == 0 && (st.st_mode & 0777) == 0700 && count_snapshots(snaps) == 1,
		   "the snapshot directory is made 0700 and holds one snapshot");

	/* cp onto the installed file: truncate, then write another model */
	ok = truncate(path, 0) == 0;
	tap_ok(ok && weight_sum(&a) == sum_a && weight_sum(&b) == sum_a,
		   "both models read every weight after their file was truncated to 0 bytes");
	{
		int			fd = open(path, O_WRONLY);

		ok = fd >= 0 && write(fd, img, len) == (ssize_t) len;
		if (fd >= 0)
			close(fd);
	}
	tap_ok(ok && weight_sum(&a) == sum_a && weight_sum(&b) == sum_a && b.map_is_mmap,
		   "and after another model was written into it in place");
	sqlpilot_model_free(&a);
	sqlpilot_model_free(&b);

	/* the file's new identity: a new snapshot, of the new contents */
	ok = sqlpilot_model_load_snapshot(&b, path, snaps, err, sizeof(err)) == 0;
	tap_ok(ok && b.dtype == SQLPILOT_DTYPE_F32 && count_snapshots(snaps) == 2,
		   "a changed file gets a snapshot of its new contents (%s)", ok ? "" : err);
	if (ok)
		sqlpilot_model_free(&b);

	/* the same file again: the named snapshot is mapped, nothing copied */
	{
		char		cmd[700];
		FILE	   *p;
		char		before[4096] = "";

		ok = sqlpilot_model_load_snapshot(&b, path, snaps, err, sizeof(err)) == 0;
		tap_ok(ok && mapped_file(b.map, before, sizeof(before)) &&
			   strstr(before, "/snapshots/model-") != NULL && strstr(before, "(deleted)") == NULL &&
			   count_snapshots(snaps) == 2,
			   "loading an unchanged file again maps its existing snapshot (%s)", before);
		if (ok)
		{
			struct stat sst;
			char		name[600];

			/* the snapshot the model maps is the newest file of the directory */
			snprintf(cmd, sizeof(cmd), "ls -t '%s' | head -1", snaps);
			if ((p = popen(cmd, "r")))
			{
				if (fgets(before, sizeof(before), p))
					before[strcspn(before, "\n")] = '\0';
				pclose(p);
			}
			snprintf(name, sizeof(name), "%s/%s", snaps, before);
			tap_ok(stat(name, &sst) == 0 && (sst.st_mode & 0777) == 0600,
				   "snapshots are private to the server's user (mode 0600)");
			sqlpilot_model_free(&b);

			/* damage it: the next load notices (checksum), copies again and works */
			{
				int			fd = open(name, O_WRONLY);

				ok = fd >= 0 && pwrite(fd, "XXXX", 4, 1000) == 4;
				if (fd >= 0)
					close(fd);
			}
			ok = ok && sqlpilot_model_load_snapshot(&b, path, snaps, err, sizeof(err)) == 0 &&
				weight_sum(&b) == weight_sum(&b);
			tap_ok(ok && count_snapshots(snaps) == 2,
				   "a damaged snapshot is replaced by a fresh copy (%s)", ok ? "" : err);
			if (ok)
				sqlpilot_model_free(&b);
		}
	}

	/* a truncated file is an error through either loader */
	truncate(path, (off_t) len / 2);
	tap_ok(sqlpilot_model_load_snapshot(&b, path, snaps, err, sizeof(err)) == -1 &&
		   strstr(err, "truncated") != NULL, "a truncated file is refused through a snapshot (%s)", err);

	/* every new identity makes a snapshot; the oldest beyond the limit go */
	for (int i = 0; i < SQLPILOT_MODEL_SNAPSHOTS + 2; i++)
	{
		sqlpilot_model_init_random(&c, params, 100 + (uint64_t) i);
		sqlpilot_model_save(path, &c, params, NULL, SQLPILOT_DTYPE_F32, err, sizeof(err));
		if (sqlpilot_model_load_snapshot(&b, path, snaps, err, sizeof(err)) == 0)
			sqlpilot_model_free(&b);
	}
	tap_ok(count_snapshots(snaps) == SQLPILOT_MODEL_SNAPSHOTS,
		   "at most %d snapshots are kept (%d)", SQLPILOT_MODEL_SNAPSHOTS, count_snapshots(snaps));

	/* a directory that cannot be made: the model is read privately instead */
	ok = sqlpilot_model_load_snapshot(&b, path, "/nonexistent/snapshots", err, sizeof(err)) == 0;
	tap_ok(ok && !b.map_is_mmap, "without a usable snapshot directory the file is read privately");
	if (ok)
		sqlpilot_model_free(&b);
	free(img);
	free(params);
}

/*
 * Bounded fuzzing: seeds of every dtype, 1-4 random edits each (bit flips,
 * interesting values in header fields, truncation), half of them with a
 * fixed-up checksum so the checks behind it are reached too.
 */
static void
test_fuzz(void)
{
	SqlpilotConfig c;
	SqlpilotTokenizer tok;
	unsigned char *seeds[3];
	size_t		lens[3];
	uint64_t	rng = 12345;
	int			accepted = 0,
				refused = 0,
				iters = getenv("SQLPILOT_TEST_QUICK") ? 1500 : 6000;
	const uint32_t interesting[] = {0, 1, 2, 7, 8, 64, 127, 128, 255, 256, 4096, 65535, 65536,
	0x7fffffff, 0x80000000, 0xffffffff};
	char		path[256],
				err[256];
	float	   *params;

	small_config(&c, 264);
	c.n_layers = 1;
	c.seq_len = 8;
	small_tokenizer(&tok, 264);
	params = malloc(sqlpilot_param_count(&c) * sizeof(float));
	sqlpilot_model_init_random(&c, params, 3);
	for (int d = 0; d < 3; d++)
	{
		snprintf(path, sizeof(path), "/tmp/sqlpilot_fuzz_seed_%d_%d.bin", (int) getpid(), d);
		sqlpilot_model_save(path, &c, params, &tok, (SqlpilotDtype) d, err, sizeof(err));
		seeds[d] = slurp(path, &lens[d]);
		unlink(path);
	}
	free(params);
	sqlpilot_tokenizer_free(&tok);
	if (!tap_ok(seeds[0] && seeds[1] && seeds[2], "fuzz seed corpus of 3 dtypes"))
		return;
	for (int d = 0; d < 3; d++)
		LLVMFuzzerTestOneInput(seeds[d], lens[d]);

	for (int it = 0; it < iters; it++)
	{
		int			d = (int) sqlpilot_rng_below(&rng, 3);
		size_t		len = lens[d];
		unsigned char *buf = malloc(len);
		int			edits = 1 + (int) sqlpilot_rng_below(&rng, 4);
		SqlpilotModel m;
		char		e[512];

		memcpy(buf, seeds[d], len);
		for (int k = 0; k < edits; k++)
		{
			int			kind = (int) sqlpilot_rng_below(&rng, 4);

			if (kind == 0)
				buf[sqlpilot_rng_below(&rng, len)] ^= (unsigned char) (1 << sqlpilot_rng_below(&rng, 8));
			else if (kind == 1)
				poke_u32(buf, 4 * sqlpilot_rng_below(&rng, 32),
						 interesting[sqlpilot_rng_below(&rng, 16)]);
			else if (kind == 2)
				len = sqlpilot_rng_below(&rng, len + 1);
			else
				buf[sqlpilot_rng_below(&rng, len)] = (unsigned char) sqlpilot_rng_next(&rng);
			if (len == 0)
				break;
		}
		if (sqlpilot_rng_below(&rng, 2))
			fix_checksum(buf, len);
		/* Exact-size copy so a tool like valgrind sees any read past the end. */
		{
			unsigned char *exact = malloc(len ? len : 1);

			memcpy(exact, buf, len);
			LLVMFuzzerTestOneInput(exact, len);
			e[0] = '\0';
			if (sqlpilot_model_load_buffer(&m, exact, len, e, sizeof(e)) == 0)
			{
				accepted++;
				sqlpilot_model_free(&m);
			}
			else if (e[0])
				refused++;
			free(exact);
		}
		free(buf);
	}
	tap_ok(accepted + refused == iters && refused > iters / 2 && accepted > 0,
		   "fuzz: %d mutated files, %d refused with a message, %d accepted, no crash",
		   iters, refused, accepted);
	for (int d = 0; d < 3; d++)
		free(seeds[d]);
}

int
main(void)
{
	char		dir[] = "/tmp/sqlpilot_test_model_XXXXXX";
	char		cmd[600];

	if (!mkdtemp(dir))
	{
		perror("mkdtemp");
		return 1;
	}
	test_presets();
	test_layout();
	test_helpers();
	test_write_atomic(dir);
	test_round_trip(dir);
	test_refusals(dir);
	test_nonfinite(dir);
	test_file_changes(dir);
	test_fuzz();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		tap_diag("could not remove %s", dir);
	return tap_done();
}
