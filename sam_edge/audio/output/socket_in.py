"""The stage's local input end: writers connect to a Unix socket and stream PCM.

A writer (``sam-edge-pcm-in``, started by librespot for every play) sends one JSON line,
``{"name": "spotify", "rate": 44100, "channels": 2}``, then raw S16 little-endian PCM. A new
connection of the same name replaces the old one at once (librespot kills its child on pause and
starts another on resume); a writer that goes away leaves silence. The socket's buffers are
small, so the writer blocks at the card's pace.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
from pathlib import Path

from .header import SOCKET_BYTES, StreamHeader
from .inputs import FdInput
from .stage import OutputStage

log = logging.getLogger(__name__)

HEADER_MAX = 512


class PcmSocketServer:
    def __init__(self, stage: OutputStage, path: Path, *, buffer_ms: int = 50) -> None:
        self.stage = stage
        self.path = path
        self._buffer = stage.rate * buffer_ms // 1000
        self._sock: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self.connections = 0

    def start(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.unlink(missing_ok=True)
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.bind(str(self.path))
        # librespot runs as another (dynamic) user.
        os.chmod(self.path, 0o666)
        sock.listen(4)
        self._sock = sock
        self._thread = threading.Thread(target=self._accept, name="sam-pcm-in", daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        assert self._sock is not None
        while True:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return  # closed
            try:
                self._take(conn)
            except (OSError, ValueError, KeyError) as exc:
                log.warning("a PCM writer was refused: %s", exc)
                conn.close()

    def _take(self, conn: socket.socket) -> None:
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, SOCKET_BYTES)
        conn.settimeout(2.0)
        line = b""
        while not line.endswith(b"\n"):
            byte = conn.recv(1)
            if not byte or len(line) > HEADER_MAX:
                raise ValueError("no stream header")
            line += byte
        header = StreamHeader.parse(line)
        conn.settimeout(None)
        inp = FdInput(header.name, conn.fileno(),
                      self.stage.converter(header.rate, header.channels),
                      buffer_frames=self._buffer, on_close=conn.close)
        self.connections += 1
        log.info("PCM writer %r: %d Hz, %d channels", header.name, header.rate,
                 header.channels)
        self.stage.attach(inp)

    def close(self) -> None:
        sock, self._sock = self._sock, None
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()
        if self._thread is not None:
            self._thread.join(2.0)
        self.path.unlink(missing_ok=True)
