"""Shared helpers and the `model_dir` fixture of the models interop tests (imported by each
test module, so the suite needs no conftest.py).

The qzoo binary is $QZOO_BIN (default: .build/debug/qzoo under the repository root; the
forward-pass tests are much faster with a release build). Tests that need the real
all-MiniLM-L6-v2 read its directory from $QZOO_MODEL_DIR and are skipped, with that reason,
when it is unset.
"""
import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
QZOO = Path(os.environ.get("QZOO_BIN", ROOT / ".build" / "debug" / "qzoo"))
CALIBRATION_TEXT = ROOT / "Sources" / "QZooModels" / "Resources" / "calibration-en.txt"
EVALUATION_TEXT = ROOT / "data" / "evaluation" / "eval-en.txt"


def run_qzoo(*args):
    result = subprocess.run([str(QZOO), *map(str, args)], capture_output=True, text=True)
    assert result.returncode == 0, f"qzoo {' '.join(map(str, args))} failed:\n{result.stderr}"
    return result.stdout


@pytest.fixture(scope="session")
def model_dir():
    path = os.environ.get("QZOO_MODEL_DIR")
    if not path:
        pytest.skip("set QZOO_MODEL_DIR to the all-MiniLM-L6-v2 directory to run the real-model tests")
    return Path(path)


def read_lines(path, limit=None):
    lines = [line for line in Path(path).read_text(encoding="utf-8").split("\n") if line.strip()]
    return lines[:limit] if limit else lines
