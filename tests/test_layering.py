"""Layering rules of the data flow: the library never imports Airflow (only dags/ does), and no
kmingest module imports itself back through others (the import graph has no cycle)."""

from __future__ import annotations

import ast
import pkgutil
import subprocess
import sys
from pathlib import Path

import kmingest
from tests.conftest import REPO


def test_no_library_module_imports_airflow() -> None:
    modules = sorted(m.name for m in pkgutil.walk_packages(kmingest.__path__, "kmingest."))
    assert "kmingest.staged" in modules and "kmingest.scheduling" in modules
    script = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "print(sorted({m.split('.')[0] for m in sys.modules if m.split('.')[0] == 'airflow'}))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.strip().splitlines()[-1] == "[]"


def _module_names() -> dict[str, Path]:
    """Every module under kmingest/ by dotted name (a package by its __init__.py)."""
    names: dict[str, Path] = {}
    for path in sorted((REPO / "kmingest").rglob("*.py")):
        parts = list(path.relative_to(REPO).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        names[".".join(parts)] = path
    return names


def _is_type_checking_block(node: ast.AST) -> bool:
    test = node.test if isinstance(node, ast.If) else None
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imported(module: str, path: Path, known: set[str]) -> set[str]:
    """kmingest modules that `module` imports when it runs (top level and inside functions; imports
    under `if TYPE_CHECKING:` never run and are left out). `from a import b` counts a.b when b is a
    module, else a."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    skipped: set[int] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.If) and _is_type_checking_block(node):
            skipped.update(id(inner) for stmt in node.body for inner in ast.walk(stmt))
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            for alias in node.names:
                found.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base)
    return {name for name in found if name in known and name != module}


def import_graph() -> dict[str, set[str]]:
    names = _module_names()
    return {module: _imported(module, path, set(names)) for module, path in names.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as [a, b, ..., a], or None when the graph is acyclic (depth-first search)."""
    done: set[str] = set()
    for start in sorted(graph):
        if start in done:
            continue
        path, on_path = [start], {start}
        stack: list[tuple[str, list[str]]] = [(start, sorted(graph[start]))]
        while stack:
            node, pending = stack[-1]
            if not pending:
                stack.pop()
                path.pop()
                on_path.discard(node)
                done.add(node)
                continue
            nxt = pending.pop(0)
            if nxt in on_path:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in done:
                stack.append((nxt, sorted(graph[nxt])))
                path.append(nxt)
                on_path.add(nxt)
    return None


# Import edges (importer, imported) that close a cycle nobody has removed yet. Keep it empty or small:
# a new cycle fails test_the_import_graph_has_no_cycle until it is removed (or consciously listed here).
ALLOWED_CYCLE_EDGES: frozenset[tuple[str, str]] = frozenset()


def test_the_import_graph_has_no_cycle() -> None:
    graph = import_graph()
    assert {"kmingest.cli", "kmingest.cli_common", "kmingest.cli_portal"} <= set(graph)
    assert "kmingest.cli_common" in graph["kmingest.cli_portal"]  # a top-level import
    assert "kmingest.portal.auth" in graph["kmingest.cli_portal"]  # imported inside a function
    for importer, imported in ALLOWED_CYCLE_EDGES:
        graph[importer].discard(imported)
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_the_cycle_check_reports_a_cycle() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert find_cycle(graph) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set(), "c": {"a", "b"}}) is None


def test_the_command_modules_do_not_import_each_other() -> None:
    graph = import_graph()
    commands = {"kmingest.cli_admin", "kmingest.cli_models", "kmingest.cli_portal", "kmingest.cli_report"}
    for module in sorted(commands):
        assert graph[module] & (commands | {"kmingest.cli"}) == set(), module
