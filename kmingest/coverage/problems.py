"""Records the pilot knows of but could not index (parse failures, skipped files), with their department
and who may read them.

state.dead_letters() (each with the department, system, type and ACL its record had) -> [Problem] ->
metrics.py (counts); [Problem] + the reader's Caller -> for_reader() -> named problems + RestrictedProblems

The runner keeps with every dead letter what its record knew of itself (state.Attribution), so a report
reads only the state: the sources (and their exports) are never read again. A record the connector itself
could not read (a bad row, a missing file), or a dead letter an older version kept and no run has filled in
since, has no department: it is reported under "(unknown)". Its ACL is not known either, so it is restricted
(fail closed): a report names a problem record (id and reason, which can say what it is about, e.g. an HR
layoff plan) only to a reader its ACL admits; everyone else sees it counted. `coverage.attribute_problems:
false` reports every problem that way.
"""

from __future__ import annotations

from typing import Literal

from kmingest.config import Config
from kmingest.coverage.model import UNKNOWN, Problem, Report, RestrictedProblems
from kmingest.index.base import Caller, allowed
from kmingest.state import StateStore


def collect_problems(config: Config, state: StateStore, attribute: bool = True) -> list[Problem]:
    """Every dead letter as a Problem, filed by the attribution the state kept (`attribute`: use it)."""
    out = []
    for d in state.dead_letters():
        source, known = str(d["source"]), attribute and d["acl"] is not None
        department = d["department"] if known and d["department"] is not None else UNKNOWN
        doc_type = d["doc_type"] if known and d["doc_type"] else UNKNOWN
        acl: tuple[str, ...] = d["acl"] if known else ()
        kind: Literal["failed", "skipped"] = "skipped" if d["kind"] == "skipped" else "failed"
        out.append(
            Problem(
                source=source,
                system=d["system"] or _system_of(config, source),
                department=str(department),
                doc_type=str(doc_type),
                external_id=str(d["external_id"]),
                kind=kind,
                reason=str(d["reason"]),
                acl=acl,
            )
        )
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
    restricted = tuple(
        RestrictedProblems(source=s, system=sy, department=d, kind=k, records=n)
        for (s, sy, d, k), n in sorted(counts.items())
    )
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
