"""What ``/health`` checks for real: the database answers a read of its own file."""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

log = logging.getLogger(__name__)

DATABASE_TIMEOUT_S = 2.0


async def database_health(engine: AsyncEngine) -> str:
    """``ok``, or a short reason the database cannot be read."""
    try:
        async with asyncio.timeout(DATABASE_TIMEOUT_S):
            async with engine.connect() as conn:
                if engine.dialect.name == "postgresql":  # the household's shared store
                    await conn.execute(text("SELECT count(*) FROM alembic_version"))
                    return "ok"
                # schema_version is read from the file's first page, not from a cache.
                await conn.execute(text("PRAGMA schema_version"))
                await conn.execute(text("SELECT count(*) FROM alembic_version"))
    except TimeoutError:
        if engine.dialect.name == "postgresql":
            return "household store offline"
        log.warning("the database did not answer within %s s", DATABASE_TIMEOUT_S)
        return "error: the database does not answer"
    except (SQLAlchemyError, OSError) as exc:
        if engine.dialect.name == "postgresql":
            return "household store offline"
        log.warning("the database cannot be read: %s", exc.__class__.__name__)
        return f"error: {exc.__class__.__name__}"
    return "ok"
