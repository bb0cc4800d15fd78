#include "bfloat16_products.h"

#include <immintrin.h>
#include <string.h>

#include "vector_math16.h"

enum { PANEL = 16, TILE_ROWS = 8, TILE_PANELS = 3, ROW_BLOCK = 64 };

/* GELU as VectorMath computes it in Swift (`VectorMath.erf`, `VectorMath.exp` on SIMD16, then
 * `x·(1 + erf(x/√2))/2`), operation for operation: fused multiply-adds where it fuses, separate
 * roundings where it rounds, the same constants and clamps. The FFN-up layer's output then takes
 * its activation as each tile is stored, with the same bits as the separate pass over it. No
 * contraction here: an unfused multiply and add must stay two roundings. */
#pragma STDC FP_CONTRACT OFF

/* erf's q(a²) below 1 and Q(a − 2.5) above. */
static const float erf_central_coefficients[] = {0x1.496a32p-14f, -0x1.a3f7p-11f, 0x1.5405b2p-8f, -0x1.b7f90ep-6f,
                                                 0x1.ce2cf8p-4f, -0x1.81273ep-2f, 0x1.06eba8p-3f};
static const float erf_tail_coefficients[] = {0x1.c0227cp-14f, 0x1.d7fee6p-13f, 0x1.1cdbc4p-11f, -0x1.5a9db6p-11f, 0x1.2dcb26p-9f,
                                              -0x1.0a7a4cp-7f, 0x1.983382p-6f, -0x1.30816ep-4f, 0x1.afbbe6p-3f};

QZOO_BF16 static inline __m512 erf16(__m512 x) {
    const __m512i bits = _mm512_castps_si512(x), sign = _mm512_set1_epi32((int)0x80000000u);
    const __m512 a = _mm512_castsi512_ps(_mm512_andnot_si512(sign, bits));
    const __m512 u = _mm512_mul_ps(a, a);
    const __m512 central = _mm512_fmadd_ps(a, horner(u, erf_central_coefficients, 7), a);
    const __m512 t = replace_where_greater(a, 4.0f), s = _mm512_sub_ps(t, _mm512_set1_ps(2.5f));
    const __m512 Q = horner(s, erf_tail_coefficients, 9);
    const __m512 minusSquare = _mm512_castsi512_ps(_mm512_xor_si512(_mm512_castps_si512(_mm512_mul_ps(t, t)), sign));
    const __m512 tail = _mm512_sub_ps(_mm512_set1_ps(1.0f), _mm512_mul_ps(exp16(minusSquare), Q));
    const __m512 y = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(a, _mm512_set1_ps(1.0f), _CMP_GE_OQ), central, tail);
    return _mm512_castsi512_ps(_mm512_or_si512(_mm512_castps_si512(y), _mm512_and_si512(bits, sign)));
}

QZOO_BF16 static inline __m512 gelu16(__m512 x) {
    const float inverseRoot2 = 1.0f / __builtin_sqrtf(2.0f);
    const __m512 e = erf16(_mm512_mul_ps(x, _mm512_set1_ps(inverseRoot2)));
    return _mm512_div_ps(_mm512_mul_ps(x, _mm512_add_ps(_mm512_set1_ps(1.0f), e)), _mm512_set1_ps(2.0f));
}

int qzoo_bf16_available(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw")
        && __builtin_cpu_supports("avx512bf16");
}

size_t qzoo_bf16_packed_count(size_t rows, size_t width) { return width * ((rows + 1) / 2) * 2; }

/* sums[0..16) += the 16 floats of `v`, in float64 (`low` and `high` hold the running sums). */
QZOO_BF16 static inline void add_wide(__m512 v, __m512d *low, __m512d *high) {
    *low = _mm512_add_pd(*low, _mm512_cvtps_pd(_mm512_castps512_ps256(v)));
    *high = _mm512_add_pd(*high, _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1))));
}

/* vcvtne2ps2bf16 puts its second operand's 16 values first; this interleaves them, so each
 * 32-bit word holds one column's pair of rows (first operand's value high). */
