"""The output stage: the latency it adds and its CPU per audio second.

    .venv/bin/python bench/output.py [--seconds 20] [--clicks 20]

- CPU: the stage mixing music from a pipe (48 kHz stereo, as mpv writes it) and a reply
  (22.05 kHz mono, resampled) and tapping the mix, per audio second, on a clock that never waits;
  the baseline, measured in the same run, is the same music copied from the pipe to the sink
  with no stage (what mpv writing to the card itself would cost here: nothing but the copy).
- Latency, in real time on the paced null sink (20 ms of card buffer): a click pushed as a
  reply → the moment it is heard, against a writer putting the same click straight into the
  same sink in 10 ms blocks (the baseline). And for music: a click written into mpv's pipe →
  heard (how late a pause or volume change reaches the ear; the pipe and the input buffer).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sam_edge.audio.output.inputs import FdInput
from sam_edge.audio.output.sinks import PacedNullSink, RealTimeClock
from sam_edge.audio.output.stage import OutputStage
from tests.audio.output_fakes import SteppedClock

RATE = 48_000
BLOCK = 480


def feeder(fd: int, seconds: float) -> threading.Thread:
    rng = np.random.default_rng(1)
    pcm = rng.integers(-8000, 8000, int(seconds * RATE) * 2, dtype=np.int16).tobytes()

    def run() -> None:
        view = memoryview(pcm)
        while view:
            view = view[os.write(fd, view[:8192]):]
        os.close(fd)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def cpu_per_audio_s(seconds: float) -> tuple[float, float]:
    # Through the stage.
    stage = OutputStage(PacedNullSink(clock=SteppedClock()), block_ms=10)
    r, w = os.pipe()
    writer = feeder(w, seconds)
    stage.attach(FdInput("music", r, stage.converter(RATE, 2), buffer_frames=960))
    reply = stage.stream("reply", 22_050, 1)
    t = np.arange(int(seconds * 22_050)) / 22_050
    reply.push((6000 * np.sin(2 * np.pi * 300 * t)).astype("<i2").tobytes())
    blocks = int(seconds * 100)
    t0 = time.thread_time()
    for _ in range(blocks):
        stage.step()
    staged = (time.thread_time() - t0) / seconds
    while writer.is_alive():  # the last of the music, still in the pipe
        stage.step()
    stage.close()
    # Baseline: the pipe copied straight into the sink.
    sink = PacedNullSink(clock=SteppedClock())
    r, w = os.pipe()
    writer = feeder(w, seconds)
    t0 = time.thread_time()
    for _ in range(blocks):
        want, got = BLOCK * 4, b""
        while len(got) < want:
            chunk = os.read(r, want - len(got))
            if not chunk:
                break
            got += chunk
        sink.write(got)
    direct = (time.thread_time() - t0) / seconds
    writer.join()
    os.close(r)
    return staged, direct


def first_heard(sink: PacedNullSink, since: int) -> float:
    for at, pcm in sink.writes[since:]:
        x = np.frombuffer(pcm, "<i2").reshape(-1, 2)[:, 0]
        hit = np.flatnonzero(x)
        if len(hit):
            return at + hit[0] / RATE
    raise RuntimeError("the click was never heard")


def click(frames: int = 48) -> bytes:
    return np.full(frames, 10_000, dtype="<i2").tobytes()


def measure(sink: PacedNullSink, clicks: int, push: Callable[[bytes], None]) -> list[float]:
    """Push a click every 50-60 ms and time each from the push to the sink's first write of it."""
    out = []
    rng = np.random.default_rng(2)
    for _ in range(clicks):
        time.sleep(0.05 + rng.uniform(0, 0.01))
        mark = len(sink.writes)
        pushed = time.monotonic()
        push(click())
        time.sleep(0.1)
        out.append(first_heard(sink, mark) - pushed)
    return out


def reply_latency(clicks: int) -> list[float]:
    sink = PacedNullSink(keep=True)
    stage = OutputStage(sink, block_ms=10)
    stage.start()
    out = measure(sink, clicks, stage.stream("reply", RATE, 1).push)
    stage.close()
    return out


def direct_latency(clicks: int) -> list[float]:
    sink = PacedNullSink(keep=True)
    pending: list[bytes] = []
    stop = threading.Event()

    def writer() -> None:
        while not stop.is_set():
            pcm = pending.pop(0) if pending else bytes(BLOCK * 4)
            sink.write(pcm + bytes(BLOCK * 4 - len(pcm)))

    thread = threading.Thread(target=writer, daemon=True)
    thread.start()
    out = measure(sink, clicks, lambda pcm: pending.append(
        np.repeat(np.frombuffer(pcm, "<i2"), 2).tobytes()))
    stop.set()
    thread.join()
    return out


def music_latency(clicks: int) -> list[float]:
    """A click written into a full pipe (the player is ahead, as mpv is) → heard."""
    sink = PacedNullSink(keep=True, clock=RealTimeClock())
    stage = OutputStage(sink, block_ms=10)
    r, w = os.pipe()
    stage.attach(FdInput("music", r, stage.converter(RATE, 2), buffer_frames=2400))
    stage.start()
    out = []
    silence = bytes(BLOCK * 4)
    end = time.monotonic() + 0.5
    while time.monotonic() < end:
        os.write(w, silence)  # blocks: the stage paces the writer
    for _ in range(clicks):
        for _ in range(5):
            os.write(w, silence)
        mark = len(sink.writes)
        os.write(w, np.repeat(np.frombuffer(click(), "<i2"), 2).tobytes() + silence[192:])
        written = time.monotonic()
        for _ in range(15):
            os.write(w, silence)
        out.append(first_heard(sink, mark) - written)
    os.close(w)
    stage.close()
    return out


def ms(values: list[float]) -> str:
    return f"median {statistics.median(values) * 1000:.1f} ms, max {max(values) * 1000:.1f} ms"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--clicks", type=int, default=20)
    args = parser.parse_args()
    staged, direct = cpu_per_audio_s(args.seconds)
    print(f"CPU per audio second: stage {staged:.4f} s (music pipe + reply resampled + tap), "
          f"baseline pipe→sink copy {direct:.4f} s, ratio {staged / max(direct, 1e-9):.1f}x")
    via, base = reply_latency(args.clicks), direct_latency(args.clicks)
    v, b = statistics.median(via), statistics.median(base)
    print(f"reply pushed → heard: stage {ms(via)}; baseline straight to the sink {ms(base)}; "
          f"added {(v - b) * 1000:.1f} ms, ratio {v / b:.2f}x")
    music = music_latency(args.clicks)
    print(f"music written into the pipe → heard (pause/volume reach the ear): {ms(music)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
