"""RTF: code pages decide what \\'xx bytes mean (Chinese GBK under \\ansicpg936 / \\fcharset134)."""

from __future__ import annotations

import pytest

from kmingest.parsing import ParseError, ParseLimits, parse_bytes


def escaped(text: str, codec: str) -> str:
    return "".join(f"\\'{byte:02x}" for byte in text.encode(codec))


def test_chinese_rtf_in_code_page_936_comes_out_as_chinese() -> None:
    rtf = (
        r"{\rtf1\ansi\ansicpg936\deff0{\fonttbl{\f0\fnil\fcharset134 SimSun;}{\f1\fswiss\fcharset0 Arial;}}"
        r"{\info{\title Calibration}}"
        rf"\f0 {escaped('扭矩扳手每季度校准一次', 'gbk')}\par"
        rf"\f1 Torque wrench d\'e9j\'e0 vu\par"
        r"\u36136?\u37327? unicode escapes\par}"
    )
    content = parse_bytes(rtf.encode("ascii"), "procedure.rtf")
    assert content.doc_type == "rtf"
    assert content.text == "扭矩扳手每季度校准一次\n\nTorque wrench déjà vu\n\n质量 unicode escapes"
    assert content.title == "Calibration"


def test_big5_font_charset_decides_over_the_western_code_page() -> None:
    text = escaped("品質管理", "big5")
    rtf = rf"{{\rtf1\ansi\ansicpg1252{{\fonttbl{{\f0\fcharset136 MingLiU;}}}}\f0 {text}\par}}"
    assert parse_bytes(rtf.encode("ascii"), "tw.rtf").text == "品質管理"


def test_table_cells_pictures_and_limits() -> None:
    rtf = (
        r"{\rtf1\ansi{\pict\pngblip 89504e470d0a1a0a}"
        r"\trowd\cellx1000\cellx2000 Tool\cell Days\cell\row"
        r"\trowd\cellx1000\cellx2000 Wrench\cell 90\cell\row}"
    )
    text = parse_bytes(rtf.encode("ascii"), "table.rtf").text
    assert "Tool|Days|" in text and "Wrench|90|" in text and "89504e47" not in text
    with pytest.raises(ParseError, match="max_chars=5"):
        parse_bytes(rtf.encode("ascii"), "table.rtf", ParseLimits(max_chars=5))


def test_unknown_code_page_falls_back_to_western() -> None:
    rtf = r"{\rtf1\ansi\ansicpg99999 caf\'e9\par}"
    assert parse_bytes(rtf.encode("ascii"), "odd.rtf").text == "café"
