/*
 * session.c — completion in the client (see session.h): the model, the
 * cached schema of one connection, the choice of tables and the prompt.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pq.h"
#include "prompt.h"
#include "session.h"
#include "sql_words.h"

/* A table rendered alone costs at least this many tokens (see extension/schema_cache.c). */
#define TABLE_MIN_TOKENS 4

int
sqlpilot_client_open(SqlpilotClient *c, const char *path, char *err, size_t errlen)
{
	memset(c, 0, sizeof(*c));
	c->max_tokens = SQLPILOT_CLIENT_DEFAULT_MAX_TOKENS;
	c->grounding = true;
	if (sqlpilot_model_load(&c->model, path, err, errlen) != 0)
		return -1;
	if (sqlpilot_runstate_init(&c->state, &c->model.config, &c->model.weights, err, errlen) != 0)
	{
		sqlpilot_model_free(&c->model);
		return -1;
	}
	c->model_ok = true;
	return 0;
}

/* Drops the cached schema and what was derived from it. */
static void
DropSchema(SqlpilotClient *c)
{
	sqlpilot_client_schema_free(&c->schema);
	free(c->full);
	free(c->table_tokens);
	c->full = NULL;
	c->table_tokens = NULL;
	c->have_schema = false;
}

void
sqlpilot_client_close(SqlpilotClient *c)
{
	DropSchema(c);
	if (c->model_ok)
	{
		sqlpilot_runstate_free(&c->state);
		sqlpilot_model_free(&c->model);
	}
	c->model_ok = false;
}

void
sqlpilot_client_forget(SqlpilotClient *c, PGconn *conn)
{
	if (c->conn != conn)
		return;
	DropSchema(c);
	c->conn = NULL;
	c->kind = SQLPILOT_SERVER_UNKNOWN;
	c->stale = false;
	c->retry_at_ms = 0;
}

SqlpilotReadStatus
sqlpilot_client_refresh(SqlpilotClient *c, PGconn *conn, int max_age_ms, int timeout_ms,
						double deadline_ms, char *err, size_t errlen)
{
	SqlpilotClientSchema fresh;
	SqlpilotReadStatus st;

	err[0] = '\0';
	if (c->conn != conn)
	{
		sqlpilot_client_forget(c, c->conn);
		c->conn = conn;
	}
	if ((c->have_schema && !c->stale && sqlpilot_pq_now_ms() - c->read_at_ms < max_age_ms) ||
		sqlpilot_pq_now_ms() < c->retry_at_ms)
		return SQLPILOT_READ_SKIPPED;
	st = sqlpilot_client_read_schema(conn, &c->kind, timeout_ms, deadline_ms, &fresh, err, errlen);
	if (st == SQLPILOT_READ_FAILED || st == SQLPILOT_READ_GIVEN_UP)
		c->retry_at_ms = sqlpilot_pq_now_ms() + SQLPILOT_CLIENT_RETRY_MS;
	if (st != SQLPILOT_READ_OK)
		return st;
	DropSchema(c);
	c->schema = fresh;
	c->table_tokens = malloc(sizeof(int) * (fresh.n_tables + 1));
	for (int i = 0; c->table_tokens != NULL && i < fresh.n_tables; i++)
		c->table_tokens[i] = -1;
	if (c->table_tokens == NULL)
	{
		DropSchema(c);
		snprintf(err, errlen, "out of memory");
		return SQLPILOT_READ_FAILED;
	}
	c->have_schema = true;
	c->stale = false;
	c->read_at_ms = sqlpilot_pq_now_ms();
	return SQLPILOT_READ_OK;
}

/* Renders tables idx[0..n) (ascending) with the core renderer, joined as one schema; malloc'd. */
static char *
RenderChosen(const SqlpilotClient *c, const int *idx, int n, size_t *len)
{
	SqlpilotTable *t = malloc(sizeof(SqlpilotTable) * (n + 1));
	char	   *text;

	if (t == NULL)
		return NULL;
	for (int i = 0; i < n; i++)
		t[i] = c->schema.tables[idx[i]].table;
	text = sqlpilot_schema_render(t, n, SQLPILOT_DDL_CRDB, NULL, len);
	free(t);
	return text;
}

