"""RTN on the real model (all-MiniLM-L6-v2): qpack and QDQ JSON exports dequantize to exactly the
same floats, onnxruntime agrees with every value, and the sizes are what the bits promise."""
import numpy as np
import pytest
from safetensors.numpy import load_file

from test_qdq_onnxruntime import check_onnxruntime_matches_qzoo

LINEARS_PER_LAYER = 6
LAYERS = 6


@pytest.mark.parametrize("group", [None, 128], ids=["per-channel", "g128"])
@pytest.mark.parametrize("bits", [8, 4, 3, 2])
def test_qpack_and_qdq_dequantize_identically(tmp_path, qzoo, model_dir, bits, group):
    source = model_dir / "model.safetensors"
    extra = ["--group-size", group] if group else []
    outputs = {}
    for suffix in ("qpack", "qdq.json"):
        out = tmp_path / f"m.{suffix}"
        qzoo("quantize", source, out, "--bits", bits, *extra)
        dense = tmp_path / f"m-{suffix}.safetensors"
        qzoo("convert", out, dense, "--dequantize")
        outputs[suffix] = load_file(str(dense))
    original = load_file(str(source))
    assert sorted(outputs["qpack"]) == sorted(outputs["qdq.json"]) == sorted(original)
    changed = 0
    for name, tensor in outputs["qpack"].items():
        assert tensor.tobytes() == outputs["qdq.json"][name].tobytes(), name
        assert tensor.dtype == original[name].dtype and tensor.shape == original[name].shape
        changed += not np.array_equal(tensor, original[name])
    # every encoder linear plus the pooler is quantized; embeddings, norms and biases are not
    assert changed == LINEARS_PER_LAYER * LAYERS + 1
    weights = sum(a.size for n, a in original.items() if n.endswith(".weight") and a.ndim == 2 and "embeddings" not in n)
    qpack_bytes = (tmp_path / "m.qpack").stat().st_size
    dense_bytes = sum(a.nbytes for n, a in original.items() if not (n.endswith(".weight") and a.ndim == 2 and "embeddings" not in n))
    scale_bits = 32 + 8  # F32 scale and U8 zero point per row or group
    per_weight = bits + scale_bits / (group or 384)
    assert qpack_bytes * 8 == pytest.approx(dense_bytes * 8 + weights * per_weight, rel=0.02)


@pytest.mark.parametrize("bits,group", [(4, 128), (2, None), (8, None)])
def test_onnxruntime_agrees_on_the_real_model(tmp_path, qzoo, model_dir, bits, group):
    out = tmp_path / "m.qdq.json"
    qzoo("quantize", model_dir / "model.safetensors", out, "--bits", bits, *(["--group-size", group] if group else []))
    _, weights = check_onnxruntime_matches_qzoo(out, tmp_path)
    assert len(weights) == LINEARS_PER_LAYER * LAYERS + 1
