"""Reads a folder: walks it (bounded depth, no symlink loops), yields each file's bytes and sidecar.

Every path goes through kmingest.connectors.guard: nothing outside the resolved source root is read (file
and folder symlinks included), only regular files are opened (FIFOs, sockets and devices are reported, never
opened), reads are bounded by max_file_mb. Names are listed as the OS gives them (bytes, kept with
surrogateescape so the file can be opened again) and decoded with `name_encoding` for ids and titles, so one
name in GB18030 on a share is one readable record, not a broken run.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from fnmatch import fnmatch
from functools import partial
from pathlib import Path
from typing import Any

from pydantic import Field, field_validator

from kmingest.connectors.base import ConnectorConfigError, ConnectorOptions, ExtractError
from kmingest.connectors.guard import (
    UnsafeFile,
    check_name_encoding,
    check_regular,
    decode_name,
    open_regular,
    read_file,
    resolve_inside,
    too_large,
)
from kmingest.parsing.mailbox import MAILBOX_SUFFIXES, looks_like_mailbox, read_headers, split_mailbox

MAX_SIDECAR_BYTES = 1024 * 1024
MAX_LINE_BYTES = 1024 * 1024


class FilesystemOptions(ConnectorOptions):
    include: tuple[str, ...] = Field(
        default=("*",),
        description="glob patterns (fnmatch) a file's name or "
        'its path below the source folder must match, e.g. `["*.pdf", '
        '"policies/*"]`; dot files are never read',
    )
    exclude: tuple[str, ...] = Field(
        default=(), description="glob patterns (name or path) of files not read, even when `include` matches"
    )
    sidecar_suffix: str = Field(
        default=".meta.json",
        description="a file `<name><suffix>` beside a file "
        "holds its metadata as JSON (title, department, acl, author, updated_at, url, "
        "doc_type, others kept as metadata); not indexed itself",
    )
    department_from_folder: bool = Field(
        default=False,
        description="the first folder below the source path names the department when the sidecar gives none",
    )
    department_map: dict[str, str] = Field(
        default_factory=dict, description="raw department (sidecar or folder) -> portal department"
    )
    follow_symlinks: bool = Field(
        default=False,
        description="enter folder links (only those that stay inside "
        "the source folder; loops and second links to a folder read already are "
        "skipped); file links are read when they stay inside, refused otherwise",
    )
    max_depth: int = Field(
        default=32, ge=0, description="folders deeper than this below the source path are not entered"
    )
    max_file_mb: float = Field(
        default=50,
        gt=0,
        description="a larger file is refused (a dead letter) from its size, before it is read",
    )
    name_encoding: str = Field(
        default="auto",
        description="how file names that are not UTF-8 are decoded "
        "(shares written by old Windows clients): `auto` tries UTF-8, then GB18030; "
        "or any Python codec (`big5`, `cp932`...); undecodable bytes become `\\xNN`",
    )
    split_mailboxes: bool = Field(
        default=True,
        description="an mbox file (`.mbox`, or an mbox envelope line "
        "first) or a Foxmail `.box` becomes one record per message "
        "(`<path>#<Message-ID>`); false: the file is one record",
    )
    max_mailbox_mb: float = Field(
        default=4096,
        gt=0,
        description="a mailbox is streamed one message at a time; each message is held to `max_file_mb`",
    )

    @field_validator("name_encoding")
    @classmethod
    def _known_codec(cls, value: str) -> str:
        try:
            return check_name_encoding(value)
        except LookupError:
            raise ValueError(f"unknown encoding {value!r} (use auto, utf-8, gb18030, big5...)") from None

    @property
    def max_file_bytes(self) -> int:
        return int(self.max_file_mb * 1024 * 1024)


@dataclass(frozen=True)
class RawFile:
    relpath: str
    content: bytes
    modified: datetime
    sidecar: dict[str, Any]
    filename: str = ""  # default: the last part of relpath (a mailbox message: "<name>#<n>.eml")


@dataclass(frozen=True)
class Listed:
    relpath: str  # decoded, "/"-separated: the external id
    path: Path  # as the OS names it (undecodable bytes kept by surrogateescape)


class FileReader:
    def __init__(self, root: Path, options: FilesystemOptions) -> None:
        self.root = root
        self.options = options

    def _wanted(self, rel: str) -> bool:
        name = rel.rsplit("/", 1)[-1]
        if name.startswith(".") or name.endswith(self.options.sidecar_suffix):
            return False
        if not any(fnmatch(name, p) or fnmatch(rel, p) for p in self.options.include):
            return False
        return not any(fnmatch(name, p) or fnmatch(rel, p) for p in self.options.exclude)

    def _name(self, raw: str) -> str:
        return decode_name(os.fsencode(raw), self.options.name_encoding)

    def paths(self) -> Iterator[Listed | ExtractError]:
        """Every wanted entry that is not a folder, in a stable order; folders that cannot be entered are
        reported (id ending in "/")."""
        if not self.root.is_dir():
            raise ConnectorConfigError(
                f"source folder {self.root} does not exist or is not a folder "
                "(fix: correct the source's path)"
            )
        visited = {self._identity(self.root)}
        yield from self._walk(self.root, "", 0, visited)

    @staticmethod
    def _identity(folder: Path) -> tuple[int, int]:
        info = folder.stat()
        return info.st_dev, info.st_ino

    def _walk(
        self, folder: Path, rel_dir: str, depth: int, visited: set[tuple[int, int]]
    ) -> Iterator[Listed | ExtractError]:
        try:
            with os.scandir(folder) as listing:
                entries = sorted(listing, key=lambda e: os.fsencode(e.name))
        except OSError as err:
            folder_id = f"{rel_dir}/" if rel_dir else ""  # its files were not seen, but are not gone
            why = err.strerror or type(err).__name__
            yield ExtractError(folder_id or "/", f"cannot list folder: {why}", covers=folder_id)
            return
        folders: list[tuple[str, os.DirEntry[str]]] = []
        for entry in entries:
            rel = f"{rel_dir}/{self._name(entry.name)}" if rel_dir else self._name(entry.name)
            try:
                is_dir = entry.is_dir(follow_symlinks=True)
            except OSError:
                is_dir = False
            if not is_dir:
                if self._wanted(rel):
                    yield Listed(rel, Path(entry.path))
            elif not entry.name.startswith(".") and depth < self.options.max_depth:
                folders.append((rel, entry))
        folders.sort(
            key=lambda f: f[1].is_symlink()
        )  # real folders first: a link to one read already is skipped
        for rel, entry in folders:
            if entry.is_symlink():
                if not self.options.follow_symlinks:
                    continue
                try:
                    resolve_inside(Path(entry.path), self.root)
                except UnsafeFile as err:
                    yield ExtractError(f"{rel}/", f"folder {err}")
                    continue
            try:
                identity = self._identity(Path(entry.path))
            except OSError:
                continue
            if identity in visited:  # a symlink loop, or a second link to a folder already read
                continue
            visited.add(identity)
            yield from self._walk(Path(entry.path), rel, depth + 1, visited)

    def read(self) -> Iterator[RawFile | ExtractError]:
        limit = self.options.max_file_bytes
        max_mailbox = int(self.options.max_mailbox_mb * 1024 * 1024)
        for item in self.paths():
            if isinstance(item, ExtractError):
                yield item
                continue
            rel, path = item.relpath, item.path
            try:
                modified = datetime.fromtimestamp(path.stat().st_mtime, tz=UTC)
                sidecar = self._sidecar(path)
                if self.options.split_mailboxes and may_be_mailbox(rel):
                    with open_regular(path, self.root) as fh:
                        head = fh.read(4096)
                    if looks_like_mailbox(rel, head):
                        yield from read_mailbox(path, self.root, rel, modified, sidecar, max_mailbox, limit)
                        continue
                content = read_file(path, self.root, limit)
            except UnsafeFile as err:
                yield ExtractError(rel, str(err))
                continue
            except OSError as err:
                yield ExtractError(rel, f"cannot read file: {err.strerror or type(err).__name__}")
                continue
            yield RawFile(rel, content, modified, sidecar)

    def _sidecar(self, path: Path) -> dict[str, Any]:
        sidecar_path = path.with_name(path.name + self.options.sidecar_suffix)
        if not os.path.lexists(sidecar_path):
            return {}
        label = f"sidecar {self._name(sidecar_path.name)}"
        try:
            data = read_file(sidecar_path, self.root, MAX_SIDECAR_BYTES)
        except UnsafeFile as err:
            raise UnsafeFile(f"{label}: {err}") from None
        try:
            loaded = json.loads(data.decode("utf-8"))
        except ValueError as err:
            raise UnsafeFile(f"{label} is not valid JSON: {err}") from None
        if not isinstance(loaded, dict):
            raise UnsafeFile(f"{label} must hold a JSON object")
        return loaded


def may_be_mailbox(rel: str) -> bool:
    """Worth a look at the first bytes: a mailbox suffix, or no suffix at all (Thunderbird's "Inbox")."""
    name = rel.rsplit("/", 1)[-1].lower()
    return name.endswith(MAILBOX_SUFFIXES) or "." not in name


def read_mailbox(
    path: Path,
    root: Path,
    rel: str,
    modified: datetime,
    sidecar: dict[str, Any],
    max_mailbox_bytes: int,
    max_message_bytes: int,
) -> Iterator[RawFile | ExtractError]:
    """One RawFile per message of a mailbox (mbox, Foxmail .box), streamed through the guard: never more
    than one message in memory, each at most max_message_bytes. Id `<path>#<Message-ID>` (stable when
    messages come and go), or `<path>#<n>` (its position) without one or for a repeated one; subject, sender
    and date become title, author and updated_at; the mailbox's sidecar (ACL, department) applies to all."""
    size = check_regular(resolve_inside(path, root)).st_size
    if size > max_mailbox_bytes:
        raise UnsafeFile(str(too_large(size, max_mailbox_bytes)).replace("max_file_mb", "max_mailbox_mb"))
    name = rel.rsplit("/", 1)[-1]
    used: set[str] = set()
    read = 0
    with open_regular(path, root) as fh:
        lines = iter(partial(fh.readline, MAX_LINE_BYTES), b"")  # a line without end is read in pieces
        for message in split_mailbox(lines, max_message_bytes):
            read += message.size
            if read > max_mailbox_bytes:  # grew since stat
                yield ExtractError(
                    rel,
                    f"mailbox too large: more than {max_mailbox_bytes} bytes (max_mailbox_mb); "
                    f"read up to message {message.number}",
                )
                return
            if message.data is None:
                yield ExtractError(
                    f"{rel}#{message.number}",
                    f"mail message {message.number}: {too_large(message.size, max_message_bytes)}",
                )
                continue
            headers = read_headers(message.data)
            key = headers.message_id if headers.message_id and headers.message_id not in used else ""
            used.add(key)
            meta = {
                "title": headers.subject or None,
                "author": headers.sender or None,
                "updated_at": headers.date.isoformat() if headers.date else None,
                "mailbox": rel,
                "message_number": message.number,
                "message_id": headers.message_id or None,
            }
            merged = {**sidecar, **{k: v for k, v in meta.items() if v is not None}}
            yield RawFile(
                f"{rel}#{key or message.number}",
                message.data,
                modified,
                merged,
                f"{name}#{message.number}.eml",
            )
