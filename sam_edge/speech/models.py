"""Which ElevenLabs model speaks a reply, and whether it is told the reply's language.

The fast models (flash and turbo v2.5, multilingual v2) cover Hindi and Tamil but not Telugu,
Kannada, Malayalam, Bengali, Gujarati, Marathi or Punjabi; only ``eleven_v3`` does. The reply's
language comes from the script of the title in it (:mod:`sam_edge.speech.languages`), and
``[elevenlabs] language_models`` maps it to a model. ``language_code`` is sent only to the models
that take it (v2.5 and v3; multilingual v2 ignores it) and only for a language the model is
known to speak, since the API refuses a code its model does not cover.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ..settings import ElevenLabsSettings
from .languages import reply_language

_V25 = frozenset({
    "en", "ja", "zh", "de", "hi", "fr", "ko", "pt", "it", "es", "id", "nl", "tr", "fil", "pl",
    "sv", "bg", "ro", "ar", "cs", "el", "fi", "hr", "ms", "sk", "da", "ta", "uk", "ru", "hu",
    "no", "vi",
})  # fmt: skip
MODEL_LANGUAGES: dict[str, frozenset[str]] = {
    "eleven_flash_v2_5": _V25,
    "eleven_turbo_v2_5": _V25,
    "eleven_multilingual_v2": _V25 - {"hu", "no", "vi"},
    "eleven_flash_v2": frozenset({"en"}),
    "eleven_turbo_v2": frozenset({"en"}),
    # v3 speaks 70+ languages; listed are those SAM's replies need.
    "eleven_v3": _V25 | {"te", "bn", "gu", "kn", "ml", "mr", "pa"},
}
"""Model → languages it is documented to speak (the Indic part checked, the rest as listed)."""

TAKES_LANGUAGE_CODE = frozenset({"eleven_flash_v2_5", "eleven_turbo_v2_5", "eleven_v3"})


@dataclass(frozen=True)
class VoiceChoice:
    """The model for one reply, its language (``None`` = English/default) and the
    ``language_code`` to send (``None`` = none)."""

    model: str
    language: str | None = None
    language_code: str | None = None

    @property
    def key(self) -> str:
        """What sets this choice apart in the phrase cache."""
        return f"{self.model}/{self.language or '-'}"


def choose_voice(
    settings: ElevenLabsSettings, text: str, preferred: Iterable[str] = ()
) -> VoiceChoice:
    """The model for ``text``: its language's entry in ``language_models``, else the default."""
    language = reply_language(text, preferred)
    if language is None:
        return VoiceChoice(settings.model)
    model = settings.language_models.get(language, settings.model)
    code = language if (model in TAKES_LANGUAGE_CODE
                        and language in MODEL_LANGUAGES.get(model, ())) else None
    return VoiceChoice(model, language, code)
