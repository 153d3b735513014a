/*
 * session.c — completion in the client (see session.h): the model, the
 * cached schema of one connection, the choice of tables and the prompt.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "infer.h"
#include "pq.h"
#include "prompt.h"
#include "session.h"
#include "table_choice.h"

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

/* What the callbacks of the table choice need for one prompt. */
typedef struct ChoiceCall
{
	SqlpilotClient *c;
	const char *prefix;
	size_t		prefix_len;
	int		   *ids;			/* the last prompt's tokens (cap of them) */
	int			cap;
	char	   *text;			/* the last prompt's schema text (malloc'd, or c->full) */
	size_t		text_len;
	int			n_ids;			/* the last prompt's token count, -1 on error */
} ChoiceCall;

/* cost(): the tokens of one table rendered alone, kept with the schema. */
static int
ChoiceCost(void *arg, SqlpilotTableRef *refs, int i)
{
	ChoiceCall *cc = arg;

	return TableTokens(cc->c, i, cc->ids, cc->cap);
}

/*
 * prompt_tokens(): renders tables idx[0..n) (all of them: the text rendered
 * once per schema read) and counts the prompt's tokens into ids; keeps the
 * text, which is the result's after the last call.
 */
static int
ChoicePromptTokens(void *arg, const int *idx, int n, bool with_typed)
{
	ChoiceCall *cc = arg;
	SqlpilotClient *c = cc->c;

	if (cc->text != c->full)
		free(cc->text);
	cc->text = NULL;
	cc->text_len = 0;
	if (n > 0 && n == c->schema.n_tables)
	{
		if (c->full == NULL)
			c->full = RenderChosen(c, idx, n, &c->full_len);
		cc->text = c->full;
		cc->text_len = c->full_len;
	}
	else if (n > 0)
		cc->text = RenderChosen(c, idx, n, &cc->text_len);
	if (n > 0 && cc->text == NULL)
		return cc->n_ids = -1;
	cc->n_ids = (int) sqlpilot_prompt_encode(&c->model.tokenizer, cc->text ? cc->text : "",
											 cc->text_len, with_typed ? cc->prefix : "",
											 with_typed ? cc->prefix_len : 0, false,
											 cc->ids, cc->cap, NULL, NULL);
	return cc->n_ids;
}

/*
 * The schema text for prefix (malloc'd) and the prompt's tokens (*ids,
 * malloc'd, *n_ids): the extension's choice (core/table_choice.h), which
 * takes every table when they fit in budget tokens.  NULL with err when the
 * prefix alone does not fit.
 */
