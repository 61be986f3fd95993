"""A room named in a command ("play Hello in the kitchen", "on the living room speaker",
"pause the kitchen"): it becomes the intent's ``device`` parameter.

Only rooms of a home are read as rooms ("in the kitchen", "in Maya's room"), or anything said
as a speaker ("on the garage speaker"): "play Dancing in the Dark" stays a title.
"""

from __future__ import annotations

import re

ROOM_WORDS = (
    "kitchen", "living room", "lounge", "bedroom", "master bedroom", "guest room", "bathroom",
    "office", "study", "dining room", "hall", "hallway", "garage", "basement", "attic",
    "garden", "patio", "porch", "den", "nursery", "kids room", "kids' room", "playroom",
    "family room", "sitting room",
)
_ROOM = "(?:" + "|".join(re.escape(r) for r in sorted(ROOM_WORDS, key=len, reverse=True)) \
    + r"|[\w'-]+'s room)"
_SPEAKER = r"[\w' -]{1,30}?"
_TAIL = re.compile(
    rf"^(?P<rest>.+?),? (?:(?:in|on|to) (?:the )?(?P<room>{_ROOM})(?: speaker)?"
    rf"|on (?:the )?(?P<speaker>{_SPEAKER}) speaker)[.!?]?$", re.IGNORECASE)
_TRANSPORT = re.compile(
    rf"^(?P<verb>pause|stop|resume|unpause|skip|next|previous|mute) (?:(?:on|in) )?(?:the )?"
    rf"(?:(?P<room>{_ROOM})|(?P<speaker>{_SPEAKER}) speaker)[.!?]?$", re.IGNORECASE)


def split_room(text: str) -> tuple[str, str | None]:
    """``(command without the room, room)``; the room is ``None`` when none is named."""
    spoken = " ".join(text.strip().split())
    for rule in (_TRANSPORT, _TAIL):
        if m := rule.match(spoken):
            room = (m["room"] or m["speaker"]).strip().lower()
            rest = m["verb"] if "verb" in rule.groupindex else m["rest"]
            return rest, room
    return text, None
