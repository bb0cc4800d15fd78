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
sys.path.insert(0, str(HERE.parent / "Tests" / "interop"))
import bench_gptq_numpy  # noqa: E402  (the numpy transcription of the reference GPTQ and its timing)


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
    """The built-in BERT forward pass and calibration, against the sgemm rate of this run;
    returns `qzoo bench`'s table."""
    qzoo = os.environ["QZOO_BIN"]
    model = MODEL.parent
    evaluation = HERE.parent / "data" / "evaluation" / "eval-en.txt"
    out = subprocess.run([qzoo, "bench", str(model), "--data", str(evaluation), "--sentences", "512"],
                         check=True, capture_output=True, text=True).stdout
    print(out)
    return out


def timed_command(args, **kwargs):
    """(wall seconds, CPU seconds user + system) of one subprocess run to completion."""
    import resource
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(args, check=True, capture_output=True, text=True, **kwargs)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def interleaved_medians(jobs):
    """`jobs` is a list of (args, repeat, kwargs); runs them in rounds (round i runs, in list
    order, every job with more than i repeats) and returns each job's median wall and median CPU
    seconds. Interleaved rather than job after job, so that a slow spell of a shared machine
    (they last tens of seconds) falls on both sides of a comparison instead of on one."""
    runs = [[] for _ in jobs]
    for round_index in range(max(repeat for _, repeat, _ in jobs)):
        for index, (args, repeat, kwargs) in enumerate(jobs):
            if round_index < repeat:
                runs[index].append(timed_command(args, **kwargs))
    return [(statistics.median(wall for wall, _ in job), statistics.median(cpu for _, cpu in job)) for job in runs]


def quipsharp_benchmark(bench_table="", repeat=3, reference_repeat=2):
    """QuIP# 2-bit (E8P, 10 tune passes), MiniLM's 36 encoder linears, sequential calibration on
    the built-in corpus: the whole `qzoo quantize` command against the whole numpy transcription
    of quip-sharp (Tests/interop/quipsharp_reference.py, same sentences, same site-by-site
    calibration order) in the same run, wall clock and CPU time (the machine may be shared),
    and each model's mean cosine on the two held-out sets. qzoo runs twice: as the reference
    does (--no-asymmetric-calibration: each weight fitted to the quantized model's own output; qzoo's bias
    correction costs nothing measurable) and as by default (asymmetric calibration: the float
    model runs beside the quantized one, about twice the work). Medians of `repeat` qzoo runs and
    `reference_repeat` numpy runs, as in the GPTQ comparison: a single run of either varies by
    10 % or more on a shared 2-core machine, and qzoo's run is short enough to repeat. The runs
    are interleaved (`interleaved_medians`), so both sides see the machine's slow spells."""
    qzoo = os.environ["QZOO_BIN"]
    interop = HERE.parent / "Tests" / "interop"
    evaluations = [HERE.parent / "data" / "evaluation" / name for name in ("eval-en.txt", "eval-general-en.txt")]
    command = [qzoo, "quantize", str(MODEL.parent), "--method", "quipsharp", "--bits", "2", "--exclude", "pooler"]
    with tempfile.TemporaryDirectory() as tmp:
        tmp = pathlib.Path(tmp)
        (same, same_cpu), (ours, ours_cpu), (reference, reference_cpu) = interleaved_medians([
            (command[:3] + [str(tmp / "same.qpack")] + command[3:] + ["--no-asymmetric-calibration", "--force"], repeat, {}),
            (command[:3] + [str(tmp / "w2.qpack")] + command[3:] + ["--force"], repeat, {}),
            ([sys.executable, str(interop / "quipsharp_reference.py"), str(MODEL.parent), str(tmp / "numpy-w2.safetensors"), "--bits", "2"],
             reference_repeat, {"cwd": interop})])
        cosines = [" / ".join(f'{json.loads(subprocess.run([qzoo, "eval", "--reference", str(MODEL.parent), "--candidate", str(candidate), "--data", str(evaluation), "--json"], check=True, capture_output=True, text=True).stdout)["mean_cosine"]:.4f}'
                              for evaluation in evaluations)
                   for candidate in (tmp / "same.qpack", tmp / "w2.qpack", tmp / "numpy-w2.safetensors")]
    rate = next((line.split()[-1] for line in bench_table.splitlines() if line.startswith("e8p_encoder")), "n/a")
    print(f"QuIP# 2-bit, 36 MiniLM linears, sequential calibration (1024 sentences), 10 tune passes, "
          f"medians of {repeat} qzoo and {reference_repeat} numpy runs, interleaved (load average {os.getloadavg()[0]:.1f}; held-out mean cosine, Python docs / WordNet; E8P encoder {rate} vectors/s):")
    print(f"  qzoo quantize --no-asymmetric-calibration (the reference's objective) {same:.2f} s wall, {same_cpu:.1f} s CPU, cosine {cosines[0]}")
    print(f"  qzoo quantize (default, asymmetric) {ours:.2f} s wall, {ours_cpu:.1f} s CPU, cosine {cosines[1]}")
    print(f"  numpy transcription of quip-sharp {reference:.1f} s wall, {reference_cpu:.1f} s CPU, cosine {cosines[2]}")
    print(f"  speed ratio (numpy time / qzoo time): same objective {reference / same:.1f}x wall, {reference_cpu / same_cpu:.1f}x CPU; "
          f"default {reference / ours:.1f}x wall, {reference_cpu / ours_cpu:.1f}x CPU")


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


