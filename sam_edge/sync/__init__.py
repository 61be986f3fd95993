"""The library sync: a user's liked tracks and playlists copied into SQLite, kept fresh by a
periodic Huey task, and searched locally before any platform is asked.

``service`` runs a sync (incremental, resumable, one at a time per device), ``store`` keeps its
rows, ``tasks`` schedules syncs, ``cli`` is ``sam-edge sync``. Each platform's library reader
lives with its adapter (``platforms/<name>/library.py``); the synced-library lookup is
``cache/library.py``, the first tier of every search.
"""
