/*
 * test_eval_typing_psql.c — keystrokes_saved_psql (eval/metrics.c): the
 * typing simulation as psql's TAB offers completions.  One keystroke
 * inserts the candidates' longest common prefix (readline with several
 * matches, the match when alone) or the whole statement (the list's last
 * candidate, the hook's sqlpilot-complete key), only when it agrees with the
 * rest of the statement: unlike keystrokes_saved, never the right part of a
 * candidate that goes wrong later.  Hand-made lists, per typed length.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../eval/eval.h"
#include "tap.h"

/* A list per typed length: lists[pos] holds up to 3 texts, NULL-terminated. */
typedef struct Script
{
	const char *const (*lists)[4];
	size_t		n;				/* lists known; past them the list is empty */
	size_t		fail_at;		/* the list fails here (-1: never) */
	int			calls;
} Script;

/* EvalListFn over a Script. */
static int
scripted(void *arg, const char *prefix, size_t prefix_len, char **out, int max)
{
	Script	   *s = arg;
	int			n = 0;

	s->calls++;
	if (prefix_len == s->fail_at)
		return -1;
	for (int i = 0; prefix_len < s->n && i < 3 && s->lists[prefix_len][i] && n < max; i++)
		out[n++] = strdup(s->lists[prefix_len][i]);
	return n;
}

/* Runs the simulation on stmt; *keys and *chars as it counts them; returns its result. */
static int
run(const char *stmt, Script *s, long *keys, long *chars)
{
	*keys = *chars = 0;
	s->calls = 0;
	return eval_simulate_typing_psql(stmt, strlen(stmt), scripted, s, keys, chars);
}

int
main(void)
{
	static const char *const whole[][4] = {{"SELECT", "SELECT a", "SELECT a FROM t;", NULL}};
	static const char *const common[][4] = {{"SELECT a", "SELECT b FROM x;", NULL}};
	static const char *const wrong_end[][4] = {{"SELECT a FROM x;", NULL}};
	static const char *const alone[][4] = {{"SEL", NULL}, {NULL}, {NULL}, {"ECT a FROM t;", NULL}};
	Script		s;
	long		keys,
				chars;
	int			rc;

	s = (Script) {whole, 1, (size_t) -1, 0};
	rc = run("SELECT a FROM t;", &s, &keys, &chars);
	tap_ok(rc == 0 && keys == 1 && chars == 16,
		   "the whole statement right: one key (%ld keys, %ld characters)", keys, chars);
	s = (Script) {common, 1, (size_t) -1, 0};
	rc = run("SELECT a FROM t;", &s, &keys, &chars);
	tap_ok(rc == 0 && keys == 1 + 9 && chars == 16,
		   "a wrong statement: TAB inserts the candidates' common prefix \"SELECT \", the rest "
		   "typed (%ld keys)", keys);
	s = (Script) {wrong_end, 1, (size_t) -1, 0};
	rc = run("SELECT a FROM t;", &s, &keys, &chars);
	tap_ok(rc == 0 && keys == 16,
		   "one candidate wrong at its end: nothing of it is taken, all 16 characters typed "
		   "(%ld keys)", keys);
	s = (Script) {alone, 4, (size_t) -1, 0};
	rc = run("SELECT a FROM t;", &s, &keys, &chars);
	tap_ok(rc == 0 && keys == 2 && s.calls == 2,
		   "a candidate alone is inserted whole, and the list is asked again where it ends "
		   "(%ld keys, %d lists)", keys, s.calls);
	s = (Script) {alone, 4, 3, 0};
	keys = chars = 5;
	rc = eval_simulate_typing_psql("SELECT a FROM t;", 16, scripted, &s, &keys, &chars);
	tap_ok(rc == -1 && keys == 5 && chars == 5, "a failing list: -1, nothing added");
	s = (Script) {NULL, 0, (size_t) -1, 0};
	rc = run("café;", &s, &keys, &chars);
	tap_ok(rc == 0 && keys == 5 && chars == 5,
		   "no candidates: one key per character, UTF-8 counted in characters (%ld keys)", keys);
	return tap_done();
}
