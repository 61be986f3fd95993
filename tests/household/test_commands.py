"""``sam-edge household create|join|status|leave`` against the real servers: create prints the
join token alone on stdout and moves this device's accounts, library and cache; a device that
joins sees them (pairing once serves both); a bad token or a dead server changes nothing; leave
keeps a copy."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from sam_edge.accounts.secrets import Cipher
from sam_edge.accounts.store import DbTokenStore
from sam_edge.accounts.tokens import TokenSet
from sam_edge.cache.store import SearchCacheStore
from sam_edge.cli import main
from sam_edge.db.engine import make_engine, make_sessionmaker, migrate
from sam_edge.household.joining import JoinToken
from sam_edge.platforms.base import Track
from sam_edge.settings import load_settings


def use(monkeypatch: pytest.MonkeyPatch, home: Path) -> Path:
    monkeypatch.setenv("SAM_DATA_DIR", str(home / "data"))
    monkeypatch.setenv("SAM_MUSIC_DIR", str(home / "music"))
    monkeypatch.setenv("SAM_CONFIG", str(home / "config.toml"))
    return home / "config.toml"


async def paired_device(data: Path) -> None:
    data.mkdir(parents=True, exist_ok=True)
    migrate(data / "sam-edge.sqlite3")
    engine = make_engine(data / "sam-edge.sqlite3")
    sessions = make_sessionmaker(engine)
    await DbTokenStore(sessions, Cipher.from_data_dir(data)).save(
        "spotify", TokenSet("access-k", "refresh-k", 2e9, "user-read"))
    await SearchCacheStore(sessions).put(
        "h", "hey jude", Track("spotify:track:1", "Hey Jude", "The Beatles", "spotify", "track"),
        now=1e9, ttl_s=1e9)
    await engine.dispose()


async def tokens_seen() -> str | None:
    """The Spotify refresh token this device's store gives (and its cached search is there)."""
    from sam_edge.app.core import build_core

    settings = load_settings()
    core = await build_core(settings, player=_Silent(), platforms={})  # type: ignore[arg-type]
    try:
        found = await core.tokens.load("spotify")
        hit = await SearchCacheStore(core.sessions).get("h", "spotify", 1e9 + 1)
        assert hit is not None and hit.title == "Hey Jude"
        return found.refresh_token if found else None
    finally:
        await core.aclose()


class _Silent:
    audio_output = "null"

    async def aclose(self) -> None:
        pass


def test_create_join_status_leave(fresh_database: str, redis_url: str, tmp_path: Path,
                                  monkeypatch: pytest.MonkeyPatch,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    first, second = tmp_path / "kitchen", tmp_path / "living"
    config = use(monkeypatch, first)
    asyncio.run(paired_device(first / "data"))
    assert main(["household", "create", "--database-url", fresh_database, "--redis-url",
                 redis_url, "--name", "home", "--device", "kitchen"]) == 0
    out, err = capsys.readouterr()
    assert len(out.splitlines()) == 1 and out.startswith("samhh1.")
    token = out.strip()
    assert "restarted" in err and "secret" in err and token not in err
    assert "[household]" in config.read_text()
    assert asyncio.run(tokens_seen()) == "refresh-k"

    config2 = use(monkeypatch, second)
    assert main(["household", "join", "samhh1.garbage", "--name", "living"]) == 1
    out, err = capsys.readouterr()
    assert out == "" and len(err.strip().splitlines()) == 1 and not config2.exists()
    t = JoinToken.decode(token)  # the same household, but its database does not answer
    dead = JoinToken("postgresql://nobody@127.0.0.1:1/x", t.redis_url, t.name, t.key).encode()
    assert main(["household", "join", dead, "--name", "living"]) == 1
    out, err = capsys.readouterr()
    assert len(err.strip().splitlines()) == 1 and not config2.exists()

    assert main(["household", "join", token, "--name", "living"]) == 0
    out, err = capsys.readouterr()
    assert out == "" and "restarted" in err
    # Paired once, on the first device: the second uses the same account.
    assert asyncio.run(tokens_seen()) == "refresh-k"

    assert main(["household", "status"]) == 0
    out, _ = capsys.readouterr()
    assert out.startswith("household home:")

    assert main(["household", "leave"]) == 0
    capsys.readouterr()
    assert "[household]" not in config2.read_text()
    assert asyncio.run(tokens_seen()) == "refresh-k"  # a copy, under this device's own key
