"""``sam-edge listen --wav FILE`` and ``sam-edge say TEXT``."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path

from ..settings import Settings
from ._common import err, setup_logging


async def _listen(settings: Settings, wav: Path) -> int:
    from ..app.runtime import build_runtime
    from ..audio.errors import AudioError
    from ..audio.sources import decode_upload
    from ..pipeline.runner import SttMissing
    from ..pipeline.turn import Source
    from ..speech.simulated import KnownTranscript

    try:
        data = wav.read_bytes()
    except OSError as exc:
        err(f"cannot read {wav}: {exc.strerror}")
        return 1
    try:
        clip = await asyncio.to_thread(decode_upload, data,
                                       max_seconds=settings.voice.max_upload_seconds)
    except AudioError as exc:
        err(f"{wav}: {exc.message}")
        return 1
    runtime = await build_runtime(settings)
    try:
        stt = None
        if runtime.runner.stt is None:
            stt = KnownTranscript.for_wav(wav)
            if stt is not None:
                err(f"no SAM_GROQ_API_KEY: using the transcript in {wav.with_suffix('.txt')}")
        try:
            result = await runtime.runner.voice(clip, source=Source.VOICE, stt=stt)
        except SttMissing as exc:
            err(exc.message)
            return 1
        print(json.dumps(result.to_dict(), ensure_ascii=False))
        return 0
    finally:
        await runtime.aclose()


def cmd_listen(settings: Settings, args: argparse.Namespace) -> int:
    setup_logging("WARNING" if settings.log.level != "DEBUG" else "DEBUG")
    return asyncio.run(_listen(settings, Path(args.wav)))


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
