"""``sam-edge listen --wav MIC --reference PLAYED``: the contract, run as a real process."""

from __future__ import annotations

import json
import os
import subprocess
import wave
from pathlib import Path

import numpy as np
import pytest
import soxr

from sam_edge.audio.echo.speex import speex_available
from tests.echo_corpus import MIC_RATE, PLAYER_RATE, Recording, espeak_available, make_recording

SAM = str(Path(__file__).resolve().parents[1] / ".venv" / "bin" / "sam-edge")

pytestmark = [
    pytest.mark.skipif(not espeak_available(), reason="espeak-ng is not installed"),
    pytest.mark.skipif(not speex_available(), reason="libspeexdsp1 is not installed"),
    pytest.mark.skipif(not os.path.exists(SAM), reason="sam-edge is not installed in .venv"),
]


def write_wav(path: Path, samples: np.ndarray, rate: int) -> Path:
    channels = 1 if samples.ndim == 1 else samples.shape[1]
    with wave.open(str(path), "wb") as out:
        out.setnchannels(channels)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(samples.astype("<i2").tobytes())
    return path


@pytest.fixture(scope="module")
def command(tmp_path_factory: pytest.TempPathFactory) -> tuple[Recording, Path, Path]:
    """A +10 dB recording (its transcript beside it) and what was played, 48 kHz stereo."""
    folder = tmp_path_factory.mktemp("echo")
    rec = make_recording(2, 10.0, command="pause the music")
    mic = write_wav(folder / "mic.wav", rec.mic, MIC_RATE)
    (folder / "mic.txt").write_text("pause the music", encoding="utf-8")
    return rec, mic, write_wav(folder / "played.wav", rec.reference, PLAYER_RATE)


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SAM_", "GROQ_"))}
    music = tmp_path / "music"
    music.mkdir()
    return {**clean, "SAM_DATA_DIR": str(tmp_path / "data"), "SAM_MUSIC_DIR": str(music),
            "SAM_PLAYER_AUDIO_OUTPUT": "null", "SAM_AUDIO_OUTPUT": "none",
            "SAM_CONFIG": str(tmp_path / "absent.toml"), "HOME": str(tmp_path)}


def listen(env: dict[str, str], *args: str) -> dict[str, object]:
    proc = subprocess.run([SAM, "listen", *args], env=env, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_the_command_is_found_under_its_music_and_the_turn_runs(
        env: dict[str, str], command: tuple[Recording, Path, Path]) -> None:
    rec, mic, played = command
    body = listen(env, "--wav", str(mic), "--reference", str(played))
    assert (body["action"], body["status"]) == ("PAUSE", "ok")
    assert rec.speech_start_ms is not None and rec.speech_end_ms is not None
    assert abs(int(body["speech_start_ms"]) - rec.speech_start_ms) <= 300  # type: ignore[call-overload]
    assert abs(int(body["speech_end_ms"]) - rec.speech_end_ms) <= 400  # type: ignore[call-overload]
    echo = body["echo_cancel"]
    assert isinstance(echo, dict) and isinstance(echo["erle_db"], float) and echo["erle_db"] > 6


def test_cut_one_second_after_the_command_the_answer_is_the_same(
        env: dict[str, str], command: tuple[Recording, Path, Path], tmp_path: Path) -> None:
    rec, mic, played = command
    whole = listen(env, "--wav", str(mic), "--reference", str(played))
    assert rec.speech_end_ms is not None
    cut_ms = rec.speech_end_ms + 1000
    short_mic = write_wav(tmp_path / "mic.wav", rec.mic[: cut_ms * MIC_RATE // 1000], MIC_RATE)
    (tmp_path / "mic.txt").write_text("pause the music", encoding="utf-8")
    short_played = write_wav(tmp_path / "played.wav",
                             rec.reference[: cut_ms * PLAYER_RATE // 1000], PLAYER_RATE)
    cut = listen(env, "--wav", str(short_mic), "--reference", str(short_played))
    assert (cut["speech_start_ms"], cut["speech_end_ms"]) == \
        (whole["speech_start_ms"], whole["speech_end_ms"])


def test_played_audio_at_another_rate_in_mono_serves_as_well(
        env: dict[str, str], command: tuple[Recording, Path, Path], tmp_path: Path) -> None:
    rec, mic, _ = command
    mono = soxr.resample(rec.reference.astype(np.float32).mean(axis=1), PLAYER_RATE, 44_100)
    played = write_wav(tmp_path / "played.wav", np.round(mono), 44_100)
    body = listen(env, "--wav", str(mic), "--reference", str(played))
    assert rec.speech_start_ms is not None
    assert abs(int(body["speech_start_ms"]) - rec.speech_start_ms) <= 300  # type: ignore[call-overload]


def test_without_a_reference_there_is_no_echo_cancel(
        env: dict[str, str], command: tuple[Recording, Path, Path]) -> None:
    _, mic, _ = command
    body = listen(env, "--wav", str(mic))
    assert body["echo_cancel"] is None


def test_music_alone_is_no_speech(env: dict[str, str], tmp_path: Path) -> None:
    rec = make_recording(3, None, music_before_s=6.0)
    mic = write_wav(tmp_path / "mic.wav", rec.mic, MIC_RATE)
    played = write_wav(tmp_path / "played.wav", rec.reference, PLAYER_RATE)
    body = listen(env, "--wav", str(mic), "--reference", str(played))
    assert body["status"] == "no_speech"
    assert body["speech_start_ms"] is None and body["speech_end_ms"] is None
    assert isinstance(body["echo_cancel"], dict)


def test_listen_does_not_read_the_http_settings(
        env: dict[str, str], command: tuple[Recording, Path, Path], tmp_path: Path) -> None:
    _, mic, played = command
    config = tmp_path / "config.toml"
    config.write_text('[http]\nport = 99999\nhost = 7\n', encoding="utf-8")
    body = listen({**env, "SAM_CONFIG": str(config), "SAM_HTTP_PORT": "nope"},
                  "--wav", str(mic), "--reference", str(played))
    assert body["status"] == "ok"


def test_a_reference_that_is_not_audio_is_refused_clearly(
        env: dict[str, str], command: tuple[Recording, Path, Path], tmp_path: Path) -> None:
    _, mic, _ = command
    junk = tmp_path / "played.wav"
    junk.write_bytes(b"definitely not audio" * 10)
    proc = subprocess.run([SAM, "listen", "--wav", str(mic), "--reference", str(junk)],
                          env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1
    assert "played.wav" in proc.stderr and "Traceback" not in proc.stderr
