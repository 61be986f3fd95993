"""``DialogManager``: keeps the 5-turn window per session and decides music vs chat.

Order of understanding: an answer to the previous turn's "Did you mean … or …?" ("the first
one"); the offline grammar; for "play it"/"that one" the history, then what is
playing; then the LLM with the window; else ``not_understood``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from ..clock import Clock, SystemClock
from ..db.history import HistoryStore, StoredTurn
from ..errors import DialogError
from ..platforms.base import PlaybackState
from ..settings import DialogSettings
from .choice import pick
from .grammar import parse
from .intents import Action, Intent
from .llm import HistoryTurn, IntentLLM

log = logging.getLogger(__name__)

NO_LLM_MESSAGE = (
    "I only understand music commands like \"play Hello by Adele\" or \"pause\" right now. "
    "Set SAM_GROQ_API_KEY for everything else."
)
NOT_UNDERSTOOD = "Sorry, I didn't understand that."

_CARRIED = ("query", "artist", "kind", "platform", "title")


@dataclass(frozen=True, slots=True)
class Understanding:
    intent: Intent | None
    """``None`` when nothing understood the text (see ``error_code``/``message``)."""
    error_code: str = ""
    message: str = ""


class DialogManager:
    def __init__(self, history: HistoryStore, llm: IntentLLM | None, settings: DialogSettings,
                 *, clock: Clock | None = None, languages: Sequence[str] = ()) -> None:
        self._history = history
        self._llm = llm
        self._settings = settings
        self._clock = clock or SystemClock()
        self._writes: dict[str, asyncio.Task[None]] = {}
        self.languages: tuple[str, ...] = tuple(languages)
        """``[speech] languages``: which Latin-letter phrase packs the grammar reads."""

    @property
    def has_llm(self) -> bool:
        return self._llm is not None

    async def window(self, session_id: str) -> list[StoredTurn]:
        pending = self._writes.get(session_id)
        if pending is not None and not getattr(self._history, "remembers", False):
            await asyncio.shield(pending)
        if self._settings.history_turns == 0:
            return []
        return await self._history.recent(
            session_id, limit=self._settings.history_turns,
            newer_than=self._clock.now() - self._settings.history_max_age_s,
        )

    async def understand(
        self, text: str, session_id: str,
        now_playing: Callable[[], Awaitable[PlaybackState | None]] | None = None,
    ) -> Understanding:
        turns = await self.window(session_id)
        if (chosen := self._choice(text, turns)) is not None:
            return Understanding(chosen)
        match = parse(text, self.languages)
        if match is not None and not match.refers_back:
            return Understanding(match.intent)
        if match is not None:
            resolved = await self._resolve_reference(match.intent, turns, now_playing)
            if resolved is not None:
                return Understanding(resolved)
        return await self._ask_llm(text, turns)

    @staticmethod
    def _choice(text: str, turns: list[StoredTurn]) -> Intent | None:
        """The answer to the previous turn's "Did you mean … or …?", if it is one."""
        if not turns or turns[-1].status != "not_found":
            return None
        last = turns[-1]
        candidates = last.parameters.get("candidates")
        if not isinstance(candidates, list) or not candidates:
            return None
        title = pick(text, [str(c) for c in candidates])
        if title is None:
            return None
        action = Action.parse(last.action)
        action = action if action in (Action.PLAY, Action.QUEUE, Action.LIKE) else Action.PLAY
        params = {k: last.parameters[k] for k in ("kind", "platform")
                  if last.parameters.get(k)}
        return Intent(action, {**params, "query": title}, source="history")

    async def _resolve_reference(
        self, intent: Intent, turns: list[StoredTurn],
        now_playing: Callable[[], Awaitable[PlaybackState | None]] | None,
    ) -> Intent | None:
        if turns and turns[-1].action == Action.CHAT and self._llm is not None:
            return None  # the song was named in conversation: the LLM reads the window
        for turn in reversed(turns):
            params = turn.parameters
            if params.get("query") or params.get("title"):
                carried = {k: params[k] for k in _CARRIED if params.get(k)}
                if "query" not in carried:
                    carried["query"] = carried["title"]
                carried.pop("title", None)
                return replace(intent, parameters={**carried, **intent.parameters},
                               source="history")
        if now_playing is not None:
            try:
                state = await now_playing()
            except Exception:  # a platform error here only means "no reference"
                state = None
            if state is not None and state.title:
                playing: dict[str, Any] = {"query": state.title, "kind": "track"}
                if state.artist:
                    playing["artist"] = state.artist
                if state.platform:
                    playing["platform"] = state.platform
                return replace(intent, parameters={**playing, **intent.parameters},
                               source="history")
        return None

    async def _ask_llm(self, text: str, turns: list[StoredTurn]) -> Understanding:
        if self._llm is None:
            return Understanding(None, "not_understood", NO_LLM_MESSAGE)
        history = [
            HistoryTurn(user=t.user_text, action=t.action, parameters=t.parameters,
                        response_text=t.response_text)
            for t in turns
        ]
        try:
            return Understanding(await self._llm.interpret(text, history))
        except DialogError as exc:
            log.warning("LLM could not interpret the turn: %s (%s)", exc.message, exc.code)
            code = exc.code if exc.code != "not_understood" else "not_understood"
            return Understanding(None, code, exc.message or NOT_UNDERSTOOD)

    def remember(self, session_id: str, text: str, action: str,
                 parameters: dict[str, Any], response_text: str, status: str) -> None:
        """Store the turn in the background: the reply does not wait for the disk. The next
        turn of the session waits for it before reading the window."""
        now = self._clock.now()
        turn = StoredTurn(session_id, now, text, action, dict(parameters), response_text, status)
        previous = self._writes.get(session_id)

        async def write() -> None:
            if previous is not None:
                await asyncio.wait([previous])
            try:
                await self._history.add(
                    turn, keep_newer_than=now - self._settings.history_max_age_s)
            except Exception:  # losing one history line must not lose the user's answer
                log.exception("could not store the dialog turn")
            finally:
                if self._writes.get(session_id) is task:
                    del self._writes[session_id]

        task = asyncio.get_running_loop().create_task(write())
        self._writes[session_id] = task

    async def flush(self) -> None:
        """Wait for history writes still in flight (before shutting down)."""
        while self._writes:
            await asyncio.wait(list(self._writes.values()))
