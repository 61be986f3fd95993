"""Offline grammar on spoken English: accuracy on tests/data/spoken_commands.tsv (no LLM).

Prints the accuracy with the spoken-English normaliser (:mod:`sam_edge.dialog.spoken`) and,
as the same-run baseline, with the normaliser switched off; plus the parse time per utterance.

    .venv/bin/python bench/grammar.py
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path
from unittest import mock

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sam_edge.dialog import grammar  # noqa: E402
from tests.dialog.spoken_table import evaluate, load  # noqa: E402


def main() -> None:
    rows = load()
    score = evaluate(rows)
    with mock.patch.object(grammar, "strip_spoken", lambda text: text), \
            mock.patch.object(grammar, "without_qualifier", lambda text: text):
        plain = evaluate(rows)
    times = []
    for _ in range(5):
        for row in rows:
            t0 = time.perf_counter()
            grammar.parse(row.text)
            times.append(time.perf_counter() - t0)
    print(f"{score.rows} spoken-style utterances ({sum(r.action == 'NONE' for r in rows)} "
          f"not commands)")
    print(f"  with the normaliser: accuracy {score.accuracy:.1%}, chats made commands "
          f"{score.commands_from_chat}")
    for failure in score.failures:
        print(f"    {failure}")
    print(f"  without it (baseline): accuracy {plain.accuracy:.1%}, chats made commands "
          f"{plain.commands_from_chat} (ratio {score.accuracy / plain.accuracy:.2f}x)")
    print(f"parse time per utterance: median {statistics.median(times) * 1e6:.0f} us")


if __name__ == "__main__":
    main()
