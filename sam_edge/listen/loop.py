"""The listening loop: frames from a source → wake word or talk button → endpointing → a turn.

The loop keeps reading while a turn is thought about and spoken, so the wake word or the talk
button during a reply stops the reply and starts listening again (barge-in). While the
microphone is muted the capture stream is closed: no audio is captured, let alone sent.

The loop knows turns only through :class:`VoiceTurns` (the turn runner): it opens one when it
is woken and hands it the endpointer's decisions: the provisional end (speculative
speech-to-text), its withdrawal when speech resumes, and the final end.

Every microphone frame goes through the live front end (:class:`~.frontend.FrontEnd`, the same
as ``sam-edge listen``), so the wake word, the VAD and the endpointer hear its output. When SAM
owns the output path the front end is fed what the output stage played over the same span
(``reference``, read from the instant the first frame was captured), so the music and the
reply's own voice are cancelled; without it the front end cancels nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from typing import TYPE_CHECKING, Any, Protocol

from ..audio.format import SAMPLE_RATE, SAMPLE_WIDTH
from ..speech.stt import SpeechToText
from .endpoint import EndpointConfig, EndpointResult
from .mute import MicrophoneSwitch
from .played import PlayedAudio, PlayedReader
from .wake import Rechunker, WakeEngine

if TYPE_CHECKING:
    from .frontend import FrameDecision, FrontEnd

log = logging.getLogger(__name__)

SourceFactory = Callable[[], AsyncIterator[bytes]]
RETRY_S = 5.0
CAPTURE_LATENCY_S = 0.1
"""The most a microphone frame is taken to arrive after it was captured."""


class OpenTurn(Protocol):
    """A turn that is listening."""

    def speech_detected(self) -> None: ...

    def provisional(self, result: EndpointResult, stt: SpeechToText | None) -> None:
        """A provisional end: speech-to-text may start on the audio so far."""

    def withdraw(self) -> None:
        """Speech resumed after a provisional end: its speculative work is dropped."""

    def echo(self, erle_db: float | None) -> None:
        """The ERLE (dB) over this listen, before it ends (``None``: nothing cancelled)."""

    def taken(self) -> asyncio.Task[None] | None:
        """The task finishing the turn when it went on at a provisional end (a short
        command) without waiting for the final one."""

    async def listened(self, result: EndpointResult, stt: SpeechToText | None) -> None: ...

    async def cancelled(self) -> None: ...


class VoiceTurns(Protocol):
    @property
    def replying(self) -> bool: ...

    def stop_reply(self) -> None: ...

    def open_voice_turn(self, by: str) -> OpenTurn: ...


class ListenLoop:
    def __init__(self, turns: VoiceTurns, microphone: MicrophoneSwitch, *,
                 endpoint: EndpointConfig, vad_mode: int = 2,
                 wake: WakeEngine | None = None, live: SourceFactory | None = None,
                 simulated: SourceFactory | None = None,
                 simulated_stt: SpeechToText | None = None,
                 reference: PlayedAudio | None = None,
                 interrupt: Callable[[bytes], Awaitable[bool]] | None = None,
                 on_error: Callable[[str], None] | None = None) -> None:
        self.turns = turns
        self.microphone = microphone
        self.wake = wake
        self._vad_mode = vad_mode
        self._endpoint = endpoint
        self._live = live
        self._simulated = simulated
        self._simulated_stt = simulated_stt
        self._on_error = on_error
        self._reference = reference
        self._interrupt = interrupt
        self._talk = False
        self._cancel = False
        self._tasks: set[asyncio.Task[None]] = set()
        self._runner: asyncio.Task[None] | None = None
        self._once: asyncio.Task[None] | None = None

    # ---------------------------------------------------------------- control

    @property
    def live(self) -> bool:
        return self._live is not None

    @property
    def cancelling(self) -> bool:
        """The front end is fed what the device played (SAM owns the output path)."""
        return self._reference is not None

    @property
    def muted(self) -> bool:
        return self.microphone.muted

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
            self.turns.stop_reply()
            return "simulated"
        self._once = asyncio.get_running_loop().create_task(self._run_once(self._simulated()))
        return "simulated"

    def cancel(self) -> None:
        """Drop what is being listened to (the talk button held): back to idle."""
        self._cancel = True
        self.turns.stop_reply()

    def set_muted(self, muted: bool) -> None:
        self.microphone.set(muted)
        if muted:
            self.turns.stop_reply()

    async def aclose(self) -> None:
        tasks = [t for t in (self._runner, self._once, *self._tasks) if t is not None]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    # ---------------------------------------------------------------- loops

    async def _run_live(self) -> None:
        assert self._live is not None
        while True:
            await self.microphone.wait_unmuted()
            try:
                source = self._live()
                async with contextlib.aclosing(source):  # type: ignore[type-var]
                    finished = await self._consume(source, listening=False)
                if finished:
                    return
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("the microphone stopped; trying again in %.0f s", RETRY_S)
                if self._on_error is not None:
                    self._on_error("The microphone stopped.")
                await asyncio.sleep(RETRY_S)

    async def _run_once(self, source: AsyncIterator[bytes]) -> None:
        await self._consume(source, listening=True, once=True, stt=self._simulated_stt)

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def _open(self, by: str, front: FrontEnd) -> OpenTurn:
        self._cancel = False
        front.endpointer.reset()
        front.take_erle()  # ERLE is reported per turn: count from here
        return self.turns.open_voice_turn(by)

    async def _consume(self, source: AsyncIterator[bytes], *, listening: bool,
                       once: bool = False, stt: SpeechToText | None = None) -> bool:
        """Read ``source`` until it ends (True) or the microphone is muted (False)."""
        # Loaded with the first stream: the echo front end brings numpy, which an idle
        # device without a microphone never needs.
        from .frontend import FrontEnd, FrontEndConfig

        played = self._reference
        front = FrontEnd(FrontEndConfig(vad_mode=self._vad_mode, endpoint=self._endpoint),
                         reference_rate=played.rate if played is not None else None,
                         reference_channels=played.channels if played is not None else 2)
        try:
            return await self._frames(source, front, listening=listening, once=once, stt=stt)
        finally:
            front.close()

    async def _frames(self, source: AsyncIterator[bytes], front: FrontEnd, *, listening: bool,
                      once: bool, stt: SpeechToText | None) -> bool:
        rechunker = Rechunker(self.wake.frame_length * 2) if self.wake is not None else None
        open_turn: OpenTurn | None = self._open("talk", front) if listening else None
        reader: PlayedReader | None = None
        over_reply = False
        async for frame in source:
            if self.microphone.muted:
                if open_turn is not None:
                    self._spawn(open_turn.cancelled())
                return False
            if reader is None and self._reference is not None:
                # The first frame was captured over the span that just ended, a little
                # before it arrived. A reference that leads the echo is what the canceller's
                # delay estimator finds; one that lags it cannot be cancelled, so err early.
                reader = self._reference.reader(
                    time.monotonic() - len(frame) / (SAMPLE_RATE * SAMPLE_WIDTH)
                    - CAPTURE_LATENCY_S)
            played = reader.take() if reader is not None else b""
            # Over a reply only "stop" is listened for: a single word counts.
            replying = open_turn is None and self._interrupt is not None and self.turns.replying
            if replying != over_reply:
                over_reply = replying
                front.over_reply(replying)
            for decision in front.feed(frame, played):
                if open_turn is None:
                    if self._talk:
                        self._talk = False
                        open_turn = self._open("talk", front)
                    elif rechunker is not None and self.wake is not None:
                        for chunk in rechunker.feed(decision.audio):
                            if self.wake.process(chunk):
                                open_turn = self._open("wake", front)
                                break
                    if open_turn is None and decision.result is not None:
                        self._heard_idle(decision.result, front)
                    continue
                turn, open_turn = open_turn, None
                task = self._step(turn, decision, front, stt)
                if task is None:
                    open_turn = turn
                elif once:
                    await task
                    return True
        if open_turn is not None:
            open_turn.echo(front.take_erle())
            await self._spawn(open_turn.listened(front.endpointer.flush(), stt))
        return True

    def _heard_idle(self, result: EndpointResult, front: FrontEnd) -> None:
        """An utterance with no turn open: over a reply it may be "stop" (barge-in)."""
        front.endpointer.reset()
        if result.kind == "speech" and self._interrupt is not None and self.turns.replying:
            interrupt = self._interrupt

            async def check() -> None:
                await interrupt(result.audio)

            self._spawn(check())

    def _step(self, turn: OpenTurn, decision: FrameDecision, front: FrontEnd,
              stt: SpeechToText | None) -> asyncio.Task[None] | None:
        """One judged frame of an open turn; the task finishing the listen, if it ended."""
        if self._talk:  # pressed again while listening: start over
            self._talk = False
        taken = turn.taken()
        if taken is not None:
            front.endpointer.reset()  # the rest of this silence starts nothing new
            self._tasks.add(taken)
            taken.add_done_callback(self._tasks.discard)
            return taken
        if self._cancel:
            self._cancel = False
            return self._spawn(turn.cancelled())
        if front.endpointer.started_now:
            turn.speech_detected()
        if decision.withdrawn:
            turn.withdraw()
        if decision.provisional is not None:
            turn.echo(front.take_erle())  # a short command may be acted on now
            turn.provisional(decision.provisional, stt)
        if decision.result is None:
            return None
        erle = front.take_erle()
        if erle is not None:
            turn.echo(erle)
        return self._spawn(turn.listened(decision.result, stt))
