"""The checks behind ``sam-edge doctor``: each returns :class:`Check` results, never raises."""

from __future__ import annotations

import asyncio
import os
import pwd
import shutil
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from ..accounts.secrets import KEY_FILE
from ..audio.capture import SOUND_CARDS, has_sound_card, list_input_devices
from ..audio.errors import AudioDeviceError
from ..audio.format import SAMPLE_RATE
from ..audio.playback import AplaySink
from ..db.private import loose_paths, private_dirs
from ..settings import Settings
from ..speech.earcons import Earcon, earcon

REACH_TIMEOUT_S = 3.0
LOW_DISK_BYTES = 200 * 1024 * 1024
FULL_DISK_BYTES = 20 * 1024 * 1024
SECRETS = "/etc/sam-edge/secrets.env"


class Level(StrEnum):
    OK = "ok"
    INFO = "--"
    WARN = "warn"
    FAIL = "FAIL"


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    level: Level
    detail: str
    fix: str = ""


def audio_checks(settings: Settings, cards: Path = SOUND_CARDS) -> list[Check]:
    if not has_sound_card(cards):
        return [Check("sound card", Level.FAIL, f"none ({cards} lists no sound card)",
                      "connect a USB microphone and speaker (or a sound HAT and its dtoverlay "
                      "in /boot/firmware/config.txt), then check `arecord -l` and `aplay -l`; "
                      "until then SAM runs simulated")]
    names = [line.strip() for line in cards.read_text(errors="replace").splitlines()
             if line[:3].strip().isdigit()]
    out = [Check("sound card", Level.OK, "; ".join(names) or "present")]
    try:
        inputs = list_input_devices(cards)
    except AudioDeviceError as exc:
        out.append(Check("microphone", Level.FAIL, exc.message,
                         "sudo apt-get install -y portaudio19-dev, then re-run "
                         "sudo ./install.sh --system"))
        inputs = None
    if inputs is not None:
        wanted = settings.audio.input_device.strip().lower()
        listed = "; ".join(d.describe() for d in inputs)
        if not inputs:
            out.append(Check("microphone", Level.FAIL, "the sound card has no capture device",
                             "plug in a USB microphone; `arecord -l` lists capture devices"))
        elif wanted and not any(wanted == str(d.index) or wanted in d.name.lower()
                                for d in inputs):
            out.append(Check("microphone", Level.FAIL,
                             f"[audio] input_device {settings.audio.input_device!r} is not "
                             f"among: {listed}",
                             "set [audio] input_device to one of them, or leave it empty"))
        else:
            out.append(Check("microphone", Level.OK, listed))
    return out


def aplay_check(settings: Settings) -> Check:
    path = shutil.which("aplay")
    if path:
        return Check("aplay", Level.OK, path)
    level = Level.INFO if settings.audio.output == "none" else Level.FAIL
    return Check("aplay", level, "not installed: replies cannot be heard",
                 "sudo apt-get install -y alsa-utils")


async def _chunks(pcm: bytes) -> AsyncIterator[bytes]:
    yield pcm


async def tone_check(settings: Settings, cards: Path = SOUND_CARDS) -> Check:
    if not has_sound_card(cards) or not shutil.which("aplay"):
        return Check("test tone", Level.INFO, "skipped: needs a sound card and aplay")
    device = settings.audio.output_device or "default"
    pcm = earcon(Earcon.WAKE) + earcon(Earcon.DONE)
    try:
        await asyncio.wait_for(AplaySink(settings.audio.output_device).play(
            _chunks(pcm), SAMPLE_RATE), timeout=5.0)
    except (AudioDeviceError, TimeoutError) as exc:
        detail = getattr(exc, "message", "") or "aplay did not finish within 5 s"
        return Check("test tone", Level.FAIL, f"on {device}: {detail}",
                     "`aplay -l` lists the outputs; set [audio] output_device (e.g. "
                     "plughw:1,0) and the volume with alsamixer")
    return Check("test tone", Level.OK, f"played on {device}: did you hear two tones?")


KEYS: tuple[tuple[str, str, str], ...] = (
    ("groq", "api_key", "speech-to-text and the LLM"),
    ("elevenlabs", "api_key", "the spoken voice (else espeak-ng)"),
    ("porcupine", "access_key", "the wake word (else the talk button only)"),
    ("spotify", "client_id", "Spotify"),
    ("soundcloud", "client_id", "SoundCloud"),
    ("soundcloud", "client_secret", "SoundCloud"),
)


def key_checks(settings: Settings) -> list[Check]:
    out = []
    for section, key, enables in KEYS:
        env = f"SAM_{section}_{key}".upper()
        value = getattr(getattr(settings, section), key)
        if value:
            out.append(Check(env, Level.OK, "set"))
        else:
            out.append(Check(env, Level.INFO, f"unset: needed for {enables}",
                             f"add {env}=... to {SECRETS}" if "secret" in key or "key" in key
                             else f"set [{section}] {key} in the config"))
    return out


