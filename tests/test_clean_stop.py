"""``sam-edge run`` stops cleanly on SIGTERM and SIGINT: within 5 s, exit 0, no traceback,
after its shutdown ran (the database closed, so SQLite removed its write-ahead log)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

STOP_DEADLINE_S = 5.0


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_healthy(url: str, proc: subprocess.Popen[str], deadline_s: float = 60.0) -> None:
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        assert proc.poll() is None, "sam-edge run exited before it was ready"
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    pytest.fail("sam-edge run did not answer /health in time")


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_stop_signal_ends_the_service_cleanly(tmp_path: Path, sig: signal.Signals) -> None:
    port = _port()
    env = {**os.environ, "SAM_DATA_DIR": str(tmp_path / "data"),
           "SAM_MUSIC_DIR": str(tmp_path / "music"), "SAM_HTTP_PORT": str(port),
           "SAM_PLAYER_AUDIO_OUTPUT": "null", "SAM_CONFIG": str(tmp_path / "absent.toml")}
    for key in ("SAM_GROQ_API_KEY", "SAM_ELEVENLABS_API_KEY", "SAM_SPOTIFY_CLIENT_ID",
                "SAM_SOUNDCLOUD_CLIENT_ID"):
        env.pop(key, None)
    exe = str(Path(sys.executable).with_name("sam-edge"))
    proc = subprocess.Popen([exe, "run"], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        _wait_healthy(f"http://127.0.0.1:{port}/health", proc)
        chat = urllib.request.Request(f"http://127.0.0.1:{port}/v1/chat/message",
                                      data=b'{"text": "pause"}',
                                      headers={"Content-Type": "application/json"})
        urllib.request.urlopen(chat, timeout=30).read()  # a turn to flush into the history

        started = time.monotonic()
        proc.send_signal(sig)
        _out, err = proc.communicate(timeout=30)
        took = time.monotonic() - started
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()

    assert proc.returncode == 0, err
    assert took < STOP_DEADLINE_S, f"stopping took {took:.1f} s"
    assert "Traceback" not in err and "KeyboardInterrupt" not in err
    assert "stopped: players stopped, history flushed, database closed" in err
    assert not (tmp_path / "data" / "sam-edge.sqlite3-wal").exists()
