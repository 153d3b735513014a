/*
 * eval.c — `sqlpilot eval`: evaluates a model and the copy baseline on the
 * same examples and cuts, exactly as docs/metrics.md defines.
 *
 *   sqlpilot eval [--model FILE] [--grounding on|off|both] [--limit N]
 *                 [--seed S] [--cuts K] [--ks-limit M] [--pg CONNINFO]
 *                 [--json FILE] [--progress] INPUT.jsonl
 *
 * eval_run() is the driver: it reads the input (skipping unusable lines with
 * a reason), draws the cuts, chooses the tables of each prompt with the
 * extension's rule (core/table_choice.h), asks every completer (EvalCompleter, eval.h) for its
 * completions, scores them with the definitions in metrics.c, checks
 * them against PostgreSQL with --pg, and builds the report as one JSON
 * object.  sqlpilot_eval_main() wires the model and the baseline to it and
 * prints the table and the JSON line.  Without --model only the baseline
 * runs; with it, the model runs grounded ("model"), ungrounded
 * ("model_ungrounded"), or both (--grounding), beside the baseline.
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <libpq-fe.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "../client/crdb.h"
#include "candidates.h"
#include "checked.h"
#include "complete.h"
#include "eval.h"
#include "infer.h"
#include "model.h"
#include "prompt.h"
#include "tables_split.h"
#include "util.h"

/* Why a line was skipped; the names are the report's keys. */
enum
{
	SKIP_NOT_JSON = 0,
	SKIP_NOT_OBJECT,
	SKIP_NO_SCHEMA,
	SKIP_NO_STATEMENT,
	SKIP_INVALID_CUTS,
	SKIP_TOO_LONG,
	N_SKIP
};

static const char *const skip_names[N_SKIP] = {
	"invalid json", "not an object", "no schema", "no statement", "invalid cuts", "too long"
};

/* A usable line: its index i, texts, and cuts (NULL cuts: draw them). */
typedef struct Example
{
	long		index;
	char	   *schema;
	size_t		schema_len;
	char	   *stmt;
	size_t		stmt_len;
	size_t	   *cuts;
	int			n_cuts;
} Example;

/* What one completer accumulates over the run. */
typedef struct Stats
{
	long		cuts,
				cuts_boundary,
				cuts_mid;
	long		word_em,
				word_em_boundary,
				word_em_mid;
	long		cand_lists,		/* cuts with a candidate list */
				cand_dups,		/* lists with two candidates equal after folding literals */
				recall1,
				recall3,
				recall5;
	long		rest_em,
				rest_em_ci;
	long		ks_keys,
				ks_chars,
				ks_statements;
	long		ks_psql_keys,	/* the typing simulation with psql's TAB list */
				ks_psql_chars;
	long		idents,
				idents_bad;
	long		valid,
				valid_checked;
	double	   *lat_cold,
			   *lat_warm;
	size_t		n_cold,
				n_warm,
				lat_cap;
	double		nll;
	long		nll_tokens,
				top1;
	long		errors;
} Stats;

/* Copies len bytes into a NUL-terminated malloc'd string. */
static char *
copy_text(const char *s, size_t len)
{
	char	   *out = malloc(len + 1);

	if (out)
	{
		memcpy(out, s, len);
		out[len] = '\0';
	}
	return out;
}

/* Frees the examples. */
static void
examples_free(Example *ex, long n)
{
	for (long i = 0; i < n; i++)
	{
		free(ex[i].schema);
		free(ex[i].stmt);
		free(ex[i].cuts);
	}
	free(ex);
}

/*
 * Reads "cuts" of a line into ex: true when absent or a list of integers in
 * [0, len], each moved back to a UTF-8 character start.
 */
static bool
parse_cuts(const cJSON *cuts, Example *ex)
{
	int			n;

	if (!cuts)
		return true;
	if (!cJSON_IsArray(cuts))
		return false;
	n = cJSON_GetArraySize(cuts);
	ex->cuts = malloc(sizeof(size_t) * (n > 0 ? n : 1));
	if (!ex->cuts)
		return false;
	ex->n_cuts = 0;
	for (const cJSON *c = cuts->child; c; c = c->next)
	{
		double		v = c->valuedouble;

		if (!cJSON_IsNumber(c) || v != floor(v) || v < 0 || v > (double) ex->stmt_len)
			return false;
		ex->cuts[ex->n_cuts++] = eval_utf8_start(ex->stmt, ex->stmt_len, (size_t) v);
	}
	return true;
}

/*
 * Splits the input into lines and keeps the usable ones, up to limit, with
 * their cuts; counts skipped lines by reason.  Returns the examples (n in
 * *n_out) or NULL with err when the file cannot be read.
 */
static Example *
read_examples(const EvalOptions *o, long *n_out, long *skipped, char *err, size_t errlen)
{
	size_t		len;
	char	   *buf = sqlpilot_read_file(o->input, &len, err, errlen);
	Example    *ex = NULL;
	long		n = 0,
				cap = 0,
				next_index = 0;
	size_t		p = 0;

	if (!buf)
		return NULL;
	while (p < len && (o->limit < 0 || next_index < o->limit))
	{
		size_t		e = p;
		cJSON	   *j;
		const cJSON *schema,
				   *stmt;
		Example		x;

		while (e < len && buf[e] != '\n')
			e++;
		j = cJSON_ParseWithLength(buf + p, e - p);
		p = e + 1;
		if (!j)
		{
			skipped[SKIP_NOT_JSON]++;
			continue;
		}
		if (!cJSON_IsObject(j))
		{
			skipped[SKIP_NOT_OBJECT]++;
			cJSON_Delete(j);
			continue;
		}
		schema = cJSON_GetObjectItemCaseSensitive(j, "schema");
		stmt = cJSON_GetObjectItemCaseSensitive(j, "statement");
		if (!cJSON_IsString(schema) || schema->valuestring[0] == '\0')
		{
			skipped[SKIP_NO_SCHEMA]++;
			cJSON_Delete(j);
			continue;
		}
		if (!cJSON_IsString(stmt) || stmt->valuestring[0] == '\0')
		{
			skipped[SKIP_NO_STATEMENT]++;
			cJSON_Delete(j);
			continue;
		}
		memset(&x, 0, sizeof(x));
		x.index = next_index++;
		x.schema_len = strlen(schema->valuestring);
		x.stmt_len = strlen(stmt->valuestring);
		x.schema = copy_text(schema->valuestring, x.schema_len);
		x.stmt = copy_text(stmt->valuestring, x.stmt_len);
		if (!x.schema || !x.stmt || !parse_cuts(cJSON_GetObjectItemCaseSensitive(j, "cuts"), &x))
		{
			skipped[SKIP_INVALID_CUTS]++;
			free(x.schema);
			free(x.stmt);
			free(x.cuts);
			cJSON_Delete(j);
			continue;
		}
		cJSON_Delete(j);
		if (x.cuts == NULL)
		{
			x.n_cuts = o->cuts;
			x.cuts = malloc(sizeof(size_t) * (o->cuts > 0 ? o->cuts : 1));
			if (x.cuts)
				eval_draw_cuts(o->seed, (uint64_t) x.index, x.stmt, x.stmt_len, o->cuts, x.cuts);
		}
		if (n == cap)
		{
			Example    *ne;

			cap = cap * 2 + 64;
			ne = realloc(ex, sizeof(Example) * cap);
			if (!ne || !x.cuts)
			{
				snprintf(err, errlen, "out of memory reading \"%s\"", o->input);
				free(x.schema);
				free(x.stmt);
				free(x.cuts);
				examples_free(ne ? ne : ex, n);
				free(buf);
				return NULL;
			}
			ex = ne;
		}
		ex[n++] = x;
	}
	free(buf);
	*n_out = n;
	if (!ex)
		ex = calloc(1, sizeof(Example));
	return ex;
}

