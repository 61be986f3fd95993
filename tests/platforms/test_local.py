"""The local music folder: scanning real audio files, fuzzy search, and the adapter over a
recording player."""

from __future__ import annotations

import random
import shutil
import subprocess
from pathlib import Path

import mutagen
import pytest

from sam_edge.clock import ManualClock
from sam_edge.errors import NotFound, PlatformError
from sam_edge.platforms.base import MusicPlatform, Track
from sam_edge.platforms.local import index as local_index
from sam_edge.platforms.local.adapter import LocalAdapter
from sam_edge.platforms.local.index import LocalLibrary, normalize
from sam_edge.settings import MusicSettings
from tests.fakes.recording import RecordingPlayer

pytestmark = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="needs ffmpeg")

OPERA = "A Night at the Opera"


@pytest.fixture(scope="module")
def tones(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One 2-second tone per format, made once and copied into each test's folder."""
    folder = tmp_path_factory.mktemp("tones")
    made = {}
    for ext in ("mp3", "flac", "ogg", "wav", "opus", "m4a"):
        path = folder / f"tone.{ext}"
        subprocess.run(
            ["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
             "sine=frequency=440:duration=2", "-ac", "1", "-ar", "48000", str(path)],
            check=True, timeout=30,
        )
        made[ext] = path
    return made


def add(tones: dict[str, Path], root: Path, name: str, **tags: str) -> Path:
    """Copy a tone to ``root/name``; tag it with mutagen when ``tags`` are given."""
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(tones[path.suffix[1:]], path)
    if tags:
        audio = mutagen.File(path, easy=True)
        if audio.tags is None:
            audio.add_tags()
        for key, value in tags.items():
            audio[key] = value
        audio.save()
    return path


@pytest.fixture
def library_dir(tmp_path: Path, tones: dict[str, Path]) -> Path:
    root = tmp_path / "music"
    # Tagged; file names sort differently from the track numbers on purpose.
    add(tones, root, f"Queen/{OPERA}/a.ogg", title="Bohemian Rhapsody", artist="Queen",
        album=OPERA, tracknumber="11/12")
    add(tones, root, f"Queen/{OPERA}/b.flac", title="Death on Two Legs", artist="Queen",
        album=OPERA, tracknumber="1")
    add(tones, root, f"Queen/{OPERA}/c.mp3", title="Lazing on a Sunday Afternoon",
        artist="Queen", album=OPERA, tracknumber="2")
    add(tones, root, "Telugu/song.mp3", title="Nuvvu Nenantu", artist="Sid Sriram",
        album="Telugu Hits")
    add(tones, root, "Depeche Mode/Songs of Faith/Halo.flac", title="Halo",
        artist="Depeche Mode", album="Songs of Faith")
    add(tones, root, "Sia/track.m4a", title="Chandelier", artist="Sia",
        album="1000 Forms of Fear", tracknumber="3")
    # Untagged: everything comes from file and folder names.
    add(tones, root, "Beyoncé - Halo.ogg")
    add(tones, root, "Discovery/Daft Punk - Digital Love.wav")
    add(tones, root, "Debussy/Suite bergamasque/03. Clair de Lune.opus")
    return root


@pytest.fixture
def library(library_dir: Path) -> LocalLibrary:
    lib = LocalLibrary(library_dir, clock=ManualClock())
    assert lib.refresh()
    return lib


def titles(tracks: list[local_index.LocalTrack]) -> list[str]:
    return [t.title for t in tracks]


def test_scan_reads_tags_and_duration(library: LocalLibrary) -> None:
    assert library.available and library.reason == ""
    assert len(library.tracks) == 9
    [song] = library.search("Bohemian Rhapsody")
    assert (song.artist, song.album, song.track_no) == ("Queen", OPERA, 11)
    assert song.duration_ms is not None and abs(song.duration_ms - 2000) < 200
    assert song.path.is_absolute()
    [m4a] = library.search("chandelier")
    assert (m4a.artist, m4a.album, m4a.track_no) == ("Sia", "1000 Forms of Fear", 3)


def test_untagged_files_are_named_after_their_file_and_folders(library: LocalLibrary) -> None:
    by_title = {t.title: t for t in library.tracks if t.path.suffix != ".flac"}
    halo = by_title["Halo"]
    assert (halo.artist, halo.album) == ("Beyoncé", "")
    love = by_title["Digital Love"]
    assert (love.artist, love.album) == ("Daft Punk", "Discovery")
    clair = by_title["Clair de Lune"]
    assert (clair.artist, clair.album, clair.track_no) == ("Debussy", "Suite bergamasque", 3)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("bohemian rapsody", "Bohemian Rhapsody"),
        ("BOHEMIAN RHAPSODY", "Bohemian Rhapsody"),
        ("nuvvu nenanthu", "Nuvvu Nenantu"),
        ("nuvu nenantu", "Nuvvu Nenantu"),
        ("Nuvvu Nenantu Sid Sriram", "Nuvvu Nenantu"),
        ("clair de lune", "Clair de Lune"),
        ("digital love daft punk", "Digital Love"),
        ("déath on two legs", "Death on Two Legs"),
    ],
)
def test_fuzzy_search_finds_typos_case_accents_and_transliterations(
    library: LocalLibrary, query: str, expected: str
) -> None:
    assert titles(library.search(query))[0] == expected


