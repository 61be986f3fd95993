"""Listening: wake word (Porcupine or the talk button), VAD (webrtcvad), endpointing."""
