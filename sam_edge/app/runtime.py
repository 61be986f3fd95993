"""Composition root: settings → real or simulated parts → a ready :class:`Runtime`.

Each seam decides on its own: no Groq key → the grammar alone; no Spotify client id → no
Spotify; no sound card → mpv with ``--ao=null``. ``Runtime.simulated`` lists what stands in.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from .. import __version__
from ..accounts.secrets import Cipher
from ..accounts.store import DbTokenStore
from ..actions.service import MusicActionService
from ..audio.playback import AudioSink
from ..cache.hot import HotCache
from ..cache.layered import SearchCache
from ..cache.library import LibraryResolver
from ..cache.store import SearchCacheStore
from ..clock import Clock, SystemClock
from ..db.engine import make_engine, make_sessionmaker, migrate
from ..db.history import DeviceStateStore, HistoryStore
from ..dialog.llm import IntentLLM
from ..dialog.manager import DialogManager
from ..events import EventBus
from ..gpio import GpioRuntime, build_gpio
from ..listen.loop import ListenLoop
from ..listen.wake import WakeEngine
from ..pipeline.runner import Assistant
from ..pipeline.voice import VoicePipeline
from ..platforms.base import MusicPlatform
from ..player.base import Player
from ..player.watchdog import PlayerWatchdog
from ..settings import Settings
from ..speech.stt import SpeechToText
from ..sync.service import LibrarySyncService
from ..sync.sources import library_sources
from ..sync.tasks import LoopJobs, install_tasks, make_huey, start_consumer_in_process
from .gpio import device_leds, gpio_config
from .voice import build_voice

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[Any]
    tokens: DbTokenStore
    cipher: Cipher
    cache: SearchCache
    platforms: dict[str, MusicPlatform]
    player: Player | None
    llm: IntentLLM | None
    assistant: Assistant
    bus: EventBus
    pipeline: VoicePipeline
    listener: ListenLoop | None = None
    watchdog: PlayerWatchdog | None = None
    gpio: GpioRuntime | None = None
    library: LibraryResolver | None = None
    sync: LibrarySyncService | None = None
    sync_jobs: LoopJobs | None = None
    sync_tasks: Any = None
    _stop_sync: Any = field(default=None, repr=False)
    simulated: list[str] = field(default_factory=list)
    version: str = __version__
    _background: set[asyncio.Task[None]] = field(default_factory=set, repr=False)

    @property
    def mode(self) -> str:
        return "simulated" if self.simulated else "device"

    def start_background(self) -> None:
        """The microphone loop, the player watchdog and the library sync schedule
        (``sam-edge run`` only)."""
        if self.listener is not None:
            self.listener.start()
        if self.watchdog is not None:
            self.watchdog.start()
        # Expired search results would otherwise stay in SQLite for ever.
        self._background.add(asyncio.get_running_loop().create_task(self._purge_cache()))
        if self.settings.sync.enabled and self.sync is not None:
            huey = make_huey(self.settings.data.dir)
            self.sync_jobs = LoopJobs(self.sync, asyncio.get_running_loop(),
                                      interval_s=self.settings.sync.interval_hours * 3600)
            self.sync_tasks = install_tasks(huey, self.sync_jobs,
                                            check_minutes=self.settings.sync.check_minutes)
            self._stop_sync = start_consumer_in_process(huey, jobs=self.sync_jobs)
            self.sync_tasks.check()  # catch up at boot, not at the next quarter hour

    async def _purge_cache(self) -> None:
        try:
            removed = await self.cache.store.purge_expired(time.time())
        except Exception:  # a busy or broken disk only delays the clean-up
            log.exception("could not purge the search cache")
            return
        if removed:
            log.info("search cache: %d expired entries removed", removed)

    async def last_sync_at(self, platform: str) -> float | None:
        return await self.sync.last_ok(platform) if self.sync is not None else None

    def sync_soon(self, platform: str) -> None:
        """After a pairing: fetch the new account's library now."""
        if self.sync_tasks is not None:
            self.sync_tasks.sync_now(platform)

    def announce_pairing_code(self, code: str) -> None:
        """Say the pairing code out loud once, for browsers on the network (it is also in the
        log and on the page at 127.0.0.1)."""
        spaced = " ".join(code)

        async def say() -> None:
            try:
                await self.pipeline.say(f"Your pairing code is {spaced}.")
            except Exception:  # a silent device still shows the code in the log and page
                log.exception("could not speak the pairing code")

        self._background.add(asyncio.get_running_loop().create_task(say()))

    async def aclose(self) -> None:
        if self._stop_sync is not None:
            self._stop_sync()
        if self.sync_jobs is not None:
            await self.sync_jobs.drain()
        if self.gpio is not None:
            self.gpio.close()
        if self.watchdog is not None:
            await self.watchdog.aclose()
        if self.listener is not None:
            await self.listener.aclose()
        for part in (self.pipeline.stt, self.pipeline.tts):
            closer = getattr(part, "aclose", None)
            if closer is not None:
                try:
                    await closer()
                except Exception:
                    log.exception("closing %s failed", type(part).__name__)
        await self.assistant.dialog.flush()
        for adapter in self.platforms.values():
            try:
                await adapter.aclose()
            except Exception:
                log.exception("closing %s failed", adapter.name)
        if self.player is not None:
            await self.player.aclose()
        closer = getattr(self.llm, "aclose", None)
        if closer is not None:
            await closer()
        self.cache.hot.close()
        await self.engine.dispose()


