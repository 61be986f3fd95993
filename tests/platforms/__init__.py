"""Tests of the music platform adapters."""
