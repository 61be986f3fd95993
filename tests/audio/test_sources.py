"""WAV files as a frame source, and uploads decoded (or refused) with the right error."""

from __future__ import annotations

import asyncio
import io
import subprocess
import time
import wave
from pathlib import Path

import pytest

from sam_edge.audio.errors import (
    AudioError,
    DecoderMissing,
    EmptyAudio,
    NotAudio,
    TooLong,
    TruncatedAudio,
)
from sam_edge.audio.format import FRAME_BYTES, pcm_to_wav
from sam_edge.audio.sources import WavSource, decode_upload, read_wav_pcm, sniff

DATA = Path(__file__).parent.parent / "data"
HELLO = DATA / "play_hello_by_adele.wav"


def hello_pcm() -> bytes:
    with wave.open(str(HELLO)) as wav:
        return wav.readframes(wav.getnframes())


def encode(tmp_path: Path, suffix: str, *extra: str, source: Path = HELLO) -> bytes:
    out = tmp_path / f"clip.{suffix}"
    subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-i", str(source),
                    *extra, str(out)], check=True, timeout=60)
    return out.read_bytes()


async def collect(source: WavSource) -> list[bytes]:
    return [frame async for frame in source]


async def test_wav_source_gives_30_ms_frames_and_pads_the_last_one() -> None:
    pcm = hello_pcm()

    got = await asyncio.wait_for(collect(WavSource(HELLO)), 10)

    assert all(len(frame) == FRAME_BYTES for frame in got)
    assert len(got) == -(-len(pcm) // FRAME_BYTES)
    joined = b"".join(got)
    assert joined[:len(pcm)] == pcm
    assert joined[len(pcm):] == bytes(len(joined) - len(pcm))


async def test_wav_source_reads_a_file_object_more_than_once() -> None:
    source = WavSource(io.BytesIO(pcm_to_wav(bytes(FRAME_BYTES * 3))))

    first = await collect(source)
    second = await collect(source)

    assert len(first) == len(second) == 3


async def test_wav_source_in_real_time_delivers_a_frame_per_frame_time() -> None:
    source = WavSource(io.BytesIO(pcm_to_wav(bytes(FRAME_BYTES * 6))), realtime=True)
    start = time.monotonic()

    got = await asyncio.wait_for(collect(source), 5)

    assert len(got) == 6
    assert time.monotonic() - start >= 6 * 0.030 - 0.005


async def test_wav_source_converts_other_rates_and_channels(tmp_path: Path) -> None:
    stereo = tmp_path / "stereo.wav"
    stereo.write_bytes(encode(tmp_path, "wav", "-ac", "2", "-ar", "44100"))

    got = await asyncio.wait_for(collect(WavSource(stereo)), 30)

    assert abs(len(got) * FRAME_BYTES - len(hello_pcm())) <= FRAME_BYTES * 2


async def test_wav_source_refuses_a_file_that_is_not_wav(tmp_path: Path) -> None:
    path = tmp_path / "notes.wav"
    path.write_text("not a wave file at all")

    with pytest.raises(NotAudio):
        await collect(WavSource(path))


@pytest.mark.parametrize(("head", "kind"), [
    (b"RIFF\x00\x00\x00\x00WAVEfmt ", "wav"),
    (b"OggS\x00\x02", "ogg"),
    (b"\x1aE\xdf\xa3\x9f", "webm"),
    (b"ID3\x04\x00", "mp3"),
    (b"\xff\xfb\x90\x00", "mp3"),
    (b"fLaC\x00\x00", "flac"),
    (b"\x00\x00\x00\x1cftypM4A ", "mp4"),
    (b"RIFF\x00\x00\x00\x00AVI ", None),
    (b"<html>", None),
    (b"\xff", None),
])
def test_sniff_knows_the_containers(head: bytes, kind: str | None) -> None:
    assert sniff(head) == kind


def test_a_wav_upload_in_the_internal_format_is_used_as_is() -> None:
    clip = decode_upload(HELLO.read_bytes(), max_seconds=30)

    assert clip.pcm == hello_pcm()


@pytest.mark.parametrize(("suffix", "extra"), [
    ("webm", ("-c:a", "libopus")),
    ("ogg", ("-c:a", "libvorbis")),
    ("mp3", ()),
    ("flac", ()),
    ("wav", ("-ar", "48000", "-ac", "2")),
])
def test_compressed_and_foreign_uploads_are_decoded(tmp_path: Path, suffix: str,
                                                    extra: tuple[str, ...]) -> None:
    data = encode(tmp_path, suffix, *extra)

    clip = decode_upload(data, max_seconds=30)

    assert abs(clip.duration_s - len(hello_pcm()) / 32000) < 0.1


def test_an_empty_upload_is_a_400() -> None:
    with pytest.raises(EmptyAudio) as caught:
        decode_upload(b"", max_seconds=30)
    assert caught.value.status == 400
    with pytest.raises(EmptyAudio):
        decode_upload(pcm_to_wav(b""), max_seconds=30, ffmpeg="no-such-ffmpeg")


def test_a_streamed_wav_without_sizes_is_read_to_its_end() -> None:
    data = bytearray(HELLO.read_bytes())
    data[40:44] = b"\x00\x00\x00\x00"  # the data chunk size a streaming writer leaves at 0

    clip = decode_upload(bytes(data), max_seconds=30)

    assert abs(len(clip.pcm) - len(hello_pcm())) <= 64


def test_a_wav_promising_more_than_it_has_is_truncated() -> None:
    data = HELLO.read_bytes()

    with pytest.raises(TruncatedAudio, match="promises") as caught:
        decode_upload(data[:len(data) // 2], max_seconds=30)
    assert caught.value.status == 400
    with pytest.raises(TruncatedAudio):
        decode_upload(data[:30], max_seconds=30)


def test_a_cut_off_webm_is_truncated(tmp_path: Path) -> None:
    data = encode(tmp_path, "webm", "-c:a", "libopus")

    with pytest.raises(TruncatedAudio, match="WebM") as caught:
        decode_upload(data[:len(data) // 3], max_seconds=30)
    assert caught.value.status == 400


def test_something_else_is_not_audio_415() -> None:
    with pytest.raises(NotAudio) as caught:
        decode_upload(b"%PDF-1.7 hello", max_seconds=30)
    assert caught.value.status == 415
    assert caught.value.code == "not_audio"


def test_too_long_is_a_413_with_the_length() -> None:
    with pytest.raises(TooLong) as caught:
        decode_upload(HELLO.read_bytes(), max_seconds=1.5)
    assert caught.value.status == 413
    assert caught.value.seconds == pytest.approx(len(hello_pcm()) / 32000)
    assert "limit is 1.5 s" in caught.value.message


def test_too_long_compressed_audio_stops_decoding_early(tmp_path: Path) -> None:
    data = encode(tmp_path, "flac", source=DATA / "long_speech.wav")

    with pytest.raises(TooLong) as caught:
        decode_upload(data, max_seconds=5)
    assert 5 < caught.value.seconds <= 6.5
    assert "more than" in caught.value.message


def test_missing_ffmpeg_is_a_503(tmp_path: Path) -> None:
    data = encode(tmp_path, "mp3")

    with pytest.raises(DecoderMissing) as caught:
        decode_upload(data, max_seconds=30, ffmpeg="no-such-ffmpeg")
    assert caught.value.status == 503
    assert "ffmpeg" in caught.value.message


def test_every_upload_error_is_an_audio_error_with_a_status() -> None:
    for error in (EmptyAudio("x"), TruncatedAudio("x"), NotAudio("x"), TooLong(2, 1),
                  DecoderMissing("x")):
        assert isinstance(error, AudioError)
        assert error.status in (400, 413, 415, 503)


def test_read_wav_pcm_takes_paths_and_file_objects() -> None:
    assert read_wav_pcm(HELLO) == read_wav_pcm(io.BytesIO(HELLO.read_bytes())) == hello_pcm()
