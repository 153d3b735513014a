/*
 * blas_lazy.c — OpenBLAS opened on first use instead of when the library
 * is loaded.
 *
 * Linking OpenBLAS makes every new backend pay for its relocations and
 * start-up when sqlpilot.so is loaded (~10 ms of CPU here), even when the
 * call never needs it: decode and prefills of up to 32 tokens (a prompt
 * whose schema part came from a prompt cache file) run on the core's own
 * kernels.  So the extension does not link OpenBLAS; the core's calls to
 * cblas_sgemm land on the hidden definition below, which opens the
 * single-threaded build with dlopen the first time a bigger prefill needs
 * it.  Loaded through shared_preload_libraries, the postmaster opens it once
 * and backends inherit it.
 */
#include "postgres.h"

#include <dlfcn.h>

#include <cblas.h>

#include "sqlpilot.h"

typedef void (*SgemmFunction) (const enum CBLAS_ORDER, const enum CBLAS_TRANSPOSE,
							   const enum CBLAS_TRANSPOSE, const blasint, const blasint,
							   const blasint, const float, const float *, const blasint,
							   const float *, const blasint, const float, float *,
							   const blasint);

static SgemmFunction blas_sgemm = NULL;

/* Opens the single-threaded OpenBLAS once; false (dlerror() says why) on failure. */
static bool
BlasOpen(void)
{
	void	   *handle;

	if (blas_sgemm)
		return true;
	handle = dlopen(SQLPILOT_BLAS_LIBRARY, RTLD_NOW | RTLD_LOCAL);
	if (handle)
		blas_sgemm = (SgemmFunction) dlsym(handle, "cblas_sgemm");
	return blas_sgemm != NULL;
}

/* Makes sure OpenBLAS is open; a failure is an ERROR naming the file. */
void
SqlpilotBlasLoad(void)
{
	if (!BlasOpen())
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_FILE),
				 errmsg("could not load OpenBLAS from \"%s\": %s", SQLPILOT_BLAS_LIBRARY, dlerror()),
				 errhint("Install the Debian package libopenblas0-serial.")));
}

/*
 * The core's sgemm.  Completions call SqlpilotBlasLoad() before entering
 * the core when their prompt needs it, so a missing library is a plain
 * ERROR there; should a call still find it missing here, there is no safe
 * way back through the core's frames, and the backend exits.
 */
__attribute__((visibility("hidden"))) void
cblas_sgemm(const enum CBLAS_ORDER order, const enum CBLAS_TRANSPOSE trans_a,
			const enum CBLAS_TRANSPOSE trans_b, const blasint m, const blasint n,
			const blasint k, const float alpha, const float *a, const blasint lda,
			const float *b, const blasint ldb, const float beta, float *c,
			const blasint ldc)
{
	if (!BlasOpen())
		elog(FATAL, "sqlpilot: could not load OpenBLAS from \"%s\": %s",
			 SQLPILOT_BLAS_LIBRARY, dlerror());
	blas_sgemm(order, trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}
