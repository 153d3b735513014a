/*
 * test_train_choice.c — examples from schemas too big for the training
 * sequence: `tokenize` keeps them with the tables core/table_choice.h
 * chooses for the statement (the extension's and eval's choice), whole
 * tables only, the statement's tables in; only an example whose statement
 * alone does not fit is skipped, and the summary line counts it.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../trainer/train.h"
#include "prompt.h"
#include "table_choice.h"
#include "tables_split.h"
#include "tokenizer.h"
#include "../tests/tap.h"

#define N_TABLES 12
#define SEQ_LEN 320

static char dir[] = "/tmp/sqlpilot_choice_XXXXXX";
static const char *const names[N_TABLES] = {
	"alpha", "bravo", "charlie", "delta", "echo", "foxtrot",
	"golf", "hotel", "india", "juliet", "kilo", "lima"
};

/* The big schema, pg_dump style: a type first, keys and indexes after the tables. */
static char *
big_schema(void)
{
	char	   *s = malloc(16384);
	size_t		n = 0;

	n += sprintf(s + n, "CREATE TYPE public.mood AS ENUM ('low', 'high');\n\n");
	for (int i = 0; i < N_TABLES; i++)
	{
		n += sprintf(s + n, "CREATE TABLE public.%s (\n    id integer NOT NULL,\n"
					 "    %s_note character varying(40),\n    %s_count integer,\n"
					 "    %s_mood public.mood,\n    ref_id integer\n);\n\n",
					 names[i], names[i], names[i], names[i]);
		n += sprintf(s + n, "ALTER TABLE ONLY public.%s\n    ADD CONSTRAINT %s_pkey "
					 "PRIMARY KEY (id);\n\n", names[i], names[i]);
	}
	for (int i = 0; i < N_TABLES; i++)
		n += sprintf(s + n, "CREATE INDEX %s_count_idx ON public.%s USING btree (%s_count);\n\n",
					 names[i], names[i], names[i]);
	for (int i = 1; i < N_TABLES; i++)
		n += sprintf(s + n, "ALTER TABLE ONLY public.%s\n    ADD CONSTRAINT %s_ref_fkey "
					 "FOREIGN KEY (ref_id) REFERENCES public.%s(id);\n\n",
					 names[i], names[i], names[i - 1]);
	s[n] = '\0';
	return s;
}

/* Statement k of the big schema: one table, or a join of two far apart. */
static void
big_statement(int k, char *out, size_t cap, int *a, int *b)
{
	*a = (k * 5 + 3) % N_TABLES;
	*b = k % 3 == 0 ? (*a + 6) % N_TABLES : -1;
	if (*b < 0)
		snprintf(out, cap, "SELECT %s_note FROM %s WHERE id = %d;", names[*a], names[*a], k);
	else
		snprintf(out, cap, "SELECT x.%s_note, y.%s_count FROM %s x JOIN %s y ON y.id = x.ref_id;",
				 names[*a], names[*b], names[*a], names[*b]);
}

/* Writes s as a JSON string (quotes, backslashes and newlines escaped). */
static void
put_json(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++)
		if (*s == '\n')
			fputs("\\n", f);
		else if (*s == '"' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else
			fputc(*s, f);
	fputc('"', f);
}

/* One raw line. */
static void
put_line(FILE *f, const char *id, const char *schema, const char *stmt)
{
	fprintf(f, "{\"schema_id\":\"%s\",\"schema\":", id);
	put_json(f, schema);
	fputs(",\"statement\":", f);
	put_json(f, stmt);
	fputs("}\n", f);
}