/* Records one latency sample (negative: not measured). */
static void
add_latency(Stats *st, double cold, double warm)
{
	if (st->n_cold == st->lat_cap || st->n_warm == st->lat_cap)
	{
		size_t		cap = st->lat_cap * 2 + 256;
		double	   *a = realloc(st->lat_cold, sizeof(double) * cap);
		double	   *b;

		if (!a)
			return;
		st->lat_cold = a;
		b = realloc(st->lat_warm, sizeof(double) * cap);
		if (!b)
			return;
		st->lat_warm = b;
		st->lat_cap = cap;
	}
	if (cold >= 0)
		st->lat_cold[st->n_cold++] = cold;
	if (warm >= 0)
		st->lat_warm[st->n_warm++] = warm;
}

/* ---- PostgreSQL: the scratch schema and PREPARE ---- */

/* Notice processor that drops notices (TRUNCATE ... CASCADE of a completion, say). */
static void
pg_quiet(void *arg, const char *message)
{
}

/* Runs one command; true when it succeeded. */
static bool
pg_command(PGconn *conn, const char *sql)
{
	PGresult   *r = PQexec(conn, sql);
	bool		ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;

	PQclear(r);
	return ok;
}

/*
 * The schema text as PostgreSQL DDL: the prompt's text is usually CockroachDB
 * SHOW CREATE TABLE (the training format), which PostgreSQL does not load;
 * every table of it (core/tables_split.h) is parsed (client/crdb.c) and
 * rendered in pg_dump style, foreign keys last so any order loads.
 * Returns a malloc'd text, or NULL when no table parses.  Also used by
 * bench/bench_extension_corpus.c to load the same tables.
 */
char *
eval_pg_schema_ddl(const char *schema)
{
	SqlpilotSchemaTable *t;
	int			n = sqlpilot_tables_split(schema, strlen(schema), &t);
	const char **rows = n > 0 ? malloc(sizeof(char *) * n) : NULL;
	SqlpilotCrdbSchema cs = {0};
	char		err[256];
	char	   *ddl = NULL;
	size_t		len;
	int			rc;

	if (!rows)
	{
		sqlpilot_tables_split_free(t, n > 0 ? n : 0);
		return NULL;
	}
	/* one row per table: the parser reads one statement of SHOW CREATE per row */
	for (int i = 0; i < n; i++)
		rows[i] = t[i].text.data;
	rc = sqlpilot_crdb_parse_all(rows, NULL, n, &cs, err, sizeof(err));
	free(rows);
	sqlpilot_tables_split_free(t, n);
	if (rc != 0)
		return NULL;
	/*
	 * Defaults and checks do not change what PREPARE accepts, and may call
	 * CockroachDB's own functions (unique_rowid()): left out.
	 */
	for (int i = 0; i < cs.n_tables; i++)
	{
		for (int k = 0; k < cs.tables[i].n_columns; k++)
		{
			free(cs.tables[i].columns[k].default_expr);
			cs.tables[i].columns[k].default_expr = NULL;
		}
		for (int k = 0; k < cs.tables[i].n_checks; k++)
		{
			free(cs.tables[i].checks[k].name);
			free(cs.tables[i].checks[k].expr);
		}
		free(cs.tables[i].checks);
		cs.tables[i].checks = NULL;
		cs.tables[i].n_checks = 0;
	}
	if (cs.n_tables > 0)
		ddl = sqlpilot_schema_render(cs.tables, cs.n_tables, SQLPILOT_DDL_PGDUMP, NULL, &len);
	sqlpilot_crdb_schema_free(&cs);
	return ddl;
}

/*
 * Opens a transaction with the schema loaded into a scratch schema first on
 * the search path, as written or else converted from CockroachDB's format;
 * false (transaction rolled back) when it cannot load.
 */
static bool
pg_load_schema(PGconn *conn, const char *schema)
{
	for (int attempt = 0; attempt < 2; attempt++)
	{
		char	   *ddl = attempt == 0 ? NULL : eval_pg_schema_ddl(schema);
		bool		ok;

		if (attempt == 1 && !ddl)
			return false;
		if (!pg_command(conn, "BEGIN"))
		{
			free(ddl);
			return false;
		}
		ok = pg_command(conn, "SET LOCAL statement_timeout = '10s'") &&
			pg_command(conn, "CREATE SCHEMA sqlpilot_eval_scratch") &&
			pg_command(conn, "SET LOCAL search_path = sqlpilot_eval_scratch, public") &&
			pg_command(conn, ddl ? ddl : schema);
		free(ddl);
		if (ok)
			return true;
		pg_command(conn, "ROLLBACK");
	}
	return false;
}

/*
 * Whether PostgreSQL accepts text: PREPARE through the extended protocol
 * (one statement only), or for TRUNCATE, which cannot be prepared, executing
 * it; both inside a savepoint that is rolled back.
 */
static bool
pg_accepts(PGconn *conn, const char *text, size_t len)
{
	PGresult   *r;
	bool		ok;
	size_t		p = 0;

	if (!pg_command(conn, "SAVEPOINT sqlpilot_eval"))
		return false;
	while (p < len && eval_is_space((unsigned char) text[p]))
		p++;
	if (len - p >= 8 && strncasecmp(text + p, "truncate", 8) == 0)
		r = PQexecParams(conn, text, 0, NULL, NULL, NULL, NULL, 0);
	else
		r = PQprepare(conn, "", text, 0, NULL);
	ok = PQresultStatus(r) == PGRES_COMMAND_OK;
	PQclear(r);
	pg_command(conn, "ROLLBACK TO SAVEPOINT sqlpilot_eval");
	return ok;
}

/* EvalCheck.accepts on the connection arg: pg_accepts. */
static bool
pg_check_accepts(void *arg, const char *text, size_t len)
{
	return pg_accepts(arg, text, len);
}

/* ---- the run ---- */

/* The keystroke simulation's view of a completer on one example. */
typedef struct TypingArg
{
	const EvalOptions *o;
	EvalCompleter *c;
	const Example *ex;
} TypingArg;

/*
 * EvalCompleteFn for the typing simulation: completes ex->stmt[:pos] with
 * the tables chosen for what is typed, as at a cut.
 */
static char *
typing_complete(void *arg, const char *prefix, size_t prefix_len)
{
	TypingArg  *t = arg;
	size_t		len;
	bool		trunc;
	char	   *schema = eval_fit_schema(t->o->tok, eval_cut_budget(t->o->seq_len), t->ex->schema,
										 t->ex->schema_len, prefix, prefix_len, &len, &trunc);
	char	   *out;

	if (!schema)
		return NULL;
	out = t->c->complete(t->c->arg, schema, len, t->ex->stmt, t->ex->stmt_len, prefix_len,
						 NULL, NULL, NULL);
	free(schema);
	return out;
}

/* EvalListFn for the psql typing simulation: the candidate list at ex->stmt[:pos]. */
static int
typing_list(void *arg, const char *prefix, size_t prefix_len, char **out, int max)
{
	TypingArg  *t = arg;
	size_t		len;
	bool		trunc;
	char	   *schema = eval_fit_schema(t->o->tok, eval_cut_budget(t->o->seq_len), t->ex->schema,
										 t->ex->schema_len, prefix, prefix_len, &len, &trunc);
	int			n;

	if (!schema)
		return -1;
	n = t->c->candidates(t->c->arg, schema, len, t->ex->stmt, prefix_len, out, max);
	free(schema);
	return n;
}

/* A metric as a JSON number, or null when it has no denominator. */
static void
add_ratio(cJSON *obj, const char *name, double num, double den)
{
	if (den > 0)
		cJSON_AddNumberToObject(obj, name, num / den);
	else
		cJSON_AddNullToObject(obj, name);
}