def _prepare_data_dir(settings: Settings) -> None:
    settings.data.dir.mkdir(parents=True, exist_ok=True, mode=0o700)


async def build_runtime(
    settings: Settings,
    *,
    clock: Clock | None = None,
    player: Player | None = None,
    llm: IntentLLM | None = None,
    platforms: dict[str, MusicPlatform] | None = None,
    stt: SpeechToText | None = None,
    sink: AudioSink | None = None,
    wake: WakeEngine | None = None,
) -> Runtime:
    """Build every part from ``settings``; parts passed in replace the real ones (tests)."""
    clock = clock or SystemClock()
    _prepare_data_dir(settings)
    await asyncio.to_thread(migrate, settings.database_path)
    engine = make_engine(settings.database_path)
    sessions = make_sessionmaker(engine)
    cipher = Cipher.from_data_dir(settings.data.dir)
    tokens = DbTokenStore.in_data_dir(sessions, cipher, settings.data.dir)
    cache = SearchCache(
        HotCache(settings.cache_dir, size_mb=settings.cache.hot_size_mb),
        SearchCacheStore(sessions),
        hot_ttl_s=settings.cache.hot_ttl_s,
        persistent_ttl_s=settings.cache.persistent_ttl_days * 86400,
        clock=clock,
    )
    simulated: list[str] = []

    if player is None:
        from ..player.mpv import MpvPlayer

        player = MpvPlayer(settings.player, settings.data.dir / "run")
    if getattr(player, "audio_output", "") == "null":
        simulated.append("audio output (mpv --ao=null)")

    if platforms is None:
        platforms = {}
        from ..platforms.local.adapter import LocalAdapter

        platforms["local"] = LocalAdapter(settings.music, player)
        if settings.spotify.client_id:
            from ..platforms.spotify.adapter import SpotifyAdapter

            platforms["spotify"] = SpotifyAdapter(settings.spotify, tokens, clock=clock)
        if settings.soundcloud.client_id:
            from ..platforms.soundcloud.adapter import SoundCloudAdapter

            platforms["soundcloud"] = SoundCloudAdapter(settings.soundcloud, tokens, player,
                                                        clock=clock)

    if llm is None and settings.groq.api_key:
        from ..dialog.llm import GroqIntentClient

        llm = GroqIntentClient(settings.groq)
    if llm is None:
        simulated.append("LLM (no SAM_GROQ_API_KEY: grammar only)")

    dialog = DialogManager(HistoryStore(sessions), llm, settings.dialog, clock=clock)
    library = LibraryResolver.in_data_dir(sessions, settings.data.dir)
    sync = LibrarySyncService(sessions, library_sources(platforms), clock,
                              data_dir=settings.data.dir, listeners=[library.invalidate])
    actions = MusicActionService(platforms, cache, DeviceStateStore(sessions),
                                 settings.music.default_platform, library=library)
    assistant = Assistant(dialog, actions, clock=clock)
    bus = EventBus(clock)
    watchdog = PlayerWatchdog(player, bus) if hasattr(player, "restart") else None
    pipeline, listener = build_voice(settings, assistant, actions, cache, bus, simulated,
                                     clock=clock, stt=stt, sink=sink, wake=wake,
                                     library=library)
    gpio = build_gpio(gpio_config(settings), actions, listener, bus)
    if gpio.simulated:
        simulated.append("GPIO (virtual pins, pressable on the page)")
    device_leds(gpio, bus, platforms)
    return Runtime(settings=settings, engine=engine, sessions=sessions, tokens=tokens,
                   cipher=cipher, cache=cache, platforms=platforms, player=player, llm=llm,
                   assistant=assistant, bus=bus, pipeline=pipeline, listener=listener,
                   watchdog=watchdog, gpio=gpio, library=library, sync=sync,
                   simulated=simulated)
