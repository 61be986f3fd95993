"""The live front end: microphone and echo reference in, cancelled audio and decisions out.

Fed the microphone's 30 ms frames and the PCM played over the same time, in step, it decides
each frame from the past and a little look-ahead: the reference resampler hands its output over
about one frame late, so a microphone frame waits for its reference, never more than
``max_wait_ms`` (then the missing reference counts as silence, as it would live).

For each frame:

1. the echo canceller (when there is a reference) removes the music;
2. the residual-echo model measures how much of the cancelled frame's voice-band energy the
   reference does not explain;
3. the frame is speech only when webrtcvad hears a voice in the cancelled frame *and* that
   unexplained share reaches ``min_excess`` (sung vocals in the music are explained by the
   reference, so they never open a turn), or ``hold_excess`` while a voice goes on;
4. the endpointer (:mod:`sam_edge.listen.endpoint`) turns those decisions into an utterance,
   with its provisional end for speculative speech-to-text;
5. a turn that opens gets its start moved back over the likely voice just before it (within
   the pre-roll), and a turn whose unexplained share never reaches ``confirm_excess`` is
   dropped.

Without a reference the same steps run with nothing to cancel, so the two can be compared.
The decisions are made on the cancelled signal; what is passed on, to the wake engine,
the endpointer's utterance and speech-to-text, is :attr:`FrameDecision.audio`: the cancelled
signal after gentle residual-echo suppression (:mod:`sam_edge.audio.echo.suppressor`, half a
frame later), or as cancelled without a reference.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

import numpy as np

from ..audio.echo.canceller import EchoCanceller, EchoConfig
from ..audio.echo.reference import ReferenceStream
from ..audio.echo.residual import ResidualConfig, ResidualModel
from ..audio.echo.suppressor import ResidualSuppressor, SuppressorConfig
from ..audio.format import FRAME_BYTES, FRAME_MS, FRAME_SAMPLES
from .endpoint import EndpointConfig, Endpointer, EndpointResult
from .vad import WebRtcVad


@dataclass(frozen=True, slots=True)
class FrontEndConfig:
    vad_mode: int = 2
    min_excess: float = 0.35
    """Least share of voice-band energy above the expected residual echo for speech,
    averaged over the last ``smooth_frames`` frames (a voice lasts, echo spikes do not)."""
    smooth_frames: int = 3
    hold_excess: float = 0.1
    """Once a frame is speech, the next ones stay speech down to this share (hysteresis):
    a voice dips between syllables, and a lower bar to open would let music in."""
    onset_gap_ms: int = 150
    """When a turn opens, its start moves back over the frames before it where a voice was
    likely (VAD and ``hold_excess``), across gaps up to this long, within the pre-roll: a
    first syllable too short to open a turn is still the start of the command."""
    confirm_excess: float = 0.5
    """A turn whose unexplained share has not reached this by the end of its first voiced
    run is dropped: music slips over the opening bar by little, a voice stands well above
    what the reference explains. On two held-out sets (120 music-only recordings, 120 at
    +10 dB, 40 at +20 dB) 0.5 rather than 0.4 took music-only turns from 5 to 1 and missed
    10 commands at +10 dB instead of 11, and found 12 at +20 dB instead of 14."""
    reply_confirm_excess: float = 0.4
    """The confirmation bar while a reply plays (:meth:`FrontEnd.over_reply`): over a voice,
    a voice stands out less (the simulated "stop" over a reply peaked just under 0.5), and a
    wrong turn there costs only a transcript checked for "stop"."""
    strong_excess: float = 0.7
    """A turn that opens with this much unexplained share also counts the back-dated frames
    as voiced: a short command ("stop") is under ``min_speech_ms`` on its surest frames alone,
    and music never opens that strongly (on the corpus it peaks under 0.5)."""
    confirm_gap_ms: int = 180
    """How long a pause after the unconfirmed voice it waits for the confirming one."""
    hangover_ms: int = 300
    """Near-end speech is assumed this long after the last speech frame (double talk)."""
    max_double_talk_ms: int = 6000
    """Learning resumes after this long of continuous double talk: a canceller frozen by
    a mistaken decision must not stay frozen."""
    settle_ms: int = 4500
    """Over music, speech counts only once the canceller has heard this much of it: a filter
    from cold leaves echo that the residual model has not learned yet, and music that reaches
    new bands in the first seconds opened turns (1.6-4.7 s from cold on the corpus). The live
    loop keeps one front end running, so this is paid once, when the music starts."""
    max_wait_ms: int = 90
    """Longest a microphone frame waits for its reference (the look-ahead, under 100 ms)."""
    endpoint: EndpointConfig = field(default_factory=EndpointConfig)
    echo: EchoConfig = field(default_factory=EchoConfig)
    residual: ResidualConfig = field(default_factory=ResidualConfig)
    suppress: SuppressorConfig | None = field(default_factory=SuppressorConfig)
    """Residual-echo suppression of the audio passed on (``None``: pass the cancelled audio)."""


@dataclass(frozen=True, slots=True)
class FrameDecision:
    """What the front end made of one microphone frame."""

    index: int
    audio: bytes
    """The cancelled, suppressed frame (16 kHz mono 16-bit), what everything after the front
    end hears."""
    is_speech: bool
    vad: bool
    excess: float
    result: EndpointResult | None = None
    """Set on the frame that ends an utterance (or the listen)."""
    provisional: EndpointResult | None = None
    """Set on the frame where a provisional end is offered (start speculative speech-to-text)."""
    withdrawn: bool = False
    """Set on the frame where speech resumed after an offer (drop the speculative result)."""

    @property
    def start_ms(self) -> int:
        return self.index * FRAME_MS


class FrontEnd:
    """One listen's front end. ``reference_rate``/``reference_channels`` describe the PCM
    passed to :meth:`feed` as ``reference``; leave them out to run without cancellation."""

    def __init__(self, config: FrontEndConfig | None = None, *,
                 reference_rate: int | None = None, reference_channels: int = 2) -> None:
        self.config = c = config or FrontEndConfig()
        self.endpointer = Endpointer(c.endpoint)
        self._vad = WebRtcVad(c.vad_mode)
        self._residual = ResidualModel(c.residual)
        self._reference = (ReferenceStream(reference_rate, reference_channels)
                           if reference_rate is not None else None)
        self._echo = EchoCanceller(c.echo) if self._reference is not None else None
        self._suppressor = (ResidualSuppressor(self._residual.span, c.suppress)
                            if self._echo is not None and c.suppress is not None else None)
        self._pending = b""
        self._queue: deque[bytes] = deque()
        self._max_wait = max(0, c.max_wait_ms // FRAME_MS)
        self._hangover_frames = max(1, c.hangover_ms // FRAME_MS)
        self._hangover = 0
        self._near_run = 0
        self._max_near = c.max_double_talk_ms // FRAME_MS
        self._index = 0
        self._music_frames = 0
        self._late = 0
        self._settle = c.settle_ms // FRAME_MS
        self._excess: deque[float] = deque(maxlen=max(1, c.smooth_frames))
        self._speaking = False
        self._support: deque[bool] = deque(maxlen=c.endpoint.frames(c.endpoint.pre_roll_ms) + 1)
        self._onset_gap = c.onset_gap_ms // FRAME_MS
        self._recent: deque[float] = deque(maxlen=self.endpointer.config.frames(
            c.endpoint.start_window_ms))
        self._peak = 0.0
        self._quiet = 0
        self._confirm_gap = c.confirm_gap_ms // FRAME_MS
        self._confirm = c.confirm_excess

    def over_reply(self, on: bool) -> None:
        """A reply is playing (or has ended): listen for a single word ("stop") and confirm
        a voice at the reply's lower bar."""
        self.endpointer.short_words(on)
        c = self.config
        self._confirm = c.reply_confirm_excess if on else c.confirm_excess

    @property
    def cancelling(self) -> bool:
        return self._echo is not None

    def feed(self, mic: bytes, reference: bytes = b"") -> list[FrameDecision]:
        """Microphone PCM and the reference played over the same span; the decisions for every
        frame that could be judged (possibly none yet, possibly several)."""
        if self._reference is not None and reference:
            self._reference.write(reference)
        data = self._pending + mic
        whole = len(data) - len(data) % FRAME_BYTES
        self._pending = data[whole:]
        for i in range(0, whole, FRAME_BYTES):
            self._queue.append(data[i:i + FRAME_BYTES])
        return self._drain(final=False)

    def finish(self) -> list[FrameDecision]:
        """End of the recording: judge what waits, then let the endpointer conclude."""
        if self._reference is not None:
            self._reference.end()
        decisions = self._drain(final=True)
        if not decisions or decisions[-1].result is None:
            decisions.append(FrameDecision(self._index, b"", False, False, 0.0,
                                           result=self.endpointer.flush()))
        return decisions

    def take_erle(self) -> float | None:
        """ERLE (dB) since the last call; ``None`` without cancellation or music."""
        return self._echo.take_erle() if self._echo is not None else None

    def close(self) -> None:
        if self._echo is not None:
            self._echo.close()

    def _drain(self, *, final: bool) -> list[FrameDecision]:
        out: list[FrameDecision] = []
        while self._queue:
            ref = None
            if self._reference is not None:
                if self._late:
                    self._late -= self._reference.skip(self._late)
                ready = self._reference.available >= FRAME_SAMPLES
                if not (ready or final or self._reference.ended
                        or len(self._queue) > self._max_wait):
                    break
                if ready or self._reference.ended:
                    ref = self._reference.read(FRAME_SAMPLES)
                else:
                    # Judged without its reference: when that arrives, it is too late to use.
                    ref = np.zeros(FRAME_SAMPLES, dtype=np.float32)
                    self._late += FRAME_SAMPLES
            decision = self._judge(self._queue.popleft(), ref)
            out.append(decision)
            if decision.result is not None:
                break
        return out

    def _follow_turn(self, speech: bool, excess: float) -> EndpointResult | None:
        """Give an opening turn its true start; drop one whose voice is never confirmed."""
        ep = self.endpointer
        if ep.started_now:
            self._peak = max(self._recent)
            ep.backdate(self._onset(), voiced=self._peak >= self.config.strong_excess)
            self._quiet = 0
        elif ep.started:
            self._peak = max(self._peak, excess)
            self._quiet = 0 if speech else self._quiet + 1
            if self._quiet >= self._confirm_gap and self._peak < self._confirm:
                # Not a voice: the model may learn from these frames again.
                self._hangover = 0
                return ep.drop()
        return None

    def _onset(self) -> list[int]:
        """Frames back from the newest where the voice that just opened a turn was likely."""
        marks: list[int] = []
        gap = 0
        for back, likely in enumerate(reversed(self._support)):
            if likely:
                marks.append(back)
                gap = 0
            else:
                gap += 1
                if gap > self._onset_gap:
                    break
        return marks

    def _judge(self, frame: bytes, reference: np.ndarray | None) -> FrameDecision:
        mic = np.frombuffer(frame, dtype="<i2")
        near = self._hangover > 0
        self._near_run = self._near_run + 1 if near else 0
        if self._near_run > self._max_near:
            near = False
        if self._echo is not None and reference is not None:
            echo = self._echo.process(mic, reference, near_speech=near)
            cancelled, aligned = echo.cancelled, echo.reference
        else:
            cancelled, aligned = mic, None
        verdict = self._residual.update(cancelled, aligned, learn=not near)
        audio = cancelled.astype("<i2").tobytes()
        vad = self._vad.is_speech(audio)
        if self._suppressor is not None:
            heard = self._suppressor.process(cancelled, verdict.observed, verdict.expected_echo)
            audio = heard.astype("<i2").tobytes()
        music = aligned is not None and bool(aligned.any())
        self._music_frames += music
        warm = not music or (self._residual.warm and self._music_frames >= self._settle)
        self._excess.append(verdict.excess)
        excess = sum(self._excess) / len(self._excess)
        bar = self.config.hold_excess if self._speaking else self.config.min_excess
        speech = self._speaking = vad and warm and excess >= bar
        self._hangover = self._hangover_frames if speech else max(0, self._hangover - 1)
        self._support.append(vad and warm and excess >= self.config.hold_excess)
        ep = self.endpointer
        result = ep.feed(audio, speech)
        self._recent.append(excess)
        if result is None:
            result = self._follow_turn(speech, excess)
        decision = FrameDecision(self._index, audio, speech, vad, excess, result,
                                 ep.provisional if ep.provisional_now else None,
                                 ep.withdrawn_now)
        self._index += 1
        return decision
