"""Speech: speech-to-text (Groq Whisper) and text-to-speech (ElevenLabs, espeak-ng)."""
