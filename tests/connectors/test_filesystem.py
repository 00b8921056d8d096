from __future__ import annotations

from pathlib import Path

import pytest

from kmingest.config import SourceConfig
from kmingest.connectors import ExtractError, available_connectors, build_connector
from kmingest.connectors.base import ConnectorConfigError
from kmingest.models import SourceRecord


def extract(path: Path, **options: object) -> list[SourceRecord | ExtractError]:
    source = SourceConfig(name="fs", connector="filesystem", path=path, **options)  # type: ignore[arg-type]
    return list(build_connector(source).extract())


def test_files_with_sidecars_and_folder_departments(tmp_path: Path) -> None:
    (tmp_path / "Sales").mkdir()
    (tmp_path / "Sales" / "a.txt").write_text("hello")
    (tmp_path / "Sales" / "a.txt.meta.json").write_text(
        '{"acl": ["dept:Sales"], "title": "A", "updated_at": "2026-01-02", "region": "East"}'
    )
    (tmp_path / "top.txt").write_text("top")
    (tmp_path / ".hidden").write_text("x")
    records = extract(
        tmp_path, department_from_folder=True, department="General", department_map={"Sales": "销售"}
    )
    by_id = {r.external_id: r for r in records if isinstance(r, SourceRecord)}
    assert set(by_id) == {"Sales/a.txt", "top.txt"}
    a = by_id["Sales/a.txt"]
    assert (a.department, a.acl, a.title) == ("销售", ("dept:Sales",), "A")
    assert a.metadata == {"region": "East", "date_source": "sidecar"}  # the sidecar dates it
    assert a.updated_at is not None and a.updated_at.year == 2026
    assert by_id["top.txt"].department == "General" and by_id["top.txt"].acl == ("public",)


def test_ids_are_stable_across_runs(tmp_path: Path) -> None:
    (tmp_path / "x.md").write_text("# X")
    first = [r.doc_id for r in extract(tmp_path) if isinstance(r, SourceRecord)]
    assert first == [r.doc_id for r in extract(tmp_path) if isinstance(r, SourceRecord)]


