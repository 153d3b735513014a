/*
 * test_llm.c — datagen's LLM backend (datagen/llm/) against the fake
 * OpenAI-compatible server tests/llm_server.py on loopback: answer
 * conversion, structured output and its fallback, the API key, faults
 * (429 with Retry-After, 5xx, dropped connections, truncated bodies, slow
 * replies, malformed and off-schema answers) that must lose and duplicate
 * nothing, the rate limit, PostgreSQL validation of LLM schemas and
 * statements, and a killed run that resumes asking each item at most once
 * more.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cJSON.h"
#include "../datagen/llm.h"
#include "../datagen/validate.h"
#include "../tests/tap.h"
#include "util.h"

static char tmpdir[256];

/* A running fake server. */
typedef struct FakeServer
{
	pid_t		pid;
	char		url[128];
	char		log[512];
} FakeServer;

/* Starts tests/llm_server.py with extra arguments (NULL-terminated); false on failure. */
static bool
server_start(FakeServer *fs, const char *name, const char *const *extra)
{
	const char *root = getenv("SQLPILOT_ROOT") ? getenv("SQLPILOT_ROOT") : ".";
	char		script[512],
				portfile[512];
	const char *argv[32];
	int			n = 0;

	snprintf(script, sizeof(script), "%s/tests/llm_server.py", root);
	snprintf(portfile, sizeof(portfile), "%s/%s.port", tmpdir, name);
	snprintf(fs->log, sizeof(fs->log), "%s/%s.log", tmpdir, name);
	argv[n++] = "/usr/bin/python3";
	argv[n++] = script;
	argv[n++] = "--port-file";
	argv[n++] = portfile;
	argv[n++] = "--log";
	argv[n++] = fs->log;
	argv[n++] = "--lifetime";
	argv[n++] = "240";
	for (int i = 0; extra && extra[i] && n < 30; i++)
		argv[n++] = extra[i];
	argv[n] = NULL;
	fs->pid = fork();
	if (fs->pid == 0)
	{
		execv(argv[0], (char *const *) argv);
		_exit(127);
	}
	for (int i = 0; i < 200; i++)
	{
		FILE	   *f = fopen(portfile, "r");
		int			port = 0;

		if (f)
		{
			if (fscanf(f, "%d", &port) != 1)
				port = 0;
			fclose(f);
		}
		if (port > 0)
		{
			snprintf(fs->url, sizeof(fs->url), "http://127.0.0.1:%d/v1", port);
			return true;
		}
		usleep(50000);
	}
	return false;
}

/* Stops the fake server. */
static void
server_stop(FakeServer *fs)
{
	if (fs->pid > 0)
	{
		kill(fs->pid, SIGTERM);
		waitpid(fs->pid, NULL, 0);
		fs->pid = 0;
	}
}

/* The server's request log as a cJSON array of entries. */
static cJSON *
read_log(const FakeServer *fs)
{
	char		err[256];
	char	   *text = sqlpilot_read_file(fs->log, NULL, err, sizeof(err));
	cJSON	   *arr = cJSON_CreateArray();

	for (char *line = text ? strtok(text, "\n") : NULL; line; line = strtok(NULL, "\n"))
	{
		cJSON	   *j = cJSON_Parse(line);

		if (j)
			cJSON_AddItemToArray(arr, j);
	}
	free(text);
	return arr;
}

/* How many logged requests were for item. */
static int
requests_for(const cJSON *log, const char *item)
{
	const cJSON *e;
	int			n = 0;

	cJSON_ArrayForEach(e, log)
		n += strcmp(cJSON_GetObjectItem(e, "item")->valuestring, item) == 0;
	return n;
}

/* The time of the k-th (0-based) logged request for item, or -1. */
static double
request_time(const cJSON *log, const char *item, int k)
{
	const cJSON *e;

	cJSON_ArrayForEach(e, log)
		if (strcmp(cJSON_GetObjectItem(e, "item")->valuestring, item) == 0 && k-- == 0)
		return cJSON_GetObjectItem(e, "t")->valuedouble;
	return -1;
}

/* Engine options for the tests: short backoff and timeout, answers under dir. */
static void
test_options(DatagenLlmOptions *o, const FakeServer *fs, const char *dir)
{
	static char path[512];

	datagen_llm_options_default(o);
	snprintf(path, sizeof(path), "%s/%s", tmpdir, dir);
	o->url = fs->url;
	o->model = "fake-model";
	o->dir = path;
	o->backoff = 0.05;
	o->backoff_max = 0.2;
	o->timeout = 1.0;
	o->max_retries = 3;
	o->max_invalid = 2;
	o->concurrency = 4;
}

/* True when the file exists. */
static bool
exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

