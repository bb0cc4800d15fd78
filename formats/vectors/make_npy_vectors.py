#!/usr/bin/env python3
"""Makes the .npy / .npz golden vectors in formats/vectors/npy/ with numpy and ml_dtypes.

Run from anywhere: python formats/vectors/make_npy_vectors.py (needs numpy >= 2 and ml_dtypes).
Writes every vector plus expected.json, which records for each readable file the tensor(s) qzoo
must produce (dtype, shape, little-endian C-order bytes as hex, and the --npy-dtype needed), and
for each file qzoo must refuse, the QZooError code. `identical_to_writer` marks files that
qzoo's writer must reproduce byte for byte from the same tensor.
"""
import io
import json
import pathlib
import pickle
import struct
import warnings
import zipfile
import zlib

import ml_dtypes
import numpy as np

OUT = pathlib.Path(__file__).resolve().parent / "npy"
QZOO_DTYPES = {
    "float64": "F64", "float32": "F32", "float16": "F16", "bfloat16": "BF16",
    "float8_e4m3fn": "F8_E4M3", "float8_e5m2": "F8_E5M2",
    "int64": "I64", "int32": "I32", "int16": "I16", "int8": "I8",
    "uint64": "U64", "uint32": "U32", "uint16": "U16", "uint8": "U8", "bool": "BOOL",
}
expected = {"numpy_version": np.__version__, "ml_dtypes_version": ml_dtypes.__version__,
            "npy": {}, "npz": {}, "rejected": {}}


def describe(array, npy_dtype=None):
    """What qzoo must read: dtype, shape and little-endian C-order bytes."""
    canonical = np.asarray(array, order="C")
    dtype_name = canonical.dtype.name
    if canonical.dtype.byteorder == ">":
        canonical = canonical.astype(canonical.dtype.newbyteorder("<"))
        dtype_name = canonical.dtype.name
    entry = {"dtype": QZOO_DTYPES[dtype_name], "shape": list(canonical.shape),
             "hex": canonical.tobytes().hex()}
    if npy_dtype:
        entry["npy_dtype"] = npy_dtype
    return entry


def save(name, array, npy_dtype=None, identical=False, version=None):
    path = OUT / name
    if version is None:
        np.save(path, array)
    else:
        with open(path, "wb") as f:
            np.lib.format.write_array(f, array, version=version)
    entry = describe(array, npy_dtype)
    entry["identical_to_writer"] = identical
    expected["npy"][name] = entry


def values(dtype, shape=(2, 3)):
    count = int(np.prod(shape))
    info = np.iinfo(dtype) if np.issubdtype(dtype, np.integer) else None
    if info is not None:
        base = [info.min, info.max, 0, 1, -1 if info.min < 0 else 2, 7]
        return np.array((base * count)[:count], dtype=dtype).reshape(shape)
    if dtype == np.bool_:
        return np.array(([True, False, False, True, True, False] * count)[:count]).reshape(shape)
    base = [np.nan, np.inf, -0.0, 1.5, -2.25, 65504.0]
    return np.array((base * count)[:count], dtype=np.float64).astype(dtype).reshape(shape)


def numeric_vectors():
    for code in ["f2", "f4", "f8", "i1", "i2", "i4", "i8", "u1", "u2", "u4", "u8"]:
        save(f"{code}.npy", values(np.dtype(code)), identical=True)
    save("b1.npy", values(np.bool_), identical=True)
    for code in ["f2", "f4", "f8", "i2", "i4", "i8", "u2", "u4", "u8"]:
        save(f"be_{code}.npy", values(np.dtype(code)).astype(">" + code))
    save("fortran_f8.npy", np.asfortranarray(np.arange(6, dtype=np.float64).reshape(2, 3)))
    save("fortran_i2_3d.npy", np.asfortranarray(np.arange(24, dtype=np.int16).reshape(2, 3, 4)))
    save("fortran_be_i4.npy", np.asfortranarray(np.arange(12, dtype=">i4").reshape(3, 4)))
    save("v2.npy", np.arange(4, dtype=np.float32), version=(2, 0))
    save("v3.npy", np.arange(4, dtype=np.uint16), version=(3, 0))
    save("scalar.npy", np.array(3.5, dtype=np.float64), identical=True)
    save("vector.npy", np.arange(5, dtype=np.int64), identical=True)
    save("empty.npy", np.zeros((0, 4), dtype=np.float16), identical=True)
    save("big_first_dim.npy", np.zeros((12345678901, 0), dtype=np.float32), identical=True)
    # Header text + growth spaces end exactly on a 64-byte boundary, so numpy pads a full 64
    # more bytes; one growth space more or less would change the header length.
    save("aligned_edge.npy", np.arange(10, dtype=np.float32).reshape((10,) + (1,) * 35), identical=True)


