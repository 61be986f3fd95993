"""The transliteration prompt: within Groq's 896 characters, hints deduplicated, never cut."""

from __future__ import annotations

from sam_edge.speech.stt import HINTS_LEAD, INSTRUCTION, MAX_PROMPT_CHARS, build_prompt


def hinted_titles(prompt: str) -> list[str]:
    assert prompt.startswith(INSTRUCTION + HINTS_LEAD) and prompt.endswith(".")
    return prompt[len(INSTRUCTION + HINTS_LEAD) : -1].split(", ")


def test_without_hints_it_is_the_transliteration_instruction() -> None:
    prompt = build_prompt([])
    assert prompt == INSTRUCTION
    assert "Latin letters" in prompt and "never in their native script" in prompt


def test_hints_follow_the_instruction_in_order() -> None:
    prompt = build_prompt(["Nuvvu Nenantu", "Tum Hi Ho", "Kannaana Kanney"])
    assert prompt.startswith(INSTRUCTION)
    assert "Song titles you may hear: Nuvvu Nenantu, Tum Hi Ho, Kannaana Kanney." in prompt


def test_five_hundred_hints_stay_within_the_limit_and_whole() -> None:
    hints = [f"Song Title Number {i} by Artist {i % 37}" for i in range(500)]
    prompt = build_prompt(hints)
    assert len(prompt) <= MAX_PROMPT_CHARS
    titles = hinted_titles(prompt)
    assert titles == hints[: len(titles)]  # a prefix of the list, each title whole
    assert len(titles) > 10


def test_duplicates_blanks_and_whitespace_are_cleaned() -> None:
    prompt = build_prompt(["Tum Hi Ho", "  tum  hi ho ", "", "   ", "Tum\nHi Ho", "Kesariya"])
    assert hinted_titles(prompt) == ["Tum Hi Ho", "Kesariya"]


def test_titles_in_native_script_are_hinted_in_latin_letters() -> None:
    prompt = build_prompt(["तुम ही हो", "నువ్వు నేనంటూ", "Tum Hi Ho", "Café del Mar", "愛"])
    assert hinted_titles(prompt) == ["Tum Hi Ho", "Nuvvu Nenantu", "Café del Mar"]
    assert not any(ord(c) > 0x2FF for c in prompt)


def test_native_titles_keep_their_place_within_the_budget() -> None:
    titles = [f"Title {i}" for i in range(200)]
    prompt = build_prompt(["సామజవరగమన", *titles, "నాటు నాటు"])
    assert len(prompt) <= MAX_PROMPT_CHARS
    assert hinted_titles(prompt)[0] == "Samajavaragamana"
    assert "Natu Natu" not in hinted_titles(prompt)


def test_a_title_too_long_to_fit_is_skipped_not_cut() -> None:
    room = MAX_PROMPT_CHARS - len(INSTRUCTION + HINTS_LEAD) - 1
    prompt = build_prompt(["A" * (room + 1), "Tum Hi Ho"])
    assert hinted_titles(prompt) == ["Tum Hi Ho"]
    assert len(build_prompt(["B" * room])) == MAX_PROMPT_CHARS


def test_smaller_limits_are_respected() -> None:
    for limit in (50, 250, 400):
        assert len(build_prompt([f"Title {i}" for i in range(100)], max_chars=limit)) <= limit