/* Conversions of answers to schemas and statements, without a server. */
static void
test_convert(void)
{
	const char *answer =
		"{\"tables\":[{\"name\":\"Authors\",\"columns\":["
		"{\"name\":\"author_id\",\"type\":\"serial\",\"not_null\":false,\"default\":null},"
		"{\"name\":\"name\",\"type\":\"VARCHAR( 100 )\",\"not_null\":true,\"default\":null}],"
		"\"primary_key\":[\"author_id\"],\"unique\":[],\"foreign_keys\":[],\"indexes\":[]},"
		"{\"name\":\"books\",\"columns\":["
		"{\"name\":\"book_id\",\"type\":\"int\",\"not_null\":true,\"default\":null},"
		"{\"name\":\"author_id\",\"type\":\"integer\",\"not_null\":false,\"default\":null},"
		"{\"name\":\"added\",\"type\":\"timestamptz\",\"not_null\":false,\"default\":\"now()\"}],"
		"\"primary_key\":[\"book_id\"],\"unique\":[],\"foreign_keys\":[{\"columns\":[\"author_id\"],"
		"\"ref_table\":\"authors\",\"ref_columns\":[\"author_id\"],\"on_delete\":\"CASCADE\"}],"
		"\"indexes\":[{\"columns\":[\"added\"],\"unique\":false}]}]}";
	cJSON	   *j = cJSON_Parse(answer);
	DatagenSchema s;
	DatagenStatement st;
	char		err[256] = "";
	bool		idents_ok = true;
	int			n_col = 0;

	if (!tap_ok(datagen_llm_schema_from_answer(j, 3, 4, &s, err, sizeof(err)) == 0,
				"a schema answer converts (%s)", err))
		return;
	tap_ok(s.n_tables == 2 && strcmp(s.tables[0].name, "authors") == 0 && s.topic == 3 &&
		   s.use_case == 4, "names are folded, topic and use case kept");
	tap_ok(strcmp(s.tables[0].columns[0].type, "integer") == 0 &&
		   s.tables[0].columns[0].default_expr &&
		   strcmp(s.tables[0].columns[0].default_expr, "nextval('authors_author_id_seq'::regclass)") == 0 &&
		   strcmp(s.tables[0].columns[1].type, "character varying(100)") == 0 &&
		   strcmp(s.tables[1].columns[2].type, "timestamp with time zone") == 0,
		   "types in format_type() spelling, serial as a sequence default");
	tap_ok(s.tables[1].n_indexes == 2 && s.tables[1].indexes[0].primary && s.tables[1].n_fkeys == 1 &&
		   s.n_links == 1 && s.links[0].child == 1 && s.links[0].child_col == 1 &&
		   s.links[0].parent == 0 && s.links[0].parent_col == 0,
		   "keys, indexes, foreign keys and join links");

	if (tap_ok(datagen_llm_statement_from_sql(
											  "  SELECT a.name, COUNT(b.book_id) FROM authors a JOIN books AS b ON b.author_id = a.author_id "
											  "WHERE added > '2020-01-01'::date GROUP BY a.name;  ", true, &s, &st, err, sizeof(err)) == 0,
			   "a SELECT converts (%s)", err))
	{
		for (int i = 0; i < st.n_idents; i++)
		{
			const DatagenIdent *id = &st.idents[i];
			const SqlpilotTable *t = &s.tables[id->table];
			const char *want = id->what == DATAGEN_IDENT_TABLE ? t->name : t->columns[id->column].name;

			if (strlen(want) != id->len || strncmp(st.sql + id->off, want, id->len) != 0)
				idents_ok = false;
			n_col += id->what == DATAGEN_IDENT_COLUMN;
		}
		tap_ok(st.kind == DATAGEN_SELECT && st.complex == 1 && st.sql[0] == 'S' &&
			   st.sql[strlen(st.sql) - 1] == ';', "kind, half and trimmed text");
		tap_ok(idents_ok && st.n_idents == 8 && n_col == 6,
			   "identifier positions: 2 tables, 6 columns through aliases, not the date type (%d)",
			   st.n_idents);
		for (int i = 0; i < st.n_idents; i++)
			if (st.idents[i].what == DATAGEN_IDENT_COLUMN &&
				strncmp(st.sql + st.idents[i].off, "author_id", 9) == 0 &&
				st.sql[st.idents[i].off - 2] == 'b' && st.idents[i].table != 1)
				idents_ok = false;
		tap_ok(idents_ok, "b.author_id resolves to books, a.author_id to authors");
		datagen_statement_free(&st);
	}
	tap_ok(datagen_llm_statement_from_sql("INSERT INTO authors (name) VALUES ('x') ON CONFLICT DO NOTHING;",
										  false, &s, &st, err, sizeof(err)) == 0 &&
		   st.kind == DATAGEN_UPSERT, "ON CONFLICT makes an upsert");
	datagen_statement_free(&st);
	tap_ok(datagen_llm_statement_from_sql("TRUNCATE books; TRUNCATE authors;", false, &s, &st,
										  err, sizeof(err)) != 0, "two statements are refused");
	tap_ok(datagen_llm_statement_from_sql("TRUNCATE books /* a /* b; */ c; */ -- d;", false, &s, &st,
										  err, sizeof(err)) == 0, "a ';' in a nested comment is not a second statement");
	datagen_statement_free(&st);
	tap_ok(datagen_llm_statement_from_sql("EXPLAIN SELECT 1", false, &s, &st, err, sizeof(err)) != 0,
		   "an unknown kind is refused");
	datagen_schema_free(&s);
	cJSON_Delete(j);

	j = cJSON_Parse("{\"tables\":[{\"name\":\"select\",\"columns\":[{\"name\":\"a\",\"type\":\"int\","
					"\"not_null\":false,\"default\":null}],\"primary_key\":[],\"unique\":[],"
					"\"foreign_keys\":[],\"indexes\":[]}]}");
	tap_ok(datagen_llm_schema_from_answer(j, 0, 0, &s, err, sizeof(err)) != 0,
		   "a reserved word as a table name is refused (%s)", err);
	cJSON_Delete(j);
	j = cJSON_Parse("{\"tables\":[{\"name\":\"t\",\"columns\":[{\"name\":\"a\",\"type\":\"int\","
					"\"not_null\":false,\"default\":null}],\"primary_key\":[\"b\"],\"unique\":[],"
					"\"foreign_keys\":[],\"indexes\":[]}]}");
	tap_ok(datagen_llm_schema_from_answer(j, 0, 0, &s, err, sizeof(err)) != 0,
		   "a key on a missing column is refused (%s)", err);
	cJSON_Delete(j);
}

