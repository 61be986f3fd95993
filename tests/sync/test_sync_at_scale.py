"""The library sync at scale: 10,000 liked tracks and 50 owned playlists of 20-100 items in the
fake Spotify over real HTTP, read through the real SpotifyAdapter into a real SQLite file.

A full sync stores exactly what the fake holds. A sync stopped half-way (a request failing in
the middle of the liked pages; the ``sam-edge sync`` process killed with SIGKILL between two
pages of a playlist) and then run again ends with the same rows as an uninterrupted sync, having
re-read only what was not yet stored. A re-sync of an unchanged library makes three requests.

The uninterrupted sync runs once per module (:func:`reference`); the other tests compare with
its rows.
"""

from __future__ import annotations

import asyncio
import math
import os
import random
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from pathlib import Path

import pytest

from sam_edge.accounts.store import DbTokenStore
from sam_edge.clock import ManualClock
from sam_edge.platforms.spotify.adapter import SpotifyAdapter
from sam_edge.sync.service import SyncProgress
from tests.fakes.server import serve
from tests.fakes.spotify import CLIENT_ID, FakeSpotify, RecordedRequest
from tests.fakes.spotify_catalog import FakeAlbum, FakeArtist, FakePlaylist, FakeTrack, make_id
from tests.sync import scale
from tests.sync.conftest import World, pair
from tests.sync.scale import (
    LIKED,
    PLAYLISTS,
    REPO,
    WORDS,
    Reference,
    Rows,
    TrackRow,
    artist_names,
    item_counts,
    kill_at,
    reference_sync,
    settled,
    stamp,
    stored_item_counts,
    stored_rows,
    unique_titles,
)

PAGE = 50
"""What the sync asks for per page of liked tracks, playlists and playlist items."""
NEWEST = 1_767_225_600
"""2026-01-01T00:00:00Z: when the newest liked track was added."""









