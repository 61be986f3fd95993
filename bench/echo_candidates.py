"""Measure the candidate echo cancellers on the simulated-room corpus (tests/echo_corpus.py).

    .venv/bin/python bench/echo_candidates.py [--recordings 6]

For each candidate, used as its library offers it (the reference resampled to 16 kHz mono,
10 ms frames, no delay compensation): ERLE on music-only recordings after the first 2 s,
the voice's signal-to-distortion ratio over the command at +10 dB music (what speech-to-text
gets: higher is better; the microphone itself is the baseline), and CPU per audio second.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import soxr

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sam_edge.audio.echo.speex import SpeexEcho
from tests.echo_corpus import MIC_RATE, PLAYER_RATE, Recording, make_recording

FRAME = 160
TAIL = 4800
Canceller = Callable[[np.ndarray, np.ndarray], np.ndarray]


def _speex() -> Canceller:
    echo = SpeexEcho(FRAME, TAIL, MIC_RATE)
    return echo.process


def _pyaec(preprocess: bool) -> Callable[[], Canceller]:
    def make() -> Canceller:
        from pyaec import Aec

        aec = Aec(FRAME, TAIL, MIC_RATE, preprocess)
        return lambda mic, ref: np.asarray(aec.cancel_echo(mic.tolist(), ref.tolist()),
                                           dtype=np.int16)
    return make


def _aec3() -> Canceller:
    from pywebrtc_audio import AudioProcessor

    proc = AudioProcessor(sample_rate=MIC_RATE, echo_cancellation=True)
    return lambda mic, ref: np.asarray(proc.process(mic, ref), dtype=np.int16).reshape(-1)


CANDIDATES: dict[str, Callable[[], Canceller]] = {
    "speexdsp (libspeexdsp1, ctypes)": _speex,
    "pyaec (speex, no preprocess)": _pyaec(False),
    "pyaec (speex + preprocess)": _pyaec(True),
    "pywebrtc-audio (AEC3)": _aec3,
}


def run(make: Callable[[], Canceller], rec: Recording) -> tuple[np.ndarray, float]:
    ref = soxr.resample(rec.reference.astype(np.float32).mean(axis=1), PLAYER_RATE, MIC_RATE)
    ref = np.clip(np.round(ref), -32768, 32767).astype(np.int16)
    cancel = make()
    out = np.zeros(len(rec.mic), dtype=np.int16)
    t0 = time.process_time()
    for i in range(0, len(rec.mic) - FRAME + 1, FRAME):
        out[i:i + FRAME] = cancel(rec.mic[i:i + FRAME], ref[i:i + FRAME])
    return out, time.process_time() - t0


def erle_db(mic: np.ndarray, out: np.ndarray) -> float:
    skip = 2 * MIC_RATE
    m, o = mic[skip:].astype(np.float64), out[skip:].astype(np.float64)
    return float(10 * np.log10(np.sum(m ** 2) / (np.sum(o ** 2) + 1e-9)))


def sdr_db(rec: Recording, signal: np.ndarray) -> float:
    assert rec.speech_start_ms is not None and rec.speech_end_ms is not None
    span = slice(rec.speech_start_ms * 16, rec.speech_end_ms * 16)
    voice = rec.voice[span] * 32768
    error = signal[span].astype(np.float64) - voice
    return float(10 * np.log10(np.sum(voice ** 2) / (np.sum(error ** 2) + 1e-9)))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recordings", type=int, default=6)
    args = parser.parse_args()
    music = [make_recording(s, None) for s in range(args.recordings)]
    speech = [make_recording(s, 10.0) for s in range(args.recordings)]
    mic_sdr = statistics.median(sdr_db(r, r.mic) for r in speech)
    print(f"{len(music)} music-only and {len(speech)} +10 dB recordings; "
          f"microphone SDR at +10 dB (baseline): {mic_sdr:.1f} dB")
    print(f"{'candidate':34} {'ERLE music':>11} {'voice SDR':>10} {'SDR gain':>9} {'CPU/s':>7}")
    for name, make in CANDIDATES.items():
        erles, sdrs, cpu, audio_s = [], [], 0.0, 0.0
        for rec in music:
            out, spent = run(make, rec)
            erles.append(erle_db(rec.mic, out))
            cpu, audio_s = cpu + spent, audio_s + len(rec.mic) / MIC_RATE
        for rec in speech:
            out, spent = run(make, rec)
            sdrs.append(sdr_db(rec, out))
            cpu, audio_s = cpu + spent, audio_s + len(rec.mic) / MIC_RATE
        sdr = statistics.median(sdrs)
        print(f"{name:34} {statistics.median(erles):8.1f} dB {sdr:7.1f} dB "
              f"{sdr - mic_sdr:+6.1f} dB {cpu / audio_s:7.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
