/*
 * bpe_learn.h — learning the tokenizer's BPE merges (core/tokenizer.h) from
 * texts: used by `sqlpilot tokenizer` and tests, never by the extension.
 */
#ifndef SQLPILOT_TRAINER_BPE_LEARN_H
#define SQLPILOT_TRAINER_BPE_LEARN_H

#include <stddef.h>

#include "tokenizer.h"

#define SQLPILOT_TOKENIZER_MAX_TRAIN_VOCAB 4096	/* largest vocab_size training accepts */

/*
 * Learns merges from texts until vocab_size tokens (fewer when no pair is
 * left) and builds tok from them; deterministic.  Returns 0 or -1 with err.
 */
int			sqlpilot_tokenizer_train(SqlpilotTokenizer *tok, const char *const *texts,
									 const size_t *lens, size_t n_texts, int vocab_size,
									 char *err, size_t errlen);

#endif							/* SQLPILOT_TRAINER_BPE_LEARN_H */
