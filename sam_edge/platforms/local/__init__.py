"""The local music folder: tag index, fuzzy search and mpv playback."""
