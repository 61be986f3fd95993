"""``sam-edge chat``: to the running service when one answers, else in-process."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from ..settings import Settings
from ._common import err, service_answers, setup_logging


def _print_turn(result: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print(json.dumps(result, ensure_ascii=False), flush=True)
    else:
        print(result.get("response_text") or f"({result.get('status')})", flush=True)


Turn = Callable[[str], Awaitable[dict[str, Any]]]


async def _converse(turn: Turn, text: str | None, as_json: bool) -> int:
    """One turn for ``text``, else an interactive prompt until EOF or "quit"."""
    from ..web.schemas import MAX_TEXT

    if text is not None:
        if not text.strip() or len(text) > MAX_TEXT:
            err(f"text must be 1-{MAX_TEXT} characters")
            return 2
        _print_turn(await turn(text), as_json)
        return 0
    while True:
        try:
            line = await asyncio.to_thread(input, "you> ")
        except (EOFError, KeyboardInterrupt):
            print(file=sys.stderr)
            return 0
        if line.strip().lower() in ("quit", "exit"):
            return 0
        if line.strip():
            _print_turn(await turn(line[:MAX_TEXT]), as_json)


async def _remote_chat(settings: Settings, text: str | None, session_id: str,
                       as_json: bool) -> int:
    async with httpx.AsyncClient(base_url=settings.service_url, timeout=30.0) as client:

        async def turn(line: str) -> dict[str, Any]:
            response = await client.post("/v1/chat/message",
                                         json={"text": line, "session_id": session_id})
            response.raise_for_status()
            return dict(response.json())

        try:
            return await _converse(turn, text, as_json)
        except httpx.HTTPError as exc:
            err(f"the running service did not answer: {exc}")
            return 1


async def _local_chat(settings: Settings, text: str | None, session_id: str,
                      as_json: bool) -> int:
    from ..app.runtime import build_runtime

    runtime = await build_runtime(settings)

    async def turn(line: str) -> dict[str, Any]:
        return (await runtime.runner.chat(line, session_id)).to_dict()

    try:
        return await _converse(turn, text, as_json)
    finally:
        await runtime.aclose()


def cmd_chat(settings: Settings, args: argparse.Namespace) -> int:
    setup_logging("WARNING" if settings.log.level != "DEBUG" else "DEBUG")
    text = " ".join(args.text) if args.text else None
    if service_answers(settings):
        return asyncio.run(_remote_chat(settings, text, args.session, args.json))
    err("no running service answered at "
         f"{settings.service_url}; running in-process (playback stops when this command exits)")
    return asyncio.run(_local_chat(settings, text, args.session, args.json))
