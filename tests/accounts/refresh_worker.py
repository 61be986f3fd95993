"""One process that needs a fresh SoundCloud token.

``python -m tests.accounts.refresh_worker DATA_DIR BASE_URL GO_FILE`` says ``ready``, waits
until GO_FILE exists, then asks for valid tokens and prints the access token it got."""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

import httpx

from sam_edge.accounts.secrets import Cipher
from sam_edge.accounts.store import DbTokenStore
from sam_edge.clock import SystemClock
from sam_edge.db.engine import make_engine, make_sessionmaker
from sam_edge.platforms.soundcloud.auth import SoundCloudClient
from sam_edge.settings import SoundCloudSettings
from tests.fakes.soundcloud import CLIENT_ID, CLIENT_SECRET


async def main(data_dir: Path, base: str, go: Path) -> None:
    engine = make_engine(data_dir / "sam.db")
    store = DbTokenStore.in_data_dir(make_sessionmaker(engine), Cipher.from_data_dir(data_dir),
                                     data_dir)
    settings = SoundCloudSettings(client_id=CLIENT_ID, client_secret=CLIENT_SECRET,
                                  api_url=base, auth_url=f"{base}/auth", timeout_s=10.0)
    await store.load("soundcloud")  # warm the in-memory copy, as a running service has it
    print("ready", flush=True)
    deadline = time.monotonic() + 20
    while not go.exists() and time.monotonic() < deadline:
        await asyncio.sleep(0.005)
    async with httpx.AsyncClient() as http:
        client = SoundCloudClient(settings, store, SystemClock(), http)
        tokens = await client.ensure()
    await engine.dispose()
    print(tokens.access_token)


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3])))
