"""The wake-word seam: Porcupine on the device, :class:`OffsetWake` for tests and simulation.

``pvporcupine`` is imported only inside :func:`create_wake_engine`: it raises at import time on
machines it does not support, and its ``create`` checks the access key online. The factory
turns every such failure into ``(None, reason)`` so the caller can fall back to the talk
button and say why, once; it never raises and never retries.

Porcupine wants frames of ``frame_length`` (512) samples while the rest of the pipeline uses
30 ms (480-sample) frames; :class:`Rechunker` regroups a byte stream for any frame size.
"""

from __future__ import annotations

import logging
import sys
from array import array
from collections.abc import Sequence
from typing import Any, Protocol

from ..audio.format import SAMPLE_RATE, SAMPLE_WIDTH

logger = logging.getLogger(__name__)

ACCESS_KEY_ENV = "SAM_PORCUPINE_ACCESS_KEY"
DEFAULT_KEYWORD = "porcupine"


class WakeEngine(Protocol):
    """Something that hears the wake word in fixed-size frames of 16-bit mono PCM."""

    @property
    def frame_length(self) -> int:
        """Samples per frame that :meth:`process` expects."""
        ...

    @property
    def sample_rate(self) -> int: ...

    def process(self, frame: bytes) -> bool:
        """True when the wake word ends in this frame."""
        ...

    def close(self) -> None: ...


class WakeOptions(Protocol):
    """The settings the factory reads (the ``[porcupine]`` section has them)."""

    @property
    def access_key(self) -> str: ...

    @property
    def keyword(self) -> str: ...

    @property
    def keyword_path(self) -> str: ...

    @property
    def sensitivity(self) -> float: ...


class Rechunker:
    """Regroups arbitrary byte chunks into frames of exactly ``frame_bytes``."""

    def __init__(self, frame_bytes: int) -> None:
        if frame_bytes <= 0 or frame_bytes % SAMPLE_WIDTH:
            raise ValueError(f"frame size must be a positive whole number of samples, "
                             f"got {frame_bytes} bytes")
        self.frame_bytes = frame_bytes
        self._buffer = bytearray()

    @property
    def pending(self) -> int:
        """Bytes waiting for the rest of their frame."""
        return len(self._buffer)

    def feed(self, data: bytes) -> list[bytes]:
        self._buffer += data
        size = self.frame_bytes
        whole = len(self._buffer) - len(self._buffer) % size
        out = [bytes(self._buffer[i:i + size]) for i in range(0, whole, size)]
        del self._buffer[:whole]
        return out

    def reset(self) -> None:
        self._buffer.clear()


class PorcupineWake:
    """Porcupine with one keyword: a built-in name or a ``.ppn`` file (which wins)."""

    def __init__(self, access_key: str, *, keyword: str = DEFAULT_KEYWORD,
                 keyword_path: str = "", sensitivity: float = 0.5) -> None:
        import pvporcupine

        self.label = keyword_path or keyword
        options: dict[str, Any] = (
            {"keyword_paths": [keyword_path]} if keyword_path else {"keywords": [keyword]}
        )
        self._handle = pvporcupine.create(
            access_key=access_key, sensitivities=[sensitivity], **options
        )

    @property
    def frame_length(self) -> int:
        return int(self._handle.frame_length)

    @property
    def sample_rate(self) -> int:
        return int(self._handle.sample_rate)

    def process(self, frame: bytes) -> bool:
        if len(frame) != self.frame_length * SAMPLE_WIDTH:
            raise ValueError(f"Porcupine takes {self.frame_length}-sample frames "
                             f"({self.frame_length * SAMPLE_WIDTH} bytes), got {len(frame)} bytes")
        samples = array("h", frame)
        if sys.byteorder == "big":
            samples.byteswap()
        return bool(self._handle.process(samples) >= 0)

    def close(self) -> None:
        if self._handle is not None:
            self._handle.delete()
            self._handle = None


class OffsetWake:
    """Fires when the audio it has processed passes each offset (seconds), once per offset."""

    def __init__(self, fire_at_s: float | Sequence[float], sample_rate: int = SAMPLE_RATE,
                 frame_length: int = 512) -> None:
        offsets = [fire_at_s] if isinstance(fire_at_s, int | float) else list(fire_at_s)
        self._pending = sorted(round(s * sample_rate) for s in offsets)
        self._sample_rate = sample_rate
        self._frame_length = frame_length
        self.processed = 0
        """Samples processed so far."""
        self.fired_at_s: list[float] = []
        """Stream position (end of the frame) of each detection."""
        self.closed = False

    @property
    def frame_length(self) -> int:
        return self._frame_length

    @property
    def sample_rate(self) -> int:
        return self._sample_rate

    def process(self, frame: bytes) -> bool:
        self.processed += len(frame) // SAMPLE_WIDTH
        fired = False
        while self._pending and self._pending[0] <= self.processed:
            self._pending.pop(0)
            fired = True
        if fired:
            self.fired_at_s.append(self.processed / self._sample_rate)
        return fired

    def close(self) -> None:
        self.closed = True


def create_wake_engine(options: WakeOptions) -> tuple[WakeEngine | None, str]:
    """Porcupine, or ``(None, why not)`` in one line; never raises."""
    if not options.access_key.strip():
        return None, (f"wake word off: no Picovoice access key (set {ACCESS_KEY_ENV}); "
                      f"use the talk button")
    try:
        import pvporcupine  # noqa: F401
    except ModuleNotFoundError as exc:
        if exc.name != "pvporcupine":
            return None, f"wake word off: pvporcupine cannot load ({exc})"
        return None, ("wake word off: pvporcupine is not installed "
                      "(pip install 'sam-edge[pi]'); use the talk button")
    except Exception as exc:  # it raises plain exceptions on unsupported CPUs
        return None, f"wake word off: pvporcupine does not run on this machine ({_one_line(exc)})"
    try:
        engine = PorcupineWake(options.access_key.strip(), keyword=options.keyword,
                               keyword_path=options.keyword_path,
                               sensitivity=options.sensitivity)
    except Exception as exc:
        return None, f"wake word off: {_explain_create_error(exc)}"
    return engine, f"wake word on: Porcupine '{engine.label}' (sensitivity {options.sensitivity})"


def _explain_create_error(exc: Exception) -> str:
    name = type(exc).__name__
    detail = _one_line(exc)
    if "Activation" in name:
        return (f"Picovoice did not accept the access key ({name}: {detail}); "
                f"check {ACCESS_KEY_ENV} and that the device can reach *.picovoice.net")
    if isinstance(exc, ValueError):
        return f"invalid Porcupine keyword or sensitivity ({detail})"
    if isinstance(exc, OSError) or name == "PorcupineIOError":
        return f"a Porcupine keyword, model or library file is missing ({detail})"
    return f"Porcupine could not start ({name}: {detail})"


def _one_line(exc: BaseException) -> str:
    message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    return " ".join(str(message).split())
