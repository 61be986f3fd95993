"""Speech to text with Groq Whisper, steered to write every title in Latin script.

The user's library holds titles in Telugu, Hindi, Tamil and other languages, and the music
platforms search them in Latin script ("Nuvvu Nenantu", "Tum Hi Ho"). Whisper, left alone, writes
such words in their native script or "corrects" them into English words. :func:`build_prompt`
tells it to transliterate and lists titles from the library as spelling hints.

Whisper also invents text for near-silence ("Thank you.", "Thanks for watching!"):
:func:`is_hallucination` reads the ``verbose_json`` segment scores and rejects such results.
"""

from __future__ import annotations

import logging
import re
import string
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from ..audio.format import Clip
from ..errors import SttBadReply, SttError
from ..groq_client import error_code, make_client
from ..settings import GroqSettings
from ..text.scripts import has_indic, romanize

if TYPE_CHECKING:
    from groq import AsyncGroq

log = logging.getLogger(__name__)

MAX_PROMPT_CHARS = 896
"""Groq's limit for the ``prompt`` field."""

INSTRUCTION = (
    "Voice commands for a music player, in English mixed with Telugu, Hindi, Tamil and other "
    "languages. Words that are not English are written in Latin letters exactly as they sound, "
    "never in their native script and never translated."
)
HINTS_LEAD = " Song titles you may hear: "

NO_SPEECH_PROB = 0.6
LOW_AVG_LOGPROB = -1.0
DOUBTFUL_NO_SPEECH_PROB = 0.3
DOUBTFUL_AVG_LOGPROB = -0.7
HIGH_COMPRESSION_RATIO = 2.4
"""Whisper's own threshold for repetitive output ("you you you you ...")."""

HALLUCINATED_PHRASES = frozenset({
    "thank you", "thank you very much", "thanks", "thanks for watching",
    "thank you for watching", "thanks for watching and see you next time",
    "please subscribe", "subscribe to my channel", "like and subscribe", "you", "bye", "bye bye",
    "okay", "so", "the end", "music", "applause", "silence", "i'm sorry",
})  # fmt: skip
HALLUCINATED_PREFIXES = ("subtitles by", "subtitled by", "captions by", "transcribed by",
                         "translated by", "amara org")
_PUNCTUATION = {ord(ch): " " for ch in string.punctuation if ch != "'"}


@dataclass(frozen=True, slots=True)
class Transcript:
    """What was said; ``no_speech`` means there was nothing to act on (see ``rejected_reason``)."""

    text: str
    no_speech: bool
    language: str = ""
    duration_s: float = 0.0
    rejected_reason: str = ""


SttUnavailable = SttError


class SpeechToText(Protocol):
    async def transcribe(self, clip: Clip, *, hints: Sequence[str] = ()) -> Transcript: ...


def _is_latin(text: str) -> bool:
    return all(not ch.isalpha() or unicodedata.name(ch, "").startswith("LATIN") for ch in text)


def _in_latin(hint: str) -> str:
    if not has_indic(hint):
        return hint
    # The nasal mark reads "m"; before these consonants people write it "n" (నేనంటూ "nenantu").
    latin = re.sub(r"m(?=[kgcjtdsz])", "n", romanize(hint)[0])
    return " ".join(word[:1].upper() + word[1:] for word in latin.split())


def build_prompt(hints: Sequence[str], max_chars: int = MAX_PROMPT_CHARS) -> str:
    """The transliteration instruction plus as many distinct ``hints`` as fit in ``max_chars``.

    Hints keep their order (put the likeliest first); a hint in an Indic script is written in
    Latin letters as people spell it (సామజవరగమన → "Samajavaragamana": the native script would
    teach Whisper the opposite), other non-Latin hints, duplicates and blanks are dropped; a
    title is never cut.
    """
    if len(INSTRUCTION) > max_chars:
        return INSTRUCTION[:max_chars].rsplit(" ", 1)[0]
    seen: set[str] = set()
    titles: list[str] = []
    used = len(INSTRUCTION) + len(HINTS_LEAD) + 1  # the closing period
    for hint in hints:
        title = " ".join(_in_latin(str(hint)).split()).strip(" ,.")
        key = title.casefold()
        if not title or key in seen or not _is_latin(title):
            continue
        cost = len(title) + (2 if titles else 0)  # ", " between titles
        if used + cost > max_chars:
            continue  # a shorter title further on may still fit
        seen.add(key)
        titles.append(title)
        used += cost
    if not titles:
        return INSTRUCTION
    return f"{INSTRUCTION}{HINTS_LEAD}{', '.join(titles)}."


def _score(segment: Mapping[str, Any], name: str, default: float) -> float:
    value = segment.get(name, default)
    return float(value) if isinstance(value, int | float) else default


