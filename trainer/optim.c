/*
 * optim.c — AdamW with decoupled weight decay, the learning-rate schedule
 * (linear warmup, then cosine or linear decay to min_lr) and global
 * gradient-norm clipping.  Parameters, gradients and the two moments share
 * the canonical layout of model.h, so each is one flat loop.
 */
#include "train.h"

#include <math.h>
#include <string.h>

#include "gemm.h"

/* Learning rate of step (0-based): warmup, then decay over the remaining steps. */
float
trainer_lr_at(const TrainerOptim *o, long step)
{
	double		frac;

	if (o->warmup > 0 && step < o->warmup)
		return o->lr * (float) (step + 1) / (float) o->warmup;
	if (o->steps <= o->warmup)
		return o->lr;
	frac = (double) (step - o->warmup) / (double) (o->steps - o->warmup);
	if (frac > 1.0)
		frac = 1.0;
	if (o->linear)
		return (float) (o->lr + (o->min_lr - o->lr) * frac);
	return (float) (o->min_lr + 0.5 * (o->lr - o->min_lr) * (1.0 + cos(M_PI * frac)));
}

/* Global L2 norm in double; scales grads down to clip when above it. */
float
trainer_clip_grads(float *grads, size_t n, float clip)
{
	double		ss = 0.0;
	double		norm;

	for (size_t i = 0; i < n; i++)
		ss += (double) grads[i] * grads[i];
	norm = sqrt(ss);
	if (clip > 0.0f && norm > clip)
	{
		float		s = (float) (clip / norm);

		for (size_t i = 0; i < n; i++)
			grads[i] *= s;
	}
	return (float) norm;
}

/*
 * One AdamW update of n parameters (bias corrections c1, c2 and the decay
 * step wd already worked out), split in two fixed halves for
 * sqlpilot_run_halves: each parameter is updated alone, so the halves give
 * the results of one thread.
 */
typedef struct AdamwCall
{
	const TrainerOptim *o;
	float	   *params;
	const float *grads;
	float	   *m;
	float	   *v;
	const uint8_t *decay;
	size_t		n;
	float		lr;
	float		c1;
	float		c2;
	float		wd;
} AdamwCall;

/* The update of parameters of half 0 or 1 of call a. */
static void
adamw_half(void *arg, int half)
{
	const AdamwCall *a = arg;
	float		b1 = a->o->beta1;
	float		b2 = a->o->beta2;
	size_t		i0 = half ? a->n / 2 : 0;
	size_t		i1 = half ? a->n : a->n / 2;

	for (size_t i = i0; i < i1; i++)
	{
		float		g = a->grads[i];
		float		mi = b1 * a->m[i] + (1.0f - b1) * g;
		float		vi = b2 * a->v[i] + (1.0f - b2) * g * g;

		a->m[i] = mi;
		a->v[i] = vi;
		a->params[i] -= a->lr * (mi * a->c1) / (sqrtf(vi * a->c2) + a->o->eps) +
			(a->decay[i] ? a->wd * a->params[i] : 0.0f);
	}
}

/* AdamW (Loshchilov & Hutter): bias-corrected moments, decay applied to the weight. */
void
trainer_adamw(const TrainerOptim *o, float *params, const float *grads,
			  float *m, float *v, const uint8_t *decay, size_t n, float lr, long t)
{
	AdamwCall	a = {o, params, grads, m, v, decay, n, lr,
		1.0f / (1.0f - powf(o->beta1, (float) t)),
		1.0f / (1.0f - powf(o->beta2, (float) t)),
	lr * o->weight_decay};

	sqlpilot_run_halves(adamw_half, &a, (double) n);
}

/* Marks the 2-D weights (embedding, projections, head) for decay; norms are not decayed. */
void
trainer_decay_mask(uint8_t *decay, const SqlpilotConfig *c, const SqlpilotWeights *w,
				   const float *base)
{
	size_t		C = c->dim;
	size_t		L = c->n_layers;

	memset(decay, 1, sqlpilot_param_count(c));
	memset(decay + (w->rms_att - base), 0, L * C);
	memset(decay + (w->rms_ffn - base), 0, L * C);
	memset(decay + (w->rms_final - base), 0, C);
}
