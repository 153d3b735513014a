/*
 * complete.c — completing a typed statement prefix (see complete.h).
 *
 * 1. The prompt (prompt.h) is tokenized as one string.  The tokens that
 *    cover the trailing partial word are dropped, and always at least the
 *    last token ("token healing"): the dropped bytes become a constraint the
 *    generated tokens must agree with, so "SELECT * FROM us" can continue
 *    with the single token " users" the model learned rather than "us"+"ers".
 * 2. The kept tokens are fed through the KV cache; a cached prefix (the
 *    schema part of the previous call) is reused, not recomputed.
 * 3. Beam search over W beams (W = 1 is greedy, or top-k sampling with a
 *    fixed seed).  A token is allowed when it agrees with the constraint
 *    bytes not yet produced and keeps the output valid UTF-8; EOS only once
 *    the constraint is met.  A beam ends at EOS, at the first ';' past the
 *    typed text, at the token budget, when the context is full or when it
 *    loops (sqlpilot_loop_cut: its text is cut back to before the loop).  Beams
 *    live in W run states: slot 0 is the caller's, the others are its spare
 *    states (infer.h), kept between calls; forks copy the k/v rows past the
 *    prefix both states already share.  Each step decodes the live beams'
 *    tokens in lockstep, one sqlpilot_infer_step_rows for all of them: the
 *    weights stream once per step, not once per beam.
 * 4. The result is the generated text past the typed prefix.
 *
 * Distinct candidates (core/candidates.h): each step ranks W candidates per
 * live beam, then keeps the best of each next word first (the first word
 * past the typed text, literals folded, once the word is complete) and only
 * then fills the rest of the width best first, so the beams explore
 * different next words ("UPDATE t SET " offers different columns) instead of
 * variants of one literal.  Results that differ only inside literals count as
 * one, the best-scoring kept.  Ties keep the earlier beam and the lower token
 * id, so the same prompt gives the same list.
 *
 * Short alternatives (the default for W > 1 with distinct): a list of
 * candidates needs one whole statement and, from the others, only a next
 * word and clause.  So the first result is the statement the caller shows
 * (options.statement_beams plain beams, the model's policy by default: the
 * same text and score as SQLPILOT_BEAM_WIDTH_STATEMENT; greedy, W = 1, for
 * most models), and W - 1 alternatives start from the same
 * prompt state with the best first new tokens other than its own, branch
 * like beams (the best of each next word kept) until each has finished its
 * next word or spent SHORT_WORD_STEPS tokens on it, then go on greedily and
 * end once their clause is decided (candidates.h), within a shared budget
 * of decode steps past their words (3/4 of the statement's) and a shared
 * cap on all their rows, words included (the statement's rows plus one
 * each, or 3/4 of them after a statement of several beams: a short
 * statement such as "id = 5;" would otherwise cost less than the
 * alternatives' spelling of four column names); an alternative whose next
 * word is the statement's, or another's, is dropped.  Cost: at most about
 * twice the statement's rows, where W full beams ran about W times them
 * (bench/results/candidates_ab.md).  After a
 * greedy statement the two searches run in one lockstep (run_joint): each
 * step decodes the greedy row and the alternatives' rows together, and an
 * alternatives' step waits while it needs what the greedy one has not
 * decided yet, so the results are those of the greedy search followed by
 * the alternatives' search.  A statement of several beams is only known at
 * its end (its best beam can change), so the alternatives run after it.
 *
 * Grounding (options.grounding, core/ground.h): each beam carries the scope
 * of its statement, fed the typed statement and then every token it takes.
 * Tokens are first ranked by the cheap checks above; when the grounding check
 * passes all of the k best (the common case) nothing changes; otherwise it
 * walks a window of the k + GROUND_WINDOW best, best first, and keeps the
 * first k it allows (or, when none of the window passes, the k best allowed
 * of the whole vocabulary, found by checking the rest best first until k
 * pass), so a step checks a few tokens, not all of them.
 * When no token passes at all, the step is free (never a dead end).
 * A short alternative (below) whose window grounding refuses entirely takes
 * only the best token it allows, not W: it is inside a spelling the model
 * does not go on with (" unit_" where its own is " unit_p", " quantit"
 * beside " quantity"), where few tokens pass, so a walk for W of them
 * checked most of the vocabulary for tail tokens (13% of a list's time on
 * a short statement, bench/results/candidates_profile.md).  Such a beam
 * keeps one way on: every prefix still gets alternatives.
 *
 * A prompt that does not fit the context (with room for one new token) is an
 * error: the caller (eval, the extension) drops tables to make it fit.
 */
#include "complete.h"
#include "candidates.h"
#include "ground.h"
#include "sql_lex.h"

#include <math.h>
#include <stdio.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "prompt.h"
#include "util.h"

/* One hypothesis: generated ids and bytes (constraint bytes included). */
typedef struct Beam
{
	int		   *ids;
	int			n;
	int			n_new;			/* tokens that added bytes past the typed text */
	char	   *bytes;
	size_t		nbytes;
	double		score;
	int			utf8;			/* UTF-8 automaton state after bytes */
	int			done;
	int			slot;			/* run state holding its k/v; -1 when done */
	SqlpilotGround ground;		/* the statement's scope (grounding only) */
	bool		keyed;			/* its next word is finished: key holds it */
	char		key[SQLPILOT_WORD_KEY_MAX];
	bool		looped;			/* ended by the loop rule: bytes[0..keep) are its text */
	size_t		keep;
} Beam;

/* A candidate extension of a beam by one token (token -1: a finished beam kept). */
typedef struct Candidate
{
	int			parent;
	int			token;
	double		score;
} Candidate;

/* Everything one call shares across its steps. */
typedef struct Search
{
	const SqlpilotTokenizer *tok;
	const SqlpilotCompleteOptions *o;
	const char *pending;		/* typed bytes the output must reproduce first */
	size_t		pending_len;
	int			V;
	int			W;
	size_t		byte_cap;
	float	   *logprob;		/* (V) */
	double	   *weight;			/* (V) sampling weights */
	Candidate  *ranked;			/* (V) ground_scan's heap */
	uint64_t	rng;
	const SqlpilotGround *ground0;	/* state after the typed text; NULL: no grounding */
	size_t		ground_skip;	/* generated bytes before the statement starts */
	const char *ctx;			/* the typed statement before the generated bytes */
	size_t		ctx_len;
	char	   *scratch;		/* ctx_len + byte_cap + 1: ctx, a beam's bytes and a token */
	/* short alternatives (SqlpilotCompleteOptions.short_alternatives): */
	const char *exclude_key;	/* a next word no beam may take (the best's); NULL: none */
	bool		clause_stop;	/* beams go greedily from their first new token, and end
								 * once their next clause is decided */
	long		decode_budget;	/* with clause_stop: decode steps left for all beams */
	long		row_budget;		/* with clause_stop: rows left for all beams, words too */
	int		   *spine;			/* the greedy completion's ids (a greedy search writes
								 * them): with clause_stop no beam leaves its path with
								 * the same first new token */
	int			spine_n;
	/* short alternatives stepped beside the greedy search (run_joint): */
	bool		budget_final;	/* decode_budget is known (the greedy one ended) */
	bool		budget_hit;		/* a beam of this proposal ended for want of budget */
	bool		exclude_pending;	/* the greedy one's next word is not known yet */
	bool		exclude_needed; /* this proposal compared a finished word with it */
} Search;

/*
 * New tokens a short alternative may take to finish its next word before
 * the shared budget counts its steps (an identifier is a token or three,
 * then one more shows where it ends).
 */
#define SHORT_WORD_STEPS 4

/*
 * The loop rule (sqlpilot_loop_cut): newlines in one run of whitespace that end a
 * completion (a statement holds at most a blank line), and a unit of at
 * most LOOP_MAX_PERIOD bytes, not all whitespace, repeated LOOP_REPEATS
 * times over LOOP_SPAN bytes or more.  No statement of 20,000 of the
 * corpus' and 7,200 of the generated held-out ones holds either.
 */
#define LOOP_NEWLINES 3
#define LOOP_REPEATS 4
#define LOOP_SPAN 32
#define LOOP_MAX_PERIOD 64

/* Candidates past the k best that the grounding check looks at before the whole vocabulary. */
#define GROUND_WINDOW 32

