"""SoundCloud: the adapter (httpx), its OAuth 2.1 tokens and the library reader for sync."""
