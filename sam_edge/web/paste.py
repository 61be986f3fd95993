"""What the pairing pages say when finishing a pairing goes wrong, in the page's own terms.

The accounts layer speaks to ``sam-edge pair`` users ("run sam-edge pair spotify first"); a
browser on ``/pair`` gets the same facts as steps on that page: press Connect, paste the
address you were sent to, or nothing to do because the account is already paired.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from ..accounts.pairing import PkcePairing
from ..accounts.platforms import PlatformInfo
from ..errors import PairingError

EMPTY = ("Paste the whole address your browser was sent to after you allowed access "
         "(it starts with http://127.0.0.1).")


def _where(url: str) -> tuple[str, str, str]:
    parts = urlsplit(url.strip())
    return parts.scheme.lower(), parts.netloc.lower(), parts.path.rstrip("/")


def pasted_problem(info: PlatformInfo, pairing: PkcePairing, redirect_url: str) -> str | None:
    """Why a pasted address cannot finish the pairing before anything is tried, or None."""
    if not redirect_url.strip():
        return EMPTY
    if _where(redirect_url) != _where(pairing.redirect_uri):
        return (f"That address is not from {info.title}'s sign-in: after you press Connect "
                f"and allow access, {info.title} sends your browser to "
                f"{pairing.redirect_uri}?code=… — paste that whole address.")
    return None


async def in_web_terms(info: PlatformInfo, pairing: PkcePairing,
                       exc: PairingError) -> tuple[int, str]:
    """The status and sentence a pairing page shows for ``exc``."""
    if exc.code == "no_pending":
        stored = await pairing.stored()
        if stored is not None:
            name = stored.display_name or stored.account_id or "your account"
            return 409, (f"{info.title} is already paired as {name}; nothing changed. To pair "
                         "another account, press Reconnect first.")
        return 409, "Press Connect first, then paste the address you were sent to."
    if exc.code == "expired":
        return 409, ("That sign-in is more than 10 minutes old: press Connect again, then "
                     "paste the new address.")
    return 400, exc.message
