"""The library sync against the fake Spotify: pagination, skipped playlists, incremental runs,
resuming after a crash, token refresh mid-sync, and one sync at a time across processes."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from sam_edge.accounts.secrets import Cipher
from sam_edge.accounts.store import DbTokenStore
from sam_edge.db.engine import make_engine, make_sessionmaker, migrate
from sam_edge.settings import Settings
from sam_edge.sync.cli import run_sync_command
from sam_edge.sync.lock import SyncBusy, SyncLock
from sam_edge.sync.service import SyncProgress
from tests.fakes.spotify import CLIENT_ID, FakeSpotify
from tests.sync.conftest import LIKED, LONG_DRIVE, OWNED_ITEMS, World, pair, sync_settings

REPO = Path(__file__).resolve().parents[2]


class PowerCut(BaseException):
    """Stands in for the process being killed: nothing gets to record a failure."""


def no_duplicates(world: World) -> None:
    assert world.count("SELECT count(*) FROM library_tracks") == world.count(
        "SELECT count(DISTINCT platform || uri) FROM library_tracks")
    assert world.count("SELECT count(*) FROM library_playlist_items") == world.count(
        "SELECT count(DISTINCT playlist_id || ':' || position) FROM library_playlist_items")


def items_path(fake: FakeSpotify, name: str) -> str:
    playlist = next(p for p in fake.playlists if p.name == name)
    return f"/v1/playlists/{playlist.id}/items"


async def test_full_sync_reads_every_page_and_skips_playlists_it_may_not_read(
        world: World) -> None:
    [summary] = await world.service.sync()
    assert summary.ok, summary.error
    assert (summary.liked, summary.playlists, summary.skipped, summary.items) == (
        LIKED, 3, 1, OWNED_ITEMS)
    assert re.fullmatch(r"spotify: 120 liked, 3 playlists \(1 skipped\), 64 items in \d+\.\d s",
                        summary.line())
    pages = world.fake.calls("GET", "me/tracks")
    # The summary, then 3 pages, read several at once (their order of arrival is not fixed).
    assert sorted(r.query.get("offset") for r in pages) == ["0", "0", "100", "50"]
    assert len(world.fake.calls("GET", items_path(world.fake, "Long Drive"))) == 2
    assert world.rows("SELECT skipped_reason, owned FROM library_playlists "
                      "WHERE name = ?", "Today's Top Hits") == [("forbidden", 0)]
    assert world.count("SELECT count(*) FROM library_tracks WHERE liked") == LIKED
    newest = world.rows("SELECT title FROM library_tracks ORDER BY added_at DESC LIMIT 1")
    assert newest == [("Liked Song 119",)]
    assert world.rows(
        "SELECT i.position, t.title FROM library_playlist_items i "
        "JOIN library_playlists p ON p.id = i.playlist_id "
        "JOIN library_tracks t ON t.uri = i.track_uri WHERE p.name = 'Road Trip' "
        "ORDER BY i.position") == [(0, "Song 2"), (1, "Parklife"), (2, "Beetlebum"),
                                   (3, "Liked Song 000")]
    assert world.rows("SELECT status, cursor FROM sync_runs") == [("ok", "{}")]
    no_duplicates(world)


async def test_an_unchanged_library_costs_three_requests(world: World) -> None:
    await world.service.sync()
    before = len(world.fake.requests)
    [again] = await world.service.sync()
    assert again.ok and (again.liked, again.items, again.skipped) == (LIKED, OWNED_ITEMS, 1)
    made = [(r.path, r.query.get("limit")) for r in world.fake.requests[before:]]
    assert made == [("/v1/me/tracks", "1"), ("/v1/me", None), ("/v1/me/playlists", "50")]
    assert (again.added, again.updated, again.removed) == (0, 0, 0)


async def test_a_changed_snapshot_rereads_only_that_playlist(world: World) -> None:
    await world.service.sync()
    fake = world.fake
    road = next(p for p in fake.playlists if p.name == "Road Trip")
    road.tracks[:] = [fake.track("Parklife"), fake.add_track("Tender", "Blur")]
    before = len(fake.requests)
    [summary] = await world.service.sync()
    assert summary.ok and summary.items == 2 + LONG_DRIVE
    read = {r.path for r in fake.requests[before:] if "/playlists/" in r.path}
    assert read == {items_path(fake, "Road Trip")}
    titles = {t for (t,) in world.rows("SELECT title FROM library_tracks")}
    assert "Tender" in titles
    assert "Song 2" not in titles and "Beetlebum" not in titles  # no longer anywhere
    assert "Liked Song 000" in titles  # still liked
    no_duplicates(world)


async def test_unliked_tracks_are_unmarked_and_removed_playlists_dropped(world: World) -> None:
    await world.service.sync()
    fake = world.fake
    unliked = [t.name for t, _ in fake.liked[:3]]
    del fake.liked[:3]
    fake.add_liked(fake.track("Nuvvu Nenantu"), added_at="2026-01-01T00:00:00Z")
    fake.playlists = [p for p in fake.playlists if p.name != "Long Drive"]
    [summary] = await world.service.sync()
    assert summary.ok and summary.liked == LIKED - 3 + 1 and summary.playlists == 2
    assert summary.removed >= 3 + 1
    liked = {t for (t,) in world.rows("SELECT title FROM library_tracks WHERE liked")}
    assert "Nuvvu Nenantu" in liked and not liked & set(unliked)
    assert world.count("SELECT count(*) FROM library_tracks WHERE title LIKE 'Drive Song%'") == 0
    no_duplicates(world)


async def test_items_fall_back_to_the_old_tracks_path(world: World) -> None:
    path = items_path(world.fake, "Long Drive")
    world.fake.fail_next("GET", path, 404)
    [summary] = await world.service.sync()
    assert summary.ok and summary.items == OWNED_ITEMS
    legacy = world.fake.calls("GET", path.replace("/items", "/tracks"))
    assert [r.query.get("limit") for r in legacy] == ["100"]


async def test_a_failed_sync_resumes_where_it_stopped_without_duplicates(world: World) -> None:
    # Pages are read several at once and those already read are stored together, so the
    # crash comes after the transaction that stored the 100th track, whichever that was.
    crashed_at: list[int] = []

    def crash_on_second_page(event: SyncProgress) -> None:
        if event.phase == "liked" and event.done >= 100 and not crashed_at:
            crashed_at.append(event.done)
            raise RuntimeError("the network went away")

    [failed] = await world.service.sync(progress=crash_on_second_page)
    assert failed.status == "failed" and "network went away" in failed.error
    [stored] = crashed_at
    assert world.count("SELECT count(*) FROM library_tracks WHERE liked") == stored
    before = len(world.fake.requests)
    [resumed] = await world.service.sync()
    assert resumed.ok and resumed.resumed
    again = [r.query.get("offset") for r in world.fake.requests[before:]
             if r.path == "/v1/me/tracks"]
    # The summary, then only the pages that were never stored (none, when the crash came after
    # the last one: the run then resumes in the playlists).
    assert sorted(again, key=int) == ([] if stored == LIKED else
                                      ["0", *(str(at) for at in range(stored, LIKED, 50))])
    assert (resumed.liked, resumed.items) == (LIKED, OWNED_ITEMS)
    # Counted once across both attempts: the tracks (Road Trip adds 3 new ones) and playlists.
    assert resumed.added == LIKED + 3 + LONG_DRIVE + 3
    assert world.rows("SELECT status FROM sync_runs") == [("ok",)]
    no_duplicates(world)


async def test_a_killed_sync_resumes_in_the_playlists(world: World) -> None:
    def kill_in_playlists(event: SyncProgress) -> None:
        if event.phase == "playlists" and event.done >= 2:
            raise PowerCut

    with pytest.raises(PowerCut):
        await world.service.sync(progress=kill_in_playlists)
    assert world.rows("SELECT status FROM sync_runs") == [("running",)]
    before = len(world.fake.requests)
    [resumed] = await world.new_service().sync()
    assert resumed.ok and resumed.resumed and resumed.items == OWNED_ITEMS
    paths = [r.path for r in world.fake.requests[before:]]
    assert "/v1/me/tracks" not in paths  # the liked phase had been committed as done
    assert items_path(world.fake, "Long Drive") not in paths  # committed before the cut
    no_duplicates(world)


async def test_an_interrupted_sync_stops_at_a_page_and_resumes(world: World) -> None:
    def shutdown(event: SyncProgress) -> None:
        if event.phase == "liked":
            world.service.interrupt()

    [stopped] = await world.service.sync(progress=shutdown)
    assert stopped.status == "interrupted" and stopped.line().endswith("resumes next time)")
    assert world.rows("SELECT status FROM sync_runs") == [("running",)]
    # Stopped after the first transaction, which stored the pages already read (one or more).
    stored = world.count("SELECT count(*) FROM library_tracks WHERE liked")
    assert stored > 0 and (stored % 50 == 0 or stored == LIKED)
    assert await world.service.sync() == []  # interrupted for good: this service is shut down
    [resumed] = await world.new_service().sync()
    assert resumed.ok and resumed.resumed and resumed.liked == LIKED
    no_duplicates(world)


async def test_an_access_token_expiring_mid_sync_is_refreshed(world: World) -> None:
    expired = False

    def expire_once(event: SyncProgress) -> None:
        nonlocal expired
        if not expired and event.phase == "liked":
            expired = True
            world.fake.expire_access_tokens()

    old = await world.tokens.load("spotify")
    [summary] = await world.service.sync(progress=expire_once)
    assert summary.ok and summary.liked == LIKED
    assert len(world.fake.calls("POST", "/api/token")) == 1
    new = await world.tokens.load("spotify")
    assert old is not None and new is not None
    assert new.refresh_token != old.refresh_token  # the rotated one was saved


async def test_a_second_process_is_told_a_sync_is_running(world: World) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys; from pathlib import Path; from sam_edge.sync.lock import SyncLock; "
         "SyncLock(Path(sys.argv[1])).acquire(); print('locked', flush=True); sys.stdin.read()",
         str(world.settings.data.dir)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=REPO)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        with pytest.raises(SyncBusy, match=f"already running \\(process {holder.pid}\\)"):
            await world.service.sync()
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(timeout=10)
    [summary] = await world.service.sync()  # the kernel released the lock with the process
    assert summary.ok


def test_a_second_sam_edge_sync_exits_1_while_one_runs(
        settings: Settings, served: tuple[FakeSpotify, str]) -> None:
    fake, url = served
    cfg = sync_settings(settings, url)
    _pair_in_data_dir(cfg, fake)
    env = {**os.environ, "SAM_DATA_DIR": str(cfg.data.dir), "SAM_SPOTIFY_CLIENT_ID": CLIENT_ID,
           "SAM_SPOTIFY_API_URL": f"{url}/v1", "SAM_SPOTIFY_ACCOUNTS_URL": url}
    with SyncLock(cfg.data.dir):
        done = subprocess.run(
            [sys.executable, "-c",
             "import sys; from sam_edge.settings import load_settings; "
             "from sam_edge.sync.cli import run_sync_command; "
             "sys.exit(run_sync_command(load_settings(), None, stderr_is_tty=False))"],
            env=env, capture_output=True, text=True, cwd=REPO, timeout=60)
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr == (f"sam-edge: a library sync is already running "
                           f"(process {os.getpid()})\n")
    assert not fake.calls("GET", "me/tracks")


# ---- sam-edge sync ----------------------------------------------------------------------------


def _pair_in_data_dir(cfg: Settings, fake: FakeSpotify) -> None:
    async def go() -> None:
        migrate(cfg.database_path)
        engine = make_engine(cfg.database_path)
        sessions = make_sessionmaker(engine)
        tokens = DbTokenStore.in_data_dir(sessions, Cipher.from_data_dir(cfg.data.dir),
                                          cfg.data.dir)
        await pair(tokens, fake)
        await engine.dispose()

    cfg.data.dir.mkdir(parents=True, exist_ok=True)
    asyncio.run(go())


def _hold_write_lock(db: Path, seconds: float, ready: threading.Event) -> None:
    import sqlite3

    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("BEGIN IMMEDIATE")
    conn.execute("UPDATE device_state SET value = value")
    ready.set()
    time.sleep(seconds)
    conn.execute("COMMIT")
    conn.close()


def test_sam_edge_sync_prints_one_line_and_waits_for_the_running_service(
        settings: Settings, served: tuple[FakeSpotify, str],
        capsys: pytest.CaptureFixture[str]) -> None:
    fake, url = served
    cfg = sync_settings(settings, url)
    _pair_in_data_dir(cfg, fake)
    ready = threading.Event()
    writer = threading.Thread(target=_hold_write_lock,
                              args=(cfg.database_path, 0.5, ready))
    writer.start()
    ready.wait(5)
    try:
        code = run_sync_command(cfg, None, stderr_is_tty=False)
    finally:
        writer.join()
    out, err = capsys.readouterr()
    assert code == 0, err
    assert re.fullmatch(
        r"spotify: 120 liked, 3 playlists \(1 skipped\), 64 items in \d+\.\d s\n", out)
    assert err == ""
    assert run_sync_command(cfg, "spotify", stderr_is_tty=True) == 0
    out, _ = capsys.readouterr()
    assert out.startswith("spotify: 120 liked")


def test_sam_edge_sync_when_nothing_or_not_that_is_paired(
        settings: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_sync_command(settings, None, stderr_is_tty=False) == 0
    assert "nothing to sync" in capsys.readouterr().out
    assert run_sync_command(settings, "spotify", stderr_is_tty=False) == 1
    assert "SAM_SPOTIFY_CLIENT_ID" in capsys.readouterr().err
    cfg = sync_settings(settings, "http://127.0.0.1:9")
    assert run_sync_command(cfg, "spotify", stderr_is_tty=False) == 1
    out, err = capsys.readouterr()
    assert out == "" and err == "sam-edge: Spotify is not paired. Run: sam-edge pair spotify\n"
    assert run_sync_command(cfg, "soundcloud", stderr_is_tty=False) == 1
    assert "SAM_SOUNDCLOUD_CLIENT_ID" in capsys.readouterr().err
