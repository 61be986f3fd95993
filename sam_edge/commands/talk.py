"""``sam-edge talk``: the Enter key as the talk button; Ctrl-C (or end of input) ends.

With the service running, Enter asks it to listen (``POST /v1/listen``) and each voice turn's
answer is read from its event stream (``GET /v1/events``); otherwise the assistant runs in this
process, with the microphone when there is one and the bundled demo request when there is not.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx

from ..settings import Settings
from ._common import err, service_answers, setup_logging

PROMPT = "Press Enter to talk (Ctrl-C ends)."


def _show(turn: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print(json.dumps(turn, ensure_ascii=False), flush=True)
        return
    heard = turn.get("transcript") or ""
    answer = turn.get("response_text") or f"({turn.get('status')})"
    print(f"{heard!r} → {answer}" if heard else answer, flush=True)


async def _enter_presses(press: Callable[[], None]) -> None:
    """Call ``press`` for each line typed; return at end of input."""
    while True:
        line = await asyncio.to_thread(sys.stdin.readline)
        if not line:
            return
        press()


async def _events(client: httpx.AsyncClient) -> AsyncIterator[tuple[str, dict[str, Any]]]:
    async with client.stream("GET", "/v1/events", timeout=httpx.Timeout(10, read=None)) as r:
        name = ""
        async for line in r.aiter_lines():
            if line.startswith("event:"):
                name = line.partition(":")[2].strip()
            elif line.startswith("data:"):
                yield name, json.loads(line.partition(":")[2])


async def _remote(settings: Settings, as_json: bool) -> int:
    async with httpx.AsyncClient(base_url=settings.service_url, timeout=10.0) as client:
        loop = asyncio.get_running_loop()
        pending: set[asyncio.Task[Any]] = set()
        done: asyncio.Queue[None] = asyncio.Queue()
        opened = asyncio.Event()

        def press() -> None:
            pending.add(loop.create_task(client.post("/v1/listen")))

        async def follow() -> None:
            async for name, data in _events(client):
                opened.set()
                if name == "turn_end" and data.get("source") == "voice":
                    _show(data, as_json)
                    done.put_nowait(None)

        follower = loop.create_task(follow())
        try:
            # The stream's first event (a state, or the first turn) says it is open; a quiet
            # service may send none, so do not wait long.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(opened.wait(), 0.5)
            await _enter_presses(press)
            answered = await asyncio.gather(*pending) if pending else []
            started = sum(1 for r in answered if r.status_code == 202
                          and r.json().get("listening"))
            for _ in range(started):  # finish the turns that were asked for
                await asyncio.wait_for(done.get(), 60)
        finally:
            follower.cancel()
            with contextlib.suppress(asyncio.CancelledError, httpx.HTTPError):
                await follower
    return 0


async def _in_process(settings: Settings, as_json: bool) -> int:
    from ..app.runtime import build_runtime
    from ..events import Event, EventType

    runtime = await build_runtime(settings)
    done: asyncio.Queue[None] = asyncio.Queue()

    def on_event(event: Event) -> None:
        if event.type is EventType.TURN_END and event.data.get("source") == "voice":
            _show(dict(event.data), as_json)
            done.put_nowait(None)

    runtime.bus.subscribe(on_event)
    presses = 0

    def press() -> None:
        nonlocal presses
        if runtime.listener.talk() == "nothing":
            err("there is nothing to listen with")
            return
        presses += 1

    try:
        runtime.listener.start()
        await _enter_presses(press)
        for _ in range(presses):  # finish the turns that were asked for
            await asyncio.wait_for(done.get(), 60)
    finally:
        await runtime.aclose()
    return 0


def cmd_talk(settings: Settings, args: argparse.Namespace) -> int:
    setup_logging("WARNING")
    print(PROMPT, file=sys.stderr, flush=True)
    remote = service_answers(settings)
    try:
        return asyncio.run(_remote(settings, args.json) if remote
                           else _in_process(settings, args.json))
    except KeyboardInterrupt:
        print(file=sys.stderr)
        return 0
