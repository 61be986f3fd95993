"""A missing API spec skips the conformance tests with its reason, or fails them under CI."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fakes.specs import spec_path


def test_a_missing_spec_skips_with_the_reason(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SAM_SPECS_DIR", str(tmp_path))
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="NOT checked"):
        spec_path("x.yaml")


def test_a_missing_spec_fails_under_ci(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SAM_SPECS_DIR", str(tmp_path))
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match=r"x\.yaml"):
        spec_path("x.yaml")


def test_a_present_spec_is_found(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "x.yaml").write_text("openapi: 3.0.0\n")
    monkeypatch.setenv("SAM_SPECS_DIR", str(tmp_path))
    assert spec_path("x.yaml") == tmp_path / "x.yaml"
