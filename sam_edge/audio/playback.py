"""Speaking out loud: the :class:`AudioSink` seam, an in-memory sink and an ``aplay`` sink.

A sink plays a stream of 16-bit mono PCM chunks as they arrive (a reply streamed from the TTS
service starts playing before it has all arrived) and can be stopped at any moment for barge-in:
:meth:`AudioSink.stop` makes the running :meth:`AudioSink.play` return ``False`` promptly, even
while it waits for the next chunk. A stop with nothing playing is a no-op.

:class:`AplaySink` pipes raw PCM into ``aplay`` (Debian ``alsa-utils``): it plays through
ALSA's ``default`` device, which mixes with the music player through dmix, and it starts in a
few milliseconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
from collections.abc import AsyncIterator
from typing import Protocol

from .errors import PlaybackError

logger = logging.getLogger(__name__)


class AudioSink(Protocol):
    async def play(self, chunks: AsyncIterator[bytes], sample_rate: int) -> bool:
        """Play every chunk; ``False`` when :meth:`stop` cut it short."""
        ...

    def stop(self) -> None:
        """Stop the current playback now (barge-in)."""
        ...


async def _until_stopped(chunks: AsyncIterator[bytes],
                         stopped: asyncio.Event) -> AsyncIterator[bytes]:
    """``chunks`` until they end or ``stopped`` is set, whichever comes first."""
    iterator = aiter(chunks)
    stop_wait = asyncio.ensure_future(stopped.wait())
    try:
        while not stopped.is_set():
            next_chunk = asyncio.ensure_future(anext(iterator))
            await asyncio.wait({next_chunk, stop_wait}, return_when=asyncio.FIRST_COMPLETED)
            if not next_chunk.done():
                next_chunk.cancel()
                with contextlib.suppress(asyncio.CancelledError, StopAsyncIteration):
                    await next_chunk
                return
            try:
                chunk = next_chunk.result()
            except StopAsyncIteration:
                return
            if chunk:
                yield chunk
    finally:
        stop_wait.cancel()
        closer = getattr(iterator, "aclose", None)
        if closer is not None:
            with contextlib.suppress(Exception):
                await closer()


class MemorySink:
    """Keeps what it is given: for tests, the simulated mode and replies sent back over HTTP."""

    def __init__(self) -> None:
        self.pcm = bytearray()
        """Everything played so far, across plays."""
        self.sample_rate: int | None = None
        self.plays: list[bytes] = []
        """One entry per finished or stopped play."""
        self._stopped: asyncio.Event | None = None

    @property
    def playing(self) -> bool:
        return self._stopped is not None

    async def play(self, chunks: AsyncIterator[bytes], sample_rate: int) -> bool:
        stopped = self._stopped = asyncio.Event()
        self.sample_rate = sample_rate
        this = bytearray()
        try:
            async for chunk in _until_stopped(chunks, stopped):
                this += chunk
            return not stopped.is_set()
        finally:
            self.pcm += this
            self.plays.append(bytes(this))
            if self._stopped is stopped:
                self._stopped = None

    def stop(self) -> None:
        if self._stopped is not None:
            self._stopped.set()

    def clear(self) -> None:
        self.pcm.clear()
        self.plays.clear()


class AplaySink:
    """Streams PCM into ``aplay -q -t raw -f S16_LE -c 1 -r RATE``; stop() terminates it."""

    def __init__(self, device: str = "", *, aplay: str = "aplay") -> None:
        self.device = device
        """An ALSA PCM name (``-D``); empty = ALSA's ``default``."""
        self.aplay = aplay
        self._proc: asyncio.subprocess.Process | None = None
        self._stopped: asyncio.Event | None = None

    @property
    def playing(self) -> bool:
        return self._proc is not None

    async def play(self, chunks: AsyncIterator[bytes], sample_rate: int) -> bool:
        exe = shutil.which(self.aplay)
        if exe is None:
            raise PlaybackError(f"{self.aplay} is not installed (apt install alsa-utils).")
        stopped = self._stopped = asyncio.Event()
        device = ["-D", self.device] if self.device else []
        proc = self._proc = await asyncio.create_subprocess_exec(
            exe, "-q", *device, "-t", "raw", "-f", "S16_LE", "-c", "1", "-r", str(sample_rate),
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        assert proc.stdin is not None and proc.stderr is not None
        try:
            try:
                async for chunk in _until_stopped(chunks, stopped):
                    proc.stdin.write(chunk)
                    await proc.stdin.drain()
                proc.stdin.close()
            except (BrokenPipeError, ConnectionResetError):
                pass  # aplay is gone: its exit status below says why
            if stopped.is_set():
                return False
            waiter = asyncio.ensure_future(proc.wait())
            stop_wait = asyncio.ensure_future(stopped.wait())
            await asyncio.wait({waiter, stop_wait}, return_when=asyncio.FIRST_COMPLETED)
            stop_wait.cancel()
            if stopped.is_set():
                return False
            if proc.returncode != 0:
                errors = (await proc.stderr.read()).decode(errors="replace").strip()
                reason = errors.splitlines()[-1] if errors else f"exit status {proc.returncode}"
                raise PlaybackError(f"aplay could not play the reply ({reason}).")
            return True
        finally:
            await self._end(proc)
            if self._stopped is stopped:
                self._stopped = None

    async def _end(self, proc: asyncio.subprocess.Process) -> None:
        if proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                proc.terminate()
            try:
                await asyncio.wait_for(proc.wait(), 2.0)
            except TimeoutError:
                proc.kill()
                await proc.wait()
        if self._proc is proc:
            self._proc = None

    def stop(self) -> None:
        if self._stopped is not None:
            self._stopped.set()
        if self._proc is not None and self._proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self._proc.terminate()