/* Tokens of table i rendered alone, counted once per schema read. */
static int
TableTokens(SqlpilotClient *c, int i, int *ids, int cap)
{
	if (c->table_tokens[i] < 0)
	{
		size_t		len;
		char	   *text = sqlpilot_schema_render_table(&c->schema.tables[i].table,
														SQLPILOT_DDL_CRDB, NULL, &len);

		c->table_tokens[i] = text ? (int) sqlpilot_tokenizer_encode(&c->model.tokenizer, text,
																	len, ids, cap) : cap;
		free(text);
	}
	return c->table_tokens[i];
}

/* Ascending int comparison for qsort. */
static int
CompareInts(const void *a, const void *b)
{
	int			x = *(const int *) a;
	int			y = *(const int *) b;

	return (x > y) - (x < y);
}

/*
 * The table choice when not every table fits in budget tokens, until
 * core/table_choice.c (one choice for the extension, eval and the hook) is
 * merged and replaces it: tables named in the prefix first, then their
 * foreign-key neighbours, then the rest in catalog order, each taken whole
 * while it fits, a quarter of the budget left for the prefix to grow.
 * Writes the chosen indexes in ascending (catalog) order; returns how many.
 */
static int
ClientChooseTables(SqlpilotClient *c, const char *prefix, size_t prefix_len, int budget,
				   int *ids, int cap, int *chosen)
{
	int			n_tables = c->schema.n_tables;
	bool	   *taken = calloc(n_tables + 1, sizeof(bool));
	int		   *order = malloc(sizeof(int) * (n_tables + 1));
	int			n_order = 0;
	int			n_named;
	int			n_chosen = 0;
	int			used;
	size_t		pos = 0;
	SqlpilotSqlIdent id;
	SqlpilotSqlIdent prev = {0};

	if (taken == NULL || order == NULL)
	{
		free(taken);
		free(order);
		return 0;
	}
	while (sqlpilot_sql_next_ident(prefix, prefix_len, &pos, &id))
	{
		const char *schema = id.dot_before && prev.dot_after ? prev.name : NULL;

		for (int t = 0; t < n_tables; t++)
			if (!taken[t] && strcmp(id.name, c->schema.tables[t].table.name) == 0 &&
				(schema == NULL || strcmp(schema, c->schema.tables[t].table.schema) == 0))
			{
				taken[t] = true;
				order[n_order++] = t;
			}
		prev = id;
	}
	n_named = n_order;
	for (int k = 0; k < n_named; k++)
	{
		const SqlpilotClientTable *t = &c->schema.tables[order[k]];

		for (int j = 0; j < t->n_neighbours; j++)
			if (!taken[t->neighbours[j]])
			{
				taken[t->neighbours[j]] = true;
				order[n_order++] = t->neighbours[j];
			}
	}
	for (int t = 0; t < n_tables; t++)
		if (!taken[t])
			order[n_order++] = t;

	used = (int) sqlpilot_prompt_encode(&c->model.tokenizer, "", 0, prefix, prefix_len, false,
										ids, cap, NULL, NULL);
	if (used < (int) sqlpilot_prompt_encode(&c->model.tokenizer, "", 0, "", 0, false, ids, cap,
											NULL, NULL) + budget / 4)
		used = (int) sqlpilot_prompt_encode(&c->model.tokenizer, "", 0, "", 0, false, ids, cap,
											NULL, NULL) + budget / 4;
	for (int k = 0; k < n_order && used + TABLE_MIN_TOKENS + 2 <= budget; k++)
	{
		/* two tokens of slack per table for the blank line between tables */
		int			cost = TableTokens(c, order[k], ids, cap) + 2;

		if (used + cost <= budget)
		{
			chosen[n_chosen++] = order[k];
			used += cost;
		}
	}
	qsort(chosen, n_chosen, sizeof(int), CompareInts);
	free(taken);
	free(order);
	return n_chosen;
}

/*
 * The schema text for prefix (malloc'd) and the prompt's tokens (*ids,
 * malloc'd, *n_ids): every table when they fit, else a choice; the least
 * wanted table is dropped until the prompt fits.  NULL with err when the
 * prefix alone does not fit.
 */
