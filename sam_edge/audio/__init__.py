"""Audio in and out: capture (PyAudio), WAV sources, decoding uploads, playback sinks."""
