"""Audio that does not come from the microphone: WAV files as a frame source, and uploads.

Both end in the internal format (:mod:`sam_edge.audio.format`). Audio already in that format
is read with the stdlib ``wave`` module; anything else (another rate or channel count, a
compressed container) goes through ``ffmpeg``, which uploads need anyway and which resamples
with a proper low-pass filter. ``audioop`` is deprecated (and gone in Python 3.13), and a
pure-Python resampler would be slow and alias.

:func:`decode_upload` sniffs the container from its first bytes before decoding, so random
bytes are refused as :class:`~sam_edge.audio.errors.NotAudio` without starting ffmpeg. It
blocks (it may run ffmpeg): call it through ``asyncio.to_thread`` from async code.
"""

from __future__ import annotations

import asyncio
import io
import logging
import os
import shutil
import struct
import subprocess
import wave
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import BinaryIO

from .errors import AudioError, DecoderMissing, EmptyAudio, NotAudio, TooLong, TruncatedAudio
from .format import CHANNELS, FRAME_BYTES, SAMPLE_RATE, SAMPLE_WIDTH, Clip

logger = logging.getLogger(__name__)

DECODE_TIMEOUT_S = 20.0
KINDS = {"wav": "WAV", "ogg": "Ogg", "webm": "WebM", "mp3": "MP3", "flac": "FLAC", "mp4": "MP4"}
# Streaming writers put a placeholder in the data chunk size; such files are decoded by ffmpeg,
# which reads to the end instead of trusting the header.
_PLACEHOLDER_BYTES = 0x7FFF_0000
_DAMAGE_MARKERS = ("invalid data", "ended prematurely", "end of file", "truncat", "partial file",
                   "corrupt")


def sniff(data: bytes) -> str | None:
    """The container in ``data`` from its magic bytes (a key of :data:`KINDS`), else ``None``."""
    if data[:4] == b"RIFF" and data[8:12] == b"WAVE":
        return "wav"
    if data[:4] == b"OggS":
        return "ogg"
    if data[:4] == b"\x1aE\xdf\xa3":
        return "webm"
    if data[:4] == b"fLaC":
        return "flac"
    if data[4:8] == b"ftyp":
        return "mp4"
    if data[:3] == b"ID3" or (len(data) > 1 and data[0] == 0xFF and data[1] & 0xE0 == 0xE0):
        return "mp3"
    return None


def decode_upload(data: bytes, *, max_seconds: float, ffmpeg: str = "ffmpeg",
                  timeout_s: float = DECODE_TIMEOUT_S) -> Clip:
    """Uploaded bytes (WAV, WebM, Ogg, MP3, FLAC, MP4) as a clip in the internal format."""
    if not data:
        raise EmptyAudio("The upload is empty.")
    kind = sniff(data)
    if kind is None:
        raise NotAudio("This is not audio SAM can read: send WAV, WebM, Ogg, MP3, FLAC or MP4.")
    pcm = _read_native_wav(data, max_seconds) if kind == "wav" else None
    if pcm is None:
        pcm = _ffmpeg_decode(data, kind, ffmpeg=ffmpeg, timeout_s=timeout_s,
                             max_seconds=max_seconds)
    if len(pcm) < SAMPLE_WIDTH:
        raise EmptyAudio(f"The {KINDS[kind]} upload holds no audio samples.")
    clip = Clip(pcm)
    if clip.duration_s > max_seconds:
        raise TooLong(clip.duration_s, max_seconds, at_least=kind != "wav")
    return clip


def _read_native_wav(data: bytes, max_seconds: float | None) -> bytes | None:
    """PCM of a WAV already in the internal format; ``None`` when ffmpeg must convert it."""
    try:
        with wave.open(io.BytesIO(data)) as wav:
            rate, width = wav.getframerate(), wav.getsampwidth()
            channels, nframes = wav.getnchannels(), wav.getnframes()
            promised = nframes * width * channels
            if nframes == 0 and not _bytes_after_data_header(data):
                raise EmptyAudio("The WAV file holds no audio samples.")
            if nframes == 0 or promised >= _PLACEHOLDER_BYTES:
                return None
            seconds = nframes / rate if rate else 0.0
            if max_seconds is not None and seconds > max_seconds:
                raise TooLong(seconds, max_seconds)
            if (channels, width, rate) != (CHANNELS, SAMPLE_WIDTH, SAMPLE_RATE):
                return None
            pcm: bytes = wav.readframes(nframes)
    except wave.Error as exc:
        if "unknown format" in str(exc):
            return None  # float or WAVE_FORMAT_EXTENSIBLE: ffmpeg reads those
        raise TruncatedAudio(f"The WAV file is damaged or cut short ({exc}).") from exc
    except EOFError as exc:
        raise TruncatedAudio("The WAV header is cut short.") from exc
    except (RuntimeError, ValueError, OverflowError, struct.error) as exc:
        # The chunk reader trips over nonsense sizes in a RIFF header with garbage after it.
        raise TruncatedAudio("The WAV file is damaged: its header makes no sense.") from exc
    if len(pcm) < promised:
        raise TruncatedAudio(
            f"The WAV file is cut short: its header promises {seconds:.2f} s of audio "
            f"but only {len(pcm) / (SAMPLE_WIDTH * SAMPLE_RATE):.2f} s are there."
        )
    return pcm


