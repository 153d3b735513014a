/*
 * fuzz_model_load.c — libFuzzer target for the model loader: any byte
 * string must be accepted or refused with a message, never crash or read
 * out of bounds, and an accepted one has only finite weights.  Each input is tried as is and with its checksum field
 * recomputed, so mutations also reach the checks behind the checksum.  tests/test_model.c runs the same entry point over a seed
 * corpus and bounded random mutations; for open-ended fuzzing:
 *
 *   clang -g -O1 -fsanitize=fuzzer,address -D_GNU_SOURCE -Icore \
 *     tests/fuzz_model_load.c core/model.c core/tokenizer.c core/util.c -lm \
 *     -o fuzz_model_load && ./fuzz_model_load -max_total_time=60
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "util.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Loads data as a model file; on success touches every weight once: all finite. */
static void
fuzz_load(const uint8_t *data, size_t size)
{
	SqlpilotModel m;
	char		err[512];

	err[0] = '\0';
	if (sqlpilot_model_load_buffer(&m, data, size, err, sizeof(err)) == 0)
	{
		volatile float sum = 0.0f;
		size_t		n = sqlpilot_param_count(&m.config);

		/* Every weight must be readable, as halves in place and widened. */
		if (m.weights.half.token_embedding)
			for (size_t i = 0; i < n; i++)
				sum += m.weights.half.token_embedding[i];
		if (sqlpilot_model_widen(&m, err, sizeof(err)) != 0)
			__builtin_trap();
		for (size_t i = 0; i < n; i++)
		{
			if (!isfinite(m.weights.token_embedding[i]))
				__builtin_trap();	/* the loader lets no NaN or Inf through */
			sum += m.weights.token_embedding[i];
		}
		sqlpilot_model_free(&m);
	}
	else if (err[0] == '\0' || memchr(err, '\0', sizeof(err)) == NULL)
		__builtin_trap();		/* a refusal must say why */
}

/* The input as is, then (when it has a header) with a valid checksum. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t    *copy;
	uint64_t	h;

	fuzz_load(data, size);
	if (size < 128 || !(copy = malloc(size)))
		return 0;
	memcpy(copy, data, size);
	h = sqlpilot_checksum64(copy + 128, size - 128, sqlpilot_checksum64(copy, 120, 0));
	for (int i = 0; i < 8; i++)
		copy[120 + i] = (uint8_t) (h >> (8 * i));
	fuzz_load(copy, size);
	free(copy);
	return 0;
}
