"""SoundCloud: search, the user's likes and playlists, and playback through the local player.

SoundCloud has no remote player to command, so the adapter resolves each track's stream and
hands it to the :class:`~sam_edge.player.base.Player`: ``/tracks/{urn}/streams`` gives
``hls_aac_160_url`` (else ``hls_aac_96_url``); that URL is asked, with the Authorization header
and without following redirects, for its ``Location``, a signed CDN address the player can open
without credentials. Only fully playable tracks are searched for and played, so a 30-second
preview is never passed off as the song.

Items are identified by URN (``soundcloud:tracks:123``, ``soundcloud:playlists:...``,
``soundcloud:users:...`` for an artist). Playlists, albums, an artist's tracks and the likes are
queued, up to :data:`MAX_QUEUE` tracks: the first starts as soon as it is resolved, the rest
follow in order. The metadata of everything queued is kept, by stream address, for
:meth:`SoundCloudAdapter.now_playing`.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any
from urllib.parse import urljoin

import httpx

from ...accounts.tokens import TokenStore
from ...clock import Clock, SystemClock
from ...errors import NotFound, PlatformError
from ...player.base import Player
from ...settings import SoundCloudSettings
from ..base import PlaybackState, Track
from ..on_device import OnDeviceControls
from .auth import PLATFORM, SoundCloudClient

log = logging.getLogger(__name__)

PAGE = 50
MAX_QUEUE = 50
RESOLVE_AT_ONCE = 4
KINDS = ("track", "album", "playlist", "artist")
URN_KINDS = {"soundcloud:tracks:": "track", "soundcloud:playlists:": "playlist",
             "soundcloud:users:": "artist"}


def playable(item: dict[str, Any]) -> bool:
    """Fully playable: not a preview-only (``preview``) or metadata-only (``blocked``) track."""
    access = item.get("access")
    return access == "playable" or (access is None and item.get("streamable") is True)


def to_track(item: dict[str, Any]) -> Track:
    """A :class:`Track` from a SoundCloud track, playlist or user object."""
    kind = item.get("kind") or "track"
    urn = str(item.get("urn") or f"soundcloud:{kind}s:{item.get('id', '')}")
    owner = (item.get("user") or {}).get("username") or ""
    if kind == "user":
        return Track(urn, item.get("username") or "", "", PLATFORM, "artist")
    if kind == "playlist":
        album = item.get("playlist_type") == "album"
        title = item.get("title") or ""
        return Track(urn, title, owner, PLATFORM, "album" if album else "playlist",
                     title if album else "", item.get("duration"))
    return Track(urn, item.get("title") or "", item.get("metadata_artist") or owner, PLATFORM,
                 "track", "", item.get("duration"), image_url=_artwork(item))


def _artwork(item: dict[str, Any]) -> str:
    """The track's artwork (its uploader's avatar otherwise), at 500 px rather than 100."""
    url = item.get("artwork_url") or (item.get("user") or {}).get("avatar_url") or ""
    return str(url).replace("-large.", "-t500x500.")


def _collection(body: Any) -> list[dict[str, Any]]:
    entries = body if isinstance(body, list) else (body or {}).get("collection") or []
    return [e for e in entries if isinstance(e, dict) and (e.get("urn") or e.get("id"))]


def _preview_only(track: Track) -> PlatformError:
    return PlatformError(f"SoundCloud only has a 30-second preview of {track.describe()}.",
                         code="preview_only")


class SoundCloudAdapter(OnDeviceControls):
    """The :class:`~sam_edge.platforms.base.MusicPlatform` for SoundCloud (OAuth 2.1 paired).

    The player belongs to whoever created it: :meth:`aclose` leaves it running.
    """

    name = PLATFORM

    def __init__(self, settings: SoundCloudSettings, tokens: TokenStore, player: Player, *,
                 clock: Clock | None = None) -> None:
        self._store = tokens
        self._player = player
        self._http = httpx.AsyncClient(timeout=httpx.Timeout(settings.timeout_s))
        self._api = SoundCloudClient(settings, tokens, clock or SystemClock(), self._http)
        self._queued: dict[str, Track] = {}
        self._context = ""

    # ---- account ------------------------------------------------------------------------------

    async def is_paired(self) -> bool:
        return await self._store.load(PLATFORM) is not None

    async def current_user(self) -> tuple[str, str]:
        """The paired account's URN and username."""
        me = await self._api.get_json("/me")
        return str(me.get("urn") or ""), str(me.get("username") or "")

    async def api_get(self, path_or_url: str, params: dict[str, Any] | None = None) -> Any:
        """The JSON answer to ``GET path_or_url``: an API path or an absolute API URL (such as
        a ``next_href``), signed in, refreshed and retried like every other call."""
        return await self._api.get_json(path_or_url, params)

    async def aclose(self) -> None:
        await self._http.aclose()

    # ---- catalog ------------------------------------------------------------------------------

    async def search(self, query: str, *, artist: str | None = None, kind: str = "track",
                     limit: int = 5) -> list[Track]:
        kind = kind.strip().lower()
        if kind not in KINDS:
            raise PlatformError(f"SoundCloud cannot search for {kind or 'nothing'}.",
                                code="bad_request")
        q = " ".join(part.strip() for part in (query, artist or "") if part and part.strip())
        if not q:
            return []
        params: dict[str, Any] = {"q": q, "limit": max(1, min(int(limit), 200)),
                                  "linked_partitioning": "true"}
        if kind == "track":
            items = _collection(await self._api.get_json(
                "/tracks", {**params, "access": "playable"}))
            items = [i for i in items if playable(i)]
        elif kind == "artist":
            items = _collection(await self._api.get_json("/users", params))
        else:
            items = _collection(await self._api.get_json(
                "/playlists", {**params, "access": "playable", "show_tracks": "false"}))
        found = [to_track(i) for i in items]
        wanted = (artist or "").strip().casefold()
        # Exact kind and artist first; SoundCloud's own ranking otherwise.
        found.sort(key=lambda t: (t.kind != kind, bool(wanted) and t.artist.casefold() != wanted))
        return found[:limit]

    async def _tracks_of(self, item: Track) -> list[Track]:
        """The playable tracks ``item`` stands for (itself for a track)."""
        uri = item.uri
        if uri.startswith("soundcloud:tracks:"):
            if item.title:
                return [item]
            found = await self._api.get_json(f"/tracks/{uri}")
            track = to_track(found)
            if not playable(found):
                raise _preview_only(track)
            return [track]
        if uri.startswith(("soundcloud:playlists:", "soundcloud:users:")):
            path = "playlists" if uri.startswith("soundcloud:playlists:") else "users"
            items = await self._api.collect(f"/{path}/{uri}/tracks",
                                            {"access": "playable", "limit": PAGE}, MAX_QUEUE)
            tracks = [to_track(i) for i in items if playable(i)]
            if not tracks:
                raise NotFound(f"There is nothing playable in {item.title or uri} on SoundCloud.")
            return tracks
        if item.title:  # an item from another platform: look it up here
            kind = item.kind if item.kind in KINDS else "track"
            query = item.title if kind != "artist" else item.artist or item.title
            artist = item.artist if kind != "artist" else None
            found_items = await self.search(query, artist=artist or None, kind=kind, limit=1)
            if found_items and found_items[0].uri.startswith(tuple(URN_KINDS)):
                return await self._tracks_of(found_items[0])
        raise NotFound(f"I couldn't find {item.describe() or uri} on SoundCloud.")

    # ---- streams ------------------------------------------------------------------------------

    async def _stream(self, track: Track) -> str:
        """The signed address the player can open for ``track``."""
        streams = await self._api.get_json(f"/tracks/{track.uri}/streams")
        streams = streams if isinstance(streams, dict) else {}
        url = streams.get("hls_aac_160_url") or streams.get("hls_aac_96_url")
        if not url:
            raise _preview_only(track)
        response = await self._api.request("GET", url)
        location = response.headers.get("location")
        if not response.is_redirect or not location:
            raise PlatformError(f"SoundCloud gave no stream for {track.describe()}.",
                                code="bad_response")
        return str(urljoin(url, location))

    async def _streams(self, tracks: list[Track]) -> list[tuple[str, Track] | PlatformError]:
        gate = asyncio.Semaphore(RESOLVE_AT_ONCE)

        async def one(track: Track) -> tuple[str, Track] | PlatformError:
            async with gate:
                try:
                    return await self._stream(track), track
                except PlatformError as exc:
                    log.info("soundcloud: skipping %s: %s", track.uri, exc.message)
                    return exc

        return list(await asyncio.gather(*(one(t) for t in tracks)))

    async def _start(self, tracks: list[Track], context: str) -> Track:
        """Play the first track that resolves and queue the rest after it."""
        for index, track in enumerate(tracks):
            try:
                location = await self._stream(track)
            except PlatformError as exc:
                if index == len(tracks) - 1 or exc.code not in ("preview_only", "not_found",
                                                               "forbidden"):
                    raise
                continue
            await self._player.play([location])
            self._queued, self._context = {location: track}, context
            for resolved in await self._streams(tracks[index + 1:]):
                if not isinstance(resolved, PlatformError):
                    await self._player.enqueue(resolved[0])
                    self._queued[resolved[0]] = resolved[1]
            return track
        raise NotFound("There was nothing to play on SoundCloud.")

    # ---- playback -----------------------------------------------------------------------------

    async def play(self, item: Track) -> None:
        if item.kind == "liked":
            await self.play_liked()
            return
        tracks = await self._tracks_of(item)
        context = item.uri if item.uri.startswith(("soundcloud:playlists:",
                                                   "soundcloud:users:")) else ""
        await self._start(tracks, context)

    async def play_liked(self) -> Track | None:
        items = await self._api.collect("/me/likes/tracks", {"access": "playable", "limit": PAGE},
                                        MAX_QUEUE)
        liked = [to_track(i) for i in items if playable(i)]
        if not liked:
            return None
        return await self._start(liked, "")

    async def queue(self, item: Track) -> None:
        resolved = await self._streams(await self._tracks_of(item))
        queued = [r for r in resolved if not isinstance(r, PlatformError)]
        if not queued:
            raise next(r for r in resolved if isinstance(r, PlatformError))
        for location, track in queued:
            await self._player.enqueue(location)
            self._queued[location] = track

    async def like(self, item: Track | None) -> Track | None:
        if item is None:
            item = await self._current()
            if item is None:
                return None
        if item.kind != "track" and not item.uri.startswith("soundcloud:tracks:"):
            raise PlatformError("Only songs can be liked on SoundCloud.", code="bad_request")
        if not item.uri.startswith("soundcloud:tracks:"):
            [item] = (await self._tracks_of(item))[:1]
        # Liking twice is harmless, so a lost answer may be retried.
        await self._api.request("POST", f"/likes/tracks/{item.uri}", idempotent=True)
        return item

    async def _current(self) -> Track | None:
        state = await self._player.state()
        return self._queued.get(state.path) if state.path else None

    async def now_playing(self) -> PlaybackState | None:
        state = await self._player.state()
        track = self._queued.get(state.path) if state.path else None
        if track is None:  # idle, or the shared player is playing something else
            return None
        return PlaybackState(
            is_playing=state.is_playing, title=track.title, artist=track.artist, uri=track.uri,
            context_uri=self._context, platform=PLATFORM, device="this device",
            volume=state.volume, position_ms=round(state.position_s * 1000),
            duration_ms=track.duration_ms, image_url=track.image_url,
        )
