#include "e8p_listed.h"

#include <immintrin.h>
#include <stdint.h>

/* Unfused multiplies and adds stay two roundings, as in the Swift search. */
#pragma STDC FP_CONTRACT OFF

#define QZOO_AVX2 __attribute__((target("avx2")))

/* `b` where b < a, else a: Swift's `a.lesser(b)` (NaN in b keeps a). */
QZOO_AVX2 static inline __m256 lesser(__m256 a, __m256 b) { return _mm256_min_ps(b, a); }

QZOO_AVX2 int qzoo_e8p_best_listed(const float *lanes, const float *u, int odd_negatives, float threshold) {
    __m256 best = _mm256_set1_ps(-__builtin_inff());
    __m256i pattern = _mm256_setzero_si256();
    const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    for (int group = 0; group < 4; group++) {
        const float *g = lanes + group * 9 * 8;
        __m256 p[8];
        for (int i = 0; i < 8; i++) p[i] = _mm256_mul_ps(_mm256_loadu_ps(g + i * 8), _mm256_set1_ps(u[i]));
        const __m256 dot = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(p[0], p[1]), _mm256_add_ps(p[2], p[3])),
                                         _mm256_add_ps(_mm256_add_ps(p[4], p[5]), _mm256_add_ps(p[6], p[7])));
        __m256 scores = _mm256_add_ps(_mm256_mul_ps(_mm256_set1_ps(2), dot), _mm256_loadu_ps(g + 8 * 8));
        if (!odd_negatives) {
            const __m256 smallest = lesser(lesser(p[0], p[1]), lesser(p[2], p[3]));
            const __m256 rest = lesser(lesser(p[4], p[5]), lesser(p[6], p[7]));
            scores = _mm256_sub_ps(scores, _mm256_mul_ps(_mm256_set1_ps(4), lesser(smallest, rest)));
        }
        const __m256 better = _mm256_cmp_ps(scores, best, _CMP_GT_OQ);
        best = _mm256_blendv_ps(best, scores, better);
        pattern = _mm256_castps_si256(_mm256_blendv_ps(_mm256_castsi256_ps(pattern),
                                                       _mm256_castsi256_ps(_mm256_add_epi32(lane, _mm256_set1_epi32(group * 8))), better));
    }
    float scores[8];
    int32_t indices[8];
    _mm256_storeu_ps(scores, best);
    _mm256_storeu_si256((__m256i *)indices, pattern);
    float top = scores[0];
    for (int i = 1; i < 8; i++) top = scores[i] > top ? scores[i] : top;
    if (!(top > threshold)) return -1;
    int first = INT32_MAX;
    for (int i = 0; i < 8; i++)
        if (scores[i] == top && indices[i] < first) first = indices[i];
    return first;
}
