/*
 * eval.h — `sqlpilot eval`: the metrics of docs/metrics.md.
 *
 * metrics.c holds the definitions (words, cuts, normalization, the copy
 * baseline, identifiers, choosing tables, the typing simulation) as plain
 * functions over text, so tests check them on hand-made cases.  eval.c reads
 * the JSONL input, runs one or more completers over the same cuts, checks
 * SQL against PostgreSQL and prints the report.  A completer is a callback,
 * so the driver runs the same way on the copy baseline, a test oracle or a
 * model.
 */
#ifndef SQLPILOT_EVAL_H
#define SQLPILOT_EVAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "tokenizer.h"

#define EVAL_DEFAULT_CUTS 4
#define EVAL_DEFAULT_KS_LIMIT 20
#define EVAL_MAX_NEW_TOKENS 128

/* A half-open byte range [start, end) of a text. */
typedef struct EvalSpan
{
	size_t		start;
	size_t		end;
} EvalSpan;

/* ---- words and cuts (metrics.c) ---- */

/* Whitespace per docs/metrics.md: space \t \n \v \f \r. */
bool		eval_is_space(unsigned char c);
/* End of the word that starts at pos (pos is not whitespace). */
size_t		eval_word_end(const char *s, size_t len, size_t pos);
/* The word at cut c: true and *w, or false when there is none. */
bool		eval_word_at(const char *s, size_t len, size_t c, EvalSpan *w);
/* True when no word has start < c < end. */
bool		eval_is_boundary_cut(const char *s, size_t len, size_t c);
/* next_word_em for one cut: the words at c of text and gold are equal (or both absent). */
bool		eval_next_word_match(const char *text, size_t text_len,
								 const char *gold, size_t gold_len, size_t c);
/*
 * next_word_recall@n for one cut: the 1-based rank of the first of cands[0..n)
 * (texts to append to gold[:c], best first) whose text has the gold's word
 * at c (eval_next_word_match), or ends inside it where an SQL token of it
 * ends (a word candidate "id" for the word "id,"); 0 when none has.
 */
int			eval_next_word_rank(const char *gold, size_t gold_len, size_t c,
								const char *const *cands, int n);
/*
 * candidate_dup_rate for one list: whether two of cands[0..n) (texts to
 * append to prefix) are equal once literals are folded (core/candidates.h).
 */
bool		eval_has_folded_duplicates(const char *prefix, size_t prefix_len,
									   const char *const *cands, int n);
/* Moves c back to the start of a UTF-8 character. */
size_t		eval_utf8_start(const char *s, size_t len, size_t c);
/* Draws k cuts for usable line i with SplitMix64 (len > 0). */
void		eval_draw_cuts(uint64_t seed, uint64_t i, const char *s, size_t len, int k,
						   size_t *cuts);
/* Number of UTF-8 characters (code points) in s. */
size_t		eval_utf8_count(const char *s, size_t len);

/* ---- rest_em ---- */

/* The rest_em normalization into a malloc'd string (fold: ASCII lower case). */
char	   *eval_normalize(const char *s, size_t len, bool fold, size_t *out_len);
/* rest_em for one cut: normalized texts are equal. */
bool		eval_rest_match(const char *text, size_t text_len,
							const char *gold, size_t gold_len, bool fold);

/* ---- why rest_em fails (--breakdown; metrics.c) ---- */

/* The kind of a word (docs/metrics.md, "Why rest_em fails"). */
typedef enum EvalWordKind
{
	EVAL_WORD_NONE,				/* no word: that text has ended */
	EVAL_WORD_KEYWORD,			/* an unquoted SQL word (eval_is_sql_word) */
	EVAL_WORD_IDENT,			/* another unquoted identifier */
	EVAL_WORD_QIDENT,			/* a "quoted" name */
	EVAL_WORD_STRING,			/* a string or dollar-quoted literal */
	EVAL_WORD_NUMBER,
	EVAL_WORD_PUNCT,			/* an operator or punctuation */
	EVAL_WORD_OTHER,			/* a comment or a parameter */
	EVAL_N_WORD_KINDS
} EvalWordKind;

/* What a rest_em miss differs in, the first that holds (EVAL_NEAR_NONE: a real difference). */
typedef enum EvalNearMiss
{
	EVAL_NEAR_NONE,
	EVAL_NEAR_SPACE,			/* the same words, spaced differently ("a,b" / "a, b") */
	EVAL_NEAR_SEMICOLON,		/* the same words but for a final ';' normalization keeps */
	EVAL_NEAR_CASE,				/* the same words ignoring ASCII case */
	EVAL_NEAR_QUOTING,			/* the same names once quoted ones are unquoted, case ignored */
	EVAL_N_NEAR
} EvalNearMiss;

