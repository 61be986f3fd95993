"""Devices of one household in one test process: each its own data dir and config file, all on
the test run's PostgreSQL database and Redis."""

from __future__ import annotations

import base64
from pathlib import Path

from sam_edge.app.runtime import Runtime, build_runtime
from sam_edge.household.database import KEY_FILE
from sam_edge.household.joining import validated, write_key, write_section
from sam_edge.settings import Settings, load_settings

KEY = base64.urlsafe_b64encode(b"k" * 32).decode()


def device_settings(home: Path, device: str, database_url: str, redis_url: str,
                    music: Path) -> Settings:
    data = home / device / "data"
    data.mkdir(parents=True, exist_ok=True)
    config = home / device / "config.toml"
    write_section(config, validated(database_url, redis_url, "home", device))
    write_key(data / KEY_FILE, KEY)
    return load_settings(config, {"SAM_DATA_DIR": str(data), "SAM_MUSIC_DIR": str(music),
                                  "SAM_PLAYER_AUDIO_OUTPUT": "null"})


async def device(home: Path, name: str, database_url: str, redis_url: str,
                 music: Path) -> Runtime:
    return await build_runtime(device_settings(home, name, database_url, redis_url, music))
