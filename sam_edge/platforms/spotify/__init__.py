"""Spotify: the adapter (spotipy), its OAuth tokens and the library reader for sync."""
