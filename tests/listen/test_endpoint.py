"""The endpointer fed synthetic (frame, is_speech) sequences; durations are counted in frames."""

from __future__ import annotations

import pytest

from sam_edge.audio.format import FRAME_BYTES
from sam_edge.listen.endpoint import EndpointConfig, Endpointer, EndpointResult

MS = 30  # one frame


def frame(index: int) -> bytes:
    """A frame that says which one it is, so audio can be traced back to frame numbers."""
    return index.to_bytes(4, "little") * (FRAME_BYTES // 4)


def index_of(audio: bytes, at: int) -> int:
    start = at * FRAME_BYTES
    return int.from_bytes(audio[start:start + 4], "little")


class Stream:
    """Feeds one endpointer a numbered stream of frames."""

    def __init__(self, config: EndpointConfig | None = None) -> None:
        self.ep = Endpointer(config)
        self.position = 0
        self.started_at: list[int] = []

    def feed(self, pattern: str) -> EndpointResult | None:
        """``#`` voiced, ``.`` unvoiced; stops at the first result."""
        for flag in pattern:
            result = self.ep.feed(frame(self.position), flag == "#")
            if self.ep.started_now:
                self.started_at.append(self.position)
            self.position += 1
            if result is not None:
                return result
        return None


def test_speech_start_is_detected_in_the_window_and_keeps_the_pre_roll() -> None:
    s = Stream()

    assert s.feed("." * 20 + "###") is None
    assert not s.ep.started
    assert s.feed("#") is None

    assert s.started_at == [23]  # 4 of the last 5 frames voiced
    assert s.ep.started
    assert s.ep.start_ms == 14 * MS  # 10 frames (300 ms) of pre-roll, the start frame included
    s.feed("#")
    assert not s.ep.started_now


def test_utterance_ends_after_trailing_silence_with_pre_roll_included() -> None:
    s = Stream()

    result = s.feed("." * 20 + "#" * 30 + "." * 40)

    assert result is not None
    assert (result.kind, result.reason) == ("speech", "silence")
    assert s.position == 70  # the 20th silent frame: 600 ms
    assert index_of(result.audio, 0) == 14  # the pre-roll before the start at frame 23
    assert index_of(result.audio, 55) == 69
    assert len(result.audio) == 56 * FRAME_BYTES
    assert result.duration_ms == 56 * MS
    assert result.voiced_ms == 30 * MS
    assert result.start_ms == 14 * MS


def test_voiced_ms_counts_every_voiced_frame_of_the_audio_pre_roll_included() -> None:
    s = Stream()

    result = s.feed("...#...." + "#" * 10 + "." * 20)  # frame 3 is in the pre-roll, not the window

    assert s.started_at == [11]
    assert result is not None and index_of(result.audio, 0) == 2
    assert result.voiced_ms == 11 * MS


def test_short_noise_blips_do_not_start_speech() -> None:
    s = Stream()

    result = s.feed(("." * 10 + "###" + "." * 10 + "#.#.#." + "##.#." + "." * 5) * 5)

    assert result is None
    assert s.started_at == []


def test_a_start_with_too_little_voice_is_dropped_and_listening_goes_on() -> None:
    s = Stream()

    assert s.feed("." * 10 + "#####" + "." * 20) is None  # 150 ms voiced < 250 ms
    assert s.started_at == [13]
    assert not s.ep.started

    result = s.feed("#" * 12 + "." * 20)

    assert result is not None and result.kind == "speech"
    assert result.voiced_ms == 12 * MS
    assert s.started_at == [13, 39]  # the start window fills again from scratch


def test_a_blip_in_the_trailing_silence_does_not_restart_the_count() -> None:
    s = Stream()
    s.feed("#" * 20)

    result = s.feed("." * 10 + "##" + "." * 10)

    assert result is not None and result.reason == "silence"
    assert result.duration_ms == (20 + 22) * MS


def test_speech_resuming_in_the_trailing_silence_restarts_the_count() -> None:
    s = Stream()
    s.feed("#" * 20)

    assert s.feed("." * 15 + "###" + "." * 19) is None
    result = s.feed(".")

    assert result is not None and result.reason == "silence"
    assert result.duration_ms == (20 + 15 + 3 + 20) * MS


def test_a_long_utterance_is_capped() -> None:
    s = Stream()

    result = s.feed("." * 5 + "#" * 1000)

    assert result is not None
    assert (result.kind, result.reason) == ("speech", "max_length")
    assert result.duration_ms == 15_000
    assert len(result.audio) == 500 * FRAME_BYTES
    assert index_of(result.audio, 0) == 0


def test_no_speech_gives_up_after_the_timeout() -> None:
    s = Stream()

    result = s.feed("." * 1000)

    assert result is not None
    assert (result.kind, result.reason, result.audio) == ("timeout", "no_speech", b"")
    assert 8000 <= result.duration_ms < 8000 + MS
    assert s.position * MS == result.duration_ms


def test_speech_that_starts_before_the_timeout_is_not_cut_by_it() -> None:
    s = Stream()

    result = s.feed("." * 260 + "#" * 30 + "." * 20)

    assert result is not None
    assert (result.kind, result.reason) == ("speech", "silence")
    assert result.start_ms + result.duration_ms > 8000


def test_flush_hands_over_speech_cut_by_the_end_of_the_stream() -> None:
    s = Stream()
    s.feed("." * 5 + "#" * 20)

    result = s.ep.flush()

    assert (result.kind, result.reason) == ("speech", "flush")
    assert result.voiced_ms == 20 * MS
    assert result.duration_ms == 25 * MS
    assert not s.ep.started


def test_flush_without_enough_speech_is_no_speech() -> None:
    waiting, short = Stream(), Stream()
    waiting.feed("." * 30)
    short.feed("." * 5 + "#####")

    assert (waiting.ep.flush().kind, waiting.ep.flush().reason) == ("timeout", "no_speech")
    result = short.ep.flush()
    assert (result.kind, result.audio) == ("timeout", b"")
    assert result.duration_ms == 10 * MS


def test_reset_forgets_the_utterance_and_restarts_the_timeout() -> None:
    s = Stream()
    s.feed("." * 200 + "#" * 10)
    assert s.ep.started

    s.ep.reset()

    assert not s.ep.started and s.ep.start_ms is None and s.ep.elapsed_ms == 0
    assert s.feed("." * 266) is None
    assert s.feed(".").kind == "timeout"  # type: ignore[union-attr]


def test_after_a_result_the_next_utterance_is_timed_from_that_result() -> None:
    s = Stream()
    first = s.feed("#" * 20 + "." * 20)

    second = s.feed("." * 5 + "#" * 20 + "." * 20)

    assert first is not None and second is not None
    assert second.kind == "speech"
    assert second.start_ms == 0  # the pre-roll reaches back to the end of the first result
    assert index_of(second.audio, 0) == 40


@pytest.mark.parametrize("changes", [
    {"pre_roll_ms": 90, "start_window_ms": 150},
    {"start_ratio": 0.0},
    {"start_ratio": 1.5},
    {"trailing_silence_ms": 0},
    {"max_utterance_ms": 300},
    {"frame_ms": 0},
    {"min_speech_ms": -1},
])
def test_inconsistent_settings_are_refused(changes: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        EndpointConfig(**changes)  # type: ignore[arg-type]


def test_thresholds_follow_the_config() -> None:
    config = EndpointConfig(trailing_silence_ms=300, min_speech_ms=0, pre_roll_ms=150)
    s = Stream(config)

    result = s.feed("#" * 5 + "." * 10)

    assert result is not None and result.duration_ms == 15 * MS


def test_backdate_moves_the_speech_start_back_within_the_pre_roll_only() -> None:
    s = Stream()
    s.feed("." * 20 + "####")  # starts at frame 23; speech from frame 20, pre-roll from 14
    s.ep.backdate([0, 2, 5])
    s.ep.backdate([])
    result = s.feed("#" * 10 + "." * 20)
    assert result is not None and result.speech_start_ms == 18 * MS
    assert result.voiced_ms == 14 * MS  # the earlier frames do not count as voiced

    s = Stream()
    s.feed("." * 20 + "####")
    s.ep.backdate([30])
    result = s.feed("#" * 10 + "." * 20)
    assert result is not None and result.speech_start_ms == 14 * MS


def test_backdated_frames_can_count_as_voiced() -> None:
    s = Stream()
    s.feed("." * 20 + "####")
    s.ep.backdate([0, 5, 7, 30], voiced=True)  # frame 23 is voiced already; 30 is outside
    result = s.feed("###" + "." * 20)
    assert result is not None and result.speech_start_ms == 14 * MS
    assert result.voiced_ms == 9 * MS  # 4 + 3 fed, and frames 18 and 16


def test_drop_forgets_the_open_utterance_and_keeps_the_timer() -> None:
    s = Stream(EndpointConfig(no_speech_timeout_ms=60 * MS))
    s.feed("." * 20 + "#" * 12)
    assert s.ep.started
    assert s.ep.drop() is None
    assert not s.ep.started and not s.ep.withdrawn_now
    assert s.ep.drop() is None
    result = s.feed("." * 40)
    assert result is not None and result.kind == "timeout"
    assert s.position == 60


def test_drop_withdraws_an_offered_provisional_end() -> None:
    s = Stream()
    s.feed("." * 20 + "#" * 12 + "." * 9)
    assert s.ep.provisional is not None
    s.ep.drop()
    assert s.ep.withdrawn_now and s.ep.provisional is None and not s.ep.started


def test_short_words_take_one_word_and_off_the_minimum_is_back() -> None:
    s = Stream()
    s.ep.short_words(True)  # over a reply: "stop" is about 100 ms of voice

    result = s.feed("." * 10 + "#####" + "." * 30)

    assert result is not None and result.kind == "speech" and result.voiced_ms == 5 * MS

    s.ep.short_words(False)
    assert s.feed("#####" + "." * 30) is None  # 150 ms voiced < 250 ms again
