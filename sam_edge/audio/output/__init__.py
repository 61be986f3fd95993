"""The one output stage SAM owns: every player's PCM mixed, written to the sound card at its
pace, and tapped as the echo reference (see docs/echo.md and hardware/echo-reference.md)."""
