"""make bench: runs qzoo's release benchmarks and the reference Python tools on the same data in
the same run, and prints each pair with the speed ratio (reference time / qzoo time)."""
import json
import os
import pathlib
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
from safetensors.numpy import load_file

HERE = pathlib.Path(__file__).resolve().parent
MODEL = pathlib.Path(os.environ["QZOO_MODEL_DIR"]) / "model.safetensors"


def timed(fn, repeat=10):
    """Median wall time of `fn` in milliseconds after one warm-up call."""
    fn()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def reference_load_and_read():
    arrays = load_file(str(MODEL))
    return sum(int(np.frombuffer(a.tobytes(), dtype=np.uint8).sum()) for a in arrays.values())


def reference_convert_npz():
    arrays = load_file(str(MODEL))
    with tempfile.TemporaryDirectory() as tmp:
        np.savez(pathlib.Path(tmp) / "m.npz", **arrays)


def reference_zstd_cli():
    """The zstd CLI at the bundle's settings on a tar of the same file (tar made outside the timing)."""
    subprocess.run(["zstd", "-q", "-10", "-T2", "--long=27", "-f", str(BUNDLE_TAR), "-o", str(BUNDLE_TAR) + ".zst"], check=True)


BUNDLE_TAR = pathlib.Path(tempfile.gettempdir()) / f"qzoo-bench-{os.getpid()}.tar"


def prepare_bundle_tar():
    import tarfile
    with tarfile.open(BUNDLE_TAR, "w", format=tarfile.PAX_FORMAT) as tar:
        tar.add(MODEL, arcname="model.safetensors")


REFERENCE = {
    "bundle the model weights (zstd 10, 2 threads)": ("zstd CLI -10 -T2 --long=27 on the tar", reference_zstd_cli),
    "load safetensors + read every byte": ("safetensors.numpy.load_file + read", reference_load_and_read),
    "convert safetensors -> npz": ("safetensors load_file + np.savez", reference_convert_npz),
}


def qzoo_results():
    """Runs the ordo-one benchmarks and returns {name: median wall-clock ms}."""
    with tempfile.TemporaryDirectory() as out:
        subprocess.run(
            ["swift", "package", "--package-path", str(HERE), "--disable-sandbox", "benchmark",
             "--format", "jmh", "--path", out, "--no-progress"],
            check=True, stdout=sys.stderr)
        results = {}
        for path in pathlib.Path(out).glob("*.jmh.json"):
            for entry in json.loads(path.read_text()):
                name = entry["benchmark"].split(".")[-1]
                metrics = {**entry.get("secondaryMetrics", {}), "primary": entry["primaryMetric"]}
                wall = metrics.get("Time (wall clock)", metrics["primary"])
                scale = {"ns": 1e-6, "us": 1e-3, "μs": 1e-3, "ms": 1.0, "s": 1000.0}[wall["scoreUnit"]]
                results[name] = wall["scorePercentiles"]["50.0"] * scale
        return results


def main():
    prepare_bundle_tar()
    ours = qzoo_results()
    rows = []
    for name, (label, fn) in REFERENCE.items():
        reference = timed(fn)
        mine = ours.get(name) or ours.get(name.replace(" ", "_"))
        ratio = f"{reference / mine:.1f}x" if mine else "n/a"
        mine_text = f"{mine:.1f} ms" if mine else "missing"
        rows.append((name, mine_text, f"{reference:.1f} ms ({label})", ratio))
    width = [max(len(r[i]) for r in rows + [("benchmark", "qzoo", "reference", "speed-up")]) for i in range(4)]
    for row in [("benchmark", "qzoo", "reference", "speed-up")] + rows:
        print("  ".join(cell.ljust(width[i]) for i, cell in enumerate(row)))
    for leftover in (BUNDLE_TAR, pathlib.Path(str(BUNDLE_TAR) + ".zst")):
        leftover.unlink(missing_ok=True)


if __name__ == "__main__":
    main()
