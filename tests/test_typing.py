"""The package type-checks: ``mypy`` with no arguments, from the project root, as configured in
``pyproject.toml`` (strict for the turn pipeline, accounts, cache and actions)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.timeout(600)
def test_mypy_finds_no_errors(tmp_path: Path) -> None:
    mypy = Path(sys.executable).with_name("mypy")
    if not mypy.exists() and shutil.which("mypy") is None:
        pytest.skip("mypy is not installed (it comes with the dev extra: ./install.sh --dev)")
    done = subprocess.run([str(mypy) if mypy.exists() else "mypy",
                           "--cache-dir", str(tmp_path / "cache")],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-5000:] + done.stderr[-2000:]
