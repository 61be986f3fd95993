"""The library sync: a user's liked tracks and playlists copied into SQLite, kept fresh by a
periodic Huey task, and searched locally before any platform is asked.

``service`` runs a sync (incremental, resumable, one at a time per device), ``spotify_source``
reads Spotify's library, ``tasks`` schedules syncs, ``resolve`` finds tracks in the synced
library, ``cli`` is ``sam-edge sync``.
"""
