/*
 * matvec.h — kernels for one-token decode (one row, or a few rows of beams).
 *
 * Decode multiplies every weight matrix by one activation row, so it is bound
 * by how fast the weights stream from cache: these kernels read eight weight
 * rows per pass against one copy of x in registers (AVX-512 when the build
 * has it, else AVX2+FMA, else plain C).  Weights are row-major (OC, C) as in
 * layers.h; no alignment is required and C, OC may be any positive size.
 */
#ifndef SQLPILOT_MATVEC_H
#define SQLPILOT_MATVEC_H

#include <stddef.h>
#include <stdint.h>

/* out (OC) = weight (OC, C) @ x (C); out must not overlap weight or x. */
void		sqlpilot_matvec(float *out, const float *weight, const float *x,
							int OC, int C);

/*
 * Same with rows ld >= C floats apart (a head's slice of the k cache:
 * attention scores of one query are K (n, HS; ld KVD) @ q).
 */
void		sqlpilot_matvec_ld(float *out, const float *weight, int ld, const float *x,
							   int OC, int C);

/*
 * out (OC) = weight (OC, C) @ x (C) with IEEE half weights (an f16 model
 * file used in place): the same sums as sqlpilot_matvec on the widened
 * weights, reading half the bytes.
 */
void		sqlpilot_matvec_f16(float *out, const uint16_t *weight, const float *x,
								int OC, int C);

/*
 * out (N, OC) = x (N, C) @ weight (OC, C)^T with half weights, rows packed:
 * N rows decoded together read the weights from memory once, and each out
 * row is bit for bit what sqlpilot_matvec_f16 gives for its x row alone.
 */
void		sqlpilot_matvec_f16_rows(float *out, const uint16_t *weight, const float *x,
									 int N, int OC, int C);

/*
 * The half-weight kernels (both calls above) are chosen at run time: the
 * widest this CPU runs.  Forces one by name ("avx512", "avx2", "scalar") or
 * goes back to the best ("auto" or NULL); -1 (unchanged) when the CPU
 * cannot run it.
 */
int			sqlpilot_matvec_f16_set_path(const char *name);

/* Name of the path the half-weight kernels take now. */
const char *sqlpilot_matvec_f16_path(void);

/* dst (n) = the halves src (n) widened to floats (exact). */
void		sqlpilot_f16_to_f32_n(float *dst, const uint16_t *src, size_t n);

/* Which float kernel this build uses: "avx512", "avx2" or "scalar". */
const char *sqlpilot_matvec_kernel(void);

#endif							/* SQLPILOT_MATVEC_H */
