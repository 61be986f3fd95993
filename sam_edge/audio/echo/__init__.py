"""Acoustic echo cancellation: the device's own playback removed from the microphone signal."""
