"""qzoo's BERT forward pass against the independent numpy implementation in bert_reference.py,
on real held-out sentences with the real all-MiniLM-L6-v2: every sentence embedding must have
cosine ≥ 0.99999 with the float64 reference (float32 pass), and the float64 pass must match
it to 1e-6. Token ids come from Hugging Face `tokenizers`, so this tests the model alone.
"""
import numpy as np
import pytest
from safetensors.numpy import load_file
from tokenizers import Tokenizer

from bert_reference import BertReference
from models_support import EVALUATION_TEXT, read_lines, run_qzoo

COUNT = 64


@pytest.fixture(scope="module")
def reference_embeddings(model_dir):
    texts = read_lines(EVALUATION_TEXT, COUNT)
    tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    tokenizer.no_padding()
    tokenizer.enable_truncation(128)
    model = BertReference(model_dir)
    return texts, np.stack([model.sentence_embedding(np.array(e.ids)) for e in tokenizer.encode_batch(texts)])


def qzoo_embed(model_dir, tmp_path, texts, precision):
    data = tmp_path / "texts.txt"
    data.write_text("\n".join(texts) + "\n", encoding="utf-8")
    out = tmp_path / f"emb-{precision}.safetensors"
    run_qzoo("embed", model_dir, "--data", data, "--precision", precision, "--batch", 16, "-o", out)
    return load_file(str(out))["embeddings"].astype(np.float64)


def test_float32_embeddings_match_reference(model_dir, tmp_path, reference_embeddings):
    texts, expected = reference_embeddings
    ours = qzoo_embed(model_dir, tmp_path, texts, "f32")
    assert ours.shape == expected.shape == (COUNT, 384)
    cosines = (ours * expected).sum(axis=1) / np.linalg.norm(ours, axis=1) / np.linalg.norm(expected, axis=1)
    assert cosines.min() >= 0.99999, f"worst sentence: {texts[int(cosines.argmin())]!r} (cosine {cosines.min()})"


def test_float64_pass_matches_reference_closely(model_dir, tmp_path, reference_embeddings):
    texts, expected = reference_embeddings
    ours = qzoo_embed(model_dir, tmp_path, texts[:24], "f64")
    assert np.abs(ours - expected[:24]).max() <= 1e-6
