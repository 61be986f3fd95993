"""``MpvPlayer``: the :class:`~sam_edge.player.base.Player` protocol over mpv's JSON IPC socket.

mpv starts on the first command that needs it (a daemon that never plays never starts it) and
runs ``--idle`` for the rest of the session. Each command is a ``{"command": [...],
"request_id": n}`` line; replies are matched by ``request_id`` and events are only used to
track whether a file ended or mpv went idle. Every wait is bounded. When mpv dies under us, the
next command restarts it once and retries (the play queue does not survive that).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from ..errors import PlatformError
from ..settings import PlayerSettings
from .base import PlayerState

logger = logging.getLogger(__name__)

IPC_TIMEOUT_S = 3.0
SOUND_CARDS = Path("/proc/asound/cards")
REPEAT_MODES = {"track": ("inf", "no"), "context": ("no", "inf"), "off": ("no", "no")}
"""Repeat state -> (``loop-file``, ``loop-playlist``)."""
_STATE_PROPERTIES = ("pause", "idle-active", "path", "time-pos", "volume", "playlist-pos",
                     "playlist-count")
# sun_path is 108 bytes on Linux; leave room for the terminating NUL.
_MAX_SOCKET_PATH = 100


class _Gone(Exception):
    """mpv is not there any more (process exited or the socket closed)."""


def resolve_audio_output(setting: str, cards: Path = SOUND_CARDS) -> str:
    """The effective ``--ao``: ``auto`` is ``null`` without a sound card, else mpv's default."""
    value = setting.strip()
    if value.lower() != "auto":
        return value
    try:
        listing = cards.read_text(errors="replace")
    except OSError:
        return "null"
    return "null" if not listing.strip() or "no soundcards" in listing.lower() else ""


