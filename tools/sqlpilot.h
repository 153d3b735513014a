/*
 * sqlpilot.h — the entry points of the `sqlpilot` command's rooms.  Each
 * takes argv[0] = the subcommand name and returns the process exit status.
 */
#ifndef SQLPILOT_TOOLS_H
#define SQLPILOT_TOOLS_H

int			sqlpilot_datagen_main(int argc, char **argv);	/* datagen/cli.c */
int			sqlpilot_trainer_main(int argc, char **argv);	/* trainer/cli.c: tokenizer, tokenize, train, list, export */
int			sqlpilot_eval_main(int argc, char **argv);	/* eval/eval.c */
int			sqlpilot_model_main(int argc, char **argv);	/* tools/model_cli.c: init, info, complete, convert */

#endif							/* SQLPILOT_TOOLS_H */
