"""The fake SoundCloud's data: users, tracks and playlists, search matching, cursor pagination
(``linked_partitioning``) and the JSON shapes the API answers with.

Timestamps use SoundCloud's own ``yyyy/MM/dd HH:mm:ss Z`` form; objects carry ``urn`` and, as
real responses still do, the deprecated numeric ``id``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

ACCESS = ("playable", "preview", "blocked")
CREATED_AT = "2019/01/15 15:40:49 +0000"
MODIFIED_AT = "2025/03/02 09:12:31 +0000"


def make_id(seed: str) -> int:
    """A deterministic nine-digit numeric id from ``seed``."""
    return 100_000_000 + int(hashlib.sha256(seed.encode()).hexdigest(), 16) % 900_000_000


def norm(text: str) -> str:
    """Case-, accent- and punctuation-insensitive form used for matching."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(re.sub(r"[^\w]+", " ", plain).split())


def slug(text: str) -> str:
    return norm(text).replace(" ", "-") or "untitled"


@dataclass(eq=False)
class FakeUser:
    id: int
    username: str
    full_name: str = ""

    @property
    def urn(self) -> str:
        return f"soundcloud:users:{self.id}"

    @property
    def permalink(self) -> str:
        return slug(self.username)


@dataclass(eq=False)
class FakeTrack:
    id: int
    title: str
    user: FakeUser
    access: str = "playable"
    duration_ms: int = 200_000
    genre: str = ""
    tag_list: str = ""
    metadata_artist: str = ""

    @property
    def urn(self) -> str:
        return f"soundcloud:tracks:{self.id}"

    @property
    def artist(self) -> str:
        return self.metadata_artist or self.user.username


@dataclass(eq=False)
class FakePlaylist:
    id: int
    title: str
    user: FakeUser
    tracks: list[FakeTrack] = field(default_factory=list)
    playlist_type: str = "playlist"
    """``playlist`` or ``album``."""

    @property
    def urn(self) -> str:
        return f"soundcloud:playlists:{self.id}"


# ---- search ---------------------------------------------------------------------------------


def _haystack(entity: FakeTrack | FakePlaylist | FakeUser) -> str:
    if isinstance(entity, FakeUser):
        return norm(f"{entity.username} {entity.full_name}")
    extra = f"{entity.genre} {entity.tag_list} {entity.metadata_artist}" \
        if isinstance(entity, FakeTrack) else ""
    return norm(f"{entity.title} {entity.user.username} {extra}")


def search(pool: list[Any], q: str) -> list[Any]:
    """Entities matching every word of ``q``: exact titles first, then titles containing the
    query, then the rest, each in catalog order. An empty ``q`` matches everything."""
    words = norm(q).split()
    hits = [e for e in pool if all(w in _haystack(e).split() for w in words)]

    def rank(entity: Any) -> int:
        title = norm(entity.username if isinstance(entity, FakeUser) else entity.title)
        wanted = " ".join(words)
        return 0 if title == wanted else 1 if wanted and wanted in title else 2

    return sorted(hits, key=rank)


# ---- pagination -----------------------------------------------------------------------------


class BadCursor(ValueError):
    pass


def encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"o:{offset}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        kind, _, number = raw.partition(":")
        if kind != "o":
            raise BadCursor(cursor)
        return int(number)
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise BadCursor(cursor) from exc


def page(items: list[dict[str, Any]], url: str, query: dict[str, str], offset: int,
         limit: int, linked: bool) -> Any:
    """One page: ``{"collection", "next_href"}`` with ``linked_partitioning``, else the bare
    (deprecated) array. ``next_href`` is absolute and only present when more items remain."""
    chunk = items[offset:offset + limit]
    if not linked:
        return chunk
    body: dict[str, Any] = {"collection": chunk}
    if offset + limit < len(items):
        params = {k: v for k, v in query.items() if k not in ("cursor", "offset")}
        params |= {"limit": str(limit), "linked_partitioning": "true",
                   "cursor": encode_cursor(offset + limit)}
        body["next_href"] = f"{url}?{urlencode(params)}"
    return body


# ---- JSON shapes ----------------------------------------------------------------------------


