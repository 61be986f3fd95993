"""Replies and earcons through the output stage: the :class:`~sam_edge.audio.playback.AudioSink`
seam over a pushed stage input.

Chunks are pushed as they arrive, at most ``ahead_s`` ahead of what the card has played (a long
reply is not resampled all at once), and :meth:`StageSpeaker.play` returns once the card has
taken the last of it. :meth:`StageSpeaker.stop` drops what is queued at once: barge-in is
heard within one block.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from ..playback import _until_stopped
from .inputs import StreamInput
from .stage import OutputStage

POLL_S = 0.01


class StageSpeaker:
    def __init__(self, stage: OutputStage, name: str = "reply", *, ahead_s: float = 0.3) -> None:
        self.stage = stage
        self.name = name
        self._ahead = int(ahead_s * stage.rate)
        self._stopped: asyncio.Event | None = None
        self._input: StreamInput | None = None

    @property
    def playing(self) -> bool:
        return self._stopped is not None

    async def play(self, chunks: AsyncIterator[bytes], sample_rate: int) -> bool:
        stopped = self._stopped = asyncio.Event()
        inp = self._input = self.stage.stream(self.name, sample_rate, 1)
        try:
            async for chunk in _until_stopped(chunks, stopped):
                inp.push(chunk)
                while inp.queued > self._ahead and not (stopped.is_set() or inp.ended):
                    if not self.stage.running:
                        return False
                    await asyncio.sleep(POLL_S)
                if inp.ended:  # replaced by a newer play of the same name
                    return False
            if stopped.is_set():
                return False
            inp.finish()
            while not inp.ended and not stopped.is_set():
                if not self.stage.running:  # closed under us: nothing will play it
                    return False
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stopped.wait(), POLL_S)
            return not stopped.is_set()
        finally:
            if stopped.is_set():
                inp.close()
            if self._stopped is stopped:
                self._stopped, self._input = None, None

    def stop(self) -> None:
        if self._stopped is not None:
            self._stopped.set()
        if self._input is not None:
            self._input.close()
