"""``GET /v1/events`` (a contract): every event of every turn, to several listeners at once,
whatever started the turn — here ``sam-edge chat`` against the running service."""

from __future__ import annotations

import asyncio
import json
import threading
from typing import Any

import httpx

from sam_edge.events import EventBus, EventType
from sam_edge.settings import Settings
from sam_edge.web.events import EventQueue
from tests.fakes.spotify import FakeSpotify
from tests.test_cli import sam

STAGE_EVENTS = ("understand_start", "understand_end", "act_start", "act_end")


class Listener(threading.Thread):
    """Reads the stream until a ``turn_end`` arrives (or the deadline)."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.url = url
        self.connected = threading.Event()
        self.events: list[tuple[str, dict[str, Any]]] = []
        self.content_type = ""

    def run(self) -> None:
        with httpx.stream("GET", self.url, timeout=httpx.Timeout(30, read=30)) as response:
            self.content_type = response.headers.get("content-type", "")
            name = ""
            for line in response.iter_lines():
                if line.startswith(":"):
                    self.connected.set()
                elif line.startswith("event:"):
                    name = line.partition(":")[2].strip()
                elif line.startswith("data:"):
                    self.events.append((name, json.loads(line.partition(":")[2])))
                    if name == "turn_end":
                        return


def test_a_chat_from_the_cli_reaches_every_listener(
        service: tuple[dict[str, str], FakeSpotify]) -> None:
    service_env, _fake = service
    url = f"http://127.0.0.1:{service_env['SAM_HTTP_PORT']}/v1/events"
    listeners = [Listener(url) for _ in range(3)]
    for listener in listeners:
        listener.start()
    for listener in listeners:
        assert listener.connected.wait(10), "the stream did not open"

    answer = sam(service_env, "chat", "--json", "play Doxy")
    assert answer.returncode == 0, answer.stderr
    result = json.loads(answer.stdout)

    for listener in listeners:
        listener.join(20)
        assert not listener.is_alive(), "no turn_end reached a listener"
        assert listener.content_type.startswith("text/event-stream")
        names = [name for name, _ in listener.events]
        assert names[0] == "turn_start"
        assert [n for n in names if n in STAGE_EVENTS] == list(STAGE_EVENTS)
        for name in names:  # every _start has its _end
            if name.endswith("_start") and name != "turn_start":
                assert name.replace("_start", "_end") in names
        end = listener.events[-1][1]
        assert end["source"] == "chat" and end["turn_id"]
        for key in ("action", "parameters", "status", "response_text", "timings_ms"):
            assert end[key] == result[key] or key == "timings_ms"
        assert end["timings_ms"]["total"] == result["timings_ms"]["total"]
        turn_events = [d for name, d in listener.events if name != "state"]
        assert {d["turn_id"] for d in turn_events} == {end["turn_id"]}
        assert "thinking" in [d["state"] for name, d in listener.events if name == "state"]


async def test_a_slow_listener_loses_its_oldest_events_and_never_blocks() -> None:
    bus = EventBus()
    queue = EventQueue(bus, size=4)
    for i in range(10):
        bus.emit(EventType.STATE, state="idle", n=i)
    assert queue.dropped == 6
    got = [(await queue.get()).data["n"] for _ in range(4)]
    assert got == [6, 7, 8, 9]
    queue.close()
    bus.emit(EventType.STATE, state="idle", n=10)
    assert queue.dropped == 6


async def test_events_from_another_thread_are_queued_on_the_loop() -> None:
    bus = EventBus()
    queue = EventQueue(bus)
    thread = threading.Thread(target=lambda: bus.emit(EventType.ERROR, code="x"))
    thread.start()
    thread.join()
    event = await asyncio.wait_for(queue.get(), 5)
    assert event.data["code"] == "x"
    queue.close()


def test_the_stream_is_declared_in_the_openapi_document(settings: Settings) -> None:
    from sam_edge.web.app import create_app

    app = create_app(settings)
    assert "/v1/events" in app.openapi()["paths"]
