"""What the live loop needs of the echo reference: the played audio, read from an instant on
(:class:`~sam_edge.audio.output.tap.ReferenceTap` is the real one)."""

from __future__ import annotations

from typing import Protocol


class PlayedReader(Protocol):
    def take(self) -> bytes:
        """The PCM played since the last call, in order."""
        ...


class PlayedAudio(Protocol):
    """What the output stage played (:class:`~sam_edge.audio.output.tap.ReferenceTap`)."""

    @property
    def rate(self) -> int: ...

    @property
    def channels(self) -> int: ...

    def reader(self, at: float) -> PlayedReader:
        """A reader from the sample heard at ``at`` (``time.monotonic()``)."""
        ...
