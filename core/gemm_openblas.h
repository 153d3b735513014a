/*
 * gemm_openblas.h — OpenBLAS's cblas_sgemm behind core/gemm.h's BLAS
 * signature: the numerical reference of the tests and the "openblas" path of
 * the command-line tool and the benchmarks.  Not part of the extension, which
 * runs no BLAS library (the Makefile leaves gemm_openblas.c out of sqlpilot.so).
 */
#ifndef SQLPILOT_GEMM_OPENBLAS_H
#define SQLPILOT_GEMM_OPENBLAS_H

#include <stdbool.h>

/* cblas_sgemm(CblasRowMajor, ...) with the arguments of SqlpilotBlasSgemm. */
void		sqlpilot_gemm_openblas(bool trans_a, bool trans_b, int M, int N, int K,
								   float alpha, const float *A, int lda,
								   const float *B, int ldb, float beta,
								   float *C, int ldc);

#endif							/* SQLPILOT_GEMM_OPENBLAS_H */
