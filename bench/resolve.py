"""Cross-script title resolution: accuracy on the labelled table and lookup time at scale.

Prints top-1 precision and recall on the table's matching pairs, the false-match rate on its
near-miss pairs, then the table's entries hidden in a 20,000-entry library (Latin and
native-script titles made up from syllables) and the lookup time per query (p50/p95) against a
plain dict lookup of the phonetic key (the baseline), plus the index build time.

    .venv/bin/python bench/resolve.py [--size 20000] [--queries 2000]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sam_edge.text.matcher import query_keys  # noqa: E402
from sam_edge.text.titles import TitleIndex  # noqa: E402
from tests.text.resolve_table import evaluate, load  # noqa: E402

SYLLABLES = {
    "latin": [c + v for c in "kgcjtdnpbmyrlvsh" for v in "aeiou"],
    "telugu": [c + v for c in "కగచజటడతదనపబమయరలవస" for v in ("ా", "ి", "ు", "ె", "ో", "")],
    "devanagari": [c + v for c in "कगचजटडतदनपबमयरलवस" for v in ("ा", "ि", "ु", "े", "ो", "")],
    "tamil": [c + v for c in "கசடதநபமயரலவ" for v in ("ா", "ி", "ு", "ெ", "ோ", "")],
}


def filler(rng: random.Random, size: int) -> list[str]:
    names = []
    for _ in range(size):
        script = rng.choice(list(SYLLABLES))
        words = [
            "".join(rng.choice(SYLLABLES[script]) for _ in range(rng.randint(2, 4)))
            for _ in range(rng.randint(1, 4))
        ]
        names.append(" ".join(words).title() if script == "latin" else " ".join(words))
    return names


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, default=20_000)
    parser.add_argument("--queries", type=int, default=2_000)
    args = parser.parse_args()
    rng = random.Random(12)
    pairs = load()
    entries = list(dict.fromkeys(p.entry for p in pairs))
    extra = [n for n in filler(rng, args.size - len(entries)) if n not in entries]

    started = time.perf_counter()
    index: TitleIndex[str] = TitleIndex()
    for title in entries + extra:
        index.add(title, title)
    build_s = time.perf_counter() - started

    small: TitleIndex[str] = TitleIndex()
    for title in entries:
        small.add(title, title)
    table = evaluate(pairs, small)
    scaled = evaluate(pairs, index)

    queries = [rng.choice(pairs).query for _ in range(args.queries)]
    baseline = {query_keys(t)[0]: t for t in entries + extra if query_keys(t)}
    lookups, dict_lookups = [], []
    for query in queries:
        t0 = time.perf_counter()
        index.resolve(query)
        lookups.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        keys = query_keys(query)
        baseline.get(keys[0] if keys else "")
        dict_lookups.append(time.perf_counter() - t0)

    print(f"table: {table.matches} matching pairs, {table.near_misses} near-miss pairs")
    for label, score in (("table library", table), (f"{len(index)}-entry library", scaled)):
        print(f"  {label}: top-1 recall {score.recall:.1%}, precision {score.precision:.1%}, "
              f"false-match rate {score.false_match_rate:.1%} ({score.wrong_near_miss} wrong "
              f"plays on near misses), asked back {score.asked}")
        for failure in score.failures:
            print(f"    {failure}")
    p50, p95 = pct(lookups, 0.5) * 1e3, pct(lookups, 0.95) * 1e3
    b50 = pct(dict_lookups, 0.5) * 1e3
    print(f"index build: {build_s:.2f} s for {len(index)} entries")
    print(f"lookup per query: p50 {p50:.3f} ms, p95 {p95:.3f} ms "
          f"(dict lookup of the key p50 {b50:.4f} ms; ratio {p50 / b50:.0f}x)")


if __name__ == "__main__":
    main()
