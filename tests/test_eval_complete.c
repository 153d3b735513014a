/*
 * test_eval_complete.c — where the completions eval scores start: the seam
 * between the prompt's format and the typed statement (core/complete.c).
 *
 * Token healing backs off the last tokens of the prompt so the model can
 * write a partial word with the tokens it learned.  With nothing typed, the
 * last token is the format's own "\n\n" after "### STATEMENT", which the
 * model always saw whole before a statement: backing it off forced the
 * first new token to retype it (the default model then wrote "    * FROM"
 * or "set * FROM" for every empty prefix).  A rigged model (logits = the
 * same preference at every step) shows the mechanism exactly; the default
 * model shows the symptom is gone.
 *
 * Grounding (core/ground.c) let a quoted name close that is no name of the
 * schema but the start of one ("total_purchase" of total_purchase_amount):
 * after its closing quote nothing could follow, so the next step was free
 * and the model ran on ("total_purchase", "total_purchase", ... to the
 * token cap, 47 of 1600 corpus cuts).  A closed quoted name grows only by
 * "" (a quote in its value).  It also let '{' into an INSERT column list,
 * which PostgreSQL has no token for, after which the model wrote
 * {"col", {"col", ... to the cap.
 *
 * The loop rule (sqlpilot_loop_cut): what grounding refuses the model still
 * spirals around (86 of 1600 corpus cuts ran to the 128-token cap, all
 * misses: "\n\t \n\t ...", "of of of ...", "Suppliers, Suppliers, ...").
 * A completion that ends in such a loop stops there, cut back to before it,
 * and says so (SqlpilotCompletion.looped: it does not end the statement);
 * no statement of the corpus holds one.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "complete.h"
#include "ground.h"
#include "model.h"
#include "tap.h"

static const char *schema = "CREATE TABLE users (id INT PRIMARY KEY, name TEXT);";

/* Merges "\n\n" (token 259), "\n " (token 260), " S" (261) and ", S" (262). */
static int
make_tokenizer(SqlpilotTokenizer *tok)
{
	int32_t		merges[] = {
		SQLPILOT_TOKEN_BYTE0 + '\n', SQLPILOT_TOKEN_BYTE0 + '\n',
		SQLPILOT_TOKEN_BYTE0 + '\n', SQLPILOT_TOKEN_BYTE0 + ' ',
		SQLPILOT_TOKEN_BYTE0 + ' ', SQLPILOT_TOKEN_BYTE0 + 'S',
		SQLPILOT_TOKEN_BYTE0 + ',', 261,
	};
	char		err[256];

	if (sqlpilot_tokenizer_from_merges(tok, merges, 4, 512, err, sizeof(err)) != 0)
	{
		tap_diag("tokenizer: %s", err);
		return -1;
	}
	return 0;
}

/*
 * A model whose logits are wcls[t * dim] * sqrt(dim) at every position:
 * zero attention and MLP, every embedding the first unit vector.
 */
static float *
rig_model(SqlpilotConfig *c, SqlpilotWeights *w)
{
	float	   *params;

	memset(c, 0, sizeof(*c));
	c->dim = 8;
	c->hidden_dim = 8;
	c->n_layers = 1;
	c->n_heads = 2;
	c->n_kv_heads = 1;
	c->vocab_size = 512;
	c->seq_len = 256;
	c->tied = 0;
	c->rope_theta = 10000.0f;
	c->norm_eps = 1e-5f;
	params = calloc(sqlpilot_param_count(c), sizeof(float));
	if (!params)
		return NULL;
	sqlpilot_weights_map(w, c, params);
	for (int t = 0; t < c->vocab_size; t++)
		w->token_embedding[t * c->dim] = 1.0f;
	for (int i = 0; i < c->dim; i++)
		w->rms_att[i] = w->rms_ffn[i] = w->rms_final[i] = 1.0f;
	return params;
}

