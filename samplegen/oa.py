"""OA export of the sample set (test/demo data for the OA connector): OUT/oa/files/ + OUT/oa/manifest.xml.

Plans one entry per file (category, topic, format, language, date, author, permissions), renders it
with office.py / pdf.py and writes its manifest <document> entry as it goes. Fixed plan positions get
the restricted documents, the search probes and the broken items (missing / corrupt / unlisted file,
bad publishDate). Past OA_FILE_CAP files, growth goes into longer tables instead of more files.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from xml.sax.saxutils import escape

from samplegen import broken, probes
from samplegen import phrases as ph
from samplegen import text as t
from samplegen.oa_docs import BUILDERS, Doc, sender
from samplegen.oa_text import ANNOUNCEMENTS, MEETINGS, POLICIES, PROCESSES, PUBLIC, Allow, Topic
from samplegen.office import TRACKER, docx_bytes, eml_bytes, html_bytes, xlsx_bytes
from samplegen.pdf import pdf_document
from samplegen.rand import CST, Rand
from samplegen.truth import SystemTruth

OA_FILES_PER_SCALE, OA_FILE_CAP = 80, 2000
TOPICS = {"公告": ANNOUNCEMENTS, "制度": POLICIES, "会议纪要": MEETINGS, "流程": PROCESSES}
CATEGORY_WEIGHTS = {"公告": 25, "制度": 25, "会议纪要": 30, "流程": 20}
FORMATS = {
    "公告": (("eml", 40), ("html", 30), ("docx", 15), ("pdf", 15)),
    "制度": (("docx", 50), ("pdf", 35), ("html", 15)),
    "会议纪要": (("docx", 45), ("xlsx", 35), ("pdf", 20)),
    "流程": (("docx", 30), ("pdf", 30), ("html", 20), ("xlsx", 20)),
}
# plan position -> (category, topic key, format or None): restricted documents, the empty department,
# and the documents that get broken (a docx to truncate, a pdf to replace by junk)
FORCED: dict[int, tuple[str, str, str | None]] = {
    3: ("制度", "salary", None),
    9: ("会议纪要", "management-review", None),
    14: ("会议纪要", "design-review", None),
    19: ("公告", "it", None),
    11: ("制度", "infosec", "docx"),
    17: ("流程", "iqc", "pdf"),
}
TRUNCATED_AT, GARBAGE_AT, UNLISTED_AT, BAD_DATE_AT, MISSING_AT = 11, 17, 29, 43, 60
PROBE_DEPTS = {"远程办公": "人力资源部", "export control screening": "销售部", "隐患随手拍": "生产部"}
PROBE_DEPTS |= {"kitchen renovation": "人力资源部"}


@dataclass
class Entry:
    doc_id: str
    category: str
    fmt: str
    doc: Doc
    day: date
    author: str
    dept: str
    allow: tuple[Allow, ...]
    path: str = ""  # relative to OUT/oa


def sizes(scale: int) -> tuple[int, int]:
    """(files written, table row factor): 80 files per scale up to OA_FILE_CAP, then longer tables."""
    files = min(OA_FILES_PER_SCALE * scale, OA_FILE_CAP)
    return files, max(1, round(OA_FILES_PER_SCALE * scale / files))


def _entry(r: Rand, i: int, rows: int) -> Entry:
    category = r.weighted(list(CATEGORY_WEIGHTS), list(CATEGORY_WEIGHTS.values()))
    if i in FORCED:
        category = FORCED[i][0]
    topic = r.pick(TOPICS[category])
    fmt = r.weighted([f for f, _ in FORMATS[category]], [w for _, w in FORMATS[category]])
    if i in FORCED:
        _, key, forced_fmt = FORCED[i]
        topic, fmt = next(x for x in TOPICS[category] if x.key == key), forced_fmt or fmt
    day, english = r.day(), r.chance(0.3)
    probe = next((p for p in probes.OA_PROBES if p[0] == i), None)
    if probe is not None:
        _, title, category, fmt, lang, query = probe
        english, body = lang == "en", probes.OA_PROBE_BODY[query]
        topic = Topic(query, title, title, PROBE_DEPTS[query], ((body[0], body[0]), (body[1], body[1])))
    doc = BUILDERS[category](r, topic, english, day, rows)
    if probe is not None:
        doc.title = probe[1]
    allow = topic.allow
    if topic.key == "quality-weekly" and r.chance(0.3):
        allow = (("dept", "质量部"), ("user", r.pick(t.LOGINS[:5])))
    author = r.pick(t.WESTERN) if english and r.chance(0.5) else ph.person(r)
    return Entry(f"OA-{day.year}-{i + 1:04d}", category, fmt, doc, day, author, topic.dept, allow)


def _pages(r: Rand, doc: Doc) -> list[list[tuple[str, str]]]:
    """The Doc as PDF blocks, split at section borders into 1-3 pages."""
    per_page = math.ceil(len(doc.sections) / r.between(1, min(3, len(doc.sections))))
    pages: list[list[tuple[str, str]]] = [[("title", doc.title)]]
    for n, section in enumerate(doc.sections):
        if n and n % per_page == 0:
            pages.append([])
        pages[-1].append(("h1" if section.level == 1 else "h2", section.heading))
        pages[-1] += [("p", text) for text in section.paragraphs]
        pages[-1] += [("p", " | ".join(row)) for row in section.table]
    return pages


def _render(r: Rand, entry: Entry) -> bytes:
    stamp = datetime.combine(entry.day, time(9, r.between(0, 59)), CST)
    doc, fmt = entry.doc, entry.fmt
    if fmt == "docx":
        return docx_bytes(doc, entry.author, stamp)
    if fmt == "html":
        return html_bytes(doc, entry.author, stamp, entry.doc_id)
    if fmt == "pdf":
        return pdf_document(doc.title, entry.author, stamp, _pages(r, doc))
    if fmt == "eml":
        return eml_bytes(
            doc,
            sender(entry.dept, doc.lang == "en"),
            stamp,
            entry.doc_id,
            r.pick(("8bit", "quoted-printable", "base64")),
        )
    info: list[list[object]] = [
        ["标题", doc.title],
        ["部门", entry.dept],
        ["作者", entry.author],
        ["日期", entry.day],
    ]
    name = "行动项" if entry.category == "会议纪要" else "流程步骤"
    return xlsx_bytes([(name, doc.table()), ("说明", info)], doc.title, entry.author, stamp)


def _file_name(title: str) -> str:
    return "".join("-" if ch in '/\\:*?"<>|' else ch for ch in title).strip()


def _manifest_entry(entry: Entry, publish: str) -> str:
    dept = f"<department>{escape(entry.dept)}</department>" if entry.dept else "<department/>"
    allows = "".join(
        '<allow type="public"/>' if kind == "public" else f'<allow type="{kind}">{escape(value)}</allow>'
        for kind, value in entry.allow
    )
    return (
        f'  <document id="{entry.doc_id}">\n    <file>{escape(entry.path)}</file>\n'
        f"    <title>{escape(entry.doc.title)}</title>\n    {dept}\n"
        f"    <author>{escape(entry.author)}</author>\n"
        f"    <publishDate>{publish}</publishDate>\n    <permissions>{allows}</permissions>\n  </document>\n"
    )


def _damage(r: Rand, i: int, entry: Entry, data: bytes, truth: SystemTruth) -> bytes:
    """Apply the broken item planned at position i (if any) and record the entry in the truth."""
    where, doc_id = f"oa/{entry.path}", entry.doc_id
    if i == TRUNCATED_AT:
        truth.bad(where, "corrupt-file", line=None, item_id=doc_id, detail="docx cut off (no zip directory)")
        return broken.truncate(data, r)
    if i == GARBAGE_AT:
        truth.bad(where, "corrupt-file", line=None, item_id=doc_id, detail="PDF header, then random bytes")
        return broken.garbage_pdf(r)
    if i == UNLISTED_AT:
        truth.bad(where, "unlisted-file", line=None, item_id=None, detail="in files/ but not in manifest.xml")
    elif i == MISSING_AT:
        truth.bad("oa/manifest.xml", "missing-file", line=None, item_id=doc_id, detail=entry.path)
    elif i == BAD_DATE_AT:
        truth.bad("oa/manifest.xml", "bad-date", line=None, item_id=doc_id, detail=broken.BAD_DATE)
    else:
        truth.ok("oa/manifest.xml", entry.dept)
        truth.extra["documents_by_format"][entry.fmt] += 1
        if entry.allow != PUBLIC:
            truth.extra["restricted"].append({"id": doc_id, "allow": [f"{k}:{v}" for k, v in entry.allow]})
        probe = next((p for p in probes.OA_PROBES if p[0] == i), None)
        if probe is not None:
            truth.probe(probe[5], probe[4], doc_id, where)
    return data


def generate(out: Path, scale: int, seed: int) -> SystemTruth:
    truth, r = SystemTruth("oa"), Rand(seed, "oa")
    files, rows = sizes(scale)
    truth.extra |= {"files_written": files, "table_rows_factor": rows, "documents_by_format": Counter()}
    truth.extra |= {"restricted": [], "must_not_match": [TRACKER]}
    used: set[str] = set()
    out.mkdir(parents=True, exist_ok=True)
    with (out / "manifest.xml").open("w", encoding="utf-8", newline="\n") as manifest:
        manifest.write('<?xml version="1.0" encoding="UTF-8"?>\n')
        manifest.write('<export system="OA" generated="2026-10-31T18:00:00+08:00">\n')
        for i in range(files + 1):  # one entry more than files: the one whose file is missing
            entry = _entry(r, i, rows)
            path = f"files/{entry.category}/{_file_name(entry.doc.title)}.{entry.fmt}"
            entry.path = path if path not in used else f"{path.rsplit('.', 1)[0]}-{entry.doc_id}.{entry.fmt}"
            used.add(entry.path)
            data = _damage(r, i, entry, _render(r, entry), truth)
            if i != MISSING_AT:
                (out / entry.path).parent.mkdir(parents=True, exist_ok=True)
                (out / entry.path).write_bytes(data)
            if i != UNLISTED_AT:
                manifest.write(
                    _manifest_entry(entry, broken.BAD_DATE if i == BAD_DATE_AT else entry.day.isoformat())
                )
        manifest.write("</export>\n")
    truth.extra["documents_by_format"] = dict(sorted(truth.extra["documents_by_format"].items()))
    return truth