/*
 * UTF-8 automaton.  State 0: at a character boundary; otherwise the low two
 * bits count continuation bytes still needed and bits 2.. restrict the next
 * byte (1: A0..BF after E0, 2: 80..9F after ED, 3: 90..BF after F0,
 * 4: 80..8F after F4).  Returns the new state, or -1 for an invalid byte.
 */
static int
utf8_next(int state, unsigned char b)
{
	int			need = state & 3;
	int			rule = state >> 2;

	if (need == 0)
	{
		if (b < 0x80)
			return 0;
		if (b >= 0xC2 && b <= 0xDF)
			return 1;
		if (b == 0xE0)
			return 2 | (1 << 2);
		if (b == 0xED)
			return 2 | (2 << 2);
		if (b >= 0xE1 && b <= 0xEF)
			return 2;
		if (b == 0xF0)
			return 3 | (3 << 2);
		if (b == 0xF4)
			return 3 | (4 << 2);
		if (b >= 0xF1 && b <= 0xF3)
			return 3;
		return -1;
	}
	if (b < 0x80 || b > 0xBF)
		return -1;
	if ((rule == 1 && b < 0xA0) || (rule == 2 && b > 0x9F) ||
		(rule == 3 && b < 0x90) || (rule == 4 && b > 0x8F))
		return -1;
	return need - 1;
}

/* State after a run of bytes; invalid bytes restart at a boundary (for typed text). */
static int
utf8_scan_lenient(const char *s, size_t n)
{
	int			state = 0;

	for (size_t i = 0; i < n; i++)
	{
		state = utf8_next(state, (unsigned char) s[i]);
		if (state < 0)
			state = 0;
	}
	return state;
}

/* Defaults: greedy, 64 tokens, stop at ';', seed 0, grounded, distinct, short alternatives. */
void
sqlpilot_complete_defaults(SqlpilotCompleteOptions *o)
{
	memset(o, 0, sizeof(*o));
	o->max_tokens = 64;
	o->beam_width = 1;
	o->top_k = 0;
	o->temperature = 1.0f;
	o->seed = 0;
	o->stop_at_semicolon = true;
	o->grounding = true;
	o->distinct = true;
	o->short_alternatives = true;
}

/* See complete.h. */
int
sqlpilot_complete_statement_beams(const SqlpilotConfig *c)
{
	size_t		n = sqlpilot_param_count(c);

	return n >= SQLPILOT_STATEMENT_BEAMS_MIN_PARAMS && n <= SQLPILOT_STATEMENT_BEAMS_MAX_PARAMS ? 2 : 1;
}

/*
 * Whether token t may extend beam b: constraint bytes, UTF-8 validity past
 * the typed text (typed bytes are taken as they are), specials.
 */
static int
token_allowed(const Search *S, const Beam *b, int t)
{
	const uint8_t *tb = S->tok->token_bytes[t];
	int			len = S->tok->token_len[t];
	int			state = b->utf8;

	if (t == SQLPILOT_TOKEN_EOS)
		return b->nbytes >= S->pending_len &&
			(!S->ground0 || sqlpilot_ground_allows_end(&b->ground));
	if (len <= 0 || b->nbytes + (size_t) len > S->byte_cap)
		return 0;
	if (b->nbytes < S->pending_len)
	{
		size_t		m = S->pending_len - b->nbytes;

		if (m > (size_t) len)
			m = (size_t) len;
		if (memcmp(tb, S->pending + b->nbytes, m) != 0)
			return 0;
	}
	for (int i = 0; i < len; i++)
	{
		state = utf8_next(state, tb[i]);
		if (state < 0)
		{
			if (b->nbytes + (size_t) i >= S->pending_len)
				return 0;
			state = 0;
		}
	}
	return 1;
}

/*
 * Whether grounding allows token t after beam b: its bytes from where the
 * statement starts (a backed-off token may begin before it).
 */
static int
ground_allowed(const Search *S, const Beam *b, int t)
{
	const uint8_t *tb = S->tok->token_bytes[t];
	size_t		len = (size_t) S->tok->token_len[t];
	size_t		skip = 0;

	if (t == SQLPILOT_TOKEN_EOS)
		return 1;				/* token_allowed asked sqlpilot_ground_allows_end */
	if (S->ground_skip > b->nbytes)
		skip = S->ground_skip - b->nbytes < len ? S->ground_skip - b->nbytes : len;
	return sqlpilot_ground_allows(&b->ground, tb + skip, len - skip);
}

/* Inserts c into the best-first list top[0..*n) of at most cap entries. */
static void
top_insert(Candidate *top, int *n, int cap, Candidate c)
{
	int			i;

	if (*n == cap && !(c.score > top[cap - 1].score))
		return;
	i = *n < cap ? (*n)++ : cap - 1;
	while (i > 0 && top[i - 1].score < c.score)
	{
		top[i] = top[i - 1];
		i--;
	}
	top[i] = c;
}

/*
 * Whether short alternative b would take the greedy completion's own first
 * new token with t (from there it would only repeat it).
 */
static bool
on_spine(const Search *S, const Beam *b, int t)
{
	if (!S->clause_stop || b->n_new > 0 || b->n >= S->spine_n || t != S->spine[b->n] ||
		b->nbytes + (size_t) S->tok->token_len[t] <= S->pending_len)
		return false;
	return memcmp(b->ids, S->spine, sizeof(int) * (size_t) b->n) == 0;
}

/*
 * The cap best tokens the cheap checks allow after beam b (index bi), best
 * first (a short alternative never takes the greedy one's first new token).
 */
static int
best_tokens(const Search *S, const Beam *b, int bi, Candidate *best, int cap)
{
	int			nbest = 0;

	for (int t = 0; t < S->V; t++)
	{
		Candidate	c;

		c.parent = bi;
		c.token = t;
		c.score = b->score + S->logprob[t];
		/* the cheap test first: most tokens would not make the list anyway */
		if ((nbest == cap && !(c.score > best[cap - 1].score)) || isnan(S->logprob[t]) ||
			!token_allowed(S, b, t) || on_spine(S, b, t))
			continue;
		top_insert(best, &nbest, cap, c);
	}
	return nbest;
}

/* Whether a ranks before b: higher score, then the lower token id (top_insert's order). */
static bool
ranks_before(const Candidate *a, const Candidate *b)
{
	return a->score > b->score || (a->score == b->score && a->token < b->token);
}

/* Restores the heap (best at 0) below position i of h[0..n). */
static void
heap_down(Candidate *h, int n, int i)
{
	for (;;)
	{
		int			best = i;
		int			l = 2 * i + 1;
		Candidate	tmp;

		if (l < n && ranks_before(&h[l], &h[best]))
			best = l;
		if (l + 1 < n && ranks_before(&h[l + 1], &h[best]))
			best = l + 1;
		if (best == i)
			return;
		tmp = h[i];
		h[i] = h[best];
		h[best] = tmp;
		i = best;
	}
}

/*
 * The k best tokens the cheap checks and grounding allow after beam b
 * (index bi), into kept; returns how many.  For when none of the window
 * failed[0..nfailed) passed grounding: takes every token the cheap checks
 * allow best first (a heap) and checks them, skipping the window's, until k
 * pass, so it keeps exactly the tokens a grounding check of the whole
 * vocabulary would (the k best allowed, ties to the lower id) with a
 * fraction of the checks.
 */
static int
ground_scan(const Search *S, const Beam *b, int bi, const Candidate *failed, int nfailed,
			Candidate *kept, int k)
{
	Candidate  *h = S->ranked;
	int			n = 0,
				nkept = 0;

	for (int t = 0; t < S->V; t++)
	{
		if (isnan(S->logprob[t]) || !token_allowed(S, b, t))
			continue;
		h[n].parent = bi;
		h[n].token = t;
		h[n++].score = b->score + S->logprob[t];
	}
	for (int i = n / 2 - 1; i >= 0; i--)
		heap_down(h, n, i);
	while (n > 0 && nkept < k)
	{
		Candidate	c = h[0];
		bool		known = false;

		h[0] = h[--n];
		heap_down(h, n, 0);
		for (int j = 0; j < nfailed && !known; j++)
			known = failed[j].token == c.token;
		if (!known && ground_allowed(S, b, c.token))
			kept[nkept++] = c;
	}
	return nkept;
}

/*
 * Candidates from beam bi: the W best allowed tokens, or with top_k one
 * token sampled (seeded) from the top_k allowed ones at the temperature;
 * a short alternative past its window: the one best allowed (see the top).
 */
