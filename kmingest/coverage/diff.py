"""What changed since the previous report: better / worse per department and per knowledge area.

previous report.json (history.py) + this Report -> Changes -> report (and every output format)

Department: each of these moves counts one point for or against, and the verdict is the sign of the sum
(better, worse, or same when they cancel out or nothing moved):
documents (more is better), embedded share (higher), share updated in the last 365 days (higher),
failed + skipped records (fewer), zero-result share of the department's searches (lower).
Area: a status closer to covered (missing < stale < thin < covered) is better; with the same status,
more matching documents is better. Departments and areas only in one of the two reports are new / gone.
"""

from __future__ import annotations

from collections.abc import Callable

from kmingest.coverage.model import STATUS_ORDER, AreaResult, Change, Changes, GroupMetrics, Report, Verdict


def _verdict(score: int) -> Verdict:
    return "better" if score > 0 else "worse" if score < 0 else "same"


def _pct(x: float) -> str:
    return f"{x * 100:.1f}%"


def _department(
    name: str,
    old: GroupMetrics | None,
    new: GroupMetrics | None,
    old_zero: float | None,
    new_zero: float | None,
) -> Change:
    if old is None and new is not None:
        return Change(
            scope="department", department=name, verdict="new", details=(f"documents {new.documents}",)
        )
    if new is None and old is not None:
        return Change(
            scope="department", department=name, verdict="gone", details=(f"documents {old.documents} -> 0",)
        )
    assert old is not None and new is not None
    score = 0
    details: list[str] = []

    def move(
        label: str, before: float, after: float, higher_is_better: bool, fmt: Callable[[float], str]
    ) -> None:
        nonlocal score
        if before == after:
            return
        up = after > before
        score += 1 if up == higher_is_better else -1
        details.append(f"{label} {fmt(before)} -> {fmt(after)}")

    move("documents", old.documents, new.documents, True, lambda v: str(int(v)))
    move("embedded share", old.embedded_share, new.embedded_share, True, _pct)
    move("updated in 365 days", old.updated_365d_share, new.updated_365d_share, True, _pct)
    move("failed + skipped", old.failed + old.skipped, new.failed + new.skipped, False, lambda v: str(int(v)))
    if old_zero is not None and new_zero is not None:
        move("zero-result searches", old_zero, new_zero, False, _pct)
    return Change(scope="department", department=name, verdict=_verdict(score), details=tuple(details))


def _area(old: AreaResult | None, new: AreaResult | None) -> Change:
    some = new or old
    assert some is not None
    base = {"scope": "area", "department": some.department, "area": some.area}
    if old is None:
        return Change(**base, verdict="new", details=(f"status {some.status}", f"documents {some.documents}"))  # type: ignore[arg-type]
    if new is None:
        return Change(**base, verdict="gone", details=(f"was {some.status}",))  # type: ignore[arg-type]
    rank_old, rank_new = STATUS_ORDER.index(old.status), STATUS_ORDER.index(new.status)
    details = []
    if old.status != new.status:
        details.append(f"status {old.status} -> {new.status}")
    if old.documents != new.documents:
        details.append(f"documents {old.documents} -> {new.documents}")
    score = rank_new - rank_old if rank_new != rank_old else new.documents - old.documents
    return Change(**base, verdict=_verdict(score), details=tuple(details))  # type: ignore[arg-type]


def _zero_shares(report: Report) -> dict[str, float]:
    if report.search is None:
        return {}
    return {d.department: d.zero_result_share for d in report.search.departments if d.searches}


def compare(previous: Report, current: Report) -> Changes:
    old_depts = {d.department: d for d in previous.departments}
    new_depts = {d.department: d for d in current.departments}
    old_zero, new_zero = _zero_shares(previous), _zero_shares(current)
    items = [
        _department(name, old_depts.get(name), new_depts.get(name), old_zero.get(name), new_zero.get(name))
        for name in sorted(old_depts.keys() | new_depts.keys())
    ]
    old_areas = {(a.department, a.area): a for a in previous.areas}
    new_areas = {(a.department, a.area): a for a in current.areas}
    items += [_area(old_areas.get(k), new_areas.get(k)) for k in sorted(old_areas.keys() | new_areas.keys())]
    return Changes(
        previous_id=previous.report_id, previous_generated_at=previous.generated_at, items=tuple(items)
    )
