"""A faithful fake Spotify: the accounts service (PKCE authorize + token) and the Web API as one
ASGI app.

Served with :func:`tests.fakes.server.serve`, base URL ``B`` is the accounts URL (``B/authorize``,
``B/api/token``) and ``B/v1`` is the API URL. Tests seed a catalog and devices, mint tokens, inject
one-shot failures and read :attr:`FakeSpotify.requests` and :attr:`FakeSpotify.state`.

Parts: ``spotify_accounts`` (OAuth), ``spotify_catalog`` (entities, search, JSON shapes),
``spotify_api`` / ``spotify_player`` (endpoints) and ``spotify_routes`` (the route table).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import math
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from tests.fakes.spotify_accounts import CLIENT_ID, DEFAULT_SCOPE, AccountsMixin
from tests.fakes.spotify_api import Call, error_response
from tests.fakes.spotify_catalog import (
    FakeAlbum,
    FakeArtist,
    FakeDevice,
    FakePlayback,
    FakePlaylist,
    FakeTrack,
    make_id,
)
from tests.fakes.spotify_routes import dispatch

__all__ = ["CLIENT_ID", "DEFAULT_SCOPE", "FakeSpotify", "RecordedRequest"]


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    query: dict[str, str]
    json: Any = None
    form: dict[str, str] | None = None


@dataclass
class _Fault:
    method: str | None
    path: str | None
    status: int
    body: bytes
    media_type: str
    headers: dict[str, str]

    def matches(self, method: str, path: str) -> bool:
        if self.path is None:
            return path.startswith("/v1/") and self.method in (None, method)
        return self.method in (None, method) and path.rstrip("/") == self.path


def _full_path(path: str) -> str:
    """``me/player`` and ``/me/player`` mean ``/v1/me/player``; accounts paths stay as they are."""
    path = "/" + path.lstrip("/")
    if not path.startswith(("/v1/", "/api/", "/authorize")):
        path = "/v1" + path
    return path.rstrip("/")


class FakeSpotify(AccountsMixin):
    """State and controls of the fake; ``app`` is the ASGI application."""

    def __init__(self, *, user_id: str = "samtester", display_name: str = "Sam Tester") -> None:
        super().__init__()
        self.user_id, self.display_name = user_id, display_name
        self.premium = True
        self.registered = True
        """False: every API call answers 403 with a plain-text body (Dev-Mode allow-list)."""
        self.latency_s = 0.0
        self.unresponsive_device = False
        """Player commands answer 204 but the device does nothing (an asleep speaker)."""
        self.requests: list[RecordedRequest] = []
        self.state = FakePlayback()
        self.devices: list[FakeDevice] = []
        self.artists: list[FakeArtist] = []
        self.albums: list[FakeAlbum] = []
        self.tracks: list[FakeTrack] = []
        self.playlists: list[FakePlaylist] = []
        self.liked: list[tuple[FakeTrack, str]] = []
        """Saved tracks, newest first, with their ``added_at``."""
        self.library: set[str] = set()
        """Other URIs saved with ``PUT /me/library`` (albums, playlists...)."""
        self._faults: list[_Fault] = []
        self.app = Starlette(routes=[
            Route("/authorize", self._authorize, methods=["GET"]),
            Route("/api/token", self._token, methods=["POST"]),
            Route("/v1/{path:path}", self._api, methods=["GET", "PUT", "POST", "DELETE"]),
        ])

    # ---- catalog --------------------------------------------------------------------------

    def artist(self, name: str) -> FakeArtist:
        """The artist called ``name`` (case-insensitive), created if new."""
        found = next((a for a in self.artists if a.name.casefold() == name.casefold()), None)
        if found is None:
            found = FakeArtist(make_id(f"artist:{name}"), name)
            self.artists.append(found)
        return found

    def add_album(self, name: str, artist: str, tracks: list[str] | tuple[str, ...] = (), *,
                  release_date: str = "2020", album_type: str = "album",
                  uri: str | None = None) -> FakeAlbum:
        owner = self.artist(artist)
        album = next((a for a in self.albums if a.name == name and a.artist is owner), None)
        if album is None:
            album_id = uri.rsplit(":", 1)[-1] if uri else make_id(f"album:{artist}:{name}")
            album = FakeAlbum(album_id, name, owner, release_date, album_type)
            self.albums.append(album)
        for title in tracks:
            self.add_track(title, artist, album=name)
        return album

    def add_track(self, name: str, artist: str, album: str | None = None, *,
                  uri: str | None = None, duration_ms: int | None = None) -> FakeTrack:
        home = self.add_album(album or name, artist, album_type="album" if album else "single")
        track_id = uri.rsplit(":", 1)[-1] if uri else make_id(f"track:{artist}:{name}:{home.name}")
        track = FakeTrack(
            track_id, name, [self.artist(artist)], home,
            duration_ms or 180_000 + int(track_id.encode().hex(), 16) % 120_000,
            len(home.tracks) + 1,
        )
        home.tracks.append(track)
        self.tracks.append(track)
        return track

    def add_playlist(self, name: str, tracks: list[FakeTrack | str], *, owned: bool = True,
                     collaborative: bool = False, uri: str | None = None) -> FakePlaylist:
        items = [t if isinstance(t, FakeTrack) else self._track_of(t) for t in tracks]
        owner = (self.user_id, self.display_name) if owned else ("spotify", "Spotify")
        playlist = FakePlaylist(
            uri.rsplit(":", 1)[-1] if uri else make_id(f"playlist:{name}"),
            name, *owner, items, owned=owned, collaborative=collaborative,
        )
        self.playlists.append(playlist)
        return playlist

    def add_liked(self, *tracks: FakeTrack | str, added_at: str = "2025-06-01T12:00:00Z") -> None:
        """Save tracks to the user's library (the last one given ends up first, as newest)."""
        for item in tracks:
            track = item if isinstance(item, FakeTrack) else self._track_of(item)
            self.liked.insert(0, (track, added_at))

    def track(self, name: str, artist: str | None = None) -> FakeTrack:
        """The seeded track called ``name`` (by ``artist``); KeyError if there is none."""
        for track in self.tracks:
            if track.name.casefold() == name.casefold() and (
                artist is None or track.artist.casefold() == artist.casefold()
            ):
                return track
        raise KeyError(name)

    def find(self, uri: str) -> FakeTrack | FakeAlbum | FakeArtist | FakePlaylist | None:
        for pool in (self.tracks, self.albums, self.artists, self.playlists):
            for entity in pool:
                if entity.uri == uri:
                    return entity
        return None

    def context_tracks(self, uri: str) -> list[FakeTrack]:
        found = self.find(uri)
        if isinstance(found, FakeAlbum | FakePlaylist):
            return list(found.tracks)
        if isinstance(found, FakeArtist):
            return [t for t in self.tracks if found in t.artists]
        return []

    def _track_of(self, uri: str) -> FakeTrack:
        found = self.find(uri)
        if not isinstance(found, FakeTrack):
            raise KeyError(uri)
        return found

    # ---- devices --------------------------------------------------------------------------

    def add_device(self, name: str, active: bool = False, restricted: bool = False, *,
                   type: str = "Speaker", volume: int = 50,
                   supports_volume: bool = True) -> FakeDevice:
        device_id = hashlib.sha1(f"device:{name}".encode()).hexdigest()
        device = FakeDevice(device_id, name, type, False, restricted,
                            volume, supports_volume)
        self.devices.append(device)
        if active:
            self.activate(device)
        return device

    def activate(self, device: FakeDevice) -> None:
        """Make ``device`` the one playback happens on (as a transfer does)."""
        for other in self.devices:
            other.is_active = other is device
        self.state.device = device

    # ---- fault injection and request log ---------------------------------------------------

    def fail_next(self, method: str, path: str, status: int, json_body: Any = None,
                  headers: dict[str, str] | None = None, text: str | None = None) -> None:
        """Answer the next ``method path`` (``/v1/...`` or ``/api/token``; a bare ``me/player``
        means ``/v1/me/player``) with ``status``, once. Default body: Spotify's error object."""
        if text is not None:
            body, media = text.encode(), "text/plain"
        else:
            phrase = HTTPStatus(status).phrase
            payload = json_body if json_body is not None else {
                "error": {"status": status, "message": phrase}}
            body, media = json.dumps(payload).encode(), "application/json"
        self._faults.append(_Fault(method.upper(), _full_path(path), status, body, media,
                                   dict(headers or {})))

    def rate_limit_next(self, retry_after_s: float, method: str | None = None,
                        path: str | None = None) -> None:
        """Answer the next API call (or the next ``method path``) 429 with ``Retry-After``."""
        body = json.dumps({"error": {"status": 429, "message": "API rate limit exceeded"}})
        self._faults.append(_Fault(
            method.upper() if method else None, _full_path(path) if path else None, 429,
            body.encode(), "application/json", {"Retry-After": str(math.ceil(retry_after_s))},
        ))

    def calls(self, method: str, path: str) -> list[RecordedRequest]:
        """Recorded requests for ``method path`` (path as in :meth:`fail_next`)."""
        wanted = _full_path(path)
        return [r for r in self.requests if r.method == method.upper() and r.path == wanted]

    # ---- ASGI handlers --------------------------------------------------------------------

    async def _prelude(self, request: Request) -> tuple[Response | None, Any, dict[str, str]]:
        """The request log, latency and injected faults, shared by every endpoint."""
        body: Any = None
        form: dict[str, str] | None = None
        malformed = False
        if request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
            form = {k: str(v) for k, v in (await request.form()).items()}
        else:
            raw = await request.body()
            if raw:
                try:
                    body = json.loads(raw)
                except ValueError:
                    malformed = True
        path = request.url.path.rstrip("/")
        self.requests.append(RecordedRequest(request.method, path, dict(request.query_params),
                                             body, form))
        if self.latency_s:
            await asyncio.sleep(self.latency_s)
        fault = next((f for f in self._faults if f.matches(request.method, path)), None)
        if fault is not None:
            self._faults.remove(fault)
            return Response(fault.body, fault.status, fault.headers, fault.media_type), body, {}
        if malformed:
            return error_response(400, "Malformed json"), None, {}
        return None, body, form or {}

    async def _api(self, request: Request) -> Response:
        early, body, _ = await self._prelude(request)
        if early is not None:
            return early
        auth = request.headers.get("authorization", "")
        if not auth.startswith("Bearer "):
            return error_response(401, "No token provided")
        grant = self._access.get(auth.removeprefix("Bearer ").strip())
        if grant is None or grant.expired:
            message = "Invalid access token" if grant is None else "The access token expired"
            challenge = (f'Bearer realm="spotify", error="invalid_token", '
                         f'error_description="{message}"')
            return error_response(401, message, headers={"WWW-Authenticate": challenge})
        if not self.registered:
            return PlainTextResponse("User not registered in the Developer Dashboard", 403)
        api = str(request.base_url).rstrip("/") + "/v1"
        call = Call(self, request.method, {}, dict(request.query_params), body, api)
        return dispatch(call, request.path_params["path"].strip("/"), grant.scope)

    async def _authorize(self, request: Request) -> Response:
        early, _, _ = await self._prelude(request)
        if early is not None:
            return early
        return self.authorize_response(dict(request.query_params))

    async def _token(self, request: Request) -> Response:
        early, _, form = await self._prelude(request)
        if early is not None:
            return early
        status, payload = self.token_response(form)
        return JSONResponse(payload, status_code=status,
                            headers={"Cache-Control": "no-store", "Pragma": "no-cache"})

    # ---- a ready-made world ----------------------------------------------------------------

    @classmethod
    def with_demo_catalog(cls) -> FakeSpotify:
        """15 tracks (incl. two songs called "Hello"), albums, three playlists (one not owned),
        three liked tracks and one idle device, "Kitchen"."""
        fake = cls()
        fake.add_track("Nuvvu Nenantu", "Karthik", "Telugu Melodies")
        fake.add_album("25", "Adele", ["Hello", "Send My Love (To Your New Lover)"],
                       release_date="2015")
        fake.add_album("21", "Adele", ["Rolling in the Deep", "Someone Like You"],
                       release_date="2011")
        fake.add_album("Can't Slow Down", "Lionel Richie", ["All Night Long (All Night)", "Hello"],
                       release_date="1983")
        fake.add_album("Blur", "Blur", ["Beetlebum", "Song 2"], release_date="1997")
        fake.add_album("Parklife", "Blur", ["Parklife"], release_date="1994")
        fake.add_track("Bohemian Rhapsody", "Queen", "A Night at the Opera")
        fake.add_track("Don't Stop Me Now", "Queen", "Jazz")
        fake.add_track("Doxy", "Miles Davis", "Bags' Groove")
        fake.add_track("Blinding Lights", "The Weeknd", "After Hours")
        fake.add_track("Yellow", "Coldplay", "Parachutes")
        fake.add_playlist("Road Trip", [fake.track("Song 2"), fake.track("Don't Stop Me Now"),
                                        fake.track("Blinding Lights"), fake.track("Parklife")])
        fake.add_playlist("Chill Evening", [fake.track("Someone Like You"), fake.track("Yellow"),
                                            fake.track("Hello", "Adele")])
        fake.add_playlist("Today's Top Hits", [fake.track("Blinding Lights"),
                                               fake.track("Hello", "Adele")], owned=False)
        fake.add_liked(fake.track("Doxy"), fake.track("Yellow"), fake.track("Nuvvu Nenantu"))
        fake.add_device("Kitchen", volume=59)
        return fake
