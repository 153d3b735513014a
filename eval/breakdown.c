/*
 * breakdown.c — `sqlpilot eval --breakdown FILE`: why rest_em fails.
 *
 * eval_run() adds one record per system and cut (the diagnosis of
 * eval_rest_diagnose in metrics.c, with the gold statement and the
 * completion); eval_breakdown_write() then writes a markdown report of
 * rest_em by cut position, length of the gold rest, literals in it, how the
 * completion ended and the kind of cut, then of the misses: what they differ
 * in, the first differing word and its kind, how the completion ended, with
 * examples.  With --breakdown-cuts every record is also written as one JSON
 * line.  Nothing here changes a metric of the report.
 */
#include "eval.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util.h"

/* Examples shown per kind of the first differing word. */
#define BREAKDOWN_EXAMPLES 3

/* See eval.h. */
bool
eval_breakdown_add(EvalBreakdown *b, int system, long example, const char *gold,
				   size_t gold_len, size_t cut, const char *completion, size_t completion_len,
				   bool boundary, bool ends, const char *schema, size_t schema_len)
{
	EvalCutRecord *r;
	char	   *text;

	if (b->n == b->cap)
	{
		size_t		cap = b->cap * 2 + 256;
		EvalCutRecord *nr = realloc(b->r, sizeof(EvalCutRecord) * cap);

		if (!nr)
			return false;
		b->r = nr;
		b->cap = cap;
	}
	r = &b->r[b->n];
	memset(r, 0, sizeof(*r));
	r->system = system;
	r->example = example;
	r->cut = cut;
	r->gold_len = gold_len;
	r->boundary = boundary;
	r->ends = ends;
	r->gold = malloc(gold_len + 1);
	r->completion = malloc(completion_len + 1);
	text = malloc(cut + completion_len + 1);
	if (!r->gold || !r->completion || !text)
	{
		free(r->gold);
		free(r->completion);
		free(text);
		return false;
	}
	memcpy(r->gold, gold, gold_len);
	r->gold[gold_len] = '\0';
	memcpy(r->completion, completion, completion_len);
	r->completion[completion_len] = '\0';
	memcpy(text, gold, cut);
	memcpy(text + cut, completion, completion_len);
	if (!eval_rest_diagnose(text, cut + completion_len, gold, gold_len, cut, schema, schema_len,
							&r->d))
	{
		free(r->gold);
		free(r->completion);
		free(text);
		return false;
	}
	free(text);
	b->n++;
	return true;
}

/* See eval.h. */
void
eval_breakdown_free(EvalBreakdown *b)
{
	for (size_t i = 0; i < b->n; i++)
	{
		free(b->r[i].gold);
		free(b->r[i].completion);
	}
	free(b->r);
	b->r = NULL;
	b->n = b->cap = 0;
}

/* The cut's typed share of the statement as a quarter, 0..3. */
static int
position_bucket(const EvalCutRecord *r)
{
	int			q = r->gold_len ? (int) (4 * r->cut / r->gold_len) : 3;

	return q > 3 ? 3 : q;
}

/* The gold rest's words as a bucket: 1–2, 3–5, 6–10, 11–20, 21+ (0 words counts as 1–2). */
static int
length_bucket(const EvalCutRecord *r)
{
	int			n = r->d.gold_words;

	return n <= 2 ? 0 : n <= 5 ? 1 : n <= 10 ? 2 : n <= 20 ? 3 : 4;
}

/*
 * Literals in the gold rest: 0 none, 1 only ones the prompt shows, 2 the
 * rest of one being typed that it does not show, 3 one it does not show
 * that starts after the cut.
 */
static int
literal_bucket(const EvalCutRecord *r)
{
	return r->d.gold_new_literal_after ? 3 : r->d.gold_new_literal ? 2 : r->d.gold_literal ? 1 : 0;
}

