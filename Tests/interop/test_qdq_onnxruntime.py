"""Proof in onnxruntime that QDQ JSON written by qzoo means what qzoo means.

For every weight of a QDQ JSON file, the tests build a real ONNX model: one DequantizeLinear fed
by initializers made from the sidecar's raw bytes and the JSON's scale / zero point (plus the
Div / Gather post ops that undo qzoo's transforms), run it in onnxruntime with graph
optimisations disabled, and require every value to equal qzoo's own dequantization
(`qzoo convert X.qdq.json Y.safetensors --dequantize`) exactly. A second model runs
QuantizeLinear on the floats that were quantized, with the file's scales and zero points, and
must reproduce the stored codes (round-to-nearest without clip search).

Two sources of files:
- `qzoo quantize --method rtn` (`make_qdq`): per-channel and blocked layouts, 2/4/8 bits,
  symmetric and asymmetric.
- files written by the independent Python writer in qdq_reference.py, passed through qzoo
  (QDQ JSON → qpack → QDQ JSON): per-tensor, per-channel and blocked layouts, 2/4/8 bits,
  a 3-bit grid widened to INT4, and transforms.

The qzoo binary is $QZOO_BIN, by default .build/debug/qzoo under the repository root.
"""
import json
import os
import subprocess
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper
from safetensors.numpy import load_file, save_file

import qdq_reference as ref

ROOT = Path(__file__).resolve().parents[2]
QZOO = Path(os.environ.get("QZOO_BIN", ROOT / ".build" / "debug" / "qzoo"))
ELEM = {"INT8": TensorProto.INT8, "UINT8": TensorProto.UINT8, "INT4": TensorProto.INT4,
        "UINT4": TensorProto.UINT4, "INT2": TensorProto.INT2, "UINT2": TensorProto.UINT2}


def qzoo(*args, expect_failure=False):
    result = subprocess.run([str(QZOO), *map(str, args)], capture_output=True, text=True)
    if expect_failure:
        return result
    if result.returncode != 0:
        pytest.fail(f"qzoo {' '.join(map(str, args))} exited {result.returncode}:\n{result.stderr}")
    return result.stdout


@pytest.fixture(scope="session", autouse=True)
def qzoo_binary():
    if not QZOO.exists():
        pytest.fail(f"qzoo binary not found at {QZOO}; build it (swift build) or set QZOO_BIN")


# ---------------------------------------------------------------------------- ONNX models

def run(model):
    onnx.checker.check_model(model, full_check=True)
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    session = ort.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])
    return session.run(None, {})[0]


def make_model(nodes, initializers, output, shape, opset):
    graph = helper.make_graph(nodes, "qdq", [], [helper.make_tensor_value_info(output, TensorProto.FLOAT, shape)],
                              initializer=initializers)
    opsets = [helper.make_opsetid("", opset)]
    model = helper.make_model(graph, opset_imports=opsets)
    model.ir_version = helper.find_min_ir_version_for(opsets)
    return model


def scale_and_zero_point(record):
    """Initializers x_scale and x_zero_point (when the record has one)."""
    scale = record["x_scale"]
    tensors = [helper.make_tensor("x_scale", TensorProto.FLOAT, scale["shape"],
                                  np.array(scale["values"], dtype=np.float32).tolist())]
    if "x_zero_point" in record:
        zp = record["x_zero_point"]
        bits, _ = ref.TYPES[zp["elem_type"]]
        tensors.append(helper.make_tensor("x_zero_point", ELEM[zp["elem_type"]], zp["shape"],
                                          vals=ref.pack(zp["values"], bits), raw=True))
    return tensors


def attributes(record):
    return {key: record[key] for key in ("axis", "block_size") if key in record}


def dequantize_model(record, raw):
    """DequantizeLinear(x, x_scale[, x_zero_point]) followed by the record's post ops."""
    x = record["x"]
    inits = [helper.make_tensor("x", ELEM[x["elem_type"]], x["shape"], vals=raw, raw=True)] + scale_and_zero_point(record)
    inputs = ["x", "x_scale"] + (["x_zero_point"] if "x_zero_point" in record else [])
    nodes = [helper.make_node("DequantizeLinear", inputs, ["y0"], **attributes(record))]
    current = "y0"
    for i, op in enumerate(record.get("post_ops", [])):
        if op["op"] == "Div":
            inits.append(helper.make_tensor(f"b{i}", TensorProto.FLOAT, op["b"]["shape"],
                                            np.array(op["b"]["values"], dtype=np.float32).tolist()))
            nodes.append(helper.make_node("Div", [current, f"b{i}"], [f"y{i + 1}"]))
        else:
            inits.append(helper.make_tensor(f"i{i}", TensorProto.INT64, op["indices"]["shape"], op["indices"]["values"]))
            nodes.append(helper.make_node("Gather", [current, f"i{i}"], [f"y{i + 1}"], axis=op["axis"]))
        current = f"y{i + 1}"
    return make_model(nodes, inits, current, x["shape"], record["min_opset"])


