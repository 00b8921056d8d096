"""Ranking of experts (kmingest.coverage.experts): recency-weighted counts, several people per field, one
person under several spellings, and documents the caller may not read left out entirely."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from kmingest.coverage.experts import AuthoredDocument, people_named, rank_experts
from kmingest.index.base import Caller

AS_OF = datetime(2026, 11, 1, tzinfo=UTC)
HR = Caller(frozenset({"public", "dept:HR"}))


def doc(
    author: str | None, year: int, month: int = 1, acl: tuple[str, ...] = ("public",)
) -> AuthoredDocument:
    return AuthoredDocument(author=author, updated_at=datetime(year, month, 1, tzinfo=UTC), acl=acl)


def test_recent_work_outranks_more_but_older_work() -> None:
    docs = [
        doc("Old Hand", 2020),
        doc("Old Hand", 2021),
        doc("Old Hand", 2021, 6),
        doc("New Voice", 2026, 10),
    ]
    ranked = rank_experts(docs, Caller.anonymous(), AS_OF)
    assert [e.name for e in ranked] == ["New Voice", "Old Hand"]
    assert (ranked[1].documents, ranked[1].latest) == (3, datetime(2021, 6, 1, tzinfo=UTC))
    assert ranked[0].score > ranked[1].score
    # with a long half-life the count wins
    assert rank_experts(docs, Caller.anonymous(), AS_OF, half_life_days=100_000)[0].name == "Old Hand"


def test_a_field_may_name_several_people_and_one_person_several_ways() -> None:
    assert [spelling for _, spelling in people_named("Li Na <li.na@example.com>; Wang Wei、王伟")] == [
        "Li Na <li.na@example.com>",
        "Wang Wei",
        "王伟",
    ]
    docs = [doc("Li Na <li.na@example.com>", 2026, 3), doc("li na", 2026, 2), doc("LI NA; li na", 2026, 1)]
    (only,) = rank_experts(docs, Caller.anonymous(), AS_OF)
    assert only.documents == 3  # named twice in one document: counted once


def test_documents_the_caller_may_not_read_do_not_count_at_all() -> None:
    docs = [
        doc("Pat Public", 2025),
        doc("Hana Secret", 2026, 10, acl=("dept:HR",)),
        doc("Pat Public", 2026, 9, acl=("dept:HR",)),
    ]
    public = rank_experts(docs, Caller.anonymous(), AS_OF)
    assert [(e.name, e.documents, e.latest) for e in public] == [
        ("Pat Public", 1, datetime(2025, 1, 1, tzinfo=UTC))
    ]
    assert {e.name: e.documents for e in rank_experts(docs, HR, AS_OF)} == {"Hana Secret": 1, "Pat Public": 2}
    assert len(rank_experts(docs, Caller.system(), AS_OF)) == 2


@dataclass(frozen=True)
class Facts:  # the shape of index.base.DocumentFacts that matters here: no ACL, a public flag
    author: str | None
    updated_at: datetime | None
    public: bool


def test_facts_with_a_public_flag_and_records_without_access_information() -> None:
    facts = [Facts("Open Olga", None, True), Facts("Closed Carl", None, False)]
    assert [e.name for e in rank_experts(facts, Caller.anonymous(), AS_OF)] == ["Open Olga"]
    assert {e.name for e in rank_experts(facts, Caller.system(), AS_OF)} == {"Open Olga", "Closed Carl"}
    no_access_info = [AuthoredDocument(author="Nobody Knows", updated_at=None)]
    assert rank_experts(no_access_info, HR, AS_OF) == []  # fail closed: only the system caller sees it


def test_restricted_documents_and_empty_authors() -> None:
    mapped = doc("Ann", 2026, 10, acl=("dept:HR",))
    assert rank_experts([mapped], Caller.anonymous(), AS_OF) == []
    assert [e.name for e in rank_experts([mapped], HR, AS_OF)] == ["Ann"]
    blank = [
        doc(None, 2026),
        doc("  ", 2026),
        AuthoredDocument(author=None, updated_at=None, acl=("public",)),
    ]
    assert rank_experts(blank, Caller.anonymous(), AS_OF) == []


def test_limit_and_ties() -> None:
    docs = [doc(name, 2026, 5) for name in ("Cleo", "Abe", "Bea")]
    assert [e.name for e in rank_experts(docs, Caller.anonymous(), AS_OF, limit=2)] == ["Abe", "Bea"]