/*
 * The greedy completion of prefix (max_tokens new tokens); NULL on error.
 * *looped (when not NULL): the loop rule cut it.
 */
static char *
greedy(SqlpilotRunState *s, const SqlpilotTokenizer *tok, const char *sch, const char *prefix,
	   int max_tokens, bool grounding, bool *looped)
{
	SqlpilotCompleteOptions o;
	SqlpilotCompletion out;
	char		err[256];
	int			n;

	sqlpilot_complete_defaults(&o);
	o.max_tokens = max_tokens;
	o.grounding = grounding;
	o.stop_at_semicolon = false;
	n = sqlpilot_complete(s, tok, sch, strlen(sch), prefix, strlen(prefix), &o, &out, 1,
						  err, sizeof(err));
	if (n < 0)
		tap_diag("complete \"%s\": %s", prefix, err);
	if (looped)
		*looped = n == 1 && out.looped;
	return n == 1 ? out.text : NULL;
}

/* The rigged model: "\n " is the best token everywhere, then 'S'. */
static void
test_rigged(void)
{
	SqlpilotTokenizer tok;
	SqlpilotConfig c;
	SqlpilotWeights w;
	SqlpilotRunState s;
	float	   *params;
	char		err[256];
	char	   *t;

	if (make_tokenizer(&tok) != 0 || !(params = rig_model(&c, &w)) ||
		sqlpilot_runstate_init(&s, &c, &w, err, sizeof(err)) != 0)
	{
		tap_ok(0, "rigged model");
		return;
	}
	w.wcls[260 * c.dim] = 6.0f;
	w.wcls[(SQLPILOT_TOKEN_BYTE0 + 'S') * c.dim] = 5.0f;
	w.wcls[SQLPILOT_TOKEN_EOS * c.dim] = -5.0f;

	/*
	 * Nothing typed: the model's best first token after the whole prompt.
	 * (Backing off the format's "\n\n" made the first token retype it: "\n"
	 * then "\n " wrote " \n \n ".)
	 */
	t = greedy(&s, &tok, schema, "", 2, false, NULL);
	tap_ok(t && strcmp(t, "\n \n ") == 0,
		   "empty prefix: the format's final \"\\n\\n\" is not backed off (got \"%s\")",
		   t ? t : "(error)");
	free(t);
	/* typed text is still healed: after "SELECT" the last token is backed off and retyped */
	t = greedy(&s, &tok, schema, "SELECT", 2, false, NULL);
	tap_ok(t && strcmp(t, "\n \n ") == 0, "after a word: the best tokens follow (got \"%s\")",
		   t ? t : "(error)");
	free(t);
	sqlpilot_runstate_free(&s);
	free(params);
	sqlpilot_tokenizer_free(&tok);
}

/* The default model: an empty prefix completes to a statement that starts with a keyword. */
static void
test_default_model(void)
{
	const char *root = getenv("SQLPILOT_ROOT") ? getenv("SQLPILOT_ROOT") : ".";
	const char *shop = "CREATE TABLE public.orders (\n\tid INT8 NOT NULL,\n"
		"\tcustomer_name STRING NULL,\n\ttotal DECIMAL(10,2) NULL,\n"
		"\tCONSTRAINT orders_pkey PRIMARY KEY (id ASC)\n)";
	char		path[4096];
	char		err[256];
	SqlpilotModel m;
	SqlpilotRunState s;

	snprintf(path, sizeof(path), "%s/models/sqlpilot_default.model", root);
	if (sqlpilot_model_load(&m, path, err, sizeof(err)) != 0)
	{
		tap_ok(0, "load the default model: %s", err);
		return;
	}
	if (sqlpilot_runstate_init(&s, &m.config, &m.weights, err, sizeof(err)) != 0)
	{
		tap_ok(0, "run state: %s", err);
		sqlpilot_model_free(&m);
		return;
	}
	for (int g = 0; g < 2; g++)
	{
		char	   *t = greedy(&s, &m.tokenizer, shop, "", 16, g == 1, NULL);

		tap_ok(t && isalpha((unsigned char) t[0]),
			   "default model, grounding %s: an empty prefix starts with a keyword (got \"%.40s\")",
			   g ? "on" : "off", t ? t : "(error)");
		free(t);
	}
	sqlpilot_runstate_free(&s);
	sqlpilot_model_free(&m);
}

