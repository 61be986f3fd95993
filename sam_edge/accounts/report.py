"""What is known about a paired account, as the status API and the pages show it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from .store import DbTokenStore


def iso(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
    elif isinstance(value, int | float):
        moment = datetime.fromtimestamp(float(value), UTC)
    else:
        return str(value)
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def not_connected_reason(platform: str, readable: bool, refused: str) -> str:
    """Why stored tokens are of no use, for a person."""
    if refused:
        return (f"{platform} refused to renew the sign-in ({refused}): "
                f"pair again with sam-edge pair {platform}")
    if not readable:
        return ("the stored tokens cannot be read (the key changed): "
                f"pair again with sam-edge pair {platform}")
    return ""


async def account_status(store: DbTokenStore, platform: str,
                         last_sync_at: str | None) -> dict[str, Any]:
    info = await store.info(platform)
    connected = info is not None and info.connected
    account = None
    if info is not None and (info.account_id or info.display_name):
        account = {"id": info.account_id or None,
                   "display_name": info.display_name or info.account_id or None}
    status: dict[str, Any] = {
        "platform": platform,
        "connected": connected,
        "account": account,
        "token_expires_at": iso(info.expires_at) if connected and info else None,
        "last_sync_at": last_sync_at,
        "scopes": sorted(set(info.scope.split())) if connected and info else [],
    }
    if info is not None and not connected:
        status["reason"] = not_connected_reason(platform, info.readable, info.refused)
    return status