/* --mix: a seeded coin, stable and near the asked share. */
static void
test_pick(void)
{
	int			hits = 0;
	bool		stable = true;

	for (long k = 0; k < 10000; k++)
	{
		bool		a = datagen_llm_pick(0.3, 7, k);

		hits += a;
		stable &= a == datagen_llm_pick(0.3, 7, k);
	}
	tap_ok(stable && hits > 2800 && hits < 3200, "--mix 0.3 picks %d of 10000, the same each time", hits);
	tap_ok(!datagen_llm_pick(0, 7, 1) && datagen_llm_pick(1, 7, 1), "--mix 0 and 1 are exact");
}

/* The command-line options: taken, checked, and the key never among them. */
static void
test_options_parse(void)
{
	DatagenLlmOptions o;
	double		mix = 1;
	char		err[256] = "";

	datagen_llm_options_default(&o);
	tap_ok(datagen_llm_option(&o, &mix, "--llm-url", "http://127.0.0.1:1/v1", err, sizeof(err)) == 2 &&
		   datagen_llm_option(&o, &mix, "--mix", "0.25", err, sizeof(err)) == 2 &&
		   datagen_llm_option(&o, &mix, "--llm-concurrency", "16", err, sizeof(err)) == 2 &&
		   datagen_llm_option(&o, &mix, "--llm-guided-json", NULL, err, sizeof(err)) == 1 &&
		   datagen_llm_option(&o, &mix, "--out", "x", err, sizeof(err)) == 0 &&
		   mix == 0.25 && o.concurrency == 16 && o.guided_json &&
		   strcmp(o.url, "http://127.0.0.1:1/v1") == 0, "LLM options are taken, others left alone");
	tap_ok(datagen_llm_option(&o, &mix, "--mix", "1.5", err, sizeof(err)) == -1 &&
		   datagen_llm_option(&o, &mix, "--llm-timeout", "0", err, sizeof(err)) == -1 &&
		   datagen_llm_option(&o, &mix, "--llm-rps", NULL, err, sizeof(err)) == -1 &&
		   datagen_llm_option(&o, &mix, "--llm-key", "sk-123", err, sizeof(err)) == 0,
		   "bad values refused; there is no option for the key itself");
	o.model = "m";
	o.dir = "/tmp";
	o.url = "ftp://example/v1";
	tap_ok(datagen_llm_open(&o, err, sizeof(err)) == NULL, "a non-http URL is refused (%s)", err);
}

