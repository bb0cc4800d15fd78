"""Times the numpy transcription of the reference GPTQ (gptq_reference.py) on the issue's two
speed workloads, for comparison with qzoo's timings on the same machine:

  python bench_gptq_numpy.py MODEL_DIR CALIB.safetensors   # 36 MiniLM linears, w4 g128
  python bench_gptq_numpy.py --large                        # one 4096x4096 layer, w4 g128
"""
import sys
import time

import numpy as np

from gptq_reference import fasterquant


def minilm(model_dir, calibration):
    from safetensors.numpy import load_file
    weights = load_file(f"{model_dir}/model.safetensors")
    hessians = {k[: -len(".hessian")]: v for k, v in load_file(calibration).items() if k.endswith(".hessian")}
    start = time.perf_counter()
    for name, hessian in hessians.items():
        fasterquant(weights[name], hessian, bits=4, groupsize=128)
    print(f"numpy GPTQ, {len(hessians)} MiniLM linears w4 g128: {time.perf_counter() - start:.3f} s")


def large(n=4096):
    rng = np.random.default_rng(1)
    weight = rng.uniform(-1, 1, (n, n)).astype(np.float32)
    a = rng.uniform(-1, 1, (n, n)).astype(np.float32)
    hessian = a.T @ a / n + np.eye(n, dtype=np.float32)
    start = time.perf_counter()
    fasterquant(weight, hessian, bits=4, groupsize=128)
    print(f"numpy GPTQ, {n}x{n} w4 g128: {time.perf_counter() - start:.3f} s")


if __name__ == "__main__":
    if sys.argv[1:] == ["--large"]:
        large()
    else:
        minilm(sys.argv[1], sys.argv[2])
