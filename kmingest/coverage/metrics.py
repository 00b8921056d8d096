"""Coverage metrics per department x system x document type, and their roll-ups.

IndexBackend.document_facts(Caller.system()) + problems.py (records not in the index) -> GroupMetrics

Backend-agnostic: everything comes from `document_facts`, which both backends implement. Definitions:
- documents, chunks: in the index; embedded documents have at least one chunk with a vector;
- embedded_share = embedded documents / (documents + failed + skipped records of the group): the share of
  what the pilot knows of that is searchable by meaning;
- ages are measured from `updated_at` to the report's `as_of` (a future date counts as age 0); the median
  and the 90/365-day shares are over dated documents; undated ones are counted apart;
- near-empty: fewer than `near_empty_chars` characters of text (the pipeline never indexes an empty text:
  such records are `skipped`);
- duplicates: documents whose text fingerprint (case and whitespace normalised) also occurs in a document
  of another source; duplicates_in_source: ... in another document of the same source (the same mail in
  two folders); a document with copies in both places counts in both;
- no_department: documents under the `unassigned` department (the source gave none).
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from kmingest.coverage.model import GroupMetrics, Problem
from kmingest.index.base import DocumentFacts
from kmingest.models import UNASSIGNED_DEPARTMENT

AGE_BUCKETS = ("≤ 90 days", "91–365 days", "1–2 years", "> 2 years", "undated")
Key = tuple[str, str, str]


def age_days(updated_at: datetime | None, as_of: datetime) -> float | None:
    if updated_at is None:
        return None
    when = updated_at if updated_at.tzinfo else updated_at.replace(tzinfo=UTC)
    return max(0.0, (as_of - when).total_seconds() / 86400)


def age_bucket(age: float | None) -> str:
    if age is None:
        return AGE_BUCKETS[4]
    if age <= 90:
        return AGE_BUCKETS[0]
    if age <= 365:
        return AGE_BUCKETS[1]
    return AGE_BUCKETS[2] if age <= 730 else AGE_BUCKETS[3]


@dataclass
class _Acc:
    """Running totals of one group before shares and medians are computed."""

    documents: int = 0
    chunks: int = 0
    embedded: int = 0
    failed: int = 0
    skipped: int = 0
    near_empty: int = 0
    duplicates: int = 0
    duplicates_in_source: int = 0
    no_department: int = 0
    ages: list[float] = field(default_factory=list)
    undated: int = 0

    def add(self, other: _Acc) -> None:
        for name in (
            "documents",
            "chunks",
            "embedded",
            "failed",
            "skipped",
            "near_empty",
            "duplicates",
            "duplicates_in_source",
            "no_department",
            "undated",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.ages.extend(other.ages)

    def metrics(self, department: str, system: str = "", doc_type: str = "") -> GroupMetrics:
        known = self.documents + self.failed + self.skipped
        dated = len(self.ages)
        return GroupMetrics(
            department=department,
            system=system,
            doc_type=doc_type,
            documents=self.documents,
            chunks=self.chunks,
            embedded_documents=self.embedded,
            failed=self.failed,
            skipped=self.skipped,
            embedded_share=_share(self.embedded, known),
            median_age_days=round(statistics.median(self.ages), 1) if dated else None,
            updated_90d_share=_share(sum(a <= 90 for a in self.ages), dated),
            updated_365d_share=_share(sum(a <= 365 for a in self.ages), dated),
            undated=self.undated,
            near_empty=self.near_empty,
            duplicates=self.duplicates,
            duplicates_in_source=self.duplicates_in_source,
            no_department=self.no_department,
        )


def _share(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


@dataclass
class Metrics:
    totals: GroupMetrics
    cells: list[GroupMetrics]
    departments: list[GroupMetrics]
    department_system: list[GroupMetrics]
    systems: list[GroupMetrics]
    freshness: dict[str, dict[str, int]]


def compute_metrics(
    facts: Iterable[DocumentFacts],
    problems: Sequence[Problem],
    as_of: datetime,
    near_empty_chars: int,
    near_empty_by_source: Mapping[str, int] | None = None,
) -> Metrics:
    """`near_empty_by_source`: a source's own near-empty threshold (`sources[].near_empty_chars`)."""
    own = near_empty_by_source or {}
    docs = list(facts)
    sources_of: dict[str, set[str]] = defaultdict(set)
    in_source: Counter[tuple[str, str]] = Counter()  # (source, fingerprint) -> documents
    for f in docs:
        if f.text_chars:
            sources_of[f.text_fingerprint].add(f.source)
            in_source[(f.source, f.text_fingerprint)] += 1
    cells: dict[Key, _Acc] = defaultdict(_Acc)
    freshness: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(AGE_BUCKETS, 0))
    for f in docs:
        acc = cells[(f.department, f.system, f.doc_type)]
        acc.documents += 1
        acc.chunks += f.chunks
        acc.embedded += f.embedded_chunks > 0
        acc.near_empty += f.text_chars < own.get(f.source, near_empty_chars)
        acc.duplicates += len(sources_of.get(f.text_fingerprint, ())) > 1
        acc.duplicates_in_source += in_source.get((f.source, f.text_fingerprint), 0) > 1
        acc.no_department += f.department == UNASSIGNED_DEPARTMENT
        age = age_days(f.updated_at, as_of)
        if age is None:
            acc.undated += 1
        else:
            acc.ages.append(age)
        freshness[f.department][age_bucket(age)] += 1
    for p in problems:
        acc = cells[(p.department, p.system, p.doc_type)]
        if p.kind == "failed":
            acc.failed += 1
        else:
            acc.skipped += 1

    def roll_up(key: Callable[[Key], tuple[str, ...]]) -> dict[tuple[str, ...], _Acc]:
        out: dict[tuple[str, ...], _Acc] = defaultdict(_Acc)
        for k, acc in cells.items():
            out[key(k)].add(acc)
        return out

    total = _Acc()
    for acc in cells.values():
        total.add(acc)
    by_dept = roll_up(lambda k: (k[0],))
    by_dept_sys = roll_up(lambda k: (k[0], k[1]))
    by_sys = roll_up(lambda k: (k[1],))
    return Metrics(
        totals=total.metrics("(all)"),
        cells=[cells[k].metrics(*k) for k in sorted(cells)],
        departments=[by_dept[k].metrics(k[0]) for k in sorted(by_dept)],
        department_system=[by_dept_sys[k].metrics(k[0], k[1]) for k in sorted(by_dept_sys)],
        systems=[by_sys[k].metrics("(all)", k[0]) for k in sorted(by_sys)],
        freshness={d: dict(freshness[d]) for d in sorted(freshness)},
    )
