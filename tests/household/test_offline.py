"""The household store stopped mid-run (a PostgreSQL of the test's own, ``pg_ctl``): the device
keeps answering from its hot tier, ``/health`` and the LED (mock pins) say "household store
offline", a search made meanwhile is written to the shared tier once the store is back."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from sam_edge.app.runtime import Runtime
from sam_edge.household.offline import OFFLINE, ResilientStore
from sam_edge.web.app import create_app
from sam_edge.web.health import database_health
from tests.audio_files import make_song
from tests.household.devices import device
from tests.household.private_pg import PrivatePostgres, pg_bin


@pytest.fixture
def postgres() -> Iterator[PrivatePostgres]:
    if pg_bin() is None:
        pytest.skip("no PostgreSQL server binaries (pg_ctl) on this machine")
    # Not under pytest's tmp dir: the server's user must be able to reach it.
    root = Path(tempfile.mkdtemp(prefix="sam-pg-"))
    server = PrivatePostgres(root)
    server.init()
    server.start()
    yield server
    with contextlib.suppress(Exception):
        server.stop()
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def songs(tmp_path: Path) -> Path:
    folder = tmp_path / "music"
    make_song(folder, "Adele/25/01 Hello.mp3", title="Hello", artist="Adele", album="25",
              track=1)
    make_song(folder, "Adele/25/02 Send My Love.mp3", title="Send My Love", artist="Adele",
              album="25", track=2)
    return folder


async def test_store_stopped_and_restarted(postgres: PrivatePostgres, redis_url: str,
                                           tmp_path: Path, songs: Path) -> None:
    rt = await device(tmp_path, "kitchen", postgres.url, redis_url, songs)
    store = rt.cache.store
    assert isinstance(store, ResilientStore)
    store.retry_s = 0.2
    try:
        assert (await rt.runner.chat("play hello")).status == "ok"
        assert await store.count() == 1 and await database_health(rt.engine) == "ok"

        await asyncio.to_thread(postgres.stop)
        again = await rt.runner.chat("play hello")
        assert again.status == "ok", again
        assert "Hello" in again.response_text
        other = await rt.runner.chat("play send my love")
        assert other.status == "ok", other
        assert await database_health(rt.engine) == OFFLINE
        assert store.status == OFFLINE and len(store.pending) == 1
        body = await _health(rt)
        assert body["status"] == "degraded" and body["database"] == OFFLINE

        await asyncio.to_thread(postgres.start)
        for _ in range(100):
            if store.online:
                break
            await asyncio.sleep(0.1)
        assert store.online and len(store.pending) == 0
        assert await store.count() == 2  # nothing lost
        assert await database_health(rt.engine) == "ok"
    finally:
        await rt.aclose()


async def test_start_while_the_store_is_offline(postgres: PrivatePostgres, redis_url: str,
                                                tmp_path: Path, songs: Path) -> None:
    first = await device(tmp_path, "kitchen", postgres.url, redis_url, songs)
    await first.aclose()  # joined: the store is migrated
    await asyncio.to_thread(postgres.stop)
    rt = await device(tmp_path, "kitchen", postgres.url, redis_url, songs)
    store = rt.cache.store
    assert isinstance(store, ResilientStore)
    store.retry_s = 0.2
    try:
        assert (await rt.runner.chat("play hello")).status == "ok"
        assert await database_health(rt.engine) == OFFLINE and len(store.pending) == 1
        await asyncio.to_thread(postgres.start)
        for _ in range(100):
            if store.online:
                break
            await asyncio.sleep(0.1)
        assert store.online and await store.count() == 1
    finally:
        await rt.aclose()


async def test_the_led_says_household_store_offline_while_idle(
        postgres: PrivatePostgres, redis_url: str, tmp_path: Path, songs: Path) -> None:
    rt = await device(tmp_path, "kitchen", postgres.url, redis_url, songs)
    store, leds, household = rt.cache.store, rt.gpio.leds, rt.household
    assert isinstance(store, ResilientStore) and household is not None
    store.retry_s = household.probe_s = 0.2
    household.start(on_store=rt.account_leds.household_store)
    try:
        assert leds.kind == "rgb" and leds.state == "idle"
        await asyncio.to_thread(postgres.stop)  # no turn: the probe finds it
        await _until(lambda: leds.state == "household_offline")
        await _until(lambda: leds.values()["blue"] == 1.0 and leds.values()["red"] == 0.0)
        assert (await _health(rt))["database"] == OFFLINE
        await asyncio.to_thread(postgres.start)
        await _until(lambda: leds.state == "idle")
        assert store.online
    finally:
        await rt.aclose()


async def _until(check: Any, timeout_s: float = 20.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout_s
    while not check():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.05)


async def _health(rt: Runtime) -> dict[str, Any]:
    app = create_app(rt.settings, rt)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://sam") as client:
        body: dict[str, Any] = (await client.get("/health")).json()
    return body
