"""Small readers for the generated exports, so tests can count items the way a connector would."""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET
from collections import defaultdict
from pathlib import Path
from typing import Any

from openpyxl import load_workbook

from kmingest.parsing import parse_bytes


def tree(root: Path) -> dict[str, bytes]:
    """Every file under root (relative posix path -> bytes)."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def csv_rows(path: Path, encoding: str) -> list[list[str]]:
    """Data rows (header dropped); bytes that do not decode become U+FFFD."""
    text = path.read_bytes().decode(encoding, errors="replace")
    return list(csv.reader(io.StringIO(text, newline="")))[1:]


def jsonl_lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


def jsonl_objects(path: Path) -> list[dict[str, Any]]:
    """Objects of the lines that parse (the broken one is skipped)."""
    out = []
    for line in jsonl_lines(path):
        try:
            out.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return out


def xlsx_groups(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Rows of the first sheet grouped by the first column (BOM编号 / 文件编号)."""
    book = load_workbook(path, read_only=True)
    groups: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
    for row in list(book.worksheets[0].iter_rows(values_only=True))[1:]:
        groups[str(row[0])].append(row)
    book.close()
    return dict(groups)


def all_text(out: Path) -> dict[str, list[tuple[str, str]]]:
    """file -> [(record id, text)] for every record of every file, the way a connector would see it."""
    texts: dict[str, list[tuple[str, str]]] = {}
    for name, encoding in (("erp/materials.csv", "gb18030"), ("erp/suppliers.csv", "utf-8-sig")):
        texts[name] = [(row[0], " ".join(row)) for row in csv_rows(out / name, encoding)]
    for name in ("erp/bom_notes.xlsx", "erp/work_instructions.xlsx"):
        texts[name] = [
            (key, " ".join(map(str, sum(rows, ())))) for key, rows in xlsx_groups(out / name).items()
        ]
    for name in ("crm/accounts.csv", "crm/contacts.csv"):
        texts[name] = [(row[0], " ".join(row)) for row in csv_rows(out / name, "utf-8")]
    for name in ("opportunities", "activities", "tickets"):
        objects = jsonl_objects(out / "crm" / f"{name}.jsonl")
        texts[f"crm/{name}.jsonl"] = [(str(o.get("id")), json.dumps(o, ensure_ascii=False)) for o in objects]
    manifest = ET.parse(out / "oa" / "manifest.xml").getroot()
    ids = {doc.findtext("file"): doc.get("id") or "" for doc in manifest.findall("document")}
    texts["oa"] = []
    for path in sorted((out / "oa" / "files").rglob("*")):
        rel = path.relative_to(out / "oa").as_posix()
        if path.is_file() and rel in ids:
            try:
                texts["oa"].append((ids[rel], parse_bytes(path.read_bytes(), path.name).text))
            except Exception:
                continue
    return texts
