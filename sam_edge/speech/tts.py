"""Text to speech: phrase cache, then the ElevenLabs stream, then espeak-ng.

:class:`SpeechService` is what the rest of SAM talks to. Every voice yields 16 kHz mono int16 PCM
chunks as they become available, so playback starts with the first chunk. When ElevenLabs fails
(quota, key, rate limit, timeout, network, server) SAM switches to espeak-ng for a cool-down
period instead of paying the failure's latency on every reply.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator, AsyncIterator, Iterable
from contextlib import aclosing
from typing import TYPE_CHECKING, Any, Protocol

from ..audio.format import SAMPLE_RATE
from ..clock import Clock, SystemClock
from ..errors import SamError
from ..settings import ElevenLabsSettings
from .models import VoiceChoice, choose_voice

if TYPE_CHECKING:
    import httpx
    from elevenlabs.client import AsyncElevenLabs

    from .espeak import EspeakTTS
    from .phrase_cache import PhraseCache

log = logging.getLogger(__name__)

OUTPUT_FORMAT = "pcm_16000"
COOL_DOWN_S = 300.0
LONG_COOL_DOWN_S = 3600.0
"""For failures that do not heal in minutes: quota exhausted, key refused, unknown voice."""
LONG_FAILURES = frozenset({"quota", "key", "config"})


class TtsUnavailable(SamError):
    """A voice could not speak; ``kind`` says why: quota, key, config, busy, timeout, network,
    server, missing or error."""

    code = "tts_unavailable"

    def __init__(self, message: str, *, kind: str = "error") -> None:
        super().__init__(message)
        self.kind = kind


class TextToSpeech(Protocol):
    sample_rate: int
    last_source: str
    """Where the last reply's audio came from: cache, elevenlabs, espeak or none."""

    def stream(self, text: str) -> AsyncIterator[bytes]: ...


class ElevenLabsTTS:
    """ElevenLabs' streaming endpoint, asked for raw 16 kHz PCM (no decoding on the device)."""

    sample_rate = SAMPLE_RATE

    def __init__(self, settings: ElevenLabsSettings, languages: Iterable[str] = ()) -> None:
        self._settings = settings
        self.languages = tuple(languages)
        """``[speech] languages``: which language a shared script (Devanagari) is read in."""
        self._client: AsyncElevenLabs | None = None
        self._http: httpx.AsyncClient | None = None
        self.last_source = "none"

    def __repr__(self) -> str:
        return f"ElevenLabsTTS(voice={self._settings.voice_id!r}, model={self._settings.model!r})"

    def choose(self, text: str) -> VoiceChoice:
        """The model (and language) that speaks ``text``."""
        return choose_voice(self._settings, text, self.languages)

    def voice_key(self, text: str) -> str:
        """What makes two renderings of ``text`` sound alike: the phrase cache's key prefix,
        with the model and language chosen for it."""
        choice = self.choose(text)
        return f"elevenlabs/{self._settings.voice_id}/{choice.key}/{OUTPUT_FORMAT}"

    def _ensure_client(self) -> AsyncElevenLabs:
        if self._client is None:
            import httpx
            from elevenlabs.client import AsyncElevenLabs  # heavy; text-only use never needs it

            # Our own HTTP client, because the SDK offers no way to close the one it makes.
            self._http = httpx.AsyncClient(timeout=self._settings.timeout_s)
            # Explicit key and base URL: ELEVENLABS_API_KEY must never take effect.
            self._client = AsyncElevenLabs(
                api_key=self._settings.api_key,
                base_url=self._settings.base_url,
                timeout=self._settings.timeout_s,
                httpx_client=self._http,
            )
        return self._client

    async def stream(self, text: str) -> AsyncGenerator[bytes, None]:
        if not self._settings.api_key:
            raise TtsUnavailable("No ElevenLabs API key is set.", kind="key")
        import httpx
        from elevenlabs.core.api_error import ApiError
        from elevenlabs.core.parse_error import ParsingError

        self.last_source = "none"
        client = self._ensure_client()
        choice = self.choose(text)
        chunks = client.text_to_speech.stream(
            self._settings.voice_id,
            text=text,
            model_id=choice.model,
            output_format=OUTPUT_FORMAT,
            **({"language_code": choice.language_code} if choice.language_code else {}),
        )
        carry = b""
        try:
            async for chunk in chunks:
                # Network chunks can split a sample; playback wants whole 16-bit samples.
                data = carry + chunk
                cut = len(data) - len(data) % 2
                carry = data[cut:]
                if cut:
                    self.last_source = "elevenlabs"
                    yield data[:cut]
        except (ApiError, ParsingError) as err:
            raise _api_failure(err) from err
        except httpx.TimeoutException as err:
            raise TtsUnavailable("ElevenLabs took too long to answer.", kind="timeout") from err
        except httpx.TransportError as err:
            raise TtsUnavailable("ElevenLabs is not reachable.", kind="network") from err
        finally:
            # Closes the HTTP stream at once when the listener stops early (barge-in).
            closer = getattr(chunks, "aclose", None)
            if closer is not None:
                await closer()

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.aclose()