def gptq_comparison(repeat=3, reference_repeat=2):
    """GPTQ w4 g128, qzoo against the numpy transcription of the reference (Tests/interop/
    gptq_reference.py) on the same files in the same run: MiniLM's 36 encoder linears with the
    Hessians `qzoo calibrate` measures on the built-in corpus, and one synthetic 4096×4096 layer
    with a seeded random SPD Hessian. qzoo's time is `qzoo bench gptq` (the rounding only, inputs
    already in memory, best of `repeat`); numpy's is fasterquant over the same weights (best of
    `reference_repeat`). GFLOP/s counts n³/3 + rows·n·(n−1) per [rows × n] weight."""
    qzoo = os.environ["QZOO_BIN"]
    with tempfile.TemporaryDirectory() as tmp:
        tmp = pathlib.Path(tmp)
        subprocess.run([qzoo, "calibrate", str(MODEL.parent), "-o", str(tmp / "calib.safetensors")],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        workloads = [("MiniLM, 36 encoder linears", MODEL, tmp / "calib.safetensors"),
                     ("one 4096×4096 layer", *bench_gptq_numpy.write_synthetic(tmp, 4096))]
        print(f"GPTQ w4 g128, qzoo vs the numpy transcription of the reference (load average {os.getloadavg()[0]:.1f}):")
        for label, checkpoint, calibration in workloads:
            out = subprocess.run([qzoo, "bench", "gptq", str(checkpoint), "--calibration", str(calibration),
                                  "--repeat", str(repeat), "--json"], check=True, capture_output=True, text=True).stdout
            ours = json.loads(out)
            problems = bench_gptq_numpy.load_problems(checkpoint, calibration)
            reference = bench_gptq_numpy.best_seconds(problems, reference_repeat)
            mine = ours["best_seconds"]
            print(f"  {label}: qzoo {mine:.3f} s ({ours['gflops']:.1f} GFLOP/s of {ours['gflop']:.2f} GFLOP, "
                  f"{ours['fraction_of_sgemm']:.2f} of this run's sgemm {ours['sgemm_gflops']:.1f} GFLOP/s), "
                  f"numpy {reference:.3f} s, speed ratio (numpy time / qzoo time) {reference / mine:.1f}x")


def awq_comparison(sentences=256, runs=2):
    """AWQ's searches (scale + clip, MiniLM w4 g128): qzoo's time from its own report, against the
    numpy transcription of llm-awq's search (Tests/interop/awq_reference.py) on the same
    calibration sentences' cached layer inputs (recorded by `qzoo embed --record-inputs`; the
    recording is not timed)."""
    import re
    sys.path.insert(0, str(HERE.parent / "Tests" / "interop"))
    import awq_reference
    qzoo = os.environ["QZOO_BIN"]
    corpus = HERE.parent / "Sources" / "QZooModels" / "Resources" / "calibration-en.txt"
    with tempfile.TemporaryDirectory() as tmp:
        tmp = pathlib.Path(tmp)
        text = tmp / "calib.txt"
        text.write_text("\n".join([l for l in corpus.read_text().split("\n") if l.strip()][:sentences]) + "\n")
        timings = []
        for _ in range(runs):
            log = subprocess.run([qzoo, "quantize", str(MODEL.parent), str(tmp / "w4.qpack"), "--method", "awq", "--bits", "4",
                                  "--group-size", "128", "--exclude", "pooler", "--data", str(text), "--force"],
                                 check=True, capture_output=True, text=True).stderr
            scale = float(re.search(r"scale search ([0-9.]+) s", log).group(1))
            clip = float(re.search(r"clip search ([0-9.]+) s", log).group(1))
            rtn = float(re.search(r"rtn: ([0-9.]+) s", log).group(1))
            timings.append((scale + clip, scale, clip, rtn))
        total, scale, clip, rtn = min(timings)
        weights = load_file(str(MODEL))
        reference = 0.0
        for layer in range(6):
            subprocess.run([qzoo, "embed", str(MODEL.parent), "--data", str(text), "-o", str(tmp / "e.npy"), "--force",
                            "--record-inputs", str(tmp / "in.safetensors"), "--record-layers", f"encoder[.]layer[.]{layer}[.]"],
                           check=True, capture_output=True)
            inputs = load_file(str(tmp / "in.safetensors"))
            start = time.perf_counter()
            awq_reference.awq_layer(weights, inputs, layer)
            reference += time.perf_counter() - start
        print(f"AWQ search, MiniLM w4 g128, {sentences} calibration sentences:")
        print(f"  qzoo  scale search {scale:.3f} s + clip search {clip:.3f} s = {total:.3f} s (then RTN {rtn:.3f} s)")
        print(f"  numpy transcription of llm-awq's search + clip: {reference:.3f} s")
        print(f"  speed ratio (numpy time / qzoo time): {reference / total:.1f}x")


def main():
    bench_table = forward_benchmark()
    gptq_comparison()
    awq_comparison()
    quipsharp_benchmark(bench_table)
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
