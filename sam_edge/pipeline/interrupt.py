""""Stop" said over a reply, without the wake word: the reply stops.

While a reply plays, the microphone loop keeps listening on the cancelled signal (the reply's
own voice is in the echo reference, so it does not count as speech). An utterance found then is
transcribed; when it is one of the stop phrases, the reply stops. Anything else is left alone:
only the wake word opens a new turn.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Protocol

from ..audio.format import Clip
from ..errors import SamError
from ..speech.stt import SpeechToText

log = logging.getLogger(__name__)

STOP_PHRASES = ("stop", "stop it", "stop talking", "quiet", "be quiet", "shut up", "cancel",
                "enough", "that's enough", "never mind", "okay stop", "ok stop")
MAX_WORDS = 4


def is_stop(text: str) -> bool:
    words = re.sub(r"[^\w' ]+", " ", text.lower()).split()
    return 0 < len(words) <= MAX_WORDS and " ".join(words) in STOP_PHRASES


class Replying(Protocol):
    @property
    def replying(self) -> bool: ...

    def stop_reply(self) -> None: ...


class ReplyInterrupt:
    def __init__(self, turns: Replying, stt: SpeechToText | None, *,
                 trim: Callable[[bytes], tuple[int, bytes]] | None = None,
                 min_voiced_ms: int = 150, max_voiced_ms: int = 2500) -> None:
        self.turns = turns
        self.stt = stt
        self._trim = trim
        self._min_voiced_ms = min_voiced_ms
        self._max_voiced_ms = max_voiced_ms
        """Longer than this, it is not a stop phrase (at most four words): people talking in
        the room over a long answer are not sent to speech-to-text."""
        self.heard: list[str] = []
        """What was said over replies (newest last), stop or not."""

    async def __call__(self, pcm: bytes) -> bool:
        """An utterance heard over the reply; True when it stopped the reply."""
        if self.stt is None or not self.turns.replying:
            return False
        voiced, speech = self._trim(pcm) if self._trim else (len(pcm) // 32, pcm)
        if not self._min_voiced_ms <= voiced <= self._max_voiced_ms:
            return False
        try:
            text = (await self.stt.transcribe(Clip(speech))).text
        except SamError as exc:
            log.info("could not transcribe what was said over the reply: %s", exc)
            return False
        self.heard.append(text)
        if is_stop(text) and self.turns.replying:
            log.info("heard %r over the reply: stopping it", text)
            self.turns.stop_reply()
            return True
        return False