@pytest.mark.parametrize("query", ["stairway to heaven", "shape of you", "xyzzy plugh"])
def test_unrelated_queries_find_nothing(library: LocalLibrary, query: str) -> None:
    assert library.search(query) == []


def test_artist_filter_picks_the_right_halo(library: LocalLibrary) -> None:
    assert {t.artist for t in library.search("halo")} == {"Beyoncé", "Depeche Mode"}
    assert [t.artist for t in library.search("halo", artist="beyonce")] == ["Beyoncé"]
    assert [t.artist for t in library.search("halo", artist="depeche mode")] == ["Depeche Mode"]
    assert library.search("Nuvvu Nenantu", artist="Queen") == []


def test_album_kind_returns_the_album_in_track_order(library: LocalLibrary) -> None:
    tracks = library.search("night at the opera", kind="album")
    assert titles(tracks) == [
        "Death on Two Legs", "Lazing on a Sunday Afternoon", "Bohemian Rhapsody",
    ]
    assert library.search("suite bergamasque", kind="album")[0].title == "Clair de Lune"
    assert library.search("greatest hits", kind="album") == []


def test_artist_kind_returns_that_artists_tracks(library: LocalLibrary) -> None:
    assert len(library.search("queen", kind="artist")) == 3
    assert titles(library.search("daft punk", kind="artist")) == ["Digital Love"]