/* Topics and use cases; structured output sent as response_format json_schema. */
static void
test_topics(void)
{
	FakeServer	fs;
	DatagenLlmOptions o;
	DatagenLlm *llm;
	char		err[512] = "";
	char	  **topics = NULL;
	int			n = 0;
	cJSON	   *log;

	if (!tap_ok(server_start(&fs, "topics", NULL), "fake server starts"))
		return;
	test_options(&o, &fs, "topics");
	llm = datagen_llm_open(&o, err, sizeof(err));
	tap_ok(datagen_llm_topics(llm, 10, &topics, &n, err, sizeof(err)) == 0, "topics (%s)", err);
	tap_ok(n == 5 && strcmp(topics[0], "Online retail") == 0, "5 distinct topics (duplicate dropped): %d", n);
	if (n == 5)
	{
		char	  **uc[5];
		int			nuc[5];

		tap_ok(datagen_llm_use_cases(llm, (const char *const *) topics, n, 8, uc, nuc, err, sizeof(err)) == 0,
			   "use cases (%s)", err);
		tap_ok(nuc[0] == 3 && strcmp(uc[0][0], "order fulfilment") == 0 && nuc[1] == 2 && nuc[4] == 3,
			   "use cases per topic, duplicates dropped (%d %d %d)", nuc[0], nuc[1], nuc[4]);
		for (int i = 0; i < n; i++)
		{
			for (int k = 0; k < nuc[i]; k++)
				free(uc[i][k]);
			free(uc[i]);
		}
	}
	log = read_log(&fs);
	tap_ok(cJSON_GetArraySize(log) == 6 &&
		   strcmp(cJSON_GetObjectItem(cJSON_GetArrayItem(log, 0), "form")->valuestring, "json_schema") == 0 &&
		   strcmp(cJSON_GetObjectItem(cJSON_GetArrayItem(log, 0), "model")->valuestring, "fake-model") == 0 &&
		   cJSON_IsFalse(cJSON_GetObjectItem(cJSON_GetArrayItem(log, 0), "limits")),
		   "one request per item, response_format json_schema without length limits, the model named");
	cJSON_Delete(log);
	for (int i = 0; i < n; i++)
		free(topics[i]);
	free(topics);
	datagen_llm_close(llm);
	server_stop(&fs);
}

/* A server without response_format json_schema gets guided_json; the API key. */
static void
test_fallback_and_key(void)
{
	const char *const extra[] = {"--no-json-schema", "--api-key", "s3cret-key",
	"--faults", "{\"topics/t400\": [\"400\"]}", NULL};
	FakeServer	fs;
	DatagenLlmOptions o;
	DatagenLlm *llm;
	char		err[512] = "";
	char	  **topics = NULL;
	int			n = 0;
	cJSON	   *log;
	int			rc;

	if (!tap_ok(server_start(&fs, "fallback", extra), "fake server (no json_schema, API key) starts"))
		return;
	test_options(&o, &fs, "fallback");
	o.key_env = "SQLPILOT_TEST_LLM_KEY";
	setenv("SQLPILOT_TEST_LLM_KEY", "wrong-key", 1);
	llm = datagen_llm_open(&o, err, sizeof(err));
	rc = datagen_llm_topics(llm, 5, &topics, &n, err, sizeof(err));
	tap_ok(rc != 0 && strstr(err, "401") && !strstr(err, "wrong-key"),
		   "a wrong key stops the run with HTTP 401, the key not in the message (%s)", err);
	datagen_llm_close(llm);

	setenv("SQLPILOT_TEST_LLM_KEY", "s3cret-key", 1);
	llm = datagen_llm_open(&o, err, sizeof(err));
	rc = datagen_llm_topics(llm, 5, &topics, &n, err, sizeof(err));
	tap_ok(rc == 0 && n == 5, "the key from the environment is accepted (%s)", rc ? err : "");
	log = read_log(&fs);
	tap_ok(cJSON_GetArraySize(log) == 3 &&
		   strcmp(cJSON_GetObjectItem(cJSON_GetArrayItem(log, 1), "form")->valuestring, "json_schema") == 0 &&
		   strcmp(cJSON_GetObjectItem(cJSON_GetArrayItem(log, 2), "form")->valuestring, "guided_json") == 0,
		   "HTTP 400 to response_format: asked again with guided_json");
	{
		char		path[600];
		char		e2[128];
		char	   *text;

		snprintf(path, sizeof(path), "%s/topics/topics.json", o.dir);
		text = sqlpilot_read_file(path, NULL, e2, sizeof(e2));
		tap_ok(text && !strstr(text, "s3cret") && strstr(text, "Online retail"),
			   "the answer file holds the answer, not the key");
		free(text);
	}
	cJSON_Delete(log);
	{
		DatagenLlmItem it = {0};

		it.stage = datagen_llm_stage("topics");
		snprintf(it.key, sizeof(it.key), "t400");
		datagen_llm_prompt_topics(3, &it.system, &it.user);
		rc = datagen_llm_run(llm, &it, 1, err, sizeof(err));
		tap_ok(rc == 0 && it.status == DATAGEN_LLM_FAILED && strstr(it.error, "HTTP 400") &&
			   strstr(it.error, "bad request"), "another 400 fails the item with the server's words (%s)",
			   it.error);
		datagen_llm_item_free(&it);
	}
	for (int i = 0; i < n; i++)
		free(topics[i]);
	free(topics);
	datagen_llm_close(llm);
	unsetenv("SQLPILOT_TEST_LLM_KEY");
	server_stop(&fs);
}

