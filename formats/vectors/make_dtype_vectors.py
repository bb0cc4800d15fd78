"""Golden vectors for qzoo's float conversions (Tests/QZooCoreTests/DTypeConversionTests.swift).

Writes raw little-endian arrays (no header) under formats/vectors/dtype/:

  decode_<fmt>.bin            every bit pattern of <fmt>, in order, decoded to float32 bits (u32)
  encode_input_f32.bin        seeded float32 inputs (u32 bits)
  encode_<fmt>.bin            those inputs encoded to <fmt> (u16 or u8 per element)
  encode_saturate_<f8>.bin    the same inputs through ONNX QuantizeLinear(scale 1, saturate=1)
  round_input_f64.bin         seeded float64 inputs (u64 bits), many just off a tie
  round_<fmt>.bin             those inputs correctly rounded (once) to <fmt>

<fmt> is f16 (numpy), bf16, f8_e4m3fn, f8_e5m2 (ml_dtypes). Run from anywhere; the output is a
deterministic function of the seeds and the library versions recorded in dtype/README.md.

Why an exact reference for round_*: ml_dtypes converts float64 to bf16/fp8 through float32, so it
rounds twice (e.g. 1 + 2**-8 + 2**-30 becomes bf16 1.0 instead of 1.0078125). qzoo promises a
single rounding, so round_* comes from exact rational arithmetic below; the script checks it
against numpy's float64->float16 (which rounds once) and against ml_dtypes wherever the input is
exactly a float32 (where double rounding cannot happen).
"""

from fractions import Fraction
import math
from pathlib import Path

import ml_dtypes
import numpy as np
import onnx
from onnx import TensorProto, helper
from onnx.reference import ReferenceEvaluator

OUT = Path(__file__).resolve().parent / "dtype"
ENCODE_SEED = 20250301
ROUND_SEED = 20250302


class Fmt:
    """A narrow float format: numpy dtype, storage width and the parameters of its grid."""

    def __init__(self, name, dtype, bits_dtype, mantissa_bits, bias, max_finite, overflow_mid):
        self.name = name
        self.dtype = dtype
        self.bits_dtype = bits_dtype
        self.mantissa_bits = mantissa_bits
        self.bias = bias
        self.max_finite = max_finite
        # The midpoint between the largest finite value and the next grid step: the overflow tie.
        self.overflow_mid = overflow_mid

    def encode(self, values):
        """Encodes float32 or float64 (exactly representable) values with the reference library."""
        return np.asarray(values).astype(self.dtype).view(self.bits_dtype)

    def decode(self, patterns):
        return np.asarray(patterns, dtype=self.bits_dtype).view(self.dtype).astype(np.float32)

    def finite_patterns(self):
        count = 1 << (8 * np.dtype(self.bits_dtype).itemsize)
        patterns = np.arange(count, dtype=np.int64).astype(self.bits_dtype)
        return patterns[np.isfinite(self.decode(patterns))]


FORMATS = [
    Fmt("f16", np.float16, np.uint16, 10, 15, 65504.0, 65520.0),
    Fmt("bf16", ml_dtypes.bfloat16, np.uint16, 7, 127,
        float(ml_dtypes.finfo(ml_dtypes.bfloat16).max), (2 - 2**-8) * 2.0**127),
    Fmt("f8_e4m3fn", ml_dtypes.float8_e4m3fn, np.uint8, 3, 7, 448.0, 464.0),
    Fmt("f8_e5m2", ml_dtypes.float8_e5m2, np.uint8, 2, 15, 57344.0, 61440.0),
]


def write(name, array):
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / name).write_bytes(np.ascontiguousarray(array).astype(array.dtype.newbyteorder("<")).tobytes())


# ---------------------------------------------------------------- decode


def write_decode_tables():
    for fmt in FORMATS:
        count = 1 << (8 * np.dtype(fmt.bits_dtype).itemsize)
        patterns = np.arange(count, dtype=np.int64).astype(fmt.bits_dtype)
        write(f"decode_{fmt.name}.bin", fmt.decode(patterns).view(np.uint32))


# ---------------------------------------------------------------- encode (float32 inputs)


def f32(values):
    return np.asarray(values, dtype=np.float64).astype(np.float32)


def ulp_neighbours(values, steps=(1, 2, 7)):
    """float32 values a few ulps either side of `values` (by bit pattern, same sign)."""
    bits = f32(values).view(np.uint32).astype(np.int64)
    out = [bits]
    for step in steps:
        out += [bits + step, bits - step]
    joined = np.concatenate(out)
    keep = (joined >= 0) & (joined < 1 << 32)
    return joined[keep].astype(np.uint32).view(np.float32)


