/*
 * test_eval_breakdown.c — why rest_em fails (`sqlpilot eval --breakdown`):
 * eval_rest_diagnose on hand-made cuts (near misses, the first differing
 * word and its kind, literals the prompt does not show, stopping short or
 * writing past a ';', the literal-folded match), the typing simulation's
 * trace of where keystrokes went, and the driver writing both files.
 */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../eval/eval.h"
#include "tap.h"
#include "util.h"

static const char *schema = "CREATE TABLE t (x text DEFAULT 'seen', n int);";

/* Diagnoses gold[:c] + completion against gold. */
static EvalRestDiag
diag(const char *gold, size_t c, const char *completion)
{
	size_t		gl = strlen(gold),
				cl = strlen(completion);
	char	   *text = malloc(c + cl + 1);
	EvalRestDiag d;

	memcpy(text, gold, c);
	memcpy(text + c, completion, cl + 1);
	if (!eval_rest_diagnose(text, c + cl, gold, gl, c, schema, strlen(schema), &d))
		memset(&d, 0, sizeof(d));
	free(text);
	return d;
}

/* The cases of eval_rest_diagnose. */
static void
test_diagnose(void)
{
	EvalRestDiag d;

	d = diag("SELECT x FROM t;", 7, "x FROM t");
	tap_ok(d.match && d.match_folded && d.near == EVAL_NEAR_NONE && d.gold_words == 4 &&
		   d.text_words == 3, "a match without the final ';' (%d, %d words)", d.gold_words,
		   d.text_words);

	d = diag("SELECT x,n FROM t", 7, "x, n FROM t");
	tap_ok(!d.match && d.near == EVAL_NEAR_SPACE && d.diverge_at == -1,
		   "whitespace only: the same words, spaced differently (near %s)", eval_near_miss_name(d.near));

	d = diag("SELECT x FROM t", 7, "x from t");
	tap_ok(!d.match && d.near == EVAL_NEAR_CASE && d.diverge_at == 1 &&
		   d.gold_kind == EVAL_WORD_KEYWORD && d.text_kind == EVAL_WORD_KEYWORD && d.diverge_pos == 9,
		   "letter case only; differs at the keyword after the cut's word (at %d, %s)", d.diverge_at,
		   eval_word_kind_name(d.gold_kind));

	d = diag("SELECT \"Name\" FROM t", 7, "name FROM t");
	tap_ok(!d.match && d.near == EVAL_NEAR_QUOTING && d.diverge_at == 0 &&
		   d.gold_kind == EVAL_WORD_QIDENT && d.text_kind == EVAL_WORD_IDENT,
		   "quoting only: \"Name\" for name (near %s)", eval_near_miss_name(d.near));

	d = diag("SELECT 1", 7, "1;;");
	tap_ok(!d.match && d.near == EVAL_NEAR_SEMICOLON && d.gold_kind == EVAL_WORD_NONE,
		   "a second final ';' only (near %s)", eval_near_miss_name(d.near));

	d = diag("SELECT * FROM t WHERE x = 'abc'", 14, " t WHERE x = 'zz'");
	tap_ok(!d.match && d.near == EVAL_NEAR_NONE && d.match_folded && d.gold_literal &&
		   d.gold_new_literal && d.gold_new_literal_after && d.gold_kind == EVAL_WORD_STRING &&
		   d.diverge_at == 4,
		   "a string the prompt does not show: a real miss, right once literals are folded");

	d = diag("SELECT * FROM t WHERE x = 'seen'", 14, " t WHERE x = 'seen'");
	tap_ok(d.match && d.gold_literal && !d.gold_new_literal,
		   "a literal of the schema (DEFAULT 'seen') is one the prompt shows");

	d = diag("SELECT * FROM t WHERE x = 'abc'", 29, "c'");
	tap_ok(d.match && d.gold_new_literal && !d.gold_new_literal_after,
		   "a cut inside a literal: the rest of one being typed");

	d = diag("SELECT * FROM t LIMIT 10", 16, "LIMIT 5");
	tap_ok(!d.match && d.match_folded && d.gold_kind == EVAL_WORD_NUMBER && d.diverge_at == 1,
		   "a number differs: folded match, first differing word a number");

	d = diag("SELECT * FROM t LIMIT 10", 16, "LIMIT 1 OFFSET 2");
	tap_ok(!d.match_folded, "more words are not a folded match");

	d = diag("SELECT * FROM t WHERE n = 1", 9, "FROM t");
	tap_ok(!d.match && d.text_kind == EVAL_WORD_NONE && d.gold_kind == EVAL_WORD_KEYWORD &&
		   d.diverge_at == 2 && !d.past_semicolon,
		   "stopped short: the completion has ended where the gold goes on (%s at %d)",
		   eval_word_kind_name(d.gold_kind), d.diverge_at);

	d = diag("SELECT 1;", 7, "1; SELECT 2;");
	tap_ok(!d.match && d.past_semicolon && d.gold_kind == EVAL_WORD_NONE && d.diverge_at == 2,
		   "past its own ';': a second statement (gold %s)", eval_word_kind_name(d.gold_kind));

	d = diag("SELECT 1; -- done", 7, "1; -- done");
	tap_ok(d.match && !d.past_semicolon, "a comment after ';' is not a word past the statement");

	d = diag("SELECT name FROM t", 9, "me FROM u");
	tap_ok(!d.match && d.diverge_at == 2 && d.gold_kind == EVAL_WORD_IDENT && d.diverge_pos == 17 &&
		   d.gold_words == 3, "mid-word cut: the cut's word counts as word 0");

	d = diag("SELECT a <> b", 9, "= b");
	tap_ok(!d.match && d.gold_kind == EVAL_WORD_PUNCT && d.diverge_at == 0,
		   "an operator differs: operator/punctuation");

	d = diag("SELECT 1", 8, "");
	tap_ok(d.match && d.gold_words == 0 && d.diverge_at == -1, "a cut at the end: nothing to write");
}

