"""Layering rules of the data flow: the library never imports Airflow (only dags/ does) nor the sample
export generator (samplegen/, a development tool beside bench/), and no kmingest module imports itself back
through others (the import graph has no cycle; the CLI's command modules share only kmingest.cli.common)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO

FORBIDDEN = ("airflow", "samplegen")  # top-level packages the library must never import


def test_importing_every_library_module_loads_neither_airflow_nor_samplegen() -> None:
    # every file under kmingest/ (pkgutil.walk_packages skips folders without __init__.py: kmingest/index)
    modules = sorted(
        name for name in _module_names() if not name.endswith(".__main__")
    )  # __main__ runs the CLI
    assert {"kmingest.staged", "kmingest.scheduling", "kmingest.cli.ingest", "kmingest.index.reindex"} <= set(
        modules
    )
    script = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        f"print(sorted({{m.split('.')[0] for m in sys.modules}} & {set(FORBIDDEN)!r}))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.strip().splitlines()[-1] == "[]"


def test_no_library_module_names_airflow_or_samplegen_in_any_import() -> None:
    """Also the imports inside functions, which the test above does not run (a CLI command's, say)."""
    offenders = []
    for module, path in sorted(_module_names().items()):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            offenders += [f"{module}: {name}" for name in names if name.split(".")[0] in FORBIDDEN]
    assert offenders == []
    assert not (REPO / "kmingest" / "samplegen").exists()


def test_only_the_test_kits_import_the_test_kits_or_pytest() -> None:
    """kmingest.testing (the contract and conformance kits) is for test runs; the product never loads it."""
    product = {m: p for m, p in _module_names().items() if not m.startswith("kmingest.testing")}
    offenders = []
    for module, path in sorted(product.items()):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
            offenders += [
                f"{module}: {name}" for name in names if name.startswith(("kmingest.testing", "pytest"))
            ]
    assert offenders == []


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
    assert {"kmingest.cli", "kmingest.cli.common", "kmingest.cli.portal", "kmingest.index.reindex"} <= set(
        graph
    )
    assert "kmingest.cli.common" in graph["kmingest.cli.portal"]  # a top-level import
    assert "kmingest.portal.auth" in graph["kmingest.cli.portal"]  # imported inside a function
    for importer, imported in ALLOWED_CYCLE_EDGES:
        graph[importer].discard(imported)
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_the_cycle_check_reports_a_cycle() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert find_cycle(graph) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set(), "c": {"a", "b"}}) is None


COMMAND_MODULES = {
    f"kmingest.cli.{name}" for name in ("connectors", "ingest", "models", "portal", "report", "search")
}


def test_the_command_modules_share_only_the_common_module() -> None:
    """Each command group imports kmingest.cli.common, never the package that registers it, and no other
    command module except quickstart's use of the ingest helpers."""
    graph = import_graph()
    cli_modules = {name for name in graph if name == "kmingest.cli" or name.startswith("kmingest.cli.")}
    assert cli_modules == COMMAND_MODULES | {"kmingest.cli", "kmingest.cli.common", "kmingest.cli.__main__"}
    assert graph["kmingest.cli"] == COMMAND_MODULES | {"kmingest.cli.common"}
    for module in sorted(COMMAND_MODULES):
        assert "kmingest.cli.common" in graph[module], module
        allowed = {"kmingest.cli.ingest"} if module == "kmingest.cli.portal" else set()
        assert graph[module] & (cli_modules - {"kmingest.cli.common"}) == allowed, module
    assert graph["kmingest.cli.common"] & cli_modules == set()


def test_reindex_orchestration_lives_in_the_index_layer() -> None:
    """`kmingest reindex` only parses and prints: the alias layout is driven from kmingest.index.reindex."""
    graph = import_graph()
    assert "kmingest.index.reindex" in graph["kmingest.cli.ingest"]
    assert {"kmingest.index.es_schema", "kmingest.workspace"} <= graph["kmingest.index.reindex"]
    assert not graph["kmingest.cli.ingest"] & {"kmingest.index.es_schema", "kmingest.index.elastic"}
