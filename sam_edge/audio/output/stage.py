"""The output stage: one thread mixes every input block by block, writes the mix to the sink
at the card's pace and taps it as the echo reference.

Blocks are 10 ms: the stage adds one block plus the sink's small buffer to what a player would
have had writing to the card itself. Gain and pause are kept per input *name*, so a restarted
player (a new mpv, a new librespot writer) comes back at the same level. A paused input is not
read, so its writer blocks on the full pipe; mpv's own pause and volume work as they always did
(mpv applies its volume before it writes, and writes nothing while paused).
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

import numpy as np

from .inputs import Converter, Input, StreamInput
from .sinks import PcmSink
from .tap import ReferenceTap

log = logging.getLogger(__name__)


@dataclass
class StageStats:
    blocks: int = 0
    mix_s: float = 0.0
    """Time spent mixing and tapping (the sink's wait excluded)."""
    silent_blocks: int = 0


class OutputStage:
    def __init__(self, sink: PcmSink, *, block_ms: int = 10, reference_s: float = 5.0) -> None:
        self.sink = sink
        self.rate, self.channels = sink.rate, sink.channels
        self.block_ms = block_ms
        self.block = self.rate * block_ms // 1000
        self.tap = ReferenceTap(self.rate, self.channels, seconds=reference_s)
        self.stats = StageStats()
        self._inputs: dict[str, Input] = {}
        self._gain: dict[str, float] = {}
        self._paused: set[str] = set()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()

    # ------------------------------------------------------------ inputs

    def attach(self, inp: Input) -> None:
        """Take ``inp``; an input of the same name (a player that was restarted) is dropped."""
        with self._lock:
            old = self._inputs.get(inp.name)
            self._inputs[inp.name] = inp
        if old is not None and old is not inp:
            old.close()

    def detach(self, name: str) -> None:
        with self._lock:
            old = self._inputs.pop(name, None)
        if old is not None:
            old.close()

    def input(self, name: str) -> Input | None:
        with self._lock:
            return self._inputs.get(name)

    def converter(self, rate: int, channels: int) -> Converter:
        return Converter(rate, channels, self.rate, self.channels)

    def stream(self, name: str, rate: int, channels: int = 1) -> StreamInput:
        """A new pushed input (a reply, an earcon), attached."""
        inp = StreamInput(name, self.converter(rate, channels))
        self.attach(inp)
        return inp

    def set_gain(self, name: str, gain: float) -> None:
        self._gain[name] = max(0.0, float(gain))

    def set_paused(self, name: str, paused: bool) -> None:
        if paused:
            self._paused.add(name)
        else:
            self._paused.discard(name)

    # ------------------------------------------------------------ the loop

    def mix(self) -> bytes:
        """One block of the mix (also drops the inputs that ended)."""
        acc = np.zeros((self.block, self.channels), dtype=np.float32)
        with self._lock:
            inputs = list(self._inputs.values())
        audible = False
        for inp in inputs:
            if inp.name in self._paused:
                continue
            x = inp.pull(self.block)
            if x is not None and len(x):
                acc[:len(x)] += x * self._gain.get(inp.name, 1.0)
                audible = True
            if inp.ended:
                with self._lock:
                    if self._inputs.get(inp.name) is inp:
                        del self._inputs[inp.name]
                inp.close()
        if not audible:
            self.stats.silent_blocks += 1
        return np.clip(acc, -32768, 32767).astype("<i2").tobytes()

    def step(self) -> None:
        """Mix one block, write it (blocking at the card's pace), tap what was written."""
        t0 = time.perf_counter()
        pcm = self.mix()
        spent = time.perf_counter() - t0
        at = self.sink.write(pcm)
        t1 = time.perf_counter()
        self.tap.append(at, pcm)
        self.stats.mix_s += spent + time.perf_counter() - t1
        self.stats.blocks += 1

    def start(self) -> None:
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="sam-output", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.step()
            except Exception:  # a broken input or card must not end playback for good
                log.exception("the output stage failed a block")
                time.sleep(self.block_ms / 1000)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(2.0)
            self._thread = None
        with self._lock:
            inputs, self._inputs = list(self._inputs.values()), {}
        for inp in inputs:
            inp.close()
        self.sink.close()
