"""Platform search in both scripts.

Catalogs carry many Indian titles only in their native script (సామజవరగమన), while requests
arrive in Latin letters ("samajavaragamana"). :func:`search_both_scripts` searches as asked;
when no result is clearly the title asked for (the matcher of :mod:`sam_edge.text.matcher`,
which reads every script), it searches again with the query written in the script of each
language the user speaks (``[speech] languages``) and judges all results together.

When the Latin search found something but nothing is clearly the title, its first result is
taken as before: the platform's ranking has been the answer for Latin titles all along. A result
found only by the native-script search must be a clear match, or nothing is played.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..platforms.base import MusicPlatform, Track
from ..text.scripts import has_indic, to_native
from ..text.titles import TitleIndex


def clear_match(query: str, tracks: Sequence[Track]) -> Track | None:
    """The one of ``tracks`` that is clearly ``query`` (first listed wins a tie)."""
    index: TitleIndex[Track] = TitleIndex()
    for track in tracks:
        index.add(track, track.title)
    return index.resolve(query).best


async def search_both_scripts(adapter: MusicPlatform, query: str, *, artist: str | None,
                              kind: str, languages: Sequence[str], limit: int = 5
                              ) -> Track | None:
    """The platform's answer for ``query``, also searched in ``languages``' scripts."""
    found = await adapter.search(query, artist=artist, kind=kind, limit=limit)
    rendered = [] if has_indic(query) else [to_native(query, lang) for lang in languages]
    natives: list[str] = [n for n in dict.fromkeys(rendered) if n]
    if not natives:
        return found[0] if found else None
    best = clear_match(query, found)
    if best is not None:
        return best
    merged = list(found)
    seen = {t.uri for t in found}
    for native in natives:
        for track in await adapter.search(native, artist=artist, kind=kind, limit=limit):
            if track.uri not in seen:
                seen.add(track.uri)
                merged.append(track)
    best = clear_match(query, merged)
    if best is not None:
        return best
    return found[0] if found else None
