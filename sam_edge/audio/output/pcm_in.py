"""``sam-edge-pcm-in``: forwards PCM on standard input to the running service's output stage.

librespot's ``subprocess`` backend starts it for every play and writes 44.1 kHz S16 stereo to
its standard input (hardware/echo-reference.md). It sends the stream header, then copies stdin
to the socket; a full socket blocks it, so librespot is paced by the card. Without the service
it reads and drops stdin in real time (Spotify keeps its pace) and tries to connect again.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import os
import socket
import sys
import time
from collections.abc import Sequence

from .header import SOCKET_BYTES, StreamHeader

PIPE_BYTES = 4096

DEFAULT_SOCKET = "/run/sam-edge/pcm.sock"
CHUNK = 4096
RETRY_S = 1.0


def _connect(path: str, header: StreamHeader) -> socket.socket | None:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SOCKET_BYTES)
    try:
        sock.connect(path)
        sock.sendall(header.line())
    except OSError:
        sock.close()
        return None
    return sock


def forward(stdin: int, path: str, header: StreamHeader) -> int:
    """Copy ``stdin`` to the service until end of input; returns an exit status."""
    with contextlib.suppress(OSError):
        fcntl.fcntl(stdin, fcntl.F_SETPIPE_SZ, PIPE_BYTES)
    bytes_per_s = 2 * header.channels * header.rate
    sock: socket.socket | None = None
    retry_at = 0.0
    try:
        while True:
            if sock is None and time.monotonic() >= retry_at:
                sock = _connect(path, header)
                retry_at = time.monotonic() + RETRY_S
            data = os.read(stdin, CHUNK)
            if not data:
                return 0
            if sock is not None:
                try:
                    sock.sendall(data)
                    continue
                except OSError:
                    sock.close()
                    sock = None
            time.sleep(len(data) / bytes_per_s)  # nobody listens: keep the writer's pace
    finally:
        if sock is not None:
            sock.close()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="sam-edge-pcm-in", description=__doc__)
    parser.add_argument("--rate", type=int, default=44_100)
    parser.add_argument("--channels", type=int, default=2)
    parser.add_argument("--name", default="spotify", help="the input's name in the stage")
    parser.add_argument("--socket", default=os.environ.get("SAM_AUDIO_PCM_SOCKET",
                                                          DEFAULT_SOCKET))
    args = parser.parse_args(argv)
    try:
        header = StreamHeader(args.name, args.rate, args.channels)
        StreamHeader.parse(header.line())
    except ValueError as exc:
        parser.error(str(exc))
    with contextlib.suppress(KeyboardInterrupt):
        return forward(sys.stdin.fileno(), args.socket, header)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
