/*
 * cli.c — the trainer's commands (entry: sqlpilot_trainer_main):
 *   sqlpilot tokenizer   learn the BPE on data/raw        -> data/tokenizer.txt
 *   sqlpilot tokenize    data/raw[:more/raw] -> data/tokens/{train,val}.bin (split by schema)
 *   sqlpilot train       train a model in runs/NAME (resumes from its latest checkpoint)
 *   sqlpilot list        the checkpoints of a run
 *   sqlpilot export      a checkpoint as the model file the extension loads
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "gemm.h"
#include "train.h"
#include "tokenizer.h"

/*
 * Threads of the matrix products (core/gemm.h) unless --threads says
 * otherwise: two when two CPUs are online.  Measured on a quiet 2-vCPU
 * machine (bench/results/threads.md, 2026-12-03): 15M 1.57-1.73x, 42M
 * 1.65x, the default model's shape 1.01-1.02x, identical losses.  With
 * another job holding one vCPU two threads were 0.95x: pass --threads 1.
 */
static int
train_default_threads(void)
{
	return sysconf(_SC_NPROCESSORS_ONLN) >= 2 ? 2 : 1;
}

typedef enum OptKind
{
	OPT_STR,
	OPT_INT,
	OPT_FLOAT,
	OPT_U64,
	OPT_FLAG
} OptKind;

/* One --name option of a command and where its value goes. */
typedef struct Opt
{
	const char *name;
	OptKind		kind;
	void	   *ptr;
	const char *help;
} Opt;

/* Prints a command's options with their current (default) values. */
static void
opts_usage(const char *cmd, const char *what, const Opt *opts, int n)
{
	printf("usage: sqlpilot %s [options]\n%s\n\noptions:\n", cmd, what);
	for (int i = 0; i < n; i++)
	{
		char		def[64] = "";

		if (opts[i].kind == OPT_STR && *(const char **) opts[i].ptr)
			snprintf(def, sizeof(def), "%s", *(const char **) opts[i].ptr);
		else if (opts[i].kind == OPT_INT)
			snprintf(def, sizeof(def), "%d", *(int *) opts[i].ptr);
		else if (opts[i].kind == OPT_FLOAT)
			snprintf(def, sizeof(def), "%g", *(float *) opts[i].ptr);
		else if (opts[i].kind == OPT_U64)
			snprintf(def, sizeof(def), "%llu", (unsigned long long) *(uint64_t *) opts[i].ptr);
		printf("  --%-15s %s%s%s%s\n", opts[i].name, opts[i].help, def[0] ? " (" : "", def,
			   def[0] ? ")" : "");
	}
}

/* Parses argv[1..] into opts; 0 ok, 1 help shown, -1 error (reported). */
static int
opts_parse(const char *cmd, const char *what, const Opt *opts, int n, int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
	{
		const Opt  *o = NULL;
		char	   *end;

		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
		{
			opts_usage(cmd, what, opts, n);
			return 1;
		}
		for (int j = 0; j < n && argv[i][0] == '-' && argv[i][1] == '-'; j++)
			if (strcmp(argv[i] + 2, opts[j].name) == 0)
				o = &opts[j];
		if (!o)
		{
			fprintf(stderr, "sqlpilot %s: unknown option \"%s\" (see --help)\n", cmd, argv[i]);
			return -1;
		}
		if (o->kind == OPT_FLAG)
		{
			*(int *) o->ptr = 1;
			continue;
		}
		if (i + 1 >= argc)
		{
			fprintf(stderr, "sqlpilot %s: --%s needs a value\n", cmd, o->name);
			return -1;
		}
		i++;
		if (o->kind == OPT_STR)
		{
			*(const char **) o->ptr = argv[i];
			continue;
		}
		if (o->kind == OPT_INT)
			*(int *) o->ptr = (int) strtol(argv[i], &end, 10);
		else if (o->kind == OPT_U64)
			*(uint64_t *) o->ptr = strtoull(argv[i], &end, 10);
		else
			*(float *) o->ptr = strtof(argv[i], &end);
		if (end == argv[i] || *end)
		{
			fprintf(stderr, "sqlpilot %s: bad value \"%s\" for --%s\n", cmd, argv[i], o->name);
			return -1;
		}
	}
	return 0;
}

