"""Search-cache keys: phrasings of one request meet, different songs never do."""

from __future__ import annotations

import hashlib
import re

import pytest

from sam_edge.cache.normalize import cache_key, normalize_artist, normalize_query, query_hash

# Each group: (artist, kind, phrasings that must share one key).
SAME_KEY: list[tuple[str | None, str, list[str]]] = [
    (
        None,
        "track",
        [
            "Play Nuvvu-Nenantu",
            "play nuvvu nenantu song",
            "could you play nuvvu nenantu please",
            "Nuvvu Nenantu",
        ],
    ),
    ("Beyoncé", "track", ["Déjà Vu", "deja vu", "DEJA VU", "Deja-Vu"]),
    ("Adele", "track", ["Hello", "hello", "HELLO", "  Hello  ", "Hello!"]),
    (None, "track", ["Shape of You", "shape  of   you", "Shape_of_You", "shape-of-you"]),
    (
        None,
        "track",
        ["Blinding Lights song", "blinding lights", "play Blinding Lights song please"],
    ),
    (
        None,
        "track",
        ["Don't Stop Me Now", "dont stop me now", "Don’t Stop Me Now", "DON'T STOP ME NOW"],
    ),
    (None, "track", ["Simon & Garfunkel Greatest", "simon and garfunkel greatest"]),
    (None, "track", ["Hey Sam, play Bohemian Rhapsody", "bohemian rhapsody", "Bohemian Rhapsody."]),
    (None, "track", ["Tum Hi Ho", "play tum hi ho track", "can you please play Tum Hi Ho"]),
    (None, "track", ["तुम ही हो", "play तुम ही हो", "तुम  ही  हो", "Tum Hi Ho"]),
    (None, "track", ["Señorita", "senorita", "SEÑORITA"]),
    (None, "track", ["Ｈｅｌｌｏ Ｗｏｒｌｄ", "hello world"]),
    (
        None,
        "track",
        [
            "i want to hear Yellow Submarine",
            "listen to yellow submarine",
            "put on Yellow Submarine",
        ],
    ),
    (None, "track", ["Straße der Liebe", "strasse der liebe"]),
    (None, "track", ["Rolling in the Deep the song", "rolling in the deep"]),
    (None, "track", ["Hello (Live)", "hello - live", "Hello [LIVE]"]),
]

# (query1, artist1, kind1, query2, artist2, kind2): these must stay apart.
DIFFERENT_KEY: list[tuple[str, str | None, str, str, str | None, str]] = [
    ("Song 2", None, "track", "Song", None, "track"),
    ("Song 2", "Blur", "track", "Song", "Blur", "track"),
    ("Hello", "Adele", "track", "Hello", "Lionel Richie", "track"),
    ("Hello", "Adele", "track", "Hello", None, "track"),
    ("Hello", None, "track", "Hello Live", None, "track"),
    ("Hello", None, "track", "Hello (Live)", None, "track"),
    ("Levitating", None, "track", "Levitating remix", None, "track"),
    ("Levitating", None, "track", "Levitating (feat. DaBaby)", None, "track"),
    ("Wonderwall", None, "track", "Wonderwall acoustic", None, "track"),
    ("Let It Be", None, "track", "Let It Be - Remastered 2009", None, "track"),
    ("Let It Be", None, "track", "Let It Be remastered", None, "track"),
    ("Heat Waves", None, "track", "Heat Waves slowed reverb", None, "track"),
    ("Heat Waves", None, "track", "Heat Waves slowed", None, "track"),
    ("Despacito", None, "track", "Despacito remix", None, "track"),
    ("Despacito", None, "track", "Despacito (Cover)", None, "track"),
    ("Faded", None, "track", "Faded instrumental", None, "track"),
    ("Faded", None, "track", "Faded (Radio Edit)", None, "track"),
    ("Stay", None, "track", "Stay (Acoustic Version)", None, "track"),
    ("Part 1", None, "track", "Part 2", None, "track"),
    ("Kill Bill Vol 1", None, "track", "Kill Bill Vol 2", None, "track"),
    ("22", None, "track", "2", None, "track"),
    ("7 rings", None, "track", "7 years", None, "track"),
    ("1999", None, "track", "1989", None, "track"),
    ("One", None, "track", "1", None, "track"),
    ("Thriller", None, "album", "Thriller", None, "track"),
    ("Thriller", "Michael Jackson", "album", "Thriller", "Michael Jackson", "track"),
    ("Adele", None, "artist", "Adele", None, "track"),
    ("Chill Vibes", None, "playlist", "Chill Vibes", None, "album"),
    ("Yesterday", None, "track", "Yesterdays", None, "track"),
    ("Stay", None, "track", "Stay With Me", None, "track"),
    ("Boys", None, "track", "Boyz", None, "track"),
    ("The Scientist", None, "track", "Scientist", None, "track"),
    ("A Thousand Years", None, "track", "Thousand Years", None, "track"),
    ("Song", None, "track", "Music", None, "track"),
    ("Song", None, "track", "Now", None, "track"),
    ("Music", None, "track", "Musica", None, "track"),
    ("Love Song", None, "track", "Love", None, "track"),
    ("Your Song", None, "track", "Your", None, "track"),
    ("Pretty Please", None, "track", "Pretty", None, "track"),
    ("Please Please Please", None, "track", "Please Please", None, "track"),
    ("Please Please Me", None, "track", "Me", None, "track"),
    ("Love Me Now", None, "track", "Love Me", None, "track"),
    ("Pray for Me", None, "track", "Pray", None, "track"),
    ("Pop Music", None, "track", "Pop", None, "track"),
    ("तुम ही हो", None, "track", "तुम हो", None, "track"),
    ("愛", None, "track", "恋", None, "track"),
    ("Мой", None, "track", "Мои", None, "track"),
    ("Й", None, "track", "И", None, "track"),
    ("がんばれ", None, "track", "かんばれ", None, "track"),
    ("Hello", "The The", "track", "Hello", "The", "track"),
    ("Hello", "Adele", "track", "Hello Adele", None, "track"),
    ("!!!", None, "track", "???", None, "track"),
    ("Track 10", None, "track", "Track 1", None, "track"),
]


