"""The shape of the package: every module is small and imports on its own, and no two modules
import each other, however indirectly (checked on the source with an AST walk, so lazy imports
inside functions count too; ``TYPE_CHECKING`` blocks do not)."""

from __future__ import annotations

import ast
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "sam_edge"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {module_name(p): p for p in PACKAGE.rglob("*.py") if "migrations" not in p.parts}


def _type_checking_only(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> bool:
    while node in parents:
        node = parents[node]
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            return True
    return False


def imports_of(name: str) -> set[str]:
    path = MODULES[name]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if _type_checking_only(node, parents):
            continue
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            targets = [module] + [f"{module}.{alias.name}" for alias in node.names]
        for target in targets:
            if target in MODULES and target != name:
                found.add(target)
    return found


def import_graph(names: list[str] | None = None) -> dict[str, set[str]]:
    return {name: imports_of(name) for name in (names or list(MODULES))}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    # A package's __init__ is imported with any of its modules: that edge is not a cycle.
    for name, targets in graph.items():
        graph[name] = {t for t in targets if not name.startswith(t + ".")}
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if nxt not in graph:
                continue
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt):], nxt]
            if nxt not in state:
                cycle = visit(nxt)
                if cycle:
                    return cycle
        stack.pop()
        state[node] = 2
        return None

    for name in sorted(graph):
        if name not in state:
            cycle = visit(name)
            if cycle:
                return cycle
    return None


def test_no_import_cycles() -> None:
    cycle = find_cycle(import_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_the_cycle_finder_finds_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(MODULES, "sam_edge.zz_a", tmp_path / "a.py")
    monkeypatch.setitem(MODULES, "sam_edge.zz_b", tmp_path / "b.py")
    (tmp_path / "a.py").write_text("from sam_edge import zz_b\n")
    (tmp_path / "b.py").write_text("def f():\n    from . import zz_a\n")
    graph = import_graph(["sam_edge.zz_a", "sam_edge.zz_b"])
    assert find_cycle(graph) == ["sam_edge.zz_a", "sam_edge.zz_b", "sam_edge.zz_a"]


@pytest.mark.timeout(900)
def test_every_module_imports_on_its_own() -> None:
    names = sorted(n for n in MODULES if n != "sam_edge.__main__")

    def one(name: str) -> str:
        done = subprocess.run([sys.executable, "-c", f"import {name}"], capture_output=True,
                              text=True, timeout=300, cwd=PACKAGE.parent)
        if done.returncode:
            return f"{name}: {(done.stderr.strip().splitlines() or ['?'])[-1]}"
        return ""

    with ThreadPoolExecutor(max_workers=4) as pool:
        failed = [line for line in pool.map(one, names) if line]
    assert not failed, "\n".join(failed)


MAX_LINES = 300


def test_every_module_is_small() -> None:
    """A module holds one thing; past 300 lines it holds two (tables of pure data excepted,
    and there are none yet)."""
    long = {name: n for name, path in MODULES.items()
            if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert not long, f"modules over {MAX_LINES} lines: {long}"
