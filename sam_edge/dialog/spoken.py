"""Spoken English as speech-to-text writes it, reduced to what the grammar's rules read.

People do not talk in commands: "Um, okay so, could you skip this?", "I don't like this, skip
it", "pause for a second". :func:`strip_spoken` removes, by class:

* hesitations anywhere ("um", "uh", "hmm", "shh", "er", "ugh"): they never carry meaning;
* discourse openers at the start ("okay so", "hold on", "well", "wait"), only when more words
  follow: "hold on" alone is itself a request to pause;
* a reason given before a command ("I don't like this, skip it", "it's too loud, turn it
  down"): only the clause before a comma, and only when it is one of the complaint forms of
  :data:`_REASON`, so "I don't like this weather" stays a chat.

:func:`without_qualifier` drops "for a second", "from now on" and "again" from the end; the
grammar tries it only on whole commands without a title, because titles end with such words
("See You Again"). Politeness ("please", "could you"), capitals, punctuation and number words
("forty") are handled by the grammar's own clean-up (:mod:`sam_edge.dialog.grammar_words`).

None of this makes a command out of a chat: every class only removes words, and what is left
must still match a whole rule.
"""

from __future__ import annotations

import re

_HESITATION = re.compile(r"(?<![\w'])(?:u+m+|u+h+m*|h+m+|m{2,}|s+h{2,}|e+r+m*|u+g+h+)(?![\w'])"
                         r"[\s,.…!?-]*", re.I)
_OPENER = re.compile(
    r"^(?:(?:ok(?:ay)?|alright|all right|right|so|well|oh|wait|hold on|hang on|actually)"
    r"(?:[\s,.…!?-]+|$))+(?=\w)", re.I)
_THIS = r"(?:this|that|it)(?: (?:one|song|track|music))?"
_REASON = re.compile(
    r"^(?:i (?:don'?t|do not) (?:like|want|love) " + _THIS + r"(?: (?:one|anymore|much))?"
    r"|i (?:hate|am tired of|'?m tired of|'?m bored of) " + _THIS +
    r"|(?:this|that|it)(?: (?:one|song|track))? (?:is|'s) (?:so |too |really |a bit )?"
    r"(?:boring|bad|awful|terrible|annoying|old|sad|slow|loud|quiet|soft)"
    r"|not " + _THIS + r"|i can'?t hear (?:it|this|that|anything|the music)"
    r"|(?:this is|it'?s) too (?:loud|quiet|soft)|too (?:loud|quiet))\s*,\s*(?=\w)", re.I)
_QUALIFIER = re.compile(
    r"(?:,?\s+(?:for (?:a|one) (?:second|sec|minute|min|moment|bit|while)|from now on|again"
    r"|for now|right now|now))+\s*[.!?]*$", re.I)


def strip_spoken(text: str) -> str:
    """``text`` without hesitations, openers and a leading reason (see the module doc);
    unchanged when nothing would be left."""
    out = _HESITATION.sub(" ", text)
    out = " ".join(out.split()).strip(" ,")
    previous = None
    while previous != out:
        previous = out
        out = _OPENER.sub("", out).lstrip(" ,")
        out = _REASON.sub("", out)
    return out if any(c.isalnum() for c in out) else text


def without_qualifier(text: str) -> str:
    """``text`` without "for a second", "from now on", "again" or "now" at its end."""
    shorter = _QUALIFIER.sub("", text)
    return shorter if shorter.strip() else text
