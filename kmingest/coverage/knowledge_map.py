"""The knowledge map: each department's key knowledge areas, read and validated (areas.py evaluates them).

knowledge_map.yaml (+ knowledge_map.accepted.yaml) -> KnowledgeMap (validated) -> areas.evaluate -> report

File layout (see docs/coverage.md):

    defaults: {thin_below: 3, stale_after_days: 365}     # optional; else the coverage config's values
    departments:
      Quality:
        - name: Supplier audits
          keywords: [supplier audit, 供应商审核]            # or  query: "supplier audit"
          match: any                                       # any (default) or all keywords
          filters: {systems: [ERP], doc_types: [supplier]}  # optional: where to look (default: everywhere)
          thin_below: 2                                    # optional per-area thresholds
          description: Audits of suppliers' quality systems  # optional: matched by meaning (semantic.py)
          exclude: {terms: [newsletter], sources: [mail-archive]}  # optional: documents that never count

Keywords and the query match by their words, the name, description, keywords and query also by meaning
(areas.py, semantic.py); `exclude` terms and sources (source name or system) take documents out whatever
matched them. Errors name the file, the key and a fix.

A KM lead's accepted candidates live beside the map in knowledge_map.accepted.yaml (accepted.py); the
loader adds them to the map's departments.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from kmingest.analysis import query_words
from kmingest.config import read_yaml
from kmingest.index.base import Filters

ACCEPTED_SUFFIX = ".accepted.yaml"  # knowledge_map.yaml -> knowledge_map.accepted.yaml


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


class AreaExclude(_Strict):
    terms: tuple[str, ...] = ()  # a document containing one of these (every word of it) never counts
    sources: tuple[str, ...] = ()  # documents of these sources (config source name or system) never count

    @field_validator("terms")
    @classmethod
    def _searchable(cls, terms: tuple[str, ...]) -> tuple[str, ...]:
        for term in terms:
            if not query_words(term):
                raise ValueError(f"exclude term {term!r} has no searchable terms")
        return terms


class Area(_Strict):
    name: str = Field(min_length=1)
    keywords: tuple[str, ...] = ()
    query: str | None = None
    description: str | None = None
    exclude: AreaExclude = AreaExclude()
    accepted_from: str | None = None  # the discovered topic a KM lead accepted it from (accepted.py)
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
        if not self.keywords and not self.query and not self.description:
            raise ValueError("an area needs keywords, a query or a description")
        for phrase in self.phrases:
            if not query_words(phrase):
                raise ValueError(f"{phrase!r} has no searchable terms (only stop words or punctuation)")
        return self

    @property
    def phrases(self) -> tuple[str, ...]:
        return (*self.keywords, *([self.query] if self.query else []))

    @property
    def meaning(self) -> tuple[str, ...]:
        """The texts semantic matching compares chunks with: name, description, keywords, query."""
        return (self.name, *([self.description] if self.description else []), *self.phrases)


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
    "extra_forbidden": "remove it or check its spelling (allowed: name, keywords, query, description, match, "
    "filters, exclude (terms, sources), thin_below, stale_after_days, accepted_from)",
    "literal_error": "use one of the values listed",
    "int_parsing": "use a whole number",
    "greater_than_equal": "use a larger number",
    "string_too_short": "give the area a name",
    "value_error": "give each area `keywords: [...]`, `query: ...` or `description: ...` with real words",
    "tuple_type": "use a YAML list, e.g. [a, b]",
    "dict_type": "use a mapping of department name -> list of areas",
}


def _key(loc: tuple[int | str, ...]) -> str:
    return ".".join(f"[{p}]" if isinstance(p, int) else str(p) for p in loc).replace(".[", "[")


def parse_knowledge_map(data: Any, path: Path) -> KnowledgeMap:
    if not isinstance(data, Mapping) or "departments" not in data:
        raise KnowledgeMapError(
            f"{path}: (top level): expected a mapping with a `departments:` key "
            "(fix: start with `departments:` and list areas per department)"
        )
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


def accepted_path(path: Path) -> Path:
    """The override file beside the map that holds the areas KM leads accepted from discovery."""
    return path.with_name(path.stem + ACCEPTED_SUFFIX)


def load_knowledge_map(path: Path) -> KnowledgeMap:
    """The map with the accepted areas of knowledge_map.accepted.yaml (if any) added to its departments;
    an accepted area whose name the map already has in that department is left out (the map wins)."""
    if not path.exists():
        raise KnowledgeMapError(
            f"{path}: knowledge map not found (fix: create it, or set "
            "coverage.knowledge_map in the config to an existing file)"
        )
    kmap = parse_knowledge_map(read_yaml(path, KnowledgeMapError), path)
    extra = accepted_path(path)
    if not extra.exists():
        return kmap
    accepted = parse_knowledge_map(read_yaml(extra, KnowledgeMapError), extra)
    departments = dict(kmap.departments)
    for dept, areas in accepted.departments.items():
        have = {a.name.lower() for a in departments.get(dept, ())}
        departments[dept] = (*departments.get(dept, ()), *(a for a in areas if a.name.lower() not in have))
    return kmap.model_copy(update={"departments": departments})


def accepted_topics(kmap: KnowledgeMap) -> frozenset[str]:
    """Ids of the discovered topics already accepted into the map."""
    return frozenset(a.accepted_from for areas in kmap.departments.values() for a in areas if a.accepted_from)
