"""``MusicActionService``: routes an intent to the active platform and reports what happened.

It says "Playing X by Y" only after the platform accepted the command; every failure becomes a
status and a sentence (``needs_pairing``, ``no_device``, ``not_found``, ``error``).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..cache.layered import SearchCache
from ..db.history import DeviceStateStore
from ..dialog.intents import Action, Intent
from ..errors import NeedsPairing, NoDevice, NotFound, PlatformError
from ..platforms.base import MusicPlatform, PlaybackState, Track
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


class MusicActionService:
    def __init__(self, platforms: Mapping[str, MusicPlatform], cache: SearchCache,
                 state: DeviceStateStore, default_platform: str = "auto", *,
                 verifier: Verifier | None = None,
                 library: LibraryResolver | None = None) -> None:
        self.platforms = platforms
        self.cache = cache
        self.chooser = PlatformChooser(platforms, state, default_platform)
        self.verifier = verifier or Verifier()
        self.library = library

    async def now_playing(self) -> PlaybackState | None:
        name = await self.chooser.choose()
        adapter = await self.chooser.require(name)
        return await adapter.now_playing()

    async def execute(self, intent: Intent) -> ActionResult:
        params = dict(intent.parameters)
        if intent.action is Action.CHAT:
            return ActionResult("ok", params, intent.response_text or "")
        try:
            if intent.action is Action.SWITCH_PLATFORM:
                return await self._switch(params)
            name = await self.chooser.choose(params.get("platform"))
            params["platform"] = name
            adapter = await self.chooser.require(name)
            return await self._run(intent.action, params, adapter)
        except PlatformError as exc:
            status = next((s for t, s in _STATUS.items() if isinstance(exc, t)), "error")
            log.info("%s failed: %s (%s)", intent.action, exc.message, exc.code)
            return ActionResult(status, params, exc.message, error_code=exc.code)

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
        if self.library is not None and kind in ("track", "playlist"):
            # The user's own synced library answers without a network round trip.
            found = await self.library.find(query, artist=artist, platform=adapter.name,
                                            kind=kind)
            if found is not None:
                return found, "library"

        async def fetch() -> Track | None:
            found = await adapter.search(query, artist=artist, kind=kind, limit=5)
            return found[0] if found else None

        lookup = await self.cache.lookup(adapter.name, query, artist=artist, kind=kind,
                                         fetch=fetch)
        if lookup.track is None:
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

    async def _run(self, action: Action, params: dict[str, Any],
                   adapter: MusicPlatform) -> ActionResult:
        if action is Action.PLAY:
            return await self._play(params, adapter)
        if action is Action.QUEUE:
            if not params.get("query"):
                raise NotFound("What should I add to the queue?")
            track, tier = await self._find(adapter, params)
            await adapter.queue(track)
            self._describe(params, track)
            return ActionResult("ok", params, f"Added {track.describe()} to the queue.",
                                cache_tier=tier)
        if action is Action.PAUSE:
            await adapter.pause()
            await self.verifier.paused(adapter)
            return ActionResult("ok", params, "Paused.")
        if action is Action.RESUME:
            await adapter.resume()
            await self.verifier.playing(adapter, None)
            return ActionResult("ok", params, "Resuming.")
        if action is Action.NEXT:
            before = await adapter.now_playing()
            await adapter.next()
            await self.verifier.changed(adapter, before)
            return ActionResult("ok", params, "Skipping.")
        if action is Action.PREVIOUS:
            await adapter.previous()
            return ActionResult("ok", params, "Going back.")
        if action in (Action.VOLUME_UP, Action.VOLUME_DOWN, Action.SET_VOLUME):
            return await self._volume(action, params, adapter)
        if action is Action.SHUFFLE:
            state = params.get("state", True)
            state = state if isinstance(state, bool) else True
            await adapter.shuffle(state)
            params["state"] = state
            return ActionResult("ok", params, "Shuffle is on." if state else "Shuffle is off.")
        if action is Action.REPEAT:
            state = params.get("state", "context")
            state = state if state in ("track", "context", "off") else "context"
            await adapter.repeat(state)
            params["state"] = state
            text = {"track": "Repeating this song.", "context": "Repeat is on.",
                    "off": "Repeat is off."}[state]
            return ActionResult("ok", params, text)
        if action is Action.NOW_PLAYING:
            return await self._now_playing(params, adapter)
        if action is Action.LIKE:
            track = None
            if params.get("query"):
                track, _ = await self._find(adapter, params)
            liked = await adapter.like(track)
            if liked is None:
                raise NotFound("Nothing is playing to like.")
            self._describe(params, liked)
            return ActionResult("ok", params, f"Saved {liked.describe()} to your liked songs.")
        raise PlatformError(f"I can't do {action.value} yet.", code="unsupported")

    async def _play(self, params: dict[str, Any], adapter: MusicPlatform) -> ActionResult:
        if params.get("kind") == "liked":
            first = await adapter.play_liked()
            if first is None:
                raise NotFound(f"You have no liked songs on {label(adapter.name)} yet.")
            state = await self.verifier.playing(adapter, None)
            params["title"] = state.title or first.title
            params["artist"] = state.artist or first.artist
            if adapter.name == "local":  # a folder has no likes: all of it, shuffled
                return ActionResult("ok", params, "Shuffling your music folder.")
            return ActionResult("ok", params, "Playing your liked songs.")
        if not params.get("query"):
            await adapter.resume()
            await self.verifier.playing(adapter, None)
            return ActionResult("ok", params, "Resuming.")
        track, tier = await self._find(adapter, params)
        await adapter.play(track)
        await self.verifier.playing(adapter, track)
        self._describe(params, track)
        what = {"album": "the album ", "playlist": "the playlist "}.get(track.kind, "")
        if track.kind == "artist":
            text = f"Playing {track.title}."
        else:
            text = f"Playing {what}{track.describe()}."
        return ActionResult("ok", params, text, cache_tier=tier)

    async def _volume(self, action: Action, params: dict[str, Any],
                      adapter: MusicPlatform) -> ActionResult:
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