/* A completer for the typing simulation that never helps. */
static char *
empty_fn(void *arg, const char *prefix, size_t prefix_len)
{
	return strdup("");
}

/* A completer for the typing simulation that knows the rest (arg: the statement). */
static char *
oracle_fn(void *arg, const char *prefix, size_t prefix_len)
{
	return strdup((const char *) arg + prefix_len);
}

/* Where keystrokes go. */
static void
test_typing_trace(void)
{
	const char *s = "SELECT 'a' FROM t1 WHERE n = 12;";
	EvalTypingTrace tr;
	long		keys = 0,
				chars = 0;

	memset(&tr, 0, sizeof(tr));
	eval_simulate_typing(s, strlen(s), empty_fn, NULL, &keys, &chars, &tr);
	tap_ok(tr.tabs == 0 && tr.typed[EVAL_WORD_KEYWORD] == 15 && tr.typed[EVAL_WORD_STRING] == 3 &&
		   tr.typed[EVAL_WORD_IDENT] == 3 && tr.typed[EVAL_WORD_NUMBER] == 2 &&
		   tr.typed[EVAL_WORD_PUNCT] == 2 && tr.typed[EVAL_WORD_NONE] == 7 && keys == 32,
		   "typing trace without help: every character under its word's kind");
	memset(&tr, 0, sizeof(tr));
	keys = chars = 0;
	eval_simulate_typing(s, strlen(s), oracle_fn, (void *) s, &keys, &chars, &tr);
	tap_ok(tr.tabs == 1 && tr.tab_chars == 32 && keys == 1, "typing trace with an oracle: one TAB");
}

/* EvalCompleter: the gold's next word only, then stop. */
static char *
word_complete(void *arg, const char *schema_, size_t schema_len, const char *gold,
			  size_t gold_len, size_t cut, double *ms_cold, double *ms_warm, bool *ends)
{
	EvalSpan	w;
	size_t		end = eval_word_at(gold, gold_len, cut, &w) ? w.end : gold_len;
	char	   *out = malloc(end - cut + 1);

	if (ms_cold)
		*ms_cold = *ms_warm = -1;
	if (ends)
		*ends = true;
	memcpy(out, gold + cut, end - cut);
	out[end - cut] = '\0';
	return out;
}

/* The driver writes the markdown report and one JSON line per system and cut. */
static void
test_driver(void)
{
	char		dir[] = "/tmp/sqlpilot_breakdown_XXXXXX";
	char		input[512],
				md[512],
				cuts[512],
				err[256];
	FILE	   *f;
	EvalOptions o;
	EvalBreakdown b;
	EvalCompleter sys[1] = {{"word", word_complete, NULL, NULL, NULL, NULL, NULL}};
	cJSON	   *r;
	char	   *text;
	size_t		len;
	int			lines = 0;

	if (!mkdtemp(dir))
	{
		tap_ok(0, "temporary directory");
		return;
	}
	snprintf(input, sizeof(input), "%s/in.jsonl", dir);
	snprintf(md, sizeof(md), "%s/b.md", dir);
	snprintf(cuts, sizeof(cuts), "%s/cuts.jsonl", dir);
	f = fopen(input, "w");
	fprintf(f, "{\"schema\": \"CREATE TABLE t (x int);\", \"statement\": \"SELECT x FROM t;\","
			" \"cuts\": [0, 9, 15]}\n");
	fprintf(f, "{\"schema\": \"CREATE TABLE t (x int);\", \"statement\": \"SELECT 'q' FROM t\","
			" \"cuts\": [7]}\n");
	fclose(f);
	memset(&o, 0, sizeof(o));
	memset(&b, 0, sizeof(b));
	o.input = input;
	o.limit = -1;
	o.cuts = 4;
	o.ks_limit = 1;
	b.md_path = md;
	b.cuts_path = cuts;
	o.breakdown = &b;
	r = eval_run(&o, sys, 1, err, sizeof(err));
	tap_ok(r && b.n == 4 && b.n_systems == 1, "driver: one record per cut (%zu)", b.n);
	tap_ok(eval_breakdown_write(&b, input, err, sizeof(err)), "driver: files written");
	text = sqlpilot_read_file(md, &len, err, sizeof(err));
	tap_ok(text && strstr(text, "## word") && strstr(text, "rest_em 0.2500 (1)") &&
		   strstr(text, "| 75–100% | 1 | 0.250 | 1.000 |") &&
		   strstr(text, "Typing simulation (keystrokes_saved): 16 characters") &&
		   strstr(text, "| SELECT | 4 | 1.000 | 0.250 |") &&
		   strstr(text, "example 1: `SELECT ` ⟦cut⟧ gold `'q' FROM t` / model `'q'`"),
		   "markdown: summary, table rows, the typing trace and an example");
	free(text);
	text = sqlpilot_read_file(cuts, &len, err, sizeof(err));
	for (size_t i = 0; text && i < len; i++)
		lines += text[i] == '\n';
	tap_ok(lines == 4 && strstr(text, "\"system\":\"word\"") && strstr(text, "\"rest_em\":true"),
		   "cut lines: one JSON object per cut (%d)", lines);
	free(text);
	cJSON_Delete(r);
	eval_breakdown_free(&b);
	unlink(input);
	unlink(md);
	unlink(cuts);
	rmdir(dir);
}

int
main(void)
{
	test_diagnose();
	test_typing_trace();
	test_driver();
	return tap_done();
}