/* The first differing word's index: 0 the word at the cut, 1 the next, 2 the 3rd–5th, 3 later. */
static int
diverge_bucket(const EvalCutRecord *r)
{
	int			k = r->d.diverge_at;

	return k <= 0 ? 0 : k == 1 ? 1 : k <= 4 ? 2 : 3;
}

/*
 * How a miss's completion ended: 0 it did not end the statement (a model:
 * the token cap or the loop rule), 1 it stopped short
 * (its words a prefix of the gold's), 2 it wrote past a ';' of its own, 3 it
 * wrote more past the gold's end, 4 it ended elsewhere.
 */
static int
end_bucket(const EvalCutRecord *r)
{
	if (!r->ends)
		return 0;
	if (r->d.text_kind == EVAL_WORD_NONE)
		return 1;
	if (r->d.past_semicolon)
		return 2;
	if (r->d.gold_kind == EVAL_WORD_NONE)
		return 3;
	return 4;
}

/* One breakdown table: the label of each bucket and a function that picks it. */
typedef struct BreakdownTable
{
	const char *title;
	int			n;
	const char *labels[8];
	int			(*bucket) (const EvalCutRecord *r);
} BreakdownTable;

/* The statement's first word: SELECT, INSERT, UPDATE, DELETE, WITH, TRUNCATE, or 6 another. */
static int
statement_bucket(const EvalCutRecord *r)
{
	static const char *const kinds[] = {"select", "insert", "update", "delete", "with", "truncate"};
	EvalSpan	w;

	if (eval_word_at(r->gold, r->gold_len, 0, &w))
		for (int k = 0; k < 6; k++)
			if (w.end - w.start == strlen(kinds[k]) &&
				strncasecmp(r->gold + w.start, kinds[k], w.end - w.start) == 0)
				return k;
	return 6;
}

/* Boundary (0) or mid-word (1) cut. */
static int
cut_kind_bucket(const EvalCutRecord *r)
{
	return r->boundary ? 0 : 1;
}

/* Whether the completion ended the statement (0) or not (1; a model: the token cap or the loop rule). */
static int
ends_bucket(const EvalCutRecord *r)
{
	return r->ends ? 0 : 1;
}

/* What a miss differs in (EvalNearMiss). */
static int
near_bucket(const EvalCutRecord *r)
{
	return (int) r->d.near;
}

/* The kind of the gold's first differing word (EvalWordKind). */
static int
gold_kind_bucket(const EvalCutRecord *r)
{
	return (int) r->d.gold_kind;
}

static const BreakdownTable all_tables[] = {
	{"typed share of the statement at the cut", 4,
	{"0–25%", "25–50%", "50–75%", "75–100%"}, position_bucket},
	{"words of the gold rest (after the cut)", 5,
	{"1–2", "3–5", "6–10", "11–20", "21+"}, length_bucket},
	{"literals in the gold rest", 4,
	{"none", "only literals shown before it or in the schema",
		"the rest of the literal being typed, not in the prompt",
	"a literal not in the prompt, starting after the cut"}, literal_bucket},
	{"the completion", 2,
	{"ended the statement (the model: its end-of-statement token)",
	"did not (the model: hit the token cap, EVAL_MAX_NEW_TOKENS, or the loop rule cut it)"}, ends_bucket},
	{"the cut", 2, {"boundary", "mid-word"}, cut_kind_bucket},
	{"the statement", 7,
	{"SELECT", "INSERT", "UPDATE", "DELETE", "WITH", "TRUNCATE", "other"}, statement_bucket},
};

