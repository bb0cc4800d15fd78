"""Bundles from `qzoo run` open with plain `tar --zstd -xf`, and their manifests' checksums match
what tar extracted; a hostile archive crafted with Python's tarfile is refused by
`qzoo bundle extract` without leaving anything behind."""
import hashlib
import io
import json
import pathlib
import struct
import subprocess
import tarfile

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]


def sha256(path: pathlib.Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def bundle(tmp_path_factory, qzoo_bin, model_dir):
    work = tmp_path_factory.mktemp("bundle")
    subprocess.run([str(qzoo_bin), "run", str(ROOT / "pipelines" / "w4-rtn-g128-qdq.yaml"), "--model", str(model_dir),
                    "--model-name", "minilm", "--out", str(work / "out"), "--cache", str(work / "cache")],
                   check=True, capture_output=True)
    return work / "out" / "w4-rtn-g128-qdq.tar.zst"


def test_plain_tar_extracts_the_bundle_and_checksums_match(bundle, tmp_path):
    subprocess.run(["tar", "--zstd", "-xf", str(bundle), "-C", str(tmp_path)], check=True)
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["format"] == "qzoo-bundle" and manifest["pipeline"] == "w4-rtn-g128-qdq"
    listed = {m["path"]: m for m in manifest["members"]}
    extracted = {p.name for p in tmp_path.iterdir()} - {"manifest.json"}
    assert extracted == set(listed)
    for name, member in listed.items():
        assert sha256(tmp_path / name) == member["sha256"], name
        assert (tmp_path / name).stat().st_size == member["size"], name
    assert {"model.qpack", "model.qdq.json", "config.json", "vocab.txt", "pipeline.yaml"} <= extracted
    assert (tmp_path / "pipeline.yaml").read_bytes() == (ROOT / "pipelines" / "w4-rtn-g128-qdq.yaml").read_bytes()
    formats = [export["format"] for export in manifest["exports"]]
    assert formats == ["qpack", "qdq-json"]


def test_tar_listing_is_sorted_with_fixed_owner_and_time(bundle):
    out = subprocess.run(["tar", "--zstd", "-tvf", str(bundle), "--numeric-owner"], check=True, capture_output=True, text=True).stdout
    lines = out.strip().splitlines()
    names = [line.split()[-1] for line in lines]
    assert names == sorted(names, key=lambda n: n.encode())
    for line in lines:
        assert line.startswith("-rw-r--r-- 0/0"), line
        assert " 1970-01-01 " in line, line


def test_the_seal_is_a_sha256_of_everything_before_it(bundle):
    data = bundle.read_bytes()
    magic, size = struct.unpack("<II", data[-44:-36])
    assert magic == 0x184D2A5E and size == 36 and data[-36:-32] == b"QZS1"
    assert data[-32:] == hashlib.sha256(data[:-44]).digest()


def sealed(tar_bytes: bytes, tmp_path: pathlib.Path) -> pathlib.Path:
    """Compresses a tar with the zstd CLI and appends qzoo's seal, so only the entries are hostile."""
    raw = tmp_path / "hostile.tar"
    raw.write_bytes(tar_bytes)
    subprocess.run(["zstd", "-q", "-f", str(raw), "-o", str(tmp_path / "hostile.tar.zst")], check=True)
    frame = (tmp_path / "hostile.tar.zst").read_bytes()
    path = tmp_path / "hostile.bundle.tar.zst"
    path.write_bytes(frame + struct.pack("<II", 0x184D2A5E, 36) + b"QZS1" + hashlib.sha256(frame).digest())
    return path


def hostile_tar(kind: str) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        ok = tarfile.TarInfo("fine.txt")
        ok.size = 4
        tar.addfile(ok, io.BytesIO(b"fine"))
        if kind == "traversal":
            info = tarfile.TarInfo("../../escaped.txt")
            info.size = 3
            tar.addfile(info, io.BytesIO(b"bad"))
        elif kind == "symlink":
            info = tarfile.TarInfo("link")
            info.type = tarfile.SYMTYPE
            info.linkname = "/etc/passwd"
            tar.addfile(info)
        elif kind == "device":
            info = tarfile.TarInfo("null")
            info.type = tarfile.CHRTYPE
            info.devmajor, info.devminor = 1, 3
            tar.addfile(info)
        members_end = tar.offset
    data = buffer.getvalue()
    if kind == "huge":
        # A header declaring 1 TiB with no data behind it: refused before any data is read.
        header = tarfile.TarInfo("huge.bin")
        header.size = 1 << 40
        data = data[:members_end] + header.tobuf(format=tarfile.PAX_FORMAT) + b"\0" * 1024
    return data


@pytest.mark.parametrize("kind,message", [
    ("traversal", "climbs out"), ("symlink", "is a link"), ("device", "character device"), ("huge", "member limit"),
])
def test_extract_refuses_hostile_archives_and_leaves_nothing(kind, message, tmp_path, qzoo):
    path = sealed(hostile_tar(kind), tmp_path)
    target = tmp_path / "out"
    result = qzoo("bundle", "extract", path, target, "--max-member-size", 1 << 30, check=False)
    assert result.returncode == 1, result.stderr
    assert message in result.stderr
    assert not target.exists()
    assert not (tmp_path.parent / "escaped.txt").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["hostile.bundle.tar.zst", "hostile.tar", "hostile.tar.zst"]


def test_verify_reports_a_flipped_byte(bundle, tmp_path, qzoo):
    data = bytearray(bundle.read_bytes())
    data[len(data) // 2] ^= 0x40
    damaged = tmp_path / "damaged.tar.zst"
    damaged.write_bytes(bytes(data))
    assert qzoo("bundle", "verify", bundle).returncode == 0
    result = qzoo("bundle", "verify", damaged, check=False)
    assert result.returncode == 1 and "damaged" in result.stderr
