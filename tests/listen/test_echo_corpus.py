"""The front end on the simulated-room corpus: commands under the device's own music.

Targets from the issue: music alone never opens a turn; at +10 dB music-to-voice the command's
start is found within 300 ms and its end within 400 ms in at least 95 % of the corpus; the
canceller converges within 2 s from cold; +20 dB is reported, not asserted.
"""

from __future__ import annotations

import numpy as np
import pytest
import soxr

from sam_edge.audio.echo.canceller import EchoCanceller
from sam_edge.audio.echo.speex import speex_available
from sam_edge.audio.format import FRAME_SAMPLES
from tests.echo_corpus import MIC_RATE, PLAYER_RATE, espeak_available, make_recording
from tests.listen.echo_cases import judge, run

pytestmark = [
    pytest.mark.skipif(not espeak_available(), reason="espeak-ng is not installed"),
    pytest.mark.skipif(not speex_available(), reason="libspeexdsp1 is not installed"),
]

PLUS_10_DB = 20
MUSIC_SEEDS = (*range(100, 105), *range(200, 205))
TARGET_10_DB = 0.95
"""The issue's target (docs/echo.md: 20/20 here, 111/120 on held-out seeds)."""


def test_music_alone_never_opens_a_turn(capsys: pytest.CaptureFixture[str]) -> None:
    opened = []
    for i, seed in enumerate(MUSIC_SEEDS):
        level = -28.0 + 16.0 * (i % 5) / 4
        rec = make_recording(seed, None, music_level_dbfs=level)
        heard = run(rec)
        if heard.result.kind == "speech":
            opened.append(f"{rec.name} at {level:.0f} dBFS: {heard.result.speech_start_ms}-"
                          f"{heard.result.speech_end_ms} ms")
    with capsys.disabled():
        print(f"\nmusic only: {len(opened)}/{len(MUSIC_SEEDS)} recordings opened a turn")
    assert not opened, opened


def test_at_plus_10_db_the_command_is_found_in_95_percent(capsys: pytest.CaptureFixture[str]) \
        -> None:
    outcomes = [judge(rec, run(rec)) for rec in
                (make_recording(seed, 10.0) for seed in range(PLUS_10_DB))]
    hits = sum(o.found for o in outcomes)
    with capsys.disabled():
        print(f"\n+10 dB: {hits}/{len(outcomes)} commands found within 300/400 ms")
        for o in outcomes:
            if not o.found:
                print("  " + o.line())
    misses = [o.line() for o in outcomes if not o.found]
    assert hits >= TARGET_10_DB * len(outcomes), misses


def test_at_plus_20_db_what_it_finds_is_reported(capsys: pytest.CaptureFixture[str]) -> None:
    outcomes = [judge(rec, run(rec)) for rec in
                (make_recording(seed, 20.0) for seed in range(5))]
    hits = sum(o.found for o in outcomes)
    with capsys.disabled():
        print(f"\n+20 dB (reported, target 80 %): {hits}/{len(outcomes)} commands found")
    assert len(outcomes) == 5


def test_the_canceller_converges_within_2_s_from_cold() -> None:
    rec = make_recording(7, None, music_before_s=3.0)
    reference = soxr.resample(rec.reference.astype(np.float32).mean(axis=1), PLAYER_RATE,
                              MIC_RATE)
    canceller = EchoCanceller()
    mic_energy = out_energy = 0.0
    for i in range(0, 3 * MIC_RATE, FRAME_SAMPLES):
        frame = canceller.process(rec.mic[i:i + FRAME_SAMPLES],
                                  reference[i:i + FRAME_SAMPLES].astype(np.float32))
        if i >= 2 * MIC_RATE:
            mic_energy += frame.mic_energy
            out_energy += frame.out_energy
    canceller.close()
    erle = 10 * np.log10(mic_energy / out_energy)
    assert erle >= 8.0, f"ERLE {erle:.1f} dB over the third second"


def test_a_400_ms_pause_mid_sentence_does_not_end_the_turn() -> None:
    """ "play ... hotel california" over music as loud as the voice: one utterance, to its end.
    (At +10 dB the words after the pause are found late and the turn can end at the pause:
    docs/echo.md.)"""
    for seed in (0, 1):
        rec = make_recording(seed, 0.0, command="play hotel california", pause_ms=400)
        outcome = judge(rec, run(rec))
        assert outcome.found, outcome.line()
