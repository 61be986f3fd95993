"""``[audio] echo_cancel``: SAM's canceller, PipeWire's, or none."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from sam_edge.audio.echo.system import choose, system_echo_cancel
from sam_edge.settings import load_settings

PW_NODES = """id 42, type PipeWire:Interface:Node/3
    factory.id = "18"
    node.name = "echo-cancel-source"
    media.class = "Audio/Source"
"""


def runner(answers: dict[str, str | None]) -> Callable[[Sequence[str]], str | None]:
    def run(cmd: Sequence[str]) -> str | None:
        return answers.get(cmd[0])
    return run


def test_auto_leaves_it_to_pipewire_when_its_module_runs() -> None:
    assert choose("auto", run=runner({"pw-cli": PW_NODES})) == "system"


def test_auto_cancels_in_sam_without_pipewire_or_its_module() -> None:
    assert choose("auto", run=runner({})) == "sam"
    assert choose("auto", run=runner({"pw-cli": "id 3, node.name = \"alsa_input\""})) == "sam"


def test_pactl_answers_where_pw_cli_is_missing() -> None:
    sources = "57\techo-cancel-source\tPipeWire\tfloat32le 1ch 48000Hz\tSUSPENDED\n"
    assert system_echo_cancel(runner({"pw-cli": None, "pactl": sources}))


@pytest.mark.parametrize(("setting", "expected"), [("on", "sam"), ("off", "off")])
def test_on_and_off_need_no_probe(setting: str, expected: str) -> None:
    def never(cmd: Sequence[str]) -> str | None:
        raise AssertionError(f"probed {cmd}")
    assert choose(setting, run=never) == expected  # type: ignore[arg-type]


def test_the_setting_is_read_and_checked(tmp_path: Path) -> None:
    assert load_settings(tmp_path / "none.toml", {}).audio.echo_cancel == "auto"
    assert load_settings(tmp_path / "none.toml",
                         {"SAM_AUDIO_ECHO_CANCEL": "off"}).audio.echo_cancel == "off"
    from sam_edge.errors import ConfigError
    with pytest.raises(ConfigError, match="echo_cancel"):
        load_settings(tmp_path / "none.toml", {"SAM_AUDIO_ECHO_CANCEL": "maybe"})