/* sqlpilot tokenizer */
static int
cmd_tokenizer(int argc, char **argv)
{
	const char *data = "data/raw";
	const char *out = "data/tokenizer.txt";
	int			vocab = SQLPILOT_VOCAB_SIZE;
	int			max_texts = 0;
	char		err[512];
	Opt			opts[] = {
		{"data", OPT_STR, &data, "directories of *.jsonl examples, separated by ':'"},
		{"out", OPT_STR, &out, "tokenizer file to write"},
		{"vocab", OPT_INT, &vocab, "vocabulary size"},
		{"max-texts", OPT_INT, &max_texts, "learn from at most this many texts, 0: all"},
	};
	int			rc = opts_parse(argv[0], "Learns the byte-level BPE from the generated data.",
								opts, 4, argc, argv);

	if (rc != 0)
		return rc > 0 ? 0 : 2;
	if (trainer_tokenizer_build(data, out, vocab, (size_t) (max_texts > 0 ? max_texts : 0),
								err, sizeof(err)) != 0)
	{
		fprintf(stderr, "sqlpilot tokenizer: %s\n", err);
		return 1;
	}
	return 0;
}

/* sqlpilot tokenize */
static int
cmd_tokenize(int argc, char **argv)
{
	const char *data = "data/raw";
	const char *tok = "data/tokenizer.txt";
	const char *out = "data/tokens";
	float		val = 0.05f;
	int			seq_len = 512;
	char		err[512];
	Opt			opts[] = {
		{"data", OPT_STR, &data, "directories of *.jsonl examples, separated by ':'"},
		{"tokenizer", OPT_STR, &tok, "tokenizer file from `sqlpilot tokenizer`"},
		{"out", OPT_STR, &out, "directory for train.bin and val.bin"},
		{"val-fraction", OPT_FLOAT, &val, "fraction of schemas held out for validation"},
		{"seq-len", OPT_INT, &seq_len, "the training context T: a longer example keeps "
		 "the tables the extension would choose"},
	};
	int			rc = opts_parse(argv[0], "Tokenizes the generated data into token shards "
								"with loss masks, split by schema.", opts, 5, argc, argv);

	if (rc != 0)
		return rc > 0 ? 0 : 2;
	if (trainer_tokenize(data, tok, out, val, seq_len, err, sizeof(err)) != 0)
	{
		fprintf(stderr, "sqlpilot tokenize: %s\n", err);
		return 1;
	}
	return 0;
}

/*
 * Puts the run's tokenizer in place: the run keeps its own copy (so export
 * and resume use the one it was trained with); checks it fits the vocab.
 */
static int
run_tokenizer(const char *run, const char *src, int vocab, char *err, size_t errlen)
{
	char		path[4096];
	SqlpilotTokenizer tok;
	struct stat st;
	int			rc;

	snprintf(path, sizeof(path), "%s/tokenizer.txt", run);
	if (stat(path, &st) == 0)
		src = path;
	if (sqlpilot_tokenizer_load(&tok, src, err, errlen) != 0)
		return -1;
	rc = 0;
	if (tok.vocab_size > vocab)
	{
		snprintf(err, errlen, "the tokenizer has %d tokens, the model only %d",
				 tok.vocab_size, vocab);
		rc = -1;
	}
	else if (src != path)
		rc = sqlpilot_tokenizer_save(&tok, path, err, errlen);
	sqlpilot_tokenizer_free(&tok);
	return rc;
}

