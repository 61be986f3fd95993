"""Button press → platform command: how long SAM itself takes between the pin edge and the
command reaching the platform, against the same command sent straight to the adapter.

Each press is a mock pin edge driven from a worker thread (gpiozero calls back on its own
thread, so the hand-off to the asyncio loop is part of what is measured) and goes through the
real ButtonPanel, DeviceController and MusicActionService:

* ``local``: the music-folder platform; the command has arrived when the player (a
  ``RecordingPlayer``) is called. ``next`` fires on the press edge; ``play_pause`` on the
  release edge (it also has a hold action) and first asks the platform what is playing.
* ``spotify``: the fake Spotify Web API over real HTTP on 127.0.0.1; the command has arrived
  when the fake receives ``PUT /v1/me/player/pause`` (or ``/play``).

The baseline is the same adapter calls made directly, timed to the same arrival, alternating
with the presses. "SAM's own time" is press minus baseline, paired; the target is ≤ 20 ms.

    .venv/bin/python bench/button_to_action.py [--presses 200] [--latency-ms 0]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sam_edge.accounts.tokens import TokenSet  # noqa: E402
from sam_edge.app.runtime import Runtime, build_runtime  # noqa: E402
from sam_edge.gpio import GpioConfig, PinFactoryChoice, build_gpio, mock_factory  # noqa: E402
from sam_edge.settings import load_settings  # noqa: E402
from tests.fakes.recording import RecordingPlayer  # noqa: E402
from tests.fakes.server import serve  # noqa: E402
from tests.fakes.spotify import CLIENT_ID, FakeSpotify  # noqa: E402

COMMANDS = ("pause", "resume", "next")
TARGET_MS = 20.0


class Arrivals:
    """When commands reach the platform, on ``time.perf_counter``."""

    def __init__(self) -> None:
        self.times: list[float] = []

    def mark(self) -> None:
        self.times.append(time.perf_counter())

    def first_after(self, count: int) -> float:
        assert len(self.times) > count, "the command never reached the platform"
        return self.times[count]


class TimedPlayer(RecordingPlayer):
    def __init__(self, arrivals: Arrivals) -> None:
        super().__init__()
        self.arrivals = arrivals

    async def pause(self) -> None:
        self.arrivals.mark()
        await super().pause()

    async def resume(self) -> None:
        self.arrivals.mark()
        await super().resume()

    async def next(self) -> None:
        self.arrivals.mark()
        await super().next()


def stamped(app: Any, arrivals: Arrivals) -> Any:
    """The fake Spotify, noting when a play/pause command arrives (in the server's thread)."""

    async def wrapper(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["method"] == "PUT" and \
                scope["path"] in ("/v1/me/player/pause", "/v1/me/player/play"):
            arrivals.mark()
        await app(scope, receive, send)

    return wrapper


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def measure(rt: Runtime, arrivals: Arrivals, button: str, n: int,
                  direct: Callable[[], Awaitable[None]]) -> dict[str, list[float]]:
    factory = mock_factory()
    # No debounce window: presses here come faster than a finger's.
    config = GpioConfig(mode="mock", bounce_time_s=0.0)
    gpio = build_gpio(config, rt.runner, rt.listener, rt.bus,
                      choice=PinFactoryChoice(factory, True, "bench"))
    pin = factory.pin(getattr(config, button))
    fires_on_release = button == "play_pause"
    loop = asyncio.get_running_loop()
    out: dict[str, list[float]] = {"press": [], "direct": [], "own": [], "accepted": []}

    def press() -> float:  # on the worker thread, as gpiozero's edge thread would be
        if fires_on_release:
            pin.drive_low()
            t0 = time.perf_counter()
            pin.drive_high()
        else:
            t0 = time.perf_counter()
            pin.drive_low()
            pin.drive_high()
        return t0

    with ThreadPoolExecutor(1) as edges:
        for i in range(n + 10):  # the first 10 warm up (the stored platform, the device list)
            # The command is accepted only after it arrived: wait for that, then read the
            # arrival time (no polling loop competing with the fake's thread for the GIL).
            count = len(arrivals.times)
            t0 = await loop.run_in_executor(edges, press)
            await gpio.panel.idle(timeout=10)
            arrived = arrivals.first_after(count)
            last = gpio.controller.last
            assert last is not None and last.status == "ok", last
            count = len(arrivals.times)
            t1 = time.perf_counter()
            await direct()
            base = arrivals.first_after(count) - t1
            if i >= 10:
                out["press"].append((arrived - t0) * 1000)
                out["direct"].append(base * 1000)
                out["own"].append((arrived - t0 - base) * 1000)
                out["accepted"].append((last.finished_at - t0) * 1000)
    gpio.close()
    return out


async def local_run(data: Path, n: int) -> dict[str, dict[str, list[float]]]:
    arrivals = Arrivals()
    player = TimedPlayer(arrivals)
    settings = load_settings(None, {"SAM_DATA_DIR": str(data), "SAM_MUSIC_DIR": str(data / "m"),
                                    "SAM_PLAYER_AUDIO_OUTPUT": "null", "SAM_AUDIO_OUTPUT": "none",
                                    "SAM_LOG_LEVEL": "WARNING",
                                    "SAM_CONFIG": str(data / "absent.toml")})
    rt = await build_runtime(settings, player=player)
    adapter = rt.platforms["local"]
    await player.play([f"/music/{i:05d}.mp3" for i in range(2 * n + 50)])

    async def toggle() -> None:
        state = await adapter.now_playing()
        await (adapter.pause() if state is not None and state.is_playing else adapter.resume())

    results = {"next": await measure(rt, arrivals, "next", n, adapter.next),
               "play_pause": await measure(rt, arrivals, "play_pause", n, toggle)}
    await rt.aclose()
    return results


async def spotify_run(fake: FakeSpotify, url: str, arrivals: Arrivals, data: Path,
                      n: int) -> dict[str, list[float]]:
    settings = load_settings(None, {
        "SAM_DATA_DIR": str(data), "SAM_MUSIC_DIR": str(data / "m"),
        "SAM_PLAYER_AUDIO_OUTPUT": "null", "SAM_AUDIO_OUTPUT": "none",
        "SAM_SPOTIFY_CLIENT_ID": CLIENT_ID, "SAM_SPOTIFY_API_URL": f"{url}/v1",
        "SAM_SPOTIFY_ACCOUNTS_URL": url, "SAM_LOG_LEVEL": "WARNING",
        "SAM_CONFIG": str(data / "absent.toml")})
    rt = await build_runtime(settings, player=RecordingPlayer())
    issued = fake.issue_tokens()
    await rt.tokens.save("spotify", TokenSet(issued["access_token"], issued["refresh_token"],
                                             time.time() + 3600, issued["scope"]))
    turn = await rt.runner.chat("play Hello by Adele", "bench")
    assert turn.status == "ok", turn
    adapter = rt.platforms["spotify"]

    async def toggle() -> None:
        state = await adapter.now_playing()
        await (adapter.pause() if state is not None and state.is_playing else adapter.resume())

    result = await measure(rt, arrivals, "play_pause", n, toggle)
    await rt.aclose()
    return result


def line(label: str, values: list[float]) -> str:
    return f"  {label:<34} p50 {pct(values, .5):8.3f} ms   p95 {pct(values, .95):8.3f} ms"


def report(title: str, r: dict[str, list[float]]) -> None:
    ratios = [p / d for p, d in zip(r["press"], r["direct"], strict=True) if d > 0]
    print(title)
    print(line("press → command arrives", r["press"]))
    print(line("direct adapter call (baseline)", r["direct"]))
    print(line("SAM's own time (press − direct)", r["own"]))
    print(line("press → command accepted", r["accepted"]))
    print(f"  {'press / direct':<34} p50 {statistics.median(ratios):8.2f}x    "
          f"p95 {pct(ratios, .95):8.2f}x")
    verdict = "meets" if pct(r["own"], .95) <= TARGET_MS else "misses"
    print(f"  SAM's own p95 {verdict} the {TARGET_MS:g} ms target")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--presses", type=int, default=200)
    parser.add_argument("--latency-ms", type=float, default=0.0,
                        help="added to every fake Spotify call")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        local = asyncio.run(local_run(Path(tmp) / "local", args.presses))
        fake = FakeSpotify.with_demo_catalog()
        fake.latency_s = args.latency_ms / 1000
        arrivals = Arrivals()
        with serve(stamped(fake.app, arrivals)) as url:
            spotify = asyncio.run(spotify_run(fake, url, arrivals, Path(tmp) / "sp",
                                              args.presses))
    n = args.presses
    report(f"local platform, next button (press edge), {n} presses", local["next"])
    report(f"local platform, play/pause button (release edge), {n} presses",
           local["play_pause"])
    report(f"fake Spotify over HTTP (+{args.latency_ms:g} ms per call), play/pause button, "
           f"{n} presses", spotify)


if __name__ == "__main__":
    main()