def _api_failure(err: Any) -> TtsUnavailable:
    status = err.status_code or 0
    body = err.body if isinstance(err.body, dict) else {}
    detail = body.get("detail")
    reason = detail.get("status") if isinstance(detail, dict) else None
    if status == 401 and reason == "quota_exceeded":
        return TtsUnavailable("The ElevenLabs quota is used up.", kind="quota")
    if status in (401, 403):
        return TtsUnavailable("The ElevenLabs API key was refused.", kind="key")
    if status == 429:
        return TtsUnavailable("ElevenLabs is busy right now.", kind="busy")
    if status >= 500:
        return TtsUnavailable(f"ElevenLabs failed ({status}).", kind="server")
    return TtsUnavailable(
        f"ElevenLabs rejected the request ({status} {reason or ''}); check the voice and model.",
        kind="config",
    )


class SpeechService:
    """:class:`TextToSpeech` for the whole device: cache → primary voice → fallback voice.

    Only primary-voice audio is cached. A primary failure before the first chunk is answered by
    the fallback at once; after the first chunk the reply just ends (repeating it in another voice
    would be worse). No voice at all means no audio: the reply stays text, ``last_source="none"``.
    """

    sample_rate = SAMPLE_RATE

    def __init__(
        self,
        primary: ElevenLabsTTS | None,
        fallback: EspeakTTS | None,
        cache: PhraseCache | None,
        clock: Clock | None = None,
        *,
        cool_down_s: float = COOL_DOWN_S,
        long_cool_down_s: float = LONG_COOL_DOWN_S,
        simulated: str = "",
    ) -> None:
        self.primary = primary
        self.fallback = fallback
        self.cache = cache
        self._clock = clock or SystemClock()
        self._cool_down_s = cool_down_s
        self._long_cool_down_s = long_cool_down_s
        self._primary_after = float("-inf")
        self._model_after: dict[str, float] = {}
        """A model the API refused (e.g. ``eleven_v3`` on an account without it) rests alone:
        replies in other languages keep the primary voice."""
        self.simulated = simulated
        """Empty, or what stands in for what, e.g. for the start-up line."""
        self.last_source = "none"

    def __repr__(self) -> str:
        return f"SpeechService(primary={self.primary!r}, fallback={self.fallback!r})"

    @property
    def primary_cooling_down(self) -> bool:
        return self._clock.monotonic() < self._primary_after

    async def stream(self, text: str) -> AsyncGenerator[bytes, None]:
        self.last_source = "none"
        if not text.strip():
            return
        primary, cache = self.primary, self.cache
        if primary is not None and cache is not None:
            cached = cache.get(primary.voice_key(text), text)
            if cached is not None:
                self.last_source = "cache"
                yield cached
                return
        model = primary.choose(text).model if primary is not None else ""
        if (primary is not None and not self.primary_cooling_down
                and self._clock.monotonic() >= self._model_after.get(model, float("-inf"))):
            collected: list[bytes] = []
            try:
                async with aclosing(primary.stream(text)) as chunks:
                    async for chunk in chunks:
                        self.last_source = "elevenlabs"
                        collected.append(chunk)
                        yield chunk
            except TtsUnavailable as err:
                self._cool_down(err, model)
                if collected:
                    return
            else:
                if collected:
                    if cache is not None:
                        cache.put(primary.voice_key(text), text, b"".join(collected))
                    return
        if self.fallback is not None:
            try:
                async with aclosing(self.fallback.stream(text)) as chunks:
                    async for chunk in chunks:
                        self.last_source = "espeak"
                        yield chunk
            except TtsUnavailable as err:
                log.warning("espeak-ng could not speak: %s", err)

    def _cool_down(self, err: TtsUnavailable, model: str) -> None:
        seconds = self._long_cool_down_s if err.kind in LONG_FAILURES else self._cool_down_s
        if err.kind == "config":  # this model or its language code, not the account
            self._model_after[model] = self._clock.monotonic() + seconds
        else:
            self._primary_after = self._clock.monotonic() + seconds
        instead = "espeak-ng" if self.fallback is not None else "text only"
        log.warning("%s Speaking with %s for %d s.", err.message, instead, seconds)

    async def aclose(self) -> None:
        if self.primary is not None:
            await self.primary.aclose()
        if self.cache is not None:
            self.cache.close()
