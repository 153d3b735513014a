/*
 * import_run.c — `sqlpilot datagen import --from DIR --out OUT`: an
 * LLM-written corpus in the public SQLPilot layout becomes the generator's
 * own files, so the rest of the pipeline (raw/, `datagen check`, `datagen
 * stats`, the trainer) treats it like generated data:
 *
 *   scan      every schema of DIR/data/tons_of_tables is converted
 *             (import_ddl.c); those that convert are numbered, the use cases
 *             with d % holdout_mod == holdout_rem apart from the rest.
 *   import    per shard of schemas (workers, progress line, resume): the
 *             schema's tons_of_tables line, and its diverse_statements line
 *             with the statements PostgreSQL accepted against it (the
 *             generator's validator) and the rest with their reasons.
 *             Held-out use cases go through the same under OUT/holdout/.
 *   eval      OUT/eval.jsonl: the held-out statements, the schema in the
 *             CockroachDB text the prompt shows, real names, shuffled.
 *   raw       the generator's raw stage: randomized names, styles, text.
 *   report    OUT/import_report.json and .md: what was kept, and why the
 *             rest was dropped, from the files on disk.
 * Everything a run writes is written whole (temp file and rename), and a
 * re-run skips what exists, so a killed import resumes where it stopped.
 */
#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cJSON.h"
#include "../import.h"
#include "../llm.h"
#include "../pipeline.h"
#include "prompt.h"
#include "schema.h"
#include "util.h"
#include "../validate.h"

/* The corpus' statement files, in datagen_kind_names order. */
#define N_FILE_KINDS 5

/* Seed stream of the held-out file's order (independent of the raw stage's tags). */
#define TAG_HOLDOUT_ORDER 101

/* One topic folder of the corpus: "<i>_<slug>". */
typedef struct CorpusDir
{
	int			topic;			/* i */
	char		name[256];
} CorpusDir;

/* One schema of the corpus: tons_of_tables/<dir>/<d>.json entry j. */
typedef struct ImportUnit
{
	int			dir;
	int			d;
	int			j;
} ImportUnit;

/* A count per reason (open addressing on the text), with one example each. */
typedef struct TallyEntry
{
	char	   *key;
	long		n;
	char	   *example;
} TallyEntry;

typedef struct Tally
{
	TallyEntry *e;
	int			cap;
	int			n;
} Tally;

/* What the scan found; the workers inherit it (fork). */
typedef struct Corpus
{
	char		data[4096];		/* the folder holding tons_of_tables/ */
	int			n_dirs;
	CorpusDir  *dirs;
	cJSON	   *topics;			/* topics.json (may be NULL) */
	cJSON	   *details;		/* topic_detail.json (may be NULL) */
	ImportUnit *train;
	long		n_train;
	ImportUnit *hold;
	long		n_hold;
	long		use_cases;		/* folders read */
	long		use_cases_held;
	long		schemas;		/* schemas read */
	long		schemas_held;
	long		unconverted;	/* schemas that did not convert */
	long		unconverted_statements;
	Tally		convert_fail;	/* reason -> schemas */
	DatagenImportForms forms;
} Corpus;

static Corpus corpus;
/* The set the running shard function works on (train or held out). */
static const ImportUnit *shard_units;

/* ---- small helpers ---- */

/* FNV-1a of a string. */
static uint64_t
hash_str(const char *s)
{
	uint64_t	h = 0xcbf29ce484222325ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char) *s) * 0x100000001b3ULL;
	return h;
}

/* Adds n to key's count (example kept from the first time). */
static void
tally_add(Tally *t, const char *key, long n, const char *example)
{
	uint64_t	h;

	if (t->n * 2 >= t->cap)
	{
		Tally		bigger = {calloc(t->cap ? t->cap * 2 : 256, sizeof(TallyEntry)),
		t->cap ? t->cap * 2 : 256, 0};

		for (int i = 0; i < t->cap; i++)
			if (t->e[i].key)
			{
				h = hash_str(t->e[i].key) & (uint64_t) (bigger.cap - 1);
				while (bigger.e[h].key)
					h = (h + 1) & (uint64_t) (bigger.cap - 1);
				bigger.e[h] = t->e[i];
				bigger.n++;
			}
		free(t->e);
		*t = bigger;
	}
	h = hash_str(key) & (uint64_t) (t->cap - 1);
	while (t->e[h].key && strcmp(t->e[h].key, key) != 0)
		h = (h + 1) & (uint64_t) (t->cap - 1);
	if (!t->e[h].key)
	{
		t->e[h].key = strdup(key);
		t->e[h].example = example ? strndup(example, 300) : NULL;
		t->n++;
	}
	t->e[h].n += n;
}

/* Orders tally entries by count, largest first, then by key. */
static int
cmp_entries(const void *a, const void *b)
{
	const TallyEntry *x = a,
			   *y = b;

	if (x->n != y->n)
		return x->n < y->n ? 1 : -1;
	return strcmp(x->key, y->key);
}

/* The entries of a tally sorted (a malloc'd array of t->n; the strings stay the tally's). */
static TallyEntry *
tally_sorted(const Tally *t)
{
	TallyEntry *out = calloc(t->n + 1, sizeof(TallyEntry));
	int			m = 0;

	for (int i = 0; i < t->cap; i++)
		if (t->e[i].key)
			out[m++] = t->e[i];
	qsort(out, m, sizeof(TallyEntry), cmp_entries);
	return out;
}

/* Frees a tally. */
static void
tally_free(Tally *t)
{
	for (int i = 0; i < t->cap; i++)
	{
		free(t->e[i].key);
		free(t->e[i].example);
	}
	free(t->e);
	memset(t, 0, sizeof(*t));
}

/* True when path is a directory. */
static bool
is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/*
 * A server message made a reason: quoted names become "…", but a missing
 * function or type keeps its name and a syntax error its short token (they
 * say which dialect slipped in); the validator's "schema rejected: " goes.
 */
static void
normalize_reason(const char *msg, char *out, size_t cap)
{
	size_t		n = 0;
	const char *p;

	if (strncmp(msg, "schema rejected: ", 17) == 0)
		msg += 17;
	p = msg;
	if (strncmp(msg, "column ", 7) == 0 && msg[7] != '"' && strstr(msg, " does not exist"))
	{
		/* column t.x does not exist */
		snprintf(out, cap, "column \"…\".\"…\" does not exist");
		return;
	}
	if (strncmp(msg, "function ", 9) == 0 && strchr(msg, '('))
	{
		snprintf(out, cap, "function %.*s(…) does not exist", (int) (strchr(msg, '(') - msg - 9), msg + 9);
		return;
	}
	if (strncmp(msg, "type \"", 6) == 0 || (strncmp(msg, "syntax error at or near \"", 25) == 0 &&
											strlen(msg) <= 25 + 21))
	{
		snprintf(out, cap, "%s", msg);
		return;
	}
	while (*p && n + 4 < cap)
	{
		if (*p == '"')
		{
			const char *q = strchr(p + 1, '"');

			if (!q)
				break;
			memcpy(out + n, "\"…\"", 5);
			n += 5;
			p = q + 1;
			continue;
		}
		out[n++] = *p++;
	}
	out[n] = '\0';
}

