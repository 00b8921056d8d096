"""Isolation in the runner: one poisoned record (an unexpected exception in parse, chunk, embed or index)
fails alone and the run goes on; text that used to abort runs (lone surrogates) is indexed; binary content
is skipped; run stats always equal the saved records."""

from __future__ import annotations

import base64
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from kmingest import pipeline, record_document
from kmingest.cli import cli
from kmingest.config import Config
from kmingest.index.base import Caller, SearchRequest
from kmingest.models import Chunk, Document, SourceRecord, document_id
from kmingest.parsing import ParseLimits
from kmingest.workspace import Workspace
from samplegen.pdf import assemble_pdf
from tests.parsing.test_normalize import fits_like

# the same small folder as tests/test_pipeline.py
from tests.test_pipeline import FailingIndex, folder, make_config, titles  # noqa: F401

POISON = "POISON"


class PoisonedEmbedder:
    """Fault injection (named so): an embedder that raises on any batch holding the poisoned text."""

    def __init__(self, real: object) -> None:
        self.real = real

    def __getattr__(self, name: str) -> object:
        return getattr(self.real, name)

    def embed(self, chunks: list[Chunk]) -> object:
        if any(POISON in c.text for c in chunks):
            raise FloatingPointError("model produced NaN")
        return self.real.embed(chunks)  # type: ignore[attr-defined]


class PoisonedIndex(FailingIndex):
    """Fault injection (named so): an index whose write of the poisoned document raises."""

    def upsert(self, items: object) -> None:
        if any(POISON in doc.text for doc, _, _ in items):  # type: ignore[attr-defined]
            raise UnicodeEncodeError("utf-8", "x", 0, 1, "surrogates not allowed")
        self.real.upsert(items)  # type: ignore[attr-defined]


def poison(stage: str, ws: Workspace, monkeypatch: pytest.MonkeyPatch) -> str:
    """Make one record fail at `stage` with an exception no stage expects; returns its type name."""
    if stage == "parse":
        real_parse = record_document.parse_bytes

        def parse(data: bytes, filename: str, limits: ParseLimits) -> object:
            if POISON.encode() in data:
                raise TypeError("'NoneType' object is not subscriptable")
            return real_parse(data, filename, limits)

        monkeypatch.setattr(record_document, "parse_bytes", parse)
        return "TypeError"
    if stage == "chunk":
        real_chunk = pipeline.chunk_document

        def chunk(doc: Document, *args: int) -> list[Chunk]:
            if POISON in doc.text:
                raise IndexError("list index out of range")
            return real_chunk(doc, *args)

        monkeypatch.setattr(pipeline, "chunk_document", chunk)
        return "IndexError"
    if stage == "embed":
        monkeypatch.setattr(ws, "embedder", PoisonedEmbedder(ws.embedder))
        return "FloatingPointError"
    monkeypatch.setattr(ws, "index", PoisonedIndex(ws.index))
    return "UnicodeEncodeError"


def saved_outcomes(cfg: Config, run_id: int) -> dict[str, int]:
    db = sqlite3.connect(cfg.state_dir / "state.db")
    rows = db.execute("SELECT status, COUNT(*) FROM records WHERE run_id = ? GROUP BY status", (run_id,))
    return dict(rows.fetchall())


