"""What every ``sam-edge`` command shares: logging set-up, one-line errors, the service probe."""

from __future__ import annotations

import logging
import sys

from ..settings import Settings


def setup_logging(level: str) -> None:
    logging.basicConfig(
        level=getattr(logging, level, logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    for noisy in ("httpx", "httpcore", "urllib3", "alembic", "groq", "huey"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLogger().level))
    # spotipy logs every HTTP error at ERROR, even the 401 that a refresh then fixes; the
    # adapter reports what really failed.
    logging.getLogger("spotipy").setLevel(logging.CRITICAL)


def err(message: str) -> None:
    print(f"sam-edge: {message}", file=sys.stderr)


def service_answers(settings: Settings) -> bool:
    """Whether a ``sam-edge run`` answers at ``SAM_HTTP_HOST:SAM_HTTP_PORT``."""
    from ..ops._common import service_json

    health = service_json(settings, "/health", timeout=0.5)
    return health is not None and health.get("status") == "ok"
