/*
 * fail_realloc.c — fault injection for tests/datagen.sh and
 * tests/datagen_import.sh: preloaded (LD_PRELOAD), every realloc() that
 * grows an existing block fails as when memory runs out (a first allocation,
 * realloc(NULL, n), succeeds), so the tests can check that a growing array's
 * failure is an error message, not a crash.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>

void	   *realloc(void *p, size_t n);

/* realloc(NULL, n) allocates; any other call fails: NULL with errno ENOMEM, the old block left as it is. */
void *
realloc(void *p, size_t n)
{
	if (p == NULL)
		return malloc(n);
	errno = ENOMEM;
	return NULL;
}