#define N_FAULT_ITEMS 12

/* Renders s with its tables in the validator's scratch schema (as the pipeline does). */
static char *
scratch_ddl(DatagenValidator *v, DatagenSchema *s)
{
	char	   *saved[8];
	char	   *ddl;

	for (int i = 0; i < s->n_tables; i++)
	{
		saved[i] = s->tables[i].schema;
		s->tables[i].schema = v->scratch;
	}
	ddl = sqlpilot_schema_render(s->tables, s->n_tables, SQLPILOT_DDL_PGDUMP, NULL, NULL);
	for (int i = 0; i < s->n_tables; i++)
		s->tables[i].schema = saved[i];
	return ddl;
}

/* Every fault once, with PostgreSQL validation; then a second run asks only for the failed item. */
static void
test_faults(DatagenValidator *pg)
{
	const char *faults =
		"{\"schemas/s-00\":[\"429\"],\"schemas/s-01\":[\"500\",\"503\"],\"schemas/s-02\":[\"drop\"],"
		"\"schemas/s-03\":[\"truncate\"],\"schemas/s-04\":[\"slow\"],\"schemas/s-05\":[\"malformed\"],"
		"\"schemas/s-06\":[\"offschema\"],\"schemas/s-07\":[\"badref\"],\"schemas/s-08\":[\"badddl\"],"
		"\"schemas/s-09\":[\"malformed\",\"offschema\",\"malformed\"],"
		"\"schemas/s-10\":[\"500\",\"500\",\"500\",\"500\"],"
		"\"statements/s-01\":[\"drop\",\"offschema\"],\"statements/s-02\":[\"429\"]}";
	const char *const extra[] = {"--faults", faults, "--slow", "2.5", "--retry-after", "1", NULL};
	const int	expect_requests[N_FAULT_ITEMS] = {2, 3, 2, 2, 2, 2, 2, 2, 1, 3, 4, 1};
	FakeServer	fs;
	DatagenLlmOptions o;
	DatagenLlm *llm;
	DatagenLlmSchemaReq req[N_FAULT_ITEMS];
	char		ids[N_FAULT_ITEMS][16];
	DatagenSchema out[N_FAULT_ITEMS];
	bool		ok[N_FAULT_ITEMS];
	long		dropped = 0,
				failed = 0;
	char		err[512] = "";
	cJSON	   *log;
	bool		counts_ok = true,
				files_ok = true;
	const DatagenLlmStats *st;
	int			rc;

	if (!tap_ok(server_start(&fs, "faults", extra), "fake server with a fault schedule starts"))
		return;
	test_options(&o, &fs, "faults");
	llm = datagen_llm_open(&o, err, sizeof(err));
	for (int i = 0; i < N_FAULT_ITEMS; i++)
	{
		snprintf(ids[i], sizeof(ids[i]), "s-%02d", i);
		req[i] = (DatagenLlmSchemaReq) {ids[i], "Public libraries", "book loans", 1, i};
	}
	rc = datagen_llm_schemas(llm, req, N_FAULT_ITEMS, pg, out, ok, &dropped, &failed, err, sizeof(err));
	tap_ok(rc == 0 && failed == 1, "a run under faults finishes, one item failed (%s)", rc ? err : "");
	for (int i = 0; i < N_FAULT_ITEMS; i++)
		if (ok[i] != (i != 8 && i != 9 && i != 10))
			files_ok = false;
	tap_ok(files_ok && dropped == 1, "every item answered but the bad-DDL, the hopeless and the failed ones (dropped %ld)",
		   dropped);
	log = read_log(&fs);
	for (int i = 0; i < N_FAULT_ITEMS; i++)
	{
		char		item[64];

		snprintf(item, sizeof(item), "schemas/s-%02d", i);
		if (requests_for(log, item) != expect_requests[i])
		{
			tap_diag("%s: %d requests, expected %d", item, requests_for(log, item), expect_requests[i]);
			counts_ok = false;
		}
	}
	tap_ok(counts_ok, "each item asked exactly as often as its faults need");
	tap_ok(request_time(log, "schemas/s-00", 1) - request_time(log, "schemas/s-00", 0) >= 0.95,
		   "Retry-After honoured (%.2f s)",
		   request_time(log, "schemas/s-00", 1) - request_time(log, "schemas/s-00", 0));
	st = datagen_llm_stats(llm);
	{
		DatagenLlmStats total = {0};
		char		line[512];

		datagen_llm_stats_add(&total, st);
		datagen_llm_stats_add(&total, st);
		datagen_llm_stats_line(&total, line, sizeof(line));
		tap_ok(total.requests == 2 * st->requests && total.failed == 2 && strstr(line, "2 failed"),
			   "counters add up across workers: %s", line);
	}
	tap_ok(st->rate_limited == 1 && st->server_errors == 6 && st->timeouts == 1 &&
		   st->transport_errors == 2 && st->malformed == 3 && st->off_schema == 3 &&
		   st->skipped == 1 && st->failed == 1 && st->answered == 10,
		   "counters: 429 %ld, 5xx %ld, timeouts %ld, transport %ld, malformed %ld, off-schema %ld, "
		   "skipped %ld, failed %ld, answered %ld", st->rate_limited, st->server_errors, st->timeouts,
		   st->transport_errors, st->malformed, st->off_schema, st->skipped, st->failed, st->answered);
	files_ok = true;
	for (int i = 0; i < N_FAULT_ITEMS; i++)
	{
		char		path[600];

		snprintf(path, sizeof(path), "%s/schemas/s-%02d.json", o.dir, i);
		files_ok &= exists(path) == (i != 9 && i != 10);
		snprintf(path, sizeof(path), "%s/schemas/s-%02d.skip", o.dir, i);
		files_ok &= exists(path) == (i == 9);
	}
	tap_ok(files_ok, "one answer file per answered item, a .skip record for the hopeless one");
	cJSON_Delete(log);

	/* Statements over the schemas that loaded, validated like generated ones. */
	{
		const char *sids[N_FAULT_ITEMS];
		DatagenSchema sch[N_FAULT_ITEMS];
		DatagenStatement *stm[N_FAULT_ITEMS];
		int			nst[N_FAULT_ITEMS];
		int			m = 0;
		int			total = 0,
					rejected = 0,
					upserts = 0;
		bool		one_bad_each = true;
		bool		renamed_ok = true;

		for (int i = 0; i < N_FAULT_ITEMS; i++)
			if (ok[i])
			{
				sids[m] = ids[i];
				sch[m++] = out[i];
			}
		rc = datagen_llm_statements(llm, sids, sch, m, 30, stm, nst, &failed, err, sizeof(err));
		tap_ok(rc == 0 && failed == 0, "statements for %d schemas (%s)", m, rc ? err : "");
		for (int i = 0; i < m && rc == 0; i++)
		{
			char	   *ddl = scratch_ddl(pg, &sch[i]);
			const char *sqls[32];
			bool		execute[32],
						good[32];
			int			bad = 0;

			for (int k = 0; k < nst[i]; k++)
			{
				sqls[k] = stm[i][k].sql;
				execute[k] = stm[i][k].kind == DATAGEN_TRUNCATE;
				upserts += stm[i][k].kind == DATAGEN_UPSERT;
			}
			if (datagen_validate(pg, ddl, sqls, execute, nst[i], good, NULL, err, sizeof(err)) != 0)
				one_bad_each = false;
			for (int k = 0; k < nst[i]; k++)
				bad += !good[k];
			one_bad_each &= bad == 1 && nst[i] >= 7;
			total += nst[i];
			rejected += bad;
			free(ddl);

			/* Renamed through the identifier positions, the same statements still hold. */
			datagen_randomize(&sch[i], stm[i], nst[i], 1000 + i);
			ddl = scratch_ddl(pg, &sch[i]);
			for (int k = 0; k < nst[i]; k++)
				sqls[k] = stm[i][k].sql;
			bad = 0;
			if (datagen_validate(pg, ddl, sqls, execute, nst[i], good, NULL, err, sizeof(err)) != 0)
				renamed_ok = false;
			for (int k = 0; k < nst[i]; k++)
			{
				bad += !good[k];
				if (!good[k])
					tap_diag("renamed, rejected: %s", sqls[k]);
			}
			renamed_ok &= bad == 1;
			free(ddl);
		}
		tap_ok(one_bad_each, "PostgreSQL rejects exactly the one bad recorded statement per schema "
			   "(%d of %d), duplicates dropped before", rejected, total);
		tap_ok(upserts > 0, "upserts recognised (%d)", upserts);
		tap_ok(renamed_ok, "after name randomization PostgreSQL still accepts all but the bad ones");
		for (int i = 0; i < m; i++)
		{
			for (int k = 0; k < nst[i]; k++)
			{
				datagen_statement_free(&stm[i][k]);
			}
			free(stm[i]);
		}
	}
	for (int i = 0; i < N_FAULT_ITEMS; i++)
		if (ok[i])
			datagen_schema_free(&out[i]);
	datagen_llm_close(llm);

	/* Second run: everything cached except the failed item, which is asked once more. */
	llm = datagen_llm_open(&o, err, sizeof(err));
	{
		cJSON	   *before = read_log(&fs);
		int			n_before = cJSON_GetArraySize(before);

		rc = datagen_llm_schemas(llm, req, N_FAULT_ITEMS, pg, out, ok, &dropped, &failed, err, sizeof(err));
		log = read_log(&fs);
		tap_ok(rc == 0 && failed == 0 && cJSON_GetArraySize(log) == n_before + 1 &&
			   requests_for(log, "schemas/s-10") == 5 && ok[10] && !ok[9] && !ok[8] &&
			   datagen_llm_stats(llm)->cached == N_FAULT_ITEMS - 1,
			   "a re-run asks only for the failed item (%d new requests)",
			   cJSON_GetArraySize(log) - n_before);
		cJSON_Delete(before);
		cJSON_Delete(log);
	}
	for (int i = 0; i < N_FAULT_ITEMS; i++)
		if (ok[i])
			datagen_schema_free(&out[i]);
	datagen_llm_close(llm);
	server_stop(&fs);
}

