"""qzoo's GPTQ against a numpy transcription of the reference `fasterquant` (gptq_reference.py)
on small random problems: the same rounding decisions, hence the same dequantized weights."""
import numpy as np
import pytest
from safetensors.numpy import load_file, save_file

from gptq_reference import fasterquant

SETTINGS = [
    dict(bits=4),
    dict(bits=3, groupsize=32),
    dict(bits=4, groupsize=32, sym=True, blocksize=48),
    dict(bits=3, groupsize=32, actorder=True),
    dict(bits=3, groupsize=32, actorder=True, static_groups=True),
    dict(bits=2, actorder=True, blocksize=16),
    dict(bits=4, groupsize=16, blocksize=64),
]


def problem(seed, rows=24, columns=160):
    rng = np.random.default_rng(seed)
    weight = rng.standard_normal((rows, columns)).astype(np.float32)
    mixing = rng.standard_normal((6, columns))
    x = rng.standard_normal((512, 6)) @ mixing + 0.3 * rng.standard_normal((512, columns))
    x *= np.linspace(1, 8, columns)[rng.permutation(columns)]
    x[:, [3, 77]] = 0  # dead inputs
    return weight, x.T @ x / len(x)


def qzoo_gptq(qzoo, tmp_path, weight, hessian, settings):
    save_file({"layer.weight": weight}, str(tmp_path / "model.safetensors"))
    save_file({"layer.weight.hessian": hessian.astype(np.float64)}, str(tmp_path / "calib.safetensors"))
    args = ["quantize", tmp_path / "model.safetensors", tmp_path / "out.qpack", "--method", "gptq",
            "--calibration", tmp_path / "calib.safetensors", "--bits", settings["bits"], "--force",
            "--block-size", settings.get("blocksize", 128)]
    if settings.get("groupsize"):
        args += ["--group-size", settings["groupsize"]]
    for flag, key in [("--sym", "sym"), ("--act-order", "actorder"), ("--static-groups", "static_groups")]:
        if settings.get(key):
            args.append(flag)
    qzoo(*args)
    qzoo("convert", tmp_path / "out.qpack", tmp_path / "dense.safetensors", "--dequantize", "--force")
    return load_file(str(tmp_path / "dense.safetensors"))["layer.weight"]


def proxy(weight, candidate, hessian):
    delta = (candidate - weight).astype(np.float64)
    return float(np.einsum("ri,ij,rj->", delta, hessian, delta))


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("settings", SETTINGS, ids=lambda s: "-".join(f"{k}{v}" for k, v in s.items()))
def test_same_rounding_as_the_reference(tmp_path, qzoo, settings, seed):
    weight, hessian = problem(seed)
    reference, _ = fasterquant(weight, hessian, **settings)
    ours = qzoo_gptq(qzoo, tmp_path, weight, hessian, settings)
    # Same code ⇔ same value up to an ulp of the scale (scales are fitted from lazily updated
    # weights, whose last bits depend on the summation order).
    same = np.mean(np.abs(ours - reference) <= 1e-5 * np.abs(reference).max())
    ours_loss, reference_loss = proxy(weight, ours, hessian), proxy(weight, reference, hessian)
    print(f"same codes {same:.4f}, proxy loss ratio {ours_loss / reference_loss:.6f}")
    # Float order differs (qzoo factors H with potrf+trtri, sgemm blocks differently, fuses
    # multiply-adds), so a weight lying on a rounding boundary can go the other way, after which
    # its row's later columns legitimately differ. Anything beyond such rare flips is a bug.
    assert same == 1.0 or abs(ours_loss - reference_loss) <= 1e-6 * reference_loss or (
        same >= 0.98 and abs(ours_loss / reference_loss - 1) <= 0.03), (same, ours_loss, reference_loss)