static const BreakdownTable miss_tables[] = {
	{"what the texts differ in", EVAL_N_NEAR,
	{"a real difference", "whitespace only", "final ';' only", "letter case only",
	"quoting only"}, near_bucket},
	{"first differing word", 4,
	{"the word at the cut", "the next word", "the 3rd–5th word", "a later word"},
	diverge_bucket},
	{"the gold's word there", EVAL_N_WORD_KINDS,
	{"(the gold has ended: the completion wrote more)", "keyword", "identifier", "quoted name",
	"string literal", "number", "operator/punctuation", "comment/parameter"}, gold_kind_bucket},
	{"the completion's end", 5,
	{"did not end the statement (the model: hit the token cap or the loop rule)",
		"stopped short (its words a prefix of the gold's)",
		"wrote a word after a ';' of its own", "wrote more past the gold's end",
	"ended elsewhere"}, end_bucket},
};

/* Prints one table over the records of system s (misses only when misses). */
static void
print_table(FILE *f, const EvalBreakdown *b, int s, const BreakdownTable *t, bool misses)
{
	long		cuts[8] = {0},
				hits[8] = {0},
				total = 0;

	for (size_t i = 0; i < b->n; i++)
	{
		const EvalCutRecord *r = &b->r[i];
		int			k;

		if (r->system != s || (misses && r->d.match))
			continue;
		k = t->bucket(r);
		cuts[k]++;
		hits[k] += r->d.match;
		total++;
	}
	if (misses)
		fprintf(f, "| %s | misses | share of misses |\n|---|---:|---:|\n", t->title);
	else
		fprintf(f, "| %s | cuts | share of cuts | rest_em |\n|---|---:|---:|---:|\n", t->title);
	for (int k = 0; k < t->n; k++)
	{
		if (misses && cuts[k] == 0)
			continue;
		fprintf(f, "| %s | %ld | %.3f |", t->labels[k], cuts[k],
				total ? (double) cuts[k] / total : 0.0);
		if (!misses)
		{
			if (cuts[k])
				fprintf(f, " %.3f |", (double) hits[k] / cuts[k]);
			else
				fprintf(f, " – |");
		}
		fprintf(f, "\n");
	}
	fprintf(f, "\n");
}

/* Prints at most max bytes of s as inline code on one line ("…" where cut). */
static void
print_code(FILE *f, const char *s, size_t len, size_t max, bool keep_end)
{
	size_t		from = 0,
				to = len;

	if (len > max)
	{
		if (keep_end)
			from = eval_utf8_start(s, len, len - max);
		else
			to = eval_utf8_start(s, len, max);
	}
	fprintf(f, "`%s", from > 0 ? "…" : "");
	for (size_t i = from; i < to; i++)
	{
		unsigned char ch = (unsigned char) s[i];

		if (eval_is_space(ch))
			fputc(' ', f);
		else if (ch == '`')
			fputc('\'', f);
		else if (ch == '|')
			fputs("\\|", f);
		else
			fputc(ch, f);
	}
	fprintf(f, "%s`", to < len ? "…" : "");
}

/* Prints up to BREAKDOWN_EXAMPLES misses of system s per kind of the gold's differing word. */
static void
print_examples(FILE *f, const EvalBreakdown *b, int s)
{
	fprintf(f, "Examples (the first misses of each kind, in input order; typed text ⟦cut⟧ "
			"gold rest / completion):\n\n");
	for (int k = 0; k < EVAL_N_WORD_KINDS; k++)
	{
		int			shown = 0;

		for (size_t i = 0; i < b->n && shown < BREAKDOWN_EXAMPLES; i++)
		{
			const EvalCutRecord *r = &b->r[i];

			if (r->system != s || r->d.match || r->d.near != EVAL_NEAR_NONE ||
				(int) r->d.gold_kind != k)
				continue;
			if (shown++ == 0)
				fprintf(f, "- first differing gold word: %s\n", eval_word_kind_name((EvalWordKind) k));
			fprintf(f, "  - example %ld: ", r->example);
			print_code(f, r->gold, r->cut, 60, true);
			fprintf(f, " ⟦cut⟧ gold ");
			print_code(f, r->gold + r->cut, r->gold_len - r->cut, 110, false);
			fprintf(f, " / model ");
			print_code(f, r->completion, strlen(r->completion), 110, false);
			fprintf(f, "%s\n", r->ends ? "" : " (did not end)");
		}
	}
	fprintf(f, "\n");
}