/* ---- the corpus ---- */

/* Orders topic folders by their number. */
static int
cmp_dirs(const void *a, const void *b)
{
	const CorpusDir *x = a,
			   *y = b;

	return x->topic != y->topic ? (x->topic < y->topic ? -1 : 1) : strcmp(x->name, y->name);
}

/* Orders ints. */
static int
cmp_ints(const void *a, const void *b)
{
	int			x = *(const int *) a,
				y = *(const int *) b;

	return (x > y) - (x < y);
}

/* Finds the data folder (DIR/data or DIR) and lists its topic folders in order. */
static int
find_corpus(const char *from, char *err, size_t errlen)
{
	char		path[4200];
	DIR		   *dir;
	struct dirent *de;
	int			cap = 128;
	bool		oom;

	snprintf(path, sizeof(path), "%s/data/tons_of_tables", from);
	if (is_dir(path))
		snprintf(corpus.data, sizeof(corpus.data), "%s/data", from);
	else
		snprintf(corpus.data, sizeof(corpus.data), "%s", from);
	snprintf(path, sizeof(path), "%s/tons_of_tables", corpus.data);
	dir = opendir(path);
	if (!dir)
	{
		snprintf(err, errlen, "\"%s\" holds no tons_of_tables/ (nor does its data/): "
				 "--from wants a clone of the public SQLPilot repository or its data/ folder", from);
		return -1;
	}
	corpus.dirs = malloc(sizeof(CorpusDir) * cap);
	oom = !corpus.dirs;
	while (!oom && (de = readdir(dir)) != NULL)
	{
		char	   *end;
		long		i = strtol(de->d_name, &end, 10);

		if (!isdigit((unsigned char) de->d_name[0]) || *end != '_' || strlen(de->d_name) >= 256)
			continue;
		if (corpus.n_dirs == cap)
		{
			CorpusDir  *grown = realloc(corpus.dirs, sizeof(CorpusDir) * cap * 2);

			oom = !grown;
			if (oom)
				break;
			corpus.dirs = grown;
			cap *= 2;
		}
		corpus.dirs[corpus.n_dirs].topic = (int) i;
		snprintf(corpus.dirs[corpus.n_dirs].name, sizeof(corpus.dirs[0].name), "%s", de->d_name);
		corpus.n_dirs++;
	}
	closedir(dir);
	if (oom)
	{
		snprintf(err, errlen, "out of memory listing \"%s\"", path);
		return -1;
	}
	qsort(corpus.dirs, corpus.n_dirs, sizeof(CorpusDir), cmp_dirs);
	if (corpus.n_dirs == 0)
	{
		snprintf(err, errlen, "\"%s\" has no <i>_<slug> topic folders", path);
		return -1;
	}
	snprintf(path, sizeof(path), "%s/topics.json", corpus.data);
	corpus.topics = datagen_read_json(path, NULL, err, errlen);
	snprintf(path, sizeof(path), "%s/topic_detail.json", corpus.data);
	corpus.details = datagen_read_json(path, NULL, err, errlen);
	err[0] = '\0';
	return 0;
}

/*
 * The use case numbers d of a topic folder (its <d>.json files), sorted; *n
 * gets the count, -1 when out of memory.
 */
static int *
list_use_cases(int di, int *n)
{
	char		path[4400];
	DIR		   *dir;
	struct dirent *de;
	int		   *ds = NULL;
	int			cap = 0;

	*n = 0;
	snprintf(path, sizeof(path), "%s/tons_of_tables/%s", corpus.data, corpus.dirs[di].name);
	dir = opendir(path);
	if (!dir)
		return NULL;
	while ((de = readdir(dir)) != NULL)
	{
		char	   *end;
		long		d = strtol(de->d_name, &end, 10);

		if (!isdigit((unsigned char) de->d_name[0]) || strcmp(end, ".json") != 0)
			continue;
		if (*n == cap)
		{
			int		   *grown = realloc(ds, sizeof(int) * (cap ? cap * 2 : 128));

			if (!grown)
			{
				closedir(dir);
				free(ds);
				*n = -1;
				return NULL;
			}
			ds = grown;
			cap = cap ? cap * 2 : 128;
		}
		ds[(*n)++] = (int) d;
	}
	closedir(dir);
	qsort(ds, *n, sizeof(int), cmp_ints);
	return ds;
}

/* One use case's files: its schemas and its five statement files (NULL when missing). */
typedef struct UseCase
{
	int			dir;
	int			d;
	cJSON	   *tables;
	cJSON	   *kinds[N_FILE_KINDS];
	bool		with_statements;	/* kinds[] loaded */
} UseCase;

/* Loads the five statement files of a use case (a missing or malformed one counts as empty). */
static void
load_statements(UseCase *uc)
{
	for (int k = 0; k < N_FILE_KINDS; k++)
	{
		char		path[4800],
					e2[256];

		snprintf(path, sizeof(path), "%s/diverse_statements/%s/%d/%s.json", corpus.data,
				 corpus.dirs[uc->dir].name, uc->d, datagen_kind_names[k]);
		uc->kinds[k] = datagen_file_exists(path) ? datagen_read_json(path, NULL, e2, sizeof(e2)) : NULL;
	}
	uc->with_statements = true;
}

/* Frees a loaded use case. */
static void
use_case_free(UseCase *uc)
{
	cJSON_Delete(uc->tables);
	for (int k = 0; k < N_FILE_KINDS; k++)
		cJSON_Delete(uc->kinds[k]);
	memset(uc, 0, sizeof(*uc));
	uc->dir = -1;
}

/*
 * Loads use case (dir, d) into uc unless it is already there, its statement
 * files too when with_statements; -1 with err when its schema file is unreadable.
 */
static int
use_case_load(UseCase *uc, int dir, int d, bool with_statements, char *err, size_t errlen)
{
	char		path[4800];

	if (uc->tables && uc->dir == dir && uc->d == d)
	{
		if (with_statements && !uc->with_statements)
		{
			cJSON	   *keep = uc->tables;

			uc->tables = NULL;
			use_case_free(uc);
			uc->tables = keep;
			uc->dir = dir;
			uc->d = d;
			load_statements(uc);
		}
		return 0;
	}
	use_case_free(uc);
	uc->dir = dir;
	uc->d = d;
	snprintf(path, sizeof(path), "%s/tons_of_tables/%s/%d.json", corpus.data, corpus.dirs[dir].name, d);
	uc->tables = datagen_read_json(path, NULL, err, errlen);
	if (!uc->tables)
		return -1;
	if (with_statements)
		load_statements(uc);
	return 0;
}

/* The table_schema texts of schema j (pointers into uc); *n gets their number. */
static const char **
schema_texts(const UseCase *uc, int j, int *n)
{
	const cJSON *tables = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(uc->tables, j), "tables");
	const char **texts = calloc(cJSON_GetArraySize(tables) + 1, sizeof(char *));
	const cJSON *it;

	*n = 0;
	cJSON_ArrayForEach(it, tables)
	{
		const cJSON *ts = cJSON_GetObjectItemCaseSensitive(it, "table_schema");

		if (cJSON_IsString(ts))
			texts[(*n)++] = ts->valuestring;
	}
	return texts;
}