def _bytes_after_data_header(data: bytes) -> int:
    at = data.find(b"data", 12)
    return max(0, len(data) - (at + 8)) if at >= 0 else 0


def _ffmpeg_decode(data: bytes, kind: str, *, ffmpeg: str, timeout_s: float,
                   max_seconds: float | None) -> bytes:
    exe = shutil.which(ffmpeg)
    label = KINDS[kind]
    if exe is None:
        raise DecoderMissing(f"Reading {label} audio needs ffmpeg, which is not installed "
                             f"(apt install ffmpeg).")
    # A little over the limit is enough to know the clip is too long, and it stops a tiny
    # file that decodes to hours of audio.
    limit = ["-t", f"{max_seconds + 1:g}"] if max_seconds is not None else []
    cmd = [exe, "-nostdin", "-hide_banner", "-loglevel", "error", "-i", "pipe:0", *limit,
           "-vn", "-f", "s16le", "-ac", str(CHANNELS), "-ar", str(SAMPLE_RATE), "pipe:1"]
    try:
        done = subprocess.run(cmd, input=data, capture_output=True, timeout=timeout_s,
                              check=False)
    except subprocess.TimeoutExpired as exc:
        raise AudioError(f"Decoding the {label} audio took longer than {timeout_s:g} s.",
                         code="decode_timeout", status=503) from exc
    errors = done.stderr.decode(errors="replace").strip()
    if done.returncode != 0 or any(marker in errors.lower() for marker in _DAMAGE_MARKERS):
        reason = errors.splitlines()[-1] if errors else f"ffmpeg exit status {done.returncode}"
        raise TruncatedAudio(
            f"The {label} audio could not be decoded; it looks damaged or cut short ({reason})."
        )
    pcm = done.stdout
    return pcm[:len(pcm) - len(pcm) % SAMPLE_WIDTH]


def read_wav_pcm(source: str | os.PathLike[str] | BinaryIO, *, ffmpeg: str = "ffmpeg") -> bytes:
    """The whole of a WAV file in the internal format (converted by ffmpeg when needed)."""
    data = Path(source).read_bytes() if isinstance(source, str | os.PathLike) else source.read()
    if not data:
        raise EmptyAudio("The WAV file is empty.")
    if sniff(data) != "wav":
        raise NotAudio("This is not a WAV file.")
    pcm = _read_native_wav(data, None)
    if pcm is None:
        pcm = _ffmpeg_decode(data, "wav", ffmpeg=ffmpeg, timeout_s=DECODE_TIMEOUT_S,
                             max_seconds=None)
    return pcm


class WavSource:
    """Frames of a WAV file: as fast as they are taken, or one per frame time (``realtime``).

    The last partial frame is padded with silence. Files in the internal format are streamed
    from disk; others are converted whole by ffmpeg first.
    """

    def __init__(self, source: str | os.PathLike[str] | BinaryIO, *, realtime: bool = False,
                 frame_bytes: int = FRAME_BYTES, ffmpeg: str = "ffmpeg") -> None:
        self.source = source
        self.realtime = realtime
        self.frame_bytes = frame_bytes
        self._ffmpeg = ffmpeg

    @property
    def frame_s(self) -> float:
        return self.frame_bytes / (SAMPLE_WIDTH * SAMPLE_RATE)

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self._paced()

    async def _paced(self) -> AsyncIterator[bytes]:
        loop = asyncio.get_running_loop()
        start = loop.time()
        for index, frame in enumerate(self.iter_frames()):
            if self.realtime:
                # Like a microphone: a frame is there once its last sample has been "heard".
                # Scheduling against the start time keeps sleep overshoot from adding up.
                await asyncio.sleep(max(0.0, start + (index + 1) * self.frame_s - loop.time()))
            else:
                await asyncio.sleep(0)
            yield frame

    def iter_frames(self) -> Iterator[bytes]:
        """The frames without pacing (a plain, blocking iterator)."""
        size = self.frame_bytes
        for chunk in self._chunks():
            yield chunk if len(chunk) == size else chunk + bytes(size - len(chunk))

    def _chunks(self) -> Iterator[bytes]:
        samples = self.frame_bytes // SAMPLE_WIDTH
        try:
            with wave.open(self._reopen(), "rb") as wav:
                if (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) == (
                        CHANNELS, SAMPLE_WIDTH, SAMPLE_RATE):
                    while chunk := wav.readframes(samples):
                        yield chunk
                    return
        except wave.Error as exc:
            if "RIFF" in str(exc) or "WAVE" in str(exc):
                raise NotAudio(f"{self.source} is not a WAV file.") from exc
            if "unknown format" not in str(exc):
                raise TruncatedAudio(f"The WAV file is damaged ({exc}).") from exc
        except EOFError as exc:
            raise TruncatedAudio("The WAV header is cut short.") from exc
        pcm = read_wav_pcm(self._reopen(), ffmpeg=self._ffmpeg)
        for i in range(0, len(pcm), self.frame_bytes):
            yield pcm[i:i + self.frame_bytes]

    def _reopen(self) -> str | BinaryIO:
        if isinstance(self.source, str | os.PathLike):
            return os.fspath(self.source)
        self.source.seek(0)
        return self.source
