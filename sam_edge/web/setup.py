"""``/setup``: accounts, library sync, the music folder, the keys (names only), the ``doctor``
checks and the mode; in the simulated mode a short first-run checklist. ``GET /v1/setup`` and
``GET /v1/setup/checks`` are its JSON, ``POST /v1/setup/sync`` its "sync now" button."""

from __future__ import annotations

import asyncio
import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse

from ..accounts.platforms import PLATFORMS
from ..app.runtime import Runtime
from ..errors import SamError
from ..settings import config_path
from ..sync.service import SyncProgress
from .deps import RuntimeDep
from .problem import problem, problem_responses

if TYPE_CHECKING:
    from ..ops.checks import Check

log = logging.getLogger(__name__)

router = APIRouter()

PAGE = Path(__file__).with_name("templates") / "setup.html"
REACH_TIMEOUT_S = 2.0


@dataclass
class SyncNow:
    """The sync the page started (one at a time), with its progress."""

    running: bool = False
    progress: dict[str, Any] = field(default_factory=dict)
    result: list[str] = field(default_factory=list)
    task: asyncio.Task[None] | None = None

    def on_progress(self, step: SyncProgress) -> None:
        self.progress = {"platform": step.platform, "phase": step.phase, "done": step.done,
                         "total": step.total}


def _sync_now(request: Request) -> SyncNow:
    state = request.app.state
    if not hasattr(state, "sync_now"):
        state.sync_now = SyncNow()
    found: SyncNow = state.sync_now
    return found


async def _accounts(rt: Runtime) -> list[dict[str, Any]]:
    out = []
    for name, info in PLATFORMS.items():
        entry: dict[str, Any] = {"platform": name, "title": info.title, "configured": False,
                                 "connected": False, "as": "", "todo": "", "link": ""}
        if not getattr(getattr(rt.settings, name), "client_id", ""):
            entry["todo"] = (f"Set {info.env} (or {info.key} in the config file) to your app's "
                             "client id, then restart SAM Edge.")
            entry["link"] = "/setup#keys"
        else:
            entry["configured"] = True
            account = await rt.tokens.info(name)
            if account is not None and account.readable:
                entry.update(connected=True,
                             **{"as": account.display_name or account.account_id or "an account"})
            else:
                entry["todo"] = f"Connect your {info.title} account on the Accounts page."
                entry["link"] = "/pair"
        out.append(entry)
    return out


async def _library(rt: Runtime) -> list[dict[str, Any]]:
    out = []
    for name in PLATFORMS:
        if name not in rt.platforms:
            continue
        run = await rt.sync.store.latest_run(name)
        totals = await rt.sync.store.totals(name)
        entry: dict[str, Any] = {"platform": name, "title": PLATFORMS[name].title,
                                 "liked": totals.liked, "playlists": totals.playlists,
                                 "items": totals.items, "last": None}
        if run is not None:
            entry["last"] = {"status": run.status, "started_at": run.started_at,
                             "finished_at": run.finished_at, "added": run.added,
                             "updated": run.updated, "removed": run.removed,
                             "error": run.error}
        out.append(entry)
    return out


async def _music(rt: Runtime) -> dict[str, Any]:
    folder = rt.settings.music.dir.expanduser()
    local = rt.platforms.get("local")
    library = getattr(local, "library", None)
    if library is not None:
        await library.arefresh()
    exists = folder.is_dir()
    return {"path": str(folder), "exists": exists,
            "tracks": len(library.tracks) if library is not None and exists else 0,
            "message": "" if exists else f"The folder {folder} does not exist."}


def _keys(rt: Runtime) -> list[dict[str, Any]]:
    out = []
    from ..ops.checks import KEYS  # the checks load when the page asks for them

    for section, key, enables in KEYS:
        name = f"SAM_{section}_{key}".upper()
        out.append({"name": name, "set": bool(getattr(getattr(rt.settings, section), key)),
                    "for": enables})
    return out


