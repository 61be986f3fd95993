"""Local playback: the music folder (and later SoundCloud streams) through mpv."""
