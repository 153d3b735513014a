/*
 * optim.c — AdamW with decoupled weight decay, the learning-rate schedule
 * (linear warmup, then cosine or linear decay to min_lr) and global
 * gradient-norm clipping.  Parameters, gradients and the two moments share
 * the canonical layout of model.h, so each is one flat loop.
 */
#include "train.h"

#include <math.h>
#include <string.h>

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

/* AdamW (Loshchilov & Hutter): bias-corrected moments, decay applied to the weight. */
void
trainer_adamw(const TrainerOptim *o, float *params, const float *grads,
			  float *m, float *v, const uint8_t *decay, size_t n, float lr, long t)
{
	float		b1 = o->beta1;
	float		b2 = o->beta2;
	float		c1 = 1.0f / (1.0f - powf(b1, (float) t));
	float		c2 = 1.0f / (1.0f - powf(b2, (float) t));
	float		wd = lr * o->weight_decay;

	for (size_t i = 0; i < n; i++)
	{
		float		g = grads[i];
		float		mi = b1 * m[i] + (1.0f - b1) * g;
		float		vi = b2 * v[i] + (1.0f - b2) * g * g;

		m[i] = mi;
		v[i] = vi;
		params[i] -= lr * (mi * c1) / (sqrtf(vi * c2) + o->eps) + (decay[i] ? wd * params[i] : 0.0f);
	}
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
