"""The microphone off the device: no sound card, no PyAudio, a device that is not there."""

from __future__ import annotations

import asyncio
import sys
import threading
import types
from pathlib import Path
from typing import Any, ClassVar

import pytest

from sam_edge.audio.capture import MicrophoneSource, has_sound_card, list_input_devices
from sam_edge.audio.errors import MicrophoneError
from sam_edge.audio.format import FRAME_BYTES, FRAME_SAMPLES

CARD = " 0 [Device         ]: USB-Audio - USB PnP Sound Device\n"


@pytest.fixture
def cards(tmp_path: Path) -> Path:
    path = tmp_path / "cards"
    path.write_text(CARD)
    return path


@pytest.mark.parametrize(("listing", "expected"), [
    (CARD, True),
    ("--- no soundcards ---\n", False),
    ("", False),
    (None, False),
])
def test_has_sound_card_reads_the_alsa_listing(tmp_path: Path, listing: str | None,
                                               expected: bool) -> None:
    path = tmp_path / "cards"
    if listing is not None:
        path.write_text(listing)

    assert has_sound_card(path) is expected


async def test_no_sound_card_means_pyaudio_is_not_even_imported(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setitem(sys.modules, "pyaudio", None)

    with pytest.raises(MicrophoneError, match="No sound card"):
        MicrophoneSource(cards=tmp_path / "missing").open()
    assert list_input_devices(tmp_path / "missing") == []


async def test_missing_pyaudio_is_a_clear_error(monkeypatch: pytest.MonkeyPatch,
                                                cards: Path) -> None:
    monkeypatch.setitem(sys.modules, "pyaudio", None)

    with pytest.raises(MicrophoneError, match="PyAudio is not installed") as caught:
        async with MicrophoneSource(cards=cards):
            pass
    assert caught.value.code == "no_microphone"
    with pytest.raises(MicrophoneError, match="pip install"):
        list_input_devices(cards)


class _Stream:
    def __init__(self, callback: Any) -> None:
        self.callback = callback
        self.stopped = False

    def stop_stream(self) -> None:
        self.stopped = True

    def close(self) -> None:
        pass


def fake_pyaudio() -> types.ModuleType:
    """A PyAudio with a speaker (output only) and one USB microphone."""
    module = types.ModuleType("pyaudio")
    devices = [
        {"name": "bcm2835 Headphones", "maxInputChannels": 0, "defaultSampleRate": 44100.0},
        {"name": "USB PnP Sound Device: Audio (hw:1,0)", "maxInputChannels": 1,
         "defaultSampleRate": 48000.0},
    ]

    class PyAudio:
        opened: ClassVar[list[dict[str, Any]]] = []

        def get_device_count(self) -> int:
            return len(devices)

        def get_device_info_by_index(self, index: int) -> dict[str, Any]:
            return devices[index]

        def open(self, **kwargs: Any) -> _Stream:
            PyAudio.opened.append(kwargs)
            return _Stream(kwargs["stream_callback"])

        def terminate(self) -> None:
            pass

    module.PyAudio = PyAudio  # type: ignore[attr-defined]
    module.paInt16 = 8  # type: ignore[attr-defined]
    module.paContinue = 0  # type: ignore[attr-defined]
    return module


async def test_a_missing_device_lists_the_microphones_there_are(
        monkeypatch: pytest.MonkeyPatch, cards: Path) -> None:
    monkeypatch.setitem(sys.modules, "pyaudio", fake_pyaudio())

    with pytest.raises(MicrophoneError, match="'ReSpeaker' not found") as caught:
        MicrophoneSource("ReSpeaker", cards=cards).open()
    assert "#1 'USB PnP Sound Device" in caught.value.message
    assert "Headphones" not in caught.value.message
    assert [d.index for d in list_input_devices(cards)] == [1]


async def test_frames_from_the_audio_thread_arrive_in_order(
        monkeypatch: pytest.MonkeyPatch, cards: Path) -> None:
    pyaudio = fake_pyaudio()
    monkeypatch.setitem(sys.modules, "pyaudio", pyaudio)
    mic = MicrophoneSource("usb pnp", cards=cards)

    async with mic:
        opened = pyaudio.PyAudio.opened[-1]  # type: ignore[attr-defined]
        assert (opened["input_device_index"], opened["rate"]) == (1, 16000)
        assert opened["frames_per_buffer"] == FRAME_SAMPLES
        callback = mic._stream.callback
        sent = [bytes([i]) * FRAME_BYTES for i in range(5)]
        thread = threading.Thread(target=lambda: [callback(f, FRAME_SAMPLES, {}, 0) for f in sent])
        thread.start()
        thread.join()
        got = []
        async for frame in mic:
            got.append(frame)
            if len(got) == len(sent):
                break

    assert got == sent


async def test_closing_ends_the_iteration(monkeypatch: pytest.MonkeyPatch, cards: Path) -> None:
    monkeypatch.setitem(sys.modules, "pyaudio", fake_pyaudio())
    mic = MicrophoneSource(cards=cards)
    mic.open()

    async def drain() -> int:
        return len([frame async for frame in mic])

    task = asyncio.create_task(drain())
    await asyncio.sleep(0)
    mic.close()

    assert await asyncio.wait_for(task, 2) == 0
