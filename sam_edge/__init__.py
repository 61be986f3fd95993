"""SAM Edge: a voice assistant for music that lives on a Raspberry Pi."""

from __future__ import annotations

import sys

__version__ = "0.1.0"

__all__ = ["__version__"]

# httpx imports its own command-line tool (click, rich, pygments: about 6 MB) whenever they are
# installed. SAM Edge never runs it, and a Pi has little memory to spare; httpx falls back to a
# stub when the import fails. A no-op when httpx was imported first.
sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]
