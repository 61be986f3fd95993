"""Which platform a command goes to (a contract).

1. a platform named in the command, for that command only;
2. the last SWITCH_PLATFORM, stored;
3. ``SAM_DEFAULT_PLATFORM`` (unset = auto);
4. auto = Spotify if paired, else SoundCloud if paired, else ``local``.
"""

from __future__ import annotations

from collections.abc import Mapping

from ..db.history import DeviceStateStore
from ..errors import NeedsPairing
from ..platforms.base import MusicPlatform

ACTIVE_KEY = "active_platform"
LABELS = {"spotify": "Spotify", "soundcloud": "SoundCloud", "local": "your music folder"}

PAIR_HINTS = {
    "spotify": "Spotify is not paired. Run: sam-edge pair spotify",
    "soundcloud": "SoundCloud is not paired. Run: sam-edge pair soundcloud",
}
SETUP_HINTS = {
    "spotify": "Spotify is not set up. Set SAM_SPOTIFY_CLIENT_ID, then run: sam-edge pair spotify",
    "soundcloud": "SoundCloud is not set up. Set SAM_SOUNDCLOUD_CLIENT_ID and "
                  "SAM_SOUNDCLOUD_CLIENT_SECRET, then run: sam-edge pair soundcloud",
}


def label(platform: str) -> str:
    return LABELS.get(platform, platform)


class PlatformChooser:
    def __init__(self, platforms: Mapping[str, MusicPlatform], state: DeviceStateStore,
                 default_platform: str = "auto") -> None:
        self._platforms = platforms
        self._state = state
        self._default = default_platform
        self._stored: str | None = None
        self._stored_loaded = False

    async def _usable(self, name: str) -> bool:
        adapter = self._platforms.get(name)
        return adapter is not None and await adapter.is_paired()

    async def require(self, name: str) -> MusicPlatform:
        """The adapter for ``name``, or ``NeedsPairing`` saying what to do."""
        adapter = self._platforms.get(name)
        if adapter is None:
            raise NeedsPairing(SETUP_HINTS.get(name, f"{name} is not available."))
        if not await adapter.is_paired():
            raise NeedsPairing(PAIR_HINTS.get(name, f"{name} is not paired."))
        return adapter

    async def stored(self) -> str | None:
        # Only this service switches platforms, so the stored choice is read once.
        if not self._stored_loaded:
            value = await self._state.get(ACTIVE_KEY)
            self._stored = value if value in LABELS else None
            self._stored_loaded = True
        return self._stored

    async def remember(self, name: str) -> None:
        await self._state.set(ACTIVE_KEY, name)
        self._stored, self._stored_loaded = name, True

    async def choose(self, named: str | None = None) -> str:
        if named:
            return named
        stored = await self.stored()
        if stored:
            return stored
        if self._default != "auto":
            return self._default
        for candidate in ("spotify", "soundcloud"):
            if await self._usable(candidate):
                return candidate
        return "local"