/* Whether grounding allows token after typed (then fed) and more (generated). */
static bool
ground_allows_after(const SqlpilotGroundSchema *gs, const char *typed, const char *more,
					const char *token)
{
	SqlpilotGround *g = malloc(sizeof(SqlpilotGround));
	bool		ok;

	if (!g)
		return false;
	sqlpilot_ground_init(g, gs, strlen(typed));
	sqlpilot_ground_feed(g, typed, strlen(typed));
	sqlpilot_ground_feed(g, more, strlen(more));
	ok = sqlpilot_ground_allows(g, (const uint8_t *) token, strlen(token));
	free(g);
	return ok;
}

/* A quoted name closes only as a name of the schema, or where "" may make one. */
static void
test_ground_quoted(void)
{
	const char *text = "CREATE TABLE h (customer_id int, total_purchase_amount numeric, "
		"\"a\"\"b\" int);";
	SqlpilotGroundSchema *gs = sqlpilot_ground_schema_parse(text, strlen(text));
	const char *ins = "INSERT INTO h (customer_id, ";
	const char *sel = "SELECT * FROM h WHERE ";

	if (!gs)
	{
		tap_ok(0, "parse the schema");
		return;
	}
	tap_ok(!ground_allows_after(gs, ins, "\"total_purchase", "\""),
		   "INSERT columns: \"total_purchase\" (the start of a column) may not close");
	tap_ok(ground_allows_after(gs, ins, "\"total_purchase_amount", "\""),
		   "INSERT columns: \"total_purchase_amount\" closes");
	tap_ok(ground_allows_after(gs, ins, "\"total_purchase", "_amount\", "),
		   "INSERT columns: the quoted name goes on to the column");
	tap_ok(!ground_allows_after(gs, sel, "\"total_purchase", "\""),
		   "WHERE: \"total_purchase\" may not close");
	tap_ok(ground_allows_after(gs, sel, "\"a", "\"") && ground_allows_after(gs, sel, "\"a\"", "\"b\""),
		   "WHERE: \"a may close where \"\" continues it to the column \"a\"\"b\"");
	tap_ok(ground_allows_after(gs, sel, "\"customer_id", "\" = 1"),
		   "WHERE: a quoted column closes");
	tap_ok(!ground_allows_after(gs, ins, "total_purchase_amount, ", "{") &&
		   !ground_allows_after(gs, sel, "customer_id = ", "{") &&
		   !ground_allows_after(gs, sel, "customer_id = 1 ", "}"),
		   "no '{' or '}' outside literals: PostgreSQL has no such token (an INSERT column list "
		   "went on as {\"col\", {\"col\", ...)");
	tap_ok(ground_allows_after(gs, sel, "customer_id = ", "'{\"a\": 1}'") &&
		   ground_allows_after(gs, sel, "customer_id = 1 ", "-- {x}"),
		   "braces inside a literal or a comment are text");
	sqlpilot_ground_schema_free(gs);
}

/* Whether sqlpilot_loop_cut cuts text at want (strlen(text): not at all). */
static bool
cuts_at(const char *text, size_t want)
{
	size_t		got = sqlpilot_loop_cut(text, strlen(text));

	if (got != want)
		tap_diag("\"%s\": cut at %zu, want %zu", text, got, want);
	return got == want;
}

