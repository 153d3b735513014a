/*
 * gemm_openblas.c — see gemm_openblas.h.
 */
#include <cblas.h>

#include "gemm_openblas.h"

/* See gemm_openblas.h. */
void
sqlpilot_gemm_openblas(bool trans_a, bool trans_b, int M, int N, int K,
					   float alpha, const float *A, int lda,
					   const float *B, int ldb, float beta, float *C, int ldc)
{
	cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans,
				trans_b ? CblasTrans : CblasNoTrans,
				M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}
