/*
 * fail_realloc.c — fault injection for tests/datagen.sh: preloaded
 * (LD_PRELOAD), every realloc() fails as when memory runs out, so the test
 * can check that a growing array's failure is an error message, not a crash.
 */
#include <errno.h>
#include <stddef.h>

void	   *realloc(void *p, size_t n);

/* Fails: NULL with errno ENOMEM, the old block left as it is. */
void *
realloc(void *p, size_t n)
{
	errno = ENOMEM;
	return NULL;
}
