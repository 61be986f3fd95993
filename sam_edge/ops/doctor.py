"""``sam-edge doctor``: what works on this device, and for each failure what to do about it."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from ..audio.capture import SOUND_CARDS
from ..settings import Settings, config_path
from ._common import service_json
from .checks import (
    Check,
    Level,
    aplay_check,
    audio_checks,
    disk_check,
    key_checks,
    permission_checks,
    reach_checks,
    tone_check,
    tool_checks,
)


def _service_check(settings: Settings) -> Check:
    health = service_json(settings, "/health")
    if health is None:
        return Check("service", Level.WARN, f"nothing answers at {settings.service_url}",
                     "sudo systemctl start sam-edge; then journalctl -u sam-edge -e")
    return Check("service", Level.OK, f"running at {settings.service_url} "
                 f"({health.get('mode', '?')} mode)")


def _render(checks: list[Check]) -> str:
    width = max(len(c.name) for c in checks)
    lines = []
    for check in checks:
        lines.append(f"{check.level.value:<4}  {check.name:<{width}}  {check.detail}")
        if check.fix and check.level in (Level.FAIL, Level.WARN):
            lines.append(f"{'':<4}  {'':<{width}}  fix: {check.fix}")
    failed = sum(c.level is Level.FAIL for c in checks)
    warned = sum(c.level is Level.WARN for c in checks)
    if failed or warned:
        lines.append(f"{failed} problem(s), {warned} warning(s)")
    else:
        lines.append("everything looks fine")
    return "\n".join(lines)


async def _checks(settings: Settings, tone: bool, config: Path, cards: Path) -> list[Check]:
    reach = asyncio.create_task(reach_checks(settings))
    checks = [*audio_checks(settings, cards), aplay_check(settings)]
    if tone:
        checks.append(await tone_check(settings, cards))
    checks += tool_checks(settings)
    checks += key_checks(settings)
    checks += permission_checks(settings, config)
    checks.append(disk_check(settings))
    checks.append(await asyncio.to_thread(_service_check, settings))
    checks += await reach
    return checks


def doctor(settings: Settings, *, tone: bool = False, config: Path | None = None,
           cards: Path = SOUND_CARDS) -> tuple[str, int]:
    """The report and the exit code: 1 when anything is broken, else 0 (warnings included).

    ``config`` is the settings file in use (default: the one ``--config``/``SAM_CONFIG`` name);
    ``tone`` plays a short test tone through the speaker.
    """
    config = config if config is not None else config_path(None, os.environ)
    checks = asyncio.run(_checks(settings, tone, config, cards))
    return _render(checks), int(any(c.level is Level.FAIL for c in checks))
