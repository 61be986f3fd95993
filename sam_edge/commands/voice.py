"""``sam-edge listen --wav FILE`` and ``sam-edge say TEXT``."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from ..settings import Settings
from ._common import err, setup_logging

if TYPE_CHECKING:
    from ..app.runtime import Runtime
    from ..audio.format import Clip
    from ..listen.endpoint import EndpointConfig
    from ..pipeline.turn import VoiceResult
    from ..speech.stt import SpeechToText


async def run_turn(runtime: Runtime, clip: Clip, stt: SpeechToText | None) -> VoiceResult:
    """Everything after the front end: speech-to-text, understanding, action, reply."""
    from ..pipeline.turn import Source

    return await runtime.runner.voice(clip, source=Source.VOICE, stt=stt)


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError as exc:
        err(f"cannot read {path}: {exc.strerror}")
        return None


async def _listen(settings: Settings, wav: Path, reference: Path | None) -> int:
    from ..app.runtime import build_runtime
    from ..audio.errors import AudioError
    from ..audio.format import Clip
    from ..audio.sources import decode_upload
    from ..listen.replay import listen_config, read_played, replay
    from ..pipeline.runner import SttMissing
    from ..speech.simulated import KnownTranscript

    limit = settings.voice.max_upload_seconds
    data = _read(wav)
    played_data = _read(reference) if reference is not None else b""
    if data is None or played_data is None:
        return 1
    try:
        clip = await asyncio.to_thread(decode_upload, data, max_seconds=limit)
    except AudioError as exc:
        err(f"{wav}: {exc.message}")
        return 1
    played = None
    if reference is not None:
        try:
            played = await asyncio.to_thread(read_played, played_data, max_seconds=limit)
        except AudioError as exc:
            err(f"{reference}: {exc.message}")
            return 1
    config = listen_config(endpoint_config(settings), vad_mode=settings.listen.vad_mode,
                           mic_ms=int(clip.duration_s * 1000))
    heard = await asyncio.to_thread(replay, clip.pcm, played, config)
    speech = heard.result.kind == "speech"
    runtime = await build_runtime(settings)
    try:
        stt = None
        if runtime.runner.stt is None and speech:
            stt = KnownTranscript.for_wav(wav)
            if stt is not None:
                err(f"no SAM_GROQ_API_KEY: using the transcript in {wav.with_suffix('.txt')}")
        try:
            result = await run_turn(runtime, Clip(heard.result.audio if speech else b""), stt)
        except SttMissing as exc:
            err(exc.message)
            return 1
        body = result.to_dict()
        body["speech_start_ms"] = heard.result.speech_start_ms if speech else None
        body["speech_end_ms"] = heard.result.speech_end_ms if speech else None
        if not speech:
            body["status"] = "no_speech"
        body["echo_cancel"] = (None if played is None
                               else {"erle_db": heard.erle_db if heard.erle_db is not None
                                     else 0.0})
        print(json.dumps(body, ensure_ascii=False))
        return 0
    finally:
        await runtime.aclose()


def endpoint_config(settings: Settings) -> EndpointConfig:
    from ..listen.endpoint import EndpointConfig

    return EndpointConfig.from_settings(settings.listen)


def cmd_listen(settings: Settings, args: argparse.Namespace) -> int:
    setup_logging("WARNING" if settings.log.level != "DEBUG" else "DEBUG")
    reference = Path(args.reference) if args.reference else None
    return asyncio.run(_listen(settings, Path(args.wav), reference))


async def _say(settings: Settings, text: str, out: Path | None) -> int:
    from ..audio.format import pcm_to_wav
    from ..speech.factory import build_tts

    tts = build_tts(settings, settings.phrase_cache_dir)
    try:
        if out is not None:
            pcm = b"".join([chunk async for chunk in tts.stream(text)])
            if not pcm:
                err("nothing can speak: install espeak-ng or set SAM_ELEVENLABS_API_KEY")
                return 1
            out.write_bytes(pcm_to_wav(pcm, tts.sample_rate))
        else:
            from ..app.voice import speaker

            played = await speaker(settings).play(tts.stream(text), tts.sample_rate)
            if not played:
                return 1
        print(f"spoken with {tts.last_source}", file=sys.stderr)
        return 0
    finally:
        await tts.aclose()


def cmd_say(settings: Settings, args: argparse.Namespace) -> int:
    setup_logging("WARNING")
    text = " ".join(args.text).strip()
    if not text:
        err("nothing to say")
        return 2
    settings.data.dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    return asyncio.run(_say(settings, text, Path(args.out) if args.out else None))
