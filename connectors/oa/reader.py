"""Reads an OA export: manifest.xml (document id, file, title, department, author, publish date,
permissions) plus the files it names. Reports entries whose file is missing or whose date is invalid,
and files in the export that the manifest does not list.

Files go through kmingest.connectors.guard: a listed file must be a regular file inside the export, its size
is checked with stat before anything is read (max_file_mb), the read is bounded, and entries are yielded one
at a time, so memory holds one file, never a batch's worth of unread ones.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from lxml import etree

from kmingest.connectors.base import ConnectorConfigError, ExtractError
from kmingest.connectors.guard import UnsafeFile, decode_name, read_file

MAX_MANIFEST_BYTES = 512 * 1024 * 1024


@dataclass(frozen=True)
class ManifestEntry:
    doc_id: str
    file: str
    title: str
    department: str
    author: str
    published: date | None
    permissions: tuple[tuple[str, str], ...]  # (type, value): ("public", ""), ("dept", "质量部"), ...
    content: bytes


def _text(node: etree._Element | None) -> str:
    return "" if node is None or node.text is None else node.text.strip()


def read_manifest(
    root: Path, manifest: str, files_dir: str, max_file_bytes: int
) -> Iterator[ManifestEntry | ExtractError]:
    path = root / manifest
    if not path.is_file():
        raise ConnectorConfigError(f"{path}: manifest not found (fix: correct `manifest` or the source path)")
    try:
        data = read_file(path, root, MAX_MANIFEST_BYTES)
    except UnsafeFile as err:
        raise ConnectorConfigError(f"{path}: manifest not read: {err}") from None
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    try:
        tree = etree.ElementTree(etree.fromstring(data, parser))
    except etree.XMLSyntaxError as err:
        raise ConnectorConfigError(f"{path}: not well-formed XML: {err}") from None
    del data
    listed: set[str] = set()
    for node in tree.getroot().iter("document"):
        doc_id = (node.get("id") or "").strip()
        rel = _text(node.find("file"))
        if not doc_id:
            yield ExtractError(
                f"manifest:line-{node.sourceline}",
                f"{manifest} line {node.sourceline}: <document> without id",
            )
            continue
        listed.add(rel)
        raw_date = _text(node.find("publishDate"))
        try:
            published = date.fromisoformat(raw_date) if raw_date else None
        except ValueError:
            yield ExtractError(
                doc_id, f"{manifest} line {node.sourceline}: publishDate {raw_date!r} is not a date"
            )
            continue
        file_path = root / rel
        if not rel or not file_path.is_file() or not file_path.resolve().is_relative_to(root.resolve()):
            yield ExtractError(
                doc_id, f"{manifest}: file {rel!r} named by {doc_id} does not exist in the export"
            )
            continue
        try:
            content = read_file(file_path, root, max_file_bytes)  # size from stat first: never read if over
        except UnsafeFile as err:
            yield ExtractError(doc_id, f"{manifest}: file {rel!r} named by {doc_id}: {err}")
            continue
        perms = tuple((a.get("type") or "", (a.text or "").strip()) for a in node.iter("allow"))
        yield ManifestEntry(
            doc_id,
            rel,
            _text(node.find("title")),
            _text(node.find("department")),
            _text(node.find("author")),
            published,
            perms,
            content,
        )
    files_root = root / files_dir
    if files_root.is_dir():
        for p in sorted(files_root.rglob("*")):
            rel = "/".join(decode_name(os.fsencode(part)) for part in p.relative_to(root).parts)
            if p.is_file() and not p.name.startswith(".") and rel not in listed:
                yield ExtractError(
                    f"unlisted:{rel}", f"{rel}: file is in the export but not in {manifest}; not indexed"
                )
