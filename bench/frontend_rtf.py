"""CPU cost of the listening front end: WAV source → webrtcvad → endpointing, per audio second.

The stream is 10 minutes long, built in memory from the speech WAVs in tests/data with 2 s of
silence between them. The baseline is reading the same WAV through the same source alone, in
the same run; both are timed with ``time.process_time`` (CPU, not wall time) and read as fast
as possible. Prints the CPU time per second of audio for both, the real-time factor (CPU
seconds per audio second; below 1 keeps up) and the ratio front end / baseline. Figures are
medians over ``--repeat`` runs.

    .venv/bin/python bench/frontend_rtf.py [--minutes 10] [--repeat 5] [--mode 2]
"""

from __future__ import annotations

import argparse
import asyncio
import io
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sam_edge.audio.format import SAMPLE_RATE, SAMPLE_WIDTH, pcm_to_wav  # noqa: E402
from sam_edge.audio.sources import WavSource, read_wav_pcm  # noqa: E402
from sam_edge.listen.endpoint import Endpointer  # noqa: E402
from sam_edge.listen.vad import WebRtcVad  # noqa: E402

DATA = ROOT / "tests" / "data"
CLIPS = ["play_hello_by_adele.wav", "pause.wav", "play_nuvvu_nenantu.wav", "silence.wav",
         "hey_sam_pause.wav", "long_speech.wav"]


def build_stream(minutes: float) -> bytes:
    gap = bytes(2 * SAMPLE_RATE * SAMPLE_WIDTH)
    pieces = [read_wav_pcm(DATA / name) + gap for name in CLIPS]
    target = int(minutes * 60 * SAMPLE_RATE * SAMPLE_WIDTH)
    out = bytearray()
    while len(out) < target:
        for piece in pieces:
            out += piece
    return pcm_to_wav(bytes(out[:target]))


async def read_only(wav: bytes) -> tuple[float, int]:
    frames = 0
    start = time.process_time()
    async for _frame in WavSource(io.BytesIO(wav)):
        frames += 1
    return time.process_time() - start, frames


async def front_end(wav: bytes, mode: int) -> tuple[float, dict[str, int]]:
    vad, endpointer = WebRtcVad(mode), Endpointer()
    outcomes: dict[str, int] = {}
    start = time.process_time()
    async for frame in WavSource(io.BytesIO(wav)):
        result = endpointer.feed(frame, vad.is_speech(frame))
        if result is not None:
            key = f"{result.kind}/{result.reason}"
            outcomes[key] = outcomes.get(key, 0) + 1
    return time.process_time() - start, outcomes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--mode", type=int, default=2, help="webrtcvad mode 0-3")
    args = parser.parse_args()

    wav = build_stream(args.minutes)
    audio_s = (len(wav) - 44) / (SAMPLE_RATE * SAMPLE_WIDTH)
    base, full, ratios = [], [], []
    outcomes: dict[str, int] = {}
    for _ in range(args.repeat):
        b, frames = asyncio.run(read_only(wav))
        f, outcomes = asyncio.run(front_end(wav, args.mode))
        base.append(b)
        full.append(f)
        ratios.append(f / b)
    b, f = statistics.median(base), statistics.median(full)
    per_s = 1000 / audio_s
    print(f"listening front end ({audio_s / 60:g} min of audio, {frames} frames of 30 ms, "
          f"VAD mode {args.mode}, median of {args.repeat})")
    print(f"  baseline: WAV source alone     {b:7.3f} s CPU   {b * per_s:7.3f} ms per audio s   "
          f"RTF {b / audio_s:.5f}")
    print(f"  source + VAD + endpointing     {f:7.3f} s CPU   {f * per_s:7.3f} ms per audio s   "
          f"RTF {f / audio_s:.5f}")
    print(f"  VAD + endpointing alone        {f - b:7.3f} s CPU   {(f - b) * per_s:7.3f} ms "
          f"per audio s   {(f - b) / frames * 1e6:.1f} us per frame")
    print(f"  front end / baseline           {statistics.median(ratios):7.2f}x")
    print(f"  endpoints: {', '.join(f'{k} {v}' for k, v in sorted(outcomes.items()))}")


if __name__ == "__main__":
    main()
