#ifndef QZOO_BFLOAT16_PRODUCTS_H
#define QZOO_BFLOAT16_PRODUCTS_H
/* Transposed products AᵀB of tall float32 matrices with bfloat16 inputs and float32 sums, on
 * AVX512-BF16 (vdpbf16ps: twice the multiply-adds of float32 FMA per instruction). Callers
 * check qzoo_bf16_available() first; without it they round to bfloat16 and use sgemm. */
#include <stddef.h>
#include <stdint.h>

/* 1 when this CPU executes AVX512-BF16 (and AVX512F/BW). */
int qzoo_bf16_available(void);

/* uint16 values in the packed form of a rows × width matrix: width · ⌈rows/2⌉ · 2. */
size_t qzoo_bf16_packed_count(size_t rows, size_t width);

/* Packs row-major float32 `x` (rows × width, width a multiple of 16) as bfloat16 (round to
 * nearest even): panels of 16 columns, each a run of row pairs, each pair 16 columns × (row 2t,
 * row 2t+1) interleaved — the operand layout of vdpbf16ps. An odd last row pairs with zeros.
 * With `sums` (width values), also sums[c] += x[r][c] in float64, rows in order. */
void qzoo_bf16_pack(const float *x, size_t rows, size_t width, uint16_t *out, double *sums);

/* c[i·ldc + j] += Σ_r a[r][i] · b[r][j] for packed a (rows × aWidth) and b (rows × bWidth), i < aWidth,
 * j < bWidth. With `upper` (a = b), only the 8 × 48 tiles holding some j ≥ i are computed (the rest
 * of c is untouched). */
void qzoo_bf16_add_transposed_product(const uint16_t *a, const uint16_t *b, size_t rows, size_t aWidth, size_t bWidth,
                                      int upper, float *c, size_t ldc);

/* Rows of a row-major rows × depth operand for qzoo_bf16_product: ⌈rows/8⌉·8 rows of depth
 * values (depth even). */
size_t qzoo_bf16_rows_count(size_t rows, size_t depth);

/* Rounds row-major float32 `x` (rows × depth, depth even) to bfloat16 row-major, each row's pairs
 * of neighbouring values being the kernel's 32-bit operands, then zero rows up to a multiple of 8. */
void qzoo_bf16_round_rows(const float *x, size_t rows, size_t depth, uint16_t *out);

/* Packs Wᵀ of row-major float32 `weight` (outputs × inputs, outputs a multiple of 16, inputs even)
 * as qzoo_bf16_pack would pack the transposed matrix (inputs rows × outputs width). */
void qzoo_bf16_pack_transposed(const float *weight, size_t outputs, size_t inputs, uint16_t *out);

/* p[r][j] = Σ_k x[r][k] · w[k][j] for r < rows, j < width: `x` from qzoo_bf16_round_rows
 * (rows × depth) and `w` from qzoo_bf16_pack (depth × width, width a multiple of 16), a linear
 * layer's x·Wᵀ with w from qzoo_bf16_pack_transposed. Without `bias`, c[r·ldc + j] += p[r][j];
 * with it, c[r·ldc + j] = bias[j] + p[r][j], or (bias[j] + residual[r·ldc + j]) + p[r][j] when
 * `residual` is given too, then GELU(·) of that when `gelu` is nonzero (the same bits as Swift's
 * VectorMath GELU): a linear layer's output in one pass. */
void qzoo_bf16_product(const uint16_t *x, size_t rows, size_t depth, const uint16_t *w, size_t width, const float *bias,
                       const float *residual, int gelu, float *c, size_t ldc);

/* qzoo_bf16_product with `bias` (and GELU when `gelu` is nonzero) for an output only ever used
 * rounded to bfloat16: instead of c it writes `kept`, what qzoo_bf16_round_rows makes of c
 * (qzoo_bf16_rows_count(rows, width) values), and, when `packed` is given, what qzoo_bf16_pack
 * makes of c (qzoo_bf16_packed_count(rows, width) values) with c's column sums added to
 * `sums` (width values) as it adds them. The same bits, without the float32 output's pass
 * through memory and two passes back over it. */
void qzoo_bf16_product_rounded(const uint16_t *x, size_t rows, size_t depth, const uint16_t *w, size_t width,
                               const float *bias, int gelu, uint16_t *kept, uint16_t *packed, double *sums);

#endif