def test_rescans_only_when_the_folder_changed(
    library_dir: Path, tones: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = ManualClock()
    library = LocalLibrary(library_dir, check_interval_s=5.0, clock=clock)
    assert library.refresh()
    reads: list[Path] = []
    real_read = local_index.read_track
    monkeypatch.setattr(
        local_index, "read_track", lambda path, root: reads.append(path) or real_read(path, root)
    )
    clock.advance(10)
    assert not library.refresh()  # nothing changed

    add(tones, library_dir, "Queen/Innuendo/The Show Must Go On.mp3")
    assert not library.refresh()  # checked too recently
    assert library.search("the show must go on") == []
    clock.advance(10)
    assert library.refresh()
    assert titles(library.search("show must go on")) == ["The Show Must Go On"]
    assert [p.name for p in reads] == ["The Show Must Go On.mp3"]  # the others kept their tags

    add(tones, library_dir, "Queen - Innuendo.mp3")
    assert library.refresh(force=True)
    assert library.search("innuendo")[0].artist == "Queen"


def test_missing_music_folder_is_an_empty_library(tmp_path: Path, tones: dict[str, Path]) -> None:
    clock = ManualClock()
    library = LocalLibrary(tmp_path / "absent", clock=clock)
    library.refresh()
    assert not library.available
    assert str(tmp_path / "absent") in library.reason
    assert library.tracks == () and library.search("halo") == []

    add(tones, tmp_path / "absent", "Beyoncé - Halo.mp3")
    clock.advance(10)
    assert library.refresh()
    assert library.available and titles(library.search("halo")) == ["Halo"]


def test_normalize_strips_latin_accents_but_keeps_other_scripts() -> None:
    assert normalize("  Beyoncé — HALO! ") == "beyonce halo"
    assert normalize("Don't Stop Me Now") == "dont stop me now"
    assert normalize("నువ్వు నేనంటూ") == "నువ్వు నేనంటూ"


# -- the adapter -------------------------------------------------------------------------------


@pytest.fixture
def player() -> RecordingPlayer:
    return RecordingPlayer(max_volume=80)


@pytest.fixture
def adapter(library_dir: Path, library: LocalLibrary, player: RecordingPlayer) -> LocalAdapter:
    return LocalAdapter(MusicSettings(dir=library_dir), player, library=library,
                        rng=random.Random(7))


async def test_adapter_is_a_paired_music_platform(adapter: LocalAdapter) -> None:
    assert isinstance(adapter, MusicPlatform)
    assert adapter.name == "local" and await adapter.is_paired()


async def test_search_returns_local_track_uris(adapter: LocalAdapter, library_dir: Path) -> None:
    [item] = await adapter.search("bohemian rhapsody")
    assert item.uri == f"local:track:{library_dir / 'Queen' / OPERA / 'a.ogg'}"
    assert (item.platform, item.kind, item.artist, item.album) == ("local", "track", "Queen", OPERA)
    [album] = await adapter.search("night at the opera", kind="album")
    assert album.kind == "album" and album.uri.startswith("local:album:")
    assert (album.title, album.artist) == (OPERA, "Queen")
    [artist] = await adapter.search("queen", kind="artist")
    assert (artist.uri, artist.kind) == ("local:artist:Queen", "artist")
    assert await adapter.search("stairway to heaven") == []


async def test_play_queues_the_rest_of_the_album_around_the_track(
    adapter: LocalAdapter, player: RecordingPlayer
) -> None:
    [item] = await adapter.search("lazing on a sunday afternoon")
    await adapter.play(item)
    names = [Path(p).name for p in player.queue]
    assert names == ["b.flac", "c.mp3", "a.ogg"]  # track order 1, 2, 11
    assert player.current.endswith("c.mp3") and not player.paused

    await adapter.next()
    assert player.current.endswith("a.ogg")
    with pytest.raises(PlatformError) as raised:
        await adapter.next()
    assert raised.value.code == "queue_end"
    await adapter.previous()
    assert player.current.endswith("c.mp3")


async def test_play_album_and_artist_play_all_their_tracks(
    adapter: LocalAdapter, player: RecordingPlayer
) -> None:
    [album] = await adapter.search("opera", kind="album")
    await adapter.play(album)
    assert [Path(p).name for p in player.queue] == ["b.flac", "c.mp3", "a.ogg"]
    assert player.index == 0
    [artist] = await adapter.search("daft punk", kind="artist")
    await adapter.play(artist)
    assert [Path(p).name for p in player.queue] == ["Daft Punk - Digital Love.wav"]


async def test_an_item_from_another_platform_is_looked_up_by_name(
    adapter: LocalAdapter, player: RecordingPlayer
) -> None:
    await adapter.play(Track(uri="spotify:track:x", title="Halo", artist="Beyonce"))
    assert player.current.endswith("Beyoncé - Halo.ogg")
    with pytest.raises(NotFound, match=r"^I couldn't find Hello by Adele in your music folder\.$"):
        await adapter.play(Track(uri="spotify:track:y", title="Hello", artist="Adele"))
    with pytest.raises(NotFound):
        await adapter.play(Track(uri="local:track:/nowhere/x.mp3", title="x"))


async def test_transport_controls_go_to_the_player(
    adapter: LocalAdapter, player: RecordingPlayer
) -> None:
    [item] = await adapter.search("clair de lune")
    await adapter.play(item)
    await adapter.pause()
    await adapter.resume()
    await adapter.set_volume(95)
    assert await adapter.get_volume() == 80  # clamped to max_volume
    await adapter.shuffle(True)
    await adapter.repeat("context")
    with pytest.raises(PlatformError):
        await adapter.repeat("sometimes")
    assert player.methods() == ["play", "pause", "resume", "set_volume", "shuffle", "repeat"]
    assert player.repeat_state == "context" and player.shuffled


async def test_now_playing_describes_the_file_from_the_library(
    adapter: LocalAdapter, player: RecordingPlayer
) -> None:
    assert await adapter.now_playing() is None
    [item] = await adapter.search("digital love")
    await adapter.play(item)
    state = await adapter.now_playing()
    assert state is not None and state.is_playing
    assert (state.title, state.artist, state.uri, state.platform) == (
        "Digital Love", "Daft Punk", item.uri, "local",
    )
    assert state.context_uri.startswith("local:album:") and state.volume == 60
    await adapter.pause()
    paused = await adapter.now_playing()
    assert paused is not None and not paused.is_playing


async def test_queue_like_and_play_liked(adapter: LocalAdapter, player: RecordingPlayer) -> None:
    [item] = await adapter.search("nuvvu nenantu")
    await adapter.queue(item)
    assert player.calls[-1] == ("enqueue", item.uri.removeprefix("local:track:"))
    with pytest.raises(PlatformError) as raised:
        await adapter.like(item)
    assert raised.value.code == "unsupported"

    first = await adapter.play_liked()
    assert first is not None and len(player.queue) == 9
    assert player.current == first.uri.removeprefix("local:track:")


async def test_play_liked_with_an_empty_or_missing_folder(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    empty = LocalAdapter(MusicSettings(dir=tmp_path / "empty"), RecordingPlayer())
    assert await empty.play_liked() is None
    missing = LocalAdapter(MusicSettings(dir=tmp_path / "absent"), RecordingPlayer())
    with pytest.raises(PlatformError, match="does not exist"):
        await missing.play_liked()
    assert await missing.search("halo") == []
