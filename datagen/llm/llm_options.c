/*
 * llm_options.c — the LLM backend's command-line options, so `sqlpilot
 * datagen` takes them with one call in its option loop and one in its usage
 * text.  The API key is never an option: it is read from an environment
 * variable (--llm-key-env names which).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../llm.h"

/* See llm.h. */
void
datagen_llm_usage(FILE *f)
{
	fprintf(f,
			"LLM backend (any OpenAI-compatible server; see datagen/LLM.md):\n"
			"  --llm-url URL          base URL ending in /v1 (e.g. http://127.0.0.1:8000/v1)\n"
			"  --model NAME           model name the server knows\n"
			"  --mix P                share of schemas (and their statements) from the LLM, 0-1 (default 1)\n"
			"  --llm-concurrency N    requests in flight per worker (default %d)\n"
			"  --llm-rps R            requests started per second per worker (default: no limit)\n"
			"  --llm-timeout S        seconds per request (default %g)\n"
			"  --llm-retries N        retries on 429/5xx/timeouts per item (default %d)\n"
			"  --llm-key-env VAR      environment variable holding the API key (default %s)\n"
			"  --llm-guided-json      send vLLM's guided_json instead of response_format\n"
			"  --llm-verbose          a line on stderr for each retry, skip and failure\n",
			DATAGEN_LLM_DEFAULT_CONCURRENCY, DATAGEN_LLM_DEFAULT_TIMEOUT,
			DATAGEN_LLM_DEFAULT_RETRIES, DATAGEN_LLM_DEFAULT_KEY_ENV);
}

/* Parses a number with nothing after it; false if malformed or outside [lo, hi]. */
static bool
parse_number(const char *s, double lo, double hi, double *out)
{
	char	   *end;

	if (!s || !*s)
		return false;
	*out = strtod(s, &end);
	return !*end && *out >= lo && *out <= hi;
}

/* See llm.h. */
int
datagen_llm_option(DatagenLlmOptions *o, double *mix, const char *arg, const char *val,
				   char *err, size_t errlen)
{
	double		v = 0;
	bool		good = true;

	if (strcmp(arg, "--llm-guided-json") == 0)
	{
		o->guided_json = true;
		return 1;
	}
	if (strcmp(arg, "--llm-verbose") == 0)
	{
		o->verbose = 1;
		return 1;
	}
	if (strcmp(arg, "--llm-url") != 0 && strcmp(arg, "--model") != 0 && strcmp(arg, "--mix") != 0 &&
		strcmp(arg, "--llm-concurrency") != 0 && strcmp(arg, "--llm-rps") != 0 &&
		strcmp(arg, "--llm-timeout") != 0 && strcmp(arg, "--llm-retries") != 0 &&
		strcmp(arg, "--llm-key-env") != 0)
		return 0;
	if (!val)
	{
		snprintf(err, errlen, "%s needs a value", arg);
		return -1;
	}
	if (strcmp(arg, "--llm-url") == 0)
		o->url = val;
	else if (strcmp(arg, "--model") == 0)
		o->model = val;
	else if (strcmp(arg, "--llm-key-env") == 0)
		o->key_env = val;
	else if (strcmp(arg, "--mix") == 0 && (good = parse_number(val, 0, 1, &v)))
		*mix = v;
	else if (strcmp(arg, "--llm-concurrency") == 0 &&
			 (good = parse_number(val, 1, DATAGEN_LLM_MAX_CONCURRENCY, &v)))
		o->concurrency = (int) v;
	else if (strcmp(arg, "--llm-rps") == 0 && (good = parse_number(val, 0, 1e6, &v)))
		o->rps = v;
	else if (strcmp(arg, "--llm-timeout") == 0 && (good = parse_number(val, 0.001, 86400, &v)))
		o->timeout = v;
	else if (strcmp(arg, "--llm-retries") == 0 && (good = parse_number(val, 0, 1000, &v)))
		o->max_retries = (int) v;
	if (!good)
	{
		snprintf(err, errlen, "bad value for %s: \"%s\"", arg, val);
		return -1;
	}
	return 2;
}
