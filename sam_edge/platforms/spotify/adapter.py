"""Spotify through spotipy: search, playback on a Spotify Connect device, the user's library.

Playback needs a device. The adapter reads ``GET /me/player/devices`` (kept for 30 s), picks the
configured one by name, else the active one, else the first that accepts commands, transfers
playback to it when it is not active, and names it in every player command. Each player command
also takes ``device``: a Connect device's name for this call only ("play it in the kitchen").
When Spotify says the device is gone (404), it looks again, transfers once and retries once.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable
from typing import Any, TypeVar

import httpx
import requests
import spotipy
from requests.adapters import HTTPAdapter

from ...accounts.tokens import TokenStore
from ...clock import Clock, SystemClock
from ...errors import NoDevice, PlatformError
from ...settings import SpotifySettings
from ..base import PlaybackState, Track
from .auth import NO_DEVICE, PLATFORM, DeviceLost, SpotifyAuth
from .objects import artists_of, image_of, to_track

log = logging.getLogger(__name__)
T = TypeVar("T")

DEVICE_CACHE_S = 30.0
SEARCH_LIMIT_MAX = 10
"""Development-Mode apps may ask for at most 10 results per type (2026)."""
KINDS = ("track", "album", "artist", "playlist")
REPEAT_STATES = ("track", "context", "off")


def _session() -> requests.Session:
    # spotipy's own session retries 429/5xx through urllib3, which turns a 429 into a
    # RetryError without its Retry-After header; retries are decided here instead.
    session = requests.Session()
    adapter = HTTPAdapter(max_retries=0, pool_maxsize=16)  # more than the calls at once
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


LIKED_PAGE = 50
MAX_LIKED = 2000
"""The most liked songs handed to one play command (its body grows with every URI)."""


class SpotifyAdapter:
    """The :class:`~sam_edge.platforms.base.MusicPlatform` for Spotify (Premium, PKCE-paired)."""

    name = PLATFORM

    def __init__(self, settings: SpotifySettings, tokens: TokenStore, *,
                 clock: Clock | None = None) -> None:
        self._settings = settings
        self._store = tokens
        self._clock = clock or SystemClock()
        self._http = httpx.AsyncClient(timeout=settings.timeout_s)
        self._auth = SpotifyAuth(settings, tokens, self._clock, self._http)
        self._session = _session()
        self._sp = spotipy.Spotify(
            auth_manager=self._auth.manager, requests_session=self._session, retries=0,
            status_retries=0, requests_timeout=settings.timeout_s,
        )
        self._sp.prefix = settings.api_url.rstrip("/") + "/"
        self._call = self._auth.call
        self._devices: list[dict[str, Any]] | None = None
        self._devices_at = 0.0
        self.device_name = ""
        """The Spotify Connect device commands last went to."""

    @property
    def api_url(self) -> str:
        return self._settings.api_url

    async def call_api(self, fn: Callable[[spotipy.Spotify], T]) -> T:
        """Run ``fn(client)`` with a signed-in spotipy client: token refresh, one retry and
        Spotify's errors as sentences, like every other call (used by the library sync)."""
        return await self._call(fn, self._sp)

    # ---- account --------------------------------------------------------------------------

    async def is_paired(self) -> bool:
        return await self._store.load(PLATFORM) is not None

    async def current_user(self) -> tuple[str, str]:
        """The paired account's id and display name."""
        me = await self._call(self._sp.current_user) or {}
        return me.get("id", ""), me.get("display_name") or me.get("id", "")

    async def aclose(self) -> None:
        await self._http.aclose()
        self._auth.close()
        self._session.close()

    # ---- devices --------------------------------------------------------------------------

    async def _device_list(self, *, fresh: bool = False) -> list[dict[str, Any]]:
        now = self._clock.monotonic()
        if fresh or self._devices is None or now - self._devices_at > DEVICE_CACHE_S:
            body = await self._call(self._sp.devices) or {}
            self._devices = [d for d in body.get("devices") or [] if d and d.get("id")]
            self._devices_at = now
        return self._devices

    async def device_names(self) -> list[str]:
        """The Spotify Connect devices' names."""
        return [str(d.get("name") or "") for d in await self._device_list()]

    def _pick(self, devices: list[dict[str, Any]], device: str = "") -> dict[str, Any] | None:
        usable = [d for d in devices if not d.get("is_restricted")]
        wanted = (device or self._settings.device).strip().casefold()
        named = None
        if wanted:
            named = next((d for d in usable if (d.get("name") or "").casefold() == wanted), None)
        own = next((d for d in usable if self._is_own(d)), None)
        active = next((d for d in usable if d.get("is_active")), None)
        return named or own or active or (usable[0] if usable else None)

    def _is_own(self, device: dict[str, Any]) -> bool:
        """This Pi's own Spotify Connect device (raspotify/librespot), preferred when listed."""
        setting = self._settings.own_device.strip()
        name = (device.get("name") or "").casefold()
        if setting and setting.lower() != "auto":
            return name == setting.casefold()
        if not setting:
            return False
        host = socket.gethostname().casefold()
        return "raspotify" in name or "librespot" in name or (bool(host) and name == host)

    async def _device_id(self, *, start: bool, fresh: bool = False, named: str = "") -> str:
        """The device to command (``named``, else the configured one...), made active first
        (``start``: and playing) when it is not. ``fresh``: Spotify just lost the device, so
        re-read the list and transfer regardless."""
        devices = await self._device_list(fresh=fresh)
        device = self._pick(devices, named)
        if device is None and not fresh:
            # A remembered empty list must not outlive the device coming back.
            devices = await self._device_list(fresh=True)
            device = self._pick(devices, named)
        if device is None:
            self._devices = None
            raise NoDevice(NO_DEVICE)
        self.device_name = str(device.get("name") or "")
        if fresh or not device.get("is_active"):
            log.info("spotify: transferring playback to %s", device.get("name"))
            await self._call(self._sp.transfer_playback, device["id"], start)
            for other in devices:
                other["is_active"] = other is device
        return str(device["id"])

    async def _player(self, fn: Any, *args: Any, start: bool = False, idempotent: bool = True,
                      device: str = "", **kwargs: Any) -> Any:
        """A player command on the chosen device (``device``: by name); when Spotify has lost
        the device, look again, transfer once and retry once."""
        try:
            device_id = await self._device_id(start=start, named=device)
            return await self._call(fn, *args, device_id=device_id, idempotent=idempotent,
                                    **kwargs)
        except DeviceLost:
            log.info("spotify: the device went away, choosing again")
            self._devices = None
            device_id = await self._device_id(start=start, fresh=True, named=device)
            return await self._call(fn, *args, device_id=device_id, idempotent=idempotent,
                                    **kwargs)

    # ---- catalog --------------------------------------------------------------------------

    async def search(self, query: str, *, artist: str | None = None, kind: str = "track",
                     limit: int = 5) -> list[Track]:
        kind = kind.strip().lower()
        if kind not in KINDS:
            raise PlatformError(f"Spotify cannot search for {kind or 'nothing'}.",
                                code="bad_request")
        q = query.strip()
        if artist and artist.strip():
            q = f"{q} artist:{artist.strip()}".strip()
        if not q:
            return []
        body = await self._call(
            self._sp.search, q, limit=max(1, min(int(limit), SEARCH_LIMIT_MAX)), offset=0,
            type=kind, market=self._settings.market or "from_token",
        ) or {}
        # Spotify sometimes puts null entries in search pages (playlists especially).
        items = (body.get(kind + "s") or {}).get("items") or []
        return [to_track(item, kind) for item in items if item and item.get("uri")]

    # ---- playback -------------------------------------------------------------------------

    async def play(self, item: Track, *, device: str = "") -> None:
        if item.kind == "track" or item.uri.startswith("spotify:track:"):
            await self._player(self._sp.start_playback, uris=[item.uri], start=True,
                               device=device)
        else:
            await self._player(self._sp.start_playback, context_uri=item.uri, start=True,
                               device=device)

    async def _liked(self) -> list[Track]:
        """Every saved track, page by page (50 a page), up to :data:`MAX_LIKED`."""
        liked: list[Track] = []
        offset = 0
        while len(liked) < MAX_LIKED:
            page = await self._call(self._sp.current_user_saved_tracks, limit=LIKED_PAGE,
                                    offset=offset) or {}
            items = page.get("items") or []
            liked += [to_track(entry["track"], "track") for entry in items
                      if entry and entry.get("track")]
            offset += len(items)
            if not items or not page.get("next"):
                break
        return liked[:MAX_LIKED]

    async def play_liked(self, *, device: str = "") -> Track | None:
        liked = await self._liked()
        # Local files (spotify:local:...) cannot be started through the Web API.
        liked = [t for t in liked if t.uri.startswith("spotify:track:")]
        if not liked:
            return None
        await self._player(self._sp.start_playback, uris=[t.uri for t in liked], start=True,
                           device=device)
        return liked[0]

    async def pause(self, *, device: str = "") -> None:
        await self._player(self._sp.pause_playback, device=device)

    async def resume(self, *, device: str = "") -> None:
        await self._player(self._sp.start_playback, start=True, device=device)

    async def next(self, *, device: str = "") -> None:
        await self._player(self._sp.next_track, idempotent=False, device=device)

    async def previous(self, *, device: str = "") -> None:
        await self._player(self._sp.previous_track, idempotent=False, device=device)

    async def get_volume(self) -> int | None:
        state = await self._call(self._sp.current_playback)
        if state and state.get("device"):
            volume = state["device"].get("volume_percent")
            return int(volume) if volume is not None else None
        device = self._pick(await self._device_list())
        return device.get("volume_percent") if device else None

    async def set_volume(self, level: int, *, device: str = "") -> None:
        # spotipy silently skips a volume that is not an int.
        await self._player(self._sp.volume, max(0, min(100, int(level))), device=device)

    async def shuffle(self, state: bool, *, device: str = "") -> None:
        await self._player(self._sp.shuffle, bool(state), device=device)

    async def repeat(self, state: str, *, device: str = "") -> None:
        state = state.strip().lower()
        if state not in REPEAT_STATES:
            raise PlatformError("Repeat can be track, context or off.", code="bad_request")
        await self._player(self._sp.repeat, state, device=device)

    async def queue(self, item: Track, *, device: str = "") -> None:
        if not item.uri.startswith(("spotify:track:", "spotify:episode:")):
            raise PlatformError("Only songs can be added to the Spotify queue.",
                                code="bad_request")
        await self._player(self._sp.add_to_queue, item.uri, idempotent=False, device=device)

    async def like(self, item: Track | None) -> Track | None:
        if item is None:
            state = await self._call(self._sp.current_playback)
            if not state or not state.get("item"):
                return None
            item = to_track(state["item"], "track")
        # PUT /me/library (2026) replaces the per-type save endpoints; spotipy has no method.
        await self._call(self._sp._put, "me/library", uris=item.uri)
        return item

    async def now_playing(self) -> PlaybackState | None:
        state = await self._call(self._sp.current_playback)
        if not state:
            return None
        item = state.get("item") or {}
        device = state.get("device") or {}
        return PlaybackState(
            is_playing=bool(state.get("is_playing")),
            title=item.get("name") or "",
            artist=artists_of(item) or (item.get("show") or {}).get("name") or "",
            uri=item.get("uri") or "",
            context_uri=(state.get("context") or {}).get("uri") or "",
            platform=PLATFORM,
            device=device.get("name") or "",
            volume=device.get("volume_percent"),
            position_ms=state.get("progress_ms"),
            duration_ms=item.get("duration_ms"),
            image_url=image_of(item),
        )
