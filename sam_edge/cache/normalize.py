"""Query normalization for the search cache key.

Different phrasings of one request share a key ("Play Nuvvu-Nenantu", "nuvvu nenantu song");
different songs never do: digits, version words (remix, live, acoustic, ...), inner words, the
artist and the kind all stay in the key. When in doubt the key keeps a word, because a cache miss
costs one search while a wrong hit plays the wrong song.

The key is Latin: a title in an Indic script is first written in Latin letters the way people
spell it (:func:`~sam_edge.text.scripts.romanize`), so "నాటు నాటు" and "natu natu", or "तुम ही
हो" and "tum hi ho", share one entry. Latin spellings are not folded further ("naatu naatu"
keeps its own entry): the phonetic fold the matcher uses would also join "Sorry" and "Saari".
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

from ..text.scripts import has_indic, romanize

_APOSTROPHES = dict.fromkeys(map(ord, "'’‘`´ʼ"), None)
# Latin letters that carry their accent in the letter itself rather than a combining mark.
_LATIN_FOLDS = str.maketrans({"ø": "o", "æ": "ae", "œ": "oe", "đ": "d", "ł": "l", "ı": "i"})

_GREETING = re.compile(r"^(?:(?:hey|hi|hello|ok|okay) sam )+")
_COMMAND = re.compile(
    r"^(?:(?:could|can|would|will) you |please |kindly |just )*"
    r"(?:play|put on|listen to|let me hear|lets hear|lets listen to"
    r"|(?:i want to|i wanna|i would like to|id like to) (?:hear|listen to)) "
)
# Stripped from the end only while at least two words remain: "Love Song", "Your Song" and
# "Pretty Please" are titles of their own. "now" and "for me" are never stripped because real
# titles end with them ("Love Me Now" vs "Love Me", "Pray for Me" vs "Pray").
_TRAILING = (("the", "song"), ("the", "track"), ("song",), ("track",), ("please",))
_MIN_WORDS_LEFT = 2


def _is_latin(char: str) -> bool:
    return unicodedata.name(char, "").startswith("LATIN")


def _strip_latin_accents(text: str) -> str:
    out: list[str] = []
    base = ""
    for char in unicodedata.normalize("NFD", text):
        if unicodedata.category(char) == "Mn":
            if not _is_latin(base):
                out.append(char)
            continue
        base = char
        out.append(char)
    return unicodedata.normalize("NFC", "".join(out))


_NOT_ASCII_WORD = re.compile(r"[^a-z0-9]+")


def _clean(text: str) -> str:
    """Latin letters, with case, accents and punctuation folded; no words removed."""
    if text.isascii():  # most titles: the same result without a Unicode lookup per letter
        text = text.translate(_APOSTROPHES).replace("&", " and ").lower()
        return " ".join(_NOT_ASCII_WORD.sub(" ", text).split())
    if has_indic(text):
        text = romanize(text)[0]
    # Apostrophes go before NFKC too: it turns "´" into a space and a combining accent.
    text = unicodedata.normalize("NFKC", text.translate(_APOSTROPHES)).translate(_APOSTROPHES)
    text = _strip_latin_accents(text.replace("&", " and ").casefold()).translate(_LATIN_FOLDS)
    kept = [c if unicodedata.category(c)[0] in "LMN" else " " for c in text]
    return " ".join("".join(kept).split())


def _strip_trailing(words: list[str]) -> list[str]:
    changed = True
    while changed:
        changed = False
        for filler in _TRAILING:
            n = len(filler)
            if tuple(words[-n:]) != filler or len(words) - n < _MIN_WORDS_LEFT:
                continue
            if filler == ("please",) and words[-2] == "please":
                continue  # "Please Please Please" is a title
            words = words[:-n]
            changed = True
            break
    return words


def normalize_query(text: str) -> str:
    """The comparable form of a spoken or typed title: "Play Nuvvu-Nenantu" -> "nuvvu nenantu"."""
    cleaned = _clean(text)
    stripped = _GREETING.sub("", cleaned + " ")
    if command := _COMMAND.match(stripped):
        stripped = stripped[command.end() :]
    words = _strip_trailing(stripped.split())
    if words:
        return " ".join(words)
    # Only fillers or only symbols: keep what there is rather than an empty key.
    return cleaned or _symbols_only(text)


def _symbols_only(text: str) -> str:
    # "|" separates the parts of a readable key.
    return " ".join(unicodedata.normalize("NFKC", text).casefold().replace("|", "/").split())


def normalize_artist(artist: str | None) -> str:
    """The artist folded like a title, without removing any words ("The The" stays)."""
    if not artist:
        return ""
    return _clean(artist) or _symbols_only(artist)


def cache_key(query: str, artist: str | None = None, kind: str = "track") -> str:
    """A readable key: ``kind|query|artist`` (e.g. ``track|hello|adele``)."""
    kind_part = (kind or "track").strip().casefold() or "track"
    key = f"{kind_part}|{normalize_query(query)}"
    artist_part = normalize_artist(artist)
    return f"{key}|{artist_part}" if artist_part else key


def query_hash(query: str, artist: str | None = None, kind: str = "track") -> str:
    """SHA-256 hex digest of :func:`cache_key`."""
    return hashlib.sha256(cache_key(query, artist, kind).encode("utf-8")).hexdigest()
