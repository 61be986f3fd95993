"""Cross-script name matching that prefers "I'm not sure" to a wrong song.

Every name (title, artist, album) is indexed under the phonetic keys of its Latin renderings
(:func:`~sam_edge.text.scripts.romanize`, :func:`~sam_edge.text.phonetic.phonetic_key`, spaces
removed so "samaja varagamana" meets "samajavaragamana"); Tamil names also under the devoiced
key. A query is keyed the same way, with and without noise words ("naatu naatu song"), and
compared to every key with rapidfuzz's normalized Indel similarity (0-100).

:func:`decide` then takes a match only when it is clear (thresholds measured on the labelled
table in ``tests/text/resolve_table.py``, figures in docs/benchmarks.md):

* the best score reaches :func:`min_score` for the query's key length: exact for 1-3 letters,
  :data:`SHORT_FLOOR` up to 7, :data:`LONG_FLOOR` beyond (one slip in "samajavaragamana" passes,
  "tum ho" for "tum hi ho" does not);
* no other title scores within :data:`MARGIN` of it. Otherwise the titles within the margin are
  the candidates to ask about ("Did you mean … or …?").

Entries with the same display name (one song on two albums) count as one candidate.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from rapidfuzz import fuzz, process

from .phonetic import devoiced, phonetic_key, without_noise
from .scripts import romanize, voices_freely

SHORT_FLOOR = 94.0
LONG_FLOOR = 86.0
MARGIN = 6.0
"""Scores within this of the best make the match unclear: ask instead."""

T = TypeVar("T")


def min_score(key: str) -> float:
    """The least score (0-100) a name needs to match a query whose compact key is ``key``."""
    if len(key) <= 3:
        return 100.0
    return SHORT_FLOOR if len(key) <= 7 else LONG_FLOOR


def keys_of(name: str) -> tuple[list[str], list[str]]:
    """(plain keys, devoiced keys) of an indexed ``name``; devoiced only for Tamil."""
    plain = list(dict.fromkeys(phonetic_key(r).replace(" ", "") for r in romanize(name)))
    plain = [k for k in plain if k]
    return (plain, [devoiced(k) for k in plain]) if voices_freely(name) else (plain, [])


ARTIST_MIN = 80.0
"""token_set_ratio of phonetic keys an artist must reach against a requested artist."""


def artist_matches(wanted: str, name: str) -> bool:
    """Whether ``name`` (any script) is the requested artist ``wanted`` ("arijit singh" is
    अरिजीत सिंह; "adel" is "Adele"; several artists in one name count by word)."""
    if not name:
        return False
    probe = phonetic_key(wanted)
    return any(fuzz.token_set_ratio(probe, phonetic_key(rendering)) >= ARTIST_MIN
               for rendering in romanize(name))


def query_keys(query: str) -> list[str]:
    """Compact keys of a spoken ``query``: as said, and without noise words."""
    keys: list[str] = []
    for rendering in romanize(query):
        for text in (rendering, without_noise(rendering)):
            # Also keyed as one word: "sama java ragamana" is one word said slowly.
            for key in (phonetic_key(text).replace(" ", ""), phonetic_key(text.replace(" ", ""))):
                if key and key not in keys:
                    keys.append(key)
    return keys


class _Keys:
    """Keys bucketed by length: a query only meets the keys long enough to reach its cutoff."""

    __slots__ = ("buckets",)

    def __init__(self) -> None:
        self.buckets: dict[int, tuple[list[str], list[tuple[int, float]]]] = {}

    def add(self, key: str, owner: int, penalty: float) -> None:
        keys, owners = self.buckets.setdefault(len(key), ([], []))
        keys.append(key)
        owners.append((owner, penalty))

    def match(self, probe: str, cutoff: float, best: dict[int, float]) -> None:
        size = len(probe)
        # Indel similarity 2*min/(a+b) caps what a key of another length can score.
        low = int(size * cutoff / (200.0 - cutoff)) if cutoff < 200 else size
        high = int(size * (200.0 - cutoff) / cutoff) + 1 if cutoff > 0 else 10**6
        for length in range(max(1, low), high + 1):
            bucket = self.buckets.get(length)
            if bucket is None:
                continue
            keys, owners = bucket
            for _, value, at in process.extract(probe, keys, scorer=fuzz.ratio,
                                                score_cutoff=cutoff, limit=None):
                owner, penalty = owners[at]
                value -= penalty
                if value > best.get(owner, -1.0):
                    best[owner] = value


@dataclass(slots=True)
class NameIndex(Generic[T]):
    """Names of items of type ``T``; :meth:`scores` gives each item's best score."""

    items: list[T] = field(default_factory=list)
    _plain: _Keys = field(default_factory=_Keys)
    _tamil: _Keys = field(default_factory=_Keys)

    def add(self, item: T, names: Sequence[tuple[str, float]]) -> int:
        """Index ``item`` under ``names``, each with a penalty subtracted from its score."""
        at = len(self.items)
        self.items.append(item)
        for name, penalty in names:
            plain, tamil = keys_of(name)
            for key in plain:
                self._plain.add(key, at, penalty)
            for key in tamil:
                self._tamil.add(key, at, penalty)
        return at

    def __len__(self) -> int:
        return len(self.items)

    def scores(self, query: str, floor: float | None = None) -> dict[int, float]:
        """Best score per item index for ``query``, for items scoring at least ``floor``
        (default: :func:`min_score` minus :data:`MARGIN`, so near rivals are seen)."""
        keys = query_keys(query)
        best: dict[int, float] = {}
        if floor is None:
            # Most requests name a title exactly (after the phonetic fold): then only keys
            # within the margin can rival it, and those are a narrow band of lengths.
            self._match(keys, 100.0 - MARGIN, best)
            if best and max(best.values()) >= 100.0:
                return best
        self._match(keys, floor, best)
        return best

    def _match(self, keys: list[str], floor: float | None, best: dict[int, float]) -> None:
        for key in keys:
            cutoff = floor if floor is not None else max(0.0, min_score(key) - MARGIN)
            self._plain.match(key, cutoff, best)
            if self._tamil.buckets:
                self._tamil.match(devoiced(key), cutoff, best)


@dataclass(frozen=True, slots=True)
class Decision(Generic[T]):
    """``best`` when the match is clear; else ``candidates`` (best first) to ask about."""

    best: T | None
    candidates: tuple[T, ...] = ()
    score: float = 0.0

    @property
    def ambiguous(self) -> bool:
        return self.best is None and len(self.candidates) > 1


def decide(query: str, scored: Sequence[tuple[T, float, Hashable]]) -> Decision[T]:
    """Pick the clear winner of ``scored`` (item, score, title label) for ``query``.

    Among equal scores the item listed first wins, so list the preferred ones (liked, newest)
    first. Items with the same label are one title: only the first of them is a candidate.
    """
    keys = query_keys(query)
    if not keys or not scored:
        return Decision(None)
    floor = min(min_score(k) for k in keys)
    groups: list[tuple[T, float]] = []
    seen: set[Hashable] = set()
    for item, value, label in sorted(scored, key=lambda s: -s[1]):
        if label not in seen:
            seen.add(label)
            groups.append((item, value))
    top = groups[0][1]
    if top < floor:
        return Decision(None)
    close = [item for item, value in groups if value > top - MARGIN]
    if len(close) == 1:
        return Decision(close[0], (close[0],), top)
    return Decision(None, tuple(close[:3]), top)