/* The raw data: 24 statements on the big schema, 6 on a small one, one far too long. */
static int
write_raw(const char *raw, const char *big)
{
	char		path[256];
	char		stmt[4096];
	FILE	   *f;
	int			a,
				b,
				n = 0;

	snprintf(path, sizeof(path), "%s/shard-00000.jsonl", raw);
	f = fopen(path, "w");
	if (!f)
		return 0;
	for (int k = 0; k < 24; k++, n++)
	{
		big_statement(k, stmt, sizeof(stmt), &a, &b);
		put_line(f, k % 2 ? "big1" : "big0", big, stmt);
	}
	for (int k = 0; k < 6; k++, n++)
	{
		snprintf(stmt, sizeof(stmt), "SELECT a FROM small WHERE a = %d;", k);
		put_line(f, "small", "CREATE TABLE small (a int, b text);", stmt);
	}
	{
		size_t		len = (size_t) sprintf(stmt, "SELECT a FROM small WHERE a IN (0");

		for (int k = 1; k < 300; k++)
			len += (size_t) sprintf(stmt + len, ", %d", k * 7919 % 100003);
		sprintf(stmt + len, ");");
		put_line(f, "small", "CREATE TABLE small (a int, b text);", stmt);
		n++;
	}
	fclose(f);
	return n;
}

/* The split: every statement of the schema in exactly one table, with that table. */
static void
test_split(const char *big)
{
	SqlpilotSchemaTable *t;
	int			n = sqlpilot_tables_split(big, strlen(big), &t);
	int			names_ok = 1,
				whole = 1,
				owned = 1;
	size_t		chars_in = 0,
				chars_out = 0;

	tap_ok(n == N_TABLES, "the big schema splits into %d tables: %d", N_TABLES, n);
	for (int i = 0; i < n && n == N_TABLES; i++)
	{
		char		want[256];

		names_ok &= strcmp(t[i].name, names[i]) == 0;
		snprintf(want, sizeof(want), "CREATE TABLE public.%s (\n", names[i]);
		whole &= strstr(t[i].text.data, want) != NULL && strstr(t[i].text.data, "\n);") != NULL &&
			t[i].text.len == strlen(t[i].text.data) && t[i].text.data[t[i].text.len - 1] == ';';
		snprintf(want, sizeof(want), "ON public.%s USING", names[i]);
		owned &= strstr(t[i].text.data, want) != NULL;
		snprintf(want, sizeof(want), "ALTER TABLE ONLY public.%s\n    ADD CONSTRAINT %s_pkey",
				 names[i], names[i]);
		owned &= strstr(t[i].text.data, want) != NULL;
		if (i > 0)
		{
			snprintf(want, sizeof(want), "%s_ref_fkey FOREIGN KEY (ref_id) REFERENCES public.%s(id)",
					 names[i], names[i - 1]);
			owned &= strstr(t[i].text.data, want) != NULL;
		}
		for (size_t c = 0; c < t[i].text.len; c++)
			chars_out += t[i].text.data[c] != ' ' && t[i].text.data[c] != '\n';
	}
	for (size_t c = 0; big[c]; c++)
		chars_in += big[c] != ' ' && big[c] != '\n';
	tap_ok(names_ok, "tables are named as SQL means them, in schema order");
	tap_ok(whole, "each table holds its whole CREATE TABLE, ending at a statement's end");
	tap_ok(owned, "ALTER TABLE and CREATE INDEX go with the table they name, wherever they stand");
	tap_ok(n == N_TABLES && strncmp(t[0].text.data, "CREATE TYPE public.mood", 23) == 0,
		   "a statement of no table (the type) goes with the next table");
	tap_ok(chars_in == chars_out, "nothing lost or repeated: %zu of %zu characters", chars_out,
		   chars_in);
	sqlpilot_tables_split_free(t, n > 0 ? n : 0);
	tap_ok(sqlpilot_tables_split("-- nothing\n", 11, &t) == 0,
		   "a schema text without CREATE TABLE has no tables");
	sqlpilot_tables_split_free(t, 0);
}

/* What sqlpilot_tables_choose_texts itself picks for stmt, joined: the schema expected. */
static char *
expected_schema(const SqlpilotTokenizer *tok, const char *big, const char *stmt, int *k,
				int *named_in, int a, int b)
{
	SqlpilotSchemaTable *t;
	int			n = sqlpilot_tables_split(big, strlen(big), &t);
	const char *texts[N_TABLES];
	const char *nm[N_TABLES];
	size_t		lens[N_TABLES];
	int			chosen[N_TABLES];
	char	   *out = calloc(1, strlen(big) + 64);

	for (int i = 0; i < n; i++)
	{
		texts[i] = t[i].text.data;
		lens[i] = t[i].text.len;
		nm[i] = t[i].name;
	}
	*k = sqlpilot_tables_choose_texts(tok, texts, lens, nm, n, stmt, strlen(stmt), SEQ_LEN,
									  chosen);
	*named_in = 0;
	for (int j = 0; j < *k; j++)
	{
		if (j > 0)
			strcat(out, "\n\n");
		strcat(out, texts[chosen[j]]);
		*named_in += chosen[j] == a || chosen[j] == b;
	}
	*named_in = *named_in == 1 + (b >= 0);
	sqlpilot_tables_split_free(t, n);
	return out;
}

