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
 *    typed text, at the token budget or when the context is full.  Beams
 *    live in W run states: slot 0 is the caller's, the others are its spare
 *    states (infer.h), kept between calls; forks copy the k/v rows past the
 *    prefix both states already share.
 * 4. The result is the generated text past the typed prefix.
 *
 * A prompt that does not fit the context (with room for one new token) is an
 * error: the caller (eval, the extension) drops tables to make it fit.
 */
#include "complete.h"
#include "sql_lex.h"

#include <math.h>
#include <stdio.h>
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
	uint64_t	rng;
} Search;

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

/* Defaults: greedy, 64 tokens, stop at ';', seed 0, grounded. */
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
		return b->nbytes >= S->pending_len;
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
 * Candidates from beam bi: the W best allowed tokens, or with top_k one
 * token sampled (seeded) from the top_k allowed ones at the temperature.
 */
static void
beam_candidates(Search *S, const Beam *beams, int bi, const float *logits,
				Candidate *top, int *ntop, int cap)
{
	const Beam *b = &beams[bi];
	const SqlpilotCompleteOptions *o = S->o;
	int			k = o->top_k > 0 ? (o->top_k < S->V ? o->top_k : S->V) : S->W;
	Candidate  *best = malloc(sizeof(Candidate) * (size_t) k);
	int			nbest = 0;

	if (!best)
		return;
	sqlpilot_log_softmax(S->logprob, logits, S->V);
	for (int t = 0; t < S->V; t++)
	{
		Candidate	c;

		if (isnan(S->logprob[t]) || !token_allowed(S, b, t))
			continue;
		c.parent = bi;
		c.token = t;
		c.score = b->score + S->logprob[t];
		top_insert(best, &nbest, k, c);
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
 * Appends token t to beam b and decides whether it ends there (EOS, ';' past
 * the typed text, budget).  Returns 1 when the beam is finished.
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
}

/* Whether any kept result already has exactly this text. */
static int
seen_text(const SqlpilotCompletion *out, int n, const char *text, size_t len)
{
	for (int i = 0; i < n; i++)
		if (strlen(out[i].text) == len && memcmp(out[i].text, text, len) == 0)
			return 1;
	return 0;
}

/*
 * Runs the search from run state s (holding the kept prompt tokens and their
 * logits); writes up to max_out distinct completions.  Returns the count, -1
 * on allocation failure, -2 when should_stop fired.
 */
static int
run_search(Search *S, SqlpilotRunState *s, int utf8_start,
		   SqlpilotCompletion *out, int max_out, char *err, size_t errlen)
{
	const SqlpilotCompleteOptions *o = S->o;
	int			W = S->W;
	int			max_tokens = o->max_tokens;
	SqlpilotRunState **slots = calloc((size_t) W, sizeof(SqlpilotRunState *));
	int		   *slot_used = calloc((size_t) W, sizeof(int));
	int			max_ids = max_tokens + (int) S->pending_len;
	Beam	   *beams = beams_alloc(W, max_ids, S->byte_cap);
	Beam	   *next = beams_alloc(W, max_ids, S->byte_cap);
	Candidate  *cands = malloc(sizeof(Candidate) * (size_t) W);
	int			nbeams = 1;
	int			rc = 0;

	if (slots)
		slots[0] = s;
	if (!slots || !slot_used || !beams || !next || !cands)
	{
		snprintf(err, errlen, "out of memory for %d beams", W);
		rc = -1;
		goto done;
	}
	for (int i = 1; i < W; i++)
	{
		if (!(slots[i] = sqlpilot_runstate_spare(s, i - 1, err, errlen)))
		{
			rc = -1;
			goto done;
		}
	}
	beams[0].n = 0;
	beams[0].n_new = 0;
	beams[0].nbytes = 0;
	beams[0].score = 0.0;
	beams[0].utf8 = utf8_start;
	beams[0].done = max_tokens <= 0;
	beams[0].slot = 0;

	for (;;)
	{
		int			ncand = 0;
		int			live = 0;

		for (int i = 0; i < nbeams; i++)
			live += !beams[i].done;
		if (live == 0)
			break;
		if (o->should_stop && o->should_stop(o->should_stop_arg))
		{
			rc = -2;
			goto done;
		}

		/* Finished beams compete with their own score; live ones propose tokens. */
		for (int i = 0; i < nbeams; i++)
		{
			if (beams[i].done)
			{
				Candidate	c = {i, -1, beams[i].score};

				top_insert(cands, &ncand, W, c);
			}
			else
				beam_candidates(S, beams, i, slots[beams[i].slot]->logits, cands, &ncand, W);
		}

		/* Claim slots: the first child of a parent keeps its run state; others fork. */
		memset(slot_used, 0, sizeof(int) * (size_t) W);
		for (int i = 0; i < ncand; i++)
		{
			Beam	   *p = &beams[cands[i].parent];

			beam_copy(&next[i], p);
			next[i].slot = -1;
			if (cands[i].token < 0)
				continue;
			next[i].score = cands[i].score;
			if (!slot_used[p->slot])
			{
				slot_used[p->slot] = 1;
				next[i].slot = p->slot;
			}
		}
		for (int i = 0; i < ncand; i++)
		{
			int			free_slot = 0;

			if (cands[i].token < 0 || next[i].slot >= 0)
				continue;
			/* A slot no parent of this step kept: always exists, W >= children. */
			while (slot_used[free_slot])
				free_slot++;
			slot_used[free_slot] = 1;
			sqlpilot_infer_copy(slots[free_slot], slots[beams[cands[i].parent].slot]);
			next[i].slot = free_slot;
		}

		/* Extend; every beam that goes on runs one decode step in its slot. */
		for (int i = 0; i < ncand; i++)
		{
			if (cands[i].token < 0)
				continue;
			if (beam_extend(S, &next[i], cands[i].token) ||
				sqlpilot_infer_step(slots[next[i].slot], cands[i].token) != 0)
			{
				next[i].done = 1;
				next[i].slot = -1;
			}
		}
		{
			Beam	   *tmp = beams;

			beams = next;
			next = tmp;
		}
		nbeams = ncand;
		if (ncand == 0)
			break;
	}

	/* Results: text past the typed bytes, minus an unfinished UTF-8 tail; no duplicates. */
	for (int i = 0; i < nbeams && rc < max_out; i++)
	{
		Beam	   *b = &beams[i];
		size_t		start = b->nbytes < S->pending_len ? b->nbytes : S->pending_len;
		size_t		end = b->nbytes;
		int			state = utf8_start;
		size_t		boundary = 0;

		for (size_t j = 0; j < end; j++)
		{
			state = utf8_next(state, (unsigned char) b->bytes[j]);
			if (state < 0)
				state = 0;
			if (state == 0)
				boundary = j + 1;
		}
		end = boundary > start ? boundary : start;
		if (seen_text(out, rc, b->bytes + start, end - start))
			continue;
		out[rc].text = malloc(end - start + 1);
		if (!out[rc].text)
		{
			sqlpilot_completion_free(out, rc);
			snprintf(err, errlen, "out of memory");
			rc = -1;
			goto done;
		}
		memcpy(out[rc].text, b->bytes + start, end - start);
		out[rc].text[end - start] = '\0';
		out[rc].score = b->score;
		out[rc].n_tokens = b->n;
		rc++;
	}

done:
	free(slots);
	free(slot_used);
	if (beams)
		beams_free(beams, W);
	if (next)
		beams_free(next, W);
	free(cands);
	return rc;
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
	int			rc;

	if (max_out <= 0)
		return 0;
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

	/* Back off over the trailing partial word, and always over the last token. */
	stmt_off = text_len - prefix_len;
	word_start = partial_word_start(text, text_len, stmt_off);
	keep = (int) n;
	keep_end = text_len;
	while (keep > 1)
	{
		size_t		tl = (size_t) tok->token_len[ids[keep - 1]];

		if (keep < (int) n && keep_end <= word_start)
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
	S.logprob = malloc(sizeof(float) * (size_t) S.V);
	S.weight = malloc(sizeof(double) * (size_t) S.V);
	if (!S.logprob || !S.weight)
	{
		snprintf(err, errlen, "out of memory");
		free(S.logprob);
		free(S.weight);
		free(text);
		return -1;
	}
	rc = sqlpilot_infer_feed_interruptible(s, ids, keep, o->should_stop, o->should_stop_arg);
	if (rc == -1)
		snprintf(err, errlen, "cannot run the prompt through the model");
	else if (rc >= 0)
		rc = run_search(&S, s, utf8_scan_lenient(text, keep_end), out, max_out, err, errlen);
	free(S.logprob);
	free(S.weight);
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