QZOO_BF16 static inline __m512i interleaved(__m512i both) {
    const __m512i index = _mm512_set_epi16(31, 15, 30, 14, 29, 13, 28, 12, 27, 11, 26, 10, 25, 9, 24, 8,
                                           23, 7, 22, 6, 21, 5, 20, 4, 19, 3, 18, 2, 17, 1, 16, 0);
    return _mm512_permutexvar_epi16(index, both);
}

QZOO_BF16 void qzoo_bf16_pack(const float *x, size_t rows, size_t width, uint16_t *out, double *sums) {
    const size_t pairs = (rows + 1) / 2;
    for (size_t panel = 0; panel < width / PANEL; panel++) {
        uint16_t *target = out + panel * pairs * 2 * PANEL;
        double *panelSums = sums ? sums + panel * PANEL : 0;
        __m512d low = panelSums ? _mm512_loadu_pd(panelSums) : _mm512_setzero_pd();
        __m512d high = panelSums ? _mm512_loadu_pd(panelSums + 8) : _mm512_setzero_pd();
        for (size_t t = 0; t < pairs; t++) {
            const int hasOdd = 2 * t + 1 < rows;
            const __m512 even = _mm512_loadu_ps(x + 2 * t * width + panel * PANEL);
            const __m512 odd = hasOdd ? _mm512_loadu_ps(x + (2 * t + 1) * width + panel * PANEL) : _mm512_setzero_ps();
            const __m512i both = (__m512i)_mm512_cvtne2ps_pbh(odd, even);
            _mm512_storeu_si512(target + t * 2 * PANEL, interleaved(both));
            if (panelSums) {
                add_wide(even, &low, &high);
                if (hasOdd) add_wide(odd, &low, &high);
            }
        }
        if (panelSums) {
            _mm512_storeu_pd(panelSums, low);
            _mm512_storeu_pd(panelSums + 8, high);
        }
    }
}

typedef struct rounded_landing rounded_landing;

/* Where a tile's sums land: added to what c holds (no bias), or c = bias (+ residual) + sums, the
 * bias at the tile's first column and the residual at its first entry (row stride ldc), then
 * through GELU when `gelu` is set: a linear layer's output written in one pass instead of filled
 * with the bias first, added to, and activated in a pass of its own. */
typedef struct {
    const float *bias;
    const float *residual;
    int gelu;
    /* Set: the tile's values are not stored as float32 but rounded (`land_rounded`); `row` and
     * `column` are then the tile's first row and column in the whole product. */
    const rounded_landing *rounded;
    size_t row, column;
} tile_start;

/* Where `qzoo_bf16_product_rounded` lands its values: the output rounded to bfloat16 as rows
 * (`qzoo_bf16_round_rows`' layout) and, optionally, packed for a Gram matrix with its column sums
 * (`qzoo_bf16_pack`'s layout and sums). */
struct rounded_landing {
    uint16_t *kept;
    uint16_t *packed;
    double *sums;
    size_t rows, width;
};

QZOO_BF16 __attribute__((always_inline)) static inline __m512 landed(tile_start start, __m512 base, __m512 sums) {
    const __m512 value = _mm512_add_ps(base, sums);
    return start.gelu ? gelu16(value) : value;
}

QZOO_BF16 __attribute__((always_inline)) static inline __m512 start_value(tile_start start, const float *out, size_t r, size_t ldc,
                                                                        size_t column) {
    if (!start.bias) return _mm512_loadu_ps(out);
    const __m512 bias = _mm512_loadu_ps(start.bias + column);
    return start.residual ? _mm512_add_ps(bias, _mm512_loadu_ps(start.residual + r * ldc + column)) : bias;
}

/* A tile's sums landed on the bias (through GELU when set) and kept only rounded to bfloat16:
 * its first `valid` rows as rounded rows, and with `packed` as pairs of rows interleaved per
 * column with each column's float64 sum taken over the rows in order — the values, layouts
 * and sums `qzoo_bf16_round_rows` and `qzoo_bf16_pack` make of the float32 output, without
 * it being written. Rows past `valid` are the zero padding both layouts hold there. Tiles of
 * the same columns come in row order, so each column's sum adds its rows in order. */