/*
 * A handwritten schema, indexes on the line after their table: the chosen
 * tables come back whole, the statement's table with its indexes, each
 * statement apart by a blank line (so longer than in the input).
 */
static void
test_handwritten(const SqlpilotTokenizer *tok)
{
	char		hw[4096];
	size_t		n = 0,
				len = 0;
	int			n_tables,
				n_chosen;
	char	   *out;
	const char *stmt = "SELECT v FROM h4 WHERE id = 1;";

	for (int i = 0; i < 8; i++)
		n += (size_t) sprintf(hw + n, "CREATE TABLE h%d (id int, v text, w%d int);\n"
							  "CREATE INDEX h%d_a ON h%d (id);\nCREATE INDEX h%d_b ON h%d (v);\n",
							  i, i, i, i, i, i);
	out = trainer_example_schema(tok, hw, n, stmt, strlen(stmt), 160, &len, &n_tables, &n_chosen);
	tap_ok(out && n_tables == 8 && n_chosen >= 1 && n_chosen < 8 && len == strlen(out) &&
		   strstr(out, "CREATE TABLE h4 (id int, v text, w4 int);\n\nCREATE INDEX h4_a ON h4 (id);"
				  "\n\nCREATE INDEX h4_b ON h4 (v);") != NULL,
		   "a handwritten schema: %d of %d tables, the statement's with its indexes", n_chosen,
		   n_tables);
	free(out);
}

/* `tokenize --seq-len SEQ_LEN` over the raw data, its summary line captured in log. */
static int
run_tokenize(const char *raw, const char *tokpath, const char *out, char *log, size_t cap)
{
	char		path[256],
				err[512] = "";
	int			saved,
				fd,
				rc;
	FILE	   *f;
	size_t		n;

	snprintf(path, sizeof(path), "%s/stdout.txt", dir);
	fflush(stdout);
	saved = dup(1);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	dup2(fd, 1);
	close(fd);
	rc = trainer_tokenize(raw, tokpath, out, 0.0, SEQ_LEN, err, sizeof(err));
	fflush(stdout);
	dup2(saved, 1);
	close(saved);
	if (rc != 0)
		tap_diag("tokenize: %s", err);
	f = fopen(path, "r");
	n = f ? fread(log, 1, cap - 1, f) : 0;
	log[n] = '\0';
	if (f)
		fclose(f);
	return rc;
}

