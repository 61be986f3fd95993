"""Tests of local playback."""
