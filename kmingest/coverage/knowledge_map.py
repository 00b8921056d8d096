"""The knowledge map: each department's key knowledge areas, and how well the index covers each one.

knowledge_map.yaml -> KnowledgeMap (validated) -> evaluate(index, facts) -> [AreaResult] -> report

File layout (see docs/coverage.md):

    defaults: {thin_below: 3, stale_after_days: 365}     # optional; else the coverage config's values
    departments:
      Quality:
        - name: Supplier audits
          keywords: [supplier audit, 供应商审核]            # or  query: "supplier audit"
          match: any                                       # any (default) or all keywords
          filters: {systems: [ERP], doc_types: [supplier]}  # optional: where to look (default: everywhere)
          thin_below: 2                                    # optional per-area thresholds

What "matching documents" means: a document matches a keyword (or the query) when it contains every
term of it, as the index analyses text (stemmed words; a Chinese phrase as its character bigrams). This is
checked with the real search in BM25 mode as the system caller, one search per term, intersected: a
plain BM25 search has OR semantics, and vector neighbours always "match" something, so neither counts on
its own. Status, first that applies: missing (no document), stale (the freshest document is older than
stale_after_days), thin (fewer than thin_below documents), covered.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from kmingest.analysis import query_words
from kmingest.config import read_yaml
from kmingest.coverage.metrics import age_days
from kmingest.coverage.model import AreaResult, AreaStatus
from kmingest.index.base import Caller, DocumentFacts, Filters, IndexBackend, SearchRequest

MAX_MATCHES = 10_000  # per term; Elasticsearch's default max_result_window


class KnowledgeMapError(Exception):
    """A problem in knowledge_map.yaml, phrased as `file: key: problem (fix: ...)`."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AreaFilters(_Strict):
    departments: tuple[str, ...] = ()
    systems: tuple[str, ...] = ()
    doc_types: tuple[str, ...] = ()

    def to_filters(self) -> Filters:
        return Filters(departments=self.departments, systems=self.systems, doc_types=self.doc_types)


