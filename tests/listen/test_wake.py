"""The wake-word seam: the offset stand-in, the rechunker, and a factory that never raises."""

from __future__ import annotations

import builtins
import sys
import types
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from sam_edge.audio.format import FRAME_BYTES
from sam_edge.listen.wake import OffsetWake, PorcupineWake, Rechunker, create_wake_engine

PORCUPINE_FRAME = 512 * 2


@dataclass(frozen=True)
class Options:
    access_key: str = "key-123"
    keyword: str = "porcupine"
    keyword_path: str = ""
    sensitivity: float = 0.5


def first_detection(wake: OffsetWake, seconds: float) -> float | None:
    for _ in range(int(seconds * 16000 / 512)):
        if wake.process(bytes(PORCUPINE_FRAME)):
            return wake.processed / 16000
    return None


@pytest.mark.parametrize("offset", [0.0, 0.8, 1.0, 2.345])
def test_offset_wake_fires_at_the_offset_within_one_frame(offset: float) -> None:
    wake = OffsetWake(offset)

    fired = first_detection(wake, 5.0)

    assert fired is not None
    assert offset <= fired <= offset + 512 / 16000


def test_offset_wake_fires_once_per_offset() -> None:
    wake = OffsetWake([2.0, 0.5])

    hits = [wake.process(bytes(PORCUPINE_FRAME)) for _ in range(int(3 * 16000 / 512))]

    assert sum(hits) == 2
    assert [round(t, 1) for t in wake.fired_at_s] == [0.5, 2.0]
    wake.close()
    assert wake.closed


def test_offset_wake_counts_any_frame_size() -> None:
    wake = OffsetWake(0.8, frame_length=480)

    hits = [wake.process(bytes(FRAME_BYTES)) for _ in range(40)]

    assert hits.index(True) == 26  # the 27th 30 ms frame ends at 0.81 s


def test_rechunker_regroups_30_ms_frames_into_porcupine_frames() -> None:
    stream = bytes(range(256)) * 200  # 51,200 bytes
    rechunker = Rechunker(PORCUPINE_FRAME)
    out: list[bytes] = []

    for start in range(0, len(stream), FRAME_BYTES):
        out += rechunker.feed(stream[start:start + FRAME_BYTES])

    assert all(len(chunk) == PORCUPINE_FRAME for chunk in out)
    assert len(out) == len(stream) // PORCUPINE_FRAME
    assert b"".join(out) == stream[:len(out) * PORCUPINE_FRAME]
    assert rechunker.pending == len(stream) % PORCUPINE_FRAME


def test_rechunker_handles_uneven_pieces_and_reset() -> None:
    rechunker = Rechunker(4)

    assert rechunker.feed(b"ab") == []
    assert rechunker.feed(b"cdefghij") == [b"abcd", b"efgh"]
    assert rechunker.pending == 2
    rechunker.reset()
    assert rechunker.feed(b"1234") == [b"1234"]
    with pytest.raises(ValueError):
        Rechunker(3)


def test_factory_without_a_key_says_which_setting_to_set() -> None:
    engine, reason = create_wake_engine(Options(access_key="  "))

    assert engine is None
    assert "SAM_PORCUPINE_ACCESS_KEY" in reason


def test_factory_without_pvporcupine_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pvporcupine", None)

    engine, reason = create_wake_engine(Options())

    assert engine is None
    assert "pvporcupine is not installed" in reason


def test_factory_when_pvporcupine_fails_to_import(monkeypatch: pytest.MonkeyPatch,
                                                  tmp_path: Path) -> None:
    (tmp_path / "pvporcupine.py").write_text(
        "raise NotImplementedError('Unsupported CPU: cortex-a7')\n"
    )
    monkeypatch.delitem(sys.modules, "pvporcupine", raising=False)
    monkeypatch.syspath_prepend(str(tmp_path))

    engine, reason = create_wake_engine(Options())

    assert engine is None
    assert "does not run on this machine" in reason and "Unsupported CPU" in reason


class _Handle:
    frame_length = 512
    sample_rate = 16000

    def __init__(self) -> None:
        self.deleted = False

    def process(self, pcm: object) -> int:
        return 0 if any(pcm) else -1  # type: ignore[call-overload]

    def delete(self) -> None:
        self.deleted = True


def stand_in(create: Callable[..., object] | None = None) -> types.ModuleType:
    """A tiny ``pvporcupine`` with its error classes and the given ``create``."""
    module = types.ModuleType("pvporcupine")

    class PorcupineError(Exception):
        def __init__(self, message: str) -> None:
            super().__init__(message)
            self.message = message

    class PorcupineActivationError(PorcupineError):
        pass

    module.PorcupineError = PorcupineError  # type: ignore[attr-defined]
    module.PorcupineActivationError = PorcupineActivationError  # type: ignore[attr-defined]
    module.create = create  # type: ignore[attr-defined]
    return module


@pytest.mark.parametrize(("error", "expected"), [
    ("PorcupineActivationError", "did not accept the access key"),
    ("ValueError", "invalid Porcupine keyword"),
    ("OSError", "file is missing"),
    ("PorcupineError", "could not start"),
    ("RuntimeError", "could not start"),
])
def test_factory_turns_create_errors_into_a_reason(monkeypatch: pytest.MonkeyPatch,
                                                   error: str, expected: str) -> None:
    module = stand_in()
    error_class = getattr(module, error, None) or getattr(builtins, error)

    def create(**kwargs: object) -> None:
        raise error_class("Initialization\nfailed")

    module.create = create  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "pvporcupine", module)

    engine, reason = create_wake_engine(Options())

    assert engine is None
    assert expected in reason
    assert "\n" not in reason


def test_factory_builds_porcupine_from_a_working_library(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[dict[str, object]] = []
    handle = _Handle()

    def create(**kwargs: object) -> _Handle:
        calls.append(kwargs)
        return handle

    monkeypatch.setitem(sys.modules, "pvporcupine", stand_in(create))

    engine, reason = create_wake_engine(Options(keyword_path="/opt/hey-sam.ppn",
                                                sensitivity=0.6))

    assert isinstance(engine, PorcupineWake)
    assert "wake word on" in reason
    assert calls == [{"access_key": "key-123", "sensitivities": [0.6],
                      "keyword_paths": ["/opt/hey-sam.ppn"]}]
    assert (engine.frame_length, engine.sample_rate) == (512, 16000)
    assert engine.process(bytes(PORCUPINE_FRAME)) is False
    assert engine.process(b"\x01\x00" + bytes(PORCUPINE_FRAME - 2)) is True
    with pytest.raises(ValueError, match="512-sample"):
        engine.process(bytes(FRAME_BYTES))
    engine.close()
    engine.close()
    assert handle.deleted
