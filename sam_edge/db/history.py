"""Dialog history per session, and small device state (the active platform)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Table, delete, insert, select
from sqlalchemy.ext.asyncio import async_sessionmaker

from .models import DeviceState, DialogTurn

_TURNS: Table = DialogTurn.__table__  # type: ignore[assignment]
PRUNE_EVERY = 20


@dataclass(frozen=True, slots=True)
class StoredTurn:
    session_id: str
    created_at: float
    user_text: str
    action: str
    parameters: dict[str, Any] = field(default_factory=dict)
    response_text: str = ""
    status: str = "ok"


class HistoryStore:
    def __init__(self, sessions: async_sessionmaker[Any]) -> None:
        self._sessions = sessions
        self._adds = 0

    async def recent(self, session_id: str, *, limit: int, newer_than: float) -> list[StoredTurn]:
        """The last ``limit`` turns of a session newer than ``newer_than``, oldest first."""
        async with self._sessions() as session:
            rows = (
                await session.scalars(
                    select(DialogTurn)
                    .where(DialogTurn.session_id == session_id,
                           DialogTurn.created_at >= newer_than)
                    .order_by(DialogTurn.created_at.desc(), DialogTurn.id.desc())
                    .limit(limit)
                )
            ).all()
        return [
            StoredTurn(r.session_id, r.created_at, r.user_text, r.action, dict(r.parameters or {}),
                       r.response_text, r.status)
            for r in reversed(rows)
        ]

    async def add(self, turn: StoredTurn, *, keep_newer_than: float) -> None:
        """Append a turn; now and then drop that session's turns older than
        ``keep_newer_than`` (reads filter by age anyway, so pruning can wait)."""
        self._adds += 1
        async with self._sessions.begin() as session:
            await session.execute(insert(_TURNS).values(
                session_id=turn.session_id, created_at=turn.created_at,
                user_text=turn.user_text, action=turn.action, parameters=turn.parameters,
                response_text=turn.response_text, status=turn.status))
            if self._adds % PRUNE_EVERY == 1:
                await session.execute(
                    delete(_TURNS).where(_TURNS.c.session_id == turn.session_id,
                                         _TURNS.c.created_at < keep_newer_than))

    async def forget(self) -> int:
        async with self._sessions.begin() as session:
            result = await session.execute(delete(DialogTurn))
        return int(getattr(result, "rowcount", 0) or 0)


class DeviceStateStore:
    def __init__(self, sessions: async_sessionmaker[Any]) -> None:
        self._sessions = sessions

    async def get(self, key: str) -> str | None:
        async with self._sessions() as session:
            row = await session.get(DeviceState, key)
            return row.value if row else None

    async def set(self, key: str, value: str) -> None:
        async with self._sessions.begin() as session:
            row = await session.get(DeviceState, key)
            if row is None:
                session.add(DeviceState(key=key, value=value, updated_at=time.time()))
            else:
                row.value = value
                row.updated_at = time.time()
