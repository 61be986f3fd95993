"""The fake SoundCloud API's endpoints and route table.

Handlers are plain functions of a :class:`Call`; they raise :class:`ApiError` for SoundCloud's
error object (``code``, ``message``, ``link``, ``status``, ``errors``, ``error``). Lists honour
``linked_partitioning`` (``collection`` + cursor ``next_href``) and ``access``; stream URLs answer
302 to a signed CDN URL with a user's or app's token, and to the preview without one.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from starlette.responses import JSONResponse, Response

from tests.fakes.soundcloud_auth import Grant
from tests.fakes.soundcloud_catalog import (
    ACCESS,
    BadCursor,
    FakePlaylist,
    FakeTrack,
    FakeUser,
    decode_cursor,
    me_json,
    page,
    playlist_json,
    search,
    track_json,
    user_json,
)
from tests.fakes.soundcloud_media import signed_url

if TYPE_CHECKING:
    from tests.fakes.soundcloud import FakeSoundCloud

JSON_UTF8 = "application/json; charset=utf-8"
LINK = "https://developers.soundcloud.com/docs/api/explorer/open-api"
RATE_LINK = "https://developers.soundcloud.com/docs/api/rate-limits#errors"
NO_HEADER = ("A request must contain the Authorization header. For details please refer to "
             "https://developers.soundcloud.com/blog/security-updates-api.")
QUALITIES = ("hls_aac_160", "hls_aac_96", "preview_mp3_128")


class ApiError(Exception):
    def __init__(self, status: int, message: str = "") -> None:
        super().__init__(message)
        self.status, self.message = status, message


def error_body(status: int, message: str = "", **extra: Any) -> dict[str, Any]:
    return {"code": status, "message": message, "link": LINK,
            "status": f"{status} - {HTTPStatus(status).phrase}",
            "errors": [{"error_message": message}] if message else [], "error": None, **extra}


def rate_limit_body(group: str = "plays", limit: int = 15_000) -> dict[str, Any]:
    reset = time.strftime("%Y/%m/%d %H:%M:%S +0000", time.gmtime(time.time() + 86_400))
    meta = {"rate_limit": {"group": group, "max_nr_of_requests": limit, "time_window": "PT24H"},
            "remaining_requests": 0, "reset_time": reset}
    return {**error_body(429, "Too Many Requests"), "link": RATE_LINK,
            "spam_warning_urn": "soundcloud:spam-warnings:1", "errors": [{"meta": meta}]}


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return JSONResponse(body, status, headers, media_type=JSON_UTF8)


def error_response(status: int, message: str = "") -> Response:
    return json_response(error_body(status, message), status)


def found(location: str) -> Response:
    return json_response({"status": "302 - Found", "location": location}, 302,
                         {"Location": location})


@dataclass
class Call:
    fake: FakeSoundCloud
    method: str
    args: dict[str, str]
    query: dict[str, str]
    api: str
    """Absolute base of the API, e.g. ``http://127.0.0.1:40123``."""
    grant: Grant | None

    def limit(self, default: int = 50) -> int:
        raw = self.query.get("limit", str(default))
        if not raw.isdigit() or not 1 <= int(raw) <= 200:
            raise ApiError(400, "limit must be an integer between 1 and 200")
        return int(raw)

    def offset(self) -> int:
        try:
            if "cursor" in self.query:
                return decode_cursor(self.query["cursor"])
            return max(0, int(self.query.get("offset", "0")))
        except (BadCursor, ValueError):
            raise ApiError(400, "invalid cursor") from None

    def access(self, default: tuple[str, ...] = ("playable", "preview")) -> tuple[str, ...]:
        raw = self.query.get("access")
        values = tuple(v for v in raw.split(",") if v) if raw else default
        if not values or any(v not in ACCESS for v in values):
            raise ApiError(400, f"access must be a list of {', '.join(ACCESS)}")
        return values

    def listing(self, path: str, items: list[dict[str, Any]], default_limit: int = 50) -> Response:
        linked = self.query.get("linked_partitioning", "").lower() in ("true", "1")
        return json_response(page(items, f"{self.api}{path}", self.query, self.offset(),
                                  self.limit(default_limit), linked))

    def track(self) -> FakeTrack:
        found_ = self.fake.find(self.args["urn"], "tracks")
        if not isinstance(found_, FakeTrack):
            raise ApiError(404, "404 - Not Found")
        return found_

    def playlist(self) -> FakePlaylist:
        found_ = self.fake.find(self.args["urn"], "playlists")
        if not isinstance(found_, FakePlaylist):
            raise ApiError(404, "404 - Not Found")
        return found_


