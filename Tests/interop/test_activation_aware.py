"""Activation-aware quantization against independent references on all-MiniLM-L6-v2:

- AWQ: qzoo's scale search (Hessian form of the output error) picks the same ratios as the numpy
  transcription of llm-awq's search (awq_reference.py) run on the cached layer inputs.
- SmoothQuant W8A8: the activation parameters qzoo exports (QDQ JSON `activations`: a Mul by 1/s,
  then QuantizeLinear/DequantizeLinear, static or dynamic per token), applied by onnxruntime to the
  activations qzoo recorded, give exactly the values qzoo's simulation fed to the layers.
"""
import json
import re
import shutil
import subprocess

import numpy as np
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper
from safetensors.numpy import load_file

import awq_reference
from models_support import CALIBRATION_TEXT, QZOO, read_lines


def qzoo_stderr(*args):
    result = subprocess.run([str(QZOO), *map(str, args)], capture_output=True, text=True)
    assert result.returncode == 0, f"qzoo {' '.join(map(str, args))} failed:\n{result.stderr}"
    return result.stderr


def model_copy(model_dir, directory):
    """config and tokenizer beside a qzoo output, so `qzoo embed` can run it."""
    for name in ("config.json", "vocab.txt", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"):
        if (model_dir / name).exists():
            shutil.copy(model_dir / name, directory / name)


def test_awq_ratios_match_the_numpy_transcription(model_dir, tmp_path):
    text = tmp_path / "calib.txt"
    text.write_text("\n".join(read_lines(CALIBRATION_TEXT, 48)) + "\n")
    log = qzoo_stderr("quantize", model_dir, tmp_path / "w4.qpack", "--method", "awq", "--bits", 4, "--group-size", 128,
                      "--exclude", "pooler", "--no-awq-clip", "--data", text)
    ours = [float(r) for r in re.search(r"ratios ([0-9. ]+)\)", log).group(1).split()]
    qzoo_stderr("embed", model_dir, "--data", text, "-o", tmp_path / "e.npy", "--record-inputs", tmp_path / "in.safetensors")
    inputs = load_file(str(tmp_path / "in.safetensors"))
    weights = load_file(str(model_dir / "model.safetensors"))
    theirs = []
    for layer in range(6):
        for input_name, consumers in awq_reference.LAYER_GROUPS:
            x = inputs[f"encoder.layer.{layer}.{input_name}.input"]
            ws = [weights[f"encoder.layer.{layer}.{c}.weight"] for c in consumers]
            theirs.append(awq_reference.search_scale(x, ws, 4, 128)[0])
    assert len(ours) == len(theirs) == 24
    same = sum(abs(a - b) < 1e-9 for a, b in zip(ours, theirs))
    near = all(abs(a - b) <= 0.05 + 1e-9 for a, b in zip(ours, theirs))
    assert same >= 22 and near, f"qzoo {ours}\nnumpy {theirs}"


def quantize_dequantize_graph(shape, params):
    """x → [Mul(mul)] → QuantizeLinear → DequantizeLinear, static or dynamic per token."""
    nodes, inits = [], []
    source = "x"
    if "mul" in params:
        inits.append(numpy_helper.from_array(np.array(params["mul"]["values"], dtype=np.float32), "mul"))
        nodes.append(helper.make_node("Mul", ["x", "mul"], ["scaled"]))
        source = "scaled"
    elem = getattr(TensorProto, params["elem_type"])
    if "dynamic" in params:
        qmax = 127.0
        inits += [numpy_helper.from_array(np.array(1e-5, dtype=np.float32), "floor"),
                  numpy_helper.from_array(np.array(qmax, dtype=np.float32), "qmax"),
                  numpy_helper.from_array(np.array([1], dtype=np.int64), "axes"),
                  helper.make_tensor("zp", elem, [shape[0]], np.zeros(shape[0], dtype=np.int8).tolist())]
        nodes += [helper.make_node("Abs", [source], ["abs"]),
                  helper.make_node("ReduceMax", ["abs", "axes"], ["peak"], keepdims=0),
                  helper.make_node("Max", ["peak", "floor"], ["floored"]),
                  helper.make_node("Div", ["floored", "qmax"], ["scale"]),
                  helper.make_node("QuantizeLinear", [source, "scale", "zp"], ["q"], axis=0),
                  helper.make_node("DequantizeLinear", ["q", "scale", "zp"], ["y"], axis=0)]
    else:
        inits += [numpy_helper.from_array(np.array(params["scale"], dtype=np.float32), "scale"),
                  helper.make_tensor("zp", elem, [], [params.get("zero_point", 0)])]
        nodes += [helper.make_node("QuantizeLinear", [source, "scale", "zp"], ["q"]),
                  helper.make_node("DequantizeLinear", ["q", "scale", "zp"], ["y"])]
    graph = helper.make_graph(nodes, "act", [helper.make_tensor_value_info("x", TensorProto.FLOAT, list(shape))],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, list(shape))], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 21)], ir_version=10)
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    return ort.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])


@pytest.mark.parametrize("scheme", ["static", "dynamic"])
def test_onnxruntime_reproduces_qzoos_activation_quantization(model_dir, tmp_path, scheme):
    calib = tmp_path / "calib.txt"
    calib.write_text("\n".join(read_lines(CALIBRATION_TEXT, 64)) + "\n")
    export = tmp_path / "w8a8.qdq.json"
    qzoo_stderr("quantize", model_dir, export, "--method", "smoothquant", "--alpha", "0.8", "--bits", 8, "--act-bits", 8,
                "--act-scheme", scheme, "--exclude", "pooler", "--data", calib)
    model_copy(model_dir, tmp_path)
    sentences = tmp_path / "few.txt"
    sentences.write_text("\n".join(read_lines(CALIBRATION_TEXT)[200:216]) + "\n")
    qzoo_stderr("embed", export, "--data", sentences, "-o", tmp_path / "e.npy",
                "--record-inputs", tmp_path / "rec.safetensors", "--record-layers", r"layer[.](0|4)[.]")
    recorded = load_file(str(tmp_path / "rec.safetensors"))
    activations = json.loads(export.read_text())["activations"]
    names = sorted(name for name in recorded if name.endswith(".input"))
    assert len(names) == 8
    with_mul = 0
    for name in names:
        params = activations[name]
        assert ("dynamic" in params) == (scheme == "dynamic")
        with_mul += "mul" in params
        x = recorded[name]
        session = quantize_dequantize_graph(x.shape, params)
        expected = session.run(None, {"x": x})[0]
        consumed = recorded[name + ".consumed"]
        assert np.array_equal(expected, consumed), f"{name}: max difference {np.abs(expected - consumed).max()}"
        assert len(np.unique(consumed[0])) <= 256
    assert with_mul == 4  # the LayerNorm groups: q/k/v and intermediate in each recorded layer
