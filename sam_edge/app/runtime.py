"""Composition root: settings → real or simulated parts → a ready :class:`Runtime`.

Each seam decides on its own: no Groq key → the grammar alone; no Spotify client id → no
Spotify; no sound card → mpv with ``--ao=null``. ``Runtime.simulated`` lists what stands in.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from .. import __version__
from ..accounts.secrets import Cipher
from ..accounts.store import DbTokenStore
from ..actions.ducking import Ducker
from ..actions.service import MusicActionService
from ..audio.card_watch import SoundCardWatch
from ..audio.playback import AudioSink
from ..cache.layered import SearchCache
from ..cache.library import LibraryResolver
from ..clock import Clock
from ..db.history import DeviceStateStore, HistoryStore
from ..db.turns import TurnRecords
from ..dialog.llm import IntentLLM
from ..dialog.manager import DialogManager
from ..events import EventBus
from ..gpio import GpioRuntime, build_gpio
from ..listen.loop import ListenLoop
from ..listen.mute import MicrophoneSwitch
from ..listen.wake import WakeEngine
from ..pipeline.deadline import Budget
from ..pipeline.hints import CachedHints
from ..pipeline.reply import Replier
from ..pipeline.runner import TurnRunner
from ..platforms.base import MusicPlatform
from ..player.base import Player
from ..player.watchdog import PlayerWatchdog, Watched
from ..settings import Settings
from ..speech.stt import SpeechToText
from ..sync.service import LibrarySyncService
from .core import Core
from .gpio import AccountLeds, gpio_config
from .library_sources import library_sources
from .listening import build_listener
from .now_playing import NowPlayingWatch
from .output import OwnedOutput, build_core_and_output
from .subscribers import Earcons, log_turn
from .turn_log import TurnLog
from .voice import build_voice_parts, speech_trimmer

if TYPE_CHECKING:
    from ..sync.tasks import LoopJobs

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    core: Core
    llm: IntentLLM | None
    runner: TurnRunner
    bus: EventBus
    listener: ListenLoop
    gpio: GpioRuntime
    account_leds: AccountLeds
    library: LibraryResolver
    sync: LibrarySyncService
    now_playing: NowPlayingWatch
    turns: TurnLog
    """The last turns in memory, for the page."""
    turn_records: TurnRecords
    """Every turn's outcome and timings in the database, for ``sam-edge status``."""
    sound_card: SoundCardWatch
    watchdog: PlayerWatchdog | None = None
    sync_jobs: LoopJobs | None = None
    """The schedule (``sam_edge.sync.tasks``), when there is a library to sync."""
    sync_tasks: Any = None
    output: OwnedOutput | None = None  # when SAM owns the output path (app/output.py)
    household: Any = None
    """This device's :class:`~sam_edge.household.device.HouseholdDevice`, in a household."""
    _stop_sync: Any = field(default=None, repr=False)
    simulated: list[str] = field(default_factory=list)
    version: str = __version__
    _background: set[asyncio.Task[None]] = field(default_factory=set, repr=False)

    @property
    def settings(self) -> Settings:
        return self.core.settings

    @property
    def engine(self) -> AsyncEngine:
        return self.core.engine

    @property
    def sessions(self) -> async_sessionmaker[Any]:
        return self.core.sessions

    @property
    def tokens(self) -> DbTokenStore:
        return self.core.tokens

    @property
    def cipher(self) -> Cipher:
        return self.core.cipher

    @property
    def cache(self) -> SearchCache:
        return self.core.cache

    @property
    def platforms(self) -> dict[str, MusicPlatform]:
        return self.core.platforms

    @property
    def player(self) -> Player:
        return self.core.player

    @property
    def mode(self) -> str:
        return "simulated" if self.simulated else "device"

    def start_background(self) -> None:
        """The microphone loop, the player watchdog and the library sync schedule
        (``sam-edge run`` only)."""
        self.listener.start()
        self.sound_card.start()
        if self.watchdog is not None:
            self.watchdog.start()
        # Expired search results would otherwise stay in SQLite for ever.
        self._background.add(asyncio.get_running_loop().create_task(self._purge_cache()))
        if self.settings.sync.enabled and self.sync.platforms:
            from .schedule import start_schedule  # Huey loads only with a library to sync

            self.sync_jobs, self.sync_tasks, self._stop_sync = start_schedule(
                self.settings, self.sync, shared=self.core.bus is not None)
        if self.household is not None:
            self.household.start(on_store=self.account_leds.household_store)

    async def _purge_cache(self) -> None:
        try:
            removed = await self.cache.store.purge_expired(time.time())
        except Exception:  # a busy or broken disk only delays the clean-up
            log.exception("could not purge the search cache")
            return
        if removed:
            log.info("search cache: %d expired entries removed", removed)

    async def last_sync_at(self, platform: str) -> float | None:
        return await self.sync.last_ok(platform)

    def sync_soon(self, platform: str) -> None:
        """After a pairing: fetch the new account's library now."""
        if self.sync_tasks is not None:
            self.sync_tasks.sync_now(platform)

    def announce_pairing_code(self, code: str) -> None:
        """Say the pairing code out loud once, for browsers on the network (it is also in the
        log and on the page at 127.0.0.1)."""
        self.say_soon(f"Your pairing code is {' '.join(code)}.")

    def say_soon(self, text: str) -> None:
        """Speak ``text`` in the background; a silent device still shows it elsewhere."""

        async def say() -> None:
            try:
                await self.runner.say(text)
            except Exception:
                log.exception("could not say %r", text)

        task = asyncio.get_running_loop().create_task(say())
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def aclose(self) -> None:
        if self.household is not None:
            await self.household.aclose()
        if self._stop_sync is not None:
            self._stop_sync()
        if self.sync_jobs is not None:
            await self.sync_jobs.drain()
        await self.sound_card.aclose()
        self.gpio.close()
        await self.now_playing.aclose()
        if self.watchdog is not None:
            await self.watchdog.aclose()
        await self.listener.aclose()
        for part in (self.runner.stt, self.runner.replier.tts):
            closer = getattr(part, "aclose", None)
            if closer is not None:
                try:
                    await closer()
                except Exception:
                    log.exception("closing %s failed", type(part).__name__)
        await self.runner.dialog.flush()
        await self.turn_records.flush()
        closer = getattr(self.llm, "aclose", None)
        if closer is not None:
            await closer()
        await self.core.aclose()
        if self.output is not None:  # after mpv, which writes into it until it quits
            await asyncio.to_thread(self.output.close)


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
    budget: Budget | None = None,
) -> Runtime:
    """Build every part from ``settings``; parts passed in replace the real ones (tests)."""
    core, output = await build_core_and_output(settings, clock=clock, player=player,
                                               platforms=platforms)
    clock = core.clock
    simulated = core.simulated
    if llm is None and settings.groq.api_key:
        from ..dialog.llm import GroqIntentClient

        llm = GroqIntentClient(settings.groq)
    if llm is None:
        simulated.append("LLM (no SAM_GROQ_API_KEY: grammar only)")

    history, state = HistoryStore(core.sessions), DeviceStateStore(core.sessions)
    if core.bus is not None:  # the household store may go away: the device keeps answering
        from ..household.offline import ResilientDeviceState, ResilientHistory

        history, state = ResilientHistory(core.sessions), ResilientDeviceState(core.sessions)
    dialog = DialogManager(history, llm, settings.dialog, clock=clock,
                           languages=settings.speech.languages)
    library = LibraryResolver.in_data_dir(core.sessions, settings.data.dir)
    sync = LibrarySyncService(core.sessions, library_sources(core.platforms), clock,
                              data_dir=settings.data.dir, listeners=[library.invalidate],
                              shared_lock=core.bus.lock(wait_s=0) if core.bus else None)
    actions = MusicActionService(core.platforms, core.cache, state,
                                 settings.music.default_platform, library=library,
                                 languages=settings.speech.languages)
    household = None
    if core.bus is not None:  # a room named in a command goes to that room
        from ..household.rooms import RoomActions
        from .household import household_device

        actions = RoomActions(core.platforms, core.cache, state,
                              settings.music.default_platform, library=library,
                              languages=settings.speech.languages,
                              ).in_household(core.bus, settings.household.device)
        sync.add_listener(core.bus.library_changed_soon)
        household = household_device(core, library, actions)
    bus = EventBus(clock)
    voice = build_voice_parts(settings, simulated, clock=clock, stt=stt, sink=sink, wake=wake,
                              output=output)

    async def hints() -> list[str]:
        # Recent requests first, then the user's own library (liked first).
        return await core.cache.store.recent_titles() + await library.titles(limit=200)

    microphone = MicrophoneSwitch(bus)
    runner = TurnRunner(
        dialog, actions, bus,
        replier=Replier(voice.tts, voice.sink, voice_volume=settings.audio.voice_volume),
        stt=voice.stt, trim=speech_trimmer(settings.listen.vad_mode),
        hints=CachedHints(hints, clock=clock),
        ducker=Ducker(actions, settings.listen.duck_volume), microphone=microphone,
        min_voiced_ms=settings.listen.min_voiced_ms, budget=budget)
    listener = build_listener(settings, runner, microphone, voice, bus,
                              reference=output.reference if output is not None else None)
    bus.subscribe(Earcons(voice.earcon_sink, volume=settings.audio.voice_volume).on_event)
    bus.subscribe(log_turn)
    watchdog = PlayerWatchdog(core.player, bus) if isinstance(core.player, Watched) else None
    gpio = build_gpio(gpio_config(settings), runner, listener, bus)
    if gpio.simulated:
        simulated.append("GPIO (virtual pins, pressable on the page)")
    account_leds = AccountLeds(gpio.leds, core.platforms)
    sound_card = SoundCardWatch(bus, on_change=lambda present: gpio.leds.set_no_audio(
        not present))
    bus.subscribe(account_leds.on_event)
    now_playing = NowPlayingWatch(actions.now_playing, bus)
    bus.subscribe(now_playing.on_event)
    turns = TurnLog()
    bus.subscribe(turns.on_event)
    records = TurnRecords(core.sessions)
    bus.subscribe(records.on_event)
    return Runtime(core=core, llm=llm, runner=runner, bus=bus, listener=listener, gpio=gpio,
                   account_leds=account_leds, library=library, sync=sync,
                   now_playing=now_playing, turns=turns, turn_records=records,
                   sound_card=sound_card, watchdog=watchdog, simulated=simulated,
                   household=household, output=output)

