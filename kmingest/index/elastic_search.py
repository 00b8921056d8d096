"""One search of the Elasticsearch index (index/elastic.py): the two steps of the shared hybrid sequence
(index/hybrid.py `Scope`) as two `_msearch` round trips, each search with the filters and the ACL. First
the rankings: the lexical matches (collapsed to each document's best chunk), the nearest documents (kNN
collapsed on doc_id) and, for SearchRequest.count_ranges, each range's own nearest documents (what its
filter would give). Then the page's chunks (text for the snippet), the other copies of its documents
(index/groups.py) and one aggregation for the total, the facets and every range count. A browse (no
query) is a sorted search on the document index carrying the aggregations, then the same second step.
A document's duplicate group is its `fingerprint` keyword, read with the matches; one without it is a
group of its own. Counts are groups: distinct fingerprints plus the documents without one.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import TYPE_CHECKING, Any

from elasticsearch import Elasticsearch

from kmingest.index.base import (
    DateRange,
    IndexError_,
    Location,
    SearchRequest,
    SearchResult,
    SemanticQuery,
)
from kmingest.index.es_schema import vector_field
from kmingest.index.groups import (
    GroupKey,
    copies_of,
    copies_search,
    count_aggs,
    facets_of,
    groups_in,
    groups_per_range,
    lexical_ranges_agg,
    ranged_counts,
    ranges_agg,
)
from kmingest.index.hybrid import Copies, Entry, Key, Match, collapse, lexical_depth, with_copies

if TYPE_CHECKING:
    from kmingest.index.elastic import ElasticIndex

LOCATION_FIELDS = ["doc_id", "title", "source", "system", "department", "external_id", "url"]
MATCH_FIELDS = ["doc_id", "fingerprint"]  # what the rankings carry: enough to fold duplicates
MAX_WINDOW = 10_000  # Elasticsearch's default index.max_result_window
NEWEST_FIRST = [{"updated_at": {"order": "desc", "missing": "_last"}}, {"doc_id": "asc"}]
Search = tuple[str, dict[str, Any]]  # (index, body) of one search in an _msearch


class SearchFailed(IndexError_):
    """Elasticsearch answered one search of an _msearch with an error (named by its type and reason)."""


class MissingIndex(SearchFailed):
    """The index does not exist (yet): nothing was ever written."""


def msearch(client: Elasticsearch, searches: Sequence[Search]) -> list[dict[str, Any]]:
    """The searches in one round trip, answered in order; an error in any of them raises SearchFailed."""
    if not searches:
        return []
    lines: list[dict[str, Any]] = []
    for index, body in searches:
        lines += [{"index": index}, body]
    answers: list[dict[str, Any]] = list(client.msearch(searches=lines)["responses"])
    for answer in answers:
        if "error" in answer:
            error = answer["error"]
            kind = error.get("type", "error") if isinstance(error, dict) else "error"
            reason = error.get("reason", "") if isinstance(error, dict) else str(error)
            failure = MissingIndex if kind == "index_not_found_exception" else SearchFailed
            raise failure(f"Elasticsearch search failed: {kind}: {reason}")
    return answers


def msearch_some(client: Elasticsearch, searches: Sequence[Search | None]) -> list[dict[str, Any] | None]:
    """`msearch` of the searches that are there; None answers the ones that are not."""
    answers = iter(msearch(client, [s for s in searches if s is not None]))
    return [next(answers) if s is not None else None for s in searches]


def ids_search(index: str, ids: Sequence[str], source: Any) -> Search | None:
    """The stored fields of these documents (or chunks), as one search of an _msearch (no mget)."""
    return (
        (index, {"query": {"ids": {"values": list(ids)}}, "size": len(ids), "_source": source})
        if ids
        else None
    )


def location(src: Any) -> Location:
    return Location(**{f: src.get(f) for f in LOCATION_FIELDS})


def sources_of(answer: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
    return {h["_id"]: h["_source"] for h in answer["hits"]["hits"]} if answer is not None else {}


def date_range_filter(date_range: DateRange) -> dict[str, Any]:
    """The updated_at filter of one range, as the search's own date filter writes it."""
    lo, hi = date_range
    return {"range": {"updated_at": {k: v.isoformat() for k, v in (("gte", lo), ("lte", hi)) if v}}}


def any_of(clauses: Sequence[dict[str, Any]]) -> dict[str, Any]:
    return {"bool": {"should": list(clauses), "minimum_should_match": 1}} if clauses else {"match_none": {}}


def docs_in(matches: Sequence[Match]) -> list[dict[str, Any]]:
    return [{"terms": {"doc_id": [d for d, _, _ in matches]}}] if matches else []


