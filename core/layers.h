/*
 * layers.h — the LLaMA layer kernels, forward and backward side by side.
 *
 * This is the one forward pass of SQLPilot: inference (core/infer.c, used by the
 * extension, the psql hook and the tools) and training (trainer/) both run a
 * transformer block through sqlpilot_block_forward(); training adds
 * sqlpilot_block_backward() (schema-packed training calls their phases,
 * below, to run attention per segment).  Shapes: N rows (tokens), C = dim, H = hidden_dim,
 * NH = n_heads, NKV = n_kv_heads, HS = C / NH.  All matrices are row-major fp32;
 * a weight W of a linear layer is (OC, C) and y = x @ W^T.
 *
 * Rows are organised as B sequences of T tokens (inference: B = 1).  Each
 * sequence has its own k/v buffer of kv_stride rows; row t of sequence b is
 * written at k/v row kv_offset + t and attends to k/v rows
 * [kstart[b*T+t], kv_offset + t] of its own sequence.  kstart lets several
 * training examples packed into one sequence not attend to each other;
 * kv_offset > 0 is a cached prefix (inference only, B == 1).
 *
 * RoPE rotates interleaved pairs (x[2i], x[2i+1]) of each head, as Meta's
 * original LLaMA and llama2.c do, with frequency theta^(-2i/HS).
 */
#ifndef SQLPILOT_LAYERS_H
#define SQLPILOT_LAYERS_H

#include <stddef.h>

#include "model.h"

typedef struct SqlpilotRowLayout
{
	int			B;				/* sequences */
	int			T;				/* rows per sequence */
	int			kv_offset;		/* cached k/v rows before these rows */
	int			kv_stride;		/* k/v rows allocated per sequence, >= kv_offset + T */
	const int  *pos;			/* (B*T) RoPE position of each row */
	const int  *kstart;			/* (B*T) first visible k/v row, per sequence; NULL = 0 */
} SqlpilotRowLayout;

/*
 * Activations of one block for N = B*T rows.  Training keeps one set per
 * layer for the backward pass; inference reuses one set for every layer.
 * att is (B, NH, T, kv_stride): probabilities after softmax (row t of a head
 * uses columns kstart..kv_offset+t; the rest is not read), or for small
 * heads (layers.c) only each row's log-sum-exp, in its first B*NH*T floats.
 */
typedef struct SqlpilotBlockActs
{
	float	   *ln1;			/* (N, C) attention rmsnorm output */
	float	   *ln1_rstd;		/* (N) */
	float	   *q;				/* (N, NH*HS) queries after RoPE */
	float	   *att;			/* (B, NH, T, kv_stride) attention probabilities */
	float	   *atty;			/* (N, NH*HS) attention output, before wo */
	float	   *res1;			/* (N, C) x + atty @ wo^T */
	float	   *ln2;			/* (N, C) ffn rmsnorm output */
	float	   *ln2_rstd;		/* (N) */
	float	   *gate;			/* (N, H) ln2 @ w1^T */
	float	   *up;				/* (N, H) ln2 @ w3^T */
	float	   *act;			/* (N, H) silu(gate) * up */
} SqlpilotBlockActs;

/*
 * Matrices held as halves are read by sqlpilot_matvec_f16_rows for up
 * to this many rows, and go through sqlpilot_gemm_f16 past it; float
 * matrices use sqlpilot_gemm from 2 rows on.
 */
#define SQLPILOT_HALF_MATVEC_MAX_ROWS 32

/* out (N,OC) = inp (N,C) @ weight(OC,C)^T, through sqlpilot_gemm (sqlpilot_matvec when N == 1). */
void		sqlpilot_matmul_forward(float *out, const float *inp, const float *weight,
									int N, int C, int OC);
/* Accumulates (+=) dinp (N,C) and dweight (OC,C); either may be NULL to skip it. */
void		sqlpilot_matmul_backward(float *dinp, float *dweight, const float *dout,
									 const float *inp, const float *weight,
									 int N, int C, int OC);

