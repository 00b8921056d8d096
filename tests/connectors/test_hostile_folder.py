"""A hostile shared folder end to end (issue 13): every hostile file of the filesystem rows in one source,
beside good files, ingested by the CLI in a child process. The run exits 0, indexes every good file, reports
each hostile one with its reason, and its peak memory stays under 1.5 GB. Also row 19: a file moved into a
restricted folder does not stay readable at its old id after a scheduled (non-full) run."""

from __future__ import annotations

import io
import json
import os
import socket
import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl
import pytest

from kmingest.config import parse_config
from kmingest.index.base import Caller, SearchRequest
from kmingest.testing.embedder import hashed_embedding
from kmingest.workspace import Workspace

PEAK_RSS_LIMIT_MB = 1536
# The child runs the CLI as its own child, so RUSAGE_CHILDREN measures the ingest alone.
MEASURE = """import resource, subprocess, sys
rc = subprocess.call([sys.executable, "-c", "from kmingest.cli import cli; cli()", *sys.argv[1:]])
print("PEAK_KB", resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr)
sys.exit(rc)
"""


def write_config(tmp_path: Path, docs: Path, real_models: bool = False) -> Path:
    """The real models where the run's memory is measured (they are most of it); else hashed vectors."""
    state = tmp_path / "state"
    cache = {"cache_path": str(state / "emb.db")}
    files = {"name": "files", "connector": "filesystem", "path": str(docs), "department_from_folder": True}
    config = {
        "state_dir": str(state),
        "index": {"path": str(state / "index.db")},
        "embedding": cache if real_models else hashed_embedding(**cache),
        "sources": [files],
    }
    path = tmp_path / "kmingest.yaml"
    path.write_text(json.dumps(config), encoding="utf-8")  # JSON is YAML
    return path


def xlsx_bomb() -> bytes:
    book = openpyxl.Workbook()
    ws = book.active
    assert ws is not None
    ws.append(["a", "b"])
    plain = io.BytesIO()
    book.save(plain)
    source = zipfile.ZipFile(plain)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as bomb:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"<sheetData>", b"<sheetData>" + b" " * 40_000_000)
            bomb.writestr(info.filename, data)
    return out.getvalue()


GOOD = {
    "Quality/calibration.md": "# Calibration\n\nTorque wrenches are calibrated every six months.",
    "Quality/notes.txt": "Incoming inspection samples five parts per lot.",
    "HR/leave.txt": "Employees get ten days of annual leave.",
    "质量报告.txt": "Quality report: scrap rate fell to two percent.",  # name written in GB18030 below
    "odd\\xff\\xfename.txt": "A file whose name is valid in no encoding.",
}


def hostile_folder(tmp_path: Path) -> Path:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "salaries.txt").write_text("Salary of the CEO: secret.")
    docs = tmp_path / "docs"
    for rel, text in GOOD.items():
        raw = os.fsencode(docs / rel)
        if rel.startswith("质量"):
            raw = os.path.join(os.fsencode(docs), rel.encode("gb18030"))
        elif rel.startswith("odd"):
            raw = os.path.join(os.fsencode(docs), b"odd\xff\xfename.txt")
        os.makedirs(os.path.dirname(raw), exist_ok=True)
        with open(raw, "wb") as fh:
            fh.write(text.encode("utf-8"))
    (docs / "passwd.txt").symlink_to("/etc/passwd")
    (docs / "salaries.txt").symlink_to(outside / "salaries.txt")
    (docs / "zero.txt").symlink_to("/dev/zero")
    (docs / "Quality" / "leak").symlink_to(outside, target_is_directory=True)
    os.mkfifo(docs / "pipe.txt")
    with open(docs / "sparse.txt", "wb") as fh:
        fh.truncate(2 * 1024**3)  # 2 GB on paper
    (docs / "bomb.xlsx").write_bytes(xlsx_bomb())
    (docs / "cells.csv").write_text("id,text\n1," + "x" * 200_000 + "\n2,fine\n")
    return docs


