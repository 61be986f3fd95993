"""The fake Spotify's data: catalog entities, devices, playback state, search matching and the
JSON shapes the Web API answers with (TrackObject, SimplifiedAlbumObject, paging objects...)."""

from __future__ import annotations

import hashlib
import re
import time
import unicodedata
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def make_id(seed: str, length: int = 22) -> str:
    """A deterministic base-62 id of Spotify's length (22) from ``seed``."""
    number = int.from_bytes(hashlib.sha256(seed.encode()).digest(), "big")
    chars = []
    while len(chars) < length:
        number, rest = divmod(number, 62)
        chars.append(_BASE62[rest])
    return "".join(chars)


def norm(text: str) -> str:
    """Case-, accent- and punctuation-insensitive form used for matching."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(re.sub(r"[^\w]+", " ", plain).split())


@dataclass(eq=False)
class FakeArtist:
    id: str
    name: str

    @property
    def uri(self) -> str:
        return f"spotify:artist:{self.id}"


@dataclass(eq=False)
class FakeAlbum:
    id: str
    name: str
    artist: FakeArtist
    release_date: str = "2020"
    album_type: str = "album"
    tracks: list[FakeTrack] = field(default_factory=list)

    @property
    def uri(self) -> str:
        return f"spotify:album:{self.id}"


@dataclass(eq=False)
class FakeTrack:
    id: str
    name: str
    artists: list[FakeArtist]
    album: FakeAlbum
    duration_ms: int = 200_000
    track_number: int = 1

    @property
    def uri(self) -> str:
        return f"spotify:track:{self.id}"

    @property
    def artist(self) -> str:
        return self.artists[0].name


@dataclass(eq=False)
class FakePlaylist:
    id: str
    name: str
    owner_id: str
    owner_name: str
    tracks: list[FakeTrack]
    owned: bool = True
    collaborative: bool = False
    public: bool = True

    @property
    def uri(self) -> str:
        return f"spotify:playlist:{self.id}"


@dataclass(eq=False)
class FakeDevice:
    id: str
    name: str
    type: str = "Speaker"
    is_active: bool = False
    is_restricted: bool = False
    volume_percent: int = 50
    supports_volume: bool = True
    is_private_session: bool = False


@dataclass
class FakePlayback:
    """The user's player. ``tracks``/``index`` is the list being played (a context or ``uris``)."""

    is_playing: bool = False
    item: FakeTrack | None = None
    context_uri: str | None = None
    device: FakeDevice | None = None
    shuffle: bool = False
    repeat: str = "off"
    queue: list[FakeTrack] = field(default_factory=list)
    tracks: list[FakeTrack] = field(default_factory=list)
    index: int = 0
    position_ms: int = 0
    changed_at: float = field(default_factory=time.time)

    @property
    def volume(self) -> int | None:
        return self.device.volume_percent if self.device else None

    @property
    def progress_ms(self) -> int:
        if self.item is None:
            return 0
        elapsed = int((time.time() - self.changed_at) * 1000) if self.is_playing else 0
        return min(self.position_ms + elapsed, self.item.duration_ms)

    def touch(self, position_ms: int | None = None) -> None:
        """Record a state change; keeps the progress made so far unless told otherwise."""
        self.position_ms = self.progress_ms if position_ms is None else position_ms
        self.changed_at = time.time()


# ---- search ---------------------------------------------------------------------------------

_FILTER = re.compile(r'\b(track|artist|album|year|genre|isrc|upc|tag):("([^"]*)"|\S+)', re.I)


def parse_query(q: str) -> tuple[list[str], dict[str, str]]:
    """Free words and field filters (``artist:Blur``, ``album:"Can't Slow Down"``) of ``q``."""
    filters: dict[str, str] = {}

    def take(match: re.Match[str]) -> str:
        quoted = match.group(3)
        filters[match.group(1).lower()] = quoted if quoted is not None else match.group(2)
        return " "

    rest = _FILTER.sub(take, q)
    return norm(rest).split(), filters


def _year_ok(release_date: str, wanted: str) -> bool:
    year = release_date[:4]
    if "-" in wanted:
        low, _, high = wanted.partition("-")
        return low <= year <= high
    return year == wanted


def _rank(name: str, words: list[str]) -> int:
    wanted, have = " ".join(words), norm(name)
    if have == wanted:
        return 0
    return 1 if wanted and have.startswith(wanted) else 2


