"""The turn log: every finished turn's source, outcome and timings, kept for ``sam-edge
status`` (the newest :data:`KEEP` rows). Written in the background from the ``turn_end``
event, so a slow disk never slows a turn."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import async_sessionmaker

from ..events import Event, EventType
from .models import TurnRecord

log = logging.getLogger(__name__)

KEEP = 200


@dataclass(frozen=True, slots=True)
class LoggedTurn:
    turn_id: str
    source: str
    action: str
    status: str
    code: str
    timings: dict[str, float]
    created_at: float


class TurnRecords:
    """Subscribes to the bus; :meth:`recent` reads the newest turns back."""

    def __init__(self, sessions: async_sessionmaker[Any], *, keep: int = KEEP) -> None:
        self._sessions = sessions
        self._keep = keep
        self._tasks: set[asyncio.Task[None]] = set()

    def on_event(self, event: Event) -> None:
        if event.type is not EventType.TURN_END:
            return
        data = event.data
        error = data.get("error") if isinstance(data.get("error"), dict) else {}
        timings = {k: float(v) for k, v in (data.get("timings_ms") or {}).items()
                   if isinstance(v, int | float)}
        row = LoggedTurn(str(data.get("turn_id", "")), str(data.get("source", "")),
                         str(data.get("action", "")), str(data.get("status", "")),
                         str((error or {}).get("code", "")), timings, time.time())
        try:
            task = asyncio.get_running_loop().create_task(self._write(row))
        except RuntimeError:
            return
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _write(self, row: LoggedTurn) -> None:
        try:
            async with self._sessions.begin() as session:
                session.add(TurnRecord(turn_id=row.turn_id, source=row.source,
                                       action=row.action, status=row.status, code=row.code,
                                       timings=row.timings, created_at=row.created_at))
                count = await session.scalar(select(func.count()).select_from(TurnRecord))
                if count is not None and count > self._keep:
                    oldest = select(TurnRecord.id).order_by(TurnRecord.id.desc()) \
                        .offset(self._keep).limit(1).scalar_subquery()
                    await session.execute(delete(TurnRecord).where(TurnRecord.id <= oldest))
        except Exception:  # losing a log line never loses a turn
            log.exception("could not log the turn")

    async def recent(self, limit: int = 10) -> list[LoggedTurn]:
        async with self._sessions() as session:
            rows = (await session.scalars(
                select(TurnRecord).order_by(TurnRecord.id.desc()).limit(limit))).all()
        return [LoggedTurn(r.turn_id, r.source, r.action, r.status, r.code, dict(r.timings),
                           r.created_at) for r in rows]

    async def flush(self) -> None:
        if self._tasks:
            await asyncio.wait(list(self._tasks))