/* out = inp / rms(inp) * weight per row; rstd (N) saved for backward (may be NULL). */
void		sqlpilot_rmsnorm_forward(float *out, float *rstd, const float *inp,
									 const float *weight, int N, int C, float eps);
/* Accumulates (+=) dinp and dweight. */
void		sqlpilot_rmsnorm_backward(float *dinp, float *dweight, const float *dout,
									  const float *inp, const float *weight,
									  const float *rstd, int N, int C);

/* Rotates x (N, nheads, HS) in place by each row's position. */
void		sqlpilot_rope_forward(float *x, const int *pos, int N, int nheads, int HS,
								  float theta);
/* The inverse rotation, applied in place to the gradient dx. */
void		sqlpilot_rope_backward(float *dx, const int *pos, int N, int nheads, int HS,
								   float theta);

/* out = silu(gate) * up, elementwise over n values. */
void		sqlpilot_swiglu_forward(float *out, const float *gate, const float *up, size_t n);
/* Writes (=) dgate and dup. */
void		sqlpilot_swiglu_backward(float *dgate, float *dup, const float *dout,
									 const float *gate, const float *up, size_t n);

/*
 * Causal grouped-query attention: q (N, NH*HS), k/v buffers (B, kv_stride,
 * NKV*HS) already holding rows up to kv_offset+T-1; writes out (N, NH*HS) and
 * the probabilities att.  Query head h reads kv head h / (NH / NKV).
 */
void		sqlpilot_attention_forward(float *out, float *att, const float *q,
									   const float *k, const float *v,
									   const SqlpilotRowLayout *rl,
									   int NH, int NKV, int HS);
/*
 * Floats of att that sqlpilot_attention_forward uses for B sequences of T
 * rows with kv_stride S: B*NH*T*S, or B*NH*T for small heads.
 */
size_t		sqlpilot_attention_att_floats(int B, int T, int S, int NH, int HS);
/*
 * Accumulates (+=) dq, dk, dv (dk/dv shaped like the k/v buffers); out is
 * what sqlpilot_attention_forward wrote.
 */
void		sqlpilot_attention_backward(float *dq, float *dk, float *dv,
										const float *dout, const float *out,
										const float *att,
										const float *q, const float *k, const float *v,
										const SqlpilotRowLayout *rl,
										int NH, int NKV, int HS);

/*
 * One transformer block: out = x + attn(rmsnorm(x)) then + ffn(rmsnorm(.)).
 * Writes this block's k (after RoPE) and v for the new rows into kbuf/vbuf
 * (B, kv_stride, NKV*HS).  out may equal x.  Matrices given as halves (w's
 * *_half) run through sqlpilot_matvec_f16 for up to
 * SQLPILOT_HALF_MATVEC_MAX_ROWS rows, else through sqlpilot_gemm_f16.
 *
 * It runs in three phases a caller may also run itself: the row-wise
 * phases over all its rows at once, attention over pieces of them with
 * layouts of their own (the trainer's schema-packed step):
 *   sqlpilot_block_qkv_forward   rmsnorm, q/k/v projections, RoPE
 *   sqlpilot_attention_forward   attention (the only phase that needs rl's sequences)
 *   sqlpilot_block_ffn_forward   wo, residual, rmsnorm, SwiGLU FFN, residual
 */
void		sqlpilot_block_forward(const SqlpilotConfig *c, const SqlpilotLayerWeights *w,
								   const SqlpilotRowLayout *rl, const float *x, float *out,
								   float *kbuf, float *vbuf, SqlpilotBlockActs *a);
/*
 * Backward of sqlpilot_block_forward given its saved acts, input x and k/v:
 * writes dx (=, not overlapping dout), accumulates (+=) the weight gradients
 * in dw.  scratch must hold sqlpilot_block_scratch_floats(c, rl) floats.
 * Its phases, in reverse: sqlpilot_block_ffn_backward,
 * sqlpilot_attention_backward, sqlpilot_block_qkv_backward.
 */
