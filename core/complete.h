/*
 * complete.h — completing a typed prefix: greedy or beam/top-k with a fixed
 * seed; stops at EOS, ';', a token budget or a degenerate loop; when the prefix ends inside a
 * word, backs off to a token boundary and only allows tokens that agree with
 * the typed characters; returns only the text to append, as valid UTF-8.
 * With grounding (on by default, core/ground.h) every identifier it writes
 * names a table, column, alias or CTE of the schema text, a keyword or a
 * built-in function (docs/grounding.md).
 */
#ifndef SQLPILOT_COMPLETE_H
#define SQLPILOT_COMPLETE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "infer.h"

/*
 * beam_width for the one whole statement a caller shows (sqlpilot_complete(),
 * `sqlpilot complete`, eval's completion): sqlpilot_complete_statement_beams(model)
 * plain beams (not distinct, no short alternatives), best first; with top_k
 * one sampled completion.
 */
#define SQLPILOT_BEAM_WIDTH_STATEMENT 0

/*
 * Models of this many parameters complete a whole statement with 2 beams:
 * on the default model (1.17M) that gains rest_em 0.128 -> 0.160 and
 * keystrokes for 1.4x the warm CPU time at p50 and 1.5x at p95 (+1 / +3 ms,
 * bench/results/rest_em_breakdown.md).  Outside the range, greedy: the 260K
 * preset (1.5 -> 2.8 ms warm with 2 beams, over its 3 ms budget) and the 15M
 * preset (6.1M with our vocabulary, whose TAB latency targets were set greedy).
 */
#define SQLPILOT_STATEMENT_BEAMS_MIN_PARAMS 1000000
#define SQLPILOT_STATEMENT_BEAMS_MAX_PARAMS 2000000

typedef struct SqlpilotCompleteOptions
{
	int			max_tokens;		/* budget of tokens that add text past the typed prefix */
	int			beam_width;		/* 1 = greedy; W > 1 uses W-1 extra run states per call;
								 * SQLPILOT_BEAM_WIDTH_STATEMENT: the model's policy */
	int			top_k;			/* > 0: sample from the top k (with seed) instead of argmax */
	float		temperature;
	uint64_t	seed;
	bool		stop_at_semicolon;
	/*
	 * Constrained decoding (core/ground.h): identifiers must name tables,
	 * columns, aliases and CTEs of the prompt's schema, keywords or built-in
	 * functions.  On by default; off to measure what it changes.
	 */
	bool		grounding;
	/*
	 * Distinct candidates (core/candidates.h, on by default): beams keep the
	 * best of each next word before others, and results that differ only
	 * inside literals count as one.  Off: the W best beams, distinct texts.
	 */
	bool		distinct;
	/*
	 * Short alternatives (with distinct, beam_width W > 1 and no top_k; on by
	 * default): the first completion is the statement the caller shows,
	 * decoded as SQLPILOT_BEAM_WIDTH_STATEMENT would (statement_beams
	 * plain beams, 1: greedy), run to its end; the other W - 1
	 * beams take other next words and each ends once its next clause is
	 * decided (core/candidates.h), which is all a candidate list needs of
	 * them: each finishes its next word, then together they decode at most
	 * 3/4 of the statement's steps (one cut short offers its next word
	 * only), and all their rows, words included, stay within the
	 * statement's rows (3/4 of them when it has more than one beam: their
	 * steps then run after its own) plus one each (one whose word that cuts
	 * is dropped), best (by their own scores) first; with grounding, one that
	 * grounding refuses every token of its window (complete.c) takes the
	 * one best token it allows, not W.  Off:
	 * W full beams, best first.
	 */
	bool		short_alternatives;
	/*
	 * With short alternatives: the plain beams of the statement they start
	 * from; 0 (the default): the model's policy,
	 * sqlpilot_complete_statement_beams.
	 */
	int			statement_beams;
	/*
	 * Beams decode in lockstep: each step runs every live beam's token in
	 * one sqlpilot_infer_step_rows (the weights read once for all of them),
	 * short alternatives beside the greedy completion's steps.  true: one
	 * sqlpilot_infer_step per beam, short alternatives after the greedy
	 * completion; the same results (up to float rounding of the shared
	 * prompt rows), for tests and benchmarks.
	 */
	bool		one_row_steps;
	/*
	 * Called between prefill chunks of the prompt and between generated
	 * tokens; returning true stops the call (Ctrl-C, timeouts).
	 */
	bool		(*should_stop) (void *arg);
	void	   *should_stop_arg;
} SqlpilotCompleteOptions;

typedef struct SqlpilotCompletion
{
	char	   *text;			/* malloc'd text to append to the prefix */
	double		score;			/* sum of log-probabilities of the generated tokens */
	int			n_tokens;		/* all generated tokens, including those re-typing backed-off bytes */
	bool		looped;			/* stopped by the loop rule (complete.c): the text is cut, it
								 * does not end the statement */
} SqlpilotCompletion;

/* Default options: greedy, 64 tokens, stop at ';', grounded, distinct, short alternatives. */
void		sqlpilot_complete_defaults(SqlpilotCompleteOptions *o);

/* Beams for a whole statement of a model of config c: 2 within SQLPILOT_STATEMENT_BEAMS_MIN/MAX_PARAMS, else 1. */
int			sqlpilot_complete_statement_beams(const SqlpilotConfig *c);

/*
 * Completes prefix given schema text.  Writes up to max_out completions, best
 * first, and returns how many; -1 with err on failure (prompt longer than the
 * context, out of memory), -2 when should_stop asked to stop.  The KV cache of
 * s keeps the prompt, so the next call with the same schema reuses it.
 * A prompt that does not fit (with room for one new token) is an error, not
 * cut: the caller drops tables.  Distinct texts only: beams that spell the
 * same text are reported once, so fewer than max_out may come back.
 */
int			sqlpilot_complete(SqlpilotRunState *s, const SqlpilotTokenizer *tok,
							  const char *schema, size_t schema_len,
							  const char *prefix, size_t prefix_len,
							  const SqlpilotCompleteOptions *o,
							  SqlpilotCompletion *out, int max_out,
							  char *err, size_t errlen);

/*
 * sqlpilot_complete for a prompt already tokenized: ids[0..n) must be what
 * sqlpilot_prompt_encode gives for schema and prefix (no EOS), so a caller
 * that tokenized the prompt anyway (to check its size) does not do it again.
 * The texts are still needed: the typed bytes of the partial word come from them.
 */
int			sqlpilot_complete_ids(SqlpilotRunState *s, const SqlpilotTokenizer *tok,
								  const char *schema, size_t schema_len,
								  const char *prefix, size_t prefix_len,
								  const int *ids, size_t n,
								  const SqlpilotCompleteOptions *o,
								  SqlpilotCompletion *out, int max_out,
								  char *err, size_t errlen);
void		sqlpilot_completion_free(SqlpilotCompletion *c, int n);

/*
 * The loop rule every completion obeys: where generated text g[0..n) is
 * cut when it ends in a degenerate loop (the model, refused the name it
 * wants, spirals into whitespace or repeats itself to the token budget:
 * bench/results/rest_em_breakdown.md), or n when it does not.  Before a
 * final run of whitespace holding 3 newlines; or, when a unit of 1 to 64
 * bytes (not all whitespace) repeats at its end 4 times over 32 bytes or
 * more, after the unit's first occurrence, moved on to the next word's end
 * (or back to the word's start when the unit is all one word).
 */
size_t		sqlpilot_loop_cut(const char *g, size_t n);

#endif							/* SQLPILOT_COMPLETE_H */
