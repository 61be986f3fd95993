"""The key store: keys survive a restart, and keys from other code are thrown away."""

from __future__ import annotations

import json
from pathlib import Path

from sam_edge.text import keystore
from sam_edge.text.keystore import KeyStore
from sam_edge.text.matcher import keys_of
from sam_edge.text.titles import TitleIndex


def test_a_second_start_reads_the_keys_instead_of_deriving_them(tmp_path: Path,
                                                                monkeypatch) -> None:
    path = tmp_path / "title_keys.json"
    first = KeyStore(path)
    assert first.keys_of("సామజవరగమన") == keys_of("సామజవరగమన")
    first.save()
    calls: list[str] = []
    monkeypatch.setattr(keystore.matcher, "keys_of", lambda name: calls.append(name) or ([], []))
    second = KeyStore(path)
    index: TitleIndex[str] = TitleIndex.using(second)
    index.add("సామజవరగమన", "సామజవరగమన")
    assert calls == []
    assert index.resolve("samajavaragamana").best == "సామజవరగమన"


def test_keys_from_another_version_of_the_rules_are_ignored(tmp_path: Path) -> None:
    path = tmp_path / "title_keys.json"
    path.write_text(json.dumps({"fingerprint": "old", "keys": {"x": [["wrong"], []]}}))
    assert KeyStore(path).keys_of("x") == keys_of("x")
    path.write_text("not json")
    assert KeyStore(path).keys_of("x") == keys_of("x")


def test_names_gone_from_the_library_leave_the_file(tmp_path: Path) -> None:
    path = tmp_path / "title_keys.json"
    store = KeyStore(path)
    store.keys_of("Hello")
    store.keys_of("Gone")
    store.save()
    store.keys_of("Hello")
    store.save()
    assert set(json.loads(path.read_text())["keys"]) == {"Hello"}
