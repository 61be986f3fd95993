"""A faithful fake SoundCloud: the sign-in host, the public API and a CDN as one ASGI app.

Served with :func:`tests.fakes.server.serve` at base URL ``B``:

* ``B`` is the API (``SAM_SOUNDCLOUD_API_URL=B``): ``/me``, ``/tracks``, ``/me/likes/tracks``...
* ``B/auth`` is the sign-in host (``SAM_SOUNDCLOUD_AUTH_URL=B/auth``): ``B/auth/authorize``,
  ``B/auth/oauth/token``, ``B/auth/sign-out``;
* ``B/cdn/...`` serves the signed audio the stream URLs redirect to (``/cdn/<urn>.mp3``, or
  ``/cdn/preview/<urn>.mp3`` for the 30-second preview).

Tests seed a catalog, mint tokens, inject one-shot failures (:meth:`FakeSoundCloud.fail_next`,
:meth:`FakeSoundCloud.rate_limit_next`), slow answers down (``latency_s``) and read the request
log (:attr:`FakeSoundCloud.requests`, :meth:`FakeSoundCloud.calls`).

Parts: ``soundcloud_auth`` (OAuth), ``soundcloud_catalog`` (entities, search, JSON shapes),
``soundcloud_api`` (endpoints and routes) and ``soundcloud_media`` (audio, signed CDN URLs).
"""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from dataclasses import dataclass
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response
from starlette.routing import Route

from tests.fakes.soundcloud_api import JSON_UTF8, Call, dispatch, error_body, rate_limit_body
from tests.fakes.soundcloud_auth import CLIENT_ID, CLIENT_SECRET, AuthMixin, s256
from tests.fakes.soundcloud_catalog import FakePlaylist, FakeTrack, FakeUser, make_id
from tests.fakes.soundcloud_media import audio_file, signature_ok

__all__ = ["CLIENT_ID", "CLIENT_SECRET", "FakeSoundCloud", "RecordedRequest", "s256"]


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    query: dict[str, str]
    authorization: str = ""
    form: dict[str, str] | None = None


@dataclass
class _Fault:
    method: str | None
    path: str | None
    status: int
    body: bytes
    headers: dict[str, str]

    def matches(self, method: str, path: str) -> bool:
        if self.method not in (None, method):
            return False
        if self.path is None:
            return not path.startswith(("/auth/", "/cdn/"))
        return path == self.path


def _full_path(path: str) -> str:
    return ("/" + path.strip("/")).rstrip("/") or "/"


def _bearer(header: str) -> str:
    """The token of an ``OAuth <t>`` or ``Bearer <t>`` header; empty for anything else."""
    scheme, _, token = header.strip().partition(" ")
    return token.strip() if scheme.lower() in ("oauth", "bearer") else ""


