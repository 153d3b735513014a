/*
 * gemm.h — the project's own matrix products (training and prefill).
 *
 * C (M,N) = alpha * op(A) @ op(B) + beta * C, all row-major, op(X) = X^T
 * when trans_x; op(A) is (M,K), op(B) is (K,N).  Same meaning as
 * cblas_sgemm(CblasRowMajor, ...).  With beta == 0, C is not read (NaN
 * there does not leak); with alpha == 0 or K == 0, A and B are not read.
 * C must not overlap A or B; A and B may overlap each other.
 *
 * Three kernels, chosen at run time from CPUID: AVX-512, AVX2+FMA and plain
 * C; a fourth path, "openblas", hands the call to a BLAS sgemm the caller
 * registered (tests and benchmarks; the core itself never links a BLAS).
 * SQLPILOT_GEMM=avx512|avx2|scalar|openblas in the environment, or
 * sqlpilot_gemm_set_path(), forces one.  Everything runs in the calling
 * thread (the core also runs inside PostgreSQL backends) unless a program
 * asks for two threads with sqlpilot_gemm_set_threads (the trainer does;
 * the extension never does, and no environment variable can).
 */
#ifndef SQLPILOT_GEMM_H
#define SQLPILOT_GEMM_H

#include <stdbool.h>
#include <stdint.h>

/* A BLAS sgemm with the arguments of cblas_sgemm(CblasRowMajor, ...). */
typedef void (*SqlpilotBlasSgemm) (bool trans_a, bool trans_b, int M, int N, int K,
								   float alpha, const float *A, int lda,
								   const float *B, int ldb, float beta,
								   float *C, int ldc);

void		sqlpilot_gemm(bool trans_a, bool trans_b, int M, int N, int K, float alpha,
						  const float *A, int lda, const float *B, int ldb,
						  float beta, float *C, int ldc);

/* The same with B held as IEEE halves (an f16 model's weights, read in place). */
void		sqlpilot_gemm_f16(bool trans_a, bool trans_b, int M, int N, int K, float alpha,
							  const float *A, int lda, const uint16_t *B, int ldb,
							  float beta, float *C, int ldc);

/*
 * Forces a path by name ("avx512", "avx2", "scalar", "openblas") or goes
 * back to the best one ("auto" or NULL).  Returns -1 (path unchanged) when
 * this CPU lacks it or no BLAS was registered.
 */
int			sqlpilot_gemm_set_path(const char *name);

/* Name of the path calls take now. */
const char *sqlpilot_gemm_path(void);

/*
 * Lets products use n threads, 1 (the default) or 2: with 2, a product of
 * at least ~16 MFLOP runs half of C in a helper thread started on the
 * first such call (results bit for bit those of one thread).  Only one
 * thread of a program may call the products while n is 2.  Returns -1 for
 * another n or when the thread cannot be started (n unchanged).
 */
int			sqlpilot_gemm_set_threads(int n);

/* One half of a piece of work split in two: half is 0 or 1. */
typedef void (*SqlpilotHalfFn) (void *arg, int half);

/*
 * Runs fn(arg, 0) and fn(arg, 1): with two threads on and work (the
 * caller's estimate, in elements of SwiGLU-like work: a few flops and an
 * exp each) of at least SQLPILOT_HALVES_MIN_WORK, the second in the helper
 * thread of the products at the same time, else both here in that order.
 * The halves must write disjoint memory and not call the products; a split
 * fixed by the caller (not by the thread count) keeps results bit for bit
 * those of one thread.  The trainer splits attention, SwiGLU, the loss and
 * AdamW this way.
 */
#define SQLPILOT_HALVES_MIN_WORK 65536
void		sqlpilot_run_halves(SqlpilotHalfFn fn, void *arg, double work);

/* Threads products may use now (1 or 2). */
int			sqlpilot_gemm_threads(void);

/* Registers the sgemm behind the "openblas" path (NULL removes it). */
void		sqlpilot_gemm_set_blas(SqlpilotBlasSgemm fn);

#endif							/* SQLPILOT_GEMM_H */