@pytest.mark.parametrize("stage", ["parse", "chunk", "embed", "index"])
def test_one_poisoned_record_in_a_batch_fails_alone_and_the_run_goes_on(
    folder: Path,  # noqa: F811
    stage: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    (folder / "docs" / "HR" / "pump.txt").write_text(f"{POISON} pump seal notes.", encoding="utf-8")
    cfg = make_config(folder)
    with Workspace(cfg) as ws:
        real_index = ws.index
        error_type = poison(stage, ws, monkeypatch)
        stats = ws.ingest(["docs"])["docs"]  # no exception: the run finished
        assert (stats.seen, stats.indexed, stats.skipped, stats.failed) == (7, 4, 1, 2)
        [run] = ws.state.runs("docs")
        assert run.status == "ok"
        assert saved_outcomes(cfg, run.run_id) == {"indexed": 4, "skipped": 1, "failed": 2}
        problems = {d["external_id"]: d for d in ws.state.dead_letters("docs")}
        assert problems["HR/pump.txt"]["kind"] == "failed"
        assert problems["HR/pump.txt"]["reason"].startswith(f"{stage}: unexpected error: {error_type}")
        assert titles(ws, "torque") == ["Calibration"] and titles(ws, "请假") == ["考勤"]
        assert titles(ws, "annual leave") == ["leave"]
        assert ws.state.checkpoint("docs") is not None  # the run completed, so it moved on
        monkeypatch.undo()  # the fault is fixed: the next run retries the poisoned record only
        ws.index = real_index
        again = ws.ingest(["docs"])["docs"]
        assert (again.retried, again.unchanged, again.indexed, again.failed) == (
            2,
            5,
            1,
            1,
        )  # pump and broken.pdf
        assert titles(ws, "pump seal") == ["pump"]


def test_a_poisoned_record_does_not_change_the_exit_code(
    folder: Path,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    (folder / "docs" / "HR" / "pump.txt").write_text(f"{POISON} pump seal notes.", encoding="utf-8")
    config = folder / "kmingest.yaml"
    source = {"name": "docs", "connector": "filesystem", "path": str(folder / "docs")}
    config.write_text(json.dumps({"state_dir": str(folder / "state"), "sources": [source]}), encoding="utf-8")
    with Workspace(make_config(folder)) as ws:
        poison("parse", ws, monkeypatch)
    result = CliRunner().invoke(cli, ["--config", str(config), "ingest", "docs", "--json"], obj={})
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["docs"]["indexed"] == 4


def test_run_stats_equal_the_saved_records_when_a_later_batch_fails(
    folder: Path,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    class DiskFullAfterFirstWrite(FailingIndex):
        writes = 0

        def upsert(self, items: object) -> None:
            self.writes += 1
            if self.writes > 1:
                raise OSError("disk full")
            self.real.upsert(items)  # type: ignore[attr-defined]

    monkeypatch.setattr(pipeline, "BATCH_DOCS", 2)
    cfg = make_config(folder)
    with Workspace(cfg) as ws:
        ws.index = DiskFullAfterFirstWrite(ws.index)  # type: ignore[assignment]
        with pytest.raises(OSError, match="disk full"):
            ws.ingest(["docs"])
        [run] = ws.state.runs("docs")
        assert run.status == "failed" and ws.state.checkpoint("docs") is None
        saved = saved_outcomes(cfg, run.run_id)
        assert sum(saved.values()) == 2  # the first batch only
        assert {k: run.stats[k] for k in ("indexed", "skipped", "failed") if run.stats[k]} == saved


def test_a_pdf_whose_text_has_lone_surrogates_is_indexed(folder: Path) -> None:  # noqa: F811
    (folder / "docs" / "Quality" / "gothic.pdf").write_bytes(gothic_pdf())
    with Workspace(make_config(folder)) as ws:
        stats = ws.ingest(["docs"])["docs"]
        assert (stats.indexed, stats.failed) == (5, 1)
        assert titles(ws, "wulfila") == ["Wulfila \ufffd bible translation"]  # the title is normalised too
        document = ws.index.get_document(document_id("docs", "Quality/gothic.pdf"), Caller.system())
        assert document is not None and "Wulfila \ufffd bible" in str(document["text"])


def test_binary_content_is_skipped_and_base64_blobs_are_cut_out(folder: Path) -> None:  # noqa: F811
    (folder / "docs" / "Quality" / "m31.fits").write_bytes(fits_like(header_cards=100, data_values=128 * 128))
    blob = base64.encodebytes(bytes(range(256)) * 60).decode("ascii")
    (folder / "docs" / "Quality" / "pumps.xml").write_text(
        "<doc><p>Pump maintenance schedule for the Suzhou plant.</p>"
        f"<binData>{blob}</binData><p>Check the seals every month. Log the suction pressure of every pump"
        " at the start of each shift, and replace a seal that weeps more than ten drops a minute. Cavitation"
        " noise means the inlet valve is throttled: open it before the shift lead is called.</p></doc>",
        encoding="utf-8",
    )
    with Workspace(make_config(folder)) as ws:
        stats = ws.ingest(["docs"])["docs"]
        assert (stats.indexed, stats.skipped) == (5, 2)
        problems = {d["external_id"]: d for d in ws.state.dead_letters("docs")}
        assert problems["Quality/m31.fits"]["kind"] == "skipped"
        assert problems["Quality/m31.fits"]["reason"].startswith("binary content: ")
        document = ws.index.get_document(document_id("docs", "Quality/pumps.xml"), Caller.system())
        assert document is not None
        assert "Check the seals every month." in str(document["text"]) and blob[:76] not in str(
            document["text"]
        )
        assert len(str(document["text"])) < 400


def gothic_pdf() -> bytes:
    """A PDF whose font maps one glyph to a lone surrogate: pypdf extracts "\\ud800" (as for Gothic)."""
    cmap = (
        b"/CIDInit /ProcSet findresource begin 12 dict begin begincmap /CMapName /Gothic def "
        b"/CMapType 2 def 1 begincodespacerange <00> <FF> endcodespacerange "
        b"1 beginbfchar <5A> <D800> endbfchar endcmap end end"
    )
    content = b"BT /F1 12 Tf 72 720 Td (Wulfila Z bible translation) Tj ET"
    return assemble_pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [4 0 R] /Count 1 >>",
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /ToUnicode 6 0 R >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >>"
            b" /Contents 5 0 R >>",
            b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
            b"<< /Length %d >>\nstream\n" % len(cmap) + cmap + b"\nendstream",
        ]
    )


class Exploding:
    """A field value a connector might hand over: its str() raises."""

    def __str__(self) -> str:
        raise RuntimeError("driver returned a closed cursor")


class RowsConnector:
    """A test connector: rows as fields, one whose hash cannot be computed, one with a lone surrogate."""

    def extract(self, since: object) -> Iterator[SourceRecord]:
        def row(n: int, body: object) -> SourceRecord:
            return SourceRecord(source="docs", external_id=f"row:{n}", system="crm", fields={"body": body})

        yield row(1, "Customer asked for a quote on centrifugal pumps.")
        yield row(2, {"note": Exploding()})
        yield row(3, "Gothic name \ud800 in a CRM note about gear boxes.")
        yield row(4, "Ticket closed after the seal was replaced.")


def test_records_of_a_connector_that_break_hashing_or_encoding_fail_alone(folder: Path) -> None:  # noqa: F811
    with Workspace(make_config(folder)) as ws:
        run = ws.source_run("docs")
        run.connector = RowsConnector()  # type: ignore[assignment]
        stats = run.run()
        assert (stats.seen, stats.indexed, stats.failed) == (4, 3, 1)
        [problem] = ws.state.dead_letters("docs")
        assert problem["external_id"] == "row:2"
        assert problem["reason"] == "hash: unexpected error: RuntimeError: driver returned a closed cursor"
        assert [h.external_id for h in search(ws, "gear boxes")] == ["row:3"]
        document = ws.index.get_document(document_id("docs", "row:3"), Caller.system())
        assert document is not None and "Gothic name \ufffd in a CRM note" in str(document["text"])


def search(ws: Workspace, text: str) -> list[Any]:
    return list(ws.index.search(SearchRequest(query=text, mode="bm25"), Caller.system(), None).hits)