static void
beam_candidates(Search *S, const Beam *beams, int bi, const float *logits,
				Candidate *top, int *ntop, int cap)
{
	const Beam *b = &beams[bi];
	const SqlpilotCompleteOptions *o = S->o;
	/* short alternatives: W tokens each until their next word is finished, then greedy */
	int			k = o->top_k > 0 ? (o->top_k < S->V ? o->top_k : S->V) :
		S->clause_stop && (b->keyed || b->n_new > SHORT_WORD_STEPS) ? 1 : S->W;
	bool		ground = S->ground0 && sqlpilot_ground_active(&b->ground);
	int			window = k + GROUND_WINDOW;
	Candidate  *best = malloc(sizeof(Candidate) * (size_t) (window + k));
	Candidate  *kept = best + window;
	int			nbest = 0;

	if (!best)
		return;
	sqlpilot_log_softmax(S->logprob, logits, S->V);
	nbest = best_tokens(S, b, bi, best, k);
	if (ground)
	{
		int			i = 0;

		/* the k best all pass (the common case), or rank a window of them */
		while (i < nbest && ground_allowed(S, b, best[i].token))
			i++;
		if (i == nbest)
			ground = false;
		else
			nbest = best_tokens(S, b, bi, best, window);
	}
	if (ground && nbest > 0)
	{
		int			nkept = 0;

		/* best first: the first k the grounding allows are the k best allowed */
		for (int i = 0; i < nbest && nkept < k; i++)
			if (ground_allowed(S, b, best[i].token))
				kept[nkept++] = best[i];
		if (nkept == 0 && nbest == window)
			nkept = ground_scan(S, b, bi, best, nbest, kept, S->clause_stop ? 1 : k);
		if (nkept > 0)
		{
			memcpy(best, kept, sizeof(Candidate) * (size_t) nkept);
			nbest = nkept;
		}
		else if (nbest > k)
			nbest = k;			/* nothing passes: this step is free */
	}
	if (o->top_k > 0 && nbest > 0)
	{
		/* Sample one of the top_k by softmax(logprob / temperature). */
		float		temp = o->temperature > 0.0f ? o->temperature : 1.0f;
		double	   *w = S->weight;
		double		total = 0.0,
					r;
		int			pick = nbest - 1;

		for (int i = 0; i < nbest; i++)
		{
			w[i] = exp((S->logprob[best[i].token] - S->logprob[best[0].token]) / temp);
			total += w[i];
		}
		r = sqlpilot_rng_float(&S->rng) * total;
		for (int i = 0; i < nbest; i++)
		{
			r -= w[i];
			if (r < 0.0)
			{
				pick = i;
				break;
			}
		}
		top_insert(top, ntop, cap, best[pick]);
	}
	else
	{
		for (int i = 0; i < nbest; i++)
			top_insert(top, ntop, cap, best[i]);
	}
	free(best);
}

/*
 * The typed statement, beam b's bytes and token t (-1 or EOS: none) in
 * S->scratch; returns the length.
 */
static size_t
beam_text(const Search *S, const Beam *b, int t)
{
	char	   *buf = S->scratch;
	size_t		len = S->ctx_len;

	memcpy(buf, S->ctx, S->ctx_len);
	memcpy(buf + len, b->bytes, b->nbytes);
	len += b->nbytes;
	if (t >= 0 && t != SQLPILOT_TOKEN_EOS)
	{
		memcpy(buf + len, S->tok->token_bytes[t], (size_t) S->tok->token_len[t]);
		len += (size_t) S->tok->token_len[t];
	}
	return len;
}

/*
 * The next word of beam b, extended by token t (-1: none), as a key (see
 * sqlpilot_next_word); false while the beam has not finished that word.
 */
static bool
beam_word_key(const Search *S, const Beam *b, int t, char *key)
{
	size_t		len = beam_text(S, b, t);
	size_t		start,
				end;
	bool		final = b->done || t == SQLPILOT_TOKEN_EOS || t < 0;

	return sqlpilot_next_word(S->scratch, len, S->ctx_len + S->pending_len, final,
							  &start, &end, key);
}

