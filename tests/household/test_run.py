"""Two household devices running side by side on the real servers: heartbeats with what each
plays, tokens saved on one device seen by the other, the token-refresh lock and the library
sync lock shared, a library change dropping the other device's hot cache, "play Hello in the
kitchen" and "pause the kitchen" said in the living room run in the kitchen, an unknown room
answered with the rooms, a music-folder result cached by one device played from the other's
own folder."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from sam_edge.accounts.tokens import TokenSet
from sam_edge.household.bus import LIBRARY
from sam_edge.household.locks import RedisLock
from sam_edge.platforms.base import Track
from tests.audio_files import make_song
from tests.household.devices import device


@pytest.fixture
def songs(tmp_path: Path) -> Path:
    folder = tmp_path / "music"
    make_song(folder, "Adele/25/01 Hello.mp3", title="Hello", artist="Adele", album="25",
              track=1)
    return folder


async def until(check: object, timeout_s: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout_s
    while not await check():  # type: ignore[operator]
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.05)


async def test_two_devices(fresh_database: str, redis_url: str, tmp_path: Path,
                           songs: Path) -> None:
    kitchen = await device(tmp_path, "kitchen", fresh_database, redis_url, songs)
    living = await device(tmp_path, "living", fresh_database, redis_url, songs)
    try:
        for rt in (kitchen, living):
            assert isinstance(rt.tokens._refresh_lock, RedisLock)
            assert rt.household is not None
            rt.household.start()
        await asyncio.wait_for(living.household.subscribed.wait(), 5)
        await asyncio.wait_for(kitchen.household.subscribed.wait(), 5)
        # The rooms a device knows come from the heartbeats: wait for the kitchen's first.
        await kitchen.household.beat_once()
        await until(lambda: _knows(living, "kitchen"))

        # Said in the living room, played in the kitchen (its own folder, its own player).
        result = await living.runner.chat("play hello in the kitchen")
        assert result.status == "ok", result
        await until(lambda: _playing(kitchen))
        assert not (await living.player.state()).is_playing
        await kitchen.household.beat_once()
        seen = await living.core.bus.devices(60.0)
        assert set(seen) == {"kitchen", "living"}
        assert "Hello" in seen["kitchen"]["playing"] and seen["living"]["playing"] == ""

        # Paired on one device, seen at once by the other (which keeps tokens in memory).
        await kitchen.tokens.save("spotify", TokenSet("a1", "r1", 2e9, "s"))
        assert (await living.tokens.load("spotify")).refresh_token == "r1"  # type: ignore[union-attr]
        await kitchen.tokens.save("spotify", TokenSet("a2", "r2", 2e9, "s"))
        await until(lambda: _refresh_token(living, "r2"))

        # A sync on one device: the other drops its hot cache.
        track = Track("local:x", "Song", "Artist", "local", "track")
        living.cache.hot.set("k", track, 600)
        assert await kitchen.core.bus.publish(LIBRARY, {"at": 0}) == 2
        await until(lambda: _empty(living))

        # "pause the kitchen", said in the living room, pauses the kitchen.
        assert (await living.runner.chat("pause the kitchen")).status == "ok"
        await until(lambda: _paused(kitchen))
        unknown = await living.runner.chat("play hello in the garage")
        assert unknown.status == "not_found"
        assert "kitchen and living" in unknown.response_text
    finally:
        await kitchen.aclose()
        await living.aclose()
    assert await _gone(redis_url)


async def _empty(rt: object) -> bool:
    return rt.cache.hot.get("k") is None  # type: ignore[attr-defined, no-any-return]


async def _refresh_token(rt: object, expected: str) -> bool:
    found = await rt.tokens.load("spotify")  # type: ignore[attr-defined]
    return found is not None and found.refresh_token == expected


async def _playing(rt: object) -> bool:
    return not await _paused(rt)


async def _paused(rt: object) -> bool:
    state = await rt.player.state()  # type: ignore[attr-defined]
    return not state.is_playing


async def _gone(redis_url: str) -> bool:
    import redis.asyncio as redis

    client = redis.Redis.from_url(redis_url)
    try:
        return not await client.hgetall("sam:devices")
    finally:
        await client.aclose()


async def _knows(rt: Any, room: str) -> bool:
    return room in await rt.core.bus.devices(60.0)


async def test_a_local_result_cached_by_another_device_plays_this_devices_file(
        fresh_database: str, redis_url: str, tmp_path: Path) -> None:
    folders = {}
    for room in ("kitchen", "living"):
        folders[room] = tmp_path / f"music-{room}"
        make_song(folders[room], "Adele/25/01 Hello.mp3", title="Hello", artist="Adele",
                  album="25", track=1)
    kitchen = await device(tmp_path, "kitchen", fresh_database, redis_url, folders["kitchen"])
    living = await device(tmp_path, "living", fresh_database, redis_url, folders["living"])
    try:
        assert (await kitchen.runner.chat("play hello")).status == "ok"
        assert await living.cache.store.count() == 1  # the kitchen's path, shared
        result = await living.runner.chat("play hello")
        assert result.status == "ok", result
        state = await living.player.state()
        assert Path(state.path).is_relative_to(folders["living"])
    finally:
        await kitchen.aclose()
        await living.aclose()
