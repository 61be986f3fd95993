"""The household's devices for the page: ``GET /v1/household`` lists the devices whose
heartbeat was seen in the last minute (name, seconds since, what each plays), this one marked.
A device not in a household answers ``household`` null and no devices."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from fastapi import APIRouter

from .deps import RuntimeDep

log = logging.getLogger(__name__)

router = APIRouter()

SEEN_S = 60.0
READ_TIMEOUT_S = 2.0


@router.get("/v1/household")
async def household(rt: RuntimeDep) -> dict[str, Any]:
    """The devices of this device's household, this one first, then by name."""
    device = rt.household
    if device is None:
        return {"household": None, "device": None, "devices": [], "message": ""}
    here = device.device
    body: dict[str, Any] = {"household": rt.settings.household.name, "device": here,
                            "devices": [], "message": ""}
    try:
        async with asyncio.timeout(READ_TIMEOUT_S):
            seen = await device.bus.devices(SEEN_S)
    except Exception as exc:  # Redis away: the page says so and keeps polling
        log.debug("household devices not read (%s)", type(exc).__name__)
        body["message"] = "The household's devices cannot be read right now."
        return body
    now = time.time()
    rows = [{"name": name, "this": name == here,
             "seen_s": max(0, round(now - float(entry.get("seen", now)))),
             "playing": str(entry.get("playing") or "")}
            for name, entry in seen.items()]
    rows.sort(key=lambda row: (not row["this"], str(row["name"]).casefold()))
    body["devices"] = rows
    return body