/* A number that may be NaN (null in JSON). */
static void
add_number(cJSON *obj, const char *name, double v)
{
	if (isnan(v))
		cJSON_AddNullToObject(obj, name);
	else
		cJSON_AddNumberToObject(obj, name, v);
}

/* One completer's metrics as a JSON object. */
static cJSON *
stats_json(Stats *st, bool scored, bool pg)
{
	cJSON	   *m = cJSON_CreateObject();

	if (scored)
	{
		add_ratio(m, "stmt_nll", st->nll, (double) st->nll_tokens);
		add_ratio(m, "next_token_acc", (double) st->top1, (double) st->nll_tokens);
	}
	else
	{
		cJSON_AddNullToObject(m, "stmt_nll");
		cJSON_AddNullToObject(m, "next_token_acc");
	}
	add_ratio(m, "next_word_em", (double) st->word_em, (double) st->cuts);
	add_ratio(m, "next_word_em_boundary", (double) st->word_em_boundary, (double) st->cuts_boundary);
	add_ratio(m, "next_word_em_mid", (double) st->word_em_mid, (double) st->cuts_mid);
	add_ratio(m, "next_word_recall@1", (double) st->recall1, (double) st->cand_lists);
	add_ratio(m, "next_word_recall@3", (double) st->recall3, (double) st->cand_lists);
	add_ratio(m, "next_word_recall@5", (double) st->recall5, (double) st->cand_lists);
	add_ratio(m, "candidate_dup_rate", (double) st->cand_dups, (double) st->cand_lists);
	add_ratio(m, "rest_em", (double) st->rest_em, (double) st->cuts);
	add_ratio(m, "rest_em_ci", (double) st->rest_em_ci, (double) st->cuts);
	if (st->ks_chars > 0)
		cJSON_AddNumberToObject(m, "keystrokes_saved", 1.0 - (double) st->ks_keys / st->ks_chars);
	else
		cJSON_AddNullToObject(m, "keystrokes_saved");
	if (st->ks_psql_chars > 0)
		cJSON_AddNumberToObject(m, "keystrokes_saved_psql",
								1.0 - (double) st->ks_psql_keys / st->ks_psql_chars);
	else
		cJSON_AddNullToObject(m, "keystrokes_saved_psql");
	add_ratio(m, "hallucinated_ident_rate", (double) st->idents_bad, (double) st->idents);
	if (pg)
		add_ratio(m, "valid_sql_rate", (double) st->valid, (double) st->valid_checked);
	else
		cJSON_AddNullToObject(m, "valid_sql_rate");
	add_number(m, "latency_ms_p50_cold", eval_percentile(st->lat_cold, st->n_cold, 0.50));
	add_number(m, "latency_ms_p95_cold", eval_percentile(st->lat_cold, st->n_cold, 0.95));
	add_number(m, "latency_ms_p50_warm", eval_percentile(st->lat_warm, st->n_warm, 0.50));
	add_number(m, "latency_ms_p95_warm", eval_percentile(st->lat_warm, st->n_warm, 0.95));
	cJSON_AddNumberToObject(m, "stmt_tokens", (double) st->nll_tokens);
	cJSON_AddNumberToObject(m, "identifiers", (double) st->idents);
	cJSON_AddNumberToObject(m, "valid_sql_checked", (double) st->valid_checked);
	cJSON_AddNumberToObject(m, "keystroke_statements", (double) st->ks_statements);
	cJSON_AddNumberToObject(m, "errors", (double) st->errors);
	return m;
}

/* The prompts of one example: the tables chosen at each cut, and for the whole statement. */
typedef struct ExamplePrompts
{
	char	  **schema;			/* per cut */
	size_t	   *schema_len;
	EvalNameSet *names;			/* per cut: the names of its schema */
	char	   *whole;			/* for teacher forcing: typed = the whole statement */
	size_t		whole_len;
} ExamplePrompts;

/* Distinct candidates per list (core/candidates.h): n beams give up to 2n + 1. */
#define EVAL_CANDIDATE_BEAMS 5
#define EVAL_CANDIDATES_MAX (2 * EVAL_CANDIDATE_BEAMS + 1)

/* next_word_recall@1/3/5 and candidate_dup_rate of one cut's candidate list. */
static void
eval_candidates(EvalCompleter *c, Stats *st, const Example *ex, const ExamplePrompts *pr,
				int k, size_t cut)
{
	char	   *alt[EVAL_CANDIDATES_MAX];
	int			n = c->candidates(c->arg, pr->schema[k], pr->schema_len[k], ex->stmt, cut, alt,
								  EVAL_CANDIDATES_MAX);
	int			rank;

	if (n < 0)
	{
		st->errors++;
		return;
	}
	rank = eval_next_word_rank(ex->stmt, ex->stmt_len, cut, (const char *const *) alt,
							   n < 5 ? n : 5);
	st->cand_lists++;
	st->recall1 += rank == 1;
	st->recall3 += rank >= 1 && rank <= 3;
	st->recall5 += rank >= 1;
	st->cand_dups += eval_has_folded_duplicates(ex->stmt, cut, (const char *const *) alt, n);
	for (int i = 0; i < n; i++)
		free(alt[i]);
}

/*
 * Evaluates one example for one completer: the cut metrics (texts that end
 * the statement kept in texts[] for the PostgreSQL check), teacher-forced
 * scoring and, when typing, the typing simulation.
 */
static void
eval_example(const EvalOptions *o, int sys, EvalCompleter *c, Stats *st, const Example *ex,
			 const ExamplePrompts *pr, bool typing, char **texts)
{
	for (int k = 0; k < ex->n_cuts; k++)
	{
		size_t		cut = ex->cuts[k];
		double		cold = -1,
					warm = -1;
		bool		ends = false;
		char	   *comp = c->complete(c->arg, pr->schema[k], pr->schema_len[k], ex->stmt,
									   ex->stmt_len, cut, &cold, &warm, &ends);
		size_t		cl,
					tl;
		char	   *text;
		bool		boundary = eval_is_boundary_cut(ex->stmt, ex->stmt_len, cut);
		bool		em;

		if (!comp)
		{
			st->errors++;
			ends = false;
			comp = copy_text("", 0);
		}
		cl = comp ? strlen(comp) : 0;
		tl = cut + cl;
		text = malloc(tl + 1);
		if (!text)
		{
			free(comp);
			st->errors++;
			continue;
		}
		memcpy(text, ex->stmt, cut);
		memcpy(text + cut, comp, cl);
		text[tl] = '\0';
		free(comp);

		st->cuts++;
		em = eval_next_word_match(text, tl, ex->stmt, ex->stmt_len, cut);
		if (em)
			st->word_em++;
		if (boundary)
		{
			st->cuts_boundary++;
			st->word_em_boundary += em;
		}
		else
		{
			st->cuts_mid++;
			st->word_em_mid += em;
		}
		if (c->candidates)
			eval_candidates(c, st, ex, pr, k, cut);
		st->rest_em += eval_rest_match(text, tl, ex->stmt, ex->stmt_len, false);
		st->rest_em_ci += eval_rest_match(text, tl, ex->stmt, ex->stmt_len, true);
		eval_hallucinations(&pr->names[k], text, tl, cut, &st->idents, &st->idents_bad);
		add_latency(st, cold, warm);
		if (o->breakdown && sys < o->breakdown->n_systems &&
			!eval_breakdown_add(o->breakdown, sys, ex->index, ex->stmt, ex->stmt_len, cut,
								text + cut, cl, boundary, ends, pr->schema[k], pr->schema_len[k]))
			st->errors++;
		if (ends)
			texts[k] = text;
		else
			free(text);
	}

	if (c->score && o->tok)
	{
		size_t		need = sqlpilot_prompt_encode(o->tok, pr->whole, pr->whole_len, ex->stmt,
												  ex->stmt_len, true, NULL, 0, NULL, NULL);
		int		   *ids = malloc(sizeof(int) * (need ? need : 1));
		size_t		stmt_start;
		double		nll = 0;
		long		correct = 0;

		if (ids && sqlpilot_prompt_encode(o->tok, pr->whole, pr->whole_len, ex->stmt,
										  ex->stmt_len, true, ids, need, &stmt_start,
										  NULL) == need &&
			c->score(c->arg, ids, need, stmt_start, &nll, &correct) == 0)
		{
			st->nll += nll;
			st->top1 += correct;
			st->nll_tokens += (long) (need - stmt_start);
		}
		else
			st->errors++;
		free(ids);
	}

	if (typing)
	{
		TypingArg	t = {o, c, ex};

		if (eval_simulate_typing(ex->stmt, ex->stmt_len, typing_complete, &t,
								 &st->ks_keys, &st->ks_chars,
								 o->breakdown && sys < o->breakdown->n_systems ?
								 &o->breakdown->typing[sys] : NULL) == 0)
			st->ks_statements++;
		else
			st->errors++;
		if (c->candidates &&
			eval_simulate_typing_psql(ex->stmt, ex->stmt_len, typing_list, &t, &st->ks_psql_keys,
									  &st->ks_psql_chars) != 0)
			st->errors++;
	}
}

