"""Real webrtcvad over the speech WAVs in tests/data (made by make_speech.sh).

Each speech file has about 0.5 s of silence before the speech and 1 s after it, so the speech
ends 1 s before the end of the file.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from sam_edge.audio.format import FRAME_BYTES, frames
from sam_edge.audio.sources import read_wav_pcm
from sam_edge.listen.endpoint import EndpointConfig, Endpointer
from sam_edge.listen.vad import WebRtcVad, has_enough_speech, segment, voiced_ms
from sam_edge.listen.wake import OffsetWake, Rechunker

DATA = Path(__file__).parent.parent / "data"
BYTES_PER_MS = 32


def pcm_of(name: str) -> bytes:
    return read_wav_pcm(DATA / name)


@pytest.mark.parametrize("name", ["play_hello_by_adele.wav", "pause.wav",
                                  "play_nuvvu_nenantu.wav"])
@pytest.mark.parametrize("mode", [2, 3])
def test_speech_is_found_between_sensible_start_and_end(name: str, mode: int) -> None:
    pcm = pcm_of(name)
    file_ms = len(pcm) // BYTES_PER_MS
    speech_end_ms = file_ms - 1000

    result = segment(pcm, Endpointer(), WebRtcVad(mode))

    assert (result.kind, result.reason) == ("speech", "silence")
    assert 100 <= result.start_ms <= 500  # pre-roll reaches back before the onset at 0.5 s
    heard_until = result.start_ms + result.duration_ms - 600  # minus the trailing silence
    assert speech_end_ms - 60 <= heard_until <= speech_end_ms + 200
    assert result.voiced_ms >= 250
    assert len(result.audio) == result.duration_ms * BYTES_PER_MS
    assert result.audio == pcm[result.start_ms * BYTES_PER_MS:][:len(result.audio)]


def test_silence_is_no_speech() -> None:
    pcm = pcm_of("silence.wav")

    result = segment(pcm, Endpointer(), WebRtcVad())

    assert (result.kind, result.reason, result.audio) == ("timeout", "no_speech", b"")
    assert result.duration_ms == 3000
    assert not has_enough_speech(pcm)


def test_silence_gives_up_after_the_no_speech_timeout() -> None:
    config = EndpointConfig(no_speech_timeout_ms=2000)

    result = segment(pcm_of("silence.wav"), Endpointer(config), WebRtcVad())

    assert (result.kind, result.reason) == ("timeout", "no_speech")
    assert result.duration_ms == 2010  # whole frames: 67 × 30 ms


def test_a_long_monologue_is_capped_at_the_maximum_length() -> None:
    pcm = pcm_of("long_speech.wav")
    assert len(pcm) // BYTES_PER_MS > 20_000

    result = segment(pcm, Endpointer(), WebRtcVad())

    assert (result.kind, result.reason) == ("speech", "max_length")
    assert result.duration_ms == 15_000
    assert result.voiced_ms > 14_000


def test_voiced_ms_counts_the_speech_in_a_clip() -> None:
    hello, pause = pcm_of("play_hello_by_adele.wav"), pcm_of("pause.wav")

    assert 1000 <= voiced_ms(hello) <= 1400
    assert 300 <= voiced_ms(pause) <= 700
    assert has_enough_speech(pause)
    assert not has_enough_speech(pause, min_ms=2000)
    assert voiced_ms(b"") == 0


def test_the_command_after_the_wake_word_is_heard_without_the_wake_word() -> None:
    pcm = pcm_of("hey_sam_pause.wav")
    wake = OffsetWake(0.8)
    rechunker = Rechunker(wake.frame_length * 2)
    vad, endpointer = WebRtcVad(), Endpointer()
    woke_at = None
    result = None

    for index, frame in enumerate(frames(pcm)):
        if woke_at is None:
            if any(wake.process(chunk) for chunk in rechunker.feed(frame)):
                woke_at = (index + 1) * 30
                endpointer.reset()
            continue
        result = endpointer.feed(frame, vad.is_speech(frame))
        if result is not None:
            break

    assert woke_at is not None and 800 <= woke_at <= 870
    assert result is not None and (result.kind, result.reason) == ("speech", "silence")
    onset = woke_at + result.start_ms
    assert 800 <= onset <= 1000  # the pre-roll only reaches back to the wake word's end
    assert result.voiced_ms <= voiced_ms(pcm_of("pause.wav")) + 90


@pytest.mark.parametrize("mode", [-1, 4, True, "2", 2.0])
def test_vad_mode_must_be_0_to_3(mode: object) -> None:
    with pytest.raises(ValueError, match="mode"):
        WebRtcVad(mode)  # type: ignore[arg-type]


def test_vad_rates_and_frame_sizes_are_checked_up_front() -> None:
    with pytest.raises(ValueError, match="sample rate"):
        WebRtcVad(sample_rate=22050)
    with pytest.raises(ValueError, match="10, 20 or 30 ms"):
        WebRtcVad(frame_ms=25)
    with pytest.raises(ValueError, match="960 bytes"):
        WebRtcVad().is_speech(bytes(FRAME_BYTES - 2))
    assert WebRtcVad(sample_rate=8000, frame_ms=10).frame_bytes == 160


def test_segment_refuses_mismatched_frame_sizes() -> None:
    with pytest.raises(ValueError, match="frames"):
        segment(bytes(FRAME_BYTES), Endpointer(), WebRtcVad(frame_ms=20))


def test_speech_span_trims_the_silence_around_speech() -> None:
    from sam_edge.audio.sources import read_wav_pcm
    from sam_edge.listen.vad import WebRtcVad, speech_span

    data = Path(__file__).resolve().parents[1] / "data"
    pcm = read_wav_pcm(data / "pause.wav")
    voiced, speech = speech_span(pcm, WebRtcVad(2))
    assert voiced >= 250
    assert 0 < len(speech) < len(pcm) - 16000  # more than half a second of silence gone
    quiet, _ = speech_span(read_wav_pcm(data / "silence.wav"), WebRtcVad(2))
    assert quiet < 250  # a fresh VAD may call a few frames of room noise speech
