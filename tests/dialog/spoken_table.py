"""The labelled table of spoken-style commands (tests/data/spoken_commands.tsv) and its
scoring, shared by the test that holds the target and ``bench/grammar.py`` that prints it.

A command row is right when the offline grammar gives its action and every listed parameter;
a ``NONE`` row (chat, or a filler alone) is right when the grammar leaves it to the LLM.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sam_edge.dialog.grammar import parse

TABLE = Path(__file__).resolve().parents[1] / "data" / "spoken_commands.tsv"


@dataclass(frozen=True, slots=True)
class Row:
    text: str
    action: str
    params: dict[str, str]


@dataclass
class Score:
    rows: int = 0
    right: int = 0
    commands_from_chat: int = 0
    """Chat rows the grammar turned into a command (the worst error)."""
    failures: list[str] = field(default_factory=list)

    @property
    def accuracy(self) -> float:
        return self.right / self.rows if self.rows else 0.0


def load(path: Path = TABLE) -> list[Row]:
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        text, action, *rest = line.split("\t")
        params = dict(p.split("=", 1) for p in rest[0].split(";")) if rest and rest[0] else {}
        rows.append(Row(text, action, params))
    return rows


def evaluate(rows: list[Row]) -> Score:
    score = Score()
    for row in rows:
        score.rows += 1
        found = parse(row.text)
        got = "NONE" if found is None else found.intent.action.value
        got = "NONE" if got == "CHAT" else got
        params = {} if found is None else found.intent.parameters
        ok = got == row.action and all(
            str(params.get(k, "")).casefold() == v.casefold() for k, v in row.params.items())
        if ok:
            score.right += 1
            continue
        if row.action == "NONE":
            score.commands_from_chat += 1
        score.failures.append(f"{row.text!r}: want {row.action} {row.params}, got {got} {params}")
    return score