/* Frees the prompts of one example. */
static void
prompts_free(ExamplePrompts *pr, int n_cuts)
{
	for (int k = 0; k < n_cuts; k++)
	{
		if (pr->schema)
			free(pr->schema[k]);
		if (pr->names)
			eval_names_free(&pr->names[k]);
	}
	free(pr->schema);
	free(pr->schema_len);
	free(pr->names);
	free(pr->whole);
	memset(pr, 0, sizeof(*pr));
}

/*
 * Chooses the tables of every prompt of an example: at each cut for the
 * typed prefix within the cut budget, and for the whole statement (teacher
 * forcing, with its EOS) within the context.  Returns 1, 0 when the example
 * is too long (the whole statement with no table does not fit the cut
 * budget), -1 out of memory; *truncated when any prompt left a table out.
 */
static int
choose_prompts(const EvalOptions *o, const Example *ex, ExamplePrompts *pr, bool *truncated)
{
	int			budget = o->tok ? eval_cut_budget(o->seq_len) : 0;
	int			n = ex->n_cuts > 0 ? ex->n_cuts : 1;
	bool		trunc;

	memset(pr, 0, sizeof(*pr));
	*truncated = false;
	if (o->tok && sqlpilot_prompt_encode(o->tok, "", 0, ex->stmt, ex->stmt_len, false, NULL, 0,
										 NULL, NULL) > (size_t) budget)
		return 0;
	pr->schema = calloc(n, sizeof(char *));
	pr->schema_len = calloc(n, sizeof(size_t));
	pr->names = calloc(n, sizeof(EvalNameSet));
	pr->whole = eval_fit_schema(o->tok, o->seq_len - 1, ex->schema, ex->schema_len, ex->stmt,
								ex->stmt_len, &pr->whole_len, &trunc);
	if (!pr->schema || !pr->schema_len || !pr->names || !pr->whole)
		return -1;
	*truncated = trunc;
	for (int k = 0; k < ex->n_cuts; k++)
	{
		pr->schema[k] = eval_fit_schema(o->tok, budget, ex->schema, ex->schema_len, ex->stmt,
										ex->cuts[k], &pr->schema_len[k], &trunc);
		if (!pr->schema[k])
			return -1;
		*truncated = *truncated || trunc;
		eval_names_add_text(&pr->names[k], pr->schema[k], pr->schema_len[k]);
	}
	return 1;
}

/* Seconds between two progress lines. */
#define EVAL_PROGRESS_SECONDS 5.0

/* Writes seconds as 1h02m03s, 2m03s or 3s. */
static void
format_seconds(double s, char *out, size_t cap)
{
	long		t = s < 0 ? 0 : (long) (s + 0.5);

	if (t >= 3600)
		snprintf(out, cap, "%ldh%02ldm%02lds", t / 3600, t / 60 % 60, t % 60);
	else if (t >= 60)
		snprintf(out, cap, "%ldm%02lds", t / 60, t % 60);
	else
		snprintf(out, cap, "%lds", t);
}

/*
 * The progress line on stderr: examples done of total, time since start,
 * and the time left at the rate so far; on a terminal it overwrites the
 * last one (the final one ends the line), elsewhere each is a line.
 */
static void
print_progress(long done, long total, double start, bool tty)
{
	double		elapsed = sqlpilot_now() - start;
	char		el[32],
				eta[32];

	format_seconds(elapsed, el, sizeof(el));
	format_seconds(done > 0 ? elapsed * (double) (total - done) / (double) done : 0, eta, sizeof(eta));
	fprintf(stderr, "%seval: %ld/%ld examples, %s elapsed, ETA %s%s", tty ? "\r" : "", done, total, el,
			eta, tty ? (done == total ? "\033[K\n" : "\033[K") : "\n");
	fflush(stderr);
}

