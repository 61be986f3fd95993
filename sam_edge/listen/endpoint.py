"""Endpointing: decide where an utterance starts and ends from (frame, is_speech) pairs.

A pure state machine: no I/O and no clock. Time is counted in frames of ``frame_ms``, so tests
feed synthetic sequences and never sleep.

- **Waiting.** The last ``pre_roll_ms`` of frames are kept in a ring buffer. Speech starts
  when at least ``start_ratio`` of the frames in the last ``start_window_ms`` are voiced (the
  py-webrtcvad / DeepSpeech trigger); the utterance then begins with the whole pre-roll, so the
  first syllable is never clipped. Nothing voiced for ``no_speech_timeout_ms`` since
  :meth:`Endpointer.reset` gives a ``timeout`` result.
- **In speech.** Every frame is kept. Unvoiced frames add up to the trailing silence; a voiced
  run of ``resume_ms`` cancels it, while shorter blips (a click, a breath) neither count as
  silence nor cancel it. ``trailing_silence_ms`` of silence ends the utterance; so does
  reaching ``max_utterance_ms`` (pre-roll included).
- **Provisional end.** After ``provisional_silence_ms`` of trailing silence the endpointer
  offers :attr:`Endpointer.provisional` (the utterance so far, reason ``provisional``) so
  speech-to-text can start early; :attr:`Endpointer.provisional_now` marks that frame. The
  offer is committed by the final ``silence`` result when the silence holds, and withdrawn
  (:attr:`Endpointer.withdrawn_now`) when speech resumes: a pause mid-sentence never ends it.
- An utterance with less than ``min_speech_ms`` of voiced frames is not speech: when it ends by
  silence the endpointer goes back to waiting (the no-speech timer keeps running); when it hits
  the length cap or :meth:`Endpointer.flush` it becomes a ``timeout``. So a ``speech`` result
  always holds at least ``min_speech_ms`` of voice.

After each result the endpointer starts over by itself, as after :meth:`Endpointer.reset`.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable

from .endpoint_config import EndpointConfig, EndpointKind, EndpointReason, EndpointResult

__all__ = ["EndpointConfig", "EndpointKind", "EndpointReason", "EndpointResult", "Endpointer"]

SHORT_WORD_MS = 90
"""The least voice that makes an utterance while only a short command is expected."""


class Endpointer:
    """Feed it one frame at a time; it returns a result when the listen is over."""

    def __init__(self, config: EndpointConfig | None = None) -> None:
        self.config = config or EndpointConfig()
        c = self.config
        self._pre_roll_frames = c.frames(c.pre_roll_ms)
        self._window_frames = c.frames(c.start_window_ms)
        self._start_voiced = max(1, math.ceil(c.start_ratio * self._window_frames - 1e-9))
        self._silence_frames = c.frames(c.trailing_silence_ms)
        self._provisional_frames = (c.frames(c.provisional_silence_ms)
                                    if c.provisional_silence_ms else 0)
        self._resume_frames = c.frames(c.resume_ms)
        self._timeout_frames = c.frames(c.no_speech_timeout_ms)
        self._max_frames = c.frames(c.max_utterance_ms)
        self._min_voiced_frames = math.ceil(c.min_speech_ms / c.frame_ms)
        self._ring: deque[tuple[bytes, bool]] = deque(maxlen=self._pre_roll_frames)
        self._window: deque[bool] = deque(maxlen=self._window_frames)
        self._utterance: list[bytes] = []
        self._flags: list[bool] = []
        self._provisional_now = self._withdrawn_now = False
        self.reset()

    def short_words(self, on: bool) -> None:
        """Take utterances as short as one word ("stop" over a reply: about 100 ms of voice
        once the echo is cancelled) or, off, only the configured minimum of speech."""
        least = SHORT_WORD_MS if on else self.config.min_speech_ms
        self._min_voiced_frames = math.ceil(min(least, self.config.min_speech_ms)
                                            / self.config.frame_ms)

    def reset(self) -> None:
        """Forget everything and wait for speech again; the no-speech timer restarts."""
        self._elapsed = 0
        self._seen_voiced = 0
        self._clear_utterance()

    def _clear_utterance(self) -> None:
        self._ring.clear()
        self._window.clear()
        self._utterance = []
        self._flags = []
        self._started = False
        self._started_now = False
        self._start_frame = 0
        self._voiced = 0
        self._silence = 0
        self._run = 0
        self._first_voiced = 0
        self.provisional: EndpointResult | None = None
        """The end offered after ``provisional_silence_ms`` of silence, until it is committed
        or withdrawn."""

    @property
    def started(self) -> bool:
        """True from the frame where speech was detected until the utterance ends."""
        return self._started

    @property
    def started_now(self) -> bool:
        """True only right after the :meth:`feed` call that detected the start of speech."""
        return self._started_now

    @property
    def provisional_now(self) -> bool:
        """True only right after the :meth:`feed` call that offered a provisional end."""
        return self._provisional_now

    @property
    def withdrawn_now(self) -> bool:
        """True only right after the :meth:`feed` call where speech resumed after an offer."""
        return self._withdrawn_now

    @property
    def start_ms(self) -> int | None:
        """Offset of the current utterance (its pre-roll included), or ``None`` while waiting."""
        return self._start_frame * self.config.frame_ms if self._started else None

    @property
    def elapsed_ms(self) -> int:
        return self._elapsed * self.config.frame_ms

    def feed(self, frame: bytes, is_speech: bool) -> EndpointResult | None:
        """Take one frame and the VAD's verdict on it; a result means this listen is over."""
        self._elapsed += 1
        self._started_now = self._provisional_now = self._withdrawn_now = False
        if is_speech:
            self._seen_voiced += 1
        if not self._started:
            return self._feed_waiting(frame, is_speech)
        return self._feed_speaking(frame, is_speech)

    def backdate(self, back: Iterable[int], *, voiced: bool = False) -> None:
        """Move the current utterance's speech start back to the earliest frame given, each
        ``back`` frames before the last one fed (0 is that frame), but not before its
        pre-roll: a front end that is sure of a voice only some frames into it gives the
        utterance its true start this way. The frames count as voiced only with ``voiced``
        (then those inside the utterance count towards ``min_speech_ms``)."""
        frames = list(back)
        earliest = max(frames, default=None)
        if not self._started or earliest is None:
            return
        n = len(self._flags)
        self._first_voiced = min(self._first_voiced, max(0, n - 1 - earliest))
        for i in (n - 1 - k for k in frames):
            if voiced and 0 <= i < n and not self._flags[i]:
                self._flags[i] = True
                self._voiced += 1

    def drop(self) -> EndpointResult | None:
        """The open utterance was not speech after all (its caller knows more than the flags
        it fed): back to waiting as after a false start, an offered provisional end withdrawn.
        The no-speech timer keeps running, so this may end the listen (``timeout``)."""
        if not self._started:
            return None
        withdrawn = self.provisional is not None
        result = self._false_start()
        self._withdrawn_now = withdrawn
        return result

    def flush(self) -> EndpointResult:
        """End of stream: hand over what there is (``flush``) or report no speech."""
        if self._started and self._voiced >= self._min_voiced_frames:
            return self._finish_speech("flush")
        return self._finish_timeout()

    def _feed_waiting(self, frame: bytes, is_speech: bool) -> EndpointResult | None:
        self._ring.append((frame, is_speech))
        self._window.append(is_speech)
        if len(self._window) == self._window_frames and sum(self._window) >= self._start_voiced:
            self._started = self._started_now = True
            self._utterance = [f for f, _ in self._ring]
            self._flags = [v for _, v in self._ring]
            self._start_frame = self._elapsed - len(self._utterance)
            window_start = len(self._utterance) - len(self._window)
            self._first_voiced = window_start + list(self._window).index(True)
            self._voiced = sum(self._flags)
            self._run = self._trailing_run()
            self._ring.clear()
            self._window.clear()
            return self._check_length()
        if self._elapsed >= self._timeout_frames:
            return self._finish_timeout()
        return None

    def _trailing_run(self) -> int:
        run = 0
        for voiced in reversed(self._window):
            if not voiced:
                break
            run += 1
        return run

    def _feed_speaking(self, frame: bytes, is_speech: bool) -> EndpointResult | None:
        self._utterance.append(frame)
        self._flags.append(is_speech)
        if is_speech:
            self._voiced += 1
            self._run += 1
            if self._run >= self._resume_frames:
                self._silence = 0
                if self.provisional is not None:
                    self.provisional = None
                    self._withdrawn_now = True
        else:
            self._run = 0
            self._silence += 1
            if (self._silence == self._provisional_frames and self.provisional is None
                    and self._voiced >= self._min_voiced_frames):
                self.provisional = self._speech_result("provisional")
                self._provisional_now = True
            if self._silence >= self._silence_frames:
                if self._voiced >= self._min_voiced_frames:
                    return self._finish_speech("silence")
                return self._false_start()
        return self._check_length()

    def _check_length(self) -> EndpointResult | None:
        if len(self._utterance) < self._max_frames:
            return None
        if self._voiced >= self._min_voiced_frames:
            return self._finish_speech("max_length")
        return self._finish_timeout()

    def _false_start(self) -> EndpointResult | None:
        n = self._pre_roll_frames
        tail = list(zip(self._utterance[-n:], self._flags[-n:], strict=True))
        self._clear_utterance()
        # The tail of the dropped audio is still the freshest pre-roll for the next start.
        self._ring.extend(tail)
        return self._finish_timeout() if self._elapsed >= self._timeout_frames else None

    def _speech_result(self, reason: EndpointReason) -> EndpointResult:
        ms = self.config.frame_ms
        last = max(i for i, voiced in enumerate(self._flags) if voiced)
        return EndpointResult(
            kind="speech",
            audio=b"".join(self._utterance),
            reason=reason,
            voiced_ms=self._voiced * ms,
            duration_ms=len(self._utterance) * ms,
            start_ms=self._start_frame * ms,
            speech_start_ms=(self._start_frame + self._first_voiced) * ms,
            speech_end_ms=(self._start_frame + last + 1) * ms,
        )

    def _finish_speech(self, reason: EndpointReason) -> EndpointResult:
        result = self._speech_result(reason)
        self.reset()
        return result

    def _finish_timeout(self) -> EndpointResult:
        ms = self.config.frame_ms
        result = EndpointResult(
            kind="timeout",
            audio=b"",
            reason="no_speech",
            voiced_ms=self._seen_voiced * ms,
            duration_ms=self._elapsed * ms,
            start_ms=0,
        )
        self.reset()
        return result
