/*
 * fuzz_model_load.c — libFuzzer target for the model loader: any byte
 * string must be accepted or refused with a message, never crash or read
 * out of bounds.  tests/test_model.c runs the same entry point over a seed
 * corpus and bounded random mutations; for open-ended fuzzing:
 *
 *   clang -g -O1 -fsanitize=fuzzer,address -D_GNU_SOURCE -Icore \
 *     tests/fuzz_model_load.c core/model.c core/tokenizer.c core/util.c -lm \
 *     -o fuzz_model_load && ./fuzz_model_load -max_total_time=60
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "model.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Loads data as a model file; on success touches every weight once. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	SqlpilotModel m;
	char		err[512];

	err[0] = '\0';
	if (sqlpilot_model_load_buffer(&m, data, size, err, sizeof(err)) == 0)
	{
		volatile float sum = 0.0f;
		size_t		n = sqlpilot_param_count(&m.config);

		for (size_t i = 0; i < n; i++)
			sum += m.weights.token_embedding[i];
		sqlpilot_model_free(&m);
	}
	else if (err[0] == '\0' || memchr(err, '\0', sizeof(err)) == NULL)
		__builtin_trap();		/* a refusal must say why */
	return 0;
}
