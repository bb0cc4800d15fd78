"""A numpy transcription of QuIP# without fine-tuning (Cornell-RelaxML/quip-sharp 1d8f873:
`lib/algo/quip.py` `quantize_linear` / `quantize` / `incoherence_preprocess` / `LDLQ_buffered`,
`lib/utils/math_utils.py` `regularize_H` / `block_LDL`, `lib/utils/matmul_had.py` `matmul_hadU`,
`lib/codebook/latticee8_padded12.py` (E8P12) and `latticee8_padded12_rvq4bit.py` (E8P12RVQ4B)),
written from ../shared/research/algorithms.md §2b and that code, kept in the test tooling as the
baseline for qzoo's `quipsharp` method: `make bench` times it against qzoo on the same job, and
the comparison of proxy losses and held-out cosines is how qzoo's choices were checked.

As the reference: float32 (float64 when the rotated Hessian does not factor), `H /= mean diag H`
then `H += sigma_reg·I`, signs `sign(sign(randn)+1e-5)`, `Hr = 𝓗ᵀ S_U H S_U 𝓗`,
`Wr = 𝓗_mᵀ S_V W S_U 𝓗_n`, block LDL of Hr with 8×8 blocks, `Wr /= RMS(Wr)/ρ`, buffered LDLQ
(128 columns) last block first, `quip_tune_iters` passes of block coordinate descent last block
first, each block rounded by the codebook's Euclidean nearest-point search (E8P12: the two
shifted 1,366-entry half searches of `fast_quantize_part`), then back through the RHT. Fused
matrices (BERT's query|key|value, like Llama's q|k|v) are stacked after dividing each part by its
RMS and scaled back after.

Differences, none of which changes a rounding decision: signs come from numpy's generator
(torch.randn's stream is not reproducible here), or with `signs="qzoo"` from qzoo's own
SplitMix64 scheme (to compare the two on identical rotations); codes are not packed, only the
dequantized weight is returned (the float result `quantize` returns, before the fp16 storage of
SU and SV·Wscale); the 8×8 block inverses of the tune passes are computed once per weight
instead of once per pass (the same values).

The BERT driver calibrates as qzoo does (calibration text, `--max-length`, H = XᵀX/n accumulated
in float64 over all tokens): either once on the float model, from a `qzoo calibrate` file, or
sequentially (site by site as qzoo: each linear input — q|k|v, attention output, FFN up, FFN
down — measured on the model as quantized up to it). The forward pass is bert_reference.py in float32 with a
polynomial erf (|error| < 1.5e-7).

  python quipsharp_reference.py MODEL_DIR OUT.safetensors [--bits 2] [--data TEXT] [--calibration CALIB]
"""
import argparse
import json
import math
import pathlib
import time

import numpy as np
from safetensors.numpy import load_file, save_file

from bert_reference import BertReference

# ---------------------------------------------------------------------------------------------
# Hadamard transforms (`matmul_hadU`): 𝓗_n x = (H_K ⊗ H_{n/K}) x / √n, K index major.

# quip-sharp's hard-coded H_12 and H_36 (Sloane's had12 and had36.pal2), as data: + is +1.
_HAD = {
    12: """+----------- ++-+---+++-+ +++-+---+++- +-++-+---+++ ++-++-+---++ +++-++-+---+
           ++++-++-+--- +-+++-++-+-- +--+++-++-+- +---+++-++-+ ++---+++-++- +-+---+++-++""",
    36: """++++++++++++++++++-+++++++++++++++++ ++++-+---++---+-+++-++-+---++---+-++
           +++++-+---++---+-+++-++-+---++---+-+ ++++++-+---++---+-+++-++-+---++---+-
           +-+++++-+---++---++-++-++-+---++---+ ++-+++++-+---++---++-++-++-+---++---
           +-+-+++++-+---++--+-+-++-++-+---++-- +--+-+++++-+---++-+--+-++-++-+---++-
           +---+-+++++-+---+++---+-++-++-+---++ ++---+-+++++-+---+++---+-++-++-+---+
           +++---+-+++++-+---+++---+-++-++-+--- +-++---+-+++++-+--+-++---+-++-++-+--
           +--++---+-+++++-+-+--++---+-++-++-+- +---++---+-+++++-++---++---+-++-++-+
           ++---++---+-+++++-++---++---+-++-++- +-+---++---+-++++++-+---++---+-++-++
           ++-+---++---+-++++++-+---++---+-++-+ +++-+---++---+-++++++-+---++---+-++-
           -+++++++++++++++++------------------ +-++-+---++---+-++----+-+++--+++-+--
           ++-++-+---++---+-+-----+-+++--+++-+- +++-++-+---++---+-------+-+++--+++-+
           +-++-++-+---++---+-+-----+-+++--+++- ++-++-++-+---++-----+-----+-+++--+++
           +-+-++-++-+---++---+-+-----+-+++--++ +--+-++-++-+---++--++-+-----+-+++--+
           +---+-++-++-+---++-+++-+-----+-+++-- ++---+-++-++-+---+--+++-+-----+-+++-
           +++---+-++-++-+------+++-+-----+-+++ +-++---+-++-++-+---+--+++-+-----+-++
           +--++---+-++-++-+--++--+++-+-----+-+ +---++---+-++-++-+-+++--+++-+-----+-
           ++---++---+-++-++---+++--+++-+-----+ +-+---++---+-++-++-+-+++--+++-+-----
           ++-+---++---+-++-+--+-+++--+++-+---- +++-+---++---+-++----+-+++--+++-+---""",
}
_HAD_ORDERS = (172, 156, 140, 124, 116, 108, 60, 52, 36, 28, 20, 12)  # get_hadK's order