/* A 429's Retry-After holds back the other requests too. */
static void
test_pause(void)
{
	const char *const extra[] = {"--faults", "{\"topics/p0\": [\"429\"]}", "--retry-after", "1", NULL};
	FakeServer	fs;
	DatagenLlmOptions o;
	DatagenLlm *llm;
	DatagenLlmItem items[3];
	char		err[512] = "";
	cJSON	   *log;
	double		gap;

	if (!tap_ok(server_start(&fs, "pause", extra), "fake server starts"))
		return;
	test_options(&o, &fs, "pause");
	o.concurrency = 1;
	llm = datagen_llm_open(&o, err, sizeof(err));
	memset(items, 0, sizeof(items));
	for (int i = 0; i < 3; i++)
	{
		items[i].stage = datagen_llm_stage("topics");
		snprintf(items[i].key, sizeof(items[i].key), "p%d", i);
		datagen_llm_prompt_topics(5, &items[i].system, &items[i].user);
	}
	tap_ok(datagen_llm_run(llm, items, 3, err, sizeof(err)) == 0 && items[0].status == DATAGEN_LLM_OK &&
		   items[1].status == DATAGEN_LLM_OK && items[2].status == DATAGEN_LLM_OK, "3 items, the first rate limited");
	log = read_log(&fs);
	gap = request_time(log, "topics/p1", 0) - request_time(log, "topics/p0", 0);
	tap_ok(cJSON_GetArraySize(log) == 4 && gap >= 0.95,
		   "the next item waits out the Retry-After too (%.2f s)", gap);
	cJSON_Delete(log);
	for (int i = 0; i < 3; i++)
		datagen_llm_item_free(&items[i]);
	datagen_llm_close(llm);
	server_stop(&fs);
}