static char *
PromptFor(SqlpilotClient *c, const char *prefix, int budget, size_t *len, int **ids_out,
		  int *n_ids, char *err, size_t errlen)
{
	const SqlpilotTokenizer *tok = &c->model.tokenizer;
	size_t		prefix_len = strlen(prefix);
	int			cap = budget + 1;
	int		   *ids = malloc(sizeof(int) * cap);
	int		   *chosen = malloc(sizeof(int) * (c->schema.n_tables + 1));
	int			n_chosen;
	int			needed = 0;
	char	   *text = NULL;

	if (ids == NULL || chosen == NULL)
	{
		snprintf(err, errlen, "out of memory");
		free(ids);
		free(chosen);
		return NULL;
	}
	for (int i = 0; i < c->schema.n_tables; i++)
		chosen[i] = i;
	if (c->full == NULL && c->have_schema)
		c->full = RenderChosen(c, chosen, c->schema.n_tables, &c->full_len);
	if (c->full != NULL)
	{
		needed = (int) sqlpilot_prompt_encode(tok, c->full, c->full_len, prefix, prefix_len,
											  false, ids, cap, NULL, NULL);
		if (needed <= budget)
		{
			*len = c->full_len;
			text = strdup(c->full);
		}
	}
	if (text == NULL)
	{
		n_chosen = c->have_schema ?
			ClientChooseTables(c, prefix, prefix_len, budget, ids, cap, chosen) : 0;
		for (;;)
		{
			text = RenderChosen(c, chosen, n_chosen, len);
			if (text == NULL)
				break;
			needed = (int) sqlpilot_prompt_encode(tok, text, *len, prefix, prefix_len,
												  false, ids, cap, NULL, NULL);
			if (n_chosen == 0 || needed <= budget)
				break;
			free(text);
			n_chosen--;
		}
	}
	free(chosen);
	if (text == NULL || needed > budget)
	{
		if (text == NULL)
			snprintf(err, errlen, "out of memory");
		else
			snprintf(err, errlen, "the statement is too long for the model: %d tokens, the prompt budget is %d",
					 needed, budget);
		free(text);
		free(ids);
		return NULL;
	}
	*ids_out = ids;
	*n_ids = needed;
	return text;
}

/* The prompt budget: what the context holds beside the generated tokens. */
static int
Budget(const SqlpilotClient *c)
{
	int			budget = c->model.config.seq_len - c->max_tokens;

	return budget < SQLPILOT_CLIENT_MAX_PROMPT_TOKENS ? budget : SQLPILOT_CLIENT_MAX_PROMPT_TOKENS;
}

char *
sqlpilot_client_schema_text(SqlpilotClient *c, const char *prefix, size_t *len,
							char *err, size_t errlen)
{
	int		   *ids;
	int			n_ids;
	char	   *text = PromptFor(c, prefix, Budget(c), len, &ids, &n_ids, err, errlen);

	if (text != NULL)
		free(ids);
	return text;
}

int
sqlpilot_client_complete(SqlpilotClient *c, const char *prefix, int n, SqlpilotCompletion *out,
						 char *err, size_t errlen)
{
	SqlpilotCompleteOptions o;
	int		   *ids;
	int			n_ids;
	size_t		len;
	char	   *text;
	int			got;

	if (!c->model_ok)
	{
		snprintf(err, errlen, "no model");
		return -1;
	}
	if (Budget(c) < 1)
	{
		snprintf(err, errlen, "the model's context (%d tokens) is too short", c->model.config.seq_len);
		return -1;
	}
	text = PromptFor(c, prefix, Budget(c), &len, &ids, &n_ids, err, errlen);
	if (text == NULL)
		return -1;
	sqlpilot_complete_defaults(&o);
	o.max_tokens = c->max_tokens;
	o.beam_width = n;
	o.grounding = c->grounding;
	got = sqlpilot_complete_ids(&c->state, &c->model.tokenizer, text, len, prefix, strlen(prefix),
								ids, n_ids, &o, out, n, err, errlen);
	free(text);
	free(ids);
	return got;
}
