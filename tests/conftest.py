"""Shared fixtures: isolated settings (data dir, music dir) for every test."""

from __future__ import annotations

from pathlib import Path

import pytest

from sam_edge.settings import Settings, load_settings

pytest_plugins = ["tests.fakes.fixtures"]
"""The fake cloud servers, shared by every test module."""


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test reads the developer's own config, keys or data."""
    import os

    for name in list(os.environ):
        if name.startswith(("SAM_", "GROQ_", "ELEVENLABS_", "SPOTIPY_")):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("SAM_CONFIG", str(tmp_path / "no-config.toml"))


@pytest.fixture
def music_dir(tmp_path: Path) -> Path:
    path = tmp_path / "music"
    path.mkdir()
    return path


@pytest.fixture
def settings(tmp_path: Path, music_dir: Path) -> Settings:
    return load_settings(
        tmp_path / "no-config.toml",
        {
            "SAM_DATA_DIR": str(tmp_path / "data"),
            "SAM_MUSIC_DIR": str(music_dir),
            "SAM_PLAYER_AUDIO_OUTPUT": "null",
        },
    )