static char *
PromptFor(SqlpilotClient *c, const char *prefix, int budget, size_t *len, int **ids_out,
		  int *n_ids, char *err, size_t errlen)
{
	int			n_tables = c->have_schema ? c->schema.n_tables : 0;
	SqlpilotTableRef *refs = calloc(n_tables + 1, sizeof(SqlpilotTableRef));
	int		   *work = malloc(sizeof(int) * (n_tables + 1));
	int		   *chosen = malloc(sizeof(int) * (n_tables + 1));
	ChoiceCall	cc = {.c = c, .prefix = prefix, .prefix_len = strlen(prefix),
	.ids = malloc(sizeof(int) * (budget + 1)), .cap = budget + 1};
	SqlpilotTablesBudget b = {0};
	int			n_chosen = SQLPILOT_TABLES_ERROR;
	char	   *text = NULL;

	if (refs != NULL && work != NULL && chosen != NULL && cc.ids != NULL)
	{
		for (int i = 0; i < n_tables; i++)
		{
			const SqlpilotClientTable *t = &c->schema.tables[i];

			refs[i].name = t->table.name;
			refs[i].schema = t->table.schema;
			refs[i].neighbours = t->neighbours;
			refs[i].n_neighbours = t->n_neighbours;
			refs[i].loaded = true;
			refs[i].cost = c->table_tokens[i];
		}
		b.budget = budget;
		b.cost = ChoiceCost;
		b.prompt_tokens = ChoicePromptTokens;
		b.arg = &cc;
		n_chosen = sqlpilot_tables_choose(refs, n_tables, n_tables, prefix, cc.prefix_len, &b,
										  work, chosen, NULL);
	}
	if (n_chosen == SQLPILOT_TABLES_TOO_LONG)
	{
		int			used = (int) sqlpilot_prompt_encode(&c->model.tokenizer, "", 0, prefix,
														cc.prefix_len, false, cc.ids, cc.cap, NULL, NULL);

		snprintf(err, errlen, "the statement is too long for the model: %d tokens, the prompt budget is %d",
				 used, budget);
	}
	else if (n_chosen < 0 || cc.n_ids < 0)
		snprintf(err, errlen, "out of memory choosing the tables of the prompt");
	else
	{
		/* the last prompt counted is the chosen one: ids hold it */
		text = cc.text == NULL ? strdup("") : cc.text == c->full ? strdup(c->full) : cc.text;
		*len = cc.text == NULL ? 0 : cc.text_len;
		cc.text = NULL;
		if (text == NULL)
			snprintf(err, errlen, "out of memory");
	}
	if (cc.text != c->full)
		free(cc.text);
	free(refs);
	free(work);
	free(chosen);
	if (text == NULL)
	{
		free(cc.ids);
		return NULL;
	}
	*ids_out = cc.ids;
	*n_ids = cc.n_ids;
	return text;
}

/* The prompt budget: what the context holds beside the generated tokens. */
static int
Budget(const SqlpilotClient *c)
{
	int			budget = c->model.config.seq_len - c->max_tokens;

	return budget < SQLPILOT_CLIENT_MAX_PROMPT_TOKENS ? budget : SQLPILOT_CLIENT_MAX_PROMPT_TOKENS;
}

/* See session.h. */
int
sqlpilot_client_warm(SqlpilotClient *c, int n, char *err, size_t errlen)
{
	SqlpilotCompleteOptions o;
	SqlpilotCompletion out[SQLPILOT_CLIENT_MAX_WARM];
	int		   *ids;
	int			n_ids;
	size_t		len;
	size_t		schema_end = 0;
	char	   *text;
	int			got = 0;

	err[0] = '\0';
	if (!c->model_ok || Budget(c) < 1)
		return 0;
	text = PromptFor(c, "", Budget(c), &len, &ids, &n_ids, err, errlen);
	if (text == NULL)
		return -1;
	sqlpilot_prompt_encode(&c->model.tokenizer, text, len, "", 0, false, ids, n_ids, NULL,
						   &schema_end);
	/* one step of n beams: the prompt runs, and every beam gets its run state (kept) */
	if (schema_end > 0 &&
		sqlpilot_infer_cached_prefix(&c->state, ids, (int) schema_end) < (int) schema_end)
	{
		sqlpilot_complete_defaults(&o);
		o.max_tokens = 1;
		o.beam_width = n < 1 ? 1 : n > SQLPILOT_CLIENT_MAX_WARM ? SQLPILOT_CLIENT_MAX_WARM : n;
		o.grounding = c->grounding;
		got = sqlpilot_complete_ids(&c->state, &c->model.tokenizer, text, len, "", 0,
									ids, n_ids, &o, out, o.beam_width, err, errlen);
		if (got > 0)
			sqlpilot_completion_free(out, got);
	}
	free(text);
	free(ids);
	return got < 0 ? -1 : 0;
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
	/* one completion is the whole statement shown: the model's beams, as the extension's */
	o.beam_width = n > 1 ? n : SQLPILOT_BEAM_WIDTH_STATEMENT;
	o.grounding = c->grounding;
	got = sqlpilot_complete_ids(&c->state, &c->model.tokenizer, text, len, prefix, strlen(prefix),
								ids, n_ids, &o, out, n, err, errlen);
	free(text);
	free(ids);
	return got;
}
