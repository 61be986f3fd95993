"""Where the published API specs the fakes are checked against live.

They are not part of this repository: ``../shared/specs`` next to the checkout, or the folder
``SAM_SPECS_DIR`` names. Without them the conformance tests skip with the reason in the
summary; under CI (``CI`` set) they fail instead, so a missing spec never passes unnoticed.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

DEFAULT_DIR = Path(__file__).resolve().parents[3] / "shared" / "specs"


def spec_path(name: str) -> Path:
    folder = Path(os.environ.get("SAM_SPECS_DIR") or DEFAULT_DIR)
    path = folder / name
    if not path.exists():
        reason = (f"API spec {name} not found in {folder}: the fake's conformance to the real "
                  "API is NOT checked (put the specs there or set SAM_SPECS_DIR)")
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    return path