QZOO_BF16 __attribute__((always_inline)) static inline void land_rounded(tile_start start, __m512 acc[TILE_ROWS][TILE_PANELS],
                                                                        const int panels, size_t valid) {
    const rounded_landing *out = start.rounded;
    const size_t pairs = (out->rows + 1) / 2;
    for (int p = 0; p < panels; p++) {
        const size_t column = start.column + p * PANEL;
        const __m512 bias = _mm512_loadu_ps(start.bias + p * PANEL);
        __m512 v[TILE_ROWS];
        for (size_t r = 0; r < TILE_ROWS; r++) {
            v[r] = r < valid ? landed(start, bias, acc[r][p]) : _mm512_setzero_ps();
            _mm256_storeu_si256((__m256i *)(out->kept + (start.row + r) * out->width + column), (__m256i)_mm512_cvtneps_pbh(v[r]));
        }
        if (!out->packed) continue;
        for (size_t q = 0; q < TILE_ROWS / 2 && start.row / 2 + q < pairs; q++) {
            const __m512i both = (__m512i)_mm512_cvtne2ps_pbh(v[2 * q + 1], v[2 * q]);
            uint16_t *target = out->packed + ((column / PANEL) * pairs + start.row / 2 + q) * 2 * PANEL;
            _mm512_storeu_si512(target, interleaved(both));
        }
        __m512d low = _mm512_loadu_pd(out->sums + column), high = _mm512_loadu_pd(out->sums + column + 8);
        for (size_t r = 0; r < valid; r++) add_wide(v[r], &low, &high);
        _mm512_storeu_pd(out->sums + column, low);
        _mm512_storeu_pd(out->sums + column + 8, high);
    }
}

/* One tile of 8 rows × `panels` (1–3) panels: c[r·ldc + j] = start + Σ_t a[t·pairStep + r·rowStep] · b_t[j],
 * where a holds the tile's 8 rows as 32-bit pairs (a packed panel: pairStep 16, rowStep 1; rounded
 * rows: pairStep 1, rowStep pairs) and b points at the first of consecutive panels `pairs` pairs
 * apart. Inlined with constant `panels`, so the accumulators live in registers. */
QZOO_BF16 __attribute__((always_inline)) static inline void tile(const uint32_t *a, size_t pairStep, size_t rowStep,
                                                                 const uint32_t *b, size_t pairs, float *c, size_t ldc,
                                                                 tile_start start, const int panels) {
    __m512 acc[TILE_ROWS][TILE_PANELS];
    for (int r = 0; r < TILE_ROWS; r++)
        for (int p = 0; p < panels; p++) acc[r][p] = _mm512_setzero_ps();
    const size_t panelWords = pairs * PANEL;
    for (size_t t = 0; t < pairs; t++) {
        __m512bh columns[TILE_PANELS];
        for (int p = 0; p < panels; p++) columns[p] = (__m512bh)_mm512_loadu_si512(b + p * panelWords + t * PANEL);
        for (int r = 0; r < TILE_ROWS; r++) {
            const __m512bh row = (__m512bh)_mm512_set1_epi32((int)a[t * pairStep + r * rowStep]);
            for (int p = 0; p < panels; p++) acc[r][p] = _mm512_dpbf16_ps(acc[r][p], row, columns[p]);
        }
    }
    if (start.rounded) {
        land_rounded(start, acc, panels, TILE_ROWS);
        return;
    }
    for (int r = 0; r < TILE_ROWS; r++)
        for (int p = 0; p < panels; p++) {
            float *out = c + r * ldc + p * PANEL;
            _mm512_storeu_ps(out, landed(start, start_value(start, out, r, ldc, p * PANEL), acc[r][p]));
        }
}

/* Asks for a tile's TILE_ROWS rows of `span` floats from `c` (row stride ldc) to be brought
 * into cache: a Gram matrix's tile adds its sums to what c holds, and c (9 MB for FFN down)
 * is no longer in cache by the time the tile's sums are done. */
static inline void prefetch_rows(const float *c, size_t ldc, size_t span) {
    for (size_t r = 0; r < TILE_ROWS; r++)
        for (size_t k = 0; k < span; k += PANEL) _mm_prefetch((const char *)(c + r * ldc + k), _MM_HINT_T0);
}

