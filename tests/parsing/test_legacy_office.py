"""Word .doc and PowerPoint .ppt through antiword / catdoc / catppt: real tools on real files, and stand-in
tools (small shell scripts on PATH) for the cases a real file cannot provoke: a hang, endless output, a
missing tool, a refusal, UTF-8 Chinese output."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from kmingest.parsing import ParseError, ParseLimits, UnsupportedFormat, parse_bytes

from .builders import ole2
from .compound_files import ppt97, word97

FILES = Path(__file__).parents[2].parent / "shared" / "data" / "files" / "unstructured"
DOC = ole2("WordDocument")
PPT = ole2("PowerPoint Document")


def tools(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, **scripts: str) -> None:
    """Only these stand-in programs on PATH (plus the shell utilities the scripts use)."""
    folder = tmp_path / "bin"
    folder.mkdir()
    for name, body in scripts.items():
        script = folder / name
        script.write_text(f"#!/bin/sh\n{body}\n")
        script.chmod(0o755)
    for utility in ("sleep", "yes", "cat", "printf"):
        found = shutil.which(utility)
        if found:
            (folder / utility).symlink_to(found)
    monkeypatch.setenv("PATH", str(folder))


needs_tools = pytest.mark.skipif(
    not all(shutil.which(tool) for tool in ("antiword", "catdoc", "catppt")),
    reason="needs antiword, catdoc and catppt (apt-get install antiword catdoc)",
)
needs_antiword = pytest.mark.skipif(
    shutil.which("antiword") is None or not FILES.is_dir(),
    reason="needs antiword and catdoc (apt-get install antiword catdoc) and ../shared/data/files",
)
MANUAL = "质量手册\n第一章 总则：扭矩扳手每季度校准一次。\nTorque wrench calibration"


@needs_tools
def test_chinese_word_97_document_through_antiword() -> None:
    content = parse_bytes(word97(MANUAL), "manual.doc")
    assert content.doc_type == "doc"
    assert content.text == MANUAL


@needs_tools
def test_chinese_word_97_document_through_catdoc_when_antiword_refuses(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    catdoc = shutil.which("catdoc")
    assert catdoc is not None
    tools(tmp_path, monkeypatch, antiword="exit 1", catdoc=f'exec {catdoc} "$@"')
    assert parse_bytes(word97(MANUAL), "manual.doc").text == MANUAL


@needs_tools
def test_chinese_powerpoint_97_through_catppt() -> None:
    content = parse_bytes(ppt97(["季度质量评审", "不合格品率下降 12%"]), "review.ppt")
    assert (content.doc_type, content.text) == ("ppt", "季度质量评审\n不合格品率下降 12%")


@needs_antiword
def test_real_word_97_files_through_antiword_and_catdoc() -> None:
    emphasized = parse_bytes((FILES / "fake-doc-emphasized-text.doc").read_bytes(), "a.doc")
    assert emphasized.doc_type == "doc"
    assert "I am a bold italic bold-italic text." in emphasized.text
    # antiword refuses this one ("text stream too small"); catdoc reads it
    assert "Lorem ipsum dolor sit amet." in parse_bytes((FILES / "fake.doc").read_bytes(), "b.doc").text


def test_chinese_utf8_output_is_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tools(tmp_path, monkeypatch, antiword="printf '质量手册\\n\\n第一章 总则\\n'")
    assert parse_bytes(DOC, "manual.doc").text == "质量手册\n\n第一章 总则"


def test_catdoc_reads_what_antiword_refuses(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tools(
        tmp_path,
        monkeypatch,
        antiword='echo "$1 is not a Word Document." >&2; exit 1',
        catdoc="printf 'See HYPERLINK \"http://x\" the site\\n'",
    )
    assert parse_bytes(DOC, "old.doc").text == "See the site"


def test_both_tools_refusing_is_a_failure_without_temp_paths(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tools(tmp_path, monkeypatch, antiword='for f; do :; done; echo "$f is not a Word Document." >&2; exit 1')
    with pytest.raises(ParseError) as caught:
        parse_bytes(DOC, "bad.doc")
    assert (
        str(caught.value) == "doc: not readable as Word 97-2003 (antiword: the file is not a Word Document.)"
    )


def test_missing_tools_skip_with_the_package_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tools(tmp_path, monkeypatch)
    with pytest.raises(UnsupportedFormat, match=r"apt-get install antiword catdoc"):
        parse_bytes(DOC, "report.doc")
    with pytest.raises(UnsupportedFormat, match=r"\.ppt needs catppt"):
        parse_bytes(PPT, "deck.ppt")


def test_a_hanging_tool_is_stopped_at_the_time_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tools(tmp_path, monkeypatch, catppt="sleep 30")
    with pytest.raises(ParseError, match=r"max_seconds=0\.5"):
        parse_bytes(PPT, "deck.ppt", ParseLimits(max_seconds=0.5))


def test_endless_output_is_cut_at_the_character_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tools(tmp_path, monkeypatch, catppt="yes slide")
    with pytest.raises(ParseError, match="max_chars=1000"):
        parse_bytes(PPT, "deck.ppt", ParseLimits(max_chars=1000))


def test_ppt_text_from_catppt(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tools(tmp_path, monkeypatch, catppt="printf 'Quarterly review\\n\\nRevenue up\\n'")
    content = parse_bytes(PPT, "deck.ppt")
    assert (content.doc_type, content.text) == ("ppt", "Quarterly review\n\nRevenue up")
