"""A second, independent implementation of formats/qdq-json.md in Python.

It quantizes float matrices with plain round-to-nearest in ONNX's own terms (signed types for
symmetric grids, unsigned types with zero points for asymmetric ones), packs the data the way
ONNX raw data is packed, writes QDQ JSON + sidecars from the spec alone, and reads them back.
The interop tests use it both to feed qzoo files qzoo did not write and to read what qzoo wrote.
"""
import hashlib
import json
from pathlib import Path

import numpy as np
from safetensors.numpy import save_file

# ONNX element type → (bits, signed)
TYPES = {
    "INT8": (8, True), "UINT8": (8, False), "INT4": (4, True), "UINT4": (4, False),
    "INT2": (2, True), "UINT2": (2, False),
}
TYPE_OPSET = {"INT8": 10, "UINT8": 10, "INT4": 21, "UINT4": 21, "INT2": 25, "UINT2": 25}
LAYOUT_OPSET = {"tensor": 10, "channel": 13, "blocked": 21}


def pack(values, bits):
    """ONNX raw-data packing: element 0 in the lowest bits of byte 0."""
    v = np.asarray(values, dtype=np.int64).reshape(-1) & ((1 << bits) - 1)
    if bits == 8:
        return v.astype(np.uint8).tobytes()
    per = 8 // bits
    v = np.concatenate([v, np.zeros((-len(v)) % per, dtype=np.int64)]).reshape(-1, per)
    return (v << (np.arange(per) * bits)).sum(axis=1).astype(np.uint8).tobytes()


def unpack(raw, count, bits, signed):
    b = np.frombuffer(raw, dtype=np.uint8).astype(np.int64)
    per = 8 // bits
    v = ((b[:, None] >> (np.arange(per) * bits)) & ((1 << bits) - 1)).reshape(-1)[:count]
    if signed:
        v = np.where(v >= 1 << (bits - 1), v - (1 << bits), v)
    return v


def layout_of(record):
    """'tensor', 'channel' or 'blocked', by ONNX's rules (the scale's shape decides)."""
    shape = record["x_scale"]["shape"]
    if record.get("block_size", 0) > 0:
        return "blocked"
    return "tensor" if shape in ([], [1]) else "channel"


def expand(scale, layout, shape, block):
    """A per-element array from an ONNX scale or zero point (axis 0 per-channel, axis 1 blocks)."""
    scale = np.asarray(scale)
    if layout == "tensor":
        return np.broadcast_to(scale.reshape(()), shape)
    if layout == "channel":
        return np.broadcast_to(scale.reshape(-1, 1), shape)
    return np.repeat(scale, block, axis=1)[:, : shape[1]]


def groups(w, layout, block):
    """The value groups sharing one scale, as a list of (index expression, values), row-major."""
    rows, cols = w.shape
    if layout == "tensor":
        return [((slice(None), slice(None)), w)]
    if layout == "channel":
        return [((r, slice(None)), w[r]) for r in range(rows)]
    return [((r, slice(c, c + block)), w[r, c:c + block]) for r in range(rows) for c in range(0, cols, block)]