def quantize_model(record, floats):
    """QuantizeLinear(floats, x_scale, zero point) then DequantizeLinear with scale 1, zero 0:
    the output is the quantized integers as floats (onnxruntime's Python API has no int4 arrays).
    A record without a zero point gets explicit zeros of x's type in the scale's shape, which
    ONNX defines to mean the same and which makes QuantizeLinear produce x's (signed) type."""
    x = record["x"]
    bits, _ = ref.TYPES[x["elem_type"]]
    scale_shape = record["x_scale"]["shape"]
    count = int(np.prod(scale_shape, dtype=np.int64))
    inits = [helper.make_tensor("w", TensorProto.FLOAT, x["shape"], np.asarray(floats, dtype=np.float32).reshape(-1).tolist()),
             helper.make_tensor("one", TensorProto.FLOAT, [], [1.0]),
             helper.make_tensor("zero", ELEM[x["elem_type"]], [], vals=ref.pack([0], bits), raw=True),
             ] + scale_and_zero_point(record)
    zero = "x_zero_point"
    if zero not in record:
        zero = "zeros"
        inits.append(helper.make_tensor(zero, ELEM[x["elem_type"]], scale_shape, vals=ref.pack([0] * count, bits), raw=True))
    nodes = [helper.make_node("QuantizeLinear", ["w", "x_scale", zero], ["q"], **attributes(record)),
             helper.make_node("DequantizeLinear", ["q", "one", "zero"], ["codes"])]
    return make_model(nodes, inits, "codes", x["shape"], record["min_opset"])


# ---------------------------------------------------------------------------- checks

def check_onnxruntime_matches_qzoo(json_path, tmp_path):
    """Every weight: onnxruntime's dequantization == qzoo's, bit for bit. Returns the document."""
    dense_path = tmp_path / (json_path.name + ".dequantized.safetensors")
    qzoo("convert", json_path, dense_path, "--dequantize")
    qzoo_values = load_file(str(dense_path))
    document, weights = ref.read_document(json_path)
    assert weights, "the document holds no quantized weights"
    for name, (record, raw, _) in weights.items():
        assert record.get("qzoo", {}).get("source_dtype", "F32") == "F32"
        expected = qzoo_values[name]
        got = run(dequantize_model(record, raw))
        assert got.dtype == np.float32 and expected.dtype == np.float32
        assert got.shape == expected.shape, name
        mismatch = np.flatnonzero(got.view(np.uint32) != expected.view(np.uint32))
        assert mismatch.size == 0, f"{name}: {mismatch.size} values differ, first at {mismatch[0]}: ort {got.flat[mismatch[0]]} qzoo {expected.flat[mismatch[0]]}"
    return document, weights


def check_quantize_linear_gives_stored_codes(weights, originals):
    """QuantizeLinear of the floats that were quantized reproduces the stored x exactly."""
    checked = 0
    for name, (record, _, stored) in weights.items():
        if name not in originals:
            continue
        codes = run(quantize_model(record, originals[name]))
        differ = np.flatnonzero(codes.astype(np.int64) != stored)
        assert differ.size == 0, f"{name}: {differ.size} codes differ, first at {differ[0]}: onnx {codes.flat[differ[0]]} qzoo {stored.flat[differ[0]]}"
        checked += 1
    assert checked == len(originals)


# ---------------------------------------------------------------------------- source 1: qzoo quantize

LINEAR_SHAPES = {
    "encoder.layer.0.attention.self.query.weight": (48, 80),
    "encoder.layer.0.output.dense.weight": (24, 100),
}


def make_inputs(tmp_path):
    rng = np.random.default_rng(7)
    tensors = {name: (rng.standard_normal(shape) * 0.05).astype(np.float32) for name, shape in LINEAR_SHAPES.items()}
    tensors["encoder.layer.0.output.dense.bias"] = (rng.standard_normal(24) * 0.01).astype(np.float32)
    tensors["encoder.layer.0.output.LayerNorm.weight"] = np.ones(24, dtype=np.float32)
    path = tmp_path / "model.safetensors"
    save_file(tensors, str(path))
    return path, tensors


