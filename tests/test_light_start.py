"""The daemon stays light: in the simulated mode with a current database, ``sam-edge run``'s
runtime never loads what that configuration does not use (each of these costs megabytes on a
Pi; ``bench/memory.py`` measures the whole)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

HEAVY = ("numpy", "huey", "redis", "cryptography", "indic_transliteration", "jinja2",
         "spotipy", "alembic", "groq", "elevenlabs", "asyncpg", "rich", "pygments", "click")

SCRIPT = """
import asyncio, json, os, sys
from pathlib import Path
from sam_edge.settings import load_settings
data = Path(sys.argv[1])
env = {"SAM_DATA_DIR": str(data), "SAM_MUSIC_DIR": str(data / "music"),
       "SAM_PLAYER_AUDIO_OUTPUT": "null"}
settings = load_settings(data / "absent.toml", env)
from sam_edge.web.app import create_app
from sam_edge.app.runtime import build_runtime

async def main():
    rt = await build_runtime(settings)
    create_app(settings, rt)
    rt.start_background()
    await asyncio.sleep(0.5)
    await rt.aclose()

asyncio.run(main())
print(json.dumps(sorted({m.split(".")[0] for m in sys.modules})))
"""


def test_the_simulated_daemon_loads_nothing_it_does_not_use(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    # A device that ran before: its database is current (migrated in another process).
    migrated = subprocess.run(
        [sys.executable, "-c", "import sys; from sam_edge.db.engine import migrate; "
         "migrate(__import__('pathlib').Path(sys.argv[1]))", str(data / "sam-edge.sqlite3")],
        capture_output=True, text=True, timeout=120)
    assert migrated.returncode == 0, migrated.stderr[-3000:]
    done = subprocess.run([sys.executable, "-c", SCRIPT, str(tmp_path / "data")],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    loaded = set(json.loads(done.stdout.strip().splitlines()[-1]))
    assert not loaded & set(HEAVY), sorted(loaded & set(HEAVY))


def test_routes_are_declared_without_loading_pydantic_v1(tmp_path: Path) -> None:
    script = """
import sys
from pathlib import Path
from sam_edge.settings import load_settings
from sam_edge.web.server import without_pydantic_v1
data = Path(sys.argv[1])
settings = load_settings(data / "absent.toml", {"SAM_DATA_DIR": str(data)})
with without_pydantic_v1():
    from sam_edge.web.app import create_app
    app = create_app(settings)
assert "pydantic.v1" not in sys.modules, "pydantic.v1 was loaded"
assert app.openapi()["paths"]["/v1/chat/message"]
from pydantic import v1  # still importable afterwards, for whoever needs it
print(v1.BaseModel.__name__)
"""
    done = subprocess.run([sys.executable, "-c", script, str(tmp_path)], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip() == "BaseModel"
