"""``TitleIndex``: songs, albums or artists found by a spoken name in any script.

A name is indexed as written and, slightly lower (:data:`SUFFIX_PENALTY`), without its version
suffix ("Song - 2011 Remaster", "Tum Hi Ho (From "Aashiqui 2")"), so the plain title wins
when both exist. Items whose plain names share a phonetic key ("Samajavaragamana" and
సామజవరగమన, or one song on two albums) are one title when deciding: the better-ranked of them
is taken, never asked about.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from ..errors import NotFound
from .keystore import KeyStore
from .matcher import Decision, NameIndex, decide, keys_of

T = TypeVar("T")

SUFFIX_PENALTY = 1.0
_SUFFIX = re.compile(r"\s*(?:\([^)]*\)|\[[^\]]*\]|\s-\s.*)\s*$")


def base_title(title: str) -> str:
    """``title`` without trailing version parts: "Song - 2011 Remaster" → "Song"."""
    while True:
        shorter = _SUFFIX.sub("", title)
        if shorter == title or not shorter.strip():
            return title
        title = shorter


def title_label(title: str, keys: Callable[[str], tuple[list[str], list[str]]] = keys_of
                ) -> str:
    """What makes two names the same title: the first key of the plain name."""
    plain, _ = keys(base_title(title))
    return plain[0] if plain else title.casefold()


@dataclass(slots=True)
class TitleIndex(Generic[T]):
    """Items under their names; :meth:`resolve` applies the matcher's thresholds."""

    names: NameIndex[T] = field(default_factory=NameIndex)
    labels: list[str] = field(default_factory=list)

    @classmethod
    def using(cls, store: KeyStore | None = None, *, prefilter: bool = True) -> TitleIndex[T]:
        """An empty index whose keys come from ``store`` (remembered across builds)."""
        keys = store.keys_of if store is not None else keys_of
        return cls(NameIndex(keys=keys, prefilter=prefilter))

    def add(self, item: T, title: str, also: Iterable[str] = ()) -> None:
        """Index ``item`` as ``title`` (and its base title), plus ``also`` as written."""
        names = [(title, 0.0)]
        base = base_title(title)
        if base != title:
            names.append((base, SUFFIX_PENALTY))
        names.extend((name, 0.0) for name in also if name)
        self.names.add(item, names)
        self.labels.append(title_label(title, self.names.keys))

    def __len__(self) -> int:
        return len(self.names)

    def scored(self, query: str, accept: Callable[[T], bool] | None = None
               ) -> list[tuple[T, float, str]]:
        """(item, score, title label) for the items near ``query``, best first; among equal
        scores the item added first comes first."""
        found = self.names.scores(query)
        items = self.names.items
        out = [(items[at], value, self.labels[at]) for at, value in found.items()
               if accept is None or accept(items[at])]
        order = sorted(range(len(out)), key=lambda i: -out[i][1])
        return [out[i] for i in order]

    def resolve(self, query: str, accept: Callable[[T], bool] | None = None,
                rank: Callable[[T], tuple[object, ...]] | None = None) -> Decision[T]:
        """The clear match for ``query`` among accepted items; ties of score go to the
        highest ``rank`` (e.g. liked, newest)."""
        scored = self.scored(query, accept)
        if rank is not None:
            scored.sort(key=lambda s: (-s[1], *(_neg(v) for v in rank(s[0]))))
        return decide(query, scored)


def _neg(value: object) -> object:
    if isinstance(value, bool | int | float):
        return -value
    return value


def ask_text(candidates: Sequence[str]) -> str:
    """The question for an unclear request: "Did you mean Tum Hi Ho or Tum Se Hi?"."""
    names = list(dict.fromkeys(candidates))
    if len(names) == 1:
        return f"Did you mean {names[0]}?"
    return f"Did you mean {', '.join(names[:-1])} or {names[-1]}?"


class Ambiguous(NotFound):
    """Several titles match a request about equally well: the user is asked which one."""

    def __init__(self, candidates: Sequence[str]) -> None:
        self.candidates = list(dict.fromkeys(candidates))
        super().__init__(ask_text(self.candidates), code="ambiguous")
