"""``build_core``: the parts every command shares — the migrated database, the cipher and the
token store, the search cache, the player and the music platforms — chosen from the settings.

``sam-edge run`` builds the rest of the assistant on top of it (:mod:`.runtime`); ``pair``,
``sync`` and the operations commands use it as it is.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from ..accounts.secrets import KEY_FILE, Cipher, new_key
from ..accounts.store import DbTokenStore
from ..cache.hot import HotCache
from ..cache.layered import SearchCache
from ..cache.store import SearchCacheStore
from ..clock import Clock, SystemClock
from ..db.engine import make_engine, make_sessionmaker, migrate
from ..platforms.base import MusicPlatform
from ..player.base import Player
from ..settings import Settings

log = logging.getLogger(__name__)


@dataclass
class Core:
    settings: Settings
    clock: Clock
    engine: AsyncEngine
    sessions: async_sessionmaker[Any]
    cipher: Cipher
    tokens: DbTokenStore
    cache: SearchCache
    player: Player
    platforms: dict[str, MusicPlatform]
    simulated: list[str] = field(default_factory=list)
    """The stand-ins chosen so far (the runtime adds its own)."""
    bus: Any = None
    """The household's Redis (:class:`~sam_edge.household.bus.Bus`), in a household."""

    async def aclose(self) -> None:
        for adapter in self.platforms.values():
            try:
                await adapter.aclose()
            except Exception:
                log.exception("closing %s failed", adapter.name)
        await self.player.aclose()
        self.cache.hot.close()
        closer = getattr(self.cache.store, "aclose", None)
        if closer is not None:
            await closer()
        await self.engine.dispose()
        if self.bus is not None:
            await self.bus.aclose()


def build_platforms(settings: Settings, tokens: DbTokenStore, player: Player,
                    clock: Clock) -> dict[str, MusicPlatform]:
    """The local folder always; Spotify and SoundCloud when their client ids are set."""
    from ..platforms.local.adapter import LocalAdapter

    platforms: dict[str, MusicPlatform] = {"local": LocalAdapter(settings.music, player)}
    if settings.spotify.client_id:
        from ..platforms.spotify.adapter import SpotifyAdapter

        platforms["spotify"] = SpotifyAdapter(settings.spotify, tokens, clock=clock)
    if settings.soundcloud.client_id:
        from ..platforms.soundcloud.adapter import SoundCloudAdapter

        platforms["soundcloud"] = SoundCloudAdapter(settings.soundcloud, tokens, player,
                                                    clock=clock)
    return platforms


async def build_core(settings: Settings, *, clock: Clock | None = None,
                     player: Player | None = None,
                     platforms: dict[str, MusicPlatform] | None = None,
                     pcm_out: Callable[[int], None] | None = None) -> Core:
    """Everything shared, ready; parts passed in replace the real ones (tests). ``pcm_out``
    takes mpv's PCM pipe when SAM owns the output path (``app/output.py``)."""
    clock = clock or SystemClock()
    settings.data.dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    bus: Any = None
    tokens: DbTokenStore
    if settings.household.enabled:
        from ..household.bus import connect_bus
        from ..household.database import open_household_store

        engine, cipher = await open_household_store(settings.household.database_url,
                                                    settings.data.dir)
        sessions = make_sessionmaker(engine)
        bus = await connect_bus(settings.household)
        # Another device may pair: no stamp file here can tell this one, Redis does. Refresh
        # tokens are single-use: the household's lock serialises them.
        from ..household.accounts import SharedTokenStore

        tokens = SharedTokenStore(sessions, cipher, bus,
                                  refresh_lock=bus.lock(wait_s=30.0, ttl_s=60.0))
    else:
        await asyncio.to_thread(migrate, settings.database_path)
        engine = make_engine(settings.database_path)
        sessions = make_sessionmaker(engine)
        cipher = Cipher.from_data_dir(settings.data.dir)
        tokens = DbTokenStore.in_data_dir(sessions, cipher, settings.data.dir)
    store = SearchCacheStore(sessions)
    if bus is not None:
        from ..household.offline import ResilientStore

        store = ResilientStore(sessions, settings.data.dir)
    cache = SearchCache(
        HotCache(settings.cache_dir, size_mb=settings.cache.hot_size_mb),
        store,
        hot_ttl_s=settings.cache.hot_ttl_s,
        persistent_ttl_s=settings.cache.persistent_ttl_days * 86400,
        clock=clock,
    )
    simulated: list[str] = []
    if player is None:
        from ..player.mpv import MpvPlayer

        # Built, not started: mpv runs on the first command that plays.
        player = MpvPlayer(settings.player, settings.data.dir / "run", pcm_out=pcm_out)
    if getattr(player, "audio_output", "") == "null":
        simulated.append("audio output (mpv --ao=null)")
    if platforms is None:
        platforms = build_platforms(settings, tokens, player, clock)
    return Core(settings=settings, clock=clock, engine=engine, sessions=sessions,
                cipher=cipher, tokens=tokens, cache=cache, player=player,
                platforms=platforms, simulated=simulated, bus=bus)


@dataclass
class StoredCore:
    """The device's stored state as it is, for the operations commands (``status``,
    ``forget``): they read beside a running service and on a new device, so they never create,
    migrate or key a database."""

    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[Any]
    tokens: DbTokenStore


@asynccontextmanager
async def open_stored(settings: Settings, *,
                      on_connect: Callable[[Any, Any], None] | None = None
                      ) -> AsyncIterator[StoredCore | None]:
    """The stored core, or ``None`` when this device has no database yet. ``on_connect`` runs
    on each new SQLite connection (``forget`` turns on secure deletion)."""
    if settings.household.enabled:
        from ..household.database import open_household_store

        engine, cipher = await open_household_store(settings.household.database_url,
                                                    settings.data.dir)
    else:
        if not settings.database_path.exists():
            yield None
            return
        engine = make_engine(settings.database_path)
        cipher = existing_cipher(settings.data.dir)
    if on_connect is not None:
        event.listen(engine.sync_engine, "connect", on_connect)
    sessions = make_sessionmaker(engine)
    try:
        yield StoredCore(settings, engine, sessions, DbTokenStore(sessions, cipher))
    finally:
        await engine.dispose()


def existing_cipher(data_dir: Path) -> Cipher:
    """The device's key, or a throwaway one (stored tokens then read as unreadable) when there
    is no usable key file: reading never creates one."""
    try:
        return Cipher((data_dir / KEY_FILE).read_bytes().strip())
    except (OSError, ValueError):
        return Cipher(new_key())
