/*
 * loop.c — the training loop: batches from the loader, micro-batched forward
 * and backward (gradient accumulation), clipping, AdamW, the schedule; a
 * progress line, <run>/metrics.csv, <run>/loss.svg, validation every
 * eval_every steps and at the end, checkpoints every ckpt_every steps.
 *
 * With o->pack the loader fills each micro-batch with schema packs
 * (trainer_loader_fill) and the net runs them with trainer_net_step_packed:
 * the same loss per example, the schema computed once per pack.
 *
 * Everything a step depends on (weights, AdamW moments, step, data position)
 * is in the checkpoint and the computation is deterministic (serial BLAS, a
 * fixed reduction order), so a run killed at any moment and resumed repeats
 * the uninterrupted run's losses bit for bit.
 */
#include "train.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

#define METRICS_HEADER "step,loss,lr,grad_norm,tokens,tok_per_s,elapsed_s,val_loss,val_acc,stmt_tok_per_s\n"

/* Creates dir and its parents; returns 0 or -1 with err. */
int
trainer_make_dirs(const char *dir, char *err, size_t errlen)
{
	char		path[4096];

	snprintf(path, sizeof(path), "%s", dir);
	for (char *p = path + 1; *p; p++)
		if (*p == '/')
		{
			*p = '\0';
			if (mkdir(path, 0755) != 0 && errno != EEXIST)
				break;
			*p = '/';
		}
	if (mkdir(path, 0755) != 0 && errno != EEXIST)
	{
		snprintf(err, errlen, "cannot create \"%s\": %s", dir, strerror(errno));
		return -1;
	}
	return 0;
}

/* Keeps the header and the rows of metrics.csv up to step (a resumed run rewrites the rest). */
static void
metrics_truncate(const char *path, long step)
{
	char		err[256];
	size_t		len;
	char	   *buf = sqlpilot_read_file(path, &len, err, sizeof(err));
	FILE	   *f;
	char	   *line;
	char	   *save = NULL;

	f = fopen(path, "w");
	if (!f)
	{
		free(buf);
		return;
	}
	fputs(METRICS_HEADER, f);
	for (line = buf ? strtok_r(buf, "\n", &save) : NULL; line; line = strtok_r(NULL, "\n", &save))
		if (line[0] >= '0' && line[0] <= '9' && atol(line) <= step)
			fprintf(f, "%s\n", line);
	fclose(f);
	free(buf);
}

/* One pass of statement loss and accuracy over s (at most max_seqs sequences; 0: all). */
void
trainer_evaluate(TrainerNet *net, const TrainerShard *s, int max_seqs, TrainerBatch *batch,
				 TrainerStats *st)
{
	TrainerLoader l;
	int			done = 0;

	memset(st, 0, sizeof(*st));
	trainer_loader_init(&l, s, 0, 0);
	l.one_pass = 1;
	while (!trainer_loader_done(&l) && (max_seqs <= 0 || done < max_seqs))
	{
		int			nb = 0;

		while (nb < batch->B && !trainer_loader_done(&l) && (max_seqs <= 0 || done + nb < max_seqs))
			trainer_loader_next(&l, batch, nb++, 0.0f);
		trainer_net_step(net, batch, 0, nb, 0.0f, st);
		done += nb;
	}
	trainer_loader_free(&l);
}

/* "1h02m", "3m05s" or "12s". */
static void
fmt_duration(char *out, size_t cap, double s)
{
	long		t = (long) (s + 0.5);

	if (t >= 3600)
		snprintf(out, cap, "%ldh%02ldm", t / 3600, t / 60 % 60);
	else if (t >= 60)
		snprintf(out, cap, "%ldm%02lds", t / 60, t % 60);
	else
		snprintf(out, cap, "%lds", t);
}

/* Loads the run's checkpoint into net/m/v or starts fresh; returns the step, -1 on error. */
static long
train_start(const TrainerOpts *o, TrainerNet *net, float *m, float *v, TrainerLoader *l,
			uint64_t *tokens_seen, char *err, size_t errlen)
{
	TrainerCkpt ck;
	int			rc = trainer_ckpt_load(o->run_dir, -1, &ck, err, errlen);
	long		step;

	if (rc < 0)
		return -1;
	if (rc == 1)
	{
		sqlpilot_model_init_random(&o->c, net->params, o->seed);
		*tokens_seen = 0;
		return 0;
	}
	if (ck.c.dim != o->c.dim || ck.c.hidden_dim != o->c.hidden_dim ||
		ck.c.n_layers != o->c.n_layers || ck.c.n_heads != o->c.n_heads ||
		ck.c.n_kv_heads != o->c.n_kv_heads || ck.c.vocab_size != o->c.vocab_size ||
		ck.c.tied != o->c.tied || ck.seed != o->seed)
	{
		snprintf(err, errlen, "the checkpoint in \"%s\" has another model config or seed; "
				 "use another --run directory", o->run_dir);
		trainer_ckpt_free(&ck);
		return -1;
	}
	memcpy(net->params, ck.params, sizeof(float) * net->n_params);
	memcpy(m, ck.m, sizeof(float) * net->n_params);
	memcpy(v, ck.v, sizeof(float) * net->n_params);
	l->epoch = ck.epoch;
	l->cursor = ck.cursor;
	*tokens_seen = ck.tokens_seen;
	step = (long) ck.step;
	trainer_ckpt_free(&ck);
	return step;
}

