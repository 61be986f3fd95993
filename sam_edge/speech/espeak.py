"""The offline voice: espeak-ng, converted to the internal 16 kHz mono int16 format.

espeak-ng writes a 22,050 Hz WAV to stdout whose header sizes are placeholders (it does not know
the length up front), so the WAV is parsed by hand and resampled in pure Python: no other binary
is needed and nothing leaves the device.
"""

from __future__ import annotations

import asyncio
import html
import logging
import shutil
import struct
import sys
from array import array
from collections.abc import AsyncGenerator, Iterable

from ..audio.format import SAMPLE_RATE
from .languages import script_runs
from .tts import TtsUnavailable

log = logging.getLogger(__name__)

CHUNK_BYTES = 4096
"""128 ms of audio per chunk."""
TIMEOUT_S = 15.0
VOICES = frozenset({"hi", "mr", "ne", "bn", "pa", "gu", "or", "ta", "te", "kn", "ml"})
"""espeak-ng's voices for the languages :mod:`sam_edge.speech.languages` recognises."""


def _samples(pcm: bytes) -> array[int]:
    samples = array("h")
    samples.frombytes(pcm[: len(pcm) - len(pcm) % 2])
    if sys.byteorder == "big":
        samples.byteswap()
    return samples


def _pcm(samples: array[int]) -> bytes:
    if sys.byteorder == "big":
        samples = array("h", samples)
        samples.byteswap()
    return samples.tobytes()


def wav_to_pcm(data: bytes) -> tuple[bytes, int]:
    """The samples of a 16-bit WAV (first channel only) and its rate; tolerates bogus sizes."""
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise ValueError("not a WAV file")
    pos, rate, channels, bits = 12, 0, 1, 16
    while pos + 8 <= len(data):
        chunk_id, size = data[pos:pos + 4], struct.unpack_from("<I", data, pos + 4)[0]
        body = pos + 8
        if chunk_id == b"fmt ":
            _, channels, rate, _, _, bits = struct.unpack_from("<HHIIHH", data, body)
        elif chunk_id == b"data":
            if bits != 16 or not rate:
                raise ValueError(f"unsupported WAV: {bits}-bit at {rate} Hz")
            # espeak-ng streams: the declared size is a placeholder, the data runs to the end.
            pcm = data[body:] if body + size > len(data) else data[body:body + size]
            if channels > 1:
                pcm = _pcm(_samples(pcm)[::channels])
            return pcm, rate
        pos = body + size + (size & 1)
    raise ValueError("WAV has no data chunk")


def resample(pcm: bytes, from_rate: int, to_rate: int) -> bytes:
    """Linear-interpolation resampling of mono int16 PCM, smoothed first when downsampling."""
    if from_rate == to_rate or not pcm:
        return pcm
    src = _samples(pcm)
    n = len(src)
    if to_rate < from_rate and n > 2:
        # A [1, 2, 1] / 4 low-pass takes the edge off what would fold back below the new Nyquist.
        src = array("h", [src[0]] + [(src[i - 1] + 2 * src[i] + src[i + 1]) >> 2
                                     for i in range(1, n - 1)] + [src[-1]])
    count = n * to_rate // from_rate
    step = from_rate / to_rate
    last = n - 1
    out = array("h", bytes(2 * count))
    for i in range(count):
        pos = i * step
        j = int(pos)
        if j >= last:
            out[i] = src[last]
            continue
        frac = pos - j
        a = src[j]
        out[i] = int(a + (src[j + 1] - a) * frac)
    return _pcm(out)


def ssml(text: str, languages: Iterable[str] = ()) -> str | None:
    """``text`` as SSML with each native-script run in a ``<voice>`` of its language, or
    ``None`` when no run needs another voice than the default one.

    Without it the English voice spells a Telugu title letter by letter ("Telugu sa, Telugu
    aa, ..."); in one call with ``<voice xml:lang>`` the voices share one sample rate and the
    sentence keeps its rhythm.
    """
    runs = script_runs(text, languages)
    if not any(language in VOICES for _, language in runs):
        return None
    parts = []
    for run, language in runs:
        escaped = html.escape(run, quote=False)
        if language in VOICES:
            parts.append(f'<voice xml:lang="{language}">{escaped}</voice>')
        else:
            parts.append(escaped)
    return "<speak>" + "".join(parts) + "</speak>"


class EspeakTTS:
    """A :class:`~sam_edge.speech.tts.TextToSpeech` voice that always works offline."""

    sample_rate = SAMPLE_RATE
    name = "espeak"

    def __init__(
        self,
        voice: str = "en",
        rate: int = 165,
        *,
        binary: str = "espeak-ng",
        languages: Iterable[str] = (),
    ) -> None:
        self.voice = voice
        self.languages = tuple(languages)
        """``[speech] languages``: which voice a shared script (Devanagari) is read with."""
        self.rate = rate
        self.binary = binary
        self.last_source = "none"

    def __repr__(self) -> str:
        return f"EspeakTTS(voice={self.voice!r}, rate={self.rate})"

    @staticmethod
    def available(binary: str = "espeak-ng") -> bool:
        return shutil.which(binary) is not None

    async def synthesize(self, text: str) -> bytes:
        """The whole utterance as 16 kHz mono int16 PCM; a native-script title in it is said
        with its language's voice."""
        args = [self.binary, "--stdout", "-v", self.voice, "-s", str(self.rate), "--stdin"]
        markup = ssml(text, self.languages)
        if markup is not None:
            args.insert(-1, "-m")
            text = markup
        try:
            proc = await asyncio.create_subprocess_exec(
                *args, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
            )
        except OSError as err:
            raise TtsUnavailable(f"{self.binary} cannot be run: {err.strerror}.",
                                 kind="missing") from err
        try:
            # Text goes through stdin: a reply starting with "-" must not read as an option.
            out, err_out = await asyncio.wait_for(proc.communicate(text.encode()), TIMEOUT_S)
        except (TimeoutError, asyncio.CancelledError):
            proc.kill()
            await proc.wait()
            raise
        if proc.returncode != 0:
            log.warning("%s failed (%s): %.200s", self.binary, proc.returncode,
                        err_out.decode(errors="replace").strip())
            raise TtsUnavailable(f"{self.binary} failed.", kind="error")
        try:
            pcm, rate = wav_to_pcm(out)
        except (ValueError, struct.error) as err:
            raise TtsUnavailable(f"{self.binary} wrote no usable audio: {err}.") from err
        return await asyncio.to_thread(resample, pcm, rate, SAMPLE_RATE)

    async def stream(self, text: str) -> AsyncGenerator[bytes, None]:
        """Chunks of the utterance."""
        # espeak-ng is far faster than real time: synthesize the whole reply, then cut it.
        pcm = await self.synthesize(text)
        self.last_source = "espeak" if pcm else "none"
        for start in range(0, len(pcm), CHUNK_BYTES):
            yield pcm[start:start + CHUNK_BYTES]
