"""A wheel built from the repository works without the source tree (issue 15): `pip wheel` builds it, pip
installs it into a fresh virtualenv, and its `kmingest` console script runs `kmingest eval` on a tiny BEIR
folder with the Elasticsearch backend, so the mappings (package data) and the models load from the wheel.

The fresh venv reuses this venv's third-party packages through a .pth file that points at a folder of links
to them, leaving out the editable kmingest install; it runs from a temporary folder with no PYTHONPATH, so
nothing of the checkout is importable there. The wheel is built from a copy of the packaged files, so a
stale build/ folder in the checkout cannot leak into it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import uuid
import zipfile
from pathlib import Path

import pytest
from elasticsearch import Elasticsearch

from kmingest.index.es_schema import Layout
from tests.conftest import REPO
from tests.index.test_elasticsearch import ES_URL

pytestmark = pytest.mark.integration

PACKAGED = ("pyproject.toml", "README.md", "kmingest", "connectors", "mappings")
PIP = [sys.executable, "-m", "pip"]  # this venv's pip (offline: setuptools is already here)
EDITABLE = ("kmingest", "connectors", "__editable__", "kmingest-", "distutils-precedence.pth")


def build_wheel(tmp_path: Path) -> Path:
    src = tmp_path / "src"
    src.mkdir()
    for name in PACKAGED:
        if (REPO / name).is_dir():
            ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
            shutil.copytree(REPO / name, src / name, symlinks=True, ignore=ignore)
        else:
            shutil.copy(REPO / name, src / name)
    dist = tmp_path / "dist"
    pip_wheel = [*PIP, "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(dist), str(src)]
    proc = subprocess.run(pip_wheel, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    [wheel] = dist.glob("kmingest-*.whl")
    return wheel


def fresh_venv(tmp_path: Path, wheel: Path, env: dict[str, str]) -> Path:
    """A venv with the wheel installed and this venv's third-party packages visible (read-only links)."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    shared = tmp_path / "third-party"
    shared.mkdir()
    for entry in Path(sysconfig.get_paths()["purelib"]).iterdir():
        if not entry.name.startswith(EDITABLE):
            (shared / entry.name).symlink_to(entry)
    python = venv / "bin" / "python"
    site = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout.strip()
    (Path(site) / "third_party.pth").write_text(f"{shared}\n", encoding="utf-8")
    install = [*PIP, "--python", str(python), "install", "--no-deps", "--no-index", "-q", str(wheel)]
    proc = subprocess.run(install, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "already installed" not in proc.stdout, proc.stdout  # the checkout must not count as installed
    return venv


def beir_folder(root: Path, tag: str) -> Path:
    """Four documents, two queries, each with one relevant document; ids carry the test's tag."""
    corpus = {
        f"{tag}-torque": "Torque wrenches are calibrated every six months against the reference bench.",
        f"{tag}-cavitation": "Pump cavitation noise comes from vapour bubbles collapsing at the impeller.",
        f"{tag}-leave": "Employees book annual leave in the HR portal two weeks in advance.",
        f"{tag}-invoice": "Supplier invoices are matched against purchase orders before payment.",
    }
    queries = {
        "q1": "how often are torque wrenches calibrated",
        "q2": "why does a pump make cavitation noise",
    }
    (root / "qrels").mkdir(parents=True)
    lines = [json.dumps({"_id": i, "title": "", "text": t}) for i, t in corpus.items()]
    (root / "corpus.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    lines = [json.dumps({"_id": q, "text": t}) for q, t in queries.items()]
    (root / "queries.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    qrels = f"query-id\tcorpus-id\tscore\nq1\t{tag}-torque\t1\nq2\t{tag}-cavitation\t1\n"
    (root / "qrels" / "test.tsv").write_text(qrels, encoding="utf-8")
    return root


def drop_eval_index(tag: str) -> None:
    """The eval index holding this test's corpus (found by its document ids), with its aliases."""
    client = Elasticsearch(ES_URL)
    found = client.search(
        index="kmingest-eval-*-documents",
        query={"prefix": {"external_id": tag}},
        size=1,
        ignore_unavailable=True,
    )
    for hit in found["hits"]["hits"]:
        Layout(client, hit["_index"].rsplit("-documents-v", 1)[0]).drop()


def test_the_wheel_runs_eval_on_elasticsearch_without_the_source_tree(tmp_path: Path) -> None:
    wheel = build_wheel(tmp_path)
    names = zipfile.ZipFile(wheel).namelist()
    assert {"kmingest/index/mappings/chunks.json", "kmingest/index/mappings/documents.json"} <= set(names)
    assert "kmingest/cli/__init__.py" in names and "connectors/__init__.py" in names
    assert not [n for n in names if n.startswith(("samplegen/", "bench/", "tests/", "kmingest/samplegen"))]

    # nothing of the checkout: no PYTHONPATH (scripts/env.sh puts the checkout there), no config from it
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "KMINGEST_CONFIG")}
    venv = fresh_venv(tmp_path, wheel, env)
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    work = tmp_path / "work"
    work.mkdir()
    tag = f"wheel{uuid.uuid4().hex[:8]}"
    beir_folder(work / "beir", tag)
    config = {"state_dir": str(work / "state"), "index": {"backend": "elasticsearch", "url": ES_URL}}
    (work / "kmingest.yaml").write_text(json.dumps(config), encoding="utf-8")

    where = subprocess.run(
        [venv / "bin" / "python", "-c", "import kmingest.index.es_schema as s; print(s.__file__)"],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert where.returncode == 0, where.stderr[-3000:]
    assert Path(where.stdout.strip()).is_relative_to(venv), where.stdout

    try:
        proc = subprocess.run(
            [venv / "bin" / "kmingest", "eval", "beir", "--mode", "all", "--json"],
            cwd=work,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert proc.returncode == 0, proc.stderr[-3000:]
        scores = json.loads(proc.stdout)
    finally:
        drop_eval_index(tag)
    assert set(scores) == {"bm25", "vector", "hybrid"}
    for mode, score in scores.items():
        assert score["queries"] == 2, mode
        assert score["recall@100"] == 1.0, mode
        assert score["ndcg@10"] > 0.9, mode
