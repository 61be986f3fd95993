"""The labelled resolve table (tests/data/resolve_table.tsv) and its scoring, shared by the
test that holds the targets and ``bench/resolve.py`` that prints the figures.

Every entry of the table is in one library. A ``match`` pair is right when the query resolves
to its entry; a ``no`` pair (a near miss) is a wrong play when the query resolves to its entry.
Any other song played for a ``match`` pair is a wrong play too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sam_edge.text.titles import TitleIndex

TABLE = Path(__file__).resolve().parents[1] / "data" / "resolve_table.tsv"
HOLDOUT = TABLE.with_name("resolve_holdout.tsv")
"""Pairs written after the thresholds were chosen, never used to tune them."""


@dataclass(frozen=True, slots=True)
class Pair:
    query: str
    entry: str
    match: bool


@dataclass
class Score:
    matches: int = 0
    near_misses: int = 0
    right: int = 0
    """``match`` pairs resolved to their entry."""
    wrong: int = 0
    """Resolutions to a wrong entry, over all pairs."""
    wrong_near_miss: int = 0
    asked: int = 0
    failures: list[str] = field(default_factory=list)

    @property
    def recall(self) -> float:
        return self.right / self.matches if self.matches else 0.0

    @property
    def precision(self) -> float:
        plays = self.right + self.wrong
        return self.right / plays if plays else 1.0

    @property
    def false_match_rate(self) -> float:
        return self.wrong_near_miss / self.near_misses if self.near_misses else 0.0


def load(path: Path = TABLE) -> list[Pair]:
    pairs = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        query, entry, expect = line.split("\t")
        pairs.append(Pair(query, entry, expect == "match"))
    return pairs


def library(pairs: list[Pair], *more: list[Pair]) -> TitleIndex[str]:
    """One index of the entries of ``pairs`` and of ``more`` (a holdout is scored among the
    tuning table's entries too)."""
    index: TitleIndex[str] = TitleIndex()
    everything = [p for group in (pairs, *more) for p in group]
    for title in dict.fromkeys(p.entry for p in everything):
        index.add(title, title)
    return index


def evaluate(pairs: list[Pair], index: TitleIndex[str]) -> Score:
    score = Score()
    for pair in pairs:
        decision = index.resolve(pair.query)
        got = decision.best
        if decision.ambiguous:
            score.asked += 1
        if pair.match:
            score.matches += 1
            if got == pair.entry:
                score.right += 1
            else:
                score.failures.append(f"missed {pair.query!r} -> {pair.entry!r}: got {got!r}"
                                      f" (asked {list(decision.candidates)})")
                score.wrong += got is not None
        else:
            score.near_misses += 1
            if got == pair.entry:
                score.wrong += 1
                score.wrong_near_miss += 1
                score.failures.append(f"WRONG {pair.query!r} played {got!r}")
    return score
