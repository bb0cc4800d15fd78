"""Golden vectors for qzoo's E8P12 codebook and the E81B residual grid
(Tests/QZooQuantTests/E8PCodebookTests.swift).

A numpy transcription of quip-sharp (Cornell-RelaxML/quip-sharp 1d8f873):
`lib/codebook/latticee8_padded12.py` (`get_norm12`, `get_packed_abs_grid`, `get_full_grid`) and
`lib/codebook/latticee8_padded12_rvq3bit.py` (`get_e81bgrid`), with torch's `cartesian_prod` and
`unique(dim=0)` replaced by their numpy equivalents (itertools.product order, np.unique(axis=0)).

Writes e8p/e8p.json: the SHA-256 of the full 65,536 x 8 float32 codebook (row = code, little
endian), the same for the 256 x 8 E81B grid, and a few decoded rows in clear for readable failures.
Deterministic (no randomness).
"""

import hashlib
import itertools
import json
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parent / "e8p" / "e8p.json"

NORM12 = np.array([
    [3, 1, 1, 1, 3, 3, 3, 3], [1, 3, 1, 1, 3, 3, 3, 3], [1, 1, 3, 1, 3, 3, 3, 3], [1, 1, 1, 3, 3, 3, 3, 3],
    [3, 3, 3, 1, 3, 3, 1, 1], [3, 3, 3, 1, 3, 1, 3, 1], [3, 3, 3, 1, 1, 3, 3, 1], [3, 3, 3, 1, 3, 1, 1, 3],
    [3, 3, 3, 1, 1, 3, 1, 3], [3, 3, 3, 1, 1, 1, 3, 3], [3, 3, 1, 3, 3, 3, 1, 1], [3, 3, 1, 3, 3, 1, 3, 1],
    [3, 3, 1, 3, 1, 3, 3, 1], [3, 3, 1, 3, 3, 1, 1, 3], [3, 3, 1, 3, 1, 3, 1, 3], [3, 3, 1, 3, 1, 1, 3, 3],
    [3, 1, 3, 3, 3, 3, 1, 1], [3, 1, 3, 3, 3, 1, 3, 1], [3, 1, 3, 3, 1, 3, 3, 1], [3, 1, 3, 3, 3, 1, 1, 3],
    [3, 1, 3, 3, 1, 3, 1, 3], [1, 3, 3, 3, 1, 1, 3, 3], [1, 3, 3, 3, 3, 3, 1, 1], [1, 3, 3, 3, 3, 1, 3, 1],
    [1, 3, 3, 3, 1, 3, 3, 1], [1, 3, 3, 3, 3, 1, 1, 3], [1, 3, 3, 3, 1, 3, 1, 3], [1, 1, 3, 3, 1, 3, 3, 3],
    [3, 3, 1, 1, 3, 3, 3, 1],
], dtype=np.float32) / 2


def packed_abs_grid():
    d8 = np.array(list(itertools.product(range(-4, 4), repeat=8)), dtype=np.float32) + 0.5
    keep = (d8.sum(axis=1) % 2 == 0) & ((d8 ** 2).sum(axis=1) <= 10)
    d8abs = np.unique(np.abs(d8[keep]), axis=0)
    cba = np.concatenate([d8abs, NORM12])[:, [0, 2, 4, 6, 1, 3, 5, 7]]
    cba[:, 7] *= 1 - 2 * (cba.sum(1) % 2)
    cba = (cba * 2 + 8).astype(np.int64)
    acc = cba[:, 0].copy()
    for i in range(7):
        acc |= cba[:, i + 1] << ((i + 1) * 4)
    return acc


def full_grid(packed):
    grid = np.zeros((1 << 16, 8), dtype=np.float32)
    shuffle = [0, 4, 1, 5, 2, 6, 3, 7]
    for c in range(1 << 16):
        signs, source = c & 255, c >> 8
        parity = bin(signs).count("1") & 1
        signs ^= parity
        code = int(packed[source])
        for i in range(8):
            ii = shuffle[i]
            grid[c, i] = (((code >> (4 * ii)) & 15) - 8) * 0.5
            if (signs >> ii) & 1:
                grid[c, i] *= -1
        grid[c] += -0.25 if parity else 0.25
    return grid


def e81b_grid():
    integers = np.array(list(itertools.product(range(-4, 4), repeat=8)), dtype=np.float32)
    both = np.concatenate([integers, integers + 0.5])
    keep = (both.sum(axis=1) % 2 == 0) & ((both ** 2).sum(axis=1) <= 2)
    # + 0.0 turns numpy's -0.0 (from -2 * 0) into 0.0, as the reference's integer tensor has it.
    norm4 = (np.concatenate([2 * np.eye(8), -2 * np.eye(8)[:7]]) + 0.0).astype(np.float32)
    return np.concatenate([both[keep], norm4])


def sha(array):
    return hashlib.sha256(np.ascontiguousarray(array, dtype="<f4").tobytes()).hexdigest()


def main():
    grid = full_grid(packed_abs_grid())
    e81b = e81b_grid()
    samples = [0, 1, 2, 255, 256, 1000, 0x7FFF, 0xE3AB, 0xFFFF]
    doc = {
        "e8p_sha256": sha(grid),
        "e8p_samples": {str(c): [float(v) for v in grid[c]] for c in samples},
        "e81b_count": int(len(e81b)),
        "e81b_sha256": sha(e81b),
    }
    OUT.parent.mkdir(exist_ok=True)
    OUT.write_text(json.dumps(doc, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