/* sqlpilot train */
static int
cmd_train(int argc, char **argv)
{
	TrainerOpts o = {0};
	const char *preset = "260K";
	const char *run = NULL;
	const char *tok = "data/tokenizer.txt";
	const char *schedule = "cosine";
	int			dim = 0,
				hidden = 0,
				layers = 0,
				heads = 0,
				kv_heads = 0,
				untied = 0,
				no_pack = 0,
				seq_len = 0,
				vocab = 0,
				threads = 0;
	float		min_lr = -1.0f;
	char		err[512];
	char		runbuf[256];
	int			rc;
	Opt			opts[] = {
		{"run", OPT_STR, &run, "run directory (default runs/<preset>)"},
		{"data", OPT_STR, &o.data_dir, "directory with train.bin and val.bin"},
		{"tokenizer", OPT_STR, &tok, "tokenizer file (copied into the run)"},
		{"preset", OPT_STR, &preset, "model size: 260K, 15M or 42M"},
		{"dim", OPT_INT, &dim, "custom size: model width"},
		{"hidden-dim", OPT_INT, &hidden, "custom size: SwiGLU width"},
		{"layers", OPT_INT, &layers, "custom size: layers"},
		{"heads", OPT_INT, &heads, "custom size: attention heads"},
		{"kv-heads", OPT_INT, &kv_heads, "custom size: k/v heads"},
		{"vocab", OPT_INT, &vocab, "custom size: vocabulary"},
		{"untied", OPT_FLAG, &untied, "separate output head"},
		{"seq-len", OPT_INT, &seq_len, "context length T (default: the preset's)"},
		{"batch", OPT_INT, &o.batch, "sequences per step"},
		{"micro-batch", OPT_INT, &o.micro, "sequences per forward/backward"},
		{"accum", OPT_INT, &o.accum, "gradient accumulation: batches per step"},
		{"steps", OPT_INT, &o.optim.steps, "optimizer steps"},
		{"lr", OPT_FLOAT, &o.optim.lr, "peak learning rate"},
		{"min-lr", OPT_FLOAT, &min_lr, "final learning rate (default lr/10)"},
		{"warmup", OPT_INT, &o.optim.warmup, "warmup steps"},
		{"schedule", OPT_STR, &schedule, "cosine or linear"},
		{"weight-decay", OPT_FLOAT, &o.optim.weight_decay, "AdamW decoupled weight decay"},
		{"beta1", OPT_FLOAT, &o.optim.beta1, "AdamW beta1"},
		{"beta2", OPT_FLOAT, &o.optim.beta2, "AdamW beta2"},
		{"clip", OPT_FLOAT, &o.optim.clip, "max gradient norm, 0: off"},
		{"schema-weight", OPT_FLOAT, &o.schema_weight, "loss weight of schema tokens"},
		{"no-pack", OPT_FLAG, &no_pack, "one schema per statement (no schema packing)"},
		{"ckpt-every", OPT_INT, &o.ckpt_every, "checkpoint every N steps"},
		{"keep", OPT_INT, &o.keep, "checkpoints to keep"},
		{"eval-every", OPT_INT, &o.eval_every, "validate every N steps (and at the end)"},
		{"eval-seqs", OPT_INT, &o.eval_seqs, "validation sequences, 0: all"},
		{"log-every", OPT_INT, &o.log_every, "progress line every N steps"},
		{"seed", OPT_U64, &o.seed, "seed of the initial weights and the data order"},
		{"quiet", OPT_FLAG, &o.quiet, "no progress output"},
		{"threads", OPT_INT, &threads, "threads of the matrix products: 1 or 2 (default: 2 when two CPUs are online)"},
	};
	int			nopts = sizeof(opts) / sizeof(opts[0]);

	o.data_dir = "data/tokens";
	o.batch = 32;
	o.micro = 4;
	o.accum = 1;
	o.optim = (TrainerOptim)
	{
		.lr = 1e-3f,.warmup = 100,.steps = 2000,.beta1 = 0.9f,.beta2 = 0.95f,
			.eps = 1e-8f,.weight_decay = 0.1f,.clip = 1.0f
	};
	o.ckpt_every = 200;
	o.keep = 3;
	o.eval_every = 500;
	o.eval_seqs = 64;
	o.log_every = 10;
	o.seed = 1;
	rc = opts_parse(argv[0], "Trains a model; resumes from the run's latest checkpoint.",
					opts, nopts, argc, argv);
	if (rc != 0)
		return rc > 0 ? 0 : 2;
	if (sqlpilot_config_preset(preset, &o.c) != 0)
	{
		fprintf(stderr, "sqlpilot train: unknown preset \"%s\" (260K, 15M, 42M)\n", preset);
		return 2;
	}
	o.c.dim = dim ? dim : o.c.dim;
	o.c.hidden_dim = hidden ? hidden : o.c.hidden_dim;
	o.c.n_layers = layers ? layers : o.c.n_layers;
	o.c.n_heads = heads ? heads : o.c.n_heads;
	o.c.n_kv_heads = kv_heads ? kv_heads : (heads ? heads : o.c.n_kv_heads);
	o.c.vocab_size = vocab ? vocab : o.c.vocab_size;
	o.c.seq_len = seq_len ? seq_len : o.c.seq_len;
	o.c.tied = !untied;
	o.pack = !no_pack;
	o.optim.min_lr = min_lr >= 0.0f ? min_lr : o.optim.lr / 10.0f;
	o.optim.linear = strcmp(schedule, "linear") == 0;
	if (!o.optim.linear && strcmp(schedule, "cosine") != 0)
	{
		fprintf(stderr, "sqlpilot train: --schedule must be cosine or linear\n");
		return 2;
	}
	if (sqlpilot_config_validate(&o.c, err, sizeof(err)) != 0)
	{
		fprintf(stderr, "sqlpilot train: %s\n", err);
		return 2;
	}
	if (o.batch < 1 || o.micro < 1 || o.accum < 1 || o.optim.steps < 1 || o.log_every < 1)
	{
		fprintf(stderr, "sqlpilot train: --batch, --micro-batch, --accum, --steps and "
				"--log-every must be positive\n");
		return 2;
	}
	if (o.micro > o.batch * o.accum)
		o.micro = o.batch * o.accum;
	if (threads == 0)
		threads = train_default_threads();
	if (sqlpilot_gemm_set_threads(threads) != 0)
	{
		fprintf(stderr, "sqlpilot train: --threads must be 1 or 2 (or the second thread cannot start)\n");
		return 2;
	}
	if (!run)
	{
		snprintf(runbuf, sizeof(runbuf), "runs/%s", dim || layers ? "custom" : preset);
		run = runbuf;
	}
	o.run_dir = run;
	if (trainer_make_dirs(run, err, sizeof(err)) != 0 ||
		run_tokenizer(run, tok, o.c.vocab_size, err, sizeof(err)) != 0 ||
		trainer_train(&o, err, sizeof(err)) != 0)
	{
		fprintf(stderr, "sqlpilot train: %s\n", err);
		return 1;
	}
	return 0;
}

