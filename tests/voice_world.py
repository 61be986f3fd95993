"""A ready world for voice tests: fake Groq and ElevenLabs over real HTTP, a music folder with
real files, and a runtime built from settings that point at them."""

from __future__ import annotations

from pathlib import Path

from sam_edge.settings import Settings, load_settings

DATA = Path(__file__).with_name("data")
GROQ_KEY = "gsk_test_key"
XI_KEY = "xi_test_key"


def voice_settings(base: Settings, music: Path, groq_url: str | None, xi_url: str | None,
                   **env: str) -> Settings:
    values = {
        "SAM_DATA_DIR": str(base.data.dir), "SAM_MUSIC_DIR": str(music),
        "SAM_PLAYER_AUDIO_OUTPUT": "null", "SAM_AUDIO_OUTPUT": "none",
        "SAM_GROQ_TIMEOUT_S": "2",
    }
    if groq_url:
        values |= {"SAM_GROQ_API_KEY": GROQ_KEY, "SAM_GROQ_BASE_URL": groq_url}
    if xi_url:
        values |= {"SAM_ELEVENLABS_API_KEY": XI_KEY, "SAM_ELEVENLABS_BASE_URL": xi_url}
    return load_settings(base.data.dir / "absent.toml", {**values, **env})
