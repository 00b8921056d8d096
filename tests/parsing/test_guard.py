"""Limits and error translation around every parser: size, zip bombs, time, characters, library crashes."""

from __future__ import annotations

import contextlib
import io
import os
import signal
import tempfile
import threading
import time

import pytest

from kmingest.models import ParsedContent
from kmingest.parsing import PARSERS, ParseError, ParseLimits, UnsupportedFormat, parse_bytes
from kmingest.parsing.builder import TextBuilder

from .builders import ole2, staff_xlsx, zip_bomb

LIMIT_02 = ParseLimits(max_seconds=0.2)


@pytest.fixture(scope="module")
def bomb() -> bytes:
    return zip_bomb(300)


def _must_not_run(data: bytes, filename: str, limits: ParseLimits) -> ParsedContent:
    raise AssertionError("the zip guard should have stopped this file before the parser")


def test_zip_bomb_is_refused_from_the_directory_alone(bomb: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    assert len(bomb) < 2_000_000  # small on disk, 300 MB inflated
    monkeypatch.setitem(PARSERS, "docx", _must_not_run)
    started = time.monotonic()
    with pytest.raises(ParseError, match="max_compression_ratio"):
        parse_bytes(bomb, "innocent.docx")
    assert time.monotonic() - started < 1.0
    with pytest.raises(ParseError, match="max_uncompressed_bytes"):
        parse_bytes(bomb, "innocent.docx", ParseLimits(max_compression_ratio=1e9))


def test_file_over_max_file_bytes() -> None:
    with pytest.raises(ParseError, match="max_file_bytes=100"):
        parse_bytes(b"x" * 101, "big.txt", ParseLimits(max_file_bytes=100))


def test_text_over_max_chars() -> None:
    data = ("word " * 200 + "\n\n").encode() * 10
    with pytest.raises(ParseError, match="max_chars=500"):
        parse_bytes(data, "long.txt", ParseLimits(max_chars=500))


def test_time_limit_fires_and_disarms(monkeypatch: pytest.MonkeyPatch) -> None:
    def slow(data: bytes, filename: str, limits: ParseLimits) -> ParsedContent:
        time.sleep(5)
        return ParsedContent(text="too late")

    monkeypatch.setitem(PARSERS, "txt", slow)
    started = time.monotonic()
    with pytest.raises(ParseError, match=r"max_seconds=0\.2"):
        parse_bytes(b"hello", "slow.txt", ParseLimits(max_seconds=0.2))
    assert time.monotonic() - started < 2
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


def test_outside_the_main_thread_there_is_no_timer_but_parsing_works() -> None:
    results: list[str] = []
    worker = threading.Thread(target=lambda: results.append(parse_bytes(b"hi", "a.txt", LIMIT_02).text))
    worker.start()
    worker.join()
    assert results == ["hi"]


def _in_a_thread(data: bytes, filename: str, limits: ParseLimits) -> list[str]:
    """Parse in a worker thread (as Airflow tasks and the portal do); the outcome as text."""
    outcome: list[str] = []

    def work() -> None:
        try:
            outcome.append(parse_bytes(data, filename, limits).text)
        except ParseError as err:
            outcome.append(f"ParseError: {err}")

    worker = threading.Thread(target=work)
    worker.start()
    worker.join(timeout=10)
    return outcome


def test_parsing_in_a_worker_thread_hits_the_time_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    def slow_blocks(data: bytes, filename: str, limits: ParseLimits) -> ParsedContent:
        builder = TextBuilder(limits.max_chars)
        for n in range(100):  # 5 s in all, one block at a time
            time.sleep(0.05)
            builder.paragraph(f"paragraph {n}")
        return builder.build("txt")

    monkeypatch.setitem(PARSERS, "txt", slow_blocks)
    started = time.monotonic()
    assert _in_a_thread(b"hello", "slow.txt", LIMIT_02) == [
        "ParseError: time limit exceeded: parsing took more than max_seconds=0.2"
    ]
    assert time.monotonic() - started < 1.5
    monkeypatch.undo()
    assert _in_a_thread(b"hi", "a.txt", LIMIT_02) == ["hi"]  # the deadline ended with that parse


def test_in_a_worker_thread_a_result_that_came_too_late_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    def one_long_call(data: bytes, filename: str, limits: ParseLimits) -> ParsedContent:
        time.sleep(0.5)  # e.g. one C call that cannot be interrupted
        return ParsedContent(text="too late")

    monkeypatch.setitem(PARSERS, "txt", one_long_call)
    assert _in_a_thread(b"hello", "slow.txt", LIMIT_02) == [
        "ParseError: time limit exceeded: parsing took more than max_seconds=0.2"
    ]


def test_reasons_carry_no_memory_address_or_temporary_path(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(data: bytes, filename: str, limits: ParseLimits) -> ParsedContent:
        where = os.path.join(tempfile.gettempdir(), f"tmp{id(data):x}", "upload.pdf")
        raise ValueError(f"cannot read {io.BytesIO(data)} from {where!r}")

    monkeypatch.setitem(PARSERS, "txt", broken)
    reasons = set()
    for data in (b"hello", b"world"):
        with pytest.raises(ParseError) as failure:
            parse_bytes(data, "a.txt")
        reasons.add(str(failure.value))
    assert reasons == {"txt: ValueError: cannot read <_io.BytesIO object> from '<temp file>'"}


def test_time_limit_cannot_be_swallowed_by_a_broad_except(monkeypatch: pytest.MonkeyPatch) -> None:
    def stubborn(data: bytes, filename: str, limits: ParseLimits) -> ParsedContent:
        with contextlib.suppress(Exception):  # what a careless library might do
            time.sleep(5)
        return ParsedContent(text="too late")

    monkeypatch.setitem(PARSERS, "txt", stubborn)
    with pytest.raises(ParseError, match="time limit"):
        parse_bytes(b"hello", "slow.txt", ParseLimits(max_seconds=0.2))


def test_library_exceptions_become_parse_errors_with_a_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(data: bytes, filename: str, limits: ParseLimits) -> ParsedContent:
        raise ValueError("unexpected token")

    monkeypatch.setitem(PARSERS, "txt", broken)
    with pytest.raises(ParseError, match=r"^txt: ValueError: unexpected token$"):
        parse_bytes(b"hello", "a.txt")


def test_truncated_xlsx_is_a_parse_error_not_bad_zip() -> None:
    data = staff_xlsx()
    with pytest.raises(ParseError, match=r"xlsx: .*corrupt"):
        parse_bytes(data[: len(data) // 2], "report.xlsx")
    with pytest.raises(ParseError, match="xlsx"):
        parse_bytes(b"PK\x03\x04 definitely not a workbook", "report.xlsx")


def test_unsupported_formats_say_what_to_do() -> None:
    with pytest.raises(UnsupportedFormat, match=r"unknown legacy Office \(OLE2\) file"):
        parse_bytes(ole2("SomethingElse"), "minutes.bin")
    with pytest.raises(UnsupportedFormat, match="image"):
        parse_bytes(b"\xff\xd8\xff\xe0" + bytes(100), "photo.jpg")


def test_encrypted_office_file_fails_with_a_reason() -> None:
    with pytest.raises(ParseError, match="password"):
        parse_bytes(ole2("EncryptedPackage"), "budget.xlsx")


def test_whitespace_only_text_is_returned_empty() -> None:
    content = parse_bytes(b"  \n\n \t \n", "blank.txt")
    assert content.text == ""
    assert content.sections == ()