/* Prints the summary lines of system s: rest_em, what counting near misses or dropping literals gives. */
static void
print_summary(FILE *f, const EvalBreakdown *b, int s)
{
	long		cuts = 0,
				hits = 0,
				folded = 0,
				near = 0,
				no_new = 0,
				no_new_hits = 0,
				lit_first = 0,
				misses_real = 0;

	for (size_t i = 0; i < b->n; i++)
	{
		const EvalCutRecord *r = &b->r[i];

		if (r->system != s)
			continue;
		cuts++;
		hits += r->d.match;
		folded += r->d.match_folded;
		near += !r->d.match && r->d.near != EVAL_NEAR_NONE;
		if (!r->d.gold_new_literal)
		{
			no_new++;
			no_new_hits += r->d.match;
		}
		if (!r->d.match && r->d.near == EVAL_NEAR_NONE)
		{
			misses_real++;
			lit_first += r->d.gold_kind == EVAL_WORD_STRING || r->d.gold_kind == EVAL_WORD_NUMBER;
		}
	}
	if (cuts == 0)
		return;
	fprintf(f, "cuts %ld, rest_em %.4f (%ld); counting the near misses too (whitespace, final ';', "
			"case, quoting): %.4f; with every literal past the cut folded to one placeholder "
			"(right but for literal values): %.4f.  Cuts whose gold rest holds no literal missing "
			"from the prompt: %ld (%.3f of cuts), rest_em on them %.4f.  Misses with a real "
			"difference: %ld, %.3f of them first differ at a string or number literal of the "
			"gold.\n\n",
			cuts, (double) hits / cuts, hits, (double) (hits + near) / cuts,
			(double) folded / cuts, no_new,
			(double) no_new / cuts, no_new ? (double) no_new_hits / no_new : 0.0, misses_real,
			misses_real ? (double) lit_first / misses_real : 0.0);
}

/* Prints where the typing simulation's keystrokes went for system s, when it ran. */
static void
print_typing(FILE *f, const EvalBreakdown *b, int s)
{
	const EvalTypingTrace *t = &b->typing[s];
	long		typed = 0;

	for (int k = 0; k < EVAL_N_WORD_KINDS; k++)
		typed += t->typed[k];
	if (t->tabs + typed == 0)
		return;
	fprintf(f, "Typing simulation (keystrokes_saved): %ld characters, %ld keystrokes: %ld TAB "
			"accepting %ld characters (%.1f each), %ld characters typed one by one:\n\n"
			"| typed characters inside | characters | share of typed |\n|---|---:|---:|\n",
			t->tab_chars + typed, t->tabs + typed, t->tabs, t->tab_chars,
			t->tabs ? (double) t->tab_chars / t->tabs : 0.0, typed);
	for (int k = 0; k < EVAL_N_WORD_KINDS; k++)
		fprintf(f, "| %s | %ld | %.3f |\n",
				k == EVAL_WORD_NONE ? "whitespace" : eval_word_kind_name((EvalWordKind) k),
				t->typed[k], typed ? (double) t->typed[k] / typed : 0.0);
	fprintf(f, "\n");
}

/* The markdown report into f. */
static void
print_report(FILE *f, const EvalBreakdown *b, const char *input)
{
	fprintf(f, "# Why rest_em fails\n\n`sqlpilot eval --breakdown` on %s (definitions: "
			"docs/metrics.md, \"Why rest_em fails\").\n\n", input);
	for (int s = 0; s < b->n_systems; s++)
	{
		fprintf(f, "## %s\n\n", b->systems[s]);
		print_summary(f, b, s);
		print_typing(f, b, s);
		for (size_t t = 0; t < sizeof(all_tables) / sizeof(all_tables[0]); t++)
			print_table(f, b, s, &all_tables[t], false);
		fprintf(f, "### The misses\n\n");
		for (size_t t = 0; t < sizeof(miss_tables) / sizeof(miss_tables[0]); t++)
			print_table(f, b, s, &miss_tables[t], true);
		print_examples(f, b, s);
	}
}

