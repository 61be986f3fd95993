"""Voice over HTTP: ``POST /v1/voice/process`` (a contract), the talk button, the live state."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from fastapi import APIRouter, File, Form, Query, UploadFile
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from ..audio.errors import AudioError
from ..audio.sources import decode_upload
from ..pipeline.runner import NO_STT, SttMissing
from ..pipeline.turn import Source
from .deps import RuntimeDep

log = logging.getLogger(__name__)

router = APIRouter()


def _problem(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse(status_code=status,
                        content={"detail": message, "message": message, "code": code})


@router.post("/v1/voice/process")
async def voice_process(
    rt: RuntimeDep,
    file: UploadFile = File(...),
    session_id: str = Form("default", max_length=100),
    reply_audio: bool = Query(False),
) -> Any:
    limits = rt.settings.voice
    max_bytes = int(limits.max_upload_mb * 1024 * 1024)
    data = await file.read(max_bytes + 1)
    if len(data) > max_bytes:
        return _problem(413, "too_large",
                        f"The upload is larger than {limits.max_upload_mb:g} MB.")
    try:
        clip = await asyncio.to_thread(decode_upload, data,
                                       max_seconds=limits.max_upload_seconds)
    except AudioError as exc:
        return _problem(exc.status, exc.code, exc.message)
    runner = rt.runner
    if runner.stt is None:
        return _problem(503, "stt_unavailable", NO_STT)
    try:
        result = await runner.voice(clip, source=Source.UPLOAD,
                                    session_id=session_id or "default", play=False,
                                    collect=reply_audio)
    except SttMissing as exc:
        return _problem(503, exc.code, exc.message)
    return result.to_dict(reply_audio=reply_audio)


MUTED = "The microphone is muted. Press Unmute (or the mute button) to talk."
_speaking: set[asyncio.Task[None]] = set()


def _say_soon(rt: Any, text: str) -> None:
    async def say() -> None:
        try:
            await rt.runner.say(text)
        except Exception:  # the page shows the sentence anyway
            log.exception("could not say %r", text)

    task = asyncio.get_running_loop().create_task(say())
    _speaking.add(task)
    task.add_done_callback(_speaking.discard)


@router.post("/v1/listen", status_code=202, response_model=None)
async def listen(rt: RuntimeDep) -> dict[str, Any] | JSONResponse:
    """The talk button: start listening now (or stop a reply that is playing). While the
    microphone is muted nothing listens: the device says so and stays idle."""
    loop = rt.listener
    if loop.muted:
        _say_soon(rt, MUTED)
        return _problem(409, "muted", MUTED)
    started = loop.talk()
    return {"listening": True, "source": started}


class MicrophoneRequest(BaseModel):
    muted: bool


@router.post("/v1/microphone")
async def microphone(body: MicrophoneRequest, rt: RuntimeDep) -> dict[str, Any]:
    """Mute or unmute the microphone: while muted nothing is captured or sent."""
    loop = rt.listener
    loop.set_muted(body.muted)
    return {"muted": loop.muted}


@router.get("/v1/state")
async def state(rt: RuntimeDep) -> dict[str, Any]:
    return {
        "state": rt.bus.state.value,
        "mode": rt.mode,
        "simulated": rt.simulated,
        "last": rt.runner.last,
        "muted": rt.listener.muted,
    }
