"""Tests for listening: endpointing, VAD, wake word."""
