"""How well the index covers each knowledge area: matching documents (by keyword and by meaning), the
freshest date, who wrote them, and the area's status.

KnowledgeMap (knowledge_map.py) + index (keyword matches per term) + SemanticMatcher (semantic.py)
  -> evaluate() -> [(AreaResult, the area's document ids)] -> report.py

A document matches a keyword (or the query) when it contains every term of it, as the index analyses text
(stemmed words; a Chinese phrase as its character bigrams): each term's documents come from the index's
keyword matching (what a BM25 search matches, every document however many: IndexBackend.keyword_matches)
as the system caller, intersected (a plain BM25 search has OR semantics, and vector neighbours always
"match" something, so neither counts on its own). With a SemanticMatcher, a document also matches when its
best chunk passes the model's similarity threshold against the area's name, description, a keyword or the
query. An area's `exclude` terms and sources take documents out whatever matched them. Status, first that
applies: missing (no document), stale (the freshest document is older than stale_after_days, or none is
dated), thin (fewer than thin_below documents), covered.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from datetime import datetime

from kmingest.analysis import query_words
from kmingest.coverage.knowledge_map import Area, AreaFilters, KnowledgeMap
from kmingest.coverage.metrics import age_days
from kmingest.coverage.model import AreaMatch, AreaResult, AreaStatus, MatchHow
from kmingest.coverage.semantic import SemanticMatcher
from kmingest.index.base import Caller, DocumentFacts, Filters, IndexBackend

SHOWN_MATCHES = 10  # matching documents listed per area (public ones, keyword matches first)


class TermMatcher:
    """Documents containing a term, as the index's BM25 matching finds them (memoised per term, filters)."""

    def __init__(self, index: IndexBackend) -> None:
        self.index = index
        self._memo: dict[tuple[str, Filters], frozenset[str]] = {}

    def term(self, term: str, filters: Filters) -> frozenset[str]:
        key = (term, filters)
        if key not in self._memo:  # every match, however many: ids only, no ranking or snippets
            self._memo[key] = self.index.keyword_matches(term, Caller.system(), filters)
        return self._memo[key]

    def phrase(self, phrase: str, filters: Filters) -> frozenset[str]:
        found: frozenset[str] | None = None
        for word in query_words(phrase):  # each analyses to one term (stemming it here would stem twice)
            docs = self.term(word, filters)
            found = docs if found is None else found & docs
        return found or frozenset()


def status_of(
    documents: int, freshest: datetime | None, as_of: datetime, thin_below: int, stale_after_days: int
) -> AreaStatus:
    if documents == 0:
        return "missing"
    age = age_days(freshest, as_of)
    if age is None or age > stale_after_days:
        return "stale"
    return "thin" if documents < thin_below else "covered"


def _excluded(area: Area, matcher: TermMatcher, facts: Mapping[str, DocumentFacts]) -> frozenset[str]:
    out: set[str] = set()
    for term in area.exclude.terms:
        out |= matcher.phrase(term, Filters())
    if area.exclude.sources:
        out |= {
            d
            for d, f in facts.items()
            if f.source in area.exclude.sources or f.system in area.exclude.sources
        }
    return frozenset(out)


def _in_filters(fact: DocumentFacts, filters: AreaFilters) -> bool:
    return (
        (not filters.departments or fact.department in filters.departments)
        and (not filters.systems or fact.system in filters.systems)
        and (not filters.doc_types or fact.doc_type in filters.doc_types)
    )


def area_documents(
    area: Area, matcher: TermMatcher, facts: Mapping[str, DocumentFacts], semantic: SemanticMatcher | None
) -> tuple[frozenset[str], dict[str, float]]:
    """(documents matching a keyword, documents matching by meaning -> cosine), exclusions applied."""
    filters = area.filters.to_filters()
    sets = [matcher.phrase(p, filters) for p in area.phrases]
    keyword: frozenset[str] = frozenset()
    if sets:
        keyword = frozenset.intersection(*sets) if area.match == "all" else frozenset().union(*sets)
    scores = semantic.matches(area.meaning) if semantic is not None else {}
    scores = {d: s for d, s in scores.items() if d in facts and _in_filters(facts[d], area.filters)}
    excluded = _excluded(area, matcher, facts)
    return keyword - excluded, {d: s for d, s in scores.items() if d not in excluded}


def _shown(
    keyword: frozenset[str], scores: dict[str, float], docs: list[DocumentFacts], public: frozenset[str]
) -> tuple[AreaMatch, ...]:
    rows = []
    for d in docs:
        if d.doc_id not in public:
            continue
        how: MatchHow = "keyword" if d.doc_id in keyword else "semantic"
        if d.doc_id in keyword and d.doc_id in scores:
            how = "keyword+semantic"
        rows.append(AreaMatch(doc_id=d.doc_id, title=d.title, how=how, score=scores.get(d.doc_id)))
    rows.sort(key=lambda m: (m.how == "semantic", -(m.score or 0.0), m.title, m.doc_id))  # the same every run
    return tuple(rows[:SHOWN_MATCHES])


def _freshest_first(d: DocumentFacts) -> tuple[float, str, str]:
    """Newest first; equal dates by title, then id, so the examples are the same every run (a set's order
    changes with Python's string hashing)."""
    assert d.updated_at is not None
    return (-d.updated_at.timestamp(), d.title, d.doc_id)


def evaluate(
    kmap: KnowledgeMap,
    index: IndexBackend,
    facts: Mapping[str, DocumentFacts],
    as_of: datetime,
    thin_below: int,
    stale_after_days: int,
    public: frozenset[str],
    semantic: SemanticMatcher | None = None,
) -> list[tuple[AreaResult, frozenset[str]]]:
    """Each area's matching documents, freshest date and status (over all documents), and its authors and
    example titles (only from the `public` documents: those never reveal a restricted document).
    With `semantic`, documents similar in meaning count too (keyword OR semantic). Each result comes with
    the ids of its documents (for topic discovery; never kept in the report)."""
    matcher = TermMatcher(index)
    out: list[tuple[AreaResult, frozenset[str]]] = []
    for dept, areas in kmap.departments.items():
        for area in areas:
            keyword, scores = area_documents(area, matcher, facts, semantic)
            docs = [facts[d] for d in sorted(keyword | scores.keys()) if d in facts]
            dated = sorted((d for d in docs if d.updated_at), key=_freshest_first)
            freshest = dated[0].updated_at if dated else None
            thin = area.thin_below or kmap.defaults.thin_below or thin_below
            stale = area.stale_after_days or kmap.defaults.stale_after_days or stale_after_days
            authors = Counter(d.author for d in docs if d.author and d.doc_id in public)
            shown = [d for d in dated if d.doc_id in public]
            result = AreaResult(
                department=dept,
                area=area.name,
                keywords=area.phrases,
                description=area.description,
                documents=len(docs),
                keyword_documents=len([d for d in docs if d.doc_id in keyword]),
                semantic_only_documents=len([d for d in docs if d.doc_id not in keyword]),
                status=status_of(len(docs), freshest, as_of, thin, stale),
                freshest=freshest,
                authors=tuple(sorted(authors.items(), key=lambda a: (-a[1], a[0]))[:5]),
                examples=tuple(d.title for d in shown[:3]),
                matches=_shown(keyword, scores, docs, public),
                thin_below=thin,
                stale_after_days=stale,
            )
            out.append((result, frozenset(d.doc_id for d in docs)))
    return out
