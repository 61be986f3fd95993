"""``MpvConnection``: one mpv process and its JSON IPC socket, the plumbing under ``MpvPlayer``.

mpv starts on the first command that needs it and runs ``--idle`` until ``aclose``. Each command
is a ``{"command": [...], "request_id": n}`` line; a reader task matches replies to requests by
``request_id`` and uses events only to track whether a file ended or mpv went idle. Every wait
is bounded. When mpv dies under us, the next command restarts it once and retries (the play
queue does not survive that).
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
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..errors import PlatformError

# These records are about the music player, so they keep the player's logger name.
logger = logging.getLogger("sam_edge.player.mpv")

IPC_TIMEOUT_S = 3.0
START_TIMEOUT_S = 10.0
"""How long mpv may take to open its IPC socket: a first start on a Pi reads its libraries from
the SD card, and a busy machine takes longer still; a start that never comes still ends."""
PCM_ARGS = ["--ao=pcm", "--really-quiet", "--ao-pcm-file=/dev/stdout", "--ao-pcm-waveheader=no",
            "--audio-format=s16", "--audio-samplerate=48000", "--audio-channels=stereo"]
"""Raw 48 kHz S16 stereo on standard output, for the output stage (status text is off:
``--no-terminal``)."""
# sun_path is 108 bytes on Linux; leave room for the terminating NUL.
_MAX_SOCKET_PATH = 100


class _Gone(Exception):
    """mpv is not there any more (process exited or the socket closed)."""


class MpvConnection:
    """A long-lived mpv process, started on demand, and the commands sent to it.

    ``_volume`` is the level mpv starts (or restarts) at; subclasses keep it current.
    """

    def __init__(self, mpv_path: str, audio_output: str, runtime_dir: Path, volume: int, *,
                 pcm_out: Callable[[int], None] | None = None) -> None:
        self._mpv_path = mpv_path
        self._pcm_out = pcm_out
        self.audio_output = "pcm" if pcm_out is not None else audio_output
        """The ``--ao`` mpv runs with; empty for mpv's default."""
        self._volume = volume
        self._proc: asyncio.subprocess.Process | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._reader_task: asyncio.Task[None] | None = None
        self._stderr_task: asyncio.Task[None] | None = None
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

    async def aclose(self) -> None:
        async with self._lock:
            polite = self._alive() and self._writer is not None
            if polite and self._writer is not None:
                with contextlib.suppress(OSError, RuntimeError, TimeoutError):
                    self._writer.write(b'{"command": ["quit"]}\n')
                    await asyncio.wait_for(self._writer.drain(), 1.0)
            await self._shutdown(polite=polite)

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

    async def _until_loaded(self) -> None:
        # Return once the new file is open, so an immediate state() already reports it.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._loaded.wait(), IPC_TIMEOUT_S)

    async def _call(self, *args: Any, check: bool = True) -> dict[str, Any]:
        reply: dict[str, Any] = (await self._call_many([list(args)], check=check))[0]
        return reply

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
        executable = shutil.which(self._mpv_path)
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
        stdout: int = asyncio.subprocess.DEVNULL
        if self._pcm_out is not None:
            # The output stage reads the PCM from this pipe at the card's pace.
            read_end, stdout = os.pipe()
            args += PCM_ARGS
        elif self.audio_output:
            args.append(f"--ao={self.audio_output}")
        try:
            self._proc = await asyncio.create_subprocess_exec(
                executable, *args, stdin=asyncio.subprocess.DEVNULL,
                stdout=stdout, stderr=asyncio.subprocess.PIPE,
            )
        finally:
            if self._pcm_out is not None:
                os.close(stdout)
        if self._pcm_out is not None:
            self._pcm_out(read_end)
        logger.info("started mpv (pid %s, ao=%s)", self._proc.pid, self.audio_output or "default")
        assert self._proc.stderr is not None
        self._stderr_task = asyncio.create_task(self._log_stderr(self._proc.stderr),
                                                name="mpv-stderr")
        started = asyncio.get_running_loop().time()
        try:
            reader, self._writer = await asyncio.wait_for(self._connect(), START_TIMEOUT_S)
        except (TimeoutError, PlatformError):
            took = asyncio.get_running_loop().time() - started
            status = self._proc.returncode
            logger.warning("mpv did not open its IPC socket %s in %.1f s",
                           "and is still running" if status is None
                           else f"(it exited with status {status})", took)
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

    async def _log_stderr(self, stream: asyncio.StreamReader) -> None:
        """mpv's own warnings and errors (``--msg-level=all=warn``), into our log."""
        with contextlib.suppress(OSError, ValueError):
            while line := await stream.readline():
                text = line.decode(errors="replace").rstrip()
                if text:
                    logger.warning("mpv: %s", text)

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
        for task in (self._reader_task, self._stderr_task):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        self._reader_task = self._stderr_task = None
        self.socket_path.unlink(missing_ok=True)
        self.idle = True
