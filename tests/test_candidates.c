/*
 * test_candidates.c — core/candidates.c: literals folded in context, the
 * next word (unfinished until the text shows its end), and the list of
 * distinct words, clauses and the statement built from completions that
 * differ only in literals.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "candidates.h"
#include "tap.h"

/* Whether folding s (context ctx bytes) gives want. */
static int
fold_is(const char *s, size_t ctx, const char *want)
{
	char	   *f = sqlpilot_fold_literals(s, strlen(s), ctx);
	int			ok = f && strcmp(f, want) == 0;

	if (!ok)
		tap_diag("fold \"%s\" -> \"%s\", want \"%s\"", s, f ? f : "(null)", want);
	free(f);
	return ok;
}

int
main(void)
{
	const char *prefix = "UPDATE t_users SET ";
	const char *texts[] = {
		"email = 'a@x.com' WHERE id = 24;",
		"email = 'b@x.com' WHERE id = 28;",
		"name = 'Jo' WHERE id = 3;",
		"Email = 'c@x.com', phone = '1' WHERE id = 1;",
	};
	double		scores[] = {-1.0, -1.5, -2.0, -2.5};
	SqlpilotCandidate out[9];
	char		key[SQLPILOT_WORD_KEY_MAX];
	size_t		s,
				e;
	int			n;

	tap_ok(fold_is("x = 'a''b' AND y = 12.5e3", 0, "x = '' AND y = 0"), "fold: strings and numbers");
	tap_ok(fold_is("WHERE a = 'ab", 11, "''"), "fold: a literal that starts in the context");
	tap_ok(fold_is("SELECT $$x$$, E'\\n', 1", 7, "'', '', 0"), "fold: dollar quotes and E strings");

	tap_ok(!sqlpilot_next_word("SET em", 6, 4, false, &s, &e, key), "next word: unfinished");
	tap_ok(sqlpilot_next_word("SET em", 6, 4, true, &s, &e, key) && strcmp(key, "em") == 0,
		   "next word: final text ends it");
	tap_ok(sqlpilot_next_word("SET Email =", 11, 4, false, &s, &e, key) &&
		   strcmp(key, "email") == 0 && s == 4 && e == 9, "next word: lower case key, span");
	tap_ok(sqlpilot_next_word("a = 'x' ", 8, 4, false, &s, &e, key) && strcmp(key, "''") == 0,
		   "next word: a literal folds");
	tap_ok(sqlpilot_next_word("VALUES (10", 10, 9, false, &s, &e, key) && strcmp(key, "0") == 0,
		   "next word: a number under way past from has its key");
	tap_ok(!sqlpilot_next_word("VALUES (1", 9, 9, false, &s, &e, key),
		   "next word: not a number that reaches just to from (\"(1,\" would make it \",\")");
	tap_ok(!sqlpilot_next_word("WHERE a = 'x", 12, 12, false, &s, &e, key),
		   "next word: not a string that reaches just to from");

	/* where the search may stop a beam that only offers its word and clause */
	{
		const char *d1 = "UPDATE t SET email = ";
		const char *d2 = "UPDATE t SET email = 'a";
		const char *d3 = "SELECT * FROM a JOIN b ON a.id = b.id WHERE";
		const char *d4 = "SELECT * FROM a JOIN b ON a.id = b.id WHERE ";
		const char *d5 = "INSERT INTO t (id, name)";
		const char *d6 = "INSERT INTO t (id, name";

		tap_ok(!sqlpilot_clause_decided(d1, strlen(d1), 13), "clause decided: not after \"email =\"");
		tap_ok(sqlpilot_clause_decided(d2, strlen(d2), 13), "clause decided: a literal has started");
		tap_ok(!sqlpilot_clause_decided(d3, strlen(d3), 21), "clause decided: not while WHERE may go on");
		tap_ok(sqlpilot_clause_decided(d4, strlen(d4), 21), "clause decided: at the next clause keyword");
		tap_ok(sqlpilot_clause_decided(d5, strlen(d5), 15), "clause decided: at the closing parenthesis");
		tap_ok(!sqlpilot_clause_decided(d6, strlen(d6), 15), "clause decided: not inside the list");
	}

	n = sqlpilot_candidates_build(texts, scores, 4, prefix, strlen(prefix), out, 9);
	for (int i = 0; i < n; i++)
		tap_diag("%s \"%s\" %.2f", sqlpilot_candidate_kind_name(out[i].kind), out[i].text, out[i].score);
	tap_ok(n == 7, "build: 7 candidates (3 words, 3 clauses, 1 statement), got %d", n);
	tap_ok(n >= 3 && strcmp(out[0].text, "email") == 0 && strcmp(out[1].text, "name") == 0 &&
		   strcmp(out[2].text, "Email") == 0 && out[0].kind == SQLPILOT_CAND_WORD,
		   "build: distinct words, best first");
	tap_ok(n >= 4 && out[3].kind == SQLPILOT_CAND_CLAUSE && strcmp(out[3].text, "email = ") == 0,
		   "build: a clause stops before the literal");
	tap_ok(n == 7 && out[6].kind == SQLPILOT_CAND_STATEMENT && strcmp(out[6].text, texts[0]) == 0 &&
		   out[6].score == -1.0, "build: the best whole statement last, literals kept");
	sqlpilot_candidates_free(out, n > 0 ? n : 0);

	n = sqlpilot_candidates_build(texts, scores, 2, prefix, strlen(prefix), out, 3);
	tap_ok(n == 3 && out[2].kind == SQLPILOT_CAND_STATEMENT,
		   "build: the statement keeps its place when the list is full");
	sqlpilot_candidates_free(out, n > 0 ? n : 0);

	{
		const char *p2 = "SELECT * FROM a JOIN ";
		const char *t2[] = {"b ON b.id = a.b_id WHERE a.x > 1;"};
		double		s2[] = {-1.0};

		n = sqlpilot_candidates_build(t2, s2, 1, p2, strlen(p2), out, 5);
		tap_ok(n == 3 && strcmp(out[1].text, "b ON b.id = a.b_id") == 0 &&
			   out[1].kind == SQLPILOT_CAND_CLAUSE, "build: a join clause keeps its ON, ends at WHERE");
		sqlpilot_candidates_free(out, n > 0 ? n : 0);
	}
	{
		const char *p4 = "SELECT id FROM users ORDER BY ";
		const char *t4[] = {"name;"};
		double		s4[] = {-1.0};

		n = sqlpilot_candidates_build(t4, s4, 1, p4, strlen(p4), out, 5);
		tap_ok(n == 2 && out[0].kind == SQLPILOT_CAND_WORD && out[1].kind == SQLPILOT_CAND_STATEMENT,
			   "build: a clause equal to its word is left out");
		sqlpilot_candidates_free(out, n > 0 ? n : 0);
	}
	{
		const char *p3 = "SELECT * FROM users ";
		const char *t3[] = {"WHERE id IN (SELECT user_id FROM orders) ORDER BY id;"};
		double		s3[] = {-1.0};

		n = sqlpilot_candidates_build(t3, s3, 1, p3, strlen(p3), out, 5);
		tap_ok(n == 3 && strcmp(out[1].text, "WHERE id IN (SELECT user_id FROM orders)") == 0,
			   "build: a clause keyword starts it, a subquery stays inside, ORDER BY ends it");
		sqlpilot_candidates_free(out, n > 0 ? n : 0);
	}
	return tap_done();
}
