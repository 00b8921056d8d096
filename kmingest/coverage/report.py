"""Assembles the coverage Report and keeps the history of reports.

Workspace (index + state) + knowledge map + query log -> build_report() -> Report
Report -> keep_report() -> <reports_dir>/<report_id>/report.json (+ restricted_problems.json)
latest_report() reads the newest back as anyone may see it; latest_full_report() with every problem record

Everything is computed as the system caller (Caller.system()): the report is for KM leads and counts every
document. Problem records (failed/skipped) are named only where the reader may read them
(problems.for_reader): the kept report.json names the public ones and counts the rest, whose details are
kept apart in restricted_problems.json for the portal, which names them to readers their ACL admits. Each kept
report is compared with the one before it (diff.py), so the next report shows what got
better or worse per department and knowledge area.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pydantic import ValidationError

from kmingest.config import Config
from kmingest.coverage.analytics import search_analytics
from kmingest.coverage.areas import evaluate
from kmingest.coverage.demand import demand_topics
from kmingest.coverage.diff import compare
from kmingest.coverage.discovery import MapArea, discover
from kmingest.coverage.experts import rank_experts
from kmingest.coverage.knowledge_map import KnowledgeMap, load_knowledge_map
from kmingest.coverage.metrics import compute_metrics
from kmingest.coverage.model import (
    AreaResult,
    DemandTopic,
    DiscoveredTopic,
    Person,
    Problem,
    Report,
    Thresholds,
)
from kmingest.coverage.problems import collect_problems, for_reader, with_problems, withheld
from kmingest.coverage.rollout import kept_reports, rollout_for
from kmingest.coverage.semantic import SemanticMatcher, thresholds
from kmingest.coverage.vectors import ChunkVectors, chunk_vectors
from kmingest.embedding import EmbeddingError
from kmingest.index.base import Caller, DocumentFacts
from kmingest.querylog import QueryLog, query_log_path
from kmingest.workspace import Workspace

REPORT_FILE = "report.json"
RESTRICTED_FILE = "restricted_problems.json"  # problem records report.json counts but does not name


def reports_dir(config: Config) -> Path:
    return config.coverage.reports_dir or config.state_dir / "reports"


def build_report(
    config: Config,
    ws: Workspace,
    as_of: datetime | None = None,
    previous: Report | None = None,
    generated_at: datetime | None = None,
) -> Report:
    """Compute a report now; `as_of` (default: now) is the moment ages and freshness are measured from."""
    cov = config.coverage
    generated = generated_at or datetime.now(UTC)
    as_of = as_of or generated
    # by doc_id: the backends hand documents out in different orders (Elasticsearch by id, the embedded
    # index by row, which changes when a document is re-ingested); ties in the report must not follow that
    facts = {f.doc_id: f for f in sorted(ws.index.document_facts(Caller.system()), key=lambda f: f.doc_id)}
    problems = collect_problems(config, ws.state, attribute=cov.attribute_problems)
    own = {s.name: s.near_empty_chars for s in config.sources if s.near_empty_chars is not None}
    metrics = compute_metrics(facts.values(), problems, as_of, cov.near_empty_chars, own)
    kmap = load_knowledge_map(cov.knowledge_map) if cov.knowledge_map is not None else None
    matcher = _semantic(config, ws, list(facts.values()))
    evaluated: list[tuple[AreaResult, frozenset[str]]] = []
    if kmap is not None:
        # titles and authors shown per area come only from documents everyone may read: the counts cover
        # every document, but the report must not show what a restricted document is called or who wrote it
        public = frozenset(f.doc_id for f in facts.values() if f.public)
        evaluated = evaluate(
            kmap,
            ws.index,
            facts,
            as_of,
            cov.thin_below,
            cov.stale_after_days,
            public,
            matcher if cov.semantic_areas else None,
        )
    areas = [_with_experts(result, docs, facts, as_of) for result, docs in evaluated]
    topics: list[DiscoveredTopic] = []
    if matcher is not None and cov.discover_topics:
        meaning = (
            {(d, a.name): a.meaning for d, dept_areas in kmap.departments.items() for a in dept_areas}
            if kmap
            else {}
        )
        covering = [
            MapArea(r.area, meaning.get((r.department, r.area), (r.area,)), docs) for r, docs in evaluated
        ]
        found = discover(facts, matcher, covering, as_of, cov.topic_min_documents)
        topics = [t for t, _ in found]
    search = search_analytics(
        query_log_path(config.state_dir), generated, cov.query_window_days, cov.top_queries
    )
    demand = _demand(config, matcher, generated, kmap, areas, topics)
    rollout = rollout_for(
        config.state_dir, facts.values(), kept_reports(reports_dir(config)), cov.pilot_departments, generated
    )
    report = Report(
        report_id=generated.strftime("%Y%m%dT%H%M%SZ"),
        generated_at=generated,
        as_of=as_of,
        backend=config.index.backend,
        thresholds=Thresholds(
            thin_below=cov.thin_below,
            stale_after_days=cov.stale_after_days,
            near_empty_chars=cov.near_empty_chars,
        ),
        knowledge_map=str(cov.knowledge_map) if cov.knowledge_map else None,
        totals=metrics.totals,
        cells=tuple(metrics.cells),
        departments=tuple(metrics.departments),
        department_system=tuple(metrics.department_system),
        systems=tuple(metrics.systems),
        freshness=metrics.freshness,
        problems=tuple(problems),
        areas=tuple(areas),
        area_similarity=dict(matcher.minimum) if matcher is not None and cov.semantic_areas else {},
        topics=tuple(topics),
        demand=tuple(demand),
        search=search,
        rollout=rollout,
    )
    if previous is not None:
        report = report.model_copy(update={"changes": compare(previous, report)})
    return report


def _semantic(config: Config, ws: Workspace, facts: list[DocumentFacts]) -> SemanticMatcher | None:
    """Chunk vectors for semantic matching, discovery and demand; None when all three are off or the
    embedding models cannot be loaded (the report then matches areas by keywords only)."""
    cov = config.coverage
    if not (cov.semantic_areas or cov.discover_topics):
        return None
    try:
        vectors: dict[str, ChunkVectors] = chunk_vectors(ws.index, ws.embedder, facts, config.chunking)
    except EmbeddingError:
        return None
    return SemanticMatcher(ws.embedder, vectors, thresholds(config))


def _with_experts(
    result: AreaResult, docs: frozenset[str], facts: dict[str, DocumentFacts], as_of: datetime
) -> AreaResult:
    experts = rank_experts([facts[d] for d in docs if d in facts], Caller.anonymous(), as_of, limit=5)
    people = tuple(Person(name=e.name, documents=e.documents, latest=e.latest) for e in experts)
    return result.model_copy(update={"experts": people})


def _demand(
    config: Config,
    matcher: SemanticMatcher | None,
    until: datetime,
    kmap: KnowledgeMap | None,
    areas: list[AreaResult],
    topics: list[DiscoveredTopic],
) -> list[DemandTopic]:
    path = query_log_path(config.state_dir)
    if matcher is None or not path.exists():
        return []
    meaning = {
        (d, a.name): a.meaning
        for d, dept_areas in (kmap.departments.items() if kmap else ())
        for a in dept_areas
    }
    with_texts = [(a, meaning.get((a.department, a.area), (a.area,))) for a in areas]
    log = QueryLog(path)
    try:
        entries = log.entries(until - timedelta(days=config.coverage.query_window_days), until)
        return demand_topics(entries, matcher, config.coverage.demand_min_similarity, with_texts, topics)
    finally:
        log.close()


def report_json(report: Report) -> str:
    return report.model_dump_json(indent=2)


def read_report(path: Path) -> Report:
    return Report.model_validate_json(path.read_text(encoding="utf-8"))


def history(directory: Path) -> list[Path]:
    """Folders of kept reports, oldest first."""
    if not directory.is_dir():
        return []
    return sorted(p for p in directory.iterdir() if (p / REPORT_FILE).is_file())


def latest_report(directory: Path) -> Report | None:
    """The newest kept report that can still be read (a report from an older format is passed over), as
    anyone may see it: restricted problem records counted, not named."""
    return _newest(directory, lambda folder: read_report(folder / REPORT_FILE))


def latest_full_report(directory: Path) -> Report | None:
    """The newest kept report with every problem record named (for problems.for_reader; never show it
    as is)."""
    return _newest(directory, read_full_report)


def _newest(directory: Path, read: Callable[[Path], Report]) -> Report | None:
    for folder in reversed(history(directory)):
        try:
            return read(folder)
        except (ValidationError, json.JSONDecodeError, OSError):
            continue
    return None


def read_full_report(folder: Path) -> Report:
    """A kept report with its restricted problem records added back (a missing or unreadable file of
    restricted records leaves them counted only)."""
    report = read_report(folder / REPORT_FILE)
    try:
        data = json.loads((folder / RESTRICTED_FILE).read_text(encoding="utf-8"))
        kept = tuple(Problem.model_validate(item) for item in data)
    except (ValidationError, json.JSONDecodeError, OSError, TypeError):
        return report
    return with_problems(report, kept)


def keep_report(report: Report, directory: Path) -> tuple[Report, Path]:
    """Store the report in its own history folder (a new id if that second is taken); returns the kept
    report as anyone may see it (problem records that are not public counted, not named) and the folder.
    The records it does not name go to restricted_problems.json beside it."""
    directory.mkdir(parents=True, exist_ok=True)
    report_id, n = report.report_id, 1
    while True:
        try:
            (directory / report_id).mkdir()  # atomic: two writers never share a folder
            break
        except FileExistsError:
            n += 1
            report_id = f"{report.report_id}-{n:02d}"
    report = report.model_copy(update={"report_id": report_id})
    public = for_reader(report, Caller.anonymous())
    folder = directory / report_id
    restricted = [p.model_dump(mode="json") for p in withheld(report, Caller.anonymous())]
    if restricted:
        _write_atomic(folder / RESTRICTED_FILE, json.dumps(restricted, ensure_ascii=False, indent=2))
    _write_atomic(folder / REPORT_FILE, report_json(public))  # last: a folder counts once this exists
    return public, folder


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