/* The rate limit spaces request starts 1/rps apart. */
static void
test_rate_limit(void)
{
	FakeServer	fs;
	DatagenLlmOptions o;
	DatagenLlm *llm;
	DatagenLlmItem items[10];
	char		err[512] = "";
	cJSON	   *log;
	double		first = 1e300,
				last = 0;
	const cJSON *e;

	if (!tap_ok(server_start(&fs, "rate", NULL), "fake server starts"))
		return;
	test_options(&o, &fs, "rate");
	o.rps = 20;
	llm = datagen_llm_open(&o, err, sizeof(err));
	memset(items, 0, sizeof(items));
	for (int i = 0; i < 10; i++)
	{
		items[i].stage = datagen_llm_stage("topics");
		snprintf(items[i].key, sizeof(items[i].key), "t%d", i);
		datagen_llm_prompt_topics(5, &items[i].system, &items[i].user);
	}
	tap_ok(datagen_llm_run(llm, items, 10, err, sizeof(err)) == 0, "10 items at --llm-rps 20");
	log = read_log(&fs);
	cJSON_ArrayForEach(e, log)
	{
		double		t = cJSON_GetObjectItem(e, "t")->valuedouble;

		first = t < first ? t : first;
		last = t > last ? t : last;
	}
	tap_ok(cJSON_GetArraySize(log) == 10 && last - first >= 9 / 20.0 * 0.9,
		   "requests spread over at least 9/20 s (%.3f s)", last - first);
	cJSON_Delete(log);
	for (int i = 0; i < 10; i++)
		datagen_llm_item_free(&items[i]);
	datagen_llm_close(llm);
	server_stop(&fs);
}

