"""Which platforms' libraries can be synced: a :class:`~.source.LibrarySource` for each adapter
that has one.

Extension point, SoundCloud (not synced yet): a ``SoundCloudSource`` over the SoundCloud adapter
belongs next to :mod:`.spotify_source` and is added in :func:`library_sources`. It reads
``GET /me/likes/tracks`` and ``GET /me/playlists?show_tracks=false`` and
``GET /playlists/{urn}/tracks``, all with ``linked_partitioning=true``, following ``next_href``
verbatim (the cursor to store); URNs are the URIs; a playlist's ``snapshot_id`` can be derived
from its ``last_modified`` and ``track_count``; likes carry no total, so ``liked_summary`` would
read the first page (``limit=1``) and compare the newest URN and time.
"""

from __future__ import annotations

from collections.abc import Mapping

from .source import LibrarySource


def library_sources(platforms: Mapping[str, object]) -> dict[str, LibrarySource]:
    """Sources for the adapters in ``platforms`` (as built by the runtime or ``sam-edge sync``)."""
    from ..platforms.spotify import SpotifyAdapter
    from .spotify_source import SpotifySource

    sources: dict[str, LibrarySource] = {}
    spotify = platforms.get("spotify")
    if isinstance(spotify, SpotifyAdapter):
        sources["spotify"] = SpotifySource(spotify)
    return sources