/* The training run described by o (see train.h). */
int
trainer_train(const TrainerOpts *o, char *err, size_t errlen)
{
	char		path[4096];
	TrainerShard train = {0};
	TrainerShard val = {0};
	TrainerNet	netbuf;
	TrainerNet *net = &netbuf;
	TrainerLoader l = {0};
	TrainerBatch batch = {0};
	TrainerBatch vbatch = {0};
	int			T = o->c.seq_len;
	int			seqs = o->batch * o->accum;
	float	   *m = NULL;
	float	   *v = NULL;
	uint8_t    *decay = NULL;
	int			n_micro = (seqs + o->micro - 1) / o->micro;
	int		   *mseg = NULL;		/* packed: first segment of each micro-batch, then the end */
	uint64_t	tokens_seen = 0;
	FILE	   *metrics = NULL;
	long		step;
	int			rc = -1;
	int			have_val;
	uint32_t	fit;
	double		t_start = sqlpilot_now();
	double		avg_dt = 0.0;
	double		run_stmt = 0.0;	/* statement targets trained on by this process */

	memset(&netbuf, 0, sizeof(netbuf));
	if (trainer_make_dirs(o->run_dir, err, errlen) != 0)
		return -1;
	snprintf(path, sizeof(path), "%s/train.bin", o->data_dir);
	if (trainer_shard_read(&train, path, err, errlen) != 0)
		return -1;
	if (train.n_examples == 0)
	{
		snprintf(err, errlen, "\"%s\" holds no examples", path);
		goto done;
	}
	snprintf(path, sizeof(path), "%s/val.bin", o->data_dir);
	have_val = access(path, R_OK) == 0;
	if (have_val && trainer_shard_read(&val, path, err, errlen) != 0)
		goto done;
	have_val = have_val && val.n_examples > 0;

	if (trainer_net_init(net, &o->c, o->micro, T, err, errlen) != 0)
		goto done;
	m = calloc(net->n_params, sizeof(float));
	v = calloc(net->n_params, sizeof(float));
	decay = malloc(net->n_params);
	mseg = malloc(sizeof(int) * (n_micro + 1));
	if (!m || !v || !decay || !mseg || trainer_batch_alloc(&batch, seqs, T) != 0 ||
		trainer_batch_alloc(&vbatch, o->micro, T) != 0)
	{
		snprintf(err, errlen, "out of memory");
		goto done;
	}
	trainer_decay_mask(decay, &o->c, &net->w, net->params);
	trainer_loader_init(&l, &train, o->seed, 1);
	if (o->pack && trainer_loader_pack(&l) != 0)
	{
		snprintf(err, errlen, "out of memory");
		goto done;
	}
	step = train_start(o, net, m, v, &l, &tokens_seen, err, errlen);
	if (step < 0)
		goto done;

	snprintf(path, sizeof(path), "%s/metrics.csv", o->run_dir);
	metrics_truncate(path, step);
	metrics = fopen(path, "a");
	if (!metrics)
	{
		snprintf(err, errlen, "cannot open \"%s\": %s", path, strerror(errno));
		goto done;
	}
	fit = 0;
	for (uint32_t e = 0; e < train.n_examples; e++)
		fit += train.offsets[e + 1] - train.offsets[e] <= (uint64_t) T + 1;
	if (fit == 0)
	{
		snprintf(err, errlen, "no training example fits in --seq-len %d tokens", T);
		goto done;
	}
	if (!o->quiet)
		fprintf(stderr, "%s: %zu parameters, %d x %d tokens per step, %s at step %ld of %d; "
				"%u of %u examples fit in %d tokens (longer ones are skipped)\n",
				o->run_dir, net->n_params, seqs, T, step > 0 ? "resuming" : "starting", step,
				o->optim.steps, fit, train.n_examples, T + 1);
	if (!o->quiet && o->pack)
		fprintf(stderr, "%s: schema packing: %u groups of examples with one prompt "
				"(%.1f statements each)\n", o->run_dir, l.n_groups,
				(double) train.n_examples / l.n_groups);

	while (step < o->optim.steps)
	{
		double		t0 = sqlpilot_now();
		TrainerStats st = {0};
		double		wsum = 0.0;
		float		lr = trainer_lr_at(&o->optim, step);
		float		norm;
		float		loss;
		double		dt;
		double		vloss = NAN;
		double		vacc = NAN;

		batch.n_segs = 0;
		for (int s = 0, k = 0; s < seqs; s += o->micro, k++)
		{
			int			nb = seqs - s < o->micro ? seqs - s : o->micro;

			if (!o->pack)
			{
				for (int i = 0; i < nb; i++)
					trainer_loader_next(&l, &batch, s + i, o->schema_weight);
				continue;
			}
			mseg[k] = batch.n_segs;
			trainer_loader_fill(&l, &batch, s * T, nb * T, o->schema_weight);
			mseg[k + 1] = batch.n_segs;
		}
		for (int i = 0; i < seqs * T; i++)
			wsum += batch.weights[i];
		memset(net->grads, 0, sizeof(float) * net->n_params);
		for (int s = 0, k = 0; s < seqs; s += o->micro, k++)
		{
			float		scale = wsum > 0.0 ? (float) (1.0 / wsum) : 0.0f;

			if (o->pack)
				trainer_net_step_packed(net, &batch, mseg[k], mseg[k + 1] - mseg[k], scale, &st);
			else
				trainer_net_step(net, &batch, s, seqs - s < o->micro ? seqs - s : o->micro,
								 scale, &st);
		}
		loss = wsum > 0.0 ? (float) (st.loss_sum / wsum) : 0.0f;
		run_stmt += st.stmt_count;
		norm = trainer_clip_grads(net->grads, net->n_params, o->optim.clip);
		trainer_adamw(&o->optim, net->params, net->grads, m, v, decay, net->n_params, lr, step + 1);
		step++;
		tokens_seen += (uint64_t) seqs * T;
		dt = sqlpilot_now() - t0;
		avg_dt = avg_dt > 0.0 ? 0.9 * avg_dt + 0.1 * dt : dt;

		if (have_val && (step == o->optim.steps || (o->eval_every > 0 && step % o->eval_every == 0)))
		{
			TrainerStats vs;

			trainer_evaluate(net, &val, o->eval_seqs, &vbatch, &vs);
			if (vs.stmt_count > 0)
			{
				vloss = vs.stmt_loss_sum / vs.stmt_count;
				vacc = vs.stmt_correct / vs.stmt_count;
			}
			if (!o->quiet)
				fprintf(stderr, "%sstep %ld validation: statement loss %.4f, next-token accuracy %.2f%% "
						"(%.0f tokens)\n", isatty(2) ? "\n" : "", step, vloss, 100.0 * vacc, vs.stmt_count);
		}
		fprintf(metrics, "%ld,%.6f,%.6e,%.4f,%llu,%.1f,%.2f,", step, loss, lr, norm,
				(unsigned long long) tokens_seen, seqs * T / dt, sqlpilot_now() - t_start);
		if (!isnan(vloss))
			fprintf(metrics, "%.6f,%.6f", vloss, vacc);
		else
			fputc(',', metrics);
		fprintf(metrics, ",%.1f\n", st.stmt_count / dt);
		fflush(metrics);
		if (!o->quiet && (step % o->log_every == 0 || step == o->optim.steps))
		{
			char		eta[32];

			fmt_duration(eta, sizeof(eta), avg_dt * (o->optim.steps - step));
			fprintf(stderr, "%sstep %ld/%d | loss %.4f | lr %.2e | norm %.2f | %.0f tok/s | "
					"%.0f statement tok/s | ETA %s   %s",
					isatty(2) ? "\r" : "", step, o->optim.steps, loss, lr, norm,
					seqs * T / dt, st.stmt_count / dt, eta, isatty(2) ? "" : "\n");
		}
		if ((o->ckpt_every > 0 && step % o->ckpt_every == 0) || step == o->optim.steps)
		{
			TrainerCkpt ck = {.c = o->c,.step = (uint64_t) step,.seed = o->seed,
				.epoch = l.epoch,.cursor = l.cursor,.tokens_seen = tokens_seen,
			.loss = loss,.n_params = net->n_params,.params = net->params,.m = m,.v = v};

			if (trainer_ckpt_save(o->run_dir, &ck, o->keep, err, errlen) != 0)
				goto done;
			fflush(metrics);
			if (trainer_plot(o->run_dir, err, errlen) != 0)
				goto done;
		}
	}
	if (!o->quiet)
		fprintf(stderr, "%sdone: %ld steps, %llu tokens, %.0f statement tokens in this run, "
				"%s/loss.svg\n", isatty(2) ? "\n" : "", step,
				(unsigned long long) tokens_seen, run_stmt, o->run_dir);
	rc = 0;
done:
	if (metrics)
		fclose(metrics);
	trainer_loader_free(&l);
	trainer_batch_free(&batch);
	trainer_batch_free(&vbatch);
	trainer_net_free(net);
	free(m);
	free(v);
	free(decay);
	free(mseg);
	trainer_shard_free(&train);
	trainer_shard_free(&val);
	return rc;
}

