"""``sam-edge status``: accounts, last sync, caches, the running service and recent turns.

Read-only: it never creates the database, the key file or a cache that is not there yet.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import diskcache
from sqlalchemy import text
from sqlalchemy.ext.asyncio import async_sessionmaker

from .. import __version__
from ..accounts.report import not_connected_reason
from ..accounts.store import DbTokenStore
from ..app.core import existing_cipher
from ..db.turns import TurnRecords
from ..settings import Settings
from ._common import check_owner, human_bytes, open_database, service_json, tables

PLATFORMS = ("spotify", "soundcloud")
RECENT_TURNS = 5


def _when(ts: object, now: float) -> str:
    if not isinstance(ts, int | float) or ts <= 0:
        return str(ts) if ts else "?"
    stamp = time.strftime("%Y-%m-%d %H:%M", time.localtime(ts))
    ago = now - ts
    if ago < 0:
        return stamp
    for size, unit in ((86400, "d"), (3600, "h"), (60, "min")):
        if ago >= size:
            return f"{stamp} ({ago // size:.0f} {unit} ago)"
    return f"{stamp} (just now)"


async def _accounts(settings: Settings, sessions: async_sessionmaker[Any]) -> list[str]:
    async with sessions() as session:
        names = [row[0] for row in await session.execute(
            text("SELECT DISTINCT platform_name FROM platform_accounts ORDER BY 1"))]
    store = DbTokenStore(sessions, existing_cipher(settings.data.dir))
    lines = []
    for platform in dict.fromkeys([*PLATFORMS, *names]):
        info = await store.info(platform)
        if info is None:
            lines.append(f"{platform}: not paired")
            continue
        who = info.display_name or info.account_id or "an unnamed account"
        if info.connected:
            lines.append(f"{platform}: paired as {who}")
        else:
            reason = not_connected_reason(platform, info.readable, info.refused)
            lines.append(f"{platform}: paired as {who}, connected: false: {reason}")
    return lines


def _sync_line(row: Mapping[str, Any], now: float) -> str:
    counts = " ".join(f"{sign}{row[key]}" for sign, key in
                      (("+", "added"), ("~", "updated"), ("-", "removed"))
                      if row.get(key))
    when = _when(row.get("finished_at") or row.get("started_at"), now)
    status = row.get("status") or "?"
    error = f": {row['error']}" if row.get("error") else ""
    return f"{row.get('platform', '?')}: {status} {when}{' ' + counts if counts else ''}{error}"


async def _last_sync(sessions: async_sessionmaker[Any], present: set[str],
                     now: float) -> list[str]:
    if "sync_runs" not in present:
        return ["never"]
    async with sessions() as session:
        rows = (await session.execute(
            text("SELECT * FROM sync_runs ORDER BY id DESC LIMIT 50"))).mappings().all()
    latest: dict[str, Mapping[str, Any]] = {}
    for row in rows:
        latest.setdefault(str(row.get("platform", "?")), row)
    return [_sync_line(row, now) for _, row in sorted(latest.items())] or ["never"]


async def _search_rows(sessions: async_sessionmaker[Any], present: set[str]) -> int | None:
    if "search_cache" not in present:
        return None
    async with sessions() as session:
        return int(await session.scalar(text("SELECT count(*) FROM search_cache")) or 0)


async def _recent_turns(sessions: async_sessionmaker[Any], present: set[str],
                        now: float) -> list[str]:
    """The newest turns of every kind (voice, upload, chat, button) with their timings."""
    if "turn_log" not in present:
        return []
    turns = await TurnRecords(sessions).recent(RECENT_TURNS)
    return [f"{_when(t.created_at, now)}  {t.source:<6} {t.action or '-':<10} "
            f"{(t.code or t.status):<14} {_timings(t.timings) or 'no timings'}" for t in turns]


async def _recent_requests(sessions: async_sessionmaker[Any], present: set[str],
                           now: float) -> list[str]:
    """What was asked lately, from the dialog history (``sam-edge forget`` erases it)."""
    if "dialog_turns" not in present:
        return []
    async with sessions() as session:
        rows = (await session.execute(text(
            "SELECT created_at, user_text, action, status FROM dialog_turns "
            "ORDER BY created_at DESC, id DESC LIMIT :n"), {"n": RECENT_TURNS})).all()
    return [f"{_when(at, now)}  {action:<10} {status:<14} {user_text[:60]!r}"
            for at, user_text, action, status in rows]


def _diskcache_line(name: str, directory: Path) -> str:
    if not (directory / "cache.db").exists():
        return f"{name}: empty"
    with diskcache.Cache(str(directory)) as cache:
        return f"{name}: {human_bytes(cache.volume())} in {len(cache)} entries"


def _timings(timings: Mapping[str, Any]) -> str:
    return ", ".join(f"{k} {float(v):.0f} ms" for k, v in timings.items()
                     if isinstance(v, int | float))


def _service(settings: Settings) -> list[str]:
    health = service_json(settings, "/health")
    if health is None:
        return [f"not running (nothing answers at {settings.service_url}): "
                "sudo systemctl start sam-edge"]
    lines = [f"running at {settings.service_url}, version {health.get('version', '?')}, "
             f"{health.get('mode', '?')} mode"]
    if health.get("simulated"):
        lines.append("simulated: " + "; ".join(map(str, health["simulated"])))
    if health.get("sound_card") == "missing":
        lines.append("sound card: missing (unplugged?): nothing can be heard or played")
    try:
        code = (settings.data.dir / "pairing-code").read_text().strip()
    except OSError:
        code = ""
    if code:
        lines.append(f"pairing code for browsers on the network: {code}")
    state = service_json(settings, "/v1/state")
    if state is not None:
        lines.append(f"state: {state.get('state', '?')}")
        last = state.get("last") or {}
        if isinstance(last, dict) and last:
            lines.append(f"last voice turn: {last.get('status', '?')} "
                         f"{_when(last.get('at'), time.time())}: "
                         f"{_timings(last.get('timings_ms') or {}) or 'no timings'}")
    return lines


async def _gather(settings: Settings, now: float) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {"accounts": [f"{p}: not paired" for p in PLATFORMS],
                                 "sync": ["never"], "turns": []}
    search_rows: int | None = None
    async with open_database(settings) as sessions:
        if sessions is not None:
            async with sessions() as session:
                present = await tables(session)
            if "platform_accounts" in present:
                out["accounts"] = await _accounts(settings, sessions)
            out["sync"] = await _last_sync(sessions, present, now)
            search_rows = await _search_rows(sessions, present)
            out["turns"] = await _recent_turns(sessions, present, now)
            out["requests"] = await _recent_requests(sessions, present, now)
    out["cache"] = [
        _diskcache_line("hot cache", settings.cache_dir),
        _diskcache_line("phrase cache", settings.phrase_cache_dir),
        f"search_cache: {search_rows if search_rows is not None else 0} rows",
    ]
    return out


def status_report(settings: Settings, *, now: float | None = None) -> str:
    """Everything a person asks first about a device, as text: no keys or tokens, only this
    run's pairing code for browsers on the network (as in the log)."""
    check_owner(settings.data.dir)
    now = time.time() if now is None else now
    facts = asyncio.run(_gather(settings, now))
    sections = [
        ("Service", _service(settings)),
        ("Accounts", facts["accounts"]),
        ("Last sync", facts["sync"]),
        ("Cache", facts["cache"]),
        ("Recent turns", facts["turns"] or ["none"]),
        ("Recent requests", facts.get("requests") or ["none"]),
    ]
    lines = [f"SAM Edge {__version__}, data in {settings.data.dir}"]
    for title, items in sections:
        lines.append(f"{title}:")
        lines.extend(f"  {item}" for item in items)
    return "\n".join(lines)
