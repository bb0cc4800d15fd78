"""Every malformed input gives exit code 1 and a message naming the file: never a signal or a
trap. The library tests check the exact error for each case; this checks the CLI contract."""
import io
import json
import pickle
import struct
import zipfile

import numpy as np
import pytest


def safetensors_bytes(header: dict, data: bytes = b"", length=None, pad=b"") -> bytes:
    text = json.dumps(header, separators=(",", ":")).encode() + pad
    return struct.pack("<Q", len(text) if length is None else length) + text + data


def raw_safetensors(header: bytes, data: bytes = b"") -> bytes:
    return struct.pack("<Q", len(header)) + header + data


def npy_bytes(header: str, data: bytes = b"", version=(1, 0)) -> bytes:
    text = header.encode("latin1")
    return b"\x93NUMPY" + bytes(version) + struct.pack("<H", len(text)) + text + data


def zip_bytes(members: dict, compression=zipfile.ZIP_STORED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


def valid_npy() -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, np.arange(4, dtype=np.float32))
    return buffer.getvalue()


F32 = {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}

CASES = {
    "truncated.safetensors": safetensors_bytes({"a": F32}, b"\0" * 8)[:-3],
    "tiny.safetensors": b"\x01\x02",
    "lying-length.safetensors": safetensors_bytes({"a": F32}, b"\0" * 8, length=10_000),
    "huge-length.safetensors": safetensors_bytes({"a": F32}, b"\0" * 8, length=2**62),
    "overlap.safetensors": safetensors_bytes(
        {"a": F32, "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}}, b"\0" * 12),
    "out-of-range.safetensors": safetensors_bytes({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 80]}}, b"\0" * 8),
    "overflow.safetensors": safetensors_bytes(
        {"a": {"dtype": "F32", "shape": [2**62, 2**62], "data_offsets": [0, 8]}}, b"\0" * 8),
    "duplicate.safetensors": raw_safetensors(
        b'{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}',
        b"\0" * 8),
    "bad-utf8.safetensors": raw_safetensors(b'{"\xff":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}}'),
    "not-object.safetensors": safetensors_bytes([1, 2]),
    "pickle.npy": pickle.dumps({"a": 1}),
    "object.npy": npy_bytes("{'descr': '|O', 'fortran_order': False, 'shape': (1,), }\n", b"\0" * 8),
    "short-data.npy": valid_npy()[:-5],
    "lying-header.npy": valid_npy()[:8] + struct.pack("<H", 60000) + valid_npy()[10:],
    "overflow.npy": npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (4611686018427387904, 8), }\n"),
    "traversal.npz": zip_bytes({"../evil.npy": valid_npy()}),
    "absolute.npz": zip_bytes({"/abs.npy": valid_npy()}),
    "bomb.npz": zip_bytes({"bomb.npy": npy_bytes(
        "{'descr': '|u1', 'fortran_order': False, 'shape': (4000000000,), }\n", b"\0" * 200_000_000)},
        zipfile.ZIP_DEFLATED),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_malformed_input_exits_1_with_a_message(tmp_path, qzoo, name):
    path = tmp_path / name
    path.write_bytes(CASES[name])
    result = qzoo("inspect", path, check=False)
    assert result.returncode == 1, f"{name}: exit {result.returncode}\n{result.stderr}"
    assert str(path) in result.stderr, result.stderr
    assert result.stderr.startswith("qzoo: error:"), result.stderr


def test_convert_refuses_to_overwrite_without_force(tmp_path, qzoo):
    source = tmp_path / "a.npy"
    source.write_bytes(valid_npy())
    target = tmp_path / "out.safetensors"
    target.write_bytes(b"keep me")
    result = qzoo("convert", source, target, check=False)
    assert result.returncode == 1 and "--force" in result.stderr
    assert target.read_bytes() == b"keep me"
    qzoo("convert", source, target, "--force")
    assert target.read_bytes() != b"keep me"


@pytest.mark.parametrize("args", [
    ["convert", "a"], ["convert", "a.npz", "b.unknown"], ["convert", "a.npz", "b.npz", "--dtype", "f7"],
    ["convert", "a.npz", "b.npz", "--include", "("], ["inspect"], ["frobnicate"],
])
def test_usage_errors_exit_2(qzoo, args):
    result = qzoo(*args, check=False)
    assert result.returncode == 2, result.stderr
