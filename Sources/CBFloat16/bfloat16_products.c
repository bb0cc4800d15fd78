#include "bfloat16_products.h"

#include <immintrin.h>
#include <string.h>

#define QZOO_BF16 __attribute__((target("avx512f,avx512bw,avx512bf16")))

enum { PANEL = 16, TILE_ROWS = 8, TILE_PANELS = 3, ROW_BLOCK = 64 };

int qzoo_bf16_available(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw")
        && __builtin_cpu_supports("avx512bf16");
}

size_t qzoo_bf16_packed_count(size_t rows, size_t width) { return width * ((rows + 1) / 2) * 2; }

QZOO_BF16 void qzoo_bf16_pack(const float *x, size_t rows, size_t width, uint16_t *out) {
    const size_t pairs = (rows + 1) / 2;
    /* vcvtne2ps2bf16 puts the second operand's 16 values first; this index interleaves them. */
    const __m512i interleave = _mm512_set_epi16(31, 15, 30, 14, 29, 13, 28, 12, 27, 11, 26, 10, 25, 9, 24, 8,
                                                23, 7, 22, 6, 21, 5, 20, 4, 19, 3, 18, 2, 17, 1, 16, 0);
    for (size_t panel = 0; panel < width / PANEL; panel++) {
        uint16_t *target = out + panel * pairs * 2 * PANEL;
        for (size_t t = 0; t < pairs; t++) {
            const __m512 even = _mm512_loadu_ps(x + 2 * t * width + panel * PANEL);
            const __m512 odd = 2 * t + 1 < rows ? _mm512_loadu_ps(x + (2 * t + 1) * width + panel * PANEL) : _mm512_setzero_ps();
            const __m512i both = (__m512i)_mm512_cvtne2ps_pbh(odd, even);
            _mm512_storeu_si512(target + t * 2 * PANEL, _mm512_permutexvar_epi16(interleave, both));
        }
    }
}

/* One tile of 8 rows × `panels` (1–3) panels: c[r·ldc + j] += Σ_t a[t·pairStep + r·rowStep] · b_t[j],
 * where a holds the tile's 8 rows as 32-bit pairs (a packed panel: pairStep 16, rowStep 1; rounded
 * rows: pairStep 1, rowStep pairs) and b points at the first of consecutive panels `pairs` pairs
 * apart. Inlined with constant `panels`, so the accumulators live in registers. */
QZOO_BF16 __attribute__((always_inline)) static inline void tile(const uint32_t *a, size_t pairStep, size_t rowStep,
                                                                 const uint32_t *b, size_t pairs, float *c, size_t ldc,
                                                                 const int panels) {
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
    for (int r = 0; r < TILE_ROWS; r++)
        for (int p = 0; p < panels; p++) {
            float *out = c + r * ldc + p * PANEL;
            _mm512_storeu_ps(out, _mm512_add_ps(_mm512_loadu_ps(out), acc[r][p]));
        }
}

/* `tile` over the panels of `b` from column j0 of a `width`-wide operand: up to TILE_PANELS, each
 * count a separate inlined copy with its accumulators in registers. */
QZOO_BF16 static inline void tile_at(const uint32_t *a, size_t pairStep, size_t rowStep, const uint32_t *b, size_t pairs,
                                     size_t width, size_t j0, float *c, size_t ldc) {
    const uint32_t *columns = b + (j0 / PANEL) * pairs * PANEL;
    const size_t panels = (width - j0) / PANEL < TILE_PANELS ? (width - j0) / PANEL : TILE_PANELS;
    if (panels == 3) tile(a, pairStep, rowStep, columns, pairs, c, ldc, 3);
    else if (panels == 2) tile(a, pairStep, rowStep, columns, pairs, c, ldc, 2);
    else tile(a, pairStep, rowStep, columns, pairs, c, ldc, 1);
}

QZOO_BF16 void qzoo_bf16_add_transposed_product(const uint16_t *a, const uint16_t *b, size_t rows, size_t aWidth, size_t bWidth,
                                                int upper, float *c, size_t ldc) {
    const size_t pairs = (rows + 1) / 2, tileWidth = TILE_PANELS * PANEL;
    const uint32_t *a32 = (const uint32_t *)a, *b32 = (const uint32_t *)b;
    for (size_t j0 = 0; j0 < bWidth; j0 += tileWidth) {
        const size_t end = upper && j0 + tileWidth < aWidth ? j0 + tileWidth : aWidth;
        for (size_t i0 = 0; i0 < end; i0 += TILE_ROWS) {
            const uint32_t *rowsOfA = a32 + (i0 / PANEL) * pairs * PANEL + i0 % PANEL;
            tile_at(rowsOfA, PANEL, 1, b32, pairs, bWidth, j0, c + i0 * ldc + j0, ldc);
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
 * zeroed scratch (its rows past `rows` are the zero padding) and adds only the real rows. */
QZOO_BF16 static void row_block(const uint32_t *x, size_t r0, size_t r1, size_t rows, size_t pairs, const uint32_t *w,
                                size_t width, float *c, size_t ldc) {
    for (size_t j0 = 0; j0 < width; j0 += TILE_PANELS * PANEL) {
        const size_t span = width - j0 < TILE_PANELS * PANEL ? width - j0 : TILE_PANELS * PANEL;
        for (size_t i0 = r0; i0 < r1; i0 += TILE_ROWS) {
            float scratch[TILE_ROWS * TILE_PANELS * PANEL];
            const int partial = i0 + TILE_ROWS > rows;
            if (partial) memset(scratch, 0, sizeof scratch);
            float *out = partial ? scratch : c + i0 * ldc + j0;
            const size_t step = partial ? TILE_PANELS * PANEL : ldc;
            tile_at(x + i0 * pairs, 1, pairs, w, pairs, width, j0, out, step);
            for (size_t r = 0; partial && i0 + r < rows; r++)
                for (size_t j = 0; j < span; j++) c[(i0 + r) * ldc + j0 + j] += scratch[r * step + j];
        }
    }
}

/* Rows go in blocks of ROW_BLOCK: a block's rounded rows (64 × depth × 2 bytes) stay in L2 cache while every
 * panel of w streams past them, instead of all of x streaming past each panel. */
QZOO_BF16 void qzoo_bf16_add_product(const uint16_t *x, size_t rows, size_t depth, const uint16_t *w, size_t width, float *c,
                                     size_t ldc) {
    const size_t pairs = depth / 2;
    for (size_t r0 = 0; r0 < rows; r0 += ROW_BLOCK) {
        const size_t r1 = r0 + ROW_BLOCK < rows ? r0 + ROW_BLOCK : rows;
        row_block((const uint32_t *)x, r0, r1, rows, pairs, (const uint32_t *)w, width, c, ldc);
    }
}
