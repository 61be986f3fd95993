"""The ``reply`` stage: the answer's text → speech → the speaker, at the voice volume.

Speech comes from the text-to-speech chain (phrase cache, ElevenLabs, espeak-ng); the first
chunk to reach the speaker is marked with ``reply_audio``. A reply stopped by barge-in ends
with ``"discarded": true``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Protocol

from ..audio.format import scale
from ..audio.playback import AudioSink
from ..events import EventType
from .turn import Turn

log = logging.getLogger(__name__)


class Speech(Protocol):
    """What the reply needs of text-to-speech (:class:`~sam_edge.speech.tts.ReplyVoice`)."""

    sample_rate: int
    last_source: str

    def stream(self, text: str) -> AsyncIterator[bytes]: ...

    async def aclose(self) -> None: ...


@dataclass(slots=True)
class Spoken:
    pcm: bytes
    sample_rate: int
    source: str


class Replier:
    def __init__(self, tts: Speech | None, sink: AudioSink | None, *,
                 voice_volume: int = 100) -> None:
        self.tts = tts
        self.sink = sink
        self.voice_volume = voice_volume
        self._replying = False
        self._stopped = False

    @property
    def replying(self) -> bool:
        return self._replying

    async def speak(self, turn: Turn, text: str, *, play: bool, collect: bool) -> Spoken | None:
        """Speak ``text`` as ``turn``'s reply; the audio when ``collect``."""
        tts = self.tts
        if not text or tts is None or not (play or collect):
            return None
        pcm: list[bytes] = []
        first = True

        async def chunks() -> AsyncIterator[bytes]:
            nonlocal first
            async for chunk in tts.stream(text):
                if first:
                    first = False
                    turn.mark("reply_first_audio", "reply")
                    turn.emit(EventType.REPLY_AUDIO)
                if collect:
                    pcm.append(chunk)
                yield scale(chunk, self.voice_volume)

        self._replying, self._stopped = True, False
        turn.start("reply", text=text)
        try:
            if play and self.sink is not None:
                await self.sink.play(chunks(), tts.sample_rate)
            else:
                async for _ in chunks():
                    pass
        except asyncio.CancelledError:
            turn.end("reply", discarded=True)
            raise
        except Exception:  # a broken speaker must not lose the action that already happened
            log.exception("could not speak the reply")
        finally:
            self._replying = False
        turn.end("reply", discarded=self._stopped, spoken_by=tts.last_source)
        return Spoken(b"".join(pcm), tts.sample_rate, tts.last_source)

    async def say(self, text: str) -> None:
        """Speak a sentence that is not the answer to a turn (e.g. the pairing code)."""
        tts = self.tts
        if tts is None or self.sink is None:
            return
        chunks = (scale(chunk, self.voice_volume) async for chunk in tts.stream(text))
        await self.sink.play(chunks, tts.sample_rate)

    def stop(self) -> None:
        """Barge-in: stop speaking now."""
        if self._replying and self.sink is not None:
            self._stopped = True
            self.sink.stop()
