"""Turn deadlines: every turn has one, and every cloud call a share of it.

A hung cloud costs its share once, never its own timeout times the SDK's retries: the share is
enforced around the whole call (retries included) with :func:`asyncio.timeout`. What is left
after speech-to-text and the language model is the platform's (``act`` and ``verify``). The
spoken reply is not counted: it starts once the answer is known, and falls back to espeak-ng
on its own.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import StageTimeout


@dataclass(frozen=True, slots=True)
class Budget:
    chat_s: float = 5.0
    """A typed turn, from the text to the answer."""
    voice_s: float = 8.0
    """A voice turn, from the end of speech to the answer."""
    stt_s: float = 3.5
    """At most this much of a voice turn for speech-to-text."""
    platform_reserve_s: float = 2.0
    """Kept for the platform when the language model is asked."""


STAGE_TIMEOUTS = {
    "stt": ("stt_unavailable", "Speech-to-text did not answer in time; please try again."),
    "understand": ("llm_unavailable",
                   "The language model did not answer in time; simple commands such as "
                   "\"pause\" or \"next\" still work."),
    "act": ("timeout", "The music service did not answer in time; please try again."),
}


def timed_out(stage: str) -> StageTimeout:
    code, message = STAGE_TIMEOUTS.get(stage, ("timeout", "That took too long; please try again."))
    return StageTimeout(message, code=code)