/* The statements array of kind k for schema j (NULL when none). */
static const cJSON *
schema_statements(const UseCase *uc, int k, int j)
{
	const cJSON *arr = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(uc->kinds[k], j), "statements");

	return cJSON_IsArray(arr) ? arr : NULL;
}

/* Converts schema j of a loaded use case; -1 with the reason in err. */
static int
convert_unit(const UseCase *uc, int j, DatagenSchema *s, DatagenImportForms *forms, char *err, size_t errlen)
{
	int			n;
	const char **texts = schema_texts(uc, j, &n);
	int			rc = datagen_import_schema(texts, n, s, forms, err, errlen);

	free(texts);
	if (rc == 0)
	{
		s->topic = corpus.dirs[uc->dir].topic;
		s->use_case = uc->d;
	}
	return rc;
}

/* Appends u to a growing list (*n of *cap units); 0, or -1 out of memory (the list kept). */
static int
unit_push(ImportUnit **units, long *n, long *cap, ImportUnit u)
{
	if (*n == *cap)
	{
		ImportUnit *grown = realloc(*units, sizeof(ImportUnit) * *cap * 2);

		if (!grown)
			return -1;
		*units = grown;
		*cap *= 2;
	}
	(*units)[(*n)++] = u;
	return 0;
}

/*
 * Reads the corpus: every schema converted once (to number those that
 * convert and count the rest by reason), the held-out use cases apart.
 */
static int
scan(const DatagenImportOptions *io, char *err, size_t errlen)
{
	long		cap_t = 4096,
				cap_h = 1024;
	UseCase		uc = {.dir = -1};

	corpus.train = malloc(sizeof(ImportUnit) * cap_t);
	corpus.hold = malloc(sizeof(ImportUnit) * cap_h);
	if (!corpus.train || !corpus.hold)
	{
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (int di = 0; di < corpus.n_dirs; di++)
	{
		int			n_d;
		int		   *ds = list_use_cases(di, &n_d);

		if (n_d < 0)
		{
			use_case_free(&uc);
			snprintf(err, errlen, "out of memory listing the use cases of %s", corpus.dirs[di].name);
			return -1;
		}
		for (int x = 0; x < n_d && (io->limit <= 0 || corpus.use_cases < io->limit); x++)
		{
			int			d = ds[x];
			bool		held = io->holdout_mod > 0 && d % io->holdout_mod == io->holdout_rem;

			if (use_case_load(&uc, di, d, false, err, errlen) != 0)
			{
				free(ds);
				use_case_free(&uc);
				return -1;
			}
			corpus.use_cases++;
			corpus.use_cases_held += held;
			for (int j = 0; j < cJSON_GetArraySize(uc.tables); j++)
			{
				DatagenSchema s;
				char		why[256];
				ImportUnit	u = {di, d, j};
				int			crc;

				corpus.schemas++;
				corpus.schemas_held += held;
				crc = convert_unit(&uc, j, &s, &corpus.forms, why, sizeof(why));
				if (crc == -2)
				{
					free(ds);
					use_case_free(&uc);
					snprintf(err, errlen, "%s", why);
					return -1;
				}
				if (crc != 0)
				{
					char		ex[300];
					long		n_st = 0;

					use_case_load(&uc, di, d, true, err, errlen);
					for (int k = 0; k < N_FILE_KINDS; k++)
						n_st += cJSON_GetArraySize(schema_statements(&uc, k, j));
					snprintf(ex, sizeof(ex), "tons_of_tables/%s/%d.json[%d]", corpus.dirs[di].name, d, j);
					tally_add(&corpus.convert_fail, why, 1, ex);
					corpus.unconverted++;
					corpus.unconverted_statements += n_st;
					continue;
				}
				datagen_schema_free(&s);
				if (unit_push(held ? &corpus.hold : &corpus.train, held ? &corpus.n_hold : &corpus.n_train,
							  held ? &cap_h : &cap_t, u) != 0)
				{
					free(ds);
					use_case_free(&uc);
					snprintf(err, errlen, "out of memory");
					return -1;
				}
			}
		}
		free(ds);
	}
	use_case_free(&uc);
	if (corpus.n_train == 0)
	{
		snprintf(err, errlen, "no schema of \"%s\" could be converted for training", corpus.data);
		return -1;
	}
	return 0;
}

/* A topic folder's topic name (topics.json) and use case d's sentence (topic_detail.json). */
static void
unit_names(const ImportUnit *u, const char **topic, const char **use_case)
{
	const CorpusDir *cd = &corpus.dirs[u->dir];
	const cJSON *t = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(corpus.topics, "topics"), cd->topic);
	const cJSON *uc = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(corpus.details, cd->name), u->d);

	*topic = cJSON_IsString(t) ? t->valuestring : strchr(cd->name, '_') + 1;
	*use_case = cJSON_IsString(uc) ? uc->valuestring : "";
}

/* ---- one shard ---- */

/* A statement read from the corpus, and what became of it before PostgreSQL. */
typedef struct Candidate
{
	int			file_kind;
	const char *text;			/* as in the corpus */
	DatagenStatement st;		/* when parsed */
	bool		parsed;
	const char *drop;			/* why it was dropped before PostgreSQL, or NULL */
	char		why[160];
} Candidate;

/*
 * TRUNCATE names only tables: a name after a comma that the identifier
 * finder took for a column (a table with a column of that name) is a table.
 * s has its names folded (see parse_candidates).
 */
static void
truncate_tables(const DatagenSchema *s, DatagenStatement *st)
{
	for (int i = 0; i < st->n_idents; i++)
	{
		DatagenIdent *id = &st->idents[i];
		char		name[128];

		if (id->what != DATAGEN_IDENT_COLUMN || id->len >= sizeof(name))
			continue;
		for (int k = 0; k < id->len; k++)
			name[k] = (char) tolower((unsigned char) st->sql[id->off + k]);
		name[id->len] = '\0';
		for (int t = 0; t < s->n_tables; t++)
			if (strcmp(s->tables[t].name, name) == 0)
			{
				id->what = DATAGEN_IDENT_TABLE;
				id->table = (uint8_t) t;
				id->column = 0;
			}
	}
}

/*
 * Finds each candidate's identifier positions against the schema with its
 * names folded to lower case, as PostgreSQL reads the unquoted names of both
 * (the statements were written in any case).
 */
