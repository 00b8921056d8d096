"""The runner end to end on a small folder: incremental runs, full-sync deletion, dead letters, faults.
The subject is the runner, so chunks are embedded by the hashed test embedder; one run with the default
models checks the whole path with real vectors (the end-to-end path of the embedded backend)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from kmingest.batch_write import Scan
from kmingest.config import Config, parse_config
from kmingest.index.base import Caller, SearchRequest
from kmingest.search import search
from kmingest.testing.embedder import hashed_embedding
from kmingest.workspace import Workspace


def make_config(root: Path, real_models: bool = False) -> Config:
    cache = {"cache_path": str(root / "state" / "emb.db")}
    docs = {
        "name": "docs",
        "connector": "filesystem",
        "path": str(root / "docs"),
        "department_from_folder": True,
    }
    data = {
        "state_dir": str(root / "state"),
        "index": {"path": str(root / "state" / "index.db")},
        "embedding": cache if real_models else hashed_embedding(**cache),
        "sources": [docs],
    }
    return parse_config(data, root / "kmingest.yaml")


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    docs = tmp_path / "docs"
    (docs / "Quality").mkdir(parents=True)
    (docs / "HR").mkdir()
    (docs / "Quality" / "calibration.md").write_text(
        "# Calibration\n\n" + "Torque wrenches are calibrated every six months by the lab. " * 12,
        encoding="utf-8",
    )
    (docs / "HR" / "leave.txt").write_text("Employees get ten days of annual leave.", encoding="utf-8")
    (docs / "HR" / "考勤.txt").write_bytes("员工请假需提前在OA系统提交申请。".encode("gb18030"))
    (docs / "HR" / "secret.md").write_text("Salary bands for engineers.", encoding="utf-8")
    (docs / "HR" / "secret.md.meta.json").write_text('{"acl": ["dept:HR"]}', encoding="utf-8")
    (docs / "HR" / "scan.jpg").write_bytes(b"\xff\xd8\xff\xe0" + bytes(100))  # an image: skipped (no OCR)
    (docs / "HR" / "broken.pdf").write_bytes(b"%PDF-1.4 garbage")
    return tmp_path


def titles(ws: Workspace, text: str, caller: Caller = Caller.system()) -> list[str]:
    return [h.title for h in ws.index.search(SearchRequest(query=text, mode="bm25"), caller, None).hits]


def test_first_run_indexes_and_records_skips_and_failures(folder: Path) -> None:
    with Workspace(make_config(folder)) as ws:
        stats = ws.ingest(["docs"])["docs"]
        assert (stats.seen, stats.new, stats.indexed, stats.skipped, stats.failed) == (6, 6, 4, 1, 1)
        assert stats.embedded == stats.chunks > 0
        problems = {d["external_id"]: (d["kind"], d["reason"]) for d in ws.state.dead_letters("docs")}
        assert problems["HR/scan.jpg"][0] == "skipped" and "image" in problems["HR/scan.jpg"][1].lower()
        assert problems["HR/broken.pdf"][0] == "failed" and problems["HR/broken.pdf"][1]
        assert titles(ws, "torque") == ["Calibration"]
        assert titles(ws, "请假") == ["考勤"]
        counts = ws.index.counts(Caller.system(), ["department"])
        assert counts == {("Quality",): 1, ("HR",): 3}
        assert titles(ws, "salary", Caller.anonymous()) == []
        assert titles(ws, "salary", Caller(frozenset({"dept:HR"}))) == ["secret"]


def test_a_run_with_the_default_models_finds_documents_by_meaning(folder: Path) -> None:
    with Workspace(make_config(folder, real_models=True)) as ws:
        stats = ws.ingest(["docs"])["docs"]
        assert (stats.indexed, stats.skipped, stats.failed) == (4, 1, 1)
        assert ws.index.stored_spaces() == {"bge-small-en-v1.5-q": 384, "bge-small-zh-v1.5-q": 512}
        # no word in common with "Employees get ten days of annual leave."
        meaning = search(ws, "vacation allowance", Caller.anonymous(), mode="vector")
        assert [h.title for h in meaning.hits][:1] == ["leave"]
        chinese = search(ws, "员工休假手续", Caller.anonymous(), mode="vector")
        assert [h.title for h in chinese.hits][:1] == ["考勤"]


def test_second_run_with_nothing_changed_embeds_and_writes_nothing(folder: Path) -> None:
    cfg = make_config(folder)
    with Workspace(cfg) as ws:
        ws.ingest(["docs"])
    generation = (
        sqlite3.connect(cfg.index.path).execute("SELECT value FROM meta WHERE key='generation'").fetchone()
    )
    with Workspace(cfg) as ws:
        stats = ws.ingest(["docs"])["docs"]
    # broken.pdf failed last time: retried (and failing again), the rest unchanged
    assert (stats.unchanged, stats.retried, stats.new, stats.updated, stats.indexed, stats.embedded) == (
        5,
        1,
        0,
        0,
        0,
        0,
    )
    again = (
        sqlite3.connect(cfg.index.path).execute("SELECT value FROM meta WHERE key='generation'").fetchone()
    )
    assert again == generation


def test_changed_file_is_reindexed_and_unchanged_chunks_come_from_the_cache(folder: Path) -> None:
    cfg = make_config(folder)
    path = folder / "docs" / "Quality" / "calibration.md"
    with Workspace(cfg) as ws:
        ws.ingest(["docs"])
        path.write_text(path.read_text(encoding="utf-8") + "\n# Gauges\n\nGauges are checked yearly.\n")
        stats = ws.ingest(["docs"])["docs"]
        assert (stats.updated, stats.retried, stats.unchanged, stats.indexed) == (1, 1, 4, 1)
        assert stats.embedded == 1 and stats.embedding_cache_hits == 1
        assert titles(ws, "gauges") == ["Calibration"]
        assert ws.index.stats()["documents"] == 4


def test_a_folder_source_deletes_removed_files_on_its_next_run(folder: Path) -> None:
    cfg = make_config(folder)
    with Workspace(cfg) as ws:
        ws.ingest(["docs"])
        (folder / "docs" / "Quality" / "calibration.md").unlink()
        (folder / "docs" / "HR" / "broken.pdf").unlink()
        stats = ws.ingest(["docs"])["docs"]  # a folder is listed whole on every run: no need for a full sync
        assert stats.deleted == 2
        assert titles(ws, "torque") == []
        assert ws.index.counts(Caller.system(), ["department"]) == {("HR",): 3}
        assert ws.index.stats()["chunks"] == 3
        assert "HR/broken.pdf" not in {d["external_id"] for d in ws.state.dead_letters("docs")}
        assert ws.ingest(["docs"], full=True)["docs"].deleted == 0


def test_fixing_a_broken_file_clears_its_dead_letter(folder: Path) -> None:
    with Workspace(make_config(folder)) as ws:
        ws.ingest(["docs"])
        (folder / "docs" / "HR" / "broken.pdf").unlink()
        (folder / "docs" / "HR" / "broken.txt").write_text("Now readable.", encoding="utf-8")
        (folder / "docs" / "HR" / "scan.jpg").write_text("Converted to text.", encoding="utf-8")
        ws.ingest(["docs"], full=True)
        assert {d["external_id"] for d in ws.state.dead_letters("docs")} == set()


class FailingIndex:
    """Fault injection (named so): an index whose writes fail, as when the disk is full."""

    def __init__(self, real: object) -> None:
        self.real = real

    def __getattr__(self, name: str) -> object:
        return getattr(self.real, name)

    def upsert(self, items: object) -> None:
        raise OSError("disk full")


def test_failed_index_write_keeps_checkpoint_and_state_so_a_rerun_converges(folder: Path) -> None:
    cfg = make_config(folder)
    with Workspace(cfg) as ws:
        real = ws.index
        ws.index = FailingIndex(real)  # type: ignore[assignment]
        with pytest.raises(OSError, match="disk full"):
            ws.ingest(["docs"])
        assert ws.state.checkpoint("docs") is None
        assert ws.state.known("docs") == {}
        run = ws.state.runs("docs")[0]
        assert run.status == "failed" and "disk full" in (run.error or "")
        ws.index = real
        stats = ws.ingest(["docs"])["docs"]
        assert stats.indexed == 4 and ws.index.stats()["documents"] == 4
        assert ws.state.checkpoint("docs") is not None


def test_deleting_the_index_file_makes_the_next_run_rewrite_everything(folder: Path) -> None:
    cfg = make_config(folder)
    with Workspace(cfg) as ws:
        ws.ingest(["docs"])
    cfg.index.path.unlink()
    with Workspace(cfg) as ws:
        stats = ws.ingest(["docs"])["docs"]
        assert stats.indexed == 4 and stats.embedded == 0  # vectors still come from the cache
        assert titles(ws, "torque") == ["Calibration"]


def test_switching_to_a_new_index_path_rewrites_everything_into_it(folder: Path) -> None:
    cfg = make_config(folder)
    with Workspace(cfg) as ws:
        ws.ingest(["docs"])
    moved = cfg.model_copy(update={"index": cfg.index.model_copy(update={"path": folder / "other.db"})})
    with Workspace(moved) as ws:
        assert ws.ingest(["docs"])["docs"].indexed == 4
        assert titles(ws, "torque") == ["Calibration"]


def test_a_table_export_may_be_partial_so_only_a_full_sync_deletes_its_rows(tmp_path: Path) -> None:
    (tmp_path / "rows").mkdir()
    table = tmp_path / "rows" / "kb.csv"
    table.write_text("id,text\n1,Torque wrenches are calibrated yearly.\n2,Gauges are locked away.\n")
    kb = {
        "name": "kb",
        "connector": "tabular",
        "path": str(tmp_path / "rows"),
        "tables": [{"name": "kb", "file": "kb.csv", "id": "id"}],
    }
    data = {
        "state_dir": str(tmp_path / "state"),
        "index": {"path": str(tmp_path / "state" / "index.db")},
        "embedding": hashed_embedding(cache_path=str(tmp_path / "state" / "emb.db")),
        "sources": [kb],
    }
    with Workspace(parse_config(data, tmp_path / "kmingest.yaml")) as ws:
        ws.ingest(["kb"])
        table.write_text("id,text\n2,Gauges are locked away.\n")  # today's export holds one row
        assert ws.ingest(["kb"])["kb"].deleted == 0
        assert ws.index.stats()["documents"] == 2
        assert ws.ingest(["kb"], full=True)["kb"].deleted == 1
        assert ws.index.stats()["documents"] == 1


def test_a_batch_ends_at_its_byte_budget_as_well_as_its_record_count(tmp_path: Path) -> None:
    """Large files make smaller batches (memory stays bounded), and every record still comes once."""
    docs = tmp_path / "docs"
    docs.mkdir()
    for i in range(5):
        (docs / f"report-{i}.txt").write_text(f"Report {i}. " + "Pump seal wear measured. " * 40_000)
    size = (docs / "report-0.txt").stat().st_size  # about 1 MB each
    with Workspace(make_config(tmp_path)) as ws:
        run = ws.source_run("docs")
        run.start()
        by_bytes = [len(b) for b in run.batches(Scan(), size=64, max_bytes=int(2.5 * size))]
        run.end("ok")
        assert by_bytes == [2, 2, 1]
        run = ws.source_run("docs", full=True)
        run.start()
        one_each = [len(b) for b in run.batches(Scan(), size=64, max_bytes=size // 2)]
        run.end("ok")
        assert one_each == [1, 1, 1, 1, 1]  # a record larger than the budget is a batch of its own
        assert ws.ingest(["docs"])["docs"].indexed == 5
