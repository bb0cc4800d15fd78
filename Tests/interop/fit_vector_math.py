"""Fits the polynomial coefficients of QZooMath's VectorMath (float32 exp and erf).

Each polynomial is the weighted minimax (best uniform) approximation found by the Remez exchange
algorithm: solve for the polynomial whose weighted error alternates in sign with equal size on
n + 2 reference points, move the reference to the error's extrema, repeat until the levelled error
equals the true maximum (Chebyshev's equioscillation theorem says this is the best polynomial).
Reference values come from Python's double-precision `math` functions, whose error (~1e-16) is far
below the float32 targets (~1e-9).

Run with any Python that has numpy (the project venv):  python Tests/interop/fit_vector_math.py
It prints the coefficients (rounded to float32) as exact hexadecimal Swift literals together with each fit's maximum weighted error; the
constants in Sources/QZooMath/VectorMath/*.swift are this output.
"""
import math

import numpy as np


def remez(f, weight, powers, a, b, shift=0.0, grid=20000, iterations=60):
    """Coefficients c of sum c_k (x - shift)^powers[k] minimising max |weight(x)(f(x) - p(x))| on [a, b]."""
    n = len(powers)
    xs = np.linspace(a, b, grid + 1)
    fx = np.array([f(x) for x in xs])
    wx = np.array([weight(x) for x in xs])
    basis = np.stack([(xs - shift) ** k for k in powers], axis=1)
    reference = np.round((len(xs) - 1) * (1 - np.cos(np.pi * np.arange(n + 1) / n)) / 2).astype(int)
    level = 0.0
    for _ in range(iterations):
        signs = (-1.0) ** np.arange(n + 1)
        system = np.concatenate([basis[reference], (signs / wx[reference])[:, None]], axis=1)
        solution = np.linalg.solve(system, fx[reference])
        coefficients, level = solution[:n], abs(solution[n])
        error = wx * (fx - basis @ coefficients)
        reference = alternating_extrema(error, n + 1)
        if np.max(np.abs(error)) <= level * (1 + 1e-9):
            break
    return coefficients, float(np.max(np.abs(error)))


def alternating_extrema(error, count):
    """Indices of `count` extrema of `error` that alternate in sign, keeping the largest."""
    inner = [i for i in range(1, len(error) - 1)
             if abs(error[i]) >= abs(error[i - 1]) and abs(error[i]) >= abs(error[i + 1])]
    candidates = [0] + inner + [len(error) - 1]
    runs = []
    for i in candidates:
        if runs and np.sign(error[runs[-1]]) == np.sign(error[i]):
            if abs(error[i]) > abs(error[runs[-1]]):
                runs[-1] = i
        else:
            runs.append(i)
    while len(runs) > count:
        runs.pop(0 if abs(error[runs[0]]) < abs(error[runs[-1]]) else -1)
    return np.array(runs)


def swift_hex(value):
    """A float32 value as an exact Swift hexadecimal literal (`-0x1.8p-3`)."""
    mantissa, exponent = value.hex().split("p")
    return f"{mantissa.rstrip('0').rstrip('.')}p{int(exponent)}"


def report(name, coefficients, error):
    print(f"// {name}: max weighted error {error:.3e} (2^{math.log2(error):.1f})")
    for c in coefficients:
        print(f"    {swift_hex(float(np.float32(c)))},  // {np.format_float_positional(np.float32(c), unique=True)}")


def main():
    # exp(r) = 1 + r + r²·S(r) on the reduced range |r| ≤ ln2/2, relative error of exp.
    half_ln2 = math.log(2) / 2
    c, e = remez(lambda r: math.exp(r) - 1 - r, lambda r: math.exp(-r), range(2, 7), -half_ln2, half_ln2)
    report("exp: coefficients of r^2...r^6", c, e)

    # erf(x) = x + x·q(x²) for |x| < 1: relative error of erf.
    def q(u):
        return math.erf(math.sqrt(u)) / math.sqrt(u) - 1 if u > 0 else 2 / math.sqrt(math.pi) - 1

    def relative(u):
        return math.sqrt(u) / math.erf(math.sqrt(u)) if u > 0 else math.sqrt(math.pi) / 2

    c, e = remez(q, relative, range(0, 7), 0.0, 1.0)
    report("erf, |x| < 1: coefficients of u^0...u^6, u = x²", c, e)

    # erfc(x) = exp(-x²)·Q(x) for 1 ≤ x ≤ 4, absolute error of erfc (= of erf near 1).
    c, e = remez(lambda x: math.erfc(x) * math.exp(x * x), lambda x: math.exp(-x * x), range(0, 9), 1.0, 4.0, shift=2.5)
    report("erfc, 1 ≤ x ≤ 4: coefficients of s^0...s^8, s = x - 2.5", c, e)


if __name__ == "__main__":
    main()