static void
parse_candidates(DatagenSchema *s, Candidate *cand, int n)
{
	int			n_names = 0;
	char	  **saved;
	int			m = 0;

	for (int t = 0; t < s->n_tables; t++)
		n_names += 1 + s->tables[t].n_columns;
	saved = malloc(sizeof(char *) * (n_names + 1));
	for (int t = 0; t < s->n_tables; t++)
	{
		SqlpilotTable *tb = &s->tables[t];

		saved[m++] = tb->name;
		tb->name = strdup(tb->name);
		for (char *p = tb->name; *p; p++)
			*p = (char) tolower((unsigned char) *p);
		for (int c = 0; c < tb->n_columns; c++)
		{
			saved[m++] = tb->columns[c].name;
			tb->columns[c].name = strdup(tb->columns[c].name);
			for (char *p = tb->columns[c].name; *p; p++)
				*p = (char) tolower((unsigned char) *p);
		}
	}
	for (int i = 0; i < n; i++)
	{
		if (cand[i].drop)
			continue;
		if (datagen_llm_statement_from_sql(cand[i].text, false, s, &cand[i].st, cand[i].why,
										   sizeof(cand[i].why)) == 0)
		{
			cand[i].parsed = true;
			if (cand[i].st.kind == DATAGEN_TRUNCATE)
				truncate_tables(s, &cand[i].st);
		}
		else
			cand[i].drop = cand[i].why;
	}
	m = 0;
	for (int t = 0; t < s->n_tables; t++)
	{
		SqlpilotTable *tb = &s->tables[t];

		free(tb->name);
		tb->name = saved[m++];
		for (int c = 0; c < tb->n_columns; c++)
		{
			free(tb->columns[c].name);
			tb->columns[c].name = saved[m++];
		}
	}
	free(saved);
}

/* True when text is blank. */
static bool
blank(const char *s)
{
	for (; *s; s++)
		if (!isspace((unsigned char) *s))
			return false;
	return true;
}

/* Writes schema k's tons_of_tables line. */
static void
schema_line(SqlpilotBuf *b, const ImportUnit *u, const DatagenSchema *s, const char *id)
{
	const char *topic,
			   *use_case;
	char		origin[400];
	char	   *ddl = sqlpilot_schema_render(s->tables, s->n_tables, SQLPILOT_DDL_PGDUMP, NULL, NULL);

	unit_names(u, &topic, &use_case);
	snprintf(origin, sizeof(origin), "tons_of_tables/%s/%d.json[%d]", corpus.dirs[u->dir].name, u->d, u->j);
	sqlpilot_buf_puts(b, "{\"schema_id\":");
	datagen_buf_json_str(b, id);
	sqlpilot_buf_puts(b, ",\"topic\":");
	datagen_buf_json_str(b, topic);
	sqlpilot_buf_puts(b, ",\"use_case\":");
	datagen_buf_json_str(b, use_case);
	sqlpilot_buf_puts(b, ",\"source\":\"import\",\"origin\":");
	datagen_buf_json_str(b, origin);
	sqlpilot_buf_puts(b, ",\"seed\":\"0\",\"schema\":");
	datagen_schema_to_json(b, s);
	sqlpilot_buf_puts(b, ",\"ddl\":");
	datagen_buf_json_str(b, ddl ? ddl : "");
	sqlpilot_buf_puts(b, "}\n");
	free(ddl);
}

/*
 * Imports one schema: its candidates read, parsed and validated, its two
 * lines appended.  -1 with err when the connection fails.
 */
static int
import_schema(DatagenWorker *w, UseCase *uc, const ImportUnit *u, SqlpilotBuf *tb, SqlpilotBuf *sb,
			  char *err, size_t errlen)
{
	DatagenCounters *c = w->counters;
	DatagenSchema s;
	Candidate  *cand;
	int			n = 0,
				m = 0,
				vrc = 0;
	const char **sqls;
	bool	   *execute,
			   *ok;
	char	  **msgs;
	int		   *map;
	char		id[300],
				ddl_err[512] = "";
	char	   *ddl;
	bool		first = true;

	if (use_case_load(uc, u->dir, u->d, true, err, errlen) != 0)
		return -1;
	if (convert_unit(uc, u->j, &s, NULL, err, errlen) != 0)
	{
		snprintf(err, errlen, "tons_of_tables/%s/%d.json changed since the scan",
				 corpus.dirs[u->dir].name, u->d);
		return -1;
	}
	for (int k = 0; k < N_FILE_KINDS; k++)
		n += cJSON_GetArraySize(schema_statements(uc, k, u->j));
	cand = calloc(n + 1, sizeof(Candidate));
	n = 0;
	for (int k = 0; k < N_FILE_KINDS; k++)
	{
		const cJSON *it;

		cJSON_ArrayForEach(it, schema_statements(uc, k, u->j))
		{
			Candidate  *cd = &cand[n++];

			cd->file_kind = k;
			cd->text = cJSON_IsString(it) ? it->valuestring : "";
			if (!cJSON_IsString(it) || blank(cd->text))
				cd->drop = "empty";
			for (int i = 0; i < n - 1 && !cd->drop; i++)
				if (strcmp(cand[i].text, cd->text) == 0)
					cd->drop = "duplicate of an earlier statement of its schema";
		}
	}
	parse_candidates(&s, cand, n);
	sqls = calloc(n + 1, sizeof(char *));
	execute = calloc(n + 1, sizeof(bool));
	ok = calloc(n + 1, sizeof(bool));
	msgs = calloc(n + 1, sizeof(char *));
	map = calloc(n + 1, sizeof(int));
	for (int i = 0; i < n; i++)
		if (cand[i].parsed)
		{
			sqls[m] = cand[i].st.sql;
			execute[m] = cand[i].st.kind == DATAGEN_TRUNCATE;
			map[m++] = i;
		}
	ddl = datagen_validator_ddl(w->pg, s.tables, s.n_tables);
	if (!ddl)
	{
		snprintf(err, errlen, "out of memory");
		vrc = -1;
	}
	else
		vrc = datagen_validate(w->pg, ddl, sqls, execute, m, ok, msgs, ddl_err, sizeof(ddl_err));
	free(ddl);
	if (vrc < 0)
		snprintf(err, errlen, "%s", ddl_err);
	else
	{
		snprintf(id, sizeof(id), "c%d-%d-%d", corpus.dirs[u->dir].topic, u->d, u->j);
		schema_line(tb, u, &s, id);
		sqlpilot_buf_puts(sb, "{\"schema_id\":");
		datagen_buf_json_str(sb, id);
		sqlpilot_buf_puts(sb, ",\"statements\":[");
		for (int i = 0; i < m; i++)
			if (ok[i])
			{
				if (!first)
					sqlpilot_buf_puts(sb, ",");
				datagen_statement_to_json(sb, &cand[map[i]].st);
				first = false;
				__atomic_add_fetch(&c->accepted[cand[map[i]].st.kind], 1, __ATOMIC_RELAXED);
			}
		sqlpilot_buf_puts(sb, "],\"rejected\":[");
		first = true;
		for (int i = 0, mi = 0; i < n; i++)
		{
			const char *why = cand[i].drop;

			if (!why)
			{
				if (ok[mi])
				{
					mi++;
					continue;
				}
				why = vrc == 1 ? ddl_err : (msgs[mi] ? msgs[mi] : "rejected");
				mi++;
			}
			sqlpilot_buf_puts(sb, first ? "{\"kind\":" : ",{\"kind\":");
			datagen_buf_json_str(sb, datagen_kind_names[cand[i].file_kind]);
			sqlpilot_buf_puts(sb, ",\"sql\":");
			datagen_buf_json_str(sb, cand[i].text);
			sqlpilot_buf_puts(sb, cand[i].drop ? ",\"stage\":\"import\",\"error\":" : ",\"stage\":\"postgresql\",\"error\":");
			datagen_buf_json_str(sb, why);
			sqlpilot_buf_puts(sb, "}");
			first = false;
			__atomic_add_fetch(&c->rejected[cand[i].file_kind], 1, __ATOMIC_RELAXED);
		}
		sqlpilot_buf_puts(sb, "],\"ddl_error\":");
		datagen_buf_json_str(sb, vrc == 1 ? ddl_err : NULL);
		sqlpilot_buf_puts(sb, "}\n");
		if (vrc == 1)
			__atomic_add_fetch(&c->schemas_rejected, 1, __ATOMIC_RELAXED);
		__atomic_add_fetch(&c->units, n, __ATOMIC_RELAXED);
		__atomic_add_fetch(&c->schemas, 1, __ATOMIC_RELAXED);
	}
	for (int i = 0; i < m; i++)
		free(msgs[i]);
	for (int i = 0; i < n; i++)
		if (cand[i].parsed)
			datagen_statement_free(&cand[i].st);
	free(cand);
	free(sqls);
	free(execute);
	free(ok);
	free(msgs);
	free(map);
	datagen_schema_free(&s);
	return vrc < 0 ? -1 : 0;
}

