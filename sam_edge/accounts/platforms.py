"""The platforms an account can be paired with, and the pairing object for each.

Every caller (the web routes, ``sam-edge pair``) asks :func:`make_pairing`, which refuses with a
:class:`Refusal` (an HTTP-like status, a code and a sentence) when a platform is unknown or not
set up.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import PairingError
from ..settings import Settings
from .pairing import PkcePairing, SoundCloudPairing, SpotifyPairing
from .secrets import Cipher
from .tokens import TokenStore


@dataclass(frozen=True, slots=True)
class PlatformInfo:
    name: str
    title: str
    pairing: type[PkcePairing]
    env: str
    """The setting that makes it usable, as an environment variable and a config key."""
    key: str


PLATFORMS: dict[str, PlatformInfo] = {
    "spotify": PlatformInfo("spotify", "Spotify", SpotifyPairing, "SAM_SPOTIFY_CLIENT_ID",
                            "[spotify] client_id"),
    "soundcloud": PlatformInfo("soundcloud", "SoundCloud", SoundCloudPairing,
                               "SAM_SOUNDCLOUD_CLIENT_ID", "[soundcloud] client_id"),
}


class Refusal(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def configured(settings: Settings, platform: str) -> bool:
    if platform == "spotify":
        return bool(settings.spotify.client_id)
    if platform == "soundcloud":
        return bool(settings.soundcloud.client_id)
    return False


def platform_info(platform: str) -> PlatformInfo:
    info = PLATFORMS.get(platform)
    if info is None:
        raise Refusal(404, "unknown_platform",
                      f"There is no platform called that; use one of {', '.join(PLATFORMS)}.")
    return info


def make_pairing(settings: Settings, tokens: TokenStore, cipher: Cipher,
                 platform: str) -> tuple[PlatformInfo, PkcePairing]:
    info = platform_info(platform)
    if not configured(settings, platform):
        raise Refusal(409, "not_configured",
                      f"{info.title} is not set up: set {info.env} (or {info.key} in the "
                      "config file) to your app's client id, then restart SAM Edge.")
    try:
        return info, info.pairing(settings, tokens, cipher)
    except PairingError as exc:
        raise Refusal(409, exc.code, exc.message) from exc
