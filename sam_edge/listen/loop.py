"""The listening loop: frames from a source → wake word or talk button → endpointing → a turn.

The loop keeps reading while a turn is thought about and spoken, so the wake word or the talk
button during a reply stops the reply and starts listening again (barge-in). While the
microphone is muted the capture stream is closed: no audio is captured, let alone sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable

from ..audio.format import Clip
from ..events import EventBus, EventType, State
from ..pipeline.voice import VoicePipeline
from ..speech.stt import SpeechToText
from .endpoint import EndpointConfig, Endpointer, EndpointResult
from .vad import WebRtcVad
from .wake import Rechunker, WakeEngine

log = logging.getLogger(__name__)

SourceFactory = Callable[[], AsyncIterator[bytes]]


class ListenLoop:
    def __init__(self, pipeline: VoicePipeline, bus: EventBus, *,
                 endpoint: EndpointConfig, vad_mode: int = 2,
                 wake: WakeEngine | None = None, live: SourceFactory | None = None,
                 simulated: SourceFactory | None = None,
                 simulated_stt: SpeechToText | None = None,
                 earcon: Callable[[str], None] | None = None) -> None:
        self.pipeline = pipeline
        self.bus = bus
        self.wake = wake
        self._endpoint_config = endpoint
        self._vad = WebRtcVad(vad_mode)
        self._live = live
        self._simulated = simulated
        self._simulated_stt = simulated_stt
        self._earcon = earcon
        self._talk = False
        self._cancel = False
        self.muted = False
        self._unmuted = asyncio.Event()
        self._unmuted.set()
        self._tasks: set[asyncio.Task[object]] = set()
        self._runner: asyncio.Task[None] | None = None
        self._once: asyncio.Task[None] | None = None

    # ---------------------------------------------------------------- control

    @property
    def live(self) -> bool:
        return self._live is not None

    def start(self) -> None:
        """Run the microphone loop in the background (when there is a microphone)."""
        if self._live is not None and self._runner is None:
            self._runner = asyncio.get_running_loop().create_task(self._run_live())

    def talk(self) -> str:
        """The talk button. Returns what will be listened to."""
        if self._runner is not None:
            self._talk = True
            return "microphone"
        if self._simulated is None:
            return "nothing"
        if self._once is not None and not self._once.done():
            self.pipeline.stop_reply()
            return "simulated"
        self._once = asyncio.get_running_loop().create_task(self._run_once(self._simulated()))
        return "simulated"

    def cancel(self) -> None:
        """Drop what is being listened to (the talk button held): back to idle."""
        self._cancel = True
        self.pipeline.stop_reply()

    def set_muted(self, muted: bool) -> None:
        self.muted = muted
        if muted:
            self._unmuted.clear()
            self.pipeline.stop_reply()
        else:
            self._unmuted.set()
        self.bus.emit(EventType.STATE, state=self.bus.state.value, muted=muted)

    async def aclose(self) -> None:
        for task in (self._runner, self._once, *self._tasks):
            if task is not None and not task.done():
                task.cancel()
        for task in (self._runner, self._once, *self._tasks):
            if task is not None:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task

    # ---------------------------------------------------------------- loops

    async def _run_live(self) -> None:
        assert self._live is not None
        while True:
            await self._unmuted.wait()
            try:
                source = self._live()
                async with contextlib.aclosing(source):  # type: ignore[type-var]
                    finished = await self._consume(source, listening=False)
                if finished:
                    return
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("the microphone stopped; trying again in 5 s")
                self.bus.set_state(State.ERROR)
                await asyncio.sleep(5)

    async def _run_once(self, source: AsyncIterator[bytes]) -> None:
        await self._consume(source, listening=True, once=True, stt=self._simulated_stt)

    def _spawn(self, coro: object) -> asyncio.Task[object]:
        task = asyncio.get_running_loop().create_task(coro)  # type: ignore[arg-type]
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def _begin_listening(self, why: str) -> Endpointer:
        self._cancel = False
        if self.pipeline.replying:
            self.pipeline.stop_reply()
        self.bus.emit(EventType.WAKE, source=why)
        self.bus.set_state(State.LISTENING)
        self.bus.emit(EventType.LISTEN_START)
        if self._earcon is not None:
            self._earcon("wake")
        if self.pipeline.ducker is not None:
            self._spawn(self.pipeline.ducker.duck())
        return Endpointer(self._endpoint_config)

    async def _consume(self, source: AsyncIterator[bytes], *, listening: bool,
                       once: bool = False, stt: SpeechToText | None = None) -> bool:
        """Read ``source`` until it ends (True) or the microphone is muted (False)."""
        rechunker = Rechunker(self.wake.frame_length * 2) if self.wake is not None else None
        endpointer = self._begin_listening("talk") if listening else None
        async for frame in source:
            if self.muted:
                return False
            if endpointer is None:
                if self._talk:
                    self._talk = False
                    endpointer = self._begin_listening("talk")
                elif rechunker is not None and self.wake is not None:
                    for chunk in rechunker.feed(frame):
                        if self.wake.process(chunk):
                            endpointer = self._begin_listening("wake")
                            break
                continue
            if self._talk:  # pressed again while listening: start over
                self._talk = False
            if self._cancel:
                self._cancel = False
                endpointer = None
                self.bus.emit(EventType.LISTEN_END, kind="cancelled", reason="cancelled")
                self._spawn(self._nothing_heard())
                if once:
                    return True
                continue
            result = endpointer.feed(frame, self._vad.is_speech(frame))
            if endpointer.started_now:
                self.bus.emit(EventType.SPEECH_START)
            if result is None:
                continue
            endpointer = None
            turn = self._finish(result, stt)
            if once:
                await turn
                return True
        if endpointer is not None:
            await self._finish(endpointer.flush(), stt)
        return True

    def _finish(self, result: EndpointResult, stt: SpeechToText | None
                ) -> asyncio.Task[object]:
        self.bus.emit(EventType.LISTEN_END, kind=result.kind, reason=result.reason)
        if result.kind == "speech":
            return self._spawn(self.pipeline.process(Clip(result.audio), stt=stt))
        return self._spawn(self._nothing_heard())

    async def _nothing_heard(self) -> None:
        if self.pipeline.ducker is not None:
            await self.pipeline.ducker.restore()
        self.bus.set_state(State.IDLE)
