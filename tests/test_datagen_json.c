/*
 * test_datagen_json.c — the JSON forms of tons_of_tables/ and
 * diverse_statements/ lines (datagen/pipeline/pipeline_json.c): generated schemas
 * and statements survive a round trip exactly (every style renders the same
 * text, every identifier position is kept), and malformed input is refused
 * without crashing.
 */
#include <stdlib.h>
#include <string.h>

#include "cJSON.h"
#include "../datagen/pipeline.h"
#include "../tests/tap.h"

/* True when both schemas render the same text in every style. */
static bool
same_renders(const DatagenSchema *a, const DatagenSchema *b)
{
	for (int style = 0; style <= SQLPILOT_DDL_HANDWRITTEN; style++)
	{
		uint64_t	r1 = 42,
					r2 = 42;
		char	   *x = sqlpilot_schema_render(a->tables, a->n_tables, style, &r1, NULL);
		char	   *y = sqlpilot_schema_render(b->tables, b->n_tables, style, &r2, NULL);
		bool		same = x && y && strcmp(x, y) == 0;

		free(x);
		free(y);
		if (!same)
			return false;
	}
	return true;
}

/* True when two lists of identifier positions agree field by field (structs have padding). */
static bool
same_idents(const DatagenIdent *a, const DatagenIdent *b, int n)
{
	for (int i = 0; i < n; i++)
		if (a[i].off != b[i].off || a[i].len != b[i].len || a[i].what != b[i].what ||
			a[i].table != b[i].table || a[i].column != b[i].column)
			return false;
	return true;
}

/* True when two statements agree in every field. */
static bool
same_statement(const DatagenStatement *a, const DatagenStatement *b)
{
	return a->kind == b->kind && a->complex == b->complex && strcmp(a->sql, b->sql) == 0 &&
		((!a->pg_sql && !b->pg_sql) || (a->pg_sql && b->pg_sql && strcmp(a->pg_sql, b->pg_sql) == 0)) &&
		a->n_idents == b->n_idents && a->n_pg_idents == b->n_pg_idents &&
		same_idents(a->idents, b->idents, a->n_idents) &&
		same_idents(a->pg_idents, b->pg_idents, a->n_pg_idents);
}

int
main(void)
{
	char		err[256];
	int			schemas_ok = 0,
				stmts_ok = 0,
				stmts = 0,
				links = 0;
	const int	n_schemas = 60;

	for (int k = 0; k < n_schemas; k++)
	{
		DatagenSchema s,
					back;
		DatagenStatement st[30];
		SqlpilotBuf	b = {0};
		cJSON	   *j;
		int			topic = k % datagen_n_topics();
		int			n;

		datagen_schema_generate(&s, topic, k % datagen_n_use_cases(topic), 1000 + k);
		datagen_schema_to_json(&b, &s);
		j = cJSON_Parse(b.data);
		if (j && datagen_schema_from_json(j, &back, err, sizeof(err)) == 0)
		{
			bool		same = back.n_tables == s.n_tables && back.topic == s.topic &&
				back.use_case == s.use_case && back.n_links == s.n_links && same_renders(&s, &back);

			for (int t = 0; same && s.col_kinds && t < s.n_tables; t++)
				same = back.col_kinds && memcmp(s.col_kinds[t], back.col_kinds[t], s.tables[t].n_columns) == 0;
			schemas_ok += same;
			links += s.n_links;
			datagen_schema_free(&back);
		}
		cJSON_Delete(j);

		n = datagen_statements_generate(&s, 7 + k, st, 30);
		for (int i = 0; i < n; i++)
		{
			DatagenStatement rt;

			b.len = 0;
			datagen_statement_to_json(&b, &st[i]);
			j = cJSON_Parse(b.data);
			if (j && datagen_statement_from_json(j, &rt, err, sizeof(err)) == 0)
			{
				stmts_ok += same_statement(&st[i], &rt);
				datagen_statement_free(&rt);
			}
			cJSON_Delete(j);
			datagen_statement_free(&st[i]);
			stmts++;
		}
		sqlpilot_buf_free(&b);
		datagen_schema_free(&s);
	}
	tap_ok(schemas_ok == n_schemas, "%d/%d schemas survive JSON (same text in every style, kinds, links)",
		   schemas_ok, n_schemas);
	tap_ok(links > 0, "the schemas had join links to carry (%d)", links);
	tap_ok(stmts > 0 && stmts_ok == stmts, "%d/%d statements survive JSON (SQL, PostgreSQL form, identifier positions)",
		   stmts_ok, stmts);

	{
		static const char *const bad[] = {
			"{}",
			"{\"tables\": []}",
			"{\"tables\": [{\"name\": 3}]}",
			"{\"tables\": [{\"name\": \"t\", \"columns\": [{\"name\": \"a\"}]}]}",
			"{\"tables\": [{\"name\": \"t\", \"columns\": [], \"fkeys\": [{\"cols\": [\"a\", \"b\"], \"ref_table\": \"u\", \"ref_cols\": [\"x\"]}]}]}",
		};
		int			refused = 0;

		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		{
			cJSON	   *j = cJSON_Parse(bad[i]);
			DatagenSchema s;

			refused += datagen_schema_from_json(j, &s, err, sizeof(err)) == -1;
			cJSON_Delete(j);
		}
		tap_ok(refused == (int) (sizeof(bad) / sizeof(bad[0])), "malformed schemas refused (%d)", refused);
	}
	{
		cJSON	   *j = cJSON_Parse("{\"kind\": \"merge\", \"sql\": \"x\"}");
		cJSON	   *k = cJSON_Parse("{\"kind\": \"select\", \"sql\": \"SELECT 1\", \"idents\": [1, 2, 3]}");
		DatagenStatement st;

		tap_ok(datagen_statement_from_json(j, &st, err, sizeof(err)) == -1 &&
			   datagen_statement_from_json(k, &st, err, sizeof(err)) == -1,
			   "unknown kind and a partial identifier position refused");
		cJSON_Delete(j);
		cJSON_Delete(k);
	}
	{
		SqlpilotBuf	b = {0};

		datagen_buf_json_str(&b, "a\"b\\c\n\t\x01é");
		tap_ok(strcmp(b.data, "\"a\\\"b\\\\c\\n\\t\\u0001é\"") == 0, "JSON string escaping: %s", b.data);
		sqlpilot_buf_free(&b);
	}
	{
		SqlpilotBuf	b = {0};
		char	   *s;
		size_t		len = 99;
		int			ok = 1;

		s = sqlpilot_buf_finish(&b, &len);
		tap_ok(s && strcmp(s, "") == 0 && len == 0 && b.data == NULL,
			   "core buffer: an empty buffer finishes as the empty string");
		free(s);
		for (int i = 0; i < 100; i++)
			sqlpilot_buf_printf(&b, "%03d,", i);
		for (int i = 0; i < 100 && ok; i++)
			ok = b.len == 400 && b.data[400] == '\0' && atoi(b.data + 4 * i) == i;
		tap_ok(ok, "core buffer: printf grows it past its first 256 bytes, in order, NUL-terminated");
		sqlpilot_buf_reset(&b);
		sqlpilot_buf_puts(&b, "ab");
		b.oom = true;
		sqlpilot_buf_append(&b, "cd", 2);
		tap_ok(b.len == 2 && strcmp(b.data, "ab") == 0 && sqlpilot_buf_finish(&b, &len) == NULL &&
			   len == 0 && b.data == NULL,
			   "core buffer: after an allocation failure appends do nothing and finish gives NULL");
	}
	return tap_done();
}
