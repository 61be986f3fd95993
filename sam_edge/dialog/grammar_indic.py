"""Hindi (Hinglish) and Telugu (Tenglish) commands written in Latin letters, as speech-to-text
writes them: "gaana band karo", "agla gaana", "awaaz badhao", "arijit singh ke gaane bajao",
"paata aapu", "tarvata paata", "sound penchu", "nuvvu nenantu paata pettu".

Only read for the languages in ``[speech] languages``. Spellings vary ("gaana"/"gana",
"karo"/"kar do"), so each phrase is a small regular expression over the cleaned text; every
entry has its own test in ``tests/dialog/test_grammar_indic.py``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from sam_edge.dialog.grammar_commands import GrammarMatch, Params, _intent
from sam_edge.dialog.intents import Action

_SONG_HI = r"(?:gaa?naa?|gaa?ne|song|music|mu?jhe?)"
_SONG_TE = r"(?:paa?ta|paa?talu|song|music)"
_PLEASE = r"(?: (?:please|plz|na|ji|zara|koncham|andi))*"

# (language, pattern, action, fixed parameters); patterns match the whole cleaned text.
_FIXED: tuple[tuple[str, str, Action, Params], ...] = (
    ("hi", rf"(?:{_SONG_HI} )?(?:band|rok|ruk|roko|rukao|ruko)"
     r"(?: (?:karo|kar do|kardo|do|jao|ja))?",
     Action.PAUSE, {}),
    ("hi", rf"(?:{_SONG_HI} )?(?:phir se|fir se|wapas) (?:chalao|bajao|shuru karo)",
     Action.RESUME, {}),
    ("hi", rf"(?:agla|next|aglaa) {_SONG_HI}(?: (?:bajao|chalao|lagao))?", Action.NEXT, {}),
    ("hi", r"(?:aage|aage badhao|skip karo|badlo|gaana badlo)", Action.NEXT, {}),
    ("hi", rf"(?:pichla|pichhla|pichla wala|peeche wala) {_SONG_HI}(?: (?:bajao|chalao))?",
     Action.PREVIOUS, {}),
    ("hi", r"(?:awaa?z|aawaaz|volume|sound) (?:badhao|badha do|tez karo|upar karo|zyada karo)",
     Action.VOLUME_UP, {}),
    ("hi", r"(?:awaa?z|aawaaz|volume|sound) (?:kam karo|kam kar do|ghatao|dheere karo|dheema karo)",
     Action.VOLUME_DOWN, {}),
    ("hi", rf"(?:ye|yeh) {_SONG_HI} (?:kya|kaun ?sa|konsa) hai"
     rf"|(?:ye|yeh|kaun ?sa|konsa) {_SONG_HI} (?:hai|chal raha hai|baj raha hai)"
     r"|(?:kya|kaun ?sa gaana) (?:chal|baj) raha hai", Action.NOW_PLAYING, {}),
    ("te", rf"(?:{_SONG_TE} )?(?:aapu|apu|aapandi|apandi|aapeyi|apeyi|stop cheyyi|pause cheyyi)",
     Action.PAUSE, {}),
    ("te", rf"(?:{_SONG_TE} )?(?:malli )?(?:pettu|pettandi|play cheyyi|continue cheyyi)",
     Action.RESUME, {}),
    ("te", rf"(?:tarvata|taruvata|next) {_SONG_TE}(?: (?:pettu|pettandi|play cheyyi))?",
     Action.NEXT, {}),
    ("te", r"(?:skip cheyyi|marchu|maarchu|paata maarchu|paata marchu)", Action.NEXT, {}),
    ("te", rf"(?:mundu|mundhu|mundati|previous) {_SONG_TE}(?: (?:pettu|pettandi))?",
     Action.PREVIOUS, {}),
    ("te", r"(?:sound|volume|saundu) (?:penchu|penchandi|ekkuva cheyyi|peddaga cheyyi)",
     Action.VOLUME_UP, {}),
    ("te", r"(?:sound|volume|saundu) (?:tagginchu|tagginchandi|takkuva cheyyi)",
     Action.VOLUME_DOWN, {}),
    ("te", rf"(?:ee|idi|ye) {_SONG_TE} (?:enti|yedi|edi|peru enti)"
     r"|(?:emi|em|ye) {_SONG_TE} (?:vastondi|play avutondi)", Action.NOW_PLAYING, {}),
)
_PLAY: tuple[tuple[str, str], ...] = (
    ("hi", rf"(?P<artist>.+?) (?:ke|ki) {_SONG_HI} (?:bajao|chalao|lagao|sunao)"),
    ("hi", rf"(?P<title>.+?)(?: {_SONG_HI})? (?:bajao|chalao|lagao|sunao)"),
    ("te", r"(?P<artist>.+?) (?:paa?talu|songs) (?:pettu|pettandi|vinipinchu)"),
    ("te", rf"(?P<title>.+?) {_SONG_TE} (?:pettu|pettandi|play cheyyi|vinipinchu)"),
)
_COMPILED = tuple((lang, re.compile(p + _PLEASE), a, prm) for lang, p, a, prm in _FIXED)
_PLAY_COMPILED = tuple((lang, re.compile(p + _PLEASE)) for lang, p in _PLAY)


def _clean(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s']", " ", text.casefold()).split())


def parse_indic(text: str, languages: Sequence[str]) -> GrammarMatch | None:
    """The intent of a Hinglish or Tenglish command, for the ``languages`` set."""
    wanted = {lang.strip().lower() for lang in languages}
    said = _clean(text)
    for lang, pattern, action, params in _COMPILED:
        if lang in wanted and pattern.fullmatch(said):
            return _intent(action, params)
    for lang, pattern in _PLAY_COMPILED:
        if lang not in wanted or not (m := pattern.fullmatch(said)):
            continue
        if m.groupdict().get("artist"):
            artist = m["artist"]
            return _intent(Action.PLAY, {"query": artist, "artist": artist, "kind": "artist"})
        return _intent(Action.PLAY, {"query": m["title"], "kind": "track"})
    return None