void		sqlpilot_block_backward(const SqlpilotConfig *c, const SqlpilotLayerWeights *w,
									SqlpilotLayerWeights *dw, const SqlpilotRowLayout *rl,
									const float *x, const float *kbuf, const float *vbuf,
									const SqlpilotBlockActs *a, const float *dout,
									float *dx, float *scratch);
size_t		sqlpilot_block_scratch_floats(const SqlpilotConfig *c, const SqlpilotRowLayout *rl);

/*
 * Gradients of one block's activations during its backward, carved from the
 * scratch (sqlpilot_block_grads_map): dln (N,C), datty (N,QD), dq (N,QD),
 * dk and dv shaped like the k/v buffers (B, kv_stride, KVD), dact, dgate,
 * dup (N,H).
 */
typedef struct SqlpilotBlockGrads
{
	float	   *dln;			/* d of ln1 or ln2 (reused) */
	float	   *datty;			/* d attention output */
	float	   *dq;				/* d q: after RoPE, then before it */
	float	   *dk;				/* d k: after RoPE, then before it */
	float	   *dv;
	float	   *dact;			/* d silu(gate) * up */
	float	   *dgate;
	float	   *dup;
} SqlpilotBlockGrads;

/* Points g into scratch (sqlpilot_block_scratch_floats(c, rl) floats). */
void		sqlpilot_block_grads_map(SqlpilotBlockGrads *g, const SqlpilotConfig *c,
									 const SqlpilotRowLayout *rl, float *scratch);

/*
 * Phase 1 of a block over the rows of rl: a->ln1, a->ln1_rstd, a->q (after
 * RoPE) and the new rows' k (after RoPE) and v into kbuf/vbuf.
 */
void		sqlpilot_block_qkv_forward(const SqlpilotConfig *c, const SqlpilotLayerWeights *w,
									   const SqlpilotRowLayout *rl, const float *x,
									   float *kbuf, float *vbuf, SqlpilotBlockActs *a);
/*
 * Its backward: g->dq and g->dk/dv (B, kv_stride, KVD) as attention left
 * them are rotated back in place and sent through wq, wk, wv and the
 * rmsnorm into dx (+=); weight gradients (+=) in dw.
 */
void		sqlpilot_block_qkv_backward(const SqlpilotConfig *c, const SqlpilotLayerWeights *w,
										SqlpilotLayerWeights *dw, const SqlpilotRowLayout *rl,
										const float *x, const SqlpilotBlockActs *a,
										SqlpilotBlockGrads *g, float *dx);

/*
 * Phase 3 of a block over N rows, after attention wrote a->atty:
 * a->res1 = x + atty @ wo^T, a->ln2, gate, up, act and out = res1 + act @ w2^T.
 */
void		sqlpilot_block_ffn_forward(const SqlpilotConfig *c, const SqlpilotLayerWeights *w,
									   int N, const float *x, float *out, SqlpilotBlockActs *a);
/*
 * Its backward: writes dx (=) the gradient reaching res1 (x's share through
 * the residual) and g->datty (=); weight gradients (+=) in dw; uses g's
 * dln, dact, dgate, dup.  dx must not overlap dout.
 */
void		sqlpilot_block_ffn_backward(const SqlpilotConfig *c, const SqlpilotLayerWeights *w,
										SqlpilotLayerWeights *dw, int N,
										const SqlpilotBlockActs *a, const float *dout,
										float *dx, SqlpilotBlockGrads *g);

/*
 * p[j] = exp(p[j] - mx) for j in [0, n), 16 lanes at a time (the attention
 * softmax's exponentials); returns their sum.  The same p and n give the
 * same bits wherever it is called from.
 */
float		sqlpilot_exp_shift_sum(float *p, int n, float mx);

#endif							/* SQLPILOT_LAYERS_H */