def void_vectors():
    """ml_dtypes types as numpy saves them: bfloat16 as '<V2', float8_e4m3fn as '<V1', and
    float8_e5m2 as '<f1' (ml_dtypes registers it with kind 'f'; numpy cannot load that file back).
    qzoo writes float8_e5m2 as '<V1' so numpy can load it: f8_e5m2_as_v1.npy is that layout,
    made by saving the same bits viewed as float8_e4m3fn."""
    floats = np.array([1.0, -2.5, 0.1, np.nan, 448.0, -0.0], dtype=np.float32)
    for name, dtype, tag in [("bf16.npy", ml_dtypes.bfloat16, "BF16"),
                             ("f8_e4m3.npy", ml_dtypes.float8_e4m3fn, "F8_E4M3")]:
        array = floats.astype(dtype).reshape(2, 3)
        np.save(OUT / name, array)
        expected["npy"][name] = {"dtype": tag, "shape": [2, 3], "hex": array.tobytes().hex(),
                                 "npy_dtype": tag, "identical_to_writer": True}
        expected["rejected"][name] = "unsupported"
    e5m2 = floats.astype(ml_dtypes.float8_e5m2).reshape(2, 3)
    np.save(OUT / "f8_e5m2.npy", e5m2)
    expected["npy"]["f8_e5m2.npy"] = {"dtype": "F8_E5M2", "shape": [2, 3], "hex": e5m2.tobytes().hex(),
                                      "identical_to_writer": False}
    np.save(OUT / "f8_e5m2_as_v1.npy", e5m2.view(ml_dtypes.float8_e4m3fn))
    expected["npy"]["f8_e5m2_as_v1.npy"] = {"dtype": "F8_E5M2", "shape": [2, 3], "hex": e5m2.tobytes().hex(),
                                            "npy_dtype": "F8_E5M2", "identical_to_writer": True}
    array = np.frombuffer(bytes([1, 2, 3, 4]), dtype="V2")
    np.save(OUT / "plain_void.npy", array)
    expected["npy"]["plain_void.npy"] = {"dtype": "U16", "shape": [2], "hex": "01020304",
                                         "npy_dtype": "U16", "identical_to_writer": False}


def rejected_vectors():
    np.save(OUT / "object.npy", np.array([{"a": 1}, None], dtype=object), allow_pickle=True)
    expected["rejected"]["object.npy"] = "unsupported"
    (OUT / "pickle.npy").write_bytes(pickle.dumps(np.arange(3), protocol=4))
    expected["rejected"]["pickle.npy"] = "unsupported"
    for name, array in [("unicode.npy", np.array(["ab", "c"])),
                        ("datetime.npy", np.array(["2020-01-01"], dtype="datetime64[ns]")),
                        ("complex.npy", np.array([1 + 2j], dtype=np.complex64)),
                        ("structured.npy", np.zeros(2, dtype=[("a", "<f4"), ("b", "<i2")]))]:
        np.save(OUT / name, array)
        expected["rejected"][name] = "unsupported"


def npz_vectors():
    arrays = {"w": np.arange(6, dtype=np.float32).reshape(2, 3), "enc/layer.0/b": values(np.dtype("i2"), (4,)),
              "scalar": np.array(7, dtype=np.uint8)}
    np.savez(OUT / "stored.npz", **arrays)
    np.savez(OUT / "no_arrays.npz")
    expected["npz"]["no_arrays.npz"] = {"__order__": []}
    np.savez_compressed(OUT / "compressed.npz", **arrays)
    for name in ["stored.npz", "compressed.npz"]:
        expected["npz"][name] = {key: describe(value) for key, value in arrays.items()}
        expected["npz"][name]["__order__"] = list(arrays)


def zip_with(path, members):
    """A zip built member by member: (ZipInfo or name, bytes, compress_type)."""
    warnings.filterwarnings("ignore", "Duplicate name", UserWarning)
    with zipfile.ZipFile(path, "w") as archive:
        for info, data, method in members:
            if isinstance(info, str):
                info = zipfile.ZipInfo(info, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = method
            archive.writestr(info, data)


def npy_bytes(array):
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


def hostile_zips():
    good = npy_bytes(np.arange(3, dtype=np.float32))
    zip_with(OUT / "traversal.npz", [("../x.npy", good, zipfile.ZIP_STORED)])
    zip_with(OUT / "absolute.npz", [("/abs.npy", good, zipfile.ZIP_STORED)])
    link = zipfile.ZipInfo("link.npy", date_time=(1980, 1, 1, 0, 0, 0))
    link.create_system = 3
    link.external_attr = (0o120777 << 16)
    zip_with(OUT / "symlink.npz", [(link, b"/etc/passwd", zipfile.ZIP_STORED)])
    zip_with(OUT / "not_npy.npz", [("readme.txt", b"hello", zipfile.ZIP_STORED)])
    for name in ["traversal.npz", "absolute.npz", "symlink.npz"]:
        expected["rejected"][name] = "malformed"
    expected["rejected"]["not_npy.npz"] = "unsupported"
    zip_with(OUT / "duplicate.npz", [("w.npy", good, zipfile.ZIP_STORED), ("w.npy", good, zipfile.ZIP_STORED)])
    expected["rejected"]["duplicate.npz"] = "malformed"
    zip_with(OUT / "directory_entry.npz", [("enc/", b"", zipfile.ZIP_STORED), ("enc/w.npy", good, zipfile.ZIP_STORED)])
    expected["npz"]["directory_entry.npz"] = {"enc/w": describe(np.arange(3, dtype=np.float32)), "__order__": ["enc/w"]}
    make_bomb(OUT / "bomb.npz")
    expected["rejected"]["bomb.npz"] = "limitExceeded"


def make_bomb(path):
    """A deflated member whose headers declare 1000 bytes but which inflates to 4 MiB."""
    data = npy_bytes(np.zeros(4 << 20, dtype=np.uint8))
    zip_with(path, [("bomb.npy", data, zipfile.ZIP_DEFLATED)])
    raw = bytearray(path.read_bytes())
    assert raw[:4] == b"PK\x03\x04"
    struct.pack_into("<I", raw, 22, 1000)
    central = raw.index(b"PK\x01\x02")
    struct.pack_into("<I", raw, central + 24, 1000)
    path.write_bytes(bytes(raw))
    assert zlib.crc32(data) != 0


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.iterdir():
        old.unlink()
    numeric_vectors()
    void_vectors()
    rejected_vectors()
    npz_vectors()
    hostile_zips()
    (OUT / "expected.json").write_text(json.dumps(expected, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
