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
 * row 2t+1) interleaved — the operand layout of vdpbf16ps. An odd last row pairs with zeros. */
void qzoo_bf16_pack(const float *x, size_t rows, size_t width, uint16_t *out);

/* c[i·ldc + j] += Σ_r a[r][i] · b[r][j] for packed a (rows × aWidth) and b (rows × bWidth), i < aWidth,
 * j < bWidth. With `upper` (a = b), only the 8 × 48 tiles holding some j ≥ i are computed (the rest
 * of c is untouched). */
void qzoo_bf16_add_transposed_product(const uint16_t *a, const uint16_t *b, size_t rows, size_t aWidth, size_t bWidth,
                                      int upper, float *c, size_t ldc);

#endif