/* One cut's rest_em and why it failed, from the texts alone. */
typedef struct EvalRestDiag
{
	bool		match;			/* rest_em */
	bool		match_folded;	/* rest_em once every literal past the cut is one placeholder */
	EvalNearMiss near;			/* for a miss */
	int			gold_words;		/* words of the gold ending after c */
	int			text_words;		/* words of prefix + completion ending after c */
	bool		gold_literal;	/* a string or number literal is among the gold's words after c */
	bool		gold_new_literal;	/* one whose text is neither before it nor in the schema */
	bool		gold_new_literal_after; /* such a one that starts at or after c */
	int			diverge_at;		/* first differing word, 0 = the word at c; -1: words equal */
	EvalWordKind gold_kind;		/* the gold's word there (NONE: the completion wrote more) */
	EvalWordKind text_kind;		/* the completion's word there (NONE: it stopped short) */
	size_t		diverge_pos;	/* where that word starts in the gold (its length when none) */
	bool		past_semicolon; /* the completion writes a word after a ';' of its own */
} EvalRestDiag;

/*
 * Diagnoses one cut: text = gold[:c] + completion against gold, schema the
 * prompt's schema text (for literals the model could have copied).
 * false when out of memory.
 */
bool		eval_rest_diagnose(const char *text, size_t text_len, const char *gold,
							   size_t gold_len, size_t c, const char *schema,
							   size_t schema_len, EvalRestDiag *d);
/* Short names of the kinds ("keyword", ... "ended") and near misses ("whitespace", ...). */
const char *eval_word_kind_name(EvalWordKind k);
const char *eval_near_miss_name(EvalNearMiss n);

/* ---- identifiers ---- */

/*
 * Identifiers of a text: its unquoted identifier tokens (core/sql_lex.h),
 * never inside literals, quoted names or comments.  Writes at most cap
 * spans, returns the count.
 */
size_t		eval_identifiers(const char *s, size_t len, EvalSpan *out, size_t cap);

/* A sorted set of lower-case names. */
typedef struct EvalNameSet
{
	char	  **names;
	size_t		n;
	size_t		cap;
	bool		sorted;
} EvalNameSet;

void		eval_names_add(EvalNameSet *set, const char *s, size_t len);
/* Adds every identifier of a text, and the contents of its "quoted" names. */
void		eval_names_add_text(EvalNameSet *set, const char *s, size_t len);
bool		eval_names_has(EvalNameSet *set, const char *s, size_t len);
void		eval_names_free(EvalNameSet *set);
/* True for an SQL keyword, type or function name (case-insensitive). */
bool		eval_is_sql_word(const char *s, size_t len);

/*
 * hallucinated_ident_rate for one completion: counts the identifiers of
 * prefix + completion that end inside the completion (*n_idents) and those
 * of them that are neither in names (the prompt's schema), nor aliases or
 * CTE names introduced in the text, nor SQL words (*n_bad).
 */
void		eval_hallucinations(EvalNameSet *names, const char *text, size_t text_len,
								size_t prefix_len, long *n_idents, long *n_bad);

/* ---- the copy baseline ---- */

/*
 * The copy baseline's completion for statement[:cut] (malloc'd, maybe ""):
 * at a mid-word cut (decided on the gold statement) inside an identifier, the
 * rest of the first schema identifier that starts with the typed part
 * (case-sensitive first, then case-insensitive); otherwise empty.
 */
char	   *eval_copy_complete(const char *schema, size_t schema_len,
							   const char *gold, size_t gold_len, size_t cut);

/* ---- tables and fitting ---- */

/*
 * The schema text for a prompt of typed within budget tokens (BOS + prompt;
 * no EOS): the whole schema when it fits, else the tables the one choice of
 * core/table_choice.h takes for typed (the extension's rule), joined by one
 * blank line.  Returns a malloc'd text (*truncated set when tables were left
 * out), or NULL when typed alone does not fit.  tok == NULL: unlimited.
 */
char	   *eval_fit_schema(const SqlpilotTokenizer *tok, int budget,
							const char *schema, size_t schema_len,
							const char *typed, size_t typed_len,
							size_t *out_len, bool *truncated);

/* The prompt budget at a cut: the context less the room for a completion. */
int			eval_cut_budget(int seq_len);

/* ---- keystrokes_saved ---- */

/* Completes prefix; returns a malloc'd completion or NULL on error. */
typedef char *(*EvalCompleteFn) (void *arg, const char *prefix, size_t prefix_len);