/* Runs the evaluation (see eval.h). */
cJSON *
eval_run(const EvalOptions *o, EvalCompleter *c, int n_completers, char *err, size_t errlen)
{
	long		skipped[N_SKIP] = {0};
	long		n_ex = 0,
				evaluated = 0,
				truncated = 0,
				total_cuts = 0,
				pg_failed = 0,
				gold_checked = 0,
				gold_valid = 0;
	Example    *ex = read_examples(o, &n_ex, skipped, err, errlen);
	Stats	   *st;
	PGconn	   *conn = NULL;
	cJSON	   *report,
			   *sk,
			   *systems;
	double		start = sqlpilot_now();
	double		shown = start;
	bool		tty = isatty(STDERR_FILENO);

	if (!ex)
		return NULL;
	if (o->breakdown)
	{
		o->breakdown->n_systems = 0;
		for (int s = 0; s < n_completers && s < (int) (sizeof(o->breakdown->systems) /
													   sizeof(o->breakdown->systems[0])); s++)
			o->breakdown->systems[o->breakdown->n_systems++] = c[s].name;
	}
	st = calloc(n_completers, sizeof(Stats));
	if (!st)
	{
		snprintf(err, errlen, "out of memory");
		examples_free(ex, n_ex);
		return NULL;
	}
	if (o->pg)
	{
		conn = PQconnectdb(o->pg);
		if (PQstatus(conn) != CONNECTION_OK)
		{
			snprintf(err, errlen, "cannot connect to PostgreSQL: %s", PQerrorMessage(conn));
			PQfinish(conn);
			free(st);
			examples_free(ex, n_ex);
			return NULL;
		}
		PQsetNoticeProcessor(conn, pg_quiet, NULL);
	}

	for (long e = 0; e < n_ex; e++)
	{
		ExamplePrompts pr;
		bool		trunc;
		int			ok = choose_prompts(o, &ex[e], &pr, &trunc);
		char	  **texts;
		bool		pg_ok;

		if (o->progress && sqlpilot_now() - shown >= EVAL_PROGRESS_SECONDS)
		{
			print_progress(e, n_ex, start, tty);
			shown = sqlpilot_now();
		}
		if (ok <= 0)
		{
			if (ok == 0)
				skipped[SKIP_TOO_LONG]++;
			else
				for (int s = 0; s < n_completers; s++)
					st[s].errors++;
			prompts_free(&pr, ex[e].n_cuts);
			continue;
		}
		evaluated++;
		truncated += trunc;
		total_cuts += ex[e].n_cuts;
		/* the example's schema first: a checked completer checks while it completes */
		texts = calloc((size_t) n_completers * (ex[e].n_cuts + 1), sizeof(char *));
		pg_ok = conn && texts && pg_load_schema(conn, ex[e].schema);
		if (conn && !pg_ok)
			pg_failed++;
		for (int s = 0; s < n_completers; s++)
			if (c[s].check)
			{
				c[s].check->accepts = pg_ok ? pg_check_accepts : NULL;
				c[s].check->arg = conn;
			}
		for (int s = 0; texts && s < n_completers; s++)
			eval_example(o, s, &c[s], &st[s], &ex[e], &pr, evaluated <= o->ks_limit,
						 texts + (size_t) s * (ex[e].n_cuts + 1));
		if (pg_ok)
		{
			gold_checked++;
			gold_valid += pg_accepts(conn, ex[e].stmt, ex[e].stmt_len);
		}
		for (int s = 0; pg_ok && s < n_completers; s++)
			for (int k = 0; k < ex[e].n_cuts; k++)
			{
				const char *t = texts[(size_t) s * (ex[e].n_cuts + 1) + k];

				if (!t)
					continue;
				st[s].valid_checked++;
				st[s].valid += pg_accepts(conn, t, strlen(t));
			}
		if (pg_ok)
			pg_command(conn, "ROLLBACK");
		for (size_t i = 0; texts && i < (size_t) n_completers * (ex[e].n_cuts + 1); i++)
			free(texts[i]);
		free(texts);
		prompts_free(&pr, ex[e].n_cuts);
	}

	if (o->progress)
		print_progress(n_ex, n_ex, start, tty);
	report = cJSON_CreateObject();
	if (o->model_name)
	{
		char		hex[32];

		snprintf(hex, sizeof(hex), "%016llx", (unsigned long long) o->model_checksum);
		cJSON_AddStringToObject(report, "model", o->model_name);
		cJSON_AddStringToObject(report, "model_checksum", hex);
	}
	else
	{
		cJSON_AddNullToObject(report, "model");
		cJSON_AddNullToObject(report, "model_checksum");
	}
	if (o->grounding)
		cJSON_AddStringToObject(report, "grounding", o->grounding);
	else
		cJSON_AddNullToObject(report, "grounding");
	cJSON_AddStringToObject(report, "input", o->input);
	cJSON_AddNumberToObject(report, "seed", (double) o->seed);
	cJSON_AddNumberToObject(report, "examples", (double) evaluated);
	cJSON_AddNumberToObject(report, "cuts", (double) total_cuts);
	cJSON_AddNumberToObject(report, "cuts_boundary", n_completers ? (double) st[0].cuts_boundary : 0);
	cJSON_AddNumberToObject(report, "cuts_mid", n_completers ? (double) st[0].cuts_mid : 0);
	cJSON_AddNumberToObject(report, "truncated", (double) truncated);
	sk = cJSON_AddObjectToObject(report, "skipped");
	for (int i = 0; i < N_SKIP; i++)
		cJSON_AddNumberToObject(sk, skip_names[i], (double) skipped[i]);
	if (conn)
	{
		cJSON_AddNumberToObject(report, "schema_load_failed", (double) pg_failed);
		add_ratio(report, "gold_valid_rate", (double) gold_valid, (double) gold_checked);
	}
	else
		cJSON_AddNullToObject(report, "schema_load_failed");
	systems = cJSON_AddObjectToObject(report, "metrics");
	for (int s = 0; s < n_completers; s++)
	{
		cJSON_AddItemToObject(systems, c[s].name, stats_json(&st[s], c[s].score && o->tok, conn != NULL));
		free(st[s].lat_cold);
		free(st[s].lat_warm);
	}
	if (conn)
		PQfinish(conn);
	free(st);
	examples_free(ex, n_ex);
	return report;
}

/* Prints one cell of the table: a number with 4 decimals (3 for ms), or "-". */
static void
print_cell(FILE *f, const cJSON *m, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(m, name);

	if (cJSON_IsNumber(v) && (strcmp(name, "valid_sql_checked") == 0 ||
							  strcmp(name, "loop_stops") == 0 || strcmp(name, "cap_hits") == 0))
		fprintf(f, " %12.0f", v->valuedouble);
	else if (cJSON_IsNumber(v))
		fprintf(f, strstr(name, "latency") ? " %12.3f" : " %12.4f", v->valuedouble);
	else
		fprintf(f, " %12s", "-");
}

/* Prints the report as a table: one row per metric, one column per system. */
void
eval_print_table(const cJSON *report, FILE *f)
{
	static const char *const rows[] = {"stmt_nll", "next_token_acc", "next_word_em",
		"next_word_em_boundary", "next_word_em_mid", "next_word_recall@1", "next_word_recall@3",
		"next_word_recall@5", "candidate_dup_rate", "rest_em", "rest_em_ci",
		"keystrokes_saved", "keystrokes_saved_psql", "hallucinated_ident_rate", "valid_sql_rate",
		"valid_sql_checked", "loop_stops", "cap_hits", "latency_ms_p50_cold", "latency_ms_p95_cold", "latency_ms_p50_warm",
	"latency_ms_p95_warm"};
	const cJSON *metrics = cJSON_GetObjectItemCaseSensitive(report, "metrics");
	const cJSON *skipped = cJSON_GetObjectItemCaseSensitive(report, "skipped");
	const cJSON *model = cJSON_GetObjectItemCaseSensitive(report, "model");
	const cJSON *m;

	const cJSON *grounding = cJSON_GetObjectItemCaseSensitive(report, "grounding");

	fprintf(f, "model %s, grounding %s, input %s, seed %.0f\n",
			cJSON_IsString(model) ? model->valuestring : "(none)",
			cJSON_IsString(grounding) ? grounding->valuestring : "-",
			cJSON_GetObjectItemCaseSensitive(report, "input")->valuestring,
			cJSON_GetObjectItemCaseSensitive(report, "seed")->valuedouble);
	fprintf(f, "examples %.0f, cuts %.0f (boundary %.0f, mid-word %.0f), truncated %.0f, skipped:",
			cJSON_GetObjectItemCaseSensitive(report, "examples")->valuedouble,
			cJSON_GetObjectItemCaseSensitive(report, "cuts")->valuedouble,
			cJSON_GetObjectItemCaseSensitive(report, "cuts_boundary")->valuedouble,
			cJSON_GetObjectItemCaseSensitive(report, "cuts_mid")->valuedouble,
			cJSON_GetObjectItemCaseSensitive(report, "truncated")->valuedouble);
	for (const cJSON *s = skipped ? skipped->child : NULL; s; s = s->next)
		fprintf(f, " %s %.0f%s", s->string, s->valuedouble, s->next ? "," : "\n");
	fprintf(f, "\n%-24s", "metric");
	for (m = metrics->child; m; m = m->next)
		fprintf(f, " %12s", m->string);
	fprintf(f, "\n");
	for (size_t r = 0; r < sizeof(rows) / sizeof(rows[0]); r++)
	{
		fprintf(f, "%-24s", rows[r]);
		for (m = metrics->child; m; m = m->next)
			print_cell(f, m, rows[r]);
		fprintf(f, "\n");
	}
	fprintf(f, "\n");
}

/* ---- the checked completer (core/checked.h) ---- */

/* One choice of a checked completer: the cut, and the texts generated for it. */
typedef struct CheckedCall
{
	EvalChecked *ch;
	const char *schema;
	size_t		schema_len;
	const char *gold;
	size_t		gold_len;
	size_t		cut;
	char	   *texts[1 + SQLPILOT_CHECKED_DEFAULT_CANDIDATES];
	int			n_texts;
} CheckedCall;

