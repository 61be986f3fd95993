"""Wiring this device into its household (``sam-edge run`` with ``[household]`` set): what its
heartbeat reports, what a library change drops, and how a command from another device runs."""

from __future__ import annotations

import logging
from typing import Any

from ..actions.service import MusicActionService
from ..cache.library import LibraryResolver
from ..dialog.intents import Action, Intent
from ..household.device import HouseholdDevice
from ..household.offline import ResilientStore
from .core import Core

log = logging.getLogger(__name__)


def household_device(core: Core, library: LibraryResolver,
                     actions: MusicActionService) -> HouseholdDevice:
    def library_changed() -> None:
        library.invalidate()
        core.cache.hot.clear()

    async def run_command(message: dict[str, Any]) -> None:
        intent = Intent(Action(str(message["action"])), dict(message.get("parameters") or {}))
        result = await actions.execute(intent)
        log.info("command from %s: %s → %s", message.get("from", "?"), intent.action.value,
                 result.status)
        await device.beat_once()  # the other devices' pages see the change now

    store = core.cache.store
    device = HouseholdDevice(core.bus, core.settings.household.device,
                             now_playing=actions.now_playing,
                             on_library_changed=library_changed, on_command=run_command,
                             accounts=core.tokens,
                             store=store if isinstance(store, ResilientStore) else None)
    return device