def is_hallucination(segments: Sequence[Mapping[str, Any]], text: str) -> str | None:
    """Why this Whisper result is not real speech, or ``None`` when it should be trusted."""
    stripped = text.strip()
    if not any(ch.isalnum() for ch in stripped):
        return "empty"
    no_speech = [_score(s, "no_speech_prob", 0.0) for s in segments]
    logprob = [_score(s, "avg_logprob", 0.0) for s in segments]
    pairs = list(zip(no_speech, logprob, strict=True))
    if pairs and all(ns > NO_SPEECH_PROB and lp < LOW_AVG_LOGPROB for ns, lp in pairs):
        return "no_speech"
    if pairs and all(
        _score(s, "compression_ratio", 1.0) > HIGH_COMPRESSION_RATIO and lp < LOW_AVG_LOGPROB
        for s, lp in zip(segments, logprob, strict=True)
    ):
        return "repetitive"
    # A known phrase alone proves nothing ("thank you" is a fine thing to say): it also needs
    # a segment the model itself doubts.
    phrase = " ".join(stripped.lower().translate(_PUNCTUATION).split())
    known = phrase in HALLUCINATED_PHRASES or phrase.startswith(HALLUCINATED_PREFIXES)
    doubtful = any(ns > DOUBTFUL_NO_SPEECH_PROB or lp < DOUBTFUL_AVG_LOGPROB for ns, lp in pairs)
    if known and doubtful:
        return "known_hallucination"
    return None


class GroqSpeechToText:
    """:class:`SpeechToText` backed by Groq's ``audio/transcriptions`` (Whisper)."""

    def __init__(self, settings: GroqSettings, language: str = "") -> None:
        self._settings = settings
        self._language = language.strip().lower()
        self._client: AsyncGroq | None = None

    def __repr__(self) -> str:
        return f"GroqSpeechToText(model={self._settings.stt_model!r})"

    def _ensure_client(self) -> AsyncGroq:
        if self._client is None:
            self._client = make_client(self._settings)
        return self._client

    async def transcribe(self, clip: Clip, *, hints: Sequence[str] = ()) -> Transcript:
        if not self._settings.api_key:
            raise SttUnavailable("No speech-to-text: set SAM_GROQ_API_KEY.")
        import groq

        client = self._ensure_client()
        extra: dict[str, Any] = {"language": self._language} if self._language else {}
        try:
            result = await client.audio.transcriptions.create(
                # The internal format is already what Whisper works in: 16 kHz mono, ~32 kB/s.
                file=("speech.wav", clip.to_wav()),
                model=self._settings.stt_model,
                response_format="verbose_json",
                temperature=0,
                prompt=build_prompt(hints),
                **extra,
            )
        except groq.APIResponseValidationError as err:
            raise _bad_reply(type(err).__name__) from err
        except groq.APIError as err:
            raise self._unavailable(err) from err
        except (ValueError, TypeError, AttributeError) as err:
            raise _bad_reply(type(err).__name__) from err
        try:
            data: dict[str, Any] = result.to_dict()
            if not isinstance(data.get("text"), str):
                raise TypeError("no text")
            text = str(data["text"]).strip()
            segments = [s for s in data.get("segments") or [] if isinstance(s, Mapping)]
            language = str(data.get("language") or self._language)
            duration = float(data.get("duration") or clip.duration_s)
        except (ValueError, TypeError, AttributeError) as err:
            # A 200 that is not a transcript: a captive portal's page, broken or foreign JSON.
            raise _bad_reply(type(err).__name__) from err
        reason = is_hallucination(segments, text)
        if reason is not None:
            log.info("transcript rejected (%s)", reason)
            log.debug("rejected transcript: %.80r", text)
            return Transcript("", True, language, duration, reason)
        if not _is_latin(text):
            log.info("transcript has non-Latin words despite the prompt")
            log.debug("non-Latin transcript: %.80r", text)
        return Transcript(text, False, language, duration)

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.close()

    def _unavailable(self, err: Exception) -> SttUnavailable:
        import groq

        code = error_code(err)
        log.warning("Groq transcription failed: %s (%s)", type(err).__name__, code or "no code")
        if isinstance(err, groq.AuthenticationError | groq.PermissionDeniedError):
            return SttUnavailable("The Groq API key was refused.")
        if isinstance(err, groq.NotFoundError) or code in ("model_not_found",
                                                           "model_decommissioned"):
            model = self._settings.stt_model
            return SttUnavailable(
                f"The speech model {model} is not available; set SAM_GROQ_STT_MODEL."
            )
        if isinstance(err, groq.RateLimitError):
            return SttUnavailable("Speech recognition is busy right now; try again in a moment.")
        if isinstance(err, groq.APITimeoutError):
            return SttUnavailable("Speech recognition took too long to answer.")
        if isinstance(err, groq.APIStatusError) and err.status_code == 413:
            return SttUnavailable("That recording is too long to transcribe.")
        if isinstance(err, groq.BadRequestError):
            return SttUnavailable("Speech recognition rejected the recording.")
        return SttUnavailable("Speech recognition is not reachable right now.")


def _bad_reply(why: str) -> SttBadReply:
    log.warning("Groq transcription answered with something that is not a transcript (%s)", why)
    return SttBadReply("Speech recognition sent a reply I could not read; if this network has a "
                       "sign-in page, sign in first.")
