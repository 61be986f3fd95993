"""The provisional end of speech, and where the voiced part of an utterance starts and ends."""

from __future__ import annotations

from sam_edge.audio.format import FRAME_BYTES
from sam_edge.listen.endpoint import EndpointConfig, Endpointer

MS = 30


def run(pattern: str, config: EndpointConfig | None = None) -> tuple[Endpointer, list[str]]:
    """Feeds ``#`` voiced / ``.`` unvoiced frames; records what each frame produced."""
    ep = Endpointer(config)
    log: list[str] = []
    for i, flag in enumerate(pattern):
        result = ep.feed(b"\0" * FRAME_BYTES, flag == "#")
        if ep.provisional_now:
            log.append(f"provisional@{i}")
        if ep.withdrawn_now:
            log.append(f"withdrawn@{i}")
        if result is not None:
            log.append(f"{result.kind}:{result.reason}@{i}")
            break
    return ep, log


def test_a_provisional_end_is_offered_at_250_ms_and_committed_when_the_silence_holds() -> None:
    speech = "#" * 20                       # 600 ms
    _, log = run("." * 10 + speech + "." * 25)
    # 250 ms is 8 frames of 30 ms; 600 ms is 20 frames.
    assert log == [f"provisional@{10 + 20 + 7}", f"speech:silence@{10 + 20 + 19}"]


def test_a_400_ms_pause_mid_sentence_withdraws_the_offer_and_keeps_one_utterance() -> None:
    pause = "." * (400 // MS)               # 13 frames: "play ... hotel california"
    pattern = "." * 5 + "#" * 10 + pause + "#" * 30 + "." * 25
    _, log = run(pattern)
    assert log[0] == "provisional@" + str(5 + 10 + 7)
    assert log[1].startswith("withdrawn@")
    end = 5 + 10 + 13 + 30
    assert log[2:] == [f"provisional@{end + 7}", f"speech:silence@{end + 19}"]


def test_the_provisional_offer_holds_the_utterance_so_far() -> None:
    ep = Endpointer()
    for flag in "." * 10 + "#" * 20 + "." * 8:
        ep.feed(b"\1" * FRAME_BYTES, flag == "#")
    offer = ep.provisional
    assert offer is not None and offer.reason == "provisional"
    assert offer.speech_start_ms == 10 * MS and offer.speech_end_ms == 30 * MS


def test_no_offer_for_too_little_voice_or_when_disabled() -> None:
    _, log = run("." * 5 + "#" * 6 + "." * 30)
    assert not any(entry.startswith("provisional") for entry in log)
    _, log = run("." * 5 + "#" * 20 + "." * 25, EndpointConfig(provisional_silence_ms=0))
    assert log == [f"speech:silence@{5 + 20 + 19}"]


def test_speech_start_and_end_exclude_pre_roll_and_trailing_silence() -> None:
    ep = Endpointer()
    result = None
    for flag in "." * 40 + "#" * 15 + "." * 3 + "#" * 10 + "." * 30:
        result = ep.feed(b"\0" * FRAME_BYTES, flag == "#") or result
    assert result is not None and result.kind == "speech"
    assert result.start_ms < 40 * MS                 # the audio keeps its pre-roll
    assert result.speech_start_ms == 40 * MS
    assert result.speech_end_ms == (40 + 15 + 3 + 10) * MS
