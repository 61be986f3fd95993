"""``status``, ``doctor``, ``forget`` and ``reset`` on a device's data dir (scenarios)."""

from __future__ import annotations

import asyncio
import os
import socket
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI

from sam_edge.accounts.secrets import Cipher
from sam_edge.accounts.store import DbTokenStore
from sam_edge.accounts.tokens import TokenSet
from sam_edge.cache.hot import HotCache
from sam_edge.db.engine import make_engine, make_sessionmaker, migrate
from sam_edge.db.history import HistoryStore, StoredTurn
from sam_edge.ops import OpsError, ServiceRunning, doctor, forget, reset, status_report
from sam_edge.platforms.base import Track
from sam_edge.settings import Settings, load_settings
from tests.fakes.server import serve

ACCESS = "ACCESS-TOKEN-must-not-show"
REFRESH = "REFRESH-TOKEN-must-not-show"
GROQ_KEY = "gsk_KEY-must-not-show"


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def make_settings(tmp_path: Path, **env: str) -> Settings:
    base = {"SAM_DATA_DIR": str(tmp_path / "data"), "SAM_MUSIC_DIR": str(tmp_path / "music"),
            "SAM_HTTP_PORT": str(closed_port())}
    return load_settings(tmp_path / "config.toml", {**base, **env})


async def _seed(settings: Settings, *, pair: bool, turns: int) -> None:
    settings.data.dir.mkdir(parents=True, exist_ok=True)
    migrate(settings.database_path)
    engine = make_engine(settings.database_path)
    try:
        sessions = make_sessionmaker(engine)
        if pair:
            store = DbTokenStore.in_data_dir(sessions, Cipher.from_data_dir(settings.data.dir),
                                             settings.data.dir)
            await store.save("spotify", TokenSet(ACCESS, REFRESH, time.time() + 3600,
                                                 account_id="alice1", display_name="Alice"))
        history = HistoryStore(sessions)
        for i in range(turns):
            await history.add(StoredTurn("default", time.time() - 60 + i, f"play song {i}",
                                         "PLAY", {"query": f"song {i}"}, f"Playing song {i}."),
                              keep_newer_than=0)
    finally:
        await engine.dispose()


def seed(settings: Settings, *, pair: bool = False, turns: int = 0) -> None:
    asyncio.run(_seed(settings, pair=pair, turns=turns))


def turn_count(settings: Settings) -> int:
    with sqlite3.connect(settings.database_path) as conn:
        return int(conn.execute("SELECT count(*) FROM dialog_turns").fetchone()[0])


def fake_service() -> FastAPI:
    app = FastAPI()

    @app.get("/health")
    async def health() -> dict[str, object]:
        return {"status": "ok", "version": "9.9", "mode": "device", "simulated": []}

    @app.get("/v1/state")
    async def state() -> dict[str, object]:
        return {"state": "idle", "last": {"status": "ok", "at": time.time(),
                                          "timings_ms": {"stt": 312.4, "total": 845.0}}}

    return app


@pytest.fixture
def service() -> Iterator[str]:
    with serve(fake_service()) as url:
        yield url.rsplit(":", 1)[1]


# ---------------------------------------------------------------- status


def test_status_of_a_new_device_creates_nothing(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)

    report = status_report(settings)

    assert "spotify: not paired" in report and "soundcloud: not paired" in report
    assert "Last sync:\n  never" in report
    assert "not running" in report and "sudo systemctl start sam-edge" in report
    assert "hot cache: empty" in report and "search_cache: 0 rows" in report
    assert not settings.data.dir.exists()


