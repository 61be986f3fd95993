"""``install.sh --system`` into a throwaway root: files, owners, modes, and a second run.

Runs as root on Debian only (it creates a system user). Apt and pip are skipped through
``SAM_SKIP_APT=1`` and ``SAM_PIP_INSTALL=skip``, so nothing is downloaded.
"""

from __future__ import annotations

import grp
import os
import pwd
import shutil
import stat
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
UNITS = ("sam-edge.service", "sam-edge-sync.service", "sam-edge-sync.timer")


def _why_not() -> str:
    if os.geteuid() != 0:
        return "install.sh --system needs root"
    if not Path("/etc/debian_version").exists():
        return "install.sh --system targets Debian (Raspberry Pi OS)"
    for tool in ("useradd", "usermod", "groupadd", "runuser"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed"
    return ""


needs_root_debian = pytest.mark.skipif(bool(_why_not()), reason=_why_not() or "ok")


def run_install(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", str(ROOT / "install.sh"), *args], env=env,
                          capture_output=True, text=True, timeout=120)


@pytest.fixture
def target() -> Iterator[tuple[Path, dict[str, str]]]:
    # Not pytest's tmp_path: it is 0700, and the service user must reach the venv inside.
    root = Path(tempfile.mkdtemp(prefix="sam-install-"))
    root.chmod(0o755)
    user = f"sam-edge-t{os.getpid() % 100000}"
    existed = _user_exists(user)
    env = {
        "PATH": os.environ.get("PATH", "/usr/sbin:/usr/bin:/sbin:/bin"),
        "SAM_SKIP_APT": "1", "SAM_PIP_INSTALL": "skip", "SAM_USER": user,
        "SAM_PREFIX": str(root / "opt"), "SAM_ETC": str(root / "etc"),
        "SAM_STATE": str(root / "state"), "SAM_SYSTEMD_DIR": str(root / "units"),
        "SAM_BIN_DIR": str(root / "bin"), "SAM_MUSIC_DIR": str(root / "music"),
    }
    try:
        yield root, env
    finally:
        shutil.rmtree(root, ignore_errors=True)
        if not existed and _user_exists(user):
            subprocess.run(["userdel", user], check=False, capture_output=True)
            subprocess.run(["groupdel", user], check=False, capture_output=True)


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


def mode_owner(path: Path) -> tuple[int, str, str]:
    st = path.stat()
    return (stat.S_IMODE(st.st_mode), pwd.getpwuid(st.st_uid).pw_name,
            grp.getgrgid(st.st_gid).gr_name)


@needs_root_debian
def test_system_install_twice(target: tuple[Path, dict[str, str]]) -> None:
    root, env = target
    user = env["SAM_USER"]

    first = run_install(env, "--system", "--no-start")

    assert first.returncode == 0, first.stderr
    assert {g.gr_name for g in grp.getgrall() if user in g.gr_mem} >= {"audio", "gpio"}
    assert pwd.getpwnam(user).pw_shell.endswith("nologin")
    config, secrets = root / "etc" / "config.toml", root / "etc" / "secrets.env"
    assert mode_owner(config) == (0o640, "root", user)
    assert 'host = "0.0.0.0"' in config.read_text()
    assert mode_owner(secrets) == (0o600, "root", "root")
    assert mode_owner(root / "state") == (0o700, user, user)
    for unit in UNITS:
        assert (root / "units" / unit).read_bytes() == (ROOT / "systemd" / unit).read_bytes()
    wrapper = root / "bin" / "sam-edge"
    assert os.access(wrapper, os.X_OK)
    assert f'runuser -u "{user}"' in wrapper.read_text()
    assert (root / "opt" / "venv" / "bin" / "python").exists()
    assert "journalctl -u sam-edge -f" in first.stderr
    assert ":8080/pair" in first.stderr
    assert "systemctl was not run" in first.stderr

    config.write_text(config.read_text() + "# my change\n")
    secrets.write_text("SAM_GROQ_API_KEY=gsk_mine\n")
    secrets.chmod(0o644)

    second = run_install(env, "--system", "--no-start")

    assert second.returncode == 0, second.stderr
    assert "keeping" in second.stderr
    assert config.read_text().endswith("# my change\n")
    assert secrets.read_text() == "SAM_GROQ_API_KEY=gsk_mine\n"
    assert mode_owner(secrets) == (0o600, "root", "root")
    assert "creating" not in second.stderr  # the user, group and venv were already there


@needs_root_debian
def test_uninstall_keeps_the_users_data_and_purge_removes_it(
        target: tuple[Path, dict[str, str]]) -> None:
    root, env = target
    env = {**env, "SAM_CACHE": str(root / "cache"),
           "SAM_UDEV_RULE": str(root / "udev" / "60-sam-edge-gpio.rules")}
    assert run_install(env, "--system", "--no-start").returncode == 0
    (root / "state" / "sam-edge.sqlite3").write_bytes(b"accounts and library")
    (root / "cache").mkdir()

    removed = run_install(env, "--uninstall", "--no-start")

    assert removed.returncode == 0, removed.stderr
    assert not (root / "opt").exists() and not (root / "bin" / "sam-edge").exists()
    assert not any((root / "units").iterdir())
    assert (root / "etc" / "config.toml").exists() and (root / "etc" / "secrets.env").exists()
    assert (root / "state" / "sam-edge.sqlite3").exists()
    assert _user_exists(env["SAM_USER"])

    purged = run_install(env, "--uninstall", "--purge", "--no-start")

    assert purged.returncode == 0, purged.stderr
    assert not (root / "etc").exists() and not (root / "state").exists()
    assert not (root / "cache").exists()
    assert not _user_exists(env["SAM_USER"])
    assert (root / "music").exists()  # never the music folder


def test_purge_needs_uninstall() -> None:
    done = run_install({"PATH": os.environ.get("PATH", "/usr/bin:/bin")}, "--purge")
    assert done.returncode == 2 and "--uninstall" in done.stderr


def test_system_install_refuses_without_root(tmp_path: Path) -> None:
    script = ROOT / "install.sh"
    if os.geteuid() == 0:
        if shutil.which("setpriv") is None:
            pytest.skip("setpriv is needed to drop root")
        # The checkout may sit where other users cannot enter (under /root, in a mktemp -d):
        # the unprivileged user gets a copy it can read.
        readable = Path(tempfile.mkdtemp(prefix="sam-install-script-"))
        readable.chmod(0o755)
        script = Path(shutil.copy(script, readable / "install.sh"))
        script.chmod(0o644)
    command = ["bash", str(script), "--system", "--no-start"]
    if os.geteuid() == 0:
        command = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", *command]

    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=60,
                                env={"PATH": os.environ.get("PATH", "/usr/bin:/bin")})
    finally:
        if script.parent != ROOT:
            shutil.rmtree(script.parent, ignore_errors=True)

    assert result.returncode == 1, result.stderr
    assert "must run as root: sudo ./install.sh --system" in result.stderr


def test_no_start_belongs_to_system_mode() -> None:
    result = subprocess.run(["bash", str(ROOT / "install.sh"), "--no-start"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "--no-start only applies to --system" in result.stderr
