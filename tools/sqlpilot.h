/*
 * sqlpilot.h — the entry point of tools/'s own commands (model_cli.c), for
 * the dispatcher.  The other rooms declare theirs in their own headers.
 */
#ifndef SQLPILOT_TOOLS_H
#define SQLPILOT_TOOLS_H

/* `sqlpilot init|info|complete|convert` (argv[0]): returns the exit status. */
int			sqlpilot_model_main(int argc, char **argv);

#endif							/* SQLPILOT_TOOLS_H */
