"""Read guard every file-reading connector uses, between the export on disk and SourceRecord bytes.

    connector reader -> read_file(path, root, max_bytes) -> bytes  (or UnsafeFile with a stable reason)

One place decides what may be read: the resolved path (file symlinks included) must lie inside the resolved
source root; only regular files are opened (a FIFO, socket or device is never opened, so nothing blocks),
with O_NONBLOCK | O_NOFOLLOW, checked again with fstat after opening; the size is checked before reading and
the read itself is bounded (at most max_bytes + 1 bytes), so a file that grows or lies about its size still
cannot exhaust memory. Names that are not valid UTF-8 (GB18030 bytes on a share) are decoded here too.
"""

from __future__ import annotations

import codecs
import os
import stat
from pathlib import Path
from typing import BinaryIO

# O_NOFOLLOW / O_NONBLOCK do not exist on every platform; 0 leaves them out there.
_OPEN_FLAGS = (
    os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
)
AUTO_NAME_ENCODINGS = ("utf-8", "gb18030")


class UnsafeFile(Exception):
    """The file is not read: outside the root, not a regular file, too large or unreadable."""


def kind_of(mode: int) -> str:
    """A stable word for what a stat mode describes."""
    for test, word in (
        (stat.S_ISFIFO, "a FIFO (named pipe)"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISDIR, "a folder"),
        (stat.S_ISLNK, "a symbolic link"),
    ):
        if test(mode):
            return word
    return "not a regular file"


def resolve_inside(path: Path, root: Path) -> Path:
    """`path` with every symlink resolved; UnsafeFile when that leaves the (resolved) source root."""
    try:
        real = path.resolve(strict=True)
    except (OSError, RuntimeError) as err:  # RuntimeError: a symlink loop on older Pythons
        raise UnsafeFile(f"cannot resolve the path: {_why(err)}") from None
    if not real.is_relative_to(root.resolve()):
        raise UnsafeFile("path leads outside the source folder (symbolic link); not read")
    return real


def check_regular(path: Path) -> os.stat_result:
    """lstat of a resolved path; UnsafeFile unless it is a regular file (never opens it)."""
    try:
        info = os.lstat(path)
    except OSError as err:
        raise UnsafeFile(f"cannot read file: {_why(err)}") from None
    if not stat.S_ISREG(info.st_mode):
        raise UnsafeFile(f"{kind_of(info.st_mode)}, not a regular file; not read")
    return info


def too_large(size: int, max_bytes: int) -> UnsafeFile:
    return UnsafeFile(f"file too large: {size} bytes > {max_bytes} bytes (max_file_mb)")


def read_file(path: Path, root: Path, max_bytes: int) -> bytes:
    """The bytes of `path` if it is a regular file inside `root` of at most `max_bytes`; else UnsafeFile."""
    with open_regular(path, root) as fh:  # resolves and checks the path once
        size = os.fstat(fh.fileno()).st_size
        if size > max_bytes:
            raise too_large(size, max_bytes)
        return _read_at_most(fh, max_bytes)


def open_regular(path: Path, root: Path) -> BinaryIO:
    """An open binary file for a regular file inside `root` (for readers that stream, like mailboxes);
    UnsafeFile otherwise. The caller bounds what it reads."""
    real = resolve_inside(path, root)
    check_regular(real)
    try:
        fd = os.open(real, _OPEN_FLAGS)
    except OSError as err:
        raise UnsafeFile(f"cannot read file: {_why(err)}") from None
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):  # swapped between lstat and open
        os.close(fd)
        raise UnsafeFile(f"{kind_of(mode)}, not a regular file; not read")
    return os.fdopen(fd, "rb")


def read_bounded(real: Path, max_bytes: int) -> bytes:
    """Open without following a final symlink and without blocking, re-check with fstat, read at most
    max_bytes + 1 bytes (one more than allowed tells a file that grew since stat)."""
    with open_regular(real, real.parent) as fh:
        return _read_at_most(fh, max_bytes)


def _read_at_most(fh: BinaryIO, max_bytes: int) -> bytes:
    try:
        data = fh.read(max_bytes + 1)
    except OSError as err:
        raise UnsafeFile(f"cannot read file: {_why(err)}") from None
    if len(data) > max_bytes:
        raise UnsafeFile(f"file too large: more than {max_bytes} bytes (max_file_mb)")
    return data


def check_name_encoding(name: str) -> str:
    """Validate a `name_encoding` option: 'auto' or a codec Python knows."""
    if name != "auto":
        codecs.lookup(name)  # LookupError names the unknown codec
    return name


def decode_name(raw: bytes, encoding: str = "auto") -> str:
    """A file name's bytes as text: 'auto' tries UTF-8 then GB18030; bytes valid in neither become
    backslash escapes (\\xff), so the same bytes always give the same name (stable external ids)."""
    candidates = AUTO_NAME_ENCODINGS if encoding == "auto" else (encoding,)
    for codec in candidates:
        try:
            return raw.decode(codec)
        except UnicodeDecodeError:
            continue
    return raw.decode(candidates[0], errors="backslashreplace")


def _why(err: BaseException) -> str:
    """An OS error without the path (paths differ between machines; reasons must group)."""
    if isinstance(err, OSError) and err.strerror:
        return err.strerror
    return type(err).__name__
