"""Understand free text with a Groq chat model in JSON mode.

The grammar handles the common commands locally; whatever it cannot parse comes here. The model
answers one JSON object ``{"action", "parameters", "response_text"}`` that becomes an
:class:`~sam_edge.dialog.intents.Intent` with ``source="llm"``. Failures never escape as SDK
errors: nonsense becomes :class:`~sam_edge.errors.DialogError` (``not_understood``), an unreachable
or refusing service becomes :class:`LLMUnavailable`, each with a sentence SAM can say.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from ..errors import DialogError, LLMBadReply, LLMUnavailable
from ..groq_client import error_code, make_client
from ..settings import GroqSettings
from .intents import Action, Intent, clean_parameters

if TYPE_CHECKING:
    from groq import AsyncGroq

log = logging.getLogger(__name__)

NOT_UNDERSTOOD = "Sorry, I didn't understand that."
MAX_COMPLETION_TOKENS = 512
"""Reasoning models spend part of this on thinking; the JSON itself is ~60 tokens."""

SYSTEM_PROMPT = """\
You are SAM, a voice assistant for music. Turn the user's words into one JSON object:
{"action": "...", "parameters": {...}, "response_text": "..."}
action: PLAY, PAUSE, RESUME, NEXT, PREVIOUS, VOLUME_UP, VOLUME_DOWN, SET_VOLUME, SHUFFLE, REPEAT, \
QUEUE, NOW_PLAYING, LIKE, SWITCH_PLATFORM, or CHAT when it is not about music (answer it in \
response_text).
parameters (only those that apply):
- query: what to play or queue (title, album, playlist, genre or mood)
- artist: the artist, if named
- kind: track, album, artist, playlist or liked
- platform: spotify, soundcloud or local
- device: the room or speaker named ("in the kitchen", "pause the kitchen" -> kitchen)
- level: 0-100 (SET_VOLUME)
- state: true or false (SHUFFLE); track, context or off (REPEAT)
Keep titles in other languages as the user said them, transliterated in Latin script; never \
translate them. "Play it", "that one" and the like mean the song mentioned in the previous turns.
response_text: short and speakable, at most 2 sentences, no markdown."""


@dataclass(frozen=True, slots=True)
class HistoryTurn:
    """One earlier exchange, replayed to the model so follow-ups make sense."""

    user: str
    action: str
    parameters: dict[str, Any]
    response_text: str


class IntentLLM(Protocol):
    async def interpret(self, text: str, history: Sequence[HistoryTurn]) -> Intent: ...


def build_messages(text: str, history: Sequence[HistoryTurn]) -> list[dict[str, str]]:
    """System prompt, earlier turns as user/assistant pairs, then the new utterance."""
    messages = [{"role": "system", "content": SYSTEM_PROMPT}]
    for turn in history:
        answer = {
            "action": turn.action,
            "parameters": turn.parameters,
            "response_text": turn.response_text,
        }
        messages.append({"role": "user", "content": turn.user})
        messages.append({"role": "assistant", "content": json.dumps(answer, ensure_ascii=False)})
    messages.append({"role": "user", "content": text})
    return messages


def parse_intent(content: str | None) -> Intent | None:
    """The intent in a model reply, or ``None`` when the reply is unusable."""
    if not content:
        return None
    start, end = content.find("{"), content.rfind("}")
    if start < 0 or end < start:
        return None
    try:
        # Slicing to the braces tolerates code fences or a stray sentence around the object.
        data = json.loads(content[start : end + 1])
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    action = Action.parse(data.get("action"))
    if action is None:
        return None
    spoken = data.get("response_text")
    return Intent(
        action=action,
        parameters=clean_parameters(data.get("parameters")),
        response_text=spoken.strip() if isinstance(spoken, str) else "",
        source="llm",
    )


class GroqIntentClient:
    """:class:`IntentLLM` backed by Groq's chat completions (``response_format`` json_object)."""

    def __init__(self, settings: GroqSettings) -> None:
        import groq  # imported here: the SDK is heavy and the daemon may never need it

        self._settings = settings
        self._model = settings.chat_model
        self._groq = groq
        self._client: AsyncGroq = make_client(settings)
        self._no_retry: AsyncGroq = self._client.with_options(max_retries=0)

    def __repr__(self) -> str:
        return f"GroqIntentClient(model={self._model!r})"

    async def interpret(self, text: str, history: Sequence[HistoryTurn]) -> Intent:
        if not self._settings.api_key:
            raise LLMUnavailable("No Groq API key is set; set SAM_GROQ_API_KEY.")
        messages = build_messages(text, history)
        content, retries_taken = await self._complete(self._client, messages)
        intent = parse_intent(content)
        # One retry in all: none left if the SDK already retried a failed request.
        if intent is None and retries_taken == 0:
            log.info("unusable reply from %s, asking again: %.200r", self._model, content)
            content, _ = await self._complete(self._no_retry, messages)
            intent = parse_intent(content)
        if intent is None:
            log.info("unusable reply from %s: %.200r", self._model, content)
            raise DialogError(NOT_UNDERSTOOD)
        return intent

    async def aclose(self) -> None:
        await self._client.close()

    async def _complete(self, client: AsyncGroq, messages: list[dict[str, str]]) -> tuple[str, int]:
        """The reply's content (``""`` when Groq rejected invalid JSON) and the SDK's retries."""
        model = self._model
        extra: dict[str, Any] = {}
        if model.startswith("openai/gpt-oss") and self._settings.reasoning_effort:
            extra["reasoning_effort"] = self._settings.reasoning_effort
        groq = self._groq
        try:
            raw = await client.chat.completions.with_raw_response.create(  # type: ignore[call-overload]
                model=model,
                messages=messages,
                response_format={"type": "json_object"},
                temperature=0,
                max_completion_tokens=MAX_COMPLETION_TOKENS,
                **extra,
            )
            completion = await raw.parse()
            choices = getattr(completion, "choices", None)
            if not isinstance(choices, list) or not choices:
                raise _bad_reply("no choices")
            content = choices[0].message.content
        except groq.BadRequestError as err:
            if error_code(err) == "json_validate_failed":
                return "", 0
            raise self._unavailable(err) from err
        except groq.APIResponseValidationError as err:
            raise _bad_reply(type(err).__name__) from err
        except groq.APIError as err:
            raise self._unavailable(err) from err
        except (ValueError, TypeError, AttributeError, IndexError) as err:
            # A 200 that is not a completion: a captive portal's page, broken or foreign JSON.
            raise _bad_reply(type(err).__name__) from err
        if content is not None and not isinstance(content, str):
            raise _bad_reply("content is not text")
        return content or "", raw.retries_taken

    def _unavailable(self, err: Exception) -> LLMUnavailable:
        groq, model = self._groq, self._model
        code = error_code(err)
        log.warning("Groq chat request failed: %s (%s)", type(err).__name__, code or "no code")
        if isinstance(err, groq.AuthenticationError | groq.PermissionDeniedError):
            return LLMUnavailable("The Groq API key was refused.")
        if isinstance(err, groq.NotFoundError) or code in (
            "model_not_found",
            "model_decommissioned",
        ):
            return LLMUnavailable(
                f"The language model {model} is not available; set SAM_GROQ_CHAT_MODEL."
            )
        if isinstance(err, groq.RateLimitError):
            return LLMUnavailable("The language model is busy right now; try again in a moment.")
        if isinstance(err, groq.BadRequestError):
            return LLMUnavailable(
                "The language model rejected the request; check the Groq settings."
            )
        return LLMUnavailable("The language model is not reachable right now.")


def _bad_reply(why: str) -> LLMBadReply:
    log.warning("Groq chat answered with something that is not a completion (%s)", why)
    return LLMBadReply("The language model's service sent a reply I could not read; if this "
                       "network has a sign-in page, sign in first.")
