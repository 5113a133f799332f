"""The product's layers, read from the source with `ast` (docs/design.md §1).

epochdrop (base) ← indexer, distributor ← pipeline: no cycle between top-level packages, and no
`_name` imported from another top-level package (a package's public face is its non-underscore
names). Reading the source rather than importing it sees the imports hidden inside functions,
which is where the old indexer ↔ distributor cycle lived.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("epochdrop", "indexer", "distributor", "pipeline")
ALLOWED = {  # who may import whom (the layering of docs/design.md §1)
    "epochdrop": set(),
    "indexer": {"epochdrop"},
    "distributor": {"epochdrop"},
    "pipeline": {"epochdrop", "indexer", "distributor"},
}


def _imports(path: Path) -> list[tuple[str, list[str], int]]:
    """(imported module, imported names, line) for every import in one file."""
    tree = ast.parse(path.read_text(), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(a.name, [], node.lineno) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.module, [a.name for a in node.names], node.lineno))
    return found


def _private(name: str) -> bool:
    """`_x` is private; dunders (`__version__`) are public by convention."""
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _edges() -> list[tuple[str, str, str, list[str], int]]:
    edges = []
    for pkg in PACKAGES:
        for path in sorted((REPO / pkg).rglob("*.py")):
            for module, names, line in _imports(path):
                top = module.split(".")[0]
                if top in PACKAGES and top != pkg:
                    edges.append((pkg, top, f"{path.relative_to(REPO)}:{line}", [module, *names], line))
    return edges


def test_no_import_runs_against_the_layers() -> None:
    wrong = [f"{where}: {src} imports {dst} ({what[0]})" for src, dst, where, what, _ in _edges()
             if dst not in ALLOWED[src]]
    assert not wrong, "imports against the layers:\n" + "\n".join(wrong)


def test_no_cycle_between_top_level_packages() -> None:
    graph: dict[str, set[str]] = {p: set() for p in PACKAGES}
    for src, dst, *_ in _edges():
        graph[src].add(dst)

    def reach(start: str) -> set[str]:
        seen, todo = set(), [start]
        while todo:
            for nxt in graph[todo.pop()]:
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        return seen

    cycles = [p for p in PACKAGES if p in reach(p)]
    assert not cycles, f"packages on an import cycle: {cycles} (graph {graph})"


def test_no_underscore_name_crosses_a_package() -> None:
    wrong = []
    for src, dst, where, what, _ in _edges():
        module, *names = what
        private = [p for p in [*module.split(".")[1:], *names] if _private(p)]
        if private:
            wrong.append(f"{where}: {module} {names} ({', '.join(private)})")
    assert not wrong, "private names imported across packages:\n" + "\n".join(wrong)


@pytest.mark.parametrize("source, expected", [
    ("from distributor.x import y\n", ("distributor.x", ["y"])),
    ("def f():\n    from indexer.api import _z\n", ("indexer.api", ["_z"])),
])
def test_the_walk_sees_imports_inside_functions(tmp_path: Path, source: str, expected) -> None:
    """The checker itself: an import inside a function is found (else the tests above could
    not fail on the kind of cycle they exist for)."""
    f = tmp_path / "m.py"
    f.write_text(source)
    assert [(m, n) for m, n, _ in _imports(f)] == [expected]
