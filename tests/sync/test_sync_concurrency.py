"""Pages read several at once: a 429 holds every request back for its ``Retry-After``; a sync
that finds one new like reads only the newest page of likes; the gate never lets more requests
through than its limit; results come back in their order."""

from __future__ import annotations

import asyncio
import time

from sam_edge.sync.pages import Gate, batches, in_order
from tests.sync.conftest import LIKED, World


async def test_one_new_like_is_read_from_the_first_page_alone(world: World) -> None:
    await world.service.sync()
    fake = world.fake
    fake.add_liked(fake.track("Nuvvu Nenantu"), added_at="2026-06-01T00:00:00Z")
    before = len(fake.requests)
    t0 = time.perf_counter()
    [summary] = await world.service.sync()
    seconds = time.perf_counter() - t0
    assert summary.ok and summary.liked == LIKED + 1 and summary.added == 1
    made = [(r.path, r.query.get("offset"), r.query.get("limit"))
            for r in fake.requests[before:]]
    assert made == [("/v1/me/tracks", "0", "1"), ("/v1/me/tracks", "0", "50"),
                    ("/v1/me", None, None), ("/v1/me/playlists", "0", "50")]
    assert seconds < 1.0
    liked = {t for (t,) in world.rows("SELECT title FROM library_tracks WHERE liked")}
    assert "Nuvvu Nenantu" in liked


async def test_a_new_like_with_an_unlike_reads_every_page(world: World) -> None:
    await world.service.sync()
    fake = world.fake
    gone = fake.liked[-1][0].name
    del fake.liked[-1]
    fake.add_liked(fake.track("Nuvvu Nenantu"), added_at="2026-06-01T00:00:00Z")
    [summary] = await world.service.sync()
    assert summary.ok and summary.liked == LIKED
    liked = {t for (t,) in world.rows("SELECT title FROM library_tracks WHERE liked")}
    assert "Nuvvu Nenantu" in liked and gone not in liked


async def test_a_429_holds_back_the_pages_for_its_retry_after(world: World) -> None:
    world.fake.rate_limit_next(1, "GET", "me/tracks")
    t0 = time.perf_counter()
    [summary] = await world.service.sync()
    assert summary.ok and summary.liked == LIKED, summary
    assert time.perf_counter() - t0 >= 1.0


async def test_the_gate_keeps_to_its_limit_and_pauses_everyone() -> None:
    gate = Gate(3)

    async def call(i: int) -> int:
        async with gate.slot():
            await asyncio.sleep(0.01)
            return i

    got = [i async for i in in_order([lambda i=i: call(i) for i in range(20)], 8)]
    assert got == list(range(20)) and gate.peak == 3
    gate.rate_limited(0.3)
    t0 = time.perf_counter()
    assert [b async for b in batches([lambda: call(1)], 4, 4)] == [[1]]
    assert time.perf_counter() - t0 >= 0.29


async def test_batches_hand_back_what_is_ready_in_order() -> None:
    async def call(i: int) -> int:
        await asyncio.sleep(0.05 if i == 0 else 0)
        return i

    got = [b async for b in batches([lambda i=i: call(i) for i in range(6)], 6, 4)]
    assert [i for b in got for i in b] == list(range(6))
    assert got[0] == [0, 1, 2, 3]