/* SqlpilotCheckedSource.generate: base's greedy completion, or its beams. */
static int
checked_generate(void *arg, int width, SqlpilotCheckedCandidate *out)
{
	CheckedCall *call = arg;
	EvalCompleter *base = call->ch->base;
	EvalBeam	b[SQLPILOT_CHECKED_DEFAULT_CANDIDATES];
	int			n;

	if (width == 1)
	{
		bool		ends = false;
		char	   *t = base->complete(base->arg, call->schema, call->schema_len, call->gold,
									   call->gold_len, call->cut, NULL, NULL, &ends);

		if (!t)
			return -1;
		call->texts[call->n_texts++] = t;
		out[0] = (SqlpilotCheckedCandidate) {t, 0, ends, SQLPILOT_UNCHECKED};
		return 1;
	}
	if (width > SQLPILOT_CHECKED_DEFAULT_CANDIDATES)
		width = SQLPILOT_CHECKED_DEFAULT_CANDIDATES;
	n = base->beams(base->arg, call->schema, call->schema_len, call->gold, call->cut, width, b);
	for (int i = 0; i < n; i++)
	{
		call->texts[call->n_texts++] = b[i].text;
		out[i] = (SqlpilotCheckedCandidate) {b[i].text, b[i].score, b[i].ends, SQLPILOT_UNCHECKED};
	}
	return n;
}

/*
 * SqlpilotCheckedSource.check: a whole statement (prefix + text) by the
 * completer's EvalCheck (unchecked without one), a cut one by its names.
 */
static SqlpilotValidity
checked_check(void *arg, const SqlpilotCheckedCandidate *c)
{
	CheckedCall *call = arg;
	const EvalCheck *check = &call->ch->check;
	size_t		tl = strlen(c->text);
	char	   *sql;
	bool		ok;

	if (!c->whole)
		return sqlpilot_checked_names(call->schema, call->schema_len, call->gold, call->cut,
									  c->text, tl);
	if (!check->accepts || !(sql = malloc(call->cut + tl + 1)))
		return SQLPILOT_UNCHECKED;
	memcpy(sql, call->gold, call->cut);
	memcpy(sql + call->cut, c->text, tl + 1);
	ok = check->accepts(check->arg, sql, call->cut + tl);
	free(sql);
	return ok ? SQLPILOT_VALID : SQLPILOT_INVALID;
}

/* EvalCompleter.complete of a checked completer: the completion core/checked.h shows. */
static char *
checked_complete(void *arg, const char *schema, size_t schema_len, const char *gold,
				 size_t gold_len, size_t cut, double *ms_cold, double *ms_warm, bool *ends)
{
	CheckedCall call = {arg, schema, schema_len, gold, gold_len, cut, {NULL}, 0};
	SqlpilotCheckedSource src = {checked_generate, checked_check, &call,
	SQLPILOT_CHECKED_DEFAULT_CANDIDATES};
	SqlpilotCheckedCandidate cands[1 + SQLPILOT_CHECKED_DEFAULT_CANDIDATES];
	int			n;
	int			shown = sqlpilot_checked_choose(&src, cands, &n);
	char	   *out = NULL;

	if (ms_cold)
		*ms_cold = *ms_warm = -1;
	if (ends)
		*ends = shown >= 0 && cands[shown].whole;
	if (shown >= 0)
		out = copy_text(cands[shown].text, strlen(cands[shown].text));
	else if (shown == -1)
		out = copy_text("", 0);
	call.ch->replaced += shown > 0;
	for (int i = 0; i < call.n_texts; i++)
		free(call.texts[i]);
	return out;
}

/* See eval.h. */
void
eval_checked_completer(const char *name, EvalChecked *ch, EvalCompleter *out)
{
	memset(out, 0, sizeof(*out));
	out->name = name;
	out->complete = checked_complete;
	out->arg = ch;
	out->check = &ch->check;
}

/* ---- the two systems of `sqlpilot eval` ---- */

/* The copy baseline as an EvalCompleter. */
static char *
baseline_complete(void *arg, const char *schema, size_t schema_len, const char *gold,
				  size_t gold_len, size_t cut, double *ms_cold, double *ms_warm, bool *ends)
{
	double		t0 = sqlpilot_now();
	char	   *out = eval_copy_complete(schema, schema_len, gold, gold_len, cut);

	if (ms_cold)
		*ms_cold = *ms_warm = (sqlpilot_now() - t0) * 1e3;
	/* it ends the statement only where its text is the whole statement */
	if (ends)
	{
		char	   *text = out ? malloc(cut + strlen(out) + 1) : NULL;

		*ends = false;
		if (text)
		{
			memcpy(text, gold, cut);
			strcpy(text + cut, out);
			*ends = eval_rest_match(text, cut + strlen(out), gold, gold_len, false);
		}
		free(text);
	}
	return out;
}

/*
 * The model as one system: the loaded model and run state (shared by the
 * grounded and the ungrounded system) and its completion options.
 */
typedef struct ModelSystem
{
	SqlpilotModel *model;
	SqlpilotRunState *rs;
	SqlpilotCompleteOptions opt;	/* beam_width: the product's policy
									 * (SQLPILOT_BEAM_WIDTH_STATEMENT) unless --beam-width */
	double		length_norm;	/* --length-norm: beams ranked by score / tokens^length_norm */
	long		errors_shown;
	bool		last_looped;	/* the last completion was cut by the loop rule */
	long		loop_stops;		/* completions at cuts the loop rule cut (core/complete.c) */
	long		cap_hits;		/* completions at cuts that hit the token budget */
} ModelSystem;

/* Most beams --beam-width takes (the run state's spares). */
#define EVAL_MAX_BEAM_WIDTH 8

/*
 * The completion of gold[:cut] (the prefix only), to EOS or 128 tokens:
 * greedy, or with --beam-width the best of the W best beams (by score, or
 * by score / tokens^length_norm); NULL on failure.  *ends: it stopped at
 * EOS, before the token budget.
 */
static char *
model_generate(ModelSystem *m, const char *schema, size_t schema_len, const char *prefix,
			   size_t prefix_len, bool *ends)
{
	SqlpilotCompletion out[EVAL_MAX_BEAM_WIDTH];
	char		err[256];
	int			n = sqlpilot_complete(m->rs, &m->model->tokenizer, schema, schema_len,
									  prefix, prefix_len, &m->opt, out, EVAL_MAX_BEAM_WIDTH,
									  err, sizeof(err));
	int			best = 0;
	char	   *text;

	*ends = false;
	if (n < 0)
	{
		if (m->errors_shown++ < 5)
			fprintf(stderr, "sqlpilot eval: completion failed: %s\n", err);
		return NULL;
	}
	if (n == 0)
		return copy_text("", 0);
	for (int i = 1; i < n && m->length_norm > 0; i++)
		if (out[i].score / pow(out[i].n_tokens > 0 ? out[i].n_tokens : 1, m->length_norm) >
			out[best].score / pow(out[best].n_tokens > 0 ? out[best].n_tokens : 1, m->length_norm))
			best = i;
	*ends = out[best].n_tokens < m->opt.max_tokens && !out[best].looped;
	m->last_looped = out[best].looped;
	text = out[best].text;
	out[best].text = NULL;
	sqlpilot_completion_free(out, n);
	return text;
}

/*
 * The model as an EvalCompleter.  Timed: cold with an empty cache, then warm
 * with only the schema part of the prompt cached; the cold text is the
 * result.  Untimed (typing simulation): one run reusing whatever is cached.
 */
static char *
model_complete(void *arg, const char *schema, size_t schema_len, const char *gold,
			   size_t gold_len, size_t cut, double *ms_cold, double *ms_warm, bool *ends)
{
	ModelSystem *m = arg;
	size_t		schema_end = 0;
	double		t0;
	bool		ended,
				again_ended;
	char	   *text,
			   *again;

	if (!ms_cold)
		text = model_generate(m, schema, schema_len, gold, cut, &ended);
	else
	{
		*ms_cold = *ms_warm = -1;
		sqlpilot_infer_truncate(m->rs, 0);
		t0 = sqlpilot_now();
		text = model_generate(m, schema, schema_len, gold, cut, &ended);
		if (!text)
			return NULL;
		*ms_cold = (sqlpilot_now() - t0) * 1e3;
		m->loop_stops += m->last_looped;
		m->cap_hits += !ended && !m->last_looped;
		sqlpilot_prompt_encode(&m->model->tokenizer, schema, schema_len, gold, cut, false, NULL,
							   0, NULL, &schema_end);
		sqlpilot_infer_truncate(m->rs, (int) schema_end);
		t0 = sqlpilot_now();
		again = model_generate(m, schema, schema_len, gold, cut, &again_ended);
		*ms_warm = (sqlpilot_now() - t0) * 1e3;
		free(again);
	}
	if (ends)
		*ends = ended;
	return text;
}

