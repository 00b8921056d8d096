"""Limits enforced around every parser: file size, zip bombs, wall-clock time, and error translation.

`parse_bytes` calls `check_size` and (for zip-based formats) `check_zip` before a third-party library
sees the bytes, runs the parser inside `time_limit`, and turns stray library exceptions into ParseError
with `describe`. Extracted-character limits are enforced while text is built (see builder.py).

The time limit holds in every thread (Airflow tasks and the portal do not parse on the main thread): a
deadline kept per thread (a ContextVar) is checked by `check_deadline`, which `check_chars` calls on every
block a TextBuilder adds, and once more when the parser returns; on the main thread SIGALRM also interrupts
a parser that adds no text. Reasons are stable strings: `stable_reason` strips memory addresses and
temporary paths, so equal failures read equal and can be grouped. `xml_parser` / `parse_zip_xml` parse
the XML inside zip-based formats without entities, DTDs or network (XXE, billion laughs).
"""

from __future__ import annotations

import io
import re
import signal
import tempfile
import threading
import time
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from types import FrameType
from typing import Any

from lxml import etree

from kmingest.parsing.base import ParseError, ParseLimits

# The ratio check only matters for members big enough to hurt; tiny XML parts compress very well.
_RATIO_MIN_BYTES = 1024 * 1024


class Deadline(BaseException):
    """Raised from the SIGALRM handler; a BaseException so library `except Exception` can't swallow it."""


def check_size(data: bytes, limits: ParseLimits) -> None:
    if len(data) > limits.max_file_bytes:
        raise ParseError(f"file too large: {len(data)} bytes > max_file_bytes={limits.max_file_bytes}")


# (monotonic time the parse must end by, the limit in seconds) of the innermost time_limit of this thread
_deadline: ContextVar[tuple[float, float] | None] = ContextVar("kmingest_parse_deadline", default=None)


def check_deadline() -> None:
    """ParseError when the current thread's time limit has passed; cheap, parsers may call it often."""
    current = _deadline.get()
    if current is not None and time.monotonic() > current[0]:
        raise time_limit_error(current[1])


def check_chars(n_chars: int, max_chars: int) -> None:
    check_deadline()
    if n_chars > max_chars:
        raise ParseError(f"extracted text too long: more than max_chars={max_chars} characters")


def check_zip(data: bytes, limits: ParseLimits, fmt: str) -> None:
    """Zip-bomb guard from the central directory alone (nothing is decompressed).

    zipfile never returns more than a member's declared size, so the declared sizes bound what
    python-docx / openpyxl can inflate.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        raise ParseError(f"{fmt}: file is not a zip archive / corrupt ({exc})") from None
    total = 0
    for info in members:
        total += info.file_size
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > _RATIO_MIN_BYTES and ratio > limits.max_compression_ratio:
            raise ParseError(
                f"{fmt}: zip member {info.filename!r} expands {ratio:.0f}x "
                f"> max_compression_ratio={limits.max_compression_ratio:g} (zip bomb?)"
            )
        if total > limits.max_uncompressed_bytes:
            raise ParseError(
                f"{fmt}: uncompressed size over max_uncompressed_bytes={limits.max_uncompressed_bytes} "
                "(zip bomb?)"
            )


def xml_parser() -> etree.XMLParser:
    """An lxml parser for untrusted XML: no entities resolved, no DTD loaded, no network, no huge trees."""
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


def parse_zip_xml(archive: zipfile.ZipFile, name: str, fmt: str, missing: str = "missing") -> Any:
    """The root element of zip member `name` (xml_parser); ParseError when absent or not well-formed."""
    try:
        return etree.fromstring(archive.read(name), xml_parser())
    except KeyError:
        raise ParseError(f"{fmt}: {name} {missing}") from None
    except etree.XMLSyntaxError as exc:
        raise ParseError(f"{fmt}: {name} is not well-formed XML (line {exc.lineno})") from None


def time_limit_error(seconds: float) -> ParseError:
    return ParseError(f"time limit exceeded: parsing took more than max_seconds={seconds:g}")


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise ParseError if the body runs longer than `seconds`, in any thread.

    Off the main thread the deadline is cooperative: checked on every block of text a parser adds
    (check_chars) and when the body returns, so a result that came too late is refused there too. On the
    main thread SIGALRM interrupts the body as well. Time spent inside one C call (e.g. lxml parsing a huge
    document) is only interrupted when it returns.
    """
    if seconds <= 0:
        yield
        return
    limit = (time.monotonic() + seconds, seconds)
    outer = _deadline.get()
    token = _deadline.set(limit if outer is None or limit[0] < outer[0] else outer)
    try:
        if threading.current_thread() is threading.main_thread():
            with _alarm(seconds):
                yield
        else:
            yield
        check_deadline()
    finally:
        _deadline.reset(token)


@contextmanager
def _alarm(seconds: float) -> Iterator[None]:
    def on_alarm(signum: int, frame: FrameType | None) -> None:
        raise Deadline

    started = time.monotonic()
    previous = signal.signal(signal.SIGALRM, on_alarm)
    outer_delay, _ = signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    except Deadline:
        raise time_limit_error(seconds) from None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous if previous is not None else signal.SIG_DFL)
        if outer_delay > 0:  # give an enclosing timer back what it had left
            signal.setitimer(signal.ITIMER_REAL, max(outer_delay - (time.monotonic() - started), 0.001))


_ADDRESS = re.compile(r"\s+at 0x[0-9a-fA-F]+|\b0x[0-9a-fA-F]{8,}\b")
_TEMP_DIRS = sorted(
    {tempfile.gettempdir(), "/tmp", "/var/tmp", "/dev/shm", "/var/folders", "/private/var/folders"}
)
_TEMP_PATH = re.compile(
    r"(?<![\w/.-])(?:" + "|".join(re.escape(d.rstrip("/\\")) for d in _TEMP_DIRS) + r")[/\\][^\s'\"<>]*"
    r"|[A-Za-z]:\\[^\s'\"<>]*?\\(?:Temp|tmp)\\[^\s'\"<>]*",
    re.IGNORECASE,
)


def stable_reason(reason: str) -> str:
    """A reason without what differs between equal failures: memory addresses, temporary paths."""
    reason = _ADDRESS.sub("", reason)
    return _TEMP_PATH.sub("<temp file>", reason)


def describe(exc: BaseException) -> str:
    """A short reason for an unexpected library exception."""
    if isinstance(exc, zipfile.BadZipFile):
        return "file is not a zip archive / corrupt"
    if isinstance(exc, zlib.error | EOFError):
        return "corrupt or truncated compressed data"
    if isinstance(exc, RecursionError):
        return "structure nested too deeply"
    if isinstance(exc, MemoryError):
        return "out of memory"
    if isinstance(exc, KeyError):
        return stable_reason(f"corrupt package: missing part {exc}")
    message = stable_reason(" ".join(str(exc).split()))[:200]
    name = type(exc).__name__
    return f"{name}: {message}" if message else name