class ElasticScope:
    """One search with the filters and the caller's ACL as an ES filter list (index/hybrid.py)."""

    def __init__(self, index: ElasticIndex, flt: list[dict[str, Any]], request: SearchRequest) -> None:
        self.index, self.client, self.flt, self.request = index, index.client, flt, request
        self._fingerprint: dict[str, str | None] = {}  # doc_id -> fingerprint, of every match seen
        self.by_group = request.collapse_duplicates
        self._ranged: list[list[Match]] | None = None  # per count range: its own nearest documents

    def _seen(self, source: dict[str, Any]) -> str:
        self._fingerprint[source["doc_id"]] = source.get("fingerprint")
        return str(source["doc_id"])

    def _knn(self, semantic: SemanticQuery, flt: list[dict[str, Any]], k: int, chunks: int) -> dict[str, Any]:
        """The k nearest documents among the `chunks` nearest chunks (collapsed on doc_id)."""
        knn = {
            "field": vector_field(semantic.space),
            "query_vector": [float(x) for x in semantic.vector],
            "k": chunks,
            "num_candidates": min(10_000, max(100, 2 * chunks)),
            "filter": flt,
        }
        if semantic.min_similarity is not None:
            knn["similarity"] = semantic.min_similarity  # the raw cosine similarity, as embedded
        return {"knn": knn, "collapse": {"field": "doc_id"}, "size": k, "_source": MATCH_FIELDS}

    def _nearest(
        self, answer: dict[str, Any], semantic: SemanticQuery, flt: list[dict[str, Any]], k: int, chunks: int
    ) -> list[Match]:
        """k distinct documents: asks for more chunks (another round trip) while the nearest chunks hold
        fewer than k documents and the space has more."""
        while True:
            found = [
                (self._seen(h["_source"]), h["_id"], 2.0 * float(h["_score"]) - 1.0)  # ES: (1 + cos) / 2
                for h in answer["hits"]["hits"]
            ]
            if len(found) >= k or int(answer["hits"]["total"]["value"]) < chunks or chunks >= MAX_WINDOW:
                return found[:k]
            chunks = min(MAX_WINDOW, chunks * 4)
            answer = msearch(self.client, [(self.index.chunks, self._knn(semantic, flt, k, chunks))])[0]

    def retrieve(
        self, request: SearchRequest, semantic: SemanticQuery | None
    ) -> tuple[list[Match], list[Match]]:
        searches: list[Search] = []
        lexical_q = self.index._lexical_query(request.query) if request.mode != "vector" else None
        if lexical_q is not None:
            body = {
                "query": {"bool": {"must": lexical_q, "filter": self.flt}},
                "collapse": {"field": "doc_id"},
                "_source": MATCH_FIELDS,
                "size": min(lexical_depth(request), MAX_WINDOW),
                "track_total_hits": False,  # counts come from the aggregation in `result`
            }
            searches.append((self.index.chunks, body))
        scopes: list[list[dict[str, Any]]] = []
        k = request.vector_k
        if semantic is not None and k > 0:
            scopes = [self.flt, *([*self.flt, date_range_filter(r)] for r in request.count_ranges)]
        searches += [(self.index.chunks, self._knn(semantic, flt, k, 4 * k)) for flt in scopes if semantic]
        answers = msearch(self.client, searches)
        lexical: list[Match] = []
        if lexical_q is not None:
            hits = answers.pop(0)["hits"]["hits"]
            lexical = [(self._seen(h["_source"]), h["_id"], float(h["_score"])) for h in hits]
        if semantic is None or not scopes:
            return lexical, []
        found = [self._nearest(a, semantic, flt, k, 4 * k) for a, flt in zip(answers, scopes, strict=True)]
        self._ranged = found[1:]
        return lexical, found[0]

    def groups(self, docs: Sequence[Key]) -> list[Hashable]:
        if not self.by_group:
            return list(docs)
        return [self._fingerprint.get(str(d)) or ("doc", str(d)) for d in docs]

    def _copies_search(self, docs: Sequence[Key]) -> Search | None:
        fingerprints = sorted({fp for d in docs if (fp := self._fingerprint.get(str(d)))})
        if not fingerprints or not self.by_group:
            return None
        return self.index.docs, copies_search(fingerprints, self.flt, [*LOCATION_FIELDS, "fingerprint"])

    def _copies(self, docs: Sequence[Key], answer: dict[str, Any]) -> Copies:
        locations = [(h["_source"]["fingerprint"], location(h["_source"])) for h in answer["hits"]["hits"]]
        return copies_of({str(d): self._fingerprint.get(str(d)) for d in docs}, locations)

    def _counts_search(
        self, lexical: Sequence[Match], nearest: Sequence[Match], request: SearchRequest
    ) -> Search:
        """One aggregation over the chunks of the lexical matches and nearest documents: total, facets,
        and per count range the groups of its part; or, where each range has its own nearest documents,
        those of its lexical matches (index/groups.py `ranged_counts` adds the rest)."""
        lexical_q = self.index._lexical_query(request.query) if lexical else None
        lex = [lexical_q] if lexical_q is not None else []
        ranged = self._ranged if self._ranged is not None and len(nearest) >= request.vector_k else None
        everything = [*nearest, *(m for found in ranged or [] for m in found)]
        counted = count_aggs(self.by_group)
        aggs: dict[str, Any] = {"union": {"filter": any_of([*lex, *docs_in(nearest)]), "aggs": counted}}
        if request.count_ranges and ranged is None:  # every neighbour is in the union: a range keeps its part
            counted["ranges"] = ranges_agg(request.count_ranges, self.by_group)
        elif request.count_ranges and lex:
            groups = [self._group_key(str(d)) for found in ranged or [] for d, _, _ in found]
            aggs["lexical"] = lexical_ranges_agg(lex[0], request.count_ranges, self.by_group, groups)
        query = {"bool": {"filter": [*self.flt, any_of([*lex, *docs_in(everything)])]}}
        return self.index.chunks, {"query": query, "size": 0, "aggs": aggs}

    def _group_key(self, doc: str) -> GroupKey:
        fingerprint = self._fingerprint.get(doc) if self.by_group else None
        return ("fingerprints", fingerprint) if fingerprint else ("docs", doc)

    def _range_counts(self, out: dict[str, Any], request: SearchRequest) -> list[int]:
        if "ranges" in out["union"]:
            return groups_per_range(out["union"]["ranges"])
        ranged = [[self._group_key(str(d)) for d, _, _ in found] for found in self._ranged or []]
        return ranged_counts(out.get("lexical"), ranged)

    def result(
        self,
        page: Sequence[Entry],
        lexical: Sequence[Match],
        nearest: Sequence[Match],
        request: SearchRequest,
        semantic: SemanticQuery | None,
    ) -> SearchResult:
        chunk_ids = [str(c) for _, c, _ in page if c is not None]
        doc_ids = [d for d, _, _ in page]
        page_answer, authors_answer, copies_answer, counts_answer = msearch_some(
            self.client,
            [
                ids_search(self.index.chunks, chunk_ids, {"excludes": ["vector_*", "*_terms"]}),
                ids_search(self.index.docs, doc_ids, ["author"]),  # chunks do not carry the author
                self._copies_search(doc_ids),
                self._counts_search(lexical, nearest, request),
            ],
        )
        sources = sources_of(page_answer)
        authors = {d: src.get("author") for d, src in sources_of(authors_answer).items()}
        hits = [
            self.index._hit({**sources[str(c)], "author": authors.get(d)}, request.query, s)
            for d, c, s in page
            if str(c) in sources
        ]
        if copies_answer is not None:
            hits = with_copies(hits, self._copies([d for d, _, _ in page], copies_answer))
        out = counts_answer["aggregations"] if counts_answer is not None else {}
        ranges = self._range_counts(out, request) if request.count_ranges else None
        return SearchResult(
            hits=hits,
            total=groups_in(out["union"]["total"]),
            facets=facets_of(out["union"]),
            range_counts=ranges,
        )

    def browse(self, request: SearchRequest) -> SearchResult:
        """Documents newest first from the document index, carrying the aggregations; duplicates folded
        client-side; then the page's texts and copies in one _msearch."""
        query = {"bool": {"filter": self.flt}}
        aggs = count_aggs(self.by_group)
        if request.count_ranges:
            aggs["ranges"] = ranges_agg(request.count_ranges, self.by_group)
        counted: list[dict[str, Any]] = []

        def rank(top: int) -> list[tuple[str, float]]:
            body = {
                "query": query,
                "sort": NEWEST_FIRST,
                "size": min(top, MAX_WINDOW),
                "_source": MATCH_FIELDS,
            }
            answer = msearch(self.client, [(self.index.docs, body | ({} if counted else {"aggs": aggs}))])[0]
            counted.append(answer.get("aggregations") or counted[0])
            return [(self._seen(h["_source"]), 0.0) for h in answer["hits"]["hits"]]

        page = collapse(rank, self.groups, request.offset, request.limit)
        doc_ids = [d for d, _ in page]
        fields = [*LOCATION_FIELDS, "doc_type", "updated_at", "text", "author"]
        docs_answer, copies_answer = msearch_some(
            self.client, [ids_search(self.index.docs, doc_ids, fields), self._copies_search(doc_ids)]
        )
        sources = sources_of(docs_answer)
        hits = [
            self.index._hit({**sources[d], "section": "", "text": sources[d]["text"][:1000]}, "", 0.0)
            for d in doc_ids
            if d in sources
        ]
        if copies_answer is not None:
            hits = with_copies(hits, self._copies(doc_ids, copies_answer))
        out = counted[0]
        ranges = groups_per_range(out["ranges"]) if request.count_ranges else None
        return SearchResult(
            hits=hits, total=groups_in(out["total"]), facets=facets_of(out), range_counts=ranges
        )
