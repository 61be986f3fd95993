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

import math
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Generic, TypeVar

from rapidfuzz import fuzz, process

if TYPE_CHECKING:
    import numpy as np

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
    """Keys with a bigram count filter: a query only meets keys that can reach its cutoff.

    Two bounds prune the keys before rapidfuzz scores them, and neither drops a key that
    could pass. The length band: Indel similarity ``2*lcs/(a+b)`` caps what a key of another
    length can score. Shared bigrams: every letter of the query outside the common subsequence
    breaks at most two of its bigrams and every extra letter of the key at most one, so a key
    that reaches the cutoff shares at least :func:`_least_shared` of the query's distinct
    bigrams. The shared bigrams of all keys are counted at once with numpy from per-bigram
    postings; when the bound says nothing (short keys, low cutoffs) the band is scanned.
    """

    __slots__ = ("_frozen", "_postings", "by_length", "keys", "owners", "prefilter")

    def __init__(self, prefilter: bool = True) -> None:
        self.prefilter = prefilter
        self.keys: list[str] = []
        self.owners: list[tuple[int, float]] = []
        self.by_length: dict[int, tuple[list[str], list[int]]] = {}
        self._postings: dict[str, list[int]] = {}
        self._frozen: tuple[dict[str, np.ndarray], np.ndarray] | None = None

    def __bool__(self) -> bool:
        return bool(self.keys)

    def add(self, key: str, owner: int, penalty: float) -> None:
        at = len(self.keys)
        self.keys.append(key)
        self.owners.append((owner, penalty))
        keys, ids = self.by_length.setdefault(len(key), ([], []))
        keys.append(key)
        ids.append(at)
        for gram in _bigrams(key):
            self._postings.setdefault(gram, []).append(at)
        self._frozen = None

    def _arrays(self) -> tuple[dict[str, np.ndarray], np.ndarray]:
        import numpy as np  # loaded with the first fuzzy lookup, not at start-up

        if self._frozen is None:
            postings = {g: np.asarray(ids, dtype=np.int32) for g, ids in self._postings.items()}
            lengths = np.fromiter(map(len, self.keys), dtype=np.int32, count=len(self.keys))
            self._frozen = (postings, lengths)
        return self._frozen

    def match(self, probe: str, cutoff: float, best: dict[int, float]) -> None:
        size = len(probe)
        low, high = _band(size, cutoff)
        grams = _bigrams(probe)
        least = _least_shared(size, len(grams), cutoff, low, high)
        if least > 0 and self.prefilter:
            postings, lengths = self._arrays()
            found = [postings[g] for g in grams if g in postings]
            if len(found) < least:
                return
            import numpy as np

            counts = np.bincount(np.concatenate(found), minlength=len(self.keys))
            chosen = np.flatnonzero((counts >= least) & (lengths >= low)
                                    & (lengths <= high)).tolist()
            self._score(probe, cutoff, [self.keys[i] for i in chosen], chosen, best)
            return
        for length in range(low, high + 1):
            bucket = self.by_length.get(length)
            if bucket is not None:
                self._score(probe, cutoff, *bucket, best)

    def _score(self, probe: str, cutoff: float, keys: list[str], ids: list[int],
               best: dict[int, float]) -> None:
        if not keys:
            return
        for _, value, at in process.extract(probe, keys, scorer=fuzz.ratio,
                                            score_cutoff=cutoff, limit=None):
            owner, penalty = self.owners[ids[at]]
            value -= penalty
            if value > best.get(owner, -1.0):
                best[owner] = value


def _bigrams(key: str) -> set[str]:
    return {key[i:i + 2] for i in range(len(key) - 1)}


def _band(size: int, cutoff: float) -> tuple[int, int]:
    """The key lengths that can reach ``cutoff`` against a query of ``size`` letters."""
    if cutoff <= 0:
        return 1, 10**6
    low = max(1, int(size * cutoff / (200.0 - cutoff)))
    return low, int(size * (200.0 - cutoff) / cutoff) + 1


def _least_shared(size: int, distinct: int, cutoff: float, low: int, high: int) -> int:
    """How many of the query's ``distinct`` bigrams a key whose length is in the band and
    that reaches ``cutoff`` shares with it, at least (0: no bound)."""
    if cutoff <= 0:
        return 0
    least = distinct
    for length in range(low, high + 1):
        common = math.ceil(cutoff * (size + length) / 200.0 - 1e-6)
        if common > min(size, length):
            continue  # no key of this length can reach the cutoff
        least = min(least, distinct - 2 * (size - common) - (length - common))
    return max(0, least)


@dataclass(slots=True)
class NameIndex(Generic[T]):
    """Names of items of type ``T``; :meth:`scores` gives each item's best score."""

    keys: Callable[[str], tuple[list[str], list[str]]] = keys_of
    """How a name's keys are derived (a :class:`~sam_edge.text.keystore.KeyStore` remembers)."""
    prefilter: bool = True
    """Count shared bigrams before scoring (off only to measure what it saves)."""
    items: list[T] = field(default_factory=list)
    _plain: _Keys = field(init=False)
    _tamil: _Keys = field(init=False)

    def __post_init__(self) -> None:
        self._plain = _Keys(self.prefilter)
        self._tamil = _Keys(self.prefilter)

    def add(self, item: T, names: Sequence[tuple[str, float]]) -> int:
        """Index ``item`` under ``names``, each with a penalty subtracted from its score."""
        at = len(self.items)
        self.items.append(item)
        for name, penalty in names:
            plain, tamil = self.keys(name)
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
            if self._tamil:
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
