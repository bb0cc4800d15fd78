"""A plain-numpy BERT sentence encoder, written from the published architecture, used as the
independent reference for qzoo's forward pass.

float64 by default, no padding and no attention mask: attention runs within each sentence of
a packed batch (`lengths`; one sentence when omitted), erf GELU via math.erf, post-LayerNorm
layers, mean pooling over all tokens, L2 normalisation. It can also record the input of every
linear layer, for checking `qzoo calibrate`, and run one layer at a time on replaceable weights
(`embeddings`, `layer`, `w`), for sequential calibration in the quantizer transcriptions.
"""
import json
import math
from pathlib import Path

import numpy as np
from safetensors.numpy import load_file

_erf = np.vectorize(math.erf)


class BertReference:
    def __init__(self, model_dir, dtype=np.float64, erf=_erf):
        """`dtype` of the weights and activations; `erf` maps an array to erf of it (math.erf
        elementwise by default; a faster approximation suits float32 runs)."""
        model_dir = Path(model_dir)
        self.config = json.loads((model_dir / "config.json").read_text())
        tensors = load_file(str(model_dir / "model.safetensors"))
        self.prefix = "bert." if "bert.embeddings.word_embeddings.weight" in tensors else ""
        self.w = {k: v.astype(dtype) for k, v in tensors.items() if v.dtype.kind == "f"}
        self.erf = erf
        self.eps = self.config.get("layer_norm_eps", 1e-12)

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

    @staticmethod
    def _segments(count, lengths):
        lengths = [count] if lengths is None else lengths
        starts = np.cumsum([0, *lengths])
        return [slice(int(a), int(b)) for a, b in zip(starts[:-1], starts[1:])]

    def embeddings(self, ids, lengths=None):
        """The embedding output of the token ids of one sentence, or of several packed back to
        back (`lengths` tokens each)."""
        positions = np.concatenate([np.arange(s.stop - s.start) for s in self._segments(len(ids), lengths)])
        x = self.t("embeddings.word_embeddings.weight")[ids] + self.t("embeddings.position_embeddings.weight")[positions] \
            + self.t("embeddings.token_type_embeddings.weight")[0]
        return self.layer_norm(x, self.t("embeddings.LayerNorm.weight"), self.t("embeddings.LayerNorm.bias"), self.eps)

    def layer(self, i, x, lengths=None, record=None):
        """Encoder layer `i` on hidden states `x` (one sentence, or packed as in `embeddings`)."""
        context = self.attention_context(i, x, lengths, record)
        a = self.attention_block(i, context, x, record)
        hidden = self.ffn_hidden(i, a, record)
        return self.ffn_output(i, hidden, a, record)

    # The layer in four steps, one per linear-input site (what sequential calibration quantizes
    # in turn): q|k|v + attention, attention output + LayerNorm, FFN up + GELU, FFN down + LayerNorm.

    def attention_context(self, i, x, lengths=None, record=None):
        heads = self.config["num_attention_heads"]
        d = self.config["hidden_size"] // heads
        p = f"encoder.layer.{i}."
        q = self.linear(x, p + "attention.self.query", record)
        k = self.linear(x, p + "attention.self.key", record)
        v = self.linear(x, p + "attention.self.value", record)
        context = np.zeros_like(x)
        for segment in self._segments(len(x), lengths):
            for h in range(heads):
                s = slice(h * d, (h + 1) * d)
                scores = q[segment, s] @ k[segment, s].T / math.sqrt(d)
                scores = np.exp(scores - scores.max(axis=1, keepdims=True))
                scores /= scores.sum(axis=1, keepdims=True)
                context[segment, s] = scores @ v[segment, s]
        return context

    def attention_block(self, i, context, x, record=None):
        p = f"encoder.layer.{i}."
        a = self.linear(context, p + "attention.output.dense", record) + x
        return self.layer_norm(a, self.t(p + "attention.output.LayerNorm.weight"), self.t(p + "attention.output.LayerNorm.bias"), self.eps)

    def ffn_hidden(self, i, a, record=None):
        hidden = self.linear(a, f"encoder.layer.{i}.intermediate.dense", record)
        return 0.5 * hidden * (1 + self.erf(hidden / math.sqrt(2)))

    def ffn_output(self, i, hidden, a, record=None):
        p = f"encoder.layer.{i}."
        o = self.linear(hidden, p + "output.dense", record) + a
        return self.layer_norm(o, self.t(p + "output.LayerNorm.weight"), self.t(p + "output.LayerNorm.bias"), self.eps)

    def hidden_states(self, ids, record=None):
        x = self.embeddings(ids)
        for i in range(self.config["num_hidden_layers"]):
            x = self.layer(i, x, record=record)
        return x

    def sentence_embedding(self, ids, record=None):
        pooled = self.hidden_states(ids, record).mean(axis=0)
        return pooled / max(np.linalg.norm(pooled), 1e-12)