static void
test_tokenize(const char *big)
{
	char		raw[128],
				out[128],
				tokpath[128],
				path[256],
				err[512] = "",
				log[4096];
	int			lines;
	TrainerShard s;
	SqlpilotTokenizer tok;
	int			fit = 1,
				same = 1,
				named = 1,
				small_whole = 1,
				n_big = 0,
				n_cut = 0;

	snprintf(raw, sizeof(raw), "%s/raw", dir);
	snprintf(out, sizeof(out), "%s/tokens", dir);
	snprintf(tokpath, sizeof(tokpath), "%s/tok.txt", dir);
	trainer_make_dirs(raw, err, sizeof(err));
	lines = write_raw(raw, big);
	if (!tap_ok(trainer_tokenizer_build(raw, tokpath, 512, 0, err, sizeof(err)) == 0 &&
				run_tokenize(raw, tokpath, out, log, sizeof(log)) == 0,
				"tokenizer and tokenize --seq-len %d run (%s)", SEQ_LEN, err))
		return;
	snprintf(path, sizeof(path), "%s/train.bin", out);
	if (!tap_ok(trainer_shard_read(&s, path, err, sizeof(err)) == 0 &&
				sqlpilot_tokenizer_load(&tok, tokpath, err, sizeof(err)) == 0, "shard and tokenizer load"))
		return;
	tap_ok((int) s.n_examples == lines - 1,
		   "every example is kept but the one whose statement alone is too long: %u of %d",
		   s.n_examples, lines);
	tap_ok(strstr(log, "24 examples longer than 321 tokens kept a choice of tables") != NULL &&
		   strstr(log, "; 1 skipped (the statement alone does not fit)") != NULL,
		   "the summary counts the examples with a choice and the one skipped");
	for (uint32_t e = 0; e < s.n_examples; e++)
	{
		size_t		n = s.offsets[e + 1] - s.offsets[e];
		int		   *ids = malloc(sizeof(int) * n);
		char	   *text = malloc(8 * n + 1);
		size_t		len;
		char	   *mid;

		for (size_t i = 0; i < n; i++)
			ids[i] = s.tokens[s.offsets[e] + i];
		fit &= n <= SEQ_LEN + 1 && ids[n - 1] == SQLPILOT_TOKEN_EOS;
		len = sqlpilot_tokenizer_decode(&tok, ids + 1, n - 2, text, 8 * n);
		text[len] = '\0';
		mid = strstr(text, SQLPILOT_PROMPT_MID);
		if (!mid || strncmp(text, SQLPILOT_PROMPT_HEAD, strlen(SQLPILOT_PROMPT_HEAD)) != 0)
			same = 0;
		else if (strstr(mid, "FROM small"))
			small_whole &= strncmp(text + strlen(SQLPILOT_PROMPT_HEAD),
								   "CREATE TABLE small (a int, b text);", 35) == 0;
		else
		{
			const char *stmt = mid + strlen(SQLPILOT_PROMPT_MID);
			char		want[4096];
			char	   *exp = NULL;
			int			k = -1,
						named_in = 0,
						a,
						b;

			for (int j = 0; j < 24 && !exp; j++)
			{
				big_statement(j, want, sizeof(want), &a, &b);
				if (strcmp(want, stmt) == 0)
					exp = expected_schema(&tok, big, stmt, &k, &named_in, a, b);
			}
			*mid = '\0';
			same &= exp != NULL && strcmp(text + strlen(SQLPILOT_PROMPT_HEAD), exp) == 0;
			named &= named_in;
			n_big++;
			n_cut += k > 0 && k < N_TABLES;
			free(exp);
		}
		free(ids);
		free(text);
	}
	tap_ok(fit, "every example fits in %d tokens and ends with EOS", SEQ_LEN + 1);
	tap_ok(same && n_big == 24,
		   "the big schema's %d examples hold exactly the tables sqlpilot_tables_choose gives "
		   "for their statement, whole, in schema order", n_big);
	tap_ok(n_cut == 24, "the choice leaves tables out (%d of 24 examples)", n_cut);
	tap_ok(named, "the tables each statement names are in its prompt");
	tap_ok(small_whole, "a schema that fits stays as written");
	test_handwritten(&tok);
	trainer_shard_free(&s);
	sqlpilot_tokenizer_free(&tok);
}

/* Bad --seq-len and a missing directory of a ':' list are refused. */
static void
test_refusals(void)
{
	char		raw[128],
				list[300],
				err[512] = "";

	snprintf(raw, sizeof(raw), "%s/raw", dir);
	tap_ok(trainer_tokenize(raw, "/nonexistent", dir, 0.0, 4, err, sizeof(err)) != 0 &&
		   strstr(err, "seq-len") != NULL, "--seq-len 4 is refused (%s)", err);
	snprintf(list, sizeof(list), "%s:%s/none", raw, dir);
	tap_ok(trainer_tokenizer_build(list, "/dev/null", 512, 0, err, sizeof(err)) != 0 &&
		   strstr(err, "/none") != NULL, "a ':' list with a directory without data is refused (%s)",
		   err);
}

int
main(void)
{
	char		cmd[300];
	char	   *big = big_schema();

	if (!mkdtemp(dir))
		return 1;
	test_split(big);
	test_tokenize(big);
	test_refusals();
	free(big);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		tap_diag("could not remove %s", dir);
	return tap_done();
}
