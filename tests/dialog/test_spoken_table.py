"""The spoken-style command table's target: >= 95 % offline (figures from bench/grammar.py);
no chat or lone filler becomes a command."""

from __future__ import annotations

from tests.dialog.spoken_table import evaluate, load


def test_the_table_is_big_enough() -> None:
    rows = load()
    assert len(rows) >= 150
    assert sum(r.action == "NONE" for r in rows) >= 10


def test_offline_accuracy_on_spoken_commands() -> None:
    score = evaluate(load())
    assert score.accuracy >= 0.95, score.failures
    assert score.commands_from_chat == 0, score.failures
