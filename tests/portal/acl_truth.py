"""Who may read each sample document, derived from the raw exports and kmingest.yaml, never from the index:
CRM visibility columns through the source's acl_map, the OA manifest's <permissions>, shared-drive sidecars
(`acl`, else the source default), and the source default for the ERP export (it has no access column).
Used by the ACL enumeration tests (test_acl_enumeration*.py) as the truth to compare the portal with.
"""

from __future__ import annotations

import csv
import json
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

CRM_FILES = {
    "account": ("accounts.csv", "account_id"),
    "contact": ("contacts.csv", "contact_id"),
    "opportunity": ("opportunities.jsonl", "id"),
    "activity": ("activities.jsonl", "id"),
    "ticket": ("tickets.jsonl", "id"),
}


def _crm_visibility(folder: Path) -> dict[str, str]:
    """ "<table>:<id>" -> the raw visibility value; the first row of a repeated id wins, broken rows are
    left out."""
    out: dict[str, str] = {}
    for table, (name, key) in CRM_FILES.items():
        path = folder / name
        if name.endswith(".csv"):
            with path.open(encoding="utf-8", newline="") as f:
                rows: list[dict[str, Any]] = list(csv.DictReader(f))
        else:
            rows = []
            for line in path.read_text(encoding="utf-8").splitlines():
                try:
                    rows.append(json.loads(line))
                except json.JSONDecodeError:
                    continue
        for row in rows:
            if isinstance(row, dict) and row.get(key):
                out.setdefault(f"{table}:{row[key]}", str(row.get("visibility", "")))
    return out


def _oa_acls(folder: Path, department_map: dict[str, str]) -> dict[str, frozenset[str]]:
    out: dict[str, frozenset[str]] = {}
    for doc in ET.parse(folder / "manifest.xml").getroot().iter("document"):
        acl: set[str] = set()
        for allow in doc.iter("allow"):
            kind, value = allow.get("type"), (allow.text or "").strip()
            if kind == "public":
                acl.add("public")
            elif kind == "dept":
                acl.add(f"dept:{department_map.get(value, value)}")
            else:
                acl.add(f"{kind}:{value}")
        out.setdefault(str(doc.get("id")), frozenset(acl))
    return out


def expected_acls(project: Path) -> Callable[[str, str], frozenset[str] | None]:
    """(source, external id) -> its readers, from the exports and kmingest.yaml (None: not exported)."""
    data = yaml.safe_load((project / "kmingest.yaml").read_text(encoding="utf-8"))
    sources = {s["name"]: s for s in data["sources"]}
    crm = _crm_visibility(project / sources["crm"]["path"])
    crm_map = {k: frozenset(v) for k, v in sources["crm"]["acl_map"].items()}
    oa = _oa_acls(project / sources["oa"]["path"], sources["oa"].get("department_map", {}))
    files = project / sources["shared-drive"]["path"]

    def acl_of(source: str, external_id: str) -> frozenset[str] | None:
        if source == "crm":
            return crm_map.get(crm[external_id]) if external_id in crm else None
        if source == "oa":
            return oa.get(external_id)
        if source == "shared-drive":
            sidecar = files / f"{external_id}.meta.json"
            meta = json.loads(sidecar.read_text(encoding="utf-8")) if sidecar.exists() else {}
            return frozenset(meta.get("acl", sources["shared-drive"].get("acl", ["public"])))
        if source == "erp":  # the ERP export has no access column: the source's default
            return frozenset(sources["erp"].get("acl", ["public"]))
        return None

    return acl_of


def principals_of(project: Path) -> dict[str, frozenset[str]]:
    access = yaml.safe_load((project / "kmingest.yaml").read_text(encoding="utf-8"))["access"]
    return {
        name: frozenset(
            {
                "public",
                f"user:{name}",
                *(f"dept:{d}" for d in u.get("departments", ())),
                *(f"group:{g}" for g in u.get("groups", ())),
            }
        )
        for name, u in access["users"].items()
    }
