"""Turn overhead with the household store (PostgreSQL and Redis) against the embedded one
(SQLite and the file locks), in the same run: cache-hit text turns through the app against the
fake Spotify (the turns of ``bench/chat_turn.py``), alternating between the two stores. What the
household store adds is the difference of the turn times (same turns, same fake, same latency).

    .venv/bin/python bench/household.py [--turns 200] [--latency-ms 20]

The servers: ``SAM_BENCH_DATABASE_URL`` (default ``postgresql://postgres@127.0.0.1:5432/postgres``;
a database is created for the run and dropped) and ``SAM_BENCH_REDIS_URL`` (default
``redis://127.0.0.1:6379/14``, flushed).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.chat_turn import HIT_TURNS, env_for, pct  # noqa: E402
from sam_edge.accounts.tokens import TokenSet  # noqa: E402
from sam_edge.app.runtime import build_runtime  # noqa: E402
from sam_edge.household.database import KEY_FILE  # noqa: E402
from sam_edge.household.joining import validated, write_key, write_section  # noqa: E402
from sam_edge.settings import load_settings  # noqa: E402
from sam_edge.web.app import create_app  # noqa: E402
from tests.fakes.server import serve  # noqa: E402
from tests.fakes.spotify import FakeSpotify  # noqa: E402

DATABASE_URL = os.environ.get("SAM_BENCH_DATABASE_URL",
                              "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("SAM_BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
KEY = base64.urlsafe_b64encode(os.urandom(32)).decode()
"""The household key of this run (every round's device joins the same household)."""


async def admin(sql: str) -> None:
    import asyncpg

    parts = urlsplit(DATABASE_URL)
    conn = await asyncpg.connect(user=parts.username, host=parts.hostname, port=parts.port,
                                 database=parts.path.lstrip("/"))
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def flush_redis() -> None:
    import redis.asyncio as redis

    client = redis.Redis.from_url(REDIS_URL)
    await client.flushdb()
    await client.aclose()


async def turn_times(fake: FakeSpotify, url: str, data: Path, n: int,
                     database: str | None) -> list[float]:
    env = env_for(data, url, 8080)
    if database is not None:
        config = data / "config.toml"
        write_section(config, validated(database, REDIS_URL, "bench", "kitchen"))
        write_key(data / KEY_FILE, KEY)
        env["SAM_CONFIG"] = str(config)
    rt = await build_runtime(load_settings(None, env))
    if rt.household is not None:  # as in sam-edge run: heartbeat and messages
        rt.household.start()
        await asyncio.wait_for(rt.household.subscribed.wait(), 10)
    issued = fake.issue_tokens()
    await rt.tokens.save("spotify", TokenSet(issued["access_token"], issued["refresh_token"],
                                             time.time() + 3600, issued["scope"]))
    app = create_app(rt.settings, rt)
    found: list[float] = []
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                     base_url="http://sam") as client:
            for text in HIT_TURNS:  # warm the caches and the device list
                await client.post("/v1/chat/message", json={"text": text})
            for i in range(n):
                text = HIT_TURNS[i % len(HIT_TURNS)]
                t0 = time.perf_counter()
                body = (await client.post("/v1/chat/message", json={"text": text})).json()
                found.append((time.perf_counter() - t0) * 1000)
                assert body["status"] == "ok", body
    finally:
        await rt.aclose()
    return found


async def run(fake: FakeSpotify, url: str, root: Path, n: int) -> dict[str, list[float]]:
    name = f"sam_bench_{uuid.uuid4().hex[:10]}"
    await admin(f'CREATE DATABASE "{name}"')
    await flush_redis()
    parts = urlsplit(DATABASE_URL)
    database = f"postgresql://{parts.username}@{parts.hostname}:{parts.port}/{name}"
    try:
        results: dict[str, list[float]] = {"embedded": [], "household": []}
        for round_ in range(2):  # alternated, so a busy moment does not favour one side
            for mode in ("embedded", "household"):
                data = root / f"{mode}{round_}"
                (data / "music").mkdir(parents=True)
                results[mode] += await turn_times(fake, url, data, n // 2,
                                                  database if mode == "household" else None)
        return results
    finally:
        await flush_redis()
        await admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=200)
    parser.add_argument("--latency-ms", type=float, default=20.0)
    args = parser.parse_args()
    fake = FakeSpotify.with_demo_catalog()
    fake.latency_s = args.latency_ms / 1000
    with tempfile.TemporaryDirectory() as tmp, serve(fake.app) as url:
        result = asyncio.run(run(fake, url, Path(tmp), args.turns))
    embedded, household = result["embedded"], result["household"]
    print(f"chat turns (cache hits, {args.turns} per store, {args.latency_ms:g} ms per "
          "Spotify call)")
    for label, values in (("embedded (SQLite)", embedded), ("household (PG+Redis)", household)):
        print(f"  {label:22s} turn p50 {pct(values, .5):7.2f} ms   "
              f"p95 {pct(values, .95):7.2f} ms")
    delta = pct(household, .5) - pct(embedded, .5)
    print(f"  household - embedded   p50 {delta:+7.2f} ms   (target: at most +3 ms)")


if __name__ == "__main__":
    main()
