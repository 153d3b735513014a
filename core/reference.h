/*
 * reference.h — the model in one screen of plain C: a LLaMA forward pass
 * one token at a time, with plain loops and its own k/v cache.  It is the
 * readable description of what the model computes, and the numerical
 * reference the fast paths (core/layers.c, core/infer.c) are tested against
 * (tests/test_infer.c) and measured beside (bench/bench_decode.c).  Nothing
 * in the product runs it.
 */
#ifndef SQLPILOT_REFERENCE_H
#define SQLPILOT_REFERENCE_H

#include "model.h"

typedef struct SqlpilotReferenceRun
{
	const SqlpilotConfig *c;
	const SqlpilotWeights *w;	/* fp32 weights */
	float	   *x,				/* the residual stream (dim) */
			   *xb,				/* scratch (max(dim, hidden_dim)) */
			   *q,
			   *att,			/* one head's attention weights (seq_len) */
			   *h1,
			   *h3,
			   *kc,				/* k cache (n_layers, seq_len, kv_dim) */
			   *vc,				/* v cache, same shape */
			   *logits;			/* next-token logits (vocab_size) */
} SqlpilotReferenceRun;

/* Allocates the buffers and caches for c; 0, or -1 when out of memory. */
int			sqlpilot_reference_init(SqlpilotReferenceRun *r, const SqlpilotConfig *c,
									const SqlpilotWeights *w);
void		sqlpilot_reference_free(SqlpilotReferenceRun *r);

/* Runs token at position pos (after positions 0..pos-1); leaves the logits in r->logits. */
void		sqlpilot_reference_forward(SqlpilotReferenceRun *r, int token, int pos);

#endif							/* SQLPILOT_REFERENCE_H */
