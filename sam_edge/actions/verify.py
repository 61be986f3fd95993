"""Checking that a command really happened (a contract).

PLAY is ``ok`` only when, within 2 s (polling about every 250 ms), the platform's own state
shows it playing what was asked for; PAUSE when it is not playing; NEXT when the item changed.
Otherwise the turn fails with ``not_verified`` and a sentence saying what the platform shows.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from ..errors import VerifyError
from ..platforms.base import MusicPlatform, PlaybackState, Track
from .platform_choice import label

VERIFY_WINDOW_S = 2.0
POLL_S = 0.25

Check = Callable[[PlaybackState | None], bool]


NotVerified = VerifyError


@dataclass(frozen=True, slots=True)
class Verifier:
    window_s: float = VERIFY_WINDOW_S
    poll_s: float = POLL_S
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    now: Callable[[], float] = time.monotonic
    """The clock seam: both are replaceable together in tests."""

    async def until(self, adapter: MusicPlatform, check: Check) -> PlaybackState | None:
        """Poll ``now_playing`` until ``check`` holds; the last state either way."""
        deadline = self.now() + self.window_s
        while True:
            state = await adapter.now_playing()
            if check(state):
                return state
            if self.now() >= deadline:
                raise _NotYet(state)
            await self.sleep(self.poll_s)

    async def playing(self, adapter: MusicPlatform, item: Track | None) -> PlaybackState:
        try:
            state = await self.until(adapter, lambda s: _plays(s, item))
        except _NotYet as miss:
            raise NotVerified(_what_happened(adapter, miss.state, "play")) from None
        assert state is not None
        return state

    async def paused(self, adapter: MusicPlatform) -> None:
        try:
            await self.until(adapter, lambda s: s is None or not s.is_playing)
        except _NotYet as miss:
            raise NotVerified(_what_happened(adapter, miss.state, "pause")) from None

    async def changed(self, adapter: MusicPlatform, before: PlaybackState | None) -> None:
        old = before.uri if before else ""

        def moved(state: PlaybackState | None) -> bool:
            return state is not None and state.is_playing and bool(state.uri) \
                and state.uri != old

        try:
            await self.until(adapter, moved)
        except _NotYet as miss:
            raise NotVerified(_what_happened(adapter, miss.state, "skip")) from None


class _NotYet(Exception):
    def __init__(self, state: PlaybackState | None) -> None:
        super().__init__("not yet")
        self.state = state


def _norm(text: str) -> str:
    return " ".join(text.casefold().split())


def _plays(state: PlaybackState | None, item: Track | None) -> bool:
    if state is None or not state.is_playing:
        return False
    if item is None:
        return True
    if item.kind == "track":
        if state.uri == item.uri:
            return True
        # Spotify may relink a track to another release of it in the user's market.
        return bool(item.title) and _norm(state.title) == _norm(item.title) and (
            not item.artist or _norm(item.artist) in _norm(state.artist))
    return state.context_uri == item.uri or state.uri == item.uri


def _what_happened(adapter: MusicPlatform, state: PlaybackState | None, verb: str) -> str:
    name = label(adapter.name)
    device = (state.device if state else "") or getattr(adapter, "device_name", "")
    where = f" on {device}" if device and device != "this device" else ""
    if state is None or not state.title:
        return f"{name.capitalize()} accepted the command but nothing is playing{where}."
    now = f"{state.title} by {state.artist}" if state.artist else state.title
    if verb == "pause":
        return f"{name.capitalize()} accepted the command but {now} is still playing{where}."
    if not state.is_playing:
        return f"{name.capitalize()} accepted the command but {now} is paused{where}."
    if verb == "skip":
        return f"{name.capitalize()} accepted the command but {now} is still playing{where}."
    return f"{name.capitalize()} accepted the command but is playing {now}{where}."