/* Maps a value to a pixel coordinate along an axis. */
static double
scale_to(double x, double lo, double hi, double p0, double p1)
{
	return hi > lo ? p0 + (x - lo) / (hi - lo) * (p1 - p0) : (p0 + p1) / 2;
}

/* Writes loss.svg: training loss (line) and validation statement loss (dots) by step. */
int
trainer_plot(const char *run_dir, char *err, size_t errlen)
{
	char		path[4096];
	size_t		len;
	char	   *buf;
	char	   *save = NULL;
	long	   *steps;
	double	   *loss;
	double	   *vloss;
	int			n = 0;
	long		smax = 1;
	double		lo = INFINITY,
				hi = -INFINITY;
	FILE	   *f;
	const double X0 = 60, X1 = 620, Y0 = 360, Y1 = 30;

	snprintf(path, sizeof(path), "%s/metrics.csv", run_dir);
	buf = sqlpilot_read_file(path, &len, err, errlen);
	if (!buf)
		return -1;
	steps = malloc(sizeof(long) * (len / 8 + 1));
	loss = malloc(sizeof(double) * (len / 8 + 1));
	vloss = malloc(sizeof(double) * (len / 8 + 1));
	for (char *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
	{
		char	   *fields[9];
		int			nf = 0;
		char	   *p = line;
		char	   *t;

		if (line[0] < '0' || line[0] > '9')
			continue;
		while (nf < 9 && (t = strsep(&p, ",")) != NULL)
			fields[nf++] = t;
		if (nf < 2)
			continue;
		steps[n] = atol(fields[0]);
		loss[n] = atof(fields[1]);
		vloss[n] = nf >= 8 && fields[7][0] ? atof(fields[7]) : NAN;
		if (steps[n] > smax)
			smax = steps[n];
		lo = fmin(lo, loss[n]);
		hi = fmax(hi, loss[n]);
		if (!isnan(vloss[n]))
		{
			lo = fmin(lo, vloss[n]);
			hi = fmax(hi, vloss[n]);
		}
		n++;
	}
	snprintf(path, sizeof(path), "%s/loss.svg", run_dir);
	f = fopen(path, "w");
	if (!f)
	{
		snprintf(err, errlen, "cannot write \"%s\": %s", path, strerror(errno));
		free(buf), free(steps), free(loss), free(vloss);
		return -1;
	}
	if (n == 0)
		lo = 0, hi = 1;
	fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"640\" height=\"400\" "
			"font-family=\"sans-serif\" font-size=\"11\">\n"
			"<rect width=\"640\" height=\"400\" fill=\"white\"/>\n"
			"<text x=\"340\" y=\"18\" text-anchor=\"middle\" font-size=\"13\">%s: training loss "
			"(line), validation statement loss (dots)</text>\n", run_dir);
	for (int i = 0; i <= 4; i++)
	{
		double		yv = lo + (hi - lo) * i / 4;
		double		y = scale_to(yv, lo, hi, Y0, Y1);
		long		sv = smax * i / 4;
		double		x = scale_to(sv, 0, smax, X0, X1);

		fprintf(f, "<line x1=\"%g\" y1=\"%.1f\" x2=\"%g\" y2=\"%.1f\" stroke=\"#ddd\"/>"
				"<text x=\"%g\" y=\"%.1f\" text-anchor=\"end\">%.3f</text>\n",
				X0, y, X1, y, X0 - 4, y + 4, yv);
		fprintf(f, "<text x=\"%.1f\" y=\"%g\" text-anchor=\"middle\">%ld</text>\n", x, Y0 + 16, sv);
	}
	fprintf(f, "<text x=\"340\" y=\"395\" text-anchor=\"middle\">step</text>\n"
			"<polyline fill=\"none\" stroke=\"#1f77b4\" stroke-width=\"1.5\" points=\"");
	for (int i = 0; i < n; i++)
		fprintf(f, "%.1f,%.1f ", scale_to(steps[i], 0, smax, X0, X1),
				scale_to(loss[i], lo, hi, Y0, Y1));
	fprintf(f, "\"/>\n");
	for (int i = 0; i < n; i++)
		if (!isnan(vloss[i]))
			fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"#d62728\"/>\n",
					scale_to(steps[i], 0, smax, X0, X1), scale_to(vloss[i], lo, hi, Y0, Y1));
	fprintf(f, "</svg>\n");
	fclose(f);
	free(buf), free(steps), free(loss), free(vloss);
	return 0;
}