def rtn(w, bits, signed, layout, block):
    """Round-to-nearest in ONNX terms: (x, scale, zero point or None), scale/zp in ONNX shapes."""
    w = np.asarray(w, dtype=np.float32)
    rows, cols = w.shape
    scales, zeros = [], []
    for _, values in groups(w, layout, block):
        if signed:
            scale = np.float32(np.abs(values).max()) / np.float32(max((1 << (bits - 1)) - 1, 1))
            scales.append(scale if scale > 0 else np.float32(1))
        else:
            lo, hi = min(values.min(), 0), max(values.max(), 0)
            scale = np.float32(hi - lo) / np.float32((1 << bits) - 1)
            scale = scale if scale > 0 else np.float32(1)
            scales.append(scale)
            zeros.append(int(np.clip(np.rint(np.float32(-lo) / scale), 0, (1 << bits) - 1)))
    shape = {"tensor": [], "channel": [rows], "blocked": [rows, -(-cols // max(block, 1))]}[layout]
    scale = np.array(scales, dtype=np.float32).reshape(shape)
    zp = None if signed else np.array(zeros, dtype=np.int64).reshape(shape)
    lo, hi = (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if signed else (0, (1 << bits) - 1)
    s_full = expand(scale, layout, w.shape, block)
    z_full = 0 if zp is None else expand(zp, layout, w.shape, block)
    x = np.clip(np.rint(w / s_full) + z_full, lo, hi).astype(np.int64)
    return x, scale, zp


def float_literal(values, shape):
    return {"elem_type": "FLOAT", "shape": list(shape),
            "values": [float(v) for v in np.asarray(values, dtype=np.float32).reshape(-1)]}


def write_document(json_path, weights, dense, activations=None):
    """Writes NAME.qdq.json + NAME.qdq.bin + NAME.dense.safetensors per formats/qdq-json.md.

    Each weight is a dict: name, type (ONNX name), x (ints), scale, zp (or None), layout,
    block, and optionally post_ops (ready JSON) and qzoo (extension object).
    """
    json_path = Path(json_path)
    stem = json_path.name[: -len(".qdq.json")]
    bin_name, dense_name = stem + ".qdq.bin", stem + ".dense.safetensors"
    blob = bytearray()
    records = []
    for w in weights:
        bits, _ = TYPES[w["type"]]
        blob.extend(b"\0" * ((-len(blob)) % 64))
        raw = pack(w["x"], bits)
        record = {
            "name": w["name"], "op": "DequantizeLinear",
            "min_opset": max(TYPE_OPSET[w["type"]], LAYOUT_OPSET[w["layout"]]),
            "x": {"elem_type": w["type"], "shape": list(w["x"].shape),
                  "external_data": {"location": bin_name, "offset": len(blob), "length": len(raw),
                                    "sha256": hashlib.sha256(raw).hexdigest()}},
            "x_scale": float_literal(w["scale"], np.shape(w["scale"])),
        }
        if w["layout"] == "channel":
            record["axis"] = 0
        if w["layout"] == "blocked":
            record["axis"], record["block_size"] = 1, w["block"]
        if w["zp"] is not None:
            record["x_zero_point"] = {"elem_type": w["type"], "shape": list(np.shape(w["zp"])),
                                      "values": [int(v) for v in np.asarray(w["zp"]).reshape(-1)]}
        if w.get("post_ops"):
            record["post_ops"] = w["post_ops"]
        if w.get("qzoo"):
            record["qzoo"] = w["qzoo"]
        blob.extend(raw)
        records.append(record)
    (json_path.parent / bin_name).write_bytes(bytes(blob))
    save_file(dense, str(json_path.parent / dense_name))
    document = {
        "format": "qzoo-qdq", "version": 1,
        "min_opset": max([r["min_opset"] for r in records] + [10]),
        "metadata": {"writer": "qdq_reference.py"}, "weights": records,
        "activations": activations or {},
        "dense": {"location": dense_name,
                  "sha256": hashlib.sha256((json_path.parent / dense_name).read_bytes()).hexdigest()},
    }
    json_path.write_text(json.dumps(document, sort_keys=True))


def read_document(json_path):
    """The parsed JSON and, per weight name, (record, stored x as ints shaped like x)."""
    json_path = Path(json_path)
    document = json.loads(json_path.read_text())
    weights = {}
    for record in document["weights"]:
        ext = record["x"]["external_data"]
        raw = (json_path.parent / ext["location"]).read_bytes()[ext["offset"]: ext["offset"] + ext["length"]]
        assert hashlib.sha256(raw).hexdigest() == ext["sha256"]
        bits, signed = TYPES[record["x"]["elem_type"]]
        shape = record["x"]["shape"]
        x = unpack(raw, shape[0] * shape[1], bits, signed).reshape(shape)
        weights[record["name"]] = (record, raw, x)
    return document, weights