/* Whether c is one of the six ASCII whitespace bytes. */
static bool
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* Whether c continues an identifier, keyword or number (a byte >= 0x80 too). */
static bool
word_byte(char c)
{
	unsigned char u = (unsigned char) c;

	return u >= 0x80 || u == '_' || u == '$' || (u >= '0' && u <= '9') ||
		(u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z');
}

/* See complete.h. */
size_t
sqlpilot_loop_cut(const char *g, size_t n)
{
	size_t		i = n,
				cut;
	int			newlines = 0;

	while (i > 0 && is_space(g[i - 1]))
		newlines += g[--i] == '\n';
	if (newlines >= LOOP_NEWLINES)
		return i;
	for (size_t p = 1; p <= LOOP_MAX_PERIOD && 2 * p <= n; p++)
	{
		size_t		run = 0;		/* bytes equal to the byte p before them, from the end */
		bool		blank = true;

		while (run + p < n && g[n - 1 - run] == g[n - 1 - run - p])
			run++;
		if ((run + p) / p < LOOP_REPEATS || run + p < LOOP_SPAN)
			continue;
		for (size_t j = n - p; j < n && blank; j++)
			blank = is_space(g[j]);
		if (blank)
			continue;
		/*
		 * Keep the first unit of the loop; it may start inside a word ("s,
		 * Supplier" of "s, Suppliers, Suppliers"): end at the first word's
		 * end within the next unit, or (a unit all one word) before it.
		 */
		cut = n - run;
		for (size_t c = cut; c < cut + p; c++)
			if (!word_byte(g[c - 1]) || !word_byte(g[c]))
				return c;
		while (cut > 0 && word_byte(g[cut - 1]) && word_byte(g[cut]))
			cut--;
		return cut;
	}
	return n;
}

/*
 * Appends token t to beam b and decides whether it ends there (EOS, ';' past
 * the typed text, budget; with clause_stop, its next clause decided).
 * Returns 1 when the beam is finished.
 */
static int
beam_extend(const Search *S, Beam *b, int t)
{
	const uint8_t *tb = S->tok->token_bytes[t];
	int			len = S->tok->token_len[t];

	b->ids[b->n++] = t;
	if (t == SQLPILOT_TOKEN_EOS)
		return 1;
	if (b->nbytes + (size_t) len > S->pending_len)
		b->n_new++;
	if (S->ground0)
	{
		size_t		skip = 0;

		if (S->ground_skip > b->nbytes)
			skip = S->ground_skip - b->nbytes < (size_t) len ?
				S->ground_skip - b->nbytes : (size_t) len;
		sqlpilot_ground_feed(&b->ground, (const char *) tb + skip, (size_t) len - skip);
	}
	for (int i = 0; i < len; i++)
	{
		b->bytes[b->nbytes] = (char) tb[i];
		b->utf8 = utf8_next(b->utf8, tb[i]);
		if (b->utf8 < 0)
			b->utf8 = 0;		/* an invalid typed byte: restart at a boundary */
		b->nbytes++;
		if (S->o->stop_at_semicolon && tb[i] == ';' && b->nbytes > S->pending_len)
			return 1;
	}
	if (b->nbytes > S->pending_len)
	{
		size_t		cut = sqlpilot_loop_cut(b->bytes + S->pending_len, b->nbytes - S->pending_len);

		if (cut < b->nbytes - S->pending_len)
		{
			b->looped = true;
			b->keep = S->pending_len + cut;
			return 1;
		}
	}
	if (S->clause_stop && b->nbytes > S->pending_len &&
		sqlpilot_clause_decided(S->scratch, beam_text(S, b, -1), S->ctx_len + S->pending_len))
		return 1;
	return b->n_new >= S->o->max_tokens;
}

/* Frees the beams' buffers. */
static void
beams_free(Beam *beams, int n)
{
	for (int i = 0; i < n; i++)
	{
		free(beams[i].ids);
		free(beams[i].bytes);
	}
	free(beams);
}

/* Allocates n empty beams with room for max_ids ids and cap bytes. */
static Beam *
beams_alloc(int n, int max_ids, size_t cap)
{
	Beam	   *beams = calloc((size_t) n, sizeof(Beam));

	if (!beams)
		return NULL;
	for (int i = 0; i < n; i++)
	{
		beams[i].ids = malloc(sizeof(int) * (size_t) (max_ids + 1));
		beams[i].bytes = malloc(cap + 1);
		beams[i].slot = -1;
		if (!beams[i].ids || !beams[i].bytes)
		{
			beams_free(beams, n);
			return NULL;
		}
	}
	return beams;
}

/* Copies beam src into dst (same capacities). */
static void
beam_copy(Beam *dst, const Beam *src)
{
	memcpy(dst->ids, src->ids, sizeof(int) * (size_t) src->n);
	memcpy(dst->bytes, src->bytes, src->nbytes);
	dst->n = src->n;
	dst->n_new = src->n_new;
	dst->nbytes = src->nbytes;
	dst->score = src->score;
	dst->utf8 = src->utf8;
	dst->done = src->done;
	dst->slot = src->slot;
	dst->ground = src->ground;
	dst->keyed = src->keyed;
	memcpy(dst->key, src->key, sizeof(dst->key));
	dst->looped = src->looped;
	dst->keep = src->keep;
}

/*
 * The next word of pool candidate c as a key (a parent whose word is
 * finished keeps it); false while it is unfinished.
 */
static bool
candidate_key(const Search *S, const Beam *beams, Candidate c, char *key)
{
	const Beam *p = &beams[c.parent];

	if (p->keyed)
	{
		memcpy(key, p->key, SQLPILOT_WORD_KEY_MAX);
		return true;
	}
	return beam_word_key(S, p, c.token, key);
}

/*
 * Chooses up to W of the pool's n candidates (best first): first the best of
 * each next word (and every one whose word is not finished), then (unless
 * clause_stop: alternatives are one per word) the others best first while
 * room is left; never one whose finished word is S->exclude_key (noting
 * in S->exclude_needed when that word is still pending).  Writes
 * the chosen pool indices, in pool order, to pick, and each candidate's word
 * to keys/keyed (as far as it looked); returns how many.
 */
static int
choose_diverse(Search *S, const Beam *beams, const Candidate *pool, int n, int *pick,
			   char (*keys)[SQLPILOT_WORD_KEY_MAX], bool *keyed, bool *chosen)
{
	int			nkeys = 0,
				count = 0;

	for (int i = 0; i < n; i++)
	{
		bool		dup = false;

		chosen[i] = false;
		keyed[i] = false;
		if (nkeys == S->W)
			continue;
		keyed[i] = candidate_key(S, beams, pool[i], keys[i]);
		if (keyed[i])
		{
			S->exclude_needed = S->exclude_needed || S->exclude_pending;
			if (S->exclude_key && strcmp(keys[i], S->exclude_key) == 0)
				continue;
			for (int j = 0; j < i && !dup; j++)
				dup = chosen[j] && keyed[j] && strcmp(keys[j], keys[i]) == 0;
			if (dup)
				continue;
		}
		chosen[i] = true;
		nkeys++;
	}
	for (int i = 0; i < n && nkeys < S->W && !S->clause_stop; i++)
	{
		if (!chosen[i] && !(keyed[i] && S->exclude_key && strcmp(keys[i], S->exclude_key) == 0))
		{
			chosen[i] = true;
			nkeys++;
		}
	}
	for (int i = 0; i < n; i++)
		if (chosen[i])
			pick[count++] = i;
	return count;
}

/*
 * Where short alternative b's text ends (*end, an offset into its bytes):
 * where it stopped when its clause is decided or it ended the statement;
 * else (cut by a budget) right after its next word, the one thing it offers.
 * False when it does not even have a finished word.
 */
static bool
alternative_end(const Search *S, const Beam *b, size_t *end)
{
	size_t		from = S->ctx_len + S->pending_len;
	size_t		len = beam_text(S, b, -1);
	size_t		wstart,
				wend;
	char		key[SQLPILOT_WORD_KEY_MAX];

	if ((b->n > 0 && b->ids[b->n - 1] == SQLPILOT_TOKEN_EOS) ||
		sqlpilot_clause_decided(S->scratch, len, from))
		return true;
	if (!b->keyed || !sqlpilot_next_word(S->scratch, len, from, false, &wstart, &wend, key) ||
		wend - S->ctx_len > *end)
		return false;
	*end = wend - S->ctx_len;
	return true;
}

/*
 * Whether any kept result has the same text as this one (literals folded
 * with distinct); *out gets the text compared (malloc'd) when it is new.
 * Returns 1 when seen, 0 when not, -1 when out of memory.
 */
static int
seen_text(const Search *S, char **folded, int n, const char *text, size_t len, char **out)
{
	size_t		typed = S->ctx_len + S->pending_len;

	memcpy(S->scratch, S->ctx, typed);
	memcpy(S->scratch + typed, text, len);
	if (S->o->distinct)
		*out = sqlpilot_fold_literals(S->scratch, typed + len, typed);
	else
		*out = strndup(S->scratch + typed, len);
	if (!*out)
		return -1;
	for (int i = 0; i < n; i++)
		if (strcmp(folded[i], *out) == 0)
		{
			free(*out);
			*out = NULL;
			return 1;
		}
	return 0;
}

/*
 * One search of S->W beams in the run states slots[0..W), stepped from
 * outside (run_search, or run_best_and_alternatives running two searches in
 * one lockstep): run_propose picks each beam's next token and lists the rows
 * to decode, the caller decodes them, run_commit makes the step final.
 */
typedef struct SearchRun
{
	Search	   *S;
	SqlpilotRunState **slots;
	int			utf8_start;
	int		   *slot_used;
	Beam	   *beams;
	Beam	   *next;			/* the proposed step's beams (next[0..ncand)) */
	Candidate  *cands;
	Candidate  *pool;
	int		   *pick;
	bool	   *chosen;
	bool	   *keyed;
	char		(*keys)[SQLPILOT_WORD_KEY_MAX];
	int			nbeams;
	int			ncand;
	int			nstep;			/* rows the proposed step decodes: */
	Candidate  *lists;			/* (W, W) each live beam's candidates this step */
	int		   *nlist;			/* (W) how many */
	bool		listed;			/* lists hold this step's (until run_commit) */
	int		   *step_beam;		/* their beams in next */
	int		   *step_ids;		/* their tokens */
	SqlpilotRunState **step_rows;	/* their run states */
	bool		over;			/* no beam goes on */
} SearchRun;

/* Frees what run_open allocated. */
static void
run_close(SearchRun *R)
{
	int			W = R->S->W;

	free(R->slot_used);
	if (R->beams)
		beams_free(R->beams, W);
	if (R->next)
		beams_free(R->next, W);
	free(R->cands);
	free(R->pool);
	free(R->pick);
	free(R->chosen);
	free(R->keyed);
	free(R->keys);
	free(R->step_rows);
	free(R->step_ids);
	free(R->step_beam);
	free(R->lists);
	free(R->nlist);
}

/*
 * Starts a search of S->W beams from slots[0] (holding the kept prompt
 * tokens and their logits).  Returns 0, or -1 with err when out of memory.
 */
static int
run_open(SearchRun *R, Search *S, SqlpilotRunState **slots, int utf8_start,
		 char *err, size_t errlen)
{
	int			W = S->W;
	int			max_ids = S->o->max_tokens + (int) S->pending_len;
	int			pool_cap = W * (W + 1);

	memset(R, 0, sizeof(*R));
	R->S = S;
	R->slots = slots;
	R->utf8_start = utf8_start;
	R->slot_used = calloc((size_t) W, sizeof(int));
	R->beams = beams_alloc(W, max_ids, S->byte_cap);
	R->next = beams_alloc(W, max_ids, S->byte_cap);
	R->cands = malloc(sizeof(Candidate) * (size_t) W);
	R->pool = malloc(sizeof(Candidate) * (size_t) pool_cap);
	R->pick = malloc(sizeof(int) * (size_t) pool_cap);
	R->chosen = malloc(sizeof(bool) * (size_t) pool_cap);
	R->keyed = malloc(sizeof(bool) * (size_t) pool_cap);
	R->keys = malloc(sizeof(*R->keys) * (size_t) pool_cap);
	R->step_rows = malloc(sizeof(SqlpilotRunState *) * (size_t) W);
	R->step_ids = malloc(sizeof(int) * (size_t) W);
	R->step_beam = malloc(sizeof(int) * (size_t) W);
	R->lists = malloc(sizeof(Candidate) * (size_t) W * (size_t) W);
	R->nlist = malloc(sizeof(int) * (size_t) W);
	if (!R->lists || !R->nlist || !R->slot_used || !R->beams || !R->next || !R->cands || !R->pool || !R->pick ||
		!R->chosen || !R->keyed || !R->keys || !R->step_rows || !R->step_ids || !R->step_beam)
	{
		run_close(R);
		snprintf(err, errlen, "out of memory for %d beams", W);
		return -1;
	}
	R->beams[0].n = 0;
	R->beams[0].n_new = 0;
	R->beams[0].nbytes = 0;
	R->beams[0].score = 0.0;
	R->beams[0].utf8 = utf8_start;
	R->beams[0].done = S->o->max_tokens <= 0;
	R->beams[0].slot = 0;
	R->beams[0].keyed = false;
	R->beams[0].looped = false;
	if (S->ground0)
		R->beams[0].ground = *S->ground0;
	R->nbeams = 1;
	return 0;
}

/*
 * Whether a short alternative past its word ends for want of budget (the
 * step after the last one the budget pays for); notes it in budget_hit.
 */
static bool
budget_spent(Search *S)
{
	if (S->decode_budget-- > 0)
		return false;
	S->budget_hit = true;
	return true;
}

/* Whether a short alternative's next row is past the rows all of them may decode. */
static bool
rows_spent(Search *S)
{
	if (S->row_budget-- > 0)
		return false;
	S->budget_hit = true;
	return true;
}

/*
 * Proposes the next step: every live beam's candidates, the W chosen, and
 * them extended into R->next (run_claim then gives them run states).  No
 * run state and nothing of R->beams changes, so a caller may drop the
 * proposal (only S->decode_budget must be put back).  Returns 0, 1 when no
 * beam is live (R->over), -2 when should_stop fired.
 */
static int
run_propose(SearchRun *R)
{
	Search	   *S = R->S;
	const SqlpilotCompleteOptions *o = S->o;
	int			W = S->W;
	int			pool_cap = W * (W + 1);
	int			npool = 0;
	int			live = 0;

	for (int i = 0; i < R->nbeams; i++)
		live += !R->beams[i].done;
	if (live == 0)
	{
		R->over = true;
		return 1;
	}
	if (o->should_stop && o->should_stop(o->should_stop_arg))
		return -2;

	/*
	 * Finished beams compete with their own score (one that looped after
	 * every other: its score is that of a cut text); live ones propose tokens
	 * (each beam's list made once per step: a dropped proposal keeps them).
	 */
	for (int i = 0; i < R->nbeams && !R->listed; i++)
	{
		R->nlist[i] = 0;
		if (!R->beams[i].done)
			beam_candidates(S, R->beams, i, R->slots[R->beams[i].slot]->logits,
							R->lists + i * W, &R->nlist[i], W);
	}
	R->listed = true;
	for (int i = 0; i < R->nbeams; i++)
	{
		if (R->beams[i].done)
		{
			Candidate	c = {i, -1, R->beams[i].looped ? -INFINITY : R->beams[i].score};

			top_insert(R->pool, &npool, pool_cap, c);
		}
		for (int j = 0; j < R->nlist[i]; j++)
			top_insert(R->pool, &npool, pool_cap, R->lists[i * W + j]);
	}
	if (o->distinct)
		R->ncand = choose_diverse(S, R->beams, R->pool, npool, R->pick, R->keys, R->keyed,
								  R->chosen);
	else
	{
		R->ncand = npool < W ? npool : W;
		for (int i = 0; i < R->ncand; i++)
		{
			R->pick[i] = i;
			R->keyed[i] = false;
		}
	}
	for (int i = 0; i < R->ncand; i++)
		R->cands[i] = R->pool[R->pick[i]];

	/*
	 * Extend; every beam that goes on decodes one row (alternatives while
	 * their shared budget lasts; past it they end, but only once their next
	 * word is finished or SHORT_WORD_STEPS tokens went into it: the budget
	 * counts the steps after that).
	 */
	for (int i = 0; i < R->ncand; i++)
	{
		Beam	   *p = &R->beams[R->cands[i].parent];
		Beam	   *nx = &R->next[i];

		beam_copy(nx, p);
		if (!p->keyed && R->keyed[R->pick[i]])
		{
			/* its next word is finished with this token: remember it */
			nx->keyed = true;
			memcpy(nx->key, R->keys[R->pick[i]], SQLPILOT_WORD_KEY_MAX);
		}
		if (R->cands[i].token < 0)
			continue;
		nx->score = R->cands[i].score;
		if (beam_extend(S, nx, R->cands[i].token) ||
			(S->clause_stop && (nx->keyed || nx->n_new > SHORT_WORD_STEPS) && budget_spent(S)) ||
			(S->clause_stop && rows_spent(S)))
			nx->done = 1;
	}
	return 0;
}

/*
 * Gives the proposed step's beams that go on their run states (the first
 * child of a parent keeps its parent's; the others fork into free ones:
 * k/v copied) and lists the rows to decode.
 */
static void
run_claim(SearchRun *R)
{
	int			W = R->S->W;

	memset(R->slot_used, 0, sizeof(int) * (size_t) W);
	for (int i = 0; i < R->ncand; i++)
	{
		int			ps = R->beams[R->cands[i].parent].slot;

		R->next[i].slot = -1;
		if (R->cands[i].token < 0 || R->next[i].done || R->slot_used[ps])
			continue;
		R->slot_used[ps] = 1;
		R->next[i].slot = ps;
	}
	R->nstep = 0;
	for (int i = 0; i < R->ncand; i++)
	{
		int			free_slot = 0;

		if (R->cands[i].token < 0 || R->next[i].done)
			continue;
		if (R->next[i].slot < 0)
		{
			/* A slot no beam of this step kept: always exists, W >= children. */
			while (R->slot_used[free_slot])
				free_slot++;
			R->slot_used[free_slot] = 1;
			sqlpilot_infer_copy(R->slots[free_slot], R->slots[R->beams[R->cands[i].parent].slot]);
			R->next[i].slot = free_slot;
		}
		R->step_beam[R->nstep] = i;
		R->step_ids[R->nstep] = R->cands[i].token;
		R->step_rows[R->nstep++] = R->slots[R->next[i].slot];
	}
}

/*
 * Makes the proposed step final once its rows are decoded; failed[j]: row
 * j could not be decoded (a full context), which ends its beam.
 */
static void
run_commit(SearchRun *R, const bool *failed)
{
	Beam	   *tmp = R->beams;

	for (int j = 0; j < R->nstep; j++)
		if (failed[j])
		{
			R->next[R->step_beam[j]].done = 1;
			R->next[R->step_beam[j]].slot = -1;
		}
	R->beams = R->next;
	R->next = tmp;
	R->nbeams = R->ncand;
	R->listed = false;
	R->over = R->ncand == 0;
}

/*
 * Whether rows a and b of a step would compute the same thing: the same
 * token after the same cached tokens (states forked from one another hold
 * the same values for the same ids, as sqlpilot_infer_copy assumes).
 */
static bool
same_row(const SqlpilotRunState *a, int ida, const SqlpilotRunState *b, int idb)
{
	return ida == idb && a->n_cached == b->n_cached &&
		memcmp(a->cached_ids, b->cached_ids, sizeof(int) * (size_t) a->n_cached) == 0;
}

/*
 * Decodes n rows, SQLPILOT_STEP_MAX_ROWS at a time in lockstep (or one
 * sqlpilot_infer_step each with one_row), row by row where a lockstep step
 * fails so a full context ends only its own beam: failed[j] says which.  In
 * lockstep a row that repeats an earlier one of its step (a short
 * alternative re-typing the backed-off bytes with the greedy one's token)
 * is not run: it gets a copy of that row's state, the same bits.
 */
static void
decode_rows(SqlpilotRunState **rows, const int *ids, int n, bool one_row, bool *failed)
{
	for (int j0 = 0; j0 < n; j0 += SQLPILOT_STEP_MAX_ROWS)
	{
		int			k = n - j0 < SQLPILOT_STEP_MAX_ROWS ? n - j0 : SQLPILOT_STEP_MAX_ROWS;
		SqlpilotRunState *urows[SQLPILOT_STEP_MAX_ROWS];
		int			uids[SQLPILOT_STEP_MAX_ROWS];
		int			of[SQLPILOT_STEP_MAX_ROWS];	/* row j's index in urows */
		int			nu = 0;

		for (int j = j0; j < j0 + k; j++)
		{
			failed[j] = false;
			of[j - j0] = -1;
			for (int u = 0; u < nu && of[j - j0] < 0; u++)
				if (same_row(urows[u], uids[u], rows[j], ids[j]))
					of[j - j0] = u;
			if (of[j - j0] < 0)
			{
				of[j - j0] = nu;
				urows[nu] = rows[j];
				uids[nu++] = ids[j];
			}
		}
		if (!one_row && sqlpilot_infer_step_rows(urows, uids, nu) == 0)
		{
			for (int j = j0; j < j0 + k; j++)
				if (urows[of[j - j0]] != rows[j])
					sqlpilot_infer_copy(rows[j], urows[of[j - j0]]);
			continue;
		}
		for (int j = j0; j < j0 + k; j++)
			failed[j] = sqlpilot_infer_step(rows[j], ids[j]) != 0;
	}
}

/*
 * The search's results: up to max_out distinct completions, best first
 * (text past the typed bytes, minus an unfinished UTF-8 tail; no two that
 * differ only inside literals).  Returns the count, -1 when out of memory.
 */
static int
run_results(SearchRun *R, SqlpilotCompletion *out, int max_out, char *err, size_t errlen)
{
	Search	   *S = R->S;
	int			nfold = max_out > S->W ? max_out : S->W;
	char	  **folded = calloc((size_t) nfold, sizeof(char *));
	int			rc = 0;

	if (!folded)
	{
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (int i = 0; i < R->nbeams && rc < max_out; i++)
	{
		Beam	   *b = &R->beams[i];
		size_t		start = b->nbytes < S->pending_len ? b->nbytes : S->pending_len;
		size_t		end = b->looped ? b->keep : b->nbytes;
		int			state = R->utf8_start;
		size_t		boundary = 0;
		int			seen;

		for (size_t j = 0; j < end; j++)
		{
			state = utf8_next(state, (unsigned char) b->bytes[j]);
			if (state < 0)
				state = 0;
			if (state == 0)
				boundary = j + 1;
		}
		end = boundary > start ? boundary : start;
		if (S->clause_stop && !alternative_end(S, b, &end))
			continue;
		seen = seen_text(S, folded, rc, b->bytes + start, end - start, &folded[rc]);
		if (seen == 1)
			continue;
		out[rc].text = seen == 0 ? malloc(end - start + 1) : NULL;
		if (!out[rc].text)
		{
			sqlpilot_completion_free(out, rc);
			snprintf(err, errlen, "out of memory");
			rc = -1;
			break;
		}
		memcpy(out[rc].text, b->bytes + start, end - start);
		out[rc].text[end - start] = '\0';
		out[rc].score = b->score;
		out[rc].n_tokens = b->n;
		out[rc].looped = b->looped;
		rc++;
	}
	for (int i = 0; i < nfold; i++)
		free(folded[i]);
	free(folded);
	return rc;
}

/*
 * Runs the search of S->W beams in the run states slots[0..W) from slots[0]
 * (holding the kept prompt tokens and their logits); writes up to max_out
 * distinct completions, best first.  The best beam leaves its ids in
 * S->spine when that is set.  Returns the count, -1 on allocation
 * failure, -2 when should_stop fired.
 */
static int
run_search(Search *S, SqlpilotRunState **slots, int utf8_start,
		   SqlpilotCompletion *out, int max_out, char *err, size_t errlen)
{
	SearchRun	R;
	bool		failed[SQLPILOT_STEP_MAX_ROWS * 4];
	bool	   *fail = S->W <= SQLPILOT_STEP_MAX_ROWS * 4 ? failed :
		malloc(sizeof(bool) * (size_t) S->W);
	int			rc = 0;

	if (!fail)
	{
		snprintf(err, errlen, "out of memory for %d beams", S->W);
		return -1;
	}
	if (run_open(&R, S, slots, utf8_start, err, errlen) != 0)
	{
		if (fail != failed)
			free(fail);
		return -1;
	}
	while (rc == 0)
	{
		rc = run_propose(&R);
		if (rc != 0)
			break;
		run_claim(&R);
		decode_rows(R.step_rows, R.step_ids, R.nstep, S->o->one_row_steps, fail);
		run_commit(&R, fail);
	}
	if (rc == -2)
	{
		run_close(&R);
		if (fail != failed)
			free(fail);
		return -2;
	}
	if (R.nbeams > 0 && S->spine)
	{
		memcpy(S->spine, R.beams[0].ids, sizeof(int) * (size_t) R.beams[0].n);
		S->spine_n = R.beams[0].n;
	}
	rc = run_results(&R, out, max_out, err, errlen);
	run_close(&R);
	if (fail != failed)
		free(fail);
	return rc;
}

/*
 * W run states for a search: s and then its spare states (with_s), or its
 * spare states alone.  malloc'd; NULL with err when out of memory.
 */
static SqlpilotRunState **
search_slots(SqlpilotRunState *s, bool with_s, int W, char *err, size_t errlen)
{
	SqlpilotRunState **slots = calloc((size_t) W, sizeof(SqlpilotRunState *));

	if (!slots)
	{
		snprintf(err, errlen, "out of memory for %d beams", W);
		return NULL;
	}
	for (int i = 0; i < W; i++)
	{
		slots[i] = with_s && i == 0 ? s : sqlpilot_runstate_spare(s, with_s ? i - 1 : i, err, errlen);
		if (!slots[i])
		{
			free(slots);
			return NULL;
		}
	}
	return slots;
}

/*
 * The next word of a completion's text (the typed statement and its
 * backed-off bytes before it) as a key; false when it has none.
 */
static bool
text_word_key(const Search *S, const char *text, char *key)
{
	size_t		typed = S->ctx_len + S->pending_len;
	size_t		len = strlen(text);
	size_t		start,
				end;

	/* ctx and pending are adjacent in the prompt text */
	memcpy(S->scratch, S->ctx, typed);
	memcpy(S->scratch + typed, text, len);
	return sqlpilot_next_word(S->scratch, typed + len, typed, true, &start, &end, key);
}

/*
 * The alternatives' decode budget: 3/4 of the statement's decode steps, at
 * least one per alternative.
 */
static long
alternatives_budget(long steps, int W)
{
	long		b = steps * 3 / 4;

	return b < W - 1 ? W - 1 : b;
}

/*
 * The rows all alternatives may decode, their words included: the rows of
 * a greedy statement plus one per alternative (they ride on its steps,
 * run_joint), or 3/4 of those of a statement of several beams, at least
 * one per alternative (they run after it, in steps of their own, where a
 * row costs what one of the statement's does: with one more each, a short
 * statement such as "order_id = 28;" made the list cost twice the
 * statement, bench/results/candidates_ab.md); so a list costs at most
 * about twice the statement alone.  No bound once the statement ended with
 * no text (nothing else to show).
 */
static long
alternatives_rows(long steps, int beams, int W, const char *statement)
{
	long		rows = steps * beams * 3 / 4;

	if (statement && statement[0] == '\0')
		return LONG_MAX;
	if (beams == 1)
		return steps + (W - 1);
	return rows < W - 1 ? W - 1 : rows;
}

/*
 * run_best_and_alternatives' two searches in one lockstep: each step decodes
 * the greedy completion's row and the alternatives' rows together, so the
 * alternatives ride on the greedy one's steps instead of a second pass.
 * The results are those of the two searches one after the other: an
 * alternatives' step waits (is proposed again later) while it needs what
 * the greedy one has not decided yet: its next word (once an alternative
 * finishes a word) or its length (once their budget would run out within
 * 3/4 of the steps it has taken so far).  spine holds room for the greedy
 * one's ids; alt[0] holds a copy of s.  Returns as run_best_and_alternatives.
 */
static int
run_joint(Search *S, SqlpilotRunState *s, SqlpilotRunState **alt, int *spine, int utf8_start,
		  SqlpilotCompletion *out, int max_out, char *err, size_t errlen)
{
	int			W = S->W;
	Search		SG = *S;
	Search		SA = *S;
	SearchRun	G,
				A;
	long		computed = s->n_computed;
	long		spent = 0;		/* budget steps the alternatives' committed steps took */
	long		alt_rows = 0;	/* rows they took (alternatives_rows) */
	char		key[SQLPILOT_WORD_KEY_MAX];
	SqlpilotRunState **rows = malloc(sizeof(SqlpilotRunState *) * (size_t) W);
	int		   *ids = malloc(sizeof(int) * (size_t) W);
	bool	   *failed = malloc(sizeof(bool) * (size_t) W);
	bool		g_known = false;
	int			n = 0,
				rc = 0;

	SG.W = 1;
	SG.spine = NULL;
	SA.W = W - 1;
	SA.clause_stop = true;
	SA.spine = spine;
	SA.spine_n = 0;
	SA.exclude_key = NULL;
	SA.exclude_pending = true;
	SA.budget_final = false;
	if (!rows || !ids || !failed)
	{
		free(rows);
		free(ids);
		free(failed);
		snprintf(err, errlen, "out of memory for %d beams", W);
		return -1;
	}
	if (run_open(&G, &SG, &s, utf8_start, err, errlen) != 0)
	{
		free(rows);
		free(ids);
		free(failed);
		return -1;
	}
	if (run_open(&A, &SA, alt, utf8_start, err, errlen) != 0)
	{
		run_close(&G);
		free(rows);
		free(ids);
		free(failed);
		return -1;
	}
	A.over = max_out < 2;		/* no room for alternatives: none run */
	for (;;)
	{
		bool		g_step = false,
					a_step = false;
		int			nrows = 0;

		if (!G.over)
		{
			rc = run_propose(&G);
			if (rc == -2)
				break;
			g_step = rc == 0;
			rc = 0;
		}
		if (G.over && !g_known)
		{
			/* the greedy one ended: its text, next word and length are known */
			g_known = true;
			n = run_results(&G, out, 1, err, errlen);
			if (n < 0)
			{
				rc = -1;
				break;
			}
			A.over = A.over || n == 0 || max_out < 2;
			if (n > 0 && SA.exclude_pending)
				SA.exclude_key = text_word_key(&SA, out[0].text, key) ? key : NULL;
			SA.exclude_pending = false;
			SA.decode_budget = alternatives_budget(s->n_computed - computed, W) - spent;
			SA.row_budget = alternatives_rows(s->n_computed - computed, 1, W,
											  n > 0 ? out[0].text : "") - alt_rows;
			SA.budget_final = true;
		}
		if (g_step)
		{
			run_claim(&G);
			if (G.ncand > 0)
			{
				/* its path so far, and its next word once finished */
				memcpy(spine, G.next[0].ids, sizeof(int) * (size_t) G.next[0].n);
				SA.spine_n = G.next[0].n;
				if (SA.exclude_pending && G.next[0].keyed)
				{
					memcpy(key, G.next[0].key, SQLPILOT_WORD_KEY_MAX);
					SA.exclude_key = key;
					SA.exclude_pending = false;
				}
			}
		}
		if (!A.over)
		{
			long		budget,
						row_budget;

			if (!SA.budget_final)
			{
				SA.decode_budget = alternatives_budget(s->n_computed - computed, W) - spent;
				SA.row_budget = alternatives_rows(s->n_computed - computed, 1, W, NULL) - alt_rows;
			}
			budget = SA.decode_budget;
			row_budget = SA.row_budget;
			SA.budget_hit = false;
			SA.exclude_needed = false;
			rc = run_propose(&A);
			if (rc == -2)
				break;
			if (rc == 0 && ((SA.exclude_pending && SA.exclude_needed) ||
							(!SA.budget_final && SA.budget_hit)))
			{
				SA.decode_budget = budget;	/* wait for the greedy one */
				SA.row_budget = row_budget;
			}
			else if (rc == 0)
			{
				a_step = true;
				spent += budget - SA.decode_budget;
				alt_rows += row_budget - SA.row_budget;
				run_claim(&A);
			}
			rc = 0;
		}
		if (!g_step && !a_step)
			break;
		for (int j = 0; g_step && j < G.nstep; j++)
		{
			rows[nrows] = G.step_rows[j];
			ids[nrows++] = G.step_ids[j];
		}
		for (int j = 0; a_step && j < A.nstep; j++)
		{
			rows[nrows] = A.step_rows[j];
			ids[nrows++] = A.step_ids[j];
		}
		decode_rows(rows, ids, nrows, false, failed);
		if (g_step)
			run_commit(&G, failed);
		if (a_step)
			run_commit(&A, failed + (g_step ? G.nstep : 0));
	}
	if (rc == 0 && g_known && n > 0 && max_out > 1)
	{
		int			na = run_results(&A, out + 1, max_out - 1, err, errlen);

		if (na < 0)
			rc = -1;
		for (int i = 0; i < na; i++)
		{
			/* (only an empty one can repeat the best: their next words differ) */
			if (strcmp(out[1 + i].text, out[0].text) == 0)
				free(out[1 + i].text);
			else
				out[n++] = out[1 + i];
		}
	}
	if (rc < 0 && g_known)
		sqlpilot_completion_free(out, n);
	run_close(&G);
	run_close(&A);
	free(rows);
	free(ids);
	free(failed);
	return rc < 0 ? rc : n;
}

/*
 * Short alternatives (SqlpilotCompleteOptions.short_alternatives): the
 * statement to its end in s and B - 1 spares (B its plain beams: exactly
 * what SQLPILOT_BEAM_WIDTH_STATEMENT gives), then W - 1 alternatives from
 * the same prompt state (copied into the next spare before the statement
 * runs): the W - 1 best first new tokens (past the typed text) other than
 * the statement's, branching until each next word is finished, then
 * continued greedily until its next clause is decided; one per next word,
 * none with the statement's.  Past their next words they decode together
 * at most 3/4 of the statement's steps (one cut short offers its word
 * only), in all at most alternatives_rows rows; beside a greedy statement
 * all in lockstep (one multi-row step per token).  Returns the count, the
 * statement first; -1 or -2 as run_search.
 */
static int
run_best_and_alternatives(Search *S, SqlpilotRunState *s, int utf8_start,
						  SqlpilotCompletion *out, int max_out, char *err, size_t errlen)
{
	const SqlpilotCompleteOptions *o = S->o;
	SqlpilotCompleteOptions plain = *o;
	int			W = S->W;
	int			B = o->statement_beams > 0 ? o->statement_beams :
		sqlpilot_complete_statement_beams(s->config);
	SqlpilotRunState **stmt = search_slots(s, true, B, err, errlen);
	SqlpilotRunState **alt = calloc((size_t) W, sizeof(SqlpilotRunState *));
	char		key[SQLPILOT_WORD_KEY_MAX];
	long		rows = 0;
	int		   *spine = malloc(sizeof(int) * (size_t) (S->o->max_tokens + (int) S->pending_len + 1));
	int			n,
				rc;

	/* the alternatives' run states: the spares after the statement's */
	for (int i = 0; alt && stmt && i < W - 1; i++)
		if (!(alt[i] = sqlpilot_runstate_spare(s, B - 1 + i, err, errlen)))
		{
			free(alt);
			alt = NULL;
		}
	if (!stmt || !alt || !spine)
	{
		snprintf(err, errlen, "out of memory for %d beams", W + B - 1);
		free(stmt);
		free(alt);
		free(spine);
		return -1;
	}
	S->spine = spine;
	sqlpilot_infer_copy(alt[0], s);
	if (B == 1 && !o->one_row_steps)
	{
		n = run_joint(S, s, alt, spine, utf8_start, out, max_out, err, errlen);
		S->spine = NULL;
		free(spine);
		free(stmt);
		free(alt);
		return n;
	}
	/* the statement as sqlpilot_complete() decodes it: B plain beams (B 1: greedy) */
	for (int i = 0; i < B; i++)
		rows -= stmt[i]->n_computed;
	S->W = B;
	plain.distinct = B == 1 && o->distinct;
	S->o = &plain;
	n = run_search(S, stmt, utf8_start, out, 1, err, errlen);
	S->o = o;
	for (int i = 0; i < B; i++)
		rows += stmt[i]->n_computed;
	if (n > 0 && max_out > 1)
	{
		S->decode_budget = alternatives_budget(rows / B, W);
		S->row_budget = alternatives_rows(rows / B, B, W, out[0].text);
		S->W = W - 1;
		S->exclude_key = text_word_key(S, out[0].text, key) ? key : NULL;
		S->clause_stop = true;
		rc = run_search(S, alt, utf8_start, out + 1, max_out - 1, err, errlen);
		if (rc < 0)
		{
			sqlpilot_completion_free(out, n);
			n = rc;
		}
		for (int i = 0; i < rc; i++)
		{
			/* (only an empty one can repeat the best: their next words differ) */
			if (strcmp(out[1 + i].text, out[0].text) == 0)
				free(out[1 + i].text);
			else
				out[n++] = out[1 + i];
		}
		S->exclude_key = NULL;
		S->clause_stop = false;
	}
	S->W = W;
	S->spine = NULL;
	free(spine);
	free(stmt);
	free(alt);
	return n;
}

/*
 * Where the partial word the prefix ends inside starts (text_len when it ends
 * between words): an identifier, number, parameter or quoted name as
 * core/sql_lex.c reads the statement from stmt_off.
 */
static size_t
partial_word_start(const char *text, size_t text_len, size_t stmt_off)
{
	SqlpilotLex lx;

	sqlpilot_lex_init(&lx, stmt_off, NULL, NULL);
	sqlpilot_lex_feed(&lx, text + stmt_off, text_len - stmt_off);
	switch (sqlpilot_lex_in(&lx))
	{
		case SQLPILOT_IN_IDENT:
		case SQLPILOT_IN_QIDENT:
		case SQLPILOT_IN_NUMBER:
		case SQLPILOT_IN_PARAM:
			return sqlpilot_lex_pending_start(&lx);
		default:
			return text_len;
	}
}

/* Backs off the partial word of a tokenized prompt, feeds the cache, runs the search. */
int
sqlpilot_complete_ids(SqlpilotRunState *s, const SqlpilotTokenizer *tok,
					  const char *schema, size_t schema_len,
					  const char *prefix, size_t prefix_len,
					  const int *ids, size_t n,
					  const SqlpilotCompleteOptions *o,
					  SqlpilotCompletion *out, int max_out,
					  char *err, size_t errlen)
{
	const SqlpilotConfig *c = s->config;
	size_t		text_len = 0;
	char	   *text;
	size_t		word_start,
				stmt_off,
				keep_end;
	int			keep,
				maxlen = 0;
	Search		S;
	SqlpilotGroundSchema *gs = NULL;
	SqlpilotGround *g0 = NULL;
	SqlpilotCompleteOptions statement;
	int			rc;

	if (max_out <= 0)
		return 0;
	if (o->beam_width == SQLPILOT_BEAM_WIDTH_STATEMENT)
	{
		/* the whole statement: the model's beams, plain (the best is the text shown) */
		statement = *o;
		statement.beam_width = o->top_k > 0 ? 1 : sqlpilot_complete_statement_beams(c);
		statement.distinct = false;
		o = &statement;
	}
	if (o->beam_width < 1 || o->max_tokens < 0)
	{
		snprintf(err, errlen, "invalid options: beam_width %d, max_tokens %d",
				 o->beam_width, o->max_tokens);
		return -1;
	}
	if (tok->vocab_size != c->vocab_size)
	{
		snprintf(err, errlen, "tokenizer vocab_size %d does not match the model's %d",
				 tok->vocab_size, c->vocab_size);
		return -1;
	}
	if (n == 0)
	{
		snprintf(err, errlen, "cannot tokenize the prompt");
		return -1;
	}
	if (n >= (size_t) c->seq_len)
	{
		snprintf(err, errlen, "prompt of %zu tokens does not fit the model's context of %d tokens",
				 n, c->seq_len);
		return -1;
	}
	text = sqlpilot_prompt_text(schema, schema_len, prefix, prefix_len, &text_len);
	if (!text)
	{
		snprintf(err, errlen, "out of memory");
		return -1;
	}

	/*
	 * Back off over the trailing partial word, and always over the last
	 * token, but never into the format's text: the model always saw its
	 * tokens whole (nothing typed: its "\n\n" stays).
	 */
	stmt_off = text_len - prefix_len;
	word_start = partial_word_start(text, text_len, stmt_off);
	keep = (int) n;
	keep_end = text_len;
	while (keep > 1)
	{
		size_t		tl = (size_t) tok->token_len[ids[keep - 1]];

		if (keep_end <= stmt_off || (keep < (int) n && keep_end <= word_start))
			break;
		keep--;
		keep_end -= tl;
	}

	memset(&S, 0, sizeof(S));
	S.tok = tok;
	S.o = o;
	S.pending = text + keep_end;
	S.pending_len = text_len - keep_end;
	S.V = c->vocab_size;
	S.W = o->beam_width;
	S.rng = o->seed;
	for (int t = 0; t < S.V; t++)
		if (tok->token_len[t] > maxlen)
			maxlen = tok->token_len[t];
	S.byte_cap = (size_t) o->max_tokens * (size_t) maxlen + S.pending_len;
	S.ctx = text + (stmt_off < keep_end ? stmt_off : keep_end);
	S.ctx_len = (size_t) (text + keep_end - S.ctx);
	S.scratch = malloc(S.ctx_len + S.byte_cap + 1);
	S.logprob = malloc(sizeof(float) * (size_t) S.V);
	S.weight = malloc(sizeof(double) * (size_t) S.V);
	S.ranked = malloc(sizeof(Candidate) * (size_t) S.V);
	if (o->grounding)
	{
		/* the schema's names, and the scope of the typed statement up to the backed-off bytes */
		gs = sqlpilot_ground_schema_parse(schema, schema_len);
		g0 = malloc(sizeof(SqlpilotGround));
		if (gs && g0)
		{
			sqlpilot_ground_init(g0, gs, prefix_len);
			if (keep_end > stmt_off)
				sqlpilot_ground_feed(g0, text + stmt_off, keep_end - stmt_off);
			S.ground0 = g0;
			S.ground_skip = stmt_off > keep_end ? stmt_off - keep_end : 0;
		}
	}
	if (!S.logprob || !S.weight || !S.ranked || !S.scratch || (o->grounding && !S.ground0))
	{
		snprintf(err, errlen, "out of memory");
		free(S.scratch);
		free(S.logprob);
		free(S.weight);
		free(S.ranked);
		free(g0);
		sqlpilot_ground_schema_free(gs);
		free(text);
		return -1;
	}
	rc = sqlpilot_infer_feed_interruptible(s, ids, keep, o->should_stop, o->should_stop_arg);
	if (rc == -1)
		snprintf(err, errlen, "cannot run the prompt through the model");
	else if (rc >= 0 && o->short_alternatives && o->distinct && o->top_k <= 0 && S.W > 1)
		rc = run_best_and_alternatives(&S, s, utf8_scan_lenient(text, keep_end), out, max_out,
									   err, errlen);
	else if (rc >= 0)
	{
		SqlpilotRunState **slots = search_slots(s, true, S.W, err, errlen);

		rc = slots ? run_search(&S, slots, utf8_scan_lenient(text, keep_end), out, max_out,
								err, errlen) : -1;
		free(slots);
	}
	free(S.scratch);
	free(S.logprob);
	free(S.weight);
	free(S.ranked);
	free(g0);
	sqlpilot_ground_schema_free(gs);
	free(text);
	return rc;
}

/* Tokenizes the prompt of schema and prefix, then completes it (sqlpilot_complete_ids). */
int
sqlpilot_complete(SqlpilotRunState *s, const SqlpilotTokenizer *tok,
				  const char *schema, size_t schema_len,
				  const char *prefix, size_t prefix_len,
				  const SqlpilotCompleteOptions *o,
				  SqlpilotCompletion *out, int max_out,
				  char *err, size_t errlen)
{
	size_t		cap = strlen(SQLPILOT_PROMPT_HEAD) + schema_len +
		strlen(SQLPILOT_PROMPT_MID) + prefix_len + 2;
	int		   *ids;
	size_t		n;
	int			rc;

	if (max_out <= 0)
		return 0;
	ids = malloc(sizeof(int) * cap);
	if (!ids)
	{
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	n = sqlpilot_prompt_encode(tok, schema, schema_len, prefix, prefix_len, false,
							   ids, cap, NULL, NULL);
	if (n > cap)
		n = 0;
	rc = sqlpilot_complete_ids(s, tok, schema, schema_len, prefix, prefix_len, ids, n,
							   o, out, max_out, err, errlen);
	free(ids);
	return rc;
}

/* Frees the texts of n completions. */
void
sqlpilot_completion_free(SqlpilotCompletion *c, int n)
{
	for (int i = 0; i < n; i++)
	{
		free(c[i].text);
		c[i].text = NULL;
	}
}
