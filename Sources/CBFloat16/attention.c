#include "attention.h"

#include <immintrin.h>

#include "vector_math16.h"

/* Query rows per pass: each key vector loaded serves four rows' scores. Column blocks per
 * pass: two blocks of four rows' sums are eight independent multiply-add chains. */
enum { LANES = 16, QUERY_ROWS = 4, COLUMN_BLOCKS = 2 };

static size_t padded(size_t length) { return (length + LANES - 1) / LANES * LANES; }

size_t qzoo_attention_scratch_count(size_t length, size_t head_size) {
    return head_size * padded(length) + QUERY_ROWS * padded(length);
}

/* The 16 × 16 block in r[0..16) transposed in registers (unpack pairs, then quadruples, then
 * 128-bit lanes twice): r[i][c] becomes r[c][i]. */
QZOO_BF16 static inline void transpose16(__m512 r[LANES]) {
    __m512 t[LANES], u[LANES], v[LANES];
    for (int i = 0; i < 8; i++) {
        t[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
        t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
    }
    for (int i = 0; i < 4; i++)
        for (int k = 0; k < 2; k++) {
            const __m512d a = _mm512_castps_pd(t[4 * i + k]), b = _mm512_castps_pd(t[4 * i + k + 2]);
            u[4 * i + 2 * k] = _mm512_castpd_ps(_mm512_unpacklo_pd(a, b));
            u[4 * i + 2 * k + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(a, b));
        }
    for (int i = 0; i < 2; i++)
        for (int k = 0; k < 4; k++) {
            v[8 * i + k] = _mm512_shuffle_f32x4(u[8 * i + k], u[8 * i + 4 + k], 0x88);
            v[8 * i + 4 + k] = _mm512_shuffle_f32x4(u[8 * i + k], u[8 * i + 4 + k], 0xdd);
        }
    for (int k = 0; k < 8; k++) {
        r[k] = _mm512_shuffle_f32x4(v[k], v[8 + k], 0x88);
        r[8 + k] = _mm512_shuffle_f32x4(v[k], v[8 + k], 0xdd);
    }
}

/* kt[c·stride + j] = k[j·ld + c] for c < d, j < length; zero for length ≤ j < stride: 16 × 16
 * blocks of key rows read whole and transposed in registers (element by element, the strided
 * stores took a fifth of the kernel's time). */
QZOO_BF16 static void transpose_keys(const float *k, size_t ld, size_t length, size_t d, float *kt, size_t stride) {
    for (size_t j0 = 0; j0 < stride; j0 += LANES)
        for (size_t c0 = 0; c0 < d; c0 += LANES) {
            __m512 r[LANES];
            for (size_t i = 0; i < LANES; i++) r[i] = j0 + i < length ? _mm512_loadu_ps(k + (j0 + i) * ld + c0) : _mm512_setzero_ps();
            transpose16(r);
            for (size_t c = 0; c < LANES; c++) _mm512_storeu_ps(kt + (c0 + c) * stride + j0, r[c]);
        }
}

/* `row_products` on the `blocks` (1 … COLUMN_BLOCKS) 16-column blocks from column c0. Each
 * block has its own sums, so taking several at once changes no result; it gives the core more
 * independent chains of fused multiply-adds than four rows alone, which hides their latency. */
QZOO_BF16 __attribute__((always_inline)) static inline void column_blocks(const float *a, size_t lda, const int rows, const float *b,
                                                                         size_t ldb, size_t depth, size_t c0, const int blocks,
                                                                         float scale, float *out, size_t ldo) {
    __m512 acc[QUERY_ROWS][COLUMN_BLOCKS];
    for (int r = 0; r < rows; r++)
        for (int j = 0; j < blocks; j++) acc[r][j] = _mm512_setzero_ps();
    for (size_t k = 0; k < depth; k++) {
        __m512 column[COLUMN_BLOCKS];
        for (int j = 0; j < blocks; j++) column[j] = _mm512_loadu_ps(b + k * ldb + c0 + j * LANES);
        for (int r = 0; r < rows; r++) {
            const __m512 x = _mm512_set1_ps(a[r * lda + k]);
            for (int j = 0; j < blocks; j++) acc[r][j] = _mm512_fmadd_ps(x, column[j], acc[r][j]);
        }
    }
    for (int r = 0; r < rows; r++)
        for (int j = 0; j < blocks; j++) _mm512_storeu_ps(out + r * ldo + c0 + j * LANES, _mm512_mul_ps(acc[r][j], _mm512_set1_ps(scale)));
}

/* out[r, c] = scale · Σ_k a[r·lda + k] · b[k·ldb + c] for r < rows and c < width (a multiple
 * of 16), k in order, one fused multiply-add each: the scores (a = the queries, b = the
 * transposed keys) and the weighted values (a = the probabilities, b = the values, scale 1,
 * which is exact). Inlined with a constant `rows`, so the sums stay in registers. */
QZOO_BF16 __attribute__((always_inline)) static inline void row_products(const float *a, size_t lda, const int rows, const float *b,
                                                                        size_t ldb, size_t depth, size_t width, float scale,
                                                                        float *out, size_t ldo) {
    size_t c0 = 0;
    for (; c0 + COLUMN_BLOCKS * LANES <= width; c0 += COLUMN_BLOCKS * LANES)
        column_blocks(a, lda, rows, b, ldb, depth, c0, COLUMN_BLOCKS, scale, out, ldo);
    for (; c0 < width; c0 += LANES) column_blocks(a, lda, rows, b, ldb, depth, c0, 1, scale, out, ldo);
}

/* One row of scores (`length` real, zero padding after) to probabilities: max subtracted, exp,
 * divided by the sum; the padding stays zero. */
QZOO_BF16 static void softmax_row(float *row, size_t length) {
    const size_t full = length / LANES * LANES;
    const __mmask16 tail = (__mmask16)((1u << (length - full)) - 1);
    __m512 top = _mm512_set1_ps(-__builtin_inff());
    for (size_t j = 0; j < full; j += LANES) top = _mm512_max_ps(top, _mm512_loadu_ps(row + j));
    if (tail) top = _mm512_mask_max_ps(top, tail, top, _mm512_loadu_ps(row + full));
    const __m512 maximum = _mm512_set1_ps(_mm512_reduce_max_ps(top));
    __m512 total = _mm512_setzero_ps();
    for (size_t j = 0; j < padded(length); j += LANES) {
        const __mmask16 real = j < full ? (__mmask16)0xFFFF : tail;
        const __m512 e = _mm512_maskz_mov_ps(real, exp16(_mm512_sub_ps(_mm512_loadu_ps(row + j), maximum)));
        total = _mm512_add_ps(total, e);
        _mm512_storeu_ps(row + j, e);
    }
    const __m512 inverse = _mm512_set1_ps(1.0f / _mm512_reduce_add_ps(total));
    for (size_t j = 0; j < padded(length); j += LANES) _mm512_storeu_ps(row + j, _mm512_mul_ps(_mm512_loadu_ps(row + j), inverse));
}

/* Attention of `rows` query rows (a constant: QUERY_ROWS, or 1 for the last few) of one head. */
QZOO_BF16 __attribute__((always_inline)) static inline void query_rows(const float *q, const float *kt, const float *v, size_t ld,
                                                                      size_t length, size_t stride, size_t d, float scale, float *scores,
                                                                      float *out, size_t ldo, const int rows) {
    row_products(q, ld, rows, kt, stride, d, stride, scale, scores, stride);
    for (int r = 0; r < rows; r++) softmax_row(scores + r * stride, length);
    row_products(scores, stride, rows, v, ld, length, d, 1.0f, out, ldo);
}

QZOO_BF16 void qzoo_attention(const float *qkv, size_t length, size_t hidden, size_t heads, float scale, float *context,
                              float *scratch) {
    const size_t d = hidden / heads, stride = padded(length), ld = 3 * hidden;
    float *kt = scratch, *scores = scratch + d * stride;
    for (size_t head = 0; head < heads; head++) {
        const float *q = qkv + head * d, *k = qkv + hidden + head * d, *v = qkv + 2 * hidden + head * d;
        transpose_keys(k, ld, length, d, kt, stride);
        size_t i = 0;
        for (; i + QUERY_ROWS <= length; i += QUERY_ROWS)
            query_rows(q + i * ld, kt, v, ld, length, stride, d, scale, scores, context + i * hidden + head * d, hidden, QUERY_ROWS);
        for (; i < length; i++) query_rows(q + i * ld, kt, v, ld, length, stride, d, scale, scores, context + i * hidden + head * d, hidden, 1);
    }
}
