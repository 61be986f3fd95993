"""The data and cache dirs are private whatever the umask; a loose one is tightened at start
and reported by ``doctor`` before that."""

from __future__ import annotations

import asyncio
import os
import socket
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from sam_edge.app.runtime import build_runtime
from sam_edge.db.private import loose_paths, private_dirs, tighten
from sam_edge.ops import doctor
from sam_edge.settings import Settings, load_settings


@pytest.fixture
def loose_umask() -> Iterator[None]:
    before = os.umask(0o002)
    try:
        yield
    finally:
        os.umask(before)


def _settings(tmp_path: Path) -> Settings:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {"SAM_DATA_DIR": str(tmp_path / "data"), "SAM_MUSIC_DIR": str(tmp_path / "music"),
           "SAM_HTTP_PORT": str(port), "SAM_PLAYER_AUDIO_OUTPUT": "null"}
    return load_settings(tmp_path / "absent.toml", env)


def _modes(root: Path) -> dict[str, int]:
    return {str(p.relative_to(root)): stat.S_IMODE(p.stat().st_mode)
            for p in [root, *root.rglob("*")] if not p.is_symlink()}


async def test_database_and_caches_are_private_with_a_loose_umask(
        tmp_path: Path, loose_umask: None) -> None:
    settings = _settings(tmp_path)
    rt = await build_runtime(settings)
    await rt.aclose()

    modes = _modes(settings.data.dir)
    assert stat.S_IMODE(settings.database_path.stat().st_mode) == 0o600
    for name in ("cache/cache.db", "phrases/cache.db"):
        if name in modes:
            assert modes[name] == 0o600, name
    assert loose_paths([settings.data.dir]) == [], modes


def test_a_loose_data_dir_is_reported_by_doctor_and_tightened(tmp_path: Path) -> None:
    settings = _settings(tmp_path)

    async def start_and_stop() -> None:
        rt = await build_runtime(settings)
        await rt.aclose()

    asyncio.run(start_and_stop())
    settings.data.dir.chmod(0o755)
    settings.database_path.chmod(0o644)
    (settings.cache_dir / "cache.db").chmod(0o664)

    report, _code = doctor(settings, config=tmp_path / "absent.toml", cards=tmp_path / "none")
    assert "warn  private files" in report and "chmod -R go-rwx" in report

    changed = tighten(private_dirs(settings))
    assert {settings.data.dir, settings.database_path, settings.cache_dir / "cache.db"} \
        <= set(changed)
    assert loose_paths(private_dirs(settings)) == []
    report, _code = doctor(settings, config=tmp_path / "absent.toml", cards=tmp_path / "none")
    assert "ok    private files" in report