def search(entities: list[Any], kind: str, q: str) -> list[Any]:
    """Entities of one kind whose text holds every free word and that pass the filters."""
    words, filters = parse_query(q)
    found = []
    for entity in entities:
        if kind == "track":
            hay = [entity.name, *(a.name for a in entity.artists), entity.album.name]
            checks = {
                "track": [entity.name],
                "artist": [a.name for a in entity.artists],
                "album": [entity.album.name],
            }
            year = entity.album.release_date
        elif kind == "album":
            hay = [entity.name, entity.artist.name]
            checks = {"album": [entity.name], "artist": [entity.artist.name]}
            year = entity.release_date
        elif kind == "artist":
            hay, checks, year = [entity.name], {"artist": [entity.name]}, ""
        else:
            hay, checks, year = [entity.name, entity.owner_name], {}, ""
        text = norm(" ".join(hay))
        if not all(word in text for word in words):
            continue
        if any(
            key in filters and not any(norm(filters[key]) in norm(v) for v in values)
            for key, values in checks.items()
        ):
            continue
        if "year" in filters and year and not _year_ok(year, filters["year"]):
            continue
        found.append(entity)
    return sorted(found, key=lambda e: _rank(e.name, words))


# ---- JSON shapes ----------------------------------------------------------------------------


def _open(kind: str, id_: str) -> dict[str, str]:
    return {"spotify": f"https://open.spotify.com/{kind}/{id_}"}


def artist_json(artist: FakeArtist, api: str, *, full: bool = False) -> dict[str, Any]:
    body: dict[str, Any] = {
        "external_urls": _open("artist", artist.id),
        "href": f"{api}/artists/{artist.id}",
        "id": artist.id,
        "name": artist.name,
        "type": "artist",
        "uri": artist.uri,
    }
    if full:
        body["images"] = []
    return body


def album_json(album: FakeAlbum, api: str) -> dict[str, Any]:
    return {
        "album_type": album.album_type,
        "total_tracks": len(album.tracks),
        # Removed for Development-Mode apps in 2026 but still required by the schema: always empty.
        "available_markets": [],
        "external_urls": _open("album", album.id),
        "href": f"{api}/albums/{album.id}",
        "id": album.id,
        "images": [{"url": f"https://i.scdn.co/image/{album.id}", "height": 640, "width": 640}],
        "name": album.name,
        "release_date": album.release_date,
        "release_date_precision": "year" if len(album.release_date) == 4 else "day",
        "type": "album",
        "uri": album.uri,
        "artists": [artist_json(album.artist, api)],
    }


def track_json(track: FakeTrack, api: str) -> dict[str, Any]:
    return {
        "album": album_json(track.album, api),
        "artists": [artist_json(a, api) for a in track.artists],
        "disc_number": 1,
        "duration_ms": track.duration_ms,
        "explicit": False,
        "external_ids": {"isrc": f"QZ{track.id[:10].upper()}"},
        "external_urls": _open("track", track.id),
        "href": f"{api}/tracks/{track.id}",
        "id": track.id,
        "is_local": False,
        "is_playable": True,
        "name": track.name,
        "track_number": track.track_number,
        "type": "track",
        "uri": track.uri,
    }


def user_json(user_id: str, display_name: str, api: str) -> dict[str, Any]:
    return {
        "display_name": display_name,
        "external_urls": _open("user", user_id),
        "href": f"{api}/users/{user_id}",
        "id": user_id,
        "type": "user",
        "uri": f"spotify:user:{user_id}",
    }


def playlist_json(playlist: FakePlaylist, api: str) -> dict[str, Any]:
    items_ref = {"href": f"{api}/playlists/{playlist.id}/items", "total": len(playlist.tracks)}
    return {
        "collaborative": playlist.collaborative,
        "description": "",
        "external_urls": _open("playlist", playlist.id),
        "href": f"{api}/playlists/{playlist.id}",
        "id": playlist.id,
        "images": [],
        "name": playlist.name,
        "owner": user_json(playlist.owner_id, playlist.owner_name, api),
        "public": playlist.public,
        # Like Spotify's, it changes whenever the items change (added, removed or reordered).
        "snapshot_id": make_id(
            f"snapshot:{playlist.id}:{','.join(t.id for t in playlist.tracks)}", 32),
        "items": items_ref,
        "tracks": {**items_ref, "href": f"{api}/playlists/{playlist.id}/tracks"},
        "type": "playlist",
        "uri": playlist.uri,
    }


def device_json(device: FakeDevice) -> dict[str, Any]:
    return {
        "id": device.id,
        "is_active": device.is_active,
        "is_private_session": device.is_private_session,
        "is_restricted": device.is_restricted,
        "name": device.name,
        "type": device.type,
        "volume_percent": device.volume_percent,
        "supports_volume": device.supports_volume,
    }


def paging(
    url: str, query: dict[str, str], items: list[Any], offset: int, limit: int, total: int
) -> dict[str, Any]:
    """A paging object whose ``href``/``next``/``previous`` are absolute, like Spotify's."""

    def link(at: int) -> str:
        return f"{url}?{urlencode({'offset': at, 'limit': limit, **query})}"

    return {
        "href": link(offset),
        "items": items,
        "limit": limit,
        "next": link(offset + limit) if offset + limit < total else None,
        "offset": offset,
        "previous": link(max(offset - limit, 0)) if offset > 0 else None,
        "total": total,
    }
