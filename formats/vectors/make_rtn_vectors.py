"""Golden vectors for qzoo's RTN quantizer (Tests/QZooQuantTests/RTNGoldenTests.swift).

Writes formats/vectors/rtn/rtn.safetensors with one float32 input, `weight` [7, 20], and for each
configuration below the expected unpacked codes (`<name>.codes`, U8 [7, 20]), scales
(`<name>.scales`, F32) and, for asymmetric grids, zero points (`<name>.zeros`, U8).

The expected values come from a float32 numpy transcription of the reference GPTQ quantizer
(IST-DASLab/gptq, quant.py: `find_params`, `quantize`, and the `mse` clip search with grid 100,
maxshrink 0.8, norm 2.4), run per row (per-channel), per row and column group (group-wise, the
last group of a row shorter) or over the flattened tensor (per-tensor). One deliberate
difference, which qzoo documents: a symmetric range is [-m, m] with m = max(|min|, max) also
when a row has no negative value (quant.py keeps [0, max] there and, with its fixed zero point
2^(bits-1), clips the upper half of such a row). Row 5 is all positive to pin that down; row 4
is all zero; row 6 puts values on exact rounding ties of a scale-1 grid.

Run from anywhere; the output is a deterministic function of the seed and numpy's float32
arithmetic (numpy >= 2, whose NEP 50 rules keep `python float * float32 array` in float32).
"""

from pathlib import Path

import numpy as np
from safetensors.numpy import save_file

OUT = Path(__file__).resolve().parent / "rtn" / "rtn.safetensors"
SEED = 20250401

# name: (bits, symmetric, granularity, clip search); granularity is "tensor", "channel" or a group size.
CONFIGS = {
    "a4_g8": (4, False, 8, False),
    "s3_channel": (3, True, "channel", False),
    "a8_tensor": (8, False, "tensor", False),
    "s4_channel": (4, True, "channel", False),
    "a2_channel_clip": (2, False, "channel", True),
    "s4_g8_clip": (4, True, 8, True),
    "a3_tensor_clip": (3, False, "tensor", True),
}


def weight():
    rng = np.random.default_rng(SEED)
    w = rng.standard_normal((7, 20)).astype(np.float32) * np.float32(0.05)
    w[1, 3] = 0.9  # outliers, which the clip search should clip
    w[2, 17] = -0.7
    w[4, :] = 0
    w[5, :] = np.abs(w[5, :]) + np.float32(0.01)
    w[6, :] = np.array([-7.5, 7.5, 0.5, 1.5, 2.5, 3.5, -0.5, -1.5, -2.5, 6.5,
                        4.5, -4.5, 5.5, -5.5, 0, 1, -1, 7, -7, 0.25], dtype=np.float32)
    return w


def quantize(x, scale, zero, maxq):
    q = np.clip(np.round(x / scale) + zero, 0, maxq)
    return scale * (q - zero)


def find_params(x, bits, sym, mse, norm=2.4, grid=100, maxshrink=0.8):
    """quant.py's find_params for rows of x (float32)."""
    maxq = np.float32(2**bits - 1)
    tmp = np.zeros(x.shape[0], dtype=np.float32)
    xmin = np.minimum(x.min(1), tmp)
    xmax = np.maximum(x.max(1), tmp)
    if sym:
        xmax = np.maximum(np.abs(xmin), xmax)
        xmin = -xmax  # quant.py: only where xmin < 0 (see the module docstring)
    both = (xmin == 0) & (xmax == 0)
    xmin[both] = -1
    xmax[both] = +1
    scale = (xmax - xmin) / maxq
    zero = np.full_like(scale, (maxq + 1) / 2) if sym else np.round(-xmin / scale)
    if mse:
        best = np.full(x.shape[0], np.inf, dtype=np.float32)
        for i in range(int(maxshrink * grid)):
            p = 1 - i / grid
            xmin1 = p * xmin
            xmax1 = p * xmax
            scale1 = (xmax1 - xmin1) / maxq
            zero1 = np.round(-xmin1 / scale1) if not sym else zero
            q = quantize(x, scale1[:, None], zero1[:, None], maxq)
            q -= x
            q = np.abs(q) ** np.float32(norm)
            err = np.sum(q, 1)
            better = err < best
            best[better] = err[better]
            scale[better] = scale1[better]
            zero[better] = zero1[better]
    assert scale.dtype == np.float32 and zero.dtype == np.float32
    return scale, zero


def codes(x, scale, zero, bits):
    return np.clip(np.round(x / scale) + zero, 0, 2**bits - 1).astype(np.uint8)


def run(w, bits, sym, granularity, mse):
    rows, cols = w.shape
    if granularity == "tensor":
        s, z = find_params(w.reshape(1, -1), bits, sym, mse)
        return codes(w, s[0], z[0], bits), s, z
    if granularity == "channel":
        s, z = find_params(w, bits, sym, mse)
        return codes(w, s[:, None], z[:, None], bits), s, z
    groups = range(0, cols, granularity)
    out = np.zeros_like(w, dtype=np.uint8)
    scales = np.zeros((rows, len(groups)), dtype=np.float32)
    zeros = np.zeros((rows, len(groups)), dtype=np.float32)
    for g, start in enumerate(groups):
        part = w[:, start:start + granularity]
        s, z = find_params(part, bits, sym, mse)
        out[:, start:start + granularity] = codes(part, s[:, None], z[:, None], bits)
        scales[:, g], zeros[:, g] = s, z
    return out, scales, zeros


def main():
    w = weight()
    tensors = {"weight": w}
    for name, (bits, sym, granularity, mse) in CONFIGS.items():
        c, s, z = run(w, bits, sym, granularity, mse)
        tensors[name + ".codes"] = c
        tensors[name + ".scales"] = np.ascontiguousarray(s, dtype=np.float32)
        if not sym:
            assert np.all((z >= 0) & (z <= 2**bits - 1))
            tensors[name + ".zeros"] = z.astype(np.uint8)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    save_file(tensors, str(OUT), metadata={"generator": "make_rtn_vectors.py", "numpy": np.__version__})
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
