"""``MusicActionService``: routes an intent to the active platform and reports what happened.

It says "Playing X by Y" only after the platform accepted the command; every failure becomes a
status and a sentence (``needs_pairing``, ``no_device``, ``not_found``, ``error``).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..cache.layered import SearchCache
from ..db.history import DeviceStateStore
from ..dialog.intents import Action, Intent
from ..errors import NeedsPairing, NoDevice, NotFound, PlatformError
from ..platforms.base import MusicPlatform, PlaybackState, Track
from ..text.titles import Ambiguous
from .both_scripts import search_both_scripts
from .platform_choice import PlatformChooser, label
from .verify import Verifier

if TYPE_CHECKING:
    from ..cache.library import LibraryResolver

log = logging.getLogger(__name__)

VOLUME_STEP = 10
_STATUS = {NeedsPairing: "needs_pairing", NoDevice: "no_device", NotFound: "not_found"}


@dataclass(slots=True)
class ActionResult:
    status: str
    parameters: dict[str, Any]
    response_text: str
    error_code: str = ""
    cache_tier: str = ""
    timings_ms: dict[str, float] = field(default_factory=dict)
    check: Callable[[], Awaitable[None]] | None = field(default=None, repr=False)
    """Verifies the command (the ``verify`` stage); ``None`` when there is nothing to check."""


Handler = Callable[[dict[str, Any], MusicPlatform], Awaitable[ActionResult]]


class MusicActionService:
    def __init__(self, platforms: Mapping[str, MusicPlatform], cache: SearchCache,
                 state: DeviceStateStore, default_platform: str = "auto", *,
                 verifier: Verifier | None = None,
                 library: LibraryResolver | None = None, languages: Sequence[str] = ()) -> None:
        self.platforms = platforms
        self.languages = tuple(languages)
        """``[speech] languages``: a Latin query is also searched in their scripts."""
        self.cache = cache
        self.chooser = PlatformChooser(platforms, state, default_platform)
        self.verifier = verifier or Verifier()
        self.library = library
        volume = self._volume
        self._handlers: dict[Action, Handler] = {
            Action.PLAY: self._play,
            Action.QUEUE: self._queue,
            Action.PAUSE: self._pause,
            Action.RESUME: self._resume,
            Action.NEXT: self._next,
            Action.PREVIOUS: self._previous,
            Action.VOLUME_UP: functools.partial(volume, action=Action.VOLUME_UP),
            Action.VOLUME_DOWN: functools.partial(volume, action=Action.VOLUME_DOWN),
            Action.SET_VOLUME: functools.partial(volume, action=Action.SET_VOLUME),
            Action.SHUFFLE: self._shuffle,
            Action.REPEAT: self._repeat,
            Action.NOW_PLAYING: self._now_playing,
            Action.LIKE: self._like,
        }

    async def now_playing(self) -> PlaybackState | None:
        name = await self.chooser.choose()
        adapter = await self.chooser.require(name)
        return await adapter.now_playing()

    async def execute(self, intent: Intent) -> ActionResult:
        """:meth:`act`, then :meth:`verify`."""
        return await self.verify(await self.act(intent))

    async def verify(self, result: ActionResult) -> ActionResult:
        """Wait until the platform shows what the command did (see :mod:`.verify`)."""
        check, result.check = result.check, None
        if check is None or result.status != "ok":
            return result
        try:
            await check()
        except PlatformError as exc:
            return self._failed(exc, result.parameters)
        return result

    def _failed(self, exc: PlatformError, params: dict[str, Any]) -> ActionResult:
        status = next((s for t, s in _STATUS.items() if isinstance(exc, t)), "error")
        log.info("%s (%s)", exc.message, exc.code)
        return ActionResult(status, params, exc.message, error_code=exc.code)

    async def act(self, intent: Intent) -> ActionResult:
        """Send the command; the result's ``check`` (if any) verifies it."""
        params = dict(intent.parameters)
        if intent.action is Action.CHAT:
            return ActionResult("ok", params, intent.response_text or "")
        try:
            if intent.action is Action.SWITCH_PLATFORM:
                return await self._switch(params)
            name = await self.chooser.choose(params.get("platform"))
            params["platform"] = name
            adapter = await self.chooser.require(name)
            handler = self._handlers.get(intent.action)
            if handler is None:
                raise PlatformError(f"I can't do {intent.action.value} yet.", code="unsupported")
            return await handler(params, self._target(adapter, params))
        except PlatformError as exc:
            if isinstance(exc, Ambiguous):
                params["candidates"] = exc.candidates
            return self._failed(exc, params)

    def _target(self, adapter: MusicPlatform, params: dict[str, Any]) -> MusicPlatform:
        """The adapter a command goes to (in a household, a room's Connect device)."""
        return adapter

    async def _switch(self, params: dict[str, Any]) -> ActionResult:
        name = params.get("platform")
        if not name:
            raise PlatformError("Which platform? Spotify, SoundCloud or your music folder.",
                                code="missing_platform")
        await self.chooser.require(name)
        await self.chooser.remember(name)
        return ActionResult("ok", {"platform": name}, f"Switched to {label(name)}.")

    async def _find(self, adapter: MusicPlatform, params: dict[str, Any]) -> tuple[Track, str]:
        query = params.get("query", "")
        artist = params.get("artist")
        kind = params.get("kind", "track")
        unclear: list[str] = []
        if self.library is not None and kind in ("track", "playlist"):
            # The user's own synced library answers without a network round trip; when it is
            # not sure, the platform decides, and only if that finds nothing is the user asked.
            decision = await self.library.resolve(query, artist=artist,
                                                  platform=adapter.name, kind=kind)
            if decision.best is not None:
                return decision.best, "library"
            if decision.ambiguous:
                unclear = [t.title for t in decision.candidates]

        async def fetch() -> Track | None:
            return await search_both_scripts(adapter, query, artist=artist, kind=kind,
                                             languages=self.languages)

        lookup = await self.cache.lookup(adapter.name, query, artist=artist, kind=kind,
                                         fetch=fetch)
        if lookup.track is None:
            if unclear:
                raise Ambiguous(unclear)
            what = f"{query} by {artist}" if artist else query
            raise NotFound(f"I couldn't find {what} on {label(adapter.name)}.")
        return lookup.track, lookup.tier

    @staticmethod
    def _describe(params: dict[str, Any], track: Track) -> None:
        params["title"] = track.title
        if track.artist:
            params["artist"] = track.artist
        params["uri"] = track.uri
        params.setdefault("kind", track.kind)

    async def _play(self, params: dict[str, Any], adapter: MusicPlatform) -> ActionResult:
        if params.get("kind") == "liked":
            return await self._play_liked(params, adapter)
        if not params.get("query"):
            return await self._resume(params, adapter)
        track, tier = await self._find(adapter, params)
        await adapter.play(track)
        self._describe(params, track)
        what = {"album": "the album ", "playlist": "the playlist "}.get(track.kind, "")
        if track.kind == "artist":
            text = f"Playing {track.title}."
        else:
            text = f"Playing {what}{track.describe()}."
        return ActionResult("ok", params, text, cache_tier=tier,
                            check=lambda: self._checked(self.verifier.playing(adapter, track)))

    async def _play_liked(self, params: dict[str, Any],
                          adapter: MusicPlatform) -> ActionResult:
        first = await adapter.play_liked()
        if first is None:
            raise NotFound(f"You have no liked songs on {label(adapter.name)} yet.")

        async def check() -> None:
            state = await self.verifier.playing(adapter, None)
            params["title"] = state.title or first.title
            params["artist"] = state.artist or first.artist

        if adapter.name == "local":  # a folder has no likes: all of it, shuffled
            return ActionResult("ok", params, "Shuffling your music folder.", check=check)
        return ActionResult("ok", params, "Playing your liked songs.", check=check)

    async def _queue(self, params: dict[str, Any], adapter: MusicPlatform) -> ActionResult:
        if not params.get("query"):
            raise NotFound("What should I add to the queue?")
        track, tier = await self._find(adapter, params)
        await adapter.queue(track)
        self._describe(params, track)
        return ActionResult("ok", params, f"Added {track.describe()} to the queue.",
                            cache_tier=tier)

    async def _pause(self, params: dict[str, Any], adapter: MusicPlatform) -> ActionResult:
        await adapter.pause()
        return ActionResult("ok", params, "Paused.",
                            check=lambda: self.verifier.paused(adapter))

    async def _resume(self, params: dict[str, Any], adapter: MusicPlatform) -> ActionResult:
        await adapter.resume()
        return ActionResult("ok", params, "Resuming.",
                            check=lambda: self._checked(self.verifier.playing(adapter, None)))

    async def _next(self, params: dict[str, Any], adapter: MusicPlatform) -> ActionResult:
        before = await adapter.now_playing()
        await adapter.next()
        return ActionResult("ok", params, "Skipping.",
                            check=lambda: self.verifier.changed(adapter, before))

    async def _previous(self, params: dict[str, Any], adapter: MusicPlatform) -> ActionResult:
        await adapter.previous()
        return ActionResult("ok", params, "Going back.")

    async def _shuffle(self, params: dict[str, Any], adapter: MusicPlatform) -> ActionResult:
        state = params.get("state", True)
        state = state if isinstance(state, bool) else True
        await adapter.shuffle(state)
        params["state"] = state
        return ActionResult("ok", params, "Shuffle is on." if state else "Shuffle is off.")

    async def _repeat(self, params: dict[str, Any], adapter: MusicPlatform) -> ActionResult:
        state = params.get("state", "context")
        state = state if state in ("track", "context", "off") else "context"
        await adapter.repeat(state)
        params["state"] = state
        text = {"track": "Repeating this song.", "context": "Repeat is on.",
                "off": "Repeat is off."}[state]
        return ActionResult("ok", params, text)

    async def _like(self, params: dict[str, Any], adapter: MusicPlatform) -> ActionResult:
        track = None
        if params.get("query"):
            track, _ = await self._find(adapter, params)
        liked = await adapter.like(track)
        if liked is None:
            raise NotFound("Nothing is playing to like.")
        self._describe(params, liked)
        return ActionResult("ok", params, f"Saved {liked.describe()} to your liked songs.")

    @staticmethod
    async def _checked(check: Awaitable[object]) -> None:
        await check

    async def _volume(self, params: dict[str, Any], adapter: MusicPlatform, *,
                      action: Action) -> ActionResult:
        if action is Action.SET_VOLUME:
            if "level" not in params:
                raise PlatformError("To what volume? Say a number from 0 to 100.",
                                    code="missing_level")
            level = int(params["level"])
        else:
            current = await adapter.get_volume()
            current = 50 if current is None else current
            step = VOLUME_STEP if action is Action.VOLUME_UP else -VOLUME_STEP
            level = (current // VOLUME_STEP) * VOLUME_STEP + step
            if action is Action.VOLUME_DOWN and current % VOLUME_STEP:
                level += VOLUME_STEP
        level = max(0, min(100, level))
        await adapter.set_volume(level)
        params["level"] = level
        return ActionResult("ok", params, "Muted." if level == 0 else f"Volume {level}.")

    async def _now_playing(self, params: dict[str, Any],
                           adapter: MusicPlatform) -> ActionResult:
        state = await adapter.now_playing()
        if state is None or not state.title:
            params.update({"title": "", "artist": "", "is_playing": False})
            return ActionResult("ok", params, "Nothing is playing.")
        params.update({"title": state.title, "artist": state.artist,
                       "is_playing": state.is_playing})
        who = f"{state.title} by {state.artist}" if state.artist else state.title
        text = f"This is {who}." if state.is_playing else f"{who} is paused."
        return ActionResult("ok", params, text)
