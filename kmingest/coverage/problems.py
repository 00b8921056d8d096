"""Records the pilot knows of but could not index (parse failures, skipped files), with their department
and who may read them.

state.dead_letters() (+ the connector's metadata for those ids) -> [Problem] -> metrics.py (counts)
[Problem] + the reader's Caller -> for_reader() -> named problems + RestrictedProblems (counts only)

The state store keeps source, id, kind and reason of a problem record, not its department, type or ACL. To
attribute it, the source is read again through its connector (metadata only: nothing is parsed or
embedded) and the ids are looked up; this stops as soon as every problem id of the source is found and is
switched off with `coverage.attribute_problems: false`. A record the connector itself could not read (a bad
row, a missing file) has no department: it is reported under "(unknown)". Its ACL is not known either, so
it is restricted (fail closed): a report names a problem record (id and reason, which can say what it is
about, e.g. an HR layoff plan) only to a reader its ACL admits; everyone else sees it counted.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import PurePath
from typing import Any, Literal

from kmingest.config import Config, ConfigError
from kmingest.connectors.base import ConnectorConfigError
from kmingest.connectors.registry import build_connector
from kmingest.coverage.model import UNKNOWN, Problem, Report, RestrictedProblems
from kmingest.index.base import Caller, allowed
from kmingest.models import SourceRecord
from kmingest.state import StateStore

log = logging.getLogger("kmingest.coverage")


def _doc_type(record: SourceRecord) -> str:
    if record.doc_type:
        return record.doc_type
    suffix = PurePath(record.filename).suffix.lower().lstrip(".")
    return suffix or UNKNOWN


Where = tuple[str, str, tuple[str, ...]]  # department, doc_type, acl


def _attribute(config: Config, source: str, ids: set[str]) -> tuple[str, dict[str, Where]]:
    """(system, external_id -> (department, doc_type, acl)) for the ids the connector still yields."""
    try:
        src = config.source(source)
        connector = build_connector(src, str(config.source_file or "config"))
    except (ConfigError, ConnectorConfigError):
        return source, {}  # the source is no longer configured: its problems stay unattributed
    found: dict[str, Where] = {}
    try:
        for item in connector.extract(None):
            if isinstance(item, SourceRecord) and item.external_id in ids and item.external_id not in found:
                found[item.external_id] = (item.department, _doc_type(item), tuple(sorted(item.acl)))
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
    where: dict[tuple[str, str], Where] = {}
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
        department, doc_type, acl = where.get((source, eid), (UNKNOWN, UNKNOWN, ()))
        kind: Literal["failed", "skipped"] = "skipped" if d["kind"] == "skipped" else "failed"
        out.append(Problem(source=source, system=systems[source], department=department, doc_type=doc_type,
                           external_id=eid, kind=kind, reason=str(d["reason"]), acl=acl))  # fmt: skip
    return out


def for_reader(report: Report, reader: Caller) -> Report:
    """The report as `reader` may see it: problem records whose ACL admits the reader stay named, the
    others become counts per source, department and kind (an empty or unknown ACL admits only admins).
    Counts already withheld in `report` stay; the metrics (which count every record) are unchanged."""
    named = tuple(p for p in report.problems if allowed(p.acl, reader))
    counts: dict[tuple[str, str, str, Literal["failed", "skipped"]], int] = {}
    for c in report.restricted_problems:
        key = (c.source, c.system, c.department, c.kind)
        counts[key] = counts.get(key, 0) + c.records
    for p in report.problems:
        if not allowed(p.acl, reader):
            key = (p.source, p.system, p.department, p.kind)
            counts[key] = counts.get(key, 0) + 1
    restricted = tuple(RestrictedProblems(source=s, system=sy, department=d, kind=k, records=n)
                       for (s, sy, d, k), n in sorted(counts.items()))  # fmt: skip
    return report.model_copy(update={"problems": named, "restricted_problems": restricted})


def withheld(report: Report, reader: Caller) -> tuple[Problem, ...]:
    """The problem records of `report` that for_reader(report, reader) does not name."""
    return tuple(p for p in report.problems if not allowed(p.acl, reader))


def with_problems(report: Report, kept: tuple[Problem, ...]) -> Report:
    """`report` with problem records kept apart added back (each once); their counts leave
    restricted_problems, so for_reader() can decide again for another reader."""
    if not kept:
        return report
    named = {(p.source, p.external_id): p for p in report.problems}
    for p in kept:
        named.setdefault((p.source, p.external_id), p)
    problems = tuple(sorted(named.values(), key=lambda p: (p.source, p.external_id)))
    return report.model_copy(update={"problems": problems, "restricted_problems": ()})


def _system_of(config: Config, source: str) -> str:
    for src in config.sources:
        if src.name == source:
            return src.system or src.connector
    return source
