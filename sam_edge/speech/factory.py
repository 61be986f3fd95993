"""Build the speech parts from settings, and say which of them are simulated.

Reason strings follow the start-up line's style, e.g. ``"speech-to-text (no SAM_GROQ_API_KEY)"``;
an empty string means the real part is in place.
"""

from __future__ import annotations

from pathlib import Path

from ..clock import Clock
from ..settings import Settings
from .espeak import EspeakTTS
from .phrase_cache import PhraseCache
from .stt import GroqSpeechToText, SpeechToText
from .tts import ElevenLabsTTS, SpeechService

ESPEAK_BINARY = "espeak-ng"


def build_stt(settings: Settings) -> tuple[SpeechToText | None, str]:
    """Groq Whisper when a key is set, else the offline model when one is configured (English
    only); otherwise ``None`` and why."""
    if settings.groq.api_key:
        return GroqSpeechToText(settings.groq, language=settings.speech.language), ""
    if settings.speech.offline_model:
        from .offline import FasterWhisperSTT

        return FasterWhisperSTT(Path(settings.speech.offline_model).expanduser(),
                                compute_type="int8", cpu_threads=2, beam_size=1), \
            "speech-to-text (offline faster-whisper, English only)"
    return None, "speech-to-text (no SAM_GROQ_API_KEY: typed input only)"


def build_tts(settings: Settings, cache_dir: Path, *, clock: Clock | None = None) -> SpeechService:
    """ElevenLabs when a key is set, espeak-ng when installed; ``.simulated`` says what is missing.

    ``cache_dir`` is the phrase cache's own directory (not the search cache's), e.g.
    ``settings.phrase_cache_dir``.
    """
    languages = settings.speech.languages
    primary = (ElevenLabsTTS(settings.elevenlabs, languages)
               if settings.elevenlabs.api_key else None)
    fallback = (EspeakTTS(languages=languages)
                if EspeakTTS.available(ESPEAK_BINARY) else None)
    if primary is not None and fallback is not None:
        simulated = ""
    elif primary is not None:
        simulated = "speech fallback (espeak-ng not installed)"
    elif fallback is not None:
        simulated = "voice (no SAM_ELEVENLABS_API_KEY: espeak-ng)"
    else:
        simulated = "voice (no SAM_ELEVENLABS_API_KEY and no espeak-ng: replies as text)"
    cache = PhraseCache(cache_dir)
    return SpeechService(primary, fallback, cache, clock, simulated=simulated)
