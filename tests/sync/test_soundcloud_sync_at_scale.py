"""The SoundCloud library sync at scale: 10,000 playable liked tracks (plus preview-only and
blocked ones) and 50 playlists of the user's in the fake SoundCloud over real HTTP, read
through the real SoundCloudAdapter into a real SQLite file.

The same checks as for Spotify (:mod:`.test_sync_at_scale`): a full sync stores exactly the
playable tracks the fake holds; a sync stopped half-way (a request failing in the middle of the
liked pages; the ``sam-edge sync`` process killed with SIGKILL between the two pages of a long
playlist) and run again ends with the rows of an uninterrupted sync, having re-read only what
was not yet stored; a re-sync of an unchanged library makes three requests.

The fake builds the JSON of every like for each page of likes; the tests memoize its
``track_json`` (same answers, less of the fake's own CPU) to stay quick.
"""

from __future__ import annotations

import asyncio
import functools
import math
import os
import random
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import AbstractAsyncContextManager, contextmanager
from pathlib import Path

import pytest

from sam_edge.accounts.store import DbTokenStore
from sam_edge.accounts.tokens import TokenSet
from sam_edge.clock import ManualClock
from sam_edge.platforms.soundcloud.adapter import SoundCloudAdapter
from sam_edge.platforms.soundcloud.library import PAGE
from sam_edge.sync.service import SyncProgress
from tests.fakes import soundcloud_api
from tests.fakes.recording import RecordingPlayer
from tests.fakes.server import serve
from tests.fakes.soundcloud import CLIENT_ID, CLIENT_SECRET, FakeSoundCloud, RecordedRequest
from tests.fakes.soundcloud_catalog import FakePlaylist, FakeTrack, FakeUser, decode_cursor
from tests.sync import scale
from tests.sync.conftest import World
from tests.sync.scale import (
    LIKED,
    PLAYLISTS,
    REPO,
    ItemRow,
    Reference,
    Rows,
    TrackRow,
    artist_names,
    item_counts,
    kill_at,
    query,
    reference_sync,
    stored_item_counts,
    stored_rows,
    unique_titles,
)

PLATFORM = "soundcloud"
LONG_AT = 30
"""The playlist of more than one page (250 items), past the middle of the list."""
LONG = 250


