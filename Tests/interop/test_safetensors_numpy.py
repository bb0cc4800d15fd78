"""qzoo against the reference tools: files qzoo writes load in numpy / safetensors with identical
values, files they write load in qzoo, and the real model survives every format round trip."""
import json

import ml_dtypes
import numpy as np
import pytest
from safetensors.numpy import load_file, save_file


def random_arrays(seed: int) -> dict:
    rng = np.random.default_rng(seed)
    return {
        "w.f32": rng.standard_normal((7, 5)).astype(np.float32),
        "w.f64": rng.standard_normal((3,)).astype(np.float64),
        "w.f16": rng.standard_normal((4, 4)).astype(np.float16),
        "idx.i64": rng.integers(-(2**40), 2**40, (6,), dtype=np.int64),
        "idx.i32": rng.integers(-(2**30), 2**30, (2, 3), dtype=np.int32),
        "b.i8": rng.integers(-128, 127, (9,), dtype=np.int8),
        "b.u8": rng.integers(0, 255, (1, 1, 3), dtype=np.uint8),
        "b.u16": rng.integers(0, 65535, (5,), dtype=np.uint16),
        "mask": rng.integers(0, 2, (4,)).astype(np.bool_),
        "scalar": np.array(3.5, dtype=np.float32),
        "empty": np.zeros((0, 3), dtype=np.float32),
    }


def assert_same(a: dict, b: dict):
    assert sorted(a) == sorted(b)
    for name in a:
        assert a[name].dtype == b[name].dtype, name
        assert a[name].shape == b[name].shape, name
        assert a[name].tobytes() == b[name].tobytes(), name


@pytest.mark.parametrize("metadata", [None, {"format": "pt"}])
def test_safetensors_written_by_qzoo_is_byte_identical_to_reference(tmp_path, qzoo, metadata):
    arrays = random_arrays(1)
    reference = tmp_path / "ref.safetensors"
    save_file(arrays, str(reference), metadata=metadata)
    ours = tmp_path / "ours.safetensors"
    qzoo("convert", reference, ours)
    assert ours.read_bytes() == reference.read_bytes()


def test_npz_and_npy_dir_written_by_qzoo_load_in_numpy(tmp_path, qzoo):
    arrays = random_arrays(2)
    source = tmp_path / "in.safetensors"
    save_file(arrays, str(source))
    qzoo("convert", source, tmp_path / "out.npz")
    with np.load(tmp_path / "out.npz") as npz:
        assert_same(arrays, {k: npz[k] for k in npz.files})
    qzoo("convert", source, tmp_path / "dir", "--to", "npy-dir")
    assert_same(arrays, {p.stem: np.load(p) for p in (tmp_path / "dir").glob("*.npy")})


def test_files_written_by_numpy_load_in_qzoo(tmp_path, qzoo):
    arrays = random_arrays(3)
    np.savez(tmp_path / "plain.npz", **arrays)
    np.savez_compressed(tmp_path / "deflated.npz", **arrays)
    for name in ("plain.npz", "deflated.npz"):
        out = tmp_path / (name + ".safetensors")
        qzoo("convert", tmp_path / name, out)
        assert_same(arrays, load_file(str(out)))


def test_numpy_fortran_and_big_endian_arrays_are_converted(tmp_path, qzoo):
    base = np.arange(12, dtype=np.float32).reshape(3, 4) * 1.5
    npy_dir = tmp_path / "odd"
    npy_dir.mkdir()
    np.save(npy_dir / "fortran.npy", np.asfortranarray(base))
    np.save(npy_dir / "big.npy", base.astype(">f4"))
    np.save(npy_dir / "big64.npy", base.astype(">i8"))
    out = tmp_path / "odd.safetensors"
    qzoo("convert", npy_dir, out)
    loaded = load_file(str(out))
    np.testing.assert_array_equal(loaded["fortran"], base)
    np.testing.assert_array_equal(loaded["big"], base)
    assert loaded["big64"].dtype == np.int64
    np.testing.assert_array_equal(loaded["big64"], base.astype(np.int64))


def test_bf16_conversion_matches_ml_dtypes(tmp_path, qzoo):
    rng = np.random.default_rng(4)
    values = np.concatenate([rng.standard_normal(5000) * 10.0 ** rng.integers(-40, 38, 5000), [0.0, -0.0, np.inf, -np.inf]])
    values = values.astype(np.float32)
    source = tmp_path / "f32.safetensors"
    save_file({"x": values}, str(source))
    for target, np_type in (("bf16", ml_dtypes.bfloat16), ("f16", np.float16)):
        out = tmp_path / f"{target}.safetensors"
        qzoo("convert", source, out, "--dtype", target)
        header_len = int.from_bytes(out.read_bytes()[:8], "little")
        header = json.loads(out.read_bytes()[8 : 8 + header_len])
        assert header["x"]["dtype"] == target.upper()
        data = out.read_bytes()[8 + header_len :]
        with np.errstate(over="ignore"):
            assert data == values.astype(np_type).tobytes()


def test_sharded_output_loads_in_safetensors(tmp_path, qzoo, model_dir):
    out = tmp_path / "sharded"
    qzoo("convert", model_dir / "model.safetensors", out, "--max-shard-size", "20MB")
    index = json.loads((out / "model.safetensors.index.json").read_text())
    shards = sorted(set(index["weight_map"].values()))
    assert len(shards) >= 4 and shards[0] == f"model-00001-of-{len(shards):05d}.safetensors"
    merged = {}
    for shard in shards:
        merged.update(load_file(str(out / shard)))
    original = load_file(str(model_dir / "model.safetensors"))
    assert_same(original, merged)
    assert index["metadata"]["total_size"] == sum(a.nbytes for a in original.values())


def test_real_model_round_trip_is_bit_identical(tmp_path, qzoo, model_dir):
    source = model_dir / "model.safetensors"
    qzoo("convert", source, tmp_path / "m.npz")
    qzoo("convert", tmp_path / "m.npz", tmp_path / "m-dir", "--to", "npy-dir")
    qzoo("convert", tmp_path / "m-dir", tmp_path / "back.safetensors")
    original = load_file(str(source))
    assert_same(original, load_file(str(tmp_path / "back.safetensors")))
    with np.load(tmp_path / "m.npz") as npz:
        assert_same(original, {k: npz[k] for k in npz.files})


def test_inspect_json_agrees_with_numpy(qzoo, model_dir):
    report = json.loads(qzoo("inspect", model_dir / "model.safetensors", "--json").stdout)
    arrays = load_file(str(model_dir / "model.safetensors"))
    assert report["tensor_count"] == len(arrays)
    for row in report["tensors"]:
        array = arrays[row["name"]].astype(np.float64)
        assert row["shape"] == list(array.shape)
        assert row["min"] == pytest.approx(array.min(), rel=1e-6)
        assert row["max"] == pytest.approx(array.max(), rel=1e-6)
        assert row["mean"] == pytest.approx(array.mean(), rel=1e-4, abs=1e-7)
        assert row["std"] == pytest.approx(array.std(), rel=1e-4, abs=1e-7)
