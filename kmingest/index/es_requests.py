"""The requests of the Elasticsearch backend (index/elastic.py, index/elastic_search.py) and what their
answers hold: several searches in one `_msearch` round trip (an error in any raises, named by
Elasticsearch's type and reason; shards missing from an answer are counted), the stored fields of given
ids as one such search (no mget), every bucket of a composite aggregation page by page (counts, keyword
matches), the filters for a date range and a set of documents.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from elasticsearch import Elasticsearch

from kmingest.index.base import DateRange, IndexError_, Location
from kmingest.index.hybrid import Match

LOCATION_FIELDS = ["doc_id", "title", "source", "system", "department", "external_id", "url"]
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


def composite_buckets(
    client: Elasticsearch, index: str, query: dict[str, Any], sources: list[dict[str, Any]], page: int = 1000
) -> Iterator[dict[str, Any]]:
    """Every bucket of a composite aggregation over the matches of a query, however many, read page by
    page (a search's hits stop at index.max_result_window); every answer `complete`."""
    after: dict[str, Any] | None = None
    while True:
        composite: dict[str, Any] = {"sources": sources, "size": page, **({"after": after} if after else {})}
        answer = complete(
            client.search(index=index, size=0, query=query, aggs={"groups": {"composite": composite}}), index
        )
        agg = answer["aggregations"]["groups"]
        yield from agg["buckets"]
        after = agg.get("after_key")
        if not after or not agg["buckets"]:
            return


def complete(answer: Any, index: str) -> dict[str, Any]:
    """A search answer that holds every shard's part; one that lacks shards raises SearchFailed (what
    reports count must not be quietly short)."""
    body: dict[str, Any] = dict(answer)
    if missing := shards_missing([body]):
        raise SearchFailed(
            f"{missing} shard(s) of {index} did not answer (is a node away?): the counts would be "
            "incomplete; fix: run it again once `GET _cluster/health` is green"
        )
    return body


def shards_missing(answers: Sequence[dict[str, Any] | None]) -> int:
    """Shards that did not answer, over these answers: Elasticsearch still answers with HTTP 200 from
    the others (allow_partial_search_results) and lists the missing ones in `_shards.failed`."""
    return sum(int(a.get("_shards", {}).get("failed", 0)) for a in answers if a is not None)


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


def docs_in(matches: Sequence[Match]) -> list[dict[str, Any]]:
    return [{"terms": {"doc_id": [d for d, _, _ in matches]}}] if matches else []