def stream_id(track: FakeTrack, quality: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{track.urn}/{quality}"))


# ---- handlers -----------------------------------------------------------------------------------


def me(call: Call) -> Response:
    return json_response(me_json(call.fake.me, call.api, len(call.fake.liked)))


def search_tracks(call: Call) -> Response:
    access = call.access()
    pool = [t for t in call.fake.tracks if t.access in access]
    if call.query.get("urns"):
        wanted = call.query["urns"].split(",")
        pool = [t for t in pool if t.urn in wanted or str(t.id) in wanted]
    if call.query.get("genres"):
        genres = {g.strip().casefold() for g in call.query["genres"].split(",")}
        pool = [t for t in pool if t.genre.casefold() in genres]
    liked = set(map(id, call.fake.liked))
    hits = [track_json(t, call.api, liked=id(t) in liked)
            for t in search(pool, call.query.get("q", ""))]
    return call.listing("/tracks", hits)


def get_track(call: Call) -> Response:
    track = call.track()
    return json_response(track_json(track, call.api, liked=track in call.fake.liked))


def streams(call: Call) -> Response:
    track = call.track()
    if track.access == "blocked":
        raise ApiError(403, "This track is not available in your country")
    prefix = f"{call.api}/tracks/{track.urn}/streams"
    body = {"preview_mp3_128_url": f"{prefix}/{stream_id(track, 'preview_mp3_128')}/preview"}
    if track.access == "playable":
        body = {"hls_aac_160_url": f"{prefix}/{stream_id(track, 'hls_aac_160')}/hls",
                "hls_aac_96_url": f"{prefix}/{stream_id(track, 'hls_aac_96')}/hls", **body}
    return json_response(body)


def _cdn(call: Call, track: FakeTrack, preview: bool) -> Response:
    fake = call.fake
    path = f"/cdn/preview/{track.urn}.mp3" if preview else f"/cdn/{track.urn}.mp3"
    return found(signed_url(call.api, path, fake.cdn_key, int(time.time() + fake.cdn_ttl_s)))


def stream_redirect(call: Call) -> Response:
    track = call.track()
    quality = next((q for q in QUALITIES if stream_id(track, q) == call.args["sid"]), None)
    if quality is None or track.access == "blocked":
        raise ApiError(404, "404 - Not Found")
    if quality == "preview_mp3_128" or call.grant is None or track.access != "playable":
        return _cdn(call, track, preview=True)
    fake = call.fake
    if fake.plays >= fake.play_limit:
        return json_response(rate_limit_body("plays", fake.play_limit), 429)
    fake.plays += 1
    return _cdn(call, track, preview=False)


def preview(call: Call) -> Response:
    track = call.track()
    if track.access == "blocked":
        raise ApiError(404, "404 - Not Found")
    return _cdn(call, track, preview=True)


def liked_tracks(call: Call) -> Response:
    access = call.access(ACCESS)
    items = [track_json(t, call.api, liked=True) for t in call.fake.liked if t.access in access]
    return call.listing("/me/likes/tracks", items)


def _show_tracks(call: Call) -> bool:
    return call.query.get("show_tracks", "true").lower() not in ("false", "0")


def my_playlists(call: Call) -> Response:
    mine = [p for p in call.fake.playlists if p.user is call.fake.me]
    show = _show_tracks(call)
    return call.listing("/me/playlists", [playlist_json(p, call.api, show_tracks=show)
                                          for p in mine])


def search_playlists(call: Call) -> Response:
    access, show = call.access(), _show_tracks(call)
    hits = search(call.fake.playlists, call.query.get("q", ""))
    return call.listing("/playlists", [playlist_json(p, call.api, show_tracks=show,
                                                     access=access) for p in hits])


def get_playlist(call: Call) -> Response:
    return json_response(playlist_json(call.playlist(), call.api,
                                       show_tracks=_show_tracks(call)))


def playlist_tracks(call: Call) -> Response:
    playlist, access = call.playlist(), call.access()
    items = [track_json(t, call.api) for t in playlist.tracks if t.access in access]
    return call.listing(f"/playlists/{playlist.urn}/tracks", items)


def search_users(call: Call) -> Response:
    hits = search(call.fake.users, call.query.get("q", ""))
    return call.listing("/users", [user_json(u, call.api) for u in hits])


def user_tracks(call: Call) -> Response:
    user = call.fake.find(call.args["urn"], "users")
    if not isinstance(user, FakeUser):
        raise ApiError(404, "404 - Not Found")
    access = call.access()
    items = [track_json(t, call.api) for t in call.fake.tracks
             if t.user is user and t.access in access]
    return call.listing(f"/users/{user.urn}/tracks", items)


def like(call: Call) -> Response:
    track, liked = call.track(), call.fake.liked
    if call.method == "DELETE":
        if track in liked:
            liked.remove(track)
    elif track not in liked:
        liked.insert(0, track)
    return json_response({"status": "200 - OK"})


# ---- routes -------------------------------------------------------------------------------------

Handler = Callable[[Call], Response]
_URN = {kind: rf"(?P<urn>soundcloud:{kind}:\d+|\d+)" for kind in ("tracks", "playlists", "users")}
OPEN, APP, USER = "open", "app", "user"
"""Who may call: anyone (stream URLs fall back to previews), any token, a user's token."""
ROUTES: list[tuple[tuple[str, ...], re.Pattern[str], str, Handler]] = [
    (methods, re.compile(f"^{pattern}$"), who, handler)
    for methods, pattern, who, handler in [
        (("GET",), "me", USER, me),
        (("GET",), "me/likes/tracks", USER, liked_tracks),
        (("GET",), "me/playlists", USER, my_playlists),
        (("GET",), "tracks", APP, search_tracks),
        (("GET",), f"tracks/{_URN['tracks']}", APP, get_track),
        (("GET",), f"tracks/{_URN['tracks']}/streams", APP, streams),
        (("GET", "HEAD"), f"tracks/{_URN['tracks']}/streams/(?P<sid>[0-9a-f-]+)/(hls|preview)",
         OPEN, stream_redirect),
        (("GET", "HEAD"), f"tracks/{_URN['tracks']}/preview", OPEN, preview),
        (("GET",), "playlists", APP, search_playlists),
        (("GET",), f"playlists/{_URN['playlists']}", APP, get_playlist),
        (("GET",), f"playlists/{_URN['playlists']}/tracks", APP, playlist_tracks),
        (("GET",), "users", APP, search_users),
        (("GET",), f"users/{_URN['users']}/tracks", APP, user_tracks),
        (("POST", "DELETE"), f"likes/tracks/{_URN['tracks']}", USER, like),
    ]
]


def dispatch(call: Call, path: str, authorization: str) -> Response:
    """Route ``path`` (no slashes around it) and apply the Authorization rules."""
    matches = [(methods, rx.match(path), who, h) for methods, rx, who, h in ROUTES]
    matches = [entry for entry in matches if entry[1]]
    if not matches:
        return error_response(404, "404 - Not Found")
    route = next((entry for entry in matches if call.method in entry[0]), None)
    if route is None:
        return error_response(405, "405 - Method Not Allowed")
    _, match, who, handler = route
    if who != OPEN:
        if not authorization:
            return error_response(401, NO_HEADER)
        if call.grant is None or (who == USER and not call.grant.user):
            return error_response(401)
    call.args = match.groupdict() if match else {}
    try:
        return handler(call)
    except ApiError as exc:
        return error_response(exc.status, exc.message)
