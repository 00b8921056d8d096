"""Word 97-2003 .doc and PowerPoint 97-2003 .ppt -> text through Debian's command-line tools.

`parse_bytes` sniffs an OLE2 file with a root "WordDocument" stream as doc and "PowerPoint Document" as
ppt. No maintained permissive Python library reads these, so the text comes from `antiword` (doc; falls
back to `catdoc` when antiword refuses a file) and `catppt` (ppt), found on PATH (apt packages antiword
and catdoc; they run as separate programs, nothing of them is linked in). Output is UTF-8 (`-m UTF-8.txt`
/ `-d utf-8`), so Chinese documents come out as Chinese. Each run gets the bytes in a temporary file,
at most limits.max_seconds (also off the main thread) and at most max_chars worth of output.
"""

from __future__ import annotations

import os
import re
import selectors
import shutil
import subprocess
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from kmingest.models import ParsedContent
from kmingest.parsing.base import ParseError, ParseLimits, UnsupportedFormat
from kmingest.parsing.builder import TextBuilder, tidy_lines

_INSTALL = "apt-get install antiword catdoc"
_BLOCKS = re.compile(r"\n[^\S\n]*\n\s*|\f")  # blank lines and page breaks separate paragraphs
_FIELD_CODE = re.compile(r"\s?HYPERLINK \"[^\"]*\"\s?")  # catdoc prints the field code before its text
_STDERR_KEEP = 300


class _ToolFailed(Exception):
    """The tool ran but refused the file (its message is in the exception)."""


def _run(command: Sequence[str], data: bytes, suffix: str, limits: ParseLimits, fmt: str) -> str:
    """Run `command` + [temp file]; the decoded stdout, bounded in time and size."""
    max_bytes = limits.max_chars * 4 + 4096  # UTF-8 needs at most 4 bytes a character
    with tempfile.TemporaryDirectory(prefix="kmingest-") as folder:
        path = Path(folder) / f"input{suffix}"
        path.write_bytes(data)
        process = subprocess.Popen(
            [*command, str(path)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env={"PATH": os.environ.get("PATH", ""), "HOME": folder, "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8"},
        )
        try:
            out, err = _collect(process, time.monotonic() + limits.max_seconds, max_bytes, limits, fmt)
            code = process.wait(timeout=max(limits.max_seconds, 1))
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
    if code != 0:
        message = " ".join(err.decode("utf-8", "replace").replace(str(path), "the file").split())
        raise _ToolFailed(message[:_STDERR_KEEP] or f"exit status {code}")
    return out.decode("utf-8", "replace")


def _collect(
    process: subprocess.Popen[bytes], deadline: float, max_bytes: int, limits: ParseLimits, fmt: str
) -> tuple[bytes, bytes]:
    out, err = bytearray(), bytearray()
    assert process.stdout is not None and process.stderr is not None
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ, out)
        selector.register(process.stderr, selectors.EVENT_READ, err)
        while selector.get_map():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise ParseError(
                    f"{fmt}: time limit exceeded: parsing took more than max_seconds={limits.max_seconds:g}"
                )
            for key, _ in selector.select(remaining):
                chunk = os.read(key.fd, 65536)
                if not chunk:
                    selector.unregister(key.fileobj)
                    continue
                buffer: bytearray = key.data
                if buffer is out or len(err) < 4096:
                    buffer += chunk
                if len(out) > max_bytes:
                    raise ParseError(
                        f"extracted text too long: more than max_chars={limits.max_chars} characters"
                    )
    return bytes(out), bytes(err)


def _content(text: str, limits: ParseLimits, fmt: str) -> ParsedContent:
    builder = TextBuilder(limits.max_chars)
    for block in _BLOCKS.split(text.replace("\r\n", "\n").replace("\r", "\n")):
        builder.paragraph(tidy_lines(block))
    return builder.build(fmt)


def _missing(description: str, tools: str) -> UnsupportedFormat:
    return UnsupportedFormat(f"unsupported format: {description}; install {tools} ({_INSTALL})")


def parse_doc(data: bytes, filename: str, limits: ParseLimits) -> ParsedContent:
    antiword, catdoc = shutil.which("antiword"), shutil.which("catdoc")
    if antiword is None and catdoc is None:
        raise _missing("legacy Word .doc needs antiword or catdoc on PATH", "them")
    problems: list[str] = []
    if antiword is not None:
        try:
            text = _run([antiword, "-m", "UTF-8.txt", "-w", "0"], data, ".doc", limits, "doc")
            if text.strip():
                return _content(text, limits, "doc")
        except _ToolFailed as exc:  # e.g. Word 6/95 files or fast-saved documents: catdoc reads those
            problems.append(f"antiword: {exc}")
    if catdoc is not None:
        try:
            text = _run([catdoc, "-d", "utf-8", "-w"], data, ".doc", limits, "doc")
            return _content(_FIELD_CODE.sub(" ", text), limits, "doc")
        except _ToolFailed as exc:
            problems.append(f"catdoc: {exc}")
    if problems:
        raise ParseError(f"doc: not readable as Word 97-2003 ({'; '.join(problems)})")
    return _content("", limits, "doc")


def parse_ppt(data: bytes, filename: str, limits: ParseLimits) -> ParsedContent:
    catppt = shutil.which("catppt")
    if catppt is None:
        raise _missing("legacy PowerPoint .ppt needs catppt on PATH", "catdoc")
    try:
        text = _run([catppt, "-d", "utf-8"], data, ".ppt", limits, "ppt")
    except _ToolFailed as exc:
        raise ParseError(f"ppt: not readable as PowerPoint 97-2003 (catppt: {exc})") from None
    return _content(text, limits, "ppt")