/*
 * Where the keystrokes of the typing simulation went (--breakdown): TAB
 * presses and the characters they accepted, and the characters typed one
 * by one by the kind of the statement's word they belong to
 * (EVAL_WORD_NONE: whitespace between words).
 */
typedef struct EvalTypingTrace
{
	long		tabs;
	long		tab_chars;
	long		typed[EVAL_N_WORD_KINDS];
} EvalTypingTrace;

/*
 * Types statement with a completer: at each position one TAB accepts the
 * longest run of whole words of the completion that agrees with the rest of
 * the statement, otherwise one character is typed.  Adds keystrokes and
 * characters to *keys and *chars, and where they went to *trace (may be
 * NULL).  Returns 0, or -1 (adding nothing) when the completer failed.
 */
int			eval_simulate_typing(const char *stmt, size_t len, EvalCompleteFn fn, void *arg,
								 long *keys, long *chars, EvalTypingTrace *trace);

/*
 * Completes prefix with a candidate list (core/candidates.h order: words,
 * clauses, then the whole statement): up to max malloc'd texts to append,
 * written to out; returns the count, -1 on error.
 */
typedef int (*EvalListFn) (void *arg, const char *prefix, size_t prefix_len, char **out, int max);

/* The most candidates an EvalListFn is asked for. */
#define EVAL_TYPING_LIST_MAX 16

/*
 * Types statement as psql's TAB offers completions (keystrokes_saved_psql):
 * at each position one keystroke inserts, when it agrees with the rest of
 * the statement, either the longest common prefix of the candidate list
 * (TAB: readline inserts that of several matches, the match itself when it
 * is alone) or the list's last candidate, the whole statement (the hook's
 * sqlpilot-complete key), whichever is longer; otherwise one character is
 * typed.  Never a part of a candidate: readline inserts all or nothing.
 * Adds to *keys and *chars; returns 0, or -1 (adding nothing) on error.
 */
int			eval_simulate_typing_psql(const char *stmt, size_t len, EvalListFn fn, void *arg,
									  long *keys, long *chars);

/* ---- percentiles ---- */

/* Nearest-rank percentile (p in (0, 1]) of n values; sorts v in place; NAN when n = 0. */
double		eval_percentile(double *v, size_t n, double p);

/* ---- the rest_em breakdown (breakdown.c) ---- */

/* One system's cut, kept for the breakdown. */
typedef struct EvalCutRecord
{
	int			system;			/* index into EvalBreakdown.systems */
	long		example;		/* the usable line's index */
	size_t		cut;
	char	   *gold;			/* malloc'd copies */
	size_t		gold_len;
	char	   *completion;
	bool		boundary;
	bool		ends;			/* the completion ended the statement (not cut by the budget) */
	EvalRestDiag d;
} EvalCutRecord;

/*
 * What --breakdown collects: eval_run fills systems and records when
 * EvalOptions.breakdown is set; the caller writes and frees it.
 */
typedef struct EvalBreakdown
{
	const char *md_path;		/* the markdown report, or NULL */
	const char *cuts_path;		/* one JSON line per record, or NULL */
	const char *systems[8];
	int			n_systems;
	EvalTypingTrace typing[8];	/* per system */
	EvalCutRecord *r;
	size_t		n,
				cap;
} EvalBreakdown;

/* Adds (copies and diagnoses) one cut of one system; false when out of memory. */
bool		eval_breakdown_add(EvalBreakdown *b, int system, long example, const char *gold,
							   size_t gold_len, size_t cut, const char *completion,
							   size_t completion_len, bool boundary, bool ends,
							   const char *schema, size_t schema_len);
/* Writes the markdown report and the JSON lines asked for; false with err on failure. */
bool		eval_breakdown_write(const EvalBreakdown *b, const char *input, char *err,
								 size_t errlen);
void		eval_breakdown_free(EvalBreakdown *b);

/* ---- the driver (eval.c) ---- */

/*
 * A schema text (usually CockroachDB SHOW CREATE TABLE) as PostgreSQL DDL in
 * pg_dump style, every table, foreign keys last; malloc'd, NULL when none parses.
 */
char	   *eval_pg_schema_ddl(const char *schema);

struct cJSON;

/*
 * One system under evaluation.  complete returns the malloc'd text to append
 * to gold[:cut] given the prompt's schema (gold is passed so the copy
 * baseline can decide boundary cuts on it; a model reads only the prefix),
 * or NULL on error; it sets *ms_cold / *ms_warm to its latency, or to a
 * negative value when it does not measure one (both NULL: not timed, as in
 * the typing simulation), and *ends (when not NULL) to whether the text it
 * returns ends the statement (a model: it wrote its end-of-statement token).
 * score (NULL for systems without a model) adds the statement tokens'
 * negative log-likelihood and top-1 hits for ids[stmt_start..n) under
 * teacher forcing; 0 or -1.
 */