/*
 * The model's distinct candidate list for gold[:cut] (EvalCompleter.candidates):
 * EVAL_CANDIDATE_BEAMS distinct beams of up to 32 tokens, made into words,
 * clauses and a statement by sqlpilot_candidates_build.
 */
static int
model_candidates(void *arg, const char *schema, size_t schema_len, const char *gold,
				 size_t cut, char **out, int max)
{
	ModelSystem *m = arg;
	SqlpilotCompleteOptions o = m->opt;
	SqlpilotCompletion res[EVAL_CANDIDATE_BEAMS];
	SqlpilotCandidate cands[EVAL_CANDIDATES_MAX];
	const char *texts[EVAL_CANDIDATE_BEAMS];
	double		scores[EVAL_CANDIDATE_BEAMS];
	char		err[256];
	int			n,
				nc;

	/* the list's statement is the one eval scores (the policy, or --beam-width) */
	o.statement_beams = o.beam_width == SQLPILOT_BEAM_WIDTH_STATEMENT ? 0 : o.beam_width;
	o.beam_width = EVAL_CANDIDATE_BEAMS;
	o.distinct = true;
	o.max_tokens = 32;
	o.stop_at_semicolon = true;
	n = sqlpilot_complete(m->rs, &m->model->tokenizer, schema, schema_len, gold, cut, &o,
						  res, EVAL_CANDIDATE_BEAMS, err, sizeof(err));
	if (n < 0)
	{
		if (m->errors_shown++ < 5)
			fprintf(stderr, "sqlpilot eval: candidates failed: %s\n", err);
		return -1;
	}
	for (int i = 0; i < n; i++)
	{
		texts[i] = res[i].text;
		scores[i] = res[i].score;
	}
	nc = sqlpilot_candidates_build(texts, scores, n, gold, cut, cands,
								   max < EVAL_CANDIDATES_MAX ? max : EVAL_CANDIDATES_MAX);
	sqlpilot_completion_free(res, n);
	for (int i = 0; i < nc; i++)
		out[i] = cands[i].text;
	return nc;
}

/*
 * EvalCompleter.beams of the model: width beams of gold[:cut] with the
 * greedy run's options, the plain W best (not distinct), as the extension
 * tries them.
 */
static int
model_beams(void *arg, const char *schema, size_t schema_len, const char *gold, size_t cut,
			int width, EvalBeam *out)
{
	ModelSystem *m = arg;
	SqlpilotCompleteOptions o = m->opt;
	SqlpilotCompletion res[SQLPILOT_CHECKED_DEFAULT_CANDIDATES];
	char		err[256];
	int			n;

	if (width > SQLPILOT_CHECKED_DEFAULT_CANDIDATES)
		width = SQLPILOT_CHECKED_DEFAULT_CANDIDATES;
	o.beam_width = width;
	o.distinct = false;
	n = sqlpilot_complete(m->rs, &m->model->tokenizer, schema, schema_len, gold, cut, &o,
						  res, width, err, sizeof(err));
	if (n < 0)
	{
		if (m->errors_shown++ < 5)
			fprintf(stderr, "sqlpilot eval: beams failed: %s\n", err);
		return -1;
	}
	for (int i = 0; i < n; i++)
	{
		out[i].text = res[i].text;
		out[i].score = res[i].score;
		out[i].ends = res[i].n_tokens < o.max_tokens && !res[i].looped;
	}
	return n;
}

/* Teacher forcing: the prompt through prefill, then one decode step per statement token. */
static int
model_score(void *arg, const int *ids, size_t n, size_t stmt_start, double *nll, long *correct)
{
	ModelSystem *m = arg;
	int			V = m->model->config.vocab_size;

	if (stmt_start < 1 || stmt_start >= n || sqlpilot_infer_feed(m->rs, ids, (int) stmt_start) < 0)
		return -1;
	for (size_t t = stmt_start; t < n; t++)
	{
		const float *lg = m->rs->logits;
		int			best = 0;

		for (int v = 1; v < V; v++)
			if (lg[v] > lg[best])
				best = v;
		*nll += sqlpilot_log_sum_exp(lg, V) - lg[ids[t]];
		*correct += best == ids[t];
		if (t + 1 < n && sqlpilot_infer_step(m->rs, ids[t]) != 0)
			return -1;
	}
	return 0;
}

/* Prints the usage of `sqlpilot eval`. */
static void
eval_usage(FILE *f)
{
	fprintf(f,
			"usage: sqlpilot eval [options] INPUT.jsonl\n"
			"  --model FILE      model to evaluate (without it only the copy baseline runs)\n"
			"  --limit N         first N usable lines (default: all)\n"
			"  --seed S          seed of the drawn cuts (default 0)\n"
			"  --cuts K          cuts drawn per line without \"cuts\" (default %d)\n"
			"  --ks-limit M      statements for keystrokes_saved (default %d)\n"
			"  --grounding on|off|both  the model with constrained decoding (\"model\"), without\n"
			"                    it (\"model_ungrounded\"), or both side by side (default both)\n"
			"  --pg CONNINFO     check whole-statement completions with PostgreSQL (valid_sql_rate),\n"
			"                    and add \"model_checked\": the completion the extension shows\n"
			"  --json FILE       write the JSON report to FILE instead of stdout\n"
			"  --beam-width W    the model's completion: the best of W beams (1: greedy; at most\n"
			"                    %d; default: what sqlpilot_complete() does, 2 for models of at\n"
			"                    most %d parameters, else 1)\n"
			"  --length-norm A   with --beam-width: rank beams by score / tokens^A (default 0)\n"
			"  --breakdown FILE  write why rest_em fails (markdown) to FILE\n"
			"  --breakdown-cuts FILE  write every cut of every system as a JSON line to FILE\n"
			"  --progress        examples done, elapsed time and ETA on stderr every few seconds\n"
			"                    (the default when stderr is a terminal)\n"
			"Metrics are defined in docs/metrics.md.\n",
			EVAL_DEFAULT_CUTS, EVAL_DEFAULT_KS_LIMIT, EVAL_MAX_BEAM_WIDTH, SQLPILOT_STATEMENT_BEAMS_MAX_PARAMS);
}

/* Parses a non-negative integer option value; false when it is not one. */
static bool
parse_count(const char *s, long max, long *out)
{
	char	   *end;
	long long	v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || end == s || *end || v < 0 || v > max)
		return false;
	*out = (long) v;
	return true;
}

