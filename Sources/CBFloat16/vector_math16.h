#ifndef QZOO_VECTOR_MATH16_H
#define QZOO_VECTOR_MATH16_H
/* Shared by the kernels of this target: the target attribute they are compiled for (used only
 * where qzoo_bf16_available() holds) and VectorMath's float32 exp on 16 lanes, operation for
 * operation as the Swift code computes it (`VectorMath.exp` on SIMD16). */
#include <immintrin.h>

#define QZOO_BF16 __attribute__((target("avx512f,avx512bw,avx512bf16")))

/* Unfused multiplies and adds stay two roundings, as in the Swift code. */
#pragma STDC FP_CONTRACT OFF

QZOO_BF16 static inline __m512 replace_where_less(__m512 x, float bound) {
    return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(x, _mm512_set1_ps(bound), _CMP_LT_OQ), x, _mm512_set1_ps(bound));
}

QZOO_BF16 static inline __m512 replace_where_greater(__m512 x, float bound) {
    return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(x, _mm512_set1_ps(bound), _CMP_GT_OQ), x, _mm512_set1_ps(bound));
}

/* The polynomial with coefficients c[0] (highest power) … c[n−1] at x, by Horner's rule as the
 * Swift chains compute it: p = c[0], then p = c[i] + p·x, fused, for i = 1 … n−1. */
QZOO_BF16 static inline __m512 horner(__m512 x, const float *c, int n) {
    __m512 p = _mm512_set1_ps(c[0]);
    for (int i = 1; i < n; i++) p = _mm512_fmadd_ps(p, x, _mm512_set1_ps(c[i]));
    return p;
}

/* exp's S(r) followed by its two outer steps (1 + r·(1 + r·S)). */
static const float exp_coefficients[] = {0x1.6a244cp-10f, 0x1.1239d4p-7f, 0x1.5558f2p-5f, 0x1.555492p-3f, 0x1.fffffcp-2f, 1.0f, 1.0f};

QZOO_BF16 static inline __m512 exp16(__m512 x) {
    x = replace_where_greater(replace_where_less(x, -104.0f), 89.0f);
    const __m512 shifter = _mm512_set1_ps(0x1.8p23f);
    const __m512 shifted = _mm512_fmadd_ps(x, _mm512_set1_ps(0x1.715476p0f), shifter);
    const __m512 n = _mm512_sub_ps(shifted, shifter);
    const __m512 r = _mm512_fmadd_ps(n, _mm512_set1_ps(0x1.05c61p-29f), _mm512_fmadd_ps(n, _mm512_set1_ps(-0x1.62e43p-1f), x));
    const __m512 p = horner(r, exp_coefficients, 7);
    const __m512i exponent = _mm512_sub_epi32(_mm512_castps_si512(shifted), _mm512_set1_epi32(0x4B400000));
    const __m512i half = _mm512_srai_epi32(exponent, 1), bias = _mm512_set1_epi32(127);
    const __m512 first = _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_add_epi32(half, bias), 23));
    const __m512 second = _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_add_epi32(_mm512_sub_epi32(exponent, half), bias), 23));
    return _mm512_mul_ps(_mm512_mul_ps(p, first), second);
}

#endif
