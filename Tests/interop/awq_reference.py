"""A numpy transcription of AWQ's searches (mit-han-lab/llm-awq `auto_scale.py`
`_search_module_scale`, `auto_clip.py` `auto_clip_layer`, `quantizer.py` `pseudo_quantize_tensor`),
written from ../shared/research/algorithms.md §3, run on cached layer inputs as the reference does.

It is the baseline for qzoo's AWQ: `make bench` times it against `qzoo quantize --method awq`
on the same calibration text, and the interop suite checks that qzoo picks the same ratios.
Loss of a scale group: the sum over its linears of mean((x·Ŵᵀ − x·Wᵀ)²) (qzoo's
tr(ΔW H ΔWᵀ) up to the constant factor rows·tokens).
"""
import numpy as np


def pseudo_quantize(w, n_bit, group_size, zero_point=True):
    """`pseudo_quantize_tensor`: asymmetric (or absmax symmetric) per group of `group_size` columns."""
    shape = w.shape
    w = w.reshape(-1, group_size)
    if zero_point:
        max_val = w.max(axis=1, keepdims=True)
        min_val = w.min(axis=1, keepdims=True)
        max_int = 2 ** n_bit - 1
        scales = np.maximum(max_val - min_val, 1e-5) / max_int
        zeros = np.clip(-np.round(min_val / scales), 0, max_int)
        w = (np.clip(np.round(w / scales) + zeros, 0, max_int) - zeros) * scales
    else:
        max_val = np.maximum(np.abs(w).max(axis=1, keepdims=True), 1e-5)
        max_int = 2 ** (n_bit - 1) - 1
        scales = max_val / max_int
        w = np.clip(np.round(w / scales), -max_int - 1, max_int) * scales
    return w.reshape(shape).astype(np.float32)


def search_scale(x, weights, n_bit, group_size, n_grid=20):
    """`_search_module_scale` for linears sharing the input `x` [tokens, in]: returns (ratio, scales)."""
    x_mean = np.abs(x).mean(axis=0)  # the reference calls it x_max, but it is a mean
    outs = [x @ w.T for w in weights]
    best = (np.inf, -1, None)
    for i in range(n_grid):
        ratio = i / n_grid
        scales = np.maximum(x_mean ** ratio, 1e-4)
        scales = (scales / np.sqrt(scales.max() * scales.min())).astype(np.float32)
        loss = 0.0
        for w, out in zip(weights, outs):
            q = pseudo_quantize(w * scales[None, :], n_bit, group_size) / scales[None, :]
            loss += float(((x @ q.T - out) ** 2).mean())
        if loss < best[0]:
            best = (loss, ratio, scales)
    return best[1], best[2]


def clip_layer(w, x, n_bit, group_size, n_grid=20, max_shrink=0.5, n_sample_token=512):
    """`auto_clip_layer`: per (row, group) the best symmetric clamp `max|w|·(1 − i/n_grid)`."""
    x = x.reshape(1, x.shape[0], -1, group_size)
    x = x[:, 0::max(1, x.shape[1] // n_sample_token)]
    w = w.reshape(w.shape[0], 1, -1, group_size)
    batch = 256 if w.shape[0] % 256 == 0 else 64
    best_all = []
    for start in range(0, w.shape[0], batch):
        w_b = w[start:start + batch]
        org_max = np.abs(w_b).max(axis=-1, keepdims=True)
        best_max = org_max.copy()
        min_errs = np.full(org_max.shape, 1e9, dtype=np.float32)
        org_out = (x * w_b).sum(axis=-1)
        for i_s in range(int(max_shrink * n_grid)):
            max_val = org_max * (1 - i_s / n_grid)
            q = pseudo_quantize(np.clip(w_b, -max_val, max_val), n_bit, group_size)
            err = ((x * q).sum(axis=-1) - org_out) ** 2
            err = err.mean(axis=1).reshape(min_errs.shape)
            better = err < min_errs
            min_errs[better] = err[better]
            best_max[better] = max_val[better]
        best_all.append(best_max)
    return np.concatenate(best_all, axis=0).reshape(w.shape[0], -1)


LAYER_GROUPS = [  # (input name, consumers) of one BERT layer, as qzoo's scale groups
    ("attention.self.query", ["attention.self.query", "attention.self.key", "attention.self.value"]),
    ("attention.output.dense", ["attention.output.dense"]),
    ("intermediate.dense", ["intermediate.dense"]),
    ("output.dense", ["output.dense"]),
]


def awq_layer(weights, inputs, layer, n_bit=4, group_size=128):
    """Scale search of the layer's four groups (on the float inputs), scaling (inputs divided
    by s), clip search of every linear but query/key. Returns the four ratios."""
    prefix = f"encoder.layer.{layer}."
    ratios = []
    for input_name, consumers in LAYER_GROUPS:
        x = inputs[prefix + input_name + ".input"].astype(np.float32)
        ws = [weights[prefix + c + ".weight"].astype(np.float32) for c in consumers]
        ratio, scales = search_scale(x, ws, n_bit, group_size)
        ratios.append(ratio)
        x_scaled = x / scales[None, :]
        for c, w in zip(consumers, ws):
            if "query" in c or "key" in c:
                continue
            clip_layer(w * scales[None, :], x_scaled, n_bit, group_size)
    return ratios