class Area(_Strict):
    name: str = Field(min_length=1)
    keywords: tuple[str, ...] = ()
    query: str | None = None
    match: Literal["any", "all"] = "any"
    filters: AreaFilters = AreaFilters()
    thin_below: int | None = Field(default=None, ge=1)
    stale_after_days: int | None = Field(default=None, ge=1)

    @field_validator("keywords", mode="before")
    @classmethod
    def _one_keyword(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @model_validator(mode="after")
    def _terms(self) -> Area:
        if not self.keywords and not self.query:
            raise ValueError("an area needs keywords or a query")
        for phrase in self.phrases:
            if not query_words(phrase):
                raise ValueError(f"{phrase!r} has no searchable terms (only stop words or punctuation)")
        return self

    @property
    def phrases(self) -> tuple[str, ...]:
        return (*self.keywords, *([self.query] if self.query else []))


class Defaults(_Strict):
    thin_below: int | None = Field(default=None, ge=1)
    stale_after_days: int | None = Field(default=None, ge=1)


class KnowledgeMap(_Strict):
    defaults: Defaults = Defaults()
    departments: dict[str, tuple[Area, ...]]

    @model_validator(mode="after")
    def _unique_names(self) -> KnowledgeMap:
        for dept, areas in self.departments.items():
            seen: set[str] = set()
            for i, area in enumerate(areas):
                if area.name.lower() in seen:
                    raise ValueError(f"departments.{dept}[{i}].name: duplicate area {area.name!r}")
                seen.add(area.name.lower())
        return self


_FIXES = {
    "missing": "add this key",
    "extra_forbidden": "remove it or check its spelling (allowed: name, keywords, query, match, filters, "
    "thin_below, stale_after_days)",
    "literal_error": "use one of the values listed",
    "int_parsing": "use a whole number",
    "greater_than_equal": "use a larger number",
    "string_too_short": "give the area a name",
    "value_error": "give each area `keywords: [...]` or `query: ...` with real words",
    "tuple_type": "use a YAML list, e.g. [a, b]",
    "dict_type": "use a mapping of department name -> list of areas",
}


def _key(loc: tuple[int | str, ...]) -> str:
    return ".".join(f"[{p}]" if isinstance(p, int) else str(p) for p in loc).replace(".[", "[")


def parse_knowledge_map(data: Any, path: Path) -> KnowledgeMap:
    if not isinstance(data, Mapping) or "departments" not in data:
        raise KnowledgeMapError(f"{path}: (top level): expected a mapping with a `departments:` key "
                                "(fix: start with `departments:` and list areas per department)")  # fmt: skip
    try:
        return KnowledgeMap.model_validate(data)
    except ValidationError as err:
        lines = [f"{path}: invalid knowledge map ({err.error_count()} problem(s))"]
        for e in err.errors():
            msg = e["msg"].removeprefix("Value error, ")
            if e["type"] == "value_error" and ": duplicate area" in msg:
                key, msg = msg.split(": ", 1)
                fix = "give each area of a department its own name"
            else:
                key = _key(tuple(e["loc"])) or "(top level)"
                fix = _FIXES.get(e["type"], "see docs/coverage.md")
            lines.append(f"  {path}: {key}: {msg} (fix: {fix})")
        raise KnowledgeMapError("\n".join(lines)) from None


def load_knowledge_map(path: Path) -> KnowledgeMap:
    if not path.exists():
        raise KnowledgeMapError(f"{path}: knowledge map not found (fix: create it, or set "
                                "coverage.knowledge_map in the config to an existing file)")  # fmt: skip
    return parse_knowledge_map(read_yaml(path, KnowledgeMapError), path)


class _Matcher:
    """Documents containing a term, by the real BM25 search (memoised per term and filters)."""

    def __init__(self, index: IndexBackend) -> None:
        self.index = index
        self._memo: dict[tuple[str, Filters], frozenset[str]] = {}

    def term(self, term: str, filters: Filters) -> frozenset[str]:
        key = (term, filters)
        if key not in self._memo:
            request = SearchRequest(query=term, filters=filters, mode="bm25", limit=MAX_MATCHES,
                                    lexical_k=MAX_MATCHES, collapse_duplicates=False)  # fmt: skip
            result = self.index.search(request, Caller.system(), None)
            self._memo[key] = frozenset(h.doc_id for h in result.hits)
        return self._memo[key]

    def phrase(self, phrase: str, filters: Filters) -> frozenset[str]:
        found: frozenset[str] | None = None
        for word in query_words(phrase):  # each analyses to one term (stemming it here would stem twice)
            docs = self.term(word, filters)
            found = docs if found is None else found & docs
        return found or frozenset()


def status_of(documents: int, freshest: datetime | None, as_of: datetime, thin_below: int,
              stale_after_days: int) -> AreaStatus:  # fmt: skip
    if documents == 0:
        return "missing"
    age = age_days(freshest, as_of)
    if age is None or age > stale_after_days:
        return "stale"
    return "thin" if documents < thin_below else "covered"


def evaluate(kmap: KnowledgeMap, index: IndexBackend, facts: Mapping[str, DocumentFacts], as_of: datetime,
             thin_below: int, stale_after_days: int, public: frozenset[str]) -> list[AreaResult]:  # fmt: skip
    """Each area's matching documents, freshest date and status (over all documents), and its authors and
    example titles (only from the `public` documents: those never reveal a restricted document)."""
    matcher = _Matcher(index)
    out: list[AreaResult] = []
    for dept, areas in kmap.departments.items():
        for area in areas:
            filters = area.filters.to_filters()
            sets = [matcher.phrase(p, filters) for p in area.phrases]
            ids = frozenset.intersection(*sets) if area.match == "all" else frozenset().union(*sets)
            docs = [facts[d] for d in ids if d in facts]
            dated = sorted((d for d in docs if d.updated_at), key=lambda d: d.updated_at, reverse=True)  # type: ignore[arg-type,return-value]
            freshest = dated[0].updated_at if dated else None
            thin = area.thin_below or kmap.defaults.thin_below or thin_below
            stale = area.stale_after_days or kmap.defaults.stale_after_days or stale_after_days
            authors = Counter(d.author for d in docs if d.author and d.doc_id in public)
            shown = [d for d in dated if d.doc_id in public]
            out.append(AreaResult(
                department=dept, area=area.name, keywords=area.phrases, documents=len(docs),
                status=status_of(len(docs), freshest, as_of, thin, stale), freshest=freshest,
                authors=tuple(sorted(authors.items(), key=lambda a: (-a[1], a[0]))[:5]),
                examples=tuple(d.title for d in shown[:3]), thin_below=thin, stale_after_days=stale,
            ))  # fmt: skip
    return out
