/*
 * stats.h — `sqlpilot datagen stats`: the distribution of generated SQL
 * (statement mix and shape, feature usage, shape distributions, schema
 * shape, types and naming) printed side by side with the reference corpus
 * of docs/data-targets.md, whose numbers are embedded in pipeline/stats.c.
 */
#ifndef SQLPILOT_DATAGEN_STATS_H
#define SQLPILOT_DATAGEN_STATS_H

#include <stddef.h>
#include <stdio.h>

/*
 * Reads every raw/shard-*.jsonl (or, when path is a file, that JSONL file)
 * and prints the comparison tables to f.  Returns 0, or -1 with err.
 */
int			datagen_stats_print(const char *path, FILE *f, char *err, size_t errlen);

#endif							/* SQLPILOT_DATAGEN_STATS_H */
