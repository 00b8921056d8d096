"""decode_text: BOMs, BOM-less UTF-16/32, declared charsets, Chinese and Western legacy encodings."""

from __future__ import annotations

import codecs
import os

import pytest

from kmingest.parsing import decode_text

TEXT = "Quarterly report: revenue grew in every region."


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-be"])
def test_unicode_with_and_without_bom(encoding: str) -> None:
    data = TEXT.encode(encoding)
    if encoding in ("utf-16-le", "utf-16-be"):  # also check with an explicit BOM
        bom = codecs.BOM_UTF16_LE if encoding.endswith("le") else codecs.BOM_UTF16_BE
        assert decode_text(bom + data) == TEXT
    assert decode_text(data) == TEXT


def test_cp1252_western_text() -> None:
    assert decode_text("café".encode("cp1252")) == "café"
    sentence = "Le café coûte 3,50 € — “très” cher, déjà payé."
    assert decode_text(sentence.encode("cp1252")) == sentence


def test_gb2312_and_gbk_chinese_decode_as_gb18030() -> None:
    text = "这是一个测试文件，用于检查编码检测是否正确。"
    assert decode_text(text.encode("gb2312")) == text
    assert decode_text("姓名,城市\n张三,北京\n".encode("gbk")) == "姓名,城市\n张三,北京\n"


def test_big5_traditional_chinese() -> None:
    text = "繁體中文測試，這是一個句子。"
    assert decode_text(text.encode("big5")) == text


def test_declared_charset_is_a_strong_hint() -> None:
    html = b'<html><head><meta charset="gb2312"></head><body>' + "中文".encode("gb2312") + b"</body></html>"
    assert "中文" in decode_text(html)
    xml = b'<?xml version="1.0" encoding="GBK"?><a>' + "你好".encode("gbk") + b"</a>"
    assert "你好" in decode_text(xml)
    assert decode_text("naïve".encode("latin-1"), declared="iso-8859-1") == "naïve"


def test_utf8_wins_over_a_wrong_declaration() -> None:
    assert decode_text("I’m here".encode(), declared="iso-8859-1") == "I’m here"


def test_cyrillic_is_not_forced_into_cp1252() -> None:
    text = "Привет, как дела? Это тестовый текст на русском языке."
    assert decode_text(text.encode("cp1251")) == text


def test_never_raises() -> None:
    assert decode_text(b"") == ""
    assert isinstance(decode_text(os.urandom(4096)), str)
    assert isinstance(decode_text(b"\xff\xfe\x00"), str)
