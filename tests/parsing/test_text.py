"""Plain text, Markdown, JSON / NDJSON and XML."""

from __future__ import annotations

import json

import pytest

from kmingest.parsing import ParseError, parse_bytes
from kmingest.parsing.text import MAX_JSON_DEPTH


def test_txt_paragraphs_are_separated_by_blank_lines() -> None:
    content = parse_bytes(b"First line\r\nsecond line\r\n\r\n\r\n\r\nNext paragraph   \n", "notes.txt")
    assert content.text == "First line\nsecond line\n\nNext paragraph"
    assert content.doc_type == "txt"
    assert content.title is None


def test_markdown_headings_build_sections_but_code_comments_do_not() -> None:
    md = (
        b"# Guide\n\nIntro.\n\n## Install\n\n```bash\n# not a heading\npip install x\n```\n\n"
        b"Setup\n-----\n\nRun it.\n"
    )
    content = parse_bytes(md, "guide.md")
    assert content.title == "Guide"
    assert [s.path for s in content.sections] == [("Guide",), ("Guide", "Install"), ("Guide", "Setup")]
    install = content.sections[1]
    assert "# not a heading\npip install x" in content.text[install.start : install.end]


def test_json_is_flattened_into_key_value_lines() -> None:
    doc = {"customer": {"name": "Alice", "address": {"city": "Berlin"}}, "tags": ["vip", "eu"], "empty": None}
    content = parse_bytes(json.dumps(doc).encode(), "record.json")
    assert content.text == "customer.name: Alice\ncustomer.address.city: Berlin\ntags: vip, eu"


def test_json_array_of_records_gives_one_block_per_record() -> None:
    data = json.dumps([{"sku": "A1", "price": 12.5}, {"sku": "B2", "in_stock": False}]).encode()
    assert parse_bytes(data, "items.json").text == "sku: A1\nprice: 12.5\n\nsku: B2\nin_stock: false"


def test_json_depth_is_limited() -> None:
    deep: object = "bottom"
    for _ in range(MAX_JSON_DEPTH + 5):
        deep = {"k": deep}
    text = parse_bytes(json.dumps(deep).encode(), "deep.json").text
    assert text.count("\n") == 0
    assert text.startswith("k." * (MAX_JSON_DEPTH - 1) + "k: ")
    assert "bottom" in text


def test_ndjson_and_invalid_json() -> None:
    content = parse_bytes(b'{"event": "login", "user": "bob"}\n{"event": "logout"}\n', "events.ndjson")
    assert content.text == "event: login\nuser: bob\n\nevent: logout"
    with pytest.raises(ParseError, match="json: invalid JSON"):
        parse_bytes(b'{"name": "unterminated', "broken.json")


def test_xml_gives_element_text_without_tags() -> None:
    xml = b"""<?xml version="1.0"?><catalog><book id="1"><title>Dune</title><author>Herbert</author></book>
    <book id="2"><title>Emma</title><note><![CDATA[<p>A <b>classic</b> novel</p>]]></note></book></catalog>"""
    content = parse_bytes(xml, "books.xml")
    assert content.text == "Dune\nHerbert\n\nEmma\nA classic novel"
    assert content.title == "Dune"


def test_gb2312_rss_decodes_to_readable_chinese() -> None:
    rss = '<?xml version="1.0" encoding="gb2312"?><rss><channel><title>博客</title>'
    rss += "<item><title>新闻标题</title>"
    rss += "<description>今天天气很好。</description></item></channel></rss>"
    content = parse_bytes(rss.encode("gb2312"), "feed.xml")
    assert content.title == "博客"
    assert "新闻标题\n今天天气很好。" in content.text


def test_xml_entities_are_not_expanded() -> None:
    xml = b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r><a>safe</a><b>&x;</b></r>'
    content = parse_bytes(xml, "evil.xml")
    assert "root:" not in content.text
    assert "safe" in content.text
