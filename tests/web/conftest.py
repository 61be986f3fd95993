"""Fixtures for the web tests: a running ``sam-edge run`` beside a fake Spotify."""

from __future__ import annotations

from tests.test_cli import env, service, spotify

__all__ = ["env", "service", "spotify"]