/* One shard: its tons_of_tables file, then its diverse_statements file (whose existence means both are done). */
static int
import_shard(DatagenWorker *w, int shard, char *err, size_t errlen)
{
	const DatagenOptions *o = w->o;
	long		first = (long) shard * o->shard_size;
	long		end = first + o->shard_size < o->n_schemas ? first + o->shard_size : o->n_schemas;
	SqlpilotBuf	tb = {0},
				sb = {0};
	UseCase		uc = {.dir = -1};
	char		path[4096];
	int			rc = 0;

	for (long k = first; k < end && rc == 0; k++)
		rc = import_schema(w, &uc, &shard_units[k], &tb, &sb, err, errlen);
	use_case_free(&uc);
	if (rc == 0 && (tb.oom || sb.oom))
	{
		snprintf(err, errlen, "out of memory building shard %d", shard);
		rc = -1;
	}
	if (rc == 0)
	{
		datagen_shard_path(o, "tons_of_tables", shard, path, sizeof(path));
		datagen_remove_stale_temps(path);
		rc = sqlpilot_write_file_atomic(path, tb.data ? tb.data : "", tb.len, err, errlen);
	}
	if (rc == 0)
	{
		datagen_shard_path(o, "diverse_statements", shard, path, sizeof(path));
		rc = sqlpilot_write_file_atomic(path, sb.data ? sb.data : "", sb.len, err, errlen);
	}
	sqlpilot_buf_free(&tb);
	sqlpilot_buf_free(&sb);
	return rc;
}

/* Imports one set (train or held out) into o->out with workers; *c gets this run's counters. */
static int
import_set(DatagenOptions *o, const ImportUnit *units, const char *conninfo, const char *stage,
		   DatagenCounters *c, char *err, size_t errlen)
{
	shard_units = units;
	if (datagen_manifest(o, err, errlen) != 0 || datagen_prepare_dir(o, "tons_of_tables", err, errlen) != 0)
		return -1;
	return datagen_run_shards(o, stage, "diverse_statements", "stmts", import_shard, conninfo, c,
							  err, errlen);
}

/* ---- shards on disk ---- */

/* Calls fn for each (tons_of_tables, diverse_statements) line pair of o's shards that exist. */
static int
each_line(const DatagenOptions *o, int (*fn) (void *arg, cJSON *sline, cJSON *tline, char *err, size_t errlen),
		  void *arg, long *missing, char *err, size_t errlen)
{
	*missing = 0;
	for (int k = 0; k < datagen_n_shards(o); k++)
	{
		char		p1[4096],
					p2[4096];
		char	   *t1,
				   *t2;
		char	   *a,
				   *b;
		int			rc = 0;

		datagen_shard_path(o, "tons_of_tables", k, p1, sizeof(p1));
		datagen_shard_path(o, "diverse_statements", k, p2, sizeof(p2));
		if (!datagen_file_exists(p2))
		{
			(*missing)++;
			continue;
		}
		t1 = sqlpilot_read_file(p1, NULL, err, errlen);
		t2 = t1 ? sqlpilot_read_file(p2, NULL, err, errlen) : NULL;
		if (!t2)
		{
			free(t1);
			return -1;
		}
		a = t1;
		b = t2;
		while (*a && *b && rc == 0)
		{
			char	   *na = strchr(a, '\n'),
					   *nb = strchr(b, '\n');
			cJSON	   *sl,
					   *tl;

			if (na)
				*na = '\0';
			if (nb)
				*nb = '\0';
			sl = cJSON_Parse(a);
			tl = cJSON_Parse(b);
			if (!sl || !tl)
			{
				snprintf(err, errlen, "shard %d of \"%s\" is not JSON lines", k, o->out);
				rc = -1;
			}
			else
				rc = fn(arg, sl, tl, err, errlen);
			cJSON_Delete(sl);
			cJSON_Delete(tl);
			a = na ? na + 1 : a + strlen(a);
			b = nb ? nb + 1 : b + strlen(b);
		}
		free(t1);
		free(t2);
		if (rc != 0)
			return -1;
	}
	return 0;
}

/* A string member of a JSON object, or "". */
static const char *
json_str(const cJSON *obj, const char *key)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);

	return cJSON_IsString(it) ? it->valuestring : "";
}

/* The held-out file being built: one JSON line per accepted statement. */
typedef struct EvalLines
{
	char	  **line;
	long		n;
	long		cap;
} EvalLines;

/* Appends the eval lines of one held-out schema: its CockroachDB text and each accepted statement. */
static int
eval_visit(void *arg, cJSON *sline, cJSON *tline, char *err, size_t errlen)
{
	EvalLines  *ev = arg;
	DatagenSchema s;
	char	   *text;
	const cJSON *it;

	if (datagen_schema_from_json(cJSON_GetObjectItemCaseSensitive(sline, "schema"), &s, err, errlen) != 0)
		return -1;
	text = sqlpilot_schema_render(s.tables, s.n_tables, SQLPILOT_DDL_CRDB, NULL, NULL);
	datagen_schema_free(&s);
	if (!text)
	{
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(tline, "statements"))
	{
		const char *sql = json_str(it, "sql");
		SqlpilotBuf	b = {0};
		size_t		tlen;
		char	   *prompt = sqlpilot_prompt_text(text, strlen(text), sql, strlen(sql), &tlen);

		sqlpilot_buf_puts(&b, "{\"schema_id\":");
		datagen_buf_json_str(&b, json_str(sline, "schema_id"));
		sqlpilot_buf_puts(&b, ",\"topic\":");
		datagen_buf_json_str(&b, json_str(sline, "topic"));
		sqlpilot_buf_puts(&b, ",\"use_case\":");
		datagen_buf_json_str(&b, json_str(sline, "use_case"));
		sqlpilot_buf_puts(&b, ",\"kind\":");
		datagen_buf_json_str(&b, json_str(it, "kind"));
		sqlpilot_buf_puts(&b, ",\"complex\":0,\"style\":\"crdb\",\"schema\":");
		datagen_buf_json_str(&b, text);
		sqlpilot_buf_puts(&b, ",\"statement\":");
		datagen_buf_json_str(&b, sql);
		sqlpilot_buf_puts(&b, ",\"text\":");
		datagen_buf_json_str(&b, prompt ? prompt : "");
		sqlpilot_buf_puts(&b, "}\n");
		free(prompt);
		if (ev->n == ev->cap)
		{
			char	  **grown = realloc(ev->line, sizeof(char *) * (ev->cap ? ev->cap * 2 : 4096));

			if (!grown)
			{
				sqlpilot_buf_free(&b);
				free(text);
				snprintf(err, errlen, "out of memory");
				return -1;
			}
			ev->line = grown;
			ev->cap = ev->cap ? ev->cap * 2 : 4096;
		}
		ev->line[ev->n++] = sqlpilot_buf_finish(&b, NULL);
		if (!ev->line[ev->n - 1])
		{
			free(text);
			snprintf(err, errlen, "out of memory");
			return -1;
		}
	}
	free(text);
	return 0;
}

