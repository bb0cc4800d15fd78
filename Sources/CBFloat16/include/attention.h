#ifndef QZOO_ATTENTION_H
#define QZOO_ATTENTION_H
#include <stddef.h>

/* Scaled dot-product attention of one sequence in float32, every head, with AVX-512 (only
 * where qzoo_bf16_available() holds). Row r of `qkv` (r < length, row stride 3·hidden) is
 * [q | k | v], each `hidden` wide with the heads side by side, hidden/heads a multiple of 16;
 * row r of `context` (row stride hidden) gets, per head, Σ_j softmax_j(scale · q_r·k_j) · v_j.
 * `scratch` holds qzoo_attention_scratch_count(length, hidden / heads) floats. */
size_t qzoo_attention_scratch_count(size_t length, size_t head_size);

void qzoo_attention(const float *qkv, size_t length, size_t hidden, size_t heads, float scale, float *context, float *scratch);

#endif