def big_library(liked: int = LIKED, playlists: int = PLAYLISTS, *,
                seed: int = 2026) -> FakeSpotify:
    """A fake Spotify whose user liked ``liked`` tracks (one every 10 minutes, newest at
    :data:`NEWEST`) and owns ``playlists`` playlists of 20-100 items: half liked tracks, half
    tracks found only there; every tenth holds one track twice and every seventh shares a track
    with the one before.

    The same arguments give the same catalog (ids, titles, snapshots) in every process. Entities
    are built directly rather than through ``add_track``, whose lookups are linear."""
    rng = random.Random(seed)
    fake = FakeSpotify()
    artists = [FakeArtist(make_id(f"artist:{name}"), name)
               for name in artist_names(rng, max(1, liked // 12))]
    albums = [FakeAlbum(make_id(f"album:{i}"), f"{rng.choice(WORDS).title()} Sessions {i}",
                        rng.choice(artists), str(1970 + i % 56))
              for i in range(max(1, liked // 8))]
    titles = unique_titles(rng)

    def new_track() -> FakeTrack:
        album = rng.choice(albums)
        track = FakeTrack(make_id(f"track:{len(fake.tracks)}"), next(titles), [album.artist],
                          album, rng.randint(90_000, 420_000), len(album.tracks) + 1)
        album.tracks.append(track)
        fake.tracks.append(track)
        return track

    saved = [new_track() for _ in range(liked)]
    fake.liked = [(track, stamp(NEWEST - i * 600)) for i, track in enumerate(saved)]
    only: list[FakeTrack] = []
    for p in range(playlists):
        size = rng.randint(20, 100)
        own = [new_track() for _ in range(size - size // 2)]
        chosen = rng.sample(saved, size // 2) + own
        rng.shuffle(chosen)
        if p % 10 == 0:
            chosen[-1] = chosen[0]
        if p % 7 == 0 and only:
            chosen[1] = only[-1]
        only = own
        fake.playlists.append(FakePlaylist(
            make_id(f"playlist:{p}"), f"{rng.choice(WORDS).title()} Mix {p:02d}",
            fake.user_id, fake.display_name, chosen))
    fake.artists.extend(artists)
    fake.albums.extend(albums)
    return fake


# ---- rows -------------------------------------------------------------------------------------





def expected_rows(fake: FakeSpotify) -> Rows:
    """What a complete sync of ``fake`` must store."""
    liked = {t.uri for t, _ in fake.liked}
    tracks: dict[str, TrackRow] = {}
    for track, at in fake.liked:
        tracks[track.uri] = (track.uri, track.name, track.artist, track.album.name,
                             track.duration_ms, True,
                             datetime.fromisoformat(at.replace("Z", "+00:00")).timestamp())
    for playlist in fake.playlists:
        for track in playlist.tracks:
            if track.uri not in liked:
                tracks[track.uri] = (track.uri, track.name, track.artist, track.album.name,
                                     track.duration_ms, False, None)
    return Rows(
        frozenset(tracks.values()),
        frozenset((p.uri, p.name, p.owner_name, len(p.tracks), True, "")
                  for p in fake.playlists),
        frozenset((p.uri, i, t.uri) for p in fake.playlists for i, t in enumerate(p.tracks)))










def item_pages(fake: FakeSpotify) -> int:
    return sum(math.ceil(len(p.tracks) / PAGE) for p in fake.playlists)


def liked_offsets(requests: list[RecordedRequest]) -> list[tuple[str | None, str | None]]:
    """(offset, limit) of each ``GET /me/tracks`` in ``requests``."""
    return [(r.query.get("offset"), r.query.get("limit")) for r in requests
            if r.path == "/v1/me/tracks"]


def pages_from(start: int) -> list[tuple[str | None, str | None]]:
    return [(str(at), str(PAGE)) for at in range(start, LIKED, PAGE)]


def items_requests(fake: FakeSpotify,
                   requests: list[RecordedRequest]) -> dict[str, list[str | None]]:
    """The item-page offsets read per playlist name."""
    by_id = {p.id: p.name for p in fake.playlists}
    read: dict[str, list[str | None]] = {}
    for r in requests:
        parts = r.path.split("/")
        if len(parts) == 5 and parts[2] == "playlists" and parts[4] == "items":
            read.setdefault(by_id[parts[3]], []).append(r.query.get("offset"))
    return read


def all_item_offsets(playlists: list[FakePlaylist]) -> dict[str, list[str | None]]:
    return {p.name: [str(at) for at in range(0, len(p.tracks), PAGE)] for p in playlists}


# ---- worlds -----------------------------------------------------------------------------------


def scale_env(data: Path, url: str) -> dict[str, str]:
    return {"SAM_DATA_DIR": str(data), "SAM_MUSIC_DIR": str(data / "music"),
            "SAM_CONFIG": str(data / "absent.toml"), "SAM_SPOTIFY_CLIENT_ID": CLIENT_ID,
            "SAM_SPOTIFY_API_URL": f"{url}/v1", "SAM_SPOTIFY_ACCOUNTS_URL": url,
            "SAM_SPOTIFY_TIMEOUT_S": "10"}


def open_world(fake: FakeSpotify, url: str, data: Path) -> AbstractAsyncContextManager[World]:
    """A paired SpotifyAdapter and a sync service on the SQLite file in ``data``."""

    async def paired(tokens: DbTokenStore, _clock: ManualClock) -> None:
        await pair(tokens, fake)

    return scale.open_world(fake, data, scale_env(data, url), platform="spotify",
                            adapter=lambda cfg, tokens, _clock: SpotifyAdapter(cfg.spotify,
                                                                               tokens),
                            pair=paired)


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Reference]:
    fake = big_library()
    data = tmp_path_factory.mktemp("reference") / "data"
    yield reference_sync(fake, data, lambda url, at: open_world(fake, url, at), "spotify",
                         expected_rows(fake))


@pytest.fixture
def served() -> Iterator[tuple[FakeSpotify, str]]:
    fake = big_library()
    with serve(fake.app) as url:
        yield fake, url


# ---- tests ------------------------------------------------------------------------------------


def test_a_full_sync_stores_every_liked_track_and_playlist_item(reference: Reference) -> None:
    summary, fake = reference.summary, reference.fake
    expected = reference.expected
    assert summary.ok, summary.error
    assert (summary.liked, summary.playlists, summary.skipped, summary.items) == (
        LIKED, PLAYLISTS, 0, len(expected.items))
    assert summary.added == len(expected.tracks) + PLAYLISTS
    assert sum(liked for _, liked in reference.rows.liked()) == LIKED
    assert reference.rows == expected
    # Every page once: the liked summary, 200 liked pages, the user, one page of playlists,
    # then each playlist's item pages (two for those of more than 50 items).
    made = reference.requests
    # Liked pages are read several at once: their order of arrival is not fixed.
    assert sorted(liked_offsets(made)) == sorted([("0", "1"), *pages_from(0)])
    assert [r.path for r in made if not r.path.startswith(("/v1/me/tracks", "/v1/playlists/"))
            ] == ["/v1/me", "/v1/me/playlists"]
    assert items_requests(fake, made) == all_item_offsets(fake.playlists)
    assert len(made) == 1 + LIKED // PAGE + 2 + item_pages(fake)


async def test_a_request_failing_half_way_through_the_liked_pages_resumes_there(
        served: tuple[FakeSpotify, str], tmp_path: Path, reference: Reference) -> None:
    fake, url = served
    half = LIKED // 2

    failing: list[int] = []

    def fail_the_next_page(event: SyncProgress) -> None:
        if event.phase == "liked" and event.done >= half and not failing:
            failing.append(event.done)
            fake.fail_next("GET", "me/tracks", 500)

    async with open_world(fake, url, tmp_path / "data") as world:
        [failed] = await world.service.sync(progress=fail_the_next_page)
        assert failed.status == "failed", failed
        # Pages are read ahead, several at once: the one that failed is the first answered
        # after the fault was set, and every page before it was stored.
        stored = world.count("SELECT count(*) FROM library_tracks WHERE liked")
        assert half <= stored < LIKED and stored % PAGE == 0
        assert world.count("SELECT count(*) FROM library_playlists") == 0
        before = len(fake.requests)
        [resumed] = await world.service.sync()
        assert resumed.ok and resumed.resumed, resumed
        made = fake.requests[before:]
        # The summary, then only the pages that were never stored (a set: under a heavily
        # loaded machine a GET that timed out is sent again, which is not a page re-read).
        assert set(liked_offsets(made)) == {("0", "1"), *pages_from(stored)}
        assert items_requests(fake, made) == all_item_offsets(fake.playlists)
        assert stored_rows(world.settings.database_path) == reference.rows
        assert (resumed.liked, resumed.playlists, resumed.items) == (
            reference.summary.liked, reference.summary.playlists, reference.summary.items)
        assert resumed.added == reference.summary.added  # counted once across both attempts
        assert world.rows("SELECT status FROM sync_runs") == [("ok",)]








async def test_a_killed_sam_edge_sync_resumes_without_the_half_read_playlist(
        served: tuple[FakeSpotify, str], tmp_path: Path, reference: Reference) -> None:
    fake, url = served
    data = tmp_path / "data"
    # Killed between the two item pages of a long playlist past the middle of the list.
    at = next(i for i, p in enumerate(fake.playlists) if i >= PLAYLISTS // 2 and
              len(p.tracks) > PAGE)
    target, warning = fake.playlists[at], fake.playlists[at - 2]
    async with open_world(fake, url, data) as world:
        env = {**os.environ, **scale_env(data, url)}
        proc = subprocess.Popen([sys.executable, "-m", "sam_edge.cli", "sync"], env=env,
                                cwd=REPO, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        await asyncio.to_thread(
            kill_at, proc, fake.requests,
            lambda r: r.path == f"/v1/playlists/{warning.id}/items",
            lambda r: (r.path, r.query.get("offset")) == (
                f"/v1/playlists/{target.id}/items", str(PAGE)),
            lambda seconds: setattr(fake, "latency_s", seconds))
        database = world.settings.database_path
        assert world.rows("SELECT status FROM sync_runs") == [("running",)]
        assert world.count("SELECT count(*) FROM library_tracks WHERE liked") == LIKED
        # Playlists are read several at once and stored in their order: what is stored is the
        # first few, each complete, and never the half-read one.
        done = len(stored_item_counts(database))
        assert done <= at
        assert stored_item_counts(database) == item_counts(
            reference.rows, [p.uri for p in fake.playlists[:done]])
        # The killed process's last requests (read ahead, several at once) may still be in the
        # slowed server's hands: let them land before counting the resumed sync's own.
        before = await settled(fake.requests)
        [resumed] = await world.new_service().sync()
        assert resumed.ok and resumed.resumed, resumed
        made = fake.requests[before:]
        assert liked_offsets(made) == []  # the liked phase had been committed as done
        assert items_requests(fake, made) == all_item_offsets(fake.playlists[done:])
        assert stored_rows(database) == reference.rows
        assert world.rows("SELECT status FROM sync_runs") == [("ok",)]


async def test_an_unchanged_library_resyncs_with_three_requests(
        served: tuple[FakeSpotify, str], tmp_path: Path, reference: Reference) -> None:
    fake, url = served
    data = tmp_path / "data"
    shutil.copytree(reference.data, data)
    async with open_world(fake, url, data) as world:
        before = len(fake.requests)
        [again] = await world.service.sync()
        assert again.ok, again.error
        made = [(r.method, r.path, r.query) for r in fake.requests[before:]]
        # The liked summary (total and newest added_at are unchanged, so no liked page), the
        # user id (to tell owned playlists), then one page per 50 playlists, whose snapshots
        # are unchanged, so no item page.
        assert made == [
            ("GET", "/v1/me/tracks", {"limit": "1", "offset": "0"}),
            ("GET", "/v1/me", {}),
            *[("GET", "/v1/me/playlists", {"limit": str(PAGE), "offset": str(at)})
              for at in range(0, PLAYLISTS, PAGE)],
        ]
        assert (again.liked, again.playlists, again.items) == (
            reference.summary.liked, reference.summary.playlists, reference.summary.items)
        assert (again.added, again.updated, again.removed) == (0, 0, 0)
        assert stored_rows(world.settings.database_path) == reference.rows


