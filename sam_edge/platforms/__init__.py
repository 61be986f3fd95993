"""Music platforms behind one protocol: Spotify, SoundCloud and the local music folder."""
