"""Failed records are retried by the next runs (no --force), up to `retry_failed` runs on unchanged content;
per-source `limits` and `near_empty_chars` override the global ones for that source only; older state files
gain the new columns when opened."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from kmingest import pipeline
from kmingest.cli import cli
from kmingest.config import Config, LimitsConfig, parse_config
from kmingest.coverage.metrics import compute_metrics
from kmingest.index.base import DocumentFacts
from kmingest.parsing.base import ParseError
from kmingest.state import StateStore
from kmingest.testing.embedder import hashed_embedding
from kmingest.workspace import Workspace

TEXT = "Shipping schedule for the Rotterdam warehouse: trucks leave at six every weekday. " * 40  # ~3.3 kB


def make_config(root: Path, *sources: dict[str, Any], limits: dict[str, Any] | None = None) -> Config:
    data = {
        "state_dir": str(root / "state"),
        "index": {"path": str(root / "state" / "index.db")},
        "embedding": hashed_embedding(cache_path=str(root / "state" / "emb.db")),
        "limits": limits or {},
        "sources": [{"connector": "filesystem", "path": str(root / s["name"]), **s} for s in sources],
    }
    return parse_config(data, root / "kmingest.yaml")


def folder(root: Path, name: str, files: dict[str, str]) -> None:
    (root / name).mkdir(parents=True, exist_ok=True)
    for file, text in files.items():
        (root / name / file).write_text(text, encoding="utf-8")


def record_row(cfg: Config, source: str, external_id: str) -> tuple[str, str | None, int]:
    db = sqlite3.connect(cfg.state_dir / "state.db")
    row = db.execute(
        "SELECT status, reason, failures FROM records WHERE source = ? AND external_id = ?",
        (source, external_id),
    ).fetchone()
    db.close()
    return row  # type: ignore[no-any-return]


def test_a_transient_parse_error_is_retried_by_the_next_run_without_force(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder(tmp_path, "docs", {"schedule.txt": TEXT, "other.txt": "Forklift charging rules."})
    cfg = make_config(tmp_path, {"name": "docs"})
    real = pipeline.to_document

    def half_written(record: Any, *args: Any) -> Any:  # fault injection: the file was still being copied
        if record.external_id == "schedule.txt":
            raise ParseError("truncated file: end of data before the last block")
        return real(record, *args)

    with Workspace(cfg) as ws:
        monkeypatch.setattr(pipeline, "to_document", half_written)
        first = ws.ingest(["docs"])["docs"]
        assert (first.indexed, first.failed) == (1, 1)
        assert record_row(cfg, "docs", "schedule.txt") == (
            "failed",
            "truncated file: end of data before the last block",
            1,
        )
        monkeypatch.setattr(pipeline, "to_document", real)
        second = ws.ingest(["docs"])["docs"]  # same bytes, no --force
        assert (second.retried, second.unchanged, second.indexed, second.failed) == (1, 1, 1, 0)
        assert record_row(cfg, "docs", "schedule.txt") == ("indexed", None, 0)
        assert ws.state.dead_letters("docs") == []
        third = ws.ingest(["docs"])["docs"]
        assert (third.retried, third.unchanged, third.indexed) == (0, 2, 0)


def test_a_record_failing_on_unchanged_content_is_retried_retry_failed_times_then_waits(
    tmp_path: Path,
) -> None:
    folder(tmp_path, "docs", {"broken.pdf": "%PDF-1.4 garbage", "ok.txt": "Forklift charging rules."})
    cfg = make_config(tmp_path, {"name": "docs", "retry_failed": 2})
    with Workspace(cfg) as ws:
        runs = [ws.ingest(["docs"])["docs"] for _ in range(4)]
        assert [(r.new, r.retried, r.failed) for r in runs] == [(2, 0, 1), (0, 1, 1), (0, 1, 1), (0, 0, 0)]
        status, reason, failures = record_row(cfg, "docs", "broken.pdf")
        assert (status, failures) == ("failed", 3) and reason  # the last reason is kept
        assert [d["external_id"] for d in ws.state.dead_letters("docs")] == ["broken.pdf"]  # still shown
        shown = CliRunner().invoke(cli, ["status", "docs"], obj={"config": cfg}).output
        assert f"failed: broken.pdf: {reason} (failed 3 runs in a row)" in shown
        assert ws.ingest(["docs"], force=True)["docs"].failed == 1  # --force still processes it
        (tmp_path / "docs" / "broken.pdf").write_text("Now a text file after all.", encoding="utf-8")
        (tmp_path / "docs" / "broken.pdf").rename(tmp_path / "docs" / "broken.txt")
        fixed = ws.ingest(["docs"])["docs"]
        assert (fixed.new, fixed.indexed, fixed.failed, fixed.deleted) == (1, 1, 0, 1)


def test_a_source_limit_applies_to_that_source_only_and_raising_it_fixes_the_record(tmp_path: Path) -> None:
    folder(tmp_path, "mail", {"shipping.txt": TEXT})
    folder(tmp_path, "docs", {"shipping.txt": TEXT})
    mail = {"name": "mail", "limits": {"max_file_mb": 0.001}}  # 1 kB: too small for the 3 kB file
    cfg = make_config(tmp_path, mail, {"name": "docs"}, limits={"max_chars": 100_000})
    with Workspace(cfg) as ws:
        assert ws.source_run("mail").limits.max_chars == 100_000  # keys it does not set stay global
        stats = ws.ingest(["mail", "docs"])
        assert (stats["mail"].failed, stats["docs"].indexed) == (1, 1)
        [problem] = ws.state.dead_letters("mail")
        assert "file too large" in problem["reason"]
    raised = make_config(tmp_path, {**mail, "limits": {"max_file_mb": 1}}, {"name": "docs"})
    with Workspace(raised) as ws:
        again = ws.ingest(["mail", "docs"])
        assert (again["mail"].retried, again["mail"].indexed, again["docs"].unchanged) == (1, 1, 1)
        assert ws.state.dead_letters("mail") == []


def test_a_source_near_empty_threshold_counts_only_its_own_documents() -> None:
    def fact(source: str, chars: int) -> DocumentFacts:
        return DocumentFacts(
            doc_id=f"{source}-{chars}",
            source=source,
            external_id=str(chars),
            system=source,
            department="Ops",
            doc_type="txt",
            title="t",
            author=None,
            updated_at=None,
            text_chars=chars,
            text_fingerprint=f"{source}-{chars}",
            chunks=1,
            embedded_chunks=1,
            public=True,
        )

    facts = [fact("mail", 120), fact("docs", 120), fact("docs", 500)]
    as_of = datetime(2026, 1, 1, tzinfo=UTC)
    assert compute_metrics(facts, [], as_of, 200).totals.near_empty == 2
    assert compute_metrics(facts, [], as_of, 200, {"mail": 50}).totals.near_empty == 1  # short mail is fine


def test_source_limits_merge_over_the_global_ones() -> None:
    cfg = parse_config(
        {
            "limits": {"max_chars": 10, "max_file_mb": 5},
            "sources": [
                {"name": "a", "connector": "filesystem", "limits": {"max_file_mb": 1}},
                {"name": "b", "connector": "filesystem"},
            ],
        },
        Path("k.yaml"),
    )
    a, b = (cfg.source(n).parse_limits(cfg.limits) for n in ("a", "b"))
    assert (a.max_file_bytes, a.max_chars) == (1024 * 1024, 10)
    assert (b.max_file_bytes, b.max_chars) == (5 * 1024 * 1024, 10)
    assert LimitsConfig().parse_limits() == Config().limits.parse_limits()


def test_an_older_state_file_gains_the_new_columns_and_keeps_its_rows(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    old = sqlite3.connect(path)
    old.executescript("""
        CREATE TABLE records (source TEXT NOT NULL, external_id TEXT NOT NULL, doc_id TEXT NOT NULL,
            content_hash TEXT NOT NULL, status TEXT NOT NULL, reason TEXT, chunks INTEGER NOT NULL DEFAULT 0,
            run_id INTEGER NOT NULL, PRIMARY KEY (source, external_id)) WITHOUT ROWID;
        CREATE TABLE runs (run_id INTEGER PRIMARY KEY AUTOINCREMENT, source TEXT NOT NULL,
            full_sync INTEGER NOT NULL, started_at TEXT NOT NULL, finished_at TEXT, status TEXT NOT NULL,
            stats TEXT NOT NULL, error TEXT);
        INSERT INTO records VALUES ('docs', 'a.pdf', 'd1', 'h1', 'failed', 'no text layer', 0, 1);
        INSERT INTO runs VALUES (1, 'docs', 0, '2026-01-01T00:00:00+00:00', NULL, 'running', '{}', NULL);
    """)
    old.commit()
    old.close()
    state = StateStore(path)
    assert state.failures("docs") == {"a.pdf": 1}  # a failure recorded before the count existed: one
    assert state.known("docs") == {"a.pdf": ("h1", "failed", "d1")}
    assert state.mark_interrupted() == []  # no pid recorded: cannot tell, so it is left alone
    run_id = state.start_run("docs", False)
    info = state.run(run_id)
    assert info is not None and info.pid is not None and info.status == "running"
    state.close()
