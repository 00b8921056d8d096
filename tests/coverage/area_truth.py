"""Ground truth for knowledge areas on the bundled sample exports, from the sample generator itself.

The generator (samplegen.oa / oa_text / probes) writes every OA document from one topic of its pools
(attendance policy, 8D process, design review minutes, ...) and titles it with that topic's Chinese or
English title; the four search probes carry their own titles. So each OA document's generator topic is
known: the pool topic whose title its title contains (longest first). ERP, CRM and file-share records are
not written from topics, so the measurements here cover the OA documents (about 80, both languages).

TOPICS_OF_AREA maps each area of knowledge_map.yaml to the generator topics that are that area (by their
content; an area no topic is about has none, so its true status on OA is `missing`). The true status of an
area applies the report's own rule (areas.status_of) to its true documents.

Run the measurement: `python -m tests.coverage.measure_areas` (prints calibration and agreement figures).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from kmingest.coverage.areas import status_of
from kmingest.coverage.knowledge_map import KnowledgeMap
from kmingest.coverage.model import AreaResult, AreaStatus
from kmingest.index.base import DocumentFacts
from samplegen.oa_text import ANNOUNCEMENTS, MEETINGS, POLICIES, PROCESSES
from samplegen.probes import OA_PROBES

TOPICS_OF_AREA: dict[str, tuple[str, ...]] = {
    "Incoming inspection standards": ("iqc",),
    "Non-conformance handling": ("nonconforming",),
    "Corrective action (8D)": ("8d",),
    "Supplier audits": ("supplier",),
    "Gauge calibration": (),
    "Work safety": ("safety", "safety-month", "隐患随手拍"),
    "Line changeover": (),
    "Equipment maintenance": ("repair",),
    "Helium leak testing": (),
    "Engineering changes (ECN)": ("ecn",),
    "Design reviews": ("design-review",),
    "Cryogenic valve design": (),
    "Finite element analysis": (),
    "Customer complaints": ("complaint-review",),
    "Export control": ("export control screening",),
    "Pricing and discounts": (),
    "Competitor intelligence": (),
    "Attendance rules": ("attendance",),
    "Travel expenses": ("travel",),
    "Onboarding": ("onboarding",),
    "Remote work": ("远程办公",),
    "Performance appraisal": (),
}


def _titles() -> list[tuple[str, str]]:
    """(title fragment, topic key), longest fragment first."""
    pairs = [(t.zh, t.key) for pool in (POLICIES, ANNOUNCEMENTS, MEETINGS, PROCESSES) for t in pool]
    pairs += [(t.en, t.key) for pool in (POLICIES, ANNOUNCEMENTS, MEETINGS, PROCESSES) for t in pool]
    pairs += [(probe[1], probe[5]) for probe in OA_PROBES]
    return sorted(pairs, key=lambda p: -len(p[0]))


def document_topics(facts: Iterable[DocumentFacts]) -> dict[str, str]:
    """OA document id -> the generator topic it was written from."""
    titles = _titles()
    out: dict[str, str] = {}
    for fact in facts:
        if fact.system != "OA":
            continue
        key = next((k for fragment, k in titles if fragment in fact.title), None)
        if key is not None:
            out[fact.doc_id] = key
    return out


def true_documents(area: str, topics: Mapping[str, str]) -> frozenset[str]:
    wanted = set(TOPICS_OF_AREA.get(area, ()))
    return frozenset(d for d, k in topics.items() if k in wanted)


def true_status(
    area: AreaResult, topics: Mapping[str, str], facts: Mapping[str, DocumentFacts], as_of: datetime
) -> AreaStatus:
    docs = [facts[d] for d in true_documents(area.area, topics)]
    dated = [d.updated_at for d in docs if d.updated_at is not None]
    return status_of(len(docs), max(dated) if dated else None, as_of, area.thin_below, area.stale_after_days)


def status_agreement(
    areas: Iterable[AreaResult],
    topics: Mapping[str, str],
    facts: Mapping[str, DocumentFacts],
    as_of: datetime,
) -> tuple[float, list[str]]:
    """Share of areas whose status equals the true one, and the disagreements as readable lines."""
    rows = list(areas)
    wrong = []
    for a in rows:
        truth = true_status(a, topics, facts, as_of)
        if truth != a.status:
            wrong.append(f"{a.department}/{a.area}: report {a.status} ({a.documents} docs), truth {truth}")
    return (len(rows) - len(wrong)) / len(rows), wrong


# The same areas described in other words (what a KM lead might type without knowing the documents'
# wording): keyword matching misses documents that say it differently; semantic matching should not.
PARAPHRASES: dict[str, tuple[str, ...]] = {
    "Incoming inspection standards": ("checking purchased parts on arrival", "到货验收"),
    "Non-conformance handling": ("defective parts disposition", "次品处置"),
    "Corrective action (8D)": ("root cause problem solving", "问题根因分析"),
    "Supplier audits": ("vendor assessment", "厂商评估"),
    "Work safety": ("accident prevention on the shop floor", "事故预防"),
    "Equipment maintenance": ("machine breakdown repair", "机器维修"),
    "Engineering changes (ECN)": ("drawing revision approval", "图纸更改审批"),
    "Design reviews": ("new product development gate review", "产品开发阶段评审"),
    "Customer complaints": ("client dissatisfaction", "顾客抱怨"),
    "Export control": ("denied party checks", "出口许可审查"),
    "Attendance rules": ("working hours and late arrival", "上下班打卡"),
    "Travel expenses": ("business trip reimbursement", "出差报销"),
    "Onboarding": ("new hire first day", "新人报到"),
    "Remote work": ("working from home", "居家办公"),
}


def paraphrased(kmap: KnowledgeMap) -> KnowledgeMap:
    """The map with each area's keywords replaced by PARAPHRASES (areas without one keep theirs)."""
    departments = {
        dept: tuple(a.model_copy(update={"keywords": PARAPHRASES.get(a.name, a.keywords)}) for a in areas)
        for dept, areas in kmap.departments.items()
    }
    return kmap.model_copy(update={"departments": departments})
