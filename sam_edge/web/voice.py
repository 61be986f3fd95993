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
from .problem import problem, problem_responses

log = logging.getLogger(__name__)

router = APIRouter()


@router.post("/v1/voice/process", responses=problem_responses(400, 413, 415, 422, 503))
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
        return problem(413, "too_large",
                        f"The upload is larger than {limits.max_upload_mb:g} MB.")
    try:
        clip = await asyncio.to_thread(decode_upload, data,
                                       max_seconds=limits.max_upload_seconds)
    except AudioError as exc:
        log.info("refused an upload: %s", exc.message)
        return problem(exc.status, exc.code, exc.message)
    runner = rt.runner
    if runner.stt is None:
        return problem(503, "stt_unavailable", NO_STT)
    try:
        result = await runner.voice(clip, source=Source.UPLOAD,
                                    session_id=session_id or "default", play=False,
                                    collect=reply_audio)
    except SttMissing as exc:
        return problem(503, exc.code, exc.message)
    return result.to_dict(reply_audio=reply_audio)


MUTED = "The microphone is muted. Press Unmute (or the mute button) to talk."
@router.post("/v1/listen", status_code=202, response_model=None, responses=problem_responses(409))
async def listen(rt: RuntimeDep) -> dict[str, Any] | JSONResponse:
    """The talk button: start listening now (or stop a reply that is playing). While the
    microphone is muted nothing listens: the device says so and stays idle."""
    loop = rt.listener
    if loop.muted:
        rt.say_soon(MUTED)
        return problem(409, "muted", MUTED)
    started = loop.talk()
    return {"listening": True, "source": started}


class MicrophoneRequest(BaseModel):
    muted: bool


@router.post("/v1/microphone", responses=problem_responses(400, 422))
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


@router.post("/v1/forget")
async def forget(rt: RuntimeDep) -> dict[str, Any]:
    """Forget what was said in memory too (``sam-edge forget`` erases the stored history)."""
    rt.runner.forget_words()
    rt.turns.forget_words()
    return {"forgotten": True}