/*
 * Writes OUT/eval.jsonl from the held-out shards once all exist, in a
 * seeded shuffled order, so that `sqlpilot eval --limit N` reads a sample
 * of every topic rather than the first topic's use cases.
 */
static int
write_holdout_eval(const DatagenOptions *o, const DatagenOptions *ho, long *n_lines, char *err, size_t errlen)
{
	char		path[4096];
	EvalLines	ev = {0};
	SqlpilotBuf	b = {0};
	long		missing;
	uint64_t	rng = datagen_mix(o->seed, 0, TAG_HOLDOUT_ORDER);
	int			rc;

	snprintf(path, sizeof(path), "%s/eval.jsonl", o->out);
	*n_lines = -1;
	if (datagen_file_exists(path))
	{
		size_t		len;
		char	   *text = sqlpilot_read_file(path, &len, err, errlen);

		if (!text)
			return -1;
		*n_lines = 0;
		for (size_t i = 0; i < len; i++)
			*n_lines += text[i] == '\n';
		free(text);
		return 0;
	}
	rc = each_line(ho, eval_visit, &ev, &missing, err, errlen);
	if (rc == 0 && missing == 0)
	{
		for (long i = ev.n - 1; i > 0; i--)
		{
			long		j = (long) sqlpilot_rng_below(&rng, (uint64_t) i + 1);
			char	   *t = ev.line[i];

			ev.line[i] = ev.line[j];
			ev.line[j] = t;
		}
		for (long i = 0; i < ev.n; i++)
			sqlpilot_buf_puts(&b, ev.line[i]);
		rc = b.oom ? -1 : sqlpilot_write_file_atomic(path, b.data ? b.data : "", b.len, err, errlen);
		if (b.oom)
			snprintf(err, errlen, "out of memory building \"%s\"", path);
		*n_lines = ev.n;
	}
	for (long i = 0; i < ev.n; i++)
		free(ev.line[i]);
	free(ev.line);
	sqlpilot_buf_free(&b);
	return rc;
}

/* ---- the report ---- */

/* The tallies of the report, read back from the shards. */
typedef struct Report
{
	long		schemas;		/* in the shards */
	long		ddl_rejected;
	long		statements;
	long		kept[DATAGEN_N_KINDS];
	long		kept_total;
	long		by_file[N_FILE_KINDS];	/* statements read, per corpus file */
	long		kept_by_file[N_FILE_KINDS];
	Tally		dropped;		/* reason -> statements */
	Tally		ddl;			/* reason -> schemas */
} Report;

/* Adds one schema's lines to the report. */
static int
report_visit(void *arg, cJSON *sline, cJSON *tline, char *err, size_t errlen)
{
	Report	   *r = arg;
	const cJSON *it;
	const cJSON *de = cJSON_GetObjectItemCaseSensitive(tline, "ddl_error");
	char		key[400];

	r->schemas++;
	if (cJSON_IsString(de))
	{
		r->ddl_rejected++;
		normalize_reason(de->valuestring, key, sizeof(key));
		tally_add(&r->ddl, key, 1, json_str(sline, "origin"));
	}
	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(tline, "statements"))
	{
		const char *kind = json_str(it, "kind");

		r->statements++;
		r->kept_total++;
		for (int k = 0; k < DATAGEN_N_KINDS; k++)
			if (strcmp(kind, datagen_kind_names[k]) == 0)
			{
				r->kept[k]++;
				/* an upsert came from insert.json; other kinds from their own file, nearly always */
				r->kept_by_file[k == DATAGEN_UPSERT ? DATAGEN_INSERT : k]++;
				r->by_file[k == DATAGEN_UPSERT ? DATAGEN_INSERT : k]++;
			}
	}
	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(tline, "rejected"))
	{
		const char *kind = json_str(it, "kind");

		r->statements++;
		for (int k = 0; k < N_FILE_KINDS; k++)
			if (strcmp(kind, datagen_kind_names[k]) == 0)
				r->by_file[k]++;
		if (cJSON_IsString(de))
			snprintf(key, sizeof(key), "its schema did not load into PostgreSQL");
		else if (strcmp(json_str(it, "stage"), "import") == 0)
			snprintf(key, sizeof(key), "%s", json_str(it, "error"));
		else
			normalize_reason(json_str(it, "error"), key, sizeof(key));
		tally_add(&r->dropped, key, 1, json_str(it, "sql"));
	}
	return 0;
}

/* Writes a tally as a JSON array of {"reason", "count", "example"}. */
static void
tally_json(SqlpilotBuf *b, const Tally *t)
{
	TallyEntry *e = tally_sorted(t);

	sqlpilot_buf_puts(b, "[");
	for (int i = 0; i < t->n; i++)
	{
		sqlpilot_buf_puts(b, i ? ",\n    {\"reason\":" : "\n    {\"reason\":");
		datagen_buf_json_str(b, e[i].key);
		sqlpilot_buf_printf(b, ",\"count\":%ld,\"example\":", e[i].n);
		datagen_buf_json_str(b, e[i].example);
		sqlpilot_buf_puts(b, "}");
	}
	sqlpilot_buf_puts(b, "]");
	free(e);
}

/* Writes the top rows of a tally as a Markdown table (the rest summed in one row). */
static void
tally_md(SqlpilotBuf *b, const Tally *t, const char *what, long total, int top)
{
	TallyEntry *e = tally_sorted(t);
	long		rest = 0;

	sqlpilot_buf_printf(b, "| %s | count | share | example |\n| --- | ---: | ---: | --- |\n", what);
	for (int i = 0; i < t->n; i++)
	{
		char		ex[90];
		size_t		m = 0;

		if (i >= top)
		{
			rest += e[i].n;
			continue;
		}
		for (const char *p = e[i].example ? e[i].example : ""; *p && m + 4 < sizeof(ex); p++)
		{
			if (*p == '|' || *p == '\n' || *p == '`')
				ex[m++] = ' ';
			else
				ex[m++] = *p;
		}
		ex[m] = '\0';
		sqlpilot_buf_printf(b, "| %s | %ld | %.2f%% | `%s` |\n", e[i].key, e[i].n,
							total ? 100.0 * e[i].n / total : 0.0, ex);
	}
	if (rest > 0)
		sqlpilot_buf_printf(b, "| (%d other reasons) | %ld | %.2f%% | |\n", t->n - top, rest,
							total ? 100.0 * rest / total : 0.0);
	free(e);
}

