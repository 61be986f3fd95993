"""Text turns through the app against the fake Spotify, with a fixed latency per fake call.

Prints SAM's own overhead per turn (turn time minus the time the same Spotify calls take when
made directly: the baseline), p50/p95 and the ratio; the tier-1 and tier-2 cache hit latency;
the grammar's parse time; and the idle and peak RSS of a real ``sam-edge run``.

    .venv/bin/python bench/chat_turn.py [--turns 200] [--latency-ms 20]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sam_edge.accounts.tokens import TokenSet  # noqa: E402
from sam_edge.app.runtime import build_runtime  # noqa: E402
from sam_edge.dialog.grammar import parse  # noqa: E402
from sam_edge.platforms.base import Track  # noqa: E402
from sam_edge.settings import load_settings  # noqa: E402
from sam_edge.web.app import create_app  # noqa: E402
from tests.fakes.server import serve  # noqa: E402
from tests.fakes.spotify import CLIENT_ID, FakeSpotify  # noqa: E402

HIT_TURNS = ["play Hello by Adele", "pause", "play Yellow", "set the volume to 40",
             "play the album 25", "skip this one", "play Hello by Adele", "turn it up"]
PHRASES = ["pause", "skip this one", "turn it up", "set the volume to 40",
           "play Hello by Adele", "play Despacito on soundcloud", "add Yellow to the queue",
           "what's playing", "shuffle on", "repeat this song", "switch to spotify",
           "play my liked songs", "play the album 25", "tell me a joke"]


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def env_for(data: Path, url: str, port: int) -> dict[str, str]:
    return {"SAM_DATA_DIR": str(data), "SAM_MUSIC_DIR": str(data / "music"),
            "SAM_PLAYER_AUDIO_OUTPUT": "null", "SAM_SPOTIFY_CLIENT_ID": CLIENT_ID,
            "SAM_SPOTIFY_API_URL": f"{url}/v1", "SAM_SPOTIFY_ACCOUNTS_URL": url,
            "SAM_HTTP_PORT": str(port), "SAM_LOG_LEVEL": "WARNING",
            "SAM_CONFIG": str(data / "absent.toml")}


async def turns(fake: FakeSpotify, url: str, data: Path, n: int) -> dict[str, object]:
    settings = load_settings(None, env_for(data, url, 8080))
    rt = await build_runtime(settings)
    issued = fake.issue_tokens()
    await rt.tokens.save("spotify", TokenSet(issued["access_token"], issued["refresh_token"],
                                             time.time() + 3600, issued["scope"]))
    app = create_app(settings, rt)
    direct = httpx.Client(base_url=url, headers={
        "Authorization": f"Bearer {issued['access_token']}"}, timeout=10)
    overhead: list[float] = []
    ratios: list[float] = []
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://sam") as client:
        for text in HIT_TURNS:  # warm the cache and the device list
            await client.post("/v1/chat/message", json={"text": text})
        for i in range(n):
            text = HIT_TURNS[i % len(HIT_TURNS)]
            start_log = len(fake.requests)
            t0 = time.perf_counter()
            body = (await client.post("/v1/chat/message", json={"text": text})).json()
            turn = time.perf_counter() - t0
            assert body["status"] == "ok", body
            made = fake.requests[start_log:]
            t1 = time.perf_counter()
            for req in made:  # the baseline: the same calls, straight to the fake
                direct.request(req.method, req.path, params=req.query, json=req.json)
            base = time.perf_counter() - t1
            overhead.append((turn - base) * 1000)
            ratios.append(turn / base if base else float("nan"))
    direct.close()

    cache = rt.cache
    track = Track("spotify:track:bench", "Nuvvu Nenantu", "Karthik", "spotify")

    async def never() -> Track | None:
        raise AssertionError("tier 3 must not be reached")

    await cache.store.put("warm", "", track, now=time.time(), ttl_s=3600)
    first = await cache.lookup("spotify", "Nuvvu Nenantu", fetch=lambda: _ret(track))
    assert first.track is not None
    t1_times, t2_times = [], []
    for _ in range(2000):
        t0 = time.perf_counter()
        hit = await cache.lookup("spotify", "play nuvvu nenantu song", fetch=never)
        t1_times.append((time.perf_counter() - t0) * 1000)
        assert hit.tier == "hot"
    for _ in range(500):
        cache.hot.clear()
        t0 = time.perf_counter()
        hit = await cache.lookup("spotify", "Nuvvu Nenantu", fetch=never)
        t2_times.append((time.perf_counter() - t0) * 1000)
        assert hit.tier == "sqlite"
    await rt.aclose()
    return {"overhead": overhead, "ratios": ratios, "tier1": t1_times, "tier2": t2_times}


async def _ret(track: Track) -> Track:
    return track


def grammar_us(rounds: int = 2000) -> float:
    t0 = time.perf_counter()
    for _ in range(rounds):
        for phrase in PHRASES:
            parse(phrase)
    return (time.perf_counter() - t0) / (rounds * len(PHRASES)) * 1e6


def rss_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def service_rss(url: str, data: Path, n: int) -> tuple[int, int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, **env_for(data, url, port)}
    sam = str(Path(sys.executable).with_name("sam-edge"))
    proc = subprocess.Popen([sam, "run"], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        time.sleep(1.0)
        idle = rss_kib(proc.pid, "VmRSS")
        with httpx.Client(base_url=base, timeout=30) as client:
            for i in range(n):
                client.post("/v1/chat/message", json={"text": HIT_TURNS[i % len(HIT_TURNS)]})
        peak = rss_kib(proc.pid, "VmHWM")
        return idle, peak
    finally:
        proc.terminate()
        proc.wait(timeout=15)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=200)
    parser.add_argument("--latency-ms", type=float, default=20.0)
    args = parser.parse_args()
    fake = FakeSpotify.with_demo_catalog()
    fake.latency_s = args.latency_ms / 1000
    with tempfile.TemporaryDirectory() as tmp, serve(fake.app) as url:
        data = Path(tmp) / "data"
        (data / "music").mkdir(parents=True)
        result = asyncio.run(turns(fake, url, data, args.turns))
        idle, peak = service_rss(url, Path(tmp) / "svc", args.turns)
    over = result["overhead"]
    ratios = result["ratios"]
    t1, t2 = result["tier1"], result["tier2"]
    assert isinstance(over, list) and isinstance(ratios, list)
    assert isinstance(t1, list) and isinstance(t2, list)
    print(f"chat turns (cache hits, {args.turns} turns, {args.latency_ms:g} ms per Spotify call)")
    print(f"  SAM overhead per turn   p50 {pct(over, .5):7.2f} ms   p95 {pct(over, .95):7.2f} ms")
    print(f"  turn / direct calls     p50 {statistics.median(ratios):7.3f}x  "
          f"p95 {pct(ratios, .95):7.3f}x")
    print(f"  tier-1 hit (diskcache)  p50 {pct(t1, .5):7.4f} ms   p95 {pct(t1, .95):7.4f} ms")
    print(f"  tier-2 hit (SQLite)     p50 {pct(t2, .5):7.4f} ms   p95 {pct(t2, .95):7.4f} ms")
    print(f"  tier-2 / tier-1         {pct(t2, .5) / pct(t1, .5):7.1f}x")
    print(f"  grammar parse           mean {grammar_us():6.1f} us per phrase")
    print(f"  sam-edge run RSS        idle {idle / 1024:6.1f} MiB   peak {peak / 1024:6.1f} MiB")


if __name__ == "__main__":
    main()
