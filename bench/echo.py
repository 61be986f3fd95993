"""Echo cancellation and endpointing under the device's own music, on the simulated corpus.

    .venv/bin/python bench/echo.py [--recordings 12]

Prints, for recordings from tests/echo_corpus.py:
- ERLE per listen (median over music-only recordings, as ``sam-edge listen`` reports it: from
  a cold start, over frames with music and no speech);
- endpoint accuracy by music-to-voice ratio (start within 300 ms, end within 400 ms), with the
  canceller and without it (the same front end fed no reference);
- the front end's CPU time per audio second with cancellation, and the ratio to the same front
  end without it, measured in the same run (the baseline).
Word error rate needs the offline speech-to-text extra; without it that line says so.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.echo_corpus import make_recording
from tests.listen.echo_cases import judge, run


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recordings", type=int, default=12, help="per music level")
    args = parser.parse_args()
    n = args.recordings

    erles = []
    cpu = {True: 0.0, False: 0.0}
    audio_s = {True: 0.0, False: 0.0}
    for seed in range(n):
        rec = make_recording(200 + seed, None, music_level_dbfs=-28.0 + 16.0 * seed / max(1, n - 1))
        t0 = time.process_time()
        heard = run(rec)
        cpu[True] += time.process_time() - t0
        audio_s[True] += heard.frames * 0.03
        if heard.erle_db is not None:
            erles.append(heard.erle_db)
        opened = heard.result.kind == "speech"
        if opened:
            print(f"  music-only {rec.name} opened a turn at {heard.result.speech_start_ms} ms")
    print(f"ERLE per listen, music only: median {statistics.median(erles):.1f} dB "
          f"(min {min(erles):.1f}, max {max(erles):.1f}; {len(erles)} recordings)")

    print(f"{'music/voice':>12} {'with AEC':>10} {'without':>10}")
    for ratio in (0.0, 10.0, 20.0):
        found = {True: 0, False: 0}
        for seed in range(n):
            rec = make_recording(seed, ratio)
            for cancel in (True, False):
                t0 = time.process_time()
                heard = run(rec, cancel=cancel)
                cpu[cancel] += time.process_time() - t0
                audio_s[cancel] += heard.frames * 0.03
                found[cancel] += judge(rec, heard).found
        print(f"{ratio:+10.0f} dB {found[True]:>6}/{n:<3} {found[False]:>6}/{n:<3}")

    with_aec = cpu[True] / audio_s[True]
    without = cpu[False] / audio_s[False]
    print(f"front end CPU per audio second: {with_aec:.4f} with cancellation, "
          f"{without:.4f} without (baseline, same run): ratio {with_aec / without:.2f}x")
    try:
        import faster_whisper  # noqa: F401
    except ImportError:
        print("word error rate: skipped (pip install -e '.[offline]' for faster-whisper)")
    else:
        print("word error rate: not measured by this script yet")
    return 0


if __name__ == "__main__":
    sys.exit(main())
