"""A plain-numpy BERT sentence encoder, written from the published architecture, used as the
independent reference for qzoo's forward pass.

float64 throughout, one sentence at a time (no batching, no padding, no attention mask), erf
GELU via math.erf, post-LayerNorm layers, mean pooling over all tokens, L2 normalisation. It
can also record the input of every linear layer, for checking `qzoo calibrate`.
"""
import json
import math
from pathlib import Path

import numpy as np
from safetensors.numpy import load_file

_erf = np.vectorize(math.erf)


class BertReference:
    def __init__(self, model_dir):
        model_dir = Path(model_dir)
        self.config = json.loads((model_dir / "config.json").read_text())
        tensors = load_file(str(model_dir / "model.safetensors"))
        self.prefix = "bert." if "bert.embeddings.word_embeddings.weight" in tensors else ""
        self.w = {k: v.astype(np.float64) for k, v in tensors.items() if v.dtype.kind == "f"}

    def t(self, name):
        return self.w[self.prefix + name]

    @staticmethod
    def layer_norm(x, gamma, beta, eps):
        mean = x.mean(axis=-1, keepdims=True)
        var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
        return (x - mean) / np.sqrt(var + eps) * gamma + beta

    def linear(self, x, name, record):
        if record is not None:
            record.setdefault(name + ".weight", []).append(x.copy())
        return x @ self.t(name + ".weight").T + self.t(name + ".bias")

    def hidden_states(self, ids, record=None):
        c = self.config
        eps = c.get("layer_norm_eps", 1e-12)
        n = len(ids)
        x = self.t("embeddings.word_embeddings.weight")[ids] + self.t("embeddings.position_embeddings.weight")[:n] \
            + self.t("embeddings.token_type_embeddings.weight")[0]
        x = self.layer_norm(x, self.t("embeddings.LayerNorm.weight"), self.t("embeddings.LayerNorm.bias"), eps)
        heads = c["num_attention_heads"]
        d = c["hidden_size"] // heads
        for i in range(c["num_hidden_layers"]):
            p = f"encoder.layer.{i}."
            q = self.linear(x, p + "attention.self.query", record)
            k = self.linear(x, p + "attention.self.key", record)
            v = self.linear(x, p + "attention.self.value", record)
            context = np.zeros_like(x)
            for h in range(heads):
                s = slice(h * d, (h + 1) * d)
                scores = q[:, s] @ k[:, s].T / math.sqrt(d)
                scores = np.exp(scores - scores.max(axis=1, keepdims=True))
                scores /= scores.sum(axis=1, keepdims=True)
                context[:, s] = scores @ v[:, s]
            a = self.linear(context, p + "attention.output.dense", record) + x
            a = self.layer_norm(a, self.t(p + "attention.output.LayerNorm.weight"), self.t(p + "attention.output.LayerNorm.bias"), eps)
            hidden = self.linear(a, p + "intermediate.dense", record)
            hidden = 0.5 * hidden * (1 + _erf(hidden / math.sqrt(2)))
            o = self.linear(hidden, p + "output.dense", record) + a
            x = self.layer_norm(o, self.t(p + "output.LayerNorm.weight"), self.t(p + "output.LayerNorm.bias"), eps)
        return x

    def sentence_embedding(self, ids, record=None):
        pooled = self.hidden_states(ids, record).mean(axis=0)
        return pooled / max(np.linalg.norm(pooled), 1e-12)