def make_qdq(tmp_path, bits, group, sym):
    """Quantizes a small float checkpoint with `qzoo quantize --method rtn` into QDQ JSON.
    Returns the JSON path and the original float weights by name."""
    source, tensors = make_inputs(tmp_path)
    out = tmp_path / f"rtn-b{bits}-{'g' + str(group) if group else 'channel'}-{'sym' if sym else 'asym'}.qdq.json"
    args = ["quantize", source, out, "--method", "rtn", "--bits", bits]
    if group:
        args += ["--group-size", group]
    if sym:
        args.append("--sym")
    qzoo(*args)
    return out, {name: tensors[name] for name in LINEAR_SHAPES}


@pytest.mark.parametrize("sym", [True, False], ids=["sym", "asym"])
@pytest.mark.parametrize("group", [None, 32], ids=["per-channel", "g32"])
@pytest.mark.parametrize("bits", [2, 4, 8])
def test_qzoo_quantize_rtn_agrees_with_onnxruntime(tmp_path, bits, group, sym):
    json_path, originals = make_qdq(tmp_path, bits, group, sym)
    _, weights = check_onnxruntime_matches_qzoo(json_path, tmp_path)
    assert set(weights) == set(LINEAR_SHAPES)
    for record, _, _ in weights.values():
        assert record["x"]["elem_type"] == ("INT" if sym else "UINT") + str(bits)
        assert ("x_zero_point" in record) == (not sym)
        assert record.get("block_size") == group and record["axis"] == (1 if group else 0)
    check_quantize_linear_gives_stored_codes(weights, originals)
    report = json.loads(qzoo("inspect", json_path, "--json"))
    quantized = {t["name"]: t["quantization"] for t in report["tensors"] if "quantization" in t}
    assert set(quantized) == set(LINEAR_SHAPES)
    for q in quantized.values():
        assert q["bits"] == bits and q["symmetric"] == sym
        assert q.get("group_size") == group and q["granularity"] == ("group" if group else "channel")


# ---------------------------------------------------------------------------- source 2: reference writer

def reference_weight(name, w, type_name, layout, block=0, **extra):
    bits, signed = ref.TYPES[type_name]
    grid_bits = extra.get("qzoo", {}).get("bits", bits)
    x, scale, zp = ref.rtn(w, grid_bits, signed, layout, block)
    return dict(name=name, x=x, scale=scale, zp=zp, type=type_name, layout=layout, block=block, **extra)


def through_qzoo(tmp_path, reference_json):
    """QDQ JSON (reference) → qpack → QDQ JSON, all by qzoo; returns qzoo's JSON path."""
    qzoo("convert", reference_json, tmp_path / "via.qpack")
    out = tmp_path / "qzoo.qdq.json"
    qzoo("convert", tmp_path / "via.qpack", out)
    return out


@pytest.mark.parametrize("sym", [True, False], ids=["sym", "asym"])
@pytest.mark.parametrize("layout", ["tensor", "channel", "blocked"])
@pytest.mark.parametrize("bits", [2, 4, 8])
def test_reference_files_survive_qzoo_and_agree_with_onnxruntime(tmp_path, bits, layout, sym):
    rng = np.random.default_rng(bits * 10 + len(layout))
    type_name = ("INT" if sym else "UINT") + str(bits)
    floats = {"a.weight": (rng.standard_normal((6, 20)) * 0.1).astype(np.float32),
              "b.weight": (rng.standard_normal((3, 9)) + 0.5).astype(np.float32)}
    weights = [reference_weight(name, w, type_name, layout, block=8) for name, w in floats.items()]
    dense = {"b.bias": np.arange(3, dtype=np.float32)}
    reference = tmp_path / "ref.qdq.json"
    ref.write_document(reference, weights, dense, activations={"a.input": {"elem_type": "UINT8", "scale": 0.05, "zero_point": 128}})

    out = through_qzoo(tmp_path, reference)
    _, qzoo_weights = check_onnxruntime_matches_qzoo(out, tmp_path)
    for w in weights:
        record, _, stored = qzoo_weights[w["name"]]
        assert np.array_equal(stored, w["x"]), "qzoo changed the codes"
        assert np.array_equal(np.array(record["x_scale"]["values"], dtype=np.float32), w["scale"].reshape(-1))
        assert record["x"]["elem_type"] == type_name and ref.layout_of(record) == layout
        assert ("x_zero_point" in record) == (w["zp"] is not None)
        if w["zp"] is not None:
            assert record["x_zero_point"]["values"] == w["zp"].reshape(-1).tolist()
    check_quantize_linear_gives_stored_codes(qzoo_weights, floats)
    assert np.array_equal(load_file(str(tmp_path / "qzoo.dense.safetensors"))["b.bias"], dense["b.bias"])


