"""Commands for a room ("play Hello in the kitchen", "pause the kitchen"): the intent's
``device`` parameter.

This device's own room: the command runs here. On Spotify, a Connect device of that name plays
it (each player command is given that device, :class:`OnDevice`). Otherwise, another device of
the household: the command is sent on its Redis channel and runs there. A room neither knows:
an answer listing the rooms.
"""

from __future__ import annotations

import functools
import logging
from typing import Any

from ..actions.service import ActionResult, MusicActionService
from ..dialog.intents import Action, Intent
from ..platforms.base import MusicPlatform
from .bus import Bus, device_channel

log = logging.getLogger(__name__)

SEEN_S = 60.0
CONNECT = "connect_device"
"""The parameter naming the Spotify Connect device a command goes to."""


def _same(a: str, b: str) -> bool:
    return a.strip().casefold() == b.strip().casefold()


def _listed(rooms: list[str]) -> str:
    if not rooms:
        return "no other rooms"
    return rooms[0] if len(rooms) == 1 else ", ".join(rooms[:-1]) + " and " + rooms[-1]


class RoomActions(MusicActionService):
    """:class:`MusicActionService` of a household device: a room named goes where it is."""

    bus: Bus
    device: str

    def in_household(self, bus: Bus, device: str) -> RoomActions:
        self.bus = bus
        self.device = device
        return self

    async def act(self, intent: Intent) -> ActionResult:
        room = str(intent.parameters.get("device") or "")
        if not room or intent.action in (Action.CHAT, Action.SWITCH_PLATFORM):
            return await super().act(intent)
        params = {k: v for k, v in intent.parameters.items() if k != "device"}
        here = Intent(intent.action, params, intent.response_text, intent.source)
        if _same(room, self.device):
            return await super().act(here)
        name = await self.chooser.choose(params.get("platform"))
        connect = await self._connect_names(name)
        if any(_same(room, c) for c in connect):
            return await super().act(Intent(intent.action, {**params, CONNECT: room},
                                            intent.response_text, intent.source))
        devices = await self.bus.devices(SEEN_S)
        target = next((d for d in devices if _same(d, room)), None)
        if target is None:
            rooms = sorted(set(devices) | set(connect))
            return ActionResult("not_found", {**params, "device": room, "rooms": rooms},
                                f"I don't know a room called {room}. The rooms are "
                                f"{_listed(rooms)}.", error_code="unknown_room")
        sent = await self.bus.publish(device_channel(target), {
            "action": intent.action.value, "parameters": params, "from": self.device})
        if not sent:
            return ActionResult("error", {**params, "device": target},
                                f"The {target} speaker is not listening right now.",
                                error_code="room_offline")
        return ActionResult("ok", {**params, "device": target}, f"Done, in the {target}.")

    async def _connect_names(self, platform: str) -> list[str]:
        """The Spotify Connect devices' names (none for other platforms)."""
        adapter = self.platforms.get(platform)
        listing = getattr(adapter, "device_names", None)
        if platform != "spotify" or listing is None:
            return []
        try:
            return list(await listing())
        except Exception as exc:  # not paired, offline: no Connect devices to offer
            log.debug("no Spotify Connect devices (%s)", type(exc).__name__)
            return []

    def _target(self, adapter: MusicPlatform, params: dict[str, Any]) -> MusicPlatform:
        room = str(params.get(CONNECT) or "")
        return OnDevice(adapter, room) if room else adapter


class OnDevice:
    """An adapter whose player commands all go to one named device (their ``device``)."""

    COMMANDS = frozenset({"play", "play_liked", "pause", "resume", "next", "previous",
                          "set_volume", "shuffle", "repeat", "queue"})

    def __init__(self, adapter: MusicPlatform, device: str) -> None:
        self._adapter = adapter
        self._device = device

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._adapter, name)
        return functools.partial(attr, device=self._device) if name in self.COMMANDS else attr