def test_bad_sidecar_is_an_error_for_that_file_only(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("a")
    (tmp_path / "a.txt.meta.json").write_text("{not json")
    (tmp_path / "b.txt").write_text("b")
    (tmp_path / "b.txt.meta.json").write_text('{"updated_at": "yesterday"}')
    (tmp_path / "c.txt").write_text("c")
    records = extract(tmp_path)
    errors = {r.external_id: r.reason for r in records if isinstance(r, ExtractError)}
    assert "not valid JSON" in errors["a.txt"]
    assert "ISO 8601" in errors["b.txt"]
    assert [r.external_id for r in records if isinstance(r, SourceRecord)] == ["c.txt"]


def test_limits_depth_size_and_patterns(tmp_path: Path) -> None:
    deep = tmp_path / "1" / "2" / "3"
    deep.mkdir(parents=True)
    (deep / "deep.txt").write_text("deep")
    (tmp_path / "big.txt").write_bytes(b"x" * 2_000_000)
    (tmp_path / "keep.md").write_text("k")
    (tmp_path / "skip.tmp").write_text("t")
    records = extract(tmp_path, max_depth=2, max_file_mb=1, exclude=["*.tmp"])
    ok = [r.external_id for r in records if isinstance(r, SourceRecord)]
    errors = {r.external_id: r.reason for r in records if isinstance(r, ExtractError)}
    assert ok == ["keep.md"]
    assert errors["big.txt"] == "file too large: 2000000 bytes > 1048576 bytes (max_file_mb)"


def test_empty_folder_gives_no_records_and_missing_folder_a_clear_error(tmp_path: Path) -> None:
    assert extract(tmp_path) == []
    with pytest.raises(ConnectorConfigError, match="does not exist"):
        extract(tmp_path / "nope")


def test_registry_lists_builtin_and_rejects_unknown_options(tmp_path: Path) -> None:
    assert available_connectors()["filesystem"] == "connectors.filesystem:FilesystemConnector"
    with pytest.raises(ConnectorConfigError, match=r"sources\[fs\]\.colour: Extra inputs are not permitted"):
        extract(tmp_path, colour="red")


def gb2312_word(text: str) -> str:
    import base64

    return f"=?gb2312?B?{base64.b64encode(text.encode('gb2312')).decode()}?="


def test_mbox_becomes_one_record_per_message_with_decoded_headers(tmp_path: Path) -> None:
    from kmingest.parsing import parse_bytes

    (tmp_path / "mail").mkdir()
    mbox = (
        f"From alice@example.com Fri Jul  8 12:08:34 2011\nMessage-ID: <a1@example.com>\n"
        f"Subject: {gb2312_word('质量周报')}\nFrom: {gb2312_word('孙磊')} <sun@example.com>\n"
        "Date: Fri, 08 Jul 2011 12:08:34 +0800\n\nScrap rate fell.\n>From the line that was quoted.\n\n"
    ).encode() + (
        b"From - Sat Jul  9 09:00:00 2011\nSubject: " + "来料检验".encode("gbk") + b"\n"
        b"Content-Type: text/plain; charset=gbk\n\n" + "检验五个零件。".encode("gbk") + b"\n\n"
        b"From bob@example.com Sun Jul 10 10:00:00 2011\n"
        b"Message-ID: <a1@example.com>\nSubject: Hello\n\nHi.\n"
    )
    (tmp_path / "mail" / "inbox.mbox").write_bytes(mbox)
    (tmp_path / "mail" / "inbox.mbox.meta.json").write_text('{"acl": ["dept:Quality"]}')
    records = extract(tmp_path)
    by_id = {r.external_id: r for r in records if isinstance(r, SourceRecord)}
    assert list(by_id) == ["mail/inbox.mbox#a1@example.com", "mail/inbox.mbox#2", "mail/inbox.mbox#3"]
    first, second, third = by_id.values()
    assert (first.title, first.author, first.acl) == ("质量周报", "孙磊 <sun@example.com>", ("dept:Quality",))
    assert first.updated_at is not None and first.updated_at.isoformat() == "2011-07-08T12:08:34+08:00"
    assert first.filename == "inbox.mbox#1.eml" and first.metadata["message_id"] == "a1@example.com"
    assert b"\nFrom the line that was quoted." in (first.content or b"")
    assert second.title == "来料检验" and third.title == "Hello"  # raw GBK header; a repeated Message-ID
    assert "检验五个零件" in parse_bytes(second.content or b"", second.filename).text


def test_foxmail_box_split_on_its_markers_and_oversized_message_fails_alone(tmp_path: Path) -> None:
    marker = b"\x10\x10\x10\x10\x10\x10\x11\x11\x11\x11\x11\x11"
    box = (
        marker
        + b"\r\nSubject: "
        + gb2312_word("会议纪要").encode()
        + b"\r\n\r\nMinutes.\r\n"
        + marker
        + b"\r\nSubject: big\r\n\r\n"
        + b"x" * 3_000_000
        + b"\r\n"
        + marker
        + b"\r\nSubject: last\r\n\r\nThe end.\r\n"
    )
    (tmp_path / "收件箱.box").write_bytes(box)
    records = extract(tmp_path, max_file_mb=1)
    ok = {r.external_id: r.title for r in records if isinstance(r, SourceRecord)}
    errors = {r.external_id: r.reason for r in records if isinstance(r, ExtractError)}
    assert ok == {"收件箱.box#1": "会议纪要", "收件箱.box#3": "last"}
    assert errors == {
        "收件箱.box#2": "mail message 2: file too large: 3000018 bytes > 1048576 bytes (max_file_mb)"
    }


def test_mailbox_splitting_can_be_turned_off_and_other_files_starting_with_from_are_not_split(
    tmp_path: Path,
) -> None:
    (tmp_path / "inbox.mbox").write_bytes(b"From a@b Fri Jul  8 12:08:34 2011\nSubject: x\n\nbody\n")
    (tmp_path / "letter.txt").write_bytes(b"From a@b Fri Jul  8 12:08:34 2011\nnot a mailbox by name\n")
    (tmp_path / "notes").write_bytes(b"From the team: thanks for 2024.\n")
    assert [r.external_id for r in extract(tmp_path)] == ["inbox.mbox#1", "letter.txt", "notes"]
    assert [r.external_id for r in extract(tmp_path, split_mailboxes=False)] == [
        "inbox.mbox",
        "letter.txt",
        "notes",
    ]
