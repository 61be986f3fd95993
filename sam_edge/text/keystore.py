"""``KeyStore``: the phonetic keys of names, remembered in memory and on disk.

Deriving the keys of a name (transliteration, then the phonetic fold) costs about half a
millisecond, so a 20,000-track library took seconds to index at every start and after every
sync. The store keeps each name's keys and writes them to one JSON file; the next start reads
the file instead. The file carries a fingerprint of the code that derives keys and of the
transliteration library's version: a change to either throws the stored keys away.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import tempfile
from importlib import metadata
from pathlib import Path

from . import matcher, phonetic, scripts

log = logging.getLogger(__name__)

Keys = tuple[list[str], list[str]]


def fingerprint() -> str:
    """Changes whenever the derivation of keys may change."""
    digest = hashlib.sha256()
    for module in (matcher, phonetic, scripts):
        digest.update(Path(module.__file__ or "").read_bytes())
    with contextlib.suppress(metadata.PackageNotFoundError):
        digest.update(metadata.version("indic-transliteration").encode())
    return digest.hexdigest()[:16]


class KeyStore:
    """Keys per name; :meth:`save` writes the names used since the last save or load."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self._stored: dict[str, Keys] = {}
        self._used: dict[str, Keys] = {}
        self._fingerprint = fingerprint() if path is not None else ""
        if path is not None:
            self._stored = self._read(path)

    def _read(self, path: Path) -> dict[str, Keys]:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            log.warning("ignoring the title key file %s: %s", path, exc)
            return {}
        if not isinstance(data, dict) or data.get("fingerprint") != self._fingerprint:
            return {}
        names = data.get("keys")
        if not isinstance(names, dict):
            return {}
        return {name: (list(keys[0]), list(keys[1])) for name, keys in names.items()}

    def __len__(self) -> int:
        return len(self._used)

    def keys_of(self, name: str) -> Keys:
        """:func:`~sam_edge.text.matcher.keys_of`, remembered."""
        found = self._used.get(name)
        if found is None:
            found = self._stored.get(name)
            if found is None:
                found = matcher.keys_of(name)
            self._used[name] = found
        return found

    def save(self) -> None:
        """Write the names used since the last load (names gone from the library go)."""
        if self.path is None or not self._used or self._used.keys() == self._stored.keys():
            return
        data = {"fingerprint": self._fingerprint, "keys": self._used}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".title-keys-")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                json.dump(data, out, ensure_ascii=False, separators=(",", ":"))
            os.replace(tmp, self.path)
        except OSError as exc:  # a full disk only costs the next start some time
            log.warning("could not write the title key file %s: %s", self.path, exc)
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            return
        self._stored, self._used = self._used, {}
