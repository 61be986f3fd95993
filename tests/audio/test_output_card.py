"""The card sink with stand-in ``aplay`` programs: the mix reaches it with the right options,
and a card that is gone costs one retry every few seconds, not one per block."""

from __future__ import annotations

import stat
import time
from pathlib import Path

from sam_edge.audio.output.sinks import RETRY_S, AplayCardSink
from tests.audio.output_fakes import SteppedClock


def script(path: Path, body: str) -> str:
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return str(path)


def test_the_mix_is_streamed_into_one_aplay(tmp_path: Path) -> None:
    out, args = tmp_path / "played.raw", tmp_path / "args"
    aplay = script(tmp_path / "aplay", f'echo "$@" > {args}\nexec cat > {out}')
    sink = AplayCardSink("hw:1,0", aplay=aplay)
    block = bytes(range(256)) * 15  # 10 ms of 48 kHz stereo
    for _ in range(50):
        sink.write(block)
    sink.close()
    assert out.read_bytes() == block * 50
    assert args.read_text().split() == ["-q", "-D", "hw:1,0", "-t", "raw", "-f", "S16_LE",
                                        "-c", "2", "-r", "48000", "--buffer-time=40000",
                                        "--period-time=10000"]


def test_a_missing_card_is_retried_every_few_seconds(tmp_path: Path) -> None:
    starts = tmp_path / "starts"
    aplay = script(tmp_path / "aplay", f"echo x >> {starts}\nexit 1")
    clock = SteppedClock()
    sink = AplayCardSink(aplay=aplay, clock=clock)
    block = bytes(1920)
    deadline = time.monotonic() + 30
    while clock.t < 100.0 + 3 * RETRY_S and time.monotonic() < deadline:
        sink.write(block)
        time.sleep(0.001)
    sink.close()
    assert 1 <= len(starts.read_text().split()) <= 4
