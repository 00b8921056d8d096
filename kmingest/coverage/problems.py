"""Records the pilot knows of but could not index (parse failures, skipped files), with their department.

state.dead_letters() (+ the connector's metadata for those ids) -> [Problem] -> metrics.py

The state store keeps source, id, kind and reason of a problem record, not its department or type. To
attribute it, the source is read again through its connector (metadata only: nothing is parsed or
embedded) and the ids are looked up; this stops as soon as every problem id of the source is found and is
switched off with `coverage.attribute_problems: false`. A record the connector itself could not read (a bad
row, a missing file) has no department: it is reported under "(unknown)".
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import PurePath
from typing import Any, Literal

from kmingest.config import Config, ConfigError
from kmingest.connectors.base import ConnectorConfigError
from kmingest.connectors.registry import build_connector
from kmingest.coverage.model import UNKNOWN, Problem
from kmingest.models import SourceRecord
from kmingest.state import StateStore

log = logging.getLogger("kmingest.coverage")


def _doc_type(record: SourceRecord) -> str:
    if record.doc_type:
        return record.doc_type
    suffix = PurePath(record.filename).suffix.lower().lstrip(".")
    return suffix or UNKNOWN


def _attribute(config: Config, source: str, ids: set[str]) -> tuple[str, dict[str, tuple[str, str]]]:
    """(system, external_id -> (department, doc_type)) for the ids the connector still yields."""
    try:
        src = config.source(source)
        connector = build_connector(src, str(config.source_file or "config"))
    except (ConfigError, ConnectorConfigError):
        return source, {}  # the source is no longer configured: its problems stay unattributed
    found: dict[str, tuple[str, str]] = {}
    try:
        for item in connector.extract(None):
            if isinstance(item, SourceRecord) and item.external_id in ids and item.external_id not in found:
                found[item.external_id] = (item.department, _doc_type(item))
                if len(found) == len(ids):
                    break
    except Exception as err:  # a source that cannot be read now must not stop the report
        log.warning("coverage: cannot re-read source %s to attribute its problems: %s", source, err)
    return connector.system, found


def collect_problems(config: Config, state: StateStore, attribute: bool = True) -> list[Problem]:
    letters: Sequence[dict[str, Any]] = state.dead_letters()
    by_source: dict[str, set[str]] = {}
    for d in letters:
        by_source.setdefault(str(d["source"]), set()).add(str(d["external_id"]))
    systems: dict[str, str] = {}
    where: dict[tuple[str, str], tuple[str, str]] = {}
    for source, ids in by_source.items():
        if attribute:
            system, found = _attribute(config, source, ids)
        else:
            system, found = _system_of(config, source), {}
        systems[source] = system
        where.update({(source, eid): v for eid, v in found.items()})
    out = []
    for d in letters:
        source, eid = str(d["source"]), str(d["external_id"])
        department, doc_type = where.get((source, eid), (UNKNOWN, UNKNOWN))
        kind: Literal["failed", "skipped"] = "skipped" if d["kind"] == "skipped" else "failed"
        out.append(Problem(source=source, system=systems[source], department=department, doc_type=doc_type,
                           external_id=eid, kind=kind, reason=str(d["reason"])))  # fmt: skip
    return out


def _system_of(config: Config, source: str) -> str:
    for src in config.sources:
        if src.name == source:
            return src.system or src.connector
    return source
