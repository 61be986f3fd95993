"""Operating a device: ``status``, ``doctor``, ``forget`` and ``reset`` for the ``sam-edge`` CLI.

Each function takes the settings and returns the text to print (``doctor`` also an exit code).
All but :func:`reset` work while ``sam-edge run`` holds the database: SQLite runs in WAL mode
with a busy timeout, so they read and write beside it. :func:`reset` refuses while the service
answers on its port. Problems a person can fix raise :class:`OpsError` with a one-line message.
"""

from __future__ import annotations

from ._common import OpsError, ServiceRunning
from .doctor import doctor
from .reset import forget, reset
from .status import status_report

__all__ = ["OpsError", "ServiceRunning", "doctor", "forget", "reset", "status_report"]
