"""What every ``sam-edge`` command shares: logging set-up, one-line errors, the service probe."""

from __future__ import annotations

import logging
import sys

import httpx

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
    try:
        response = httpx.get(f"{settings.service_url}/health", timeout=0.5)
        return response.status_code == 200 and response.json().get("status") == "ok"
    except (httpx.HTTPError, ValueError):
        return False
