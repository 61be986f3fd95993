"""The output stage's inputs: a player's PCM on a pipe or socket, and replies pushed in.

Every input hands the mixer float32 frames at the card's rate and channel count. A
:class:`FdInput` reads only while its own buffer is short (a few blocks), so a player writing
faster than real time blocks on its pipe: the card's pace is what paces it. A paused mpv simply
stops writing; the input then gives nothing and the stage plays silence.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import threading
from collections import deque
from collections.abc import Callable
from typing import Protocol

import numpy as np
import soxr

from .sinks import PIPE_BYTES


def take_frames(chunks: deque[np.ndarray], frames: int) -> tuple[list[np.ndarray], int]:
    """Up to ``frames`` frames from the front of ``chunks``; a chunk cut short keeps its rest
    at the front."""
    out: list[np.ndarray] = []
    got = 0
    while chunks and got < frames:
        chunk = chunks.popleft()
        take = min(len(chunk), frames - got)
        out.append(chunk[:take])
        if take < len(chunk):
            chunks.appendleft(chunk[take:])
        got += take
    return out, got


class Input(Protocol):
    name: str

    @property
    def ended(self) -> bool: ...

    def pull(self, frames: int) -> np.ndarray | None:
        """Up to ``frames`` frames (float32, frames x channels); ``None`` when none is ready."""
        ...

    def close(self) -> None: ...


class Converter:
    """S16 interleaved PCM at any rate and channel count → float32 at the card's."""

    def __init__(self, rate: int, channels: int, out_rate: int, out_channels: int) -> None:
        if channels < 1 or rate < 1:
            raise ValueError(f"bad input format: {rate} Hz, {channels} channels")
        self.rate, self.channels = rate, channels
        self.out_channels = out_channels
        self._pending = b""
        self._resampler = (soxr.ResampleStream(rate, out_rate, out_channels, dtype="float32",
                                               quality="HQ") if rate != out_rate else None)

    def convert(self, pcm: bytes, *, last: bool = False) -> np.ndarray:
        data = self._pending + pcm
        whole = len(data) - len(data) % (2 * self.channels)
        self._pending = data[whole:]
        x = np.frombuffer(data[:whole], dtype="<i2").astype(np.float32)
        x = x.reshape(-1, self.channels)
        if self.channels != self.out_channels:
            mono = x.mean(axis=1, keepdims=True) if self.channels > 1 else x
            x = np.repeat(mono, self.out_channels, axis=1)
        if self._resampler is not None:
            x = self._resampler.resample_chunk(np.ascontiguousarray(x), last=last)
        return np.asarray(x, dtype=np.float32).reshape(-1, self.out_channels)


class FdInput:
    """A writer's PCM on a pipe or stream socket (mpv's stdout, ``sam-edge-pcm-in``)."""

    def __init__(self, name: str, fd: int, converter: Converter, *, buffer_frames: int,
                 on_close: Callable[[], None] | None = None) -> None:
        self.name = name
        self._fd = fd
        self._conv = converter
        self._target = buffer_frames
        self._on_close = on_close
        self._chunks: deque[np.ndarray] = deque()
        self._queued = 0
        self._eof = False
        self._closed = False
        # The mixer reads while another thread may replace this input: a descriptor closed
        # mid-read could be reused by the new pipe.
        self._lock = threading.Lock()
        self.underruns = 0
        os.set_blocking(fd, False)
        with contextlib.suppress(OSError):  # a socket is no pipe
            fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, PIPE_BYTES)

    @property
    def ended(self) -> bool:
        return self._closed or (self._eof and self._queued == 0)

    def _fill(self) -> None:
        want = 2 * self._conv.channels * max(256, self._target)
        while not self._eof and self._queued < self._target:
            try:
                data = os.read(self._fd, want)
            except BlockingIOError:
                return
            except OSError:
                data = b""
            if not data:
                self._eof = True
                data_out = self._conv.convert(b"", last=True)
            else:
                data_out = self._conv.convert(data)
            if len(data_out):
                self._chunks.append(data_out)
                self._queued += len(data_out)

    def pull(self, frames: int) -> np.ndarray | None:
        with self._lock:
            if self._closed:
                return None
            self._fill()
        if not self._queued:
            return None
        out, got = take_frames(self._chunks, frames)
        self._queued -= got
        if got < frames and not self._eof:
            self.underruns += 1
        return np.concatenate(out) if len(out) > 1 else out[0]

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            if self._on_close is not None:
                self._on_close()
            else:
                with contextlib.suppress(OSError):
                    os.close(self._fd)


class StreamInput:
    """PCM pushed from the event loop (a reply, an earcon); ends once finished and played."""

    def __init__(self, name: str, converter: Converter) -> None:
        self.name = name
        self._conv = converter
        self._lock = threading.Lock()
        self._chunks: deque[np.ndarray] = deque()
        self._queued = 0
        self._finished = False
        self._closed = False

    @property
    def queued(self) -> int:
        return self._queued

    @property
    def ended(self) -> bool:
        return self._closed or (self._finished and self._queued == 0)

    def push(self, pcm: bytes) -> None:
        x = self._conv.convert(pcm)
        with self._lock:
            if len(x) and not self._closed:
                self._chunks.append(x)
                self._queued += len(x)

    def finish(self) -> None:
        tail = self._conv.convert(b"", last=True)
        with self._lock:
            if len(tail) and not self._closed:
                self._chunks.append(tail)
                self._queued += len(tail)
            self._finished = True

    def pull(self, frames: int) -> np.ndarray | None:
        with self._lock:
            out, got = take_frames(self._chunks, frames)
            self._queued -= got
        if not out:
            return None
        return np.concatenate(out) if len(out) > 1 else out[0]

    def close(self) -> None:
        with self._lock:
            self._closed = True
            self._chunks.clear()
            self._queued = 0
