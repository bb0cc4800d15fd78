"""qzoo's GPTQ against a numpy transcription of the reference `fasterquant` (gptq_reference.py)
on small random problems: the same rounding decisions, hence the same dequantized weights.

In float64 (`--gptq-precision f64` against the transcription with dtype=float64) summation
order moves values by ~1e-16, far from any rounding boundary, so every code must match. In
float32 (the reference's precision) qzoo sums in another order (fused multiply-adds, a
left-looking in-block update, its own gemm blocking), so a weight lying within float32 noise of
a rounding boundary may go the other way, after which the rest of its row legitimately differs;
rows are independent, so each row must match exactly up to such an explained first flip."""
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


def qzoo_gptq(qzoo, tmp_path, weight, hessian, settings, precision="f32"):
    save_file({"layer.weight": weight}, str(tmp_path / "model.safetensors"))
    save_file({"layer.weight.hessian": hessian.astype(np.float64)}, str(tmp_path / "calib.safetensors"))
    args = ["quantize", tmp_path / "model.safetensors", tmp_path / "out.qpack", "--method", "gptq",
            "--calibration", tmp_path / "calib.safetensors", "--bits", settings["bits"], "--force",
            "--block-size", settings.get("blocksize", 128), "--gptq-precision", precision]
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


# Grid steps within which float32 summation order can move a value across a rounding boundary:
# qzoo and numpy differ by ~1e-6 of a step here; a wrong rounding lands anywhere in [0, 0.5].
FLOAT32_TIE = 1e-3


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("settings", SETTINGS, ids=lambda s: "-".join(f"{k}{v}" for k, v in s.items()))
def test_same_codes_as_the_reference_in_float64(tmp_path, qzoo, settings, seed):
    weight, hessian = problem(seed)
    reference, _ = fasterquant(weight, hessian, **settings, dtype=np.float64)
    ours = qzoo_gptq(qzoo, tmp_path, weight, hessian, settings, precision="f64")
    # qzoo stores float32 scales and dequantizes in float32: the reference's float64 grid value
    # rounded to float32 is exactly what the same code dequantizes to.
    differ = ours != reference.astype(np.float32)
    assert not differ.any(), f"{differ.sum()} of {differ.size} codes differ, first at {np.argwhere(differ)[0]}"


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("settings", SETTINGS, ids=lambda s: "-".join(f"{k}{v}" for k, v in s.items()))
def test_same_codes_as_the_reference_in_float32_up_to_ties(tmp_path, qzoo, settings, seed):
    weight, hessian = problem(seed)
    reference, _, margins, order = fasterquant(weight, hessian, **settings, details=True)
    ours = qzoo_gptq(qzoo, tmp_path, weight, hessian, settings)
    # Same code ⇔ same value up to an ulp of the scale (scales are fitted from lazily updated
    # weights, whose last bits depend on the summation order).
    differ = np.abs(ours - reference) > 1e-5 * np.abs(reference).max()
    print(f"rows with a flip: {differ.any(axis=1).sum()} of {len(differ)}, "
          f"proxy loss ratio {proxy(weight, ours, hessian) / proxy(weight, reference, hessian):.6f}")
    for row in np.flatnonzero(differ.any(axis=1)):
        first = order[np.argmax(differ[row, order])]  # first differing column in loop order
        assert margins[row, first] < FLOAT32_TIE, (row, first, margins[row, first])