def _key_group_id(group: tuple[str | None, str, list[str]]) -> str:
    return group[2][0]


@pytest.mark.parametrize("group", SAME_KEY, ids=[_key_group_id(g) for g in SAME_KEY])
def test_phrasings_of_one_request_share_a_key(group: tuple[str | None, str, list[str]]) -> None:
    artist, kind, phrasings = group

    keys = {cache_key(text, artist, kind) for text in phrasings}
    hashes = {query_hash(text, artist, kind) for text in phrasings}

    assert len(keys) == 1, keys
    assert len(hashes) == 1


def _pair_id(pair: tuple[str, str | None, str, str, str | None, str]) -> str:
    q1, a1, k1, q2, a2, k2 = pair
    return f"{k1}:{q1}/{a1 or '-'} vs {k2}:{q2}/{a2 or '-'}"


@pytest.mark.parametrize("pair", DIFFERENT_KEY, ids=[_pair_id(p) for p in DIFFERENT_KEY])
def test_different_songs_never_share_a_key(
    pair: tuple[str, str | None, str, str, str | None, str],
) -> None:
    q1, a1, k1, q2, a2, k2 = pair

    assert cache_key(q1, a1, k1) != cache_key(q2, a2, k2)
    assert query_hash(q1, a1, k1) != query_hash(q2, a2, k2)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Play Nuvvu-Nenantu", "nuvvu nenantu"),
        ("Beyoncé", "beyonce"),
        ("don't", "dont"),
        ("Simon & Garfunkel", "simon and garfunkel"),
        ("तुम ही हो", "tum hi ho"),
        ("Song", "song"),
        ("Music", "music"),
        ("Now", "now"),
        ("play", "play"),
        ("the song", "the song"),
        ("!!!", "!!!"),
    ],
)
def test_normalized_form(text: str, expected: str) -> None:
    assert normalize_query(text) == expected


def test_artist_keeps_every_word() -> None:
    assert normalize_artist("The The") == "the the"
    assert normalize_artist("Play") == "play"
    assert normalize_artist(None) == ""


def test_key_is_readable() -> None:
    assert cache_key("Hello", "Adele") == "track|hello|adele"
    assert cache_key("Thriller", kind="album") == "album|thriller"


def test_query_hash_is_stable_sha256_of_the_key() -> None:
    digest = query_hash("Hello", "Adele", "track")

    assert re.fullmatch(r"[0-9a-f]{64}", digest)
    assert digest == query_hash("hello", "ADELE", "track")
    assert digest == hashlib.sha256(b"track|hello|adele").hexdigest()


@pytest.mark.parametrize(("native", "latin"), [
    ("నాటు నాటు", "natu natu"),
    ("సామజవరగమన", "Samajavaragamana"),
    ("तुम ही हो", "tum hi ho"),
])
def test_a_native_script_title_and_its_latin_spelling_share_a_key(native: str,
                                                                   latin: str) -> None:
    assert cache_key(f"play {native}") == cache_key(latin)
    assert query_hash(native, "Sid Sriram") == query_hash(latin, "Sid Sriram")


def test_a_native_script_artist_is_keyed_in_latin_too() -> None:
    assert cache_key("Naatu", "అనిరుద్") == cache_key("naatu", "anirud")


def test_the_ascii_shortcut_folds_exactly_as_the_unicode_path() -> None:
    import random
    import string
    import unicodedata

    from sam_edge.cache import normalize

    def unicode_path(text: str) -> str:
        # What _clean does for any text, written out without its ASCII shortcut.
        text = unicodedata.normalize("NFKC", text.translate(normalize._APOSTROPHES))
        text = normalize._strip_latin_accents(text.translate(normalize._APOSTROPHES)
                                              .replace("&", " and ").casefold())
        kept = [c if unicodedata.category(c)[0] in "LMN" else " "
                for c in text.translate(normalize._LATIN_FOLDS)]
        return " ".join("".join(kept).split())

    rng = random.Random(7)
    samples = ["Don't Stop Me Now (Live) - 2011 Remaster", "AC/DC & Friends", "_a^b`c|d~e",
               "".join(map(chr, range(128)))]
    samples += ["".join(rng.choice(string.printable) for _ in range(rng.randint(0, 40)))
                for _ in range(2000)]
    for text in samples:
        assert normalize._clean(text) == unicode_path(text), text