def _endpoints(settings: Settings) -> list[tuple[str, str, bool]]:
    """(name, URL, in use) for every cloud base URL, each URL once."""
    spotify = bool(settings.spotify.client_id)
    soundcloud = bool(settings.soundcloud.client_id)
    found = [
        ("Groq", settings.groq.base_url, bool(settings.groq.api_key)),
        ("ElevenLabs", settings.elevenlabs.base_url, bool(settings.elevenlabs.api_key)),
        ("Spotify API", settings.spotify.api_url, spotify),
        ("Spotify accounts", settings.spotify.accounts_url, spotify),
        ("SoundCloud API", settings.soundcloud.api_url, soundcloud),
        ("SoundCloud auth", settings.soundcloud.auth_url, soundcloud),
    ]
    unique: dict[str, tuple[str, str, bool]] = {}
    for name, url, used in found:
        first = unique.setdefault(url, (name, url, used))
        unique[url] = (first[0], url, first[2] or used)
    return list(unique.values())


async def _reach(client: httpx.AsyncClient, name: str, url: str, used: bool) -> Check:
    start = time.monotonic()
    try:
        response = await client.head(url)
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        reason = str(exc) or type(exc).__name__
        setting = {"Groq": "[groq] base_url", "ElevenLabs": "[elevenlabs] base_url"}.get(
            name, f"[{name.split()[0].lower()}] URLs")
        return Check(f"reach {name}", Level.FAIL if used else Level.INFO,
                     f"{url} unreachable ({reason}){'' if used else '; not in use'}",
                     f"check the network and DNS (`ping -c1 1.1.1.1`, `getent hosts "
                     f"{urlsplit(url).hostname or url}`) and {setting}")
    ms = (time.monotonic() - start) * 1000
    return Check(f"reach {name}", Level.OK, f"{url}: HTTP {response.status_code} in {ms:.0f} ms")


async def reach_checks(settings: Settings, timeout: float = REACH_TIMEOUT_S) -> list[Check]:
    async with httpx.AsyncClient(timeout=timeout, follow_redirects=False) as client:
        return list(await asyncio.gather(*(_reach(client, *e) for e in _endpoints(settings))))


def _existing(path: Path) -> Path:
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def disk_check(settings: Settings) -> Check:
    where = _existing(settings.data.dir)
    free = shutil.disk_usage(where).free
    detail = f"{free / 1024 / 1024:.0f} MB free on {where}"
    fix = "free some space (`sudo apt-get clean`, `sudo journalctl --vacuum-size=50M`)"
    if free < FULL_DISK_BYTES:
        return Check("disk", Level.FAIL, detail, fix)
    if free < LOW_DISK_BYTES:
        return Check("disk", Level.WARN, detail + " (under 200 MB)", fix)
    return Check("disk", Level.OK, detail)


def _user(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def permission_checks(settings: Settings, config: Path) -> list[Check]:
    data = settings.data.dir
    out = []
    if data.exists():
        if os.access(data, os.W_OK | os.X_OK):
            out.append(Check("data dir", Level.OK, f"{data} writable"))
        else:
            out.append(Check("data dir", Level.FAIL, f"{data} is not writable by "
                             f"{_user(os.geteuid())}", f"sudo chown -R sam-edge: {data}"))
        owner = data.stat().st_uid
        if owner != os.geteuid():
            out.append(Check("data dir owner", Level.WARN,
                             f"{data} belongs to {_user(owner)}, this runs as "
                             f"{_user(os.geteuid())}",
                             "run commands as the service user: sudo sam-edge doctor"))
    else:
        parent = _existing(data)
        ok = os.access(parent, os.W_OK | os.X_OK)
        out.append(Check("data dir", Level.OK if ok else Level.FAIL,
                         f"{data} does not exist yet (made at first start)",
                         "" if ok else f"create it: sudo install -d -o sam-edge -m 700 {data}"))
    loose = loose_paths(private_dirs(settings))
    if loose:
        out.append(Check("private files", Level.WARN,
                         f"{len(loose)} files or directories others may read, e.g. {loose[0]}",
                         f"sam-edge run makes them private at start, or: chmod -R go-rwx {data}"))
    elif data.exists():
        out.append(Check("private files", Level.OK, "the data and cache dirs are 0700, "
                         "their files 0600"))
    key = data / KEY_FILE
    if key.exists():
        mode = key.stat().st_mode & 0o777
        out.append(Check("secret.key", Level.OK if mode == 0o600 else Level.FAIL,
                         f"{key} mode {mode:04o}", "" if mode == 0o600 else f"chmod 600 {key}"))
    else:
        out.append(Check("secret.key", Level.INFO, "not created yet (made at first start)"))
    if not config.exists():
        out.append(Check("config", Level.INFO, f"{config} absent: defaults and environment"))
    elif os.access(config, os.R_OK):
        out.append(Check("config", Level.OK, f"{config} readable"))
    else:
        out.append(Check("config", Level.FAIL, f"{config} cannot be read",
                         f"sudo chown root:sam-edge {config} && sudo chmod 640 {config}"))
    return out


def tool_checks(settings: Settings) -> list[Check]:
    out = []
    for tool, package, why in ((settings.player.mpv_path, "mpv", "plays the music folder"),
                               ("ffmpeg", "ffmpeg", "decodes uploads"),
                               ("espeak-ng", "espeak-ng", "speaks offline")):
        path = shutil.which(tool)
        out.append(Check(tool, Level.OK, path) if path else
                   Check(tool, Level.FAIL, f"not installed ({why})",
                         f"sudo apt-get install -y {package}"))
    return out
