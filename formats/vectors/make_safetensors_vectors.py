"""Golden safetensors files written by the reference `safetensors` package
(Tests/QZooFormatsTests/SafetensorsGoldenTests.swift).

Writes under formats/vectors/safetensors/:

  all_dtypes.safetensors     every dtype numpy has (F64 ... BOOL), a scalar and empty tensors
  metadata.safetensors       one `__metadata__` key (the reference orders several keys by hash,
                             so only files with at most one key are byte-for-byte reproducible)
  narrow_floats.safetensors  BF16, F8_E4M3, F8_E5M2 through ml_dtypes
  names.safetensors          tensor names that need JSON escaping, non-ASCII and odd sort order
  unsupported_f8_e4m3fnuz.safetensors  a valid file in a dtype qzoo declines
  expected.json              per file: metadata, and per tensor dtype, shape, the raw
                             little-endian bytes (hex, from numpy's `tobytes`, not from
                             safetensors) and the values as numbers; or the error code qzoo must give

Everything is deterministic (fixed values, seeded generator); re-running rewrites identical files.
"""

import json
from pathlib import Path

import ml_dtypes
import numpy as np
import safetensors
from safetensors.numpy import save_file

OUT = Path(__file__).resolve().parent / "safetensors"
SEED = 7


def all_dtypes(rng):
    ints = rng.integers(-100, 100, size=6)
    return {
        "f64": np.array([[1.5, -2.25, 1e300], [5e-324, -0.0, 3.141592653589793]], dtype=np.float64),
        "f32": np.array([[0.1, -1e-38, 3.4e38], [1e-45, 7.0, -0.5]], dtype=np.float32),
        "f16": np.array([[65504, -6e-8, 0.333], [1, -2, 0.5]], dtype=np.float16),
        "i64": np.array([[2**53, -(2**53), 0], [1, -1, 42]], dtype=np.int64),
        "i32": np.array([[2**31 - 1, -(2**31), 0], [1, -1, 7]], dtype=np.int32),
        "i16": np.array([[32767, -32768, 0], [1, -1, 300]], dtype=np.int16),
        "i8": ints.astype(np.int8).reshape(2, 3),
        "u64": np.array([[2**53, 0, 1], [2, 3, 4]], dtype=np.uint64),
        "u32": np.array([[2**32 - 1, 0, 1], [2, 3, 4]], dtype=np.uint32),
        "u16": np.array([[65535, 0, 1], [2, 3, 4]], dtype=np.uint16),
        "u8": np.array([[255, 0, 1], [2, 3, 128]], dtype=np.uint8),
        "bool": np.array([[True, False, True], [False, False, True]]),
        "scalar": np.array(2.5, dtype=np.float32),
        "empty": np.zeros((0, 3), dtype=np.float16),
        "empty_i32": np.zeros((4, 0), dtype=np.int32),
    }


def metadata_tensors(rng):
    return {
        "weight": rng.standard_normal((3, 4)).astype(np.float32),
        "bias": rng.standard_normal(4).astype(np.float32),
    }


def narrow_floats(rng):
    return {
        "bf16": rng.standard_normal((2, 5)).astype(ml_dtypes.bfloat16),
        "e4m3": (rng.standard_normal(8) * 100).astype(ml_dtypes.float8_e4m3fn),
        "e5m2": (rng.standard_normal(8) * 1000).astype(ml_dtypes.float8_e5m2),
        "f32": np.arange(3, dtype=np.float32),
    }


def odd_names():
    names = ['quote"d', "back\\slash", "tab\there", "ctrl\u0001\u001f", "caf\u00e9", "emoji \U0001F600",
             "Zebra", "apple", "a/b.c", "_"]
    return {name: np.full(2, index, dtype=np.int16) for index, name in enumerate(names)}


def unsupported():
    return {"w": np.zeros(4, dtype=ml_dtypes.float8_e4m3fnuz)}


def describe(array):
    flat = array.reshape(-1)
    if flat.dtype.kind in "iub":
        values = [int(v) for v in flat]
    else:
        values = [float(v) for v in flat.astype(np.float64)]
    return {
        "dtype": safetensors_dtype(array),
        "shape": list(array.shape),
        "hex": array.astype(array.dtype.newbyteorder("<")).tobytes().hex(),
        "values": values,
    }


def safetensors_dtype(array):
    names = {"float64": "F64", "float32": "F32", "float16": "F16", "bfloat16": "BF16",
             "float8_e4m3fn": "F8_E4M3", "float8_e5m2": "F8_E5M2", "int64": "I64", "int32": "I32",
             "int16": "I16", "int8": "I8", "uint64": "U64", "uint32": "U32", "uint16": "U16",
             "uint8": "U8", "bool": "BOOL"}
    return names[array.dtype.name]


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(SEED)
    expected = {}
    cases = [
        ("all_dtypes.safetensors", all_dtypes(rng), None),
        ("metadata.safetensors", metadata_tensors(rng), {"format": "pt"}),
        ("narrow_floats.safetensors", narrow_floats(rng), None),
        ("names.safetensors", odd_names(), None),
    ]
    for file, tensors, metadata in cases:
        save_file(tensors, str(OUT / file), metadata=metadata)
        expected[file] = {
            "metadata": metadata or {},
            "tensors": {name: describe(array) for name, array in tensors.items()},
        }
    save_file(unsupported(), str(OUT / "unsupported_f8_e4m3fnuz.safetensors"))
    expected["unsupported_f8_e4m3fnuz.safetensors"] = {"error": "unsupported", "tensor": "w"}
    document = {
        "generator": f"safetensors {safetensors.__version__}, numpy {np.__version__}, ml_dtypes {ml_dtypes.__version__}",
        "files": expected,
    }
    (OUT / "expected.json").write_text(json.dumps(document, indent=1, sort_keys=True, ensure_ascii=True) + "\n")


if __name__ == "__main__":
    main()
