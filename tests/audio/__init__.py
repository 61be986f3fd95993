"""Tests for audio in and out: sources, decoding, capture, playback."""
