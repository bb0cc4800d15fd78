"""`qzoo calibrate` against activations recorded by the numpy reference, and `qzoo eval`
end to end.

Hessian check: for every linear layer, H from the calibration file must equal XᵀX/n computed
from the inputs that bert_reference.py records (float64), within float32 forward rounding;
act_absmax / act_absmean / act_mean / tokens likewise. Function test: a model evaluated against itself
scores exactly 1; against its bfloat16 rounding (qzoo convert --dtype bf16) and against
RTN 8-bit (qzoo quantize, a .qpack dequantized on load) it scores below 1, identically in two
runs.
"""
import json

import numpy as np
from safetensors.numpy import load_file
from tokenizers import Tokenizer

from bert_reference import BertReference
from models_support import CALIBRATION_TEXT, EVALUATION_TEXT, ROOT, read_lines, run_qzoo


def test_calibration_matches_reference_activations(model_dir, tmp_path):
    texts = read_lines(EVALUATION_TEXT, 24)
    data = tmp_path / "calib.txt"
    data.write_text("\n".join(texts) + "\n", encoding="utf-8")
    out = tmp_path / "calib.safetensors"
    run_qzoo("calibrate", model_dir, "--data", data, "--max-length", 64, "--batch", 5, "-o", out)
    calibration = load_file(str(out))

    tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    tokenizer.no_padding()
    tokenizer.enable_truncation(64)
    model, record = BertReference(model_dir), {}
    for encoding in tokenizer.encode_batch(texts):
        model.hidden_states(np.array(encoding.ids), record)
    assert {name + ".hessian" for name in record} == {k for k in calibration if k.endswith(".hessian")}
    for name, chunks in record.items():
        x = np.concatenate(chunks)
        h = calibration[name + ".hessian"]
        assert h.dtype == np.float64 and int(calibration[name + ".tokens"]) == len(x)
        expected = x.T @ x / len(x)
        assert np.abs(h - expected).max() <= 1e-4 * np.abs(expected).max(), name
        assert np.allclose(calibration[name + ".act_absmax"], np.abs(x).max(axis=0), rtol=1e-4, atol=1e-5), name
        assert np.allclose(calibration[name + ".act_absmean"], np.abs(x).mean(axis=0), rtol=1e-4, atol=1e-5), name
        assert np.allclose(calibration[name + ".act_mean"], x.mean(axis=0), rtol=1e-4, atol=1e-5), name


def eval_json(*args):
    return json.loads(run_qzoo("eval", *args, "--json"))


def first_lines(source, tmp_path, count):
    data = tmp_path / f"{source.stem}-{count}.txt"
    data.write_text("\n".join(read_lines(source, count)) + "\n", encoding="utf-8")
    return data


def held_out(tmp_path):
    return first_lines(EVALUATION_TEXT, tmp_path, 256)


def test_eval_of_a_model_against_itself_is_exactly_one(model_dir, tmp_path):
    report = eval_json("--reference", model_dir, "--candidate", model_dir, "--data", held_out(tmp_path))
    assert report["sentences"] == 256
    for key in ("mean_cosine", "min_cosine", "pairwise_spearman", "nearest_neighbour_agreement"):
        assert report[key] == 1, key


def test_eval_against_a_rounded_model_is_below_one_and_stable(model_dir, tmp_path):
    rounded = tmp_path / "bf16.safetensors"
    run_qzoo("convert", model_dir / "model.safetensors", rounded, "--dtype", "bf16")
    calib = tmp_path / "calib.safetensors"
    run_qzoo("calibrate", model_dir, "--data", first_lines(CALIBRATION_TEXT, tmp_path, 128), "--max-length", 64, "-o", calib)
    pairs = tmp_path / "pairs.tsv"
    lines = read_lines(EVALUATION_TEXT, 64)
    pairs.write_text("".join(f"{a}\t{b}\n" for a, b in zip(lines[::2], lines[1::2])), encoding="utf-8")
    args = ("--reference", model_dir, "--candidate", rounded, "--data", held_out(tmp_path), "--pairs", pairs, "--calibration", calib)
    first, second = eval_json(*args), eval_json(*args)
    assert first == second
    assert 0.99 < first["mean_cosine"] < 1 and first["min_cosine"] < first["mean_cosine"]
    assert 0.99 < first["pairwise_spearman"] < 1
    assert 0.9 < first["pairs"]["spearman"] <= 1
    losses = first["proxy_loss"]
    assert len(losses) == 36 and all(0 < v < 1e-3 for v in losses.values())


def test_eval_against_rtn_8_bit_is_below_one_and_stable(model_dir, tmp_path):
    quantized = tmp_path / "w8.qpack"
    run_qzoo("quantize", model_dir / "model.safetensors", quantized, "--bits", 8)
    args = ("--reference", model_dir, "--candidate", quantized, "--data", held_out(tmp_path))
    first, second = eval_json(*args), eval_json(*args)
    assert first == second
    assert 0.999 < first["mean_cosine"] < 1 and 0.999 < first["pairwise_spearman"] < 1
    assert first["min_cosine"] < first["mean_cosine"] and first["nearest_neighbour_agreement"] <= 1


def test_eval_runs_a_bundle_as_candidate(model_dir, tmp_path):
    out = tmp_path / "out"
    run_qzoo("run", ROOT / "pipelines" / "w8-rtn.yaml", "--model", model_dir, "--out", out, "--cache", tmp_path / "cache")
    bundle = out / "w8-rtn.tar.zst"
    data = held_out(tmp_path)
    from_bundle = eval_json("--reference", model_dir, "--candidate", bundle, "--data", data)
    qpack = tmp_path / "w8.qpack"
    run_qzoo("quantize", model_dir / "model.safetensors", qpack, "--bits", 8, "--sym")
    from_qpack = eval_json("--reference", model_dir, "--candidate", qpack, "--data", data)
    assert 0.999 < from_bundle["mean_cosine"] < 1
    assert from_bundle["mean_cosine"] == from_qpack["mean_cosine"]
