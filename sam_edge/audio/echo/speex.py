"""libspeexdsp's echo canceller (the MDF adaptive filter) through ctypes.

The Debian package ``libspeexdsp1`` ships the library; no Python binding is needed, and
ctypes keeps working under systemd's ``MemoryDenyWriteExecute`` (cffi callbacks do not).
The multichannel constructor is used so the loudspeaker's non-linearity can be given to the
filter as a second "speaker" (see :mod:`sam_edge.audio.echo.canceller`).

The MDF filter lowers its own step size when the residual grows faster than the echo it
explains (Valin, "On adjusting the learning rate in frequency domain echo cancellation with
double-talk", 2007), which is why speex keeps the near-end voice where AEC3 removes it.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from functools import lru_cache

import numpy as np

from ..errors import AudioError

SPEEX_ECHO_SET_SAMPLING_RATE = 24


class EchoUnavailable(AudioError):
    """libspeexdsp cannot be loaded."""

    code = "echo_cancel_unavailable"
    status = 503

    def __init__(self, detail: str) -> None:
        super().__init__(
            f"Echo cancellation needs libspeexdsp (apt install libspeexdsp1): {detail}")


@lru_cache(maxsize=1)
def load_library() -> ctypes.CDLL:
    name = ctypes.util.find_library("speexdsp") or "libspeexdsp.so.1"
    try:
        lib = ctypes.CDLL(name)
    except OSError as exc:
        raise EchoUnavailable(str(exc)) from exc
    lib.speex_echo_state_init_mc.restype = ctypes.c_void_p
    lib.speex_echo_state_init_mc.argtypes = [ctypes.c_int] * 4
    lib.speex_echo_cancellation.restype = None
    lib.speex_echo_cancellation.argtypes = [ctypes.c_void_p] + [ctypes.c_void_p] * 3
    lib.speex_echo_ctl.restype = ctypes.c_int
    lib.speex_echo_ctl.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_void_p]
    lib.speex_echo_state_reset.argtypes = [ctypes.c_void_p]
    lib.speex_echo_state_destroy.argtypes = [ctypes.c_void_p]
    return lib


def speex_available() -> bool:
    try:
        load_library()
    except EchoUnavailable:
        return False
    return True


class SpeexEcho:
    """One MDF canceller: ``frame`` samples per call, a filter of ``tail`` samples, and
    ``speakers`` reference channels interleaved in each call's reference."""

    def __init__(self, frame: int, tail: int, sample_rate: int, speakers: int = 1) -> None:
        self._state: int | None = None
        self._lib = load_library()
        self.frame = frame
        self.speakers = speakers
        state = self._lib.speex_echo_state_init_mc(frame, tail, 1, speakers)
        if not state:
            raise EchoUnavailable("speex_echo_state_init_mc failed")
        self._state = state
        rate = ctypes.c_int(sample_rate)
        self._lib.speex_echo_ctl(state, SPEEX_ECHO_SET_SAMPLING_RATE, ctypes.byref(rate))
        self._out = np.zeros(frame, dtype=np.int16)

    def process(self, mic: np.ndarray, reference: np.ndarray) -> np.ndarray:
        """Cancel one frame: ``mic`` is ``frame`` int16 samples, ``reference`` is
        ``frame * speakers`` interleaved int16 samples. Returns a new int16 array."""
        if self._state is None:
            raise ValueError("the echo canceller is closed")
        if mic.shape != (self.frame,) or reference.shape != (self.frame * self.speakers,):
            raise ValueError(f"speex frames are {self.frame} microphone and "
                             f"{self.frame * self.speakers} reference samples, got "
                             f"{mic.shape[0]} and {reference.shape[0]}")
        mic = np.ascontiguousarray(mic, dtype=np.int16)
        reference = np.ascontiguousarray(reference, dtype=np.int16)
        self._lib.speex_echo_cancellation(self._state, mic.ctypes.data, reference.ctypes.data,
                                          self._out.ctypes.data)
        return self._out.copy()

    def reset(self) -> None:
        if self._state is not None:
            self._lib.speex_echo_state_reset(self._state)

    def close(self) -> None:
        if self._state is not None:
            self._lib.speex_echo_state_destroy(self._state)
            self._state = None

    def __del__(self) -> None:
        self.close()
