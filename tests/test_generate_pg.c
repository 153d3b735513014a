/*
 * test_generate_pg.c — generated statements against a real PostgreSQL 15:
 * every statement of a few hundred schemas, before and after name
 * randomization, must be accepted (PREPARE, or executed for TRUNCATE) over
 * the schema's pg_dump DDL.  Uses datagen's throwaway server and validator
 * (datagen/validate.h); skips when no server can be started.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../datagen/generate.h"
#include "tap.h"
#include "tap_pg.h"

#define N_SCHEMAS 250
#define PER_SCHEMA 30

/* Validates the statements over s; adds rejections per kind; returns -1 when the server failed. */
static int
Check(DatagenValidator *v, DatagenSchema *s, DatagenStatement *st, int n, int *rejected,
	  int *ddl_rejected, int *shown)
{
	bool		ok[PER_SCHEMA];
	char	   *msgs[PER_SCHEMA];
	char		err[512];
	int			rc = datagen_validate_statements(v, s, st, n, ok, msgs, err, sizeof(err));

	if (rc != 0 && (*shown)++ < 3)
		tap_diag("%s: %s", rc == 1 ? "DDL rejected" : "server failed", err);
	*ddl_rejected += rc == 1;
	if (rc != 0)
		return rc < 0 ? -1 : 0;
	for (int i = 0; i < n; i++)
	{
		if (!ok[i])
		{
			rejected[st[i].kind]++;
			if ((*shown)++ < 8)
				tap_diag("rejected: %s\n  %s", st[i].pg_sql ? st[i].pg_sql : st[i].sql,
						 msgs[i] ? msgs[i] : "");
		}
		free(msgs[i]);
	}
	return 0;
}

int
main(void)
{
	DatagenServer srv = {0};
	DatagenValidator v = {0};
	int			before[DATAGEN_N_KINDS] = {0};
	int			after[DATAGEN_N_KINDS] = {0};
	int			count[DATAGEN_N_KINDS] = {0};
	int			ddl_bad = 0;
	int			shown = 0;
	int			failed = 0;

	if (!tap_pg_open(&srv, &v))
		return tap_done();
	for (int i = 0; i < N_SCHEMAS && !failed; i++)
	{
		int			topic = (i * 29) % datagen_n_topics();
		int			uc = (i * 41 + 3) % datagen_n_use_cases(topic);
		DatagenSchema s;
		DatagenStatement st[PER_SCHEMA];
		int			n;

		datagen_schema_generate(&s, topic, uc, (uint64_t) i + 500);
		n = datagen_statements_generate(&s, (uint64_t) i * 3 + 1, st, PER_SCHEMA);
		for (int k = 0; k < n; k++)
			count[st[k].kind]++;
		if (Check(&v, &s, st, n, before, &ddl_bad, &shown) < 0)
			failed = 1;
		datagen_randomize(&s, st, n, (uint64_t) i + 77);
		if (!failed && Check(&v, &s, st, n, after, &ddl_bad, &shown) < 0)
			failed = 1;
		for (int k = 0; k < n; k++)
			datagen_statement_free(&st[k]);
		datagen_schema_free(&s);
	}
	tap_ok(!failed, "the server answered throughout");
	tap_ok(ddl_bad == 0, "pg_dump DDL of %d schemas loads, before and after randomization (%d rejected)",
		   N_SCHEMAS, ddl_bad);
	for (int k = 0; k < DATAGEN_N_KINDS; k++)
		tap_ok(count[k] > 0 && before[k] == 0 && after[k] == 0,
			   "%s: %d statements accepted as generated and as randomized (%d / %d rejected)",
			   datagen_kind_names[k], count[k], before[k], after[k]);
	tap_pg_close(&srv, &v);
	return tap_done();
}
