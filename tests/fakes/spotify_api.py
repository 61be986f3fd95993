"""The fake Spotify's ``/v1`` building blocks and its profile, search, library and playlist
endpoints (the player lives in ``spotify_player``, the route table in ``spotify_routes``).

Handlers are plain functions of a :class:`Call`; they raise :class:`ApiError` for Spotify's
``{"error": {"status", "message"[, "reason"]}}`` answers.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from starlette.responses import JSONResponse, Response

from tests.fakes.spotify_catalog import (
    FakeTrack,
    album_json,
    artist_json,
    paging,
    playlist_json,
    search,
    track_json,
    user_json,
)

if TYPE_CHECKING:
    from tests.fakes.spotify import FakeSpotify

_URI = re.compile(
    r"^spotify:(track|album|artist|playlist|episode|show|audiobook|user):[0-9A-Za-z]+$"
)


class ApiError(Exception):
    def __init__(self, status: int, message: str, reason: str | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.reason = status, message, reason

    def response(self) -> JSONResponse:
        return error_response(self.status, self.message, self.reason)


def error_response(
    status: int, message: str, reason: str | None = None, headers: dict[str, str] | None = None
) -> JSONResponse:
    error: dict[str, Any] = {"status": status, "message": message}
    if reason:
        error["reason"] = reason
    return JSONResponse({"error": error}, status_code=status, headers=headers)


@dataclass
class Call:
    fake: FakeSpotify
    method: str
    args: dict[str, str]
    query: dict[str, str]
    body: Any
    api: str
    """Absolute base of the API, e.g. ``http://127.0.0.1:40123/v1``."""


def int_param(call: Call, name: str, default: int, low: int, high: int, message: str) -> int:
    raw = call.query.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ApiError(400, message) from None
    if not low <= value <= high:
        raise ApiError(400, message)
    return value


def no_content() -> Response:
    return Response(status_code=204)

# ---- profile and search -----------------------------------------------------------------------


def me(call: Call) -> Response:
    fake = call.fake
    return JSONResponse({**user_json(fake.user_id, fake.display_name, call.api), "images": []})


_SEARCH_TYPES = {"album", "artist", "playlist", "track", "show", "episode", "audiobook"}


def search_items(call: Call) -> Response:
    # ``query=`` is what Spotify writes into its own ``next`` links.
    q = call.query.get("q") or call.query.get("query")
    if not q:
        raise ApiError(400, "No search query")
    if not call.query.get("type"):
        raise ApiError(400, "Missing parameter type")
    kinds = call.query["type"].split(",")
    if any(kind not in _SEARCH_TYPES for kind in kinds):
        raise ApiError(400, "Bad search type field")
    limit = int_param(call, "limit", 5, 1, 10, "Invalid limit")
    offset = int_param(call, "offset", 0, 0, 1000, "Invalid offset")
    fake = call.fake
    pools: dict[str, tuple[list[Any], Callable[[Any, str], dict[str, Any]]]] = {
        "track": (fake.tracks, track_json),
        "album": (fake.albums, album_json),
        "artist": (fake.artists, lambda a, api: artist_json(a, api, full=True)),
        "playlist": (fake.playlists, playlist_json),
    }
    body = {}
    for kind in kinds:
        pool, to_json = pools.get(kind, ([], track_json))
        hits = search(pool, kind, q)
        items = [to_json(e, call.api) for e in hits[offset : offset + limit]]
        body[kind + "s"] = paging(
            f"{call.api}/search", {"query": q, "type": kind}, items, offset, limit, len(hits)
        )
    return JSONResponse(body)

# ---- library and playlists --------------------------------------------------------------------


def saved_tracks(call: Call) -> Response:
    limit = int_param(call, "limit", 20, 1, 50, "Invalid limit")
    offset = int_param(call, "offset", 0, 0, 10**5, "Invalid offset")
    liked = call.fake.liked
    items = [{"added_at": at, "track": track_json(t, call.api)} for t, at in liked[offset:][:limit]]
    return JSONResponse(paging(f"{call.api}/me/tracks", {}, items, offset, limit, len(liked)))


def _uris(call: Call) -> list[str]:
    uris = [u for u in call.query.get("uris", "").split(",") if u]
    if not uris:
        raise ApiError(400, "Missing required parameter: uris")
    if len(uris) > 40:
        raise ApiError(400, "Too many URIs requested")
    bad = next((u for u in uris if not _URI.match(u)), None)
    if bad:
        raise ApiError(400, f"Invalid URI: {bad}")
    return uris


def library_save(call: Call) -> Response:
    fake = call.fake
    for uri in _uris(call):
        found = fake.find(uri)
        if call.method == "DELETE":
            fake.liked = [(t, at) for t, at in fake.liked if t.uri != uri]
            fake.library.discard(uri)
        elif isinstance(found, FakeTrack):
            if all(t is not found for t, _ in fake.liked):
                now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
                fake.liked.insert(0, (found, now))
        else:
            fake.library.add(uri)
    return Response(status_code=200)


def library_contains(call: Call) -> Response:
    fake = call.fake
    liked = {t.uri for t, _ in fake.liked}
    return JSONResponse([u in liked or u in fake.library for u in _uris(call)])


def my_playlists(call: Call) -> Response:
    limit = int_param(call, "limit", 20, 1, 50, "Invalid limit")
    offset = int_param(call, "offset", 0, 0, 100_000, "Invalid offset")
    mine = call.fake.playlists
    items = [playlist_json(p, call.api) for p in mine[offset : offset + limit]]
    return JSONResponse(paging(f"{call.api}/me/playlists", {}, items, offset, limit, len(mine)))


def playlist_items(call: Call) -> Response:
    legacy = call.args["what"] == "tracks"
    limit = int_param(call, "limit", 20, 1, 100 if legacy else 50, "Invalid limit")
    offset = int_param(call, "offset", 0, 0, 10**5, "Invalid offset")
    playlist = call.fake.find(f"spotify:playlist:{call.args['id']}")
    if playlist is None:
        raise ApiError(404, "Resource not found")
    if not (playlist.owned or playlist.collaborative):
        raise ApiError(403, "Forbidden")
    owner = user_json(playlist.owner_id, playlist.owner_name, call.api)
    items = []
    for track in playlist.tracks[offset : offset + limit]:
        body = track_json(track, call.api)
        items.append({"added_at": "2025-01-01T12:00:00Z", "added_by": owner, "is_local": False,
                      "item": body, "track": body})
    url = f"{call.api}/playlists/{playlist.id}/{call.args['what']}"
    return JSONResponse(paging(url, {}, items, offset, limit, len(playlist.tracks)))