def _checklist(rt: Runtime, accounts: list[dict[str, Any]], music: dict[str, Any],
               keys: list[dict[str, Any]]) -> list[dict[str, Any]]:
    key_set = {k["name"]: k["set"] for k in keys}
    items = [{"text": "Say something: press Talk", "done": bool(rt.turns.recent()),
              "link": "/#ask-h"}]
    for account in accounts:
        if account["configured"]:
            items.append({"text": f"Pair {account['title']}", "done": account["connected"],
                          "link": "/pair"})
    if not any(a["configured"] for a in accounts):
        items.append({"text": "Add a Spotify client id to play from Spotify",
                      "done": False, "link": "/setup#keys"})
    items.append({"text": "Add a Groq key for speech-to-text",
                  "done": key_set.get("SAM_GROQ_API_KEY", False), "link": "/setup#keys"})
    items.append({"text": f"Put music in {music['path']}", "done": music["tracks"] > 0,
                  "link": "/setup#music"})
    mic = not any(s.startswith("microphone") for s in rt.simulated)
    items.append({"text": "Connect a microphone and a speaker", "done": mic,
                  "link": "/setup#checks"})
    return items


@router.get("/setup", response_class=HTMLResponse)
async def setup_page() -> HTMLResponse:
    return HTMLResponse(PAGE.read_text(encoding="utf-8"))


@router.get("/v1/setup")
async def setup(rt: RuntimeDep, request: Request) -> dict[str, Any]:
    """Everything the setup page shows except the checks (they take a moment)."""
    accounts = await _accounts(rt)
    music = await _music(rt)
    keys = _keys(rt)
    syncing = _sync_now(request)
    return {
        "mode": rt.mode, "version": rt.version, "simulated": rt.simulated,
        "checklist": _checklist(rt, accounts, music, keys) if rt.mode == "simulated" else [],
        "accounts": accounts, "library": await _library(rt),
        "sync": {"running": syncing.running, "progress": syncing.progress,
                 "result": syncing.result},
        "music": music, "keys": keys,
    }


def _check(check: Check) -> dict[str, str]:
    return {"name": check.name, "verdict": check.level.value, "detail": check.detail,
            "fix": check.fix}


@router.get("/v1/setup/checks")
async def checks(rt: RuntimeDep) -> dict[str, Any]:
    """The ``doctor`` checks that need no sound played (the test tone is left to the CLI)."""
    settings = rt.settings
    config = config_path(None, os.environ)
    from ..ops import checks as ops  # loaded when the page asks for them

    found: list[Check] = []
    found += await asyncio.to_thread(ops.audio_checks, settings)
    found.append(ops.aplay_check(settings))
    found += ops.tool_checks(settings)
    found += ops.key_checks(settings)
    found.append(await asyncio.to_thread(ops.disk_check, settings))
    found += ops.permission_checks(settings, config)
    found += await ops.reach_checks(settings, timeout=REACH_TIMEOUT_S)
    return {"checks": [_check(c) for c in found]}


@router.post("/v1/setup/sync", status_code=202, response_model=None,
             responses=problem_responses(409))
async def sync_now(rt: RuntimeDep, request: Request) -> dict[str, Any] | JSONResponse:
    """Sync every paired platform's library now."""
    syncing = _sync_now(request)
    if syncing.running:
        return problem(409, "sync_busy", "A sync is already running.")
    if not await rt.sync.paired():
        message = "No account is paired yet: connect one on the Accounts page first."
        return problem(409, "needs_pairing", message)

    async def run() -> None:
        try:
            summaries = await rt.sync.sync(None, progress=syncing.on_progress)
            syncing.result = [s.line() for s in summaries]
        except SamError as exc:
            syncing.result = [exc.message]
        except Exception:
            log.exception("the library sync failed")
            syncing.result = ["The sync failed; the log says why."]
        finally:
            syncing.running, syncing.progress = False, {}

    syncing.running, syncing.result = True, []
    syncing.task = asyncio.get_running_loop().create_task(run())
    return {"running": True, "started_at": time.time()}