class MpvPlayer:
    """Plays local files and stream URLs through one long-lived mpv process."""

    def __init__(self, settings: PlayerSettings, runtime_dir: Path) -> None:
        self._settings = settings
        self.audio_output = resolve_audio_output(settings.audio_output)
        self._volume = min(settings.start_volume, settings.max_volume)
        self._proc: asyncio.subprocess.Process | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._reader_task: asyncio.Task[None] | None = None
        self._pending: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self._ids = itertools.count(1)
        self._lock = asyncio.Lock()
        self._loaded = asyncio.Event()
        self.idle = True
        """True when mpv reported ``idle`` (nothing loaded) and no file started since."""
        self.last_end_reason = ""
        """``reason`` of the last ``end-file`` event: ``eof``, ``stop``, ``error``..."""
        self.socket_path = runtime_dir / "mpv.sock"
        if len(str(self.socket_path).encode()) > _MAX_SOCKET_PATH:
            self.socket_path = Path(tempfile.gettempdir(), f"sam-edge-mpv-{os.getpid()}.sock")

    @property
    def pid(self) -> int | None:
        """The running mpv's process id, ``None`` before the first command or after ``aclose``."""
        return self._proc.pid if self._proc is not None else None

    # -- Player protocol ---------------------------------------------------------------------

    async def play(self, paths: list[str], start: int = 0) -> None:
        if not paths:
            await self.stop()
            return
        start = max(0, min(start, len(paths) - 1))
        # Open the chosen file first and queue the rest only once it plays: entries added
        # before mpv has picked up the new current entry can make it start another one.
        self._loaded.clear()
        await self._call_many([["set_property", "pause", False],
                               ["loadfile", paths[start], "replace"]])
        await self._until_loaded()
        # append-play: if the chosen file could not be opened, go on with the next one.
        commands: list[list[Any]] = [["loadfile", p, "append-play"]
                                     for p in paths[start + 1:] + paths[:start]]
        tail = len(paths) - start
        commands += [["playlist-move", tail + i, i] for i in range(start)]
        if commands:
            await self._call_many(commands)

    async def enqueue(self, path: str) -> None:
        # append-play: queueing while nothing is loaded should start playing.
        await self._call("loadfile", path, "append-play")

    async def pause(self) -> None:
        if self._started:
            await self._call("set_property", "pause", True)

    async def resume(self) -> None:
        if self._started:
            await self._call("set_property", "pause", False)

    async def stop(self) -> None:
        if self._started:
            await self._call("stop")

    async def next(self) -> None:
        await self._step("playlist-next", "There is no next song in the queue.")

    async def previous(self) -> None:
        await self._step("playlist-prev", "There is no previous song in the queue.")

    async def set_volume(self, level: int) -> None:
        self._volume = max(0, min(int(level), self._settings.max_volume))
        if self._started:
            await self._call("set_property", "volume", self._volume)

    async def state(self) -> PlayerState:
        if not self._started:
            return PlayerState(is_playing=False, volume=self._volume)
        queries = [["get_property", name] for name in _STATE_PROPERTIES]
        replies = await self._call_many(queries, check=False)
        value = {
            name: reply.get("data") if reply.get("error") == "success" else None
            for name, reply in zip(_STATE_PROPERTIES, replies, strict=True)
        }
        idle = bool(value["idle-active"]) or not value["path"]
        if isinstance(value["volume"], int | float):
            self._volume = round(value["volume"])
        return PlayerState(
            is_playing=not idle and not value["pause"],
            path="" if idle else str(value["path"]),
            position_s=float(value["time-pos"] or 0.0),
            volume=self._volume,
            queue_index=int(value["playlist-pos"] if value["playlist-pos"] is not None else -1),
            queue_length=int(value["playlist-count"] or 0),
        )

    async def aclose(self) -> None:
        async with self._lock:
            polite = self._alive() and self._writer is not None
            if polite and self._writer is not None:
                with contextlib.suppress(OSError, RuntimeError, TimeoutError):
                    self._writer.write(b'{"command": ["quit"]}\n')
                    await asyncio.wait_for(self._writer.drain(), 1.0)
            await self._shutdown(polite=polite)

    # -- extras beyond the protocol ---------------------------------------------------------

    async def shuffle(self, state: bool) -> None:
        """Shuffle the queue (the current song keeps playing) or put it back in order."""
        if state:
            await self._call("playlist-shuffle")
        else:
            await self._call("playlist-unshuffle", check=False)

    async def repeat(self, state: str) -> None:
        """``track`` loops the current file, ``context`` the queue, ``off`` neither."""
        loop_file, loop_playlist = REPEAT_MODES[state]
        await self._call_many([["set_property", "loop-file", loop_file],
                               ["set_property", "loop-playlist", loop_playlist]])

    # -- process and IPC ------------------------------------------------------------------------

    @property
    def _started(self) -> bool:
        return self._proc is not None

    @property
    def started(self) -> bool:
        """mpv was started (it starts on the first command that needs it)."""
        return self._proc is not None

    def alive(self) -> bool:
        return self._alive()

    async def restart(self) -> None:
        """Start mpv again after it died (the queue is lost)."""
        await self._ensure_running()

    def _alive(self) -> bool:
        task, proc = self._reader_task, self._proc
        return proc is not None and proc.returncode is None and task is not None and not task.done()

    async def _step(self, command: str, at_the_end: str) -> None:
        if not self._started:
            raise PlatformError("Nothing is playing.", code="nothing_playing")
        self._loaded.clear()
        reply = await self._call(command, check=False)
        if reply.get("error") != "success":
            raise PlatformError(at_the_end, code="queue_end")
        await self._until_loaded()

    async def _until_loaded(self) -> None:
        # Return once the new file is open, so an immediate state() already reports it.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._loaded.wait(), IPC_TIMEOUT_S)

    async def _call(self, *args: Any, check: bool = True) -> dict[str, Any]:
        return (await self._call_many([list(args)], check=check))[0]

    async def _call_many(self, commands: list[list[Any]], *, check: bool = True) -> list[Any]:
        """Send ``commands`` in one write and wait for every reply (restarting mpv once)."""
        for attempt in (1, 2):
            await self._ensure_running()
            proc = self._proc
            try:
                replies = await self._send(commands)
                break
            except _Gone as exc:
                if attempt == 2:
                    message = "The music player stopped and could not be restarted."
                    raise PlatformError(message, code="player_failed") from exc
                logger.warning("mpv went away (%s); restarting it, the play queue was lost", exc)
                async with self._lock:
                    if self._proc is proc:  # another command may have restarted it already
                        await self._shutdown()
        for command, reply in zip(commands, replies, strict=True):
            if check and reply.get("error") != "success":
                message = f"The music player refused {command[0]}: {reply.get('error')}."
                raise PlatformError(message, code="player_error")
        return replies

    async def _send(self, commands: list[list[Any]]) -> list[dict[str, Any]]:
        if not self._alive() or self._writer is None:
            raise _Gone("mpv is not running")
        loop = asyncio.get_running_loop()
        futures: list[asyncio.Future[dict[str, Any]]] = []
        lines = []
        for command in commands:
            request_id = next(self._ids)
            future: asyncio.Future[dict[str, Any]] = loop.create_future()
            self._pending[request_id] = future
            futures.append(future)
            lines.append(json.dumps({"command": command, "request_id": request_id}))
        try:
            self._writer.write(("\n".join(lines) + "\n").encode())
            async with asyncio.timeout(IPC_TIMEOUT_S):
                await self._writer.drain()
                return list(await asyncio.gather(*futures))
        except (OSError, RuntimeError) as exc:
            raise _Gone(str(exc) or type(exc).__name__) from exc
        except TimeoutError as exc:
            if not self._alive():
                raise _Gone("no answer and the process is gone") from exc
            message = "The music player did not answer in time."
            raise PlatformError(message, code="player_timeout") from exc
        finally:
            for future in futures:
                if not future.done():
                    future.cancel()
            self._pending = {k: f for k, f in self._pending.items() if not f.done()}

    async def _ensure_running(self) -> None:
        async with self._lock:
            if self._alive():
                return
            if self._proc is not None:
                logger.warning("mpv is not running; restarting it, the play queue was lost")
                await self._shutdown()
            await self._start()

    async def _start(self) -> None:
        executable = shutil.which(self._settings.mpv_path)
        if executable is None:
            message = "mpv is not installed; install it with: sudo apt-get install mpv"
            raise PlatformError(message, code="player_missing")
        self.socket_path.parent.mkdir(parents=True, exist_ok=True)
        self.socket_path.unlink(missing_ok=True)
        args = [
            "--idle=yes", "--no-video", "--no-terminal",
            f"--input-ipc-server={self.socket_path}", f"--volume={self._volume}",
            "--volume-max=100", "--gapless-audio=weak", "--msg-level=all=warn",
        ]
        if self.audio_output:
            args.append(f"--ao={self.audio_output}")
        self._proc = await asyncio.create_subprocess_exec(
            executable, *args, stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
        )
        logger.info("started mpv (pid %s, ao=%s)", self._proc.pid, self.audio_output or "default")
        try:
            reader, self._writer = await asyncio.wait_for(self._connect(), IPC_TIMEOUT_S)
        except (TimeoutError, PlatformError):
            await self._shutdown()
            message = "The music player did not start; check [player] audio_output."
            raise PlatformError(message, code="player_failed") from None
        self.idle = True
        self._reader_task = asyncio.create_task(self._read_loop(reader), name="mpv-ipc-reader")

    async def _connect(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        assert self._proc is not None
        while True:
            if self._proc.returncode is not None:
                raise PlatformError(f"mpv exited with status {self._proc.returncode}")
            try:
                return await asyncio.open_unix_connection(str(self.socket_path), limit=2**20)
            except (FileNotFoundError, ConnectionRefusedError):
                await asyncio.sleep(0.02)

    async def _read_loop(self, reader: asyncio.StreamReader) -> None:
        try:
            while line := await reader.readline():
                try:
                    message = json.loads(line)
                except ValueError:
                    continue
                if "event" in message:
                    self._on_event(message)
                    continue
                future = self._pending.pop(message.get("request_id"), None)
                if future is not None and not future.done():
                    future.set_result(message)
        except (OSError, ValueError):
            pass
        finally:
            for future in self._pending.values():
                if not future.done():
                    future.set_exception(_Gone("the connection to mpv closed"))
            self._pending.clear()

    def _on_event(self, message: dict[str, Any]) -> None:
        name = message["event"]
        if name == "idle":
            self.idle = True
        elif name == "start-file":
            self.idle = False
        elif name == "end-file":
            self.last_end_reason = str(message.get("reason", ""))
            if self.last_end_reason == "error":
                self._loaded.set()
        elif name == "file-loaded":
            self._loaded.set()

    async def _shutdown(self, *, polite: bool = False) -> None:
        """End the process (forcibly unless ``polite``), reap it and close the socket."""
        proc, self._proc = self._proc, None
        if proc is not None:
            try:
                # Keep the socket open meanwhile: mpv may drop a quit from a closed client.
                await asyncio.wait_for(proc.wait(), 1.0 if polite else 0.0)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    proc.kill()
                await asyncio.wait_for(proc.wait(), IPC_TIMEOUT_S)
        writer, self._writer = self._writer, None
        if writer is not None:
            writer.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(writer.wait_closed(), 1.0)
        task, self._reader_task = self._reader_task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self.socket_path.unlink(missing_ok=True)
        self.idle = True
