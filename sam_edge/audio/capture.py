"""The microphone: PyAudio capture in the internal format, handed to asyncio frame by frame.

PyAudio is imported only when a microphone is opened, and not even then when the machine has
no sound card, so the service runs (simulated) on machines without either. PortAudio calls
back on its own thread with one 30 ms frame at a time; each frame is handed to the event loop
with ``call_soon_threadsafe``. When the consumer falls behind, the oldest frames are dropped:
stale audio is worth less than fresh audio to a voice assistant.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import MicrophoneError
from .format import CHANNELS, FRAME_SAMPLES, SAMPLE_RATE

logger = logging.getLogger(__name__)

SOUND_CARDS = Path("/proc/asound/cards")
QUEUE_FRAMES = 100
"""Frames buffered for a slow consumer (3 s); older ones are dropped."""


def has_sound_card(path: Path = SOUND_CARDS) -> bool:
    """Whether ALSA lists any sound card (a missing file means no ALSA at all)."""
    try:
        listing = path.read_text(errors="replace")
    except OSError:
        return False
    return bool(listing.strip()) and "no soundcards" not in listing.lower()


@dataclass(frozen=True, slots=True)
class InputDevice:
    index: int
    name: str
    channels: int
    default_rate: int

    def describe(self) -> str:
        return f"#{self.index} {self.name!r} ({self.channels} ch, {self.default_rate} Hz)"


def _import_pyaudio() -> Any:
    try:
        import pyaudio
    except ImportError as exc:
        raise MicrophoneError(
            "PyAudio is not installed, so the microphone cannot be used: "
            "apt install portaudio19-dev, then pip install 'sam-edge[pi]'"
        ) from exc
    return pyaudio


def _inputs(audio: Any) -> list[InputDevice]:
    devices = []
    for index in range(audio.get_device_count()):
        info = audio.get_device_info_by_index(index)
        if int(info.get("maxInputChannels", 0)) > 0:
            devices.append(InputDevice(index, str(info.get("name", "?")),
                                       int(info["maxInputChannels"]),
                                       int(info.get("defaultSampleRate", 0))))
    return devices


def list_input_devices(cards: Path = SOUND_CARDS) -> list[InputDevice]:
    """The capture devices PortAudio sees (none without a sound card)."""
    if not has_sound_card(cards):
        return []
    pyaudio = _import_pyaudio()
    audio = pyaudio.PyAudio()
    try:
        return _inputs(audio)
    finally:
        audio.terminate()


def _resolve(device: str | int | None, inputs: list[InputDevice]) -> int | None:
    """PortAudio's index for ``device``: an index, a (case-insensitive) name part, or default."""
    if device is None or (isinstance(device, str) and not device.strip()):
        if not inputs:
            raise MicrophoneError("No microphone found: the sound card has no capture device.")
        return None
    if isinstance(device, int) or device.strip().isdigit():
        wanted = int(device)
        if any(d.index == wanted for d in inputs):
            return wanted
    else:
        needle = device.strip().lower()
        for d in inputs:
            if needle in d.name.lower():
                return d.index
    available = "; ".join(d.describe() for d in inputs) or "none"
    raise MicrophoneError(f"Microphone {device!r} not found. Capture devices: {available}.")


class MicrophoneSource:
    """Async iterator of 30 ms frames (16 kHz mono 16-bit) from a capture device.

    ``device`` is a PortAudio index, part of a device name, or ``None``/empty for the default.
    Use ``async with`` (or :meth:`open`/:meth:`close`) around the iteration.
    """

    def __init__(self, device: str | int | None = None, *, queue_frames: int = QUEUE_FRAMES,
                 cards: Path = SOUND_CARDS) -> None:
        self.device = device
        self.dropped = 0
        """Frames dropped because the consumer fell behind."""
        self._cards = cards
        self._queue: asyncio.Queue[bytes] = asyncio.Queue(maxsize=queue_frames)
        self._audio: Any = None
        self._stream: Any = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._pa_continue: Any = 0

    async def __aenter__(self) -> MicrophoneSource:
        self.open()
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.close()

    def open(self) -> None:
        if self._stream is not None:
            return
        if not has_sound_card(self._cards):
            raise MicrophoneError(
                f"No sound card ({self._cards} lists none): plug in a USB microphone, "
                f"or use the talk button with a simulated source."
            )
        pyaudio = _import_pyaudio()
        while not self._queue.empty():
            self._queue.get_nowait()
        self._loop = asyncio.get_running_loop()
        self._pa_continue = pyaudio.paContinue
        self._audio = pyaudio.PyAudio()
        try:
            index = _resolve(self.device, _inputs(self._audio))
            self._stream = self._audio.open(
                format=pyaudio.paInt16, channels=CHANNELS, rate=SAMPLE_RATE, input=True,
                input_device_index=index, frames_per_buffer=FRAME_SAMPLES,
                stream_callback=self._on_audio,
            )
        except MicrophoneError:
            self.close()
            raise
        except Exception as exc:
            self.close()
            raise MicrophoneError(
                f"The microphone {self.device or '(default)'} cannot record 16 kHz mono 16-bit "
                f"audio ({exc}); an ALSA 'default' or 'plughw' device converts for you."
            ) from exc
        logger.info("microphone open: %s", self.device or "default device")

    def _on_audio(self, data: bytes, frame_count: int, time_info: Any, status: int) -> Any:
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._put, data)
        return None, self._pa_continue

    def _put(self, frame: bytes) -> None:
        if self._queue.full():
            self._queue.get_nowait()
            self.dropped += 1
            if self.dropped == 1:
                logger.warning("audio frames are being dropped: the listener falls behind")
        self._queue.put_nowait(frame)

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self._frames()

    async def _frames(self) -> AsyncIterator[bytes]:
        self.open()
        while frame := await self._queue.get():
            yield frame

    def close(self) -> None:
        stream, audio = self._stream, self._audio
        self._stream = self._audio = None
        if stream is not None:
            try:
                stream.stop_stream()
                stream.close()
            except Exception:
                logger.debug("closing the microphone stream failed", exc_info=True)
            self._put(b"")  # wakes the iterator, which ends on an empty frame
        if audio is not None:
            audio.terminate()
