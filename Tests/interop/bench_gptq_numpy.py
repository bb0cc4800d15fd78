"""Times the numpy transcription of the reference GPTQ (gptq_reference.py) on the issue's two
speed workloads; Benchmarks/run.py times qzoo on the same files in the same run.

  python bench_gptq_numpy.py CHECKPOINT CALIB.safetensors [--repeat N]   # every weight with NAME.hessian, w4 g128
  python bench_gptq_numpy.py --write-synthetic DIR [--size 4096]          # DIR/layer.safetensors + DIR/layer-calib.safetensors
"""
import argparse
import pathlib
import time

import numpy as np
from safetensors.numpy import load_file, save_file

from gptq_reference import fasterquant


def load_problems(checkpoint, calibration):
    """[(weight, hessian)] for every weight of `checkpoint` with a NAME.hessian in `calibration`."""
    weights = load_file(str(checkpoint))
    hessians = load_file(str(calibration))
    return [(weights[name], hessians[name + ".hessian"]) for name in weights if name + ".hessian" in hessians]


def best_seconds(problems, repeat=2, bits=4, groupsize=128):
    """Fastest of `repeat` runs of fasterquant over all problems, in seconds."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for weight, hessian in problems:
            fasterquant(weight, hessian, bits=bits, groupsize=groupsize)
        best = min(best, time.perf_counter() - start)
    return best


def write_synthetic(directory, n=4096, seed=1):
    """One n×n layer `layer.weight` with a seeded random SPD Hessian AᵀA/n + I (A uniform in
    [-1, 1]); returns (checkpoint path, calibration path)."""
    directory = pathlib.Path(directory)
    rng = np.random.default_rng(seed)
    weight = rng.uniform(-1, 1, (n, n)).astype(np.float32)
    a = rng.uniform(-1, 1, (n, n)).astype(np.float32)
    hessian = a.T @ a / n + np.eye(n, dtype=np.float32)
    checkpoint, calibration = directory / "layer.safetensors", directory / "layer-calib.safetensors"
    save_file({"layer.weight": weight}, str(checkpoint))
    save_file({"layer.weight.hessian": hessian.astype(np.float64)}, str(calibration))
    return checkpoint, calibration


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("checkpoint", nargs="?")
    parser.add_argument("calibration", nargs="?")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--write-synthetic", metavar="DIR")
    parser.add_argument("--size", type=int, default=4096)
    args = parser.parse_args()
    if args.write_synthetic:
        print(*write_synthetic(args.write_synthetic, args.size))
    else:
        problems = load_problems(args.checkpoint, args.calibration)
        print(f"numpy GPTQ, {len(problems)} weights w4 g128: {best_seconds(problems, args.repeat):.3f} s (best of {args.repeat})")
