"""The echo canceller's parts on synthetic signals: reference stream, delay and drift, speex."""

from __future__ import annotations

import numpy as np
import pytest
import soxr

from sam_edge.audio.echo.canceller import EchoCanceller, EchoConfig
from sam_edge.audio.echo.delay import DelayEstimator
from sam_edge.audio.echo.reference import ReferenceStream
from sam_edge.audio.echo.speex import SpeexEcho, speex_available
from sam_edge.audio.format import FRAME_BYTES, FRAME_SAMPLES
from sam_edge.listen.frontend import FrontEnd

needs_speex = pytest.mark.skipif(not speex_available(), reason="libspeexdsp1 is not installed")


def noise(seconds: float, rate: int = 16_000, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(int(seconds * rate)) * 3000


def test_reference_stream_mixes_down_and_resamples_48k_stereo_in_step() -> None:
    stream = ReferenceStream(48_000, 2)
    stereo = np.zeros((48_000, 2), dtype="<i2")
    stereo[:, 0] = 1000
    data = stereo.tobytes()
    for i in range(0, len(data), 5761):  # odd chunks: partial samples are carried over
        stream.write(data[i:i + 5761])
    stream.end()
    out = stream.read(16_000)
    assert abs(float(np.median(out)) - 500.0) < 1.0


@pytest.mark.parametrize(("rate", "channels", "word"), [(4000, 1, "rate"), (48_000, 0, "channels")])
def test_reference_stream_refuses_what_it_cannot_be(rate: int, channels: int, word: str) -> None:
    with pytest.raises(ValueError, match=word):
        ReferenceStream(rate, channels)


def test_reading_ahead_of_the_reference_is_an_error_until_it_ends() -> None:
    stream = ReferenceStream(16_000, 1)
    stream.write(b"\0\0" * 100)
    with pytest.raises(ValueError, match="only 100"):
        stream.read(480)
    stream.end()
    assert len(stream.read(480)) == 480


def test_delay_and_drift_are_found_from_the_past() -> None:
    ref = noise(12.0)
    ppm = 60.0
    mic = soxr.resample(ref, 16_000, 16_000 * (1 + ppm * 1e-6))
    delay = 37 * 16  # 37 ms
    mic = np.concatenate([np.zeros(delay), mic])[: len(ref)] * 0.3
    est = DelayEstimator()
    for i in range(0, len(ref) - 479, 480):
        est.push(mic[i:i + 480].astype(np.float32), ref[i:i + 480].astype(np.float32))
    assert est.delay is not None and abs(est.delay - delay) < 16
    drift = est.drift()
    assert drift is not None and abs(drift * 1e6 - ppm) < 15


@needs_speex
def test_speex_removes_a_linear_echo_and_checks_frame_sizes() -> None:
    ref = noise(4.0).astype(np.int16)
    echo = (np.convolve(ref, [0, 0, 0, 0.5, 0.2, -0.1])[: len(ref)]).astype(np.int16)
    aec = SpeexEcho(160, 1600, 16_000)
    out = np.concatenate([aec.process(echo[i:i + 160], ref[i:i + 160])
                          for i in range(0, len(ref), 160)])
    tail = slice(2 * 16_000, None)
    erle = 10 * np.log10(np.sum(echo[tail].astype(float) ** 2)
                         / np.sum(out[tail].astype(float) ** 2))
    assert erle > 20
    with pytest.raises(ValueError, match="160 microphone"):
        aec.process(echo[:320], ref[:160])
    aec.close()
    with pytest.raises(ValueError, match="closed"):
        aec.process(echo[:160], ref[:160])


@needs_speex
def test_the_canceller_refuses_frames_of_the_wrong_size() -> None:
    canceller = EchoCanceller(EchoConfig())
    with pytest.raises(ValueError, match="480"):
        canceller.process(np.zeros(160, dtype=np.int16), np.zeros(160, dtype=np.float32))
    assert canceller.take_erle() is None
    canceller.close()


def test_without_a_reference_the_front_end_runs_without_cancelling() -> None:
    front = FrontEnd()
    assert not front.cancelling
    decisions = front.feed(b"\0" * FRAME_BYTES * 3 + b"\0" * 10)
    assert [d.index for d in decisions] == [0, 1, 2]
    assert not any(d.is_speech for d in decisions)
    closing = front.finish()
    assert closing[-1].result is not None and closing[-1].result.kind == "timeout"
    assert front.take_erle() is None
    assert FRAME_SAMPLES == 480


def test_a_reference_that_comes_too_late_is_dropped_so_the_next_frames_stay_aligned() -> None:
    front = FrontEnd(reference_rate=16_000, reference_channels=1)
    silence = b"\0" * FRAME_BYTES
    judged = []
    for _ in range(5):  # the player stalls: microphone frames only
        judged += front.feed(silence)
    assert len(judged) >= 2  # no frame waits for more than 90 ms
    late = len(judged) + len(front._queue)
    marker = (np.full(FRAME_SAMPLES, 1000, dtype="<i2")).tobytes()
    judged += front.feed(silence, silence * late + marker)
    assert front._late == 0
    front.close()