/* `tile` over the panels of `b` from column j0 of a `width`-wide operand: up to TILE_PANELS, each
 * count a separate inlined copy with its accumulators in registers. */
QZOO_BF16 static inline void tile_at(const uint32_t *a, size_t pairStep, size_t rowStep, const uint32_t *b, size_t pairs,
                                     size_t width, size_t j0, float *c, size_t ldc, tile_start start) {
    const uint32_t *columns = b + (j0 / PANEL) * pairs * PANEL;
    const size_t panels = (width - j0) / PANEL < TILE_PANELS ? (width - j0) / PANEL : TILE_PANELS;
    if (panels == 3) tile(a, pairStep, rowStep, columns, pairs, c, ldc, start, 3);
    else if (panels == 2) tile(a, pairStep, rowStep, columns, pairs, c, ldc, start, 2);
    else tile(a, pairStep, rowStep, columns, pairs, c, ldc, start, 1);
}

QZOO_BF16 void qzoo_bf16_add_transposed_product(const uint16_t *a, const uint16_t *b, size_t rows, size_t aWidth, size_t bWidth,
                                                int upper, float *c, size_t ldc) {
    const size_t pairs = (rows + 1) / 2, tileWidth = TILE_PANELS * PANEL;
    const uint32_t *a32 = (const uint32_t *)a, *b32 = (const uint32_t *)b;
    for (size_t j0 = 0; j0 < bWidth; j0 += tileWidth) {
        const size_t end = upper && j0 + tileWidth < aWidth ? j0 + tileWidth : aWidth;
        const size_t limit = j0 + tileWidth < bWidth ? j0 + tileWidth : bWidth;
        for (size_t i0 = 0; i0 < end; i0 += TILE_ROWS) {
            if (i0 + TILE_ROWS < end) prefetch_rows(c + (i0 + TILE_ROWS) * ldc + j0, ldc, limit - j0);
            /* With `upper`, a tile in the diagonal block skips its panels wholly left of its
             * first row: entries below the diagonal that nothing reads. */
            const size_t first = upper && i0 > j0 ? j0 + (i0 - j0) / PANEL * PANEL : j0;
            const uint32_t *rowsOfA = a32 + (i0 / PANEL) * pairs * PANEL + i0 % PANEL;
            tile_at(rowsOfA, PANEL, 1, b32, pairs, limit, first, c + i0 * ldc + first, ldc, (tile_start){0});
        }
    }
}

/* x rounded to bfloat16 (ties to even) as vcvtne2ps2bf16 does; NaN stays NaN. */
static uint16_t round_one(float x) {
    uint32_t bits;
    memcpy(&bits, &x, sizeof bits);
    if ((bits & 0x7F800000u) == 0x7F800000u) return (uint16_t)((bits >> 16) | ((bits & 0xFFFFu) ? 0x40u : 0u));
    return (uint16_t)((bits + 0x7FFFu + ((bits >> 16) & 1u)) >> 16);
}

size_t qzoo_bf16_rows_count(size_t rows, size_t depth) { return (rows + TILE_ROWS - 1) / TILE_ROWS * TILE_ROWS * depth; }

QZOO_BF16 void qzoo_bf16_round_rows(const float *x, size_t rows, size_t depth, uint16_t *out) {
    const size_t count = rows * depth, vectorEnd = count / 32 * 32;
    for (size_t i = 0; i < vectorEnd; i += 32) {
        const __m512i both = (__m512i)_mm512_cvtne2ps_pbh(_mm512_loadu_ps(x + i + 16), _mm512_loadu_ps(x + i));
        _mm512_storeu_si512(out + i, both);
    }
    for (size_t i = vectorEnd; i < count; i++) out[i] = round_one(x[i]);
    for (size_t i = count; i < qzoo_bf16_rows_count(rows, depth); i++) out[i] = 0;
}

void qzoo_bf16_pack_transposed(const float *weight, size_t outputs, size_t inputs, uint16_t *out) {
    const size_t pairs = inputs / 2;
    for (size_t panel = 0; panel < outputs / PANEL; panel++)
        for (size_t t = 0; t < pairs; t++)
            for (size_t j = 0; j < PANEL; j++) {
                const float *pair = weight + (panel * PANEL + j) * inputs + 2 * t;
                uint16_t *target = out + (panel * pairs + t) * 2 * PANEL + 2 * j;
                target[0] = round_one(pair[0]);
                target[1] = round_one(pair[1]);
            }
}