def test_transforms_and_widened_grids_agree_with_onnxruntime(tmp_path):
    rng = np.random.default_rng(3)
    w = (rng.standard_normal((5, 12)) * 0.2).astype(np.float32)
    permutation = rng.permutation(12)
    input_scale = (0.5 + rng.random(12)).astype(np.float32)
    # qzoo's order: permute columns (stored j = original permutation[j]), then scale them.
    stored = w[:, permutation] * input_scale[None, :]
    inverse = np.argsort(permutation)
    post_ops = [
        {"op": "Div", "b": ref.float_literal(input_scale, [1, 12])},
        {"op": "Gather", "axis": 1, "indices": {"elem_type": "INT64", "shape": [12], "values": inverse.tolist()}},
    ]
    weights = [
        reference_weight("t.weight", stored, "UINT4", "blocked", block=5, post_ops=post_ops),
        reference_weight("three.weight", w, "INT4", "channel", qzoo={"bits": 3}),
        reference_weight("three_asym.weight", w, "UINT4", "tensor", qzoo={"bits": 3}),
        reference_weight("one.weight", w, "INT2", "channel", qzoo={"bits": 1}),
    ]
    reference = tmp_path / "ref.qdq.json"
    ref.write_document(reference, weights, {})
    out = through_qzoo(tmp_path, reference)
    _, qzoo_weights = check_onnxruntime_matches_qzoo(out, tmp_path)
    assert [op["op"] for op in qzoo_weights["t.weight"][0]["post_ops"]] == ["Div", "Gather"]
    assert qzoo_weights["three.weight"][0]["qzoo"]["bits"] == 3
    assert qzoo_weights["three.weight"][2].min() >= -4 and qzoo_weights["three.weight"][2].max() <= 3
    # QuantizeLinear saturates at the ONNX type's bounds, not the narrower grid's: it reproduces
    # widened codes only where the grid clips nothing (true for 3-bit here, not for 1-bit).
    check_quantize_linear_gives_stored_codes(qzoo_weights, {"t.weight": stored, "three.weight": w})


def test_qzoo_output_follows_the_json_schema(tmp_path):
    jsonschema = pytest.importorskip("jsonschema")
    rng = np.random.default_rng(5)
    w = (rng.standard_normal((4, 10))).astype(np.float32)
    weights = [reference_weight("a.weight", w, "UINT4", "blocked", block=4),
               reference_weight("b.weight", w, "INT8", "tensor")]
    reference = tmp_path / "ref.qdq.json"
    ref.write_document(reference, weights, {"c": np.zeros(2, dtype=np.float32)},
                       activations={"a.input": {"elem_type": "INT8", "scale": 0.5}})
    schema = json.loads((ROOT / "formats" / "qdq-json.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    for path in (reference, through_qzoo(tmp_path, reference)):
        jsonschema.validate(json.loads(path.read_text()), schema)


# ---------------------------------------------------------------------------- malformed input at the CLI

def test_malformed_inputs_exit_1_naming_the_tensor(tmp_path):
    rng = np.random.default_rng(9)
    w = rng.standard_normal((4, 10)).astype(np.float32)
    reference = tmp_path / "ref.qdq.json"
    ref.write_document(reference, [reference_weight("a.weight", w, "UINT4", "blocked", block=4)], {})
    qzoo("convert", reference, tmp_path / "good.qpack")

    def expect_failure(path, fragment):
        result = qzoo("inspect", path, expect_failure=True)
        assert result.returncode == 1, result.stderr
        assert "a.weight" in result.stderr and fragment in result.stderr, result.stderr

    bin_path = tmp_path / "ref.qdq.bin"
    good_bin = bin_path.read_bytes()
    bin_path.write_bytes(good_bin[:-1])
    expect_failure(reference, "runs past the end of ref.qdq.bin")
    bin_path.write_bytes(good_bin)

    document = json.loads(reference.read_text())
    document["weights"][0]["block_size"] = 3
    (tmp_path / "bad_block.qdq.json").write_text(json.dumps(document))
    expect_failure(tmp_path / "bad_block.qdq.json", "block_size 3 does not match")

    document = json.loads(reference.read_text())
    document["weights"][0]["x"]["elem_type"] = "UINT3"
    (tmp_path / "bad_type.qdq.json").write_text(json.dumps(document))
    expect_failure(tmp_path / "bad_type.qdq.json", "unknown element type")

    qpack = bytearray((tmp_path / "good.qpack").read_bytes())
    qpack[-1] ^= 0x01
    (tmp_path / "bad.qpack").write_bytes(bytes(qpack))
    expect_failure(tmp_path / "bad.qpack", "checksum mismatch")

    result = qzoo("convert", tmp_path / "good.qpack", tmp_path / "dense.safetensors", expect_failure=True)
    assert result.returncode == 1 and "--dequantize" in result.stderr, result.stderr
