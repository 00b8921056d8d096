"""Every real-world file under ../shared/data/files parses to text, or is refused with a reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from kmingest.parsing import ParseError, UnsupportedFormat, parse_bytes

FILES = Path(__file__).parents[2].parent / "shared" / "data" / "files"
ALL_FILES = sorted(p for p in FILES.rglob("*") if p.is_file()) if FILES.is_dir() else []

# Files that really hold no text: empty or whitespace-only, an image-only mail, scanned (image-only) PDFs.
REALLY_EMPTY = {
    "empty.xlsx",
    "fake-text-all-whitespace.txt",
    "empty.eml",
    "mime-no-body.eml",
    "loremipsum-flat.pdf",
    "single_table.pdf",
    "table-multi-row-column-cells.pdf",
    "picture.pptx",  # slides holding only pictures (no OCR)
    "test-image-jpg-mime.pptx",
}


def _parse(name: str) -> str:
    path = next(p for p in ALL_FILES if p.relative_to(FILES).as_posix() == name)
    return parse_bytes(path.read_bytes(), path.name).text


@pytest.mark.parametrize("path", ALL_FILES, ids=lambda p: p.relative_to(FILES).as_posix())
def test_parses_to_text_or_is_refused_with_a_reason(path: Path) -> None:
    try:
        content = parse_bytes(path.read_bytes(), path.name)
    except (UnsupportedFormat, ParseError) as exc:
        assert str(exc).strip(), "a refusal must say why"
        return
    assert content.doc_type
    if path.name in REALLY_EMPTY:
        assert content.text == ""
    else:
        assert content.text.strip(), "no text extracted"
    for section in content.sections:
        assert section.path and 0 <= section.start < section.end <= len(content.text)


needs_files = pytest.mark.skipif(not ALL_FILES, reason=f"{FILES} is not available")


@needs_files
@pytest.mark.parametrize(
    ("name", "phrase"),
    [
        ("chardet-gb2312/cnblog.org.xml", "Picostation的PicoBlogger是"),
        ("chardet-gb2312/softsea.net.xml", "是一个专门用来清除特洛伊木马和自动修复系统文件的工具"),
        ("chardet-gb2312/14.blog.westca.com.xml", "加西公社温哥华大队向阳生产队温暖小分队"),
        ("chardet-gb2312/w3cn.org.xml", "标准在中国的应用"),
        ("chardet-gb2312/_mozilla_bug171813_text.html", "搜狐在线国庆免费大酬宾"),
        ("chardet-gb2312/_chromium_gb18030_with_no_encoding_specified.html.xml", "中国制造的领军者3名"),
    ],
)
def test_gb2312_pages_are_readable_chinese(name: str, phrase: str) -> None:
    text = _parse(name)
    assert phrase in text
    assert text.count("\ufffd") <= 2


@needs_files
def test_known_tricky_files() -> None:
    assert "This is a test document to use for unit tests." in _parse("unstructured/fake-text-utf-16-be.txt")
    assert "Hamburgers are delicious" in _parse("unstructured/fake-text-utf-16.txt")
    assert "This is a test document" in _parse("unstructured/fake-text-utf-32.txt")
    cp1252 = _parse("unstructured/fake-html-cp1252.html")
    assert "Die schöne Frau" in cp1252 and "15,50 €" in cp1252 and "L'été était très chaud" in cp1252
    assert "können" in _parse("unstructured/umlauts-non-utf8.md")
    assert "Team: Blues; Location: STL; Stanley Cups: 1" in _parse("unstructured/stanley-cups-utf-16.csv")
    scripts = _parse("unstructured/example-with-scripts.html")
    assert "Belarusian forces remain unlikely" in scripts
    for code in ("GoogleAnalyticsObject", "jQuery", "switchTo5x", "facebook-jssdk", "function ("):
        assert code not in scripts


@needs_files
def test_refusals_name_the_problem() -> None:
    with pytest.raises(ParseError, match=r"^msg: encrypted \(S/MIME or PGP\)"):
        _parse("unstructured/fake-encrypted.msg")
    with pytest.raises(ParseError, match="encrypted, no password"):
        _parse("unstructured/pdf/password.pdf")
    with pytest.raises(ParseError, match="password"):
        _parse("unstructured/password_protected.xlsx")