/* The 8-row tiles of rows [r0, r1) × all of w, 3 panels at a time; a last partial tile sums into a
 * zeroed scratch (its rows past `rows` are the zero padding) and lands only the real rows. */
QZOO_BF16 static void row_block(const uint32_t *x, size_t r0, size_t r1, size_t rows, size_t pairs, const uint32_t *w,
                                size_t width, tile_start start, float *c, size_t ldc) {
    for (size_t j0 = 0; j0 < width; j0 += TILE_PANELS * PANEL) {
        const size_t span = width - j0 < TILE_PANELS * PANEL ? width - j0 : TILE_PANELS * PANEL;
        for (size_t i0 = r0; i0 < r1; i0 += TILE_ROWS) {
            const tile_start at = {start.bias ? start.bias + j0 : 0, start.residual ? start.residual + i0 * ldc + j0 : 0, start.gelu,
                                   start.rounded, i0, j0};
            if (i0 + TILE_ROWS <= rows) {
                tile_at(x + i0 * pairs, 1, pairs, w, pairs, width, j0, c ? c + i0 * ldc + j0 : 0, ldc, at);
                continue;
            }
            float scratch[TILE_ROWS * TILE_PANELS * PANEL];
            memset(scratch, 0, sizeof scratch);
            tile_at(x + i0 * pairs, 1, pairs, w, pairs, width, j0, scratch, TILE_PANELS * PANEL, (tile_start){0});
            if (at.rounded) {
                __m512 sums[TILE_ROWS][TILE_PANELS];
                for (int r = 0; r < TILE_ROWS; r++)
                    for (int p = 0; p < TILE_PANELS; p++) sums[r][p] = _mm512_loadu_ps(scratch + r * TILE_PANELS * PANEL + p * PANEL);
                land_rounded(at, sums, (int)(span / PANEL), rows - i0);
                continue;
            }
            for (size_t r = 0; i0 + r < rows; r++)
                for (size_t j = 0; j < span; j += PANEL) {
                    float *out = c + (i0 + r) * ldc + j0 + j;
                    const __m512 sums = _mm512_loadu_ps(scratch + r * TILE_PANELS * PANEL + j);
                    _mm512_storeu_ps(out, landed(at, start_value(at, out, r, ldc, j), sums));
                }
        }
    }
}

/* Rows go in blocks of ROW_BLOCK: a block's rounded rows (64 × depth × 2 bytes) stay in L2 cache while every
 * panel of w streams past them, instead of all of x streaming past each panel. */
QZOO_BF16 static void row_blocks(const uint16_t *x, size_t rows, size_t depth, const uint16_t *w, size_t width, tile_start start,
                                 float *c, size_t ldc) {
    for (size_t r0 = 0; r0 < rows; r0 += ROW_BLOCK) {
        const size_t r1 = r0 + ROW_BLOCK < rows ? r0 + ROW_BLOCK : rows;
        row_block((const uint32_t *)x, r0, r1, rows, depth / 2, (const uint32_t *)w, width, start, c, ldc);
    }
}

QZOO_BF16 void qzoo_bf16_product(const uint16_t *x, size_t rows, size_t depth, const uint16_t *w, size_t width, const float *bias,
                                 const float *residual, int gelu, float *c, size_t ldc) {
    row_blocks(x, rows, depth, w, width, (tile_start){bias, bias ? residual : 0, bias ? gelu : 0}, c, ldc);
}

QZOO_BF16 void qzoo_bf16_product_rounded(const uint16_t *x, size_t rows, size_t depth, const uint16_t *w, size_t width,
                                         const float *bias, int gelu, uint16_t *kept, uint16_t *packed, double *sums) {
    const rounded_landing out = {kept, packed, packed ? sums : 0, rows, width};
    row_blocks(x, rows, depth, w, width, (tile_start){bias, 0, gelu, &out}, 0, width);
}
