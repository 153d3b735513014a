/*
 * test_checked.c — core/checked.c: the completion shown to the user (greedy
 * first, beams only when the check refuses it, the best beam not refused,
 * else the greedy one marked invalid) and the names check of a completion
 * cut by the token budget.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checked.h"
#include "tap.h"

/* A scripted model and check: the greedy text, the beams, and the texts the check refuses. */
typedef struct Script
{
	const char *greedy;
	const char *beams[4];
	int			n_beams;		/* -1: generating beams fails */
	const char *refused[5];
	int			generated[2];	/* calls with width 1, with width > 1 */
	int			checked;
} Script;

/* generate callback: the script's greedy text or beams. */
static int
script_generate(void *arg, int width, SqlpilotCheckedCandidate *out)
{
	Script	   *s = arg;

	s->generated[width > 1]++;
	if (width == 1)
	{
		if (s->greedy == NULL)
			return 0;
		out[0] = (SqlpilotCheckedCandidate) {s->greedy, -1.0, true, SQLPILOT_UNCHECKED};
		return 1;
	}
	for (int i = 0; i < s->n_beams && i < width; i++)
		out[i] = (SqlpilotCheckedCandidate) {s->beams[i], -1.0 - i, true, SQLPILOT_UNCHECKED};
	return s->n_beams < width ? s->n_beams : width;
}

/* check callback: refused when listed, a text starting with '~' is cut (unchecked), else valid. */
static SqlpilotValidity
script_check(void *arg, const SqlpilotCheckedCandidate *c)
{
	Script	   *s = arg;

	s->checked++;
	for (int i = 0; i < 5 && s->refused[i]; i++)
		if (strcmp(s->refused[i], c->text) == 0)
			return SQLPILOT_INVALID;
	return c->text[0] == '~' ? SQLPILOT_UNCHECKED : SQLPILOT_VALID;
}

/* Runs the policy on a script; returns the index shown. */
static int
choose(Script *s, int candidates, SqlpilotCheckedCandidate *cands, int *n)
{
	SqlpilotCheckedSource src = {script_generate, script_check, s, candidates};

	return sqlpilot_checked_choose(&src, cands, n);
}

/* Whether the names check of text after prefix in schema gives want. */
static int
names_are(const char *schema, const char *prefix, const char *text, SqlpilotValidity want)
{
	SqlpilotValidity v = sqlpilot_checked_names(schema, strlen(schema), prefix, strlen(prefix),
												text, strlen(text));

	if (v != want)
		tap_diag("names of \"%s\" after \"%s\": %d, want %d", text, prefix, (int) v, (int) want);
	return v == want;
}

int
main(void)
{
	SqlpilotCheckedCandidate c[5];
	int			n,
				i;

	{
		Script		s = {"a;", {"b;"}, 1, {NULL}, {0, 0}, 0};

		i = choose(&s, 4, c, &n);
		tap_ok(i == 0 && n == 1 && c[0].valid == SQLPILOT_VALID && s.generated[1] == 0 &&
			   s.checked == 1, "policy: a valid greedy completion is shown; no beams are run");
	}
	{
		Script		s = {"~cut", {"b;"}, 1, {NULL}, {0, 0}, 0};

		i = choose(&s, 4, c, &n);
		tap_ok(i == 0 && c[0].valid == SQLPILOT_UNCHECKED && s.generated[1] == 0,
			   "policy: an unchecked (cut, names fine) greedy completion is not refused: shown, no beams");
	}
	{
		Script		s = {"a;", {"a;", "b;", "c;", "d;"}, 4, {"a;", "b;"}, {0, 0}, 0};

		i = choose(&s, 4, c, &n);
		tap_ok(i == 3 && n == 5 && c[0].valid == SQLPILOT_INVALID && c[2].valid == SQLPILOT_INVALID &&
			   c[3].valid == SQLPILOT_VALID && s.checked == 3 && s.generated[1] == 1,
			   "policy: greedy refused: the best beam the check does not refuse is shown, "
			   "the beam equal to the greedy text is not checked again");
	}
	{
		Script		s = {"a;", {"b;", "~cut"}, 2, {"a;", "b;"}, {0, 0}, 0};

		i = choose(&s, 4, c, &n);
		tap_ok(i == 2 && c[2].valid == SQLPILOT_UNCHECKED,
			   "policy: an unchecked beam counts as not refused");
	}
	{
		Script		s = {"a;", {"b;", "c;"}, 2, {"a;", "b;", "c;"}, {0, 0}, 0};

		i = choose(&s, 4, c, &n);
		tap_ok(i == 0 && n == 3 && c[0].valid == SQLPILOT_INVALID,
			   "policy: every candidate refused: the greedy one is shown, marked invalid");
	}
	{
		Script		s = {"a;", {"b;"}, 1, {"a;"}, {0, 0}, 0};

		i = choose(&s, 1, c, &n);
		tap_ok(i == 0 && n == 1 && c[0].valid == SQLPILOT_INVALID && s.generated[1] == 0,
			   "policy: candidates 1 keeps the greedy completion without beams");
	}
	{
		Script		s = {NULL, {"b;"}, 1, {NULL}, {0, 0}, 0};

		tap_ok(choose(&s, 4, c, &n) == -1 && n == 0 && s.checked == 0,
			   "policy: no completion at all: nothing to show, nothing checked");
	}
	{
		Script		s = {"a;", {NULL}, -1, {"a;"}, {0, 0}, 0};

		i = choose(&s, 4, c, &n);
		tap_ok(i == 0 && n == 1 && c[0].valid == SQLPILOT_INVALID,
			   "policy: beams that fail to generate leave the greedy one, marked invalid");
	}

	{
		const char *schema = "CREATE TABLE orders (\n    id integer,\n    total numeric,\n"
			"    customer_id integer\n);\n\nCREATE TABLE customers (\n    id integer,\n"
			"    full_name text\n);";

		tap_ok(names_are(schema, "SELECT id FROM orders WHERE ", "total > 5 AND cust",
						 SQLPILOT_UNCHECKED),
			   "names: known columns, the last one cut inside a known name: not refused");
		tap_ok(names_are(schema, "SELECT id FROM orders WHERE ", "full_name = 'x' AND ",
						 SQLPILOT_INVALID),
			   "names: a column of a table not in scope is refused");
		tap_ok(names_are(schema, "SELECT id FROM orders WHERE ", "totl > 5 AND ",
						 SQLPILOT_INVALID),
			   "names: a column no table has is refused");
		tap_ok(names_are(schema, "SELECT * FROM ", "orders o JOIN customers c ON c.id = o.",
						 SQLPILOT_UNCHECKED),
			   "names: aliases the completion itself introduces are in scope");
		tap_ok(names_are(schema, "SELECT * FROM ", "orders o WHERE o.full_name",
						 SQLPILOT_INVALID),
			   "names: a column of another table after an alias is refused");
		tap_ok(names_are(schema, "SELECT * FROM ord", "ers WHERE id = 'it''s bogus' AND ",
						 SQLPILOT_UNCHECKED),
			   "names: a typed partial word grown into a table; literals are free");
		tap_ok(names_are(schema, "SELECT * FROM ", "invoices WHERE ", SQLPILOT_INVALID),
			   "names: a table the schema does not have is refused");
		tap_ok(names_are("", "SELECT * FROM ", "invoices WHERE ", SQLPILOT_UNCHECKED),
			   "names: with no table in the prompt nothing can be checked");
	}
	return tap_done();
}
