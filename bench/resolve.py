"""Cross-script title resolution: accuracy on the labelled table and lookup time at scale.

Prints top-1 precision and recall on the table's matching pairs, the false-match rate on its
near-miss pairs, the same on the holdout pairs (not used to tune the thresholds), then the
table's entries hidden in a 20,000-entry library (Latin and native-script titles made up from
syllables) and the lookup time per query (p50/p95) with the bigram pre-filter against the same
index scanning every key of a possible length (the baseline, measured in the same run), plus
the index build time with no stored keys and with the keys stored by the first build.

    .venv/bin/python bench/resolve.py [--size 20000] [--queries 2000]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sam_edge.text.keystore import KeyStore  # noqa: E402
from sam_edge.text.titles import TitleIndex  # noqa: E402
from tests.text.resolve_table import HOLDOUT, evaluate, library, load  # noqa: E402

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

    names = entries + extra
    with tempfile.TemporaryDirectory() as folder:
        stored = Path(folder) / "title_keys.json"
        cold, index = build(names, KeyStore(stored))
        warm, _ = build(names, KeyStore(stored))
    _, scan = build(names, None, prefilter=False)

    holdout = load(HOLDOUT)
    scores = (("table library", evaluate(pairs, library(pairs))),
              ("holdout (in the table's library)", evaluate(holdout, library(holdout, pairs))),
              (f"{len(index)}-entry library", evaluate(pairs, index)))

    queries = [rng.choice(pairs).query for _ in range(args.queries)]
    lookups, scans = [], []
    for query in queries:  # interleaved, so both see the same machine load
        t0 = time.perf_counter()
        index.resolve(query)
        lookups.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        scan.resolve(query)
        scans.append(time.perf_counter() - t0)

    print(f"table: {scores[0][1].matches} matching pairs, {scores[0][1].near_misses} near-miss "
          f"pairs; holdout: {scores[1][1].matches} matching, {scores[1][1].near_misses} near-miss")
    for label, score in scores:
        print(f"  {label}: top-1 recall {score.recall:.1%}, precision {score.precision:.1%}, "
              f"false-match rate {score.false_match_rate:.1%} ({score.wrong_near_miss} wrong "
              f"plays on near misses), asked back {score.asked}")
        for failure in score.failures:
            print(f"    {failure}")
    print(f"index build, {len(index)} entries: {cold:.2f} s deriving the keys, {warm:.2f} s "
          f"with stored keys (ratio {cold / warm:.1f}x)")
    p50, p95 = pct(lookups, 0.5) * 1e3, pct(lookups, 0.95) * 1e3
    s50, s95 = pct(scans, 0.5) * 1e3, pct(scans, 0.95) * 1e3
    print(f"lookup per query: p50 {p50:.3f} ms, p95 {p95:.3f} ms; scanning every key of a "
          f"possible length p50 {s50:.3f} ms, p95 {s95:.3f} ms (p50 ratio {s50 / p50:.1f}x)")


def build(names: list[str], store: KeyStore | None, *, prefilter: bool = True
          ) -> tuple[float, TitleIndex[str]]:
    """(seconds, index) for indexing ``names``; the store's keys are saved afterwards."""
    started = time.perf_counter()
    index: TitleIndex[str] = TitleIndex.using(store, prefilter=prefilter)
    for title in names:
        index.add(title, title)
    if store is not None:
        store.save()
    return time.perf_counter() - started, index


if __name__ == "__main__":
    main()