/* sqlpilot list */
static int
cmd_list(int argc, char **argv)
{
	const char *run = "runs/260K";
	int			n;
	long	   *steps;
	Opt			opts[] = {{"run", OPT_STR, &run, "run directory"}};
	int			rc = opts_parse(argv[0], "Lists the checkpoints of a run.", opts, 1, argc, argv);

	if (rc != 0)
		return rc > 0 ? 0 : 2;
	steps = trainer_ckpt_steps(run, &n);
	if (n == 0)
	{
		printf("no checkpoints in %s\n", run);
		free(steps);
		return 0;
	}
	printf("%-10s %-10s %-14s %-10s %s\n", "step", "loss", "tokens", "MB", "written");
	for (int i = 0; i < n; i++)
	{
		TrainerCkpt ck;
		char		err[512];
		char		path[4096];
		struct stat st;
		char		when[64] = "";

		trainer_ckpt_path(path, sizeof(path), run, steps[i]);
		if (stat(path, &st) == 0)
			strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", localtime(&st.st_mtime));
		if (trainer_ckpt_load(run, steps[i], &ck, err, sizeof(err)) != 0)
		{
			printf("%-10ld unreadable: %s\n", steps[i], err);
			continue;
		}
		printf("%-10ld %-10.4f %-14llu %-10.1f %s\n", steps[i], ck.loss,
			   (unsigned long long) ck.tokens_seen, st.st_size / 1048576.0, when);
		trainer_ckpt_free(&ck);
	}
	free(steps);
	return 0;
}

