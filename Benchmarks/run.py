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


REFERENCE = {
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


def forward_benchmark():
    """The built-in BERT forward pass and calibration, against the sgemm rate of this run."""
    qzoo = os.environ["QZOO_BIN"]
    model = MODEL.parent
    evaluation = HERE.parent / "data" / "evaluation" / "eval-en.txt"
    print(subprocess.run([qzoo, "bench", str(model), "--data", str(evaluation), "--sentences", "512"],
                         check=True, capture_output=True, text=True).stdout)


# The measurement of a numpy transcription of quip-sharp on the same job (2 bits, 10 tune
# passes, sequential calibration, the 36 MiniLM encoder linears); no numpy QuIP# ships here.
QUIPSHARP_NUMPY_SECONDS = 75.0


def quipsharp_benchmark():
    """QuIP# 2-bit on MiniLM with sequential calibration, wall clock of the whole command."""
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        subprocess.run([os.environ["QZOO_BIN"], "quantize", str(MODEL.parent), str(pathlib.Path(tmp) / "w2.qpack"),
                        "--method", "quipsharp", "--bits", "2", "--exclude", "pooler"],
                       check=True, capture_output=True, text=True)
        seconds = time.perf_counter() - start
    print(f"QuIP# 2-bit, 36 MiniLM linears, sequential calibration, 10 tune passes: {seconds:.1f} s "
          f"(numpy transcription {QUIPSHARP_NUMPY_SECONDS:.0f} s: {QUIPSHARP_NUMPY_SECONDS / seconds:.1f}x)")


BUNDLE_PIPELINE = """name: bench-bundle
stages:
  - {id: load, pass: load}
  - {id: weights, pass: export, needs: [load], with: {format: safetensors}}
  - {id: bundle, pass: bundle, needs: [weights], with: {level: 10}}
"""


def bundle_comparison(repeat=5):
    """Bundle compression, qzoo vs the zstd CLI on the very same bytes: qzoo's `bundle` stage time
    (from `qzoo run --json`, a fresh cache each time so it really runs) against `zstd -10 -T2
    --long=27` on the tar decompressed from that bundle (same level, threads and window)."""
    with tempfile.TemporaryDirectory() as tmp:
        tmp = pathlib.Path(tmp)
        (tmp / "p.yaml").write_text(BUNDLE_PIPELINE)
        ours = []
        for index in range(repeat + 1):
            out = subprocess.run([os.environ["QZOO_BIN"], "run", str(tmp / "p.yaml"), "--model", str(MODEL.parent),
                                  "--out", str(tmp / "out"), "--cache", str(tmp / f"cache{index}"), "--json", "--force", "-j", "2"],
                                 check=True, capture_output=True, text=True).stdout
            stage = next(s for s in json.loads(out)["stages"] if s["id"] == "bundle")
            if index > 0:
                ours.append(stage["seconds"] * 1000)
        bundle = tmp / "out" / "bench-bundle.tar.zst"
        subprocess.run(["zstd", "-q", "-d", "-f", str(bundle), "-o", str(tmp / "same.tar")], check=True)
        cli = tmp / "cli.tar.zst"
        reference = timed(lambda: subprocess.run(["zstd", "-q", "-10", "-T2", "--long=27", "-f", str(tmp / "same.tar"), "-o", str(cli)], check=True), repeat)
        mine = statistics.median(ours)
        size = (tmp / "same.tar").stat().st_size
        print(f"bundle compression of a {size / 2**20:.1f} MiB tar (zstd 10, 2 threads, 128 MiB window):")
        print(f"  qzoo bundle stage {mine:.0f} ms ({size / 2**20 / mine * 1000:.0f} MiB/s, {bundle.stat().st_size - 44} bytes + 44-byte seal)")
        print(f"  zstd CLI          {reference:.0f} ms ({size / 2**20 / reference * 1000:.0f} MiB/s, {cli.stat().st_size} bytes)")
        print(f"  speed ratio (zstd CLI time / qzoo time): {reference / mine:.2f}x")


def main():
    forward_benchmark()
    quipsharp_benchmark()
    bundle_comparison()
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


if __name__ == "__main__":
    main()
