"""Token refresh: two processes refreshing at once spend the single-use refresh token once; a
refused refresh shows as not connected, with the reason, in the API and in ``sam-edge status``."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from sam_edge.accounts.locks import FlockLock, LockTimeout
from sam_edge.accounts.report import account_status
from sam_edge.accounts.secrets import Cipher
from sam_edge.accounts.store import DbTokenStore
from sam_edge.accounts.tokens import TokenSet
from sam_edge.clock import ManualClock
from sam_edge.db.engine import make_engine, make_sessionmaker, migrate
from sam_edge.errors import NeedsPairing
from sam_edge.platforms.soundcloud.auth import SoundCloudClient
from sam_edge.settings import SoundCloudSettings
from tests.fakes.server import serve
from tests.fakes.soundcloud import CLIENT_ID, CLIENT_SECRET, FakeSoundCloud

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def fake() -> FakeSoundCloud:
    return FakeSoundCloud.with_demo_catalog()


@pytest.fixture
def base(fake: FakeSoundCloud) -> Iterator[str]:
    with serve(fake.app) as url:
        yield url


async def _stored(data_dir: Path, fake: FakeSoundCloud, expires_at: float) -> TokenSet:
    migrate(data_dir / "sam.db")
    engine = make_engine(data_dir / "sam.db")
    store = DbTokenStore.in_data_dir(make_sessionmaker(engine),
                                     Cipher.from_data_dir(data_dir), data_dir)
    minted = fake.issue_tokens()
    tokens = TokenSet(minted["access_token"], minted["refresh_token"], expires_at,
                      account_id="soundcloud:users:1", display_name="Sam Tester")
    await store.save("soundcloud", tokens)
    await engine.dispose()
    return tokens


async def test_two_processes_refreshing_at_once_spend_the_token_once(
        tmp_path: Path, fake: FakeSoundCloud, base: str) -> None:
    old = await _stored(tmp_path, fake, expires_at=time.time() - 10)
    fake.latency_s = 0.3  # both are inside the refresh at once without the lock
    go = tmp_path / "go"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    workers = [subprocess.Popen(
        [sys.executable, "-m", "tests.accounts.refresh_worker", str(tmp_path), base, str(go)],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(2)]
    for worker in workers:
        assert worker.stdout is not None and worker.stdout.readline().strip() == "ready"
    go.touch()
    outs = [w.communicate(timeout=60) for w in workers]

    assert [w.returncode for w in workers] == [0, 0], [err for _, err in outs]
    assert len(fake.calls("POST", "/auth/oauth/token")) == 1
    [token_a, token_b] = [out.strip() for out, _ in outs]
    assert token_a == token_b != old.access_token
    engine = make_engine(tmp_path / "sam.db")
    store = DbTokenStore(make_sessionmaker(engine), Cipher.from_data_dir(tmp_path))
    saved = await store.load("soundcloud")
    await engine.dispose()
    assert saved is not None and saved.access_token == token_a
    assert fake.refresh_token_valid(saved.refresh_token)


async def test_the_flock_is_held_across_processes(tmp_path: Path) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", "import fcntl, os, sys, time; "
         f"fd = os.open({str(tmp_path / 'refresh-x.lock')!r}, os.O_RDWR | os.O_CREAT); "
         "fcntl.flock(fd, fcntl.LOCK_EX); print('held', flush=True); time.sleep(30)"],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with pytest.raises(LockTimeout):
            async with FlockLock(tmp_path, wait_s=0.2).hold("refresh-x"):
                pass
    finally:
        holder.kill()
        holder.wait()
    async with FlockLock(tmp_path, wait_s=5).hold("refresh-x"):
        pass


async def test_a_refused_refresh_says_why_it_is_not_connected(
        tmp_path: Path, fake: FakeSoundCloud, base: str) -> None:
    clock = ManualClock()
    await _stored(tmp_path, fake, expires_at=clock.now() - 10)
    fake.revoke_refresh_tokens()
    engine = make_engine(tmp_path / "sam.db")
    store = DbTokenStore.in_data_dir(make_sessionmaker(engine),
                                     Cipher.from_data_dir(tmp_path), tmp_path)
    settings = SoundCloudSettings(client_id=CLIENT_ID, client_secret=CLIENT_SECRET,
                                  api_url=base, auth_url=f"{base}/auth", timeout_s=5.0)
    try:
        async with httpx.AsyncClient() as http:
            with pytest.raises(NeedsPairing, match="paired again"):
                await SoundCloudClient(settings, store, clock, http).ensure()
        status = await account_status(store, "soundcloud", None)
        assert status["connected"] is False
        assert "refused" in status["reason"] and "invalid_grant" in status["reason"]
        assert await store.load("soundcloud") is None  # the LED's check sees it unpaired

        minted = fake.issue_tokens()  # pairing again clears the refusal
        await store.save("soundcloud", TokenSet(minted["access_token"],
                                                minted["refresh_token"], clock.now() + 3600))
        assert (await account_status(store, "soundcloud", None))["connected"] is True
    finally:
        await engine.dispose()
