#include "bfloat16_products.h"

#include <immintrin.h>

#define QZOO_BF16 __attribute__((target("avx512f,avx512bw,avx512bf16")))

enum { PANEL = 16, TILE_ROWS = 8, TILE_PANELS = 3 };

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

/* One tile of 8 rows × `panels` (1–3) panels: c[r·ldc + j] += Σ_t a_t[r] · b_t[j], where a points at
 * the first of the tile's 8 columns in its panel (one 32-bit pair per column and row pair, 16 per
 * row pair) and b at the first of consecutive panels `pairs` row pairs apart. Inlined with a
 * constant `panels`, so the accumulators live in registers. */
QZOO_BF16 __attribute__((always_inline)) static inline void tile(const uint32_t *a, const uint32_t *b, size_t pairs, float *c,
                                                                 size_t ldc, const int panels) {
    __m512 acc[TILE_ROWS][TILE_PANELS];
    for (int r = 0; r < TILE_ROWS; r++)
        for (int p = 0; p < panels; p++) acc[r][p] = _mm512_setzero_ps();
    const size_t panelWords = pairs * PANEL;
    for (size_t t = 0; t < pairs; t++) {
        __m512bh columns[TILE_PANELS];
        for (int p = 0; p < panels; p++) columns[p] = (__m512bh)_mm512_loadu_si512(b + p * panelWords + t * PANEL);
        for (int r = 0; r < TILE_ROWS; r++) {
            const __m512bh row = (__m512bh)_mm512_set1_epi32((int)a[t * PANEL + r]);
            for (int p = 0; p < panels; p++) acc[r][p] = _mm512_dpbf16_ps(acc[r][p], row, columns[p]);
        }
    }
    for (int r = 0; r < TILE_ROWS; r++)
        for (int p = 0; p < panels; p++) {
            float *out = c + r * ldc + p * PANEL;
            _mm512_storeu_ps(out, _mm512_add_ps(_mm512_loadu_ps(out), acc[r][p]));
        }
}

QZOO_BF16 void qzoo_bf16_add_transposed_product(const uint16_t *a, const uint16_t *b, size_t rows, size_t aWidth, size_t bWidth,
                                                int upper, float *c, size_t ldc) {
    const size_t pairs = (rows + 1) / 2, tileWidth = TILE_PANELS * PANEL;
    const uint32_t *a32 = (const uint32_t *)a, *b32 = (const uint32_t *)b;
    for (size_t j0 = 0; j0 < bWidth; j0 += tileWidth) {
        const uint32_t *columns = b32 + (j0 / PANEL) * pairs * PANEL;
        const size_t panels = (bWidth - j0) / PANEL < TILE_PANELS ? (bWidth - j0) / PANEL : TILE_PANELS;
        const size_t end = upper && j0 + tileWidth < aWidth ? j0 + tileWidth : aWidth;
        for (size_t i0 = 0; i0 < end; i0 += TILE_ROWS) {
            const uint32_t *rowsOfA = a32 + (i0 / PANEL) * pairs * PANEL + i0 % PANEL;
            float *out = c + i0 * ldc + j0;
            if (panels == 3) tile(rowsOfA, columns, pairs, out, ldc, 3);
            else if (panels == 2) tile(rowsOfA, columns, pairs, out, ldc, 2);
            else tile(rowsOfA, columns, pairs, out, ldc, 1);
        }
    }
}
