"""Shared fixtures for the interop suite: the qzoo binary under test and the real model."""
import os
import pathlib
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]


def _qzoo_bin() -> pathlib.Path:
    path = pathlib.Path(os.environ.get("QZOO_BIN", ROOT / ".build" / "debug" / "qzoo"))
    if not path.exists():
        pytest.exit(f"qzoo binary not found at {path}; set QZOO_BIN or run `make test`", returncode=2)
    return path


@pytest.fixture(scope="session")
def qzoo_bin() -> pathlib.Path:
    return _qzoo_bin()


@pytest.fixture(scope="session")
def model_dir() -> pathlib.Path:
    value = os.environ.get("QZOO_MODEL_DIR")
    if not value:
        pytest.skip("QZOO_MODEL_DIR is not set (make test sets it)")
    return pathlib.Path(value)


@pytest.fixture
def qzoo(qzoo_bin):
    """Runs qzoo with arguments; returns the CompletedProcess (never raises on failure)."""

    def run(*args, check=True):
        result = subprocess.run([str(qzoo_bin), *map(str, args)], capture_output=True, text=True)
        if check and result.returncode != 0:
            raise AssertionError(f"qzoo {' '.join(map(str, args))} failed ({result.returncode}):\n{result.stderr}")
        return result

    return run
