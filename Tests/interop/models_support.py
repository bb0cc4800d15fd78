"""Shared helpers of the models interop tests: corpus paths and a plain qzoo runner (the
`model_dir` fixture comes from conftest.py).

The qzoo binary is $QZOO_BIN (default: .build/debug/qzoo under the repository root; the
forward-pass tests are much faster with a release build).
"""
import os
import subprocess
from pathlib import Path


ROOT = Path(__file__).resolve().parents[2]
QZOO = Path(os.environ.get("QZOO_BIN", ROOT / ".build" / "debug" / "qzoo"))
CALIBRATION_TEXT = ROOT / "Sources" / "QZooModels" / "Resources" / "calibration-en.txt"
EVALUATION_TEXT = ROOT / "data" / "evaluation" / "eval-en.txt"


def run_qzoo(*args):
    result = subprocess.run([str(QZOO), *map(str, args)], capture_output=True, text=True)
    assert result.returncode == 0, f"qzoo {' '.join(map(str, args))} failed:\n{result.stderr}"
    return result.stdout


def read_lines(path, limit=None):
    lines = [line for line in Path(path).read_text(encoding="utf-8").split("\n") if line.strip()]
    return lines[:limit] if limit else lines
