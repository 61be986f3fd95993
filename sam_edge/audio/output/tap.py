"""The echo reference: exactly what the stage wrote, with when each block is heard.

The stage appends every block it writes with the time its first sample plays (the sink's
answer, on the stage's monotonic clock). A :class:`ReferenceReader` starts at the sample heard
at a given instant (the first microphone frame's) and from then on hands over the played PCM in
order, so the front end reads it in step with the microphone; when the card ran dry, the
silence it played is in the ring too. The ring keeps the last few seconds; a reader that
falls further behind reads silence for what was dropped.
"""

from __future__ import annotations

import bisect
import threading
from collections import deque
from dataclasses import dataclass

GAP_MS = 2
"""A block heard later than the previous one's end by more than this leaves a gap."""


@dataclass(frozen=True, slots=True)
class Block:
    index: int
    """Position of the block's first frame since the stage started."""
    at: float
    """When that frame is heard (stage clock)."""
    pcm: bytes


class ReferenceTap:
    def __init__(self, rate: int, channels: int, *, seconds: float = 5.0) -> None:
        self.rate, self.channels = rate, channels
        self.frame_bytes = 2 * channels
        self._keep = int(seconds * rate)
        self._blocks: deque[Block] = deque()
        self._lock = threading.Lock()
        self.written = 0
        """Frames written since the stage started (silence where the card ran dry)."""
        self._next_at: float | None = None

    def append(self, at: float, pcm: bytes) -> None:
        frames = len(pcm) // self.frame_bytes
        with self._lock:
            if self._next_at is not None:
                gap = min(self._keep, round((at - self._next_at) * self.rate))
                if gap > self.rate * GAP_MS // 1000:
                    # The card ran dry and played nothing: the reference says so, so that
                    # reading it in order stays in step with the microphone's time.
                    self._blocks.append(Block(self.written, self._next_at,
                                              bytes(gap * self.frame_bytes)))
                    self.written += gap
            self._blocks.append(Block(self.written, at, pcm))
            self.written += frames
            self._next_at = at + frames / self.rate
            while self._blocks and self._blocks[0].index < self.written - self._keep:
                self._blocks.popleft()

    @property
    def oldest(self) -> int:
        with self._lock:
            return self._blocks[0].index if self._blocks else self.written

    def index_at(self, t: float) -> int:
        """The frame heard at ``t``; past the last block, where the stream will be by then."""
        with self._lock:
            if not self._blocks:
                return self.written
            times = [b.at for b in self._blocks]
            i = bisect.bisect_right(times, t) - 1
            block = self._blocks[max(0, i)]
        return max(0, block.index + round((t - block.at) * self.rate))

    def read(self, start: int, frames: int) -> bytes:
        """Frames ``start``..``start + frames`` as far as written (silence for those dropped
        from the ring)."""
        end = start + frames
        with self._lock:
            blocks = list(self._blocks)
            end = min(end, self.written)
        if end <= start:
            return b""
        out = bytearray()
        first = blocks[0].index if blocks else self.written
        if start < first:
            out += bytes((min(end, first) - start) * self.frame_bytes)
            start = min(end, first)
        for block in blocks:
            b_end = block.index + len(block.pcm) // self.frame_bytes
            if b_end <= start or block.index >= end:
                continue
            lo = (max(start, block.index) - block.index) * self.frame_bytes
            hi = (min(end, b_end) - block.index) * self.frame_bytes
            out += block.pcm[lo:hi]
        return bytes(out)

    def reader(self, at: float) -> ReferenceReader:
        return ReferenceReader(self, self.index_at(at))


class ReferenceReader:
    """The played PCM from one instant on, in order."""

    def __init__(self, tap: ReferenceTap, start: int) -> None:
        self.tap = tap
        self.cursor = start
        self.rate, self.channels = tap.rate, tap.channels

    def take(self, most: int | None = None) -> bytes:
        """Everything written since the last call (at most ``most`` frames)."""
        most = self.tap.written - self.cursor if most is None else most
        if most <= 0:
            return b""
        pcm = self.tap.read(self.cursor, most)
        self.cursor += len(pcm) // self.tap.frame_bytes
        return pcm
