"""Which platforms' libraries can be synced: a :class:`~.source.LibrarySource` for each adapter
that has one (each in its platform package: ``platforms/<name>/library.py``).

A further platform adds its source module next to these and one branch in
:func:`library_sources`, keyed by the adapter's name.
"""

from __future__ import annotations

from collections.abc import Mapping

from ..sync.source import LibrarySource


def library_sources(platforms: Mapping[str, object]) -> dict[str, LibrarySource]:
    """Sources for the adapters in ``platforms`` (as built by the runtime or ``sam-edge sync``).
    A platform's modules are imported only when it is there."""
    sources: dict[str, LibrarySource] = {}
    if "spotify" in platforms:
        from ..platforms.spotify.adapter import SpotifyAdapter
        from ..platforms.spotify.library import SpotifySource

        spotify = platforms["spotify"]
        if isinstance(spotify, SpotifyAdapter):
            sources["spotify"] = SpotifySource(spotify)
    if "soundcloud" in platforms:
        from ..platforms.soundcloud.adapter import SoundCloudAdapter
        from ..platforms.soundcloud.library import SoundCloudSource

        soundcloud = platforms["soundcloud"]
        if isinstance(soundcloud, SoundCloudAdapter):
            sources["soundcloud"] = SoundCloudSource(soundcloud)
    return sources
