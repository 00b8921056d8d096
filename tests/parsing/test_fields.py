"""Records with fields (CRM/ERP rows) become "Key: value" lines."""

from __future__ import annotations

from datetime import date, datetime

from kmingest.parsing import parse_fields


def test_one_line_per_non_empty_field() -> None:
    content = parse_fields(
        {
            "Name": "Acme GmbH",
            "Revenue": 1250000.0,
            "Notes": "Key account.\nCall monthly.",
            "Owner": None,
            "Email": "  ",
            "Active": True,
            "Since": date(2019, 4, 1),
            "Updated": datetime(2024, 5, 6, 7, 8, 9),
            "Tags": ["b2b", "", "eu"],
        }
    )
    assert content.text == (
        "Name: Acme GmbH\nRevenue: 1250000\nNotes: Key account. Call monthly.\nActive: true\n"
        "Since: 2019-04-01\nUpdated: 2024-05-06 07:08:09\nTags: b2b, eu"
    )
    assert content.doc_type == "record"
    assert content.title == "Acme GmbH"


def test_explicit_title_wins_and_empty_record_gives_empty_text() -> None:
    assert parse_fields({"name": "x"}, title="Contact 42").title == "Contact 42"
    content = parse_fields({"a": None, "b": ""})
    assert (content.text, content.title) == ("", None)