class FakeSoundCloud(AuthMixin):
    """State and controls of the fake; ``app`` is the ASGI application."""

    def __init__(self, *, username: str = "Sam Tester") -> None:
        super().__init__()
        self.me = FakeUser(make_id(f"user:{username}"), username, username)
        self.users: list[FakeUser] = [self.me]
        self.tracks: list[FakeTrack] = []
        self.playlists: list[FakePlaylist] = []
        self.liked: list[FakeTrack] = []
        """The user's liked tracks, newest first."""
        self.latency_s = 0.0
        self.requests: list[RecordedRequest] = []
        self.plays = 0
        self.play_limit = 15_000
        """Full-stream resolutions allowed before the ``plays`` rate limit answers 429."""
        self.cdn_ttl_s = 600.0
        self.cdn_key = secrets.token_bytes(16)
        self._faults: list[_Fault] = []
        self.app = Starlette(routes=[
            Route("/auth/authorize", self._authorize, methods=["GET"]),
            Route("/auth/oauth/token", self._token, methods=["POST"]),
            Route("/auth/sign-out", self._sign_out, methods=["POST"]),
            Route("/cdn/{path:path}", self._cdn, methods=["GET", "HEAD"]),
            Route("/{path:path}", self._api, methods=["GET", "HEAD", "POST", "PUT", "DELETE"]),
        ])

    # ---- catalog --------------------------------------------------------------------------

    def user(self, username: str) -> FakeUser:
        """The user called ``username`` (case-insensitive), created if new."""
        found = next((u for u in self.users if u.username.casefold() == username.casefold()),
                     None)
        if found is None:
            found = FakeUser(make_id(f"user:{username}"), username, username)
            self.users.append(found)
        return found

    def add_track(self, title: str, username: str, *, access: str = "playable",
                  duration_ms: int | None = None, genre: str = "", tag_list: str = "",
                  metadata_artist: str = "") -> FakeTrack:
        track_id = make_id(f"track:{username}:{title}:{len(self.tracks)}")
        track = FakeTrack(track_id, title, self.user(username), access,
                          duration_ms or 180_000 + track_id % 120_000, genre, tag_list,
                          metadata_artist)
        self.tracks.append(track)
        return track

    def add_playlist(self, title: str, tracks: list[FakeTrack], *, username: str | None = None,
                     playlist_type: str = "playlist") -> FakePlaylist:
        owner = self.user(username) if username else self.me
        playlist = FakePlaylist(make_id(f"playlist:{title}:{owner.id}"), title, owner,
                                list(tracks), playlist_type)
        self.playlists.append(playlist)
        return playlist

    def add_liked(self, *tracks: FakeTrack) -> None:
        """Like tracks (the last one given ends up first, as the newest)."""
        for track in tracks:
            if track not in self.liked:
                self.liked.insert(0, track)

    def track(self, title: str, username: str | None = None) -> FakeTrack:
        """The seeded track called ``title`` (by ``username``); KeyError if there is none."""
        for track in self.tracks:
            if track.title.casefold() == title.casefold() and (
                    username is None or track.user.username.casefold() == username.casefold()):
                return track
        raise KeyError(title)

    def playlist(self, title: str) -> FakePlaylist:
        return next(p for p in self.playlists if p.title.casefold() == title.casefold())

    def find(self, urn_or_id: str, kind: str) -> FakeTrack | FakePlaylist | FakeUser | None:
        """An entity by URN (``soundcloud:<kind>:<n>``) or by its deprecated numeric id."""
        pool: list[Any] = {"tracks": self.tracks, "playlists": self.playlists,
                           "users": self.users}[kind]
        return next((e for e in pool if urn_or_id in (e.urn, str(e.id))), None)

    # ---- fault injection and request log ---------------------------------------------------

    def fail_next(self, method: str, path: str | None, status: int, json_body: Any = None,
                  headers: dict[str, str] | None = None, text: str | None = None) -> None:
        """Answer the next ``method path`` (``/tracks/...``, ``/auth/oauth/token``; ``None``:
        any API call) with ``status``, once. Default body: SoundCloud's error object."""
        if text is not None:
            body, media = text.encode(), "text/plain; charset=utf-8"
        else:
            payload = json_body if json_body is not None else error_body(status)
            body, media = json.dumps(payload).encode(), JSON_UTF8
        self._faults.append(_Fault(method.upper(), _full_path(path) if path else None, status,
                                   body, {"content-type": media, **(headers or {})}))

    def rate_limit_next(self, method: str | None = None, path: str | None = None,
                        *, group: str = "plays") -> None:
        """Answer the next API call (or ``method path``) 429 with the spec's body; no
        ``Retry-After``, as SoundCloud sends none."""
        body = json.dumps(rate_limit_body(group, self.play_limit)).encode()
        self._faults.append(_Fault(method.upper() if method else None,
                                   _full_path(path) if path else None, 429, body,
                                   {"content-type": JSON_UTF8}))

    def calls(self, method: str, path: str) -> list[RecordedRequest]:
        wanted = _full_path(path)
        return [r for r in self.requests if r.method == method.upper() and r.path == wanted]

    # ---- ASGI handlers --------------------------------------------------------------------

    async def _prelude(self, request: Request) -> tuple[Response | None, dict[str, str]]:
        form: dict[str, str] = {}
        if request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
            form = {k: str(v) for k, v in (await request.form()).items()}
        path = _full_path(request.url.path)
        self.requests.append(RecordedRequest(
            request.method, path, dict(request.query_params),
            request.headers.get("authorization", ""), form or None))
        if self.latency_s:
            await asyncio.sleep(self.latency_s)
        fault = next((f for f in self._faults if f.matches(request.method, path)), None)
        if fault is not None:
            self._faults.remove(fault)
            return Response(fault.body, fault.status, fault.headers), form
        return None, form

    async def _api(self, request: Request) -> Response:
        early, _ = await self._prelude(request)
        if early is not None:
            return early
        authorization = request.headers.get("authorization", "")
        token = _bearer(authorization)
        call = Call(self, request.method, {}, dict(request.query_params),
                    str(request.base_url).rstrip("/"), self.access_grant(token) if token else None)
        return dispatch(call, request.path_params["path"].strip("/"), authorization)

    async def _authorize(self, request: Request) -> Response:
        early, _ = await self._prelude(request)
        return early or self.authorize_response(dict(request.query_params))

    async def _token(self, request: Request) -> Response:
        early, form = await self._prelude(request)
        if early is not None:
            return early
        status, payload = self.token_response(form, request.headers.get("authorization", ""))
        return Response(json.dumps(payload), status, {"Cache-Control": "no-store"}, JSON_UTF8)

    async def _sign_out(self, request: Request) -> Response:
        early, form = await self._prelude(request)
        if early is not None:
            return early
        token = _bearer(request.headers.get("authorization", "")) or form.get("access_token", "")
        if not self.sign_out(token):
            return Response(json.dumps(error_body(401)), 401, media_type=JSON_UTF8)
        return Response(json.dumps({"status": "200 - OK"}), 200, media_type=JSON_UTF8)

    async def _cdn(self, request: Request) -> Response:
        path = _full_path(request.url.path)
        self.requests.append(RecordedRequest(request.method, path, dict(request.query_params),
                                             request.headers.get("authorization", "")))
        name = request.path_params["path"]
        kind, _, rest = name.partition("/") if name.startswith("preview/") else ("full", "", name)
        urn = rest.removesuffix(".mp3")
        if (self.find(urn, "tracks") is None
                or not signature_ok(path, dict(request.query_params), self.cdn_key, time.time())):
            return PlainTextResponse("<Error><Code>AccessDenied</Code></Error>", 403,
                                     media_type="application/xml")
        file, media_type = await asyncio.to_thread(audio_file, kind)
        return FileResponse(file, media_type=media_type)

    # ---- a ready-made world ----------------------------------------------------------------

    @classmethod
    def with_demo_catalog(cls) -> FakeSoundCloud:
        """Ten tracks ("Nuvvu Nenantu"; "Hello" by Adele is preview-only, "Hello" by Nina Covers
        playable; one blocked), an album, two playlists of the user's, three liked tracks."""
        fake = cls()
        nuvvu = fake.add_track("Nuvvu Nenantu", "Karthik", genre="Telugu", tag_list="melody")
        vennela = fake.add_track("Vennela Raatri", "Karthik", genre="Telugu")
        fake.add_track("Hello", "Adele", access="preview", genre="Pop")
        cover = fake.add_track("Hello", "Nina Covers", genre="Pop", tag_list="cover adele")
        drive = fake.add_track("Midnight Drive", "Lo-Fi Lab", genre="Lo-Fi")
        rain = fake.add_track("Rainy Window", "Lo-Fi Lab", genre="Lo-Fi")
        sunrise = fake.add_track("Sunrise Loop", "Lo-Fi Lab", genre="Lo-Fi")
        snippet = fake.add_track("Golden Hour", "Major Label Star", access="preview", genre="Pop")
        fake.add_track("Region Locked", "Major Label Star", access="blocked", genre="Pop")
        fake.add_track("Monsoon Raga", "Anoushka Beats", genre="Electronic",
                       tag_list="raga monsoon")
        fake.add_playlist("Telugu Melodies", [nuvvu, vennela], username="Karthik",
                          playlist_type="album")
        fake.add_playlist("Late Night Lo-Fi", [drive, snippet, rain, sunrise])
        fake.add_playlist("Covers", [cover])
        fake.add_liked(snippet, drive, nuvvu)
        return fake