def big_library(liked: int = LIKED, playlists: int = PLAYLISTS, *,
                seed: int = 2026) -> FakeSoundCloud:
    """A fake SoundCloud whose user liked ``liked`` playable tracks, with one preview-only or
    blocked like among every hundred, and has ``playlists`` playlists of 20-100 items (the one
    at :data:`LONG_AT` of 250): half liked tracks, half tracks found only there, one in fifteen
    not playable; every tenth holds one track twice, every seventh shares a track with the one
    before. Ids are sequential, so the same arguments give the same catalog."""
    rng = random.Random(seed)
    fake = FakeSoundCloud()
    users = [FakeUser(200_000_000 + i, name, name)
             for i, name in enumerate(artist_names(rng, max(1, liked // 12)))]
    fake.users.extend(users)
    titles = unique_titles(rng)

    def new_track(access: str = "playable") -> FakeTrack:
        track = FakeTrack(300_000_000 + len(fake.tracks), next(titles), rng.choice(users),
                          access, rng.randint(90_000, 420_000))
        fake.tracks.append(track)
        return track

    saved = [new_track() for _ in range(liked)]
    likes = list(saved)
    for j in range(liked // 100):
        likes.insert(j * 101 + 50, new_track(rng.choice(("preview", "blocked"))))
    fake.liked = likes
    only: list[FakeTrack] = []
    for p in range(playlists):
        size = LONG if p == LONG_AT else rng.randint(20, 100)
        own = [new_track() if rng.random() > 1 / 15 else new_track("preview")
               for _ in range(size - size // 2)]
        chosen = rng.sample(saved, size // 2) + own
        rng.shuffle(chosen)
        if p % 10 == 0:
            chosen[-1] = chosen[0]
        if p % 7 == 0 and only:
            chosen[1] = only[-1]
        only = own
        fake.playlists.append(FakePlaylist(400_000_000 + p, f"{next(titles)} Mix {p:02d}",
                                           fake.me, chosen))
    return fake


def playable(tracks: list[FakeTrack]) -> list[FakeTrack]:
    return [t for t in tracks if t.access == "playable"]


def expected_rows(fake: FakeSoundCloud) -> Rows:
    """What a complete sync of ``fake`` must store: playable tracks only; a playlist's
    ``track_count`` is SoundCloud's, which counts the others too."""
    tracks: dict[str, TrackRow] = {}
    for playlist in fake.playlists:
        for t in playable(playlist.tracks):
            tracks[t.urn] = (t.urn, t.title, t.artist, "", t.duration_ms, False, None)
    for t in playable(fake.liked):
        tracks[t.urn] = (t.urn, t.title, t.artist, "", t.duration_ms, True, None)
    items: set[ItemRow] = {(p.urn, i, t.urn) for p in fake.playlists
                           for i, t in enumerate(playable(p.tracks))}
    return Rows(frozenset(tracks.values()),
                frozenset((p.urn, p.title, fake.me.username, len(p.tracks), True, "")
                          for p in fake.playlists),
                frozenset(items))


def offset(request: RecordedRequest) -> int:
    cursor = request.query.get("cursor")
    return decode_cursor(cursor) if cursor else 0


def like_offsets(requests: list[RecordedRequest]) -> list[int]:
    """Where each ``GET /me/likes/tracks`` started, among the playable likes; every one asks
    for the largest page of playable tracks."""
    found = [r for r in requests if r.path == "/me/likes/tracks"]
    assert all((r.query["limit"], r.query["access"]) == (str(PAGE), "playable") for r in found)
    return [offset(r) for r in found]


def track_pages(fake: FakeSoundCloud, requests: list[RecordedRequest]) -> dict[str, list[int]]:
    """The track-page offsets read per playlist title."""
    titles = {f"/playlists/{p.urn}/tracks": p.title for p in fake.playlists}
    read: dict[str, list[int]] = {}
    for r in requests:
        if r.path in titles:
            read.setdefault(titles[r.path], []).append(offset(r))
    return read


def all_track_pages(playlists: list[FakePlaylist]) -> dict[str, list[int]]:
    return {p.title: list(range(0, max(1, len(playable(p.tracks))), PAGE)) for p in playlists}


# ---- worlds -----------------------------------------------------------------------------------


@contextmanager
def quick_fake() -> Iterator[None]:
    """The fake's ``track_json``, memoized while the block runs: every page of likes converts
    every like."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(soundcloud_api, "track_json", functools.cache(soundcloud_api.track_json))
        yield


def sc_env(data: Path, url: str) -> dict[str, str]:
    return {"SAM_DATA_DIR": str(data), "SAM_MUSIC_DIR": str(data / "music"),
            "SAM_CONFIG": str(data / "absent.toml"), "SAM_SOUNDCLOUD_CLIENT_ID": CLIENT_ID,
            "SAM_SOUNDCLOUD_CLIENT_SECRET": CLIENT_SECRET, "SAM_SOUNDCLOUD_API_URL": url,
            "SAM_SOUNDCLOUD_AUTH_URL": f"{url}/auth", "SAM_SOUNDCLOUD_TIMEOUT_S": "10"}


def open_world(fake: FakeSoundCloud, url: str, data: Path,
               ) -> AbstractAsyncContextManager[World]:
    """A paired SoundCloudAdapter and a sync service on the SQLite file in ``data``."""

    async def paired(tokens: DbTokenStore, clock: ManualClock) -> None:
        issued = fake.issue_tokens()
        await tokens.save(PLATFORM, TokenSet(
            issued["access_token"], issued["refresh_token"], clock.now() + issued["expires_in"],
            issued["scope"], fake.me.urn, fake.me.username))

    return scale.open_world(
        fake, data, sc_env(data, url), platform=PLATFORM, pair=paired,
        adapter=lambda cfg, tokens, clock: SoundCloudAdapter(cfg.soundcloud, tokens,
                                                             RecordingPlayer(), clock=clock))


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Reference]:
    fake = big_library()
    data = tmp_path_factory.mktemp("reference") / "data"
    yield reference_sync(fake, data, lambda url, at: open_world(fake, url, at), PLATFORM,
                         expected_rows(fake), quiet=quick_fake)


@pytest.fixture
def served() -> Iterator[tuple[FakeSoundCloud, str]]:
    fake = big_library()
    with quick_fake(), serve(fake.app) as url:
        yield fake, url


# ---- tests ------------------------------------------------------------------------------------


def test_a_full_sync_stores_every_playable_liked_track_and_playlist_item(
        reference: Reference) -> None:
    summary, fake, expected = reference.summary, reference.fake, reference.expected
    assert summary.ok, summary.error
    assert len(fake.liked) > LIKED  # the preview-only and blocked likes are not kept
    assert (summary.liked, summary.playlists, summary.skipped, summary.items) == (
        LIKED, PLAYLISTS, 0, len(expected.items))
    assert sum(liked for _, liked in reference.rows.liked()) == LIKED
    assert reference.rows == expected
    # Every page once: 50 pages of likes (the first, read for the summary, is not read again),
    # /me (for likes_count), one page of playlists, one page of tracks per playlist (two for
    # the long one).
    made = reference.requests
    assert like_offsets(made) == list(range(0, LIKED, PAGE))
    assert [r.path for r in made if r.path in ("/me", "/me/playlists")] == [
        "/me", "/me/playlists"]
    assert track_pages(fake, made) == all_track_pages(fake.playlists)
    assert len(made) == math.ceil(LIKED / PAGE) + 2 + PLAYLISTS + 1


async def test_a_request_failing_half_way_through_the_likes_resumes_there(
        served: tuple[FakeSoundCloud, str], tmp_path: Path, reference: Reference) -> None:
    fake, url = served
    half = LIKED // 2

    def fail_the_next_page(event: SyncProgress) -> None:
        if event.phase == "liked" and event.done == half:
            fake.fail_next("GET", "/me/likes/tracks", 500)

    async with open_world(fake, url, tmp_path / "data") as world:
        [failed] = await world.service.sync(progress=fail_the_next_page)
        assert failed.status == "failed", failed
        assert like_offsets(fake.requests)[-1] == half
        assert world.count("SELECT count(*) FROM library_tracks WHERE liked") == half
        before = len(fake.requests)
        [resumed] = await world.service.sync()
        assert resumed.ok and resumed.resumed, resumed
        made = fake.requests[before:]
        # The first page again (the summary's fingerprint), then only the pages never stored.
        assert like_offsets(made) == [0, *range(half, LIKED, PAGE)]
        assert track_pages(fake, made) == all_track_pages(fake.playlists)
        assert stored_rows(world.database, PLATFORM) == reference.rows
        assert resumed.added == reference.summary.added  # counted once across both attempts
        assert query(world.database, "SELECT status FROM sync_runs") == [("ok",)]


async def test_a_killed_sam_edge_sync_resumes_without_the_half_read_playlist(
        served: tuple[FakeSoundCloud, str], tmp_path: Path, reference: Reference) -> None:
    fake, url = served
    data = tmp_path / "data"
    target, warning = fake.playlists[LONG_AT], fake.playlists[LONG_AT - 2]
    async with open_world(fake, url, data) as world:
        proc = subprocess.Popen([sys.executable, "-m", "sam_edge.cli", "sync"],
                                env={**os.environ, **sc_env(data, url)}, cwd=REPO,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        await asyncio.to_thread(
            kill_at, proc, fake.requests,
            lambda r: r.path == f"/playlists/{warning.urn}/tracks",
            lambda r: r.path == f"/playlists/{target.urn}/tracks" and "cursor" in r.query,
            lambda seconds: setattr(fake, "latency_s", seconds))
        assert query(world.database, "SELECT status FROM sync_runs") == [("running",)]
        assert world.count("SELECT count(*) FROM library_tracks WHERE liked") == LIKED
        # Every playlist before the half-read one is complete; that one is not stored at all.
        assert stored_item_counts(world.database, PLATFORM) == item_counts(
            reference.rows, [p.urn for p in fake.playlists[:LONG_AT]])
        before = len(fake.requests)
        [resumed] = await world.new_service().sync()
        assert resumed.ok and resumed.resumed, resumed
        made = fake.requests[before:]
        assert like_offsets(made) == []  # the liked phase had been committed as done
        assert [r.path for r in made if r.path.startswith("/me")] == ["/me", "/me/playlists"]
        assert track_pages(fake, made) == all_track_pages(fake.playlists[LONG_AT:])
        assert stored_rows(world.database, PLATFORM) == reference.rows
        assert query(world.database, "SELECT status FROM sync_runs") == [("ok",)]


async def test_an_unchanged_library_resyncs_with_three_requests(
        served: tuple[FakeSoundCloud, str], tmp_path: Path, reference: Reference) -> None:
    fake, url = served
    data = tmp_path / "data"
    shutil.copytree(reference.data, data)
    async with open_world(fake, url, data) as world:
        before = len(fake.requests)
        [again] = await world.service.sync()
        assert again.ok, again.error
        made = [(r.method, r.path, r.query) for r in fake.requests[before:]]
        listing = {"limit": str(PAGE), "linked_partitioning": "true"}
        # The first page of likes (its fingerprint and /me's likes_count are unchanged, so no
        # other page), /me, then the one page of playlists, whose snapshots are unchanged.
        assert made == [
            ("GET", "/me/likes/tracks", {**listing, "access": "playable"}),
            ("GET", "/me", {}),
            ("GET", "/me/playlists", {**listing, "show_tracks": "false"}),
        ]
        assert (again.liked, again.playlists, again.items) == (
            reference.summary.liked, reference.summary.playlists, reference.summary.items)
        assert (again.added, again.updated, again.removed) == (0, 0, 0)
        assert stored_rows(world.database, PLATFORM) == reference.rows
