"""Layering rules of the data flow: the library never imports Airflow (only dags/ does)."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

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
