"""A numpy transcription of the reference GPTQ (IST-DASLab/gptq `gptq.py` `fasterquant` and
`quant.py` `Quantizer`), kept in the test tooling to check qzoo's GPTQ against.

Float32 throughout, as the reference runs (or float64 with dtype=np.float64, except the grid
parameters, which are fitted in float32 as both qzoo and the reference store them). One
deliberate difference, qzoo's documented grid
convention (see AffineGrid / QuantizationRange): a symmetric range is always [-m, m] with
m = max(|min|, max), also for rows with no negative value (the reference keeps [0, max] there).
Act-order sorts with a stable sort (torch.argsort's order among equal diagonals is unspecified).
"""
import numpy as np


class Quantizer:
    """`quant.py` Quantizer with perchannel=True, mse=False."""

    def __init__(self, bits, sym):
        self.maxq = np.float32(2**bits - 1)
        self.sym = sym

    def find_params(self, x):
        x = x.astype(np.float32)
        xmin = np.minimum(x.min(axis=1), 0).astype(np.float32)
        xmax = np.maximum(x.max(axis=1), 0).astype(np.float32)
        if self.sym:
            xmax = np.maximum(np.abs(xmin), xmax)
            xmin = -xmax
        both_zero = (xmin == 0) & (xmax == 0)
        xmin[both_zero] = -1
        xmax[both_zero] = 1
        self.scale = ((xmax - xmin) / self.maxq).astype(np.float32)
        if self.sym:
            self.zero = np.full_like(self.scale, (self.maxq + 1) / 2)
        else:
            self.zero = np.round(-xmin / self.scale).astype(np.float32)
        self.zero = np.clip(self.zero, 0, self.maxq)  # qzoo clamps the zero point onto the code range
        return self

    def codes(self, x):
        return np.clip(np.round(x / self.scale[:, None]) + self.zero[:, None], 0, self.maxq)

    def quantize(self, x):
        return (self.scale[:, None] * (self.codes(x) - self.zero[:, None])).astype(x.dtype)

    def margin(self, x):
        """How far x / scale lies from a rounding boundary (a half-integer), in grid steps."""
        return np.abs(np.abs(x / self.scale[:, None] - np.floor(x / self.scale[:, None])) - 0.5)


def fasterquant(W, H, bits, sym=False, blocksize=128, percdamp=0.01, groupsize=-1, actorder=False, static_groups=False,
                dtype=np.float32, details=False):
    """Returns (dequantized Q in original column order, sum of losses as the reference prints it);
    with details=True also each weight's rounding margin (see Quantizer.margin, original column
    order) and the loop's column order."""
    W = W.astype(dtype).copy()
    H = H.astype(dtype).copy()
    columns = W.shape[1]
    quantizer = Quantizer(bits, sym).find_params(W)

    dead = np.diag(H) == 0
    H[dead, dead] = 1
    W[:, dead] = 0

    groups = []
    if static_groups:
        for i in range(0, columns, groupsize):
            groups.append(Quantizer(bits, sym).find_params(W[:, i:i + groupsize]))

    perm = np.arange(columns)
    if actorder:
        perm = np.argsort(-np.diag(H), kind="stable")
        W = W[:, perm]
        H = H[perm][:, perm]
        invperm = np.argsort(perm)

    Losses = np.zeros_like(W)
    Q = np.zeros_like(W)
    Margins = np.zeros_like(W)

    damp = dtype(percdamp) * np.mean(np.diag(H), dtype=dtype)
    H[np.arange(columns), np.arange(columns)] += damp
    L = np.linalg.cholesky(H)
    Linv = np.linalg.inv(L).astype(dtype)
    Hinv = (Linv.T @ Linv).astype(dtype)          # torch.cholesky_inverse
    Hinv = np.linalg.cholesky(Hinv).T.astype(dtype)  # cholesky(upper=True)

    for i1 in range(0, columns, blocksize):
        i2 = min(i1 + blocksize, columns)
        count = i2 - i1
        W1 = W[:, i1:i2].copy()
        Q1 = np.zeros_like(W1)
        Err1 = np.zeros_like(W1)
        Losses1 = np.zeros_like(W1)
        Hinv1 = Hinv[i1:i2, i1:i2]
        for i in range(count):
            w = W1[:, i]
            d = Hinv1[i, i]
            if groupsize != -1:
                if not static_groups:
                    if (i1 + i) % groupsize == 0:
                        quantizer = Quantizer(bits, sym).find_params(W[:, (i1 + i):(i1 + i + groupsize)])
                else:
                    idx = i1 + i
                    if actorder:
                        idx = perm[idx]
                    quantizer = groups[idx // groupsize]
            q = quantizer.quantize(w[:, None])[:, 0]
            Margins[:, i1 + i] = quantizer.margin(w[:, None])[:, 0]
            Q1[:, i] = q
            Losses1[:, i] = (w - q) ** 2 / d**2
            err1 = (w - q) / d
            W1[:, i:] -= np.outer(err1, Hinv1[i, i:]).astype(dtype)
            Err1[:, i] = err1
        Q[:, i1:i2] = Q1
        Losses[:, i1:i2] = Losses1 / 2
        W[:, i2:] -= (Err1 @ Hinv[i1:i2, i2:]).astype(dtype)

    if actorder:
        Q = Q[:, invperm]
        Margins = Margins[:, invperm]
    loss = float(np.sum(Losses, dtype=np.float64))
    return (Q, loss, Margins, perm) if details else (Q, loss)
