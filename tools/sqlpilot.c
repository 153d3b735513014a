/*
 * sqlpilot.c — the `sqlpilot` command: dispatches to each room's entry point,
 * declared in that room's header (the rooms know nothing of this file).
 */
#include <stdio.h>
#include <string.h>

#include "../datagen/datagen.h"
#include "../eval/eval.h"
#include "../trainer/train.h"
#include "gemm.h"
#include "gemm_openblas.h"
#include "sqlpilot.h"

typedef struct Command
{
	const char *name;
	int			(*main) (int argc, char **argv);
	const char *help;
} Command;

static const Command commands[] = {
	{"datagen", sqlpilot_datagen_main, "generate training data (topics, schemas, statements, raw)"},
	{"tokenizer", sqlpilot_trainer_main, "train the BPE tokenizer on generated data"},
	{"tokenize", sqlpilot_trainer_main, "turn data/raw into token shards with loss masks"},
	{"train", sqlpilot_trainer_main, "train a model (resumes from the latest checkpoint)"},
	{"list", sqlpilot_trainer_main, "list the checkpoints of a run"},
	{"export", sqlpilot_trainer_main, "write a checkpoint as a model file"},
	{"eval", sqlpilot_eval_main, "evaluate a model (metrics: docs/metrics.md)"},
	{"init", sqlpilot_model_main, "write a model file with random weights"},
	{"info", sqlpilot_model_main, "describe a model file"},
	{"complete", sqlpilot_model_main, "complete a statement prefix given a schema"},
	{"convert", sqlpilot_model_main, "rewrite a model file with another weight type"},
};

/* Prints the list of subcommands. */
static void
usage(FILE *f)
{
	fprintf(f, "usage: sqlpilot COMMAND [options]   (sqlpilot COMMAND --help)\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].help);
}

int
main(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)
	{
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	/* SQLPILOT_GEMM=openblas runs matrix products on OpenBLAS (for comparison). */
	sqlpilot_gemm_set_blas(sqlpilot_gemm_openblas);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].main(argc - 1, argv + 1);
	fprintf(stderr, "sqlpilot: unknown command \"%s\"\n", argv[1]);
	usage(stderr);
	return 2;
}