/* sqlpilot export */
static int
cmd_export(int argc, char **argv)
{
	const char *run = "runs/260K";
	const char *out = NULL;
	const char *dtype = "f32";
	int			step = -1;
	char		err[512];
	char		path[4096];
	char		outbuf[4096];
	TrainerCkpt ck;
	SqlpilotTokenizer tok;
	SqlpilotDtype dt;
	int			rc;
	Opt			opts[] = {
		{"run", OPT_STR, &run, "run directory"},
		{"step", OPT_INT, &step, "checkpoint step, -1: latest"},
		{"out", OPT_STR, &out, "model file (default <run>/model.bin)"},
		{"dtype", OPT_STR, &dtype, "f32, f16 or q8"},
	};

	rc = opts_parse(argv[0], "Writes a checkpoint as a model file.", opts, 4, argc, argv);
	if (rc != 0)
		return rc > 0 ? 0 : 2;
	if (strcmp(dtype, "f32") == 0)
		dt = SQLPILOT_DTYPE_F32;
	else if (strcmp(dtype, "f16") == 0)
		dt = SQLPILOT_DTYPE_F16;
	else if (strcmp(dtype, "q8") == 0)
		dt = SQLPILOT_DTYPE_Q8;
	else
	{
		fprintf(stderr, "sqlpilot export: --dtype must be f32, f16 or q8\n");
		return 2;
	}
	if (!out)
	{
		snprintf(outbuf, sizeof(outbuf), "%s/model.bin", run);
		out = outbuf;
	}
	rc = trainer_ckpt_load(run, step, &ck, err, sizeof(err));
	if (rc != 0)
	{
		fprintf(stderr, "sqlpilot export: %s\n", rc > 0 ? "no checkpoint in the run" : err);
		return 1;
	}
	snprintf(path, sizeof(path), "%s/tokenizer.txt", run);
	if (sqlpilot_tokenizer_load(&tok, path, err, sizeof(err)) != 0)
	{
		fprintf(stderr, "sqlpilot export: %s\n", err);
		trainer_ckpt_free(&ck);
		return 1;
	}
	rc = sqlpilot_model_save(out, &ck.c, ck.params, &tok, dt, err, sizeof(err));
	if (rc != 0)
		fprintf(stderr, "sqlpilot export: %s\n", err);
	else
		printf("exported step %llu (%zu parameters, %s) -> %s\n",
			   (unsigned long long) ck.step, ck.n_params, dtype, out);
	sqlpilot_tokenizer_free(&tok);
	trainer_ckpt_free(&ck);
	return rc == 0 ? 0 : 1;
}

/* Dispatches argv[0] (tokenizer, tokenize, train, list, export). */
int
sqlpilot_trainer_main(int argc, char **argv)
{
	if (strcmp(argv[0], "tokenizer") == 0)
		return cmd_tokenizer(argc, argv);
	if (strcmp(argv[0], "tokenize") == 0)
		return cmd_tokenize(argc, argv);
	if (strcmp(argv[0], "train") == 0)
		return cmd_train(argc, argv);
	if (strcmp(argv[0], "list") == 0)
		return cmd_list(argc, argv);
	if (strcmp(argv[0], "export") == 0)
		return cmd_export(argc, argv);
	fprintf(stderr, "sqlpilot: the trainer has no command \"%s\"\n", argv[0]);
	return 2;
}