def encode_inputs_for(fmt, rng):
    """float32 values that probe `fmt`: grid points, exact ties and their neighbours, the
    subnormal range, the largest finite value and the overflow threshold."""
    finite = fmt.decode(fmt.finite_patterns()).astype(np.float64)
    positive = np.unique(finite[finite >= 0])
    picks = rng.choice(len(positive) - 1, size=min(400, len(positive) - 1), replace=False)
    low, high = positive[picks], positive[picks + 1]
    ties = (low + high) / 2
    smallest = positive[1]
    subnormal_top = 2.0 ** (1 - fmt.bias)
    subnormal = rng.uniform(0, 2 * subnormal_top, size=400)
    tiny = smallest * rng.uniform(0, 2, size=100)
    edges = [fmt.max_finite, fmt.overflow_mid, 2 * fmt.overflow_mid - fmt.max_finite,
             smallest / 2, smallest, subnormal_top, subnormal_top - smallest / 2]
    near_max = fmt.max_finite * rng.uniform(0.9, 1.2, size=200)
    magnitudes = np.concatenate([
        low, f32(ties), ulp_neighbours(ties), ulp_neighbours(edges, steps=range(1, 9)), f32(edges),
        f32(subnormal), f32(tiny), f32(near_max)])
    signs = np.where(rng.random(magnitudes.size) < 0.5, -1.0, 1.0)
    return f32(magnitudes.astype(np.float64) * signs)


def special_inputs():
    bits = [0x00000000, 0x80000000, 0x7F800000, 0xFF800000, 0x7FC00000, 0xFFC00000, 0x7F800001,
            0xFF800001, 0x7FA00000, 0x7FFFFFFF, 0xFFFFFFFF, 0x7FC00001, 0x7F7FFFFF, 0xFF7FFFFF,
            0x00000001, 0x80000001, 0x007FFFFF, 0x00800000, 0x3F800000, 0xBF800000]
    return np.array(bits, dtype=np.uint32).view(np.float32)


def encode_inputs():
    rng = np.random.default_rng(ENCODE_SEED)
    uniform_bits = rng.integers(0, 1 << 32, size=6000, dtype=np.uint64).astype(np.uint32)
    parts = [special_inputs(), uniform_bits.view(np.float32)]
    parts += [encode_inputs_for(fmt, rng) for fmt in FORMATS]
    return np.concatenate(parts).astype(np.float32)


def onnx_saturating(values, tensor_type):
    """ONNX QuantizeLinear(x, scale=1, zero_point=0, saturate=1) with a float8 output."""
    node = helper.make_node("QuantizeLinear", ["x", "s", "z"], ["y"], saturate=1)
    graph = helper.make_graph(
        [node], "q", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [None])],
        [helper.make_tensor_value_info("y", tensor_type, [None])],
        initializer=[helper.make_tensor("s", TensorProto.FLOAT, [], [1.0]),
                     helper.make_tensor("z", tensor_type, [], [0.0])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 21)])
    return ReferenceEvaluator(model).run(None, {"x": values})[0].view(np.uint8)


def write_encode_vectors():
    inputs = encode_inputs()
    write("encode_input_f32.bin", inputs.view(np.uint32))
    for fmt in FORMATS:
        write(f"encode_{fmt.name}.bin", fmt.encode(inputs))
    for fmt, tensor_type in [(FORMATS[2], TensorProto.FLOAT8E4M3FN), (FORMATS[3], TensorProto.FLOAT8E5M2)]:
        saturated = onnx_saturating(inputs, tensor_type)
        clipped = fmt.encode(np.clip(inputs, -fmt.max_finite, fmt.max_finite))
        assert np.array_equal(saturated, clipped), "ONNX saturate=1 is not ml_dtypes after clipping"
        write(f"encode_saturate_{fmt.name}.bin", saturated)
    return inputs.size


# ---------------------------------------------------------------- rounding float64 once


def round_once(x, fmt):
    """`x` rounded to nearest-even on `fmt`'s grid with an unbounded exponent, as a Python float
    (exact); magnitudes beyond the largest finite value come back as infinity."""
    if x == 0 or not math.isfinite(x):
        return x
    exact = Fraction(x)
    exponent = max(math.frexp(abs(x))[1] - 1, 1 - fmt.bias)
    quantum = Fraction(2) ** (exponent - fmt.mantissa_bits)
    units = round(exact / quantum)  # Fraction.__round__ rounds half to even
    value = units * quantum
    if abs(value) > fmt.max_finite:
        return math.copysign(math.inf, x)
    return math.copysign(float(value), x)


def round_patterns(values, fmt):
    rounded = np.array([round_once(float(x), fmt) for x in values], dtype=np.float64)
    assert np.array_equal(f32(rounded).astype(np.float64), rounded, equal_nan=True)
    return fmt.encode(f32(rounded))