/* Builds and writes OUT/import_report.json and .md, and prints the summary on stderr. */
static int
write_report(const DatagenOptions *o, const DatagenOptions *ho, const DatagenImportOptions *io,
			 long eval_lines, double seconds, long validated, char *err, size_t errlen)
{
	Report		tr = {0},
				hr = {0};
	long		missing_t = 0,
				missing_h = 0;
	SqlpilotBuf	j = {0},
				m = {0};
	char		path[4096];
	long		corpus_statements;
	long		dropped;
	int			rc;

	if (each_line(o, report_visit, &tr, &missing_t, err, errlen) != 0 ||
		(ho->n_schemas > 0 && each_line(ho, report_visit, &hr, &missing_h, err, errlen) != 0))
		return -1;
	/* held-out drops join the training ones: one table of reasons */
	for (int i = 0; i < hr.dropped.cap; i++)
		if (hr.dropped.e[i].key)
			tally_add(&tr.dropped, hr.dropped.e[i].key, hr.dropped.e[i].n, hr.dropped.e[i].example);
	for (int i = 0; i < hr.ddl.cap; i++)
		if (hr.ddl.e[i].key)
			tally_add(&tr.ddl, hr.ddl.e[i].key, hr.ddl.e[i].n, hr.ddl.e[i].example);
	if (corpus.unconverted_statements > 0)
		tally_add(&tr.dropped, "its schema did not convert to PostgreSQL", corpus.unconverted_statements, NULL);
	corpus_statements = tr.statements + hr.statements + corpus.unconverted_statements;
	dropped = corpus_statements - tr.kept_total - hr.kept_total;

	sqlpilot_buf_puts(&j, "{\n  \"from\": ");
	datagen_buf_json_str(&j, corpus.data);
	sqlpilot_buf_printf(&j, ",\n  \"holdout_mod\": %d, \"holdout_rem\": %d, \"limit\": %ld,\n",
						io->holdout_mod, io->holdout_rem, io->limit);
	sqlpilot_buf_printf(&j, "  \"complete\": %s, \"shards_missing\": %ld,\n",
						missing_t + missing_h == 0 ? "true" : "false", missing_t + missing_h);
	sqlpilot_buf_printf(&j, "  \"use_cases\": %ld, \"use_cases_held_out\": %ld,\n", corpus.use_cases,
						corpus.use_cases_held);
	sqlpilot_buf_printf(&j, "  \"schemas\": {\"read\": %ld, \"held_out\": %ld, \"not_converted\": %ld, "
						"\"rejected_by_postgresql\": %ld, \"loaded\": %ld, \"loaded_train\": %ld, "
						"\"loaded_held_out\": %ld},\n",
						corpus.schemas, corpus.schemas_held, corpus.unconverted,
						tr.ddl_rejected + hr.ddl_rejected,
						tr.schemas + hr.schemas - tr.ddl_rejected - hr.ddl_rejected,
						tr.schemas - tr.ddl_rejected, hr.schemas - hr.ddl_rejected);
	sqlpilot_buf_printf(&j, "  \"statements\": {\"read\": %ld, \"kept\": %ld, \"kept_train\": %ld, "
						"\"kept_held_out\": %ld, \"dropped\": %ld},\n", corpus_statements,
						tr.kept_total + hr.kept_total, tr.kept_total, hr.kept_total, dropped);
	sqlpilot_buf_puts(&j, "  \"kept_by_kind\": {");
	for (int k = 0; k < DATAGEN_N_KINDS; k++)
		sqlpilot_buf_printf(&j, "%s\"%s\": %ld", k ? ", " : "", datagen_kind_names[k], tr.kept[k] + hr.kept[k]);
	sqlpilot_buf_puts(&j, "},\n  \"by_file\": {");
	for (int k = 0; k < N_FILE_KINDS; k++)
		sqlpilot_buf_printf(&j, "%s\"%s\": {\"read\": %ld, \"kept\": %ld}", k ? ", " : "",
							datagen_kind_names[k], tr.by_file[k] + hr.by_file[k],
							tr.kept_by_file[k] + hr.kept_by_file[k]);
	sqlpilot_buf_printf(&j, "},\n  \"eval_lines\": %ld,\n  \"this_run\": {\"seconds\": %.1f, "
						"\"statements_validated\": %ld, \"statements_per_second\": %.0f},\n",
						eval_lines, seconds, validated, seconds > 0 ? validated / seconds : 0.0);
	sqlpilot_buf_puts(&j, "  \"forms\": {");
	for (int f = 0; f < IMPORT_N_FORMS; f++)
	{
		sqlpilot_buf_puts(&j, f ? ",\n    " : "\n    ");
		datagen_buf_json_str(&j, datagen_import_form_names[f]);
		sqlpilot_buf_printf(&j, ": %ld", corpus.forms.n[f]);
	}
	sqlpilot_buf_puts(&j, "},\n  \"schemas_not_converted\": ");
	tally_json(&j, &corpus.convert_fail);
	sqlpilot_buf_puts(&j, ",\n  \"schemas_rejected_by_postgresql\": ");
	tally_json(&j, &tr.ddl);
	sqlpilot_buf_puts(&j, ",\n  \"statements_dropped\": ");
	tally_json(&j, &tr.dropped);
	sqlpilot_buf_puts(&j, "\n}\n");

	sqlpilot_buf_printf(&m, "# Import report\n\nCorpus `%s`; held out: use cases with d %% %d == %d%s.%s\n\n",
						corpus.data, io->holdout_mod, io->holdout_rem,
						io->holdout_mod ? "" : " (none)",
						missing_t + missing_h ? " **Incomplete: shards are missing (run again).**" : "");
	sqlpilot_buf_printf(&m, "| | count |\n| --- | ---: |\n| use cases read | %ld |\n| of them held out | %ld |\n"
						"| schemas read | %ld |\n| schemas held out | %ld |\n| schemas not converted | %ld |\n"
						"| schemas rejected by PostgreSQL | %ld |\n| schemas loaded (train) | %ld |\n"
						"| schemas loaded (held out) | %ld |\n| statements read | %ld |\n"
						"| statements kept (train) | %ld |\n| statements kept (held out, eval.jsonl) | %ld |\n"
						"| statements dropped | %ld (%.1f%%) |\n\n",
						corpus.use_cases, corpus.use_cases_held, corpus.schemas, corpus.schemas_held,
						corpus.unconverted, tr.ddl_rejected + hr.ddl_rejected, tr.schemas - tr.ddl_rejected,
						hr.schemas - hr.ddl_rejected, corpus_statements, tr.kept_total, hr.kept_total,
						dropped, corpus_statements ? 100.0 * dropped / corpus_statements : 0.0);
	sqlpilot_buf_puts(&m, "## Statements by corpus file\n\n| file | read | kept | kept share |\n| --- | ---: | ---: | ---: |\n");
	for (int k = 0; k < N_FILE_KINDS; k++)
	{
		long		rd = tr.by_file[k] + hr.by_file[k],
					kp = tr.kept_by_file[k] + hr.kept_by_file[k];

		sqlpilot_buf_printf(&m, "| %s.json | %ld | %ld | %.1f%% |\n", datagen_kind_names[k], rd, kp,
							rd ? 100.0 * kp / rd : 0.0);
	}
	sqlpilot_buf_printf(&m, "\n(a kept statement counts under the file of its own kind, an INSERT ... ON "
						"CONFLICT under insert.json; the %ld statements of schemas that did not convert are "
						"not in this table)\n\n", corpus.unconverted_statements);
	sqlpilot_buf_puts(&m, "## Why statements were dropped\n\n");
	tally_md(&m, &tr.dropped, "reason", dropped, 40);
	sqlpilot_buf_puts(&m, "\n## Schemas that did not convert\n\n");
	tally_md(&m, &corpus.convert_fail, "reason", corpus.unconverted, 30);
	sqlpilot_buf_puts(&m, "\n## Schemas PostgreSQL refused\n\n");
	tally_md(&m, &tr.ddl, "reason", tr.ddl_rejected + hr.ddl_rejected, 30);
	sqlpilot_buf_puts(&m, "\n## DDL forms converted (occurrences over all schemas read)\n\n| form | count |\n| --- | ---: |\n");
	for (int f = 0; f < IMPORT_N_FORMS; f++)
		sqlpilot_buf_printf(&m, "| %s | %ld |\n", datagen_import_form_names[f], corpus.forms.n[f]);
	sqlpilot_buf_printf(&m, "\nThis run: %ld statements validated in %.1f s (%.0f statements/s); "
						"eval.jsonl: %ld lines.\n", validated, seconds, seconds > 0 ? validated / seconds : 0.0,
						eval_lines);

	snprintf(path, sizeof(path), "%s/import_report.json", o->out);
	rc = j.oom || m.oom ? -1 : sqlpilot_write_file_atomic(path, j.data, j.len, err, errlen);
	snprintf(path, sizeof(path), "%s/import_report.md", o->out);
	if (rc == 0)
		rc = sqlpilot_write_file_atomic(path, m.data, m.len, err, errlen);
	else if (j.oom || m.oom)
		snprintf(err, errlen, "out of memory building the report");
	if (rc == 0)
		fprintf(stderr, "import     %ld schemas read (%ld held out): %ld not converted, %ld refused by PostgreSQL\n"
				"import     %ld statements read: %ld kept for training, %ld held out, %ld dropped (%.1f%%); "
				"report: %s/import_report.md\n",
				corpus.schemas, corpus.schemas_held, corpus.unconverted, tr.ddl_rejected + hr.ddl_rejected,
				corpus_statements, tr.kept_total, hr.kept_total, dropped,
				corpus_statements ? 100.0 * dropped / corpus_statements : 0.0, o->out);
	sqlpilot_buf_free(&j);
	sqlpilot_buf_free(&m);
	tally_free(&tr.dropped);
	tally_free(&tr.ddl);
	tally_free(&hr.dropped);
	tally_free(&hr.ddl);
	return rc;
}

