/*
 * datagen.h — the data generator's entry point, for the `sqlpilot` command.
 */
#ifndef SQLPILOT_DATAGEN_DATAGEN_H
#define SQLPILOT_DATAGEN_DATAGEN_H

/* `sqlpilot datagen STAGE [options]` (argv[0] = "datagen"): returns the exit status. */
int			sqlpilot_datagen_main(int argc, char **argv);

#endif							/* SQLPILOT_DATAGEN_DATAGEN_H */
