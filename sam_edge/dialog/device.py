"""Commands for the device itself rather than the music: "stop listening" mutes the microphone.

They answer with action ``CHAT`` (the action schema is about music) and a ``device`` parameter,
and they never reach the LLM. Unmuting is the mute button's job (or the page, or the API):
a muted microphone cannot hear "start listening".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_MUTE = re.compile(
    r"^(?:hey sam,? )?(?:please )?(?:stop listening|mute (?:the |your )?(?:microphone|mic)"
    r"|turn off (?:the |your )?(?:microphone|mic)|(?:microphone|mic) off)(?: please)?[.!]?$",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class DeviceCommand:
    name: str
    """``mute_microphone``."""


def parse_device_command(text: str) -> DeviceCommand | None:
    if _MUTE.match(" ".join(text.strip().split())):
        return DeviceCommand("mute_microphone")
    return None