/* ---- the command ---- */

/*
 * Records the import's own parameters in OUT/import.json, or checks them
 * against a previous run's (a different corpus cut would mix two data sets).
 */
static int
import_manifest(const DatagenOptions *o, const DatagenImportOptions *io, char *err, size_t errlen)
{
	char		path[4096],
				want[512];
	char	   *have;
	int			n;

	n = snprintf(want, sizeof(want), "{\"version\": 1, \"holdout_mod\": %d, \"holdout_rem\": %d, "
				 "\"limit\": %ld, \"schemas_read\": %ld, \"train_schemas\": %ld, \"holdout_schemas\": %ld}\n",
				 io->holdout_mod, io->holdout_rem, io->limit, corpus.schemas, corpus.n_train, corpus.n_hold);
	snprintf(path, sizeof(path), "%s/import.json", o->out);
	have = sqlpilot_read_file(path, NULL, err, errlen);
	if (have)
	{
		bool		same = strcmp(have, want) == 0;

		free(have);
		if (!same)
		{
			snprintf(err, errlen, "\"%s\" was imported with other options or from another corpus "
					 "(see %s): use another --out", o->out, path);
			return -1;
		}
		return 0;
	}
	if (datagen_prepare_dir(o, NULL, err, errlen) != 0)
		return -1;
	return sqlpilot_write_file_atomic(path, want, n, err, errlen);
}

/* See import.h. */
int
datagen_import(DatagenOptions *o, const DatagenImportOptions *io, const char *conninfo,
			   char *err, size_t errlen)
{
	DatagenOptions ho;
	char		hold_dir[4096];
	DatagenCounters c;
	double		t0 = sqlpilot_now(),
				t1;
	long		validated = 0,
				eval_lines = -1;
	int			rc;

	if (io->holdout_mod < 0 || (io->holdout_mod > 0 && (io->holdout_rem < 0 || io->holdout_rem >= io->holdout_mod)))
	{
		snprintf(err, errlen, "--holdout-rem wants 0 <= R < --holdout-mod");
		return -1;
	}
	if (find_corpus(io->from, err, errlen) != 0 || scan(io, err, errlen) != 0)
		return -1;
	fprintf(stderr, "scan       %ld use cases, %ld schemas in %.1f s: %ld to train on, %ld held out, %ld not converted\n",
			corpus.use_cases, corpus.schemas, sqlpilot_now() - t0, corpus.n_train, corpus.n_hold,
			corpus.unconverted);
	o->n_schemas = corpus.n_train;
	o->eval_every = 0;
	if (o->per_schema < 0)
		o->per_schema = 50;
	if (import_manifest(o, io, err, errlen) != 0)
		return -1;
	ho = *o;
	snprintf(hold_dir, sizeof(hold_dir), "%s/holdout", o->out);
	ho.out = hold_dir;
	ho.n_schemas = corpus.n_hold;
	t1 = sqlpilot_now();
	rc = import_set(o, corpus.train, conninfo, "import", &c, err, errlen);
	validated += c.units;
	if (rc == 0 && corpus.n_hold > 0)
	{
		rc = import_set(&ho, corpus.hold, conninfo, "holdout", &c, err, errlen);
		validated += c.units;
	}
	t1 = sqlpilot_now() - t1;
	if (rc == 0 && corpus.n_hold > 0)
		rc = write_holdout_eval(o, &ho, &eval_lines, err, errlen);
	if (rc == 0)
		rc = datagen_stage_raw(o, err, errlen);
	if (rc == 0)
		rc = write_report(o, &ho, io, eval_lines, t1, validated, err, errlen);
	return rc;
}