def test_hostile_folder_run_exits_0_indexes_every_good_file_in_bounded_memory(tmp_path: Path) -> None:
    docs = hostile_folder(tmp_path)
    config = write_config(tmp_path, docs, real_models=True)
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(docs / "s.sock"))
        done = subprocess.run(
            [sys.executable, "-c", MEASURE, "--config", str(config), "ingest", "files", "--json"],
            capture_output=True,
            text=True,
            timeout=600,
            cwd=tmp_path,
        )
    assert done.returncode == 0, done.stderr[-3000:]
    peak_mb = int(done.stderr.rsplit("PEAK_KB", 1)[1].split()[0]) / 1024
    print(f"hostile folder ingest: peak RSS {peak_mb:.0f} MB")
    assert peak_mb < PEAK_RSS_LIMIT_MB
    with Workspace(parse_config(json.loads(config.read_text()), config)) as ws:
        known = ws.state.known("files")
        indexed = {eid for eid, (_, status, _) in known.items() if status == "indexed"}
        problems = {d["external_id"]: d["reason"] for d in ws.state.dead_letters("files")}
        anonymous = ws.index.search(
            SearchRequest(query="salary CEO secret root", mode="bm25"), Caller.anonymous(), None
        )
    assert set(GOOD) <= indexed
    outside = "path leads outside the source folder (symbolic link); not read"
    assert problems["passwd.txt"] == problems["salaries.txt"] == problems["zero.txt"] == outside
    assert problems["pipe.txt"] == "a FIFO (named pipe), not a regular file; not read"
    assert problems["s.sock"] == "a socket, not a regular file; not read"
    assert problems["sparse.txt"].startswith("file too large: 2147483648 bytes")
    assert "zip bomb" in problems["bomb.xlsx"]
    assert "cells.csv" in indexed  # the parser drops the row over the csv field limit, keeps the others
    assert not [h for h in anonymous.hits if "CEO" in h.title or "passwd" in h.title]


def test_file_moved_into_a_restricted_folder_loses_its_old_public_id_on_a_scheduled_run(
    tmp_path: Path,
) -> None:
    docs = tmp_path / "docs"
    (docs / "Public").mkdir(parents=True)
    (docs / "HR").mkdir()
    (docs / "Public" / "plan.txt").write_text("Restructuring plan: the night shift closes in May.")
    config = write_config(tmp_path, docs)
    cfg = parse_config(json.loads(config.read_text()), config)
    request = SearchRequest(query="restructuring night shift", mode="bm25")
    with Workspace(cfg) as ws:
        ws.ingest(["files"])
        assert [h.external_id for h in ws.index.search(request, Caller.anonymous(), None).hits] == [
            "Public/plan.txt"
        ]
    (docs / "Public" / "plan.txt").rename(docs / "HR" / "plan.txt")
    (docs / "HR" / "plan.txt.meta.json").write_text('{"acl": ["dept:HR"]}')
    with Workspace(cfg) as ws:
        stats = ws.ingest(["files"])["files"]  # scheduled runs are not full syncs
        anonymous = [h.external_id for h in ws.index.search(request, Caller.anonymous(), None).hits]
        hr = [h.external_id for h in ws.index.search(request, Caller(frozenset({"dept:HR"})), None).hits]
    assert hr == ["HR/plan.txt"]
    assert anonymous == [], "the moved file is still public at its old id"
    assert stats.deleted == 1


def test_a_folder_that_cannot_be_listed_or_a_share_that_looks_empty_deletes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    docs = tmp_path / "docs"
    (docs / "HR").mkdir(parents=True)
    (docs / "HR" / "policy.txt").write_text("Leave policy: twenty days a year.")
    (docs / "notes.txt").write_text("Canteen opens at seven.")
    config = write_config(tmp_path, docs)
    cfg = parse_config(json.loads(config.read_text()), config)
    with Workspace(cfg) as ws:
        assert ws.ingest(["files"])["files"].indexed == 2
    real_scandir = os.scandir

    def scandir(path: object) -> object:
        if Path(os.fsdecode(path)).name == "HR":  # type: ignore[arg-type]
            raise PermissionError(13, "Permission denied")
        return real_scandir(path)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "scandir", scandir)
    with Workspace(cfg) as ws:
        stats = ws.ingest(["files"])["files"]
        assert (stats.deleted, stats.failed) == (0, 1)  # HR/ unreadable: its files are hidden, not gone
        assert ws.index.stats()["documents"] == 2
    monkeypatch.setattr(os, "scandir", real_scandir)
    (docs / "HR" / "policy.txt").unlink()
    (docs / "notes.txt").unlink()  # the folder is empty, as an unmounted share looks
    with Workspace(cfg) as ws:
        assert ws.ingest(["files"])["files"].deleted == 0
        assert ws.index.stats()["documents"] == 2
        assert ws.ingest(["files"], full=True)["files"].deleted == 2  # a full sync trusts an empty listing