#define N_KILL_ITEMS 40

/* Runs the kill test's batch (in a child, or again in the parent). */
static int
kill_batch(const FakeServer *fs, int *answered, char *err, size_t errlen)
{
	DatagenLlmOptions o;
	DatagenLlm *llm;
	DatagenLlmItem *items = calloc(N_KILL_ITEMS, sizeof(DatagenLlmItem));
	int			rc;

	test_options(&o, fs, "kill");
	o.timeout = 10;
	llm = datagen_llm_open(&o, err, errlen);
	for (int i = 0; i < N_KILL_ITEMS; i++)
	{
		items[i].stage = datagen_llm_stage("schemas");
		snprintf(items[i].key, sizeof(items[i].key), "k-%03d", i);
		datagen_llm_prompt_schema("Fleet management", "vehicle servicing", &items[i].system, &items[i].user);
	}
	rc = datagen_llm_run(llm, items, N_KILL_ITEMS, err, errlen);
	*answered = 0;
	for (int i = 0; i < N_KILL_ITEMS; i++)
	{
		*answered += items[i].status == DATAGEN_LLM_OK;
		datagen_llm_item_free(&items[i]);
	}
	free(items);
	datagen_llm_close(llm);
	return rc;
}

/* Kills a run halfway; the restarted run asks each item at most once more and loses none. */
static void
test_kill_resume(void)
{
	const char *const extra[] = {"--delay", "0.1", NULL};
	FakeServer	fs;
	char		err[512] = "";
	char		dir[600];
	int			answered = 0,
				files = 0,
				twice = 0,
				max = 0;
	pid_t		child;
	cJSON	   *log;
	int			rc;

	if (!tap_ok(server_start(&fs, "kill", extra), "fake server (0.1 s per reply) starts"))
		return;
	snprintf(dir, sizeof(dir), "%s/kill/schemas", tmpdir);
	child = fork();
	if (child == 0)
		_exit(kill_batch(&fs, &answered, err, sizeof(err)) == 0 ? 0 : 1);
	for (int i = 0; i < 400 && files < 12; i++)
	{
		files = 0;
		for (int k = 0; k < N_KILL_ITEMS; k++)
		{
			char		path[700];

			snprintf(path, sizeof(path), "%s/k-%03d.json", dir, k);
			files += exists(path);
		}
		usleep(10000);
	}
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	tap_ok(files >= 12 && files < N_KILL_ITEMS, "the first run was killed halfway (%d answers saved)", files);
	rc = kill_batch(&fs, &answered, err, sizeof(err));
	tap_ok(rc == 0 && answered == N_KILL_ITEMS, "the restarted run finishes with every item (%d)", answered);
	log = read_log(&fs);
	for (int k = 0; k < N_KILL_ITEMS; k++)
	{
		char		item[64];
		int			n;

		snprintf(item, sizeof(item), "schemas/k-%03d", k);
		n = requests_for(log, item);
		twice += n == 2;
		max = n > max ? n : max;
	}
	tap_ok(max <= 2 && twice <= DATAGEN_LLM_DEFAULT_CONCURRENCY,
		   "each item asked at most once more (%d asked twice, at most %d in flight at the kill)",
		   twice, DATAGEN_LLM_DEFAULT_CONCURRENCY);
	cJSON_Delete(log);
	server_stop(&fs);
}

int
main(void)
{
	DatagenServer srv;
	DatagenValidator pg;
	char		err[1024] = "";
	char		cmd[600];

	/* the fake server is on loopback: never through a proxy */
	setenv("no_proxy", "127.0.0.1,localhost", 1);

	snprintf(tmpdir, sizeof(tmpdir), "/tmp/sqlpilot_test_llm_XXXXXX");
	if (!mkdtemp(tmpdir))
	{
		tap_ok(false, "temporary directory");
		return tap_done();
	}
	test_convert();
	test_pick();
	test_options_parse();
	test_topics();
	test_fallback_and_key();
	test_rate_limit();
	test_pause();
	test_kill_resume();
	if (tap_ok(datagen_server_start(&srv, err, sizeof(err)) == 0, "throwaway PostgreSQL starts (%s)", err) &&
		tap_ok(datagen_validator_open(&pg, srv.conninfo, err, sizeof(err)) == 0, "connects (%s)", err))
	{
		test_faults(&pg);
		datagen_validator_close(&pg);
	}
	datagen_server_stop(&srv);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		tap_diag("could not remove %s", tmpdir);
	return tap_done();
}