/* One record as a JSON line. */
static cJSON *
record_json(const EvalBreakdown *b, const EvalCutRecord *r)
{
	cJSON	   *j = cJSON_CreateObject();

	cJSON_AddStringToObject(j, "system", b->systems[r->system]);
	cJSON_AddNumberToObject(j, "example", (double) r->example);
	cJSON_AddNumberToObject(j, "cut", (double) r->cut);
	cJSON_AddNumberToObject(j, "statement_len", (double) r->gold_len);
	cJSON_AddBoolToObject(j, "boundary", r->boundary);
	cJSON_AddBoolToObject(j, "ends", r->ends);
	cJSON_AddBoolToObject(j, "rest_em", r->d.match);
	cJSON_AddBoolToObject(j, "rest_em_folded", r->d.match_folded);
	cJSON_AddStringToObject(j, "near", eval_near_miss_name(r->d.near));
	cJSON_AddNumberToObject(j, "gold_words", r->d.gold_words);
	cJSON_AddNumberToObject(j, "text_words", r->d.text_words);
	cJSON_AddBoolToObject(j, "gold_literal", r->d.gold_literal);
	cJSON_AddBoolToObject(j, "gold_new_literal", r->d.gold_new_literal);
	cJSON_AddBoolToObject(j, "gold_new_literal_after", r->d.gold_new_literal_after);
	cJSON_AddNumberToObject(j, "diverge_at", r->d.diverge_at);
	cJSON_AddStringToObject(j, "gold_kind", eval_word_kind_name(r->d.gold_kind));
	cJSON_AddStringToObject(j, "text_kind", eval_word_kind_name(r->d.text_kind));
	cJSON_AddBoolToObject(j, "past_semicolon", r->d.past_semicolon);
	cJSON_AddStringToObject(j, "statement", r->gold);
	cJSON_AddStringToObject(j, "completion", r->completion);
	return j;
}

/* Writes what f collected to path atomically; closes f. */
static bool
finish_file(FILE *f, char **buf, size_t *len, const char *path, char *err, size_t errlen)
{
	bool		ok;

	fclose(f);
	if (!*buf)
	{
		snprintf(err, errlen, "out of memory");
		return false;
	}
	ok = sqlpilot_write_file_atomic(path, *buf, *len, err, errlen) == 0;
	free(*buf);
	*buf = NULL;
	return ok;
}

/* See eval.h. */
bool
eval_breakdown_write(const EvalBreakdown *b, const char *input, char *err, size_t errlen)
{
	char	   *buf = NULL;
	size_t		len = 0;
	FILE	   *f;

	if (b->md_path)
	{
		if (!(f = open_memstream(&buf, &len)))
		{
			snprintf(err, errlen, "out of memory");
			return false;
		}
		print_report(f, b, input);
		if (!finish_file(f, &buf, &len, b->md_path, err, errlen))
			return false;
	}
	if (b->cuts_path)
	{
		if (!(f = open_memstream(&buf, &len)))
		{
			snprintf(err, errlen, "out of memory");
			return false;
		}
		for (size_t i = 0; i < b->n; i++)
		{
			cJSON	   *j = record_json(b, &b->r[i]);
			char	   *line = j ? cJSON_PrintUnformatted(j) : NULL;

			if (line)
				fprintf(f, "%s\n", line);
			free(line);
			cJSON_Delete(j);
		}
		if (!finish_file(f, &buf, &len, b->cuts_path, err, errlen))
			return false;
	}
	return true;
}
