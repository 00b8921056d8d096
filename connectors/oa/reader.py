"""Reads an OA export: manifest.xml (document id, file, title, department, author, publish date,
permissions) plus the files it names. Reports entries whose file is missing or whose date is invalid,
and files in the export that the manifest does not list.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from lxml import etree

from kmingest.connectors.base import ConnectorConfigError, ExtractError


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


def read_manifest(root: Path, manifest: str, files_dir: str) -> Iterator[ManifestEntry | ExtractError]:
    path = root / manifest
    if not path.is_file():
        raise ConnectorConfigError(f"{path}: manifest not found (fix: correct `manifest` or the source path)")
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    try:
        tree = etree.parse(str(path), parser)
    except etree.XMLSyntaxError as err:
        raise ConnectorConfigError(f"{path}: not well-formed XML: {err}") from None
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
        perms = tuple((a.get("type") or "", (a.text or "").strip()) for a in node.iter("allow"))
        yield ManifestEntry(doc_id, rel, _text(node.find("title")), _text(node.find("department")),
                            _text(node.find("author")), published, perms, file_path.read_bytes())  # fmt: skip
    files_root = root / files_dir
    if files_root.is_dir():
        for p in sorted(files_root.rglob("*")):
            rel = p.relative_to(root).as_posix()
            if p.is_file() and not p.name.startswith(".") and rel not in listed:
                yield ExtractError(
                    f"unlisted:{rel}", f"{rel}: file is in the export but not in {manifest}; not indexed"
                )
