"""Voice over HTTP: ``POST /v1/voice/process`` (a contract), the talk button, the live state."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from pydantic import BaseModel

from ..audio.errors import AudioError
from ..audio.sources import decode_upload
from ..pipeline.voice import NO_STT, SttMissing
from .problem import problem, problem_responses

log = logging.getLogger(__name__)

router = APIRouter()


@router.post("/v1/voice/process", responses=problem_responses(400, 413, 415, 422, 503))
async def voice_process(
    request: Request,
    file: UploadFile = File(...),
    session_id: str = Form("default", max_length=100),
    reply_audio: bool = Query(False),
) -> Any:
    rt = request.app.state.runtime
    limits = rt.settings.voice
    max_bytes = int(limits.max_upload_mb * 1024 * 1024)
    data = await file.read(max_bytes + 1)
    if len(data) > max_bytes:
        return problem(413, "too_large",
                        f"The upload is larger than {limits.max_upload_mb:g} MB.")
    try:
        clip = await asyncio.to_thread(decode_upload, data,
                                       max_seconds=limits.max_upload_seconds)
    except AudioError as exc:
        log.info("refused an upload: %s", exc.message)
        return problem(exc.status, exc.code, exc.message)
    pipeline = rt.pipeline
    if pipeline.stt is None:
        return problem(503, "stt_unavailable", NO_STT)
    try:
        result = await pipeline.process(clip, session_id=session_id or "default", play=False,
                                        collect=reply_audio)
    except SttMissing as exc:
        return problem(503, exc.code, exc.message)
    return result.to_dict(reply_audio=reply_audio)


@router.post("/v1/listen", status_code=202)
async def listen(request: Request) -> dict[str, Any]:
    """The talk button: start listening now (or stop a reply that is playing)."""
    loop = request.app.state.runtime.listener
    if loop is None:
        return {"listening": False, "reason": "no audio input"}
    started = loop.talk()
    return {"listening": True, "source": started}


class MicrophoneRequest(BaseModel):
    muted: bool


@router.post("/v1/microphone", responses=problem_responses(422))
async def microphone(body: MicrophoneRequest, request: Request) -> dict[str, Any]:
    """Mute or unmute the microphone: while muted nothing is captured or sent."""
    loop = request.app.state.runtime.listener
    if loop is None:
        return {"muted": True, "reason": "no audio input"}
    loop.set_muted(body.muted)
    return {"muted": loop.muted}


@router.get("/v1/state")
async def state(request: Request) -> dict[str, Any]:
    rt = request.app.state.runtime
    return {
        "state": rt.bus.state.value,
        "mode": rt.mode,
        "simulated": rt.simulated,
        "last": rt.pipeline.last,
        "muted": bool(rt.listener and rt.listener.muted),
    }