def hadamard_factor(n):
    """(H_K or None, K) as `get_hadK` picks them: the first listed K dividing n, n/K a power of 2."""
    for k in _HAD_ORDERS:
        if n % k == 0:
            if k not in _HAD:
                raise ValueError(f"H_{k} is not transcribed here (needed for size {n})")
            if (n // k) & (n // k - 1):
                raise ValueError(f"{n}/{k} is not a power of two")
            signs = [c for c in _HAD[k] if c in "+-"]
            return np.array([1.0 if c == "+" else -1.0 for c in signs]).reshape(k, k), k
    if n & (n - 1):
        raise ValueError(f"no Hadamard transform of size {n}")
    return None, 1


def matmul_had(x, transpose=False):
    """Each row r of x becomes 𝓗r (𝓗ᵀr with transpose): log2(n/K) radix-2 butterflies on
    adjacent pairs, then H_K (or H_Kᵀ) across the K major index, divided by √n."""
    n = x.shape[-1]
    had, k = hadamard_factor(n)
    y = x.reshape(-1, n, 1)
    while y.shape[1] > k:
        pairs = y.reshape(len(y), y.shape[1] // 2, 2, y.shape[2])
        y = np.stack([pairs[:, :, 0] + pairs[:, :, 1], pairs[:, :, 0] - pairs[:, :, 1]], axis=2)
        y = y.reshape(len(y), pairs.shape[1], -1)
    if k > 1:
        y = (had.T if transpose else had).astype(x.dtype) @ y
    return (y.reshape(x.shape) / np.sqrt(n)).astype(x.dtype)


def rht_h(h, su):
    """`RHT_H`: 𝓗ᵀ S_U H S_U 𝓗."""
    return matmul_had(matmul_had(h * su, True).T * su, True)


def rht_w(w, su, sv):
    """`RHT_W`: 𝓗_mᵀ S_V W S_U 𝓗_n."""
    return matmul_had(matmul_had(w.T * sv, True).T * su, True)


def incoherence_process(hat_wr, su, sv):
    """The RHT undone: S_V 𝓗_m Ŵr 𝓗_nᵀ S_U."""
    return np.ascontiguousarray((matmul_had((matmul_had(hat_wr) * su).T) * sv).T)


# ---------------------------------------------------------------------------------------------
# Codebooks.

_NORM12 = """31113333 13113333 11313333 11133333 33313311 33313131 33311331 33313113 33311313
             33311133 33133311 33133131 33131331 33133113 33131313 33131133 31333311 31333131
             31331331 31333113 31331313 13331133 13333311 13333131 13331331 13333113 13331313
             11331333 33113331"""  # get_norm12, in halves


def e8p_abs_grid():
    """`get_abs_grid`: the 227 distinct |x| of (Z⁸+½) ∩ {Σx even, ‖x‖² ≤ 10} (lexicographic, as
    torch.unique sorts) and the 29 hand-listed norm² 12 rows. A sign flip changes Σx by an odd
    integer, so every |x| pattern within the norm has an even-sum signing."""
    halves = np.array(np.meshgrid(*[np.arange(4) + 0.5] * 8, indexing="ij")).reshape(8, -1).T
    small = halves[(halves ** 2).sum(axis=1) <= 10]
    small = small[np.lexsort(small.T[::-1])]
    norm12 = np.array([[int(c) for c in row] for row in _NORM12.split()]) / 2
    return np.concatenate([small, norm12])


def e8p_full_grid():
    """`get_packed_abs_grid` + `get_full_grid`: the 2¹⁶ codewords, and which codes have odd sign
    parity (those carry −¼)."""
    abs_grid = e8p_abs_grid()
    packed = abs_grid[:, [0, 2, 4, 6, 1, 3, 5, 7]].copy()
    packed[:, 7] *= 1 - 2 * (packed.sum(axis=1) % 2)
    codes = np.arange(1 << 16)
    signs = codes & 255
    parity = np.bitwise_count(signs.astype(np.uint8)) & 1
    signs ^= parity
    shuffle = [0, 4, 1, 5, 2, 6, 3, 7]
    grid = np.empty((len(codes), 8))
    for i, ii in enumerate(shuffle):
        value = packed[codes >> 8, ii]
        grid[:, i] = np.where((signs >> ii) & 1, -value, value)
    grid += np.where(parity, -0.25, 0.25)[:, None]
    return grid, parity.astype(bool)


class E8P12:
    """E8P12 (2 bits): Euclidean nearest codeword by `quantize` / `fast_quantize_part`."""
    opt_scale = 1.03

    def __init__(self, dtype=np.float32):
        grid, odd = e8p_full_grid()
        part = grid[odd] + 0.25
        keep = ((part[:, :7] < 0).sum(axis=1) <= 1) & (part[:, :7].min(axis=1) >= -0.5)
        self.part = part[keep].astype(dtype)
        self.part_twice_t = (2 * self.part).T.copy()  # 2·X·gᵀ = X·(2g)ᵀ exactly
        self.part_norm = (self.part.astype(dtype) ** 2).sum(axis=1)
        self.grid = grid.astype(dtype)

    def _quantize_part(self, x):
        """Nearest D̂8 point (even-sum half-integers) to each row of x, and the distance."""
        negative = x < 0
        odd = negative.sum(axis=1) % 2 != 0
        x_part = np.abs(x)
        x_part[odd, 7] = -x_part[odd, 7]
        mask = 1 - 2 * negative.astype(x.dtype)
        mask[odd, 7] = -mask[odd, 7]
        scores = x_part @ self.part_twice_t
        scores -= self.part_norm
        values = self.part[np.argmax(scores, axis=1)] * mask
        return values, np.linalg.norm(x - values, axis=1)

    def quantize(self, x):
        """Rows of x (…, 8) → nearest codewords: D̂8 − ¼ or D̂8 + ¼, whichever is closer."""
        plus, plus_err = self._quantize_part(x + 0.25)
        minus, minus_err = self._quantize_part(x - 0.25)
        return np.where((plus_err < minus_err)[:, None], plus - 0.25, minus + 0.25)


class E8P12RVQ4B(E8P12):
    """E8P12RVQ4B (4 bits): E8P, then E8P of the residual scaled by 3.45."""
    opt_scale = 1.03
    resid_scale = 3.45

    def quantize(self, x):
        first = super().quantize(x)
        return first + super().quantize((x - first) * self.resid_scale) / self.resid_scale


CODEBOOKS = {2: E8P12, 4: E8P12RVQ4B}


# ---------------------------------------------------------------------------------------------
# One weight.

def regularize_h(h, sigma_reg):
    h = h / np.mean(np.diag(h))
    h[np.diag_indices_from(h)] += sigma_reg
    return h


def block_ldl(h, b):
    """H = L D Lᵀ with L unit block-lower (8×8 identity diagonal blocks): L = chol(H)·blockdiag(DL_i⁻¹)."""
    n = len(h)
    lower = np.linalg.cholesky(h)
    if not np.isfinite(lower).all():
        raise np.linalg.LinAlgError("Cholesky of the rotated Hessian is not finite")
    blocks = [lower[i:i + b, i:i + b] for i in range(0, n, b)]
    l = lower.reshape(n, n // b, b)
    for i, dl in enumerate(blocks):
        l[:, i, :] = l[:, i, :] @ np.linalg.inv(dl)
    return l.reshape(n, n)


def ldlq_buffered(wr, hr, l, cb, tune_iters, buf_cols=128):
    """`LDLQ_buffered` in its transposed layout: LDLQ last block first in buffers of 128 columns
    (feedback of finished buffers in `prod`), then `tune_iters` passes of
    `Ŵ_k ← Q(Ŵ_k + H_kk⁻¹ H_{k,:} Δᵀ)` last block first, Δ kept current."""
    n, b = wr.shape[1], 8
    assert n % buf_cols == 0
    buf = buf_cols // b
    w_t, h_t = wr.T.copy(), hr.T.copy()
    hat_t = np.zeros_like(w_t)
    prod = np.zeros_like(w_t)
    for cur in range(n // b, 0, -buf):
        lo, hi = b * (cur - buf), b * cur
        b_w, b_hat, b_l, b_prod = w_t[lo:hi], hat_t[lo:hi], l[lo:hi], prod[lo:hi]
        for i in reversed(range(buf)):
            s, later = slice(b * i, b * (i + 1)), slice(b * (i + 1), None)
            x = b_w[s] + b_l[later, lo + b * i:lo + b * (i + 1)].T @ (b_w[later] - b_hat[later]) + b_prod[s]
            b_hat[s] = cb.quantize(x.T).T
        prod += b_l.T @ (b_w - b_hat)
    inverses = [np.linalg.inv(h_t[k:k + b, k:k + b].T).T for k in range(0, n, b)]
    for _ in range(tune_iters):
        delta = w_t - hat_t
        for k in reversed(range(0, n, b)):
            x = hat_t[k:k + b] + inverses[k // b] @ h_t[k:k + b] @ delta
            delta[k:k + b] += hat_t[k:k + b]
            hat_t[k:k + b] = cb.quantize(x.T).T
            delta[k:k + b] -= hat_t[k:k + b]
    return hat_t.T.copy()


def random_signs(n, m, rng):
    """SU (n) then SV (m), each sign(sign(randn) + 1e-5)."""
    su = np.sign(np.sign(rng.standard_normal(n)) + 1e-5)
    sv = np.sign(np.sign(rng.standard_normal(m)) + 1e-5)
    return su, sv


def qzoo_signs(name, rows, columns, seed=0):
    """qzoo's signs for weight `name` (RandomizedHadamard + QuIPSharpQuantizer.seed): SplitMix64
    seeded with seed ^ FNV-1a(name), lowest bit of each output (1 → −1), rows then columns.
    Returns (SU, SV) = (column signs, row signs)."""
    mask = (1 << 64) - 1
    state = 0xCBF29CE484222325
    for byte in name.encode():
        state = ((state ^ byte) * 0x100000001B3) & mask
    state ^= seed
    out = []
    for _ in range(rows + columns):
        state = (state + 0x9E3779B97F4A7C15) & mask
        z = state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & mask
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & mask
        out.append(-1.0 if (z ^ (z >> 31)) & 1 else 1.0)
    return np.array(out[rows:]), np.array(out[:rows])


def quantize(h, w, cb, signs, rho=None, tune_iters=10, dtype=np.float32):
    """`quantize` on a regularised H: the dequantized Ŵ (float64 retry if chol(Hr) fails)."""
    (m, n) = w.shape
    su, sv = (s.astype(dtype) for s in signs)
    hr, wr = rht_h(h.astype(dtype), su), rht_w(w.astype(dtype), su, sv)
    try:
        l = block_ldl(hr, 8)
    except np.linalg.LinAlgError:
        if dtype == np.float64:
            raise
        return quantize(h, w, cb, signs, rho, tune_iters, np.float64)
    w_scale = np.sqrt(np.mean(wr ** 2)) / (rho if rho else cb.opt_scale)
    hat_wr = ldlq_buffered(wr / w_scale, hr, l, cb, tune_iters) * w_scale
    return incoherence_process(hat_wr.astype(dtype), su, sv)


def quantize_linear(weights, h, cb, signs, rho=None, tune_iters=10, sigma_reg=0.01):
    """`quantize_linear`: the parts (one, or fused ones sharing the input) stacked after dividing
    each by its RMS, quantized together against regularize_H(H); returns the dequantized parts."""
    scales = [np.sqrt(np.mean(w.astype(np.float32) ** 2)) for w in weights]
    w = np.vstack([p.astype(np.float32) / s for p, s in zip(weights, scales)])
    hat = quantize(regularize_h(h.astype(np.float64), sigma_reg), w, cb, signs, rho, tune_iters)
    bounds = np.cumsum([0, *[len(p) for p in weights]])
    return [hat[a:b] * s for a, b, s in zip(bounds[:-1], bounds[1:], scales)]


def relative_proxy(w, hat, h):
    """tr(ΔW H ΔWᵀ) / tr(W H Wᵀ) in float64."""
    w, delta = w.astype(np.float64), (hat - w).astype(np.float64)
    return float(np.sum((delta @ h) * delta) / np.sum((w @ h) * w))


# ---------------------------------------------------------------------------------------------
# BERT driver.

def erf32(x):
    """Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7), vectorised, for the float32 forward."""
    a = np.abs(x)
    t = 1 / (1 + 0.3275911 * a)
    poly = ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t
    return np.sign(x) * (1 - poly * np.exp(-a * a))


class _Gram:
    """Σ xᵀx in float64 and the token count of one linear input."""

    def __init__(self):
        self.sum, self.tokens = 0.0, 0

    def append(self, x):
        x = x.astype(np.float64)
        self.sum = self.sum + x.T @ x
        self.tokens += len(x)

    @property
    def hessian(self):
        return self.sum / self.tokens


class HessianRecorder(dict):
    """A `record` for BertReference.linear that keeps XᵀX/n of the inputs of `names` only."""

    def __init__(self, names):
        super().__init__()
        self.names = set(names)

    def setdefault(self, name, default=None):
        if name not in self.names:
            return []
        return super().setdefault(name, _Gram())


LAYER_GROUPS = [  # (the group's input name, the weights reading it) per BERT encoder layer
    ("attention.self.query", ["attention.self.query", "attention.self.key", "attention.self.value"]),
    ("attention.output.dense", ["attention.output.dense"]),
    ("intermediate.dense", ["intermediate.dense"]),
    ("output.dense", ["output.dense"]),
]


def tokenize(model_dir, texts, max_length):
    from tokenizers import Tokenizer
    tokenizer = Tokenizer.from_file(str(pathlib.Path(model_dir) / "tokenizer.json"))
    tokenizer.no_padding()
    tokenizer.enable_truncation(max_length)
    encodings = tokenizer.encode_batch(texts)
    return np.concatenate([e.ids for e in encodings]), [len(e.ids) for e in encodings]


def measure(model, x, lengths, layers):
    """{weight name: XᵀX/n} of every group input of `layers`, running them from hidden states x."""
    names = [f"encoder.layer.{i}.{g}.weight" for i in layers for g, _ in LAYER_GROUPS]
    recorder = HessianRecorder(names)
    for i in layers:
        x = model.layer(i, x, lengths, record=recorder)
    return {name: recorder[name].hessian for name in names}


def quantize_group(model, p, group, consumers, h, cb, rho, tune_iters, fuse, signs, seed, rng, out, proxies):
    """Quantizes the weights reading one input (`consumers` of layer prefix `p`) against `h`."""
    names = [p + c + ".weight" for c in consumers]
    for part in [names] if fuse else [[name] for name in names]:
        weights = [model.t(name) for name in part]
        rows, columns = sum(len(w) for w in weights), weights[0].shape[1]
        chosen = (qzoo_signs(part[0], rows, columns, seed) if signs == "qzoo" and len(part) == 1
                  else random_signs(columns, rows, rng))
        for name, w, hat in zip(part, weights, quantize_linear(weights, h, cb, chosen, rho, tune_iters)):
            proxies[name] = relative_proxy(w, hat, h)
            out[name] = model.w[model.prefix + name] = np.ascontiguousarray(hat, dtype=np.float32)


def quantize_bert(model_dir, texts, bits=2, max_length=128, sequential=True, hessians=None, fuse=True,
                  rho=None, tune_iters=10, signs="random", seed=0, progress=print):
    """Quantizes the encoder linears of a BERT model; returns ({weight name: Ŵ}, {name: relative
    proxy loss against the Hessian it was quantized with}). `hessians` ({name: H}) replaces
    calibration on `texts`; otherwise each linear input is measured on the model as quantized up
    to it (`sequential`, site by site as qzoo does: q|k|v, attention output, FFN up, FFN down)
    or all on the float model."""
    cb = CODEBOOKS[bits]()
    model = BertReference(model_dir, dtype=np.float32, erf=erf32)
    rng = np.random.default_rng(seed)
    layers = range(model.config["num_hidden_layers"])
    out, proxies = {}, {}
    quantize = lambda p, group, consumers, h: quantize_group(model, p, group, consumers, h, cb, rho, tune_iters, fuse,
                                                             signs, seed, rng, out, proxies)
    if hessians is None:
        ids, lengths = tokenize(model_dir, texts, max_length)
        x = model.embeddings(ids, lengths)
        if not sequential:
            hessians = measure(model, x, lengths, layers)
    for i in layers:
        p = f"encoder.layer.{i}."
        if hessians is not None:
            for group, consumers in LAYER_GROUPS:
                quantize(p, group, consumers, hessians[p + group + ".weight"])
        else:
            x = quantize_layer_sequentially(model, i, x, lengths, quantize)
        progress(f"layer {i + 1}/{len(layers)}: mean relative proxy loss "
                 f"{np.mean([v for k, v in proxies.items() if k.startswith(p)]):.4e}")
    return out, proxies


def quantize_layer_sequentially(model, i, x, lengths, quantize):
    """Layer `i` site by site: each site's input measured (float64 XᵀX/n), its weights quantized,
    then the site applied with them; returns the layer's output on the quantized weights."""
    p = f"encoder.layer.{i}."

    def hessian(v):
        g = _Gram()
        g.append(v)
        return g.hessian

    (g0, c0), (g1, c1), (g2, c2), (g3, c3) = LAYER_GROUPS
    quantize(p, g0, c0, hessian(x))
    context = model.attention_context(i, x, lengths)
    quantize(p, g1, c1, hessian(context))
    a = model.attention_block(i, context, x)
    quantize(p, g2, c2, hessian(a))
    hidden = model.ffn_hidden(i, a)
    quantize(p, g3, c3, hessian(hidden))
    return model.ffn_output(i, hidden, a)


def read_texts(path):
    return [line for line in pathlib.Path(path).read_text(encoding="utf-8").split("\n") if line.strip()]


def main():
    root = pathlib.Path(__file__).resolve().parents[2]
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("model_dir")
    parser.add_argument("output", help="dequantized model (.safetensors)")
    parser.add_argument("--bits", type=int, default=2, choices=sorted(CODEBOOKS))
    parser.add_argument("--data", default=root / "Sources" / "QZooModels" / "Resources" / "calibration-en.txt")
    parser.add_argument("--max-length", type=int, default=128)
    parser.add_argument("--calibration", help="fixed Hessians (NAME.hessian) from `qzoo calibrate`")
    parser.add_argument("--no-sequential", action="store_true", help="one calibration pass of the float model")
    parser.add_argument("--no-fuse", action="store_true", help="query, key and value one by one")
    parser.add_argument("--rho", type=float, help="scale_override (default: the codebook's opt_scale)")
    parser.add_argument("--tune-iters", type=int, default=10)
    parser.add_argument("--signs", choices=["random", "qzoo"], default="random")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--report", help="write {name: relative proxy loss} as JSON")
    args = parser.parse_args()
    hessians = None
    if args.calibration:
        hessians = {k[:-len(".hessian")]: v for k, v in load_file(args.calibration).items() if k.endswith(".hessian")}
    texts = read_texts(args.data)
    start = time.perf_counter()
    weights, proxies = quantize_bert(args.model_dir, texts, args.bits, args.max_length, not args.no_sequential, hessians,
                                     not args.no_fuse, args.rho, args.tune_iters, args.signs, args.seed)
    seconds = time.perf_counter() - start
    tensors = load_file(str(pathlib.Path(args.model_dir) / "model.safetensors"))
    prefix = "bert." if "bert.embeddings.word_embeddings.weight" in tensors else ""
    for name, value in weights.items():
        tensors[prefix + name] = value.astype(tensors[prefix + name].dtype)
    save_file(tensors, args.output)
    if args.report:
        pathlib.Path(args.report).write_text(json.dumps(proxies, indent=1, sort_keys=True))
    print(f"numpy QuIP# {args.bits}-bit, {len(weights)} weights, {len(texts)} calibration sentences: {seconds:.1f} s; "
          f"mean relative proxy loss {np.mean(list(proxies.values())):.4e}")


if __name__ == "__main__":
    main()
