"""The fake Spotify's ``/v1`` route table and the checks every API call goes through (scope,
Premium for player commands)."""

from __future__ import annotations

import re
from collections.abc import Callable

from starlette.responses import Response

from tests.fakes import spotify_api as api
from tests.fakes import spotify_player as player
from tests.fakes.spotify_api import ApiError, Call, error_response

READ_PLAYBACK = ("user-read-playback-state",)
MODIFY_PLAYBACK = ("user-modify-playback-state",)

Handler = Callable[[Call], Response]
ROUTES: list[tuple[str, re.Pattern[str], tuple[str, ...], Handler]] = [
    (m, re.compile(f"^{p}$"), scopes, h)
    for m, p, scopes, h in [
        ("GET", "me", (), api.me),
        ("GET", "search", (), api.search_items),
        ("GET", "me/player", READ_PLAYBACK, player.player_state),
        ("PUT", "me/player", MODIFY_PLAYBACK, player.transfer),
        ("GET", "me/player/devices", READ_PLAYBACK, player.devices),
        ("GET", "me/player/currently-playing",
         ("user-read-currently-playing", *READ_PLAYBACK), player.currently_playing),
        ("PUT", "me/player/play", MODIFY_PLAYBACK, player.play),
        ("PUT", "me/player/pause", MODIFY_PLAYBACK, player.pause),
        ("POST", "me/player/next", MODIFY_PLAYBACK, player.skip_next),
        ("POST", "me/player/previous", MODIFY_PLAYBACK, player.skip_previous),
        ("PUT", "me/player/seek", MODIFY_PLAYBACK, player.seek),
        ("PUT", "me/player/volume", MODIFY_PLAYBACK, player.volume),
        ("PUT", "me/player/shuffle", MODIFY_PLAYBACK, player.shuffle),
        ("PUT", "me/player/repeat", MODIFY_PLAYBACK, player.repeat),
        ("POST", "me/player/queue", MODIFY_PLAYBACK, player.add_to_queue),
        ("GET", "me/player/queue", READ_PLAYBACK, player.get_queue),
        ("GET", "me/tracks", ("user-library-read",), api.saved_tracks),
        ("PUT", "me/library", ("user-library-modify",), api.library_save),
        ("DELETE", "me/library", ("user-library-modify",), api.library_save),
        ("GET", "me/library/contains", ("user-library-read",), api.library_contains),
        ("GET", "me/playlists", ("playlist-read-private",), api.my_playlists),
        ("GET", r"playlists/(?P<id>[0-9A-Za-z]+)/(?P<what>items|tracks)",
         ("playlist-read-private",), api.playlist_items),
    ]
]


def dispatch(call: Call, path: str, scope: str) -> Response:
    """Route ``path`` (relative to ``/v1``, no slashes around it) and apply Spotify's rules."""
    matches = [(m, rx.match(path), scopes, h) for m, rx, scopes, h in ROUTES]
    matches = [entry for entry in matches if entry[1]]
    if not matches:
        return error_response(404, "Service not found")
    route = next((entry for entry in matches if entry[0] == call.method), None)
    if route is None:
        return error_response(405, "Method not allowed")
    _, match, scopes, handler = route
    if scopes and not set(scopes) & set(scope.split()):
        return error_response(403, "Insufficient client scope")
    if path.startswith("me/player") and call.method != "GET" and not call.fake.premium:
        return error_response(403, "Player command failed: Premium required", "PREMIUM_REQUIRED")
    call.args = match.groupdict() if match else {}
    try:
        return handler(call)
    except ApiError as exc:
        return exc.response()
