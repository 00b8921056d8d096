"""One search of the Elasticsearch index (index/elastic.py): the two steps of the shared hybrid sequence
(index/hybrid.py `Scope`) as two `_msearch` round trips, each search with the filters and the ACL.

First the rankings: the lexical matches (collapsed to each document's best chunk); beside them a search
whose aggregation counts their groups in all, per facet value and per count range (Elasticsearch runs
the two in parallel); the nearest documents (kNN collapsed on doc_id); and, for
SearchRequest.count_ranges, each range's own nearest documents (what its filter would give). The
rankings read doc_id and fingerprint from doc values, not _source.

Then the page's chunks (text for the snippet), the other copies of its documents (index/groups.py) and
a small aggregation over the nearest documents' groups only, which turns the lexical counts into those
of the union (`Counts`). A browse (no query) is a sorted search on the document index carrying the
aggregations, then the same second step.

A document's duplicate group is its `fingerprint` keyword; one without it is a group of its own. Counts
are groups: distinct fingerprints plus the documents without one. An answer that lacks shards is asked
again once; lacking them still, the result is marked partial.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from kmingest.index.base import (
    SearchRequest,
    SearchResult,
    SemanticQuery,
)
from kmingest.index.es_requests import (
    LOCATION_FIELDS,
    Search,
    date_range_filter,
    docs_in,
    ids_search,
    location,
    msearch_some,
    shards_missing,
    sources_of,
)
from kmingest.index.es_schema import vector_field
from kmingest.index.groups import (
    Counts,
    GroupKey,
    all_of,
    any_of,
    copies_of,
    copies_search,
    count_aggs,
    group_filter,
    presence_agg,
    ranged_counts,
)
from kmingest.index.hybrid import Copies, Entry, Key, Match, collapse, lexical_depth, with_copies

if TYPE_CHECKING:
    from kmingest.index.elastic import ElasticIndex

MATCH_FIELDS = ["doc_id", "fingerprint"]  # what the rankings carry: enough to fold duplicates
MATCHES_ONLY = {"_source": False, "docvalue_fields": MATCH_FIELDS}  # read from doc values, not _source
MAX_WINDOW = 10_000  # Elasticsearch's default index.max_result_window
NEWEST_FIRST = [{"updated_at": {"order": "desc", "missing": "_last"}}, {"doc_id": "asc"}]


class ElasticScope:
    """One search with the filters and the caller's ACL as an ES filter list (index/hybrid.py)."""

    def __init__(self, index: ElasticIndex, flt: list[dict[str, Any]], request: SearchRequest) -> None:
        self.index, self.client, self.flt, self.request = index, index.client, flt, request
        self._fingerprint: dict[str, str | None] = {}  # doc_id -> fingerprint, of every match seen
        self.by_group = request.collapse_duplicates
        self._ranged: list[list[Match]] | None = None  # per count range: its own nearest documents
        self._lexical: Counts | None = None  # the groups of the lexical matches, counted with them
        self.partial = False  # some answer lacked shards even when asked again

    def _ask(self, searches: Sequence[Search | None]) -> list[dict[str, Any] | None]:
        """`msearch_some`, asked once more when an answer lacks shards (a node just left: its replicas
        take over within moments); lacking them still, the result says it is partial."""
        answers = msearch_some(self.client, searches)
        if shards_missing(answers):
            answers = msearch_some(self.client, searches)
            self.partial = self.partial or bool(shards_missing(answers))
        return answers

    def _ask_all(self, searches: Sequence[Search]) -> list[dict[str, Any]]:
        return [a for a in self._ask(searches) if a is not None]

    def _seen(self, hit: dict[str, Any]) -> str:
        """The document of a hit carrying MATCH_FIELDS as doc values; its fingerprint noted."""
        fields = hit["fields"]
        doc = str(fields["doc_id"][0])
        self._fingerprint[doc] = fields["fingerprint"][0] if "fingerprint" in fields else None
        return doc

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
        return {"knn": knn, "collapse": {"field": "doc_id"}, "size": k, **MATCHES_ONLY}

    def _nearest(
        self, answer: dict[str, Any], semantic: SemanticQuery, flt: list[dict[str, Any]], k: int, chunks: int
    ) -> list[Match]:
        """k distinct documents: asks for more chunks (another round trip) while the nearest chunks hold
        fewer than k documents and the space has more."""
        while True:
            found = [
                (self._seen(h), h["_id"], 2.0 * float(h["_score"]) - 1.0)  # ES: (1 + cos) / 2
                for h in answer["hits"]["hits"]
            ]
            if len(found) >= k or int(answer["hits"]["total"]["value"]) < chunks or chunks >= MAX_WINDOW:
                return found[:k]
            chunks = min(MAX_WINDOW, chunks * 4)
            answer = self._ask_all([(self.index.chunks, self._knn(semantic, flt, k, chunks))])[0]

    def retrieve(
        self, request: SearchRequest, semantic: SemanticQuery | None
    ) -> tuple[list[Match], list[Match]]:
        searches: list[Search] = []
        lexical_q = self.index._lexical_query(request.query) if request.mode != "vector" else None
        if lexical_q is not None:
            ranking = {
                "query": {"bool": {"must": lexical_q, "filter": self.flt}},
                "collapse": {"field": "doc_id"},
                **MATCHES_ONLY,
                "size": min(lexical_depth(request), MAX_WINDOW),
                "track_total_hits": False,
            }
            counting = {  # a search of its own: Elasticsearch runs it beside the ranking, not after it
                "query": all_of([*self.flt, lexical_q]),
                "size": 0,
                "track_total_hits": False,
                "aggs": count_aggs(self.by_group, request.count_ranges),
            }
            searches += [(self.index.chunks, ranking), (self.index.chunks, counting)]
        scopes: list[list[dict[str, Any]]] = []
        k = request.vector_k
        if semantic is not None and k > 0:
            scopes = [self.flt, *([*self.flt, date_range_filter(r)] for r in request.count_ranges)]
        searches += [(self.index.chunks, self._knn(semantic, flt, k, 4 * k)) for flt in scopes if semantic]
        answers = self._ask_all(searches)
        lexical: list[Match] = []
        if lexical_q is not None:
            ranked, counted = answers.pop(0), answers.pop(0)
            lexical = [(self._seen(h), h["_id"], float(h["_score"])) for h in ranked["hits"]["hits"]]
            self._lexical = Counts.of(counted["aggregations"])
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

    def _ranged_groups(self, nearest: Sequence[Match], request: SearchRequest) -> list[list[GroupKey]] | None:
        """Per count range, the groups of its own nearest documents; None where the nearest documents
        are fewer than vector_k (each range's are among them: the union's counts per range hold)."""
        if self._ranged is None or len(nearest) < request.vector_k:
            return None
        return [[self._group_key(str(d)) for d, _, _ in found] for found in self._ranged]

    def _counts_search(
        self, lexical: Sequence[Match], nearest: Sequence[Match], request: SearchRequest
    ) -> Search | None:
        """What the counts of the lexical matches (`retrieve`) lack, over the nearest documents' groups
        only: their counts in the union with the lexical matches ("union") and among the lexical matches
        alone ("overlap"), which `_counts` adds and takes away; and, where each count range has its own
        nearest documents, in which ranges their groups have lexical matches ("presence")."""
        lexical_q = self.index._lexical_query(request.query) if lexical else None
        lex = [lexical_q] if lexical_q is not None else []
        ranged = self._ranged_groups(nearest, request)
        aggs: dict[str, Any] = {}
        scopes: list[dict[str, Any]] = []
        if nearest:
            theirs = group_filter([self._group_key(str(d)) for d, _, _ in nearest])
            counted = count_aggs(self.by_group, request.count_ranges if ranged is None else ())
            aggs["union"] = {"filter": all_of([theirs, any_of([*lex, *docs_in(nearest)])]), "aggs": counted}
            if lex:
                aggs["overlap"] = {"filter": all_of([theirs, *lex]), "aggs": counted}
            scopes.append(theirs)
        groups = [g for found in ranged or [] for g in found]
        if request.count_ranges and lex and groups:
            aggs["presence"] = presence_agg(lex[0], request.count_ranges, groups)
            scopes.append(group_filter(groups))
        if not aggs:
            return None
        return self.index.chunks, {"query": all_of([*self.flt, any_of(scopes)]), "size": 0, "aggs": aggs}

    def _group_key(self, doc: str) -> GroupKey:
        fingerprint = self._fingerprint.get(doc) if self.by_group else None
        return ("fingerprints", fingerprint) if fingerprint else ("docs", doc)

    def _counts(
        self, answer: dict[str, Any] | None, nearest: Sequence[Match], request: SearchRequest
    ) -> Counts:
        counts = self._lexical or Counts()
        out = answer["aggregations"] if answer is not None else {}
        if "union" in out:
            counts = (
                counts
                + Counts.of(out["union"])
                - (Counts.of(out["overlap"]) if "overlap" in out else Counts())
            )
        if request.count_ranges:
            lexical = counts.ranges or [0] * len(request.count_ranges)
            ranged = self._ranged_groups(nearest, request)
            ranges = lexical if ranged is None else ranged_counts(lexical, out.get("presence"), ranged)
            counts = replace(counts, ranges=ranges)
        return counts

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
        page_answer, authors_answer, copies_answer, counts_answer = self._ask(
            [
                ids_search(self.index.chunks, chunk_ids, {"excludes": ["vector_*", "*_terms"]}),
                ids_search(self.index.docs, doc_ids, ["author"]),  # chunks do not carry the author
                self._copies_search(doc_ids),
                self._counts_search(lexical, nearest, request),
            ],
        )
        counts = self._counts(counts_answer, nearest, request)
        sources = sources_of(page_answer)
        authors = {d: src.get("author") for d, src in sources_of(authors_answer).items()}
        hits = [
            self.index._hit({**sources[str(c)], "author": authors.get(d)}, request.query, s)
            for d, c, s in page
            if str(c) in sources
        ]
        if copies_answer is not None:
            hits = with_copies(hits, self._copies([d for d, _, _ in page], copies_answer))
        return counts.result(hits, self.partial)

    def browse(self, request: SearchRequest) -> SearchResult:
        """Documents newest first from the document index, carrying the aggregations; duplicates folded
        client-side; then the page's texts and copies in one _msearch."""
        query = {"bool": {"filter": self.flt}}
        aggs = count_aggs(self.by_group, request.count_ranges)
        counted: list[dict[str, Any]] = []

        def rank(top: int) -> list[tuple[str, float]]:
            body = {
                "query": query,
                "sort": NEWEST_FIRST,
                "size": min(top, MAX_WINDOW),
                **MATCHES_ONLY,
            }
            answer = self._ask_all([(self.index.docs, body | ({} if counted else {"aggs": aggs}))])[0]
            counted.append(answer.get("aggregations") or counted[0])
            return [(self._seen(h), 0.0) for h in answer["hits"]["hits"]]

        page = collapse(rank, self.groups, request.offset, request.limit)
        doc_ids = [d for d, _ in page]
        fields = [*LOCATION_FIELDS, "doc_type", "updated_at", "text", "author"]
        docs_answer, copies_answer = self._ask(
            [ids_search(self.index.docs, doc_ids, fields), self._copies_search(doc_ids)]
        )
        sources = sources_of(docs_answer)
        hits = [
            self.index._hit({**sources[d], "section": "", "text": sources[d]["text"][:1000]}, "", 0.0)
            for d in doc_ids
            if d in sources
        ]
        if copies_answer is not None:
            hits = with_copies(hits, self._copies(doc_ids, copies_answer))
        counts = Counts.of(counted[0])
        return counts.result(hits, self.partial)
