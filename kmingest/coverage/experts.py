"""Who knows a subject: the people who authored or own its most recent documents, ranked.

documents of an area / a discovered topic (coverage report)  -> rank_experts(docs, caller, as_of) -> [Expert]
the hits a searcher may read (portal, "People who wrote about this") -> rank_experts(...)         -> [Expert]

A person is named from a document's `author` (connectors map owner columns such as the CRM's `owner` to
it) and, where a record carries one, its `owner`. One field may name several people ("Li Na; Wang Wei",
"李娜、王伟"); "Li Na <li.na@example.com>" and "li na" are the same person. Each document counts for each
person it names with a recency weight, 0.5 ** (age in days / half_life_days) at `as_of` (a document
updated today weighs 1, one a half-life old 0.5; an undated one weighs like one two half-lives old), and
people are ranked by the sum, then by their latest document, then by how many documents they have.

Access: only documents the `caller` may read count (an `acl` tuple as on Document and the portal's
documents; `public` as on DocumentFacts; a document with neither counts for the system caller only), so a
person known only from documents the caller may not read is never named. The report passes
`Caller.anonymous()` (what every reader may see); the portal passes the searcher's caller.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from kmingest.index.base import Caller, allowed

DEFAULT_HALF_LIFE_DAYS = 365.0
UNDATED_AGE_HALF_LIVES = 2.0  # an undated document weighs like one this many half-lives old
NAME_SEPARATORS = (";", "；", "、", "\n", "|")
MAX_NAME_CHARS = 120


@dataclass(frozen=True)
class Expert:
    name: str  # as the documents spell it (the most frequent spelling)
    documents: int  # readable documents naming this person
    latest: datetime | None  # the newest of them (None: all undated)
    score: float  # recency-weighted count (see the module docstring), rounded to 4 places


@dataclass(frozen=True)
class AuthoredDocument:
    """The fields experts are ranked by, for sources that carry only these (the portal's search hits)."""

    author: str | None
    updated_at: datetime | None
    acl: tuple[str, ...] = ()
    owner: str | None = None


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def people_named(field_value: str | None) -> list[tuple[str, str]]:
    """(key, spelling) of each person an author/owner field names; the key merges spellings of one person."""
    if not field_value:
        return []
    parts = [field_value]
    for sep in NAME_SEPARATORS:
        parts = [piece for part in parts for piece in part.split(sep)]
    people: dict[str, str] = {}
    for part in parts:
        spelling = " ".join(part.split())[:MAX_NAME_CHARS]
        if not spelling:
            continue
        bare = spelling.split("<", 1)[0].strip() or spelling
        people.setdefault(bare.casefold(), spelling)
    return list(people.items())


def may_read(doc: Any, caller: Caller) -> bool:
    """Whether the caller may read the document: its `acl`, else its `public` flag; neither: admin only."""
    acl = getattr(doc, "acl", None)
    if acl:
        return allowed(acl, caller)
    public = getattr(doc, "public", None)
    if isinstance(public, bool):
        return public or caller.admin
    return caller.admin


@dataclass
class _Tally:
    spellings: dict[str, int] = field(default_factory=dict)
    documents: int = 0
    score: float = 0.0
    latest: datetime | None = None

    def add(self, spelling: str, updated: datetime | None, weight: float) -> None:
        self.spellings[spelling] = self.spellings.get(spelling, 0) + 1
        self.documents += 1
        self.score += weight
        if updated is not None and (self.latest is None or updated > self.latest):
            self.latest = updated

    def expert(self) -> Expert:
        name = min(self.spellings.items(), key=lambda s: (-s[1], s[0]))[0]
        return Expert(name=name, documents=self.documents, latest=self.latest, score=round(self.score, 4))


def rank_experts(
    documents: Iterable[Any],
    caller: Caller,
    as_of: datetime | None = None,
    *,
    half_life_days: float = DEFAULT_HALF_LIFE_DAYS,
    limit: int = 5,
) -> list[Expert]:
    """The people who authored or own the caller-readable `documents`, best first, at most `limit`.

    `documents`: objects with `author` and `updated_at` (and `owner`, `acl` or `public` where they have
    them): Document, DocumentFacts, AuthoredDocument. Documents the caller may not read are ignored
    entirely. `as_of` (default now) is when recency is measured."""
    now = _utc(as_of or datetime.now(UTC))
    tallies: dict[str, _Tally] = {}
    for doc in documents:
        if not may_read(doc, caller):
            continue
        updated = getattr(doc, "updated_at", None)
        updated = _utc(updated) if isinstance(updated, datetime) else None
        if updated is None:
            weight = 0.5**UNDATED_AGE_HALF_LIVES
        else:
            age_days = max(0.0, (now - updated).total_seconds() / 86400)
            weight = 0.5 ** (age_days / half_life_days)
        named: dict[str, str] = {}  # a person named twice in one document counts once
        for key, spelling in people_named(getattr(doc, "author", None)) + people_named(
            getattr(doc, "owner", None)
        ):
            named.setdefault(key, spelling)
        for key, spelling in named.items():
            tallies.setdefault(key, _Tally()).add(spelling, updated, weight)
    experts = [t.expert() for t in tallies.values()]
    experts.sort(key=_rank_key)
    return experts[:limit]


def _rank_key(expert: Expert) -> tuple[float, float, int, str]:
    latest = expert.latest.timestamp() if expert.latest else float("-inf")
    return (-expert.score, -latest, -expert.documents, expert.name)
