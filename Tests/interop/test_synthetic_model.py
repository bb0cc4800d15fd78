"""End-to-end checks on a small random BERT written by numpy (no real model needed), so they
run everywhere: the calibration Hessian of every linear layer equals XᵀX/n of the inputs that
the independent numpy implementation records, embeddings match it, and `qzoo eval` of the
model against itself is exactly 1.

The model has a character-level WordPiece vocabulary (vocab.txt only), which qzoo and
Hugging Face `tokenizers` both read.
"""
import hashlib
import json
import string
import struct

import numpy as np
import pytest
from safetensors import safe_open
from safetensors.numpy import load_file, save_file
from tokenizers.implementations import BertWordPieceTokenizer

from bert_reference import BertReference
from models_support import CALIBRATION_TEXT, read_lines, run_qzoo

CONFIG = {"model_type": "bert", "hidden_act": "gelu", "hidden_size": 32, "num_hidden_layers": 2,
          "num_attention_heads": 4, "intermediate_size": 64, "max_position_embeddings": 128,
          "type_vocab_size": 2, "layer_norm_eps": 1e-12}


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    directory = tmp_path_factory.mktemp("tiny-bert")
    symbols = list(string.ascii_lowercase + string.digits + string.punctuation)
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + symbols + ["##" + s for s in string.ascii_lowercase + string.digits]
    (directory / "vocab.txt").write_text("\n".join(vocab) + "\n")
    config = dict(CONFIG, vocab_size=len(vocab))
    (directory / "config.json").write_text(json.dumps(config))
    rng = np.random.default_rng(3)
    h, i = config["hidden_size"], config["intermediate_size"]
    tensors = {
        "embeddings.word_embeddings.weight": rng.normal(0, 0.5, (len(vocab), h)),
        "embeddings.position_embeddings.weight": rng.normal(0, 0.5, (128, h)),
        "embeddings.token_type_embeddings.weight": rng.normal(0, 0.5, (2, h)),
        "embeddings.LayerNorm.weight": 1 + rng.normal(0, 0.1, h), "embeddings.LayerNorm.bias": rng.normal(0, 0.1, h),
    }
    for layer in range(config["num_hidden_layers"]):
        p = f"encoder.layer.{layer}."
        for name, (out_f, in_f) in {"attention.self.query": (h, h), "attention.self.key": (h, h), "attention.self.value": (h, h),
                                    "attention.output.dense": (h, h), "intermediate.dense": (i, h), "output.dense": (h, i)}.items():
            tensors[p + name + ".weight"] = rng.normal(0, 1 / np.sqrt(in_f), (out_f, in_f))
            tensors[p + name + ".bias"] = rng.normal(0, 0.1, out_f)
        for norm in ("attention.output.LayerNorm", "output.LayerNorm"):
            tensors[p + norm + ".weight"] = 1 + rng.normal(0, 0.1, h)
            tensors[p + norm + ".bias"] = rng.normal(0, 0.1, h)
    save_file({k: v.astype(np.float32) for k, v in tensors.items()}, str(directory / "model.safetensors"))
    texts = read_lines(CALIBRATION_TEXT, 40)
    data = directory / "texts.txt"
    data.write_text("\n".join(texts) + "\n")
    tokenizer = BertWordPieceTokenizer(str(directory / "vocab.txt"), lowercase=True)
    tokenizer.enable_truncation(96)
    ids = [np.array(e.ids) for e in tokenizer.encode_batch(texts)]
    return directory, data, ids


def test_hessian_equals_gram_matrix_of_reference_inputs(synthetic, tmp_path):
    directory, data, ids = synthetic
    out = tmp_path / "calib.safetensors"
    run_qzoo("calibrate", directory, "--data", data, "--max-length", 96, "--batch", 7, "-o", out)
    calibration = load_file(str(out))
    model, record = BertReference(directory), {}
    for sequence in ids:
        model.hidden_states(sequence, record)
    assert len(record) == 12 and len(calibration) == 60  # hessian, tokens, act_absmax, act_absmean, act_mean
    for name, chunks in record.items():
        x = np.concatenate(chunks)
        assert int(calibration[name + ".tokens"]) == len(x) == sum(len(s) for s in ids)
        expected = x.T @ x / len(x)
        assert np.abs(calibration[name + ".hessian"] - expected).max() <= 1e-5 * np.abs(expected).max(), name
        assert np.allclose(calibration[name + ".act_absmean"], np.abs(x).mean(axis=0), rtol=1e-5, atol=1e-6), name
        assert calibration[name + ".act_mean"].dtype == np.float64
        assert np.allclose(calibration[name + ".act_mean"], x.mean(axis=0), rtol=1e-5, atol=1e-6), name


def documented_model_hash(path):
    """The model content hash as formats/calibration.md defines it, from the safetensors file."""
    raw = path.read_bytes()
    header_length = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + header_length])
    data = raw[8 + header_length:]
    digest = hashlib.sha256()
    for name in sorted((k for k in header if k != "__metadata__"), key=lambda k: k.encode()):
        entry = header[name]
        begin, end = entry["data_offsets"]
        shape = ",".join(map(str, entry["shape"]))
        digest.update(name.encode() + b"\0" + entry["dtype"].encode() + b"\0" + shape.encode() + b"\0")
        digest.update(struct.pack("<Q", end - begin) + data[begin:end])
    return digest.hexdigest()


def test_metadata_records_documented_hashes(synthetic, tmp_path):
    directory, data, _ = synthetic
    out = tmp_path / "calib.safetensors"
    run_qzoo("calibrate", directory, "--data", data, "--max-length", 96, "-o", out)
    with safe_open(str(out), "np") as calibration:
        metadata = calibration.metadata()
    assert metadata["model_sha256"] == documented_model_hash(directory / "model.safetensors")
    assert metadata["data_sha256"] == hashlib.sha256(data.read_bytes()).hexdigest()
    assert (metadata["format"], metadata["format_version"], metadata["max_length"]) == ("qzoo-calibration", "1", "96")
    assert metadata["sequences"] == "40"


def test_embeddings_match_reference(synthetic, tmp_path):
    directory, data, ids = synthetic
    out = tmp_path / "emb.safetensors"
    run_qzoo("embed", directory, "--data", data, "--max-length", 96, "-o", out)
    ours = load_file(str(out))["embeddings"].astype(np.float64)
    model = BertReference(directory)
    expected = np.stack([model.sentence_embedding(sequence) for sequence in ids])
    assert (ours * expected).sum(axis=1).min() >= 0.99999


def test_eval_against_itself_is_exactly_one(synthetic):
    directory, data, _ = synthetic
    report = json.loads(run_qzoo("eval", "--reference", directory, "--candidate", directory, "--data", data, "--json"))
    assert [report[k] for k in ("mean_cosine", "min_cosine", "pairwise_spearman", "nearest_neighbour_agreement")] == [1, 1, 1, 1]
