"""HTML: boilerplate removed, headings as sections, tables as rows, charset hints honoured."""

from __future__ import annotations

from kmingest.parsing import parse_bytes

PAGE = b"""<!DOCTYPE html>
<html lang="en"><head><title>Expense Rules</title>
<style>body { color: red }</style><script>var tracking = "SECRET_TRACKER";</script></head>
<body>
<header><p>Company portal banner</p></header>
<nav><a href="/">Home</a> <a href="/hr">HR menu</a></nav>
<h1>Expenses</h1>
<p>Claims are   paid
   monthly.<br>Keep your receipts.</p>
<h2>Limits</h2>
<ul><li>Hotels up to 150 EUR</li><li>Meals up to 40 EUR</li></ul>
<table><tr><th>Item</th><th>Limit</th></tr><tr><td>Taxi</td><td>60 EUR</td></tr></table>
<h2>Approval</h2>
<p>Your manager approves claims.</p>
<div hidden>invisible text</div>
<aside>Related links</aside>
<noscript>Enable JavaScript</noscript>
<footer>Copyright footer</footer>
<script>console.log("MORE_SCRIPT")</script>
</body></html>"""


def test_boilerplate_and_scripts_are_gone() -> None:
    text = parse_bytes(PAGE, "rules.html").text
    for junk in ("SECRET_TRACKER", "MORE_SCRIPT", "color: red", "HR menu", "banner", "Related links"):
        assert junk not in text
    for junk in ("Enable JavaScript", "Copyright footer", "invisible text"):
        assert junk not in text


def test_headings_sections_lists_tables() -> None:
    content = parse_bytes(PAGE, "rules.html")
    assert content.title == "Expense Rules"
    assert [s.path for s in content.sections] == [
        ("Expenses",),
        ("Expenses", "Limits"),
        ("Expenses", "Approval"),
    ]
    limits = content.sections[1]
    assert "Item | Limit\nTaxi | 60 EUR" in content.text[limits.start : limits.end]
    assert "- Hotels up to 150 EUR" in content.text
    assert "Claims are paid monthly.\nKeep your receipts." in content.text
    assert content.metadata["lang"] == "en"


def test_html_named_txt_is_parsed_as_html() -> None:
    content = parse_bytes(PAGE, "export.txt")
    assert content.doc_type == "html"
    assert "<p>" not in content.text


def test_meta_charset_gb2312() -> None:
    page = (
        '<html><head><meta charset="gb2312"><title>通知</title></head><body><p>明天放假。</p></body></html>'
    )
    content = parse_bytes(page.encode("gb2312"), "notice.htm")
    assert content.title == "通知"
    assert content.text == "明天放假。"


def test_article_byline_header_is_kept_but_page_header_is_not() -> None:
    page = b"<body><header>Site</header><article><header><h1>Post</h1></header><p>Body</p></article></body>"
    content = parse_bytes(page, "post.html")
    assert content.text == "Post\n\nBody"
