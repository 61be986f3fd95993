"""The front end passes on suppressed audio: less residual music, the same voice, the same
decisions."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from sam_edge.audio.echo.speex import speex_available
from sam_edge.audio.format import FRAME_MS
from sam_edge.listen.endpoint import EndpointConfig
from sam_edge.listen.frontend import FrameDecision, FrontEnd
from sam_edge.listen.replay import Played, listen_config
from tests.echo_corpus import PLAYER_RATE, Recording, espeak_available, make_recording

pytestmark = [
    pytest.mark.skipif(not espeak_available(), reason="espeak-ng is not installed"),
    pytest.mark.skipif(not speex_available(), reason="libspeexdsp1 is not installed"),
]


def decisions(rec: Recording, *, suppress: bool) -> list[FrameDecision]:
    config = listen_config(EndpointConfig(), vad_mode=2, mic_ms=len(rec.mic) * 1000 // 16000)
    if not suppress:
        config = replace(config, suppress=None)
    played = Played(rec.reference_bytes(), PLAYER_RATE, 2)
    front = FrontEnd(config, reference_rate=played.sample_rate, reference_channels=2)
    mic = rec.mic_bytes()
    frame = 960
    step = played.frame_bytes
    out: list[FrameDecision] = []
    try:
        for k in range(len(mic) // frame):
            out += front.feed(mic[k * frame:(k + 1) * frame], played.pcm[k * step:(k + 1) * step])
            if out and out[-1].result is not None:
                break
    finally:
        front.close()
    return out


def energy_db(frames: list[FrameDecision]) -> float:
    audio = np.frombuffer(b"".join(d.audio for d in frames), dtype="<i2").astype(float)
    return float(10 * np.log10(np.mean(audio ** 2) + 1e-9))


@pytest.mark.parametrize("seed", [1, 6])
def test_residual_music_is_lowered_and_the_voice_is_kept(seed: int) -> None:
    rec = make_recording(seed, 10.0)
    assert rec.speech_start_ms is not None and rec.speech_end_ms is not None
    on, off = decisions(rec, suppress=True), decisions(rec, suppress=False)
    assert [d.is_speech for d in on] == [d.is_speech for d in off]
    ends = [d.result for d in (on[-1], off[-1])]
    assert ends[0] is not None and ends[1] is not None
    assert (ends[0].speech_start_ms, ends[0].speech_end_ms) == \
        (ends[1].speech_start_ms, ends[1].speech_end_ms)

    def span(ds: list[FrameDecision], a_ms: int, b_ms: int) -> list[FrameDecision]:
        return [d for d in ds if a_ms <= d.start_ms < b_ms]

    music = (rec.speech_start_ms - 2000, rec.speech_start_ms - 500)
    speech = (rec.speech_start_ms, rec.speech_end_ms - FRAME_MS)
    assert energy_db(span(on, *music)) - energy_db(span(off, *music)) < -1.0
    assert energy_db(span(on, *speech)) - energy_db(span(off, *speech)) > -1.5