def user_json(user: FakeUser, api: str) -> dict[str, Any]:
    first, _, last = user.full_name.partition(" ")
    return {
        "kind": "user", "urn": user.urn, "id": user.id, "username": user.username,
        "permalink": user.permalink, "permalink_url": f"https://soundcloud.com/{user.permalink}",
        "uri": f"{api}/users/{user.urn}",
        "avatar_url": f"https://i1.sndcdn.com/avatars-{user.id}-large.jpg",
        "full_name": user.full_name, "first_name": first, "last_name": last,
        "city": "", "country": "", "description": "", "followers_count": 1200,
        "followings_count": 80, "track_count": 12, "playlist_count": 2,
        "public_favorites_count": 40, "reposts_count": 3, "plan": "Free",
        "created_at": CREATED_AT, "last_modified": MODIFIED_AT,
    }


def me_json(user: FakeUser, api: str, liked: int) -> dict[str, Any]:
    return {**user_json(user, api), "likes_count": liked, "locale": "", "online": False,
            "primary_email_confirmed": True, "private_playlists_count": 0,
            "private_tracks_count": 0, "comments_count": 0, "upload_seconds_left": 10_800,
            "quota": {"unlimited_upload_quota": False, "upload_seconds_used": 0,
                      "upload_seconds_left": 10_800}}


def track_json(track: FakeTrack, api: str, *, liked: bool = False) -> dict[str, Any]:
    body: dict[str, Any] = {
        "kind": "track", "urn": track.urn, "id": track.id, "title": track.title,
        "duration": track.duration_ms, "access": track.access,
        "streamable": track.access != "blocked", "downloadable": False, "download_url": None,
        "permalink_url": f"https://soundcloud.com/{track.user.permalink}/{slug(track.title)}",
        "artwork_url": f"https://i1.sndcdn.com/artworks-{track.id}-large.jpg",
        "waveform_url": f"https://wave.sndcdn.com/{track.id}_m.png",
        "genre": track.genre, "tag_list": track.tag_list, "description": "",
        "created_at": CREATED_AT, "release_year": 2019, "sharing": "public",
        "license": "all-rights-reserved", "commentable": True, "comment_count": 4,
        "playback_count": 10_000 + track.id % 5_000, "favoritings_count": 300,
        "reposts_count": 12, "download_count": 0, "user_favorite": liked,
        "user_playback_count": 0, "reveal_stats": True, "reveal_comments": True,
        "uri": f"{api}/tracks/{track.urn}", "stream_url": f"{api}/tracks/{track.urn}/stream",
        "user": user_json(track.user, api),
    }
    if track.metadata_artist:
        body["metadata_artist"] = track.metadata_artist
    return body


def playlist_json(playlist: FakePlaylist, api: str, *, show_tracks: bool = True,
                  access: tuple[str, ...] = ACCESS) -> dict[str, Any]:
    body: dict[str, Any] = {
        "kind": "playlist", "urn": playlist.urn, "id": playlist.id, "title": playlist.title,
        "playlist_type": playlist.playlist_type, "type": playlist.playlist_type,
        "user": user_json(playlist.user, api), "user_urn": playlist.user.urn,
        "track_count": len(playlist.tracks),
        "duration": sum(t.duration_ms for t in playlist.tracks),
        "permalink": slug(playlist.title),
        "permalink_url": f"https://soundcloud.com/{playlist.user.permalink}/sets/"
                         f"{slug(playlist.title)}",
        "artwork_url": f"https://i1.sndcdn.com/artworks-{playlist.id}-large.jpg",
        "uri": f"{api}/playlists/{playlist.urn}",
        "tracks_uri": f"{api}/playlists/{playlist.urn}/tracks",
        "created_at": CREATED_AT, "last_modified": MODIFIED_AT, "sharing": "public",
        "streamable": True, "downloadable": False, "embeddable_by": "all", "genre": "",
        "tag_list": "", "tags": None, "license": "all-rights-reserved", "likes_count": 21,
        "description": "",
    }
    if show_tracks:
        body["tracks"] = [track_json(t, api) for t in playlist.tracks if t.access in access]
    return body
