"""``sam-edge-pcm-in`` as librespot's subprocess backend uses it: a writer that writes as fast as
it can, is killed on pause and started again on resume."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from sam_edge.audio.output.sinks import PacedNullSink
from sam_edge.audio.output.socket_in import PcmSocketServer
from sam_edge.audio.output.stage import OutputStage

# librespot: 44.1 kHz S16 stereo, unpaced, until it is killed.
WRITER = """
import sys, numpy as np
t = np.arange(44100 * 30) / 44100
x = (10000 * np.sin(2 * np.pi * 500 * t)).astype('<i2')
pcm = np.repeat(x[:, None], 2, axis=1).tobytes()
out = sys.stdout.buffer
for i in range(0, len(pcm), 8192):
    out.write(pcm[i:i + 8192])
    out.flush()
"""


def until(check: Callable[[], bool], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.02)


def start_writer(sock: Path) -> tuple[subprocess.Popen[bytes], subprocess.Popen[bytes]]:
    """The fake librespot piping into sam-edge-pcm-in, as the subprocess backend does."""
    pcm_in = subprocess.Popen(
        [sys.executable, "-m", "sam_edge.audio.output.pcm_in", "--rate", "44100",
         "--channels", "2", "--socket", str(sock)], stdin=subprocess.PIPE)
    writer = subprocess.Popen([sys.executable, "-c", WRITER], stdout=pcm_in.stdin)
    assert pcm_in.stdin is not None
    pcm_in.stdin.close()
    return writer, pcm_in


def peak(stage: OutputStage, since: int) -> int:
    pcm = stage.tap.read(since, stage.tap.written - since)
    return int(np.abs(np.frombuffer(pcm, "<i2")).max()) if pcm else 0


def loud_now(stage: OutputStage) -> bool:
    return peak(stage, max(0, stage.tap.written - 4800)) > 5000


def test_a_writer_is_paced_killed_on_pause_and_replaced_on_resume(tmp_path: Path) -> None:
    stage = OutputStage(PacedNullSink(), block_ms=10)
    server = PcmSocketServer(stage, tmp_path / "pcm.sock")
    server.start()
    stage.start()
    procs: list[subprocess.Popen[bytes]] = []
    try:
        writer, pcm_in = start_writer(server.path)
        procs += [writer, pcm_in]
        until(lambda: loud_now(stage), 10.0)
        # Paced: 30 s of audio is not swallowed in a second.
        time.sleep(1.0)
        assert writer.poll() is None
        assert server.connections == 1

        # Pause: librespot kills its child; the stage plays silence.
        pcm_in.kill()
        writer.kill()
        pcm_in.wait(5)
        writer.wait(5)
        until(lambda: peak(stage, max(0, stage.tap.written - 4800)) == 0, 5.0)
        mark = stage.tap.written
        time.sleep(0.4)
        assert peak(stage, mark) == 0

        # Resume: a new child is taken at once.
        writer, pcm_in = start_writer(server.path)
        procs += [writer, pcm_in]
        until(lambda: loud_now(stage) and server.connections == 2, 10.0)
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait(5)
        server.close()
        stage.close()


def test_without_the_service_the_writer_is_drained_at_its_pace(tmp_path: Path) -> None:
    pcm = bytes(44_100 * 4 // 2)  # 0.5 s
    start = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "sam_edge.audio.output.pcm_in", "--socket",
         str(tmp_path / "absent.sock")], input=pcm, timeout=30, check=False)
    assert done.returncode == 0
    assert time.monotonic() - start > 0.4