def test_status_names_the_paired_account_and_never_its_tokens(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    seed(settings, pair=True, turns=2)
    hot = HotCache(settings.cache_dir)
    hot.set("q", Track(uri="local:a", title="A", artist="B", platform="local"), 60)
    hot.close()

    report = status_report(settings)

    assert "spotify: paired as Alice" in report
    assert ACCESS not in report and REFRESH not in report
    assert "hot cache: " in report and "in 1 entries" in report
    assert "'play song 1'" in report and "PLAY" in report


def test_status_reports_an_account_whose_key_was_lost(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    seed(settings, pair=True)
    (settings.data.dir / "secret.key").unlink()

    report = status_report(settings)

    assert "cannot be read" in report and "sam-edge pair spotify" in report
    assert not (settings.data.dir / "secret.key").exists()


def test_status_reports_a_refused_refresh(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    seed(settings, pair=True)

    async def refuse() -> None:
        engine = make_engine(settings.database_path)
        store = DbTokenStore(make_sessionmaker(engine), Cipher.from_data_dir(settings.data.dir))
        await store.refused("spotify", "invalid_grant: Refresh token revoked")
        await engine.dispose()

    asyncio.run(refuse())
    report = status_report(settings)

    assert "spotify: paired as Alice, connected: false" in report
    assert "invalid_grant: Refresh token revoked" in report and "sam-edge pair spotify" in report


def test_status_shows_the_last_sync_when_the_library_is_synced(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    seed(settings)
    with sqlite3.connect(settings.database_path) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS sync_runs (id INTEGER PRIMARY KEY, "
                     "platform TEXT, started_at REAL, finished_at REAL, status TEXT, "
                     "added INTEGER, updated INTEGER, removed INTEGER, error TEXT)")
        columns = {row[1] for row in conn.execute("PRAGMA table_info(sync_runs)")}
        row = {"platform": "spotify", "started_at": time.time() - 7300,
               "finished_at": time.time() - 7200, "status": "ok", "added": 12, "updated": 3,
               "removed": 1, "error": ""}
        if "cursor" in columns:
            row["cursor"] = "{}"
        conn.execute(f"INSERT INTO sync_runs ({', '.join(row)}) "
                     f"VALUES ({', '.join('?' * len(row))})", list(row.values()))

    report = status_report(settings)

    assert "spotify: ok" in report and "(2 h ago)" in report and "+12 ~3 -1" in report


def test_status_asks_the_running_service(tmp_path: Path, service: str) -> None:
    settings = make_settings(tmp_path, SAM_HTTP_PORT=service)

    report = status_report(settings)

    assert f"running at http://127.0.0.1:{service}, version 9.9, device mode" in report
    assert "state: idle" in report
    assert "stt 312 ms, total 845 ms" in report


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to own a data dir by another user")
def test_root_is_sent_to_the_service_user(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    settings.data.dir.mkdir()
    os.chown(settings.data.dir, 65534, 65534)

    with pytest.raises(OpsError, match="sudo sam-edge"):
        status_report(settings)


# ---------------------------------------------------------------- doctor


def test_doctor_without_sound_card_or_network_says_what_to_fix(tmp_path: Path) -> None:
    cards = tmp_path / "cards"
    cards.write_text("--- no soundcards ---\n")
    closed = f"http://127.0.0.1:{closed_port()}"
    settings = make_settings(tmp_path, SAM_GROQ_API_KEY=GROQ_KEY, SAM_GROQ_BASE_URL=closed,
                             SAM_ELEVENLABS_BASE_URL=closed + "/el",
                             SAM_SPOTIFY_API_URL=closed + "/sp",
                             SAM_SPOTIFY_ACCOUNTS_URL=closed + "/acc",
                             SAM_SOUNDCLOUD_API_URL=closed + "/sc",
                             SAM_SOUNDCLOUD_AUTH_URL=closed + "/auth")

    started = time.monotonic()
    report, code = doctor(settings, tone=True, config=tmp_path / "config.toml", cards=cards)

    assert code == 1
    assert "FAIL  sound card" in report and "fix: connect a USB microphone" in report
    assert "skipped: needs a sound card" in report
    assert "SAM_GROQ_API_KEY" in report and GROQ_KEY not in report
    assert "FAIL  reach Groq" in report and "unreachable" in report
    assert "reach Spotify API" in report and "not in use" in report
    assert "nothing answers" in report
    assert time.monotonic() - started < 10


def test_doctor_flags_a_readable_key_file(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    seed(settings, pair=True)
    key = settings.data.dir / "secret.key"
    key.chmod(0o644)

    report, code = doctor(settings, config=tmp_path / "config.toml", cards=tmp_path / "none")

    assert code == 1
    assert f"chmod 600 {key}" in report


def test_doctor_counts_a_running_service_as_fine(tmp_path: Path, service: str) -> None:
    settings = make_settings(tmp_path, SAM_HTTP_PORT=service)

    report, _ = doctor(settings, config=tmp_path / "config.toml", cards=tmp_path / "none")

    assert "ok    service" in report and "device mode" in report


# ---------------------------------------------------------------- forget


def test_forget_erases_the_history_beside_a_running_service(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    seed(settings, turns=3)
    (settings.data.dir / "last_turn.json").write_text("{}")
    holder = sqlite3.connect(settings.database_path, timeout=5)
    holder.execute("SELECT count(*) FROM dialog_turns").fetchone()  # the service's connection

    try:
        summary = forget(settings)
    finally:
        holder.close()

    assert summary.startswith("Forgot 3 dialog turns and removed last_turn.json")
    assert turn_count(settings) == 0
    assert "Recent turns:\n  none" in status_report(settings)


def test_forget_on_a_new_device(tmp_path: Path) -> None:
    assert forget(make_settings(tmp_path)) == "Forgot 0 dialog turns."


# ---------------------------------------------------------------- reset


def test_reset_returns_to_factory_state_and_keeps_the_config(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    seed(settings, pair=True, turns=1)
    data = settings.data.dir
    HotCache(settings.cache_dir).close()
    (data / "phrases").mkdir()
    (data / "pairing").mkdir()
    (data / "pairing" / "spotify.json").write_text("{}")
    (data / "sam-edge.sqlite3.before-0001").write_text("old")
    (data / "notes.txt").write_text("mine")
    config = data / "config.toml"
    config.write_text("[http]\nport = 8080\n")

    summary = reset(settings, config=config)

    assert sorted(p.name for p in data.iterdir()) == ["config.toml", "notes.txt"]
    assert "the database" in summary and "the token key" in summary
    assert "the hot cache" in summary and "pending pairings" in summary
    assert f"Kept the config file {config}" in summary
    assert "Left in place (not SAM Edge's own): notes.txt" in summary
    assert "spotify: not paired" in status_report(settings)


def test_reset_refuses_while_the_service_answers(tmp_path: Path, service: str) -> None:
    settings = make_settings(tmp_path, SAM_HTTP_PORT=service)
    seed(settings, pair=True)

    with pytest.raises(ServiceRunning, match="sudo systemctl stop sam-edge"):
        reset(settings, config=tmp_path / "config.toml")

    assert settings.database_path.exists() and (settings.data.dir / "secret.key").exists()


def test_doctor_tone_goes_through_aplay(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cards = tmp_path / "cards"
    cards.write_text(" 0 [Device ]: USB-Audio - USB PnP Sound Device\n")
    played = tmp_path / "played.raw"
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    aplay = bin_dir / "aplay"
    aplay.write_text(f"#!/bin/sh\ncat > {played}\n")
    aplay.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")
    settings = make_settings(tmp_path)

    report, _ = doctor(settings, tone=True, config=tmp_path / "config.toml", cards=cards)

    assert "ok    sound card" in report and "USB-Audio" in report
    assert "microphone" in report
    assert "ok    test tone" in report and "did you hear" in report
    assert played.stat().st_size > 16000 * 2 * 0.2  # two short tones, 16 kHz 16-bit


async def test_status_shows_every_kind_of_turn_with_its_timings_when_stopped(
        tmp_path: Path) -> None:
    from sam_edge.app.runtime import build_runtime
    from tests.fakes.recording import RecordingPlayer

    settings = make_settings(tmp_path)
    rt = await build_runtime(settings, player=RecordingPlayer())
    try:
        await rt.runner.chat("pause")
        await rt.gpio.controller.next()  # a button turn (nothing is playing: it fails)
    finally:
        await rt.aclose()

    report = await asyncio.to_thread(status_report, settings)  # the service is stopped

    turns = report.split("Recent turns:")[1].split("Recent requests:")[0]
    assert "chat" in turns and "button" in turns
    assert "PAUSE" in turns and "NEXT" in turns
    assert "understand" in turns and "total" in turns and " ms" in turns
    assert "pause" not in turns.replace("PAUSE", "")  # no words, only outcomes