/* `sqlpilot eval`: parses options, loads the model, runs, prints the table and the JSON. */
int
sqlpilot_eval_main(int argc, char **argv)
{
	EvalOptions o;
	const char *model_path = NULL,
			   *json_path = NULL;
	const char *grounding = "both";
	SqlpilotModel *model = NULL;
	SqlpilotRunState *rs = NULL;
	ModelSystem ms[2];
	EvalChecked checked[2];
	EvalCompleter sys[5];
	EvalBreakdown breakdown;
	long		beam_width = SQLPILOT_BEAM_WIDTH_STATEMENT;
	double		length_norm = 0;
	int			n_models = 0;
	int			n_sys = 0;
	char		err[512];
	cJSON	   *report;
	char	   *json;
	int			rc = 0;

	memset(&o, 0, sizeof(o));
	memset(&breakdown, 0, sizeof(breakdown));
	o.limit = -1;
	o.cuts = EVAL_DEFAULT_CUTS;
	o.ks_limit = EVAL_DEFAULT_KS_LIMIT;
	o.progress = isatty(STDERR_FILENO);
	for (int i = 1; i < argc; i++)
	{
		const char *a = argv[i];
		long		v;

		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0)
		{
			eval_usage(stdout);
			return 0;
		}
		if (strcmp(a, "--progress") == 0)
		{
			o.progress = true;
			continue;
		}
		if (a[0] == '-' && a[1] == '-' && i + 1 >= argc)
		{
			fprintf(stderr, "sqlpilot eval: %s needs a value\n", a);
			return 2;
		}
		if (strcmp(a, "--model") == 0)
			model_path = argv[++i];
		else if (strcmp(a, "--json") == 0)
			json_path = argv[++i];
		else if (strcmp(a, "--pg") == 0)
			o.pg = argv[++i];
		else if (strcmp(a, "--breakdown") == 0)
			breakdown.md_path = argv[++i];
		else if (strcmp(a, "--breakdown-cuts") == 0)
			breakdown.cuts_path = argv[++i];
		else if (strcmp(a, "--beam-width") == 0 && parse_count(argv[i + 1], EVAL_MAX_BEAM_WIDTH, &beam_width) &&
				 beam_width >= 1)
			i++;
		else if (strcmp(a, "--length-norm") == 0)
		{
			char	   *end;

			errno = 0;
			length_norm = strtod(argv[++i], &end);
			if (errno || *end || end == argv[i] || !(length_norm >= 0 && length_norm <= 4))
			{
				fprintf(stderr, "sqlpilot eval: bad --length-norm \"%s\" (0 to 4)\n", argv[i]);
				return 2;
			}
		}
		else if (strcmp(a, "--grounding") == 0 &&
				 (strcmp(argv[i + 1], "on") == 0 || strcmp(argv[i + 1], "off") == 0 ||
				  strcmp(argv[i + 1], "both") == 0))
			grounding = argv[++i];
		else if (strcmp(a, "--limit") == 0 && parse_count(argv[i + 1], 1L << 40, &v))
		{
			o.limit = v;
			i++;
		}
		else if (strcmp(a, "--cuts") == 0 && parse_count(argv[i + 1], 1000, &v))
		{
			o.cuts = (int) v;
			i++;
		}
		else if (strcmp(a, "--ks-limit") == 0 && parse_count(argv[i + 1], 1L << 30, &v))
		{
			o.ks_limit = (int) v;
			i++;
		}
		else if (strcmp(a, "--seed") == 0)
		{
			char	   *end;

			errno = 0;
			o.seed = strtoull(argv[++i], &end, 10);
			if (errno || *end || argv[i][0] == '-' || argv[i][0] == '\0')
			{
				fprintf(stderr, "sqlpilot eval: bad --seed \"%s\"\n", argv[i]);
				return 2;
			}
		}
		else if (a[0] == '-' && a[1] != '\0')
		{
			fprintf(stderr, "sqlpilot eval: bad option or value: %s\n", a);
			eval_usage(stderr);
			return 2;
		}
		else if (!o.input)
			o.input = a;
		else
		{
			fprintf(stderr, "sqlpilot eval: more than one input file\n");
			return 2;
		}
	}
	if (!o.input)
	{
		eval_usage(stderr);
		return 2;
	}

	if (model_path)
	{
		const char *slash = strrchr(model_path, '/');

		model = calloc(1, sizeof(SqlpilotModel));
		rs = calloc(1, sizeof(SqlpilotRunState));
		if (!model || !rs || sqlpilot_model_load(model, model_path, err, sizeof(err)) != 0)
		{
			fprintf(stderr, "sqlpilot eval: %s\n", model && rs ? err : "out of memory");
			free(model);
			free(rs);
			return 1;
		}
		if (sqlpilot_runstate_init(rs, &model->config, &model->weights, err, sizeof(err)) != 0)
		{
			fprintf(stderr, "sqlpilot eval: %s\n", err);
			sqlpilot_model_free(model);
			free(model);
			free(rs);
			return 1;
		}
		memset(ms, 0, sizeof(ms));
		for (int g = 0; g < 2; g++)
		{
			ms[g].model = model;
			ms[g].rs = rs;
			sqlpilot_complete_defaults(&ms[g].opt);
			ms[g].opt.max_tokens = EVAL_MAX_NEW_TOKENS;
			ms[g].opt.top_k = 0;
			ms[g].opt.stop_at_semicolon = false;
			ms[g].opt.grounding = g == 0;
			ms[g].opt.beam_width = (int) beam_width;
			ms[g].opt.distinct = false;
			ms[g].length_norm = length_norm;
		}
		o.tok = &model->tokenizer;
		o.seq_len = model->config.seq_len;
		o.model_name = slash ? slash + 1 : model_path;
		o.model_checksum = model->checksum;
		o.grounding = grounding;
		if (strcmp(grounding, "off") != 0)
			sys[n_sys++] = (EvalCompleter) {"model", model_complete, model_score, &ms[0],
			model_candidates, NULL, model_beams};
		if (strcmp(grounding, "on") != 0)
			sys[n_sys++] = (EvalCompleter) {"model_ungrounded", model_complete, model_score, &ms[1],
			model_candidates, NULL, model_beams};
		n_models = n_sys;
		/* with --pg, beside each model what the extension shows its user */
		for (int s = 0; o.pg && s < n_models; s++)
		{
			memset(&checked[s], 0, sizeof(checked[s]));
			checked[s].base = &sys[s];
			eval_checked_completer(s == 0 && strcmp(grounding, "off") != 0 ?
								   "model_checked" : "model_ungrounded_checked",
								   &checked[s], &sys[n_sys++]);
		}
	}
	sys[n_sys++] = (EvalCompleter) {"baseline", baseline_complete, NULL, NULL, NULL, NULL, NULL};

	if (breakdown.md_path || breakdown.cuts_path)
		o.breakdown = &breakdown;
	report = eval_run(&o, sys, n_sys, err, sizeof(err));
	if (!report)
	{
		fprintf(stderr, "sqlpilot eval: %s\n", err);
		rc = 1;
	}
	else if (o.breakdown && !eval_breakdown_write(&breakdown, o.input, err, sizeof(err)))
	{
		fprintf(stderr, "sqlpilot eval: %s\n", err);
		rc = 1;
	}
	eval_breakdown_free(&breakdown);
	for (int s = 0; report && s < n_models; s++)
	{
		const ModelSystem *m = sys[s].arg;
		cJSON	   *obj = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(report, "metrics"),
														  sys[s].name);

		cJSON_AddNumberToObject(obj, "loop_stops", (double) m->loop_stops);
		cJSON_AddNumberToObject(obj, "cap_hits", (double) m->cap_hits);
	}
	if (report && model)
	{
		cJSON_AddNumberToObject(report, "beam_width", beam_width == SQLPILOT_BEAM_WIDTH_STATEMENT ?
								(double) sqlpilot_complete_statement_beams(&model->config) : (double) beam_width);
		cJSON_AddNumberToObject(report, "length_norm", length_norm);
	}
	if (report)
	{
		eval_print_table(report, stdout);
		json = cJSON_PrintUnformatted(report);
		if (json_path)
		{
			if (sqlpilot_write_file_atomic(json_path, json, strlen(json), err, sizeof(err)) != 0)
			{
				fprintf(stderr, "sqlpilot eval: %s\n", err);
				rc = 1;
			}
		}
		else
			printf("%s\n", json);
		free(json);
		cJSON_Delete(report);
	}
	if (model)
	{
		sqlpilot_runstate_free(rs);
		sqlpilot_model_free(model);
		free(model);
		free(rs);
	}
	return rc;
}