/*
 * The check a checked completer calls: whether PostgreSQL accepts text (a
 * whole statement) in the example's scratch schema.  eval_run sets it per
 * example when --pg is given and the schema loaded; accepts NULL: no check.
 */
typedef struct EvalCheck
{
	bool		(*accepts) (void *arg, const char *text, size_t len);
	void	   *arg;
} EvalCheck;

/* One of a completer's beams (EvalCompleter.beams). */
typedef struct EvalBeam
{
	char	   *text;			/* malloc'd text to append to gold[:cut] */
	double		score;
	bool		ends;			/* it ends the statement (not cut by the token budget) */
} EvalBeam;

typedef struct EvalCompleter
{
	const char *name;
	char	   *(*complete) (void *arg, const char *schema, size_t schema_len,
							 const char *gold, size_t gold_len, size_t cut,
							 double *ms_cold, double *ms_warm, bool *ends);
	int			(*score) (void *arg, const int *ids, size_t n, size_t stmt_start,
						  double *nll, long *correct);
	void	   *arg;
	/*
	 * NULL, or the distinct candidate list (core/candidates.h) for
	 * gold[:cut]: up to max malloc'd texts to append, best first, written to
	 * out; returns the count, -1 on error.  For next_word_recall@n.
	 */
	int			(*candidates) (void *arg, const char *schema, size_t schema_len,
							   const char *gold, size_t cut, char **out, int max);
	/*
	 * NULL, or the completer's EvalCheck, which eval_run fills in before
	 * each example (a completer that shows what core/checked.h chooses).
	 */
	EvalCheck  *check;
	/*
	 * NULL, or width completions of gold[:cut] (1 < width <=
	 * SQLPILOT_CHECKED_DEFAULT_CANDIDATES), best first, the plain W best as
	 * the extension's beams (literal variants included) into out; returns
	 * the count, -1 on error.  What a checked completer tries when the check
	 * refuses the greedy completion.
	 */
	int			(*beams) (void *arg, const char *schema, size_t schema_len,
						  const char *gold, size_t cut, int width, EvalBeam *out);
} EvalCompleter;

/*
 * A checked completer: shows what core/checked.h chooses among base's
 * greedy completion (base->complete) and base->beams, checking whole
 * statements with check (PostgreSQL, set by eval_run) and cut ones by their
 * names in the prompt's schema: what a user of the extension sees.  Its
 * latency is not measured (eval's PREPARE round trips are not the
 * extension's check).  eval_checked_completer fills in *out, whose arg is ch.
 */
typedef struct EvalChecked
{
	EvalCompleter *base;
	EvalCheck	check;
	long		replaced;		/* completions where a beam was shown instead of the greedy one */
} EvalChecked;

void		eval_checked_completer(const char *name, EvalChecked *ch, EvalCompleter *out);

typedef struct EvalOptions
{
	const char *input;			/* JSONL path */
	long		limit;			/* usable lines to take; < 0: all */
	uint64_t	seed;
	int			cuts;			/* K drawn cuts per line without "cuts" */
	const char *pg;				/* libpq conninfo for valid_sql_rate, or NULL */
	int			ks_limit;		/* statements for keystrokes_saved */
	const SqlpilotTokenizer *tok;	/* the model's tokenizer; NULL: unlimited context */
	int			seq_len;		/* the model's context */
	const char *model_name;		/* reported as is; NULL: no model */
	const char *grounding;		/* "on", "off" or "both"; reported as is (NULL: no model) */
	uint64_t	model_checksum;
	bool		progress;		/* progress lines on stderr, every few seconds */
	EvalBreakdown *breakdown;	/* NULL, or where to keep every cut for --breakdown */
} EvalOptions;

/*
 * Runs every completer over the same examples and cuts and returns the
 * report (the final JSON object; free with cJSON_Delete), or NULL with err
 * when the input cannot be read or PostgreSQL cannot be reached.
 */
struct cJSON *eval_run(const EvalOptions *o, EvalCompleter *c, int n_completers,
					   char *err, size_t errlen);
/* Prints the report as a table. */
void		eval_print_table(const struct cJSON *report, FILE *f);

/* `sqlpilot eval` (argv[0] = "eval"): returns the process exit status. */
int			sqlpilot_eval_main(int argc, char **argv);

#endif							/* SQLPILOT_EVAL_H */
