"""The offline grammar's whole-utterance commands, the ones without a slot: pause, resume,
next, previous, volume, shuffle, repeat, now playing, like this song and switch platform.

Each rule is a regular expression that must match the whole (cleaned) utterance, and the
:class:`GrammarMatch` it gives. :func:`sam_edge.dialog.grammar.parse` tries them in order.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sam_edge.dialog.grammar_words import _I, _NUMBER, _PLATFORM, _any, _number, _platform
from sam_edge.dialog.intents import Action, Intent


@dataclass(frozen=True, slots=True)
class GrammarMatch:
    """A grammar hit; ``refers_back`` when the slot was a pronoun ("play it", "queue that")."""

    intent: Intent
    refers_back: bool = False


Params = dict[str, Any]


def _intent(
    action: Action, params: Params | None = None, refers_back: bool = False
) -> GrammarMatch:
    return GrammarMatch(Intent(action, dict(params or {}), "", "grammar"), refers_back)


# --- whole-utterance commands (no slot) -------------------------------------------------------

_THIS = r"(?:this|that|it)(?: (?:one|song|track))?"
_BIT = r"(?:a (?:little |tiny )?(?:bit )?)?"
_BIT_AFTER = r"(?: a (?:little |tiny )?bit| a little| a notch)?"
_SOUND = r"(?:volume|music|sound)"
_COMMANDS: list[tuple[re.Pattern[str], Callable[[re.Match[str]], GrammarMatch]]] = []


def _rule(pattern: str, make: Callable[[re.Match[str]], GrammarMatch]) -> None:
    _COMMANDS.append((re.compile(pattern, _I), make))


def _fixed(pattern: str, action: Action, params: Params | None = None) -> None:
    _rule(pattern, lambda _m: _intent(action, params))


_fixed(
    _any(
        "(?:pause|stop)(?: (?:it|this|the music|music|the song|playback|playing|everything))?",
        *("hold on", "hold it", "be quiet", "shut up", "silence", "quiet"),
    ),
    Action.PAUSE,
)
_fixed(
    _any(
        "(?:resume|continue)(?: (?:it|playing|playback|the music|the song|music))?",
        "un ?pause(?: it| the music)?",
        "keep (?:playing|going)",
        "carry on",
        "play(?: (?:some |the )?music)?",
        "start (?:the music|playing)(?: again)?",
        "turn (?:it|the music) back on",
    ),
    Action.RESUME,
)
_fixed(
    _any(
        "(?:(?:play|go to|skip to) )?(?:the )?next(?: (?:song|track|one))?",
        "skip(?: (?:it|this|this one|this song|this track|the song|the track|song|track|ahead))?",
    ),
    Action.NEXT,
)
# "Play that again" is PREVIOUS: like a player's previous button, the router may restart the
# current track instead when it is already well under way.
_fixed(
    _any(
        "(?:(?:play|go to|go back to) )?(?:the )?(?:previous|last)(?: (?:song|track|one))?",
        "go back(?: (?:a|one) (?:song|track))?",
        "back",
        f"(?:play )?{_THIS} again",
        "play the same song again",
        "replay(?: (?:this|that|it)(?: (?:one|song|track))?)?",
        "restart (?:the|this) (?:song|track)",
        "start (?:the|this) (?:song|track) over",
        "start over",
    ),
    Action.PREVIOUS,
)
_PERCENT = "(?: ?(?:%|percent|per cent))?"
_rule(
    _any(
        _any(
            "(?:set|change|put|adjust|make|bring|turn) (?:the )?volume(?: level)?(?: (?:up|down))?"
            " (?:to|at)",
            "(?:set|put|bring|turn) it(?: (?:up|down))? to",
            "volume(?: level)?(?: (?:to|at))?",
        )
        + f" (?P<num>{_NUMBER}){_PERCENT}",
        f"(?P<num2>{_NUMBER}) ?(?:%|percent) volume",
    ),
    lambda m: _intent(Action.SET_VOLUME, {"level": _number(m["num"] or m["num2"])}),
)
_fixed(
    _any(
        "(?:max|maximum|full) volume",
        "volume (?:to )?(?:the )?(?:max|maximum|full)",
        "max it out",
        "(?:set|turn|put|crank|pump) (?:the volume|it)"
        " (?:all the way up|(?:up )?to (?:the )?(?:max|maximum))",
        "volume all the way up",
    ),
    Action.SET_VOLUME,
    {"level": 100},
)
_fixed(
    _any(
        "mute(?: (?:it|this|everything|the (?:music|volume|sound|speaker)))?",
        "volume (?:to )?(?:the )?(?:off|min|minimum)",
        "(?:set|turn) (?:the volume|it) (?:down )?to (?:the )?minimum",
    ),
    Action.SET_VOLUME,
    {"level": 0},
)
_fixed("half volume|volume (?:to )?half", Action.SET_VOLUME, {"level": 50})
_fixed(
    _any(
        f"(?:turn|crank|pump) (?:up(?: the {_SOUND})?|(?:it|this|the {_SOUND}) up){_BIT_AFTER}",
        f"(?:make it |play it )?{_BIT}louder",
        "volume up",
        "more volume",
        "(?:increase|raise|boost) (?:the )?(?:volume|sound)",
        "(?:increase|raise) it",
        "up the volume",
    ),
    Action.VOLUME_UP,
)
_fixed(
    _any(
        f"turn (?:down(?: the {_SOUND})?|(?:it|this|the {_SOUND}) down){_BIT_AFTER}",
        f"(?:make it |play it )?{_BIT}(?:quieter|softer)",
        "volume down",
        "less volume",
        "(?:lower|decrease|reduce) (?:the )?(?:volume|sound)",
        "lower it",
        "(?:it's |its |it is |that's )?too loud",
        "not so loud",
    ),
    Action.VOLUME_DOWN,
)
_fixed(
    _any(
        "shuffle(?: (?:on|it|mode(?: on)?|everything|the (?:music|songs|playlist|queue|album)))?",
        "(?:turn|switch|put) on shuffle(?: mode)?",
        "(?:turn|switch) shuffle(?: mode)? on",
        "(?:enable|activate) shuffle(?: mode)?",
        "start shuffling",
        "(?:put it|play) on shuffle",
    ),
    Action.SHUFFLE,
    {"state": True},
)
_fixed(
    _any(
        "shuffle(?: mode)? off",
        "(?:turn|switch) off shuffle(?: mode)?",
        "(?:turn|switch) shuffle(?: mode)? off",
        "(?:disable|deactivate|stop|cancel) shuffl(?:e|ing)(?: mode)?",
        "no (?:more )?shuffl(?:e|ing)",
        *("don't shuffle", "unshuffle", "play in order"),
    ),
    Action.SHUFFLE,
    {"state": False},
)
_fixed(
    _any(
        "(?:repeat|loop) (?:(?:this|that|the|the current|current) )?(?:song|track|one)",
        "repeat this",
        "(?:put|set) (?:it|this|(?:this|the) (?:song|track)) on (?:repeat|loop)",
        "repeat mode (?:one|track|song)",
        "(?:turn on|set) repeat (?:one|song|track)",
        "on repeat",
    ),
    Action.REPEAT,
    {"state": "track"},
)
_fixed(
    _any(
        "(?:repeat|loop)"
        "(?: (?:on|all|everything|mode(?: on)?|(?:(?:the|this) )?(?:album|playlist|queue)))?",
        "(?:turn|switch) on (?:repeat|loop)(?: mode)?",
        "(?:turn|switch) (?:repeat|loop)(?: mode)? on",
        "(?:enable|activate) (?:repeat|loop)(?: mode)?",
        "(?:put|set) (?:the|this) (?:album|playlist) on repeat",
    ),
    Action.REPEAT,
    {"state": "context"},
)
_REPEATING = "(?:repeat|loop|repeating|looping)"
_fixed(
    _any(
        "(?:repeat|loop)(?: mode)? off",
        f"(?:turn|switch) off {_REPEATING}(?: mode)?",
        "(?:turn|switch) (?:repeat|loop)(?: mode)? off",
        f"no (?:more )?{_REPEATING}",
        f"(?:stop|disable|cancel|deactivate) {_REPEATING}(?: mode)?",
        "don't repeat",
    ),
    Action.REPEAT,
    {"state": "off"},
)
_fixed(
    "(?:(?:tell me|do you know) )?"
    + _any(
        "(?:what's|whats|what is) "
        + _any(
            "playing",
            "on",
            "this",
            "currently playing",
            "(?:this|that|the|the current) (?:song|track)(?: playing| called)?",
            "the name of (?:this|the|that) (?:song|track)",
        ),
        "what (?:song|track) (?:is )?(?:this|that|playing|on)",
        "which (?:song|track) is (?:this|that|playing)",
        "who (?:sings|sang|performs|made) (?:this|that|it)(?: (?:song|track))?",
        "who sings",
        "who(?:'s| is) (?:singing|this|this by|performing|the artist)",
        "what (?:am i|are we) listening to",
        "now playing",
    ),
    Action.NOW_PLAYING,
)
_fixed(
    _any(
        "(?:i )?(?:really )?(?:like|love|heart|favou?rite|save)"
        f" (?:{_THIS}|the (?:current )?(?:song|track))(?: a lot)?",
        f"(?:add|save) {_THIS} to (?:my )?"
        + _any(
            *("liked songs", "liked tracks", "likes", "liked", "library"),
            *("favou?rites", "favou?rite songs", "saved songs"),
        ),
        "thumbs up",
    ),
    Action.LIKE,
)
_rule(
    _any(
        "(?:(?:switch|change|go|move|swap)(?: (?:over|back))?"
        "|(?:switch|change) (?:the )?(?:platform|source|service|music source))"
        f" to (?P<p>{_PLATFORM})(?: instead)?",
        f"use (?P<p2>{_PLATFORM})(?: instead)?",
        "(?:play|listen)(?: (?:some )?(?:music|songs))? (?:from|on|using|via|through)"
        f" (?P<p3>{_PLATFORM})",
    ),
    lambda m: _intent(
        Action.SWITCH_PLATFORM, {"platform": _platform(m["p"] or m["p2"] or m["p3"])}
    ),
)