/* The loop rule on hand-made texts: the loops the default model wrote, and statements that are none. */
static void
test_loop_cut(void)
{
	const char *of = " of of of of of of of of of of of";	/* 11 x " of": 33 bytes */
	const char *tables = "locks, Suppliers, Suppliers, Suppliers, Suppliers";

	tap_ok(cuts_at("ction_date, \n\t \n\t \n\t ", strlen("ction_date,")) &&
		   cuts_at("x,   \n\n\n", 2),
		   "a run of whitespace holding 3 newlines is cut off");
	tap_ok(cuts_at("a,\n\n  b", strlen("a,\n\n  b")) && cuts_at("a,\n    b,\n    c", 15),
		   "a blank line, or newlines between words, are no loop");
	tap_ok(cuts_at(of, 3), "\" of\" 11 times: cut after the first (got the span of 32 bytes)");
	tap_ok(cuts_at(" of of of of of of of of of of", 30),
		   "\" of\" 10 times (30 bytes) is not yet a loop");
	tap_ok(cuts_at(tables, strlen("locks, Suppliers")),
		   "a list repeating one item 4 times is cut after the item's first occurrence");
	tap_ok(cuts_at("ns, transaction_blocks, transaction_blocks, transaction_blocks, "
				   "transaction_blocks, transaction_b",
				   strlen("ns, transaction_blocks")),
		   "a unit that starts inside a word is cut at the end of the first whole item");
	tap_ok(cuts_at("'0101010101010101010101010101010101", 1),
		   "a unit that is all one word: cut before the word");
	tap_ok(cuts_at("VALUES (1, 1, 1, 1, 1, 1, 'Pending');", 37) &&
		   cuts_at("'AGCTAGCTAGCTAGCTAG')", 21) &&
		   cuts_at("WHERE id = '11111111-1111-1111-1111-111111111111';", 50) &&
		   cuts_at("'0101010101010101'", 18),
		   "repeats in statements of the corpus (short units, short spans) are no loop");
	tap_ok(cuts_at("                                         ", 41) && cuts_at("", 0),
		   "spaces alone, and nothing, are no loop");
}

/* The rigged model writes one token forever: the loop rule ends it. */
static void
test_rigged_loops(void)
{
	SqlpilotTokenizer tok;
	SqlpilotConfig c;
	SqlpilotWeights w;
	SqlpilotRunState s;
	float	   *params;
	char		err[256];
	char	   *t;
	bool		looped = false;

	if (make_tokenizer(&tok) != 0 || !(params = rig_model(&c, &w)) ||
		sqlpilot_runstate_init(&s, &c, &w, err, sizeof(err)) != 0)
	{
		tap_ok(0, "rigged model");
		return;
	}
	w.wcls[SQLPILOT_TOKEN_EOS * c.dim] = -5.0f;
	w.wcls[262 * c.dim] = 6.0f;
	t = greedy(&s, &tok, schema, "TRUNCATE TABLE A", 64, false, &looped);
	tap_ok(t && strcmp(t, ", S") == 0 && looped,
		   "\", S\" forever: stops after 11, cut to the first, marked looped (got \"%s\", %s)",
		   t ? t : "(error)", looped ? "looped" : "not looped");
	free(t);
	t = greedy(&s, &tok, schema, "TRUNCATE TABLE A", 5, false, &looped);
	tap_ok(t && strcmp(t, ", S, S, S, S, S") == 0 && !looped,
		   "5 of them within the budget: no loop yet (got \"%s\")", t ? t : "(error)");
	free(t);
	w.wcls[262 * c.dim] = 0.0f;
	w.wcls[260 * c.dim] = 6.0f;
	t = greedy(&s, &tok, schema, "SELECT 1,", 64, false, &looped);
	tap_ok(t && strcmp(t, "") == 0 && looped,
		   "\"\\n \" forever: stops at the third newline, cut to nothing, marked looped (got \"%s\")",
		   t ? t : "(error)");
	free(t);
	sqlpilot_runstate_free(&s);
	free(params);
	sqlpilot_tokenizer_free(&tok);
}

int
main(void)
{
	test_loop_cut();
	test_rigged_loops();
	test_rigged();
	test_default_model();
	test_ground_quoted();
	return tap_done();
}
