"""A folder ingested with fresh modification times (as after a `cp`): documents carry their own dates and
authors (e-mail Date/From, docx core properties, PDF Info, html meta), sidecars still win, the file time is
only the fallback, each Document says which one was used, and template core titles are not used unless the
source says `title_from: property`."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, get_args

import pytest
from pydantic import ValidationError

from kmingest.config import SourceConfig, parse_config
from kmingest.document_metadata import TitleFrom, choose_title, document_date
from kmingest.index.base import Caller
from kmingest.models import ParsedContent, Section, SourceRecord, document_id
from kmingest.testing.embedder import hashed_embedding
from kmingest.workspace import Workspace

from .parsing.test_metadata import ENRON_LIKE, info_pdf, procedure_docx

MAILBOX = (
    b"From MAILER-DAEMON Fri Jul  8 12:08:34 2011\n"
    b"Message-ID: <1@example.com>\nDate: Tue, 12 Dec 2000 09:00:00 +0000\nFrom: sally.beck@enron.com\n"
    b"Subject: Year-end close\n\nThe close calendar is attached.\n"
)
PAGE = (
    "<html><head><title>Handover | Intranet</title><meta name='author' content='Zhao Lei'>"
    "<meta name='dcterms.modified' content='2022-01-02T08:00:00+08:00'></head>"
    "<body><h1>Shift handover</h1><p>Hand over the shift log to the next operator.</p></body></html>"
)


def write_exports(docs: Path) -> None:
    for folder in ("mail", "procedures", "reports", "intranet", "notes"):
        (docs / folder).mkdir(parents=True)
    (docs / "mail" / "1.txt").write_bytes(ENRON_LIKE)
    (docs / "mail" / "Inbox.mbox").write_bytes(MAILBOX)
    body = [("Normal", "本程序规定了文件的编写、审核、批准和发放要求。")]
    (docs / "procedures" / "control.docx").write_bytes(
        procedure_docx([("Normal", "文件和记录控制程序"), ("Heading 1", "1 目的"), *body])
    )
    (docs / "procedures" / "maintenance.docx").write_bytes(
        procedure_docx([("Title", "设备维修管理程序"), ("Heading 1", "1 范围"), *body])
    )
    (docs / "procedures" / "meetings.docx").write_bytes(
        procedure_docx([("Title", "会议管理程序"), *body], core_title="会议管理程序")
    )
    (docs / "procedures" / "training.docx").write_bytes(procedure_docx([("Title", "培训管理程序"), *body]))
    sidecar = {"updated_at": "2020-01-01T00:00:00+08:00", "author": "QA office"}
    (docs / "procedures" / "training.docx.meta.json").write_text(json.dumps(sidecar), encoding="utf-8")
    info = "<< /Title (Microsoft Word - cal.docx) /Author (Li Na) /ModDate (D:20190304050607+08'00') >>"
    (docs / "reports" / "calibration.pdf").write_bytes(info_pdf("Torque wrench calibration record", info))
    (docs / "intranet" / "handover.html").write_text(PAGE, encoding="utf-8")
    (docs / "notes" / "reminder.txt").write_text("Order new torque wrenches for line 3.", encoding="utf-8")


@pytest.fixture(scope="module")
def ingested(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, dict[str, Any]]]:
    """Every document of the folder as the index holds it, per source: `auto` (default) and `property`."""
    root = tmp_path_factory.mktemp("exports")
    write_exports(root / "docs")
    folder = {"connector": "filesystem", "path": str(root / "docs")}
    data = {
        "state_dir": str(root / "state"),
        "index": {"path": str(root / "state" / "index.db")},
        "embedding": hashed_embedding(cache_path=str(root / "state" / "emb.db")),
        "sources": [{"name": "auto", **folder}, {"name": "property", "title_from": "property", **folder}],
    }
    found: dict[str, dict[str, dict[str, Any]]] = {}
    with Workspace(parse_config(data, root / "kmingest.yaml")) as ws:
        stats = ws.ingest(["auto", "property"])
        assert {name: s.failed for name, s in stats.items()} == {"auto": 0, "property": 0}
        for name in ("auto", "property"):
            found[name] = {}
            for external_id in ws.state.known(name):
                doc = ws.index.get_document(document_id(name, external_id), Caller.system())
                assert doc is not None, external_id
                found[name][external_id] = doc
    return found


def when(doc: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(str(doc["updated_at"]))


def test_mail_carries_its_sent_date_and_sender_not_the_copy_time(ingested: dict[str, Any]) -> None:
    mail = ingested["auto"]["mail/1.txt"]
    assert when(mail) == datetime(2001, 5, 14, 23, 39, tzinfo=UTC)
    assert mail["author"] == "phillip.allen@enron.com"
    assert mail["title"] == "Forecast"
    assert mail["metadata"]["date_source"] == "document" and mail["metadata"]["author_source"] == "document"
    assert mail["metadata"]["recipients"][0] == "tim.belden@enron.com"
    boxed = ingested["auto"]["mail/Inbox.mbox#1@example.com"]
    assert when(boxed) == datetime(2000, 12, 12, 9, tzinfo=UTC) and boxed["author"] == "sally.beck@enron.com"
    assert boxed["metadata"]["date_source"] == "document"


def test_procedures_carry_their_2017_core_dates_and_creator(ingested: dict[str, Any]) -> None:
    control = ingested["auto"]["procedures/control.docx"]
    assert when(control) == datetime(2017, 6, 5, 9, 15, tzinfo=UTC)
    assert control["author"] == "张伟"
    assert control["metadata"]["created_at"] == "2017-03-01T08:30:00+00:00"
    assert (control["metadata"]["date_source"], control["metadata"]["author_source"]) == (
        "document",
        "document",
    )


def test_pdf_and_html_carry_their_own_dates_and_authors(ingested: dict[str, Any]) -> None:
    pdf = ingested["auto"]["reports/calibration.pdf"]
    assert when(pdf) == datetime(2019, 3, 4, 5, 6, 7, tzinfo=UTC) + timedelta(hours=-8)
    assert pdf["author"] == "Li Na" and pdf["title"] == "Torque wrench calibration record"
    page = ingested["auto"]["intranet/handover.html"]
    assert when(page) == datetime(2022, 1, 2, tzinfo=UTC) and page["author"] == "Zhao Lei"


def test_a_sidecar_wins_over_the_document_and_the_file_time_is_the_last_fallback(
    ingested: dict[str, Any],
) -> None:
    training = ingested["auto"]["procedures/training.docx"]
    assert when(training) == datetime(2019, 12, 31, 16, tzinfo=UTC) and training["author"] == "QA office"
    assert (training["metadata"]["date_source"], training["metadata"]["author_source"]) == (
        "sidecar",
        "sidecar",
    )
    note = ingested["auto"]["notes/reminder.txt"]
    assert datetime.now(UTC) - when(note) < timedelta(hours=1)  # written by this test: a fresh file time
    assert note["metadata"]["date_source"] == "file" and note["author"] is None
    assert "author_source" not in note["metadata"]


def test_template_core_titles_give_way_to_the_documents_own_title(ingested: dict[str, Any]) -> None:
    titles = {eid: doc["title"] for eid, doc in ingested["auto"].items() if eid.startswith("procedures/")}
    assert titles == {
        "procedures/control.docx": "文件和记录控制程序",  # a plain first line, then numbered headings
        "procedures/maintenance.docx": "设备维修管理程序",  # a Title-styled first heading
        "procedures/meetings.docx": "会议管理程序",  # the core title, shown by the document: used
        "procedures/training.docx": "培训管理程序",
    }


def test_title_from_property_uses_the_core_title(ingested: dict[str, Any]) -> None:
    titles = {eid: doc["title"] for eid, doc in ingested["property"].items() if eid.startswith("procedures/")}
    assert set(titles.values()) == {"DNMC程序", "会议管理程序"}
    assert titles["procedures/control.docx"] == "DNMC程序"


def parsed(text: str, title: str | None = None, headings: tuple[str, ...] = (), **meta: Any) -> ParsedContent:
    sections = tuple(Section((h,), text.index(h), text.index(h) + len(h)) for h in headings)
    return ParsedContent(text, title, sections, "docx", {"title": title, **meta} if title else dict(meta))


RECORD = SourceRecord(source="s", external_id="a/report-7.docx", system="fs", filename="report-7.docx")


@pytest.mark.parametrize(
    ("content", "title_from", "expected"),
    [
        (
            parsed("Annual Report\n\nSafety 2020\n\nText.", "Annual Report Safety 2020"),
            "auto",
            "Annual Report Safety 2020",
        ),
        (parsed("ACME Corp\n\nThe body.", "DNMC程序"), "auto", "ACME Corp"),
        (parsed("第一章 总则\n\n" + "正文。" * 60, "DNMC程序", ("第一章 总则",)), "auto", "DNMC程序"),
        (parsed("ACME Corp\n\nThe body.", "DNMC程序"), "heading", "ACME Corp"),
        (parsed("ACME Corp\n\nThe body.", "DNMC程序"), "filename", "report-7"),
        (ParsedContent("Hi John,\n\nThe numbers.", "Forecast", (), "eml"), "auto", "Forecast"),
        (ParsedContent("1 目的\n\n" + "正文。" * 60, None), "auto", "report-7"),
    ],
)
def test_title_rules(content: ParsedContent, title_from: TitleFrom, expected: str) -> None:
    assert choose_title(RECORD, content, title_from) == expected


def test_a_connectors_title_wins_whatever_the_policy() -> None:
    record = SourceRecord(source="s", external_id="x", system="fs", title="From the export")
    for title_from in get_args(TitleFrom):
        assert choose_title(record, parsed("Own title\n\nBody.", "Property"), title_from) == "From the export"


def test_an_implausible_document_date_keeps_the_file_time_and_an_export_date_is_kept() -> None:
    mtime = datetime(2026, 1, 5, tzinfo=UTC)
    from_file = SourceRecord(
        source="s", external_id="x", system="fs", updated_at=mtime, metadata={"date_source": "file"}
    )
    assert document_date(from_file, {"updated_at": "1601-01-01T00:00:00+00:00"}) == (mtime, "file")
    assert document_date(from_file, {"created_at": "2017-03-01T08:30:00"}) == (
        datetime(2017, 3, 1, 8, 30, tzinfo=UTC),
        "document",
    )
    exported = SourceRecord(source="s", external_id="x", system="erp", updated_at=mtime)
    assert document_date(exported, {"updated_at": "2017-03-01T08:30:00+00:00"}) == (mtime, "export")


def test_title_from_accepts_only_the_documented_values() -> None:
    field = SourceConfig.model_fields["title_from"]
    assert field.description and get_args(field.annotation) == get_args(TitleFrom)
    with pytest.raises(ValidationError, match="'auto', 'property', 'heading' or 'filename'"):
        SourceConfig(name="s", connector="filesystem", title_from="core")
