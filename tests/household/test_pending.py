"""Search cache writes kept on the device by an earlier run are written at the next start."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sam_edge.cache.store import SearchCacheStore
from sam_edge.db.engine import make_sessionmaker
from sam_edge.household.database import make_household_engine, migrate_household
from sam_edge.household.offline import ResilientStore
from sam_edge.platforms.base import Track


async def test_writes_left_by_an_earlier_run(fresh_database: str, tmp_path: Path) -> None:
    engine = make_household_engine(fresh_database)
    await migrate_household(engine)
    sessions = make_sessionmaker(engine)
    try:
        earlier = ResilientStore(sessions, tmp_path)
        earlier.pending.append(("h", "hello", Track("local:1", "Hello", "Adele", "local"),
                                1e9, 1e9))
        await earlier.aclose()

        store = ResilientStore(sessions, tmp_path, retry_s=0.05)
        assert await store.get("h", "local", 1e9 + 1) is None  # starts the writing
        for _ in range(100):
            if store.online and not len(store.pending):
                break
            await asyncio.sleep(0.05)
        assert await SearchCacheStore(sessions).count() == 1
        found = await store.get("h", "local", 1e9 + 1)
        assert found is not None and found.title == "Hello"
        await store.aclose()
    finally:
        await engine.dispose()
