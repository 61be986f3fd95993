"""The household's servers: a fresh PostgreSQL database per test run and a numbered Redis
database, flushed. Their addresses come from ``SAM_TEST_DATABASE_URL`` and
``SAM_TEST_REDIS_URL``; when a server does not answer the tests skip with the reason, unless
``SAM_REQUIRE_HOUSEHOLD_TESTS=1`` (CI), where that is a failure."""

from __future__ import annotations

import asyncio
import os
import socket
import uuid
from collections.abc import AsyncIterator, Iterator
from urllib.parse import urlsplit

import pytest

# Read when the module loads: the autouse fixture of tests/conftest.py clears SAM_* per test.
DATABASE_URL = os.environ.get("SAM_TEST_DATABASE_URL",
                              "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("SAM_TEST_REDIS_URL", "redis://127.0.0.1:6379/13")
REQUIRED = os.environ.get("SAM_REQUIRE_HOUSEHOLD_TESTS") == "1"


def _answers(url: str) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 0), 2):
            return True
    except OSError:
        return False


def _need(url: str, what: str) -> None:
    if _answers(url):
        return
    message = f"{what} at {url} does not answer"
    if REQUIRED:
        pytest.fail(f"{message} (SAM_REQUIRE_HOUSEHOLD_TESTS=1)")
    pytest.skip(message)


async def _admin(sql: str) -> None:
    import asyncpg

    parts = urlsplit(DATABASE_URL)
    conn = await asyncpg.connect(user=parts.username, host=parts.hostname, port=parts.port,
                                 database=parts.path.lstrip("/"))
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    """A database created for this test run, dropped at its end."""
    _need(DATABASE_URL, "PostgreSQL")
    name = f"sam_test_{uuid.uuid4().hex[:12]}"
    asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    parts = urlsplit(DATABASE_URL)
    yield f"postgresql://{parts.username}@{parts.hostname}:{parts.port}/{name}"
    asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
async def fresh_database() -> AsyncIterator[str]:
    """A database of its own for one test."""
    _need(DATABASE_URL, "PostgreSQL")
    name = f"sam_test_{uuid.uuid4().hex[:12]}"
    await _admin(f'CREATE DATABASE "{name}"')
    parts = urlsplit(DATABASE_URL)
    yield f"postgresql://{parts.username}@{parts.hostname}:{parts.port}/{name}"
    await _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
async def redis_url() -> AsyncIterator[str]:
    """The numbered Redis database, flushed before and after."""
    _need(REDIS_URL, "Redis")
    import redis.asyncio as redis

    client = redis.Redis.from_url(REDIS_URL)
    await client.flushdb()
    yield REDIS_URL
    await client.flushdb()
    await client.aclose()