def round_inputs_for(fmt, rng):
    """float64 values just off the format's ties (where rounding through float32 to nearest
    would round twice), plus random values across its range and beyond float32's."""
    finite = fmt.decode(fmt.finite_patterns()).astype(np.float64)
    positive = np.unique(finite[finite >= 0])
    picks = rng.choice(len(positive) - 1, size=min(500, len(positive) - 1), replace=False)
    ties = (positive[picks] + positive[picks + 1]) / 2
    ties = np.concatenate([ties, [fmt.overflow_mid, positive[1] / 2]])
    offsets = 2.0 ** -rng.integers(25, 53, size=ties.size) * rng.choice([-1.0, 1.0], size=ties.size)
    nudged = ties * (1 + offsets)
    spread = 2.0 ** rng.uniform(-fmt.bias - fmt.mantissa_bits - 2, math.log2(fmt.max_finite) + 1, size=800)
    values = np.concatenate([ties[:100], nudged, spread])
    return values * rng.choice([-1.0, 1.0], size=values.size)


def round_inputs():
    rng = np.random.default_rng(ROUND_SEED)
    specials = [0.0, -0.0, math.inf, -math.inf, 1e300, -1e300, 1e-300, -5e-324, 3.4028235677973366e38,
                2.0**-149 * 0.75, 2.0**-150, -(2.0**-150) * 1.0000001]
    parts = [np.array(specials)] + [round_inputs_for(fmt, rng) for fmt in FORMATS]
    return np.concatenate(parts)


def check_round_reference(values, fmt, patterns):
    """Cross-checks the exact reference against libraries where they round once."""
    if fmt.name == "f16":
        assert np.array_equal(values.astype(np.float16).view(np.uint16), patterns)
    exact32 = f32(values).astype(np.float64) == values
    assert np.array_equal(fmt.encode(f32(values[exact32])), patterns[exact32])


def write_round_vectors():
    values = round_inputs()
    write("round_input_f64.bin", values.view(np.uint64))
    double_rounded = {}
    for fmt in FORMATS:
        patterns = round_patterns(values, fmt)
        check_round_reference(values, fmt, patterns)
        double_rounded[fmt.name] = int(np.count_nonzero(fmt.encode(values) != patterns))
        write(f"round_{fmt.name}.bin", patterns)
    return values.size, double_rounded


def write_readme(encode_count, round_count, double_rounded):
    differing = ", ".join(f"{name} {count}" for name, count in double_rounded.items())
    text = f"""# dtype conversion golden vectors

Made by `formats/vectors/make_dtype_vectors.py` (re-run it to regenerate identical files) with
numpy {np.__version__}, ml_dtypes {ml_dtypes.__version__}, onnx {onnx.__version__}.
Checked by `Tests/QZooCoreTests/DTypeConversionTests.swift`.

All files are raw little-endian arrays without a header.

| file | elements | meaning |
|---|---|---|
| `decode_f16.bin`, `decode_bf16.bin` | 65536 × u32 | float32 bits of every pattern 0...0xFFFF (numpy / ml_dtypes `astype(float32)`) |
| `decode_f8_e4m3fn.bin`, `decode_f8_e5m2.bin` | 256 × u32 | float32 bits of every pattern 0...0xFF (ml_dtypes) |
| `encode_input_f32.bin` | {encode_count} × u32 | float32 inputs: specials (±0, ±Inf, NaNs with payloads), uniform random bits, and per format grid points, exact ties and their ulp neighbours, subnormals, max finite, overflow threshold |
| `encode_f16.bin`, `encode_bf16.bin` | {encode_count} × u16 | inputs encoded (numpy `astype(float16)`, ml_dtypes `astype(bfloat16)`) |
| `encode_f8_e4m3fn.bin`, `encode_f8_e5m2.bin` | {encode_count} × u8 | inputs encoded (ml_dtypes `astype`) |
| `encode_saturate_f8_e4m3fn.bin`, `encode_saturate_f8_e5m2.bin` | {encode_count} × u8 | onnx.reference QuantizeLinear(scale 1, zero point 0, saturate=1); the script asserts it equals ml_dtypes after clipping to ±max finite |
| `round_input_f64.bin` | {round_count} × u64 | float64 inputs, mostly a few float64 ulps off a tie of some format |
| `round_<fmt>.bin` | {round_count} × u16/u8 | inputs rounded once, to nearest even (exact rational reference in the script) |

Notes on the references:
- NaN: ml_dtypes encodes every NaN to the canonical quiet NaN with the input's sign (bf16 0x7FC0,
  e4m3fn 0x7F, e5m2 0x7E) and decodes every fp8 NaN to float32 0x7FC00000 with the sign. numpy's
  float16 keeps NaN payload bits in both directions without quieting (0x7F800001 -> 0x7C01).
- ml_dtypes rounds float64 -> bf16/fp8 through float32, i.e. twice; on these inputs its direct
  float64 `astype` differs from the single rounding in this many places: {differing}.
  numpy's float64 -> float16 rounds once and the script asserts it equals the reference.
"""
    (OUT / "README.md").write_text(text)


def main():
    # Overflow to infinity and casts of NaN are the point of these vectors, not accidents.
    np.seterr(over="ignore", invalid="ignore")
    write_decode_tables()
    encode_count = write_encode_vectors()
    round_count, double_rounded = write_round_vectors()
    write_readme(encode_count, round_count, double_rounded)


if __name__ == "__main__":
    main()
