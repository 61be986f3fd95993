"""The systemd units that install.sh copies: the keys the device relies on, and what
``systemd-analyze verify`` says about them."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
UNITS = ROOT / "systemd"
EXE = "/opt/sam-edge/venv/bin/sam-edge"

Unit = dict[str, dict[str, list[str]]]


def parse_unit(path: Path) -> Unit:
    """Sections → key → every value in order (systemd keys may repeat)."""
    unit: Unit = {}
    section: dict[str, list[str]] | None = None
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            section = unit.setdefault(line[1:-1], {})
            continue
        assert section is not None, f"{path.name}: {line!r} outside a section"
        assert not line.endswith("\\"), f"{path.name}: keep {line!r} on one line"
        key, sep, value = line.partition("=")
        assert sep, f"{path.name}: {line!r} is not key=value"
        section.setdefault(key.strip(), []).append(value.strip())
    return unit


def one(unit: Unit, section: str, key: str) -> str:
    values = unit[section].get(key, [])
    assert len(values) == 1, f"[{section}] {key}: expected one value, got {values}"
    return values[0]


def words(unit: Unit, section: str, key: str) -> set[str]:
    return {w for value in unit[section].get(key, []) for w in value.split()}


def test_the_daemon_unit() -> None:
    unit = parse_unit(UNITS / "sam-edge.service")

    assert {"network-online.target", "time-sync.target", "sound.target"} <= words(
        unit, "Unit", "After")
    assert "network-online.target" in words(unit, "Unit", "Wants")
    service = unit["Service"]
    assert one(unit, "Service", "Type") == "exec"
    assert one(unit, "Service", "User") == one(unit, "Service", "Group") == "sam-edge"
    assert {"audio", "gpio"} <= words(unit, "Service", "SupplementaryGroups")
    assert one(unit, "Service", "ExecStart") == (
        f"{EXE} --config /etc/sam-edge/config.toml run")
    assert "SAM_DATA_DIR=/var/lib/sam-edge" in service["Environment"]
    assert one(unit, "Service", "EnvironmentFile") == "-/etc/sam-edge/secrets.env"
    assert one(unit, "Service", "StateDirectory") == "sam-edge"
    assert one(unit, "Service", "ConfigurationDirectory") == "sam-edge"
    assert one(unit, "Service", "Restart") == "on-failure"
    assert one(unit, "Service", "RestartSec") == "3"
    assert one(unit, "Service", "KillSignal") == "SIGINT"
    assert int(one(unit, "Service", "TimeoutStopSec")) <= 30
    for key in ("NoNewPrivileges", "ProtectHome", "PrivateTmp", "ProtectKernelTunables",
                "ProtectKernelModules", "ProtectControlGroups", "RestrictSUIDSGID",
                "LockPersonality"):
        assert one(unit, "Service", key) == "yes", key
    assert one(unit, "Service", "ProtectSystem") == "strict"
    assert one(unit, "Service", "RestrictRealtime") == "no"
    assert one(unit, "Service", "DevicePolicy") == "closed"
    allowed = {v.split()[0] for v in service["DeviceAllow"]}
    assert {"char-alsa", "char-gpiochip"} <= allowed
    assert one(unit, "Install", "WantedBy") == "multi-user.target"


@pytest.mark.parametrize("name", ["sam-edge.service", "sam-edge-sync.service"])
def test_no_shell_between_systemd_and_python(name: str) -> None:
    exec_start = one(parse_unit(UNITS / name), "Service", "ExecStart")
    assert exec_start.startswith(f"{EXE} ")
    assert not re.search(r"\b(sh|bash)\b|[;&|]", exec_start)


def test_the_optional_catch_up_sync() -> None:
    service = parse_unit(UNITS / "sam-edge-sync.service")
    timer = parse_unit(UNITS / "sam-edge-sync.timer")

    assert one(service, "Service", "Type") == "oneshot"
    assert one(service, "Service", "ExecStart").endswith(" sync")
    assert one(service, "Service", "User") == "sam-edge"
    assert "Install" not in service  # started by the timer only
    assert one(timer, "Timer", "OnCalendar") == "daily"
    assert one(timer, "Timer", "Persistent") == "true"
    assert one(timer, "Install", "WantedBy") == "timers.target"


def test_install_sh_puts_the_program_where_the_units_look() -> None:
    script = (ROOT / "install.sh").read_text()
    assert 'SAM_PREFIX:-/opt/sam-edge}' in script
    assert 'SAM_ETC:-/etc/sam-edge}' in script and 'SAM_STATE:-/var/lib/sam-edge}' in script
    for unit in ("sam-edge.service", "sam-edge-sync.service", "sam-edge-sync.timer"):
        assert unit in script


# Off a device that ran install.sh the program is missing: that is the one expected complaint.
EXPECTED = (re.compile(rf"Command {re.escape(EXE)} is not executable"),)


@pytest.mark.skipif(shutil.which("systemd-analyze") is None,
                    reason="systemd-analyze is not installed")
def test_systemd_analyze_verify_finds_nothing_unexpected() -> None:
    files = [str(UNITS / n) for n in ("sam-edge.service", "sam-edge-sync.service",
                                      "sam-edge-sync.timer")]
    result = subprocess.run(["systemd-analyze", "verify", *files], capture_output=True,
                            text=True, timeout=60)
    lines = [line for line in (result.stdout + result.stderr).splitlines() if line.strip()]
    # Lines that do not name our units are the host's own (a container without a running
    # systemd, missing targets); they say nothing about these files.
    ours = [line for line in lines if "sam-edge" in line]
    unexpected = [line for line in ours if not any(p.search(line) for p in EXPECTED)]
    assert not unexpected, "\n".join(unexpected)


MAX_EXPOSURE = 2.5


@pytest.mark.skipif(shutil.which("systemd-analyze") is None,
                    reason="systemd-analyze is not installed (apt: systemd)")
def test_the_daemon_exposure_is_at_most_2_5() -> None:
    result = subprocess.run(
        ["systemd-analyze", "security", "--offline=true", "--no-pager",
         str(UNITS / "sam-edge.service")],
        capture_output=True, text=True, timeout=60)
    found = re.search(r"Overall exposure level for sam-edge\.service: (\d+\.\d+)",
                      result.stdout + result.stderr)
    if found is None:
        pytest.skip(f"this systemd-analyze has no offline security check: {result.stderr[:200]}")
    assert float(found.group(1)) <= MAX_EXPOSURE, result.stdout


def test_the_daemon_unit_is_hardened() -> None:
    unit = parse_unit(UNITS / "sam-edge.service")
    assert one(unit, "Service", "CapabilityBoundingSet") == ""
    assert one(unit, "Service", "SystemCallArchitectures") == "native"
    assert "@system-service" in unit["Service"]["SystemCallFilter"]
    assert one(unit, "Service", "ProtectProc") == "invisible"
    assert one(unit, "Service", "RemoveIPC") == "yes"
    assert one(unit, "Service", "UMask") == "0077"
