"""Duplicates in the coverage report: copies within one source (the same mail in two folders) are counted
apart from copies across sources, and both show in JSON, CSV and HTML."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime
from pathlib import Path

from kmingest.config import Config
from kmingest.coverage import write_report
from kmingest.coverage.metrics import compute_metrics
from kmingest.index.base import DocumentFacts, text_fingerprint
from kmingest.workspace import Workspace
from tests.coverage.conftest import write_file

AS_OF = datetime(2026, 10, 1, tzinfo=UTC)


def fact(source: str, external_id: str, text: str, department: str = "Quality") -> DocumentFacts:
    return DocumentFacts(
        doc_id=f"{source}:{external_id}",
        source=source,
        external_id=external_id,
        system=source,
        department=department,
        doc_type="mail",
        title=external_id,
        author=None,
        updated_at=AS_OF,
        text_chars=len(text.strip()),
        text_fingerprint=text_fingerprint(text),
        chunks=1,
        embedded_chunks=1,
        public=True,
    )


def test_within_source_copies_are_counted_apart_from_copies_in_other_sources() -> None:
    mail = "Forklift drivers renew their licence every three years."
    facts = [
        fact("mail", "inbox/1", mail),
        fact("mail", "archive/1", mail.upper()),  # the same text after case folding
        fact("share", "forklift.txt", mail, department="HR"),
        fact("mail", "inbox/2", "Quarterly stock count on Friday."),
        fact("share", "empty-1.txt", ""),  # texts without words are no duplicates of each other
        fact("share", "empty-2.txt", "  "),
    ]
    metrics = compute_metrics(facts, [], AS_OF, near_empty_chars=10)
    systems = {g.system: g for g in metrics.systems}
    assert (systems["mail"].duplicates, systems["mail"].duplicates_in_source) == (2, 2)
    assert (systems["share"].duplicates, systems["share"].duplicates_in_source) == (1, 0)
    assert (metrics.totals.duplicates, metrics.totals.duplicates_in_source) == (3, 2)


def test_report_formats_carry_both_duplicate_counts(tiny: tuple[Path, Config], tmp_path: Path) -> None:
    root, config = tiny
    calib = (root / "docs/Quality/calibration.md").read_text(encoding="utf-8")
    write_file(root, "docs/Quality/old/calibration.md", calib, datetime(2026, 9, 1, tzinfo=UTC))
    with Workspace(config) as ws:
        ws.ingest(["docs"])
    out = tmp_path / "out"
    write_report(config, out, formats=("json", "csv", "html"), as_of=AS_OF)
    data = json.loads((out / "report.json").read_text(encoding="utf-8"))
    cells = {(c["department"], c["system"]): c for c in data["department_system"]}
    quality_docs, quality_wiki = cells[("Quality", "fileshare")], cells[("Quality", "wiki")]
    assert (quality_docs["duplicates"], quality_docs["duplicates_in_source"]) == (2, 2)
    assert (quality_wiki["duplicates"], quality_wiki["duplicates_in_source"]) == (1, 0)
    with (out / "coverage_metrics.csv").open(encoding="utf-8-sig") as f:
        total = next(row for row in csv.DictReader(f) if row["level"] == "total")
    assert (total["duplicates"], total["duplicates_in_source"]) == ("3", "2")
    html = (out / "coverage.html").read_text(encoding="utf-8")
    assert "Duplicates within a source" in html and "Duplicates across sources" in html
    assert 'data-metric="duplicates_in_source" data-value="2"' in html
